//! Interceptors (`TransportBuilder::interceptor`): a header added to every request, a metric
//! that counts every attempt, an exchange recorded then replayed without a server, and an
//! interceptor that tries to send the token elsewhere and cannot.

use ctfy_models::With;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ctfy_transport::events::{SseAuth, SseConfig, SseItem};
use ctfy_transport::interceptor::{
    InterceptedResponse, Interceptor, OutgoingRequest, RESERVED_HEADERS, RequestInfo,
};
use ctfy_transport::reqwest::StatusCode;
use ctfy_transport::reqwest::header::{
    AUTHORIZATION, HOST, HeaderMap, HeaderName, HeaderValue, LOCATION, PROXY_AUTHORIZATION,
};
use ctfy_transport::{Error, Request, RetryPolicy, Transport, TransportBuilder};
use futures::StreamExt;
use serde::Deserialize;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "pt_interceptor_secret_token";

/// Retries without waiting long.
fn quick_retries(n: u32) -> RetryPolicy {
    RetryPolicy::default().with(|it| {
        it.max_retries = n;
        it.initial_delay = Duration::from_millis(1);
        it.max_delay = Duration::from_millis(5);
    })
}

fn builder(base: &str) -> TransportBuilder {
    Transport::builder(base)
        .token(TOKEN)
        .retry(quick_retries(3))
}

/// Adds `x-run-id` to every request.
struct RunId;

impl Interceptor for RunId {
    fn before_send(&self, request: &mut OutgoingRequest<'_>) {
        request
            .insert_header(
                HeaderName::from_static("x-run-id"),
                HeaderValue::from_static("nightly-42"),
            )
            .unwrap();
    }
}

#[tokio::test]
async fn a_header_added_by_an_interceptor_reaches_the_server_on_every_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/ping"))
        .and(header("x-run-id", "nightly-42"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/flags"))
        .and(header("x-run-id", "nightly-42"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let t = builder(&server.uri()).interceptor(RunId).build().unwrap();
    for _ in 0..2 {
        let v: serde_json::Value = t.json(&Request::get("/ping", &[]).unwrap()).await.unwrap();
        assert_eq!(v["ok"], true);
    }
    let post = Request::post("/flags", &[])
        .unwrap()
        .json(&serde_json::json!({"flag": "x"}))
        .unwrap();
    t.empty(&post).await.unwrap();
    // `expect` is checked when the server drops; make it explicit.
    server.verify().await;
}

/// Counts exchanges and keeps (attempt, status, latency) of each answer, and each error.
#[derive(Default)]
struct Metrics {
    sent: AtomicU32,
    answers: Mutex<Vec<(&'static str, u32, u16, Duration)>>,
    errors: Mutex<Vec<(u32, String)>>,
}

impl Interceptor for Metrics {
    fn before_send(&self, _: &mut OutgoingRequest<'_>) {
        self.sent.fetch_add(1, Ordering::SeqCst);
    }

    fn after_response(&self, response: &InterceptedResponse<'_>) {
        let info = response.info();
        self.answers.lock().unwrap().push((
            info.path_template(),
            info.attempt(),
            response.status().as_u16(),
            response.elapsed(),
        ));
    }

    fn on_error(&self, request: &RequestInfo, error: &Error) {
        self.errors
            .lock()
            .unwrap()
            .push((request.attempt(), error.to_string()));
    }
}

#[tokio::test]
async fn a_metric_interceptor_counts_every_attempt_including_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/challenges/c-1"))
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(20)))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/challenges/c-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "c-1"})))
        .mount(&server)
        .await;
    let metrics = Arc::new(Metrics::default());
    let t = builder(&server.uri())
        .interceptor(metrics.clone())
        .build()
        .unwrap();
    let req = Request::get("/challenges/{id}", &["c-1"]).unwrap();
    let v: serde_json::Value = t.json(&req).await.unwrap();
    assert_eq!(v["id"], "c-1");

    assert_eq!(metrics.sent.load(Ordering::SeqCst), 3);
    let answers = metrics.answers.lock().unwrap().clone();
    let seen: Vec<_> = answers.iter().map(|a| (a.0, a.1, a.2)).collect();
    assert_eq!(
        seen,
        [
            ("/challenges/{id}", 1, 503),
            ("/challenges/{id}", 2, 503),
            ("/challenges/{id}", 3, 200)
        ]
    );
    // The latency is the exchange's: the two slow answers took their 20 ms.
    for (_, _, _, elapsed) in &answers[..2] {
        assert!(*elapsed >= Duration::from_millis(20), "{elapsed:?}");
        assert!(*elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
    assert!(metrics.errors.lock().unwrap().is_empty());

    // An exchange that gets no answer is counted as an error, with its attempt number.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let metrics = Arc::new(Metrics::default());
    let t = Transport::builder(format!("http://{closed}"))
        .token(TOKEN)
        .retry(quick_retries(1))
        .interceptor(metrics.clone())
        .build()
        .unwrap();
    let err = t
        .json::<serde_json::Value>(&Request::get("/ping", &[]).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Http { .. }), "{err:?}");
    assert_eq!(metrics.sent.load(Ordering::SeqCst), 2);
    let attempts: Vec<u32> = metrics.errors.lock().unwrap().iter().map(|e| e.0).collect();
    assert_eq!(attempts, [1, 2]);
    assert!(metrics.answers.lock().unwrap().is_empty());
}

