//! Typed stubs: any call of the SDK answers a value of its own output type.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ctfy_transport::__private::Wire;
use ctfy_transport::{Body, Operation, Request};
use serde_json::Value;
use wiremock::ResponseTemplate;

use super::state::Shared;

/// A stub being described: which call it answers and how often; finished by
/// [`returns`](Self::returns), [`fails`](Self::fails) or [`returns_json`](Self::returns_json).
/// Made by [`MockPlatform::on`](super::MockPlatform::on) and
/// [`on_admin`](super::MockPlatform::on_admin); see there.
#[must_use = "a stub answers nothing until `returns`, `fails` or `returns_json` finishes it"]
pub struct Stub<O: Operation> {
    shared: Arc<Shared>,
    request: Request,
    times: Option<usize>,
    any_args: bool,
    delay: Duration,
    _op: PhantomData<fn() -> O>,
}

impl<O: Operation> std::fmt::Debug for Stub<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stub")
            .field("method", self.request.method())
            .field("path", &self.request.path())
            .field("times", &self.times)
            .field("any_args", &self.any_args)
            .finish_non_exhaustive()
    }
}

impl<O: Operation> Stub<O> {
    pub(crate) fn new(shared: Arc<Shared>, call: O) -> Self {
        let request = call.__request().unwrap_or_else(|e| {
            panic!(
                "ctfy::testing: the call given to `on` does not build: {}",
                e.report()
            )
        });
        Self {
            shared,
            request,
            times: None,
            any_args: false,
            delay: Duration::ZERO,
            _op: PhantomData,
        }
    }

    /// Answers only the first `n` matching requests; after that the next stub of the call
    /// (or the stateful platform) answers. Default: every matching request.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    /// Answers every request of this call whatever its arguments: any path identifiers, any
    /// query parameters, any body. By default a request matches only when it is the one the
    /// stub's call would send: the same path, and every query parameter and JSON body member
    /// the call sets, with the same value (others may be present).
    pub fn any_args(mut self) -> Self {
        self.any_args = true;
        self
    }

    /// Holds each answer for `delay` before sending it (to test timeouts and deadlines).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Answers with `value`, as the platform sends it: a JSON body for most calls, `204` for
    /// the calls that return `()`, the bytes for a download, a `404` for a `false` from
    /// `instances().stop` or a `None` from a `*_or_404` download.
    ///
    /// # Panics
    /// For the few calls whose result the SDK derives from a larger answer (say, the text of
    /// a container log out of its JSON): their wire form cannot be rebuilt from the result;
    /// use [`returns_json`](Self::returns_json) with the platform's JSON.
    pub fn returns(self, value: O::Output) -> StubHandle {
        match O::__wire(&value) {
            Some(wire) => self.finish(wire),
            None => panic!(
                "ctfy::testing: {} {} derives its result from the answer; stub it with `returns_json`",
                self.request.method(),
                self.request.template()
            ),
        }
    }

    /// Answers with the platform's error: `status`, and the error envelope with `code` and
    /// `detail` (a string or any JSON), as the SDK's [`Error::Api`](crate::Error::Api) reads
    /// it. A `429` or `503` carries `Retry-After: 0` so that retried calls do not wait.
    pub fn fails(self, status: u16, code: &str, detail: impl serde::Serialize) -> StubHandle {
        let detail = serde_json::to_value(detail).unwrap_or(Value::Null);
        self.finish(Wire::json(status, &super::state::envelope(code, detail)))
    }

    /// Answers with `status` and `body` as JSON, unchecked: for answers the typed forms cannot
    /// express (a body the SDK should refuse, a call whose result is derived from its answer).
    pub fn returns_json(self, status: u16, body: impl serde::Serialize) -> StubHandle {
        let body = serde_json::to_value(body).unwrap_or(Value::Null);
        self.finish(Wire::json(status, &body))
    }

    fn finish(self, wire: Wire) -> StubHandle {
        let hits = Arc::new(AtomicUsize::new(0));
        let rule = Rule {
            method: self.request.method().as_str().to_owned(),
            template: self.request.template(),
            path: self.request.path().to_owned(),
            query: self.request.query_pairs().to_vec(),
            body: match ctfy_transport::__private::request_body(&self.request) {
                Body::Json(bytes) => serde_json::from_slice(bytes).ok(),
                _ => None,
            },
            any_args: self.any_args,
            times: self.times,
            delay: self.delay,
            wire,
            hits: Arc::clone(&hits),
        };
        self.shared.lock().stubs.push(rule);
        StubHandle {
            hits,
            what: format!("{} {}", self.request.method(), self.request.path()),
        }
    }
}

