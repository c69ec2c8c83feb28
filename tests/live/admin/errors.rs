//! Admin errors: a `pf_` token says plainly that admin routes need a `pt_` session; a player
//! session gets 403 "Admin privileges required". Both through `AdminClient::connect` and
//! through `client.admin()`.

use ctfy::{AdminClient, Error, PlatformClient};

use crate::admin_common::fresh_user;
use crate::live_env;

fn assert_session_required(err: &Error, how: &str) {
    let api = err
        .api()
        .unwrap_or_else(|| panic!("{how}: not an API error: {err}"));
    assert_eq!(api.status, 403, "{how}: {err}");
    assert!(api.is_session_required(), "{how}: {err}");
    let text = err.to_string();
    assert!(
        text.contains("pt_ session") && text.contains("pf_"),
        "{how}: the message must say admin routes need a pt_ session: {text}"
    );
}

fn assert_admin_required(err: &Error, how: &str) {
    assert_eq!(err.status(), Some(403), "{how}: {err}");
    let api = err.api().unwrap();
    assert!(!api.is_session_required(), "{how}: {err}");
    assert_eq!(api.message(), "Admin privileges required", "{how}: {err}");
    assert!(err.to_string().contains("Admin privileges required"));
}

#[tokio::test]
async fn a_pf_token_on_admin_routes_says_a_pt_session_is_needed() {
    let env = live_env!();
    for key in ["ADMIN_PF_TOKEN", "PLAYER_TOKEN"] {
        let standalone = AdminClient::connect(env.url(), env.var(key)).unwrap();
        let err = standalone.observability().overview().await.unwrap_err();
        assert_session_required(&err, &format!("connect({key}).overview"));
        let err = standalone.users().list().await.unwrap_err();
        assert_session_required(&err, &format!("connect({key}).users.list"));

        let shared = env.client(key).admin();
        let err = shared.settings().list().await.unwrap_err();
        assert_session_required(&err, &format!("client({key}).admin().settings.list"));
        let err = shared
            .nodes()
            .mint_invite()
            .ttl_seconds(std::time::Duration::from_secs(60))
            .await
            .unwrap_err();
        assert_session_required(&err, &format!("client({key}).admin().nodes.mint_invite"));
    }
}

#[tokio::test]
async fn a_player_session_gets_admin_privileges_required() {
    let env = live_env!();
    let player = fresh_user(env, "adminerr").await;
    let standalone = AdminClient::connect(env.url(), player.token.as_str()).unwrap();
    let err = standalone.observability().overview().await.unwrap_err();
    assert_admin_required(&err, "connect(pt_ player).overview");
    let err = standalone.competitions().list().await.unwrap_err();
    assert_admin_required(&err, "connect(pt_ player).competitions.list");

    let shared = PlatformClient::new(env.url(), player.token.as_str())
        .unwrap()
        .admin();
    let err = shared.users().get(player.id.as_str()).await.unwrap_err();
    assert_admin_required(&err, "client(pt_ player).admin().users.get");
    let err = env
        .client("PLAYER_SESSION_TOKEN")
        .admin()
        .observability()
        .solve_matrix()
        .await
        .unwrap_err();
    assert_admin_required(&err, "client(PLAYER_SESSION_TOKEN).admin().solve_matrix");
    // Settings are super_admin-only: a player session hears that instead.
    let err = shared.settings().list().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(
        err.api().unwrap().message(),
        "Super-admin privileges required"
    );
}
