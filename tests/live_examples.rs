//! Every example, run as a user runs it (the built binary, configured by its environment)
//! against the real local platform. Their logic is unit-tested against `ctfy::testing` in
//! the example files themselves (`tests/examples.rs`).
//!
//! Agents play as fresh users, registered here, so the runs neither depend on nor disturb
//! the state the other live tests share.

#[path = "live/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use ctfy::models::InstanceStatus;
use ctfy::{PlatformClient, Registration};
use support::LiveEnv;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// The example binary `cargo test` built beside this test binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile dir");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} not built: run through cargo test",
        path.display()
    );
    path
}

/// A command for the example `name`, with the platform URL and nothing else of this test's
/// environment that the example reads.
fn command(env: &LiveEnv, name: &str) -> Command {
    let mut cmd = Command::new(example(name));
    for (key, _) in std::env::vars() {
        let ours = key.starts_with("CTFY_") && key != "CTFY_LIVE_ENV";
        if ours || key.starts_with("AGENT_") || key.starts_with("WATCH_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("CTFY_URL", env.url())
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    cmd
}

async fn run(mut cmd: Command) -> (Output, String) {
    let out = tokio::time::timeout(Duration::from_secs(180), cmd.output())
        .await
        .expect("the example finishes in 3 minutes")
        .expect("the example starts");
    let text = format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

fn unique() -> String {
    format!(
        "{:x}{:04x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
        std::process::id() & 0xffff
    )
}

/// A fresh user's `pt_` session token and client, registered solo in the competition when
/// `join`.
async fn fresh_player(env: &LiveEnv, join: bool) -> (String, PlatformClient) {
    let tag = unique();
    let token = PlatformClient::new(env.url(), "")
        .unwrap()
        .auth()
        .register(
            format!("live-example-{tag}@example.com"),
            format!("pw-{tag}-long-enough"),
        )
        .display_name(format!("example-{tag}"))
        .await
        .expect("register")
        .token
        .as_str()
        .to_owned();
    let client = PlatformClient::new(env.url(), token.as_str()).unwrap();
    if join {
        client
            .competition(env.var("COMPETITION_ID"))
            .unwrap()
            .register(Registration::Solo)
            .await
            .expect("join");
    }
    (token, client)
}

async fn assert_nothing_running(client: &PlatformClient) {
    let running: Vec<_> = client
        .instances()
        .list()
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|i| matches!(i.status, InstanceStatus::Starting | InstanceStatus::Ready))
        .collect();
    assert!(running.is_empty(), "left running: {running:?}");
}

#[tokio::test]
async fn quickstart_plays_one_challenge() {
    let env = live_env!();
    let (token, client) = fresh_player(env, false).await;
    let mut cmd = command(env, "quickstart");
    cmd.env("CTFY_TOKEN", &token)
        .env("CTFY_COMPETITION", env.var("COMPETITION_ID"))
        .env("CTFY_CHALLENGE", env.var("WEB_CHALLENGE_ID"));
    let (out, text) = run(cmd).await;
    assert!(out.status.success(), "{text}");
    assert!(text.contains("correct=true"), "{text}");
    assert_nothing_running(&client).await;
}

#[tokio::test]
async fn agent_loop_plays_the_whole_competition() {
    let env = live_env!();
    let (token, client) = fresh_player(env, false).await;
    let mut cmd = command(env, "agent_loop");
    cmd.env("CTFY_TOKEN", &token)
        .env("CTFY_COMPETITION", env.var("COMPETITION_ID"))
        .env("AGENT_CONCURRENCY", "2")
        .env("AGENT_START_TIMEOUT_S", "90");
    let (out, text) = run(cmd).await;
    // The harness competition holds a challenge that always fails to start: exit status 1.
    assert_eq!(out.status.code(), Some(1), "{text}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = |id: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no row for {id}: {text}"))
            .to_owned()
    };
    assert!(
        row(env.var("WEB_CHALLENGE_ID")).contains("solved ("),
        "{text}"
    );
    assert!(
        row(env.var("FAIL_CHALLENGE_ID")).contains("FAILED: start:"),
        "{text}"
    );
    assert!(
        row(env.var("QA_CHALLENGE_ID")).contains("skipped"),
        "{text}"
    );
    assert_nothing_running(&client).await;

    // Run again: what is solved stays solved, and nothing is submitted twice.
    let before = client.submissions().list().await.unwrap().total;
    let mut cmd = command(env, "agent_loop");
    cmd.env("CTFY_TOKEN", &token)
        .env("CTFY_COMPETITION", env.var("COMPETITION_ID"))
        .env("AGENT_START_TIMEOUT_S", "90");
    let (_, text) = run(cmd).await;
    assert!(text.contains("already solved"), "{text}");
    assert_eq!(
        client.submissions().list().await.unwrap().total,
        before,
        "{text}"
    );
}

