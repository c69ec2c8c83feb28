//! A server-sent event stream with its own reconnect loop.
//!
//! [`Transport::sse`] opens `GET <path>` with `Accept: text/event-stream` and returns an
//! [`SseStream`]: a `Stream<Item = Result<SseItem>>` that parses the body (a linear parser of
//! our own that follows the WHATWG standard: every byte is scanned once, lines may end in
//! CRLF, LF or CR, invalid UTF-8 is replaced, a leading BOM is skipped) and reconnects when
//! the connection is lost. Nothing here knows the platform's event names: frames come out as
//! name, data text and id.
//!
//! # What the stream yields
//!
//! - [`SseItem::Connected`] once the first connection is accepted (`200` with a
//!   `text/event-stream` body);
//! - [`SseItem::Frame`] for every dispatched frame (comments such as `: keepalive` are
//!   swallowed; several `data:` lines are joined with `\n`);
//! - [`SseItem::Reconnected`] after each successful reconnection. Frames sent while the stream
//!   was down may be lost: treat it as "resync" (refetch what you display);
//! - [`SseItem::FrameTooLarge`] when a frame was larger than
//!   [`SseConfig::max_frame_size`] (1 MiB by default): it is dropped as it arrives (never
//!   buffered whole) and the stream goes on with the next frame.
//!
//! # Reconnecting
//!
//! The stream reconnects, after a jittered exponential delay (`min_backoff` → `max_backoff`,
//! 1 s → 30 s by default, from backon's `ExponentialBuilder`), when:
//! - the server ends the body (EOF) or the connection breaks, even in the middle of a frame
//!   (the partial frame is dropped);
//! - nothing at all (not even a keepalive comment) arrives for `idle_timeout` (95 s by
//!   default: a bit more than three 30 s keepalive periods); the same limit applies to waiting
//!   for the response headers;
//! - the server answers 5xx, 408 or 429, or the request fails in transport.
//!
//! A server's `Retry-After` on such an answer is a lower bound for the next delay (above
//! `max_backoff` if need be), itself capped by the transport's
//! [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after). A `retry:` field in
//! the stream raises the delays to the reconnection time it gives (capped the same way); it
//! never lowers them under the backoff, so a server (or a proxy) that sends `retry: 0` and
//! closes cannot make the client reconnect in a loop: a reconnection never comes sooner than
//! `min_backoff`.
//!
//! The backoff starts over only after a connection that delivered a frame (a block with
//! `data:`), or stayed open for `stable_after` (60 s). A connection that brought only
//! comments, `retry:` or `id:` lines does not count, and a server that accepts and drops
//! connections at once therefore still sees growing delays.
//!
//! Transient failures are not yielded (they are traced at `debug`, without the URL); when a
//! `max_attempts` limit is configured and that many consecutive attempts fail, the last error is
//! yielded and the stream ends.
//!
//! The stream ends for good, after yielding one error, on 401, 403, 404 and any other 4xx
//! ([`Error::Api`]), a redirect ([`Error::Redirect`]) or a success answer that is not
//! `text/event-stream` ([`Error::Stream`]). `204 No Content` ends it quietly (the SSE way for a
//! server to say "do not reconnect"). With reconnection turned off, the first end of the
//! connection ends the stream (an error, if it was one, is yielded first).
//!
//! When the server gave frame ids (`id:`), the last one dispatched (by a blank line, even
//! after a block with no `data:`, as the standard says) is sent back as `Last-Event-ID` on
//! reconnection.
//!
//! A `429` whose code is `too_many_streams` (the platform's cap of live streams per account)
//! ends the stream with that [`Error::Api`] ([`Error::is_stream_limit`]): retrying would only
//! add load. Failures that are not HTTP answers (idle timeout, no response, a body that is not
//! an event stream) are [`Error::Stream`] with a [`StreamErrorKind`].
//!
//! # One connection for many readers
//!
//! [`Transport::sse`] opens a connection per stream. [`Transport::sse_shared`] opens one per
//! transport, request and configuration, shared by every [`SseSubscription`]: it connects at
//! the first poll of the first subscription and closes when the last one is dropped (or at
//! [`Transport::close_streams`]). Every subscription sees its own `Connected` first (at once
//! when the connection is already up), every frame and every `Reconnected`; one that falls
//! more than [`SseConfig::reader_buffer`] bytes (4 MiB) behind loses its oldest items and
//! gets [`SseItem::Lagged`] instead of slowing the others or holding more memory.
//!
//! # Resources and secrets
//!
//! The stream is a state machine driven by the consumer's polls (`futures::stream::unfold`):
//! no task is spawned and nothing is buffered beyond the socket and the parser, whose buffer
//! never holds more than one frame (at most `max_frame_size`). One idle timer per connection
//! is reset by each chunk. Dropping the stream closes the connection.
//!
//! The token goes where [`SseAuth`] says. With [`SseAuth::Query`] it is part of the URL, so
//! the URL is never logged or traced, reqwest errors are stripped of it (`without_url`), a
//! redirect of it is never followed (whatever the HTTP client: the transport sets the redirect
//! policy) and no `Referer` is ever sent.

