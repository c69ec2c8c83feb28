//! `Call`: the state behind every request builder of the clients.

use ctfy_models::Page;
use futures::future::{Either, Ready, ready};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::paginate::{DEFAULT_PAGE_SIZE, PageStream};
use crate::request::{Body, FilePart, QueryValue, Request};
use crate::transport::{Download, Transport};
use ctfy_models::IntoId;

/// A request being configured: the transport, the request (or the error that building it
/// produced, reported when the call is sent) and the JSON body members set so far.
///
/// Client builders wrap a `Call` and add typed setters; this type does the rest, so every
/// builder behaves the same.
#[derive(Debug)]
#[must_use = "a call does nothing until sent"]
pub struct Call {
    t: Transport,
    req: Result<Request>,
    body: Option<serde_json::Map<String, serde_json::Value>>,
    page_size: Option<u64>,
}

impl Call {
    /// Starts a call of `req` on `t`.
    pub fn new(t: &Transport, req: Result<Request>) -> Self {
        Self {
            t: t.clone(),
            req,
            body: None,
            page_size: None,
        }
    }

    /// Starts a call with a JSON object body built from `body` (members added later by
    /// [`Call::body_field`] overwrite its members).
    pub fn with_body<B: Serialize>(t: &Transport, req: Result<Request>, body: &B) -> Self {
        let mut call = Self::new(t, req);
        match serde_json::to_value(body) {
            Ok(serde_json::Value::Object(map)) => call.body = Some(map),
            Ok(_) => call.fail(Error::InvalidArgument(
                "a request body must be a JSON object".into(),
            )),
            Err(e) => call.fail(Error::InvalidArgument(e.to_string())),
        }
        call
    }

    fn fail(&mut self, e: Error) {
        if self.req.is_ok() {
            self.req = Err(e);
        }
    }

    /// Sets (replaces) a query parameter.
    pub fn query(mut self, key: &str, value: impl QueryValue) -> Self {
        if let Ok(req) = &mut self.req {
            req.set_query(key, value);
            if key == "limit" {
                self.page_size = req
                    .query_pairs()
                    .iter()
                    .find(|(k, _)| k == "limit")
                    .and_then(|(_, v)| v.parse().ok());
            }
        }
        self
    }

