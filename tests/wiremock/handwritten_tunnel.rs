//! Wiremock tests of the hand-written `instances().tunnel` (hand-written too): the config comes
//! from a mock platform, the backends are fakes in a temporary directory given to
//! `.search_path`: a `wg-socks` (Python) that stores its stdin and argv and accepts TCP on the
//! `-bind` address, and a `wg-quick` (shell) that logs its verb, file name and file mode.

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use ctfy::Error;
use ctfy::client::TunnelMode;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use super::support::*;

const INSTANCE: &str = "5b0c7a52-9f0e-4c1e-9d57-2a8c1f0e6b11";
const CONF: &str = "[Interface]\nPrivateKey = cHJpdmF0ZQ==\nAddress = 10.13.0.2/32\n\n[Peer]\nPublicKey = cHVibGlj\nEndpoint = 127.0.0.1:51820\nAllowedIPs = 10.13.0.0/24\n";

const FAKE_SOCKS: &str = r#"#!/usr/bin/env python3
import os, socket, sys
here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
open(os.path.join(here, "socks.args"), "w").write(" ".join(args))
open(os.path.join(here, "socks.conf"), "w").write(sys.stdin.read())
host, port = args[args.index("-bind") + 1].rsplit(":", 1)
print("fake wg-socks up", flush=True)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, int(port)))
s.listen()
while True:
    s.accept()[0].close()
"#;

const BROKEN_SOCKS: &str =
    "#!/bin/sh\ncat >/dev/null\necho 'bad config: no [Interface] section' >&2\nexit 3\n";

const SILENT_SOCKS: &str = "#!/bin/sh\necho 'handshake pending'\nexec sleep 60\n";

const FAKE_WG_QUICK: &str = "#!/bin/sh\necho \"$1 $(basename \"$2\") $(stat -c %a \"$2\") $(head -n 1 \"$2\")\" >> \"$(dirname \"$0\")/wg-quick.log\"\n";

const FAILING_WG_QUICK: &str =
    "#!/bin/sh\necho 'RTNETLINK answers: Operation not permitted' >&2\nexit 1\n";

/// A fresh directory of fake backends.
struct Bin(PathBuf);

impl Bin {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ctfy-tunnel-test-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Bin(dir)
    }

    /// Writes an executable script. The file is written by a `sh` child, not by this process:
    /// a write descriptor open here could leak into a process another test forks at that
    /// moment, and executing the script would then fail with "text file busy".
    fn add(self, name: &str, script: &str) -> Self {
        use std::io::Write;
        let p = self.0.join(name);
        let mut sh = std::process::Command::new("sh")
            .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
            .arg(&p)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        sh.stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        assert!(sh.wait().unwrap().success());
        self
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join(name)).unwrap_or_default()
    }

    fn dirs(&self) -> Vec<PathBuf> {
        vec![self.0.clone()]
    }
}

impl Drop for Bin {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn mount_config(s: &Server) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/instances/{INSTANCE}/vpn-config")))
        .and(query_param("competition_id", COMPETITION_ID))
        .and(header("authorization", "Bearer pf_test"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/plain")
                .insert_header("content-disposition", "attachment; filename=\"wg0.conf\"")
                .set_body_bytes(CONF.as_bytes()),
        )
        .mount(&s.mock)
        .await;
}

fn tunnel_error(r: ctfy::Result<ctfy::client::Tunnel>) -> String {
    match r {
        Err(Error::Tunnel(msg)) => msg,
        other => panic!("expected Error::Tunnel, got {other:?}"),
    }
}

fn accepts(addr: std::net::SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// Polls `cond` for up to 5 s.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cond()
}

fn conf_dir(log: &str) -> Option<PathBuf> {
    // Not exposed: the directory is `$TMPDIR/ctfy-wg-*`, found through the logged file name.
    let iface = log.split_whitespace().nth(1)?.trim_end_matches(".conf");
    std::fs::read_dir(std::env::temp_dir())
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|d| d.join(format!("{iface}.conf")).exists())
}

#[tokio::test]
async fn socks_mode_spawns_the_helper_with_the_config_on_stdin_and_close_kills_it() {
    let s = Server::start().await;
    mount_config(&s).await;
    let bin = Bin::new("socks").add("wg-socks", FAKE_SOCKS);
    let tun = s
        .client()
        .instances()
        .tunnel(INSTANCE)
        .competition_id(COMPETITION_ID)
        .mode(TunnelMode::Socks)
        .search_path(bin.dirs())
        .await
        .expect("tunnel");
    let addr = tun.socks5_addr().expect("a SOCKS5 address");
    assert!(addr.ip().is_loopback());
    assert_eq!(
        tun.socks5().as_deref(),
        Some(format!("socks5h://127.0.0.1:{}", addr.port()).as_str())
    );
    assert!(!tun.full_network());
    assert_eq!(tun.interface(), None);
    assert_eq!(bin.read("socks.conf"), CONF);
    assert_eq!(
        bin.read("socks.args"),
        format!("-config - -bind 127.0.0.1:{}", addr.port())
    );
    assert!(accepts(addr));
    tun.close().await.expect("close");
    assert!(!accepts(addr), "the helper still listens after close");
}

