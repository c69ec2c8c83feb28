//! Starts the stand-in node in-process against a tiny fake platform and plays one
//! instance: register → heartbeat → start → ready → GET /flag → stop.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use ctfy_standin_node::{NodeConfig, start};
use serde_json::{Value, json};

#[derive(Default)]
struct Fake {
    registrations: Vec<Value>,
    heartbeats: Vec<Value>,
}

type Shared = Arc<Mutex<Fake>>;

const TOKEN: &str = "node-token-123";

fn bearer(h: &HeaderMap) -> String {
    h.get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim_start_matches("Bearer ")
        .to_string()
}

async fn register(
    State(s): State<Shared>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if bearer(&h) != "reg_test" {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"detail": "Invalid invite or admin credentials"})),
        );
    }
    let url = body["url"].as_str().unwrap_or_default().to_string();
    let id = url.trim_start_matches("http://").replace([':', '/'], "_");
    s.lock().unwrap().registrations.push(body.clone());
    (
        StatusCode::OK,
        Json(json!({"id": id, "url": url, "capacity": body["capacity"], "token": TOKEN})),
    )
}

async fn heartbeat(
    State(s): State<Shared>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if bearer(&h) != TOKEN {
        return (StatusCode::FORBIDDEN, Json(json!({"detail": "bad"})));
    }
    s.lock().unwrap().heartbeats.push(body);
    (
        StatusCode::OK,
        Json(json!({"status": "ok", "live_instance_ids": []})),
    )
}

