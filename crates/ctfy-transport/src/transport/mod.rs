//! The transport: one `reqwest::Client`, the base URL, the token, the retry policy.
//!
//! [`Transport`] and its calls live here; the rest of the machinery, by concern:
//!
//! | module | what |
//! |---|---|
//! | `builder` | [`TransportBuilder`], its defaults, the base URL's normalization |
//! | `client` | the recipe of the reqwest clients (ordinary and streaming), the `http_client_with` hook |
//! | `token` | the bearer header, the token accessors, `with_token`, the transport's redaction |
//! | `retry` | the retry loop of a call (its span and log event), which failures repeat, `Retry-After` |
//! | `exchange` | one attempt: the reqwest request, the interceptors, the credentials, the answer's classification |
//! | `redirect` | which redirects are followed, and following them |
//! | `body` | the bounded body reader, the [`Download`] of a body |
//! | `pool` | the yield that lets a connection go back to the pool after a body |
//! | `decode` | decoding a JSON body, with the serde path of a failure |
//!
//! The public types that the other crates name in their signatures ([`RetryPolicy`],
//! [`TokenKind`], [`Download`], and [`RawResponse`] beside it) are defined here, not in the
//! module of their concern: the API listings (`api/*.txt`) name a foreign type by the module
//! that defines it, so moving one between private modules would change them.
//!
//! A call's deadline ([`Request::deadline`]) wraps the whole retry loop: see
//! [`Transport::execute_within`] and [`crate::deadline`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, Result};
use crate::interceptor::Interceptors;
use crate::request::Request;

mod body;
mod builder;
mod client;
mod decode;
mod exchange;
mod pool;
mod redirect;
mod retry;
mod token;

pub(crate) use body::read_error_body;
use body::to_download;
pub use builder::{DEFAULT_MAX_BODY_SIZE, TransportBuilder};
use client::HttpRecipe;
pub use decode::decode;
use exchange::{Answer, Take};
pub(crate) use retry::parse_retry_after;
pub use retry::{REQUEST_LOG_TARGET, parse_retry_after_value};

/// How failed requests are retried.
///
/// Idempotent requests (GET, PUT, DELETE…) are retried on connect errors, timeouts, an
/// exchange cut short (connection reset), 429, 502, 503 and 504. POST and PATCH are retried
/// only when the request provably never reached the server (a connect error) or when the
/// server said so: a 429 or a 503 carrying a readable `Retry-After` (a 429 without one is
/// final for a POST).
/// Delays grow exponentially with jitter; a server's `Retry-After` replaces the computed
/// delay when it is at most `max_retry_after` (but never goes below `initial_delay`, so a
/// `Retry-After: 0` storm cannot turn into a busy loop), and a longer one — or one too large
/// to represent — is not waited out: the error is returned (with
/// [`ApiError::retry_after`](crate::ApiError::retry_after) set).
///
/// A 503 whose platform `code` ends in `_not_configured` (`registry_not_configured`…) says a
/// feature is missing on this server: it is final and never retried.
///
/// The policy is `#[non_exhaustive]` (a setting added later is not a breaking change): change
/// the defaults you care about.
///
/// ```
/// use ctfy_models::With;
/// use ctfy_transport::RetryPolicy;
///
/// let patient = RetryPolicy::default().with(|p| p.max_retries = 5);
/// assert_eq!(patient.max_retries, 5);
/// ```
///
/// ```compile_fail
/// let p = ctfy_transport::RetryPolicy { max_retries: 5, ..Default::default() };
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// How many times a request is repeated (0 = a single attempt).
    pub max_retries: u32,
    /// The first backoff delay, and the shortest wait between two attempts.
    pub initial_delay: Duration,
    /// The largest backoff delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` the SDK waits for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// `RetryPolicy::default().with(|p| p.max_retries = 5)`: the policy is `#[non_exhaustive]`.
impl ctfy_models::With for RetryPolicy {}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }
}

/// A complete response: status, headers and body bytes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// A downloaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Download {
    /// The bytes.
    pub bytes: Bytes,
    /// The `Content-Type` the server gave, if any.
    pub content_type: Option<String>,
    /// The file name from `Content-Disposition`, if any.
    pub filename: Option<String>,
}

impl Download {
    /// A download of `bytes`, without a content type or file name (for tests, and for the
    /// testing kit's stubs of download calls).
    ///
    /// ```
    /// use ctfy_transport::Download;
    ///
    /// let file = Download::new(&b"hello"[..]).with_filename("notes.txt").with_content_type("text/plain");
    /// assert_eq!(file.filename.as_deref(), Some("notes.txt"));
    /// ```
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        Self {
            bytes: bytes.into(),
            content_type: None,
            filename: None,
        }
    }

    /// Sets the content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Sets the file name.
    pub fn with_filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }
}

