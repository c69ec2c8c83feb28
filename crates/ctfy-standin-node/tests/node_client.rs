//! Drives the stand-in node with the SDK's `NodeClient`, as the platform does: start →
//! status `ready` → the instance's service answers → health, traffic, pcap, container logs
//! → stop. The node runs in-process against a tiny fake platform (register + heartbeat).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use ctfy_node::NodeClient;
use ctfy_standin_node::{NodeConfig, start};
use serde_json::{Value, json};

const TOKEN: &str = "node-client-token";

async fn register(h: HeaderMap, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    let auth = h.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some("Bearer reg_node_client") {
        return (StatusCode::FORBIDDEN, Json(json!({"detail": "bad invite"})));
    }
    let url = body["url"].as_str().unwrap_or_default().to_owned();
    let id = url.trim_start_matches("http://").replace([':', '/'], "_");
    (
        StatusCode::OK,
        Json(json!({"id": id, "url": url, "capacity": body["capacity"], "token": TOKEN})),
    )
}

async fn heartbeat() -> Json<Value> {
    Json(json!({"status": "ok", "live_instance_ids": []}))
}

async fn fake_platform() -> String {
    let app = Router::new()
        .route("/api/v1/nodes/register", post(register))
        .route("/api/v1/nodes/heartbeat", post(heartbeat));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn node_client_start_ready_traffic_logs_stop() {
    let platform = fake_platform().await;
    let mut cfg = NodeConfig::new(&platform, "reg_node_client");
    cfg.start_delay = Duration::from_millis(100);
    cfg.heartbeat_interval = Duration::from_secs(1);
    let node = start(cfg).await.expect("node starts");
    let n = NodeClient::builder(node.public_url())
        .token(node.node_token())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let health = n.node_health().await.unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert!(n.list_instances().await.unwrap().items.is_empty());

    // start
    let id = "node-client-1";
    let answers = BTreeMap::from([
        ("flag".to_owned(), "FLAG{node-client}".to_owned()),
        ("token".to_owned(), "0badc0de".to_owned()),
    ]);
    let started = n
        .start_instance("CTFYRS-WEB-001", id, Duration::from_secs(600))
        .answers(answers)
        .publish_gamebox(true)
        .await
        .unwrap();
    assert_eq!(started.instance_id, id);
    assert_eq!(started.status, "starting");

    // status → ready, with the service's address
    let mut status = n.get_status(id).await.unwrap();
    for _ in 0..200 {
        if status.status == "ready" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        status = n.get_status(id).await.unwrap();
    }
    assert_eq!(status.status, "ready", "{status:?}");
    let surface = serde_json::to_value(status.attack_surface.as_ref().expect("a surface")).unwrap();
    let service = surface["services"]
        .as_array()
        .and_then(|s| s.first())
        .cloned()
        .expect("one service");
    let host = service["host"].as_str().expect("host");
    let port = service["port"].as_u64().expect("port");

    // traffic: the service serves the minted flag
    let flag = reqwest::get(format!("http://{host}:{port}/flag"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(flag.trim(), "FLAG{node-client}");

    // what the platform reads while it runs and at stop
    assert!(n.check_health(id).await.unwrap().is_healthy);
    let verbose = n.check_health_verbose(id).await.unwrap();
    assert!(verbose.healthy);
    let listed = n.list_instances().await.unwrap();
    assert!(
        listed
            .items
            .iter()
            .any(|i| i.instance_id == id && i.status == "ready")
    );
    let page = n.get_traffic_page(id).await.unwrap();
    assert!(!page.truncated, "{page:?}");
    assert!(
        n.get_pcap(id).await.unwrap().is_none(),
        "no capture: 404 → None"
    );
    let logs = n.get_container_logs(id).await.unwrap();
    assert!(logs.logs.contains("CTFYRS-WEB-001 is ready"), "{logs:?}");
    assert!(n.get_agent_runtime(id).await.is_ok());
    assert!(n.list_containers(id).await.unwrap().is_empty());

    // stop; then the node no longer knows it
    let stopped = n.stop_instance(id).await.unwrap();
    assert_eq!(stopped.instance_id, id);
    assert_eq!(stopped.status, "stopped");
    let e = n.get_status(id).await.unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
    assert!(
        !e.api().unwrap().message().is_empty(),
        "the node's detail is kept"
    );
    assert!(
        reqwest::get(format!("http://{host}:{port}/flag"))
            .await
            .is_err()
    );

    // a wrong token: the node's 403 and its detail
    let wrong = NodeClient::new(node.public_url(), "nope").unwrap();
    let e = wrong.list_instances().await.unwrap_err();
    assert_eq!(e.status(), Some(403), "{e}");
    assert_eq!(e.api().unwrap().message(), "Invalid node token");

    node.shutdown().await;
}
