//! The event stream against a hostile server (the raw-TCP fault server of `tests/fault/`),
//! and the client's one shared stream.
//!
//! Each defect of the event stream found by the hostile-network review has a test here that
//! failed before its fix:
//! 1. `retry: 0` then close: reconnections never come sooner than `min_backoff`, and
//!    connections that bring no frame keep backing off;
//! 2. an undecodable frame echoing the token: the decode error shows neither the token nor
//!    more than a bounded snippet;
//! 3. a frame over `max_frame_size` is `Notice::FrameTooLarge`, not a second `Connected`;
//! 4. megabytes of comment lines cost no frame budget: the frame after them arrives;
//! 5. an `id:`-only block sets the `Last-Event-ID` sent on reconnection;
//! 6. an idle timeout or a missing response is a typed, retryable timeout.
//!
//! Then the shared stream: one connection for many readers and concurrent starts, fan-out,
//! a slow reader's lag, reconnection notices for every reader, the last reader closing the
//! connection, `429 too_many_streams` being final, and `shutdown` waiting for background
//! stops.

#[path = "fault/server.rs"]
mod server;

use std::time::{Duration, Instant};

use ctfy::models::events::Event;
use ctfy::transport::{
    Error, Request, SNIPPET_LEN, SseAuth, SseConfig, SseConfigBuilder, SseItem, SseStream,
    StreamErrorKind,
};
use ctfy::{Notice, PlatformClient};
use futures::{Stream, StreamExt};
use serde_json::json;

use server::{Fault, FaultServer, Reply, Sse};

const TOKEN: &str = "pt_canary_5d1e0b";
const EVENTS: &str = "/api/v1/events";
const INSTANCE: &str = "b80bb7740288fda1f201890375a60c8f";
const LAUNCH: &str = "/api/v1/instances";
const STATUS: &str = "/api/v1/instances/b80bb7740288fda1f201890375a60c8f/status";
const STOP: &str = "/api/v1/instances/b80bb7740288fda1f201890375a60c8f";
/// How long any one item may take before the test calls the stream stuck.
const STUCK: Duration = Duration::from_secs(10);

fn client(url: &str) -> PlatformClient {
    PlatformClient::builder(url).token(TOKEN).build().unwrap()
}

/// Fast backoff for the tests: 50 ms doubling to 400 ms.
fn fast() -> SseConfigBuilder {
    SseConfig::builder().backoff(Duration::from_millis(50), Duration::from_millis(400))
}

/// The transport's own (unshared) stream of `/events`.
fn raw(c: &PlatformClient, config: SseConfig) -> SseStream {
    c.transport().sse(
        Request::get("/events", &[]).unwrap(),
        SseAuth::Query("token"),
        config,
    )
}

async fn next<T, S: Stream<Item = Result<T, Error>> + Unpin>(
    s: &mut S,
) -> Option<Result<T, Error>> {
    tokio::time::timeout(STUCK, s.next())
        .await
        .expect("the stream is stuck")
}

async fn item<T: std::fmt::Debug, S: Stream<Item = Result<T, Error>> + Unpin>(s: &mut S) -> T {
    next(s).await.expect("the stream ended").unwrap()
}

async fn server(path: &str, script: Vec<Fault>) -> FaultServer {
    let srv = FaultServer::start().await;
    srv.route(path, script);
    srv
}

/// Reads `s` for `how_long`, ignoring what it yields.
async fn drain_for<S: Stream + Unpin>(s: &mut S, how_long: Duration) {
    let _ = tokio::time::timeout(how_long, async { while s.next().await.is_some() {} }).await;
}

/// The pauses between one request's start and the next.
fn gaps(srv: &FaultServer, path: &str) -> Vec<Duration> {
    let reqs = srv.requests_to(path);
    reqs.windows(2).map(|w| w[1].at - w[0].at).collect()
}

