//! Interceptors: code of yours that runs around every HTTP exchange the transport has.
//!
//! An [`Interceptor`] registered with
//! [`TransportBuilder::interceptor`](crate::TransportBuilder::interceptor) (or a client
//! builder's `interceptor`) is called for each HTTP request the transport sends: every
//! attempt of a call (retries included), every redirect the transport follows within an
//! attempt, and every connection attempt of an event stream. It can
//!
//! - add, replace or remove request headers ([`OutgoingRequest::insert_header`]), except
//!   the few that carry credentials or choose the server (see [`RESERVED_HEADERS`]);
//! - answer a request itself, without sending it ([`OutgoingRequest::respond`]), e.g. to
//!   replay recorded traffic in tests;
//! - look at each answer: status, headers, the body when the SDK buffers it, and how long
//!   the exchange took ([`Interceptor::after_response`]); or at the error of an exchange that
//!   got no complete answer ([`Interceptor::on_error`]).
//!
//! # What an interceptor cannot do
//! It cannot move the token. The URL and method are read-only; `Authorization`,
//! `Proxy-Authorization` and `Host` can be neither read, set nor removed; and the transport
//! adds its credentials only *after* every interceptor has run, and only to a request whose
//! URL is on the configured origin. An interceptor's answer is handled like a server's:
//! a redirect in it is followed only to the configured origin, as any redirect is.
//!
//! # Order and cost
//! Interceptors run in the order they were registered. [`Interceptor::before_send`] runs for
//! each until one answers the request ([`OutgoingRequest::respond`]); the ones after it are
//! skipped for that exchange. Each interceptor whose `before_send` ran then gets exactly one
//! call for that exchange: [`Interceptor::after_response`] or [`Interceptor::on_error`].
//!
//! The hooks are synchronous and run on the task that sends the request: keep them quick
//! (count, copy, push to a channel), and never block. With no interceptor registered, a
//! request costs nothing more than before.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use ctfy_transport::interceptor::{InterceptedResponse, Interceptor, OutgoingRequest};
//! use ctfy_transport::reqwest::header::{HeaderName, HeaderValue};
//!
//! /// Tags every request and counts the answers that were server errors.
//! #[derive(Default)]
//! struct Tagger {
//!     server_errors: AtomicU64,
//! }
//!
//! impl Interceptor for Tagger {
//!     fn before_send(&self, request: &mut OutgoingRequest<'_>) {
//!         let _ = request.insert_header(
//!             HeaderName::from_static("x-run-id"),
//!             HeaderValue::from_static("nightly-42"),
//!         );
//!     }
//!
//!     fn after_response(&self, response: &InterceptedResponse<'_>) {
//!         if response.status().is_server_error() {
//!             self.server_errors.fetch_add(1, Ordering::Relaxed);
//!         }
//!     }
//! }
//!
//! let tagger = Arc::new(Tagger::default());
//! let transport = ctfy_transport::Transport::builder("http://127.0.0.1:8000")
//!     .interceptor(tagger.clone()) // an `Arc` of an interceptor is one too
//!     .build()
//!     .unwrap();
//! # drop(transport);
//! assert_eq!(tagger.server_errors.load(Ordering::Relaxed), 0);
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{
    AUTHORIZATION, HOST, HeaderMap, HeaderName, HeaderValue, PROXY_AUTHORIZATION,
};
use reqwest::{Method, StatusCode};
use url::Url;

use crate::error::Error;

/// Headers an interceptor can neither read, set nor remove: they carry credentials
/// (`Authorization`, `Proxy-Authorization`) or pick the server behind an address (`Host`).
/// The transport alone sets the token, after the interceptors ran, and only for the
/// configured origin.
pub const RESERVED_HEADERS: [HeaderName; 3] = [AUTHORIZATION, PROXY_AUTHORIZATION, HOST];

/// A hook around each HTTP exchange of a [`Transport`](crate::Transport).
///
/// Every method has a default that does nothing: implement the ones you need. See the
/// [module docs](self) for when each one runs, in what order, and what an interceptor
/// cannot change.
///
/// An `Arc<T>` of an interceptor is an interceptor too, so you can keep a handle on one you
/// registered (to read its counters, or the exchanges it recorded).
pub trait Interceptor: Send + Sync + 'static {
    /// Called before a request goes out. `request` lets you read the method, URL and headers,
    /// change headers (not the [reserved](RESERVED_HEADERS) ones), read the body when it is
    /// in memory, or answer the request yourself with [`OutgoingRequest::respond`].
    fn before_send(&self, request: &mut OutgoingRequest<'_>) {
        let _ = request;
    }

    /// Called when an exchange got a complete answer, whatever its status (an error status
    /// then becomes the call's [`Error::Api`], and may be retried). The body is there when
    /// the SDK buffers it (see [`InterceptedResponse::body`]).
    fn after_response(&self, response: &InterceptedResponse<'_>) {
        let _ = response;
    }

    /// Called when an exchange got no complete answer: no connection, a timeout, an answer
    /// cut short, or a body over the size limit. `error` is what the attempt fails with (it
    /// may still be retried).
    fn on_error(&self, request: &RequestInfo, error: &Error) {
        let _ = (request, error);
    }
}

