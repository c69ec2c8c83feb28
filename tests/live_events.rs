//! Live tests of the event stream against the real platform (`scripts/platform-up.sh`).
//!
//! Without a running platform they print why and pass, except under `CI=true`, where they fail.

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

use std::collections::HashSet;
use std::time::Duration;

use ctfy::client::{EventStream, Notice};
use ctfy::models::events::Event;
use futures::StreamExt;

use crate::support::capture_flag;

async fn connected(client: &ctfy::PlatformClient) -> EventStream {
    let mut events = client.events();
    match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
        Ok(Some(Ok(Notice::Connected))) => events,
        other => panic!("the event stream did not connect: {other:?}"),
    }
}

/// The instance an instance or flag event is about.
fn instance_of(e: &Event) -> Option<&str> {
    Some(match e {
        Event::InstanceStarted(e) => e.instance_id.as_str(),
        Event::InstanceReady(e) => e.instance_id.as_str(),
        Event::InstanceStopped(e) => e.instance_id.as_str(),
        Event::FlagWrong(e) => e.instance_id.as_str(),
        Event::FlagCorrect(e) => e.instance_id.as_str(),
        _ => return None,
    })
}

#[tokio::test]
async fn a_player_session_stream_sees_its_own_play() {
    let env = live_env!();
    let client = env.client("PLAYER_SESSION_TOKEN");
    let mut events = connected(&client).await;

    let ready = client
        .instances()
        .start(env.var("WEB_CHALLENGE_ID"))
        .competition_id(env.var("COMPETITION_ID"))
        .await
        .unwrap();
    let id = ready.id.as_str().to_owned();
    let wrong = client
        .submissions()
        .submit(&ready.id, "FLAG{wrong}")
        .await
        .unwrap();
    assert!(!wrong.correct);
    let flag = capture_flag(&ready, "flag").await;
    assert!(
        client
            .submissions()
            .submit(&ready.id, flag.as_str())
            .await
            .unwrap()
            .correct
    );
    client.instances().stop(&ready.id).await.unwrap();

    let wanted: HashSet<&str> = [
        "instance_started",
        "instance_ready",
        "flag_wrong",
        "flag_correct",
        "instance_stopped",
    ]
    .into();
    let mut seen: HashSet<String> = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !wanted.iter().all(|w| seen.contains(*w)) {
        let item = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| panic!("missing frames for {id}: saw only {seen:?}"))
            .expect("the stream ended");
        if let Notice::Event(e) = item.expect("stream error") {
            if instance_of(&e) == Some(id.as_str()) {
                if let Event::InstanceReady(r) = &e {
                    assert_eq!(r.competition_id, env.var("COMPETITION_ID"));
                    assert_eq!(r.challenge_id, env.var("WEB_CHALLENGE_ID"));
                }
                if let Event::FlagCorrect(c) = &e {
                    assert_eq!(c.flag_id, "flag");
                }
                seen.insert(e.name().to_owned());
            }
        }
    }
}

#[tokio::test]
async fn an_admin_stream_sees_node_heartbeats() {
    let env = live_env!();
    let client = env.client("ADMIN_TOKEN");
    let mut events = connected(&client).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let item = tokio::time::timeout_at(deadline, events.next())
            .await
            .expect("no node_status within 30 s (heartbeats come every 10 s)")
            .expect("the stream ended");
        if let Notice::Event(Event::NodeStatus(n)) = item.expect("stream error") {
            assert!(!n.node_id.is_empty());
            assert!(n.ts > 1.0e9, "epoch seconds");
            break;
        }
    }
}

#[tokio::test]
async fn a_pf_token_stream_is_anonymous() {
    let env = live_env!();
    // A pf_ token is accepted but counts as anonymous: the stream connects (no 403).
    let client = env.client("PLAYER_TOKEN");
    let mut events = client.events();
    // It says so at once, before it connects.
    assert_eq!(
        events.next().await.unwrap().unwrap(),
        Notice::NoTeamEvents {
            token: ctfy::TokenKind::Api
        }
    );
    match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
        Ok(Some(Ok(Notice::Connected))) => {}
        other => panic!("the event stream did not connect: {other:?}"),
    }
    // With the session token as the stream's token, beside the API token, the team frames
    // come: the notice is gone.
    let both = ctfy::PlatformClient::builder(env.url())
        .token(env.var("PLAYER_TOKEN"))
        .events_token(env.var("PLAYER_SESSION_TOKEN"))
        .build()
        .unwrap();
    drop(connected(&both).await);
    // Nothing team-scoped may arrive; global frames may (or nothing at all).
    let quiet = tokio::time::timeout(Duration::from_secs(1), events.next()).await;
    if let Ok(Some(Ok(Notice::Event(e)))) = quiet {
        assert!(
            instance_of(&e).is_none(),
            "a pf_ stream received a team frame: {e:?}"
        );
    }
}
