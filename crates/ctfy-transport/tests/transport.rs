//! The transport against wiremock servers: base URL, auth, redaction, path and query
//! encoding, error decoding, retries, timeouts, pagination, `Call`, downloads and tracing.
//!
//! Every server gets a lowest-priority catch-all answering 418 (not retried by any rule), so
//! a request that matched nothing shows up as an unexpected `HTTP 418` instead of a silent 404.

use ctfy_models::With;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use ctfy_transport::{
    __private::Call, Error, Idempotency, InvalidId, Page, Request, RetryPolicy, SNIPPET_LEN,
    Transport,
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "pt_S3cretTok3n-do-not-leak";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Item {
    id: String,
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy::default().with(|it| {
        it.max_retries = 2;
        it.initial_delay = ms(1);
        it.max_delay = ms(5);
        it.max_retry_after = Duration::from_secs(2);
    })
}

/// A server with the 418 catch-all mounted.
async fn server() -> MockServer {
    init_tracing();
    let s = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418).set_body_string("no mock matched this request"))
        .with_priority(u8::MAX)
        .named("catch-all")
        .mount(&s)
        .await;
    s
}

/// A transport with the token and the fast retry policy.
fn transport(s: &MockServer) -> Transport {
    transport_at(&s.uri())
}

fn transport_at(base: &str) -> Transport {
    init_tracing();
    Transport::builder(base)
        .token(TOKEN)
        .retry(fast_policy())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A transport that never retries, for tests of one answer.
fn one_shot(s: &MockServer) -> Transport {
    Transport::builder(s.uri())
        .token(TOKEN)
        .max_retries(0)
        .build()
        .unwrap()
}

/// The URL of a local port with nothing listening on it.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

async fn requests(s: &MockServer) -> Vec<wiremock::Request> {
    s.received_requests()
        .await
        .expect("request recording is on")
}

fn page_body(items: &[&str], total: Option<u64>, limit: u64, offset: u64) -> Value {
    json!({
        "items": items.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
        "total": total,
        "limit": limit,
        "offset": offset,
    })
}

fn ids(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.id.as_str()).collect()
}

fn assert_no_token(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "{what} leaks the token: {text}");
    assert!(
        !text.contains("S3cretTok3n"),
        "{what} leaks part of the token: {text}"
    );
}

/// Like [`assert_no_token`], and not even the token's first seven bytes (what a snippet cut
/// through the token, before masking it, would leave).
fn assert_no_part_of_token(what: &str, text: &str) {
    assert_no_token(what, text);
    assert!(
        !text.contains(&TOKEN[..7]),
        "{what} shows the start of the token: {text}"
    );
}

/// A buffer of captured `tracing` output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

thread_local! {
    static CAPTURE: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// The writer of the global subscriber: appends to the current thread's capture, if any.
struct ThreadRouted;

impl std::io::Write for ThreadRouted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(c) = &*c.borrow() {
                c.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs, once, a global DEBUG subscriber whose output goes to the capture of the thread
/// that emitted it. Global rather than `set_default` per test: with a single scoped
/// dispatcher, tracing-core computes a callsite's cached interest from whichever thread hits
/// it first, so a span first entered by another test's thread could stay disabled here.
/// Every test that sends calls this (through [`server`] or [`transport_at`]) before sending.
fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_writer(|| ThreadRouted)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
    });
}

/// Stops capturing on drop.
struct CaptureGuard;

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURE.with(|c| c.borrow_mut().take());
    }
}

/// Captures the `tracing` output of the current thread (every `#[tokio::test]` runs on a
/// current-thread runtime, so the transport's spans and events are emitted here).
fn capture_tracing() -> (Captured, CaptureGuard) {
    init_tracing();
    let buf = Captured::default();
    CAPTURE.with(|c| *c.borrow_mut() = Some(buf.clone()));
    (buf, CaptureGuard)
}

/// The lines of the closing `ctfy.request` spans.
fn request_spans(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.contains("ctfy.request{") && l.contains(" close time.busy"))
        .collect()
}

mod base_url {
    use super::*;

    #[tokio::test]
    async fn prefix_is_appended_once_whatever_the_trailing_slashes() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/ping"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
            .expect(6)
            .mount(&s)
            .await;
        let uri = s.uri();
        for base in [
            uri.clone(),
            format!("{uri}/"),
            format!("{uri}//"),
            format!("{uri}/api/v1"),
            format!("{uri}/api/v1/"),
            format!("  {uri}/api/v1//  "),
        ] {
            let t = transport_at(&base);
            assert_eq!(
                t.base_url().as_str(),
                format!("{uri}/api/v1"),
                "base {base:?}"
            );
            assert_eq!(t.server_url(), uri, "base {base:?}");
            let v: Value = t.json(&Request::get("/ping", &[]).unwrap()).await.unwrap();
            assert_eq!(v, json!({"ok": true}));
        }
        for r in requests(&s).await {
            assert_eq!(r.url.path(), "/api/v1/ping");
        }
    }

    /// `server_url()` strips the configured API prefix, not only the default one.
    #[test]
    fn the_server_url_drops_the_configured_api_prefix() {
        for (base, prefix, server) in [
            ("http://127.0.0.1:9", "/v2", "http://127.0.0.1:9"),
            (
                "http://127.0.0.1:9/ctf/v2/",
                "/v2/",
                "http://127.0.0.1:9/ctf",
            ),
            ("http://127.0.0.1:9/root", "", "http://127.0.0.1:9/root"),
            ("http://127.0.0.1:9/api/v1", "/api/v1", "http://127.0.0.1:9"),
        ] {
            let t = ctfy_transport::Transport::builder(base)
                .api_prefix(prefix)
                .build()
                .unwrap();
            assert_eq!(t.server_url(), server, "{base} {prefix}");
        }
    }

    #[tokio::test]
    async fn a_base_path_is_kept_before_the_prefix() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/ctf/api/v1/ping"))
            .respond_with(ResponseTemplate::new(204))
            .expect(2)
            .mount(&s)
            .await;
        for base in [
            format!("{}/ctf/", s.uri()),
            format!("{}/ctf/api/v1", s.uri()),
        ] {
            transport_at(&base)
                .empty(&Request::get("/ping", &[]).unwrap())
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn bad_base_urls_are_refused() {
        for bad in [
            "ftp://example.com",
            "not a url",
            "http://h/?q=1",
            "http://h/#frag",
            "",
        ] {
            let err = Transport::builder(bad).build().unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad:?}: {err:?}");
        }
    }
}

mod auth {
    use super::*;

    #[tokio::test]
    async fn bearer_token_is_sent_to_the_configured_origin() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/me"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "u1"})))
            .expect(1)
            .mount(&s)
            .await;
        let t = transport(&s);
        assert!(t.has_token());
        let v: Value = t.json(&Request::get("/me", &[]).unwrap()).await.unwrap();
        assert_eq!(v["id"], "u1");
        let reqs = requests(&s).await;
        assert_eq!(reqs.len(), 1);
        assert!(
            reqs[0]
                .headers
                .get("user-agent")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("ctfy-rs/")
        );
    }

    /// The default agent and a custom one are sent as given; one a header cannot carry is
    /// refused when the transport is built, naming the setting.
    #[tokio::test]
    async fn the_user_agent_is_sent_and_checked() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/ua"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&s)
            .await;
        let custom = Transport::builder(s.uri())
            .user_agent("my-agent/1.0")
            .build()
            .unwrap();
        custom
            .empty(&Request::get("/ua", &[]).unwrap())
            .await
            .unwrap();
        transport(&s)
            .empty(&Request::get("/ua", &[]).unwrap())
            .await
            .unwrap();
        let agents: Vec<String> = requests(&s)
            .await
            .iter()
            .map(|r| r.headers["user-agent"].to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            agents,
            [
                "my-agent/1.0".to_owned(),
                format!("ctfy-rs/{}", env!("CARGO_PKG_VERSION"))
            ]
        );
        let err = Transport::builder(s.uri())
            .user_agent("bad\nagent")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("User-Agent"), "{err}");
    }

    #[tokio::test]
    async fn anonymous_transport_sends_no_authorization() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/public"))
            .respond_with(ResponseTemplate::new(204))
            .expect(2)
            .mount(&s)
            .await;
        let never = Transport::builder(s.uri()).build().unwrap();
        let empty = Transport::builder(s.uri()).token("").build().unwrap();
        for t in [never, empty] {
            assert!(!t.has_token());
            assert!(t.token().is_none());
            t.empty(&Request::get("/public", &[]).unwrap())
                .await
                .unwrap();
        }
        for r in requests(&s).await {
            assert!(r.headers.get("authorization").is_none(), "{:?}", r.headers);
        }
    }

    #[tokio::test]
    async fn same_origin_redirect_is_followed_with_the_token() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/old"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", "/api/v1/new"))
            .expect(1)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/new"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"moved": true})))
            .expect(1)
            .mount(&s)
            .await;
        let v: Value = transport(&s)
            .json(&Request::get("/old", &[]).unwrap())
            .await
            .unwrap();
        assert_eq!(v, json!({"moved": true}));
    }

    #[tokio::test]
    async fn cross_origin_redirect_is_not_followed() {
        let s = server().await;
        let foreign = server().await;
        let target = format!("{}/api/v1/steal", foreign.uri());
        Mock::given(method("GET"))
            .and(path("/api/v1/away"))
            .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
            .expect(1)
            .mount(&s)
            .await;
        let err = transport(&s)
            .json::<Value>(&Request::get("/away", &[]).unwrap())
            .await
            .unwrap_err();
        match &err {
            Error::Redirect {
                method,
                path,
                status,
                location,
                ..
            } => {
                assert_eq!(method, "GET");
                assert_eq!(path, "/api/v1/away");
                assert_eq!(*status, 307);
                assert_eq!(location.as_deref(), Some(target.as_str()));
            }
            other => panic!("expected a redirect error, got {other:?}"),
        }
        assert_eq!(err.status(), Some(307));
        assert_no_token("redirect error", &format!("{err} {err:?}"));
        assert!(
            requests(&foreign).await.is_empty(),
            "the foreign origin was contacted"
        );
    }

    #[tokio::test]
    async fn redirect_loops_stop() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/loop"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", "/api/v1/loop"))
            .mount(&s)
            .await;
        let err = transport(&s)
            .empty(&Request::get("/loop", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Redirect { status: 302, .. }),
            "{err:?}"
        );
        // The first request plus at most five redirects.
        assert!(requests(&s).await.len() <= 6);
    }
}

/// Which redirects the transport follows: only those that keep the request's meaning, on the
/// same origin, to a URL without a secret; and what an unfollowed redirect's error shows.
mod redirects {
    use super::*;

