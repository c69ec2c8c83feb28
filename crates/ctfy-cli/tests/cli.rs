//! The `ctfy` command line against the real local platform (with the stand-in node).
//!
//! Run with `scripts/with-platform.sh cargo test -p ctfy-cli`; without a platform each test
//! prints `skipped` (and fails under `CI=true`).

mod support;

use ctfy::models::{
    ChallengeInfo, CompetitionInfo, InstanceInfo, InstanceStatusResponse, MeResponse,
    ScoreboardEntry, SubmissionResponse, TeamDetail, VerifyAnswerResponse,
};
use ctfy_cli::commands::InstanceReady;
use predicates::prelude::PredicateBooleanExt;
use serde::de::DeserializeOwned;

/// The live tests share the player's account: the tests that compare or revoke its state run
/// alone (a write lock), the others together (read locks), so no test sees another's change
/// half-way (a solve between the Python and the Rust listing, a session revoked mid-test).
static STATE: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn shared_state() -> std::sync::RwLockReadGuard<'static, ()> {
    STATE.read().unwrap_or_else(|e| e.into_inner())
}

fn exclusive_state() -> std::sync::RwLockWriteGuard<'static, ()> {
    STATE.write().unwrap_or_else(|e| e.into_inner())
}

/// Runs `ctfy --json ARGS` and parses stdout as `T`.
fn json<T: DeserializeOwned>(env: &support::LiveEnv, args: &[&str]) -> T {
    let out = env
        .ctfy()
        .arg("--json")
        .args(args)
        .output()
        .expect("run ctfy");
    assert!(
        out.status.success(),
        "ctfy {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ctfy {args:?}: stdout is not the model: {e}\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn quickstart_through_the_cli() {
    let env = live_env!();
    let _state = shared_state();
    let comp = env.var("COMPETITION_ID");
    let web = env.var("WEB_CHALLENGE_ID");

    let me: MeResponse = json(env, &["whoami"]);
    assert!(!me.email.is_empty());

    let running: Vec<CompetitionInfo> = json(env, &["competitions", "list", "--phase", "running"]);
    assert!(running.iter().any(|c| c.id.as_str() == comp));

    let team: TeamDetail = json(env, &["register", comp]);
    assert_eq!(team.competition_id.as_str(), comp);

    let challenges: Vec<ChallengeInfo> = json(env, &["challenges", "list", "-c", comp]);
    assert!(challenges.iter().any(|c| c.id.as_str() == web));

    let ready: InstanceReady = json(
        env,
        &["instance", "start", web, "-c", comp, "--timeout", "120"],
    );
    let service = ready
        .surface
        .web_service()
        .expect("the instance has a web service");
    let flag = support::http_get(&service.url(), "/flag");
    assert!(flag.starts_with("FLAG{"), "{flag}");

    let status: InstanceStatusResponse = json(env, &["instance", "status", &ready.id]);
    assert_eq!(status.status.as_str(), "ready");

    let listed: Vec<InstanceInfo> = json(env, &["instance", "list", "-c", comp]);
    assert!(listed.iter().any(|i| i.id.as_str() == ready.id));

    let verified: VerifyAnswerResponse = json(env, &["verify", &ready.id, &flag]);
    assert!(verified.correct);

    // A wrong answer: exit code 1, and still the model on stdout.
    let out = env
        .ctfy()
        .args(["--json", "submit", &ready.id, "FLAG{certainly-not}"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let wrong: SubmissionResponse = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!wrong.correct);

    let result: SubmissionResponse = json(env, &["submit", &ready.id, &flag]);
    assert!(result.correct, "{result:?}");

    let board: Vec<ScoreboardEntry> = json(env, &["scoreboard", "-c", comp]);
    assert!(!board.is_empty());

    // The platform stops a fully solved instance by itself, asynchronously: either our stop
    // or its auto-stop may come first (both seen on a busy machine).
    env.ctfy()
        .args(["instance", "stop", &ready.id])
        .assert()
        .success()
        .stdout(
            predicates::str::contains("stopped").or(predicates::str::contains("was already gone")),
        );

    // Gone now: not found.
    env.ctfy()
        .args(["instance", "status", &ready.id])
        .assert()
        .code(4)
        .stderr(predicates::str::contains("instance_not_found"));
}

#[test]
fn human_tables_by_default() {
    let env = live_env!();
    let _state = shared_state();
    let comp = env.var("COMPETITION_ID");
    let out = env
        .ctfy()
        .args(["challenges", "list", "-c", comp])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(env.var("WEB_CHALLENGE_ID")), "{text}");
    assert!(text.contains("difficulty"), "a header row: {text}");
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
}

#[test]
fn question_only_challenge() {
    let env = live_env!();
    let _state = shared_state();
    let comp = env.var("COMPETITION_ID");
    let qa = env.var("QA_CHALLENGE_ID");
    let list: Vec<ctfy::models::QaChallengeView> = json(env, &["qa", "list", "-c", comp]);
    assert!(list.iter().any(|q| q.id.as_str() == qa));
    // Capped attempts: spent by a fresh player, never the shared one.
    let player = support::fresh_player_blocking(env);
    // The wrong choice for the single-select question: exit code 1.
    env.ctfy_with_token(&player)
        .args(["qa", "answer", qa, "udp", "-c", comp, "-Q", "transport"])
        .assert()
        .code(1);
    // The static question's answer: exit code 0, and the model with --json.
    let out = env
        .ctfy_with_token(&player)
        .args(["--json", "qa", "answer", qa, "443", "-c", comp])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let right: SubmissionResponse = serde_json::from_slice(&out.stdout).unwrap();
    assert!(right.correct);
}

#[test]
fn bad_token_is_an_auth_error() {
    let env = live_env!();
    let _state = shared_state();
    env.ctfy_with_token("pf_not-a-real-token")
        .arg("whoami")
        .assert()
        .code(3)
        .stderr(predicates::str::contains("Invalid or revoked token"));
}

#[test]
fn unknown_instance_is_not_found() {
    let env = live_env!();
    let _state = shared_state();
    env.ctfy()
        .args(["instance", "status", "00000000-0000-4000-8000-000000000000"])
        .assert()
        .code(4)
        .stderr(predicates::str::contains("instance_not_found"));
}

#[test]
fn pf_token_on_admin_routes_is_refused() {
    let env = live_env!();
    let _state = shared_state();
    env.ctfy().args(["admin", "users", "list"]).assert().code(3);
}

#[test]
fn the_token_never_shows() {
    let env = live_env!();
    let _state = shared_state();
    let token = env.var("PLAYER_TOKEN");
    for args in [&["whoami"][..], &["instance", "status", "nope-nope"][..]] {
        let out = env.ctfy().args(args).output().unwrap();
        let all = [out.stdout, out.stderr].concat();
        assert!(!String::from_utf8_lossy(&all).contains(token), "{args:?}");
    }
}

#[test]
fn usage_errors_exit_2() {
    // No platform needed.
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_ctfy"));
    cmd.arg("instance").arg("frobnicate").assert().code(2);
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_ctfy"));
    cmd.env_remove("CTFY_URL")
        .env_remove("CTFY_PLATFORM_URL")
        .arg("whoami")
        .assert()
        .code(2);
}

#[test]
fn completions_and_help() {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_ctfy"));
    cmd.args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicates::str::contains("_ctfy"));
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_ctfy"));
    cmd.arg("--help")
        .assert()
        .success()
        .stdout(predicates::str::contains("Exit codes"));
}

