//! Shared set-up of the live CLI and MCP tests: the local platform started by
//! `scripts/platform-up.sh` (or `scripts/with-platform.sh`).
//!
//! The tests read the env file the script writes (`.state/current/ctfy.env` at the workspace
//! root) or the same variables from the environment. Without a reachable platform a test
//! passes after printing `skipped`, except under CI (`CI=true`), where that is a failure.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::OnceLock;
use std::time::Duration;

/// The variables of the local platform's env file.
pub struct LiveEnv {
    vars: HashMap<String, String>,
}

impl LiveEnv {
    /// A variable; panics with its name when missing.
    pub fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{key} missing from the live env file"))
    }

    /// A variable, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    /// The platform URL.
    pub fn url(&self) -> &str {
        self.var("CTFY_URL")
    }

    /// A `ctfy` command that talks to the platform with the player's `pf_` token (and no
    /// other `CTFY_*` variable of the caller's environment).
    pub fn ctfy(&self) -> assert_cmd::Command {
        self.ctfy_with_token(self.var("PLAYER_TOKEN"))
    }

    /// A `ctfy` command with `token`.
    pub fn ctfy_with_token(&self, token: &str) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_ctfy"));
        for (k, _) in std::env::vars() {
            if k.starts_with("CTFY_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("CTFY_URL", self.url())
            .env("CTFY_TOKEN", token)
            .timeout(Duration::from_secs(180));
        cmd
    }
}

fn load() -> Option<LiveEnv> {
    let mut vars: HashMap<String, String> = HashMap::new();
    let file = std::env::var("CTFY_LIVE_ENV").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../.state/current/ctfy.env").to_owned()
    });
    if let Ok(text) = std::fs::read_to_string(&file) {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=')
                && !k.trim_start().starts_with('#')
            {
                vars.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }
    // The environment (e.g. from with-platform.sh) wins over a leftover env file.
    for (k, v) in std::env::vars() {
        if k.starts_with("CTFY_") || k.ends_with("_TOKEN") || k.ends_with("_ID") {
            vars.insert(k, v);
        }
    }
    let reachable = vars.get("CTFY_URL").is_some_and(|u| {
        let addr = u.trim_start_matches("http://").trim_end_matches('/');
        std::net::TcpStream::connect(addr).is_ok()
    });
    (reachable && vars.contains_key("PLAYER_TOKEN")).then_some(LiveEnv { vars })
}

/// The live environment, or `None` (test skipped) when no local platform runs. Under CI a
/// missing platform panics.
pub fn live() -> Option<&'static LiveEnv> {
    static ENV: OnceLock<Option<LiveEnv>> = OnceLock::new();
    let env = ENV.get_or_init(load).as_ref();
    if env.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "CI=true but no local platform is running: start it with scripts/platform-up.sh"
            );
        }
        eprintln!(
            "skipped: no local platform (run scripts/with-platform.sh cargo test -p ctfy-cli)"
        );
    }
    env
}

/// Returns from the test when no platform runs.
#[macro_export]
macro_rules! live_env {
    () => {
        match $crate::support::live() {
            Some(env) => env,
            None => return,
        }
    };
}

/// `GET http://host:port/path` over a plain socket (the stand-in's flag endpoint); the body.
pub fn http_get(base: &str, path: &str) -> String {
    let hostport = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host:port")
        .to_owned();
    let mut s = std::net::TcpStream::connect(&hostport).expect("connect to the service");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {hostport}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read the answer");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.contains(" 200 "), "GET {path}: {head}");
    body.trim().to_owned()
}

/// A new player account registered solo in the competition: its `pt_` session token. For
/// tests that spend capped attempts, so they never lock a question for the shared player.
pub async fn fresh_player(env: &LiveEnv) -> String {
    let nonce = format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let anon = ctfy::PlatformClient::new(env.url(), "").unwrap();
    let token = anon
        .auth()
        .register(format!("cli-{nonce}@example.com"), "ctfy-cli-test-password")
        .await
        .expect("register a fresh player")
        .token;
    let player = ctfy::PlatformClient::new(env.url(), token.as_str()).unwrap();
    player
        .competition(env.var("COMPETITION_ID"))
        .unwrap()
        .register(ctfy::Registration::Solo)
        .await
        .expect("register the fresh player solo");
    token
}

/// [`fresh_player`] from synchronous code.
pub fn fresh_player_blocking(env: &LiveEnv) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fresh_player(env))
}
