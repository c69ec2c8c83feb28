//! The server-sent event stream: parsing and reconnection against wiremock (complete bodies)
//! and against a small raw-TCP server of our own (trickled bytes, drops, silence).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ctfy_transport::events::{SseAuth, SseConfig, SseItem, SseStream};
use ctfy_transport::{Error, Request, Transport};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "pt_sse_secret_token";
const WAIT: Duration = Duration::from_secs(5);

fn fast() -> SseConfig {
    SseConfig::builder()
        .backoff(Duration::from_millis(5), Duration::from_millis(40))
        .build()
}

fn transport(base: &str) -> Transport {
    Transport::builder(base).token(TOKEN).build().unwrap()
}

fn open(t: &Transport, config: SseConfig) -> SseStream {
    t.sse(
        Request::get("/events", &[]).unwrap(),
        SseAuth::Query("token"),
        config,
    )
}

async fn next(s: &mut SseStream) -> Option<ctfy_transport::Result<SseItem>> {
    tokio::time::timeout(WAIT, s.next())
        .await
        .expect("the stream stalled")
}

async fn item(s: &mut SseStream) -> SseItem {
    match next(s).await {
        Some(Ok(item)) => item,
        other => panic!("expected an item, got {other:?}"),
    }
}

async fn frame(s: &mut SseStream) -> (String, String, Option<String>) {
    match item(s).await {
        SseItem::Frame { event, data, id } => (event, data, id),
        other => panic!("expected a frame, got {other:?}"),
    }
}

fn sse_body(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(body.as_bytes().to_vec(), "text/event-stream; charset=utf-8")
}

// ---------------------------------------------------------------------------------------------
// wiremock: complete bodies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn parses_frames_ignores_comments_and_joins_data_lines() {
    let server = MockServer::start().await;
    let body = ": connected\n\nevent: instance_ready\ndata: {\"instance_id\":\"i1\"}\n\n: keepalive\n\n\
                event: multi\ndata: line one\ndata: line two\n\ndata: nameless\n\n";
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(sse_body(body))
        .expect(1)
        .mount(&server)
        .await;

    let t = transport(&server.uri());
    let mut s = open(&t, SseConfig::builder().reconnect(false).build());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(
        frame(&mut s).await,
        (
            "instance_ready".into(),
            r#"{"instance_id":"i1"}"#.into(),
            None
        )
    );
    assert_eq!(
        frame(&mut s).await,
        ("multi".into(), "line one\nline two".into(), None)
    );
    assert_eq!(
        frame(&mut s).await,
        ("message".into(), "nameless".into(), None)
    );
    assert!(
        next(&mut s).await.is_none(),
        "reconnect is off: EOF ends the stream"
    );
}

#[tokio::test]
async fn token_goes_in_the_query_and_never_in_a_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .and(query_param("token", TOKEN))
        .and(header("accept", "text/event-stream"))
        .respond_with(sse_body("event: a\ndata: {}\n\n"))
        .expect(1)
        .mount(&server)
        .await;

    let t = transport(&server.uri());
    let mut s = open(&t, SseConfig::builder().reconnect(false).build());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(frame(&mut s).await.0, "a");
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 1);
    assert!(!reqs[0].headers.contains_key("authorization"));
    assert!(
        !reqs[0].headers.contains_key("last-event-id"),
        "no id on the first connection"
    );
}

#[tokio::test]
async fn reconnects_after_eof_with_last_event_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .and(header("last-event-id", "7"))
        .respond_with(sse_body("event: b\ndata: 2\n\n"))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(sse_body(": connected\n\nid: 7\nevent: a\ndata: 1\n\n"))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;

    let t = transport(&server.uri());
    let mut s = open(&t, fast());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(
        frame(&mut s).await,
        ("a".into(), "1".into(), Some("7".into()))
    );
    assert_eq!(item(&mut s).await, SseItem::Reconnected { attempt: 1 });
    // The last event id lasts across frames and connections (as the standard says).
    assert_eq!(
        frame(&mut s).await,
        ("b".into(), "2".into(), Some("7".into()))
    );
    assert_eq!(item(&mut s).await, SseItem::Reconnected { attempt: 2 });
    let reqs = server.received_requests().await.unwrap();
    assert!(
        reqs[1..]
            .iter()
            .all(|r| r.headers.get("last-event-id").unwrap() == "7")
    );
}

#[tokio::test]
async fn rejected_credentials_and_missing_routes_are_not_retried() {
    for status in [401u16, 403, 404] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/events"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(serde_json::json!({"code":"nope","detail":"no"})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let t = transport(&server.uri());
        let mut s = open(&t, fast());
        match next(&mut s).await {
            Some(Err(Error::Api(e))) => {
                assert_eq!(e.status, status);
                assert_eq!(e.code.as_deref(), Some("nope"));
                assert_eq!(e.path, "/api/v1/events", "no query string in errors");
            }
            other => panic!("{status}: expected an API error, got {other:?}"),
        }
        assert!(next(&mut s).await.is_none(), "{status} ends the stream");
        server.verify().await;
    }
}

