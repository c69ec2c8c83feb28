//! Instances and submissions: start, status, get, list, pending questions, renew, reset,
//! traffic, attachments, VPN config, shell/SSH, verify/submit/check, stop, the failing
//! challenge, and the instance-less QA path.

use std::time::Duration;

use ctfy::Error;
use ctfy::models::platform::InstanceStatus;

use super::play_common::{api_err, captain, player};
use crate::live_env;
use crate::support::{capture_flag, start_ready};

#[tokio::test]
async fn instance_lifecycle_renew_reset_and_solves() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let web = env.var("WEB_CHALLENGE_ID");
    let (p, _comp, team) = captain(env, "instance", cid).await;
    let inst = p.client.instances();

    let ready = inst
        .start(web)
        .competition_id(cid)
        .ttl(Duration::from_secs(600))
        .poll_interval(Duration::from_millis(250))
        .await
        .expect("start");
    assert!(ready.start_budget_s > 0);
    let status = inst.status(&ready.id).await.expect("status");
    assert_eq!(status.status, InstanceStatus::Ready);
    assert_eq!(status.attack_surface.as_ref(), Some(&ready.surface));

    let info = inst.get(&ready.id).await.expect("get");
    assert_eq!(info.team_id, team.id);
    assert_eq!(info.competition_id, cid);
    assert_eq!(info.ttl, 600);
    assert!(info.attachments.is_empty());
    let ids: Vec<_> = info.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["flag", "token"]);
    let listed = inst
        .list()
        .competition_id(cid)
        .challenge_id(web)
        .await
        .expect("list");
    assert!(listed.items.iter().any(|i| i.id == ready.id.as_str()));
    assert!(listed.items.iter().all(|i| i.challenge_id == web));

    let pending = inst.pending_questions(&ready.id).await.expect("pending");
    let pending: Vec<_> = pending.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(pending, ["flag", "token"]);

    // Renew: the ttl is an increment on top of the time left.
    let renewed = inst
        .renew(&ready.id)
        .ttl(std::time::Duration::from_secs(600))
        .await
        .expect("renew");
    assert_eq!(renewed.status.as_str(), "renewed");
    assert_eq!(renewed.id, ready.id.as_str());
    let gained = renewed.expires_at.as_secs_f64() - info.expires_at.as_secs_f64();
    assert!((500.0..=700.0).contains(&gained), "renew gained {gained} s");

    // Nothing recorded, no files, no VPN for a simple-mode instance.
    let traffic = inst.traffic(&ready.id).limit(10).await.expect("traffic");
    assert!(traffic.flows.is_empty() && !traffic.truncated);
    assert!(
        inst.attachments(&ready.id)
            .await
            .expect("attachments")
            .files
            .is_empty()
    );
    api_err(
        inst.download_attachment(&ready.id, "missing.txt").await,
        404,
        "attachment_not_found",
    );
    api_err(
        inst.vpn_config(&ready.id).await,
        404,
        "vpn_config_not_available",
    );
    api_err(
        inst.openvpn_config(&ready.id).await,
        404,
        "vpn_config_not_available",
    );
    api_err(
        inst.ssh_credential(&ready.id).await,
        503,
        "ssh_bastion_unavailable",
    );
    api_err(
        inst.shell_session(&ready.id).shell("bash").await,
        400,
        "shell_unsupported",
    );

    // Verify records nothing; submit records; wrong answers are not errors.
    let subs = p.client.submissions();
    let flag = capture_flag(&ready, "flag").await;
    let wrong = subs.verify(&ready.id, "FLAG{wrong}").await.expect("verify");
    assert!(!wrong.correct && wrong.question_id.is_none());
    let right = subs
        .verify(&ready.id, flag.as_str())
        .competition_id(cid)
        .await
        .expect("verify right");
    assert!(right.correct);
    assert_eq!(right.question_id.as_ref().map(|v| v.as_str()), Some("flag"));
    api_err(
        subs.verify(&ready.id, "x").question_id("nope").await,
        422,
        "unknown_question_id",
    );
    let miss = subs.submit(&ready.id, "FLAG{wrong}").await.expect("submit");
    assert!(!miss.correct && miss.attempts_remaining.is_none());
    let hit = subs
        .submit(&ready.id, flag.as_str())
        .await
        .expect("submit right");
    assert!(hit.correct && !hit.challenge_fully_solved);
    assert_eq!(hit.question_id.as_ref().map(|v| v.as_str()), Some("flag"));
    // `check` runs a checker question; this challenge has none.
    api_err(
        subs.check(&ready.id)
            .question_id("flag")
            .competition_id(cid)
            .await,
        422,
        "not_a_checker_question",
    );

    let pending = inst.pending_questions(&ready.id).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, "token");

    // Reset: a new instance with new answers; solves carry over.
    let reset = inst
        .reset(&ready.id)
        .ttl(std::time::Duration::from_secs(600))
        .await
        .expect("reset");
    assert_ne!(reset.id, ready.id.as_str());
    let again = inst
        .wait_ready(reset.id.as_str())
        .min_wait(Duration::from_secs(120))
        .poll_interval(Duration::from_millis(250))
        .await
        .expect("reset instance ready");
    api_err(inst.status(&ready.id).await, 404, "instance_not_found");
    let fresh = inst.get(&again.id).await.unwrap();
    assert!(
        fresh
            .questions
            .iter()
            .any(|q| q.id == "flag" && q.answered_correctly)
    );
    let pending = inst.pending_questions(&again.id).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, "token");
    let new_flag = capture_flag(&again, "flag").await;
    assert_ne!(new_flag, flag, "reset mints new answers");
    // The old instance's answer no longer verifies on the new one.
    assert!(!subs.verify(&again.id, flag.as_str()).await.unwrap().correct);

    // The last question solves the challenge (auto-stop follows).
    let token = capture_flag(&again, "token").await;
    let done = subs
        .submit(&again.id, token.as_str())
        .question_id("token")
        .await
        .expect("submit token");
    assert!(done.correct && done.challenge_fully_solved);
    let history = subs
        .list()
        .challenge_id(web)
        .competition_id(cid)
        .limit(50)
        .await
        .expect("submissions");
    assert!(history.items.iter().all(|s| s.team_id == team.id));
    assert_eq!(history.items.iter().filter(|s| s.correct).count(), 2);
    assert!(history.items.iter().any(|s| !s.correct));
    // Stop is idempotent whether or not auto-stop won the race.
    inst.stop(&again.id).await.expect("stop");
    assert!(!inst.stop(&again.id).await.expect("stop twice"));
}