use std::pin::Pin;
use std::time::{Duration, Instant};

use backon::BackoffBuilder;
use futures::future::Either;
use futures::stream::{self, BoxStream, Stream, StreamExt};
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use secrecy::ExposeSecret;

use crate::error::{Error, Result, StreamErrorKind};

/// The platform's error code for a caller over its cap of live event streams (`429`): final
/// for the stream, which ends with that [`Error::Api`] (see [`Error::is_stream_limit`]).
pub const TOO_MANY_STREAMS: &str = "too_many_streams";
use crate::request::Request;
use crate::transport::{Transport, parse_retry_after, read_error_body};

pub(crate) mod parser;
pub(crate) mod shared;
use parser::{Parsed, Parser};
pub use shared::SseSubscription;

/// How an [`SseStream`] behaves: backoff, idle timeout, reconnection. Build one with
/// [`SseConfig::builder`]; [`SseConfig::default`] suits a long-lived stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseConfig {
    /// The first reconnection delay (default 1 s).
    pub min_backoff: Duration,
    /// The largest reconnection delay (default 30 s).
    pub max_backoff: Duration,
    /// How long the connection may stay silent (no byte, not even a keepalive comment)
    /// before it is dropped and reopened; also the limit for the response headers
    /// (default 95 s, about three 30 s keepalive periods).
    pub idle_timeout: Duration,
    /// How long a connection must stay open to count as stable when it delivered no frame
    /// (default 60 s). The backoff starts over after a stable connection.
    pub stable_after: Duration,
    /// Whether to reconnect at all (default `true`).
    pub reconnect: bool,
    /// How many consecutive failed attempts end the stream (with the last error);
    /// `None` (the default) retries forever.
    pub max_attempts: Option<u32>,
    /// The largest frame kept, in bytes (its lines with their line ends; default 1 MiB). A
    /// larger one is dropped and reported as [`SseItem::FrameTooLarge`].
    pub max_frame_size: usize,
    /// How far a reader of a shared stream ([`Transport::sse_shared`]) may fall behind, in
    /// bytes of frames not read yet (each item counts its texts plus 64 bytes; default
    /// 4 MiB, about as much as a busy connection's socket buffers hold). Past it the reader's
    /// oldest items are dropped and it is told so ([`SseItem::Lagged`]); the newest item is
    /// always kept.
    pub reader_buffer: usize,
}

/// The default [`SseConfig::reader_buffer`] (4 MiB).
pub const DEFAULT_READER_BUFFER: usize = 4 * 1024 * 1024;

/// The default [`SseConfig::max_frame_size`] (1 MiB).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 1024 * 1024;

impl Default for SseConfig {
    fn default() -> Self {
        Self {
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(95),
            stable_after: Duration::from_secs(60),
            reconnect: true,
            max_attempts: None,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            reader_buffer: DEFAULT_READER_BUFFER,
        }
    }
}

impl SseConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> SseConfigBuilder {
        SseConfigBuilder {
            config: Self::default(),
        }
    }

    /// The reconnection delays: jittered, doubling from `min_backoff` up to `max_backoff`.
    fn delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.min_backoff)
            .with_max_delay(self.max_backoff.max(self.min_backoff))
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build()
    }
}