#[tokio::test]
async fn a_wrong_content_type_ends_the_stream() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"not":"sse"})))
        .expect(1)
        .mount(&server)
        .await;
    let t = transport(&server.uri());
    let mut s = open(&t, fast());
    match next(&mut s).await {
        Some(Err(Error::Stream(e))) => {
            assert_eq!(e.kind(), ctfy_transport::StreamErrorKind::NotEventStream);
            let msg = e.to_string();
            assert!(msg.contains("application/json"), "{msg}");
            assert!(!msg.contains(TOKEN));
        }
        other => panic!("expected Error::Stream, got {other:?}"),
    }
    assert!(next(&mut s).await.is_none());
}

#[tokio::test]
async fn errors_never_show_the_token() {
    // Nothing listens there: every attempt fails to connect; after two the stream gives up.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let t = transport(&format!("http://{addr}"));
    let config = SseConfig::builder()
        .backoff(Duration::from_millis(5), Duration::from_millis(10))
        .max_attempts(Some(2))
        .build();
    let mut s = open(&t, config);
    let err = match next(&mut s).await {
        Some(Err(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    };
    assert!(err.is_connect(), "{err:?}");
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{:?}", std::error::Error::source(&err)),
    ] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains("token="), "{text}");
    }
    assert!(next(&mut s).await.is_none());
}

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 server: one script per connection
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
enum Act {
    /// Write these bytes.
    Write(&'static str),
    /// Sleep.
    Sleep(u64),
    /// Keep the connection open until the client closes it, then report it.
    HoldUntilClientCloses,
}

const OK_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";

struct RawServer {
    addr: SocketAddr,
    /// The request heads received, in order.
    heads: Arc<Mutex<Vec<String>>>,
    /// Index of every connection the client closed while the server held it.
    client_closed: mpsc::Receiver<usize>,
}

/// Serves `scripts[i]` on the i-th connection (connections past the end are held open).
async fn raw_server(scripts: Vec<Vec<Act>>) -> RawServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel(16);
    let seen = heads.clone();
    tokio::spawn(async move {
        let mut n = 0usize;
        while let Ok((sock, _)) = listener.accept().await {
            let script = scripts
                .get(n)
                .cloned()
                .unwrap_or_else(|| vec![Act::HoldUntilClientCloses]);
            tokio::spawn(serve(n, sock, script, seen.clone(), tx.clone()));
            n += 1;
        }
    });
    RawServer {
        addr,
        heads,
        client_closed: rx,
    }
}

