//! An engagement instance is played through its userspace tunnel: the SDK's mock platform
//! serves the instance as `engagement` and a config, and a fake `wg-socks` on a private
//! search path is a small loopback SOCKS5 proxy that logs every CONNECT it relays.

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ctfy::With;
use ctfy::models::{InstanceInfo, InstanceInfoNetworkTopology};
use ctfy::testing::{Fixture, MockChallenge, MockPlatform, Route};
use ctfy_agent::harness::{RunError, RunOptions, run};
use serde_json::json;
use support::{
    FnModel, assistant_turns, final_turn, last_result, stub_challenge, target, tool_turn,
};

/// The first instance the mock platform launches.
const FIRST_INSTANCE: &str = "00000000-0000-4000-8000-000000000001";

/// A `wg-socks` stand-in: reads the config on stdin, serves SOCKS5 (no auth, CONNECT) on
/// `-bind`, appends `host:port` of every CONNECT to `connects.log` beside itself.
const FAKE_WG_SOCKS: &str = r#"#!/usr/bin/env python3
import os, socket, struct, sys, threading
bind = sys.argv[sys.argv.index("-bind") + 1]
host, port = bind.rsplit(":", 1)
sys.stdin.read()
log = os.path.join(os.path.dirname(os.path.abspath(__file__)), "connects.log")
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, int(port)))
srv.listen(16)

def recvn(c, n):
    buf = b""
    while len(buf) < n:
        d = c.recv(n - len(buf))
        if not d:
            raise OSError("eof")
        buf += d
    return buf

def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def serve(c):
    try:
        _, n = recvn(c, 2)
        recvn(c, n)
        c.sendall(b"\x05\x00")
        _, _, _, atyp = recvn(c, 4)
        if atyp == 1:
            h = socket.inet_ntoa(recvn(c, 4))
        elif atyp == 3:
            h = recvn(c, recvn(c, 1)[0]).decode()
        else:
            h = socket.inet_ntop(socket.AF_INET6, recvn(c, 16))
        p = struct.unpack(">H", recvn(c, 2))[0]
        with open(log, "a") as f:
            f.write(f"{h}:{p}\n")
        up = socket.create_connection((h, p))
        c.sendall(b"\x05\x00\x00\x01" + bytes(6))
        threading.Thread(target=pipe, args=(up, c), daemon=True).start()
        pipe(c, up)
    except OSError:
        c.close()

while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

/// A private directory holding an executable `wg-socks`.
struct Bin(PathBuf);

impl Bin {
    fn new(name: &str, script: &str) -> Bin {
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("ctfy-agent-tunnel-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wg-socks");
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Bin(dir)
    }

    fn connects(&self) -> String {
        std::fs::read_to_string(self.0.join("connects.log")).unwrap_or_default()
    }
}

impl Drop for Bin {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options(mock: &MockPlatform, bin: &Bin) -> RunOptions {
    let mut o = RunOptions::new("ENG-1".parse().unwrap());
    o.competition_id = Some(mock.competition_id());
    o.start_deadline = Duration::from_secs(5);
    o.tunnel_search_path = Some(vec![bin.0.clone()]);
    o
}

async fn engagement_platform() -> MockPlatform {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("ENG-1").question("flag", "FLAG{through}"))
        .start()
        .await;
    stub_challenge(&mock, "ENG-1").await;
    mock.on(|c| c.instances().get(FIRST_INSTANCE))
        .returns(InstanceInfo::fixture().with(|i| {
            i.id = FIRST_INSTANCE.parse().unwrap();
            i.network_topology = InstanceInfoNetworkTopology::Engagement;
            i.questions.clear();
        }));
    mock
}

#[tokio::test]
async fn http_request_of_an_engagement_goes_through_its_tunnel() {
    let mock = engagement_platform().await;
    mock.on(|c| c.instances().vpn_config(FIRST_INSTANCE))
        .returns_json(200, "[Interface]\nPrivateKey = fake\n");
    let bin = Bin::new("through", FAKE_WG_SOCKS);
    let seen = Arc::new(Mutex::new(String::new()));
    let seen_by_model = seen.clone();
    let model = FnModel::new(move |t: &[ctfy_agent::Turn]| match assistant_turns(t) {
        0 => tool_turn(
            "http_request",
            json!({"url": format!("{}/flag", target(t))}),
        ),
        _ => {
            *seen_by_model.lock().unwrap() = last_result(t).unwrap_or_default().to_owned();
            final_turn("done")
        }
    });
    run(&mock.client(), &model, &options(&mock, &bin))
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(seen.contains("FLAG{through}"), "{seen}");
    let url = reqwest::Url::parse(mock.url()).unwrap();
    let platform = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    assert!(
        bin.connects().lines().any(|l| l == platform),
        "the proxy relayed {:?}, not {platform}",
        bin.connects()
    );
    assert_eq!(mock.requests(Route::Stop), 1, "the instance is stopped");
}

