//! The transport: one `reqwest::Client`, the base URL, the token, the retry policy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::BackoffBuilder;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::error::{Error, Result, api_error, redacted_snippet};
use crate::interceptor::{Interceptor, Interceptors, Tap};
use crate::request::{Body, Request};

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

    /// The backoff delays, boxed: a request's future holds this only as a pointer, and most
    /// requests never retry.
    fn delays(&self) -> Box<dyn Iterator<Item = Duration> + Send> {
        Box::new(
            backon::ExponentialBuilder::default()
                .with_min_delay(self.initial_delay)
                .with_max_delay(self.max_delay)
                .with_factor(2.0)
                .with_jitter()
                .without_max_times()
                .build(),
        )
    }
}

/// Configures a [`Transport`].
#[derive(Debug, Clone)]
pub struct TransportBuilder {
    base_url: String,
    token: Option<SecretString>,
    events_token: Option<SecretString>,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    api_prefix: &'static str,
    configure: Option<ConfigureHttp>,
    max_body_size: u64,
    interceptors: Interceptors,
}

/// A caller's adjustments to the `reqwest::ClientBuilder` the transport starts from.
#[derive(Clone)]
struct ConfigureHttp(Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>);

impl std::fmt::Debug for ConfigureHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<fn>")
    }
}

fn secret(token: String) -> Option<SecretString> {
    (!token.is_empty()).then(|| SecretString::from(token))
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

/// The `User-Agent` the SDK sends unless told otherwise.
const DEFAULT_USER_AGENT: &str = concat!("ctfy-rs/", env!("CARGO_PKG_VERSION"));

/// The default limit of a response body (64 MiB).
pub const DEFAULT_MAX_BODY_SIZE: u64 = 64 * 1024 * 1024;

/// How much of an error answer's body is read (the rest is dropped: an error keeps a snippet).
const MAX_ERROR_BODY: u64 = 1024 * 1024;

impl TransportBuilder {
    /// Starts from the server URL (`http://host:port`, with or without a trailing slash or
    /// the API prefix).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: None,
            events_token: None,
            timeout: Some(Duration::from_secs(60)),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            api_prefix: "/api/v1",
            configure: None,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            interceptors: Interceptors::default(),
        }
    }

    /// The bearer token (`pt_…`, `pf_…` or a node token). Empty means anonymous.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = secret(token.into());
        self
    }

    /// A second token used only for the event stream (`?token=` of `GET /events`): a `pt_`
    /// session token, when requests use a `pf_` API token (the platform sends team frames
    /// only to session tokens). Empty means "use [`token`](Self::token)", the default.
    pub fn events_token(mut self, token: impl Into<String>) -> Self {
        self.events_token = secret(token.into());
        self
    }

    /// The per-attempt timeout of ordinary requests (default 60 s): the reqwest client's own
    /// timeout, which a request's own timeout replaces. Streams are not subject to it (they
    /// go through a client without it).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No per-attempt timeout for ordinary requests: an attempt waits as long as the server
    /// takes (a request's own timeout or deadline still applies).
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// The connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Shortcut for the number of retries (0 = one attempt).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry.max_retries = n;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// The path prefix every request path is appended to (default `/api/v1`).
    pub fn api_prefix(mut self, prefix: &'static str) -> Self {
        self.api_prefix = prefix;
        self
    }

    /// Adjusts the `reqwest::ClientBuilder` the transport builds its client from (proxies,
    /// root certificates, pool settings, a resolver…). `configure` receives the builder with
    /// the connect timeout and `User-Agent` already set, and may change them.
    ///
    /// Whatever `configure` does, the transport then sets two things itself, because they guard
    /// the token: no `Referer` header, and no redirect policy at all (`Policy::none()`, so
    /// reqwest follows no redirect). The transport follows redirects of its own requests
    /// itself, only where that keeps the request's meaning and the token safe: GET and HEAD on
    /// 301, 302, 303, 307 and 308, other idempotent requests (PUT, DELETE, or one marked
    /// [`Idempotency::Idempotent`](crate::Idempotency::Idempotent)) on 307 and 308 only, with
    /// their method and body; at most 5 redirects, to the same origin only, never from or to
    /// a URL that carries a secret (a `token=` or `access_token=` parameter, userinfo, the
    /// token itself). Every other redirect is [`Error::Redirect`]: a POST or PATCH is never
    /// redirected, and event streams follow none.
    ///
    /// Requests you send yourself through [`Transport::http_client`] therefore follow no
    /// redirect: a 3xx comes back to you as it is.
    ///
    /// TLS: without a hook, every transport of the process shares one rustls configuration
    /// that reads the CA roots at the first https handshake and keeps them (a failed read is
    /// tried again at a later handshake). With a hook, reqwest builds the TLS configuration
    /// from the hook's builder (so its roots, identities and TLS settings apply), and with
    /// rustls it reads the system's CA files at each `build()` (a few milliseconds); with
    /// `webpki-roots`, the hook starts from the bundled roots. reqwest then takes the
    /// process's default rustls crypto provider: with `rustls-ring`, the transport installs
    /// ring as that default first, unless the program installed one (install yours before
    /// you build a transport with a hook, if you want another).
    ///
    /// The hook can run twice: streams (the event stream, [`Transport::send_streaming`]) use
    /// a second client built from the same settings at the first stream, without the request
    /// timeout (see [`TransportBuilder::timeout`]). Keep it free of side effects.
    ///
    /// ```
    /// let t = ctfy_transport::Transport::builder("http://127.0.0.1:8000")
    ///     .http_client_with(|b| b.pool_max_idle_per_host(4).no_proxy())
    ///     .build()
    ///     .unwrap();
    /// # drop(t);
    /// ```
    pub fn http_client_with(
        mut self,
        configure: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.configure = Some(ConfigureHttp(Arc::new(configure)));
        self
    }

    /// The largest response body accepted, in bytes (default [`DEFAULT_MAX_BODY_SIZE`],
    /// 64 MiB). A larger body fails the call with [`Error::BodyTooLarge`] instead of filling
    /// memory; the limit does not apply to streams and event streams.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Adds an [`Interceptor`]: code of yours called around every HTTP exchange (each attempt
    /// of each call, each redirect followed, each connection attempt of an event stream),
    /// which may add headers, time and count exchanges, record them, or answer a request
    /// itself. Call it again to add more: they run in the order they were added. None by
    /// default.
    ///
    /// No interceptor can send the token elsewhere than the configured origin, or read it:
    /// the transport adds it after the interceptors ran, and only to requests for its origin
    /// (see the [`interceptor`](crate::interceptor) module). To use another token, see
    /// [`Transport::with_token`].
    ///
    /// ```
    /// use ctfy_transport::interceptor::{Interceptor, OutgoingRequest};
    /// use ctfy_transport::reqwest::header::{HeaderName, HeaderValue};
    ///
    /// struct Tenant;
    ///
    /// impl Interceptor for Tenant {
    ///     fn before_send(&self, request: &mut OutgoingRequest<'_>) {
    ///         // Refused (and so ignored here) only for the reserved headers.
    ///         let _ = request.insert_header(
    ///             HeaderName::from_static("x-tenant"),
    ///             HeaderValue::from_static("blue-team"),
    ///         );
    ///     }
    /// }
    ///
    /// let t = ctfy_transport::Transport::builder("http://127.0.0.1:8000")
    ///     .interceptor(Tenant)
    ///     .build()
    ///     .unwrap();
    /// # drop(t);
    /// ```
    pub fn interceptor(mut self, interceptor: impl Interceptor) -> Self {
        self.interceptors = self.interceptors.with(Arc::new(interceptor));
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a base URL that is not `http(s)://…`, carries
    /// credentials (`user:password@`) or a query, or for a token with characters a header
    /// cannot carry; [`Error::Build`] when the HTTP client or its TLS configuration cannot be
    /// built (a setting of the [`http_client_with`](TransportBuilder::http_client_with) hook
    /// that the TLS backend refuses, say).
    pub fn build(self) -> Result<Transport> {
        let base = normalize_base(&self.base_url, self.api_prefix)?;
        let auth = bearer(self.token.as_ref())?;
        // The default agent is a static header value: the client copies it into every request,
        // and a static value is copied without touching a reference count.
        let user_agent = if self.user_agent == DEFAULT_USER_AGENT {
            HeaderValue::from_static(DEFAULT_USER_AGENT)
        } else {
            HeaderValue::from_str(&self.user_agent).map_err(|_| {
                Error::InvalidArgument(
                    "the User-Agent contains characters not allowed in a header".into(),
                )
            })?
        };
        let recipe = HttpRecipe {
            connect_timeout: self.connect_timeout,
            user_agent,
            configure: self.configure,
        };
        let client = recipe.client(self.timeout)?;
        Ok(Transport {
            inner: Arc::new(Inner {
                client,
                stream_client: std::sync::OnceLock::new(),
                recipe,
                origin: base.origin().ascii_serialization(),
                base_str: base.as_str().trim_end_matches('/').to_owned(),
                base_path: base.path().trim_end_matches('/').to_owned(),
                base,
                token: self.token,
                events_token: self.events_token,
                auth,
                timeout: self.timeout,
                retry: self.retry,
                max_body_size: self.max_body_size,
                api_prefix: self.api_prefix.trim_end_matches('/'),
                interceptors: self.interceptors,
                hubs: Default::default(),
                background: Default::default(),
            }),
        })
    }
}

