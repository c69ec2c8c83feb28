//! Work the SDK leaves running for the caller (e.g. stopping the instance of a start that
//! failed or was abandoned), counted so that a program can wait for it before it exits
//! ([`Transport::shutdown`]).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::transport::Transport;

/// The background tasks of one transport.
#[derive(Default)]
pub(crate) struct Background {
    running: AtomicUsize,
    idle: Notify,
}

/// Counts one task as running until it is dropped (finished, panicked or aborted).
struct Running<'a>(&'a Background);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Transport {
    /// Runs `work` in a tokio task counted as this transport's background work, which
    /// [`Transport::shutdown`] waits for. Returns `false` (and drops `work`) outside a tokio
    /// runtime.
    pub fn spawn_background(&self, work: impl Future<Output = ()> + Send + 'static) -> bool {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        self.background().running.fetch_add(1, Ordering::AcqRel);
        let t = self.clone();
        runtime.spawn(async move {
            let _running = Running(t.background());
            work.await;
        });
        true
    }

    /// How many background tasks ([`Transport::spawn_background`]) are still running.
    pub fn background_tasks(&self) -> usize {
        self.background().running.load(Ordering::Acquire)
    }

    /// Closes the shared event streams ([`Transport::close_streams`]) and waits, at most
    /// `timeout`, for the background work to finish (e.g. the SDK stopping the instances of
    /// failed or abandoned starts). Returns `true` when nothing is left running, `false` when
    /// the time ran out first (the work goes on while the runtime does). Call it before a
    /// program exits; the transport stays usable afterwards.
    pub async fn shutdown(&self, timeout: Duration) -> bool {
        self.close_streams();
        let bg = self.background();
        let deadline = crate::deadline::deadline_after(tokio::time::Instant::now(), timeout);
        loop {
            let mut idle = std::pin::pin!(bg.idle.notified());
            // Registered before the count is read, so a task ending in between still wakes us.
            idle.as_mut().enable();
            if bg.running.load(Ordering::Acquire) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return bg.running.load(Ordering::Acquire) == 0;
            }
        }
    }
}