#[tokio::test]
async fn dropping_a_socks_tunnel_kills_the_helper() {
    let s = Server::start().await;
    mount_config(&s).await;
    let bin = Bin::new("socks-drop").add("wg-socks", FAKE_SOCKS);
    let tun = s
        .client()
        .instances()
        .tunnel(INSTANCE)
        .competition_id(COMPETITION_ID)
        .search_path(bin.dirs())
        .await
        .expect("tunnel");
    let addr = tun.socks5_addr().expect("auto without wg-quick is SOCKS5");
    assert!(accepts(addr));
    drop(tun);
    assert!(
        eventually(|| !accepts(addr)).await,
        "the helper still listens after drop"
    );
}

#[tokio::test]
async fn interface_mode_runs_wg_quick_up_then_down_on_close() {
    let s = Server::start().await;
    mount_config(&s).await;
    let bin = Bin::new("iface").add("wg-quick", FAKE_WG_QUICK);
    let tun = s
        .client()
        .instances()
        .tunnel(INSTANCE)
        .competition_id(COMPETITION_ID)
        .mode(TunnelMode::Interface)
        .can_create_interface(true)
        .search_path(bin.dirs())
        .await
        .expect("tunnel");
    let iface = tun.interface().expect("an interface").to_owned();
    assert!(iface.starts_with("ctfy") && iface.len() <= 15, "{iface}");
    assert!(tun.full_network());
    assert_eq!(tun.socks5(), None);
    let up = bin.read("wg-quick.log");
    assert_eq!(up, format!("up {iface}.conf 600 [Interface]\n"));
    let dir = conf_dir(&up).expect("the config directory exists while the tunnel is up");
    tun.close().await.expect("close");
    assert_eq!(
        bin.read("wg-quick.log"),
        format!("up {iface}.conf 600 [Interface]\ndown {iface}.conf 600 [Interface]\n")
    );
    assert!(!dir.exists(), "the config directory outlived close");
}

#[tokio::test]
async fn dropping_an_interface_tunnel_runs_wg_quick_down() {
    let s = Server::start().await;
    mount_config(&s).await;
    let bin = Bin::new("iface-drop").add("wg-quick", FAKE_WG_QUICK);
    let tun = s
        .client()
        .instances()
        .tunnel(INSTANCE)
        .competition_id(COMPETITION_ID)
        .can_create_interface(true)
        .search_path(bin.dirs())
        .await
        .expect("tunnel");
    let iface = tun
        .interface()
        .expect("auto with wg-quick and privileges")
        .to_owned();
    let dir = conf_dir(&bin.read("wg-quick.log")).expect("config directory");
    drop(tun);
    assert!(
        eventually(|| bin
            .read("wg-quick.log")
            .contains(&format!("down {iface}.conf")))
        .await,
        "no wg-quick down after drop"
    );
    assert!(
        eventually(|| !dir.exists()).await,
        "the config directory outlived drop"
    );
}

#[tokio::test]
async fn auto_prefers_the_interface_only_when_this_process_may_create_one() {
    let s = Server::start().await;
    mount_config(&s).await;
    let bin = Bin::new("auto")
        .add("wg-quick", FAKE_WG_QUICK)
        .add("wg-socks", FAKE_SOCKS);
    let open = |capable: bool| {
        s.client()
            .instances()
            .tunnel(INSTANCE)
            .competition_id(COMPETITION_ID)
            .mode(TunnelMode::Auto)
            .can_create_interface(capable)
            .search_path(bin.dirs())
    };
    let tun = open(true).await.expect("interface");
    assert!(tun.interface().is_some() && tun.socks5().is_none());
    tun.close().await.unwrap();
    let tun = open(false).await.expect("socks");
    assert!(tun.interface().is_none() && tun.socks5().is_some());
    tun.close().await.unwrap();
    // Only the interface run touched wg-quick.
    assert_eq!(bin.read("wg-quick.log").lines().count(), 2);
}