/// Builds an [`SseConfig`].
///
/// ```
/// use std::time::Duration;
/// use ctfy_transport::events::SseConfig;
///
/// let config = SseConfig::builder()
///     .backoff(Duration::from_millis(500), Duration::from_secs(10))
///     .idle_timeout(Duration::from_secs(65))
///     .build();
/// assert!(config.reconnect);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct SseConfigBuilder {
    config: SseConfig,
}

impl SseConfigBuilder {
    /// The first and the largest reconnection delay (`max` is raised to `min` if lower).
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.config.min_backoff = min;
        self.config.max_backoff = max.max(min);
        self
    }

    /// The idle timeout (see [`SseConfig::idle_timeout`]).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// How long a frameless connection must last to reset the backoff.
    pub fn stable_after(mut self, after: Duration) -> Self {
        self.config.stable_after = after;
        self
    }

    /// Whether to reconnect (default `true`).
    pub fn reconnect(mut self, on: bool) -> Self {
        self.config.reconnect = on;
        self
    }

    /// End the stream after this many consecutive failed attempts (`None`: never).
    pub fn max_attempts(mut self, n: Option<u32>) -> Self {
        self.config.max_attempts = n;
        self
    }

    /// The largest frame kept, in bytes (see [`SseConfig::max_frame_size`]; at least 1).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config.max_frame_size = bytes.max(1);
        self
    }

    /// How far a reader of a shared stream may fall behind, in bytes (see
    /// [`SseConfig::reader_buffer`]).
    pub fn reader_buffer(mut self, bytes: usize) -> Self {
        self.config.reader_buffer = bytes;
        self
    }

    /// The configuration.
    pub fn build(self) -> SseConfig {
        self.config
    }
}

/// Where the stream's credentials go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SseAuth {
    /// No credentials.
    None,
    /// `Authorization: Bearer <token>` (the transport's token), as for ordinary requests.
    Bearer,
    /// The transport's events token ([`Transport::events_token`]: the
    /// [`events_token`](crate::TransportBuilder::events_token) if set, else the token) as this
    /// query parameter (e.g. `token`), for servers whose stream endpoint reads no header. No
    /// `Authorization` header is sent then.
    Query(&'static str),
}

/// One item of an [`SseStream`] or an [`SseSubscription`].
///
/// Not `#[non_exhaustive]`: the clients map every item to a notice of their own, with no
/// catch-all arm, so a new kind of item is a breaking change of this crate (and the crates of
/// one release move together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// The first connection was accepted.
    Connected,
    /// The stream connected again after losing its connection; frames may have been missed.
    Reconnected {
        /// How many times this stream has reconnected so far (1 for the first time).
        attempt: u32,
    },
    /// A frame larger than [`SseConfig::max_frame_size`] was dropped; the stream goes on.
    FrameTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// This reader of a shared stream fell more than [`SseConfig::reader_buffer`] bytes
    /// behind: its `missed` oldest items were dropped (the other readers got them). Treat it
    /// as "resync" (refetch what you keep in sync with events).
    Lagged {
        /// How many items this reader missed.
        missed: u64,
    },
    /// A frame.
    Frame {
        /// Its `event:` name (`message` when the frame had none).
        event: String,
        /// Its `data:` lines, joined with `\n`.
        data: String,
        /// The last `id:` the server gave, if it ever gave one.
        id: Option<String>,
    },
}

/// A server-sent event stream (see the [module docs](self)). Dropping it closes the
/// connection.
pub struct SseStream {
    inner: BoxStream<'static, Result<SseItem>>,
}

impl std::fmt::Debug for SseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseStream").finish_non_exhaustive()
    }
}