    /// Sets a timeout for each attempt of this call, replacing the client's (for calls that
    /// legitimately take longer, such as node builds, or that must fail fast).
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        if let Ok(req) = &mut self.req {
            req.timeout = Some(timeout);
        }
        self
    }

    /// Caps the whole call (every attempt and the waits between them); for a paged stream,
    /// each page's request.
    pub fn deadline(mut self, deadline: std::time::Duration) -> Self {
        if let Ok(req) = &mut self.req {
            req.deadline = Some(deadline);
        }
        self
    }

    /// Sets a member of the JSON body (the body becomes an object if it was not one).
    pub fn body_field(mut self, key: &str, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(v) => {
                self.body
                    .get_or_insert_with(Default::default)
                    .insert(key.to_owned(), v);
            }
            Err(e) => self.fail(Error::InvalidArgument(format!("{key}: {e}"))),
        }
        self
    }

    /// Adds a text field to the multipart form body (the body becomes a form if it was not
    /// one).
    pub fn form_field(mut self, name: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        self.with_form(|fields, _| fields.push((name.to_owned(), value)));
        self
    }

    /// Adds a file part to the multipart form body (the body becomes a form if it was not
    /// one).
    pub fn file(
        mut self,
        name: &str,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<bytes::Bytes>,
    ) -> Self {
        let part = FilePart {
            name: name.to_owned(),
            filename: filename.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        };
        self.with_form(|_, files| files.push(part));
        self
    }

    fn with_form(&mut self, apply: impl FnOnce(&mut Vec<(String, String)>, &mut Vec<FilePart>)) {
        if let Ok(req) = &mut self.req {
            if !matches!(req.body, Body::Multipart { .. }) {
                req.body = Body::Multipart {
                    fields: Vec::new(),
                    files: Vec::new(),
                };
            }
            if let Body::Multipart { fields, files } = &mut req.body {
                apply(fields, files);
            }
        }
    }

    /// Records an argument error (e.g. an invalid id given to a setter); the call fails with
    /// it when sent.
    pub fn check<T>(
        mut self,
        value: std::result::Result<T, impl Into<Error>>,
        apply: impl FnOnce(Self, T) -> Self,
    ) -> Self {
        match value {
            Ok(v) => apply(self, v),
            Err(e) => {
                self.fail(e.into());
                self
            }
        }
    }

    /// Sets (replaces) a query parameter to an identifier, checked as path identifiers are:
    /// an invalid one (empty, `.`, `..`, a `/` or `\\`) makes the call fail with
    /// [`Error::InvalidId`] when sent, before anything goes on the wire.
    pub fn query_id<T: std::fmt::Display>(self, key: &str, id: impl IntoId<T>) -> Self {
        self.check(id.into_id(), |c, id| c.query(key, id.to_string()))
    }

    /// Sets a member of the JSON body to an identifier, checked as in [`Call::query_id`].
    pub fn body_id<T: Serialize>(self, key: &str, id: impl IntoId<T>) -> Self {
        self.check(id.into_id(), |c, id| c.body_field(key, id))
    }

    /// Sets a body member holding a list of identifiers, each checked as in
    /// [`Call::query_id`] (one invalid id fails the call with `InvalidId` when it is sent).
    pub fn body_ids<T: Serialize>(
        self,
        key: &str,
        ids: impl IntoIterator<Item = impl IntoId<T>>,
    ) -> Self {
        let ids: std::result::Result<Vec<T>, _> = ids.into_iter().map(IntoId::into_id).collect();
        self.check(ids, |c, ids| c.body_field(key, ids))
    }

    /// Adds a text field holding an identifier to the multipart form body, checked as in
    /// [`Call::query_id`].
    pub fn form_id<T: std::fmt::Display>(self, name: &str, id: impl IntoId<T>) -> Self {
        self.check(id.into_id(), |c, id| c.form_field(name, id.to_string()))
    }

    /// A duration as the platform's whole seconds: a sub-second remainder rounds UP (so a
    /// non-zero duration never becomes `0`, which the platform may read as "no limit" or
    /// "default"). Saturates at `u64::MAX`.
    pub fn whole_secs(d: std::time::Duration) -> u64 {
        if d.subsec_nanos() > 0 {
            d.as_secs().saturating_add(1)
        } else {
            d.as_secs()
        }
    }

    /// The finished request.
    ///
    /// # Errors
    /// The first error met while building it.
    pub fn into_request(self) -> Result<(Transport, Request)> {
        let mut req = self.req?;
        if let Some(body) = self.body {
            req = req.json(&body)?;
        }
        Ok((self.t, req))
    }

    /// Finishes the request now and hands it to `send`, or, when building it failed, gives a
    /// future ready with that error. The future then holds only the transport, the request and
    /// `send`'s state, not the builder as well: every call's future stays small, which matters
    /// because awaiting a builder boxes its future (a block of at most 1 KiB is the allocator's
    /// fast path).
    fn prepared<T, F: Future<Output = Result<T>>>(
        self,
        send: impl FnOnce(Transport, Request) -> F,
    ) -> Either<Ready<Result<T>>, F> {
        match self.into_request() {
            Ok((t, req)) => Either::Right(send(t, req)),
            Err(e) => Either::Left(ready(Err(e))),
        }
    }

    /// Sends and decodes the JSON answer.
    ///
    /// # Errors
    /// Any [`Error`].
    pub fn json<T: DeserializeOwned + Send + 'static>(
        self,
    ) -> impl Future<Output = Result<T>> + Send + 'static {
        self.prepared(|t, req| async move { t.json(&req).await })
    }

    /// Sends and decodes one page of a listing.
    ///
    /// # Errors
    /// Any [`Error`].
    pub fn page<T: DeserializeOwned + Send + 'static>(
        self,
    ) -> impl Future<Output = Result<Page<T>>> + Send + 'static {
        self.json()
    }

    /// Streams every item of the listing, page by page (the `limit` set on the call, if any,
    /// is the page size).
    pub fn stream<T: DeserializeOwned + Send + 'static>(self) -> PageStream<T> {
        let size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let t = self.t.clone();
        t.try_paginate(self.into_request().map(|(_, r)| r), size)
    }

    /// Sends and ignores the answer's body.
    ///
    /// # Errors
    /// Any [`Error`].
    pub fn empty(self) -> impl Future<Output = Result<()>> + Send + 'static {
        self.prepared(|t, req| async move { t.empty(&req).await })
    }

    /// Sends and returns the body bytes.
    ///
    /// # Errors
    /// Any [`Error`].
    pub fn download(self) -> impl Future<Output = Result<Download>> + Send + 'static {
        self.prepared(|t, req| async move { t.download(&req).await })
    }

    /// Sends and returns the body bytes; a 404 answer gives `Ok(None)`.
    ///
    /// # Errors
    /// Any [`Error`] but a 404.
    pub fn download_or_404(
        self,
    ) -> impl Future<Output = Result<Option<Download>>> + Send + 'static {
        self.prepared(|t, req| async move { t.download_or_404(&req).await })
    }

    /// Sends; a 404 answer counts as success (`Ok(false)`), any 2xx is `Ok(true)`.
    ///
    /// # Errors
    /// Any [`Error`] but a 404.
    pub fn empty_or_404(self) -> impl Future<Output = Result<bool>> + Send + 'static {
        self.prepared(|t, req| async move { t.empty_or_404(&req).await })
    }
}