impl<T: Interceptor + ?Sized> Interceptor for Arc<T> {
    fn before_send(&self, request: &mut OutgoingRequest<'_>) {
        (**self).before_send(request);
    }

    fn after_response(&self, response: &InterceptedResponse<'_>) {
        (**self).after_response(response);
    }

    fn on_error(&self, request: &RequestInfo, error: &Error) {
        (**self).on_error(request, error);
    }
}

/// What an exchange is: method, URL, the path template and the attempt number.
///
/// The URL is the one the request goes to, query included; it never holds the token (an
/// event stream that sends the token as a query parameter gets it added after the
/// interceptors ran).
#[derive(Debug, Clone)]
pub struct RequestInfo {
    method: Method,
    url: Url,
    template: &'static str,
    attempt: u32,
}

impl RequestInfo {
    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL the request goes to (for a followed redirect: the redirect's target).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The route's template relative to the API base, e.g. `/instances/{id}/status`: a label
    /// of bounded cardinality for metrics (ids are not in it).
    pub fn path_template(&self) -> &'static str {
        self.template
    }

    /// Which attempt of the call this exchange belongs to: 1 for the first, 2 for the first
    /// retry… Redirects followed within an attempt share its number. For an event stream,
    /// the connection attempt since the stream was last connected.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

/// The request an interceptor's [`before_send`](Interceptor::before_send) sees: read-only
/// method and URL, headers it may change, and the means to answer it.
#[derive(Debug)]
pub struct OutgoingRequest<'a> {
    info: &'a RequestInfo,
    request: &'a mut reqwest::Request,
    answer: Option<Answer>,
}

/// An interceptor's answer to a request.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// Why an interceptor could not set a header: it is one of the [`RESERVED_HEADERS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedHeader(HeaderName);

impl ReservedHeader {
    /// The header's name.
    pub fn name(&self) -> &HeaderName {
        &self.0
    }
}

impl std::fmt::Display for ReservedHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {} header is the transport's own: an interceptor cannot set it",
            self.0
        )
    }
}

impl std::error::Error for ReservedHeader {}

fn is_reserved(name: &HeaderName) -> bool {
    RESERVED_HEADERS.contains(name)
}

impl OutgoingRequest<'_> {
    /// Method, URL, path template and attempt number.
    pub fn info(&self) -> &RequestInfo {
        self.info
    }

    /// The headers set so far. The transport's `Authorization` is not among them (it is
    /// added after every interceptor ran); the `User-Agent` and the connection's own headers
    /// are added by the HTTP client later too.
    pub fn headers(&self) -> &HeaderMap {
        self.request.headers()
    }

    /// Sets `name` to `value`, replacing any value it had (an earlier interceptor's, or the
    /// SDK's own `Content-Type`).
    ///
    /// # Errors
    /// [`ReservedHeader`] when `name` is one of [`RESERVED_HEADERS`]: nothing is set.
    pub fn insert_header(
        &mut self,
        name: HeaderName,
        value: HeaderValue,
    ) -> std::result::Result<(), ReservedHeader> {
        if is_reserved(&name) {
            return Err(ReservedHeader(name));
        }
        self.request.headers_mut().insert(name, value);
        Ok(())
    }

    /// Removes `name` and returns the value it had; a [reserved](RESERVED_HEADERS) name is
    /// left alone (and gives `None`).
    pub fn remove_header(&mut self, name: &HeaderName) -> Option<HeaderValue> {
        if is_reserved(name) {
            return None;
        }
        self.request.headers_mut().remove(name)
    }

    /// The body, when it is in memory (JSON and raw bodies); `None` for no body and for
    /// multipart forms (their files are streamed).
    pub fn body(&self) -> Option<&[u8]> {
        self.request.body().and_then(reqwest::Body::as_bytes)
    }

    /// Answers the request with `status`, `headers` and `body` instead of sending it: nothing
    /// goes on the wire, and the interceptors registered after this one do not see the
    /// request.
    ///
    /// The answer is handled exactly like one from the server: an error status becomes
    /// [`Error::Api`] (decoded from `body`) and is retried by the usual rules, a body over
    /// the size limit is [`Error::BodyTooLarge`], a redirect is followed only where the
    /// transport follows any (and then goes through the interceptors again), and an event
    /// stream reads `body` as its frames. Calling it twice keeps the second answer.
    pub fn respond(&mut self, status: StatusCode, headers: HeaderMap, body: impl Into<Bytes>) {
        self.answer = Some(Answer {
            status,
            headers,
            body: body.into(),
        });
    }

    /// Whether an interceptor already answered the request with
    /// [`respond`](Self::respond) (only this one can have: the next ones are skipped).
    pub fn is_answered(&self) -> bool {
        self.answer.is_some()
    }
}

