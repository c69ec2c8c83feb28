//! The `ctfy` command line against the real local platform (with the stand-in node).
//!
//! Run with `scripts/with-platform.sh cargo test -p ctfy-cli`; without a platform each test
//! prints `skipped` (and fails under `CI=true`).

mod support;

use ctfy::Page;
use ctfy::models::{
    ChallengeInfo, CompetitionInfo, InstanceInfo, InstanceStatusResponse, MeResponse,
    ScoreboardEntry, SubmissionResponse, TeamDetail, VerifyAnswerResponse,
};
use ctfy_cli::commands::InstanceReady;
use predicates::prelude::PredicateBooleanExt;
use serde::de::DeserializeOwned;

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
    let comp = env.var("COMPETITION_ID");
    let web = env.var("WEB_CHALLENGE_ID");

    let me: MeResponse = json(env, &["whoami"]);
    assert!(!me.email.is_empty());

    let running: Page<CompetitionInfo> = json(env, &["competitions", "list", "--phase", "running"]);
    assert!(running.items.iter().any(|c| c.id.as_str() == comp));

    let team: TeamDetail = json(env, &["register", comp]);
    assert_eq!(team.competition_id.as_str(), comp);

    let challenges: Page<ChallengeInfo> = json(env, &["challenges", "list", "-c", comp]);
    assert!(challenges.items.iter().any(|c| c.id.as_str() == web));

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

    let listed: Page<InstanceInfo> = json(env, &["instance", "list", "-c", comp]);
    assert!(listed.items.iter().any(|i| i.id.as_str() == ready.id));

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

    let board: Page<ScoreboardEntry> = json(env, &["scoreboard", "-c", comp]);
    assert!(!board.items.is_empty());

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
    env.ctfy_with_token("pf_not-a-real-token")
        .arg("whoami")
        .assert()
        .code(3)
        .stderr(predicates::str::contains("Invalid or revoked token"));
}

#[test]
fn unknown_instance_is_not_found() {
    let env = live_env!();
    env.ctfy()
        .args(["instance", "status", "00000000-0000-4000-8000-000000000000"])
        .assert()
        .code(4)
        .stderr(predicates::str::contains("instance_not_found"));
}

#[test]
fn pf_token_on_admin_routes_is_refused() {
    let env = live_env!();
    env.ctfy().args(["admin", "users", "list"]).assert().code(3);
}

#[test]
fn the_token_never_shows() {
    let env = live_env!();
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

    let listed: Page<ctfy::models::TokenInfo> = serde_json::from_slice(
        &run(&session, &["--json", "tokens", "list", "--limit", "100"]).stdout,
    )
    .unwrap();
    assert!(listed.items.iter().any(|t| t.id == minted.id));

    assert!(run(&minted.token, &["whoami"]).status.success());
    assert!(
        run(&session, &["tokens", "revoke", &minted.id])
            .status
            .success()
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
    let admin = env.var("ADMIN_TOKEN");
    let users: Page<ctfy::models::AdminUserInfo> = {
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
    assert!(
        users
            .items
            .iter()
            .any(|u| u.email == env.var("PLAYER_EMAIL"))
    );
    let nodes: Page<ctfy::models::NodeInfo> = serde_json::from_slice(
        &env.ctfy_with_token(admin)
            .args(["--json", "admin", "nodes", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(nodes.items.iter().any(|n| n.is_healthy));
    let comps: Page<CompetitionInfo> = serde_json::from_slice(
        &env.ctfy_with_token(admin)
            .args(["--json", "admin", "competitions", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        comps
            .items
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
