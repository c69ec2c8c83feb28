//! Wiremock tests of the hand-written calls (hand-written too): `instances().start` / `stop`,
//! `competition.register`, `submissions().submit` / `verify`, `admin.registrations().roster_all`,
//! `check_server_compatibility`; plus the fixture round-trip check, and the typed-call checks of
//! issue #11 (owned `'static + Send` builders, enum / duration / id query values).

use std::time::Duration;

use ctfy::Error;
use ctfy::client::{Compatibility, Registration};
use futures::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use super::support::*;

#[allow(dead_code)] // `Decoded::debug` is for the conformance test
#[path = "../../crates/ctfy-models/tests/support/schemas.rs"]
mod schemas;

const INSTANCE: &str = "5b0c7a52-9f0e-4c1e-9d57-2a8c1f0e6b11";

fn status(status: &str) -> Value {
    let mut v = ex("platform", "InstanceStatusResponse");
    v["id"] = json!(INSTANCE);
    v["status"] = json!(status);
    v["error"] = json!(if status == "error" {
        "image pull failed"
    } else {
        ""
    });
    v["start_budget_s"] = json!(0);
    v
}

async fn mount_launch(s: &Server) {
    Mock::given(method("POST"))
        .and(path("/api/v1/instances"))
        .and(header("authorization", "Bearer pf_test"))
        .and(body_json(
            json!({ "challenge_id": "WEB-001", "competition_id": COMPETITION_ID, "ttl": 1800 }),
        ))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({ "id": INSTANCE, "status": "starting" })),
        )
        .expect(1)
        .mount(&s.mock)
        .await;
}

async fn mount_status(s: &Server, code: u16, body: Value, times: u64, priority: u8) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/instances/{INSTANCE}/status")))
        .and(header("authorization", "Bearer pf_test"))
        .respond_with(ResponseTemplate::new(code).set_body_json(body))
        .up_to_n_times(times)
        .with_priority(priority)
        .expect(times)
        .mount(&s.mock)
        .await;
}

#[tokio::test]
async fn start_launches_then_waits_until_ready() {
    let s = Server::start().await;
    mount_launch(&s).await;
    mount_status(&s, 200, status("starting"), 2, 1).await;
    mount_status(&s, 200, status("ready"), 1, 2).await;
    let ready = s
        .client()
        .instances()
        .start("WEB-001")
        .competition_id(COMPETITION_ID)
        .ttl(Duration::from_secs(1800))
        .poll_interval(Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(ready.id, INSTANCE);
    assert_eq!(ready.surface.services[0].port, 18212);
}

#[tokio::test]
async fn start_reports_the_error_status() {
    let s = Server::start().await;
    mount_launch(&s).await;
    mount_status(&s, 200, status("error"), 1, 1).await;
    let err = s
        .client()
        .instances()
        .start("WEB-001")
        .competition_id(COMPETITION_ID)
        .ttl(Duration::from_secs(1800))
        .poll_interval(Duration::from_millis(10))
        .await
        .unwrap_err();
    match err {
        Error::InstanceFailed {
            instance_id,
            message,
            ..
        } => {
            assert_eq!(instance_id, INSTANCE);
            assert_eq!(message, "image pull failed");
        }
        other => panic!("expected InstanceFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn start_retries_5xx_while_waiting() {
    let s = Server::start().await;
    mount_launch(&s).await;
    let unavailable = json!({ "code": "node_unreachable", "detail": "node busy", "timestamp": "2026-11-22T22:27:33Z" });
    mount_status(&s, 503, unavailable, 2, 1).await;
    mount_status(&s, 200, status("ready"), 1, 2).await;
    let ready = s
        .client()
        .instances()
        .start("WEB-001")
        .competition_id(COMPETITION_ID)
        .ttl(Duration::from_secs(1800))
        .poll_interval(Duration::from_millis(10))
        .await
        .unwrap();
    assert_eq!(ready.id, INSTANCE);
}

#[tokio::test]
async fn start_fails_on_a_4xx_while_waiting() {
    let s = Server::start().await;
    mount_launch(&s).await;
    let not_found = json!({ "code": "instance_not_found", "detail": "no such instance", "timestamp": "2026-11-22T22:27:33Z" });
    mount_status(&s, 404, not_found, 1, 1).await;
    let err = s
        .client()
        .instances()
        .start("WEB-001")
        .competition_id(COMPETITION_ID)
        .ttl(Duration::from_secs(1800))
        .poll_interval(Duration::from_millis(10))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("instance_not_found"));
}

#[tokio::test]
async fn stop_counts_404_as_already_stopped() {
    let s = Server::start().await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/instances/{INSTANCE}")))
        .and(header("authorization", "Bearer pf_test"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({ "code": "instance_not_found", "detail": "gone" })),
        )
        .expect(1)
        .mount(&s.mock)
        .await;
    assert!(!s.client().instances().stop(INSTANCE).await.unwrap());
}

#[tokio::test]
async fn stop_reports_a_stop() {
    let s = Server::start().await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/instances/{INSTANCE}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(ex("platform", "StopResponse")))
        .expect(1)
        .mount(&s.mock)
        .await;
    assert!(s.client().instances().stop(INSTANCE).await.unwrap());
}

async fn mount_register(s: &Server, route: &str, body: Value) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v1/competitions/{COMPETITION_ID}/{route}"
        )))
        .and(header("authorization", "Bearer pf_test"))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(200).set_body_json(ex("platform", "TeamDetail")))
        .expect(1)
        .mount(&s.mock)
        .await;
}

