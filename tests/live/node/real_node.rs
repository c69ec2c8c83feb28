//! Every `NodeClient` call the real node can answer without Docker, against the real daemon.
//!
//! The node has no Docker daemon (none runs here, and no image could be pulled anyway), so
//! an instance never gets containers. What is still served, and checked here:
//! `node_health`, `list_instances`, `get_disk_free`, `rescan_challenges`,
//! `get_build_state`, `get_pull_state`, `build_challenge` / `pull_challenge` (the row goes
//! `building`/`pulling` → `failed` with Docker's error), `build_all_challenges`,
//! `pull_all_challenges`, `build_push_challenge` (404 for a challenge it does not hold),
//! `start_instance` (the node's `challenge_not_on_node` code, the 500 of a start that cannot
//! reach Docker, which still leaves an `error` record), `get_status`, `list_containers`,
//! `stop_instance_service`, `stop_instance`, `stop_all` (this node only), every per-instance
//! read for an unknown instance (404 with the node's `detail`; `get_pcap` and
//! `get_harness_artifact` → `None`), `check_health` / `check_health_verbose`,
//! `cancel_harness`, `delete_harness_artifact`, `run_harness` (answered 200 with
//! `started: false` and Docker's error), `cancel_generated_range_verify`,
//! `put_authored_challenge` (refused: `ok: false`), `write_awd_answers` ("not on this
//! node"), `probe_fabric`, `remove_fabric`, `verify_patch` (refused: no `awd:`/`patch:`
//! block), and the node's own 401/403 for a missing or wrong token.
//!
//! Not served here (each needs Docker containers, images or a corpus), and why:
//! - `start_instance` reaching `ready`, then `check_health` true, `get_container_logs`,
//!   `get_traffic_page`, `get_traffic_witnesses`, `get_pcap` bytes, `get_agent_runtime`,
//!   `list_instance_attachments`, `download_instance_attachment`, `get_vpn_config` of a live
//!   instance: the instance's compose project never starts without Docker. For the `error`
//!   record a failed start leaves, the node answers 500 to health/logs/pcap/traffic/
//!   agent-runtime/attachments (it asks Docker); that 500 is asserted for `check_health`.
//!   The stand-in node test (`crates/ctfy-standin-node/tests/node_client.rs`) drives the
//!   start → ready → traffic → logs → stop path.
//! - `run_checker`, `collect_patch_files`, `probe_awd_service`, `attack_awd_box`: exec in a
//!   running container; only their 404 for an unknown instance is checked.
//! - `apply_fabric`: would bring up a WireGuard interface on this host (bare-metal node, as
//!   root): never called.
//! - `smoke_authored_challenge`, `verify_generated_range`, `put_generated_range`: compose an
//!   estate (Docker) from an authored tree or the range corpus, which this node has not.
//! - `build_push_challenge` of a held challenge: builds and pushes to a registry.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ctfy::{AdminClient, Error, NodeClient};
use futures::FutureExt;
use serde_json::json;

use crate::harness::{self, CHALLENGE_ID, RealNode};
use crate::live_env;

fn admin(env: &crate::support::LiveEnv) -> AdminClient {
    AdminClient::connect(env.url(), env.var("ADMIN_TOKEN")).expect("admin client")
}

/// Asserts a node 404 that keeps the node's `detail`.
#[track_caller]
fn not_found<T: std::fmt::Debug>(r: Result<T, Error>, detail: &str) {
    let e = r.expect_err("a 404");
    assert_eq!(e.status(), Some(404), "{e}");
    let api = e.api().expect("an API error");
    assert_eq!(api.message(), detail, "{e}");
    assert_eq!(api.detail, json!(detail), "the node's detail is kept");
}

fn wire<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_against_the_real_node_daemon() {
    let env = live_env!();
    let admin = admin(env);
    let Some(node) = harness::start(env, &admin).await else {
        return;
    };
    let checks = std::panic::AssertUnwindSafe(checks(&node, &admin)).catch_unwind();
    let outcome = checks.await;
    let tail = node.log_tail();
    let id = node.id.clone();
    node.remove(&admin).await;
    let gone = admin.nodes().get(id.as_str()).await.unwrap_err();
    assert_eq!(gone.status(), Some(404), "the test node is removed: {gone}");
    if let Err(panic) = outcome {
        eprintln!("--- the real node's log (end) ---\n{tail}");
        std::panic::resume_unwind(panic);
    }
}

