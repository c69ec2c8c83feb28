//! What both clients share: the API key that never prints, the retry policy, one streamed
//! POST with bounded retries, and the reading of its server-sent events.

// Built without either client, only the settings (`LlmSettings`, `RetryPolicy`) use this.
#![cfg_attr(not(any(feature = "openai", feature = "anthropic")), allow(dead_code))]

use std::fmt;
use std::time::Duration;

use ctfy::transport::__private::{
    SseParsed, SseParser, deadline_after, parse_retry_after_value, snippet,
};
use futures::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::time::Instant;

use crate::model::ModelError;

/// The largest server-sent event frame a client accepts (a redacted thinking block arrives
/// whole in one frame, so this is generous).
const MAX_FRAME: usize = 16 * 1024 * 1024;

/// How much of an error body is read (its message is cut much shorter).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// What replaces the API key wherever a provider's text would echo it.
const MASK: &str = "[redacted]";

/// An API key: it is sent as a header and shown nowhere else (`Debug` prints a mask).
#[derive(Clone)]
pub(crate) struct ApiKey(SecretString);

impl ApiKey {
    pub(crate) fn new(key: impl Into<String>) -> Self {
        ApiKey(SecretString::from(key.into()))
    }

    /// The key itself (to hand to a client builder).
    pub(crate) fn expose(&self) -> String {
        self.0.expose_secret().to_owned()
    }

    /// The key as a header value marked sensitive (so that reqwest's own `Debug` hides it).
    pub(crate) fn header(&self, prefix: &str) -> Result<HeaderValue, ModelError> {
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", self.0.expose_secret()))
            .map_err(|_| {
                ModelError::Config(
                    "the API key holds characters an HTTP header cannot carry".into(),
                )
            })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// `text` with every occurrence of the key masked.
    pub(crate) fn mask(&self, text: String) -> String {
        let key = self.0.expose_secret();
        if key.len() >= 4 && text.contains(key) {
            text.replace(key, MASK)
        } else {
            text
        }
    }
}

impl ApiKey {
    /// `error` with the key masked in its text.
    pub(crate) fn mask_error(&self, error: ModelError) -> ModelError {
        match error {
            ModelError::Status { status, message } => ModelError::Status {
                status,
                message: self.mask(message),
            },
            ModelError::Transport(m) => ModelError::Transport(self.mask(m)),
            ModelError::Decode(m) => ModelError::Decode(self.mask(m)),
            ModelError::Config(m) => ModelError::Config(self.mask(m)),
            other => other,
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// How a client retries a call the provider refused for now: HTTP 429, any 5xx, or a
/// connection that failed before the answer began.
///
/// The wait before a retry is the provider's `Retry-After` (delay seconds or an HTTP date)
/// when it sent one, else an exponential backoff from [`initial_backoff`](Self::initial_backoff)
/// doubling up to [`max_backoff`](Self::max_backoff). A `Retry-After` longer than
/// [`max_retry_after`](Self::max_retry_after) ends the retries at once: the error is returned
/// rather than waited out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1; 1 means no retry).
    pub max_attempts: u32,
    /// The wait before the first retry when the provider did not say.
    pub initial_backoff: Duration,
    /// The longest backoff between two attempts when the provider did not say.
    pub max_backoff: Duration,
    /// The longest `Retry-After` the client waits out.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, backoff 1 s doubling up to 30 s, `Retry-After` honoured up to 120 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The default policy with `max_attempts` attempts in all (at least 1).
    pub fn attempts(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            ..RetryPolicy::default()
        }
    }

    /// This policy with another backoff: `initial` before the first retry, doubling up to
    /// `max`.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// This policy with another bound on the `Retry-After` it waits out.
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The backoff before retry number `retry` (1 for the first retry).
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// The part of a client's surface both clients share: `impl Model` (through the client's own
/// `call`), and the builder's setters of [`Common`]. The documentation of the setters whose
/// defaults differ comes from the invocation.
#[cfg(any(feature = "openai", feature = "anthropic"))]
macro_rules! client_surface {
    (
        client: $client:ident,
        builder: $builder:ident,
        model: $model_doc:literal,
        max_tokens: $max_tokens_doc:literal,
        base_url: $base_url_doc:literal,
        retry: $retry_doc:literal $(,)?
    ) => {
        impl $crate::model::Model for $client {
            fn respond<'a>(
                &'a self,
                system: &'a str,
                transcript: &'a [$crate::model::Turn],
                tools: &'a [$crate::model::ToolDef],
            ) -> $crate::model::ModelFuture<'a> {
                Box::pin(self.call(system, transcript, tools))
            }
        }

        impl $builder {
            #[doc = $model_doc]
            pub fn model(mut self, model: impl Into<String>) -> Self {
                self.common.model = model.into();
                self
            }

            #[doc = $max_tokens_doc]
            pub fn max_tokens(mut self, max_tokens: u32) -> Self {
                self.common.max_tokens = max_tokens;
                self
            }

            #[doc = $base_url_doc]
            pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
                self.common.base_url = base_url.into();
                self
            }

            /// The bound on one call of [`Model::respond`](crate::Model::respond), from
            /// sending the request to the end of the streamed answer, retries and their waits
            /// included (default 600 s). A retry whose wait would end past the bound is not
            /// made: the error that asked for it is returned.
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.common.timeout = timeout;
                self
            }