async fn fake_platform() -> (String, Shared) {
    let state: Shared = Arc::default();
    let app = Router::new()
        .route("/api/v1/nodes/register", post(register))
        .route("/api/v1/nodes/heartbeat", post(heartbeat))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

async fn wait_status(http: &reqwest::Client, base: &str, id: &str, want: &str) -> Value {
    for _ in 0..100 {
        let v: Value = http
            .get(format!("{base}/api/v1/instances/{id}/status"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["status"] == want {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("instance {id} never became {want}");
}

#[tokio::test]
async fn register_heartbeat_start_flag_stop() {
    let (platform, fake) = fake_platform().await;
    let dir = std::env::temp_dir().join(format!("standin-test-{}", std::process::id()));
    let mut cfg = NodeConfig::new(&platform, "reg_test");
    cfg.start_delay = Duration::from_millis(100);
    cfg.state_dir = Some(dir.clone());
    cfg.ready_file = Some(dir.join("ready"));
    cfg.heartbeat_interval = Duration::from_secs(1);
    let node = start(cfg).await.expect("node starts");
    let base = node.public_url().to_string();
    let node_id = node.node_id();
    assert_eq!(
        node_id,
        base.trim_start_matches("http://").replace(':', "_")
    );
    assert_eq!(node.node_token(), TOKEN);

    // Registration and the first heartbeat happened before start() returned.
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.registrations.len(), 1);
        assert_eq!(f.registrations[0]["display_name"], "ctfy-rs stand-in node");
        assert_eq!(f.registrations[0]["labels"]["standin"], "true");
        assert_eq!(f.heartbeats.len(), 1);
        assert_eq!(f.heartbeats[0]["id"], node_id.as_str());
        assert_eq!(f.heartbeats[0]["version"], "0.7.0");
        assert_eq!(f.heartbeats[0]["running"], 0);
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("ready")).unwrap().trim(),
        node_id
    );
    let node_json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("node.json")).unwrap()).unwrap();
    assert_eq!(node_json["token"], TOKEN);

    let http = reqwest::Client::new();

    // Auth: missing → 401, wrong → 403, unknown route → 404 with detail.
    let r = http
        .get(format!("{base}/api/v1/instances"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["detail"],
        "Missing bearer token"
    );
    let r = http
        .get(format!("{base}/api/v1/instances"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["detail"],
        "Invalid node token"
    );
    let r = http
        .get(format!("{base}/api/v1/instances/x/vpn-config"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["detail"],
        "stand-in node does not implement GET /api/v1/instances/x/vpn-config"
    );
    // Malformed JSON → 422.
    let r = http
        .post(format!("{base}/api/v1/instances"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.json::<Value>().await.unwrap()["detail"].is_array());

    // Start an instance whose id needs percent-encoding.
    let id = "inst 1/ä";
    let enc = "inst%201%2F%C3%A4";
    let r = http
        .post(format!("{base}/api/v1/instances"))
        .bearer_auth(TOKEN)
        .json(&json!({
            "authored_revision": "", "challenge_id": "CTFYRS-WEB-001", "instance_id": id,
            "ttl": 10800, "answers": {"flag": "FLAG{abc}", "token": "0123abcd"},
            "proxy_output_dir": null, "env": {}, "publish_gamebox": true,
            "match_network": null, "open_shell_password": ""
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let started: Value = r.json().await.unwrap();
    assert_eq!(
        started,
        json!({"instance_id": id, "status": "starting", "question_params": {}})
    );
    let st = wait_status(&http, &base, enc, "starting").await;
    assert!(st["attack_surface"].is_null());

    let st = wait_status(&http, &base, enc, "ready").await;
    assert_eq!(st["error"], Value::Null);
    let svc = &st["attack_surface"]["services"][0];
    assert_eq!(svc["service_type"], "http");
    assert_eq!(svc["host"], "127.0.0.1");
    assert_eq!(svc["path"], "/");
    assert_eq!(svc["label"], "web");
    assert_eq!(st["attack_surface"]["provided_files"], json!([]));
    let port = svc["port"].as_u64().unwrap();
    let svc_url = format!("http://127.0.0.1:{port}");
    assert_eq!(
        http.get(format!("{svc_url}/flag"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "FLAG{abc}"
    );
    assert_eq!(
        http.get(format!("{svc_url}/flag/token"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "0123abcd"
    );
    let all: Value = http
        .get(format!("{svc_url}/answers.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["flag"], "FLAG{abc}");
    let list: Value = http
        .get(format!("{base}/api/v1/instances"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["instance_id"], id);
    assert_eq!(list["items"][0]["status"], "ready");

    // The next heartbeat reports the live instance.
    for _ in 0..40 {
        if fake.lock().unwrap().heartbeats.last().unwrap()["running"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        fake.lock().unwrap().heartbeats.last().unwrap()["running"],
        1
    );

    // Debug routes need no auth and show the answers.
    let dbg: Value = http
        .get(format!("{base}/_standin/instances"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dbg["items"][0]["answers"]["flag"], "FLAG{abc}");

    // Stop: the service goes away, a second stop is 404.
    let r = http
        .delete(format!("{base}/api/v1/instances/{enc}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"instance_id": id, "status": "stopped"})
    );
    assert!(http.get(format!("{svc_url}/flag")).send().await.is_err());
    let r = http
        .delete(format!("{base}/api/v1/instances/{enc}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .get(format!("{base}/api/v1/instances/{enc}/status"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A FAIL challenge goes to error.
    let r = http
        .post(format!("{base}/api/v1/instances"))
        .bearer_auth(TOKEN)
        .json(&json!({"challenge_id": "CTFYRS-FAIL-001", "instance_id": "f1", "ttl": 60, "answers": {"flag": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let st = wait_status(&http, &base, "f1", "error").await;
    assert_eq!(
        st["error"],
        "stand-in node: simulated start failure for CTFYRS-FAIL-001"
    );

    // Every platform→node call was logged.
    let log = std::fs::read_to_string(dir.join("requests.jsonl")).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("\"POST\"") && l.contains("FLAG{abc}"))
    );

    node.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_invite_fails_to_start() {
    let (platform, _fake) = fake_platform().await;
    let err = start(NodeConfig::new(&platform, "reg_wrong"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn service_port_range_is_used() {
    let (platform, _fake) = fake_platform().await;
    // Find a free port and use a one-port range.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let mut cfg = NodeConfig::new(&platform, "reg_test");
    cfg.start_delay = Duration::from_millis(10);
    cfg.service_ports = Some((port, port));
    let node = start(cfg).await.unwrap();
    let base = node.public_url().to_string();
    let http = reqwest::Client::new();
    http.post(format!("{base}/api/v1/instances"))
        .bearer_auth(TOKEN)
        .json(
            &json!({"challenge_id": "C", "instance_id": "a", "ttl": 60, "answers": {"flag": "F"}}),
        )
        .send()
        .await
        .unwrap();
    let st = wait_status(&http, &base, "a", "ready").await;
    assert_eq!(st["attack_surface"]["services"][0]["port"], port);
    // stop-all clears everything.
    let r = http
        .post(format!("{base}/api/v1/admin/stop-all"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(node.running(), 0);
    node.shutdown().await;
}
