//! The one error type of the SDK.

use std::time::Duration;

use ctfy_models::{InstanceId, InvalidId};
use serde_json::Value;

/// What every fallible SDK call returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to the platform or a node.
///
/// Nothing is lost on the way: API errors keep the HTTP status, the platform's `code` and its
/// `detail` (a string or an object); decode errors keep the serde path and the start of the
/// body; transport errors keep their source. No variant ever contains a token, and every text
/// that comes from the server is redacted, then bounded (to [`SNIPPET_LEN`] bytes for each
/// string), the text of the sources included.
///
/// An error's message (`Display`) never repeats the error its
/// [`source`](std::error::Error::source) returns: print [`Error::report`] (or `anyhow`'s
/// `{:#}`) for the whole chain on one line. The variants with fields are `#[non_exhaustive]`:
/// match them with `..`; build the ones a test of your code needs with [`ApiError::new`],
/// [`Error::timeout`], [`Error::instance_failed`] or [`Error::task_failed`].
///
/// ```
/// use std::time::Duration;
/// use ctfy_transport::Error;
///
/// let e = Error::timeout("the flag checker", Duration::from_secs(5), None);
/// if let Error::Timeout { after, .. } = &e {
///     assert_eq!(*after, Duration::from_secs(5));
/// }
/// ```
///
/// A variant with fields cannot be built, or matched without `..`, outside the SDK:
///
/// ```compile_fail,E0639
/// # use ctfy_transport::Error;
/// let e = Error::Timeout { what: "x".into(), after: std::time::Duration::ZERO, instance_id: None };
/// ```
///
/// ```compile_fail,E0638
/// # use ctfy_transport::Error;
/// # fn f(e: Error) {
/// if let Error::Timeout { what, after, instance_id } = e {}
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),

    /// The server answered with a success status, but the body was not what the SDK expected.
    ///
    /// Its message names the request, the serde path and the start of the body; serde's own
    /// message (what it expected) is the [`source`](std::error::Error::source).
    #[error(
        "could not decode the response to {method} {path} (HTTP {status}) at `{at}` (body starts with: {snippet})"
    )]
    #[non_exhaustive]
    Decode {
        /// HTTP method of the request.
        method: String,
        /// Path of the request (no query string).
        path: String,
        /// HTTP status of the response.
        status: u16,
        /// Where in the document decoding failed (serde path, `.` for the root).
        at: String,
        /// The first bytes of the body (at most [`SNIPPET_LEN`] bytes, lossily decoded).
        snippet: String,
        /// The underlying serde error.
        #[source]
        source: serde_json::Error,
    },

    /// The request never got a complete answer: connection refused or reset, DNS, TLS, a timeout…
    /// The message names the request and the origin tried, and says what kind of failure it
    /// was (`GET http://127.0.0.1:8000/api/v1/health: could not connect`); reqwest's error,
    /// the [`source`](std::error::Error::source), says more.
    #[error("{method} {origin}{path}: {}", http_kind(.source))]
    #[non_exhaustive]
    Http {
        /// HTTP method of the request.
        method: String,
        /// The origin the request went to (`scheme://host:port`; never credentials).
        origin: String,
        /// Path of the request (no query string).
        path: String,
        /// The underlying reqwest error, with its URL stripped (URLs may carry a token).
        #[source]
        source: reqwest::Error,
    },

    /// The server redirected a request, and following would have changed what the request
    /// means or risked the token: the request is not idempotent (POST, PATCH), the status
    /// would turn a PUT or DELETE into a GET (301, 302, 303), the target is on another origin
    /// or carries a secret (`token=`…), the URL requested carries one, the `Location` is
    /// missing or not a URL, or five redirects were followed already. The SDK does not follow
    /// it. (See [`TransportBuilder::http_client_with`](crate::TransportBuilder::http_client_with)
    /// for the redirects it does follow.)
    #[error(
        "{method} {path}: HTTP {status} redirect to {location:?} was not followed (the SDK follows only GET/HEAD, or other idempotent requests on 307/308, to the same origin, at most 5 times, never to or from a URL that carries a token)"
    )]
    #[non_exhaustive]
    Redirect {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// The redirect status.
        status: u16,
        /// The `Location` header, if any, redacted (`token=` values, userinfo and the token
        /// masked), then cut to at most [`SNIPPET_LEN`] bytes (`…` appended when cut).
        location: Option<String>,
    },

    /// The response body was larger than the configured limit
    /// ([`TransportBuilder::max_body_size`](crate::TransportBuilder::max_body_size), 64 MiB by
    /// default); it was not read to the end.
    #[error("{method} {path}: the response body (HTTP {status}) is larger than {limit} bytes")]
    #[non_exhaustive]
    BodyTooLarge {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// HTTP status of the response.
        status: u16,
        /// The limit in bytes.
        limit: u64,
    },

    /// An identifier or path segment was refused before anything was sent: empty, `.`, `..`,
    /// or containing `/` or `\\`.
    /// Its message is the [`InvalidId`]'s own (which names the kind of identifier).
    #[error(transparent)]
    InvalidId(#[from] InvalidId),

    /// A path segment, URL, header or argument was refused before anything was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A challenge instance ended in the `error` state (or was stopped) while the SDK waited
    /// for it to become ready.
    #[error("instance {instance_id} failed to start: {message}")]
    #[non_exhaustive]
    InstanceFailed {
        /// The instance.
        instance_id: InstanceId,
        /// The platform's error text.
        message: String,
    },

    /// A client-side wait (e.g. for an instance to become ready) ran out of time.
    #[error("timed out after {after:?} waiting for {what}")]
    #[non_exhaustive]
    Timeout {
        /// What the SDK waited for.
        what: String,
        /// How long it waited.
        after: Duration,
        /// The instance waited for, when the wait concerned one (see [`Error::instance_id`]).
        instance_id: Option<InstanceId>,
    },

    /// A local VPN tunnel (`instances().tunnel`) could not be opened or closed: no usable
    /// WireGuard backend (the message says what to install or which privilege is missing),
    /// or the backend failed (the message ends with the tail of its output).
    #[error("tunnel: {0}")]
    Tunnel(String),

    /// An event stream failed in a way that is not an HTTP answer: it went silent past its
    /// idle timeout, no response came, the server answered with something that is not an
    /// event stream, or the shared stream was closed. [`StreamError::kind`] says which;
    /// [`Error::is_timeout`] and [`Error::is_retryable`] see the timeouts.
    #[error("event stream: {0}")]
    Stream(StreamError),

    /// One frame of an event stream could not be decoded into its typed payload. The stream
    /// yields this as an item and goes on with the next frame. serde's message is the
    /// [`source`](std::error::Error::source).
    #[error("could not decode the `{event}` event (data starts with: {snippet})")]
    #[non_exhaustive]
    EventDecode {
        /// The frame's event name.
        event: String,
        /// The start of the frame's data (at most [`SNIPPET_LEN`] bytes).
        snippet: String,
        /// The underlying serde error.
        #[source]
        source: serde_json::Error,
    },

    /// The HTTP client or its TLS configuration could not be built
    /// ([`TransportBuilder::build`](crate::TransportBuilder::build), or the first event
    /// stream of a transport with a request timeout, which gets a client of its own). The
    /// [`source`](std::error::Error::source) is the error of reqwest or rustls. Usually a
    /// setting of an [`http_client_with`](crate::TransportBuilder::http_client_with) hook
    /// that the TLS backend refuses.
    #[error("could not build {what}")]
    #[non_exhaustive]
    Build {
        /// What could not be built: `the HTTP client` or `the TLS configuration`.
        what: &'static str,
        /// Why (reqwest's or rustls's error).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// A task the SDK ran for this call ended without handing back its result: it panicked
    /// (a bug: please report it), or it was cancelled because its tokio runtime shut down.
    #[error("the {task} task {}", if *.panicked { "panicked" } else { "was cancelled (its runtime shut down)" })]
    #[non_exhaustive]
    TaskFailed {
        /// Which task: `instance launch`, `shared event stream`.
        task: &'static str,
        /// Whether it panicked (`false`: it was cancelled).
        panicked: bool,
    },
}

/// What went wrong with an event stream ([`Error::Stream`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    kind: StreamErrorKind,
    message: String,
}