/// Every text an error shows, its sources included.
fn shown(e: &Error) -> String {
    let mut texts = vec![e.to_string(), format!("{e:?}"), format!("{e:#?}")];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        texts.push(s.to_string());
        texts.push(format!("{s:?}"));
        source = s.source();
    }
    texts.join("\n")
}

fn frame(event: &str, data: &str) -> SseItem {
    SseItem::Frame {
        event: event.into(),
        data: data.into(),
        id: None,
    }
}

fn scoreboard() -> String {
    "event: scoreboard_updated\ndata: {}\n\n".into()
}

// ---------------------------------------------------------------------------------------------
// 1. Reconnect storm
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn retry_zero_cannot_make_a_reconnect_storm() {
    // Every connection: `retry: 0`, a comment, an `id:`-only block, then close. Nothing in it
    // is a frame, so nothing resets the backoff.
    let srv = server(
        EVENTS,
        vec![Fault::Sse(vec![Sse::text("retry: 0\n: hi\n\nid: 7\n\n")])],
    )
    .await;
    let c = client(&srv.url());
    let mut s = raw(&c, fast().build());
    drain_for(&mut s, Duration::from_millis(1500)).await;
    let n = srv.count(EVENTS);
    let gaps = gaps(&srv, EVENTS);
    // 50, 100, 200, 400, 400… ms (each up to twice that with jitter): at most 9 in 1.5 s.
    assert!(n <= 9, "{n} connections in 1.5 s: {gaps:?}");
    assert!(n >= 3, "{n} connections: {gaps:?}");
    for g in &gaps {
        assert!(
            *g >= Duration::from_millis(45),
            "reconnected after {g:?}: {gaps:?}"
        );
    }
    // Empty connections keep backing off: the third pause is at least 4 × min_backoff.
    assert!(gaps[2] >= Duration::from_millis(190), "{gaps:?}");
}

#[tokio::test]
async fn retry_zero_with_the_default_config_reconnects_after_a_second_at_least() {
    let srv = server(EVENTS, vec![Fault::Sse(vec![Sse::text("retry: 1\n\n")])]).await;
    let c = client(&srv.url());
    let mut events = c.events();
    drain_for(&mut events, Duration::from_millis(2200)).await;
    // At 0, then after 1–2 s, then after 2–4 s more: two at most in 2.2 s.
    let n = srv.count(EVENTS);
    assert!(
        (1..=2).contains(&n),
        "{n} connections: {:?}",
        gaps(&srv, EVENTS)
    );
}

#[tokio::test]
async fn retry_raises_the_delay_above_the_backoff() {
    let srv = server(
        EVENTS,
        vec![
            Fault::Sse(vec![Sse::text("retry: 600\ndata: 1\n\n")]),
            Fault::Sse(vec![Sse::text("data: 2\n\n"), Sse::Stall]),
        ],
    )
    .await;
    let c = client(&srv.url());
    let mut s = raw(&c, fast().build());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(item(&mut s).await, frame("message", "1"));
    assert_eq!(item(&mut s).await, SseItem::Reconnected { attempt: 1 });
    assert_eq!(item(&mut s).await, frame("message", "2"));
    let gaps = gaps(&srv, EVENTS);
    assert!(gaps[0] >= Duration::from_millis(600), "{gaps:?}");
}