#[tokio::test]
async fn register_solo() {
    let s = Server::start().await;
    mount_register(&s, "teams", json!({ "mode": "solo" })).await;
    let team = s.competition().register(Registration::Solo).await.unwrap();
    same(&team, &ex("platform", "TeamDetail"));
}

#[tokio::test]
async fn register_create() {
    let s = Server::start().await;
    mount_register(
        &s,
        "teams",
        json!({ "mode": "create", "name": "Rockets", "description": "we fly" }),
    )
    .await;
    s.competition()
        .register(Registration::Create {
            name: "Rockets".into(),
            description: "we fly".into(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn register_join_redeems_the_code() {
    let s = Server::start().await;
    mount_register(&s, "teams/redeem", json!({ "code": "INV-42" })).await;
    s.competition()
        .register(Registration::Join {
            code: "INV-42".into(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn submit_defaults_to_the_flag_question() {
    let s = Server::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/submissions"))
        .and(header("authorization", "Bearer pf_test"))
        .and(body_json(
            json!({ "instance_id": INSTANCE, "question_id": "flag", "answer": "flag{x}" }),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(ex("platform", "SubmissionResponse")),
        )
        .expect(1)
        .mount(&s.mock)
        .await;
    let got = s
        .client()
        .submissions()
        .submit(INSTANCE, "flag{x}")
        .await
        .unwrap();
    same(&got, &ex("platform", "SubmissionResponse"));
}

#[tokio::test]
async fn submit_a_multi_select_answer() {
    let s = Server::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/submissions"))
        .and(body_json(
            json!({ "instance_id": INSTANCE, "question_id": "q2", "answer": ["a", "c"] }),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(ex("platform", "SubmissionResponse")),
        )
        .expect(1)
        .mount(&s.mock)
        .await;
    s.client()
        .submissions()
        .submit(INSTANCE, vec!["a", "c"])
        .question_id("q2")
        .await
        .unwrap();
}

#[tokio::test]
async fn verify_defaults_to_the_flag_question() {
    let s = Server::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/instances/{INSTANCE}/verify-answer")))
        .and(query_param("competition_id", COMPETITION_ID))
        .and(header("authorization", "Bearer pf_test"))
        .and(body_json(
            json!({ "question_id": "flag", "answer": "flag{x}" }),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(ex("platform", "VerifyAnswerResponse")),
        )
        .expect(1)
        .mount(&s.mock)
        .await;
    let got = s
        .client()
        .submissions()
        .verify(INSTANCE, "flag{x}")
        .competition_id(COMPETITION_ID)
        .await
        .unwrap();
    same(&got, &ex("platform", "VerifyAnswerResponse"));
}

#[tokio::test]
async fn verify_a_multi_select_answer() {
    let s = Server::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/instances/{INSTANCE}/verify-answer")))
        .and(body_json(json!({ "question_id": "q2", "answer": ["b"] })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(ex("platform", "VerifyAnswerResponse")),
        )
        .expect(1)
        .mount(&s.mock)
        .await;
    s.client()
        .submissions()
        .verify(INSTANCE, vec!["b"])
        .question_id("q2")
        .await
        .unwrap();
}

#[tokio::test]
async fn roster_all_streams_every_page() {
    let s = Server::start().await;
    let row = ex("platform", "RegistrationTeamRow");
    for (offset, n) in [(0u64, 2usize), (2, 1)] {
        Mock::given(method("GET"))
            .and(path(format!(
                "/api/v1/admin/competitions/{COMPETITION_ID}/registration-roster"
            )))
            .and(query_param("limit", "2"))
            .and(query_param("offset", offset.to_string()))
            .and(header("authorization", "Bearer pt_test"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "items": vec![row.clone(); n], "total": 3, "limit": 2, "offset": offset
            })))
            .expect(1)
            .mount(&s.mock)
            .await;
    }
    let rows: Vec<_> = s
        .admin()
        .registrations()
        .roster_all(COMPETITION_ID, 2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
}

#[tokio::test]
async fn compatibility_reads_health() {
    let s = Server::start().await;
    let mut health = ex("platform", "HealthResponse");
    health["version"] = json!("0.8.1");
    Mock::given(method("GET"))
        .and(path("/api/v1/health"))
        .respond_with(ResponseTemplate::new(200).set_body_json(health))
        .expect(1)
        .mount(&s.mock)
        .await;
    let check = s.client().check_server_compatibility(None).await.unwrap();
    assert_eq!(check.status, Compatibility::Incompatible);
    assert_eq!(check.server, "0.8.1");
}

#[test]
fn every_example_roundtrips_through_its_type() {
    let mut failures = Vec::new();
    for (spec, dispatch) in [
        (
            "platform",
            schemas::platform as fn(&str, Value) -> Option<Result<schemas::Decoded, String>>,
        ),
        ("node", schemas::node),
    ] {
        for (name, value) in all_examples(spec) {
            match dispatch(name, value.clone()).map(|r| r.map(|d| d.json)) {
                None => failures.push(format!("{spec}:{name}: no type")),
                Some(Err(e)) => failures.push(format!("{spec}:{name}: {e}")),
                Some(Ok(back)) if &back != value => failures.push(format!(
                    "{spec}:{name}:\n  example: {value}\n  back:    {back}"
                )),
                Some(Ok(_)) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} examples do not round-trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn patch_submissions_encode_bytes_and_live_asks_for_the_box() {
    let s = Server::start().await;
    let examples: Value = serde_json::from_str(include_str!("../fixtures/examples.json")).unwrap();
    let info = examples["platform"]["PatchSubmissionInfo"].clone();
    for body in [
        json!({ "instance_id": INSTANCE, "files": { "app.py": "cHJpbnQoMSk=" }, "competition_id": COMPETITION_ID }),
        json!({ "challenge_id": "WEB-001", "files": { "app.py": "cHJpbnQoMSk=" } }),
        json!({ "instance_id": INSTANCE, "source": "live" }),
    ] {
        Mock::given(method("POST"))
            .and(path("/api/v1/patches"))
            .and(header("authorization", "Bearer pf_test"))
            .and(body_json(body))
            .respond_with(ResponseTemplate::new(200).set_body_json(info.clone()))
            .expect(1)
            .mount(&s.mock)
            .await;
    }
    let p = s.client();
    let p = p.patches();
    let files = [("app.py", b"print(1)")];
    let a = p
        .submit(INSTANCE, files)
        .competition_id(COMPETITION_ID)
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&a).unwrap(), info);
    p.submit_for_challenge("WEB-001", files).await.unwrap();
    p.submit_live(INSTANCE).await.unwrap();
}

#[test]
fn defence_source_files_decode() {
    let src: ctfy::models::DefenceSource = serde_json::from_value(
        json!({ "challenge_id": "WEB-001", "files": { "app.py": "cHJpbnQoMSk=" } }),
    )
    .unwrap();
    assert_eq!(src.decoded_files().unwrap()["app.py"], b"print(1)");
}

#[tokio::test]
async fn competition_scoped_instance_routes() {
    let s = Server::start().await;
    let base = format!("/api/v1/competitions/{COMPETITION_ID}/instances/{INSTANCE}");
    let examples: Value = serde_json::from_str(include_str!("../fixtures/examples.json")).unwrap();
    let ex = |name: &str| examples["platform"][name].clone();
    for (verb, suffix, query, body) in [
        ("GET", "", None, ex("InstanceInfo")),
        ("GET", "/status", None, ex("InstanceStatusResponse")),
        ("POST", "/renew", Some(("ttl", "600")), ex("RenewResponse")),
        (
            "POST",
            "/reset",
            Some(("ttl", "900")),
            json!({ "id": "new-instance" }),
        ),
        (
            "GET",
            "/traffic",
            Some(("limit", "5")),
            ex("InstanceTrafficPage"),
        ),
        (
            "DELETE",
            "",
            None,
            json!({ "status": "stopped", "id": INSTANCE }),
        ),
    ] {
        let mut mock = Mock::given(method(verb))
            .and(path(format!("{base}{suffix}")))
            .and(header("authorization", "Bearer pf_test"));
        if let Some((k, v)) = query {
            mock = mock.and(query_param(k, v));
        }
        mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&s.mock)
            .await;
    }
    let client = s.client();
    let comp = client.competition(COMPETITION_ID).unwrap();
    let scoped = comp.instances();
    scoped.get(INSTANCE).await.unwrap();
    scoped.status(INSTANCE).await.unwrap();
    scoped
        .renew(INSTANCE)
        .ttl(std::time::Duration::from_secs(600))
        .await
        .unwrap();
    scoped
        .reset(INSTANCE)
        .ttl(std::time::Duration::from_secs(900))
        .await
        .unwrap();
    scoped.traffic(INSTANCE).limit(5).await.unwrap();
    assert!(scoped.stop(INSTANCE).await.unwrap());
    assert!(
        scoped.get("..").await.is_err(),
        "a dot segment is refused before sending"
    );
}

// ---------------------------------------------------------------- issue #11: owned builders

fn is_static_send<T: Send + 'static>(_: &T) {}

#[tokio::test]
async fn every_call_is_an_owned_static_send_builder() {
    let s = Server::start().await;
    let client = s.client();
    let comp = s.competition();
    // Formerly `async fn`s on a borrowed view, generated and hand-written.
    is_static_send(&client.instances().stop(INSTANCE));
    is_static_send(&client.instances().pending_questions(INSTANCE));
    is_static_send(&client.instances().ssh_credential(INSTANCE));
    is_static_send(&client.health());
    is_static_send(&client.check_server_compatibility(None));
    is_static_send(&comp.register(Registration::Solo));
    is_static_send(&comp.instances().stop(INSTANCE));
    is_static_send(&s.admin().records().container_log(INSTANCE));
    is_static_send(&s.node().check_health_verbose(INSTANCE));
    // Their futures too.
    is_static_send(&std::future::IntoFuture::into_future(
        client.instances().stop(INSTANCE),
    ));

    // A closure that owns a client clone and returns a call: the call outlives the view.
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/instances/{INSTANCE}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(ex("platform", "StopResponse")))
        .expect(1)
        .mount(&s.mock)
        .await;
    let id = ctfy::models::InstanceId::new(INSTANCE).unwrap();
    let f = {
        let c = client.clone();
        move || c.instances().stop(id.clone())
    };
    let stopped = tokio::spawn(std::future::IntoFuture::into_future(
        f().timeout(Duration::from_secs(5)),
    ))
    .await
    .unwrap()
    .unwrap();
    assert!(stopped);
}

#[tokio::test]
async fn formerly_async_calls_take_a_timeout() {
    let s = Server::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/instances/{INSTANCE}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(ex("platform", "InstanceInfo"))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&s.mock)
        .await;
    let err = s
        .client()
        .instances()
        .pending_questions(INSTANCE)
        .timeout(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Http { .. } | Error::Timeout { .. }),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- typed query values

#[tokio::test]
async fn enum_query_parameters_send_the_wire_string() {
    use ctfy::models::{CompetitionDetailPhase, InstanceStatus, LeaderboardTier};
    let s = Server::start().await;
    let page = json!({ "items": [], "total": 0, "limit": 50, "offset": 0 });
    s.expect(
        "GET",
        "/api/v1/competitions",
        &[("phase", "upcoming")],
        Body::Empty,
        "Bearer pf_test",
        Reply::Json(page.clone()),
    )
    .await;
    s.expect(
        "GET",
        "/api/v1/instances",
        &[("status", "ready")],
        Body::Empty,
        "Bearer pf_test",
        Reply::Json(page),
    )
    .await;
    let c = s.client();
    c.competitions()
        .list()
        .phase(CompetitionDetailPhase::Upcoming)
        .await
        .unwrap();
    c.instances()
        .list()
        .status(InstanceStatus::Ready)
        .await
        .unwrap();
    assert_eq!(LeaderboardTier::SelfReported.as_str(), "self_reported");
}

#[tokio::test]
async fn a_duration_ttl_is_sent_as_whole_seconds_rounded_up() {
    let s = Server::start().await;
    let renewed = ex("platform", "RenewResponse");
    s.expect(
        "POST",
        &format!("/api/v1/instances/{INSTANCE}/renew"),
        &[("ttl", "91")],
        Body::Empty,
        "Bearer pf_test",
        Reply::Json(renewed),
    )
    .await;
    s.client()
        .instances()
        .renew(INSTANCE)
        .ttl(Duration::from_millis(90_500))
        .await
        .unwrap();
}

#[tokio::test]
async fn container_log_returns_the_text_and_empty_when_nothing_was_kept() {
    let s = Server::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v1/admin/instance-records/{INSTANCE}/container-log"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "logs": null })))
        .expect(1)
        .mount(&s.mock)
        .await;
    let text: String = s.admin().records().container_log(INSTANCE).await.unwrap();
    assert_eq!(text, "");
}

#[tokio::test]
async fn an_invalid_query_or_body_id_fails_before_sending() {
    let s = Server::start().await;
    let admin = s.admin();
    let err = admin.records().list().team_id("a/b").await.unwrap_err();
    assert!(matches!(err, Error::InvalidId(_)), "{err:?}");
    let err = admin
        .teams()
        .set_captain(COMPETITION_ID, "t1", "..")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidId(_)), "{err:?}");
    let err = s
        .client()
        .submissions()
        .submit(INSTANCE, "flag{x}")
        .question_id("")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidId(_)), "{err:?}");
    let err = s
        .client()
        .submissions()
        .verify(INSTANCE, "flag{x}")
        .competition_id("../x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidId(_)), "{err:?}");
    assert!(s.mock.received_requests().await.unwrap().is_empty());
}
