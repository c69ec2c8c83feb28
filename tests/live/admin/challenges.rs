//! `admin.challenges` (all 20 calls): catalog and range reads, attempt and LLM-budget
//! resets on a team of this test, and the background tasks (rescan, build, build_all,
//! build_push, pull, pull_all) followed to their final status through `admin.tasks`.

use std::time::Duration;

use ctfy::Registration;
use ctfy::models::{AdminTaskInfo, StringOrList};

use crate::admin_common::{
    admin, drop_competition, fresh_competition, fresh_user, is_final, wait_task,
};
use crate::live_env;

#[tokio::test]
async fn catalog_stats_and_range_reads() {
    let env = live_env!();
    let admin = admin(env);
    let web = env.var("WEB_CHALLENGE_ID");
    let qa = env.var("QA_CHALLENGE_ID");
    let comp = fresh_competition(&admin, "adminchal", &[web, qa]).await;
    let player = fresh_user(env, "adminchal").await;
    let team = player
        .client
        .competition(comp.id.as_str())
        .unwrap()
        .register(Registration::Solo)
        .await
        .unwrap();
    let c = admin.challenges();

    let questions = c.questions(qa).await.unwrap();
    assert_eq!(questions.challenge_id, qa);
    let ids: Vec<_> = questions.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["answer", "transport"]);
    let blueprint = c.blueprint(web).await.unwrap();
    let milestones: Vec<_> = blueprint.milestones.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(milestones, ["flag", "token"]);

    let build = c.build_state().await.unwrap();
    assert!(
        build.rows.iter().any(|r| r.challenge_id == web),
        "{build:?}"
    );
    let pull = c.pull_state().await.unwrap();
    assert!(pull.rows.iter().any(|r| r.challenge_id == web), "{pull:?}");

    let stats = c.stats().limit(500).await.unwrap();
    assert!(stats.items.iter().any(|s| s.challenge_id == web));
    let series = c.timeseries(web).window(3600).bucket(600).await.unwrap();
    assert_eq!(series.challenge_id, web);
    assert_eq!((series.window_s, series.bucket_s), (3600, 600));
    assert!(!series.buckets.is_empty());
    let histogram = c.latency_histogram().await.unwrap();
    assert!(!histogram.is_empty());
    let feedback = c
        .feedback(web)
        .competition_id(comp.id.as_str())
        .await
        .unwrap();
    assert!(
        feedback.items.is_empty(),
        "no feedback in a fresh competition"
    );
    let budgets = c
        .list_llm_budgets()
        .competition_id(comp.id.as_str())
        .await
        .unwrap();
    assert!(!budgets.gateway_configured);
    assert!(budgets.items.is_empty());
    let deception = c
        .deception_stats()
        .competition_id(comp.id.as_str())
        .challenge_id(web)
        .await
        .unwrap();
    assert_eq!(deception.contacted, 0);
    assert!(!deception.caveat.is_empty());

    let progress = c.range_progress(comp.id.as_str(), web).await.unwrap();
    assert_eq!(progress.competition_id, comp.id);
    assert_eq!(progress.milestone_count, 2);
    assert!(
        progress.rows.iter().any(|r| r.team_id == team.id),
        "{progress:?}"
    );
    let replay = c
        .range_replay(comp.id.as_str(), web)
        .frames(10)
        .await
        .unwrap();
    assert_eq!(replay.challenge_id, web);
    assert_eq!(replay.milestone_count, 2);
    drop_competition(&admin, comp.id.as_str()).await;
}

