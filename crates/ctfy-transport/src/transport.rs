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

use crate::error::{Error, Result, api_error, snippet};
use crate::request::{Body, Request};

/// How failed requests are retried.
///
/// Idempotent requests (GET, PUT, DELETE…) are retried on connect errors, timeouts, an
/// exchange cut short (connection reset), 429, 502, 503 and 504. POST and PATCH are retried only when the request provably never reached
/// the server (a connect error) or when the server said so: 429 or 503 with `Retry-After`.
/// Delays grow exponentially with full jitter; a server's `Retry-After` replaces the computed
/// delay when it is at most `max_retry_after`, and a longer one is not waited out: the error is
/// returned (with [`ApiError::retry_after`](crate::ApiError::retry_after) set).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// How many times a request is repeated (0 = a single attempt).
    pub max_retries: u32,
    /// The first backoff delay.
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

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build()
    }
}

/// Configures a [`Transport`].
#[derive(Debug, Clone)]
pub struct TransportBuilder {
    base_url: String,
    token: Option<SecretString>,
    timeout: Option<Duration>,
    connect_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    api_prefix: &'static str,
    client: Option<reqwest::Client>,
}

impl TransportBuilder {
    /// Starts from the server URL (`http://host:port`, with or without a trailing slash or
    /// the API prefix).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: None,
            timeout: Some(Duration::from_secs(60)),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            user_agent: concat!("ctfy-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            api_prefix: "/api/v1",
            client: None,
        }
    }

    /// The bearer token (`pt_…`, `pf_…` or a node token). Empty means anonymous.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.token = if token.is_empty() {
            None
        } else {
            Some(SecretString::from(token))
        };
        self
    }

    /// The per-attempt timeout of ordinary requests (default 60 s; `None` for none).
    /// Streams are not subject to it.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
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

    /// Uses this `reqwest::Client` instead of building one. Its redirect policy, timeouts and
    /// proxies are then the caller's responsibility.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a base URL that is not `http(s)://…` or a token with
    /// characters a header cannot carry.
    pub fn build(self) -> Result<Transport> {
        let base = normalize_base(&self.base_url, self.api_prefix)?;
        let auth = match &self.token {
            Some(t) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", t.expose_secret()))
                    .map_err(|_| {
                        Error::InvalidArgument(
                            "the token contains characters not allowed in a header".into(),
                        )
                    })?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        let client = match self.client {
            Some(c) => c,
            None => {
                let origin = base.origin();
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .user_agent(self.user_agent.clone())
                    .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                        if attempt.previous().len() >= 5 || attempt.url().origin() != origin {
                            attempt.stop()
                        } else {
                            attempt.follow()
                        }
                    }))
                    .build()
                    .map_err(|e| {
                        Error::InvalidArgument(format!("could not build the HTTP client: {e}"))
                    })?
            }
        };
        Ok(Transport {
            inner: Arc::new(Inner {
                client,
                base,
                token: self.token,
                auth,
                timeout: self.timeout,
                retry: self.retry,
            }),
        })
    }
}

