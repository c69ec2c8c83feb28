//! `PlatformClient`: construction and the top-level calls.

use std::time::Duration;

use ctfy_models::HealthResponse;
use ctfy_transport::__private::awaitable;
use ctfy_transport::{Result, RetryPolicy, TokenKind, Transport, TransportBuilder};

/// The platform version this SDK was built against.
pub const PLATFORM_VERSION: &str = "0.7.0";

/// The player client. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct PlatformClient {
    pub(crate) t: Transport,
}

/// Configures a [`PlatformClient`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    inner: TransportBuilder,
}

impl ClientBuilder {
    /// The bearer token: a `pf_` API token or a `pt_` session token. Empty means anonymous.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.inner = self.inner.token(token);
        self
    }

    /// A `pt_` session token used only for the event stream ([`PlatformClient::events`] and
    /// the event-driven wait of `instances().start`), when the requests use a `pf_` API
    /// token: the platform sends team frames (instances, flags…) only to session tokens.
    /// Empty means "the event stream uses [`token`](Self::token)" (the default).
    pub fn events_token(mut self, token: impl Into<String>) -> Self {
        self.inner = self.inner.events_token(token);
        self
    }

    /// Per-attempt timeout of ordinary requests (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.timeout(timeout);
        self
    }

    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.connect_timeout(timeout);
        self
    }

    /// Number of retries (default 2; 0 = a single attempt).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.inner = self.inner.max_retries(n);
        self
    }

    /// The whole retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.inner = self.inner.retry(policy);
        self
    }

    /// Adjusts the `reqwest::ClientBuilder` the client is built from (proxies, certificates,
    /// pool settings…). The redirect policy and `Referer` stay the SDK's, so the token never
    /// reaches another origin (see
    /// [`TransportBuilder::http_client_with`](ctfy_transport::TransportBuilder::http_client_with)).
    pub fn http_client_with(
        mut self,
        configure: impl Fn(
            ctfy_transport::reqwest::ClientBuilder,
        ) -> ctfy_transport::reqwest::ClientBuilder
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.inner = self.inner.http_client_with(configure);
        self
    }

    /// The largest response body accepted, in bytes (default 64 MiB; see
    /// [`TransportBuilder::max_body_size`](ctfy_transport::TransportBuilder::max_body_size)).
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.inner = self.inner.max_body_size(bytes);
        self
    }

    /// Adds an interceptor: code of yours called around every HTTP exchange of the client
    /// (each attempt, each followed redirect, each event-stream connection), to add headers,
    /// count and time requests, record traffic or replay it in tests. Several may be added;
    /// they run in the order added. An interceptor can neither read the token nor make the
    /// client send it to another origin. See
    /// [`TransportBuilder::interceptor`](ctfy_transport::TransportBuilder::interceptor) and
    /// the [`interceptor`](ctfy_transport::interceptor) module.
    ///
    /// The operator client of `client.admin()` shares this client's transport, and so its
    /// interceptors. To send another token later (a refreshed one), see
    /// [`Transport::with_token`](ctfy_transport::Transport::with_token).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    ///
    /// use ctfy_transport::interceptor::{Interceptor, OutgoingRequest};
    ///
    /// #[derive(Default)]
    /// struct Count(AtomicU64);
    ///
    /// impl Interceptor for Count {
    ///     fn before_send(&self, _: &mut OutgoingRequest<'_>) {
    ///         self.0.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// }
    ///
    /// let sent = Arc::new(Count::default());
    /// let client = ctfy_client::PlatformClient::builder("http://127.0.0.1:8000")
    ///     .token("pf_…")
    ///     .interceptor(sent.clone())
    ///     .build()
    ///     .unwrap();
    /// # drop(client);
    /// assert_eq!(sent.0.load(Ordering::Relaxed), 0);
    /// ```
    pub fn interceptor(
        mut self,
        interceptor: impl ctfy_transport::interceptor::Interceptor,
    ) -> Self {
        self.inner = self.inner.interceptor(interceptor);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a bad URL or token;
    /// [`Error::Build`](crate::Error::Build) when the HTTP client or its TLS configuration
    /// cannot be built (a setting of an `http_client_with` hook the TLS backend refuses).
    pub fn build(self) -> Result<PlatformClient> {
        Ok(PlatformClient {
            t: self.inner.build()?,
        })
    }
}

impl PlatformClient {
    /// A client for the platform at `server_url` (e.g. `http://127.0.0.1:8000`; the
    /// `/api/v1` prefix is added once) with `token` (empty for anonymous access).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a bad URL or token.
    pub fn new(server_url: impl Into<String>, token: impl Into<String>) -> Result<Self> {
        Self::builder(server_url).token(token).build()
    }

