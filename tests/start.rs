//! `instances().start()` is bounded and cancel-safe: its `timeout` is a hard cap that the
//! platform's start budget does not extend, and an instance the platform created is stopped
//! when the start fails, times out or is dropped — even while the launch request is still in
//! flight — unless the caller opted out. Plus the token-kind notices of the event stream and
//! `from_env`. Against `ctfy::testing`'s mock platform (and plain wiremock for the stream).

use std::time::{Duration, Instant};

use ctfy::client::Notice;
use ctfy::models::InstanceId;
use ctfy::testing::{MockChallenge, MockPlatform, Route, Startup};
use ctfy::transport::events::SseConfig;
use ctfy::{Error, PlatformClient, TokenKind};
use futures::StreamExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A platform whose one challenge `WEB-001` starts as `startup` says, its launch answering
/// after `launch_delay`, under the local platform's 5400 s start budget.
async fn platform(launch_delay: Duration, startup: Startup) -> MockPlatform {
    MockPlatform::builder()
        .challenge(
            MockChallenge::instance("WEB-001")
                .startup(startup)
                .launch_delay(launch_delay),
        )
        .start()
        .await
}

/// Waits up to 5 s for a background stop; how many stops arrived.
async fn stopped(mock: &MockPlatform) -> usize {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until && mock.requests(Route::Stop) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    mock.requests(Route::Stop)
}

fn launched(mock: &MockPlatform) -> InstanceId {
    mock.instances()[0].id.clone()
}

#[tokio::test]
async fn the_timeout_is_a_hard_cap_and_the_instance_is_stopped() {
    let mock = platform(Duration::ZERO, Startup::Never).await;
    let began = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        mock.client()
            .instances()
            .start("WEB-001")
            .deadline(Duration::from_millis(400))
            .poll_interval(Duration::from_millis(50)),
    )
    .await
    .expect("a 400 ms timeout must not wait for the 5400 s start budget")
    .unwrap_err();
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{:?}",
        began.elapsed()
    );
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_timeout() && err.is_retryable());
    assert_eq!(err.instance_id(), Some(&launched(&mock)));
    assert_eq!(stopped(&mock).await, 1, "the timed-out instance is stopped");
    mock.assert_no_instance_running().await;
}

#[tokio::test]
async fn a_dropped_start_stops_its_instance() {
    let mock = platform(Duration::ZERO, Startup::Never).await;
    let start = mock
        .client()
        .instances()
        .start("WEB-001")
        .poll_interval(Duration::from_millis(50));
    // The caller's own deadline drops the future after the POST.
    let outcome = tokio::time::timeout(Duration::from_millis(300), start).await;
    assert!(outcome.is_err(), "the start was still waiting");
    assert_eq!(stopped(&mock).await, 1);
    mock.assert_no_instance_running().await;
}

#[tokio::test]
async fn a_start_dropped_while_the_launch_is_in_flight_still_stops_the_instance() {
    let mock = platform(Duration::from_millis(500), Startup::Never).await;
    let start = mock.client().instances().start("WEB-001");
    // Dropped 100 ms into a 500 ms launch: the platform creates the instance anyway.
    let outcome = tokio::time::timeout(Duration::from_millis(100), start).await;
    assert!(outcome.is_err());
    assert_eq!(mock.instances().len(), 1, "created");
    assert_eq!(mock.requests(Route::Stop), 0, "its id is not known yet");
    assert_eq!(stopped(&mock).await, 1, "stopped once the launch answered");
    mock.assert_no_instance_running().await;
}