/// What kind of credential a token is, read from its prefix (see
/// [`Transport::token_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// No token: anonymous access (public reads only).
    Anonymous,
    /// A fine-grained API token (`pf_…`), minted with scopes. Refused by `/admin/*` and
    /// token management; on the event stream it counts as anonymous (global frames only).
    Api,
    /// A user session (`pt_…`, from `auth().login`): every route the user may use, and the
    /// team frames of the event stream.
    Session,
    /// Any other token, e.g. a worker node's token.
    Other,
}

impl TokenKind {
    /// The kind of `token` (`""` is [`TokenKind::Anonymous`]).
    pub fn of(token: &str) -> Self {
        if token.is_empty() {
            Self::Anonymous
        } else if token.starts_with("pf_") {
            Self::Api
        } else if token.starts_with("pt_") {
            Self::Session
        } else {
            Self::Other
        }
    }

    /// Whether the event stream sends this kind of token its teams' frames (instances, flags,
    /// achievements…): only sessions get them.
    pub fn sees_team_events(self) -> bool {
        self == Self::Session
    }
}

struct Inner {
    /// The client of ordinary requests: the transport's request timeout applies.
    client: reqwest::Client,
    /// The client of streams (no request timeout: a stream is read for as long as its reader
    /// likes), built at the first stream when the transport has a request timeout.
    stream_client: std::sync::OnceLock<reqwest::Client>,
    recipe: HttpRecipe,
    base: Url,
    /// `base` as text, without a trailing `/`: request URLs are this plus the request's path.
    base_str: String,
    /// The path of `base`, without a trailing `/` (what error paths start with).
    base_path: String,
    origin: String,
    token: Option<SecretString>,
    events_token: Option<SecretString>,
    auth: Option<HeaderValue>,
    timeout: Option<Duration>,
    retry: RetryPolicy,
    max_body_size: u64,
    /// The API prefix the base ends with (no trailing `/`), for [`Transport::server_url`].
    api_prefix: &'static str,
    /// The interceptors of every exchange ([`TransportBuilder::interceptor`]).
    interceptors: Interceptors,
    /// The shared event streams ([`Transport::sse_shared`]).
    hubs: crate::events::shared::Hubs,
    /// Work the SDK runs in the background ([`Transport::spawn_background`]), shared with
    /// the transports made by [`Transport::with_token`].
    background: Arc<crate::background::Background>,
}

/// The shared HTTP machinery of every client. Cheap to clone (an `Arc` inside); clones share
/// the connection pool.
///
/// # Tracing
/// Every request emits one `DEBUG` event under the target [`REQUEST_LOG_TARGET`]
/// (`ctfy::request`) when it is done, with `method`, `path` (no query string), `status`,
/// `attempts`, `elapsed_ms` and, on failure, `error`; each retry adds a `DEBUG` event saying
/// why and how long it waits. Each request also runs in a `ctfy.request` span. With
/// `tracing-subscriber`'s `EnvFilter`, `RUST_LOG=ctfy=debug` shows them. No token, and no
/// query string, is ever recorded.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &self.inner.token.as_ref().map(|_| "<redacted>"))
            .field(
                "events_token",
                &self.inner.events_token.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("interceptors", &self.inner.interceptors)
            .finish()
    }
}

impl Transport {
    /// A builder for `base_url`.
    pub fn builder(base_url: impl Into<String>) -> TransportBuilder {
        TransportBuilder::new(base_url)
    }

    /// The API base URL (ends in the API prefix, e.g. `http://host:port/api/v1`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The server URL (the base without the API prefix).
    pub fn server_url(&self) -> String {
        let base = self.inner.base.as_str().trim_end_matches('/');
        base.strip_suffix(self.inner.api_prefix)
            .unwrap_or(base)
            .to_owned()
    }

