//! The live feed: print the platform's events as they come, and resync on every
//! (re)connection.
//!
//! The platform does not replay frames missed while a stream was down, so on each connection
//! the watcher re-reads the state it shows (here: the team's running instances) before it
//! trusts the frames again. Ctrl-C ends it cleanly.
//!
//! Team frames (instances, flags, achievements) reach only a `pt_` session token; with a `pf_`
//! API token the feed is the global frames alone, and the watcher says so.
//!
//! Environment: `CTFY_PLATFORM_URL` (else `CTFY_URL`) and `CTFY_TOKEN` (see
//! `PlatformClient::from_env`; `CTFY_SESSION_TOKEN` is used for the stream when set),
//! optionally `WATCH_MAX_EVENTS` (stop after that many events) and `WATCH_FOR_S` (stop after
//! that many seconds). Against the local platform:
//! `scripts/with-platform.sh cargo run --example watch_events`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use ctfy::client::EventStream;
use ctfy::models::InstanceStatus;
use ctfy::models::events::Event;
use ctfy::{Error, Notice, PlatformClient, TokenKind};
use futures::StreamExt;

/// When the watcher stops by itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// After this many events.
    pub max_events: Option<usize>,
    /// After this long.
    pub duration: Option<Duration>,
}

/// What a watch saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    /// Platform events printed.
    pub events: usize,
    /// Resyncs (one per connection).
    pub resyncs: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let limits = Limits {
        max_events: std::env::var("WATCH_MAX_EVENTS")
            .ok()
            .and_then(|v| v.parse().ok()),
        duration: std::env::var("WATCH_FOR_S")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs),
    };
    let client = match PlatformClient::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}", e.report());
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout();
    let watch = watch(&client, client.events(), limits, &mut stdout);
    tokio::select! {
        result = watch => match result {
            Ok(seen) => {
                eprintln!("{} events, {} resyncs", seen.events, seen.resyncs);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {}", e.report());
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted");
            ExitCode::SUCCESS
        }
    }
}

/// Prints `stream`'s events to `out` until a limit is reached or the stream ends, resyncing
/// from `client` on every connection.
///
/// # Errors
/// The stream's terminal error (rejected credentials, no event route…), or a failed resync.
pub async fn watch(
    client: &PlatformClient,
    mut stream: EventStream,
    limits: Limits,
    out: &mut impl Write,
) -> Result<Seen, Error> {
    let mut seen = Seen::default();
    let deadline = limits.duration.map(|d| tokio::time::Instant::now() + d);
    loop {
        if limits.max_events.is_some_and(|max| seen.events >= max) {
            return Ok(seen);
        }
        let next = match deadline {
            Some(at) => match tokio::time::timeout_at(at, stream.next()).await {
                Ok(next) => next,
                Err(_) => return Ok(seen),
            },
            None => stream.next().await,
        };
        let Some(item) = next else {
            return Ok(seen);
        };
        match item {
            Ok(Notice::Connected) => {
                line(out, "connected".into());
                resync(client, out).await?;
                seen.resyncs += 1;
            }
            Ok(Notice::Reconnected { attempt }) => {
                line(
                    out,
                    format!("reconnected (attempt {attempt}): frames may have been missed"),
                );
                resync(client, out).await?;
                seen.resyncs += 1;
            }
            Ok(Notice::Lagged { missed }) => {
                line(out, format!("fell behind: {missed} frames skipped"));
                resync(client, out).await?;
                seen.resyncs += 1;
            }
            Ok(Notice::FrameTooLarge { limit }) => {
                line(out, format!("a frame over {limit} bytes was dropped"));
                resync(client, out).await?;
                seen.resyncs += 1;
            }
            Ok(Notice::NoTeamEvents { token }) => {
                let kind = match token {
                    TokenKind::Api => "a pf_ API token",
                    TokenKind::Anonymous => "no token",
                    _ => "this token",
                };
                line(
                    out,
                    format!(
                        "note: {kind} sees only global frames; use a pt_ session token for the team's"
                    ),
                )
            }
            Ok(Notice::Event(e)) => {
                line(out, describe(&e));
                seen.events += 1;
            }
            Ok(_) => {}
            Err(e @ Error::EventDecode { .. }) => {
                line(out, format!("skipped a frame: {}", e.report()))
            }
            Err(e) => return Err(e),
        }
    }
}