fn normalize_base(raw: &str, prefix: &str) -> Result<Url> {
    let trimmed = raw.trim().trim_end_matches('/');
    let mut url = Url::parse(trimmed)
        .map_err(|e| Error::InvalidArgument(format!("base URL {trimmed:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::InvalidArgument(format!(
            "base URL {trimmed:?} must be http(s)://host[:port]"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::InvalidArgument(format!(
            "base URL {trimmed:?} must not have a query or fragment"
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
    client: reqwest::Client,
    base: Url,
    token: Option<SecretString>,
    auth: Option<HeaderValue>,
    timeout: Option<Duration>,
    retry: RetryPolicy,
}

/// The shared HTTP machinery of every client. Cheap to clone (an `Arc` inside); clones share
/// the connection pool.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &self.inner.token.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

/// A complete response: status, headers and body bytes.
#[derive(Debug, Clone)]
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
pub struct Download {
    /// The bytes.
    pub bytes: Bytes,
    /// The `Content-Type` the server gave, if any.
    pub content_type: Option<String>,
    /// The file name from `Content-Disposition`, if any.
    pub filename: Option<String>,
}

enum Attempt {
    Done(reqwest::Response),
    Failed {
        err: Error,
        retry: bool,
        retry_after: Option<Duration>,
    },
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
        let mut s = self.inner.base.as_str().trim_end_matches('/').to_owned();
        if let Some(stripped) = s.strip_suffix("/api/v1") {
            s = stripped.to_owned();
        }
        s
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

    /// Whether the token starts with `prefix` (e.g. `pt_` for a session token), without
    /// exposing it.
    pub fn token_starts_with(&self, prefix: &str) -> bool {
        self.inner
            .token
            .as_ref()
            .is_some_and(|t| t.expose_secret().starts_with(prefix))
    }

    /// The prepared `Authorization: Bearer …` header (marked sensitive), if a token is set.
    pub(crate) fn auth_header(&self) -> Option<&HeaderValue> {
        self.inner.auth.as_ref()
    }

    /// The underlying reqwest client.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.client
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The path of `req` as sent, API prefix included (what errors report).
    fn full_path(&self, req: &Request) -> String {
        self.url(&req.path).path().to_owned()
    }

    /// The absolute URL of `path` (already encoded) under the API base.
    pub fn url(&self, path: &str) -> Url {
        let mut url = self.inner.base.clone();
        let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// Sends `req` and returns the success response (2xx, or 404 when `allow_404`), after the
    /// retries the policy allows. Error statuses become [`Error::Api`].
    async fn execute(&self, req: &Request, allow_404: bool) -> Result<reqwest::Response> {
        let span = tracing::debug_span!(
            "ctfy.request",
            method = %req.method,
            path = req.template,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        async move {
            let policy = &self.inner.retry;
            let mut delays = policy.delays();
            let mut attempt: u32 = 0;
            loop {
                attempt += 1;
                tracing::Span::current().record("attempt", attempt);
                let started = Instant::now();
                let outcome = self.attempt(req, allow_404).await;
                tracing::Span::current().record("latency_ms", started.elapsed().as_millis() as u64);
                match outcome {
                    Attempt::Done(resp) => return Ok(resp),
                    Attempt::Failed {
                        err,
                        retry,
                        retry_after,
                    } => {
                        if !retry || attempt > policy.max_retries {
                            return Err(err);
                        }
                        let delay = match retry_after {
                            Some(d) if d > policy.max_retry_after => return Err(err),
                            Some(d) => d,
                            None => delays.next().unwrap_or(policy.max_delay),
                        };
                        tracing::debug!(error = %err, ?delay, "retrying");
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn attempt(&self, req: &Request, allow_404: bool) -> Attempt {
        let url = self.url(&req.path);
        let mut builder = self.inner.client.request(req.method.clone(), url.clone());
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if let Some(auth) = &self.inner.auth {
            // The token only ever goes to the configured origin.
            if url.origin() == self.inner.base.origin() {
                builder = builder.header(AUTHORIZATION, auth.clone());
            }
        }
        if let Some(t) = req.timeout.or(self.inner.timeout) {
            builder = builder.timeout(t);
        }
        builder = match &req.body {
            Body::Empty => builder,
            Body::Json(bytes) => builder
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Body::Raw {
                bytes,
                content_type,
            } => builder
                .header(CONTENT_TYPE, content_type.as_str())
                .body(bytes.clone()),
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
                builder.multipart(form)
            }
        };
        let method = req.method.as_str();
        let path = url.path().to_owned();
        match builder.send().await {
            Err(e) => {
                let connect = e.is_connect();
                // A connect error proves the request never reached the server; anything else
                // (timeout, reset mid-exchange) may have been processed, so only idempotent
                // requests are repeated.
                let retry = connect
                    || (req.is_idempotent() && (e.is_timeout() || e.is_request() || e.is_body()));
                Attempt::Failed {
                    err: Error::http(method, &path, e),
                    retry,
                    retry_after: None,
                }
            }
            Ok(resp) => {
                let status = resp.status();
                tracing::Span::current().record("status", status.as_u16());
                if status.is_success() || (allow_404 && status.as_u16() == 404) {
                    return Attempt::Done(resp);
                }
                if status.is_redirection() {
                    let location = resp
                        .headers()
                        .get(LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    return Attempt::Failed {
                        err: Error::Redirect {
                            method: method.into(),
                            path,
                            status: status.as_u16(),
                            location,
                        },
                        retry: false,
                        retry_after: None,
                    };
                }
                let retry_after = parse_retry_after(resp.headers());
                let code = status.as_u16();
                let retry = if req.is_idempotent() {
                    matches!(code, 429 | 502 | 503 | 504)
                } else {
                    matches!(code, 429 | 503) && retry_after.is_some()
                };
                let body = resp.bytes().await.unwrap_or_default();
                let err = api_error(method, &path, code, retry_after, &body);
                Attempt::Failed {
                    err: err.into(),
                    retry,
                    retry_after,
                }
            }
        }
    }

    /// Sends `req` and returns the whole response (any 2xx).
    ///
    /// # Errors
    /// [`Error::Api`] for error statuses, [`Error::Http`] when no answer came.
    pub async fn send(&self, req: &Request) -> Result<RawResponse> {
        let resp = self.execute(req, false).await?;
        self.read(req, resp).await
    }

    async fn read(&self, req: &Request, resp: reqwest::Response) -> Result<RawResponse> {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Error::http(req.method.as_str(), &self.full_path(req), e))?;
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// Sends `req` and returns the streaming response, for bodies read incrementally.
    /// No per-request timeout applies unless `req` sets one.
    ///
    /// # Errors
    /// As [`Transport::send`].
    pub async fn send_streaming(&self, req: &Request) -> Result<reqwest::Response> {
        self.execute(req, false).await
    }

    /// Sends `req` and decodes the JSON body as `T`.
    ///
    /// # Errors
    /// As [`Transport::send`], plus [`Error::Decode`] with the serde path and a body snippet.
    pub async fn json<T: DeserializeOwned>(&self, req: &Request) -> Result<T> {
        let raw = self.send(req).await?;
        decode_at(
            req.method.as_str(),
            &self.full_path(req),
            raw.status,
            &raw.body,
        )
    }

    /// Like [`Transport::json`], but a 404 answer gives `Ok(None)`.
    ///
    /// # Errors
    /// As [`Transport::json`] for everything but 404.
    pub async fn json_or_404<T: DeserializeOwned>(&self, req: &Request) -> Result<Option<T>> {
        let resp = self.execute(req, true).await?;
        if resp.status().as_u16() == 404 {
            return Ok(None);
        }
        let raw = self.read(req, resp).await?;
        decode_at(
            req.method.as_str(),
            &self.full_path(req),
            raw.status,
            &raw.body,
        )
        .map(Some)
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
        let resp = self.execute(req, true).await?;
        Ok(resp.status().as_u16() != 404)
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
        let resp = self.execute(req, true).await?;
        if resp.status().as_u16() == 404 {
            return Ok(None);
        }
        Ok(Some(to_download(self.read(req, resp).await?)))
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
    decode_at(req.method.as_str(), &req.path, status, body)
}

fn decode_at<T: DeserializeOwned>(method: &str, path: &str, status: u16, body: &[u8]) -> Result<T> {
    // An empty body decodes like JSON `null`, so `()`/`Option` targets accept 204s.
    let body: &[u8] = if body.is_empty() { b"null" } else { body };
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        Error::Decode {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            at,
            snippet: snippet(body),
            source: e.into_inner(),
        }
    })
}

/// Parses `Retry-After`: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    httpdate::parse_http_date(v).ok().map(|t| {
        t.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