#[tokio::test]
async fn stop_is_idempotent_and_gone_instances_are_404() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let (p, _comp, _team) = captain(env, "stop", cid).await;
    let inst = p.client.instances();
    let ready = start_ready(&p.client, env.var("ONESHOT_CHALLENGE_ID"), cid).await;
    assert!(inst.stop(&ready.id).await.expect("stop"));
    assert!(!inst.stop(&ready.id).await.expect("stop again"));
    api_err(inst.status(&ready.id).await, 404, "instance_not_found");
    api_err(inst.get(&ready.id).await, 404, "instance_not_found");
    api_err(
        inst.pending_questions(&ready.id).await,
        404,
        "instance_not_found",
    );
    api_err(
        p.client.submissions().submit(&ready.id, "FLAG{x}").await,
        404,
        "instance_not_found",
    );
    api_err(inst.renew(&ready.id).await, 404, "instance_not_found");

    // Another team's instance is not ours.
    let other = env.player();
    let ready = start_ready(&p.client, env.var("ONESHOT_CHALLENGE_ID"), cid).await;
    api_err(other.instances().get(&ready.id).await, 403, "forbidden");
    api_err(other.instances().status(&ready.id).await, 403, "forbidden");
    // The one-shot challenge auto-stops after its only question is solved.
    let flag = capture_flag(&ready, "flag").await;
    let done = p
        .client
        .submissions()
        .submit(&ready.id, flag.as_str())
        .await
        .unwrap();
    assert!(done.correct && done.challenge_fully_solved);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        match inst.status(&ready.id).await {
            Err(e) if e.code() == Some("instance_not_found") => break,
            Ok(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => panic!("not auto-stopped: {other:?}"),
        }
    }
    assert!(!inst.stop(&ready.id).await.expect("stop after auto-stop"));
}

#[tokio::test]
async fn failing_challenge_and_unregistered_starts() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let (p, _comp, _team) = captain(env, "fail", cid).await;
    let err = p
        .client
        .instances()
        .start(env.var("FAIL_CHALLENGE_ID"))
        .competition_id(cid)
        .poll_interval(Duration::from_millis(250))
        .await
        .expect_err("the stand-in node fails this start");
    match &err {
        Error::InstanceFailed {
            instance_id,
            message,
            ..
        } => {
            assert!(!instance_id.is_empty());
            assert!(message.contains("FAIL"), "{message}");
        }
        other => panic!("expected InstanceFailed, got {other:?}"),
    }

    // A player with no team in the competition.
    let loner = player(env, "loner").await;
    api_err(
        loner
            .client
            .instances()
            .start(env.var("WEB_CHALLENGE_ID"))
            .competition_id(cid)
            .await,
        403,
        "not_registered",
    );
    api_err(
        loner
            .client
            .instances()
            .launch(env.var("WEB_CHALLENGE_ID"))
            .competition_id(cid)
            .await,
        403,
        "not_registered",
    );
    api_err(
        p.client
            .instances()
            .start("NOPE-404")
            .competition_id(cid)
            .await,
        404,
        "challenge_not_found",
    );
}

