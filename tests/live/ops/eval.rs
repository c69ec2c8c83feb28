//! The evaluation and LLM surfaces that need no model provider: vendors and their tokens,
//! harnesses, allowances, model and provider registries, and the player/vendor views. Running
//! an evaluation needs a reachable LLM provider and harness images (see the top of the binary).

use super::common::{
    admin, api_err, cancel_task, competition, drop_competition, fresh_admin, tag, user,
};
use crate::live_env;

#[tokio::test]
async fn eval_vendor_lifecycle_and_vendor_api() {
    let env = live_env!();
    let admin = fresh_admin(env).await;
    let vid = format!("live-ops-vendor-{}", tag());
    let vendor = admin
        .eval_vendors()
        .register()
        .id(vid.as_str())
        .display_name("Live Ops Vendor")
        .contact_email("vendor@example.com")
        .await
        .unwrap();
    assert_eq!(vendor.id, vid);
    let page = admin
        .eval_vendors()
        .list()
        .active_only(true)
        .limit(500)
        .await
        .unwrap();
    assert!(page.items.iter().any(|v| v.id == vid));

    let read = admin
        .eval_vendors()
        .mint_token(vid.as_str())
        .label("read")
        .await
        .unwrap();
    assert!(read.token.starts_with("pv_"));
    assert_eq!(read.scope.map(|s| s.to_string()).as_deref(), Some("read"));
    let submit = admin
        .eval_vendors()
        .mint_token(vid.as_str())
        .label("submit")
        .scope("submit")
        .await
        .unwrap();
    let tokens = admin
        .eval_vendors()
        .list_tokens(vid.as_str())
        .await
        .unwrap();
    assert_eq!(tokens.len(), 2);

    // The vendor API with the read token.
    let reader = ctfy::PlatformClient::new(env.url(), read.token.as_str()).unwrap();
    let v = reader.vendor();
    assert_eq!(v.me().await.unwrap().id, vid);
    assert!(v.models().await.unwrap().is_empty());
    assert_eq!(
        v.runs().fully_solved(false).limit(5).await.unwrap().total,
        Some(0)
    );
    assert!(v.standard_sets().await.unwrap().is_empty());
    assert!(v.nodes().await.unwrap().is_empty());
    assert_eq!(v.campaigns().limit(5).await.unwrap().total, Some(0));
    api_err(v.keys().await, 403, "http_403");

    // With the submit token.
    let writer = ctfy::PlatformClient::new(env.url(), submit.token.as_str()).unwrap();
    let v = writer.vendor();
    let model_id = format!("live-ops-vm-{}", tag());
    let model = v
        .register_model("openai", model_id.as_str())
        .provider_model("gpt-live-ops")
        .display_name("Live Ops Model")
        .await
        .unwrap();
    assert_eq!(model.vendor, vid);
    assert!(v.models().await.unwrap().iter().any(|m| m.id == model.id));
    // Storing a vendor's provider key needs the key-sealing gateway setup.
    api_err(
        v.upload_key("sk-live-ops-not-a-key", "openai")
            .label("live ops")
            .await,
        503,
        "http_503",
    );
    assert!(v.keys().await.unwrap().is_empty());
    assert!(!v.delete_key("no-such-key").await.unwrap()["deleted"]);
    // No standard set exists on the local platform.
    let err = v
        .submit_campaign(model.id.as_str(), "no-such-set")
        .await
        .expect_err("unknown standard set");
    assert!(matches!(err.status(), Some(404 | 422)), "{err}");

    assert!(
        admin
            .eval_vendors()
            .revoke_token(vid.as_str(), read.id.as_str())
            .await
            .unwrap()["deleted"]
    );
    api_err(reader.vendor().me().await, 401, "http_401");
    let _ = admin.llm_models().delete(model.id.as_str()).await;
    assert!(admin.eval_vendors().delete(vid.as_str()).await.unwrap()["deleted"]);
}