            #[doc = $retry_doc]
            pub fn retry(mut self, retry: $crate::llm::RetryPolicy) -> Self {
                self.common.retry = retry;
                self
            }

            /// The HTTP client to send with (default: one of the SDK's TLS configuration,
            /// without a timeout of its own).
            pub fn http_client(mut self, client: reqwest::Client) -> Self {
                self.common.http = Some(client);
                self
            }
        }
    };
}
#[cfg(any(feature = "openai", feature = "anthropic"))]
pub(crate) use client_surface;

/// How a client assembles its API's answer into an [`AssistantTurn`]: from streamed events,
/// or from one JSON document when a gateway does not stream.
#[cfg(any(feature = "openai", feature = "anthropic"))]
pub(crate) trait Assemble: Default + Sized {
    /// Takes one streamed event.
    fn take(&mut self, event: &Event) -> Result<Flow, ModelError>;
    /// Reads a whole, non-streamed answer.
    fn whole(answer: &Value) -> Result<Self, ModelError>;
    /// The turn; `done`: the answer said it was complete.
    fn finish(self, done: bool) -> Result<crate::model::AssistantTurn, ModelError>;
}

/// The settings both clients share.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    pub(crate) key: ApiKey,
    pub(crate) model: String,
    pub(crate) max_tokens: u32,
    pub(crate) base_url: String,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) http: Option<reqwest::Client>,
}

impl Common {
    pub(crate) fn new(key: String, model: &str, max_tokens: u32, base_url: &str) -> Self {
        Common {
            key: ApiKey::new(key),
            model: model.to_owned(),
            max_tokens,
            base_url: base_url.to_owned(),
            timeout: super::DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            http: None,
        }
    }

    /// Checks the settings and joins the base URL (trailing slashes dropped) with `path`.
    pub(crate) fn finish(self, path: &str) -> Result<Caller, ModelError> {
        let base = self.base_url.trim().trim_end_matches('/');
        let url = reqwest::Url::parse(&format!("{base}{path}"))
            .map_err(|e| ModelError::Config(format!("base URL {base:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ModelError::Config(format!(
                "base URL {base:?}: not an http(s) URL"
            )));
        }
        if self.model.trim().is_empty() {
            return Err(ModelError::Config("no model name".into()));
        }
        if self.timeout.is_zero() {
            return Err(ModelError::Config("the timeout is zero".into()));
        }
        let http = match self.http {
            Some(http) => http,
            None => {
                let builder = ctfy::transport::__private::tls_preconfigured(
                    reqwest::Client::builder()
                        .user_agent(concat!("ctfy-agent/", env!("CARGO_PKG_VERSION"))),
                )
                .map_err(|e| ModelError::Config(format!("HTTP client: {e}")))?;
                builder
                    .build()
                    .map_err(|e| ModelError::Config(format!("HTTP client: {e}")))?
            }
        };
        Ok(Caller {
            http,
            url,
            key: self.key,
            model: self.model.trim().to_owned(),
            max_tokens: self.max_tokens,
            timeout: self.timeout,
            retry: self.retry,
        })
    }
}