    /// A builder for more settings (timeouts, retries, HTTP client).
    pub fn builder(server_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            inner: Transport::builder(server_url),
        }
    }

    /// A client from the environment, named as the Python CLI names it:
    /// - the server URL from `CTFY_PLATFORM_URL`, else `CTFY_URL`;
    /// - the token from `CTFY_TOKEN` (optional: anonymous without it);
    /// - an optional `CTFY_SESSION_TOKEN`, a `pt_` session token for the event stream (see
    ///   [`ClientBuilder::events_token`]).
    ///
    /// Empty variables count as unset.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when neither URL variable is
    /// set, or a value is invalid.
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`PlatformClient::from_env`] reading variables through `var` (for tests, or a
    /// configuration other than the process environment).
    ///
    /// # Errors
    /// As [`PlatformClient::from_env`].
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let url = var("CTFY_PLATFORM_URL")
            .or_else(|| var("CTFY_URL"))
            .ok_or_else(|| {
                ctfy_transport::Error::InvalidArgument(
                    "neither CTFY_PLATFORM_URL nor CTFY_URL is set".into(),
                )
            })?;
        Self::builder(url)
            .token(var("CTFY_TOKEN").unwrap_or_default())
            .events_token(var("CTFY_SESSION_TOKEN").unwrap_or_default())
            .build()
    }

    /// What kind of token the requests carry: [`TokenKind::Api`] (`pf_`),
    /// [`TokenKind::Session`] (`pt_`), [`TokenKind::Anonymous`] or [`TokenKind::Other`].
    pub fn token_kind(&self) -> TokenKind {
        self.t.token_kind()
    }

    /// What kind of token the event stream carries (the
    /// [`events_token`](ClientBuilder::events_token) when set, else the token): only
    /// [`TokenKind::Session`] receives team events and gives `instances().start` its
    /// event-driven wait.
    pub fn events_token_kind(&self) -> TokenKind {
        self.t.events_token_kind()
    }

    /// Wraps an existing transport (sharing its connection pool and credentials).
    pub fn from_transport(transport: Transport) -> Self {
        Self { t: transport }
    }

    /// The transport, for calls the SDK does not cover yet.
    pub fn transport(&self) -> &Transport {
        &self.t
    }

    /// The server URL, without the API prefix.
    pub fn server_url(&self) -> String {
        self.t.server_url()
    }

    /// Waits, at most `timeout`, for the work the SDK runs in the background to finish, and
    /// closes the client's shared event stream: call it before the program exits (e.g. after
    /// Ctrl-C), so that the instances of failed, timed-out or abandoned
    /// [`start`](crate::Instances::start)s are really stopped.
    ///
    /// Returns `true` when nothing is left running, `false` when the time ran out first (the
    /// stops go on for as long as the runtime runs). Open [`events`](Self::events) streams end
    /// with an [`Error::Stream`](crate::Error::Stream) of kind
    /// [`StreamErrorKind::Closed`](ctfy_transport::StreamErrorKind::Closed). The client stays
    /// usable: a later stream connects again.
    ///
    /// ```no_run
    /// # async fn demo(client: ctfy_client::PlatformClient) {
    /// use std::time::Duration;
    ///
    /// tokio::select! {
    ///     _ = my_agent(&client) => {}
    ///     _ = tokio::signal::ctrl_c() => eprintln!("interrupted: stopping what was started"),
    /// }
    /// if !client.shutdown(Duration::from_secs(30)).await {
    ///     eprintln!("some instances may still be running");
    /// }
    /// # }
    /// # async fn my_agent(_: &ctfy_client::PlatformClient) {}
    /// ```
    pub async fn shutdown(&self, timeout: std::time::Duration) -> bool {
        self.t.shutdown(timeout).await
    }

    /// The operator surface, sharing this client's transport (needs a `pt_` session token of
    /// an admin).
    #[cfg(feature = "admin")]
    pub fn admin(&self) -> ctfy_admin::AdminClient {
        ctfy_admin::AdminClient::from_transport(self.t.clone())
    }

    /// Compares the server's version with the one this SDK was built against
    /// ([`PLATFORM_VERSION`]). Fetches `/health` unless `health` is given (then nothing is
    /// sent).
    ///
    /// Hand-written: compares locally. Python SDK: `client.check_server_compatibility`.
    /// Returns an owned builder: `.await` it (or `.send()`); `.timeout()` sets the per-attempt
    /// timeout of the `/health` request.
    ///
    /// # Errors
    /// Any [`Error`](crate::Error) from `/health`.
    pub fn check_server_compatibility(
        &self,
        health: Option<&HealthResponse>,
    ) -> PlatformCheckServerCompatibility {
        PlatformCheckServerCompatibility {
            health: self.health(),
            server: health.map(|h| h.version.clone()),
        }
    }
}

/// Request builder of [`PlatformClient::check_server_compatibility`]: `.await` it (or
/// `.send()`). Owned and `Send + 'static`.
#[derive(Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct PlatformCheckServerCompatibility {
    health: crate::PlatformHealth,
    server: Option<String>,
}

