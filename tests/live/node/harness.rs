//! Starts the REAL worker node daemon of ctfy 0.7.0 (`ctfy[node]` in `.venv`) on loopback,
//! registered with the shared platform and cordoned before it is even started.
//!
//! Steps: a fresh admin-minted invite registers the node's future URL with capacity 0
//! (`POST /nodes/register`), the row is cordoned at once, then the daemon
//! (`real_node.py`: uvicorn on `create_node_app`) starts with the platform's reply — the
//! node id and token — in the store where the node keeps its identity (`node.sqlite3`), so
//! it boots as that registered node, serves the platform's calls with that token, and
//! beats. Nothing can be placed on it at any moment: capacity 0 and the cordon come before
//! it answers, and it has no Docker (`DOCKER_HOST` points at a socket that does not
//! exist). Its state (catalog, instances, data) is a temp dir of its own.
//!
//! [`RealNode`] kills the daemon and deletes its dir on drop; [`RealNode::remove`] deletes the
//! node from the platform.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ctfy::{AdminClient, NodeClient};

use crate::support::LiveEnv;

/// The one challenge of the node's own catalog (dynamic, one question, a compose file).
pub const CHALLENGE_ID: &str = "LIVENODE-WEB-001";

/// The daemon, its node id, URL and token.
pub struct RealNode {
    child: Child,
    dir: PathBuf,
    /// The platform's node id (`127.0.0.1_<port>`).
    pub id: String,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The per-node token the platform minted at registration.
    pub token: String,
}

impl RealNode {
    /// A client of this node with its token.
    pub fn client(&self) -> NodeClient {
        NodeClient::builder(&self.url)
            .token(&self.token)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("node client")
    }

    /// The end of the daemon's log (for failure messages).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("node.log")).unwrap_or_default();
        let start = log.len().saturating_sub(3000);
        log.get(start..).unwrap_or_default().to_owned()
    }

    /// Stops the daemon and deletes the node from the platform.
    pub async fn remove(mut self, admin: &AdminClient) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        admin
            .nodes()
            .remove(self.id.as_str())
            .await
            .expect("remove the test node from the platform");
    }
}

impl Drop for RealNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The venv's Python with `ctfy[node]`, or `None` (the test is skipped) when there is none;
/// under `CI=true` a missing venv is a failure.
fn python() -> Option<PathBuf> {
    let venv = std::env::var("CTFY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv")));
    let py = venv.join("bin/python");
    let ok = py.exists()
        && Command::new(&py)
            .args(["-c", "import ctfy.server.node_app, uvicorn"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if ok {
        return Some(py);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but {} has no ctfy[node]", venv.display());
    }
    eprintln!("skipped: no ctfy[node] venv at {}", venv.display());
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free loopback port")
        .port()
}

const METADATA: &str = "# ctfy-rs live_node test challenge (the real node's own catalog)
name: \"live node web\"
description: \"served only to NodeClient's live test; never started (no Docker)\"
difficulty: easy
category: web
tags:
  - web
questions:
  - id: flag
    prompt: \"What does GET /flag return?\"
";

const COMPOSE: &str = "services:\n  web:\n    image: busybox:latest\n    ports: [\"80\"]\n";

/// Registers, cordons and starts a real node; `None` when the venv is missing (skipped).
pub async fn start(env: &LiveEnv, admin: &AdminClient) -> Option<RealNode> {
    let py = python()?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir =
        std::env::temp_dir().join(format!("ctfy-rs-live-node-{}-{nanos}", std::process::id()));
    let chal = dir.join("challenges/LIVENODE").join(CHALLENGE_ID);
    std::fs::create_dir_all(&chal).unwrap();
    std::fs::write(chal.join("metadata.yaml"), METADATA).unwrap();
    std::fs::write(chal.join("docker-compose.yml"), COMPOSE).unwrap();

    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");

    // register the node's URL with a fresh invite, capacity 0; cordon it at once
    let invite = admin
        .nodes()
        .mint_invite()
        .ttl_seconds(std::time::Duration::from_secs(300))
        .await
        .expect("mint a node invite");
    let registered = AdminClient::connect(env.url(), invite.registration_token.as_str())
        .expect("invite client")
        .nodes()
        .register("ctfy-rs live_node real node", url.as_str())
        .capacity(0)
        .labels([("ctfy-rs".to_owned(), "live-node".to_owned())].into())
        .await
        .expect("register the test node");
    let cordoned = admin
        .nodes()
        .patch(registered.id.as_str())
        .cordoned(true)
        .await;
    if let Err(e) = cordoned {
        let _ = admin.nodes().remove(registered.id.as_str()).await;
        panic!("could not cordon the test node: {e}");
    }
    assert!(
        !registered.token.is_empty(),
        "the platform returns the token"
    );

    let log = std::fs::File::create(dir.join("node.log")).unwrap();
    let child = Command::new(py)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/live/node/real_node.py"
        ))
        .current_dir(&dir)
        .env("CTFY_TEST_NODE_PORT", port.to_string())
        .env("CTFY_TEST_NODE_ID", &registered.id)
        .env("CTFY_TEST_NODE_TOKEN", &registered.token)
        .env("CTFY_TEST_PLATFORM_URL", env.url())
        .env("CTFY_PROJECT_ROOT", dir.join("project"))
        .env("CTFY_CHALLENGES_DIR", dir.join("challenges"))
        .env("CTFY_INSTANCES_DIR", dir.join("instances"))
        .env("CTFY_INSTANCE_ARCHIVE_DIR", dir.join("archive"))
        .env("HOME", &dir)
        .env(
            "DOCKER_HOST",
            format!("unix://{}/no-docker.sock", dir.display()),
        )
        .env_remove("CTFY_DB_PATH")
        .env_remove("CTFY_NODE_TOKEN")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("spawn the real node");
    let mut node = RealNode {
        child,
        dir,
        id: registered.id,
        url,
        token: registered.token,
    };

    // wait until it answers with our token
    let client = node.client();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(Some(status)) = node.child.try_wait() {
            let tail = node.log_tail();
            node.remove(admin).await;
            panic!("the real node exited ({status}):\n{tail}");
        }
        if client.node_health().await.is_ok() {
            return Some(node);
        }
        if Instant::now() > deadline {
            let tail = node.log_tail();
            node.remove(admin).await;
            panic!("the real node did not answer within 90 s:\n{tail}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
