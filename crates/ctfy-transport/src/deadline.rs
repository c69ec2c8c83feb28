//! Deadlines: an instant a duration ahead that cannot overflow, and the hard cap of a whole
//! call (the transport's [`Request::deadline`](crate::Request::deadline), the client's
//! instance waits). Re-exported by the hidden `__private` module for the generated clients.

use std::time::Duration;

use crate::error::{Error, Result};

/// `from + after`, or a point about thirty years ahead when that does not fit (`Instant`
/// arithmetic panics on overflow, and durations may come from users or servers).
pub fn deadline_after<I>(from: I, after: Duration) -> I
where
    I: Copy + std::ops::Add<Duration, Output = I> + CheckedAdd,
{
    from.checked_add_duration(after)
        .unwrap_or_else(|| from + Duration::from_secs(30 * 365 * 24 * 3600))
}

/// Checked addition of a duration to an instant (`std` and `tokio` instants).
pub trait CheckedAdd: Sized {
    /// `self + d`, or `None` when it does not fit.
    fn checked_add_duration(self, d: Duration) -> Option<Self>;
}

impl CheckedAdd for std::time::Instant {
    fn checked_add_duration(self, d: Duration) -> Option<Self> {
        self.checked_add(d)
    }
}

impl CheckedAdd for tokio::time::Instant {
    fn checked_add_duration(self, d: Duration) -> Option<Self> {
        self.checked_add(d)
    }
}

/// Runs `run` under the hard cap `limit`, counted from `started`: past it, `run` is dropped
/// (whatever it was doing stops there) and the call fails with the error `timed_out` makes
/// (an [`Error::Timeout`] saying what was waited for).
///
/// # Errors
/// `run`'s own, or `timed_out()`'s.
pub async fn within<I, T>(
    limit: Duration,
    started: I,
    run: impl Future<Output = Result<T>>,
    timed_out: impl FnOnce() -> Error,
) -> Result<T>
where
    I: Copy + std::ops::Add<Duration, Output = I> + CheckedAdd + Into<tokio::time::Instant>,
{
    match tokio::time::timeout_at(deadline_after(started, limit).into(), run).await {
        Ok(result) => result,
        Err(_) => Err(timed_out()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run that outlasts its cap is dropped and fails with the caller's error; one that
    /// ends in time gives its own result; an absurd cap does not overflow.
    #[tokio::test]
    async fn within_caps_a_run_and_says_what_timed_out() {
        let started = tokio::time::Instant::now();
        let slow = tokio::time::sleep(Duration::from_secs(60));
        let timed_out = within(
            Duration::from_millis(10),
            started,
            async {
                slow.await;
                Ok(())
            },
            || Error::timeout("the slow thing", started.elapsed(), None),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&timed_out, Error::Timeout { what, .. } if what == "the slow thing"),
            "{timed_out:?}"
        );
        let quick = within(
            Duration::MAX,
            std::time::Instant::now(),
            async { Ok(7) },
            || unreachable!("no timeout"),
        );
        assert_eq!(quick.await.unwrap(), 7);
    }
}