impl PlatformCheckServerCompatibility {
    /// Sets a timeout for each attempt of the `/health` request, replacing the client's.
    pub fn timeout(self, timeout: Duration) -> Self {
        Self {
            health: self.health.timeout(timeout),
            ..self
        }
    }

    /// Fetches `/health` when needed and compares.
    ///
    /// # Errors
    /// Any [`Error`](crate::Error) from `/health`.
    pub async fn send(self) -> Result<VersionCheck> {
        let server = match self.server {
            Some(v) => v,
            None => self.health.await?.version,
        };
        Ok(VersionCheck::new(PLATFORM_VERSION, &server))
    }
}

awaitable!(PlatformCheckServerCompatibility => VersionCheck);

/// How a client version relates to a server version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compatibility {
    /// Same release line: only the patch level may differ.
    Ok,
    /// Both at 1.0 or later, same major, different minor: features may differ.
    MinorDiff,
    /// Different breaking line (minor before 1.0, major from 1.0): requests may fail.
    Incompatible,
    /// At least one side did not report a usable version.
    Unknown,
}

/// The result of [`PlatformClient::check_server_compatibility`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersionCheck {
    /// The version the SDK speaks.
    pub client: String,
    /// The version the server reported.
    pub server: String,
    /// The verdict.
    pub status: Compatibility,
}

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let v = v.trim().trim_start_matches('v');
    if v.is_empty() || v.contains("+unknown") {
        return None;
    }
    let mut nums = v
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|s| s.parse::<u64>().ok());
    let major = nums.next()??;
    let minor = nums.next()??;
    let patch = nums.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

impl VersionCheck {
    /// Classifies a client/server version pair with semver rules (before 1.0 the minor
    /// number is the breaking boundary).
    pub fn new(client: &str, server: &str) -> Self {
        let status = match (parse_version(client), parse_version(server)) {
            (Some(c), Some(s)) => match (c.0, s.0) {
                (0, 0) if c.1 == s.1 => Compatibility::Ok,
                (0, 0) => Compatibility::Incompatible,
                (0, _) | (_, 0) => Compatibility::Incompatible,
                (a, b) if a != b => Compatibility::Incompatible,
                _ if c.1 != s.1 => Compatibility::MinorDiff,
                _ => Compatibility::Ok,
            },
            _ => Compatibility::Unknown,
        };
        Self {
            client: client.to_owned(),
            server: server.to_owned(),
            status,
        }
    }

    /// Nothing worth telling the user.
    pub fn is_quiet(&self) -> bool {
        matches!(self.status, Compatibility::Ok | Compatibility::Unknown)
    }

    /// A one-line notice for the user, empty when [`is_quiet`](Self::is_quiet).
    pub fn message(&self) -> String {
        match self.status {
            Compatibility::Ok | Compatibility::Unknown => String::new(),
            Compatibility::MinorDiff => format!(
                "ctfy-rs speaks platform {} but the server runs {}: probably compatible, some features may differ",
                self.client, self.server
            ),
            Compatibility::Incompatible => format!(
                "ctfy-rs speaks platform {} but the server runs {}: the API may differ and requests may fail",
                self.client, self.server
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The builder hands interceptors to the transport (which the transport's tests cover),
    /// and the client's `Debug` counts them without showing the token.
    #[test]
    fn interceptors_reach_the_transport() {
        struct Nothing;
        impl ctfy_transport::interceptor::Interceptor for Nothing {}
        let client = PlatformClient::builder("http://127.0.0.1:9")
            .token("pt_client_secret")
            .interceptor(Nothing)
            .interceptor(Nothing)
            .build()
            .unwrap();
        let shown = format!("{client:?}");
        assert!(shown.contains("[2 interceptor(s)]"), "{shown}");
        assert!(!shown.contains("pt_client_secret"), "{shown}");
    }

    #[test]
    fn version_rules() {
        assert_eq!(
            VersionCheck::new("0.7.0", "0.7.3").status,
            Compatibility::Ok
        );
        assert_eq!(
            VersionCheck::new("0.7.0", "0.8.0").status,
            Compatibility::Incompatible
        );
        assert_eq!(
            VersionCheck::new("0.7.0", "1.0.0").status,
            Compatibility::Incompatible
        );
        assert_eq!(
            VersionCheck::new("1.2.0", "1.3.0").status,
            Compatibility::MinorDiff
        );
        assert_eq!(
            VersionCheck::new("1.2.0", "2.0.0").status,
            Compatibility::Incompatible
        );
        assert_eq!(
            VersionCheck::new("0.7.0", "").status,
            Compatibility::Unknown
        );
        assert_eq!(
            VersionCheck::new("0.7.0", "abc").status,
            Compatibility::Unknown
        );
        assert!(VersionCheck::new("0.7.0", "0.7.0").message().is_empty());
    }
}