/// A client's HTTP side once built.
#[derive(Clone)]
pub(crate) struct Caller {
    pub(crate) http: reqwest::Client,
    pub(crate) url: reqwest::Url,
    pub(crate) key: ApiKey,
    pub(crate) model: String,
    pub(crate) max_tokens: u32,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("url", &self.url.as_str())
            .field("key", &self.key)
            .field("model", &self.model)
            .field("max_tokens", &self.max_tokens)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// One server-sent event: its `event:` name and its `data:`.
pub(crate) struct Event {
    pub(crate) name: String,
    pub(crate) data: String,
}

/// How an answer came.
pub(crate) enum Answer {
    /// As events, all handed over; `done`: the last one said the answer was complete (else
    /// the stream just ended).
    Streamed {
        /// Whether the answer said it was complete.
        done: bool,
    },
    /// As one JSON document (a gateway that does not stream).
    Whole(Value),
}

/// What the reader of a stream tells the loop after an event.
pub(crate) enum Flow {
    /// Read on.
    More,
    /// The answer is complete.
    Done,
}

impl Caller {
    /// POSTs `body` with `auth` headers and hands every event of the streamed answer to
    /// `on_event`, all within the per-call timeout. The request is retried per the policy
    /// until an answer begins; once it has, a failure is final. A gateway that ignored
    /// `stream` and answered with one JSON document gets [`Answer::Whole`]. Every error
    /// comes back with the key masked.
    /// Sends `body` with `auth` and assembles the answer, streamed or whole, as `A`; errors
    /// have the key masked.
    #[cfg(any(feature = "openai", feature = "anthropic"))]
    pub(crate) async fn respond<A: Assemble>(
        &self,
        auth: HeaderMap,
        body: &Value,
    ) -> Result<crate::model::AssistantTurn, ModelError> {
        let mut answer = A::default();
        match self.stream(auth, body, |event| answer.take(&event)).await? {
            Answer::Streamed { done } => answer.finish(done),
            Answer::Whole(whole) => A::whole(&whole)
                .map_err(|e| self.key.mask_error(e))?
                .finish(true),
        }
    }

    pub(crate) async fn stream(
        &self,
        auth: HeaderMap,
        body: &Value,
        on_event: impl FnMut(Event) -> Result<Flow, ModelError>,
    ) -> Result<Answer, ModelError> {
        self.stream_unmasked(auth, body, on_event)
            .await
            .map_err(|e| self.key.mask_error(e))
    }

    async fn stream_unmasked(
        &self,
        auth: HeaderMap,
        body: &Value,
        mut on_event: impl FnMut(Event) -> Result<Flow, ModelError>,
    ) -> Result<Answer, ModelError> {
        let deadline = deadline_after(Instant::now(), self.timeout);
        let timed_out = || ModelError::Timeout(self.timeout);
        let response = tokio::time::timeout_at(deadline, self.send(auth, body, deadline))
            .await
            .map_err(|_| timed_out())??;
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        let read = async {
            if is_json {
                let bytes = response.bytes().await.map_err(|e| {
                    ModelError::Transport(format!("the answer broke off: {}", error_chain(&e)))
                })?;
                let whole = serde_json::from_slice(&bytes).map_err(|e| {
                    ModelError::Decode(format!("the answer is not JSON ({e}): {}", snippet(&bytes)))
                })?;
                return Ok(Answer::Whole(whole));
            }
            let mut parser = SseParser::new(MAX_FRAME);
            let mut bytes = response.bytes_stream();
            while let Some(chunk) = bytes.next().await {
                let chunk = chunk.map_err(|e| {
                    ModelError::Transport(format!("the answer broke off: {}", error_chain(&e)))
                })?;
                parser.push(chunk);
                while let Some(parsed) = parser.next() {
                    match parsed {
                        SseParsed::Frame { event, data, .. } => {
                            if let Flow::Done = on_event(Event { name: event, data })? {
                                return Ok(Answer::Streamed { done: true });
                            }
                        }
                        SseParsed::TooLarge => {
                            return Err(ModelError::Decode(format!(
                                "an event of the answer is over {MAX_FRAME} bytes"
                            )));
                        }
                    }
                }
            }
            Ok(Answer::Streamed { done: false })
        };
        tokio::time::timeout_at(deadline, read)
            .await
            .map_err(|_| timed_out())?
    }