async fn checks(node: &RealNode, admin: &AdminClient) {
    let n = node.client();

    // the platform's row: ours, cordoned, capacity 0 until the node's first beat
    let row = admin.nodes().get(node.id.as_str()).await.unwrap();
    assert!(row.cordoned, "cordoned before the node started");
    assert_eq!(row.url, node.url);

    // auth: the node's own refusals
    let anon = NodeClient::builder(&node.url)
        .max_retries(0)
        .build()
        .unwrap();
    assert!(anon.node_health().await.is_ok(), "/health needs no token");
    let e = anon.list_instances().await.unwrap_err();
    assert_eq!(e.status(), Some(401), "{e}");
    assert_eq!(e.api().unwrap().message(), "Missing bearer token");
    let wrong = NodeClient::new(&node.url, "not-the-token").unwrap();
    let e = wrong.list_instances().await.unwrap_err();
    assert_eq!(e.status(), Some(403), "{e}");
    assert_eq!(e.api().unwrap().message(), "Invalid node token");

    // health, instances, disk
    let health = n.node_health().await.unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["public_url"], node.url.as_str());
    assert_eq!(health["running"], 0);
    assert!(n.list_instances().await.unwrap().items.is_empty());
    let disk = n.get_disk_free().await.unwrap();
    assert!(disk.path.ends_with("/data"), "{disk:?}");
    assert!(
        disk.total_bytes >= disk.free_bytes && disk.free_bytes > 0,
        "{disk:?}"
    );

    // catalog
    let rescan = n.rescan_challenges().await.unwrap();
    assert_eq!(rescan.total, 1, "{rescan:?}");
    let builds = n.get_build_state().await.unwrap();
    let row = builds
        .rows
        .iter()
        .find(|r| r.challenge_id == CHALLENGE_ID)
        .expect("a placeholder row");
    assert_eq!(wire(&row.status), "unbuilt");
    let pulls = n.get_pull_state().await.unwrap();
    let row = pulls
        .rows
        .iter()
        .find(|r| r.challenge_id == CHALLENGE_ID)
        .expect("a placeholder row");
    assert_eq!(wire(&row.status), "unpulled");

    // build and pull: accepted, then failed for want of Docker
    let started = n.build_challenge(CHALLENGE_ID).await.unwrap();
    assert_eq!(started.challenge_id, CHALLENGE_ID);
    assert_eq!(wire(&started.status), "building");
    let failed = wait_for(|| async {
        let rows = n.get_build_state().await.unwrap().rows;
        rows.into_iter()
            .find(|r| r.challenge_id == CHALLENGE_ID && wire(&r.status) == "failed")
    })
    .await;
    assert!(!failed.error.unwrap_or_default().is_empty());
    let started = n.pull_challenge(CHALLENGE_ID).await.unwrap();
    assert_eq!(wire(&started.status), "pulling");
    let failed = wait_for(|| async {
        let rows = n.get_pull_state().await.unwrap().rows;
        rows.into_iter()
            .find(|r| r.challenge_id == CHALLENGE_ID && wire(&r.status) == "failed")
    })
    .await;
    assert!(!failed.error.unwrap_or_default().is_empty());
    n.build_all_challenges()
        .challenge_ids(["NOPE-404"])
        .await
        .unwrap();
    let queued = n
        .pull_all_challenges()
        .challenge_ids(["NOPE-404"])
        .await
        .unwrap();
    assert!(queued.queued.is_empty(), "{queued:?}");
    not_found(
        n.build_challenge("NOPE-404").await,
        "Challenge not found on this node: NOPE-404",
    );
    not_found(
        n.pull_challenge("NOPE-404").await,
        "Challenge not found on this node: NOPE-404",
    );
    not_found(
        n.build_push_challenge("NOPE-404").await,
        "Challenge not found on this node: NOPE-404",
    );

    // start: the node names the failure (`{"detail": {"code", "message"}}`)
    let e = n
        .start_instance(
            "NOPE-404",
            "live-node-nope",
            std::time::Duration::from_secs(60),
        )
        .answers(BTreeMap::from([("flag".to_owned(), "FLAG{x}".to_owned())]))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
    assert_eq!(e.code(), Some("challenge_not_on_node"), "{e}");
    assert!(
        e.api()
            .unwrap()
            .message()
            .contains("does not hold NOPE-404"),
        "{e}"
    );
    // a start that cannot reach Docker: 500, and an `error` record stays
    let inst = "live-node-inst-1";
    let e = n
        .start_instance(CHALLENGE_ID, inst, std::time::Duration::from_secs(60))
        .answers(BTreeMap::from([("flag".to_owned(), "FLAG{x}".to_owned())]))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(500), "{e}");
    assert!(
        e.api().unwrap().message().starts_with("Start failed"),
        "{e}"
    );
    let status = n.get_status(inst).await.unwrap();
    assert_eq!(status.instance_id, inst);
    assert_eq!(status.status, "error");
    assert!(status.attack_surface.is_none());
    let listed = n.list_instances().await.unwrap();
    let item = listed
        .items
        .iter()
        .find(|i| i.instance_id == inst)
        .expect("listed");
    assert_eq!(item.challenge_id, CHALLENGE_ID);
    assert!(n.list_containers(inst).await.unwrap().is_empty());
    let stopped = n.stop_instance_service(inst, "web").await.unwrap();
    assert_eq!(stopped.stopped, 0);
    not_found(n.get_vpn_config(inst).await, "VPN config not available");
    let e = n.check_health(inst).await.unwrap_err();
    assert_eq!(e.status(), Some(500), "the node asks Docker: {e}");
    let stopped = n.stop_instance(inst).await.unwrap();
    assert_eq!(stopped.status, "stopped");
    not_found(n.get_status(inst).await, "Instance not found");
    let all = n.stop_all().await.unwrap();
    assert_eq!(all.get("status").map(String::as_str), Some("stopped"));

    // per-instance calls for an unknown instance: 404 with the node's detail
    let gone = "live-node-unknown";
    let nf = "Instance not found";
    let nf_here = "Instance not found on this node";
    not_found(n.get_status(gone).await, nf);
    not_found(n.check_health(gone).await, nf);
    not_found(n.check_health_verbose(gone).await, nf);
    not_found(n.list_containers(gone).await, nf_here);
    not_found(n.get_container_logs(gone).await, nf);
    not_found(n.get_traffic_page(gone).limit(10).await, nf);
    not_found(n.get_traffic_witnesses(gone).await, nf);
    not_found(n.get_agent_runtime(gone).await, nf);
    not_found(n.list_instance_attachments(gone).await, nf);
    not_found(n.download_instance_attachment(gone, "a.txt").await, nf);
    not_found(n.get_vpn_config(gone).await, nf);
    not_found(n.stop_instance(gone).await, nf);
    not_found(n.stop_instance_service(gone, "web").await, nf);
    not_found(n.run_checker(gone, ["true"], "web").await, nf_here);
    not_found(
        n.collect_patch_files(gone, "web").paths(["/a"]).await,
        nf_here,
    );
    not_found(n.probe_awd_service(gone, "web", 1, "F").await, nf_here);
    not_found(n.attack_awd_box(gone, 1).await, nf_here);
    assert!(n.get_pcap(gone).await.unwrap().is_none(), "404 → None");

    // harness, ranges, authored, AWD, fabric, patches
    assert_eq!(
        n.cancel_harness("live-node-run").await.unwrap().stopped,
        Some(0)
    );
    assert!(n.get_harness_artifact("nope").await.unwrap().is_none());
    let deleted = n.delete_harness_artifact("nope").await.unwrap();
    assert_eq!(deleted.get("deleted"), Some(&false));
    let run = n
        .run_harness("busybox:latest")
        .env(BTreeMap::new())
        .timeout_s(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert!(!run.started, "{run:?}");
    assert!(run.error.contains("Docker"), "{run:?}");
    let cancelled = n
        .cancel_generated_range_verify("live-node-run")
        .await
        .unwrap();
    assert_eq!(cancelled.get("cancelled"), Some(&false));
    let push = serde_json::from_value(json!({"challenge_id": "LIVENODE-X-1"})).unwrap();
    let authored = n.put_authored_challenge(&push).await.unwrap();
    assert!(!authored.ok, "{authored:?}");
    assert!(authored.error.contains("AUTHORED"), "{authored:?}");
    let answers = n
        .write_awd_answers()
        .boxes(BTreeMap::from([(
            gone.to_owned(),
            BTreeMap::from([("flag".to_owned(), "F".to_owned())]),
        )]))
        .await
        .unwrap();
    assert_eq!(
        answers.get(gone).map(String::as_str),
        Some("not on this node")
    );
    let probe = n.probe_fabric(7).peers(vec![]).await.unwrap();
    assert_eq!(probe.interface, "ctfy-awd-7");
    assert!(!probe.error.is_empty(), "{probe:?}");
    let removed = n.remove_fabric("7").await.unwrap();
    assert!(!removed.applied, "{removed:?}");
    let verdict = n
        .verify_patch(CHALLENGE_ID)
        .files(BTreeMap::new())
        .timeout_s(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert!(verdict.verdict.is_empty(), "{verdict:?}");
    assert!(verdict.error.contains("patch:"), "{verdict:?}");
}

/// Polls `f` every 250 ms until it gives a value (at most 30 s).
async fn wait_for<T, F, Fut>(f: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
