//! Requests as plain data: method, encoded path, query, body. Built before anything is sent,
//! so they can be checked in tests and replayed on retry.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde::Serialize;

use crate::error::{Error, Result};

/// Characters left as they are in a path segment: RFC 3986 unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes one path segment. Every byte outside `A-Z a-z 0-9 - _ . ~` is encoded, so
/// `?`, `#`, `%` and control characters stay inside the segment. Segments that would change
/// the route anyway are refused: empty, `.`, `..`, and any containing `/` or `\` (the platform
/// decodes `%2F` before routing, so an encoded slash would still reach another endpoint).
///
/// # Errors
/// [`Error::InvalidId`] for a refused segment.
pub fn encode_segment(segment: &str) -> Result<String> {
    let mut out = String::with_capacity(segment.len());
    push_segment(&mut out, segment)?;
    Ok(out)
}

/// Checks `segment` as [`encode_segment`] does and appends it, encoded, to `out` (piece by
/// piece: no formatting machinery, no allocation of its own).
fn push_segment(out: &mut String, segment: &str) -> Result<()> {
    ctfy_models::check_segment("path segment", segment)?;
    out.extend(utf8_percent_encode(segment, SEGMENT));
    Ok(())
}

/// Fills the `{name}` placeholders of `template` in order with encoded `args`.
///
/// A `{name:path}` placeholder takes a value whose `/` separates path segments (an attachment
/// `notes/readme.txt`, for routes the platform declares with its `:path` converter): each piece
/// is checked and encoded like a segment of its own.
///
/// # Errors
/// [`Error::InvalidId`] when a segment is refused, [`Error::InvalidArgument`] when the counts
/// differ.
pub fn build_path(template: &str, args: &[&str]) -> Result<String> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    let mut args = args.iter();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| Error::InvalidArgument(format!("unclosed placeholder in {template}")))?;
        let arg = args.next().ok_or_else(|| {
            Error::InvalidArgument(format!("too few path arguments for {template}"))
        })?;
        if rest[open..open + close].ends_with(":path") {
            for (i, piece) in arg.split('/').enumerate() {
                if i > 0 {
                    out.push('/');
                }
                push_segment(&mut out, piece)
                    .map_err(|_| Error::InvalidId(ctfy_models::InvalidId::new("path", *arg)))?;
            }
        } else {
            push_segment(&mut out, arg)?;
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    if args.next().is_some() {
        return Err(Error::InvalidArgument(format!(
            "too many path arguments for {template}"
        )));
    }
    Ok(out)
}

/// One part of a multipart form.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FilePart {
    /// Form field name.
    pub name: String,
    /// File name sent in the part's disposition.
    pub filename: String,
    /// Content type of the part.
    pub content_type: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// The body of a request.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// A JSON document, serialized once.
    Json(Bytes),
    /// A multipart form: text fields and files; rebuilt for every attempt.
    Multipart {
        /// Text fields.
        fields: Vec<(String, String)>,
        /// File parts.
        files: Vec<FilePart>,
    },
    /// Raw bytes with a content type.
    Raw {
        /// The bytes.
        bytes: Bytes,
        /// Their content type.
        content_type: String,
    },
}

/// Whether a request may be sent again after a failure the server may have seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Idempotency {
    /// Decided by the method: GET, HEAD, OPTIONS, PUT and DELETE are idempotent.
    ByMethod,
    /// Safe to repeat whatever the method (e.g. a POST that only reads).
    Idempotent,
    /// Never repeat unless the request provably did not reach the server.
    NotIdempotent,
}

/// A request, ready to be sent by [`Transport`](crate::Transport).
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) template: &'static str,
    /// The encoded path: the template itself when it has no placeholders (no allocation).
    pub(crate) path: Cow<'static, str>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Body,
    pub(crate) idempotency: Idempotency,
    pub(crate) timeout: Option<Duration>,
    pub(crate) deadline: Option<Duration>,
}

impl Request {
    /// A request for `template` (relative to the API base, e.g. `/instances/{id}/status`)
    /// with its placeholders filled, in order, by the encoded `args`.
    ///
    /// # Errors
    /// [`Error::InvalidId`] when a segment is refused: empty, `.` or `..`, or containing `/`
    /// or `\\` (the platform decodes `%2F` before routing).
    pub fn new(method: Method, template: &'static str, args: &[&str]) -> Result<Self> {
        let path = if args.is_empty() && !template.contains('{') {
            Cow::Borrowed(template)
        } else {
            Cow::Owned(build_path(template, args)?)
        };
        Ok(Self {
            path,
            method,
            template,
            query: Vec::new(),
            body: Body::Empty,
            idempotency: Idempotency::ByMethod,
            timeout: None,
            deadline: None,
        })
    }

    /// `GET template`.
    ///
    /// # Errors
    /// As [`Request::new`].
    pub fn get(template: &'static str, args: &[&str]) -> Result<Self> {
        Self::new(Method::GET, template, args)
    }

    /// `POST template`.
    ///
    /// # Errors
    /// As [`Request::new`].
    pub fn post(template: &'static str, args: &[&str]) -> Result<Self> {
        Self::new(Method::POST, template, args)
    }

    /// `PUT template`.
    ///
    /// # Errors
    /// As [`Request::new`].
    pub fn put(template: &'static str, args: &[&str]) -> Result<Self> {
        Self::new(Method::PUT, template, args)
    }