#[tokio::test]
async fn a_tunnel_that_cannot_open_fails_the_run_with_its_reason_and_stops_the_instance() {
    let mock = engagement_platform().await;
    mock.on(|c| c.instances().vpn_config(FIRST_INSTANCE)).fails(
        404,
        "vpn_config_not_available",
        "No VPN config for this instance",
    );
    let bin = Bin::new("refused", FAKE_WG_SOCKS);
    let model = FnModel::new(|_: &[ctfy_agent::Turn]| final_turn("never asked"));
    let err = run(&mock.client(), &model, &options(&mock, &bin))
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::Platform { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("opening the tunnel"), "{msg}");
    assert!(msg.contains("vpn_config_not_available"), "{msg}");
    assert!(model.tools_offered().is_empty(), "no model call");
    assert_eq!(mock.requests(Route::Stop), 1, "the instance is stopped");
    assert!(bin.connects().is_empty());
}

#[tokio::test]
async fn a_missing_helper_fails_the_run_with_the_tunnels_reason() {
    let mock = engagement_platform().await;
    mock.on(|c| c.instances().vpn_config(FIRST_INSTANCE))
        .returns_json(200, "[Interface]\n");
    let empty = Bin::new("missing", "");
    std::fs::remove_file(empty.0.join("wg-socks")).unwrap();
    let model = FnModel::new(|_: &[ctfy_agent::Turn]| final_turn("never asked"));
    let err = run(&mock.client(), &model, &options(&mock, &empty))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("wg-socks"), "{msg}");
    assert!(model.tools_offered().is_empty());
    assert_eq!(mock.requests(Route::Stop), 1, "the instance is stopped");
}

#[test]
fn the_proxy_env_of_an_external_command_keeps_the_platform_direct() {
    let env = ctfy_agent::external::proxy_env(
        "socks5h://127.0.0.1:4000",
        "http://platform.example:8000/api/v1/mcp",
    );
    let get = |k: &str| env.iter().find(|(n, _)| *n == k).unwrap().1.clone();
    for k in ["http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"] {
        assert_eq!(get(k), "socks5h://127.0.0.1:4000");
    }
    assert_eq!(get("NO_PROXY"), "localhost,127.0.0.1,::1,platform.example");
    assert_eq!(get("no_proxy"), get("NO_PROXY"));
}

#[tokio::test]
async fn an_external_command_of_an_engagement_gets_the_tunnel_as_proxy_variables() {
    let mock = engagement_platform().await;
    mock.on(|c| c.instances().vpn_config(FIRST_INSTANCE))
        .returns_json(200, "[Interface]\n");
    let bin = Bin::new("external", FAKE_WG_SOCKS);
    let env_file = bin.0.join("env.txt");
    let ext = ctfy_agent::external::ExternalOptions {
        command: vec![
            "sh".into(),
            "-c".into(),
            format!("env > '{}'", env_file.display()),
        ],
        timeout: Duration::from_secs(30),
        usage_file: None,
        mcp_url: format!("{}/api/v1/mcp", mock.url()),
        token: "t".into(),
    };
    let result = ctfy_agent::external::run_external(&mock.client(), &options(&mock, &bin), &ext)
        .await
        .unwrap();
    assert_eq!(result.stop_reason.to_string(), "completed");
    let env = std::fs::read_to_string(&env_file).unwrap();
    let var = |k: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} not set: {env}"))
            .to_owned()
    };
    for k in ["http_proxy", "HTTP_PROXY", "https_proxy", "ALL_PROXY"] {
        assert!(var(k).starts_with("socks5h://127.0.0.1:"), "{k}={}", var(k));
    }
    assert!(var("NO_PROXY").split(',').any(|h| h == "127.0.0.1"));
    assert_eq!(mock.requests(Route::Stop), 1, "the instance is stopped");
}