    /// Sends the request until it is answered with a success status, per the retry policy.
    async fn send(
        &self,
        auth: HeaderMap,
        body: &Value,
        deadline: Instant,
    ) -> Result<reqwest::Response, ModelError> {
        let body = serde_json::to_vec(body).map_err(|e| ModelError::Decode(e.to_string()))?;
        let mut headers = auth;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        let mut attempt = 1u32;
        loop {
            let sent = self
                .http
                .post(self.url.clone())
                .headers(headers.clone())
                .body(body.clone())
                .send()
                .await;
            let (error, retry_after) = match sent {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let retry_after = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after_value(v.trim()));
                    let body = read_capped(response, MAX_ERROR_BODY).await;
                    let error = ModelError::Status {
                        status: status.as_u16(),
                        message: self.key.mask(error_message(&body)),
                    };
                    if !(status.as_u16() == 429 || status.is_server_error()) {
                        return Err(error);
                    }
                    (error, retry_after)
                }
                Err(e) => (ModelError::Transport(self.key.mask(error_chain(&e))), None),
            };
            if attempt >= self.retry.max_attempts {
                return Err(error);
            }
            let wait = match retry_after {
                Some(wait) if wait > self.retry.max_retry_after => return Err(error),
                Some(wait) => wait,
                None => self.retry.backoff(attempt),
            };
            if deadline_after(Instant::now(), wait) >= deadline {
                return Err(error);
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// The first `cap` bytes of a body (what arrived of it when it broke off).
async fn read_capped(response: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut bytes = response.bytes_stream();
    while let Some(Ok(chunk)) = bytes.next().await {
        let room = cap - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= cap {
            break;
        }
    }
    out
}

/// A header map with `name: value` (the key's header).
pub(crate) fn header(name: &'static str, value: HeaderValue) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(HeaderName::from_static(name), value);
    headers
}

/// The provider's error message from an error body: `error.message` (both APIs), a bare
/// string `error` or a top-level `message` (some gateways); else a bounded snippet.
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        if let Some(m) = error_message_of(&v) {
            return m;
        }
    }
    let text = snippet(body);
    if text.trim().is_empty() {
        "(empty body)".to_owned()
    } else {
        text
    }
}

/// The message of an error object (`{"error": {"message": …}}` and kin), if it has one.
pub(crate) fn error_message_of(v: &Value) -> Option<String> {
    let text = match v.get("error") {
        Some(Value::Object(e)) => e.get("message").and_then(Value::as_str),
        Some(Value::String(s)) => Some(s.as_str()),
        _ => v.get("message").and_then(Value::as_str),
    }?;
    Some(snippet(text.as_bytes()))
}

/// An error and its sources, `: `-separated.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Parses tool-call arguments: a JSON object, else (invalid JSON, another type, nothing) an
/// empty object, as the reference does.
pub(crate) fn parse_arguments(raw: &str) -> serde_json::Map<String, Value> {
    if raw.trim().is_empty() {
        return serde_json::Map::new();
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// A data frame as JSON.
pub(crate) fn json_of(event: &Event) -> Result<Value, ModelError> {
    serde_json::from_str(&event.data).map_err(|e| {
        ModelError::Decode(format!(
            "event {:?} is not JSON ({e}): {}",
            event.name,
            snippet(event.data.as_bytes())
        ))
    })
}