    /// `PATCH template`.
    ///
    /// # Errors
    /// As [`Request::new`].
    pub fn patch(template: &'static str, args: &[&str]) -> Result<Self> {
        Self::new(Method::PATCH, template, args)
    }

    /// `DELETE template`.
    ///
    /// # Errors
    /// As [`Request::new`].
    pub fn delete(template: &'static str, args: &[&str]) -> Result<Self> {
        Self::new(Method::DELETE, template, args)
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl QueryValue) -> Self {
        value.push_to(key, &mut self.query);
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt<V: QueryValue>(self, key: &str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Adds every non-null member of a serializable struct as query parameters.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `params` does not serialize to a flat JSON object.
    pub fn query_struct<T: Serialize>(mut self, params: &T) -> Result<Self> {
        let value =
            serde_json::to_value(params).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let serde_json::Value::Object(map) = value else {
            return Err(Error::InvalidArgument(
                "query parameters must be an object".into(),
            ));
        };
        for (k, v) in map {
            push_json(&k, &v, &mut self.query);
        }
        Ok(self)
    }

    /// Sets a JSON body.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `body` cannot be serialized.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        self.body = Body::Json(bytes.into());
        Ok(self)
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Overrides the retry decision that the method implies.
    pub fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }

    /// Sets a timeout for each attempt of this request, replacing the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Caps the whole call: every attempt, the waits between them and the reading of the
    /// answer. When it passes, the call fails with [`Error::Timeout`](crate::Error::Timeout)
    /// (default: none; each attempt still has its [`timeout`](Self::timeout)).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The cap on the whole call this request sets, if any.
    pub fn call_deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path template (what tracing spans record).
    pub fn template(&self) -> &'static str {
        self.template
    }

    /// The per-attempt timeout this request sets, if any (otherwise the client's applies).
    pub fn attempt_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The encoded path, relative to the API base.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query parameters, in order.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// Replaces (or adds) a query parameter.
    pub fn set_query(&mut self, key: &str, value: impl QueryValue) {
        self.query.retain(|(k, _)| k != key);
        value.push_to(key, &mut self.query);
    }

    pub(crate) fn is_idempotent(&self) -> bool {
        match self.idempotency {
            Idempotency::Idempotent => true,
            Idempotency::NotIdempotent => false,
            Idempotency::ByMethod => matches!(
                self.method,
                Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
            ),
        }
    }
}

fn push_json(key: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push((key.to_owned(), s.clone())),
        serde_json::Value::Array(items) => items.iter().for_each(|i| push_json(key, i, out)),
        other => out.push((key.to_owned(), other.to_string())),
    }
}

/// A value that can go into a query string. Booleans are `true`/`false`; slices repeat the key.
pub trait QueryValue {
    /// Appends `key=value` pairs.
    fn push_to(self, key: &str, out: &mut Vec<(String, String)>);
}

macro_rules! display_query {
    ($($t:ty),*) => {$(
        impl QueryValue for $t {
            fn push_to(self, key: &str, out: &mut Vec<(String, String)>) {
                out.push((key.to_owned(), self.to_string()));
            }
        }
    )*};
}
display_query!(&str, String, &String, bool, i32, i64, u32, u64, usize, f64);

impl<T: QueryValue + Clone> QueryValue for &[T] {
    fn push_to(self, key: &str, out: &mut Vec<(String, String)>) {
        for v in self {
            v.clone().push_to(key, out);
        }
    }
}

impl<T: QueryValue> QueryValue for Vec<T> {
    fn push_to(self, key: &str, out: &mut Vec<(String, String)>) {
        for v in self {
            v.push_to(key, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_reserved_character() {
        assert_eq!(
            build_path("/a/{x}/b", &["xy?z#%\r\n\0"]).unwrap(),
            "/a/xy%3Fz%23%25%0D%0A%00/b"
        );
        assert_eq!(build_path("/a/{x}", &["ok-._~9"]).unwrap(), "/a/ok-._~9");
        assert_eq!(build_path("/a/{x}", &["é "]).unwrap(), "/a/%C3%A9%20");
    }

    #[test]
    fn refuses_dot_segments_and_wrong_counts() {
        for bad in ["", ".", "..", "x/y", "/", "a\\b", "id/challenges"] {
            assert!(matches!(
                build_path("/a/{x}", &[bad]),
                Err(Error::InvalidId(_))
            ));
        }
        assert!(build_path("/a/{x}", &[]).is_err());
        assert_eq!(
            build_path("/f/{name:path}", &["dir/read me.txt"]).unwrap(),
            "/f/dir/read%20me.txt"
        );
        for bad in ["", "/a", "a/", "a//b", "a/../b", "./a", "a\\b"] {
            assert!(
                matches!(
                    build_path("/f/{name:path}", &[bad]),
                    Err(Error::InvalidId(_))
                ),
                "{bad:?}"
            );
        }
        assert!(build_path("/a", &["x"]).is_err());
    }

    #[test]
    fn query_struct_skips_nulls_and_repeats_lists() {
        #[derive(Serialize)]
        struct Q {
            a: Option<u32>,
            b: Vec<&'static str>,
            c: bool,
        }
        let r = Request::get("/x", &[])
            .unwrap()
            .query_struct(&Q {
                a: None,
                b: vec!["p", "q"],
                c: true,
            })
            .unwrap();
        assert_eq!(
            r.query_pairs(),
            &[
                ("b".into(), "p".into()),
                ("b".into(), "q".into()),
                ("c".into(), "true".into())
            ]
        );
    }
}
