//! The local platform `scripts/with-platform.sh` starts: its variables, a fresh player and a
//! fresh competition per test (so the tests share no team state), and running the binary.

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ctfy::models::CompetitionId;
use ctfy::{AdminClient, PlatformClient, Registration};

/// The platform's variables (from the environment `with-platform.sh` exports).
pub struct Live {
    /// `CTFY_URL`.
    pub url: String,
    admin_token: String,
}

impl Live {
    /// A variable; panics with its name when missing.
    pub fn var(&self, key: &str) -> String {
        std::env::var(key).unwrap_or_else(|_| panic!("{key} missing from the platform's env"))
    }
}

/// The platform, or `None` (test skipped) when none runs; under `CI=true` a missing platform
/// fails.
pub fn live() -> Option<Live> {
    let url = std::env::var("CTFY_URL").ok();
    let admin = std::env::var("ADMIN_TOKEN").ok();
    let reachable = url.as_deref().is_some_and(|u| {
        let addr = u.trim_start_matches("http://").trim_end_matches('/');
        std::net::TcpStream::connect(addr).is_ok()
    });
    match (url, admin) {
        (Some(url), Some(admin_token)) if reachable => Some(Live { url, admin_token }),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but no local platform: run scripts/with-platform.sh cargo test");
            }
            eprintln!(
                "skipped: no local platform (run scripts/with-platform.sh cargo test -p ctfy-agent)"
            );
            None
        }
    }
}

fn hex() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:x}",
        nanos ^ (u64::from(std::process::id()) << 40) ^ n.wrapping_mul(0x9E37_79B9)
    )
}

/// A fresh player registered (solo) in a fresh competition holding `challenges`.
pub struct Player {
    /// The player's `pt_` session token.
    pub token: String,
    /// Its client.
    pub client: PlatformClient,
    /// The competition.
    pub competition: CompetitionId,
}

/// Registers a fresh user, creates a published competition with `challenges` and registers
/// the user solo in it.
pub async fn fresh_player(live: &Live, area: &str, challenges: &[&str]) -> Player {
    let admin = AdminClient::connect(&live.url, &live.admin_token).expect("admin client");
    let comp = admin
        .competitions()
        .create(format!("agent-{area}-{}", hex()))
        .description([("en".to_owned(), format!("ctfy-agent e2e ({area})"))].into())
        .challenge_ids(challenges.iter().copied())
        .status("published")
        .access("public")
        .await
        .expect("create competition");
    let anon = PlatformClient::new(&live.url, "").unwrap();
    let token = anon
        .auth()
        .register(
            format!("agent-{area}-{}@example.com", hex()),
            format!("pw-{}-long-enough", hex()),
        )
        .display_name(format!("agent {area}"))
        .await
        .expect("register")
        .token;
    let client = PlatformClient::new(&live.url, token.as_str()).unwrap();
    client
        .competition(&comp.id)
        .unwrap()
        .register(Registration::Solo)
        .await
        .expect("join the competition");
    Player {
        token,
        client,
        competition: comp.id,
    }
}

/// Runs the `ctfy-agent` binary with `args` in a bare environment plus `vars`.
pub async fn run_binary(
    args: &[&str],
    vars: &[(String, String)],
    work_dir: Option<&Path>,
) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ctfy-agent"));
    cmd.args(args).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    if let Some(dir) = work_dir {
        cmd.env("CTFY_WORK_DIR", dir);
    }
    cmd.output().await.expect("run ctfy-agent")
}

/// The command running a built example of this package (`cargo test` builds them beside
/// the test binaries) in a bare environment plus `vars`.
pub fn example_command(name: &str, vars: &[(String, String)]) -> tokio::process::Command {
    let exe = std::env::current_exe().unwrap();
    let examples = exe.parent().unwrap().parent().unwrap().join("examples");
    let mut cmd = tokio::process::Command::new(examples.join(name));
    cmd.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

/// The `ctfy-agent` binary in a bare environment plus `vars` (not started).
pub fn binary_command(vars: &[(String, String)]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ctfy-agent"));
    cmd.env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

/// A fresh empty directory under the system's temp dir.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ctfy-agent-{name}-{}", hex()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
