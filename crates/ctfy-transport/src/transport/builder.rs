//! [`TransportBuilder`]: the settings of a transport, their defaults, and the base URL's
//! normalization.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::SecretString;
use url::Url;

use super::client::{ConfigureHttp, HttpRecipe};
use super::token::{bearer, secret};
use super::{Inner, RetryPolicy, Transport};
use crate::error::{Error, Result};
use crate::interceptor::{Interceptor, Interceptors};

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

/// The `User-Agent` the SDK sends unless told otherwise.
const DEFAULT_USER_AGENT: &str = concat!("ctfy-rs/", env!("CARGO_PKG_VERSION"));

/// The default limit of a response body (64 MiB).
pub const DEFAULT_MAX_BODY_SIZE: u64 = 64 * 1024 * 1024;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::body::MAX_ERROR_BODY;

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
    fn base_urls_with_credentials_are_refused_without_showing_them() {
        let err = Transport::builder("http://user:hunter2@h:1")
            .build()
            .unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("credentials"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