#[tokio::test]
async fn question_attempts_and_llm_budget_resets() {
    let env = live_env!();
    let admin = admin(env);
    let qa = env.var("QA_CHALLENGE_ID");
    let comp = fresh_competition(&admin, "adminreset", &[qa]).await;
    let player = fresh_user(env, "adminreset").await;
    let team = player
        .client
        .competition(comp.id.as_str())
        .unwrap()
        .register(Registration::Solo)
        .await
        .unwrap();
    let wrong = || {
        player
            .client
            .submissions()
            .submit_qa(comp.id.as_str(), qa, StringOrList::from("80"))
            .question_id("answer")
    };
    assert_eq!(wrong().await.unwrap().attempts_remaining, Some(9));
    assert_eq!(wrong().await.unwrap().attempts_remaining, Some(8));

    let reset = admin
        .challenges()
        .reset_question_attempts(team.id.as_str(), qa, "answer")
        .reason("ctfy-rs live test")
        .await
        .unwrap();
    assert_eq!(reset.team_id, team.id);
    assert_eq!(reset.challenge_id, qa);
    assert_eq!(reset.question_id, "answer");
    assert_eq!(reset.reset_by_user_id, env.var("ADMIN_USER_ID"));
    assert_eq!(reset.reason, "ctfy-rs live test");
    assert_eq!(
        wrong().await.unwrap().attempts_remaining,
        Some(9),
        "the cap starts over"
    );

    let budget = admin
        .challenges()
        .reset_llm_budget(team.id.as_str(), comp.id.as_str(), qa)
        .reason("ctfy-rs live test")
        .await
        .unwrap();
    assert_eq!(budget.team_id, team.id);
    assert_eq!(budget.competition_id, comp.id);
    assert_eq!(budget.outcome, "no_gateway", "{budget:?}");
    drop_competition(&admin, comp.id.as_str()).await;
}

async fn followed(admin: &ctfy::AdminClient, task: AdminTaskInfo, kind: &str) -> AdminTaskInfo {
    assert_eq!(task.kind, kind);
    assert!(!task.id.is_empty());
    assert!(
        matches!(task.status.as_str(), "pending" | "running") || is_final(&task.status),
        "{task:?}"
    );
    assert!(!task.created_by_user_id.is_empty());
    let done = wait_task(admin, &task, Duration::from_secs(120)).await;
    eprintln!(
        "{kind}: {} {} {}",
        done.status, done.error, done.result.summary
    );
    done
}

#[tokio::test]
async fn background_tasks_expose_their_status() {
    let env = live_env!();
    let admin = admin(env);
    let qa = env.var("QA_CHALLENGE_ID");
    let comp = fresh_competition(&admin, "admintask", &[qa]).await;
    let c = admin.challenges();

    let rescan = followed(&admin, c.rescan().await.unwrap(), "challenge_rescan").await;
    assert_eq!(rescan.status, "succeeded", "{rescan:?}");
    assert!(
        rescan.result.summary.contains("challenge(s)"),
        "{:?}",
        rescan.result.summary
    );
    assert!(rescan.result.total.unwrap_or(0) >= 4);
    let shared = rescan
        .result
        .nodes
        .iter()
        .find(|n| n.node_id == env.var("NODE_ID"))
        .expect("the shared node was asked to rescan");
    assert!(shared.ok, "{shared:?}");
    let logs = admin.tasks().logs(rescan.id.as_str()).await.unwrap();
    assert!(!logs.items.is_empty(), "{logs:?}");

    // The stand-in node builds and pulls nothing: these tasks end, but not in success.
    let build = followed(&admin, c.build(qa).await.unwrap(), "challenge_build").await;
    assert_eq!(build.status, "failed", "{build:?}");
    assert!(!build.error.is_empty());
    let pull = followed(&admin, c.pull(qa).await.unwrap(), "challenge_pull").await;
    assert!(is_final(&pull.status));
    let build_all = c
        .build_all()
        .competition_id(comp.id.as_str())
        .await
        .unwrap();
    assert_eq!(
        build_all.params.get("competition_id"),
        Some(&comp.id.as_str().into())
    );
    followed(&admin, build_all, "challenge_build_all").await;
    let pull_all = c.pull_all().competition_id(comp.id.as_str()).await.unwrap();
    followed(&admin, pull_all, "challenge_pull_all").await;
    let push = c.build_push().challenge_ids([qa]).await.unwrap();
    followed(&admin, push, "challenge_build_push").await;
    // an empty scope is refused up front
    let err = c.build_push().await.unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert_eq!(err.code(), Some("empty_build_push_scope"));
    drop_competition(&admin, comp.id.as_str()).await;
}