#[tokio::test]
async fn eval_harnesses_admin_and_player() {
    let env = live_env!();
    let admin = admin(env);
    let hid = format!("live-ops-h-{}", tag());
    let h = admin
        .eval_harnesses()
        .register()
        .id(hid.as_str())
        .display_name("Live Ops Harness")
        .image("registry.example.com/live-ops/harness:1")
        .await
        .unwrap();
    assert_eq!(h.id, hid);
    let listed = admin.eval_harnesses().list().limit(500).await.unwrap();
    assert!(listed.items.iter().any(|r| r.id == hid));
    let reviewed = admin
        .eval_harnesses()
        .review(hid.as_str(), "approved")
        .note("ok")
        .await
        .unwrap();
    assert_eq!(reviewed.review_status.to_string(), "approved");
    let checked = admin.eval_harnesses().check(hid.as_str()).await.unwrap();
    assert_eq!(checked.id, hid);
    let task = admin.eval_harnesses().probe(hid.as_str()).await.unwrap();
    assert_eq!(task.kind, "harness_probe");
    cancel_task(&admin, &task.id).await;
    assert!(admin.eval_harnesses().delete(hid.as_str()).await.unwrap()["deleted"]);

    // A player's own harness: its id is `<user id>/<name>`, with a slash that the SDK
    // percent-encodes into one path segment.
    let player = user(env, "ops-eval").await;
    let eval = player.client.eval();
    let mine = eval
        .register_harness()
        .id(format!("h-{}", tag()))
        .display_name("Mine")
        .image("registry.example.com/live-ops/mine:1")
        .await
        .unwrap();
    assert!(
        mine.id.starts_with(&format!("{}/", player.id)),
        "{}",
        mine.id
    );
    assert!(
        eval.harnesses()
            .await
            .unwrap()
            .iter()
            .any(|x| x.id == mine.id)
    );
    let upd = eval
        .update_harness(mine.id.as_str())
        .notes("updated")
        .await
        .unwrap();
    assert_eq!(upd.notes, "updated");
    let err = eval
        .harness_tags(mine.id.as_str())
        .await
        .expect_err("no registry");
    assert!(matches!(err.status(), Some(502 | 503)), "{err}");
    let checked = eval.check_harness(mine.id.as_str()).await.unwrap();
    assert_eq!(checked.id, mine.id);
    match eval.probe_harness(mine.id.as_str()).await {
        Ok(task) => cancel_task(&admin, &task.id).await,
        Err(err) => assert!(matches!(err.status(), Some(409 | 422)), "{err}"),
    }
    assert!(eval.delete_harness(mine.id.as_str()).await.unwrap()["deleted"]);
    api_err(
        eval.delete_harness(mine.id.as_str()).await,
        404,
        "harness_not_found",
    );
}

#[tokio::test]
async fn eval_allowances_campaigns_and_runs() {
    let env = live_env!();
    let admin = admin(env);
    let comp = competition(env, &admin, "eval").await;
    let player = user(env, "ops-eval").await;

    let row = admin
        .eval_allowances()
        .grant(comp.as_str(), player.id.as_str(), 2.5)
        .note("live ops")
        .await
        .unwrap();
    assert_eq!(row.cap_usd, 2.5);
    let rows = admin
        .eval_allowances()
        .list()
        .competition_id(comp.as_str())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let mine = player.client.eval().my_allowances().await.unwrap();
    assert_eq!(mine[0].competition_id, comp);
    assert!(
        admin
            .eval_allowances()
            .revoke(player.id.as_str(), comp.as_str())
            .await
            .unwrap()["deleted"]
    );

    let campaigns = admin.eval_campaigns().list().limit(5).await.unwrap();
    assert!(campaigns.items.len() <= 5);
    api_err(
        admin.eval_campaigns().get("no-such-campaign").await,
        404,
        "http_404",
    );
    api_err(
        admin.eval_campaigns().cancel("no-such-campaign").await,
        404,
        "http_404",
    );
    api_err(
        admin
            .eval_campaigns()
            .submit("claude-opus-5", "no-such-set")
            .await,
        404,
        "http_404",
    );

    let artifacts = admin.eval_runs().artifacts().await.unwrap();
    assert!(!artifacts.buckets.is_empty());
    let runs = admin
        .eval_runs()
        .list()
        .competition_id(comp.as_str())
        .await
        .unwrap();
    assert_eq!(runs.total, Some(0));
    api_err(admin.eval_runs().get("no-such-run").await, 404, "http_404");
    api_err(
        admin.eval_runs().coverage("no-such-run").await,
        404,
        "http_404",
    );
    // Submitting only queues a task (nothing can run it without a provider): cancel it.
    let task = admin
        .eval_runs()
        .submit(env.var("QA_CHALLENGE_ID"), "claude-opus-5")
        .competition_id(comp.as_str())
        .await
        .unwrap();
    assert_eq!(task.kind, "model_eval_run");
    cancel_task(&admin, &task.id).await;
    drop_competition(&admin, &comp).await;
}

