//! The defaults the docs state, pinned: `RetryPolicy` (its rustdoc, `docs/AGENTS.md`'s error
//! policy and the README), `SseConfig` (its field docs and `docs/RELIABILITY.md`). A change of
//! a default fails here, so whoever makes it updates those texts in the same change.
//! (`TransportBuilder`'s timeouts and body cap are private fields: their test is a unit test
//! in `src/transport/builder.rs`.)

use std::time::Duration;

use ctfy_transport::events::{DEFAULT_MAX_FRAME_SIZE, DEFAULT_READER_BUFFER};
use ctfy_transport::{RetryPolicy, SseConfig};

const MIB: usize = 1024 * 1024;

/// "2 retries, 0.5 s growing to 30 s, honouring `Retry-After` up to 60 s".
#[test]
fn retry_policy_defaults() {
    let p = RetryPolicy::default();
    assert_eq!(p.max_retries, 2);
    assert_eq!(p.initial_delay, Duration::from_millis(500));
    assert_eq!(p.max_delay, Duration::from_secs(30));
    assert_eq!(p.max_retry_after, Duration::from_secs(60));
    // `none()`: a single attempt, the rest unchanged.
    let none = RetryPolicy::none();
    assert_eq!(none.max_retries, 0);
    assert_eq!(none.initial_delay, p.initial_delay);
}

/// Backoff 1 s → 30 s, idle timeout 95 s, stable after 60 s, reconnecting forever, frames up
/// to 1 MiB, 4 MiB per reader of a shared stream.
#[test]
fn sse_config_defaults() {
    let c = SseConfig::default();
    assert_eq!(c.min_backoff, Duration::from_secs(1));
    assert_eq!(c.max_backoff, Duration::from_secs(30));
    assert_eq!(c.idle_timeout, Duration::from_secs(95));
    assert_eq!(c.stable_after, Duration::from_secs(60));
    assert!(c.reconnect);
    assert_eq!(c.max_attempts, None);
    assert_eq!(c.max_frame_size, MIB);
    assert_eq!(c.reader_buffer, 4 * MIB);
    assert_eq!(DEFAULT_MAX_FRAME_SIZE, MIB);
    assert_eq!(DEFAULT_READER_BUFFER, 4 * MIB);
    // The builder starts from the defaults.
    assert_eq!(SseConfig::builder().build(), c);
}