/// One recorded exchange: what was asked, and what came back.
#[derive(Debug, Clone)]
struct Exchange {
    method: String,
    /// Path and query: the recording is replayed against another base URL.
    target: String,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

fn target(info: &RequestInfo) -> String {
    match info.url().query() {
        Some(q) => format!("{}?{q}", info.url().path()),
        None => info.url().path().to_owned(),
    }
}

/// Records every answer whose body the SDK buffered.
#[derive(Default)]
struct Recorder {
    tape: Mutex<Vec<Exchange>>,
}

impl Interceptor for Recorder {
    fn after_response(&self, response: &InterceptedResponse<'_>) {
        if let Some(body) = response.body() {
            self.tape.lock().unwrap().push(Exchange {
                method: response.info().method().to_string(),
                target: target(response.info()),
                status: response.status(),
                headers: response.headers().clone(),
                body: body.clone(),
            });
        }
    }
}

/// Answers each request with the next recorded exchange for its method and target; a
/// request the tape does not know gets a 599 (so a test sees it at once).
struct Replayer {
    tape: Mutex<Vec<Exchange>>,
    /// Whether some request reached `before_send` carrying an `Authorization` header.
    saw_auth: AtomicU32,
}

impl Replayer {
    fn new(tape: Vec<Exchange>) -> Self {
        Self {
            tape: Mutex::new(tape),
            saw_auth: AtomicU32::new(0),
        }
    }
}

impl Interceptor for Replayer {
    fn before_send(&self, request: &mut OutgoingRequest<'_>) {
        if request.headers().contains_key(AUTHORIZATION) {
            self.saw_auth.fetch_add(1, Ordering::SeqCst);
        }
        let method = request.info().method().to_string();
        let target = target(request.info());
        let mut tape = self.tape.lock().unwrap();
        match tape
            .iter()
            .position(|e| e.method == method && e.target == target)
        {
            Some(i) => {
                let e = tape.remove(i);
                request.respond(e.status, e.headers, e.body);
            }
            None => request.respond(
                StatusCode::from_u16(599).unwrap(),
                HeaderMap::new(),
                "not on the tape",
            ),
        }
    }
}

#[derive(Debug, PartialEq, Deserialize)]
struct Challenge {
    id: String,
    name: String,
    points: u32,
}

/// A base URL nothing listens on: a replayed client must never need it.
fn nowhere() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

#[tokio::test]
async fn a_recorded_exchange_is_replayed_to_another_client_without_a_server() {
    let server = MockServer::start().await;
    // The server fails once, then answers: the tape keeps both.
    Mock::given(method("GET"))
        .and(path("/api/v1/challenges/c-7"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(serde_json::json!({"detail": "warming up", "code": "busy"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/challenges/c-7"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"id": "c-7", "name": "heap fun", "points": 300})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/challenges/c-404"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            serde_json::json!({"detail": "Challenge not found", "code": "challenge_not_found"}),
        ))
        .mount(&server)
        .await;

    let recorder = Arc::new(Recorder::default());
    let live = builder(&server.uri())
        .interceptor(recorder.clone())
        .build()
        .unwrap();
    let get = |id: &str| Request::get("/challenges/{id}", &[id]).unwrap();
    let recorded: Challenge = live.json(&get("c-7")).await.unwrap();
    let live_err = live.json::<Challenge>(&get("c-404")).await.unwrap_err();
    let tape = recorder.tape.lock().unwrap().clone();
    let statuses: Vec<u16> = tape.iter().map(|e| e.status.as_u16()).collect();
    assert_eq!(statuses, [503, 200, 404]);
    assert!(
        tape.iter()
            .all(|e| !String::from_utf8_lossy(&e.body).contains(TOKEN))
    );

    // Replayed to a client whose server does not exist: the same value, after the same
    // retry, and the same error.
    let replayer = Arc::new(Replayer::new(tape.clone()));
    let metrics = Arc::new(Metrics::default());
    let replay = builder(&nowhere())
        .interceptor(metrics.clone())
        .interceptor(replayer.clone())
        .build()
        .unwrap();
    let replayed: Challenge = replay.json(&get("c-7")).await.unwrap();
    assert_eq!(replayed, recorded);
    assert_eq!(
        replayed,
        Challenge {
            id: "c-7".into(),
            name: "heap fun".into(),
            points: 300
        }
    );
    let err = replay.json::<Challenge>(&get("c-404")).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("challenge_not_found"));
    assert_eq!(err.to_string(), live_err.to_string());
    // The 503 was retried like a server's: the interceptor before the replayer saw it.
    let seen: Vec<(u32, u16)> = metrics
        .answers
        .lock()
        .unwrap()
        .iter()
        .map(|a| (a.1, a.2))
        .collect();
    assert_eq!(seen, [(1, 503), (2, 200), (1, 404)]);
    assert!(replayer.tape.lock().unwrap().is_empty());
    assert_eq!(replayer.saw_auth.load(Ordering::SeqCst), 0);

    // The body limit holds for a replayed answer too.
    let small = builder(&nowhere())
        .max_body_size(10)
        .interceptor(Replayer::new(tape))
        .build()
        .unwrap();
    let err = small
        .json::<serde_json::Value>(&get("c-7"))
        .await
        .unwrap_err();
    // The first answer on the tape is the 503, retried; then the large 200.
    assert!(matches!(err, Error::BodyTooLarge { .. }), "{err:?}");
}

/// Tries every way the interceptor API offers to get the token, or to get it sent to
/// `elsewhere`.
struct Thief {
    elsewhere: String,
    /// Every header value and URL the thief saw.
    seen: Mutex<Vec<String>>,
    refused: AtomicU32,
}

impl Interceptor for Thief {
    fn before_send(&self, request: &mut OutgoingRequest<'_>) {
        let mut seen = self.seen.lock().unwrap();
        seen.push(request.info().url().to_string());
        for (name, value) in request.headers() {
            seen.push(format!(
                "{name}: {}",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        // Whatever the thief sets, the transport keeps its own.
        let host = self.elsewhere.trim_start_matches("http://").to_owned();
        let attempts = [
            (AUTHORIZATION, "Bearer pt_forged".to_owned()),
            (PROXY_AUTHORIZATION, "Bearer pt_forged".to_owned()),
            (HOST, host),
        ];
        for (name, value) in attempts {
            let refused = request
                .insert_header(name.clone(), HeaderValue::from_str(&value).unwrap())
                .unwrap_err();
            assert_eq!(refused.name(), &name);
            self.refused.fetch_add(1, Ordering::SeqCst);
        }
        for name in &RESERVED_HEADERS {
            assert_eq!(request.remove_header(name), None);
        }
        // An answer that redirects the request to the other origin.
        if request.info().url().path().ends_with("/bounce") {
            let mut headers = HeaderMap::new();
            headers.insert(
                LOCATION,
                HeaderValue::from_str(&format!("{}/api/v1/loot", self.elsewhere)).unwrap(),
            );
            request.respond(StatusCode::TEMPORARY_REDIRECT, headers, Bytes::new());
        }
    }

    fn after_response(&self, response: &InterceptedResponse<'_>) {
        let mut seen = self.seen.lock().unwrap();
        for (name, value) in response.headers() {
            seen.push(format!(
                "{name}: {}",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
    }
}

#[tokio::test]
async fn an_interceptor_cannot_send_the_token_elsewhere() {
    let home = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    // Everything answers, so that a leak would show as a request, not as an error.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&elsewhere)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/ping"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": 1})))
        .mount(&home)
        .await;
    // A redirect from the server itself to the other origin.
    Mock::given(method("GET"))
        .and(path("/api/v1/moved"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/api/v1/loot", elsewhere.uri())),
        )
        .mount(&home)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(b"data: hello\n\n".to_vec(), "text/event-stream"),
        )
        .mount(&home)
        .await;

    let thief = Arc::new(Thief {
        elsewhere: elsewhere.uri(),
        seen: Mutex::new(Vec::new()),
        refused: AtomicU32::new(0),
    });
    let t = builder(&home.uri())
        .interceptor(thief.clone())
        .build()
        .unwrap();

    // An ordinary request: it reaches home with the SDK's token, not the forged one.
    let v: serde_json::Value = t.json(&Request::get("/ping", &[]).unwrap()).await.unwrap();
    assert_eq!(v["ok"], 1);
    // An interceptor's redirect to the other origin is not followed, nor is the server's.
    for route in ["/bounce", "/moved"] {
        let err = t
            .json::<serde_json::Value>(&Request::get(route, &[]).unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Redirect { .. }), "{route}: {err:?}");
    }
    // The event stream, token in a header or in the query.
    for auth in [SseAuth::Bearer, SseAuth::Query("token")] {
        let mut stream = t.sse(
            Request::get("/events", &[]).unwrap(),
            auth,
            SseConfig::builder().reconnect(false).build(),
        );
        let mut got_frame = false;
        while let Some(item) = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
        {
            if let SseItem::Frame { data, .. } = item.unwrap() {
                assert_eq!(data, "hello");
                got_frame = true;
            }
        }
        assert!(got_frame);
    }

    // The other origin never saw a request.
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    // Home saw the SDK's token (in the header or the query), never the forged one.
    let at_home = home.received_requests().await.unwrap();
    assert_eq!(at_home.len(), 4, "{at_home:?}");
    for r in &at_home {
        let auth = r.headers.get("authorization").map(|v| v.to_str().unwrap());
        let in_query = r.url.query().is_some_and(|q| q.contains(TOKEN));
        assert!(
            auth == Some(&format!("Bearer {TOKEN}")) || (auth.is_none() && in_query),
            "{} {:?}",
            r.url,
            r.headers
        );
        assert!(r.headers.get("proxy-authorization").is_none());
        assert_eq!(
            r.headers.get("host").unwrap().to_str().unwrap(),
            home.address().to_string()
        );
    }
    // Every attempt was refused, and the thief never saw the token.
    assert_eq!(thief.refused.load(Ordering::SeqCst), 3 * 5);
    let seen = thief.seen.lock().unwrap();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|s| !s.contains(TOKEN)), "{seen:?}");
}

#[test]
fn debug_of_a_builder_and_a_transport_with_interceptors_shows_no_token() {
    let b = builder("http://127.0.0.1:9")
        .interceptor(RunId)
        .interceptor(RunId);
    let shown = format!("{b:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("2 interceptor"), "{shown}");
    let t = b.build().unwrap();
    let shown = format!("{t:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("2 interceptor"), "{shown}");
}

#[tokio::test]
async fn with_token_sends_the_new_token_and_keeps_the_interceptors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .and(header("authorization", "Bearer pt_fresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"me": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(serde_json::json!({"detail": "Invalid or revoked token"})),
        )
        .mount(&server)
        .await;
    let metrics = Arc::new(Metrics::default());
    let old = builder(&server.uri())
        .interceptor(metrics.clone())
        .build()
        .unwrap();
    let me = || Request::get("/me", &[]).unwrap();
    let err = old.json::<serde_json::Value>(&me()).await.unwrap_err();
    assert_eq!(err.status(), Some(403));

    let fresh = old.with_token("pt_fresh_token").unwrap();
    let v: serde_json::Value = fresh.json(&me()).await.unwrap();
    assert_eq!(v["me"], 1);
    // The old transport still sends the old token.
    assert_eq!(
        old.json::<serde_json::Value>(&me())
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(metrics.sent.load(Ordering::SeqCst), 3);
    // The new token is redacted like the old one; neither shows in Debug.
    assert_eq!(fresh.redact("x pt_fresh_token y"), "x <redacted> y");
    let shown = format!("{fresh:?}");
    assert!(!shown.contains("pt_fresh_token") && !shown.contains(TOKEN));
    assert!(fresh.with_token("bad\ntoken").is_err());
}