/// A mounted stub: how many requests it answered.
#[derive(Debug, Clone)]
pub struct StubHandle {
    hits: Arc<AtomicUsize>,
    what: String,
}

impl StubHandle {
    /// How many requests the stub answered so far.
    pub fn calls(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Panics unless the stub answered exactly `n` requests.
    ///
    /// # Panics
    /// When it answered another number, naming the call.
    pub fn assert_calls(&self, n: usize) {
        let calls = self.calls();
        assert_eq!(
            calls, n,
            "the stub of {} answered {calls} requests, expected {n}",
            self.what
        );
    }
}

/// A mounted stub, as the responder matches it.
pub(crate) struct Rule {
    method: String,
    template: &'static str,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    any_args: bool,
    times: Option<usize>,
    delay: Duration,
    wire: Wire,
    hits: Arc<AtomicUsize>,
}

impl Rule {
    /// Whether the request (method, path below the API prefix, query, body) is one this
    /// rule answers.
    fn matches(&self, method: &str, path: &str, query: &[(String, String)], body: &[u8]) -> bool {
        if method != self.method {
            return false;
        }
        if self.any_args {
            return template_matches(self.template, path);
        }
        if path != self.path {
            return false;
        }
        if !self.query.iter().all(|pair| query.contains(pair)) {
            return false;
        }
        match &self.body {
            Some(Value::Object(want)) => {
                let got: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
                want.iter().all(|(k, v)| got.get(k) == Some(v))
            }
            Some(want) => serde_json::from_slice::<Value>(body).ok().as_ref() == Some(want),
            None => true,
        }
    }

    fn response(&self) -> ResponseTemplate {
        let w = &self.wire;
        let mut t = ResponseTemplate::new(w.status);
        if !w.body.is_empty() || w.content_type.is_some() {
            let kind = w.content_type.as_deref();
            t = t.set_body_raw(w.body.to_vec(), kind.unwrap_or("application/octet-stream"));
        }
        if let Some(name) = &w.filename {
            t = t.insert_header(
                "content-disposition",
                format!("attachment; filename=\"{name}\"").as_str(),
            );
        }
        if matches!(w.status, 429 | 503) {
            t = t.insert_header("retry-after", "0");
        }
        t.set_delay(self.delay)
    }
}

/// The answer of the first stub (in the order they were added) that matches the request and
/// has answers left, counting it.
pub(crate) fn answer(
    rules: &[Rule],
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: &[u8],
) -> Option<ResponseTemplate> {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let rule = rules.iter().find(|r| {
        r.times.is_none_or(|n| r.hits.load(Ordering::SeqCst) < n)
            && r.matches(method, path, query, body)
    })?;
    rule.hits.fetch_add(1, Ordering::SeqCst);
    Some(rule.response())
}

/// Whether `path` fits `template`: a `{name}` placeholder takes one non-empty segment, a
/// `{name:path}` one takes one or more.
fn template_matches(template: &str, path: &str) -> bool {
    let want: Vec<&str> = template.trim_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_matches('/').split('/').collect();
    fits(&want, &got)
}

fn fits(want: &[&str], got: &[&str]) -> bool {
    match (want.split_first(), got.split_first()) {
        (None, None) => true,
        (Some((w, rest)), _) if w.starts_with('{') && w.ends_with(":path}") => {
            (1..=got.len()).any(|n| got[..n].iter().all(|s| !s.is_empty()) && fits(rest, &got[n..]))
        }
        (Some((w, rest)), Some((g, grest))) => {
            let ok = if w.starts_with('{') {
                !g.is_empty()
            } else {
                w == g
            };
            ok && fits(rest, grest)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::template_matches;

    #[test]
    fn templates_match_segments_and_path_placeholders() {
        assert!(template_matches("/instances/{id}", "/instances/abc"));
        assert!(!template_matches(
            "/instances/{id}",
            "/instances/abc/status"
        ));
        assert!(!template_matches("/instances/{id}", "/instances/"));
        assert!(template_matches(
            "/c/{cid}/attachments/{filename:path}",
            "/c/x/attachments/notes/readme.txt"
        ));
        assert!(!template_matches(
            "/c/{cid}/attachments/{filename:path}",
            "/c/x/attachments"
        ));
        assert!(template_matches("/health", "/health"));
        assert!(!template_matches("/health", "/meta"));
    }
}
