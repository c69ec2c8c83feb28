//! Shared set-up of the live tests: the local platform started by `scripts/platform-up.sh`.
//!
//! The tests read the env file the script writes (`.state/current/ctfy.env`) or the same
//! variables from the environment. Without them a test passes after saying it was skipped,
//! except under CI (`CI=true`), where a missing platform is a failure.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The variables of the local platform's env file.
pub struct LiveEnv {
    vars: HashMap<String, String>,
}

impl LiveEnv {
    /// A variable of the env file; panics with its name when missing.
    pub fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{key} missing from the live env file"))
    }

    /// The platform URL.
    pub fn url(&self) -> &str {
        self.var("CTFY_URL")
    }

    /// A player client with the player's `pf_` token.
    pub fn player(&self) -> ctfy::PlatformClient {
        self.client("PLAYER_TOKEN")
    }

    /// A client with the token stored under `key`.
    pub fn client(&self, key: &str) -> ctfy::PlatformClient {
        ctfy::PlatformClient::new(self.url(), self.var(key)).expect("client")
    }
}

fn load() -> Option<LiveEnv> {
    let mut vars: HashMap<String, String> = HashMap::new();
    let file = std::env::var("CTFY_LIVE_ENV").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/.state/current/ctfy.env").to_owned()
    });
    if let Ok(text) = std::fs::read_to_string(&file) {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                if !k.trim_start().starts_with('#') {
                    vars.insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
        }
    }
    for (k, v) in std::env::vars() {
        if k.starts_with("CTFY_") || k.ends_with("_TOKEN") || k.ends_with("_ID") {
            vars.entry(k).or_insert(v);
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
        eprintln!("skipped: no local platform (run scripts/with-platform.sh cargo test)");
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

/// Fetches the flag the stand-in node serves for an instance's web service.
pub async fn capture_flag(ready: &ctfy::client::ReadyInstance, question: &str) -> String {
    let service = ready.surface.web_service().expect("web service");
    let url = if question == "flag" {
        format!("{}/flag", service.url())
    } else {
        format!("{}/flag/{question}", service.url())
    };
    reqwest::get(url)
        .await
        .expect("GET flag")
        .error_for_status()
        .expect("flag status")
        .text()
        .await
        .expect("flag body")
}

/// Starts `challenge` in `competition` for `client` and waits for it, polling every 250 ms
/// (the live platform readies a stand-in instance in well under a second).
pub async fn start_ready(
    client: &ctfy::PlatformClient,
    challenge: &str,
    competition: &str,
) -> ctfy::client::ReadyInstance {
    client
        .instances()
        .start(challenge)
        .competition_id(competition)
        .poll_interval(std::time::Duration::from_millis(250))
        .await
        .expect("start")
}