#[tokio::test]
async fn watch_events_prints_the_team_frames() {
    let env = live_env!();
    let (token, client) = fresh_player(env, true).await;
    let mut cmd = command(env, "watch_events");
    cmd.env("CTFY_TOKEN", &token)
        .env("WATCH_MAX_EVENTS", "2")
        .env("WATCH_FOR_S", "90")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("watch_events starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // Wait for the first resync: the stream is connected, frames from now on arrive.
    while let Some(line) = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("watch_events connects")
        .unwrap()
    {
        let connected = line.starts_with("resync:");
        seen.push(line);
        if connected {
            break;
        }
    }
    let ready = client
        .instances()
        .start(env.var("WEB_CHALLENGE_ID"))
        .competition_id(env.var("COMPETITION_ID"))
        .deadline(Duration::from_secs(90))
        .await
        .unwrap();
    while let Some(line) = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the frames arrive")
        .unwrap()
    {
        seen.push(line);
    }
    let status = child.wait().await.unwrap();
    client.instances().stop(&ready.id).await.unwrap();
    let text = seen.join("\n");
    assert!(status.success(), "{text}");
    assert!(text.contains("instance_started"), "{text}");
    assert!(text.contains(&format!("{} is up", ready.id)), "{text}");
}

#[tokio::test]
async fn admin_bootstrap_publishes_a_competition() {
    let env = live_env!();
    let email = format!("live-invitee-{}@example.com", unique());
    let challenges = format!(
        "{},{}",
        env.var("WEB_CHALLENGE_ID"),
        env.var("QA_CHALLENGE_ID")
    );
    let mut cmd = command(env, "admin_bootstrap");
    cmd.env("CTFY_ADMIN_TOKEN", env.var("ADMIN_TOKEN"))
        .env("BOOTSTRAP_TITLE", format!("live bootstrap {}", unique()))
        .env("BOOTSTRAP_CHALLENGES", &challenges)
        .env("BOOTSTRAP_INVITE", &email);
    let (out, text) = run(cmd).await;
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&format!("invited {email}")), "{text}");
    let id = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("competition_id=").map(str::to_owned))
        .unwrap_or_else(|| panic!("no competition_id line: {text}"));
    let seen = env.player().competitions().get(&id).await.unwrap();
    let ids: Vec<&str> = seen.challenge_ids.iter().map(|c| c.as_str()).collect();
    assert_eq!(ids.join(","), challenges);
    assert_eq!(seen.phase.as_str(), "running");
    // Leave the shared platform as it was.
    env.client("ADMIN_TOKEN")
        .admin()
        .competitions()
        .delete(&id)
        .await
        .unwrap();
}

#[tokio::test]
async fn scoreboard_prints_the_ranking() {
    let env = live_env!();
    let mut cmd = command(env, "scoreboard");
    cmd.env("CTFY_TOKEN", env.var("PLAYER_TOKEN"))
        .env("CTFY_COMPETITION", env.var("COMPETITION_ID"));
    let (out, text) = run(cmd).await;
    assert!(out.status.success(), "{text}");
    let title = env
        .player()
        .competitions()
        .get(env.var("COMPETITION_ID"))
        .await
        .unwrap()
        .title;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().next(), Some(title.as_str()), "{text}");
    assert!(stdout.lines().nth(1).unwrap().contains("rank"), "{text}");
}

#[tokio::test]
async fn the_benchmark_examples_run() {
    let env = live_env!();
    let mut cmd = command(env, "bench_client");
    cmd.args(["50", "20"]);
    let (out, text) = run(cmd).await;
    assert!(out.status.success(), "{text}");
    let mut cmd = command(env, "bench_start_latency");
    cmd.arg("1");
    let (out, text) = run(cmd).await;
    assert!(out.status.success(), "{text}");
}
