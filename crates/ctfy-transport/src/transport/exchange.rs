//! One exchange: the URL and the `reqwest::Request` of an attempt, the interceptors, the
//! credentials, the wire, and what the answer makes of the attempt (an [`Answer`] or a
//! [`Failure`]).

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use url::Url;

use super::body::{MAX_ERROR_BODY, ReadError, read_limited};
use super::retry::{Failure, parse_retry_after};
use super::{RawResponse, Transport};
use crate::error::{Error, Result, api_error};
use crate::interceptor::Tap;
use crate::request::{Body, Request};

/// How the success answer of a request is handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Take {
    /// Read the whole body (bounded by the body limit) inside the attempt, so a body cut short
    /// counts as a failed attempt.
    Body { allow_404: bool },
    /// Hand back the response with its body unread (streams).
    Stream,
}

/// The success answer of an attempt, as [`Take`] asked for it.
pub(super) enum Answer {
    Full(RawResponse),
    Stream(reqwest::Response),
}

impl Answer {
    pub(super) fn status(&self) -> u16 {
        match self {
            Answer::Full(raw) => raw.status,
            Answer::Stream(resp) => resp.status().as_u16(),
        }
    }
}

impl Transport {
    /// The path of `req` as sent, API prefix included (what errors report). Built only for
    /// an error.
    pub(super) fn full_path(&self, req: &Request) -> String {
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

    /// The [`Error::Http`] of `req` (its origin and full path named) for a failure of reqwest.
    pub(super) fn http_error(&self, req: &Request, e: reqwest::Error) -> Error {
        Error::http(
            req.method.as_str(),
            &self.inner.origin,
            &self.full_path(req),
            e,
        )
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
    pub(super) async fn exchange(
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
    pub(super) fn http_request(
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
    pub(super) async fn attempt(
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
                Err(ReadError::TooLarge) => Failure::fatal(Error::BodyTooLarge {
                    method: method.into(),
                    path: self.full_path(req),
                    status: code,
                    limit: self.inner.max_body_size,
                }),
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
        Err(Failure::of_status(req, err, code, retry_after))
    }
}