#[tokio::test]
async fn a_failed_start_names_its_instance_and_stops_it() {
    let mock = platform(Duration::ZERO, Startup::Fails("compose up failed".into())).await;
    let err = mock
        .client()
        .instances()
        .start("WEB-001")
        .poll_interval(Duration::from_millis(10))
        .await
        .unwrap_err();
    match &err {
        Error::InstanceFailed {
            instance_id,
            message,
            ..
        } => {
            assert_eq!(*instance_id, launched(&mock));
            assert_eq!(message, "compose up failed");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.instance_id(), Some(&launched(&mock)));
    assert!(!err.is_retryable());
    assert_eq!(stopped(&mock).await, 1);
}

#[tokio::test]
async fn keep_on_failure_leaves_the_instance_running() {
    let mock = platform(Duration::ZERO, Startup::Never).await;
    let err = mock
        .client()
        .instances()
        .start("WEB-001")
        .deadline(Duration::from_millis(200))
        .poll_interval(Duration::from_millis(50))
        .keep_on_failure()
        .await
        .unwrap_err();
    assert_eq!(err.instance_id(), Some(&launched(&mock)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mock.requests(Route::Stop), 0);
    assert_eq!(mock.running_instances().len(), 1);
}

#[tokio::test]
async fn a_ready_instance_is_the_callers() {
    let mock = platform(Duration::ZERO, Startup::AfterPolls(2)).await;
    let ready = mock
        .client()
        .instances()
        .start("WEB-001")
        .poll_interval(Duration::from_millis(10))
        .deadline(Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(ready.id, launched(&mock));
    assert!(ready.surface.web_service().is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mock.requests(Route::Stop), 0);
    assert_eq!(mock.running_instances().len(), 1);
}

#[tokio::test]
async fn the_start_future_is_static_and_send() {
    let mock = platform(Duration::ZERO, Startup::Never).await;
    let c = mock.client();
    // Moves into a spawned task: an owned 'static + Send future.
    let task = tokio::spawn(
        c.instances()
            .start("WEB-001")
            .deadline(Duration::from_millis(100))
            .into_future(),
    );
    let err = task.await.unwrap().unwrap_err();
    assert_eq!(err.instance_id(), Some(&launched(&mock)));
}

#[tokio::test]
async fn an_api_token_stream_says_it_gets_no_team_events() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(b": connected\n\n".to_vec(), "text/event-stream"),
        )
        .mount(&server)
        .await;
    let c = PlatformClient::new(server.uri(), "pf_agent").unwrap();
    assert_eq!(c.token_kind(), TokenKind::Api);
    let mut events = c.events_with(SseConfig::builder().reconnect(false).build());
    assert_eq!(
        events.next().await.unwrap().unwrap(),
        Notice::NoTeamEvents {
            token: TokenKind::Api
        }
    );
    assert_eq!(events.next().await.unwrap().unwrap(), Notice::Connected);

    // With a session token for the stream, the notice is gone and the session token is the
    // one in the stream's URL (the API token stays on requests).
    let c = PlatformClient::builder(server.uri())
        .token("pf_agent")
        .events_token("pt_session")
        .build()
        .unwrap();
    assert_eq!(c.token_kind(), TokenKind::Api);
    assert_eq!(c.events_token_kind(), TokenKind::Session);
    let mut events = c.events_with(SseConfig::builder().reconnect(false).build());
    assert_eq!(events.next().await.unwrap().unwrap(), Notice::Connected);
    let reqs = server.received_requests().await.unwrap();
    let last = reqs.last().unwrap();
    assert_eq!(last.url.query(), Some("token=pt_session"));
    assert!(format!("{c:?}").contains("<redacted>") && !format!("{c:?}").contains("pt_session"));
}

#[test]
fn from_env_reads_the_python_cli_names() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let c = PlatformClient::from_env_with(vars(&[
        ("CTFY_PLATFORM_URL", "http://127.0.0.1:9"),
        ("CTFY_URL", "http://127.0.0.1:8"),
        ("CTFY_TOKEN", "pf_x"),
        ("CTFY_SESSION_TOKEN", "pt_y"),
    ]))
    .unwrap();
    assert_eq!(c.server_url(), "http://127.0.0.1:9");
    assert_eq!(c.token_kind(), TokenKind::Api);
    assert_eq!(c.events_token_kind(), TokenKind::Session);
    let c = PlatformClient::from_env_with(vars(&[
        ("CTFY_PLATFORM_URL", ""),
        ("CTFY_URL", "http://127.0.0.1:8"),
    ]))
    .unwrap();
    assert_eq!(c.server_url(), "http://127.0.0.1:8");
    assert_eq!(c.token_kind(), TokenKind::Anonymous);
    assert_eq!(c.events_token_kind(), TokenKind::Anonymous);
    let err = PlatformClient::from_env_with(vars(&[])).unwrap_err();
    assert!(err.to_string().contains("CTFY_PLATFORM_URL"), "{err}");
}