/// The kinds of [`StreamError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// Nothing at all (not even a keepalive comment) arrived for the idle timeout. Retryable.
    IdleTimeout,
    /// The server sent no response headers within the idle timeout. Retryable.
    NoResponse,
    /// The server answered `2xx` with a body that is not `text/event-stream`. Final.
    NotEventStream,
    /// The connection failed and the stream gave up (its `max_attempts` or no reconnection);
    /// the message says how. Retryable.
    Connection,
    /// The stream was closed on this side: the client was shut down
    /// (`PlatformClient::shutdown`) or the runtime that drove a shared stream stopped. Final.
    Closed,
}

impl StreamError {
    /// An error of `kind` with this message (already free of secrets and bounded).
    pub(crate) fn new(kind: StreamErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> StreamErrorKind {
        self.kind
    }

    /// The text describing it (no secret, bounded).
    pub fn message(&self) -> &str {
        &self.message
    }

    fn is_timeout(&self) -> bool {
        matches!(
            self.kind,
            StreamErrorKind::IdleTimeout | StreamErrorKind::NoResponse
        )
    }
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StreamError {}

/// How many bytes of an undecodable body an error keeps.
/// How many bytes of an undecodable body an error keeps; also the bound of every other text
/// from the server that an error keeps (a `Location`, an API error's `code`, `timestamp` and
/// each string of its `detail`).
pub const SNIPPET_LEN: usize = 512;

/// The largest JSON form of an API error's `detail` kept as it is (16 KiB); a larger one is
/// kept as a snippet of its JSON, a string.
const MAX_DETAIL_JSON: usize = 16 * 1024;

/// How much of a server's text is redacted before the snippet is cut from it: beyond the cut
/// by far more than any token, so that a secret that starts before the cut is masked whole.
const REDACT_WINDOW: usize = SNIPPET_LEN + 64 * 1024;

/// [`Error::report`]: an error and its sources, joined with `: `.
struct Report<'a>(&'a Error);

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = std::error::Error::source(self.0);
        while let Some(e) = next {
            write!(f, ": {e}")?;
            next = e.source();
        }
        Ok(())
    }
}

fn http_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "error reading the body"
    } else {
        "transport error"
    }
}

impl Error {
    /// An [`Error::Timeout`]: a wait for `what` gave up after `after`; `instance_id` is the
    /// instance it waited on, if any. For code that runs waits of its own beside the SDK's,
    /// and for tests of code that handles the SDK's errors.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ctfy_transport::Error;
    ///
    /// let e = Error::timeout("the scoreboard to open", Duration::from_secs(30), None);
    /// assert!(e.is_timeout() && e.is_retryable());
    /// assert_eq!(e.to_string(), "timed out after 30s waiting for the scoreboard to open");
    /// ```
    pub fn timeout(
        what: impl Into<String>,
        after: Duration,
        instance_id: Option<InstanceId>,
    ) -> Self {
        Error::Timeout {
            what: what.into(),
            after,
            instance_id,
        }
    }

    /// An [`Error::InstanceFailed`]: `instance_id` ended in the `error` state (or was stopped)
    /// with the platform's `message`. For tests of code that handles the SDK's errors.
    ///
    /// ```
    /// use ctfy_transport::Error;
    /// use ctfy_models::InstanceId;
    ///
    /// let e = Error::instance_failed(InstanceId::new("i-1").unwrap(), "image pull failed");
    /// assert_eq!(e.instance_id().map(|id| id.as_str()), Some("i-1"));
    /// assert!(!e.is_retryable());
    /// ```
    pub fn instance_failed(instance_id: InstanceId, message: impl Into<String>) -> Self {
        Error::InstanceFailed {
            instance_id,
            message: message.into(),
        }
    }

    /// An [`Error::TaskFailed`]: the `task` the SDK ran for a call panicked (`panicked`) or
    /// was cancelled. For the SDK's crates that run work in tasks of their own (the launch
    /// of an instance), and for tests of code that handles the SDK's errors.
    pub fn task_failed(task: &'static str, panicked: bool) -> Self {
        Error::TaskFailed { task, panicked }
    }