#[tokio::test]
async fn missing_backends_give_a_tunnel_error_with_the_install_hint() {
    let s = Server::start().await;
    mount_config(&s).await;
    let empty = Bin::new("empty");
    let quick_only = Bin::new("quick-only").add("wg-quick", FAKE_WG_QUICK);
    // Not executable: does not count.
    let not_exec = Bin::new("not-exec");
    std::fs::write(not_exec.0.join("wg-socks"), FAKE_SOCKS).unwrap();
    let open = |mode: TunnelMode, dirs: Vec<PathBuf>, capable: bool| {
        s.client()
            .instances()
            .tunnel(INSTANCE)
            .competition_id(COMPETITION_ID)
            .mode(mode)
            .can_create_interface(capable)
            .search_path(dirs)
    };

    let msg = tunnel_error(open(TunnelMode::Auto, empty.dirs(), true).await);
    assert!(msg.contains("no WireGuard backend found"), "{msg}");
    assert!(msg.contains("go build -o ~/.local/bin/wg-socks"), "{msg}");
    assert!(msg.contains("apt install wireguard-tools"), "{msg}");

    let msg = tunnel_error(open(TunnelMode::Socks, not_exec.dirs(), true).await);
    assert!(
        msg.contains("mode Socks needs the userspace helper `wg-socks`"),
        "{msg}"
    );
    assert!(msg.contains("go build"), "{msg}");

    let msg = tunnel_error(open(TunnelMode::Interface, empty.dirs(), true).await);
    assert!(msg.contains("apt install wireguard-tools"), "{msg}");

    let msg = tunnel_error(open(TunnelMode::Interface, quick_only.dirs(), false).await);
    assert!(msg.contains("needs CAP_NET_ADMIN"), "{msg}");
    assert!(msg.contains("--cap-add NET_ADMIN"), "{msg}");

    let msg = tunnel_error(open(TunnelMode::Auto, quick_only.dirs(), false).await);
    assert!(msg.contains("lacks CAP_NET_ADMIN"), "{msg}");
    assert!(msg.contains("go build"), "{msg}");
    assert_eq!(quick_only.read("wg-quick.log"), "", "wg-quick must not run");
}

#[tokio::test]
async fn backend_failures_quote_its_output() {
    let s = Server::start().await;
    mount_config(&s).await;
    let open = |mode: TunnelMode, bin: &Bin| {
        s.client()
            .instances()
            .tunnel(INSTANCE)
            .competition_id(COMPETITION_ID)
            .mode(mode)
            .can_create_interface(true)
            .helper_timeout(Duration::from_secs(1))
            .search_path(bin.dirs())
    };

    let failing = Bin::new("wg-fail").add("wg-quick", FAILING_WG_QUICK);
    let msg = tunnel_error(open(TunnelMode::Interface, &failing).await);
    assert!(msg.contains("wg-quick up failed"), "{msg}");
    assert!(
        msg.contains("RTNETLINK answers: Operation not permitted"),
        "{msg}"
    );

    let broken = Bin::new("socks-broken").add("wg-socks", BROKEN_SOCKS);
    let msg = tunnel_error(open(TunnelMode::Socks, &broken).await);
    assert!(
        msg.contains("exited before opening its SOCKS5 port"),
        "{msg}"
    );
    assert!(msg.contains("bad config: no [Interface] section"), "{msg}");

    let silent = Bin::new("socks-silent").add("wg-socks", SILENT_SOCKS);
    let started = Instant::now();
    let msg = tunnel_error(open(TunnelMode::Socks, &silent).await);
    assert!(
        msg.contains("did not open a SOCKS5 port within 1s"),
        "{msg}"
    );
    assert!(msg.contains("handshake pending"), "{msg}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_vpn_config_error_passes_through_before_any_backend_is_looked_for() {
    let s = Server::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/instances/{INSTANCE}/vpn-config")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "code": "vpn_config_not_available",
            "detail": "This instance has no VPN config",
            "timestamp": "2026-11-22T22:27:33.936721Z"
        })))
        .mount(&s.mock)
        .await;
    let empty = Bin::new("404");
    let err = s
        .client()
        .instances()
        .tunnel(INSTANCE)
        .search_path(empty.dirs())
        .await
        .expect_err("404");
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert_eq!(err.code(), Some("vpn_config_not_available"));
    assert!(matches!(err, Error::Api(_)));
}

#[tokio::test]
async fn an_invalid_instance_id_is_refused_before_any_request() {
    let s = Server::start().await;
    let err = s
        .client()
        .instances()
        .tunnel("..")
        .await
        .expect_err("invalid");
    assert!(matches!(err, Error::InvalidId(_)), "{err:?}");
}