#[tokio::test]
async fn qa_questions_without_an_instance() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let qa = env.var("QA_CHALLENGE_ID");
    let (p, _comp, _team) = captain(env, "qa", cid).await;
    let subs = p.client.submissions();

    let listed = subs.list_qa_challenges(cid).await.expect("qa challenges");
    let view = listed
        .iter()
        .find(|c| c.id == qa)
        .expect("QA challenge listed");
    let qids: Vec<_> = view.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(qids, ["answer", "transport"]);
    assert!(view.solved_question_ids.is_empty());
    assert!(listed.iter().all(|c| c.id != env.var("WEB_CHALLENGE_ID")));

    // The question defaults to `answer` on the platform side.
    let wrong = subs.submit_qa(cid, qa, "442").await.expect("wrong");
    assert!(!wrong.correct);
    assert_eq!(wrong.attempts_remaining, Some(9));
    let right = subs
        .submit_qa(cid, qa, "443")
        .question_id("answer")
        .await
        .expect("right");
    assert!(right.correct && !right.challenge_fully_solved);
    let choice = subs
        .submit_qa(cid, qa, "tcp")
        .question_id("transport")
        .await
        .expect("choice");
    assert!(choice.correct && choice.challenge_fully_solved);

    let listed = subs.list_qa_challenges(cid).await.unwrap();
    let view = listed.iter().find(|c| c.id == qa).unwrap();
    let mut solved = view.solved_question_ids.clone();
    solved.sort();
    assert_eq!(solved, ["answer", "transport"]);

    api_err(
        subs.submit_qa(cid, env.var("WEB_CHALLENGE_ID"), "x").await,
        422,
        "not_a_qa_challenge",
    );
    let loner = player(env, "qa-loner").await;
    api_err(
        loner.client.submissions().submit_qa(cid, qa, "443").await,
        403,
        "not_registered",
    );
}

/// A start that times out, or whose future is dropped, leaves nothing running: the SDK stops
/// the instance the platform created (the stand-in node takes about 1 s to start one, so a
/// 300 ms cap always ends the call after the launch).
#[tokio::test]
async fn timed_out_and_dropped_starts_leave_no_instance_running() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let web = env.var("WEB_CHALLENGE_ID");
    let (p, _comp, _team) = captain(env, "abandon", cid).await;
    let inst = p.client.instances();

    let err = inst
        .start(web)
        .competition_id(cid)
        .deadline(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let timed_out = err.instance_id().cloned().expect("the launch had answered");
    gone(&p.client, &timed_out).await;

    let dropped = tokio::time::timeout(
        Duration::from_millis(300),
        inst.start(web).competition_id(cid),
    )
    .await;
    assert!(dropped.is_err(), "the start was still waiting");
    // The dropped call never told us its id: no instance of the team may be left running.
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let running: Vec<_> = inst
            .list()
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|i| i.status != InstanceStatus::Stopped)
            .collect();
        if running.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "left running: {running:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until `id` is stopped or gone.
async fn gone(client: &ctfy::PlatformClient, id: &ctfy::models::InstanceId) {
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match client.instances().status(id).await {
            Err(e) if e.is_not_found() => return,
            Ok(s) if s.status == InstanceStatus::Stopped => return,
            other => assert!(
                std::time::Instant::now() < until,
                "{id} still there: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The answer that fully solves an instance comes back before the platform's auto-stop (a
/// background job that archives, stops the box on the node, then drops the row) has torn it
/// down, so a `stop()` sent right after it finds the instance and stops it: `Ok(true)`, as
/// `docs/AGENTS.md` says and as the testing kit's asynchronous auto-stop reproduces.
#[tokio::test]
async fn a_stop_right_after_a_full_solve_finds_the_instance() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let (p, _comp, _team) = captain(env, "solvestop", cid).await;
    let inst = p.client.instances();
    let ready = start_ready(&p.client, env.var("ONESHOT_CHALLENGE_ID"), cid).await;
    let flag = capture_flag(&ready, "flag").await;
    let done = p
        .client
        .submissions()
        .submit(&ready.id, flag.as_str())
        .await
        .unwrap();
    assert!(done.correct && done.challenge_fully_solved);
    assert!(
        inst.stop(&ready.id).await.expect("stop"),
        "the auto-stop had already removed the instance"
    );
    assert!(!inst.stop(&ready.id).await.expect("stop again"));
}