    /// This error followed by each of its [`source`](std::error::Error::source)s, joined with
    /// `: ` — what `anyhow`'s `{:#}` prints. An error's own `Display` never repeats its
    /// source, so `{}` alone leaves out the cause's text (serde's message for a
    /// [`Error::Decode`], reqwest's for an [`Error::Http`]); print this where only one line
    /// is shown (a log, a command-line tool's message).
    ///
    /// ```
    /// fn log_failure(e: &ctfy_transport::Error) {
    ///     // e.g. `GET http://127.0.0.1:8000/api/v1/health: could not connect: <reqwest's reason>`
    ///     eprintln!("request failed: {}", e.report());
    /// }
    /// # log_failure(&ctfy_transport::Error::task_failed("demo", true));
    /// ```
    pub fn report(&self) -> impl std::fmt::Display + '_ {
        Report(self)
    }

    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of an API error or of an undecodable response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode { status, .. }
            | Error::Redirect { status, .. }
            | Error::BodyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The platform's error `code` (e.g. `instance_not_found`), if this is an API error that had one.
    pub fn code(&self) -> Option<&str> {
        self.api().and_then(|e| e.code.as_deref())
    }

    /// Whether this is an API error with status 404 (e.g. `instance_not_found`).
    pub fn is_not_found(&self) -> bool {
        self.api_status() == Some(404)
    }

    /// Whether this is an API error with status 401: the request carried no token (or
    /// another scheme than `Bearer`), or a login was refused (`invalid_credentials`).
    ///
    /// The platform answers a token it does not accept (unknown, revoked, expired) with
    /// **403**, not 401: to ask "is my token still good?", use [`Error::is_auth_failure`].
    pub fn is_unauthorized(&self) -> bool {
        self.api_status() == Some(401)
    }

    /// Whether the credentials are not good: a 401 (no token, a refused login), or the 403 the
    /// platform answers for a token it does not accept (`Invalid or revoked token`, `Token has
    /// expired`). Refresh or replace the token when this is true; a 403 for a token that is
    /// valid but may not do this ([`Error::is_forbidden`] alone) is not an auth failure.
    ///
    /// ```
    /// use ctfy_transport::{ApiError, Error};
    ///
    /// let revoked: Error = ApiError::new(403).with_code("http_403").with_detail("Invalid or revoked token").into();
    /// assert!(revoked.is_auth_failure() && !revoked.is_unauthorized());
    /// let not_yours: Error = ApiError::new(403).with_code("forbidden").with_detail("Not your instance").into();
    /// assert!(!not_yours.is_auth_failure());
    /// ```
    pub fn is_auth_failure(&self) -> bool {
        let Some(api) = self.api() else {
            return false;
        };
        match api.status {
            401 => true,
            403 => matches!(
                api.detail.as_str(),
                Some("Invalid or revoked token" | "Token has expired")
            ),
            _ => false,
        }
    }

    /// For a failed request that is not idempotent (a POST or PATCH: a flag submission, an
    /// instance launch, a registration), whether the server may have acted on it: look
    /// (list the instances, the submissions, the teams) before you repeat it. `false` when it
    /// certainly did not (the connection never opened, the request was refused before it was
    /// sent, a 4xx or a 503/429 the platform answers before acting) and for idempotent
    /// requests, which are safe to repeat.
    ///
    /// `true` for: a transport failure after the request may have been written (reset,
    /// timeout, a body cut short); a 500/502/504 (the server or a proxy failed, maybe after
    /// acting); a redirect or an undecodable success answer (the server answered, so it
    /// acted); a start's deadline ([`Error::Timeout`]): its launch may have gone through,
    /// even when the error names no instance yet (the SDK stops any instance such a start
    /// created, unless told to keep it); and [`Error::TaskFailed`]: what the task had sent
    /// before it panicked or was cancelled is unknown.
    ///
    /// ```
    /// use ctfy_transport::{ApiError, Error};
    ///
    /// let e: Error = ApiError::new(502).with_request("POST", "/api/v1/submissions").into();
    /// assert!(e.may_have_been_applied());
    /// let e: Error = ApiError::new(429).with_request("POST", "/api/v1/instances").into();
    /// assert!(!e.may_have_been_applied());
    /// let e: Error = ApiError::new(502).with_request("GET", "/api/v1/health").into();
    /// assert!(!e.may_have_been_applied());
    /// ```
    pub fn may_have_been_applied(&self) -> bool {
        fn unsafe_to_repeat(method: &str) -> bool {
            method.eq_ignore_ascii_case("POST") || method.eq_ignore_ascii_case("PATCH")
        }
        match self {
            Error::Http { method, source, .. } => {
                unsafe_to_repeat(method) && !source.is_connect() && !source.is_builder()
            }
            Error::Api(e) => unsafe_to_repeat(&e.method) && matches!(e.status, 500 | 502 | 504),
            Error::Decode { method, .. }
            | Error::Redirect { method, .. }
            | Error::BodyTooLarge { method, .. } => unsafe_to_repeat(method),
            Error::Timeout { .. } | Error::TaskFailed { .. } => true,
            _ => false,
        }
    }

    /// Whether this is an API error with status 403: the token is valid but may not do this
    /// (not registered, not a member, a `pf_` token on a session-only route — see
    /// [`ApiError::is_session_required`]).
    pub fn is_forbidden(&self) -> bool {
        self.api_status() == Some(403)
    }

    /// Whether this is an API error with status 409: the request conflicts with the current
    /// state (already a member, already solved, a name taken…).
    pub fn is_conflict(&self) -> bool {
        self.api_status() == Some(409)
    }

    /// Whether this is an API error with status 429: too many requests, or a per-team limit
    /// such as `team_capacity_exceeded`. [`Error::retry_after`] says how long the server asked
    /// to wait, when it did.
    pub fn is_rate_limited(&self) -> bool {
        self.api_status() == Some(429)
    }

    /// Whether the platform refused an event stream because the caller holds too many
    /// (`429 too_many_streams`; the cap is per account, 512 by default). Final for that stream:
    /// close other streams of the account (the SDK shares one per client) before opening more.
    pub fn is_stream_limit(&self) -> bool {
        self.api_status() == Some(429) && self.code() == Some(crate::events::TOO_MANY_STREAMS)
    }

    /// How long the server asked the client to wait before trying again (`Retry-After`), when
    /// it did. The SDK already honoured it for its own retries (up to
    /// [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after)); a value
    /// here means the wait was longer than that or the retries ran out.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|e| e.retry_after)
    }

    /// Whether the same call may succeed if made again later, once the SDK's own retries are
    /// spent: 429 and 502/503/504 answers (but not a 503 whose code ends in
    /// `_not_configured`, which is final), connection failures, timeouts and bodies cut short.
    /// Everything else (4xx, decode errors, refused arguments, a failed instance) will fail
    /// the same way again.
    ///
    /// Note that a POST that timed out may have been applied: check before repeating one
    /// (e.g. list instances before starting another).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => {
                matches!(e.status, 429 | 502 | 503 | 504)
                    && !e
                        .code
                        .as_deref()
                        .is_some_and(|c| c.ends_with("_not_configured"))
            }
            Error::Http { source, .. } => !source.is_builder() && !source.is_redirect(),
            Error::Timeout { .. } => true,
            Error::Stream(e) => e.is_timeout() || e.kind == StreamErrorKind::Connection,
            _ => false,
        }
    }

    /// The instance this error concerns: the one that failed to start
    /// ([`Error::InstanceFailed`]) or that a wait timed out on ([`Error::Timeout`]).
    pub fn instance_id(&self) -> Option<&InstanceId> {
        match self {
            Error::InstanceFailed { instance_id, .. } => Some(instance_id),
            Error::Timeout { instance_id, .. } => instance_id.as_ref(),
            _ => None,
        }
    }

    fn api_status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    /// Whether the request (or an event stream) timed out.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Http { source, .. } => source.is_timeout(),
            Error::Timeout { .. } => true,
            Error::Stream(e) => e.is_timeout(),
            _ => false,
        }
    }

    /// Whether the connection could not be established (the request never reached the server).
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Http { source, .. } if source.is_connect())
    }

    /// A copy of this error for one more reader of a shared stream. Variants whose source
    /// cannot be copied (a transport or decode error) become a
    /// [`StreamErrorKind::Connection`] stream error whose message is the error's
    /// [`report`](Error::report) (its text and its sources').
    pub(crate) fn fan_out(&self) -> Self {
        match self {
            Error::Api(e) => Error::Api(e.clone()),
            Error::Redirect {
                method,
                path,
                status,
                location,
            } => Error::Redirect {
                method: method.clone(),
                path: path.clone(),
                status: *status,
                location: location.clone(),
            },
            Error::Stream(e) => Error::Stream(e.clone()),
            Error::InvalidArgument(m) => Error::InvalidArgument(m.clone()),
            Error::TaskFailed { task, panicked } => Error::TaskFailed {
                task,
                panicked: *panicked,
            },
            other => Error::Stream(StreamError::new(
                StreamErrorKind::Connection,
                other.report().to_string(),
            )),
        }
    }

    pub(crate) fn stream(kind: StreamErrorKind, message: impl Into<String>) -> Self {
        Error::Stream(StreamError::new(kind, message))
    }

    pub(crate) fn http(method: &str, origin: &str, path: &str, source: reqwest::Error) -> Self {
        Error::Http {
            method: method.to_owned(),
            origin: origin.to_owned(),
            path: path.to_owned(),
            source: source.without_url(),
        }
    }
}