impl Stream for SseStream {
    type Item = Result<SseItem>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

enum Phase {
    /// Connect after this delay.
    Connect(Duration),
    /// Reading a connection.
    Open(Box<Open>),
    /// Finished.
    Done,
}

/// An open connection: its body, its parser and its idle timer.
struct Open {
    resp: reqwest::Response,
    parser: Parser,
    idle: Pin<Box<tokio::time::Sleep>>,
    since: Instant,
    got_frame: bool,
}

struct State {
    t: Transport,
    req: Request,
    auth: SseAuth,
    config: SseConfig,
    phase: Phase,
    delays: Box<dyn Iterator<Item = Duration> + Send>,
    last_event_id: Option<String>,
    /// The reconnection time the server set with `retry:` (capped).
    server_retry: Option<Duration>,
    /// Consecutive failed attempts.
    failures: u32,
    /// Successful connections so far.
    connections: u32,
}

/// What one connection attempt gave.
enum Outcome {
    Open(reqwest::Response),
    /// A transient failure: retry, waiting at least this long.
    Retry(Error, Option<Duration>),
    /// The end: yield this error (if any) and stop.
    Fatal(Option<Error>),
}

/// Why a connection's body ended.
enum Ended {
    Eof,
    Error(Error),
}

impl Transport {
    /// The [`Error::EventDecode`] of a frame whose data did not fit its typed payload. The
    /// event name, the data and serde's message (which quotes the value it refused) go
    /// through the same redaction as HTTP error texts (this transport's tokens, `token=`
    /// values, URL userinfo) before they are cut to [`SNIPPET_LEN`](crate::SNIPPET_LEN)
    /// bytes: a frame may echo anything, the token included.
    pub fn event_decode_error(&self, event: &str, data: &str, source: serde_json::Error) -> Error {
        let secrets = self.secrets();
        Error::EventDecode {
            event: crate::error::redacted_snippet(event.as_bytes(), &secrets),
            snippet: crate::error::redacted_snippet(data.as_bytes(), &secrets),
            // serde's message quotes the value it refused: redacted too.
            source: crate::error::shown_source(source, &secrets),
        }
    }

