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
//! The public API shows the types of a few other crates on purpose; depend on the same major
//! version to name them (`reqwest` is also re-exported, for [`TransportBuilder::http_client_with`]):
//!
//! | crate (version) | where |
//! |---|---|
//! | `reqwest` 0.13 (and the `http` 1 types it re-exports: `Method`, `HeaderMap`, `StatusCode`…) | [`TransportBuilder::http_client_with`], [`Transport::http_client`], [`Transport::send_streaming`], the source of [`Error::Http`], [`interceptor`] |
//! | `url` 2 | [`Transport::base_url`], [`Transport::url`], [`interceptor::RequestInfo::url`] |
//! | `secrecy` 0.10 | [`Transport::token`] (a `SecretString`, so it cannot be printed by mistake) |
//! | `bytes` 1 | bodies: [`Download`], [`RawResponse`], [`Body`], upload parameters |
//! | `futures` 0.3 | [`PageStream`] (a boxed `Stream`) |
//! | `serde` / `serde_json` 1 | every model; [`ApiError::detail`] is a `serde_json::Value` |
//!
//! A new major version of any of these (a new minor one for the 0.x crates) is a breaking
//! change of this SDK, and comes only in a release that says so in its CHANGELOG.
//! Everything in the hidden `__private` module is the generated clients' plumbing, not API.
//!
//! # TLS
//!
//! The crate features choose the TLS backend; they are additive, and when several are on, the
//! first of this list that is on is used:
//!
//! 1. `native-tls`: the operating system's library (OpenSSL, Security.framework, SChannel).
//! 2. `rustls-ring`: rustls with the ring crypto provider.
//! 3. `rustls` (the default): rustls with the aws-lc-rs crypto provider.
//!
//! Without any of them there is no TLS (`http://` only). The explicit choice wins over the
//! default: to use ring or native-tls, turn off the default features (else aws-lc-rs is still
//! compiled, though unused). [`TLS_BACKEND`] says which backend a build uses. With rustls, a
//! crypto provider the program installed as the process default
//! (`rustls::crypto::CryptoProvider::install_default`) is used instead of the feature's.
//! `webpki-roots` replaces the system's CA roots with bundled ones for either rustls feature.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod background;
mod call;
mod deadline;
mod error;
pub mod events;
pub mod interceptor;
mod paginate;
pub mod redact;
mod request;
#[cfg(all(
    feature = "webpki-roots",
    not(any(feature = "rustls", feature = "rustls-ring"))
))]
compile_error!(
    "the `webpki-roots` feature chooses the CA roots of rustls: turn on `rustls` (aws-lc-rs) or `rustls-ring` (ring) as well"
);

/// The TLS backend this build uses, from the crate features (see [the crate docs](crate#tls)
/// for the precedence): `"native-tls"`, `"rustls (ring)"`, `"rustls (aws-lc-rs)"`, or
/// `"none"` when no TLS feature is on (`http://` base URLs only).
///
/// ```
/// let backend = ctfy_transport::TLS_BACKEND;
/// assert!(["native-tls", "rustls (ring)", "rustls (aws-lc-rs)", "none"].contains(&backend));
/// ```
pub const TLS_BACKEND: &str = if cfg!(feature = "native-tls") {
    "native-tls"
} else if cfg!(feature = "rustls-ring") {
    "rustls (ring)"
} else if cfg!(feature = "rustls") {
    "rustls (aws-lc-rs)"
} else {
    "none"
};

#[cfg(all(
    any(feature = "rustls", feature = "rustls-ring"),
    not(feature = "native-tls")
))]
mod tls;
/// Without rustls as the backend (no TLS, or native-tls chosen), reqwest configures TLS itself.
#[cfg(not(all(
    any(feature = "rustls", feature = "rustls-ring"),
    not(feature = "native-tls")
)))]
mod tls {
    /// The builder as it is: reqwest configures TLS itself.
    pub fn preconfigured(b: reqwest::ClientBuilder) -> crate::Result<reqwest::ClientBuilder> {
        Ok(before_hook(b))
    }
    pub(crate) fn before_hook(b: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        // native-tls wins over rustls when both are compiled in (reqwest's default agrees;
        // said here so that the choice does not rest on it).
        #[cfg(feature = "native-tls")]
        let b = b.tls_backend_native();
        b
    }
}
mod transport;

pub use call::Operation;
pub use ctfy_models::{IntoId, InvalidId, Page};
pub use error::{ApiError, Error, Result, SNIPPET_LEN, StreamError, StreamErrorKind};
pub use events::{SseAuth, SseConfig, SseConfigBuilder, SseItem, SseStream, SseSubscription};
pub use paginate::{DEFAULT_PAGE_SIZE, PageStream};
pub use request::{Body, FilePart, Idempotency, QueryValue, Request};

/// The plumbing the generated clients (`ctfy-client`, `ctfy-admin`, `ctfy-node`) are built
/// from. Not part of the public API: anything here may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::call::{Call, Sealed, Wire, wire};
    pub use crate::deadline::{CheckedAdd, deadline_after, within};
    pub use crate::error::snippet;
    pub use crate::events::parser::{Parsed as SseParsed, Parser as SseParser};
    pub use crate::request::{build_path, encode_segment};
    pub use crate::tls::preconfigured as tls_preconfigured;
    pub use crate::transport::{decode, parse_retry_after_value};
    pub use crate::{awaitable, builder};
    pub use ctfy_models::check_segment;

    /// The body of `req` (for the testing kit's stubs, which match on it).
    pub fn request_body(req: &crate::Request) -> &crate::Body {
        &req.body
    }
}

pub use redact::redact;
/// The HTTP client crate the transport is built on, for callers that bring their own `reqwest::Client`.
pub use reqwest;
pub use reqwest::Method;
pub use transport::{
    DEFAULT_MAX_BODY_SIZE, Download, REQUEST_LOG_TARGET, RawResponse, RetryPolicy, TokenKind,
    Transport, TransportBuilder,
};
