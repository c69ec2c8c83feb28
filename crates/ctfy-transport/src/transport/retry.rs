//! Retries: [`RetryPolicy`], the retry loop of a call (with its `ctfy.request` span and its
//! [`REQUEST_LOG_TARGET`] event), the rules that say which failures are repeated, and the
//! parsing of `Retry-After`.

use std::time::{Duration, Instant};

use backon::BackoffBuilder;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tracing::Instrument;

use super::exchange::{Answer, Take};
use super::{RetryPolicy, Transport};
use crate::error::{Error, Result};
use crate::request::Request;

impl RetryPolicy {
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

/// What a failed attempt leaves: the error, whether the rules allow another attempt, and how
/// long the server asked to wait.
pub(super) struct Failure {
    pub(super) err: Error,
    pub(super) retry: bool,
    pub(super) retry_after: Option<Duration>,
}

impl Failure {
    /// A failure no rule repeats.
    pub(super) fn fatal(err: Error) -> Self {
        Self {
            err,
            retry: false,
            retry_after: None,
        }
    }

    /// The failure of an error answer (`code`, turned into `err`): idempotent requests are
    /// repeated on 429, 502, 503 and 504, others only on a 429 or 503 that says when
    /// (`Retry-After`); a 503 saying a feature is not configured never is.
    pub(super) fn of_status(
        req: &Request,
        err: Error,
        code: u16,
        retry_after: Option<Duration>,
    ) -> Self {
        let not_configured = err.code().is_some_and(|c| c.ends_with("_not_configured"));
        let retry = !not_configured
            && if req.is_idempotent() {
                matches!(code, 429 | 502 | 503 | 504)
            } else {
                matches!(code, 429 | 503) && retry_after.is_some()
            };
        Self {
            err,
            retry,
            retry_after,
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
    /// Sends `req` after the retries the policy allows and hands back the success answer (2xx,
    /// or 404 when allowed). Error statuses become [`Error::Api`].
    ///
    /// Not an `async fn`: the span moves into the future once instead of being kept twice.
    pub(super) fn execute<'a>(
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

    /// The failure of a request that got no complete answer. A connect error proves the
    /// request never reached the server: it may always be repeated. After any other failure
    /// the server may have seen, only idempotent requests are.
    pub(super) fn send_failure(&self, req: &Request, e: reqwest::Error) -> Failure {
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
    pub(super) fn cut_short(&self, req: &Request, e: reqwest::Error) -> Failure {
        Failure {
            retry: req.is_idempotent()
                && (e.is_timeout() || e.is_request() || e.is_body() || e.is_decode()),
            err: self.http_error(req, e),
            retry_after: None,
        }
    }
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
    use reqwest::header::HeaderValue;

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