    /// Opens a server-sent event stream on `req` (a `GET`; its query is kept). Nothing is sent
    /// until the stream is first polled. See the [`events`](crate::events) module for the
    /// reconnection rules.
    pub fn sse(&self, req: Request, auth: SseAuth, config: SseConfig) -> SseStream {
        let delays = Box::new(config.delays());
        // Boxed: `unfold` moves the state into and out of every step, one pointer then.
        let state = Box::new(State {
            t: self.clone(),
            req,
            auth,
            config,
            phase: Phase::Connect(Duration::ZERO),
            delays,
            last_event_id: None,
            server_retry: None,
            failures: 0,
            connections: 0,
        });
        SseStream {
            inner: stream::unfold(state, step).boxed(),
        }
    }
}

async fn step(mut st: Box<State>) -> Option<(Result<SseItem>, Box<State>)> {
    loop {
        match std::mem::replace(&mut st.phase, Phase::Done) {
            Phase::Done => return None,
            Phase::Connect(delay) => {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                match connect(
                    &st.t,
                    &st.req,
                    st.auth,
                    &st.config,
                    st.last_event_id.as_deref(),
                    st.failures.saturating_add(1),
                )
                .await
                {
                    Outcome::Open(resp) => {
                        let mut parser = Parser::new(st.config.max_frame_size);
                        parser.set_last_id(st.last_event_id.clone());
                        st.phase = Phase::Open(Box::new(Open {
                            resp,
                            parser,
                            idle: Box::pin(tokio::time::sleep(st.config.idle_timeout)),
                            since: Instant::now(),
                            got_frame: false,
                        }));
                        st.connections += 1;
                        let item = if st.connections == 1 {
                            SseItem::Connected
                        } else {
                            SseItem::Reconnected {
                                attempt: st.connections - 1,
                            }
                        };
                        return Some((Ok(item), st));
                    }
                    Outcome::Fatal(err) => return err.map(|e| (Err(e), st)),
                    Outcome::Retry(err, at_least) => {
                        st.failures += 1;
                        let give_up = !st.config.reconnect
                            || st.config.max_attempts.is_some_and(|max| st.failures >= max);
                        if give_up {
                            return Some((Err(err), st));
                        }
                        let floor = at_least
                            .unwrap_or_default()
                            .min(st.t.retry_policy().max_retry_after);
                        let delay = next_delay(&mut st).max(floor);
                        tracing::debug!(path = st.req.template(), error = %err.report(), ?delay, "event stream: reconnecting");
                        st.phase = Phase::Connect(delay);
                    }
                }
            }
            Phase::Open(mut open) => {
                let ended = loop {
                    if let Some(parsed) = open.parser.next() {
                        break Ok(parsed);
                    }
                    // One chunk or the idle deadline, whichever comes first (tokio's `select!`
                    // would need its `macros` feature; this crate asks tokio for `time` only).
                    let next = {
                        let chunk = std::pin::pin!(open.resp.chunk());
                        match futures::future::select(chunk, open.idle.as_mut()).await {
                            Either::Left((chunk, _)) => Some(chunk),
                            Either::Right(((), _)) => None,
                        }
                    };
                    match next {
                        Some(Ok(Some(bytes))) => {
                            open.parser.push(bytes);
                            let next = crate::deadline::deadline_after(
                                tokio::time::Instant::now(),
                                st.config.idle_timeout,
                            );
                            open.idle.as_mut().reset(next);
                        }
                        Some(Ok(None)) => break Err(Ended::Eof),
                        Some(Err(e)) => {
                            let path = st.t.url(st.req.path()).path().to_owned();
                            break Err(Ended::Error(Error::http("GET", st.t.origin(), &path, e)));
                        }
                        None => {
                            let msg =
                                format!("no data for {:?} (idle timeout)", st.config.idle_timeout);
                            break Err(Ended::Error(Error::stream(
                                StreamErrorKind::IdleTimeout,
                                msg,
                            )));
                        }
                    }
                };
                if let Some(retry) = open.parser.take_retry() {
                    // It only raises the delays (see `next_delay`); the backoff goes on.
                    st.server_retry = Some(retry.min(st.t.retry_policy().max_retry_after));
                }
                let why = match ended {
                    Ok(Parsed::Frame { event, data, id }) => {
                        if !open.got_frame {
                            // A frame: the connection is good, start the backoff over.
                            open.got_frame = true;
                            reset_backoff(&mut st);
                        }
                        st.last_event_id.clone_from(&id);
                        st.phase = Phase::Open(open);
                        return Some((Ok(SseItem::Frame { event, data, id }), st));
                    }
                    Ok(Parsed::TooLarge) => {
                        let limit = st.config.max_frame_size;
                        tracing::debug!(
                            path = st.req.template(),
                            limit,
                            "event stream: frame over the limit dropped"
                        );
                        st.phase = Phase::Open(open);
                        return Some((Ok(SseItem::FrameTooLarge { limit }), st));
                    }
                    Err(Ended::Error(e)) => Some(e),
                    Err(Ended::Eof) => None,
                };
                // The last id dispatched, also by a block that had no `data:` (no frame).
                st.last_event_id = open.parser.last_id().map(str::to_owned);
                let since = open.since;
                drop(open);
                if since.elapsed() >= st.config.stable_after {
                    reset_backoff(&mut st);
                }
                match &why {
                    Some(e) => {
                        tracing::debug!(path = st.req.template(), error = %e.report(), "event stream: connection lost")
                    }
                    None => tracing::debug!(
                        path = st.req.template(),
                        "event stream: the server closed the stream"
                    ),
                }
                if !st.config.reconnect {
                    return why.map(|e| (Err(e), st));
                }
                st.phase = Phase::Connect(next_delay(&mut st));
            }
        }
    }
}

fn reset_backoff(st: &mut State) {
    st.failures = 0;
    st.delays = Box::new(st.config.delays());
}

/// The next reconnection delay: the backoff's (never under `min_backoff`), raised to the
/// server's `retry:` time when that is longer. A `retry:` shorter than the backoff changes
/// nothing, so `retry: 0` cannot make the stream reconnect in a loop.
fn next_delay(st: &mut State) -> Duration {
    let max = st.config.max_backoff.max(st.config.min_backoff);
    let backoff = st
        .delays
        .next()
        .unwrap_or(max)
        .clamp(st.config.min_backoff, max);
    backoff.max(st.server_retry.unwrap_or_default())
}

/// Connection attempt number `attempt` (since the stream was last connected) of `req`.
///
/// Interceptors see it as one exchange: they see the URL without the token (a
/// [`SseAuth::Query`] token is added after them, as a [`SseAuth::Bearer`] header is), and an
/// interceptor's answer is read as the stream.
async fn connect(
    t: &Transport,
    req: &Request,
    auth: SseAuth,
    config: &SseConfig,
    last_event_id: Option<&str>,
    attempt: u32,
) -> Outcome {
    let mut url = t.url(req.path());
    let path = url.path().to_owned();
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in req.query_pairs() {
            pairs.append_pair(k, v);
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    let client = match t.stream_client() {
        Ok(client) => client,
        Err(e) => return Outcome::Fatal(Some(e)),
    };
    let mut request = reqwest::Request::new(reqwest::Method::GET, url);
    let headers = request.headers_mut();
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(id) = last_event_id {
        if let Ok(v) = HeaderValue::from_str(id) {
            headers.insert("last-event-id", v);
        }
    }
    let (tap, answer) = t.intercept(&mut request, req.template(), attempt);
    let sent = match answer {
        Some(answer) => Ok(answer),
        None => {
            // The credentials go on after the interceptors ran, and only to the transport's
            // own origin (the URL above is always on it).
            match auth {
                SseAuth::Bearer => t.authorize(&mut request),
                SseAuth::Query(name) => {
                    if let (Some(token), true) = (t.events_token(), t.is_home(request.url())) {
                        request
                            .url_mut()
                            .query_pairs_mut()
                            .append_pair(name, token.expose_secret());
                    }
                }
                SseAuth::None => {}
            }
            match tokio::time::timeout(config.idle_timeout, client.execute(request)).await {
                Err(_) => {
                    let msg = format!("no response within {:?}", config.idle_timeout);
                    Err(Error::stream(StreamErrorKind::NoResponse, msg))
                }
                Ok(Err(e)) => Err(Error::http("GET", t.origin(), &path, e)),
                Ok(Ok(resp)) => Ok(resp),
            }
        }
    };
    let resp = match sent {
        Ok(resp) => resp,
        Err(err) => {
            if let Some(tap) = tap {
                tap.error(&err);
            }
            return Outcome::Retry(err, None);
        }
    };
    let status = resp.status();
    let code = status.as_u16();
    // The interceptors see the body of an error answer only; a stream is read by its reader.
    let error_headers = match tap {
        Some(tap) if status.is_success() || status.is_redirection() => {
            tap.response(status, resp.headers(), None);
            None
        }
        Some(tap) => Some((tap, resp.headers().clone())),
        None => None,
    };
    if code == 204 {
        return Outcome::Fatal(None);
    }
    if status.is_success() {
        let ctype = resp
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        if !ctype
            .trim()
            .to_ascii_lowercase()
            .starts_with("text/event-stream")
        {
            let msg = format!(
                "GET {path}: expected text/event-stream, got {:?}",
                crate::error::snippet(t.redact(&ctype).as_bytes())
            );
            return Outcome::Fatal(Some(Error::stream(StreamErrorKind::NotEventStream, msg)));
        }
        return Outcome::Open(resp);
    }
    if status.is_redirection() {
        return Outcome::Fatal(Some(t.redirect_error("GET", &path, &resp)));
    }
    let retry_after = parse_retry_after(resp.headers());
    let body = tokio::time::timeout(config.idle_timeout, read_error_body(resp))
        .await
        .unwrap_or_default();
    if let Some((tap, headers)) = error_headers {
        tap.response(status, &headers, Some(&body));
    }
    let err = t.api_error("GET", &path, code, retry_after, &body);
    // The platform's per-account stream cap is final for this stream: it says so.
    let over_cap = code == 429 && err.code() == Some(TOO_MANY_STREAMS);
    if !over_cap && (status.is_server_error() || code == 408 || code == 429) {
        Outcome::Retry(err, retry_after)
    } else {
        Outcome::Fatal(Some(err))
    }
}
