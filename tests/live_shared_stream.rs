//! One event stream per client, on the real platform (`scripts/platform-up.sh`): 8 concurrent
//! `start()`s and an `events()` subscriber of one client open one `GET /api/v1/events`,
//! counted in the platform's own access log (`PLATFORM_LOG`). The only test of its binary, so
//! no other test's stream is counted.
//!
//! Without a running platform it prints why and passes, except under `CI=true`, where it fails.

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

use std::collections::HashSet;
use std::time::Duration;

use ctfy::client::Notice;
use ctfy::models::events::Event;
use futures::StreamExt;

/// The event-stream requests the platform logged so far.
fn streams_logged(log: &str) -> usize {
    let text = std::fs::read(log).expect("the platform log");
    String::from_utf8_lossy(&text)
        .matches("\"GET /api/v1/events?")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_and_a_subscriber_share_one_stream() {
    let env = live_env!();
    let log = env.var("PLATFORM_LOG");
    let before = streams_logged(log);
    let client = env.client("PLAYER_SESSION_TOKEN");
    let mut events = client.events();
    match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
        Ok(Some(Ok(Notice::Connected))) => {}
        other => panic!("the event stream did not connect: {other:?}"),
    }
    let starts: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            let (challenge, competition) = (
                env.var("WEB_CHALLENGE_ID").to_owned(),
                env.var("COMPETITION_ID").to_owned(),
            );
            tokio::spawn(async move {
                client
                    .instances()
                    .start(challenge.as_str())
                    .competition_id(competition.as_str())
                    .deadline(Duration::from_secs(60))
                    .await
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for s in starts {
        ids.insert(s.await.unwrap().expect("start").id.into_string());
    }
    assert_eq!(ids.len(), 8);
    // The subscriber saw every instance come up on the same connection.
    let mut ready = HashSet::new();
    let seen = async {
        while ready.len() < ids.len() {
            match events.next().await {
                Some(Ok(Notice::Event(Event::InstanceReady(e)))) => {
                    if ids.contains(e.instance_id.as_str()) {
                        ready.insert(e.instance_id);
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("the stream ended: {other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .expect("instance_ready frames");
    for id in &ids {
        client.instances().stop(id.as_str()).await.expect("stop");
    }
    let opened = streams_logged(log) - before;
    assert_eq!(
        opened, 1,
        "event streams opened for 8 starts and a subscriber"
    );
    assert_eq!(client.transport().shared_streams(), 1);
    drop(events);
    assert!(client.shutdown(Duration::from_secs(10)).await);
    assert_eq!(client.transport().shared_streams(), 0);
}
