//! The HTTP machinery shared by every ctfy client.
//!
//! - [`Transport`]: base URL handling, bearer auth sent only to the configured origin, a token
//!   that never shows in `Debug`, errors or traces, timeouts, and retries that never repeat a
//!   non-idempotent request the server may have processed.
//! - [`Request`]: a request as data, with every path segment percent-encoded and segments that
//!   could change the route (empty, `.`, `..`, or containing `/` or `\`) refused.
//! - [`redact()`]: the one redaction of URLs and error texts (`token=` values, userinfo, the
//!   token itself) that everything the SDK shows goes through.
//! - [`Error`]: one `#[non_exhaustive]` error enum that keeps the platform's `code` and `detail`.
//! - [`Page`] and [`PageStream`]: pagination.
//! - [`events`]: the server-sent event stream with its reconnect loop.
//! - [`interceptor`]: hooks of yours around every HTTP exchange (add headers, count and time
//!   requests, record or replay traffic), which can never send the token to another origin.
//!
//! Each request runs in a `ctfy.request` tracing span with the method, the path template (not
//! the concrete path, so ids do not explode cardinality), the status, the attempt number and
//! the latency.
//!
//! # Other crates' types in this API
//! The public API shows the types of a few other crates on purpose, each re-exported here so
//! that you can name the exact version the SDK uses:
//!
//! | crate (version) | where | re-export |
//! |---|---|---|
//! | `reqwest` 0.13 (and the `http` 1 types it re-exports: `Method`, `HeaderMap`, `StatusCode`…) | [`TransportBuilder::http_client_with`], [`Transport::http_client`], [`Transport::send_streaming`], the source of [`Error::Http`], [`interceptor`] | [`reqwest`] |
//! | `url` 2 | [`Transport::base_url`], [`Transport::url`], [`interceptor::RequestInfo::url`] | [`url`] |
//! | `secrecy` 0.10 | [`Transport::token`] (a `SecretString`, so it cannot be printed by mistake) | [`secrecy`] |
//! | `bytes` 1 | bodies: [`Download`], [`RawResponse`], [`Body`], upload parameters | [`bytes`] |
//! | `futures` 0.3 | [`PageStream`] (a boxed `Stream`) | — (`futures-core` is stable) |
//! | `serde` / `serde_json` 1 | every model; [`ApiError::detail`] is a `serde_json::Value` | — |
//!
//! A new major version of any of these (a new minor one for the 0.x crates) is a breaking
//! change of this SDK, and comes only in a release that says so in its CHANGELOG.
//! Everything in the hidden `__private` module is the generated clients' plumbing, not API.

#![deny(missing_docs)]

mod background;
mod call;
mod error;
pub mod events;
pub mod interceptor;
mod paginate;
pub mod redact;
mod request;
#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
mod tls;
/// Without rustls as the backend (no TLS, or native-tls chosen), reqwest configures TLS itself.
#[cfg(not(all(feature = "rustls", not(feature = "native-tls"))))]
mod tls {
    pub(crate) fn preconfigured(
        b: reqwest::ClientBuilder,
    ) -> crate::Result<reqwest::ClientBuilder> {
        Ok(b)
    }
    pub(crate) fn before_hook(b: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        b
    }
}
mod transport;

pub use ctfy_models::{IntoId, InvalidId, Page};
pub use error::{ApiError, Error, Result, SNIPPET_LEN, StreamError, StreamErrorKind};
pub use events::{SseAuth, SseConfig, SseConfigBuilder, SseItem, SseStream, SseSubscription};
pub use paginate::{DEFAULT_PAGE_SIZE, PageStream};
pub use request::{Body, FilePart, Idempotency, QueryValue, Request};

/// The plumbing the generated clients (`ctfy-client`, `ctfy-admin`, `ctfy-node`) are built
/// from. Not part of the public API: anything here may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::call::Call;
    pub use crate::error::snippet;
    pub use crate::request::{build_path, encode_segment};
    pub use crate::transport::{decode, parse_retry_after_value};
    pub use crate::{awaitable, builder};
    pub use ctfy_models::check_segment;

    /// `from + after`, or a point about thirty years ahead when that does not fit (`Instant`
    /// arithmetic panics on overflow, and durations may come from users or servers).
    pub fn deadline_after<I>(from: I, after: std::time::Duration) -> I
    where
        I: Copy + std::ops::Add<std::time::Duration, Output = I> + CheckedAdd,
    {
        from.checked_add_duration(after)
            .unwrap_or_else(|| from + std::time::Duration::from_secs(30 * 365 * 24 * 3600))
    }

    /// Checked addition of a duration to an instant (`std` and `tokio` instants).
    pub trait CheckedAdd: Sized {
        /// `self + d`, or `None` when it does not fit.
        fn checked_add_duration(self, d: std::time::Duration) -> Option<Self>;
    }

    impl CheckedAdd for std::time::Instant {
        fn checked_add_duration(self, d: std::time::Duration) -> Option<Self> {
            self.checked_add(d)
        }
    }

    impl CheckedAdd for tokio::time::Instant {
        fn checked_add_duration(self, d: std::time::Duration) -> Option<Self> {
            self.checked_add(d)
        }
    }
}

/// The byte buffers of bodies and downloads.
pub use bytes;
pub use redact::redact;
/// The HTTP client crate the transport is built on, for callers that bring their own `reqwest::Client`.
pub use reqwest;
pub use reqwest::Method;
/// The secret wrapper [`Transport::token`] returns.
pub use secrecy;
pub use transport::{
    DEFAULT_MAX_BODY_SIZE, Download, REQUEST_LOG_TARGET, RawResponse, RetryPolicy, TokenKind,
    Transport, TransportBuilder,
};
/// The URL type of [`Transport::base_url`].
pub use url;