    /// Requests `s` received on `p`, any method.
    async fn requests_to(s: &MockServer, p: &str) -> Vec<wiremock::Request> {
        requests(s)
            .await
            .into_iter()
            .filter(|r| r.url.path() == p)
            .collect()
    }

    /// Mounts `status` with `location` on `method_name` `from`, and a success answer (`{"id":
    /// "moved"}`) on every method at `to`, so a redirect followed in any form succeeds.
    async fn mount_redirect(
        s: &MockServer,
        method_name: &str,
        from: &str,
        status: u16,
        location: &str,
        to: &str,
    ) {
        Mock::given(method(method_name))
            .and(path(from))
            .respond_with(ResponseTemplate::new(status).insert_header("location", location))
            .mount(s)
            .await;
        Mock::given(path(to))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "moved"})))
            .mount(s)
            .await;
    }

    fn assert_redirect_error(err: &Error, want_method: &str, want_status: u16) {
        match err {
            Error::Redirect { method, status, .. } => {
                assert_eq!(method, want_method, "{err:?}");
                assert_eq!(*status, want_status, "{err:?}");
            }
            other => panic!("expected Error::Redirect, got {other:?}"),
        }
    }

    /// The bug: `instances().start()` against a 302 got `Decode: missing field id`, because
    /// the POST was followed as a GET and the GET's answer decoded as the POST's.
    #[tokio::test]
    async fn a_post_answered_by_a_same_origin_302_is_not_followed() {
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/instances"))
            .respond_with(
                ResponseTemplate::new(302).insert_header("location", "/api/v1/instances/list"),
            )
            .expect(1)
            .mount(&s)
            .await;
        Mock::given(path("/api/v1/instances/list"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": []})))
            .mount(&s)
            .await;
        let req = Request::post("/instances", &[])
            .unwrap()
            .json(&json!({"challenge_id": "WEB-001"}))
            .unwrap();
        let err = transport(&s).json::<Item>(&req).await.unwrap_err();
        assert_redirect_error(&err, "POST", 302);
        let Error::Redirect { path, location, .. } = &err else {
            unreachable!()
        };
        assert_eq!(path, "/api/v1/instances");
        assert_eq!(location.as_deref(), Some("/api/v1/instances/list"));
        assert!(
            requests_to(&s, "/api/v1/instances/list").await.is_empty(),
            "the redirect target was requested"
        );
    }

    /// A 307/308 would repeat the POST elsewhere: still a POST, so not followed either.
    #[tokio::test]
    async fn a_post_answered_by_a_307_or_308_is_not_followed() {
        for status in [307, 308] {
            let s = server().await;
            mount_redirect(
                &s,
                "POST",
                "/api/v1/flags",
                status,
                "/api/v1/flags2",
                "/api/v1/flags2",
            )
            .await;
            let req = Request::post("/flags", &[])
                .unwrap()
                .json(&json!({"flag": "FLAG{x}"}))
                .unwrap();
            let err = transport(&s).json::<Item>(&req).await.unwrap_err();
            assert_redirect_error(&err, "POST", status);
            assert!(
                requests_to(&s, "/api/v1/flags2").await.is_empty(),
                "{status}: the redirect target was requested"
            );
            assert_eq!(requests(&s).await.len(), 1, "{status}");
        }
    }

    /// A PATCH is not idempotent: no redirect of it is followed.
    #[tokio::test]
    async fn a_patch_is_never_redirected() {
        for status in [302, 307, 308] {
            let s = server().await;
            mount_redirect(&s, "PATCH", "/api/v1/p", status, "/api/v1/q", "/api/v1/q").await;
            let req = Request::patch("/p", &[])
                .unwrap()
                .json(&json!({"a": 1}))
                .unwrap();
            let err = transport(&s).empty(&req).await.unwrap_err();
            assert_redirect_error(&err, "PATCH", status);
            assert!(requests_to(&s, "/api/v1/q").await.is_empty(), "{status}");
        }
    }

    /// A GET that the caller marked not idempotent is not followed either.
    #[tokio::test]
    async fn a_get_marked_not_idempotent_is_not_redirected() {
        let s = server().await;
        mount_redirect(
            &s,
            "GET",
            "/api/v1/once",
            302,
            "/api/v1/twice",
            "/api/v1/twice",
        )
        .await;
        let req = Request::get("/once", &[])
            .unwrap()
            .idempotency(Idempotency::NotIdempotent);
        let err = transport(&s).empty(&req).await.unwrap_err();
        assert_redirect_error(&err, "GET", 302);
        assert!(requests_to(&s, "/api/v1/twice").await.is_empty());
    }

    /// 301/302/303 turn a DELETE or a PUT into a GET (reqwest's rule, and the browsers'):
    /// not followed.
    #[tokio::test]
    async fn delete_and_put_are_not_followed_on_301_302_303() {
        for (m, status) in [
            ("DELETE", 302),
            ("DELETE", 301),
            ("DELETE", 303),
            ("PUT", 302),
            ("PUT", 303),
        ] {
            let s = server().await;
            mount_redirect(
                &s,
                m,
                "/api/v1/thing",
                status,
                "/api/v1/other",
                "/api/v1/other",
            )
            .await;
            let req = Request::new(
                reqwest::Method::from_bytes(m.as_bytes()).unwrap(),
                "/thing",
                &[],
            )
            .unwrap();
            let err = transport(&s).empty(&req).await.unwrap_err();
            assert_redirect_error(&err, m, status);
            assert!(
                requests_to(&s, "/api/v1/other").await.is_empty(),
                "{m} {status}: the redirect target was requested"
            );
        }
    }

    /// 307/308 keep the method and the body: an idempotent PUT or DELETE follows them, with
    /// the token and without a Referer.
    #[tokio::test]
    async fn put_and_delete_follow_307_and_308_with_method_body_and_token() {
        for (m, status) in [("PUT", 307), ("PUT", 308), ("DELETE", 307), ("DELETE", 308)] {
            let s = server().await;
            Mock::given(method(m))
                .and(path("/api/v1/old"))
                .respond_with(
                    ResponseTemplate::new(status).insert_header("location", "/api/v1/new"),
                )
                .expect(1)
                .mount(&s)
                .await;
            Mock::given(method(m))
                .and(path("/api/v1/new"))
                .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
                .and(body_json(json!({"name": "x"})))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "moved"})))
                .expect(1)
                .mount(&s)
                .await;
            let req = Request::new(
                reqwest::Method::from_bytes(m.as_bytes()).unwrap(),
                "/old",
                &[],
            )
            .unwrap()
            .json(&json!({"name": "x"}))
            .unwrap();
            let item: Item = transport(&s).json(&req).await.unwrap();
            assert_eq!(item.id, "moved", "{m} {status}");
            for r in requests(&s).await {
                assert!(r.headers.get("referer").is_none(), "{r:?}");
            }
        }
    }

    /// GET and HEAD follow every redirect status that names a new place, keeping their method.
    #[tokio::test]
    async fn get_and_head_follow_301_302_303_307_308() {
        for m in ["GET", "HEAD"] {
            for status in [301, 302, 303, 307, 308] {
                let s = server().await;
                Mock::given(method(m))
                    .and(path("/api/v1/old"))
                    .respond_with(
                        ResponseTemplate::new(status).insert_header("location", "/api/v1/new"),
                    )
                    .expect(1)
                    .mount(&s)
                    .await;
                Mock::given(method(m))
                    .and(path("/api/v1/new"))
                    .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
                    .respond_with(ResponseTemplate::new(204))
                    .expect(1)
                    .mount(&s)
                    .await;
                let req = Request::new(
                    reqwest::Method::from_bytes(m.as_bytes()).unwrap(),
                    "/old",
                    &[],
                )
                .unwrap();
                transport(&s)
                    .empty(&req)
                    .await
                    .unwrap_or_else(|e| panic!("{m} {status}: {e:?}"));
                for r in requests(&s).await {
                    assert!(r.headers.get("referer").is_none(), "{r:?}");
                }
            }
        }
    }

    /// A relative `Location` resolves against the URL that answered, a query included.
    #[tokio::test]
    async fn a_relative_location_resolves_against_the_answering_url() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/dir/old"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", "new?page=2"))
            .expect(1)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/dir/new"))
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "moved"})))
            .expect(1)
            .mount(&s)
            .await;
        let item: Item = transport(&s)
            .json(&Request::get("/dir/old", &[]).unwrap())
            .await
            .unwrap();
        assert_eq!(item.id, "moved");
    }

    /// The target, not only the URL requested, decides: a same-origin target that carries a
    /// token (any case, any `…token` name) is never requested.
    #[tokio::test]
    async fn a_same_origin_redirect_to_a_url_with_a_token_is_not_followed() {
        for query in [
            "token=x",
            "TOKEN=x",
            "access_token=x",
            "next=%2Fevents%3Ftoken%3Dx",
        ] {
            let s = server().await;
            let location = format!("/api/v1/target?{query}");
            mount_redirect(&s, "GET", "/api/v1/start", 302, &location, "/api/v1/target").await;
            let err = transport(&s)
                .json::<Item>(&Request::get("/start", &[]).unwrap())
                .await
                .unwrap_err();
            assert_redirect_error(&err, "GET", 302);
            let Error::Redirect {
                location: shown, ..
            } = &err
            else {
                unreachable!()
            };
            let shown = shown.as_deref().unwrap();
            assert!(shown.starts_with("/api/v1/target?"), "{shown}");
            assert!(shown.contains("<redacted>"), "{query}: {shown}");
            assert!(
                requests_to(&s, "/api/v1/target").await.is_empty(),
                "{query}: the target carrying a token was requested"
            );
        }
    }

    /// A target that carries the transport's own token anywhere (not as a parameter) is not
    /// requested either, and the token does not show.
    #[tokio::test]
    async fn a_redirect_to_a_url_with_the_token_in_its_path_is_not_followed() {
        let s = server().await;
        let location = format!("/api/v1/t/{TOKEN}");
        mount_redirect(&s, "GET", "/api/v1/start", 302, &location, &location).await;
        let err = transport(&s)
            .json::<Item>(&Request::get("/start", &[]).unwrap())
            .await
            .unwrap_err();
        assert_redirect_error(&err, "GET", 302);
        assert_no_token("redirect error", &format!("{err} {err:?}"));
        assert!(requests_to(&s, &location).await.is_empty());
    }

    /// A request whose own URL carries a token is not redirected, even to a clean URL.
    #[tokio::test]
    async fn a_request_whose_url_carries_a_token_is_not_redirected() {
        let s = server().await;
        mount_redirect(
            &s,
            "GET",
            "/api/v1/start",
            302,
            "/api/v1/clean",
            "/api/v1/clean",
        )
        .await;
        let req = Request::get("/start", &[]).unwrap().query("token", "abc");
        let err = transport(&s).json::<Item>(&req).await.unwrap_err();
        assert_redirect_error(&err, "GET", 302);
        assert!(requests_to(&s, "/api/v1/clean").await.is_empty());
    }

    /// A redirect without a `Location`, or one that is not a URL, is not followed.
    #[tokio::test]
    async fn a_redirect_without_a_usable_location_is_an_error() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/nowhere"))
            .respond_with(ResponseTemplate::new(302))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/bad"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", "http://[::1"))
            .mount(&s)
            .await;
        let t = transport(&s);
        let err = t
            .empty(&Request::get("/nowhere", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Redirect {
                    status: 302,
                    location: None,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = t
            .empty(&Request::get("/bad", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Redirect { status: 302, location: Some(l), .. } if l == "http://[::1"),
            "{err:?}"
        );
    }

    /// At most five redirects are followed: the sixth answer is the error.
    #[tokio::test]
    async fn five_redirects_are_followed_and_not_six() {
        for (hops, ok) in [(5, true), (6, false)] {
            let s = server().await;
            for i in 0..hops {
                Mock::given(method("GET"))
                    .and(path(format!("/api/v1/h{i}")))
                    .respond_with(
                        ResponseTemplate::new(302)
                            .insert_header("location", format!("/api/v1/h{}", i + 1)),
                    )
                    .expect(1)
                    .mount(&s)
                    .await;
            }
            Mock::given(method("GET"))
                .and(path(format!("/api/v1/h{hops}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "end"})))
                .mount(&s)
                .await;
            let got = transport(&s)
                .json::<Item>(&Request::get("/h0", &[]).unwrap())
                .await;
            match (ok, got) {
                (true, Ok(item)) => assert_eq!(item.id, "end"),
                (false, Err(err)) => {
                    assert_redirect_error(&err, "GET", 302);
                    assert!(
                        requests_to(&s, &format!("/api/v1/h{hops}"))
                            .await
                            .is_empty()
                    );
                }
                (_, other) => panic!("{hops} hops: {other:?}"),
            }
        }
    }

    /// Requests sent through `http_client()` follow no redirect on their own.
    #[tokio::test]
    async fn the_http_client_follows_no_redirect() {
        let s = server().await;
        mount_redirect(&s, "GET", "/api/v1/old", 302, "/api/v1/new", "/api/v1/new").await;
        let t = transport(&s);
        let resp = t
            .http_client()
            .get(format!("{}/api/v1/old", s.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 302);
        assert!(requests_to(&s, "/api/v1/new").await.is_empty());
    }

    /// A 100 kB `Location` (with the token inside it, where a cut would split it) shows as a
    /// bounded, redacted snippet.
    #[tokio::test]
    async fn a_huge_location_is_bounded_and_redacted() {
        let s = server().await;
        let foreign = "http://other.invalid/";
        for (what, location) in [
            (
                // The bare token straddles the snippet's cut.
                "bare token at the cut",
                format!(
                    "{foreign}{}{TOKEN}?pad={}",
                    "a".repeat(SNIPPET_LEN - foreign.len() - 12),
                    "b".repeat(100_000)
                ),
            ),
            (
                "token parameter first",
                format!("{foreign}cb?token={TOKEN}&pad={}", "c".repeat(100_000)),
            ),
            (
                "token parameter last",
                format!("{foreign}cb?pad={}&token={TOKEN}", "d".repeat(100_000)),
            ),
        ] {
            Mock::given(method("GET"))
                .and(path("/api/v1/huge"))
                .respond_with(
                    ResponseTemplate::new(302).insert_header("location", location.as_str()),
                )
                .up_to_n_times(1)
                .mount(&s)
                .await;
            let err = transport(&s)
                .empty(&Request::get("/huge", &[]).unwrap())
                .await
                .unwrap_err();
            let Error::Redirect {
                location: Some(shown),
                ..
            } = &err
            else {
                panic!("{what}: expected a redirect error with a location, got {err:?}")
            };
            assert!(
                shown.len() <= SNIPPET_LEN + '…'.len_utf8(),
                "{what}: {} bytes",
                shown.len()
            );
            assert!(shown.starts_with(foreign), "{what}: {shown}");
            for text in [format!("{err}"), format!("{err:?}"), format!("{err:#?}")] {
                assert!(
                    text.len() < 2 * SNIPPET_LEN,
                    "{what}: {} bytes shown",
                    text.len()
                );
                assert_no_part_of_token(what, &text);
            }
        }
    }
}

mod redaction {
    use super::*;

    #[tokio::test]
    async fn debug_of_the_transport_and_builder_hides_the_token() {
        let builder = Transport::builder("http://127.0.0.1:1").token(TOKEN);
        assert_no_token(
            "TransportBuilder Debug",
            &format!("{builder:?} {builder:#?}"),
        );
        let t = builder.build().unwrap();
        let dbg = format!("{t:?} {t:#?}");
        assert_no_token("Transport Debug", &dbg);
        assert!(dbg.contains("redacted"), "{dbg}");
        let call = Call::new(&t, Request::get("/x", &[]));
        assert_no_token("Call Debug", &format!("{call:?}"));
    }

    #[tokio::test]
    async fn a_token_a_header_cannot_carry_is_refused_without_echoing_it() {
        let bad = format!("{TOKEN}\nX-Injected: 1");
        let err = Transport::builder("http://127.0.0.1:1")
            .token(bad)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)));
        assert_no_token("build error", &format!("{err} {err:?}"));
    }

    #[tokio::test]
    async fn errors_never_contain_the_token() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/admin/x"))
            .respond_with(
                ResponseTemplate::new(403).set_body_json(
                    json!({"code": "http_403", "detail": "Invalid or revoked token"}),
                ),
            )
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/bad-json"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{\"id\": 3}"))
            .mount(&s)
            .await;
        let t = transport(&s);
        let api = t
            .empty(&Request::get("/admin/x", &[]).unwrap())
            .await
            .unwrap_err();
        assert_eq!(api.status(), Some(403));
        let decode = t
            .json::<Item>(&Request::get("/bad-json", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(matches!(decode, Error::Decode { .. }), "{decode:?}");
        let closed = Transport::builder(closed_port_url())
            .token(TOKEN)
            .retry(fast_policy())
            .build()
            .unwrap();
        let connect = closed
            .empty(&Request::get("/me", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(connect.is_connect(), "{connect:?}");
        for (what, err) in [("api", &api), ("decode", &decode), ("connect", &connect)] {
            assert_no_token(what, &format!("{err}"));
            assert_no_token(what, &format!("{err:?}"));
            assert_no_token(what, &format!("{err:#?}"));
            let mut source = std::error::Error::source(err);
            while let Some(s) = source {
                assert_no_token(what, &format!("{s} {s:?}"));
                source = s.source();
            }
        }
    }
}

mod paths_and_queries {
    use super::*;

    #[tokio::test]
    async fn reserved_characters_stay_inside_one_segment() {
        let s = server().await;
        let cases = [
            ("a%2Fb", "a%252Fb"),
            ("a%5Cb", "a%255Cb"),
            ("line\r\nX-Injected: 1", "line%0D%0AX-Injected%3A%201"),
            ("nul\0", "nul%00"),
            ("what?x=1", "what%3Fx%3D1"),
            ("a#frag", "a%23frag"),
            ("100%", "100%25"),
            ("%2e%2e", "%252e%252e"),
            ("a b", "a%20b"),
            ("é☃", "%C3%A9%E2%98%83"),
            ("..etc", "..etc"),
            ("ok-._~9", "ok-._~9"),
        ];
        for (i, (_, encoded)) in cases.iter().enumerate() {
            Mock::given(method("GET"))
                .and(path(format!("/api/v1/things/{encoded}/detail")))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "case": i })))
                .expect(1)
                .mount(&s)
                .await;
        }
        let t = transport(&s);
        for (i, (raw, encoded)) in cases.iter().enumerate() {
            let req = Request::get("/things/{thing_id}/detail", &[raw]).unwrap();
            assert_eq!(req.path(), format!("/things/{encoded}/detail"));
            assert_eq!(req.template(), "/things/{thing_id}/detail");
            let v: Value = t
                .json(&req)
                .await
                .unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(v["case"], i, "{raw:?}");
        }
    }

    #[tokio::test]
    async fn empty_dot_and_separator_segments_are_refused_before_sending() {
        let s = server().await;
        let t = transport(&s);
        // The platform decodes `%2F` before routing: a `/` in an id, even encoded, would reach
        // another endpoint, so it is refused like `..`.
        for bad in ["", ".", "..", "a/b", "../etc", "id/challenges", "a\\b", "/"] {
            let built = Request::get("/things/{thing_id}", &[bad]);
            assert!(matches!(built, Err(Error::InvalidId(_))), "{bad:?}");
            let err = Call::new(&t, Request::get("/things/{thing_id}", &[bad]))
                .json::<Value>()
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidId(_)), "{bad:?}: {err:?}");
        }
        assert!(Request::get("/a/{x}/{y}", &["only-one"]).is_err());
        assert!(Request::get("/a", &["extra"]).is_err());
        assert!(requests(&s).await.is_empty());
    }

    #[tokio::test]
    async fn repeated_keys_booleans_and_escaping() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/search"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&s)
            .await;
        let req = Request::get("/search", &[])
            .unwrap()
            .query("tag", vec!["web", "pwn"])
            .query("tag", "crypto")
            .query("solved", true)
            .query("hidden", false)
            .query("limit", 10u64)
            .query_opt::<&str>("absent", None)
            .query_opt("present", Some("a b&c=d"));
        transport(&s).empty(&req).await.unwrap();
        let reqs = requests(&s).await;
        let pairs: Vec<(String, String)> = reqs[0]
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let expected: Vec<(String, String)> = [
            ("tag", "web"),
            ("tag", "pwn"),
            ("tag", "crypto"),
            ("solved", "true"),
            ("hidden", "false"),
            ("limit", "10"),
            ("present", "a b&c=d"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(pairs, expected);
    }

    #[tokio::test]
    async fn query_struct_skips_nones_and_repeats_lists() {
        #[derive(Serialize)]
        struct Filter {
            status: Option<&'static str>,
            category: Vec<&'static str>,
            active: bool,
            page: Option<u32>,
        }
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/list"))
            .and(query_param("category", "web"))
            .and(query_param("category", "misc"))
            .and(query_param("active", "false"))
            .and(query_param("page", "3"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&s)
            .await;
        let req = Request::get("/list", &[])
            .unwrap()
            .query_struct(&Filter {
                status: None,
                category: vec!["web", "misc"],
                active: false,
                page: Some(3),
            })
            .unwrap();
        transport(&s).empty(&req).await.unwrap();
        // Keys may come in any order; a list keeps its order.
        let mut pairs: Vec<String> = requests(&s).await[0]
            .url
            .query()
            .unwrap()
            .split('&')
            .map(str::to_owned)
            .collect();
        assert_eq!(
            pairs
                .iter()
                .filter(|p| p.starts_with("category="))
                .collect::<Vec<_>>(),
            ["category=web", "category=misc"]
        );
        pairs.sort();
        assert_eq!(
            pairs,
            ["active=false", "category=misc", "category=web", "page=3"]
        );
    }
}

mod api_errors {
    use super::*;

    /// Answers GET /api/v1/thing with `template` once and returns the error.
    async fn error_for(template: ResponseTemplate) -> Error {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/thing"))
            .respond_with(template)
            .expect(1)
            .mount(&s)
            .await;
        one_shot(&s)
            .json::<Value>(&Request::get("/thing", &[]).unwrap())
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn envelope_with_a_string_detail() {
        let err = error_for(ResponseTemplate::new(404).set_body_json(json!({
            "code": "instance_not_found",
            "detail": "Instance abc not found",
            "timestamp": "2026-11-22T22:18:11.676689+00:00",
        })))
        .await;
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.code(), Some("instance_not_found"));
        assert!(err.is_not_found());
        assert!(!err.is_timeout() && !err.is_connect());
        let api = err.api().unwrap();
        assert_eq!(api.status, 404);
        assert_eq!(api.detail, json!("Instance abc not found"));
        assert_eq!(api.message(), "Instance abc not found");
        assert_eq!(
            api.timestamp.as_deref(),
            Some("2026-11-22T22:18:11.676689+00:00")
        );
        assert_eq!(api.method, "GET");
        assert_eq!(api.path, "/api/v1/thing");
        assert!(api.body.is_none());
        assert!(api.retry_after.is_none());
        assert!(!api.is_session_required());
        assert_eq!(
            err.to_string(),
            "HTTP 404 instance_not_found: Instance abc not found (GET /api/v1/thing)"
        );
    }

    #[tokio::test]
    async fn envelope_with_an_object_detail_and_a_message() {
        let err = error_for(ResponseTemplate::new(403).set_body_json(json!({
            "code": "not_registered",
            "detail": {"message": "You are not registered for this competition", "competition_id": "comp-1"},
            "timestamp": "2026-11-22T22:18:11.676689+00:00",
        })))
        .await;
        assert_eq!(err.status(), Some(403));
        assert_eq!(err.code(), Some("not_registered"));
        assert!(!err.is_not_found());
        let api = err.api().unwrap();
        assert_eq!(api.message(), "You are not registered for this competition");
        assert_eq!(api.detail_field("competition_id"), Some(&json!("comp-1")));
        assert_eq!(api.detail_field("absent"), None);
        assert!(!api.is_session_required());
        let shown = err.to_string();
        assert!(
            shown.contains("not_registered") && shown.contains("You are not registered"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn object_detail_without_a_message_shows_the_json() {
        let err = error_for(ResponseTemplate::new(422).set_body_json(json!({
            "code": "unknown_question_id",
            "detail": {"question_id": "nope", "known": ["flag", "token"]},
            "timestamp": "2026-11-22T22:18:11.676689+00:00",
        })))
        .await;
        assert_eq!(err.status(), Some(422));
        assert_eq!(err.code(), Some("unknown_question_id"));
        let api = err.api().unwrap();
        let message: Value =
            serde_json::from_str(&api.message()).expect("message() is the detail as JSON");
        assert_eq!(
            message,
            json!({"question_id": "nope", "known": ["flag", "token"]})
        );
        assert_eq!(api.detail_field("known"), Some(&json!(["flag", "token"])));
        assert!(
            err.to_string().contains("\"question_id\":\"nope\""),
            "{err}"
        );
    }

    #[tokio::test]
    async fn starlette_body_has_no_code() {
        let err =
            error_for(ResponseTemplate::new(404).set_body_json(json!({"detail": "Not Found"})))
                .await;
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.code(), None);
        assert!(err.is_not_found());
        let api = err.api().unwrap();
        assert_eq!(api.message(), "Not Found");
        assert!(api.timestamp.is_none());
        assert_eq!(err.to_string(), "HTTP 404: Not Found (GET /api/v1/thing)");

        let err = error_for(
            ResponseTemplate::new(405).set_body_json(json!({"detail": "Method Not Allowed"})),
        )
        .await;
        assert_eq!(err.status(), Some(405));
        assert_eq!(err.code(), None);
        assert!(!err.is_not_found());
    }

    #[tokio::test]
    async fn token_scope_required_means_a_session_is_needed() {
        let err = error_for(ResponseTemplate::new(403).set_body_json(json!({
            "code": "http_403",
            "detail": {"error": "token_scope_required", "message": "This route is not available to fine-grained tokens."},
        })))
        .await;
        assert_eq!(err.code(), Some("http_403"));
        let api = err.api().unwrap();
        assert!(api.is_session_required());
        assert_eq!(
            api.message(),
            "This route is not available to fine-grained tokens."
        );
        let shown = err.to_string();
        assert!(shown.contains("pf_") && shown.contains("pt_"), "{shown}");

        let err = error_for(ResponseTemplate::new(403).set_body_json(json!({
            "code": "http_403",
            "detail": "This operation requires a user session (logged-in OAuth token)",
        })))
        .await;
        assert!(err.api().unwrap().is_session_required());
        assert!(err.to_string().contains("pf_"));

        // The same body with another status is not that case.
        let err = error_for(ResponseTemplate::new(401).set_body_json(json!({
            "code": "http_401",
            "detail": {"error": "token_scope_required", "message": "x"},
        })))
        .await;
        assert!(!err.api().unwrap().is_session_required());
        assert!(!err.to_string().contains("pf_"));
    }

    #[tokio::test]
    async fn html_body_is_kept_as_a_snippet() {
        let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
        let err = error_for(ResponseTemplate::new(502).set_body_raw(html, "text/html")).await;
        assert_eq!(err.status(), Some(502));
        assert_eq!(err.code(), None);
        let api = err.api().unwrap();
        assert_eq!(api.detail, Value::Null);
        assert_eq!(api.body.as_deref(), Some(html));
        assert_eq!(api.message(), html);
        assert!(err.to_string().contains("502 Bad Gateway"), "{err}");

        let long = format!("<html>{}</html>", "x".repeat(4 * SNIPPET_LEN));
        let err = error_for(ResponseTemplate::new(502).set_body_raw(long, "text/html")).await;
        let body = err.api().unwrap().body.clone().unwrap();
        assert!(
            body.len() <= SNIPPET_LEN + '…'.len_utf8(),
            "{} bytes",
            body.len()
        );
        assert!(body.starts_with("<html>xxx") && body.ends_with('…'));
    }

    #[tokio::test]
    async fn empty_body() {
        let err = error_for(ResponseTemplate::new(500)).await;
        assert_eq!(err.status(), Some(500));
        assert_eq!(err.code(), None);
        let api = err.api().unwrap();
        assert_eq!(api.detail, Value::Null);
        assert!(api.body.is_none());
        assert_eq!(api.message(), "");
        assert_eq!(err.to_string(), "HTTP 500 (GET /api/v1/thing)");
    }

    /// 100 kB of server text, the token inside it where the snippet's cut falls (12 bytes
    /// before it).
    fn huge(fill: &str) -> String {
        format!(
            "{}{TOKEN}{}",
            fill.repeat(SNIPPET_LEN - 12),
            fill.repeat(100_000)
        )
    }

    /// Every string inside `v` (keys included) is at most a snippet long.
    fn assert_strings_bounded(what: &str, v: &Value) {
        let bounded = |s: &str| s.len() <= SNIPPET_LEN + '…'.len_utf8();
        match v {
            Value::String(s) => assert!(bounded(s), "{what}: a {} byte string", s.len()),
            Value::Array(items) => items.iter().for_each(|i| assert_strings_bounded(what, i)),
            Value::Object(map) => {
                for (k, i) in map {
                    assert!(bounded(k), "{what}: a {} byte key", k.len());
                    assert_strings_bounded(what, i);
                }
            }
            _ => {}
        }
    }

    /// A hostile or broken server's `code`, `timestamp` and `detail` of 100 kB each: what the
    /// error keeps and shows is bounded, and the token inside them never shows, not even in
    /// part.
    #[tokio::test]
    async fn huge_codes_timestamps_and_details_are_bounded() {
        let many: serde_json::Map<String, Value> = (0..200)
            .map(|i| (format!("k{i}"), json!("v".repeat(400))))
            .collect();
        for (what, body) in [
            (
                "string detail",
                json!({"code": huge("c"), "detail": huge("d"), "timestamp": huge("t")}),
            ),
            (
                "object detail with a message",
                json!({"code": "x", "detail": {"message": huge("m"), "other": huge("o")}}),
            ),
            (
                "object detail without a message",
                json!({"code": "x", "detail": {"a": huge("a"), "list": [huge("l"), {"deep": huge("e")}]}}),
            ),
            ("a huge key", json!({"detail": {huge("k"): 1}})),
            (
                "a node's nested code",
                json!({"detail": {"code": huge("n"), "message": huge("m")}}),
            ),
            ("many small strings", json!({"code": "x", "detail": many})),
            ("a bare JSON string", json!(huge("s"))),
        ] {
            let err = error_for(ResponseTemplate::new(409).set_body_json(body)).await;
            let api = err.api().unwrap();
            for text in [&api.code, &api.timestamp, &api.body].into_iter().flatten() {
                assert!(
                    text.len() <= SNIPPET_LEN + '…'.len_utf8(),
                    "{what}: a {} byte text",
                    text.len()
                );
            }
            assert_strings_bounded(what, &api.detail);
            assert!(
                api.detail.to_string().len() <= 16 * 1024,
                "{what}: the detail is {} bytes of JSON",
                api.detail.to_string().len()
            );
            for text in [
                format!("{err}"),
                format!("{err:?}"),
                format!("{err:#?}"),
                api.message(),
            ] {
                assert!(text.len() < 8 * 1024, "{what}: {} bytes shown", text.len());
                assert_no_part_of_token(what, &text);
            }
        }
    }

    /// A detail whose JSON is over 16 KiB is kept as the start of that JSON, a string.
    #[tokio::test]
    async fn a_detail_over_16_kib_becomes_a_snippet_of_its_json() {
        let many: serde_json::Map<String, Value> = (0..200)
            .map(|i| (format!("k{i:03}"), json!("v".repeat(400))))
            .collect();
        let err = error_for(
            ResponseTemplate::new(422).set_body_json(json!({"code": "x", "detail": many})),
        )
        .await;
        let api = err.api().unwrap();
        let Value::String(shown) = &api.detail else {
            panic!("{:?}", api.detail)
        };
        assert!(shown.starts_with("{\"k000\":\"vvv"), "{shown}");
        assert!(shown.ends_with('…'), "{shown}");
        assert_eq!(api.message(), *shown);
        // Under the limit, an object stays an object.
        let err = error_for(ResponseTemplate::new(422).set_body_json(
            json!({"code": "x", "detail": {"a": "v".repeat(400), "b": "w".repeat(400)}}),
        ))
        .await;
        assert!(err.api().unwrap().detail.is_object());
    }

    /// The token where the body snippet's cut falls: masked before the cut, so no part of it
    /// shows.
    #[tokio::test]
    async fn the_body_snippet_never_shows_part_of_the_token() {
        let html = format!("<html>{}</html>", &huge("x")[6..]);
        let err = error_for(ResponseTemplate::new(502).set_body_raw(html, "text/html")).await;
        let body = err.api().unwrap().body.clone().unwrap();
        assert!(body.len() <= SNIPPET_LEN + '…'.len_utf8(), "{}", body.len());
        assert!(body.ends_with("<redacted>xx…"), "{body}");
        assert_no_part_of_token("body snippet", &format!("{err} {err:?}"));
    }

    #[tokio::test]
    async fn json_that_is_not_an_envelope_becomes_the_detail() {
        let err = error_for(ResponseTemplate::new(400).set_body_json(json!(["a", "b"]))).await;
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.api().unwrap().detail, json!(["a", "b"]));
        assert_eq!(err.code(), None);
    }
}

mod decode_errors {
    use super::*;

    async fn decode_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(
        template: ResponseTemplate,
    ) -> Error {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/items"))
            .respond_with(template)
            .expect(1)
            .mount(&s)
            .await;
        transport(&s)
            .json::<T>(&Request::get("/items", &[]).unwrap())
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn serde_path_and_status_are_kept() {
        let body = json!({"items": [{"id": "a"}, {"id": 2}], "total": 2, "limit": 2, "offset": 0});
        let err = decode_error::<Page<Item>>(ResponseTemplate::new(201).set_body_json(body)).await;
        match &err {
            Error::Decode {
                method,
                path,
                status,
                at,
                snippet,
                ..
            } => {
                assert_eq!(method, "GET");
                assert!(path.ends_with("/items"), "{path}");
                assert_eq!(*status, 201);
                assert_eq!(at, "items[1].id");
                assert!(snippet.starts_with("{\"items\""), "{snippet}");
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
        assert_eq!(err.status(), Some(201));
        assert!(err.api().is_none());
        assert!(!err.is_not_found());
        assert!(err.to_string().contains("items[1].id"), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[tokio::test]
    async fn snippet_is_bounded() {
        let items: Vec<Value> = (0..500)
            .map(|i| json!({"id": format!("item-{i}")}))
            .collect();
        let body = json!({"items": items, "total": "many"});
        let err = decode_error::<Page<Item>>(ResponseTemplate::new(200).set_body_json(body)).await;
        let Error::Decode {
            at,
            snippet,
            status,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*status, 200);
        assert_eq!(at, "total");
        assert!(
            snippet.len() <= SNIPPET_LEN + '…'.len_utf8(),
            "{} bytes",
            snippet.len()
        );
        assert!(snippet.ends_with('…'), "{snippet}");
    }

    #[tokio::test]
    async fn snippet_is_cut_on_a_character_boundary() {
        // 11 ASCII bytes and then two-byte characters: byte SNIPPET_LEN falls inside one.
        let body = format!("{{\"items\": \"{}\"}}", "é".repeat(SNIPPET_LEN));
        assert!(!body.is_char_boundary(SNIPPET_LEN));
        let err = decode_error::<Page<Item>>(
            ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        )
        .await;
        let Error::Decode { snippet, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(
            snippet.len() <= SNIPPET_LEN + '…'.len_utf8(),
            "{} bytes",
            snippet.len()
        );
        assert!(
            !snippet.contains('\u{FFFD}'),
            "a character was cut in half: {snippet}"
        );
        assert!(snippet.ends_with("éé…"), "{snippet}");
    }

    /// The token where the decode snippet's cut falls: masked before the cut.
    #[tokio::test]
    async fn the_decode_snippet_never_shows_part_of_the_token() {
        // `{"items": "` is 11 bytes: the token starts 12 bytes before the cut.
        let body = format!(
            "{{\"items\": \"{}{TOKEN}{}\"}}",
            "x".repeat(SNIPPET_LEN - 12 - 11),
            "y".repeat(100_000)
        );
        let err = decode_error::<Page<Item>>(
            ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        )
        .await;
        let Error::Decode { snippet, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(
            snippet.len() <= SNIPPET_LEN + '…'.len_utf8(),
            "{}",
            snippet.len()
        );
        assert!(snippet.ends_with("<redacted>yy…"), "{snippet}");
        // serde's message quotes the string it refused: redacted and cut too.
        let Error::Decode { source, .. } = &err else {
            unreachable!()
        };
        assert!(source.to_string().len() < 2 * SNIPPET_LEN, "{source}");
        assert_eq!(source.line(), 1);
        assert_no_part_of_token("decode snippet", &format!("{err} {err:?}"));
    }

    #[tokio::test]
    async fn non_json_success_body() {
        let err = decode_error::<Item>(
            ResponseTemplate::new(200).set_body_raw("<html>maintenance</html>", "text/html"),
        )
        .await;
        let Error::Decode {
            at,
            snippet,
            status,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*status, 200);
        assert_eq!(at, ".");
        assert_eq!(snippet, "<html>maintenance</html>");
    }

    #[tokio::test]
    async fn empty_success_body_decodes_as_null() {
        let s = server().await;
        Mock::given(method("DELETE"))
            .and(path("/api/v1/items/x"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&s)
            .await;
        let t = transport(&s);
        let req = Request::delete("/items/{item_id}", &["x"]).unwrap();
        t.json::<()>(&req).await.unwrap();
        assert_eq!(t.json::<Option<Item>>(&req).await.unwrap(), None);
        let err = t.json::<Item>(&req).await.unwrap_err();
        assert!(matches!(err, Error::Decode { status: 204, .. }), "{err:?}");
    }
}

mod retries {
    use super::*;

    /// Mounts `first` for the first `n` matching requests, then `then`.
    async fn script(
        s: &MockServer,
        verb: &str,
        p: &str,
        first: ResponseTemplate,
        n: u64,
        then: ResponseTemplate,
    ) {
        Mock::given(method(verb))
            .and(path(p))
            .respond_with(first)
            .up_to_n_times(n)
            .with_priority(1)
            .expect(n)
            .mount(s)
            .await;
        Mock::given(method(verb))
            .and(path(p))
            .respond_with(then)
            .with_priority(2)
            .expect(1)
            .mount(s)
            .await;
    }

    #[tokio::test]
    async fn get_is_retried_on_transient_statuses_then_succeeds() {
        for status in [502, 503, 504, 429] {
            let s = server().await;
            script(
                &s,
                "GET",
                "/api/v1/x",
                ResponseTemplate::new(status),
                2,
                ResponseTemplate::new(200).set_body_json(json!({"ok": status})),
            )
            .await;
            let v: Value = transport(&s)
                .json(&Request::get("/x", &[]).unwrap())
                .await
                .unwrap_or_else(|e| panic!("{status}: {e}"));
            assert_eq!(v["ok"], status);
            assert_eq!(requests(&s).await.len(), 3, "status {status}");
            s.verify().await;
        }
    }

    #[tokio::test]
    async fn get_gives_up_after_max_retries() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/x"))
            .respond_with(ResponseTemplate::new(503))
            .expect(3)
            .mount(&s)
            .await;
        let err = transport(&s)
            .empty(&Request::get("/x", &[]).unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(503));
    }

    #[tokio::test]
    async fn get_is_not_retried_on_other_errors() {
        for status in [500, 404, 400, 401, 403, 409, 422] {
            let s = server().await;
            Mock::given(method("GET"))
                .and(path("/api/v1/x"))
                .respond_with(ResponseTemplate::new(status))
                .expect(1)
                .mount(&s)
                .await;
            let err = transport(&s)
                .empty(&Request::get("/x", &[]).unwrap())
                .await
                .unwrap_err();
            assert_eq!(err.status(), Some(status));
            s.verify().await;
        }
    }

    #[tokio::test]
    async fn get_is_retried_on_connect_errors() {
        let (log, _guard) = capture_tracing();
        let t = Transport::builder(closed_port_url())
            .token(TOKEN)
            .retry(fast_policy())
            .build()
            .unwrap();
        let err = t
            .empty(&Request::get("/x", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        assert!(!err.is_timeout());
        assert_eq!(err.status(), None);
        let text = log.text();
        assert_eq!(text.matches("retrying").count(), 2, "{text}");
        assert!(
            text.contains("attempt=3") && !text.contains("attempt=4"),
            "{text}"
        );
    }

    /// A POST answered with `template` fails with that status after exactly one request.
    async fn assert_post_sent_once(template: ResponseTemplate) {
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/instances"))
            .respond_with(template)
            .expect(1)
            .mount(&s)
            .await;
        let req = Request::post("/instances", &[])
            .unwrap()
            .json(&json!({"challenge_id": "WEB-001"}))
            .unwrap();
        let err = transport(&s).empty(&req).await.unwrap_err();
        assert!(err.status().is_some(), "{err:?}");
        s.verify().await;
    }

    #[tokio::test]
    async fn post_is_not_retried_when_the_server_may_have_acted() {
        let cases = [
            ResponseTemplate::new(502),
            ResponseTemplate::new(503),
            ResponseTemplate::new(504),
            ResponseTemplate::new(500),
            ResponseTemplate::new(429),
        ];
        for template in cases {
            assert_post_sent_once(template).await;
        }
        // PATCH follows the same rule.
        let s = server().await;
        Mock::given(method("PATCH"))
            .and(path("/api/v1/x"))
            .respond_with(ResponseTemplate::new(502))
            .expect(1)
            .mount(&s)
            .await;
        transport(&s)
            .empty(&Request::patch("/x", &[]).unwrap())
            .await
            .unwrap_err();
    }

    #[tokio::test]
    async fn post_is_retried_when_the_server_says_retry_after() {
        for status in [503, 429] {
            let s = server().await;
            script(
                &s,
                "POST",
                "/api/v1/instances",
                ResponseTemplate::new(status).insert_header("retry-after", "0"),
                1,
                ResponseTemplate::new(202).set_body_json(json!({"instance_id": "i1"})),
            )
            .await;
            let req = Request::post("/instances", &[])
                .unwrap()
                .json(&json!({"challenge_id": "WEB-001"}))
                .unwrap();
            let v: Value = transport(&s).json(&req).await.unwrap();
            assert_eq!(v["instance_id"], "i1");
            let reqs = requests(&s).await;
            assert_eq!(reqs.len(), 2);
            // The body is sent again, intact.
            for r in reqs {
                assert_eq!(
                    serde_json::from_slice::<Value>(&r.body).unwrap(),
                    json!({"challenge_id": "WEB-001"})
                );
            }
            s.verify().await;
        }
    }

    /// The rule as `docs/AGENTS.md` and `RetryPolicy`'s docs state it: a POST is retried on a
    /// 429 or 503 only when it carries a `Retry-After` the SDK can read and that is within
    /// `max_retry_after`; any other answer is sent once.
    #[tokio::test]
    async fn post_is_sent_once_without_a_usable_retry_after() {
        let cases = [
            // No header at all.
            ResponseTemplate::new(429),
            ResponseTemplate::new(503),
            // A header that is neither seconds nor an HTTP date.
            ResponseTemplate::new(429).insert_header("retry-after", "soon"),
            ResponseTemplate::new(503).insert_header("retry-after", "-1"),
            // Longer than `max_retry_after` (2 s in the fast policy): not waited out.
            ResponseTemplate::new(429).insert_header("retry-after", "3"),
            // The header does not make other statuses retryable for a POST.
            ResponseTemplate::new(502).insert_header("retry-after", "0"),
            ResponseTemplate::new(504).insert_header("retry-after", "0"),
        ];
        for template in cases {
            assert_post_sent_once(template).await;
        }
    }

    #[tokio::test]
    async fn post_is_retried_on_connect_errors() {
        let (log, _guard) = capture_tracing();
        let t = Transport::builder(closed_port_url())
            .retry(fast_policy())
            .build()
            .unwrap();
        let req = Request::post("/instances", &[])
            .unwrap()
            .json(&json!({"challenge_id": "x"}))
            .unwrap();
        let err = t.empty(&req).await.unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        let text = log.text();
        assert_eq!(text.matches("retrying").count(), 2, "{text}");
        assert!(text.contains("attempt=3"), "{text}");
    }

    #[tokio::test]
    async fn post_is_not_retried_on_timeout() {
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .expect(1)
            .mount(&s)
            .await;
        let req = Request::post("/slow", &[]).unwrap().timeout(ms(300));
        let err = transport(&s).empty(&req).await.unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert!(!err.is_connect());
        assert!(err.to_string().contains("timed out"), "{err}");
        assert_eq!(requests(&s).await.len(), 1);
    }

    #[tokio::test]
    async fn get_is_retried_on_timeout() {
        let s = server().await;
        script(
            &s,
            "GET",
            "/api/v1/slow",
            ResponseTemplate::new(200)
                .set_body_json(json!({"n": 1}))
                .set_delay(Duration::from_secs(5)),
            1,
            ResponseTemplate::new(200).set_body_json(json!({"n": 2})),
        )
        .await;
        let req = Request::get("/slow", &[])
            .unwrap()
            .timeout(Duration::from_secs(1));
        let v: Value = transport(&s).json(&req).await.unwrap();
        assert_eq!(v["n"], 2);
    }

    #[tokio::test]
    async fn a_reset_connection_is_retried_for_get_but_not_for_post() {
        let s = server().await;
        let reset = |_: &wiremock::Request| {
            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset")
        };
        Mock::given(method("GET"))
            .and(path("/api/v1/flaky"))
            .respond_with_err(reset)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/flaky"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"n": 2})))
            .mount(&s)
            .await;
        let v: Value = transport(&s)
            .json(&Request::get("/flaky", &[]).unwrap())
            .await
            .unwrap();
        assert_eq!(v["n"], 2);

        Mock::given(method("POST"))
            .and(path("/api/v1/flaky"))
            .respond_with_err(reset)
            .expect(1)
            .mount(&s)
            .await;
        let err = transport(&s)
            .empty(&Request::post("/flaky", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, ctfy_transport::Error::Http { .. }), "{err:?}");
        assert!(!err.is_connect());
    }

    #[tokio::test]
    async fn put_and_delete_are_retried_on_503() {
        for verb in ["PUT", "DELETE"] {
            let s = server().await;
            script(
                &s,
                verb,
                "/api/v1/things/t1",
                ResponseTemplate::new(503),
                2,
                ResponseTemplate::new(204),
            )
            .await;
            let req = Request::new(verb.parse().unwrap(), "/things/{thing_id}", &["t1"]).unwrap();
            transport(&s)
                .empty(&req)
                .await
                .unwrap_or_else(|e| panic!("{verb}: {e}"));
            assert_eq!(requests(&s).await.len(), 3);
            s.verify().await;
        }
    }

    #[tokio::test]
    async fn zero_retries_means_one_attempt() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/x"))
            .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
            .expect(1)
            .mount(&s)
            .await;
        let t = Transport::builder(s.uri())
            .retry(fast_policy().with(|it| {
                it.max_retries = 0;
            }))
            .build()
            .unwrap();
        let err = t
            .empty(&Request::get("/x", &[]).unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(503));
        assert_eq!(RetryPolicy::none().max_retries, 0);
    }

    #[tokio::test]
    async fn retry_after_beyond_the_limit_is_not_waited_out() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/x"))
            .respond_with(
                ResponseTemplate::new(503)
                    .insert_header("retry-after", "120")
                    .set_body_json(
                        json!({"code": "no_healthy_node", "detail": "No healthy node available."}),
                    ),
            )
            .expect(1)
            .mount(&s)
            .await;
        let err = transport(&s)
            .empty(&Request::get("/x", &[]).unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some("no_healthy_node"));
        assert_eq!(
            err.api().unwrap().retry_after,
            Some(Duration::from_secs(120))
        );
    }

    #[tokio::test]
    async fn retry_after_is_honoured() {
        let s = server().await;
        script(
            &s,
            "GET",
            "/api/v1/x",
            ResponseTemplate::new(429).insert_header("retry-after", "1"),
            1,
            ResponseTemplate::new(204),
        )
        .await;
        let started = Instant::now();
        transport(&s)
            .empty(&Request::get("/x", &[]).unwrap())
            .await
            .unwrap();
        assert!(
            started.elapsed() >= ms(900),
            "retried after {:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn idempotency_overrides_the_method() {
        let s = server().await;
        script(
            &s,
            "POST",
            "/api/v1/lookup",
            ResponseTemplate::new(502),
            1,
            ResponseTemplate::new(200).set_body_json(json!([])),
        )
        .await;
        let req = Request::post("/lookup", &[])
            .unwrap()
            .idempotency(Idempotency::Idempotent);
        let v: Value = transport(&s).json(&req).await.unwrap();
        assert_eq!(v, json!([]));
        s.verify().await;

        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/once"))
            .respond_with(ResponseTemplate::new(502))
            .expect(1)
            .mount(&s)
            .await;
        let req = Request::get("/once", &[])
            .unwrap()
            .idempotency(Idempotency::NotIdempotent);
        assert_eq!(
            transport(&s).empty(&req).await.unwrap_err().status(),
            Some(502)
        );
    }
}

mod timeouts {
    use super::*;

    /// A content type a header cannot carry is the caller's error, said before anything is
    /// sent, and the body bytes are not sent anywhere.
    #[tokio::test]
    async fn a_raw_body_with_an_invalid_content_type_is_refused_before_sending() {
        let s = server().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200))
            .expect(0)
            .mount(&s)
            .await;
        let req = Request::post("/upload", &[])
            .unwrap()
            .body(ctfy_transport::Body::Raw {
                bytes: bytes::Bytes::from_static(b"data"),
                content_type: "text/plain\r\nx-injected: 1".into(),
            });
        let err = transport(&s).empty(&req).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(err.to_string().contains("content type"), "{err}");
        s.verify().await;
    }

    #[tokio::test]
    async fn request_timeout_overrides_a_shorter_client_timeout() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/slow"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"ok": true}))
                    .set_delay(ms(400)),
            )
            .expect(1)
            .mount(&s)
            .await;
        let t = Transport::builder(s.uri())
            .timeout(ms(100))
            .max_retries(0)
            .build()
            .unwrap();
        let v: Value = t
            .json(
                &Request::get("/slow", &[])
                    .unwrap()
                    .timeout(Duration::from_secs(10)),
            )
            .await
            .unwrap();
        assert_eq!(v, json!({"ok": true}));
    }

    #[tokio::test]
    async fn a_deadline_caps_the_whole_call_retries_and_backoff_included() {
        let s = server().await;
        // Every attempt fails fast and would be retried for a long time.
        Mock::given(method("GET"))
            .and(path("/api/v1/flaky"))
            .respond_with(ResponseTemplate::new(503).set_delay(ms(50)))
            .mount(&s)
            .await;
        let t = Transport::builder(s.uri())
            .retry(RetryPolicy::default().with(|p| {
                p.max_retries = 50;
                p.initial_delay = ms(100);
            }))
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let err = t
            .empty(&Request::get("/flaky", &[]).unwrap().deadline(ms(400)))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Timeout { after, .. } if *after == ms(400)),
            "{err:?}"
        );
        assert!(err.is_timeout(), "{err:?}");
        assert!(err.to_string().contains("GET /flaky"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // Without the deadline the same call runs its retries (several attempts were made).
        assert!(s.received_requests().await.unwrap().len() >= 2);
    }

    #[tokio::test]
    async fn a_deadline_cuts_a_slow_attempt_that_its_timeout_would_allow() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .mount(&s)
            .await;
        let t = Transport::builder(s.uri()).build().unwrap();
        let req = Request::get("/slow", &[])
            .unwrap()
            .timeout(Duration::from_secs(30))
            .deadline(ms(200));
        assert_eq!(req.call_deadline(), Some(ms(200)));
        let err = t.json::<Value>(&req).await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        let err = t.send_streaming(&req).await.unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn request_timeout_overrides_a_longer_client_timeout() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .expect(1)
            .mount(&s)
            .await;
        let t = Transport::builder(s.uri())
            .timeout(Duration::from_secs(30))
            .max_retries(0)
            .build()
            .unwrap();
        let err = t
            .empty(&Request::get("/slow", &[]).unwrap().timeout(ms(200)))
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
    }

    #[tokio::test]
    async fn client_timeout_applies_without_a_request_timeout() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .expect(1)
            .mount(&s)
            .await;
        let t = Transport::builder(s.uri())
            .timeout(ms(200))
            .max_retries(0)
            .build()
            .unwrap();
        let err = t
            .empty(&Request::get("/slow", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
    }

    #[tokio::test]
    async fn connect_timeout_can_be_set() {
        let t = Transport::builder("http://127.0.0.1:1")
            .connect_timeout(ms(250))
            .no_timeout()
            .build()
            .unwrap();
        assert!(t.base_url().as_str().ends_with("/api/v1"));
    }

    #[tokio::test]
    async fn a_connect_error_names_the_origin_it_tried() {
        // A port nobody listens on: bind one, then free it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let t = Transport::builder(format!("http://127.0.0.1:{port}"))
            .max_retries(0)
            .build()
            .unwrap();
        assert_eq!(t.origin(), format!("http://127.0.0.1:{port}"));
        let err = t
            .send(&Request::get("/health", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(err.is_connect() && err.is_retryable(), "{err:?}");
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!(
                "GET http://127.0.0.1:{port}/api/v1/health: could not connect"
            )),
            "{shown}"
        );
    }
}

mod pagination {
    use super::*;

    async fn mount_page(s: &MockServer, p: &str, offset: u64, limit: u64, body: Value) {
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("offset", offset.to_string()))
            .and(query_param("limit", limit.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(s)
            .await;
    }

    async fn five_items(s: &MockServer) {
        mount_page(
            s,
            "/api/v1/items",
            0,
            2,
            page_body(&["a", "b"], Some(5), 2, 0),
        )
        .await;
        mount_page(
            s,
            "/api/v1/items",
            2,
            2,
            page_body(&["c", "d"], Some(5), 2, 2),
        )
        .await;
        mount_page(s, "/api/v1/items", 4, 2, page_body(&["e"], Some(5), 2, 4)).await;
    }

    #[tokio::test]
    async fn three_pages_in_order() {
        let s = server().await;
        five_items(&s).await;
        let t = transport(&s);
        let stream = t.paginate::<Item>(
            Request::get("/items", &[]).unwrap().query("status", "open"),
            2,
        );
        let items: Vec<Item> = stream.map(Result::unwrap).collect().await;
        assert_eq!(ids(&items), ["a", "b", "c", "d", "e"]);
        let reqs = requests(&s).await;
        let offsets: Vec<String> = reqs.iter().map(|r| query(r, "offset")).collect();
        assert_eq!(offsets, ["0", "2", "4"]);
        for r in &reqs {
            assert_eq!(query(r, "limit"), "2");
            assert_eq!(query(r, "status"), "open");
            assert_eq!(
                r.url.query_pairs().filter(|(k, _)| k == "offset").count(),
                1
            );
        }
    }

    fn query(r: &wiremock::Request, key: &str) -> String {
        r.url
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn nothing_is_fetched_until_polled() {
        let s = server().await;
        let stream = transport(&s).paginate::<Item>(Request::get("/items", &[]).unwrap(), 2);
        drop(stream);
        assert!(requests(&s).await.is_empty());
    }

    #[tokio::test]
    async fn stops_on_an_empty_page() {
        let s = server().await;
        // The total claims more, but the second page is empty.
        mount_page(
            &s,
            "/api/v1/items",
            0,
            2,
            page_body(&["a", "b"], Some(10), 2, 0),
        )
        .await;
        mount_page(&s, "/api/v1/items", 2, 2, page_body(&[], Some(10), 2, 2)).await;
        let items: Vec<Item> = transport(&s)
            .paginate(Request::get("/items", &[]).unwrap(), 2)
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(ids(&items), ["a", "b"]);
        assert_eq!(requests(&s).await.len(), 2);
    }

    #[tokio::test]
    async fn uncounted_listing_stops_on_a_short_or_empty_page() {
        let s = server().await;
        mount_page(
            &s,
            "/api/v1/items",
            0,
            2,
            page_body(&["a", "b"], None, 2, 0),
        )
        .await;
        mount_page(&s, "/api/v1/items", 2, 2, page_body(&[], None, 2, 2)).await;
        let items: Vec<Item> = transport(&s)
            .paginate(Request::get("/items", &[]).unwrap(), 2)
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(ids(&items), ["a", "b"]);
        s.verify().await;

        let s = server().await;
        mount_page(
            &s,
            "/api/v1/items",
            0,
            2,
            page_body(&["a", "b"], None, 2, 0),
        )
        .await;
        mount_page(&s, "/api/v1/items", 2, 2, page_body(&["c"], None, 2, 2)).await;
        let items: Vec<Item> = transport(&s)
            .paginate(Request::get("/items", &[]).unwrap(), 2)
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(ids(&items), ["a", "b", "c"]);
    }

    #[tokio::test]
    async fn an_error_on_page_two_follows_the_first_pages_items() {
        let s = server().await;
        mount_page(
            &s,
            "/api/v1/items",
            0,
            2,
            page_body(&["a", "b"], Some(5), 2, 0),
        )
        .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/items"))
            .and(query_param("offset", "2"))
            .respond_with(
                ResponseTemplate::new(403)
                    .set_body_json(json!({"code": "forbidden", "detail": "no"})),
            )
            .expect(1)
            .mount(&s)
            .await;
        let mut stream = transport(&s).paginate::<Item>(Request::get("/items", &[]).unwrap(), 2);
        assert_eq!(stream.next().await.unwrap().unwrap().id, "a");
        assert_eq!(stream.next().await.unwrap().unwrap().id, "b");
        let err = stream.next().await.unwrap().unwrap_err();
        assert_eq!(err.code(), Some("forbidden"));
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn starting_offset_comes_from_the_request() {
        let s = server().await;
        mount_page(
            &s,
            "/api/v1/items",
            4,
            2,
            page_body(&["e", "f"], Some(7), 2, 4),
        )
        .await;
        mount_page(&s, "/api/v1/items", 6, 2, page_body(&["g"], Some(7), 2, 6)).await;
        let req = Request::get("/items", &[])
            .unwrap()
            .query("offset", 4u64)
            .query("limit", 50u64);
        let items: Vec<Item> = transport(&s)
            .paginate(req, 2)
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(ids(&items), ["e", "f", "g"]);
    }

    #[tokio::test]
    async fn a_server_that_omits_the_offset_does_not_loop() {
        let s = server().await;
        for (offset, items) in [(0, vec!["a", "b"]), (2, vec!["c", "d"]), (4, vec!["e"])] {
            let body = json!({"items": items.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(), "total": 5, "limit": 2});
            mount_page(&s, "/api/v1/items", offset, 2, body).await;
        }
        let stream = transport(&s).paginate::<Item>(Request::get("/items", &[]).unwrap(), 2);
        let items: Vec<Item> = tokio::time::timeout(
            Duration::from_secs(5),
            stream.take(20).map(Result::unwrap).collect(),
        )
        .await
        .expect("the stream ends");
        assert_eq!(ids(&items), ["a", "b", "c", "d", "e"]);
    }

    #[tokio::test]
    async fn page_has_more() {
        let page = |n: usize, total: Option<u64>, limit: Option<u64>, offset: u64| {
            Page::default().with(|it| {
                it.items = (0..n).map(|i| Item { id: i.to_string() }).collect();
                it.total = total;
                it.limit = limit;
                it.offset = offset;
            })
        };
        assert!(page(2, Some(5), Some(2), 0).has_more());
        assert!(!page(1, Some(5), Some(2), 4).has_more());
        assert!(page(2, None, Some(2), 0).has_more());
        assert!(!page(1, None, Some(2), 0).has_more());
        assert!(!page(0, None, Some(2), 0).has_more());
        assert!(!page(2, None, None, 0).has_more());
        assert_eq!(page(2, Some(5), Some(2), 2).next_offset(), 4);

        // And decoded from the wire with `"total": null`.
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/items"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page_body(
                &["a", "b"],
                None,
                2,
                0,
            )))
            .mount(&s)
            .await;
        let p: Page<Item> = transport(&s)
            .page(&Request::get("/items", &[]).unwrap())
            .await
            .unwrap();
        assert_eq!(p.total, None);
        assert!(p.has_more());
    }
}

mod call {
    use super::*;

    #[tokio::test]
    async fn query_replaces_earlier_values() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/q"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
            .expect(1)
            .mount(&s)
            .await;
        let t = transport(&s);
        let req = Request::get("/q", &[]).map(|r| r.query("a", "1").query("keep", "k"));
        let _: Value = Call::new(&t, req)
            .query("a", "2")
            .query("b", true)
            .query("a", "3")
            .json()
            .await
            .unwrap();
        let reqs = requests(&s).await;
        assert_eq!(reqs[0].url.query(), Some("keep=k&b=true&a=3"));
    }

    #[tokio::test]
    async fn body_fields_build_a_json_object() {
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/b"))
            .and(header("content-type", "application/json"))
            .and(body_json(
                json!({"x": 1, "y": "z", "list": [1, 2], "none": null}),
            ))
            .respond_with(ResponseTemplate::new(201))
            .expect(1)
            .mount(&s)
            .await;
        let t = transport(&s);
        Call::new(&t, Request::post("/b", &[]))
            .body_field("x", 1)
            .body_field("y", "z")
            .body_field("list", vec![1, 2])
            .body_field("none", Option::<u32>::None)
            .empty()
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn with_body_then_body_field_overrides() {
        #[derive(Serialize)]
        struct Start {
            challenge_id: &'static str,
            competition_id: Option<&'static str>,
        }
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/instances"))
            .and(body_json(
                json!({"challenge_id": "WEB-002", "competition_id": "c1", "extra": true}),
            ))
            .respond_with(ResponseTemplate::new(202).set_body_json(json!({"instance_id": "i1"})))
            .expect(1)
            .mount(&s)
            .await;
        let t = transport(&s);
        let v: Value = Call::with_body(
            &t,
            Request::post("/instances", &[]),
            &Start {
                challenge_id: "WEB-001",
                competition_id: Some("c1"),
            },
        )
        .body_field("challenge_id", "WEB-002")
        .body_field("extra", true)
        .json()
        .await
        .unwrap();
        assert_eq!(v["instance_id"], "i1");
    }

    #[tokio::test]
    async fn with_body_refuses_a_non_object() {
        let s = server().await;
        let t = transport(&s);
        let err = Call::with_body(&t, Request::post("/x", &[]), &[1, 2])
            .empty()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
        assert!(requests(&s).await.is_empty());
    }

    #[tokio::test]
    async fn check_defers_an_error_to_send_time() {
        let s = server().await;
        let t = transport(&s);
        let bad: Result<String, InvalidId> = Err(InvalidId::new("InstanceId", ".."));
        let call = Call::new(&t, Request::get("/x", &[]))
            .check(bad, |c, v| c.query("id", v))
            .query("later", "ignored");
        let err = call.json::<Value>().await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidId(e) if e.value == ".."),
            "{err:?}"
        );

        // The first error wins.
        let err = Call::new(&t, Request::get("/x", &[]))
            .check(
                Err::<(), _>(Error::InvalidArgument("first".into())),
                |c, _| c,
            )
            .check(
                Err::<(), _>(Error::InvalidArgument("second".into())),
                |c, _| c,
            )
            .empty()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument(m) if m == "first"),
            "{err:?}"
        );

        // A failed request build is reported the same way, and by stream() as its only item.
        let mut stream = Call::new(&t, Request::get("/x/{id}", &[""])).stream::<Item>();
        assert!(matches!(
            stream.next().await,
            Some(Err(Error::InvalidId(_)))
        ));
        assert!(stream.next().await.is_none());

        assert!(requests(&s).await.is_empty(), "nothing may be sent");

        // An Ok value is applied.
        Mock::given(method("GET"))
            .and(path("/api/v1/x"))
            .and(query_param("id", "i1"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&s)
            .await;
        Call::new(&t, Request::get("/x", &[]))
            .check(Ok::<_, InvalidId>("i1"), |c, v| c.query("id", v))
            .empty()
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn stream_uses_the_limit_as_the_page_size() {
        let s = server().await;
        for (offset, items) in [(0, vec!["a", "b"]), (2, vec!["c", "d"]), (4, vec!["e"])] {
            Mock::given(method("GET"))
                .and(path("/api/v1/items"))
                .and(query_param("limit", "2"))
                .and(query_param("offset", offset.to_string()))
                .respond_with(ResponseTemplate::new(200).set_body_json(page_body(
                    &items,
                    Some(5),
                    2,
                    offset,
                )))
                .expect(1)
                .mount(&s)
                .await;
        }
        let t = transport(&s);
        let items: Vec<Item> = Call::new(&t, Request::get("/items", &[]))
            .query("limit", 2u64)
            .stream()
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(ids(&items), ["a", "b", "c", "d", "e"]);
    }

    #[tokio::test]
    async fn stream_defaults_to_the_default_page_size() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/items"))
            .and(query_param(
                "limit",
                ctfy_transport::DEFAULT_PAGE_SIZE.to_string(),
            ))
            .and(query_param("offset", "0"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page_body(
                &["a"],
                Some(1),
                ctfy_transport::DEFAULT_PAGE_SIZE,
                0,
            )))
            .expect(1)
            .mount(&s)
            .await;
        let t = transport(&s);
        let items: Vec<Item> = Call::new(&t, Request::get("/items", &[]))
            .stream()
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(ids(&items), ["a"]);
    }

    #[tokio::test]
    async fn page_and_into_request() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/items"))
            .and(query_param("limit", "1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(page_body(
                &["a"],
                Some(3),
                1,
                0,
            )))
            .expect(1)
            .mount(&s)
            .await;
        let t = transport(&s);
        let page: Page<Item> = Call::new(&t, Request::get("/items", &[]))
            .query("limit", 1u64)
            .page()
            .await
            .unwrap();
        assert_eq!(page.total, Some(3));
        assert!(page.has_more());

        let (_, req) = Call::new(&t, Request::post("/x", &[]))
            .body_field("a", 1)
            .into_request()
            .unwrap();
        assert_eq!(*req.method(), ctfy_transport::Method::POST);
        assert_eq!(req.path(), "/x");
    }
}

mod downloads {
    use super::*;

    #[tokio::test]
    async fn bytes_content_type_and_filename() {
        let s = server().await;
        let bytes: Vec<u8> = (0u8..=255).collect();
        Mock::given(method("GET"))
            .and(path("/api/v1/challenges/WEB-001/files/handout"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(bytes.clone(), "application/zip")
                    .insert_header(
                        "content-disposition",
                        "attachment; filename=\"handout.zip\"",
                    ),
            )
            .expect(2)
            .mount(&s)
            .await;
        let t = transport(&s);
        let req = Request::get(
            "/challenges/{challenge_id}/files/{file}",
            &["WEB-001", "handout"],
        )
        .unwrap();
        let d = t.download(&req).await.unwrap();
        assert_eq!(&d.bytes[..], &bytes[..]);
        assert_eq!(d.content_type.as_deref(), Some("application/zip"));
        assert_eq!(d.filename.as_deref(), Some("handout.zip"));

        let d2 = Call::new(&t, Ok(req)).download().await.unwrap();
        assert_eq!(d, d2);
    }

    #[tokio::test]
    async fn no_disposition_means_no_filename() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/f"))
            .respond_with(ResponseTemplate::new(200).set_body_string("hello"))
            .mount(&s)
            .await;
        let d = transport(&s)
            .download(&Request::get("/f", &[]).unwrap())
            .await
            .unwrap();
        assert_eq!(&d.bytes[..], b"hello");
        assert_eq!(d.filename, None);
        assert!(d.content_type.unwrap().starts_with("text/plain"));
    }

    #[tokio::test]
    async fn download_or_404() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/f/there"))
            .respond_with(ResponseTemplate::new(200).set_body_raw("x", "text/plain"))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/f/gone"))
            .respond_with(
                ResponseTemplate::new(404)
                    .set_body_json(json!({"code": "file_not_found", "detail": "gone"})),
            )
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/f/denied"))
            .respond_with(ResponseTemplate::new(403))
            .mount(&s)
            .await;
        let t = transport(&s);
        let get = |name: &str| Request::get("/f/{name}", &[name]).unwrap();
        assert_eq!(
            &t.download_or_404(&get("there"))
                .await
                .unwrap()
                .unwrap()
                .bytes[..],
            b"x"
        );
        assert!(t.download_or_404(&get("gone")).await.unwrap().is_none());
        assert_eq!(
            t.download_or_404(&get("denied"))
                .await
                .unwrap_err()
                .status(),
            Some(403)
        );
        assert!(t.download(&get("gone")).await.unwrap_err().is_not_found());
    }

    #[tokio::test]
    async fn json_or_404() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/i/there"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "there"})))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/i/gone"))
            .respond_with(ResponseTemplate::new(404).set_body_json(
                json!({"code": "instance_not_found", "detail": "Instance gone not found"}),
            ))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/i/bad"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/i/denied"))
            .respond_with(ResponseTemplate::new(403))
            .mount(&s)
            .await;
        let t = transport(&s);
        let get = |name: &str| Request::get("/i/{instance_id}", &[name]).unwrap();
        assert_eq!(
            t.json_or_404::<Item>(&get("there")).await.unwrap(),
            Some(Item { id: "there".into() })
        );
        assert_eq!(t.json_or_404::<Item>(&get("gone")).await.unwrap(), None);
        assert!(matches!(
            t.json_or_404::<Item>(&get("bad")).await.unwrap_err(),
            Error::Decode { .. }
        ));
        assert_eq!(
            t.json_or_404::<Item>(&get("denied"))
                .await
                .unwrap_err()
                .status(),
            Some(403)
        );
    }

    #[tokio::test]
    async fn empty_or_404() {
        let s = server().await;
        Mock::given(method("DELETE"))
            .and(path("/api/v1/i/running"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&s)
            .await;
        Mock::given(method("DELETE"))
            .and(path("/api/v1/i/done"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"stopped": true})))
            .mount(&s)
            .await;
        Mock::given(method("DELETE"))
            .and(path("/api/v1/i/stopped"))
            .respond_with(ResponseTemplate::new(404).set_body_json(
                json!({"code": "instance_not_found", "detail": "Instance stopped not found"}),
            ))
            .mount(&s)
            .await;
        Mock::given(method("DELETE"))
            .and(path("/api/v1/i/other-team"))
            .respond_with(
                ResponseTemplate::new(403)
                    .set_body_json(json!({"code": "forbidden", "detail": "Not your instance"})),
            )
            .mount(&s)
            .await;
        let t = transport(&s);
        let del = |name: &str| Request::delete("/i/{instance_id}", &[name]).unwrap();
        assert!(t.empty_or_404(&del("running")).await.unwrap());
        assert!(t.empty_or_404(&del("done")).await.unwrap());
        assert!(!t.empty_or_404(&del("stopped")).await.unwrap());
        assert_eq!(
            t.empty_or_404(&del("other-team")).await.unwrap_err().code(),
            Some("forbidden")
        );
        assert!(t.empty(&del("stopped")).await.unwrap_err().is_not_found());
    }
}