/// The `Authorization: Bearer …` header of `token` (marked sensitive), if there is one.
///
/// # Errors
/// [`Error::InvalidArgument`] for a token with characters a header cannot carry.
fn bearer(token: Option<&SecretString>) -> Result<Option<HeaderValue>> {
    let Some(token) = token else {
        return Ok(None);
    };
    let mut v =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            Error::InvalidArgument("the token contains characters not allowed in a header".into())
        })?;
    v.set_sensitive(true);
    Ok(Some(v))
}

/// What the transport's reqwest clients are built from: the ordinary one, with the request
/// timeout, and the one streams use, without it (built at the first stream).
#[derive(Debug, Clone)]
struct HttpRecipe {
    connect_timeout: Duration,
    user_agent: HeaderValue,
    configure: Option<ConfigureHttp>,
}

impl HttpRecipe {
    /// A client whose requests time out after `timeout` (unless a request sets its own).
    fn client(&self, timeout: Option<Duration>) -> Result<reqwest::Client> {
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone());
        http = match &self.configure {
            Some(ConfigureHttp(configure)) => configure(crate::tls::before_hook(http)),
            None => crate::tls::preconfigured(http)?,
        };
        // The request timeout is the client's own: a timeout set on each request costs reqwest
        // an allocation per request (its per-request settings live in a type map). Set after
        // the hook, so it wins over a timeout the hook set, as a per-request one did.
        if let Some(timeout) = timeout {
            http = http.timeout(timeout);
        }
        // reqwest follows nothing: its redirect policy cannot see the request's method, so the
        // transport decides itself which redirects keep a request's meaning (see
        // `Transport::redirect_target`). Event streams get every 3xx as it came.
        http.redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .build()
            .map_err(|e| Error::Build {
                what: "the HTTP client",
                // A builder error keeps no URL, but no URL may show in an error.
                source: Box::new(e.without_url()),
            })
    }
}

fn normalize_base(raw: &str, prefix: &str) -> Result<Url> {
    let trimmed = raw.trim().trim_end_matches('/');
    let shown = crate::redact::redact(trimmed);
    let mut url = Url::parse(trimmed)
        .map_err(|e| Error::InvalidArgument(format!("base URL {shown:?}: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidArgument(format!(
            "base URL {shown:?} must not carry credentials (user:password@): give the token to .token()"
        )));
    }
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::InvalidArgument(format!(
            "base URL {shown:?} must be http(s)://host[:port]"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::InvalidArgument(format!(
            "base URL {shown:?} must not have a query or fragment"
        )));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let prefix = prefix.trim_end_matches('/');
    let full = if path.ends_with(prefix) {
        path
    } else {
        format!("{path}{prefix}")
    };
    url.set_path(&full);
    Ok(url)
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

/// What a failed attempt leaves: the error, whether the rules allow another attempt, and how
/// long the server asked to wait.
struct Failure {
    err: Error,
    retry: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    /// A failure no rule repeats.
    fn fatal(err: Error) -> Self {
        Self {
            err,
            retry: false,
            retry_after: None,
        }
    }
}

/// How many redirects one attempt follows at most.
const MAX_REDIRECTS: u32 = 5;

/// How the success answer of a request is handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Take {
    /// Read the whole body (bounded by the body limit) inside the attempt, so a body cut short
    /// counts as a failed attempt.
    Body { allow_404: bool },
    /// Hand back the response with its body unread (streams).
    Stream,
}