#[tokio::test]
async fn eval_player_views_and_error_paths() {
    let env = live_env!();
    let player = user(env, "ops-eval").await;
    let eval = player.client.eval();
    let board = eval.leaderboard().await.unwrap();
    assert!(!board.dimensions.is_empty());
    let providers = eval.llm_providers().await.unwrap();
    assert!(providers.iter().any(|p| p.id == "openai"));
    assert!(!eval.models().await.unwrap().is_empty());
    assert!(eval.my_llm_keys().await.unwrap().is_empty());
    assert_eq!(eval.my_entries().limit(5).await.unwrap().total, Some(0));
    assert!(eval.runs().limit(5).await.unwrap().items.is_empty());
    let target = eval.registry_push_target().await.unwrap();
    assert!(!target.enabled);

    // A key for a relay the platform does not offer is refused.
    api_err(
        eval.put_my_llm_key("openai", "sk-live-ops")
            .base_url("http://127.0.0.1:9/v1")
            .await,
        400,
        "base_url_not_allowed",
    );
    let key = eval
        .put_my_llm_key("openai", "sk-live-ops-not-a-key")
        .base_url("https://api.openai.com")
        .label("live ops")
        .await
        .unwrap();
    assert_eq!(key.flavor.map(|f| f.to_string()).as_deref(), Some("openai"));
    assert_eq!(eval.my_llm_keys().await.unwrap().len(), 1);
    // The probe needs the LLM gateway, which the local platform does not run.
    let probe = eval
        .probe_my_llm_key("openai")
        .base_url("https://api.openai.com")
        .await
        .unwrap();
    assert!(!probe.ok);
    assert!(
        eval.delete_my_llm_key("openai")
            .base_url("https://api.openai.com")
            .await
            .unwrap()["deleted"]
    );
    api_err(
        eval.probe_my_llm_key("openai").await,
        404,
        "llm_key_not_found",
    );

    api_err(
        eval.enter(
            env.var("COMPETITION_ID"),
            "no-such-harness",
            "claude-opus-5",
        )
        .await,
        404,
        "harness_not_found",
    );
    api_err(eval.run("no-such-run").await, 404, "eval_run_not_found");
    api_err(
        eval.run_llm_calls("no-such-run").await,
        404,
        "eval_run_not_found",
    );
    api_err(
        eval.run_llm_call("no-such-run", "no-such-call").await,
        404,
        "eval_run_not_found",
    );
    api_err(
        eval.run_artifact("no-such-run").await,
        404,
        "eval_run_not_found",
    );
    api_err(
        eval.run_traffic("no-such-run").limit(5).await,
        404,
        "eval_run_not_found",
    );
    api_err(
        eval.run_writeup("no-such-run").await,
        404,
        "eval_run_not_found",
    );
    api_err(
        eval.set_run_wall("no-such-run", true).await,
        404,
        "eval_run_not_found",
    );
    api_err(
        eval.set_run_transcript("no-such-run", true).await,
        404,
        "eval_run_not_found",
    );
}

#[tokio::test]
async fn llm_providers_models_and_calls() {
    let env = live_env!();
    let admin = fresh_admin(env).await;
    let catalog = admin.llm_providers().catalog().await.unwrap();
    assert!(catalog.iter().any(|c| c.id == "anthropic"));
    let keys = admin.llm_providers().account_keys().limit(5).await.unwrap();
    assert!(keys.items.len() <= 5);

    let key_id = format!("live-ops-{}", tag());
    let added = admin
        .llm_providers()
        .add("sk-live-ops-not-a-key", "openai", key_id.as_str())
        .base_url("http://127.0.0.1:9/v1")
        .await
        .unwrap();
    assert_eq!(added.key_id, key_id);
    assert!(
        admin
            .llm_providers()
            .list()
            .await
            .unwrap()
            .items
            .iter()
            .any(|k| k.key_id == key_id)
    );
    // No LLM gateway runs locally: the probe answers, negatively.
    let probe = admin.llm_providers().probe(key_id.as_str()).await.unwrap();
    assert!(!probe.ok);
    assert_eq!(probe.code, "no_gateway");
    admin.llm_providers().delete(key_id.as_str()).await.unwrap();

    let comp = competition(env, &admin, "llm").await;
    let mid = format!("live-ops-model-{}", tag());
    let model = admin
        .llm_models()
        .register()
        .id(mid.as_str())
        .flavor("openai")
        .provider_model("gpt-live-ops")
        .base_url("http://127.0.0.1:9/v1")
        .display_name("Live Ops Model")
        .await
        .unwrap();
    assert_eq!(model.id, mid);
    let page = admin.llm_models().list().limit(500).await.unwrap();
    assert!(page.items.iter().any(|m| m.id == mid));
    let reviewed = admin
        .llm_models()
        .review(mid.as_str(), "approved")
        .note("ok")
        .await
        .unwrap();
    assert_eq!(reviewed.id, mid);
    let token = admin
        .llm_models()
        .mint_token(mid.as_str(), comp.as_str())
        .label("live ops")
        .expires_in_days(1)
        .await
        .unwrap();
    assert!(token.token.starts_with("pf_"));
    assert_eq!(token.competition_id, comp);
    assert!(admin.llm_models().delete(mid.as_str()).await.unwrap()["deleted"]);

    let calls = admin
        .llm_calls()
        .list()
        .competition_id(comp.as_str())
        .limit(5)
        .await
        .unwrap();
    assert!(calls.items.is_empty());
    api_err(
        admin.llm_calls().read("no-such-call").await,
        404,
        "llm_call_not_found",
    );
    drop_competition(&admin, &comp).await;
}