/// An error answer of the platform or a node.
///
/// The platform's envelope is `{"code": "...", "detail": <string | object>, "timestamp": "..."}`;
/// routes answered by the web framework itself (404 for an unknown route, 405) and the node
/// daemon send only `{"detail": ...}`. Both land here; a body that is not JSON is kept as
/// a snippet in [`ApiError::body`]. A node that names its failure sends
/// `{"detail": {"code": "...", "message": "..."}}`: [`ApiError::code`] is then the nested
/// code and [`ApiError::message`] the nested message.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The platform's stable error name (`instance_not_found`, `not_registered`, `http_403`…).
    /// From a server, at most [`SNIPPET_LEN`] bytes (`…` appended when cut).
    pub code: Option<String>,
    /// The `detail` member: a string or an object; `Null` when absent. From a server, every
    /// string in it (object keys too) is at most [`SNIPPET_LEN`] bytes, and a detail whose
    /// JSON form is over 16 KiB is kept as the start of that JSON, a string.
    pub detail: Value,
    /// The envelope's `timestamp`, when present (from a server, at most [`SNIPPET_LEN`]
    /// bytes).
    pub timestamp: Option<String>,
    /// How long the server asked us to wait (`Retry-After`), if it did.
    pub retry_after: Option<Duration>,
    /// HTTP method of the request.
    pub method: String,
    /// Path of the request (no query string).
    pub path: String,
    /// The start of the body when it was not a JSON error envelope.
    pub body: Option<String>,
}

impl ApiError {
    /// An API error with `status` and nothing else, for tests of code that handles errors
    /// (the SDK builds its own from the response). Add the rest with the `with_*` methods:
    ///
    /// ```
    /// use std::time::Duration;
    /// use ctfy_transport::{ApiError, Error};
    ///
    /// let err: Error = ApiError::new(429)
    ///     .with_code("rate_limited")
    ///     .with_detail("slow down")
    ///     .with_retry_after(Duration::from_secs(2))
    ///     .with_request("POST", "/api/v1/submissions")
    ///     .into();
    /// assert!(err.is_rate_limited() && err.is_retryable());
    /// assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
    /// assert_eq!(err.code(), Some("rate_limited"));
    /// ```
    pub fn new(status: u16) -> Self {
        Self {
            status,
            code: None,
            detail: Value::Null,
            timestamp: None,
            retry_after: None,
            method: String::new(),
            path: String::new(),
            body: None,
        }
    }

    /// Sets the platform's error `code` (e.g. `instance_not_found`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the `detail`: a string (`"not found"`) or any JSON value (`json!({"message": …})`).
    pub fn with_detail(mut self, detail: impl Into<Value>) -> Self {
        self.detail = detail.into();
        self
    }

    /// Sets the `Retry-After` wait.
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Sets the request the error answered (method and path, e.g. `GET`, `/api/v1/health`).
    pub fn with_request(mut self, method: impl Into<String>, path: impl Into<String>) -> Self {
        self.method = method.into();
        self.path = path.into();
        self
    }

    /// A human-readable message: the string `detail`, or `detail.message`, or the object as
    /// JSON, or the raw body.
    pub fn message(&self) -> String {
        match &self.detail {
            Value::String(s) => s.clone(),
            Value::Object(map) => match map.get("message") {
                Some(Value::String(m)) => m.clone(),
                _ => Value::Object(map.clone()).to_string(),
            },
            Value::Null => self.body.clone().unwrap_or_default(),
            other => other.to_string(),
        }
    }

