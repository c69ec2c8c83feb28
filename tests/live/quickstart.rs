//! The quickstart flow and its error paths, against the real platform.

use ctfy::transport::Request;
use ctfy::{Error, Registration};

use crate::live_env;
use crate::support::capture_flag;

#[tokio::test]
async fn quickstart_flow_end_to_end() {
    let env = live_env!();
    let client = env.player();
    let health = client.health().await.unwrap();
    assert_eq!(health.status, "ok");
    assert!(
        client
            .check_server_compatibility(Some(&health))
            .await
            .unwrap()
            .is_quiet()
    );
    assert!(!client.get_meta().await.unwrap().version.is_empty());

    let running = client.competitions().list().phase("running").await.unwrap();
    let info = running
        .items
        .iter()
        .find(|c| c.id == env.var("COMPETITION_ID"))
        .expect("harness competition");
    assert!(running.total.unwrap() >= 1);
    let comp = client.competition(&info.id).unwrap();
    assert_eq!(comp.detail().await.unwrap().id, info.id);
    assert_eq!(
        client.competitions().get(&info.id).await.unwrap().title,
        info.title
    );

    // Solo registration is idempotent: the same team again.
    let team = comp.register(Registration::Solo).await.unwrap();
    assert_eq!(team.id, env.var("PLAYER_TEAM_ID"));

    let challenges = comp.challenges().await.unwrap();
    let ids: Vec<_> = challenges.items.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids[0], env.var("WEB_CHALLENGE_ID"), "curated order");

    let ready = client
        .instances()
        .start(env.var("WEB_CHALLENGE_ID"))
        .competition_id(comp.id())
        .await
        .unwrap();
    assert!(!ready.surface.services.is_empty());
    let status = client.instances().status(&ready.id).await.unwrap();
    assert!(status.attack_surface.is_some());
    let info = client.instances().get(&ready.id).await.unwrap();
    assert_eq!(info.challenge_id, env.var("WEB_CHALLENGE_ID"));
    assert!(info.started_at.as_secs_f64() > 1.0e9, "epoch seconds");
    assert!(info.started_at.to_system_time().unwrap() <= std::time::SystemTime::now());
    let listed = client
        .instances()
        .list()
        .competition_id(comp.id().as_str())
        .await
        .unwrap();
    assert!(listed.items.iter().any(|i| i.id == ready.id.as_str()));

    let flag = capture_flag(&ready, "flag").await;
    assert!(
        client
            .submissions()
            .verify(&ready.id, flag.as_str())
            .await
            .unwrap()
            .correct
    );
    let wrong = client
        .submissions()
        .submit(&ready.id, "FLAG{wrong}")
        .await
        .unwrap();
    assert!(
        !wrong.correct,
        "a wrong flag is HTTP 200 with correct=false"
    );
    let right = client
        .submissions()
        .submit(&ready.id, flag.as_str())
        .await
        .unwrap();
    assert!(right.correct);
    assert_eq!(right.question_id.as_ref().map(|v| v.as_str()), Some("flag"));
    let token = capture_flag(&ready, "token").await;
    assert!(
        client
            .submissions()
            .submit(&ready.id, token.as_str())
            .question_id("token")
            .await
            .unwrap()
            .correct
    );

    let history = client
        .submissions()
        .list()
        .challenge_id(env.var("WEB_CHALLENGE_ID"))
        .await
        .unwrap();
    assert!(!history.items.is_empty());

    client.instances().stop(&ready.id).await.unwrap();
    let err = client.instances().status(&ready.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("instance_not_found"));
    // Stopping again is not an error.
    assert!(!client.instances().stop(&ready.id).await.unwrap());
}

#[tokio::test]
async fn a_start_that_fails_is_a_typed_error() {
    let env = live_env!();
    let client = env.player();
    let err = client
        .instances()
        .start(env.var("FAIL_CHALLENGE_ID"))
        .competition_id(env.var("COMPETITION_ID"))
        .await
        .unwrap_err();
    match err {
        Error::InstanceFailed { message, .. } => {
            assert!(message.contains("simulated start failure"), "{message}")
        }
        other => panic!("expected InstanceFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_instance_is_instance_not_found() {
    let env = live_env!();
    let err = env
        .player()
        .instances()
        .get("no-such-instance")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("instance_not_found"));
    assert!(err.to_string().contains("no-such-instance"), "{err}");
}

#[tokio::test]
async fn pf_token_on_an_admin_route_says_so() {
    let env = live_env!();
    let admin = env.client("ADMIN_PF_TOKEN").admin();
    let err = admin
        .transport()
        .json::<serde_json::Value>(&Request::get("/admin/users", &[]).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("http_403"));
    assert!(err.api().unwrap().is_session_required());
    assert!(err.to_string().contains("pf_"), "{err}");
}

#[tokio::test]
async fn unregistered_player_gets_not_registered() {
    let env = live_env!();
    let err = env
        .client("PLAYER2_TOKEN")
        .instances()
        .start(env.var("WEB_CHALLENGE_ID"))
        .competition_id(env.var("COMPETITION_ID"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("not_registered"));
    assert_eq!(
        err.api()
            .unwrap()
            .detail_field("competition_id")
            .and_then(|v| v.as_str()),
        Some(env.var("COMPETITION_ID"))
    );
}

#[tokio::test]
async fn question_challenge_answered_without_an_instance() {
    let env = live_env!();
    let client = env.player();
    let body = serde_json::json!({
        "challenge_id": env.var("QA_CHALLENGE_ID"),
        "competition_id": env.var("COMPETITION_ID"),
        "question_id": "answer",
        "answer": "443",
    });
    let req = Request::post("/qa/submissions", &[])
        .unwrap()
        .json(&body)
        .unwrap();
    let res: ctfy::models::SubmissionResponse = client.transport().json(&req).await.unwrap();
    assert!(res.correct);
}

#[tokio::test]
async fn competition_scoped_instance_routes() {
    let env = live_env!();
    let client = env.player();
    let comp = client.competition(env.var("COMPETITION_ID")).unwrap();
    let ready = client
        .instances()
        .start(env.var("WEB_CHALLENGE_ID"))
        .competition_id(comp.id())
        .await
        .unwrap();
    let scoped = comp.instances();
    assert_eq!(scoped.get(&ready.id).await.unwrap().id, ready.id.as_str());
    assert!(
        scoped
            .status(&ready.id)
            .await
            .unwrap()
            .attack_surface
            .is_some()
    );
    scoped
        .renew(&ready.id)
        .ttl(std::time::Duration::from_secs(600))
        .await
        .unwrap();
    scoped.traffic(&ready.id).await.unwrap();
    // Another competition's route refuses the instance.
    let other = client.competition("not-this-competition").unwrap();
    assert!(other.instances().status(&ready.id).await.is_err());
    assert!(scoped.stop(&ready.id).await.unwrap());
    assert!(!scoped.stop(&ready.id).await.unwrap(), "already stopped");
}