/// A fresh `pt_` session for the player (minting needs a recent sign-in).
fn fresh_session(env: &support::LiveEnv) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let anon = ctfy::PlatformClient::new(env.url(), "").unwrap();
        anon.auth()
            .login(env.var("PLAYER_EMAIL"), env.var("PLAYER_PASSWORD"))
            .await
            .expect("log in")
            .token
    })
}

#[test]
fn tokens_mint_use_and_revoke() {
    let env = live_env!();
    let _state = exclusive_state();
    let session = fresh_session(env);
    let run = |token: &str, args: &[&str]| env.ctfy_with_token(token).args(args).output().unwrap();

    let out = run(
        &session,
        &[
            "--json",
            "tokens",
            "mint",
            "--label",
            "ctfy-cli-test",
            "--days",
            "1",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let minted: ctfy::models::CreateFineGrainedTokenResponse =
        serde_json::from_slice(&out.stdout).unwrap();
    assert!(minted.token.starts_with("pf_"));

    let listed: Vec<ctfy::models::TokenInfo> = serde_json::from_slice(
        &run(&session, &["--json", "tokens", "list", "--limit", "100"]).stdout,
    )
    .unwrap();
    assert!(listed.iter().any(|t| t.id == minted.id));

    assert!(run(&minted.token, &["whoami"]).status.success());
    let revoked = run(&session, &["tokens", "revoke", &minted.id]);
    assert!(
        revoked.status.success(),
        "tokens revoke: {}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert_eq!(run(&minted.token, &["whoami"]).status.code(), Some(3));

    // A pf_ token may not manage tokens.
    assert_eq!(
        run(env.var("PLAYER_TOKEN"), &["tokens", "list"])
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn admin_listings() {
    let env = live_env!();
    let _state = shared_state();
    let admin = env.var("ADMIN_TOKEN");
    let users: Vec<ctfy::models::AdminUserInfo> = {
        let out = env
            .ctfy_with_token(admin)
            .args(["--json", "admin", "users", "list"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert!(users.iter().any(|u| u.email == env.var("PLAYER_EMAIL")));
    let nodes: Vec<ctfy::models::NodeInfo> = serde_json::from_slice(
        &env.ctfy_with_token(admin)
            .args(["--json", "admin", "nodes", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(nodes.iter().any(|n| n.is_healthy));
    let comps: Vec<CompetitionInfo> = serde_json::from_slice(
        &env.ctfy_with_token(admin)
            .args(["--json", "admin", "competitions", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        comps
            .iter()
            .any(|c| c.id.as_str() == env.var("COMPETITION_ID"))
    );
    env.ctfy_with_token(admin)
        .args(["admin", "challenges", "publish", "NO-SUCH-UPLOAD"])
        .assert()
        .code(4);
}

#[test]
fn events_follow_the_stream_and_ctrl_c_exits_cleanly() {
    let env = live_env!();
    let _state = shared_state();
    let comp = env.var("COMPETITION_ID");
    let web = env.var("WEB_CHALLENGE_ID");
    let session = env.var("PLAYER_SESSION_TOKEN");

    // A follower that waits for this team's instance_ready.
    let mut follower = std::process::Command::new(env!("CARGO_BIN_EXE_ctfy"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CTFY_") {
            follower.env_remove(k);
        }
    }
    let follower = follower
        .env("CTFY_URL", env.url())
        .env("CTFY_TOKEN", session)
        .args([
            "--json",
            "events",
            "--type",
            "instance_ready",
            "--count",
            "1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let ready: InstanceReady = json(env, &["instance", "start", web, "-c", comp]);
    let out = wait_with_timeout(follower, 60);
    env.ctfy()
        .args(["instance", "stop", &ready.id])
        .assert()
        .success();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["event"], "instance_ready");

    // Ctrl-C (SIGINT) ends a follower with exit code 0.
    let mut idle = std::process::Command::new(env!("CARGO_BIN_EXE_ctfy"));
    let idle = idle
        .env_remove("CTFY_PLATFORM_URL")
        .env("CTFY_URL", env.url())
        .env("CTFY_TOKEN", session)
        .arg("events")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &idle.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = wait_with_timeout(idle, 20);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits for `child` at most `secs` seconds (killing it then) and collects its output.
fn wait_with_timeout(mut child: std::process::Child, secs: u64) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    panic!(
        "still running after {secs} s; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Python (`ctfy` or `ctfy-admin` of `CTFY_VENV`) or Rust binary with a clean environment:
/// no `CTFY_*` variable of the caller, credentials in `config` (a fresh directory), the
/// platform URL, and `token` when not empty.
fn binary(
    env: &support::LiveEnv,
    program: &std::path::Path,
    config: &std::path::Path,
    token: &str,
) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("CTFY_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("CTFY_CONFIG_HOME", config)
        .env("CTFY_SKIP_VERSION_CHECK", "1")
        .timeout(std::time::Duration::from_secs(120));
    if !token.is_empty() {
        cmd.env("CTFY_TOKEN", token)
            .env("CTFY_PLATFORM_URL", env.url());
    }
    cmd
}

fn python_bin(name: &str) -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("CTFY_VENV")?;
    Some(std::path::Path::new(&venv).join("bin").join(name))
}

fn rust_bin(name: &str) -> std::path::PathBuf {
    match name {
        "ctfy-admin" => env!("CARGO_BIN_EXE_ctfy-admin").into(),
        _ => env!("CARGO_BIN_EXE_ctfy").into(),
    }
}

fn fresh_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ctfy-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The JSON document a Python command printed after its log lines.
fn python_json(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with('[') || line.starts_with('{') {
            let mut de = serde_json::Deserializer::from_str(&text[start..]).into_iter();
            if let Some(Ok(v)) = de.next()
                && text[start + de.byte_offset()..].trim().is_empty()
            {
                return v;
            }
        }
        start += line.len();
    }
    panic!("no JSON document at the end of: {text}");
}

/// Drops the fields that change between two calls a moment apart.
fn without_volatile(v: &mut serde_json::Value) {
    const VOLATILE: &[&str] = &[
        "last_heartbeat",
        "last_used_at",
        "last_active_at",
        "ip_address",
        "user_agent",
        "load",
        "running",
    ];
    match v {
        serde_json::Value::Array(a) => a.iter_mut().for_each(without_volatile),
        serde_json::Value::Object(o) => {
            for k in VOLATILE {
                o.remove(*k);
            }
            o.values_mut().for_each(without_volatile);
        }
        _ => {}
    }
}

#[test]
fn json_listings_match_the_python_cli() {
    let env = live_env!();
    let _state = exclusive_state();
    let Some(_) = python_bin("ctfy") else {
        println!("skipped: no CTFY_VENV (run through scripts/with-platform.sh)");
        return;
    };
    let config = fresh_dir("compare");
    let player = env.var("PLAYER_SESSION_TOKEN");
    let admin = env.var("ADMIN_TOKEN");
    let user = env.var("PLAYER_USER_ID");
    let team = env.var("PLAYER_TEAM_ID");
    let comp = env.var("COMPETITION_ID");
    let web = env.var("WEB_CHALLENGE_ID");
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("ctfy", player, vec!["team", "list"]),
        ("ctfy", player, vec!["team", "achievements", team]),
        ("ctfy", player, vec!["competition", "list"]),
        ("ctfy", player, vec!["achievement", "catalog"]),
        ("ctfy", player, vec!["scoreboard", "users"]),
        ("ctfy", player, vec!["me", "view"]),
        ("ctfy", player, vec!["me", "inbox"]),
        ("ctfy", player, vec!["auth", "tokens", "list"]),
        ("ctfy", player, vec!["llm-key", "list"]),
        ("ctfy", player, vec!["instance", "list"]),
        ("ctfy", player, vec!["submission", "list"]),
        (
            "ctfy",
            player,
            vec!["challenge", "view", web, "--competition", comp],
        ),
        ("ctfy-admin", admin, vec!["admin", "users", "list"]),
        ("ctfy-admin", admin, vec!["admin", "users", "view", user]),
        ("ctfy-admin", admin, vec!["admin", "competition", "list"]),
        ("ctfy-admin", admin, vec!["admin", "announcement", "list"]),
        ("ctfy-admin", admin, vec!["node", "list"]),
    ];
    let mut compared = 0;
    for (bin, token, args) in &cases {
        let run = |program: std::path::PathBuf| {
            binary(env, &program, &config, token)
                .args(args)
                .arg("--json")
                .output()
                .unwrap()
        };
        let py = run(python_bin(bin).unwrap());
        let rs = run(rust_bin(bin));
        assert_eq!(
            py.status.success(),
            rs.status.success(),
            "{bin} {args:?}: exit {:?} (Python) vs {:?} (Rust): {}",
            py.status.code(),
            rs.status.code(),
            String::from_utf8_lossy(&rs.stderr)
        );
        if !py.status.success() {
            continue;
        }
        let mut want = python_json(&py.stdout);
        let mut got: serde_json::Value = serde_json::from_slice(&rs.stdout).unwrap_or_else(|e| {
            panic!(
                "{bin} {args:?}: stdout is not JSON: {e}: {}",
                String::from_utf8_lossy(&rs.stdout)
            )
        });
        without_volatile(&mut want);
        without_volatile(&mut got);
        assert_eq!(got, want, "{bin} {args:?}: --json differs from Python's");
        compared += 1;
    }
    assert_eq!(compared, cases.len());
    let _ = std::fs::remove_dir_all(&config);
}

#[test]
fn credentials_are_shared_with_the_python_cli() {
    let env = live_env!();
    let _state = exclusive_state();
    let Some(py) = python_bin("ctfy") else {
        println!("skipped: no CTFY_VENV (run through scripts/with-platform.sh)");
        return;
    };
    let config = fresh_dir("login");
    // Python signs in and saves config.toml + token; the Rust binary uses them with no
    // URL or token given.
    let out = binary(env, &py, &config, "")
        .args(["--platform-url", env.url(), "login"])
        .args(["--email", env.var("PLAYER_EMAIL")])
        .args(["--password", env.var("PLAYER_PASSWORD")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(config.join("config.toml").exists() && config.join("token").exists());
    let me: serde_json::Value = serde_json::from_slice(
        &binary(env, &rust_bin("ctfy"), &config, "")
            .args(["me", "view", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(me["email"], env.var("PLAYER_EMAIL"));
    let status: serde_json::Value = serde_json::from_slice(
        &binary(env, &rust_bin("ctfy"), &config, "")
            .args(["auth", "status", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let key = env.url().trim_start_matches("http://");
    assert_eq!(status["current"], key);
    // The saved token is not printed whole.
    assert!(
        !status.to_string().contains(
            &std::fs::read_to_string(config.join("token"))
                .unwrap()
                .trim()
                .to_owned()
        )
    );

    // The Rust binary's logout forgets it (without revoking: Python's session stays valid)…
    binary(env, &rust_bin("ctfy"), &config, "")
        .args(["logout", "--no-revoke"])
        .assert()
        .success();
    assert!(!config.join("token").exists());
    // …and without a token a command that needs one says so, exit 2.
    binary(env, &rust_bin("ctfy"), &config, "")
        .args(["--platform-url", env.url(), "me", "view"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no token"));

    // The Rust binary's login is read by the Python CLI.
    binary(env, &rust_bin("ctfy"), &config, "")
        .args(["--platform-url", env.url(), "login"])
        .args(["--email", env.var("PLAYER_EMAIL")])
        .args(["--password", env.var("PLAYER_PASSWORD")])
        .assert()
        .success()
        .stdout(predicates::str::contains("Logged in as"));
    let out = binary(env, &py, &config, "")
        .args(["me", "view", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(python_json(&out.stdout)["email"], env.var("PLAYER_EMAIL"));
    // Logging out forgets it; the platform refuses to revoke the token in use (409), which
    // is a warning, as with the Python CLI.
    binary(env, &rust_bin("ctfy"), &config, "")
        .args(["logout"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Removed host"));
    assert!(!config.join("token").exists());
    let _ = std::fs::remove_dir_all(&config);
}

#[test]
fn operator_commands_through_ctfy_admin() {
    let env = live_env!();
    let _state = shared_state();
    let config = fresh_dir("admin");
    let admin = env.var("ADMIN_TOKEN");
    let run = |args: &[&str]| {
        let out = binary(env, &rust_bin("ctfy-admin"), &config, admin)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ctfy-admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let created: serde_json::Value = serde_json::from_str(&run(&[
        "admin",
        "announcement",
        "create",
        "--title",
        "from ctfy-admin",
        "--body",
        "hello",
        "--json",
    ]))
    .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let listed: serde_json::Value =
        serde_json::from_str(&run(&["admin", "announcement", "list", "--json"])).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id.as_str())
    );
    run(&["admin", "announcement", "delete", &id]);
    let table = run(&["admin", "users", "list"]);
    assert!(table.contains(env.var("PLAYER_EMAIL")), "{table}");
    // A player's token is refused on operator routes (exit 3, like `ctfy admin`).
    binary(
        env,
        &rust_bin("ctfy-admin"),
        &config,
        env.var("PLAYER_SESSION_TOKEN"),
    )
    .args(["admin", "users", "list"])
    .assert()
    .code(3);
    // No token at all: said before anything is sent.
    binary(env, &rust_bin("ctfy-admin"), &config, "")
        .args(["--platform-url", env.url(), "admin", "users", "list"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no token"));
    let _ = std::fs::remove_dir_all(&config);
}

/// `ctfy events` stops with an error instead of retrying in silence when the platform is
/// down or answers 5xx before the stream is connected (no live platform needed).
#[test]
fn events_stop_when_the_platform_is_down_or_failing() {
    let config = fresh_dir("events-down");
    // Nothing listens on a port that was just closed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // A server that answers 500 to everything.
    let failing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = failing.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in failing.incoming().flatten() {
            let mut conn = conn;
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut conn, &mut buf);
            let _ = std::io::Write::write_all(
                &mut conn,
                b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: 16\r\nconnection: close\r\n\r\n{\"detail\":\"no\"}",
            );
        }
    });
    // Exit 5 (transient) for the refused connection; the failing server's answer is 5 or 6
    // depending on whether the SDK read the 500 or the closed connection last.
    for (url, codes) in [
        (format!("http://127.0.0.1:{closed}"), &[5][..]),
        (format!("http://127.0.0.1:{port}"), &[5, 6][..]),
    ] {
        for args in [vec!["events"], vec!["events", "watch"]] {
            let mut cmd = assert_cmd::Command::new(rust_bin("ctfy"));
            for (k, _) in std::env::vars() {
                if k.starts_with("CTFY_") {
                    cmd.env_remove(k);
                }
            }
            cmd.env("CTFY_CONFIG_HOME", &config)
                .env("CTFY_TOKEN", "pf_not_used")
                .args(["--platform-url", &url])
                .args(&args)
                .timeout(std::time::Duration::from_secs(60))
                .assert()
                .code(predicates::function::function(|c: &i32| codes.contains(c)))
                .stderr(predicates::str::contains("/api/v1/health"));
        }
    }
    let _ = std::fs::remove_dir_all(&config);
}