enum Answer {
    Full(RawResponse),
    Stream(reqwest::Response),
}

impl Answer {
    fn status(&self) -> u16 {
        match self {
            Answer::Full(raw) => raw.status,
            Answer::Stream(resp) => resp.status().as_u16(),
        }
    }
}

/// The `tracing` target of the one event each request emits when it is done (see
/// [`Transport`]): `RUST_LOG=ctfy::request=debug` (or `ctfy=debug`) shows every request.
pub const REQUEST_LOG_TARGET: &str = "ctfy::request";

/// Emits the request's event: method, path (no query string, so no token), final status or
/// error, attempts and total time.
fn log_request(req: &Request, attempts: u32, started: Instant, outcome: Result<u16, &Error>) {
    if !tracing::enabled!(target: "ctfy::request", tracing::Level::DEBUG) {
        return;
    }
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(status) => tracing::debug!(
            target: "ctfy::request",
            method = %req.method,
            path = req.path(),
            status,
            attempts,
            elapsed_ms,
            "request done"
        ),
        Err(error) => tracing::debug!(
            target: "ctfy::request",
            method = %req.method,
            path = req.path(),
            status = error.status(),
            attempts,
            elapsed_ms,
            %error,
            "request failed"
        ),
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

    /// Whether a token is configured.
    pub fn has_token(&self) -> bool {
        self.inner.token.is_some()
    }

    /// The token, for the few places that must put it elsewhere than a header (the event
    /// stream's `?token=`). Never log it.
    pub fn token(&self) -> Option<&SecretString> {
        self.inner.token.as_ref()
    }

    /// The token of the event stream: the [`events_token`](TransportBuilder::events_token)
    /// when one is set, else the token. Never log it.
    pub fn events_token(&self) -> Option<&SecretString> {
        self.inner
            .events_token
            .as_ref()
            .or(self.inner.token.as_ref())
    }

    /// What kind of token the requests carry (read from its prefix, without exposing it).
    pub fn token_kind(&self) -> TokenKind {
        TokenKind::of(self.inner.token.as_ref().map_or("", |t| t.expose_secret()))
    }

    /// What kind of token the event stream carries (see [`Transport::events_token`]).
    pub fn events_token_kind(&self) -> TokenKind {
        TokenKind::of(self.events_token().map_or("", |t| t.expose_secret()))
    }

    /// A transport like this one that sends `token` instead (empty: anonymous): for a token
    /// that was refreshed, or replaced after the platform refused it (an invalid or revoked
    /// token is a 403 `Invalid or revoked token`). `self` is left as it is, still sending
    /// its own token.
    ///
    /// The new transport shares this one's connection pool, settings, interceptors and
    /// background work ([`Transport::shutdown`] of either waits for both), and redacts the
    /// new token wherever it redacts one. Its event streams carry the
    /// [`events_token`](TransportBuilder::events_token) if one was set, else the new token;
    /// they are not shared with this transport's.
    ///
    /// A client built on a transport gets the new token the same way, e.g.
    /// `PlatformClient::from_transport(client.transport().with_token(fresh)?)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a token with characters a header cannot carry.
    ///
    /// ```
    /// let old = ctfy_transport::Transport::builder("http://127.0.0.1:8000")
    ///     .token("pf_old")
    ///     .build()
    ///     .unwrap();
    /// let new = old.with_token("pf_new").unwrap();
    /// assert_eq!(new.redact("pf_new pf_old"), "<redacted> pf_old");
    /// assert_eq!(old.redact("pf_new pf_old"), "pf_new <redacted>");
    /// ```
    pub fn with_token(&self, token: impl Into<String>) -> Result<Transport> {
        let token = secret(token.into());
        let auth = bearer(token.as_ref())?;
        let inner = &self.inner;
        Ok(Transport {
            inner: Arc::new(Inner {
                client: inner.client.clone(),
                stream_client: inner.stream_client.clone(),
                recipe: inner.recipe.clone(),
                base: inner.base.clone(),
                base_str: inner.base_str.clone(),
                base_path: inner.base_path.clone(),
                origin: inner.origin.clone(),
                token,
                events_token: inner.events_token.clone(),
                auth,
                timeout: inner.timeout,
                retry: inner.retry.clone(),
                max_body_size: inner.max_body_size,
                api_prefix: inner.api_prefix,
                interceptors: inner.interceptors.clone(),
                hubs: Default::default(),
                background: inner.background.clone(),
            }),
        })
    }

    /// The origin requests go to (`scheme://host:port`), as errors name it.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The client streams are sent with: the ordinary one when the transport has no request
    /// timeout, else one without it, built the first time (a client-wide timeout would end a
    /// stream, and a timeout that never fires still costs a timer check at every chunk).
    ///
    /// # Errors
    /// [`Error::Build`] if that client cannot be built (the ordinary one was built
    /// from the same settings, so this is not expected).
    pub(crate) fn stream_client(&self) -> Result<&reqwest::Client> {
        let inner = &self.inner;
        if inner.timeout.is_none() {
            return Ok(&inner.client);
        }
        if let Some(client) = inner.stream_client.get() {
            return Ok(client);
        }
        let built = inner.recipe.client(None)?;
        Ok(inner.stream_client.get_or_init(|| built))
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

    /// The path of `req` as sent, API prefix included (what errors report). Built only for
    /// an error.
    fn full_path(&self, req: &Request) -> String {
        let mut path = String::with_capacity(self.inner.base_path.len() + req.path.len());
        path.push_str(&self.inner.base_path);
        path.push_str(&req.path);
        path
    }

    /// The URL `req` goes to: the base, the request's (encoded) path and its query, parsed
    /// once.
    fn request_url(&self, req: &Request) -> Result<Url> {
        let inner = &self.inner;
        let mut text = String::with_capacity(inner.base_str.len() + req.path.len() + 16);
        text.push_str(&inner.base_str);
        text.push_str(&req.path);
        if !req.query.is_empty() {
            text.push('?');
            let start = text.len();
            let mut pairs = url::form_urlencoded::Serializer::for_suffix(text, start);
            for (k, v) in &req.query {
                pairs.append_pair(k, v);
            }
            text = pairs.finish();
        }
        Url::parse(&text).map_err(|e| {
            Error::InvalidArgument(format!(
                "{} {}: not a valid URL: {e}",
                req.method,
                self.full_path(req)
            ))
        })
    }

    /// The absolute URL of `path` (already encoded) under the API base.
    pub fn url(&self, path: &str) -> Url {
        let mut url = self.inner.base.clone();
        let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// Masks `token=` values, URL userinfo and this transport's token in `text` (the one
    /// redaction every URL and error text the SDK shows goes through; see [`crate::redact()`]).
    pub fn redact<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let once = crate::redact::redact_with(text, self.secret());
        match self.inner.events_token.as_ref().map(|t| t.expose_secret()) {
            Some(events) => match crate::redact::redact_with(&once, Some(events)) {
                std::borrow::Cow::Borrowed(_) => once,
                std::borrow::Cow::Owned(twice) => std::borrow::Cow::Owned(twice),
            },
            None => once,
        }
    }

    pub(crate) fn hubs(&self) -> &crate::events::shared::Hubs {
        &self.inner.hubs
    }

    pub(crate) fn background(&self) -> &crate::background::Background {
        &self.inner.background
    }

    /// The token, for the redaction only.
    fn secret(&self) -> Option<&str> {
        self.inner.token.as_ref().map(|t| t.expose_secret())
    }

    /// The token and the events token, for the redaction only.
    pub(crate) fn secrets(&self) -> [Option<&str>; 2] {
        let events = self.inner.events_token.as_ref().map(|t| t.expose_secret());
        [self.secret(), events]
    }

    /// Builds the error of a redirect the SDK did not follow: its `Location` redacted, then
    /// cut to a snippet (masked first, so the cut never leaves part of a secret, and the bound
    /// holds for what is shown).
    pub(crate) fn redirect_error(
        &self,
        method: &str,
        path: &str,
        resp: &reqwest::Response,
    ) -> Error {
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| redacted_snippet(v.as_bytes(), &self.secrets()));
        Error::Redirect {
            method: method.into(),
            path: path.into(),
            status: resp.status().as_u16(),
            location,
        }
    }

    /// Builds the [`Error::Api`] of an error answer, its texts redacted.
    pub(crate) fn api_error(
        &self,
        method: &str,
        path: &str,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Error {
        api_error(method, path, status, retry_after, body, &self.secrets()).into()
    }

    /// Sends `req` after the retries the policy allows and hands back the success answer (2xx,
    /// or 404 when allowed). Error statuses become [`Error::Api`].
    ///
    /// Not an `async fn`: the span moves into the future once instead of being kept twice.
    fn execute<'a>(
        &'a self,
        req: &'a Request,
        take: Take,
    ) -> impl Future<Output = Result<Answer>> + Send + 'a {
        let span = tracing::debug_span!(
            "ctfy.request",
            method = %req.method,
            path = req.template,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        // Span fields are recorded only when a subscriber listens (the clock is read then too).
        let traced = !span.is_disabled();
        async move {
            let policy = &self.inner.retry;
            // Built at the first retry: most requests never need it.
            let mut delays = None;
            let mut attempt: u32 = 0;
            let first = Instant::now();
            loop {
                attempt += 1;
                let started = traced.then(Instant::now);
                let outcome = self.attempt(req, take, attempt).await;
                if let Some(started) = started {
                    let span = tracing::Span::current();
                    let status = match &outcome {
                        Ok(answer) => Some(answer.status()),
                        Err(failure) => failure.err.status(),
                    };
                    if let Some(status) = status {
                        span.record("status", status);
                    }
                    span.record("attempt", attempt);
                    span.record("latency_ms", started.elapsed().as_millis() as u64);
                }
                let Failure {
                    err,
                    retry,
                    retry_after,
                } = match outcome {
                    Ok(answer) => {
                        log_request(req, attempt, first, Ok(answer.status()));
                        return Ok(answer);
                    }
                    Err(failure) => failure,
                };
                if !retry || attempt > policy.max_retries {
                    log_request(req, attempt, first, Err(&err));
                    return Err(err);
                }
                let delay = match retry_after {
                    Some(d) if d > policy.max_retry_after => {
                        log_request(req, attempt, first, Err(&err));
                        return Err(err);
                    }
                    Some(d) => d.max(policy.initial_delay),
                    None => delays
                        .get_or_insert_with(|| policy.delays())
                        .next()
                        .unwrap_or(policy.max_delay),
                };
                tracing::debug!(target: "ctfy::request", method = %req.method, path = req.path(), attempt, error = %err.report(), ?delay, "retrying");
                // Boxed: a timer is large, and only a retry needs one.
                Box::pin(tokio::time::sleep(delay)).await;
            }
        }
        .instrument(span)
    }

    /// The [`Error::Http`] of `req` (its origin and full path named) for a failure of reqwest.
    fn http_error(&self, req: &Request, e: reqwest::Error) -> Error {
        Error::http(
            req.method.as_str(),
            &self.inner.origin,
            &self.full_path(req),
            e,
        )
    }

    /// Whether `url` is on the configured origin (compared without building the two origins).
    pub(crate) fn is_home(&self, url: &Url) -> bool {
        let base = &self.inner.base;
        url.scheme() == base.scheme()
            && url.host_str() == base.host_str()
            && url.port_or_known_default() == base.port_or_known_default()
    }

    /// Whether `url` carries a secret: a `token=` parameter (any case, `access_token=` too,
    /// percent-encoded or not), userinfo, or one of the transport's tokens. The redaction
    /// decides: a URL it would change carries one.
    fn carries_secret(&self, url: &Url) -> bool {
        let text = url.as_str();
        *self.redact(text) != *text
    }

    /// Where the redirect `resp` (the answer to `req` at `resp.url()`, after `hops` redirects
    /// already followed) may be followed to; `None` when it must not be.
    ///
    /// A redirect is followed only when that keeps the request's meaning: the request is
    /// idempotent, and either it is a GET or HEAD (which stay what they are on 301, 302, 303,
    /// 307 and 308) or the status is 307 or 308 (which keep the method and the body). And
    /// only when the token stays safe: the target is on the configured origin, and neither
    /// the URL that answered nor the target carries a secret. At most [`MAX_REDIRECTS`].
    fn redirect_target(&self, req: &Request, resp: &reqwest::Response, hops: u32) -> Option<Url> {
        let code = resp.status().as_u16();
        let keeps_meaning = req.is_idempotent()
            && match req.method {
                reqwest::Method::GET | reqwest::Method::HEAD => {
                    matches!(code, 301 | 302 | 303 | 307 | 308)
                }
                _ => matches!(code, 307 | 308),
            };
        if !keeps_meaning || hops >= MAX_REDIRECTS || self.carries_secret(resp.url()) {
            return None;
        }
        let location = std::str::from_utf8(resp.headers().get(LOCATION)?.as_bytes()).ok()?;
        let target = resp.url().join(location).ok()?;
        (self.is_home(&target) && !self.carries_secret(&target)).then_some(target)
    }

    /// Follows the redirect `resp` of `req` and those after it while
    /// [`redirect_target`](Self::redirect_target) allows, and returns the first answer that
    /// is not a redirect. A redirect that is not followed is [`Error::Redirect`].
    ///
    /// Each redirect is an exchange of its own for the interceptors: `tap` (the first
    /// answer's) is told of its answer here, and the tap of the answer returned comes back.
    async fn follow_redirects(
        &self,
        req: &Request,
        client: &reqwest::Client,
        mut resp: reqwest::Response,
        mut tap: Option<Box<Tap>>,
        attempt: u32,
    ) -> std::result::Result<(reqwest::Response, Option<Box<Tap>>), Failure> {
        let mut hops = 0;
        while resp.status().is_redirection() {
            if let Some(tap) = tap.take() {
                tap.response(resp.status(), resp.headers(), None);
            }
            let Some(target) = self.redirect_target(req, &resp, hops) else {
                let path = self.full_path(req);
                return Err(Failure::fatal(self.redirect_error(
                    req.method.as_str(),
                    &path,
                    &resp,
                )));
            };
            hops += 1;
            let request = self
                .http_request(client, req, target)
                .map_err(Failure::fatal)?;
            // Let go of the redirect's connection before the next request asks for one.
            drop(resp);
            (resp, tap) = self.exchange(client, request, req, attempt).await?;
        }
        Ok((resp, tap))
    }

    /// The failure of a request that got no complete answer. A connect error proves the
    /// request never reached the server: it may always be repeated. After any other failure
    /// the server may have seen, only idempotent requests are.
    fn send_failure(&self, req: &Request, e: reqwest::Error) -> Failure {
        if e.is_connect() {
            return Failure {
                err: self.http_error(req, e),
                retry: true,
                retry_after: None,
            };
        }
        self.cut_short(req, e)
    }

    /// The failure of an exchange cut short (reqwest reports a body cut short while reading
    /// it as a decode error): repeated only for idempotent requests. The error's path is
    /// built only then.
    fn cut_short(&self, req: &Request, e: reqwest::Error) -> Failure {
        Failure {
            retry: req.is_idempotent()
                && (e.is_timeout() || e.is_request() || e.is_body() || e.is_decode()),
            err: self.http_error(req, e),
            retry_after: None,
        }
    }

    /// The client and the `reqwest::Request` of one attempt of `req`.
    fn prepare(&self, req: &Request, take: Take) -> Result<(&reqwest::Client, reqwest::Request)> {
        let client = match take {
            Take::Stream => self.stream_client()?,
            Take::Body { .. } => &self.inner.client,
        };
        let url = self.request_url(req)?;
        Ok((client, self.http_request(client, req, url)?))
    }

    /// Runs the interceptors' `before_send` on `request` (when there are any): the tap to
    /// report the exchange's end to, and the answer an interceptor gave instead of sending.
    pub(crate) fn intercept(
        &self,
        request: &mut reqwest::Request,
        template: &'static str,
        attempt: u32,
    ) -> (Option<Box<Tap>>, Option<reqwest::Response>) {
        if self.inner.interceptors.is_empty() {
            return (None, None);
        }
        let (tap, answer) = self
            .inner
            .interceptors
            .before_send(request, template, attempt);
        (Some(tap), answer)
    }

    /// Adds the `Authorization` header to `request` when a token is set and the request
    /// goes to the configured origin (the token never goes anywhere else). Runs after the
    /// interceptors, so none of them sees or replaces it.
    pub(crate) fn authorize(&self, request: &mut reqwest::Request) {
        if let Some(auth) = &self.inner.auth {
            if self.is_home(request.url()) {
                request.headers_mut().insert(AUTHORIZATION, auth.clone());
            }
        }
    }

    /// Sends `request` with the credentials and no interceptor. Not `async`: the request
    /// moves into reqwest's future at once instead of being kept beside it.
    fn send_plain(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + use<> {
        self.authorize(&mut request);
        client.execute(request)
    }

    /// One HTTP exchange of `req`'s attempt number `attempt`: the interceptors, the
    /// credentials, then the wire (or an interceptor's answer). The tap (when interceptors
    /// ran) is to be told how the exchange ended; a failure to send is told here.
    async fn exchange(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        req: &Request,
        attempt: u32,
    ) -> std::result::Result<(reqwest::Response, Option<Box<Tap>>), Failure> {
        let (tap, answer) = self.intercept(&mut request, req.template, attempt);
        if let Some(answer) = answer {
            return Ok((answer, tap));
        }
        self.authorize(&mut request);
        match client.execute(request).await {
            Ok(resp) => Ok((resp, tap)),
            Err(e) => {
                let failure = self.send_failure(req, e);
                if let Some(tap) = tap {
                    tap.error(&failure.err);
                }
                Err(failure)
            }
        }
    }

    /// The `reqwest::Request` of one attempt of `req`, built in place (a `RequestBuilder` is
    /// moved at every step, and most requests need none of what it adds).
    fn http_request(
        &self,
        client: &reqwest::Client,
        req: &Request,
        url: Url,
    ) -> Result<reqwest::Request> {
        // No credentials yet: `exchange` adds them after the interceptors ran.
        let mut request = reqwest::Request::new(req.method.clone(), url);
        // The client applies the transport's timeout (streams go through a client without
        // one); a request's own replaces it. Set only when there is one: reqwest keeps it in a
        // type map that the first write allocates.
        if req.timeout.is_some() {
            *request.timeout_mut() = req.timeout;
        }
        let (content_type, body) = match &req.body {
            Body::Empty => return Ok(request),
            Body::Json(bytes) => (HeaderValue::from_static("application/json"), bytes),
            Body::Raw {
                bytes,
                content_type,
            } => (
                HeaderValue::from_str(content_type).map_err(|_| {
                    Error::InvalidArgument(format!(
                        "{} {}: content type {content_type:?} is not a valid header value",
                        req.method,
                        self.full_path(req)
                    ))
                })?,
                bytes,
            ),
            Body::Multipart { fields, files } => {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in fields {
                    form = form.text(k.clone(), v.clone());
                }
                for f in files {
                    let part =
                        reqwest::multipart::Part::stream(reqwest::Body::from(f.bytes.clone()))
                            .file_name(f.filename.clone())
                            .mime_str(&f.content_type)
                            .unwrap_or_else(|_| {
                                reqwest::multipart::Part::bytes(f.bytes.to_vec())
                                    .file_name(f.filename.clone())
                            });
                    form = form.part(f.name.clone(), part);
                }
                return reqwest::RequestBuilder::from_parts(client.clone(), request)
                    .multipart(form)
                    .build()
                    .map_err(|e| self.http_error(req, e));
            }
        };
        request.headers_mut().insert(CONTENT_TYPE, content_type);
        *request.body_mut() = Some(body.clone().into());
        Ok(request)
    }

    /// Attempt number `attempt` of `req`.
    async fn attempt(
        &self,
        req: &Request,
        take: Take,
        attempt: u32,
    ) -> std::result::Result<Answer, Failure> {
        let method = req.method.as_str();
        let (client, request) = self.prepare(req, take).map_err(Failure::fatal)?;
        let (mut resp, mut tap) = if self.inner.interceptors.is_empty() {
            let sent = self.send_plain(client, request).await;
            (sent.map_err(|e| self.send_failure(req, e))?, None)
        } else {
            // Boxed: the interceptors' state stays out of the future of every request.
            Box::pin(self.exchange(client, request, req, attempt)).await?
        };
        if resp.status().is_redirection() {
            // Boxed: few requests meet a redirect, and the state of the loop that follows
            // them would otherwise grow the future of every request.
            (resp, tap) = Box::pin(self.follow_redirects(req, client, resp, tap, attempt)).await?;
        }
        let status = resp.status();
        let code = status.as_u16();
        let allow_404 = matches!(take, Take::Body { allow_404: true });
        if status.is_success() || (allow_404 && code == 404) {
            if take == Take::Stream {
                if let Some(tap) = tap {
                    tap.response(status, resp.headers(), None);
                }
                return Ok(Answer::Stream(resp));
            }
            let outcome = match read_limited(&mut resp, self.inner.max_body_size, true).await {
                Ok(raw) => {
                    if let Some(tap) = tap {
                        tap.response(status, &raw.headers, Some(&raw.body));
                    }
                    return Ok(Answer::Full(raw));
                }
                Err(ReadError::Http(e)) => self.cut_short(req, e),
                Err(ReadError::TooLarge) => Failure {
                    err: Error::BodyTooLarge {
                        method: method.into(),
                        path: self.full_path(req),
                        status: code,
                        limit: self.inner.max_body_size,
                    },
                    retry: false,
                    retry_after: None,
                },
            };
            if let Some(tap) = tap {
                tap.error(&outcome.err);
            }
            return Err(outcome);
        }
        let retry_after = parse_retry_after(resp.headers());
        let limit = self.inner.max_body_size.min(MAX_ERROR_BODY);
        let body = match read_limited(&mut resp, limit, false).await {
            Ok(raw) => {
                if let Some(tap) = tap {
                    tap.response(status, &raw.headers, Some(&raw.body));
                }
                raw.body
            }
            Err(ReadError::Http(e)) => {
                let failure = self.cut_short(req, e);
                if let Some(tap) = tap {
                    tap.error(&failure.err);
                }
                return Err(failure);
            }
            // Not met: an error body is cut at the limit, never refused.
            Err(ReadError::TooLarge) => {
                if let Some(tap) = tap {
                    tap.response(status, resp.headers(), None);
                }
                Bytes::new()
            }
        };
        let err = self.api_error(method, &self.full_path(req), code, retry_after, &body);
        let not_configured = err.code().is_some_and(|c| c.ends_with("_not_configured"));
        let retry = !not_configured
            && if req.is_idempotent() {
                matches!(code, 429 | 502 | 503 | 504)
            } else {
                matches!(code, 429 | 503) && retry_after.is_some()
            };
        Err(Failure {
            err,
            retry,
            retry_after,
        })
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
        let answer = match req.deadline {
            None => self.execute(req, Take::Body { allow_404 }).await?,
            // Boxed: only calls with a deadline pay for the timer in their future.
            Some(d) => {
                within_deadline(
                    req,
                    d,
                    Box::pin(self.execute(req, Take::Body { allow_404 })),
                )
                .await?
            }
        };
        match answer {
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
        let answer = match req.deadline {
            None => self.execute(req, Take::Stream).await?,
            Some(d) => within_deadline(req, d, Box::pin(self.execute(req, Take::Stream))).await?,
        };
        match answer {
            Answer::Stream(resp) => Ok(resp),
            Answer::Full(_) => unreachable!("a stream was asked for"),
        }
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

    fn decode_raw<T: DeserializeOwned>(&self, req: &Request, raw: &RawResponse) -> Result<T> {
        decode_body(&raw.body).map_err(|at| {
            decode_error(
                req.method.as_str(),
                &self.full_path(req),
                raw.status,
                &raw.body,
                at,
                &self.secrets(),
            )
        })
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

/// Runs `fut` (a whole call) under the request's deadline `d`.
async fn within_deadline<T>(
    req: &Request,
    d: Duration,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(d, fut).await {
        Ok(result) => result,
        Err(_) => Err(Error::Timeout {
            what: format!("{} {}", req.method, req.template),
            after: d,
            instance_id: None,
        }),
    }
}

/// The start of an error answer's body (at most 1 MiB is read); empty when reading failed.
pub(crate) async fn read_error_body(mut resp: reqwest::Response) -> Bytes {
    match read_limited(&mut resp, MAX_ERROR_BODY, false).await {
        Ok(raw) => raw.body,
        Err(_) => Bytes::new(),
    }
}

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

/// Reads the whole body, refusing one over `limit` bytes (by its `Content-Length` before
/// reading, or as it arrives). With `strict` off, a body over the limit is cut at the limit
/// instead (error answers keep only their start).
async fn read_limited(
    resp: &mut reqwest::Response,
    limit: u64,
    strict: bool,
) -> std::result::Result<RawResponse, ReadError> {
    let declared = resp.content_length();
    if strict && declared.is_some_and(|n| n > limit) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Collected::Nothing;
    let mut total: u64 = 0;
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Http)? {
        total = total.saturating_add(chunk.len() as u64);
        if total > limit {
            if strict {
                return Err(ReadError::TooLarge);
            }
            let keep = chunk.len() - (total - limit) as usize;
            body.push(declared, limit, chunk.slice(..keep));
            break;
        }
        body.push(declared, limit, chunk);
    }
    if total <= limit && resp.version() <= reqwest::Version::HTTP_11 && on_multi_thread_runtime() {
        // The body is read to its end, but the HTTP/1 connection goes back to the pool only
        // when hyper's task that watches it runs (it is woken now). Without giving it that
        // turn, a caller that sends its next request at once finds no idle connection, opens
        // another, and then gets the old one anyway: under load the pool ends up with nearly
        // twice as many connections as requests in flight (see BENCHMARKS.md).
        YieldOnce(false).await;
    }
    // The headers stay in the response until here: the future of this function is smaller
    // when less is held across its awaits.
    Ok(RawResponse {
        status: resp.status().as_u16(),
        headers: std::mem::take(resp.headers_mut()),
        body: body.into_bytes(),
    })
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

/// A body being read: nothing yet, one chunk (kept as it came, not copied), or several
/// chunks copied into one buffer.
enum Collected {
    Nothing,
    One(Bytes),
    Many(bytes::BytesMut),
}

impl Collected {
    /// Adds `chunk`; at the second chunk, a buffer of the declared length (at most `limit`) is
    /// made, so a body is copied once.
    fn push(&mut self, declared: Option<u64>, limit: u64, chunk: Bytes) {
        match self {
            Collected::Many(buf) => buf.extend_from_slice(&chunk),
            Collected::One(one) => {
                let cap = declared.unwrap_or(0).min(limit) as usize;
                let mut buf = bytes::BytesMut::with_capacity(cap.max(one.len() + chunk.len()));
                buf.extend_from_slice(one);
                buf.extend_from_slice(&chunk);
                *self = Collected::Many(buf);
            }
            Collected::Nothing => *self = Collected::One(chunk),
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Collected::Nothing => Bytes::new(),
            Collected::One(one) => one,
            Collected::Many(buf) => buf.freeze(),
        }
    }
}

fn to_download(raw: RawResponse) -> Download {
    let header = |name| {
        raw.headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(CONTENT_TYPE);
    let filename = header(reqwest::header::CONTENT_DISPOSITION).and_then(|d| {
        d.split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("filename="))
            .map(|f| f.trim_matches('"').to_owned())
    });
    Download {
        bytes: raw.body,
        content_type,
        filename,
    }
}

/// Decodes `body` as `T`, reporting the serde path and a snippet on failure.
///
/// # Errors
/// [`Error::Decode`].
pub fn decode<T: DeserializeOwned>(req: &Request, status: u16, body: &[u8]) -> Result<T> {
    decode_body(body)
        .map_err(|failure| decode_error(req.method.as_str(), &req.path, status, body, failure, &[]))
}

/// The [`Error::Decode`] of a body that did not decode, its snippet redacted (masking each of
/// `secrets` too) before it is cut, and so is the body's text that serde's message quotes.
fn decode_error(
    method: &str,
    path: &str,
    status: u16,
    body: &[u8],
    (at, source): (String, serde_json::Error),
    secrets: &[Option<&str>],
) -> Error {
    Error::Decode {
        method: method.to_owned(),
        path: path.to_owned(),
        status,
        at,
        snippet: redacted_snippet(body, secrets),
        source: shown_source(source, secrets),
    }
}

/// `source` as an error may show it. Serde's message quotes what it refused (`invalid type:
/// string "…"`, `unknown variant `…``), the server's text, whole: when that text carries a
/// secret or is longer than [`crate::SNIPPET_LEN`], a copy of the error with the message
/// redacted, then cut (its line and column kept); otherwise `source` itself.
pub(crate) fn shown_source(
    source: serde_json::Error,
    secrets: &[Option<&str>],
) -> serde_json::Error {
    let full = source.to_string();
    let position = if source.line() == 0 {
        String::new()
    } else {
        format!(" at line {} column {}", source.line(), source.column())
    };
    let message = full.strip_suffix(position.as_str()).unwrap_or(&full);
    let shown = redacted_snippet(message.as_bytes(), secrets);
    if shown == message {
        return source;
    }
    // serde_json reads the position back from the message's end.
    <serde_json::Error as serde::de::Error>::custom(format_args!("{shown}{position}"))
}

/// Decodes `body` plainly; only on failure is it decoded again with the path tracked, to say
/// where it failed.
fn decode_body<T: DeserializeOwned>(
    body: &[u8],
) -> std::result::Result<T, (String, serde_json::Error)> {
    // An empty body decodes like JSON `null`, so `()`/`Option` targets accept 204s.
    let body: &[u8] = if body.is_empty() { b"null" } else { body };
    serde_json::from_slice(body).map_err(|plain| {
        let de = &mut serde_json::Deserializer::from_slice(body);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Err(e) => (e.path().to_string(), e.into_inner()),
            Ok(_) => (".".to_owned(), plain),
        }
    })
}

/// Parses `Retry-After`: delay-seconds (fractions accepted) or an HTTP date. A number too
/// large to represent is [`Duration::MAX`] (longer than any cap); negative, NaN or unparsable
/// values count as absent.
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = std::str::from_utf8(headers.get(RETRY_AFTER)?.as_bytes())
        .ok()?
        .trim();
    parse_retry_after_value(v)
}

/// How long a `Retry-After` header value asks to wait: delay seconds (fractions allowed) or
/// an HTTP date; `None` for a value that is neither (or negative / not a number). A value
/// too large to represent is [`Duration::MAX`], longer than any cap.
pub fn parse_retry_after_value(v: &str) -> Option<Duration> {
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(v.parse::<u64>().map_or(Duration::MAX, Duration::from_secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_nan() || secs < 0.0 {
            return None;
        }
        return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    httpdate::parse_http_date(v).ok().map(|t| {
        t.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SNIPPET_LEN;

    /// The defaults `TransportBuilder`'s docs (and the README) state: a 60 s request
    /// timeout, a 10 s connect timeout, a 64 MiB body cap, the `/api/v1` prefix and the
    /// default retry policy.
    #[test]
    fn builder_defaults_are_the_documented_ones() {
        let b = TransportBuilder::new("http://127.0.0.1:9");
        assert_eq!(b.timeout, Some(Duration::from_secs(60)));
        assert_eq!(b.connect_timeout, Duration::from_secs(10));
        assert_eq!(b.max_body_size, 64 * 1024 * 1024);
        assert_eq!(DEFAULT_MAX_BODY_SIZE, 64 * 1024 * 1024);
        assert_eq!(b.api_prefix, "/api/v1");
        assert_eq!(b.user_agent, concat!("ctfy-rs/", env!("CARGO_PKG_VERSION")));
        let t = b.build().unwrap();
        assert_eq!(t.inner.timeout, Some(Duration::from_secs(60)));
        assert_eq!(t.inner.max_body_size, DEFAULT_MAX_BODY_SIZE);
        let p = t.retry_policy();
        assert_eq!(p.max_retries, RetryPolicy::default().max_retries);
        assert_eq!(p.max_retry_after, RetryPolicy::default().max_retry_after);
        // Error bodies are read up to 1 MiB whatever the cap.
        assert_eq!(MAX_ERROR_BODY, 1024 * 1024);
    }

    #[test]
    fn base_url_gets_the_prefix_once() {
        for raw in [
            "http://h:1",
            "http://h:1/",
            "http://h:1/api/v1",
            "http://h:1/api/v1/",
        ] {
            assert_eq!(
                normalize_base(raw, "/api/v1").unwrap().as_str(),
                "http://h:1/api/v1"
            );
        }
        assert_eq!(
            normalize_base("https://h/ctf/", "/api/v1")
                .unwrap()
                .as_str(),
            "https://h/ctf/api/v1"
        );
        assert!(normalize_base("ftp://h", "/api/v1").is_err());
        assert!(normalize_base("not a url", "/api/v1").is_err());
    }

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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any header text: no panic; digits are seconds (or MAX when too many), negative and
        /// NaN are absent.
        #[test]
        fn props_retry_after_never_panics(v in ".{0,40}") {
            let _ = parse_retry_after_value(&v);
        }

        #[test]
        fn props_retry_after_numbers(n in proptest::prelude::any::<u64>(), f in proptest::prelude::any::<f64>()) {
            proptest::prop_assert_eq!(parse_retry_after_value(&n.to_string()), Some(Duration::from_secs(n)));
            let got = parse_retry_after_value(&format!("{f}"));
            if f.is_nan() || f < 0.0 {
                proptest::prop_assert_eq!(got, None);
            } else {
                proptest::prop_assert!(got.is_some());
            }
        }
    }

    #[test]
    fn absurd_retry_after_values_are_longer_than_any_cap() {
        for v in ["1e20", "99999999999999999999", "1e308", "inf"] {
            assert_eq!(parse_retry_after_value(v), Some(Duration::MAX), "{v}");
        }
        for v in ["-5", "NaN", "soon", "", "-0.5"] {
            assert_eq!(parse_retry_after_value(v), None, "{v}");
        }
        assert_eq!(
            parse_retry_after_value("0.25"),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn base_urls_with_credentials_are_refused_without_showing_them() {
        let err = Transport::builder("http://user:hunter2@h:1")
            .build()
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("credentials"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    /// Awaiting a request builder boxes its future. At most 1 KiB keeps that allocation on the
    /// allocator's fast path (glibc serves up to 1 KiB from per-thread caches) and the copy into
    /// it short; it was 1.9 KiB before #13's second pass. A guard against a future that grows.
    #[test]
    fn the_future_of_a_call_fits_in_one_kib() {
        let t = Transport::builder("http://127.0.0.1:1").build().unwrap();
        let json = crate::__private::Call::new(&t, Request::get("/x/{id}", &["a"]))
            .json::<serde_json::Value>();
        let empty = crate::__private::Call::new(&t, Request::post("/x", &[])).empty();
        let download = crate::__private::Call::new(&t, Request::get("/x", &[])).download();
        for (what, size) in [
            ("json", std::mem::size_of_val(&json)),
            ("empty", std::mem::size_of_val(&empty)),
            ("download", std::mem::size_of_val(&download)),
        ] {
            assert!(size <= 1024, "the future of Call::{what} is {size} bytes");
        }
    }

    /// serde's message quotes the refused string: redacted and cut, with its position kept;
    /// a message that needs neither is serde's own error.
    #[test]
    fn decode_errors_quote_the_server_s_text_redacted_and_cut() {
        #[derive(Debug, serde::Deserialize)]
        struct Id {
            #[allow(dead_code)]
            id: u32,
        }
        let req = Request::get("/x", &[]).unwrap();
        let source = |body: &[u8]| match decode::<Id>(&req, 200, body).unwrap_err() {
            Error::Decode { source, .. } => source,
            other => panic!("{other:?}"),
        };
        let plain = source(br#"{"id": true}"#);
        assert_eq!(
            plain.to_string(),
            "invalid type: boolean `true`, expected u32 at line 1 column 11"
        );
        let masked = source(br#"{"id": "a?token=pt_zz"}"#);
        assert_eq!(
            masked.to_string(),
            r#"invalid type: string "a?token=<redacted>", expected u32 at line 1 column 22"#
        );
        assert_eq!((masked.line(), masked.column()), (1, 22));
        let long = format!(r#"{{"id": "{}"}}"#, "x".repeat(100_000));
        let cut = source(long.as_bytes());
        let shown = cut.to_string();
        assert!(shown.len() < SNIPPET_LEN + 64, "{} bytes", shown.len());
        assert!(
            shown.starts_with(r#"invalid type: string "xxx"#)
                && shown.ends_with("… at line 1 column 100009"),
            "{shown}"
        );
        assert_eq!((cut.line(), cut.column()), (1, 100_009));
    }

    /// serde's message, now only in the source of a decode error, is redacted there: the
    /// whole chain (what anyhow's `{:#}` prints) and the Debug never show the token.
    #[test]
    fn the_chain_of_a_decode_error_never_shows_the_token() {
        const TOKEN: &str = "pt_chainCanary42";
        let t = Transport::builder("http://127.0.0.1:1")
            .token(TOKEN)
            .build()
            .unwrap();
        let body = format!(r#"{{"id": "{TOKEN}"}}"#);
        let quoting = || serde_json::from_str::<u32>(&format!("\"{TOKEN}\"")).unwrap_err();
        assert!(quoting().to_string().contains(TOKEN));
        let failure = ("id".to_owned(), quoting());
        let decode = decode_error("GET", "/x", 200, body.as_bytes(), failure, &t.secrets());
        let event = t.event_decode_error("instance_status", &body, quoting());
        for e in [decode, event] {
            let source = std::error::Error::source(&e).unwrap().to_string();
            assert!(source.contains("<redacted>"), "{source}");
            let shown = format!("{} {:#} {e:?}", e.report(), e);
            assert!(!shown.contains(TOKEN), "{shown}");
        }
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(parse_retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h), None);
    }
}
