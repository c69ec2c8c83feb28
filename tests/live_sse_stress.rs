//! Stress test of the event stream against the live platform: does `client.events()` lose or
//! stall on a frame when many arrive at once, while the consumer is busy, or when `next()` is
//! cancelled often (`tokio::select!`)?
//!
//! Each round opens an admin stream, waits for `Connected` (the platform registers the
//! subscriber before it answers), publishes `N` announcements as fast as it can, checks that
//! every `announcement_created` frame arrives, and deletes the announcements. A raw reqwest
//! byte stream read beside the SDK stream is the reference: a frame it got and the SDK did not
//! would be the SDK's loss; a frame neither got would be the platform's (its per-stream queue
//! holds 64 frames and drops the oldest when full).
//!
//! Without a running platform it prints why and passes, except under `CI=true`.

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use ctfy::PlatformClient;
use ctfy::client::{EventStream, Notice};
use ctfy::models::events::Event;
use futures::StreamExt;
use tokio::time::Instant;

/// Announcements published per round.
const N: usize = 100;

/// How the consumer reads the stream.
#[derive(Debug, Clone, Copy)]
enum Consumer {
    /// `next().await` in a loop.
    Eager,
    /// Sleeps between polls, so frames pile up in the socket and the parser.
    Busy(Duration),
    /// `tokio::select!` between `next()` and a short timer: `next()` is cancelled often.
    Cancelling(Duration),
    /// Does not poll at all until every announcement is published, then drains: the frames
    /// pile up and come out of the socket several to a chunk.
    Stalled,
}

async fn connected(client: &PlatformClient) -> EventStream {
    let mut events = client.events();
    match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
        Ok(Some(Ok(Notice::Connected))) => events,
        other => panic!("the event stream did not connect: {other:?}"),
    }
}

/// A raw `GET /events` read with reqwest alone: the announcement ids of the
/// `announcement_created` frames it sees until `stop` fires.
async fn raw_reference(
    url: String,
    token: String,
    ready: tokio::sync::oneshot::Sender<()>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) -> BTreeSet<String> {
    let resp = reqwest::Client::new()
        .get(format!("{url}/api/v1/events"))
        .query(&[("token", token.as_str())])
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("raw GET /events")
        .error_for_status()
        .expect("raw GET /events status");
    let mut body = resp.bytes_stream();
    let mut buf = String::new();
    let mut ids = BTreeSet::new();
    let mut ready = Some(ready);
    loop {
        let chunk = tokio::select! {
            c = body.next() => c,
            _ = &mut stop => break,
        };
        let Some(Ok(chunk)) = chunk else { break };
        buf.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            if frame.starts_with(": connected") {
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
            }
            if frame.starts_with("event: announcement_created\n") {
                let data = frame
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("a data line");
                let v: serde_json::Value = serde_json::from_str(data).expect("JSON data");
                ids.insert(v["announcement_id"].as_str().expect("an id").to_owned());
            }
        }
    }
    ids
}

/// The ids of the `announcement_created` frames `events` yields until all of `wanted` are seen
/// or `within` passes.
async fn collect(
    events: &mut EventStream,
    wanted: &BTreeSet<String>,
    consumer: Consumer,
    within: Duration,
) -> BTreeSet<String> {
    let deadline = Instant::now() + within;
    let mut seen = BTreeSet::new();
    let mut cancelled = 0u32;
    while !wanted.is_subset(&seen) && Instant::now() < deadline {
        let item = match consumer {
            Consumer::Eager | Consumer::Stalled => {
                match tokio::time::timeout_at(deadline, events.next()).await {
                    Ok(item) => item,
                    Err(_) => break,
                }
            }
            Consumer::Busy(pause) => {
                tokio::time::sleep(pause).await;
                match tokio::time::timeout_at(deadline, events.next()).await {
                    Ok(item) => item,
                    Err(_) => break,
                }
            }
            Consumer::Cancelling(tick) => {
                tokio::select! {
                    item = events.next() => item,
                    () = tokio::time::sleep(tick) => { cancelled += 1; continue; }
                }
            }
        };
        match item.expect("the stream ended") {
            Ok(Notice::Event(Event::AnnouncementCreated(e))) => {
                seen.insert(e.announcement_id);
            }
            Ok(Notice::Reconnected { attempt }) => {
                panic!("the stream reconnected ({attempt}) during the round: frames may be lost")
            }
            Ok(_) => {}
            Err(e) => panic!("stream error: {e}"),
        }
    }
    if let Consumer::Cancelling(_) = consumer {
        eprintln!("{consumer:?}: next() cancelled {cancelled} times");
    }
    seen
}

