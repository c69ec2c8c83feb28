//! A canary token never shows: not in `Debug`/`Display` of the transport or of any error,
//! not in TRACE-level tracing output, not in a shown URL, and never in a request to another
//! origin (header, URL or `Referer`), whatever the HTTP client configuration.

use ctfy_models::With;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ctfy_transport::events::{SseAuth, SseConfig, SseItem};
use ctfy_transport::{Error, Request, RetryPolicy, Transport};
use futures::StreamExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CANARY: &str = "pt_canary_5be1c0ffee";

/// Everything the tracing subscriber writes, at TRACE level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn transport(base: &str) -> Transport {
    Transport::builder(base)
        .token(CANARY)
        .retry(RetryPolicy::default().with(|it| {
            it.max_retries = 1;
            it.initial_delay = Duration::from_millis(5);
            it.max_delay = Duration::from_millis(10);
            it.max_retry_after = Duration::from_secs(1);
        }))
        // A user's client configuration cannot turn the guards off.
        .http_client_with(|b| {
            b.redirect(reqwest::redirect::Policy::limited(10))
                .referer(true)
        })
        .build()
        .unwrap()
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(CANARY), "{what} shows the token: {text}");
}

#[tokio::test]
async fn the_canary_never_shows_and_never_leaves_its_origin() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&other)
        .await;
    let home = MockServer::start().await;
    let echo = format!("/login?next=/api/v1/events?token={CANARY}");
    for (p, resp) in [
        (
            "/api/v1/away",
            ResponseTemplate::new(302).insert_header("location", format!("{}{echo}", other.uri())),
        ),
        (
            "/api/v1/echo",
            ResponseTemplate::new(401).set_body_string(format!(
                r#"{{"code":"bad_token","detail":"token {CANARY} rejected at {echo}"}}"#
            )),
        ),
        (
            "/api/v1/html",
            ResponseTemplate::new(502).set_body_string(format!("<html>{CANARY}</html>")),
        ),
        (
            "/api/v1/garbled",
            ResponseTemplate::new(200).set_body_string(format!("not json {CANARY}")),
        ),
        (
            "/api/v1/events",
            // The stream (token in the query) redirected to another origin.
            ResponseTemplate::new(307).insert_header("location", format!("{}/steal", other.uri())),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(resp)
            .mount(&home)
            .await;
    }

    let t = transport(&home.uri());
    assert_clean("Transport Debug", &format!("{t:?}"));
    let mut shown = Vec::new();
    for p in ["/away", "/echo", "/html", "/garbled"] {
        let err = t
            .json::<serde_json::Value>(&Request::get(p, &[]).unwrap())
            .await
            .unwrap_err();
        let mut chain = format!("{err} {err:?}");
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            chain.push_str(&format!(" {s} {s:?}"));
            source = s.source();
        }
        shown.push((p, chain));
    }
    let mut stream = t.sse(
        Request::get("/events", &[]).unwrap(),
        SseAuth::Query("token"),
        SseConfig::builder().reconnect(false).build(),
    );
    let item = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap();
    match item {
        Some(Err(err @ Error::Redirect { .. })) => {
            shown.push(("/events", format!("{err} {err:?}")))
        }
        other => panic!("the stream's redirect must end it with Error::Redirect: {other:?}"),
    }
    assert!(matches!(
        stream.next().await,
        None | Some(Ok(SseItem::Connected))
    ));

    for (p, text) in &shown {
        assert_clean(p, text);
    }
    // The redirect targets never got a request, so neither a header nor a Referer.
    let reqs = other.received_requests().await.unwrap();
    assert!(reqs.is_empty(), "another origin was contacted: {reqs:?}");
    // The token went to its own origin only, in the header or the stream's query.
    for r in home.received_requests().await.unwrap() {
        assert!(r.headers.get("referer").is_none(), "{r:?}");
    }
    let trace = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        trace.contains("ctfy.request"),
        "tracing captured nothing: {trace}"
    );
    assert_clean("TRACE output", &trace);
}

/// Each request emits one DEBUG event under `ctfy::request`, visible without any span-event
/// configuration, with the method, path, status and attempts, and never a token (neither
/// the request token nor a second events token).
#[tokio::test]
async fn every_request_emits_one_debug_event_without_secrets() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/ok"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/missing"))
        .respond_with(ResponseTemplate::new(404).set_body_string(format!(
            r#"{{"code":"nope","detail":"{CANARY} pt_events_canary"}}"#
        )))
        .mount(&s)
        .await;
    let t = Transport::builder(s.uri())
        .token(CANARY)
        .events_token("pt_events_canary")
        .build()
        .unwrap();
    t.send(&Request::get("/ok", &[]).unwrap()).await.unwrap();
    let err = t
        .send(&Request::get("/missing", &[]).unwrap())
        .await
        .unwrap_err();
    assert_clean("the error", &format!("{err} {err:?}"));
    assert!(!format!("{err} {err:?} {t:?}").contains("pt_events_canary"));

    let trace = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let events: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("ctfy::request"))
        .collect();
    assert_eq!(events.len(), 2, "{trace}");
    assert!(
        events[0].contains("request done")
            && events[0].contains("path=\"/ok\"")
            && events[0].contains("status=200")
            && events[0].contains("attempts=1"),
        "{}",
        events[0]
    );
    assert!(
        events[1].contains("request failed") && events[1].contains("status=404"),
        "{}",
        events[1]
    );
    assert_clean("DEBUG output", &trace);
    assert!(!trace.contains("pt_events_canary"), "{trace}");
}