// ---------------------------------------------------------------------------------------------
// 2. The token in an event decode error
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_undecodable_frame_never_shows_the_token() {
    let echo = format!(
        "event: instance_ready\ndata: {{\"instance_id\": 5, \"echo\": \"{TOKEN} /events?token={TOKEN}\", \"pad\": \"{}\"}}\n\n",
        "x".repeat(100_000)
    );
    let srv = server(
        EVENTS,
        vec![Fault::Sse(vec![
            Sse::text(&echo),
            Sse::text(&scoreboard()),
            Sse::Stall,
        ])],
    )
    .await;
    let c = client(&srv.url());
    let mut events = c.events();
    assert_eq!(item(&mut events).await, Notice::Connected);
    let e = next(&mut events).await.unwrap().unwrap_err();
    let text = shown(&e);
    assert!(!text.contains(TOKEN), "{text}");
    match &e {
        Error::EventDecode { event, snippet, .. } => {
            assert_eq!(event, "instance_ready");
            assert!(snippet.len() <= SNIPPET_LEN + 3, "{} bytes", snippet.len());
            assert!(snippet.contains("<redacted>"), "{snippet}");
        }
        other => panic!("{other:?}"),
    }
    // The stream goes on.
    assert!(matches!(
        item(&mut events).await,
        Notice::Event(Event::ScoreboardUpdated(_))
    ));
}