    /// Whether the platform refused a fine-grained `pf_` API token on a route that needs a
    /// `pt_` session (every `/admin/*` route and token management).
    pub fn is_session_required(&self) -> bool {
        if self.status != 403 {
            return false;
        }
        match &self.detail {
            Value::Object(map) => {
                map.get("error").and_then(Value::as_str) == Some("token_scope_required")
            }
            Value::String(s) => s.contains("requires a user session"),
            _ => false,
        }
    }

    /// A value of the `detail` object, e.g. `detail("competition_id")`.
    pub fn detail_field(&self, key: &str) -> Option<&Value> {
        self.detail.as_object().and_then(|m| m.get(key))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        let msg = self.message();
        if !msg.is_empty() {
            write!(f, ": {msg}")?;
        }
        if self.is_session_required() {
            write!(
                f,
                " (this route does not accept fine-grained pf_ API tokens: use a pt_ session token from auth().login)"
            )?;
        }
        write!(f, " ({} {})", self.method, self.path)
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

/// Cuts `body` to at most [`SNIPPET_LEN`] bytes on a character boundary (lossily decoded, with
/// `…` appended when it was cut).
pub fn snippet(body: &[u8]) -> String {
    let mut end = body.len().min(SNIPPET_LEN);
    // Back up to the start of a UTF-8 sequence rather than cut a character in half (which
    // the lossy decoding would turn into a 3-byte U+FFFD, overrunning the bound).
    let mut backed = 0;
    while end < body.len() && end > 0 && backed < 3 && body[end] & 0xC0 == 0x80 {
        end -= 1;
        backed += 1;
    }
    let cut = &body[..end];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if body.len() > SNIPPET_LEN {
        s.push('…');
    }
    s
}

/// Builds the [`ApiError`] for an error response. Every text taken from the body goes through
/// the redaction ([`crate::redact()`]), masking each of `secrets` (the transport's tokens) too.
pub(crate) fn api_error(
    method: &str,
    path: &str,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    secrets: &[Option<&str>],
) -> ApiError {
    let mut err = parse_api_error(method, path, status, retry_after, body, secrets);
    for secret in passes(secrets) {
        scrub_value(&mut err.detail, secret);
        for text in [&mut err.code, &mut err.timestamp].into_iter().flatten() {
            scrub(text, secret);
        }
    }
    // Cut after masking: the cut cannot leave part of a secret, and masking cannot push a
    // text past its bound.
    for text in [&mut err.code, &mut err.timestamp].into_iter().flatten() {
        bound(text);
    }
    bound_detail(&mut err.detail);
    err
}

/// The [`Error::Decode`] of a body that did not decode, its snippet redacted (masking each of
/// `secrets` too) before it is cut, and so is the body's text that serde's message quotes.
pub(crate) fn decode_error(
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

/// The snippet of a server's `text` that an error shows: redacted (masking each of `secrets`
/// too), then cut to at most [`SNIPPET_LEN`] bytes on a character boundary, `…` appended
/// when cut. Only the first [`REDACT_WINDOW`] bytes are looked at.
pub(crate) fn redacted_snippet(text: &[u8], secrets: &[Option<&str>]) -> String {
    let window = &text[..text.len().min(REDACT_WINDOW)];
    let mut shown = String::from_utf8_lossy(window).into_owned();
    for secret in passes(secrets) {
        scrub(&mut shown, secret);
    }
    // Past the window, the text was longer than the bound anyway: `snippet` marks the cut.
    bound(&mut shown);
    shown
}

/// The redaction passes that mask each of `secrets`: one per secret, or a single one without
/// a secret when there is none (each pass also masks `token=` values and userinfo).
fn passes<'a>(secrets: &'a [Option<&'a str>]) -> impl Iterator<Item = Option<&'a str>> + 'a {
    let given = secrets.iter().copied().filter(Option::is_some);
    let none = secrets.iter().all(Option::is_none).then_some(None);
    none.into_iter().chain(given)
}

/// Cuts `text` to a snippet when it is longer than [`SNIPPET_LEN`] bytes (a snippet already
/// cut stays as it is).
fn bound(text: &mut String) {
    if text.len() > SNIPPET_LEN {
        *text = snippet(text.as_bytes());
    }
}

/// Bounds a `detail`: every string in it (keys too) is cut to a snippet, and a detail whose
/// JSON form is still over [`MAX_DETAIL_JSON`] becomes a snippet of that JSON.
fn bound_detail(detail: &mut Value) {
    bound_strings(detail);
    if matches!(detail, Value::Array(_) | Value::Object(_)) {
        let json = detail.to_string();
        if json.len() > MAX_DETAIL_JSON {
            *detail = Value::String(snippet(json.as_bytes()));
        }
    }
}

fn bound_strings(v: &mut Value) {
    match v {
        Value::String(s) => bound(s),
        Value::Array(items) => items.iter_mut().for_each(bound_strings),
        Value::Object(map) => {
            if map.keys().any(|k| k.len() > SNIPPET_LEN) {
                rekey(map, bound);
            }
            map.values_mut().for_each(bound_strings);
        }
        _ => {}
    }
}

/// Rebuilds `map` with each key passed through `change` (keys are immutable in place).
fn rekey(map: &mut serde_json::Map<String, Value>, change: impl Fn(&mut String)) {
    *map = std::mem::take(map)
        .into_iter()
        .map(|(mut k, v)| {
            change(&mut k);
            (k, v)
        })
        .collect();
}

/// Redacts `text` in place (see [`crate::redact()`]).
pub(crate) fn scrub(text: &mut String, secret: Option<&str>) {
    if let std::borrow::Cow::Owned(clean) = crate::redact::redact_with(text, secret) {
        *text = clean;
    }
}

fn scrub_value(v: &mut Value, secret: Option<&str>) {
    match v {
        Value::String(s) => scrub(s, secret),
        Value::Array(items) => items.iter_mut().for_each(|i| scrub_value(i, secret)),
        Value::Object(map) => {
            let masks = |k: &String| crate::redact::redact_with(k, secret) != k.as_str();
            if map.keys().any(masks) {
                rekey(map, |k| scrub(k, secret));
            }
            map.values_mut().for_each(|i| scrub_value(i, secret));
        }
        _ => {}
    }
}

fn parse_api_error(
    method: &str,
    path: &str,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
    secrets: &[Option<&str>],
) -> ApiError {
    let mut err = ApiError::new(status).with_request(method, path);
    err.retry_after = retry_after;
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut map)) if map.contains_key("detail") || map.contains_key("code") => {
            err.code = match map.remove("code") {
                Some(Value::String(s)) => Some(s),
                _ => None,
            };
            err.detail = map.remove("detail").unwrap_or(Value::Null);
            // A node naming its failure sends `{"detail": {"code": …, "message": …}}` and no
            // envelope: its nested code is the error's code.
            if err.code.is_none() {
                err.code = err
                    .detail_field("code")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            err.timestamp = match map.remove("timestamp") {
                Some(Value::String(s)) => Some(s),
                _ => None,
            };
        }
        Ok(other) if !body.is_empty() => {
            err.detail = other;
        }
        _ => {
            if !body.is_empty() {
                err.body = Some(redacted_snippet(body, secrets));
            }
        }
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_s_nested_code_and_message_fill_code_and_message() {
        let body = br#"{"detail":{"code":"challenge_not_on_node","message":"this node does not hold X-1"}}"#;
        let e = api_error("POST", "/instances", 404, None, body, &[None]);
        assert_eq!(e.code.as_deref(), Some("challenge_not_on_node"));
        assert_eq!(e.message(), "this node does not hold X-1");
        assert_eq!(
            e.detail_field("code").and_then(Value::as_str),
            Some("challenge_not_on_node")
        );
        assert_eq!(
            e.to_string(),
            "HTTP 404 challenge_not_on_node: this node does not hold X-1 (POST /instances)"
        );
    }

    #[test]
    fn the_envelope_s_code_wins_over_a_nested_one_and_a_string_detail_has_none() {
        let e = api_error(
            "GET",
            "/x",
            409,
            None,
            br#"{"code":"outer","detail":{"code":"inner","message":"m"}}"#,
            &[None],
        );
        assert_eq!(e.code.as_deref(), Some("outer"));
        let e = api_error(
            "GET",
            "/x",
            404,
            None,
            br#"{"detail":"Instance not found"}"#,
            &[None],
        );
        assert_eq!(e.code, None);
        assert_eq!(e.message(), "Instance not found");
    }

    #[test]
    fn error_bodies_are_redacted() {
        let body = br#"{"code":"bad","detail":{"message":"token pt_canary rejected","next":"/login?next=/events?token=pt_canary"}}"#;
        let e = api_error("GET", "/x", 401, None, body, &[Some("pt_canary")]);
        let all = format!("{e} {e:?}");
        assert!(!all.contains("pt_canary"), "{all}");
        let e = api_error(
            "GET",
            "/x",
            502,
            None,
            b"<html>pt_canary pt_second</html>",
            &[Some("pt_canary"), Some("pt_second")],
        );
        assert_eq!(
            e.body.as_deref(),
            Some("<html><redacted> <redacted></html>")
        );
    }

    #[test]
    fn predicates_read_the_status_code_and_retry_after() {
        let e = |status| Error::from(ApiError::new(status));
        assert!(e(401).is_unauthorized() && !e(401).is_forbidden());
        assert!(e(403).is_forbidden() && e(404).is_not_found() && e(409).is_conflict());
        assert!(e(429).is_rate_limited() && e(429).is_retryable());
        for status in [502, 503, 504] {
            assert!(e(status).is_retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 422, 500] {
            assert!(!e(status).is_retryable(), "{status}");
        }
        let final_503 = Error::from(ApiError::new(503).with_code("llm_not_configured"));
        assert!(!final_503.is_retryable());
        let limited = Error::from(ApiError::new(429).with_retry_after(Duration::from_secs(7)));
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(e(429).retry_after(), None);
        let failed = Error::InstanceFailed {
            instance_id: InstanceId::new("i-1").unwrap(),
            message: "boom".into(),
        };
        assert_eq!(failed.instance_id().unwrap(), "i-1");
        assert!(!failed.is_retryable() && failed.instance_id().is_some());
        assert!(e(404).instance_id().is_none());
        let shown = Error::from(
            ApiError::new(409)
                .with_code("already_member")
                .with_detail("already on a team")
                .with_request("POST", "/api/v1/competitions/c/teams"),
        )
        .to_string();
        assert_eq!(
            shown,
            "HTTP 409 already_member: already on a team (POST /api/v1/competitions/c/teams)"
        );
    }

    #[test]
    fn auth_failures_cover_the_platform_s_403_for_a_bad_token() {
        let e = |status, detail: &str| {
            Error::from(
                ApiError::new(status)
                    .with_code(format!("http_{status}"))
                    .with_detail(detail),
            )
        };
        assert!(e(401, "Not authenticated").is_auth_failure());
        assert!(e(403, "Invalid or revoked token").is_auth_failure());
        assert!(e(403, "Token has expired").is_auth_failure());
        assert!(!e(403, "Admin privileges required").is_auth_failure());
        assert!(!e(404, "Invalid or revoked token").is_auth_failure());
        assert!(!Error::InvalidArgument("x".into()).is_auth_failure());
    }

    #[test]
    fn what_may_have_been_applied() {
        let api = |status, method| {
            Error::from(ApiError::new(status).with_request(method, "/api/v1/submissions"))
        };
        for status in [500, 502, 504] {
            assert!(api(status, "POST").may_have_been_applied(), "{status}");
            assert!(api(status, "PATCH").may_have_been_applied(), "{status}");
            assert!(!api(status, "GET").may_have_been_applied(), "{status}");
            assert!(!api(status, "DELETE").may_have_been_applied(), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 422, 429, 503] {
            assert!(!api(status, "POST").may_have_been_applied(), "{status}");
        }
        let redirect = |method: &str| Error::Redirect {
            method: method.into(),
            path: "/x".into(),
            status: 302,
            location: None,
        };
        assert!(redirect("POST").may_have_been_applied());
        assert!(!redirect("GET").may_have_been_applied());
        let timeout = |instance_id| Error::Timeout {
            what: "x".into(),
            after: Duration::from_secs(1),
            instance_id,
        };
        assert!(timeout(Some(InstanceId::new("i-1").unwrap())).may_have_been_applied());
        assert!(timeout(None).may_have_been_applied());
        assert!(!Error::InvalidArgument("x".into()).may_have_been_applied());
        assert!(Error::task_failed("instance launch", true).may_have_been_applied());
    }

    /// The name of `e`'s variant. Exhaustive (no wildcard): a new variant does not compile
    /// until [`one_of_each`] builds one.
    fn variant(e: &Error) -> &'static str {
        match e {
            Error::Api(_) => "Api",
            Error::Decode { .. } => "Decode",
            Error::Http { .. } => "Http",
            Error::Redirect { .. } => "Redirect",
            Error::BodyTooLarge { .. } => "BodyTooLarge",
            Error::InvalidId(_) => "InvalidId",
            Error::InvalidArgument(_) => "InvalidArgument",
            Error::InstanceFailed { .. } => "InstanceFailed",
            Error::Timeout { .. } => "Timeout",
            Error::Tunnel(_) => "Tunnel",
            Error::Stream(_) => "Stream",
            Error::EventDecode { .. } => "EventDecode",
            Error::Build { .. } => "Build",
            Error::TaskFailed { .. } => "TaskFailed",
        }
    }

    /// One error of each variant, with sources as the SDK gives them (a refused connection
    /// for [`Error::Http`]).
    async fn one_of_each() -> Vec<Error> {
        let serde = || serde_json::from_str::<u32>(r#""seven""#).unwrap_err();
        // The transport's client: a bare `reqwest::Client::new()` panics with only
        // `rustls-ring` on (reqwest has no provider of its own then).
        let t = crate::Transport::builder("http://127.0.0.1:1")
            .build()
            .unwrap();
        let refused = t
            .http_client()
            .get("http://127.0.0.1:1/api/v1/health")
            .send()
            .await
            .unwrap_err();
        let builder = t.http_client().get("no scheme").build().unwrap_err();
        let id = || InstanceId::new("i-1").unwrap();
        vec![
            ApiError::new(404)
                .with_code("instance_not_found")
                .with_detail("Instance not found")
                .with_request("GET", "/api/v1/instances/i-1")
                .into(),
            Error::Decode {
                method: "GET".into(),
                path: "/api/v1/health".into(),
                status: 200,
                at: "status".into(),
                snippet: r#"{"status":"seven"}"#.into(),
                source: serde(),
            },
            Error::http("GET", "http://127.0.0.1:1", "/api/v1/health", refused),
            Error::Redirect {
                method: "POST".into(),
                path: "/x".into(),
                status: 302,
                location: Some("/y".into()),
            },
            Error::BodyTooLarge {
                method: "GET".into(),
                path: "/x".into(),
                status: 200,
                limit: 10,
            },
            InstanceId::new("a/b").unwrap_err().into(),
            Error::InvalidArgument("the page size must not be 0".into()),
            Error::instance_failed(id(), "image pull failed"),
            Error::timeout(
                "instance i-1 to become ready",
                Duration::from_secs(3),
                Some(id()),
            ),
            Error::Tunnel("no WireGuard backend".into()),
            Error::stream(StreamErrorKind::IdleTimeout, "nothing for 60 s"),
            Error::EventDecode {
                event: "instance_status".into(),
                snippet: r#"{"n":"seven"}"#.into(),
                source: serde(),
            },
            Error::Build {
                what: "the HTTP client",
                source: Box::new(builder.without_url()),
            },
            Error::task_failed("instance launch", true),
        ]
    }

    /// The texts of `e` and of each of its sources, in order.
    fn chain(e: &Error) -> Vec<String> {
        let mut texts = vec![e.to_string()];
        let mut next = std::error::Error::source(e);
        while let Some(source) = next {
            texts.push(source.to_string());
            next = source.source();
        }
        texts
    }

    #[tokio::test]
    async fn no_error_repeats_its_source() {
        let all = one_of_each().await;
        let names: std::collections::BTreeSet<_> = all.iter().map(variant).collect();
        assert_eq!(names.len(), all.len(), "one of each variant: {names:?}");
        for e in &all {
            let texts = chain(e);
            for pair in texts.windows(2) {
                assert!(
                    !pair[0].contains(&pair[1]),
                    "{}: {:?} repeats its source {:?}",
                    variant(e),
                    pair[0],
                    pair[1]
                );
            }
            // What anyhow's `{:#}` prints: each text once.
            let report = texts.join(": ");
            assert_eq!(e.report().to_string(), report);
            for text in &texts {
                assert_eq!(report.matches(text.as_str()).count(), 1, "{report}");
            }
        }
    }

    #[tokio::test]
    async fn the_sources_keep_what_the_messages_leave_out() {
        let all = one_of_each().await;
        let report = |name| {
            let e = all.iter().find(|e| variant(e) == name).unwrap();
            (e.to_string(), e.report().to_string())
        };
        let (shown, full) = report("Decode");
        assert_eq!(
            shown,
            r#"could not decode the response to GET /api/v1/health (HTTP 200) at `status` (body starts with: {"status":"seven"})"#
        );
        assert!(
            full.ends_with(r#": invalid type: string "seven", expected u32 at line 1 column 7"#),
            "{full}"
        );
        let (shown, full) = report("Http");
        assert_eq!(
            shown,
            "GET http://127.0.0.1:1/api/v1/health: could not connect"
        );
        assert!(full.len() > shown.len(), "{full}");
        let (shown, full) = report("Build");
        assert_eq!(shown, "could not build the HTTP client");
        assert!(
            full.starts_with("could not build the HTTP client: builder error"),
            "{full}"
        );
        let (shown, _) = report("InvalidId");
        assert_eq!(
            shown,
            r#"InstanceId "a/b" must not contain '/' or '\' (it would change the route)"#
        );
        let (shown, _) = report("TaskFailed");
        assert_eq!(shown, "the instance launch task panicked");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any body: no panic, a bounded snippet, and the canary token never shown.
        #[test]
        fn props_any_error_body(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096), status in 100u16..600) {
            let mut body = body;
            body.extend_from_slice(b"pt_canary_x");
            let e = api_error("GET", "/x", status, None, &body, &[Some("pt_canary_x")]);
            let shown = format!("{e} {e:?}");
            proptest::prop_assert!(!shown.contains("pt_canary_x"));
            if let Some(b) = &e.body {
                proptest::prop_assert!(b.len() <= SNIPPET_LEN + 3);
            }
        }

        /// JSON envelopes of any shape keep their code.
        #[test]
        fn props_json_envelopes(code in "[a-z_]{1,20}", detail in ".{0,100}") {
            let body = serde_json::json!({"code": code, "detail": detail}).to_string();
            let e = api_error("GET", "/x", 409, None, body.as_bytes(), &[None]);
            proptest::prop_assert_eq!(e.code.as_deref(), Some(code.as_str()));
        }

        /// Server text of any length with the canary anywhere in it, as the code, the
        /// timestamp, a detail string, a detail key or the body: every kept text is bounded,
        /// the whole error's Display and Debug are too, and no part of the canary shows (it is
        /// masked before anything is cut).
        #[test]
        fn props_server_texts_are_bounded_and_masked(
            len in 0usize..40_000,
            at in 0usize..40_000,
            fill in "[a-z ]{1,3}",
            place in 0usize..5,
        ) {
            let filler = fill.repeat(len / fill.len() + 1);
            let at = at.min(filler.len());
            let text = format!("{}{CANARY}{}", &filler[..at], &filler[at..]);
            let body = match place {
                0 => serde_json::json!({"code": text, "detail": "d"}).to_string(),
                1 => serde_json::json!({"code": "c", "detail": "d", "timestamp": text}).to_string(),
                2 => serde_json::json!({"detail": {"message": text, "list": [text]}}).to_string(),
                3 => serde_json::json!({"detail": {text.clone(): 1}}).to_string(),
                _ => text.clone(),
            };
            let e = api_error("GET", "/x", 409, None, body.as_bytes(), &[Some(CANARY)]);
            let bounded = |t: &str| t.len() <= SNIPPET_LEN + '…'.len_utf8();
            for t in [&e.code, &e.timestamp, &e.body].into_iter().flatten() {
                proptest::prop_assert!(bounded(t), "{} bytes", t.len());
            }
            proptest::prop_assert!(e.detail.to_string().len() <= MAX_DETAIL_JSON);
            let shown = format!("{e} {e:?} {}", e.message());
            proptest::prop_assert!(shown.len() < 8 * 1024, "{} bytes shown", shown.len());
            proptest::prop_assert!(!shown.contains(&CANARY[..6]), "{shown}");
        }
    }

    const CANARY: &str = "pt_QX7canary9Z";

    /// 100 kB of text whose cut falls 8 bytes into the canary.
    fn huge() -> String {
        format!(
            "{}{CANARY}{}",
            "a".repeat(SNIPPET_LEN - 8),
            "b".repeat(100_000)
        )
    }

    #[test]
    fn huge_codes_timestamps_and_detail_strings_are_cut_after_masking() {
        let body = serde_json::json!({
            "code": huge(),
            "timestamp": huge(),
            "detail": {"message": huge(), "list": [huge(), {"deep": huge()}], huge(): true},
        })
        .to_string();
        let e = api_error("GET", "/x", 500, None, body.as_bytes(), &[Some(CANARY)]);
        let want = format!("{}<redacte…", "a".repeat(SNIPPET_LEN - 8));
        assert_eq!(e.code.as_deref(), Some(want.as_str()));
        assert_eq!(e.timestamp.as_deref(), Some(want.as_str()));
        assert_eq!(e.message(), want);
        assert_eq!(e.detail["list"][0], want.as_str());
        assert_eq!(e.detail["list"][1]["deep"], want.as_str());
        assert_eq!(e.detail[want.as_str()], true);
        let shown = format!("{e} {e:?}");
        assert!(shown.len() < 8 * 1024, "{} bytes", shown.len());
        assert!(!shown.contains(&CANARY[..6]), "{shown}");
    }

    #[test]
    fn a_detail_over_16_kib_of_json_becomes_a_snippet_of_it() {
        let list: Vec<String> = (0..100)
            .map(|i| format!("{i:03}{}", "v".repeat(300)))
            .collect();
        let body = serde_json::json!({"code": "c", "detail": {"list": list}}).to_string();
        let e = api_error("GET", "/x", 422, None, body.as_bytes(), &[None]);
        let Value::String(kept) = &e.detail else {
            panic!("{:?}", e.detail)
        };
        assert!(kept.starts_with(r#"{"list":["000vvv"#), "{kept}");
        assert!(kept.len() <= SNIPPET_LEN + '…'.len_utf8() && kept.ends_with('…'));
        // A detail of exactly the limit is kept as it is.
        let fill = MAX_DETAIL_JSON - r#"{"k":""}"#.len();
        let keys: serde_json::Map<String, Value> = (0..fill / 100)
            .map(|i| {
                (
                    format!("{i:04}"),
                    Value::from("x".repeat(100 - r#""0000":"","#.len())),
                )
            })
            .collect();
        let mut detail = Value::Object(keys);
        let pad = MAX_DETAIL_JSON - detail.to_string().len();
        detail["~"] = Value::from("y".repeat(pad - r#","~":"""#.len()));
        assert_eq!(detail.to_string().len(), MAX_DETAIL_JSON);
        let body = serde_json::json!({"detail": detail}).to_string();
        let e = api_error("GET", "/x", 422, None, body.as_bytes(), &[None]);
        assert_eq!(e.detail, detail);
    }

    #[test]
    fn a_redacted_snippet_masks_before_it_cuts() {
        let text = huge();
        let shown = redacted_snippet(text.as_bytes(), &[Some(CANARY)]);
        assert_eq!(shown, format!("{}<redacte…", "a".repeat(SNIPPET_LEN - 8)));
        // Without a secret, `token=` values are still masked.
        let text = format!(
            "{}token=abcdefghij{}",
            "a".repeat(SNIPPET_LEN - 12),
            "b".repeat(99)
        );
        let shown = redacted_snippet(text.as_bytes(), &[]);
        assert!(shown.ends_with("token=<redac…"), "{shown}");
        // Past the redaction window, the cut is still marked.
        let text = "c".repeat(REDACT_WINDOW + 10);
        assert!(redacted_snippet(text.as_bytes(), &[None]).ends_with('…'));
        assert_eq!(redacted_snippet(b"short", &[None]), "short");
    }

    /// serde's message, now only in the source of a decode error, is redacted there: the
    /// whole chain (what anyhow's `{:#}` prints) and the Debug never show the token.
    #[test]
    fn the_chain_of_a_decode_error_never_shows_the_token() {
        const TOKEN: &str = "pt_chainCanary42";
        let t = crate::Transport::builder("http://127.0.0.1:1")
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
}
