//! The connection pool after a body: the turn that lets hyper hand an HTTP/1 connection back
//! before the caller's next request asks for one.

/// Called when a body was read to its end: on tokio's multi-thread runtime, for HTTP/1,
/// yields once.
///
/// The HTTP/1 connection goes back to the pool only when hyper's task that watches it runs
/// (it is woken now). Without giving it that turn, a caller that sends its next request at
/// once finds no idle connection, opens another, and then gets the old one anyway: under load
/// the pool ends up with nearly twice as many connections as requests in flight (see
/// BENCHMARKS.md).
pub(super) async fn body_read_to_its_end(version: reqwest::Version) {
    if version <= reqwest::Version::HTTP_11 && on_multi_thread_runtime() {
        YieldOnce(false).await;
    }
}

/// Whether the caller runs on tokio's multi-thread runtime, where hyper's task that returns a
/// connection to the pool may still be queued (on a current-thread runtime it has run by the
/// time the body's end is seen).
fn on_multi_thread_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// Lets the runtime run the tasks already woken, once: the first poll wakes the task itself
/// and returns `Pending` (tokio then queues it behind the others), the second is ready.
/// Unlike `tokio::task::yield_now`, it does not make the scheduler poll the I/O driver (a
/// system call) before coming back.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}