async fn serve(
    n: usize,
    mut sock: TcpStream,
    script: Vec<Act>,
    heads: Arc<Mutex<Vec<String>>>,
    closed: mpsc::Sender<usize>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(k) => head.extend_from_slice(&buf[..k]),
        }
    }
    heads
        .lock()
        .unwrap()
        .push(String::from_utf8_lossy(&head).into_owned());
    for act in script {
        match act {
            Act::Write(s) => {
                if sock.write_all(s.as_bytes()).await.is_err() {
                    return;
                }
                let _ = sock.flush().await;
            }
            Act::Sleep(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            Act::HoldUntilClientCloses => {
                loop {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
                let _ = closed.send(n).await;
                return;
            }
        }
    }
    // End of script: close (EOF for the client).
}

fn raw_transport(srv: &RawServer) -> Transport {
    transport(&format!("http://{}", srv.addr))
}

#[tokio::test]
async fn frames_trickled_byte_by_byte_over_time() {
    use Act::*;
    let srv = raw_server(vec![vec![
        Write(OK_HEAD),
        Write(": connected\n\n"),
        Sleep(30),
        Write("event: slow\nda"),
        Sleep(40),
        Write("ta: {\"a\""),
        Sleep(40),
        Write(":1}\n"),
        Sleep(40),
        Write("\nevent: two\ndata: x\n"),
        Sleep(60),
        Write("\n"),
        HoldUntilClientCloses,
    ]])
    .await;
    let t = raw_transport(&srv);
    let mut s = open(&t, fast());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(
        frame(&mut s).await,
        ("slow".into(), r#"{"a":1}"#.into(), None)
    );
    assert_eq!(frame(&mut s).await, ("two".into(), "x".into(), None));
    let head = srv.heads.lock().unwrap()[0].clone();
    assert!(
        head.starts_with(&format!("GET /api/v1/events?token={TOKEN} HTTP/1.1")),
        "{head}"
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_frame_loses_only_that_frame() {
    use Act::*;
    let srv = raw_server(vec![
        vec![
            Write(OK_HEAD),
            Write("event: a\ndata: 1\n\nevent: b\ndata: {\"par"),
        ],
        vec![
            Write(OK_HEAD),
            Write("event: c\ndata: 3\n\n"),
            HoldUntilClientCloses,
        ],
    ])
    .await;
    let t = raw_transport(&srv);
    let mut s = open(&t, fast());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(frame(&mut s).await.0, "a");
    assert_eq!(item(&mut s).await, SseItem::Reconnected { attempt: 1 });
    assert_eq!(frame(&mut s).await, ("c".into(), "3".into(), None));
}

#[tokio::test]
async fn a_silent_connection_is_dropped_after_the_idle_timeout() {
    use Act::*;
    let mut srv = raw_server(vec![
        vec![
            Write(OK_HEAD),
            Write(": connected\n\n"),
            HoldUntilClientCloses,
        ],
        vec![
            Write(OK_HEAD),
            Write("event: after\ndata: {}\n\n"),
            HoldUntilClientCloses,
        ],
    ])
    .await;
    let t = raw_transport(&srv);
    let config = SseConfig::builder()
        .backoff(Duration::from_millis(5), Duration::from_millis(40))
        .idle_timeout(Duration::from_millis(300))
        .build();
    let mut s = open(&t, config);
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(item(&mut s).await, SseItem::Reconnected { attempt: 1 });
    assert_eq!(frame(&mut s).await.0, "after");
    let closed = tokio::time::timeout(WAIT, srv.client_closed.recv())
        .await
        .unwrap();
    assert_eq!(
        closed,
        Some(0),
        "the silent connection was closed by the client"
    );
}

/// A stream that stays quiet for 600 ms (a keepalive comment every 100 ms), then sends the
/// frame `late` and holds the connection open.
fn quiet_then_late() -> Vec<Act> {
    use Act::*;
    let mut script = vec![Write(OK_HEAD), Write(": connected\n\n")];
    for _ in 0..6 {
        script.push(Sleep(100));
        script.push(Write(": keepalive\n\n"));
    }
    script.push(Write("event: late\ndata: {}\n\n"));
    script.push(HoldUntilClientCloses);
    script
}

/// A stream outlives the transport's request timeout: the client applies that timeout to its
/// requests, and a stream must not inherit it (only the idle timeout watches a stream).
#[tokio::test]
async fn a_stream_outlives_the_request_timeout() {
    use Act::*;
    let srv = raw_server(vec![quiet_then_late()]).await;
    let t = Transport::builder(format!("http://{}", srv.addr))
        .token(TOKEN)
        .timeout(Duration::from_millis(250))
        .build()
        .unwrap();
    let mut s = open(&t, fast());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(
        frame(&mut s).await.0,
        "late",
        "no reconnect: the 250 ms request timeout does not end a stream"
    );
    assert_eq!(srv.heads.lock().unwrap().len(), 1);

    // The same for a body read through `send_streaming`.
    let mut script = vec![Write(OK_HEAD)];
    for _ in 0..6 {
        script.push(Sleep(100));
        script.push(Write("x"));
    }
    let srv = raw_server(vec![script]).await;
    let t = Transport::builder(format!("http://{}", srv.addr))
        .timeout(Duration::from_millis(250))
        .max_retries(0)
        .build()
        .unwrap();
    let mut resp = t
        .send_streaming(&Request::get("/events", &[]).unwrap())
        .await
        .unwrap();
    let mut got = Vec::new();
    while let Some(chunk) = tokio::time::timeout(WAIT, resp.chunk())
        .await
        .unwrap()
        .unwrap()
    {
        got.extend_from_slice(&chunk);
    }
    assert_eq!(got, b"xxxxxx");
}

#[tokio::test]
async fn keepalive_comments_keep_a_quiet_stream_open() {
    let srv = raw_server(vec![quiet_then_late()]).await;
    let t = raw_transport(&srv);
    let config = SseConfig::builder()
        .backoff(Duration::from_millis(5), Duration::from_millis(40))
        .idle_timeout(Duration::from_millis(400))
        .build();
    let mut s = open(&t, config);
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(
        frame(&mut s).await.0,
        "late",
        "no reconnect: keepalives reset the idle timer"
    );
    assert_eq!(srv.heads.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_503_is_retried() {
    use Act::*;
    let srv = raw_server(vec![
        vec![Write("HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")],
        vec![Write(OK_HEAD), Write("event: up\ndata: {}\n\n"), HoldUntilClientCloses],
    ])
    .await;
    let t = raw_transport(&srv);
    let mut s = open(&t, fast());
    assert_eq!(
        item(&mut s).await,
        SseItem::Connected,
        "the first success is the first connection"
    );
    assert_eq!(frame(&mut s).await.0, "up");
    assert_eq!(srv.heads.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    use Act::*;
    let mut srv = raw_server(vec![vec![
        Write(OK_HEAD),
        Write("event: a\ndata: {}\n\n"),
        HoldUntilClientCloses,
    ]])
    .await;
    let t = raw_transport(&srv);
    let mut s = open(&t, fast());
    assert_eq!(item(&mut s).await, SseItem::Connected);
    assert_eq!(frame(&mut s).await.0, "a");
    drop(s);
    let closed = tokio::time::timeout(WAIT, srv.client_closed.recv())
        .await
        .expect("the server never saw EOF");
    assert_eq!(closed, Some(0));
}

#[tokio::test]
async fn nothing_is_sent_before_the_first_poll() {
    use Act::*;
    let srv = raw_server(vec![vec![Write(OK_HEAD), HoldUntilClientCloses]]).await;
    let t = raw_transport(&srv);
    let s = open(&t, fast());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(srv.heads.lock().unwrap().is_empty());
    drop(s);
}