/// One HTTP call of the SDK, as its request builder: every builder whose call is a single
/// request implements it (the player, admin and node clients' generated calls, and the
/// hand-written `submit`, `verify`, `stop`, `launch`, `register`…). Calls made of several
/// requests (`instances().start`, `wait_ready`, `tunnel`, `check_server_compatibility`) do
/// not.
///
/// It is what the testing kit's typed stubs take (`MockPlatform::on(|c| c.scoreboards()…)`
/// in `ctfy::testing`): the kit reads the request the builder would send, and puts a value of
/// [`Operation::Output`] on the wire as the platform would. Its methods are that plumbing;
/// code outside the SDK has no reason to call or implement them.
pub trait Operation: Sized + Sealed {
    /// What the call gives back when awaited.
    type Output;

    #[doc(hidden)]
    fn __request(self) -> Result<Request>;

    #[doc(hidden)]
    fn __wire(output: &Self::Output) -> Option<Wire>;
}

/// Implemented only by the SDK's request builders.
#[doc(hidden)]
pub trait Sealed {}

/// An answer as it goes on the wire: what a value of a call's output looks like when the
/// platform sends it (for the testing kit's stubs).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Wire {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The file name for `Content-Disposition`, if any.
    pub filename: Option<String>,
    /// The body.
    pub body: bytes::Bytes,
}

impl Wire {
    /// A JSON answer with `status`.
    pub fn json(status: u16, value: &serde_json::Value) -> Wire {
        Wire {
            status,
            content_type: Some("application/json".into()),
            filename: None,
            body: serde_json::to_vec(value).unwrap_or_default().into(),
        }
    }
}

/// How each kind of output goes on the wire (one function per [`Call`] send method).
#[doc(hidden)]
pub mod wire {
    use super::Wire;
    use crate::transport::Download;
    use ctfy_models::Page;
    use serde::Serialize;

    fn json_with(status: u16, value: &impl Serialize) -> Option<Wire> {
        Some(Wire {
            status,
            content_type: Some("application/json".into()),
            filename: None,
            body: serde_json::to_vec(value).ok()?.into(),
        })
    }

    fn none(status: u16) -> Wire {
        Wire {
            status,
            content_type: None,
            filename: None,
            body: bytes::Bytes::new(),
        }
    }

    fn not_found() -> Option<Wire> {
        json_with(
            404,
            &serde_json::json!({"code": "http_404", "detail": "Not Found"}),
        )
    }

    /// A JSON answer.
    pub fn json<T: Serialize>(value: &T) -> Option<Wire> {
        json_with(200, value)
    }

    /// A page of a listing.
    pub fn page<T: Serialize>(value: &Page<T>) -> Option<Wire> {
        json_with(200, value)
    }

    /// No content.
    pub fn empty(_: &()) -> Option<Wire> {
        Some(none(204))
    }

