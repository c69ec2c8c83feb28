//! Gauntlet ranges, the container registry and patch (defence) submissions: the local
//! platform has no scenario compiler, no registry and no patchable challenge, so these assert
//! the documented refusals and the empty listings.

use super::common::{admin, api_err, competition, drop_competition, solo, user};
use crate::live_env;

#[tokio::test]
async fn gauntlet_without_a_scenario_compiler() {
    let env = live_env!();
    let admin = admin(env);
    let g = admin.gauntlet();
    let lib = g.library().await.unwrap();
    assert!(!lib.available);
    assert!(lib.modules.is_empty());
    assert!(g.ranges().await.unwrap().items.is_empty());
    api_err(
        g.preview(&Default::default()).await,
        503,
        "gauntlet_studio_unavailable",
    );
    api_err(
        g.plan(&Default::default()).await,
        503,
        "gauntlet_studio_unavailable",
    );
    api_err(
        g.create_range(&Default::default()).await,
        422,
        "gauntlet_range_id_invalid",
    );
    api_err(
        g.rebuild_range("no-such-range").await,
        404,
        "gauntlet_range_not_found",
    );
    api_err(
        g.delete_range("no such range").await,
        422,
        "gauntlet_range_id_invalid",
    );
}

#[tokio::test]
async fn registry_without_a_registry() {
    let env = live_env!();
    let admin = admin(env);
    let r = admin.registry();
    let usage = r.usage().await.unwrap();
    assert!(usage.items.is_empty());
    api_err(r.repos().await, 503, "registry_not_configured");
    api_err(
        r.tags("live-ops").limit(5).await,
        503,
        "registry_not_configured",
    );
    api_err(r.gc().await, 503, "registry_not_configured");
    api_err(
        r.delete_manifest("live-ops", "sha256:00").await,
        503,
        "registry_not_configured",
    );
    let err = r
        .reclaim("superseded_frozen")
        .dry_run(true)
        .await
        .expect_err("no registry");
    assert_eq!(err.status(), Some(503), "{err}");
    let player = user(env, "ops-registry").await;
    api_err(
        player.client.registry().token().service("ctfy").await,
        503,
        "registry_not_configured",
    );
}

#[tokio::test]
async fn patches_without_a_patchable_challenge() {
    let env = live_env!();
    let admin = admin(env);
    let comp = competition(env, &admin, "patches").await;
    let player = user(env, "ops-patch").await;
    solo(&player, &comp).await;
    let web = env.var("WEB_CHALLENGE_ID");
    let p = player.client.patches();
    assert!(
        p.list()
            .competition_id(comp.as_str())
            .await
            .unwrap()
            .is_empty()
    );
    api_err(
        p.source(web).competition_id(comp.as_str()).await,
        400,
        "challenge_not_patchable",
    );
    // The SDK takes raw bytes and base64-encodes them for the wire.
    let files = [("app.py", b"print(1)".to_vec())];
    api_err(
        p.submit("no-such-instance", files.clone())
            .competition_id(comp.as_str())
            .await,
        404,
        "instance_not_found",
    );
    api_err(
        p.submit_for_challenge(web, files.clone())
            .competition_id(comp.as_str())
            .await,
        400,
        "challenge_not_patchable",
    );
    api_err(
        p.submit_live("no-such-instance")
            .competition_id(comp.as_str())
            .await,
        404,
        "instance_not_found",
    );

    let page = admin
        .patches()
        .list()
        .competition_id(comp.as_str())
        .limit(5)
        .await
        .unwrap();
    assert!(page.items.is_empty());
    api_err(
        admin.patches().get("no-such-patch").await,
        404,
        "patch_not_found",
    );
    drop_competition(&admin, &comp).await;
}