/// An answer as [`after_response`](Interceptor::after_response) sees it.
#[derive(Debug)]
pub struct InterceptedResponse<'a> {
    info: &'a RequestInfo,
    status: StatusCode,
    headers: &'a HeaderMap,
    body: Option<&'a Bytes>,
    elapsed: Duration,
}

impl InterceptedResponse<'_> {
    /// Method, URL, path template and attempt number of the request.
    pub fn info(&self) -> &RequestInfo {
        self.info
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.headers
    }

    /// The body, when the SDK read it into memory: the whole body of a success answer to an
    /// ordinary call (JSON, `empty`, `download`…), and the start (at most 1 MiB) of an error
    /// answer's body. `None` for the success answers that are streamed to you
    /// ([`Transport::send_streaming`](crate::Transport::send_streaming), event streams) and
    /// for redirects: those bodies are read once, by their reader, never buffered for an
    /// interceptor.
    pub fn body(&self) -> Option<&Bytes> {
        self.body
    }

    /// How long the exchange took: from when the request was handed to the HTTP client
    /// (after every `before_send`) until the SDK had read what it reads of the answer (the
    /// body when it buffers it, else the status and headers).
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}

/// The interceptors of a transport, shared by its clones.
#[derive(Clone, Default)]
pub(crate) struct Interceptors(Arc<[Arc<dyn Interceptor>]>);

impl Interceptors {
    /// The list with `interceptor` added at its end.
    pub(crate) fn with(&self, interceptor: Arc<dyn Interceptor>) -> Self {
        let mut list = self.0.to_vec();
        list.push(interceptor);
        Self(list.into())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs `before_send` of each interceptor in turn on `request` until one answers.
    /// Returns what the exchange's end must report to, and the answer if there is one.
    pub(crate) fn before_send(
        &self,
        request: &mut reqwest::Request,
        template: &'static str,
        attempt: u32,
    ) -> (Box<Tap>, Option<reqwest::Response>) {
        let info = RequestInfo {
            method: request.method().clone(),
            url: request.url().clone(),
            template,
            attempt,
        };
        let mut ran = 0;
        let mut answer = None;
        for interceptor in self.0.iter() {
            ran += 1;
            let mut view = OutgoingRequest {
                info: &info,
                request: &mut *request,
                answer: None,
            };
            interceptor.before_send(&mut view);
            if let Some(given) = view.answer {
                answer = Some(given.into_response(info.url.clone()));
                break;
            }
        }
        let tap = Box::new(Tap {
            list: self.clone(),
            info,
            ran,
            started: Instant::now(),
        });
        (tap, answer)
    }
}

impl std::fmt::Debug for Interceptors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{} interceptor(s)]", self.0.len())
    }
}

impl Answer {
    /// The answer as reqwest's response from `url`, so that everything after it (redirects,
    /// status rules, body limit, decoding) handles it as a server's.
    fn into_response(self, url: Url) -> reqwest::Response {
        use reqwest::ResponseBuilderExt;
        let body = reqwest::Body::from(self.body.clone());
        let mut resp = match http::Response::builder()
            .status(self.status)
            .url(url)
            .body(body)
        {
            Ok(resp) => resp,
            // Not expected (a status and a URL are all it was given); the answer is kept.
            Err(_) => {
                let mut resp = http::Response::new(reqwest::Body::from(self.body));
                *resp.status_mut() = self.status;
                resp
            }
        };
        *resp.headers_mut() = self.headers;
        reqwest::Response::from(resp)
    }
}

/// One exchange seen by interceptors: whom to tell how it ended, and since when it runs.
pub(crate) struct Tap {
    list: Interceptors,
    info: RequestInfo,
    /// How many interceptors' `before_send` ran (the first `ran` of the list).
    ran: usize,
    started: Instant,
}

impl Tap {
    /// Tells the interceptors that ran the answer of the exchange.
    pub(crate) fn response(self, status: StatusCode, headers: &HeaderMap, body: Option<&Bytes>) {
        let seen = InterceptedResponse {
            info: &self.info,
            status,
            headers,
            body,
            elapsed: self.started.elapsed(),
        };
        for interceptor in self.list.0.iter().take(self.ran) {
            interceptor.after_response(&seen);
        }
    }

    /// Tells the interceptors that ran that the exchange failed with `error`.
    pub(crate) fn error(self, error: &Error) {
        for interceptor in self.list.0.iter().take(self.ran) {
            interceptor.on_error(&self.info, error);
        }
    }
}