    /// No content for `true`, a 404 for `false`.
    pub fn empty_or_404(done: &bool) -> Option<Wire> {
        if *done { Some(none(204)) } else { not_found() }
    }

    /// The bytes, with their type and file name.
    pub fn download(d: &Download) -> Option<Wire> {
        Some(Wire {
            status: 200,
            content_type: d.content_type.clone(),
            filename: d.filename.clone(),
            body: d.bytes.clone(),
        })
    }

    /// The bytes, or a 404 for `None`.
    pub fn download_or_404(d: &Option<Download>) -> Option<Wire> {
        match d {
            Some(d) => download(d),
            None => not_found(),
        }
    }
}

/// Declares a request builder: a newtype over [`Call`] that can be awaited (or sent with
/// `.send()`), with `.timeout()`. `Name => Page<Item>` builders also get `.stream()`.
///
/// Forms:
/// - `Name => Page<Item>`: a listing (`.stream()` too);
/// - `Name => Out, send`: the output type is followed by the [`Call`] method that sends it
///   (`json`, `empty`, `download`, `download_or_404`, `empty_or_404`);
/// - `Name => Out, json Raw => map`: decodes the JSON answer as `Raw`, then `map`
///   (`FnOnce(Raw) -> Result<Out>`) turns it into the result (a field of the answer, a
///   filtered list, …).
#[doc(hidden)]
#[macro_export]
macro_rules! builder {
    ($(#[$meta:meta])* $name:ident => Page<$item:ty>) => {
        $crate::builder!($(#[$meta])* $name => $crate::Page<$item>, page);

        impl $name {
            /// Streams every item of the listing, fetching pages lazily (the `limit` set on
            /// the builder is the page size).
            pub fn stream(self) -> $crate::PageStream<$item> {
                self.0.stream()
            }
        }
    };
    ($(#[$meta:meta])* $name:ident => $out:ty, json $raw:ty => $map:expr) => {
        $crate::builder!(@common $(#[$meta])* $name => $out);
        $crate::builder!(@operation $name => $out, |_| None);

        impl $name {
            /// Sends the request.
            ///
            /// # Errors
            /// Any [`Error`](crate::Error).
            pub fn send(
                self,
            ) -> impl ::std::future::Future<Output = $crate::Result<$out>> + Send + 'static {
                let raw = self.0.json::<$raw>();
                async move { ($map)(raw.await?) }
            }
        }
    };
    ($(#[$meta:meta])* $name:ident => $out:ty, $send:ident) => {
        $crate::builder!(@common $(#[$meta])* $name => $out);
        $crate::builder!(@operation $name => $out, $crate::__private::wire::$send);

        impl $name {
            /// Sends the request.
            ///
            /// # Errors
            /// Any [`Error`](crate::Error).
            pub fn send(
                self,
            ) -> impl ::std::future::Future<Output = $crate::Result<$out>> + Send + 'static {
                self.0.$send()
            }
        }
    };
    (@operation $name:ident => $out:ty, $wire:expr) => {
        impl $crate::__private::Sealed for $name {}

        impl $crate::Operation for $name {
            type Output = $out;

            fn __request(self) -> $crate::Result<$crate::Request> {
                self.0.into_request().map(|(_, r)| r)
            }

            fn __wire(output: &$out) -> Option<$crate::__private::Wire> {
                ($wire)(output)
            }
        }
    };
    (@common $(#[$meta:meta])* $name:ident => $out:ty) => {
        $(#[$meta])*
        #[derive(Debug)]
        #[must_use = "a request builder does nothing until awaited"]
        pub struct $name(pub(crate) $crate::__private::Call);

        impl $name {
            /// Sets a timeout for each attempt of this request, replacing the client's
            /// (default: the client's, 60 s unless configured).
            pub fn timeout(self, timeout: ::std::time::Duration) -> Self {
                Self(self.0.timeout(timeout))
            }

            /// Caps the whole call: every attempt, the backoff between retries and the
            /// reading of the answer (default: none). When it passes the call fails with
            /// [`Error::Timeout`](crate::Error::Timeout). On `.stream()`, it caps each page's
            /// request.
            pub fn deadline(self, deadline: ::std::time::Duration) -> Self {
                Self(self.0.deadline(deadline))
            }
        }

        $crate::awaitable!($name => $out);
    };
}

/// Implements `IntoFuture` for a type with a `send(self)` method whose future gives
/// `Result<Out>` (and is `Send + 'static`), so it can be awaited directly.
#[doc(hidden)]
#[macro_export]
macro_rules! awaitable {
    ($builder:ty => $out:ty) => {
        impl ::std::future::IntoFuture for $builder {
            type Output = $crate::Result<$out>;
            type IntoFuture = ::std::pin::Pin<
                ::std::boxed::Box<
                    dyn ::std::future::Future<Output = $crate::Result<$out>> + Send + 'static,
                >,
            >;
            fn into_future(self) -> Self::IntoFuture {
                ::std::boxed::Box::pin(self.send())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_and_files_build_a_multipart_body() {
        let t = Transport::builder("http://127.0.0.1:1").build().unwrap();
        let call = Call::new(&t, Request::post("/up", &[]))
            .form_field("slug", "web-001")
            .file("file", "a.tar.gz", "application/gzip", vec![1u8, 2, 3]);
        let (_, req) = call.into_request().unwrap();
        match &req.body {
            Body::Multipart { fields, files } => {
                assert_eq!(fields, &[("slug".to_owned(), "web-001".to_owned())]);
                assert_eq!(files.len(), 1);
                assert_eq!(files[0].filename, "a.tar.gz");
                assert_eq!(&files[0].bytes[..], &[1, 2, 3]);
            }
            other => panic!("not multipart: {other:?}"),
        }
    }

    #[test]
    fn whole_secs_rounds_a_sub_second_remainder_up() {
        use std::time::Duration;
        assert_eq!(Call::whole_secs(Duration::from_secs(90)), 90);
        assert_eq!(Call::whole_secs(Duration::from_millis(1500)), 2);
        assert_eq!(Call::whole_secs(Duration::from_millis(1)), 1);
        assert_eq!(Call::whole_secs(Duration::ZERO), 0);
    }

    #[test]
    fn an_invalid_query_or_body_id_fails_the_call() {
        let t = Transport::builder("http://127.0.0.1:1").build().unwrap();
        let call = Call::new(&t, Request::get("/x", &[]))
            .query_id::<ctfy_models::TeamId>("team_id", "a/b");
        assert!(matches!(call.into_request(), Err(Error::InvalidId(_))));
        let call =
            Call::new(&t, Request::post("/x", &[])).body_id::<ctfy_models::UserId>("user_id", "..");
        assert!(matches!(call.into_request(), Err(Error::InvalidId(_))));
        let call = Call::new(&t, Request::post("/x", &[]))
            .body_ids::<ctfy_models::ChallengeId>("challenge_ids", ["WEB-1", "a/b"]);
        assert!(matches!(call.into_request(), Err(Error::InvalidId(_))));
        let (_, req) = Call::new(&t, Request::get("/x", &[]))
            .query_id::<ctfy_models::TeamId>("team_id", "t1")
            .into_request()
            .unwrap();
        assert_eq!(
            req.query_pairs(),
            &[("team_id".to_owned(), "t1".to_owned())]
        );
    }

    /// Awaiting a request builder boxes its future. At most 1 KiB keeps that allocation on the
    /// allocator's fast path (glibc serves up to 1 KiB from per-thread caches) and the copy into
    /// it short; it was 1.9 KiB before #13's second pass. A guard against a future that grows.
    #[test]
    fn the_future_of_a_call_fits_in_one_kib() {
        let t = Transport::builder("http://127.0.0.1:1").build().unwrap();
        let json = crate::__private::Call::new(&t, Request::get("/x/{id}", &["a"]))
            .json::<serde_json::Value>();
        let empty = crate::__private::Call::new(&t, Request::post("/x", &[])).empty();
        let download = crate::__private::Call::new(&t, Request::get("/x", &[])).download();
        for (what, size) in [
            ("json", std::mem::size_of_val(&json)),
            ("empty", std::mem::size_of_val(&empty)),
            ("download", std::mem::size_of_val(&download)),
        ] {
            assert!(size <= 1024, "the future of Call::{what} is {size} bytes");
        }
    }
}
