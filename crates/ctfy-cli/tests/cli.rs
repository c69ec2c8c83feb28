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

    env.ctfy()
        .args(["instance", "stop", &ready.id])
        .assert()
        .success()
        .stdout(predicates::str::contains("stopped"));

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
    // The wrong choice for the single-select question: exit code 1.
    env.ctfy()
        .args(["qa", "answer", qa, "udp", "-c", comp, "-Q", "transport"])
        .assert()
        .code(1);
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
