//! Live test of `instances().tunnel` against the real platform (`scripts/platform-up.sh`).
//!
//! Without a running platform it prints why and passes, except under `CI=true`, where it fails.
//!
//! Only the error path can be exercised locally. A tunnel needs an engagement-mode instance
//! (`network_topology: engagement`): the node runs a VPN container for it and the platform
//! serves its WireGuard config. The harness challenges are simple-mode and the stand-in node
//! runs no VPN container, so the config download answers 404 `vpn_config_not_available`, and
//! `tunnel` must report exactly that (the download comes before any local backend is looked
//! for, so the answer does not depend on `wg-quick` or `wg-socks` being installed here). Even
//! with a config, bringing the tunnel up would need a WireGuard peer to talk to; the backends
//! themselves are covered with fakes in `tests/wiremock/handwritten_tunnel.rs`.

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

use ctfy::client::TunnelMode;

#[tokio::test]
async fn tunnel_to_a_simple_mode_instance_reports_vpn_config_not_available() {
    let env = live_env!();
    let client = env.player();
    let competition = env.var("COMPETITION_ID");
    let ready = client
        .instances()
        .start(env.var("WEB_CHALLENGE_ID"))
        .competition_id(competition)
        .await
        .expect("start");

    let got = client
        .instances()
        .tunnel(&ready.id)
        .competition_id(competition)
        .mode(TunnelMode::Socks)
        // No backend at all: the 404 must still come first.
        .search_path(Vec::<std::path::PathBuf>::new())
        .await;
    client.instances().stop(&ready.id).await.expect("stop");

    let err = got.expect_err("a simple-mode instance has no VPN");
    assert_eq!(err.status(), Some(404), "{err}");
    assert_eq!(err.code(), Some("vpn_config_not_available"), "{err}");
}