/// Re-reads what the feed keeps up to date: the team's running instances.
async fn resync(client: &PlatformClient, out: &mut impl Write) -> Result<(), Error> {
    let instances = client.instances().list().await?;
    let running: Vec<String> = instances
        .items
        .iter()
        .filter(|i| matches!(i.status, InstanceStatus::Starting | InstanceStatus::Ready))
        .map(|i| format!("{} ({}, {})", i.id, i.challenge_id, i.status.as_str()))
        .collect();
    line(
        out,
        format!(
            "resync: {} running instances {}",
            running.len(),
            running.join(", ")
        ),
    );
    Ok(())
}

/// One line per event: its name, then what matters about it.
fn describe(e: &Event) -> String {
    let who = e.actor().map(|a| a.actor_name.as_str()).unwrap_or("");
    let what = match e {
        Event::InstanceStarted(x) => format!("{} {} by {who}", x.challenge_id, x.instance_id),
        Event::InstanceReady(x) => format!("{} {} is up", x.challenge_id, x.instance_id),
        Event::InstanceError(x) => format!("{} {}: {}", x.challenge_id, x.instance_id, x.error),
        Event::InstanceStopped(x) => format!(
            "{} {} ({})",
            x.challenge_id,
            x.instance_id,
            if x.reason.is_empty() {
                "stopped"
            } else {
                &x.reason
            }
        ),
        Event::FlagCorrect(x) => format!(
            "{} question {} by {who}{}",
            x.challenge_id,
            x.flag_id,
            if x.challenge_fully_solved {
                ", solved"
            } else {
                ""
            }
        ),
        Event::FlagWrong(x) => format!("{} by {who}", x.challenge_id),
        other => other.to_value().to_string(),
    };
    format!("{:<22} {what}", e.name())
}

fn line(out: &mut impl Write, text: String) {
    // A closed stdout (e.g. `| head`) ends nothing: the watcher keeps its own pace.
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use ctfy::models::With;
    use ctfy::models::events::{FlagCorrect, ScoreboardUpdated};
    use ctfy::testing::{EventScript, MockChallenge, MockPlatform};
    use ctfy::transport::events::SseConfig;

    #[tokio::test]
    async fn prints_frames_and_resyncs_on_every_connection() {
        let solved = Event::FlagCorrect(FlagCorrect::default().with(|it| {
            it.challenge_id = "WEB-1".parse().unwrap();
            it.flag_id = "flag".into();
            it.challenge_fully_solved = true;
        }));
        let mock = MockPlatform::builder()
            .challenge(MockChallenge::instance("WEB-1"))
            .events(
                EventScript::new()
                    .frame(solved)
                    .disconnect()
                    .frame(Event::ScoreboardUpdated(ScoreboardUpdated::default())),
            )
            .start()
            .await;
        let client = mock.session_client();
        // One instance runs before the watch: the resyncs must report it.
        client.instances().launch("WEB-1").await.unwrap();
        let fast = SseConfig::builder()
            .backoff(Duration::from_millis(10), Duration::from_millis(20))
            .build();
        let limits = Limits {
            max_events: Some(2),
            duration: Some(Duration::from_secs(10)),
        };
        let mut out = Vec::new();
        let seen = watch(&client, client.events_with(fast), limits, &mut out)
            .await
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            seen,
            Seen {
                events: 2,
                resyncs: 2
            },
            "{text}"
        );
        assert!(
            text.contains("flag_correct           WEB-1 question flag by , solved"),
            "{text}"
        );
        assert!(text.contains("reconnected (attempt 1)"), "{text}");
        assert_eq!(
            text.matches("resync: 1 running instances").count(),
            2,
            "{text}"
        );
        assert!(text.contains("scoreboard_updated"), "{text}");
    }

    #[tokio::test]
    async fn an_api_token_is_told_it_sees_only_global_frames() {
        let mock = MockPlatform::start().await;
        let client = mock.client();
        let limits = Limits {
            max_events: None,
            duration: Some(Duration::from_millis(300)),
        };
        let mut out = Vec::new();
        let seen = watch(&client, client.events(), limits, &mut out)
            .await
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("note: a pf_ API token sees only global frames"),
            "{text}"
        );
        assert_eq!(seen.resyncs, 1);
    }
}