    /// The origin requests go to (`scheme://host:port`), as errors name it.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The underlying reqwest client. Its requests carry no token unless you add one, and get
    /// the transport's request timeout ([`TransportBuilder::timeout`]) unless they set their
    /// own (`RequestBuilder::timeout`). It follows no redirect (a 3xx answer is handed back
    /// as it is; see [`TransportBuilder::http_client_with`]), and the transport's
    /// [interceptors](TransportBuilder::interceptor) do not see its requests.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The absolute URL of `path` (already encoded) under the API base.
    pub fn url(&self, path: &str) -> Url {
        let mut url = self.inner.base.clone();
        let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    pub(crate) fn hubs(&self) -> &crate::events::shared::Hubs {
        &self.inner.hubs
    }

    pub(crate) fn background(&self) -> &crate::background::Background {
        &self.inner.background
    }

    /// Whether `url` is on the configured origin (compared without building the two origins).
    pub(crate) fn is_home(&self, url: &Url) -> bool {
        let base = &self.inner.base;
        url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default()
    }

    /// Sends `req` and returns the whole response (any 2xx).
    ///
    /// # Errors
    /// [`Error::Api`] for error statuses, [`Error::Http`] when no complete answer came,
    /// [`Error::BodyTooLarge`] for a body over the limit.
    pub async fn send(&self, req: &Request) -> Result<RawResponse> {
        self.full(req, false).await
    }

    async fn full(&self, req: &Request, allow_404: bool) -> Result<RawResponse> {
        match self.execute_within(req, Take::Body { allow_404 }).await? {
            Answer::Full(raw) => Ok(raw),
            Answer::Stream(_) => unreachable!("a body answer was asked for"),
        }
    }

    /// Sends `req` and returns the streaming response, for bodies read incrementally (no body
    /// limit applies). No per-request timeout applies unless `req` sets one.
    ///
    /// # Errors
    /// As [`Transport::send`].
    pub async fn send_streaming(&self, req: &Request) -> Result<reqwest::Response> {
        match self.execute_within(req, Take::Stream).await? {
            Answer::Stream(resp) => Ok(resp),
            Answer::Full(_) => unreachable!("a stream was asked for"),
        }
    }

    /// [`execute`](Self::execute) (the retry loop) under the request's deadline, if it has
    /// one: past it, the call fails with [`Error::Timeout`](crate::Error::Timeout) naming
    /// the method and the path template.
    async fn execute_within(&self, req: &Request, take: Take) -> Result<Answer> {
        let Some(limit) = req.deadline else {
            return self.execute(req, take).await;
        };
        // Boxed: only calls with a deadline pay for the timer in their future.
        let call = Box::pin(self.execute(req, take));
        crate::deadline::within(limit, tokio::time::Instant::now(), call, || {
            Error::timeout(format!("{} {}", req.method, req.template), limit, None)
        })
        .await
    }

    /// Sends `req` and decodes the JSON body as `T`.
    ///
    /// # Errors
    /// As [`Transport::send`], plus [`Error::Decode`] with the serde path and a body snippet.
    pub async fn json<T: DeserializeOwned>(&self, req: &Request) -> Result<T> {
        let raw = self.send(req).await?;
        self.decode_raw(req, &raw)
    }

    /// Like [`Transport::json`], but a 404 answer gives `Ok(None)`.
    ///
    /// # Errors
    /// As [`Transport::json`] for everything but 404.
    pub async fn json_or_404<T: DeserializeOwned>(&self, req: &Request) -> Result<Option<T>> {
        let raw = self.full(req, true).await?;
        if raw.status == 404 {
            return Ok(None);
        }
        self.decode_raw(req, &raw).map(Some)
    }

    /// Sends `req` and ignores the body of the success answer (204 or any JSON).
    ///
    /// # Errors
    /// As [`Transport::send`].
    pub async fn empty(&self, req: &Request) -> Result<()> {
        self.send(req).await.map(|_| ())
    }

    /// Sends `req`; a 404 answer counts as success (`Ok(false)`), any 2xx is `Ok(true)`.
    ///
    /// # Errors
    /// As [`Transport::send`] for everything but 404.
    pub async fn empty_or_404(&self, req: &Request) -> Result<bool> {
        Ok(self.full(req, true).await?.status != 404)
    }

    /// Sends `req` and returns the body bytes with their content type and file name.
    ///
    /// # Errors
    /// As [`Transport::send`].
    pub async fn download(&self, req: &Request) -> Result<Download> {
        let raw = self.send(req).await?;
        Ok(to_download(raw))
    }

    /// Like [`Transport::download`], but a 404 answer gives `Ok(None)`.
    ///
    /// # Errors
    /// As [`Transport::send`] for everything but 404.
    pub async fn download_or_404(&self, req: &Request) -> Result<Option<Download>> {
        let raw = self.full(req, true).await?;
        if raw.status == 404 {
            return Ok(None);
        }
        Ok(Some(to_download(raw)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let t = Transport::builder("http://h:1")
            .token("pt_secret")
            .build()
            .unwrap();
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("pt_secret"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }
}
