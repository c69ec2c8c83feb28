//! Root calls (`health`, `get_meta`, `cluster_info`, `check_server_compatibility`) and the
//! admin-only `nodes` namespace.

use crate::account::common::{admin, anonymous, api_err};
use crate::live_env;

#[tokio::test]
async fn health_meta_and_compatibility() {
    let env = live_env!();
    // Both are public: no token at all.
    let anon = anonymous(env);
    let health = anon.health().await.unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.version, env.var("CTFY_VERSION"));
    assert!(health.capacity >= 0);
    let meta = anon.get_meta().await.unwrap();
    assert_eq!(meta.version, health.version);
    assert!(meta.server_time_ts > 1.0e9, "epoch seconds");
    assert!(meta.instance_ttl.max_s >= meta.instance_ttl.default_s);

    // The compatibility check, with and without a health reading in hand.
    let player = env.player();
    assert!(
        player
            .check_server_compatibility(Some(&health))
            .await
            .unwrap()
            .is_quiet()
    );
    assert!(
        player
            .check_server_compatibility(None)
            .await
            .unwrap()
            .is_quiet()
    );
}

#[tokio::test]
async fn cluster_info_is_admin_only() {
    let env = live_env!();
    let info = admin(env).await.cluster_info().await.unwrap();
    assert!(
        info.platform_url.starts_with("http://127.0.0.1"),
        "{}",
        info.platform_url
    );
    // PLATFORM.md §11.13: 403 for a player, 401 without a token.
    let msg = api_err(
        env.client("PLAYER_SESSION_TOKEN").cluster_info().await,
        403,
        Some("http_403"),
    );
    assert_eq!(msg, "Admin privileges required");
    api_err(anonymous(env).cluster_info().await, 401, Some("http_401"));
}

#[tokio::test]
async fn nodes_list_and_image_consistency_for_an_admin() {
    let env = live_env!();
    let admin = admin(env).await;
    let page = admin.nodes().list().await.unwrap();
    let total = page.total.expect("the page keeps total");
    assert!(total >= 1 && total >= page.items.len() as u64);
    let node = page
        .items
        .iter()
        .find(|n| n.id == env.var("NODE_ID"))
        .expect("the stand-in node");
    assert_eq!(node.url, env.var("NODE_URL"));
    let small = admin.nodes().list().limit(1).await.unwrap();
    assert_eq!(small.items.len(), 1);
    assert_eq!(small.total, Some(total));
    assert_eq!(small.limit, Some(1));

    // The stand-in node reports no image digests: nothing to compare, but the call decodes.
    let rows = admin.nodes().image_consistency().await.unwrap();
    for row in &rows {
        assert!(row.node_count >= 1);
    }
}

#[tokio::test]
async fn nodes_are_refused_to_players() {
    let env = live_env!();
    for key in ["PLAYER_SESSION_TOKEN", "PLAYER_TOKEN"] {
        let player = env.client(key);
        api_err(player.nodes().list().await, 403, Some("http_403"));
        api_err(
            player.nodes().image_consistency().await,
            403,
            Some("http_403"),
        );
    }
    api_err(anonymous(env).nodes().list().await, 401, Some("http_401"));
}
