//! Fault tests that need API the transport does not have yet; `tests/faults.rs` does not
//! include this file, so the suite compiles without it. Once the API exists, add to
//! `tests/faults.rs`:
//!
//! ```ignore
//! #[path = "fault/pending.rs"]
//! mod pending;
//! ```
//!
//! The API these tests assume:
//! - `TransportBuilder::max_body_size(u64)`: the largest response body read (default 64 MiB);
//! - `Error::BodyTooLarge { method, path, status, limit }`: a body over it, announced by
//!   `content-length` or found while reading a chunked body; never retried;
//! - `SseConfigBuilder::max_frame_size(usize)`: the largest event-stream frame (default
//!   1 MiB);
//! - `SseItem::FrameTooLarge { limit }`: yielded for a frame over it (the frame is skipped),
//!   after which the stream goes on with the next frame, on the same connection.

use super::*;

use ctfy::transport::Transport;

/// A client like [`client`] whose transport reads at most `cap` body bytes (`None`: the
/// default cap), with `timeout` per attempt.
fn capped_client(url: &str, cap: Option<u64>, timeout: Duration) -> PlatformClient {
    let mut b = Transport::builder(url)
        .token(TOKEN)
        .retry(policy())
        .timeout(timeout);
    if let Some(cap) = cap {
        b = b.max_body_size(cap);
    }
    PlatformClient::from_transport(b.build().unwrap())
}

/// `op`'s success answer, padded with whitespace (still valid JSON) to `size` bytes.
fn padded(op: Op, size: usize, chunked: bool) -> Fault {
    let Fault::Reply(mut reply) = op.ok() else {
        unreachable!()
    };
    reply.body.resize(size, b' ');
    if chunked {
        reply = reply.chunked();
    }
    Fault::Reply(reply)
}

async fn run_capped(op: Op, srv: FaultServer, cap: Option<u64>, timeout: Duration) -> Run {
    let c = capped_client(&srv.url(), cap, timeout);
    let started = Instant::now();
    let res = tokio::time::timeout(STUCK, op.call(&c))
        .await
        .expect("stuck");
    Run {
        op,
        srv,
        res: Ok(res),
        took: started.elapsed(),
    }
}

fn assert_too_large(run: &Run, want_limit: u64) {
    let status = if run.op == Start { 202 } else { 200 };
    let method = if run.op == Get { "GET" } else { "POST" };
    match &run.res {
        Ok(Err(Error::BodyTooLarge {
            method: m,
            path,
            status: s,
            limit,
            ..
        })) => {
            assert_eq!(m.to_string(), method, "{:?}", run.op);
            assert_eq!(path.to_string(), run.op.path(), "{:?}", run.op);
            assert_eq!(*s, status, "{:?}", run.op);
            assert_eq!(*limit, want_limit, "{:?}", run.op);
        }
        other => panic!("{:?}: expected BodyTooLarge, got {other:?}", run.op),
    }
    assert_eq!(leak(run.err()), None);
    assert_eq!(run.srv.count(run.op.path()), 1, "{:?}: not retried", run.op);
    assert_eq!(run.srv.count(STATUS), 0, "{:?}", run.op);
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_with_content_length_or_chunked() {
    for chunked in [false, true] {
        for op in ALL {
            let srv = platform().await;
            srv.route(op.path(), vec![padded(op, 4096, chunked)]);
            let run = run_capped(op, srv, Some(1024), TIMEOUT).await;
            assert_too_large(&run, 1024);
        }
    }
}

#[tokio::test]
async fn a_body_under_the_cap_is_read() {
    for op in ALL {
        let srv = platform().await;
        srv.route(op.path(), vec![padded(op, 1000, true)]);
        let run = run_capped(op, srv, Some(1024), TIMEOUT).await;
        assert_eq!(run.mismatch(Want::Ok, 1), None);
    }
}

#[tokio::test]
async fn the_default_cap_is_64_mib() {
    let limit = 64 * 1024 * 1024;
    let srv = platform().await;
    srv.route(HEALTH, vec![padded(Get, limit as usize + 1, false)]);
    // A long timeout: a transport that reads up to the cap before refusing needs the time.
    let run = run_capped(Get, srv, None, Duration::from_secs(10)).await;
    assert_too_large(&run, limit);
}

// ---------------------------------------------------------------------------------------------
// Event-stream frames over the cap
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_sse_frame_over_the_cap_is_skipped_and_the_stream_goes_on() {
    let one_line = format!("event: big\ndata: {}\n\n", "x".repeat(4096));
    let many_lines = format!("event: big\n{}\n", "data: yyyyyyyy\n".repeat(512));
    for big in [one_line, many_lines] {
        let (srv, c) = sse_server(vec![Fault::Sse(vec![
            Sse::text(&format!("event: a\ndata: {}\n\n", "s".repeat(512))),
            Sse::text(&big),
            Sse::text("event: after\ndata: 1\n\n"),
            Sse::Stall,
        ])])
        .await;
        let mut s = events(&c, sse_config().max_frame_size(1024).build());
        assert_eq!(item(&mut s).await, SseItem::Connected);
        assert_eq!(
            item(&mut s).await,
            frame("a", &"s".repeat(512)),
            "a frame under the cap"
        );
        assert!(
            matches!(item(&mut s).await, SseItem::FrameTooLarge { limit, .. } if limit == 1024)
        );
        assert_eq!(item(&mut s).await, frame("after", "1"));
        assert_eq!(srv.count(EVENTS), 1, "no reconnection");
    }
}

#[tokio::test]
async fn the_default_sse_frame_cap_is_1_mib() {
    let mut big = b"event: big\ndata: ".to_vec();
    big.resize(big.len() + (1 << 20) + 1024, b'x');
    big.extend_from_slice(b"\n\n");
    let (srv, c) = sse_server(vec![Fault::Sse(vec![
        Sse::Write(big),
        Sse::text("event: after\ndata: 1\n\n"),
        Sse::Stall,
    ])])
    .await;
    let mut s = events(&c, sse_config().build());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert!(matches!(
        item(&mut s).await,
        SseItem::FrameTooLarge { limit, .. } if limit == 1 << 20
    ));
    assert_eq!(item(&mut s).await, frame("after", "1"));
    assert_eq!(srv.count(EVENTS), 1, "no reconnection");
}