mod tracing_spans {
    use super::*;

    #[tokio::test]
    async fn request_span_records_template_status_and_attempt() {
        let s = server().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/instances/inst-4242/status"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "ready"})))
            .expect(1)
            .mount(&s)
            .await;
        let (log, guard) = capture_tracing();
        let t = transport(&s);
        let v: Value = t
            .json(&Request::get("/instances/{instance_id}/status", &["inst-4242"]).unwrap())
            .await
            .unwrap();
        drop(guard);
        assert_eq!(v["status"], "ready");
        let text = log.text();
        let spans = request_spans(&text);
        assert_eq!(spans.len(), 1, "{text}");
        let span = spans[0];
        for field in [
            "method=GET",
            "path=\"/instances/{instance_id}/status\"",
            "status=200",
            "attempt=1",
            "latency_ms=",
        ] {
            assert!(span.contains(field), "missing {field} in {span}");
        }
        assert!(
            !span.contains("inst-4242"),
            "the concrete id is in the span: {span}"
        );
        assert_no_token("tracing output", &text);
    }

    #[tokio::test]
    async fn retries_are_traced_without_the_token() {
        let s = server().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/competitions/c1/instances"))
            .respond_with(
                ResponseTemplate::new(503)
                    .insert_header("retry-after", "0")
                    .set_body_json(json!({"code": "no_healthy_node", "detail": "No healthy node"})),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&s)
            .await;
        Mock::given(method("POST"))
            .and(path("/api/v1/competitions/c1/instances"))
            .respond_with(ResponseTemplate::new(202).set_body_json(json!({})))
            .with_priority(2)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/missing"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&s)
            .await;
        let (log, guard) = capture_tracing();
        let t = transport(&s);
        let req = Request::post("/competitions/{competition_id}/instances", &["c1"])
            .unwrap()
            .json(&json!({"challenge_id": "X"}))
            .unwrap();
        let _: Value = t.json(&req).await.unwrap();
        let err = t
            .empty(&Request::get("/missing", &[]).unwrap())
            .await
            .unwrap_err();
        assert!(err.is_not_found());
        drop(guard);
        let text = log.text();
        let spans = request_spans(&text);
        assert_eq!(spans.len(), 2, "{text}");
        let post = spans[0];
        for field in [
            "method=POST",
            "path=\"/competitions/{competition_id}/instances\"",
            "status=503",
            "attempt=2",
            "status=202",
        ] {
            assert!(post.contains(field), "missing {field} in {post}");
        }
        assert!(text.contains("retrying"), "{text}");
        assert!(
            spans[1].contains("status=404") && spans[1].contains("attempt=1"),
            "{}",
            spans[1]
        );
        assert_no_token("tracing output", &text);
    }
}