/// serde's message quotes the value it refused: a token there is masked too.
#[tokio::test]
async fn a_refused_value_quoted_by_serde_never_shows_the_token() {
    let frame = format!(
        "event: flag_correct\ndata: {{\"challenge_id\": \"c\", \"solve_time_s\": \"{TOKEN}\"}}\n\n"
    );
    let srv = server(
        EVENTS,
        vec![Fault::Sse(vec![Sse::text(&frame), Sse::Stall])],
    )
    .await;
    let c = client(&srv.url());
    let mut events = c.events();
    assert_eq!(item(&mut events).await, Notice::Connected);
    let e = next(&mut events).await.unwrap().unwrap_err();
    assert!(matches!(e, Error::EventDecode { .. }), "{e:?}");
    let text = shown(&e);
    assert!(!text.contains(TOKEN), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 3. A frame over the limit
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_frame_over_the_limit_is_reported_as_such() {
    let big = format!("event: scoreboard_updated\ndata: {}\n\n", "x".repeat(4096));
    let srv = server(
        EVENTS,
        vec![Fault::Sse(vec![
            Sse::text(&big),
            Sse::text(&scoreboard()),
            Sse::Stall,
        ])],
    )
    .await;
    let c = client(&srv.url());
    let mut events = c.events_with(fast().max_frame_size(1024).build());
    assert_eq!(item(&mut events).await, Notice::Connected);
    assert_eq!(
        item(&mut events).await,
        Notice::FrameTooLarge { limit: 1024 }
    );
    assert!(matches!(
        item(&mut events).await,
        Notice::Event(Event::ScoreboardUpdated(_))
    ));
    assert_eq!(srv.count(EVENTS), 1);
}

// ---------------------------------------------------------------------------------------------
// 4. Comments
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn megabytes_of_comments_cost_no_frame_budget() {
    let mut comments = Vec::new();
    while comments.len() < 2 * 1024 * 1024 {
        comments.extend_from_slice(b": keepalive, and some padding\n");
    }
    let srv = server(
        EVENTS,
        vec![Fault::Sse(vec![
            Sse::text("event: before\n"),
            Sse::Write(comments),
            Sse::text("data: 1\n\nevent: real\ndata: 2\n\n"),
            Sse::Stall,
        ])],
    )
    .await;
    let c = client(&srv.url());
    let mut s = raw(&c, fast().build());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(item(&mut s).await, frame("before", "1"));
    assert_eq!(item(&mut s).await, frame("real", "2"));
}

// ---------------------------------------------------------------------------------------------
// 5. Last-Event-ID
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_id_only_block_sets_the_last_event_id_sent_back() {
    let srv = server(
        EVENTS,
        vec![
            Fault::Sse(vec![Sse::text("id: 1\ndata: a\n\nid: 2\n\nid: 3\n")]),
            Fault::Sse(vec![Sse::Stall]),
        ],
    )
    .await;
    let c = client(&srv.url());
    let mut s = raw(&c, fast().build());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(
        item(&mut s).await,
        SseItem::Frame {
            event: "message".into(),
            data: "a".into(),
            id: Some("1".into())
        }
    );
    assert_eq!(item(&mut s).await, SseItem::Reconnected { attempt: 1 });
    let reqs = srv.requests_to(EVENTS);
    assert_eq!(reqs[0].header("last-event-id"), None);
    // `id: 3` was never dispatched (no blank line followed it).
    assert_eq!(reqs[1].header("last-event-id"), Some("2"));
}

// ---------------------------------------------------------------------------------------------
// 6. Typed stream failures
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_idle_timeout_is_a_typed_retryable_timeout() {
    let srv = server(EVENTS, vec![Fault::Sse(vec![Sse::Stall])]).await;
    let c = client(&srv.url());
    let config = fast()
        .idle_timeout(Duration::from_millis(200))
        .reconnect(false)
        .build();
    let mut s = raw(&c, config);
    assert_eq!(item(&mut s).await, SseItem::Connected);
    let e = next(&mut s).await.unwrap().unwrap_err();
    match &e {
        Error::Stream(s) => assert_eq!(s.kind(), StreamErrorKind::IdleTimeout),
        other => panic!("{other:?}"),
    }
    assert!(e.is_timeout() && e.is_retryable(), "{e}");
    assert!(next(&mut s).await.is_none());
}

#[tokio::test]
async fn no_response_in_time_is_a_typed_retryable_timeout() {
    let srv = server(
        EVENTS,
        vec![Fault::Slow(
            Duration::from_secs(3),
            Box::new(Fault::Sse(vec![Sse::Stall])),
        )],
    )
    .await;
    let c = client(&srv.url());
    let config = fast()
        .idle_timeout(Duration::from_millis(200))
        .max_attempts(Some(1))
        .build();
    let mut s = raw(&c, config);
    let e = next(&mut s).await.unwrap().unwrap_err();
    match &e {
        Error::Stream(s) => assert_eq!(s.kind(), StreamErrorKind::NoResponse),
        other => panic!("{other:?}"),
    }
    assert!(e.is_timeout() && e.is_retryable(), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The platform's stream cap
// ---------------------------------------------------------------------------------------------

fn too_many_streams() -> Fault {
    Fault::Reply(Reply::json(
        429,
        &json!({"code": "too_many_streams", "detail": "too many live event streams"}),
    ))
}

#[tokio::test]
async fn too_many_streams_is_final_for_the_stream() {
    let srv = server(EVENTS, vec![too_many_streams()]).await;
    let c = client(&srv.url());
    let mut events = c.events_with(fast().build());
    let e = next(&mut events).await.unwrap().unwrap_err();
    assert!(e.is_stream_limit(), "{e}");
    assert_eq!(e.code(), Some("too_many_streams"));
    assert!(next(&mut events).await.is_none());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(srv.count(EVENTS), 1, "retried a final 429");
}

/// A platform for `start()`: the launch, a status that is `starting` `starting_polls` times
/// and then `ready`, and `events`.
async fn start_platform(events: Vec<Fault>, starting_polls: usize) -> FaultServer {
    let srv = FaultServer::start().await;
    srv.route(EVENTS, events);
    srv.route(
        LAUNCH,
        vec![Fault::Reply(Reply::json(
            202,
            &json!({"id": INSTANCE, "status": "starting"}),
        ))],
    );
    let mut polls = vec![Fault::Reply(Reply::json(200, &status("starting"))); starting_polls];
    polls.push(Fault::Reply(Reply::json(200, &status("ready"))));
    srv.route(STATUS, polls);
    srv.route(STOP, vec![Fault::Reply(Reply::new(204))]);
    srv
}

fn status(status: &str) -> serde_json::Value {
    let surface = (status == "ready").then(|| {
        json!({"flag_path": null, "provided_files": [], "vpn": null,
               "services": [{"credentials": null, "host": "127.0.0.1", "label": "web", "path": "",
                             "port": 18212, "service_type": "http"}]})
    });
    json!({"attack_surface": surface, "cert_volume": "", "error": "", "id": INSTANCE,
           "start_budget_s": 0, "status": status})
}

fn ready_frame() -> String {
    format!(
        "event: instance_ready\ndata: {{\"challenge_id\":\"WEB-001\",\"actor_id\":\"t\",\"actor_name\":\"t\",\"actor_type\":\"team\",\"actor_avatar_url\":\"\",\"instance_id\":\"{INSTANCE}\",\"node_id\":\"n\",\"competition_id\":\"c\",\"competition_title\":\"C\"}}\n\n"
    )
}

#[tokio::test]
async fn start_falls_back_to_polling_over_the_stream_cap() {
    let srv = start_platform(vec![too_many_streams()], 2).await;
    let c = client(&srv.url());
    let ready = c
        .instances()
        .start("WEB-001")
        .poll_interval(Duration::from_millis(20))
        .deadline(Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(ready.id.as_str(), INSTANCE);
    assert_eq!(srv.count(EVENTS), 1);
    assert_eq!(srv.count(STATUS), 3);
}

// ---------------------------------------------------------------------------------------------
// One stream per client
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn readers_share_one_connection_and_each_sees_connected_and_every_frame() {
    let srv = server(
        EVENTS,
        vec![Fault::Sse(vec![
            Sse::text(": connected\n\n"),
            Sse::Sleep(Duration::from_millis(300)),
            Sse::text(&scoreboard()),
            Sse::Sleep(Duration::from_millis(300)),
            Sse::text(&scoreboard()),
            Sse::Stall,
        ])],
    )
    .await;
    let c = client(&srv.url());
    let mut a = c.events();
    let mut b = c.events();
    assert_eq!(item(&mut a).await, Notice::Connected);
    assert_eq!(item(&mut b).await, Notice::Connected);
    for s in [&mut a, &mut b] {
        assert!(matches!(
            item(s).await,
            Notice::Event(Event::ScoreboardUpdated(_))
        ));
    }
    // A reader joining a live connection is told `Connected` at once.
    let mut late = c.events();
    let started = Instant::now();
    assert_eq!(item(&mut late).await, Notice::Connected);
    assert!(started.elapsed() < Duration::from_millis(100));
    for s in [&mut a, &mut b, &mut late] {
        assert!(matches!(
            item(s).await,
            Notice::Event(Event::ScoreboardUpdated(_))
        ));
    }
    assert_eq!(srv.count(EVENTS), 1);
    assert_eq!(c.transport().shared_streams(), 1);
}

/// A frame of about 1 KiB numbered `i`.
fn kib_frame(i: usize) -> (String, SseItem) {
    let data = format!("{i:04}{}", "x".repeat(1020));
    let text = format!("event: e{i}\ndata: {data}\n\n");
    (text, frame(&format!("e{i}"), &data))
}

/// A stream that connects, waits 200 ms (for the readers to join), then sends `n` frames of
/// 1 KiB at once and stays open.
async fn burst_server(n: usize) -> FaultServer {
    let burst: String = (0..n).map(|i| kib_frame(i).0).collect();
    server(
        EVENTS,
        vec![Fault::Sse(vec![
            Sse::text(": connected\n\n"),
            Sse::Sleep(Duration::from_millis(200)),
            Sse::Write(burst.into_bytes()),
            Sse::Stall,
        ])],
    )
    .await
}

#[tokio::test]
async fn a_slow_reader_lags_without_slowing_the_others() {
    let srv = burst_server(100).await;
    let c = client(&srv.url());
    // About 8 frames of 1 KiB.
    let config = fast().reader_buffer(8 * 1100).build();
    let shared = || {
        c.transport().sse_shared(
            Request::get("/events", &[]).unwrap(),
            SseAuth::Query("token"),
            config.clone(),
        )
    };
    let (mut reading, mut slow) = (shared(), shared());
    assert_eq!(item(&mut reading).await, SseItem::Connected);
    assert_eq!(item(&mut slow).await, SseItem::Connected);
    for i in 0..100 {
        assert_eq!(item(&mut reading).await, kib_frame(i).1, "frame {i}");
    }
    // The slow reader lost its oldest frames: told how many, then the newest ones, in order.
    let SseItem::Lagged { missed } = item(&mut slow).await else {
        panic!("no Lagged notice")
    };
    let kept = 100 - usize::try_from(missed).unwrap();
    assert!((4..=8).contains(&kept), "kept {kept}");
    for i in 100 - kept..100 {
        assert_eq!(item(&mut slow).await, kib_frame(i).1, "frame {i}");
    }
    assert_eq!(srv.count(EVENTS), 1);
}

#[tokio::test]
async fn a_reader_that_reads_late_loses_nothing_within_its_buffer() {
    let srv = burst_server(100).await;
    let c = client(&srv.url());
    let mut late = c.events();
    let mut other = c.events();
    assert_eq!(item(&mut late).await, Notice::Connected);
    assert_eq!(item(&mut other).await, Notice::Connected);
    // The other reader takes everything; the late one starts reading after the burst.
    for _ in 0..100 {
        item(&mut other).await;
    }
    for i in 0..100 {
        match item(&mut late).await {
            Notice::Event(Event::Other { name, .. }) => assert_eq!(name, format!("e{i}")),
            other => panic!("frame {i}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_client_s_events_say_lagged() {
    let srv = burst_server(20).await;
    let c = client(&srv.url());
    let config = fast().reader_buffer(4 * 1100).build();
    let (mut a, mut b) = (c.events_with(config.clone()), c.events_with(config));
    assert_eq!(item(&mut a).await, Notice::Connected);
    assert_eq!(item(&mut b).await, Notice::Connected);
    for _ in 0..20 {
        item(&mut a).await;
    }
    assert!(matches!(item(&mut b).await, Notice::Lagged { missed } if (12..=17).contains(&missed)),);
}

#[tokio::test]
async fn every_reader_hears_of_a_reconnection() {
    let srv = server(
        EVENTS,
        vec![
            Fault::Sse(vec![
                Sse::text(": connected\n\n"),
                Sse::Sleep(Duration::from_millis(200)),
                Sse::text(&scoreboard()),
            ]),
            Fault::Sse(vec![Sse::text(&scoreboard()), Sse::Stall]),
        ],
    )
    .await;
    let c = client(&srv.url());
    let config = fast().build();
    let (mut a, mut b) = (c.events_with(config.clone()), c.events_with(config));
    for s in [&mut a, &mut b] {
        assert_eq!(item(s).await, Notice::Connected);
    }
    for s in [&mut a, &mut b] {
        assert!(matches!(
            item(s).await,
            Notice::Event(Event::ScoreboardUpdated(_))
        ));
        assert_eq!(item(s).await, Notice::Reconnected { attempt: 1 });
        assert!(matches!(
            item(s).await,
            Notice::Event(Event::ScoreboardUpdated(_))
        ));
    }
    assert_eq!(srv.count(EVENTS), 2);
}

#[tokio::test]
async fn the_last_reader_closes_the_connection() {
    let srv = server(
        EVENTS,
        vec![Fault::Sse(vec![Sse::text(": connected\n\n"), Sse::Stall])],
    )
    .await;
    let c = client(&srv.url());
    let (mut a, mut b) = (c.events(), c.events());
    assert_eq!(item(&mut a).await, Notice::Connected);
    assert_eq!(item(&mut b).await, Notice::Connected);
    drop(a);
    tokio::task::yield_now().await;
    assert_eq!(c.transport().shared_streams(), 1);
    drop(b);
    let gone = async {
        while c.transport().shared_streams() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(2), gone)
        .await
        .expect("the connection outlived its last reader");
    // A new reader connects again.
    let mut again = c.events();
    assert_eq!(item(&mut again).await, Notice::Connected);
    assert_eq!(srv.count(EVENTS), 2);
}

#[tokio::test]
async fn concurrent_starts_and_a_subscriber_open_one_stream() {
    let srv = start_platform(
        vec![Fault::Sse(vec![
            Sse::text(": connected\n\n"),
            Sse::Sleep(Duration::from_millis(300)),
            Sse::text(&ready_frame()),
            Sse::Stall,
        ])],
        1000,
    )
    .await;
    let c = client(&srv.url());
    let mut events = c.events();
    assert_eq!(item(&mut events).await, Notice::Connected);
    let started = Instant::now();
    let starts: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                c.instances()
                    .start("WEB-001")
                    .deadline(Duration::from_secs(5))
                    .await
            })
        })
        .collect();
    // The status stays `starting`: each start ends by the frame, checked by one more poll…
    // which says `starting` again, so they wait for the 2 s safety poll. What counts here is
    // the number of streams.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        srv.count(EVENTS),
        1,
        "one stream for 8 starts and a subscriber"
    );
    assert_eq!(c.transport().shared_streams(), 1);
    for s in starts {
        s.abort();
    }
    assert!(started.elapsed() < STUCK);
}

#[tokio::test]
async fn start_returns_on_the_shared_stream_s_ready_frame() {
    // `starting` until the frame; the poll after the frame sees `ready`.
    let srv = start_platform(
        vec![Fault::Sse(vec![
            Sse::text(": connected\n\n"),
            Sse::Sleep(Duration::from_millis(400)),
            Sse::text(&ready_frame()),
            Sse::Stall,
        ])],
        1,
    )
    .await;
    let c = client(&srv.url());
    let mut events = c.events();
    assert_eq!(item(&mut events).await, Notice::Connected);
    let started = Instant::now();
    let ready = c
        .instances()
        .start("WEB-001")
        .deadline(Duration::from_secs(5))
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(ready.id.as_str(), INSTANCE);
    // The frame came at about 400 ms after connecting; the fallback poll would be at 2 s.
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert_eq!(srv.count(EVENTS), 1);
    assert_eq!(srv.count(STATUS), 2);
}

// ---------------------------------------------------------------------------------------------
// Waiting for background work
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn shutdown_waits_for_the_stop_of_an_abandoned_start_and_closes_the_stream() {
    let srv = start_platform(
        vec![Fault::Sse(vec![Sse::text(": connected\n\n"), Sse::Stall])],
        1000,
    )
    .await;
    srv.route(
        STOP,
        vec![Fault::Slow(
            Duration::from_millis(500),
            Box::new(Fault::Reply(Reply::new(204))),
        )],
    );
    let c = client(&srv.url());
    let mut events = c.events();
    assert_eq!(item(&mut events).await, Notice::Connected);
    let err = c
        .instances()
        .start("WEB-001")
        .poll_interval(Duration::from_millis(20))
        .deadline(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(c.transport().background_tasks(), 1);
    // Too short a wait says so.
    assert!(!c.shutdown(Duration::from_millis(10)).await);
    assert!(c.shutdown(Duration::from_secs(5)).await);
    assert_eq!(c.transport().background_tasks(), 0);
    let stop = srv.requests_to(STOP);
    assert_eq!(stop.len(), 1);
    assert_eq!(stop[0].method, "DELETE");
    assert!(
        stop[0].done.is_some(),
        "shutdown returned before the stop was answered"
    );
    // The shared stream was closed: its reader ends with a typed error.
    let e = next(&mut events).await.unwrap().unwrap_err();
    assert!(
        matches!(&e, Error::Stream(s) if s.kind() == StreamErrorKind::Closed),
        "{e:?}"
    );
    assert!(next(&mut events).await.is_none());
}
