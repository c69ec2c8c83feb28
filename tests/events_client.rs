//! `PlatformClient::events()` and the event-driven `instances().start()`, against wiremock.

use std::time::{Duration, Instant};

use ctfy::client::Notice;
use ctfy::models::events::Event;
use ctfy::transport::events::SseConfig;
use ctfy::{Error, PlatformClient};
use futures::StreamExt;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WAIT: Duration = Duration::from_secs(5);

fn sse(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(body.as_bytes().to_vec(), "text/event-stream; charset=utf-8")
}

async fn next(s: &mut ctfy::client::EventStream) -> Option<ctfy::Result<Notice>> {
    tokio::time::timeout(WAIT, s.next())
        .await
        .expect("the stream stalled")
}

#[tokio::test]
async fn typed_events_decode_errors_and_unknown_events() {
    let server = MockServer::start().await;
    let body = ": connected\n\n\
        event: instance_ready\ndata: {\"challenge_id\":\"W\",\"actor_id\":\"t\",\"actor_name\":\"team\",\"actor_type\":\"team\",\"actor_avatar_url\":\"\",\"instance_id\":\"i-1\",\"node_id\":\"n\",\"competition_id\":\"c\",\"competition_title\":\"Cup\"}\n\n\
        event: instance_ready\ndata: {\"instance_id\":42}\n\n\
        event: flag_wrong\ndata: {not json\n\n\
        event: from_the_future\ndata: {\"x\":1}\n\n\
        : keepalive\n\n\
        event: scoreboard_updated\ndata: {}\n\n";
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .and(query_param("token", "pt_player"))
        .respond_with(sse(body))
        .expect(1)
        .mount(&server)
        .await;
    let client = PlatformClient::new(server.uri(), "pt_player").unwrap();
    let mut s = client.events_with(SseConfig::builder().reconnect(false).build());

    assert_eq!(next(&mut s).await.unwrap().unwrap(), Notice::Connected);
    match next(&mut s).await.unwrap().unwrap() {
        Notice::Event(Event::InstanceReady(r)) => {
            assert_eq!(r.instance_id, "i-1");
            assert_eq!(r.actor.actor_name, "team");
            assert_eq!(r.competition_title, "Cup");
        }
        other => panic!("{other:?}"),
    }
    for expected in ["instance_ready", "flag_wrong"] {
        match next(&mut s).await.unwrap() {
            Err(Error::EventDecode { event, .. }) => assert_eq!(event, expected),
            other => panic!("expected a decode error, got {other:?}"),
        }
    }
    match next(&mut s).await.unwrap().unwrap() {
        Notice::Event(Event::Other { name, data }) => {
            assert_eq!(name, "from_the_future");
            assert_eq!(data, json!({"x": 1}));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        next(&mut s).await.unwrap().unwrap(),
        Notice::Event(Event::ScoreboardUpdated(_))
    ));
    assert!(next(&mut s).await.is_none());
    let reqs = server.received_requests().await.unwrap();
    assert!(!reqs[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn rejected_token_ends_the_stream_after_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"code":"http_403","detail":"Invalid token"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = PlatformClient::new(server.uri(), "pt_bad").unwrap();
    let mut s = client.events();
    let err = next(&mut s).await.unwrap().unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(!err.to_string().contains("pt_bad"));
    assert!(next(&mut s).await.is_none());
}

async fn mount_instance(server: &MockServer, starting_polls: u64) {
    Mock::given(method("POST"))
        .and(path("/api/v1/instances"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(json!({"id":"i-77","status":"starting"})),
        )
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/instances/i-77/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id":"i-77","status":"starting","attack_surface":null,"error":"","cert_volume":"","start_budget_s":0}),
        ))
        .up_to_n_times(starting_polls)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/instances/i-77/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id":"i-77","status":"ready","error":"","cert_volume":"","start_budget_s":0,
            "attack_surface":{"services":[{"service_type":"http","host":"127.0.0.1","port":18212,"credentials":null,"path":"/","label":"web"}],
                              "provided_files":[],"flag_path":null,"vpn":null}
        })))
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn start_wakes_on_instance_ready_instead_of_waiting_for_the_next_poll() {
    let server = MockServer::start().await;
    // Frames for another instance are ignored; the one for ours wakes the wait.
    let body = ": connected\n\n\
        event: instance_ready\ndata: {\"instance_id\":\"someone-else\"}\n\n\
        event: instance_ready\ndata: {\"instance_id\":\"i-77\"}\n\n";
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(sse(body))
        .mount(&server)
        .await;
    mount_instance(&server, 1).await;

    let client = PlatformClient::new(server.uri(), "pt_player").unwrap();
    let started = Instant::now();
    let ready = client
        .instances()
        .start("WEB-1")
        .competition_id("c1")
        .poll_interval(Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "woke by the frame, not by a 30 s poll"
    );
    assert_eq!(ready.id.as_str(), "i-77");
    assert_eq!(ready.surface.services[0].port, 18212);

    // The stream was connected before the POST, and the status was fetched twice
    // (once at once, once after the frame).
    let reqs = server.received_requests().await.unwrap();
    let order: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    let ev = order
        .iter()
        .position(|r| r == "GET /api/v1/events")
        .unwrap();
    let post = order
        .iter()
        .position(|r| r == "POST /api/v1/instances")
        .unwrap();
    assert!(ev < post, "{order:?}");
    assert_eq!(
        order.iter().filter(|r| r.ends_with("/status")).count(),
        2,
        "{order:?}"
    );
}

#[tokio::test]
async fn instance_error_frame_ends_the_wait_with_the_platform_error() {
    let server = MockServer::start().await;
    let body = ": connected\n\nevent: instance_error\ndata: {\"instance_id\":\"i-9\",\"error\":\"boom\"}\n\n";
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(sse(body))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/instances"))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(json!({"id":"i-9","status":"starting"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/instances/i-9/status"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id":"i-9","status":"starting"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/instances/i-9/status"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id":"i-9","status":"error","error":"boom"})),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let client = PlatformClient::new(server.uri(), "pt_player").unwrap();
    let started = Instant::now();
    let err = client
        .instances()
        .start("FAIL")
        .poll_interval(Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    match err {
        Error::InstanceFailed {
            instance_id,
            message,
            ..
        } => assert_eq!((instance_id.as_str(), message.as_str()), ("i-9", "boom")),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn pf_tokens_only_poll() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(sse(": connected\n\n"))
        .expect(0)
        .mount(&server)
        .await;
    mount_instance(&server, 2).await;
    let client = PlatformClient::new(server.uri(), "pf_api").unwrap();
    let ready = client
        .instances()
        .start("WEB-1")
        .poll_interval(Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(ready.id.as_str(), "i-77");
    server.verify().await;
}

#[tokio::test]
async fn start_still_works_when_the_event_route_is_missing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    mount_instance(&server, 2).await;
    let client = PlatformClient::new(server.uri(), "pt_player").unwrap();
    let ready = client
        .instances()
        .start("WEB-1")
        .poll_interval(Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(ready.id.as_str(), "i-77");
}