async fn round(env: &support::LiveEnv, consumer: Consumer, label: &str) {
    let admin = env.client("ADMIN_TOKEN");
    let mut events = connected(&admin).await;

    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    let raw = tokio::spawn(raw_reference(
        env.url().trim_end_matches('/').to_owned(),
        env.var("ADMIN_TOKEN").to_owned(),
        ready_tx,
        stop_rx,
    ));
    tokio::time::timeout(Duration::from_secs(10), ready_rx)
        .await
        .expect("the raw stream did not connect")
        .expect("the raw stream failed");

    // Publish from another task, so that a busy or cancelling consumer really has frames
    // arriving while it is not polling.
    let publisher = {
        let admin = admin.clone();
        let label = label.to_owned();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut ids = BTreeSet::new();
            let mut failure = None;
            for i in 0..N {
                // No panic here: the announcements made so far must still be deleted.
                match admin
                    .admin()
                    .announcements()
                    .create(format!("ctfy-rs sse stress {label} {i}"))
                    .body("ctfy-rs live_sse_stress (deleted at once)")
                    .await
                {
                    Ok(a) => {
                        ids.insert(a.id);
                    }
                    Err(e) => {
                        failure = Some(e.to_string());
                        break;
                    }
                }
            }
            (ids, started.elapsed(), failure)
        })
    };

    let started = Instant::now();
    // The ids are known only once the publisher is done: collect everything meanwhile.
    let mut seen = BTreeSet::new();
    let (wanted, publishing, failure) = loop {
        if publisher.is_finished() || matches!(consumer, Consumer::Stalled) {
            break publisher.await.expect("the publisher panicked");
        }
        let more = collect(
            &mut events,
            &BTreeSet::from(["<never>".to_owned()]),
            consumer,
            Duration::from_millis(200),
        )
        .await;
        seen.extend(more);
    };
    if !wanted.is_subset(&seen) {
        seen.extend(collect(&mut events, &wanted, consumer, Duration::from_secs(5)).await);
    }
    let receiving = started.elapsed();
    let _ = stop_tx.send(());
    let raw_seen = raw.await.expect("the raw reader panicked");

    for id in &wanted {
        admin
            .admin()
            .announcements()
            .delete(id.as_str())
            .await
            .expect("delete an announcement");
    }

    if let Some(e) = failure {
        panic!("{label}: creating an announcement failed: {e}");
    }
    let missing: Vec<_> = wanted.difference(&seen).collect();
    let raw_missing: Vec<_> = wanted.difference(&raw_seen).collect();
    eprintln!(
        "{label} ({consumer:?}): {} published in {publishing:?}, received in {receiving:?}; \
         SDK missed {}, raw stream missed {}",
        wanted.len(),
        missing.len(),
        raw_missing.len()
    );
    assert!(
        missing.is_empty(),
        "{label} ({consumer:?}): the SDK stream missed {} of {N} frames: {missing:?} \
         (the raw stream missed {raw_missing:?})",
        missing.len()
    );
}

#[tokio::test]
async fn every_frame_arrives_under_load() {
    let env = live_env!();
    round(env, Consumer::Eager, "eager").await;
    round(env, Consumer::Busy(Duration::from_millis(15)), "busy").await;
    round(
        env,
        Consumer::Cancelling(Duration::from_micros(300)),
        "cancelling",
    )
    .await;
}

/// On a current-thread runtime, where the publisher and the consumer share one thread: a
/// cancelling consumer, then one that lets all the frames pile up before it reads.
#[tokio::test(flavor = "current_thread")]
async fn every_frame_arrives_on_one_thread() {
    let env = live_env!();
    round(
        env,
        Consumer::Cancelling(Duration::from_millis(1)),
        "one thread",
    )
    .await;
    round(env, Consumer::Stalled, "stalled").await;
}
