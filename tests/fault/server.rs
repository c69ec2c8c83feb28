//! A fault-injection HTTP/1.1 server for `tests/faults.rs`: raw TCP on `127.0.0.1:0`, one
//! request per connection (every answer says `connection: close`).
//!
//! - Each path has a script, a list of [`Fault`]s: its n-th request gets `faults[n]`, the last
//!   one repeating (`vec![f]` is a storm of `f`; `vec![f, ok]` is one fault, then success).
//!   Paths without a script get a JSON 404.
//! - Faults that strike before the request is read cannot know its path: they are planned
//!   per connection with [`FaultServer::on_accept`].
//! - Every request whose head was read is recorded ([`Seen`]: method, path and query,
//!   headers, body, when it came, when its answer was done); connections are counted.

#![allow(dead_code)] // each test binary uses a part of it

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What happens to a connection before anything is read from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnAccept {
    /// Read the request and answer it from its path's script.
    Serve,
    /// Close at once (FIN) without reading.
    Close,
    /// Close at once with a TCP reset (`SO_LINGER` 0) without reading.
    Reset,
}

/// How a [`Reply`]'s body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `content-length`.
    Length,
    /// `transfer-encoding: chunked`, 16 KiB chunks.
    Chunked,
}

/// A complete answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// Headers besides the framing and `connection: close`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How the body is framed.
    pub framing: Framing,
}

impl Reply {
    /// `status` with an empty body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            framing: Framing::Length,
        }
    }

    /// `status` with a JSON body.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::raw(status, "application/json", body.to_string())
    }

    /// `status` with these bytes.
    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            body: body.into(),
            ..Self::new(status)
        }
        .header("content-type", content_type)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Frames the body with `transfer-encoding: chunked` instead of `content-length`.
    pub fn chunked(mut self) -> Self {
        self.framing = Framing::Chunked;
        self
    }

    fn head(&self) -> Vec<u8> {
        let reason = reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Fault");
        let mut head = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        match self.framing {
            Framing::Length => head.push_str(&format!("content-length: {}\r\n", self.body.len())),
            Framing::Chunked => head.push_str("transfer-encoding: chunked\r\n"),
        }
        head.push_str("connection: close\r\n\r\n");
        head.into_bytes()
    }

    /// The body as sent on the wire.
    fn wire_body(&self) -> Cow<'_, [u8]> {
        match self.framing {
            Framing::Length => Cow::Borrowed(&self.body),
            Framing::Chunked => {
                let mut out = Vec::with_capacity(self.body.len() + 64);
                for chunk in self.body.chunks(16 * 1024) {
                    out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
                Cow::Owned(out)
            }
        }
    }
}

/// How an answer cut short ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Close (FIN).
    Close,
    /// Close with a TCP reset.
    Reset,
    /// Send nothing more; keep the connection until the client closes it.
    Stall,
}

/// One step of an event stream ([`Fault::Sse`]).
#[derive(Debug, Clone)]
pub enum Sse {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Wait.
    Sleep(Duration),
    /// Send nothing more; keep the connection until the client closes it.
    Stall,
}

impl Sse {
    /// Writes `text`.
    pub fn text(text: &str) -> Self {
        Sse::Write(text.as_bytes().to_vec())
    }
}

/// What a request gets, once its head (and body) was read.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This answer.
    Reply(Reply),
    /// No answer: close (FIN).
    Close,
    /// No answer: close with a TCP reset.
    Reset,
    /// The head of `reply` (its framing announces the whole body), the first `sent` bytes of
    /// its wire body, then `end`.
    Partial {
        /// The answer that is cut short.
        reply: Reply,
        /// How many bytes of its (wire) body are sent.
        sent: usize,
        /// What follows.
        end: End,
    },
    /// Wait `.0` before doing `.1` (a slow server: nothing is sent meanwhile).
    Slow(Duration, Box<Fault>),
    /// `200 text/event-stream`, then these steps, then close (EOF) unless a step stalls.
    Sse(Vec<Sse>),
}

/// A request the server read.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// The headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// When its head was read.
    pub at: Instant,
    /// The same moment, by the wall clock.
    pub wall: SystemTime,
    /// When its answer was complete (written, or cut short); `None` while in progress or
    /// stalled.
    pub done: Option<Instant>,
}

impl Seen {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    routes: Mutex<HashMap<String, Vec<Fault>>>,
    accept_plan: Mutex<Vec<OnAccept>>,
    seen: Mutex<Vec<Seen>>,
    connections: AtomicUsize,
    changed: Notify,
}

/// The server; dropping it stops accepting.
pub struct FaultServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FaultServer {
    /// Starts a server on `127.0.0.1:0` with no routes.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let st = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let n = st.connections.fetch_add(1, Ordering::SeqCst);
                let plan = st.accept_plan.lock().unwrap().get(n).copied();
                st.changed.notify_waiters();
                tokio::spawn(serve(st.clone(), sock, plan.unwrap_or(OnAccept::Serve)));
            }
        });
        Self {
            addr,
            state,
            accept,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Scripts `path` (no query): its n-th request gets `faults[n]`, the last one repeating.
    pub fn route(&self, path: &str, faults: Vec<Fault>) -> &Self {
        assert!(!faults.is_empty(), "a script needs at least one fault");
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), faults);
        self
    }

    /// Plans the connections: the n-th accepted one gets `plan[n]`, those past the end
    /// [`OnAccept::Serve`].
    pub fn on_accept(&self, plan: Vec<OnAccept>) -> &Self {
        *self.state.accept_plan.lock().unwrap() = plan;
        self
    }

    /// Every request read so far, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// The requests read so far on `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.path() == path)
            .collect()
    }

    /// How many requests were read on `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Waits until `path` has seen `n` requests (panics after 10 s).
    pub async fn wait_count(&self, path: &str, n: usize) {
        let wait = async {
            loop {
                let changed = self.state.changed.notified();
                if self.count(path) >= n {
                    return;
                }
                changed.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("{path} never saw {n} requests: {:?}", self.requests()));
    }
}

const SSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";

async fn serve(st: Arc<State>, mut sock: TcpStream, plan: OnAccept) {
    match plan {
        OnAccept::Serve => {}
        OnAccept::Close => return,
        OnAccept::Reset => {
            let _ = sock.set_zero_linger();
            return;
        }
    }
    let Some(mut seen) = read_request(&mut sock).await else {
        return;
    };
    let (index, fault) = {
        let mut log = st.seen.lock().unwrap();
        let nth = log.iter().filter(|s| s.path() == seen.path()).count();
        let fault = match st.routes.lock().unwrap().get(seen.path()) {
            Some(script) => script[nth.min(script.len() - 1)].clone(),
            None => Fault::Reply(Reply::json(
                404,
                &serde_json::json!({"code": "not_found", "detail": "no script for this path"}),
            )),
        };
        seen.at = Instant::now();
        seen.wall = SystemTime::now();
        log.push(seen);
        (log.len() - 1, fault)
    };
    st.changed.notify_waiters();
    let stalled = play(&mut sock, fault, || {
        st.seen.lock().unwrap()[index].done = Some(Instant::now());
        st.changed.notify_waiters();
    })
    .await;
    if stalled {
        // Hold the connection until the client gives up on it.
        let mut buf = [0u8; 1024];
        while let Ok(n) = sock.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    }
}

/// Plays `fault` on `sock`, calling `done` once the answer is complete or cut short; returns
/// whether the connection must be held open (a stall).
async fn play(sock: &mut TcpStream, mut fault: Fault, done: impl FnOnce()) -> bool {
    loop {
        match fault {
            Fault::Slow(delay, then) => {
                tokio::time::sleep(delay).await;
                fault = *then;
            }
            Fault::Reply(reply) => {
                if sock.write_all(&reply.head()).await.is_ok() {
                    let _ = sock.write_all(&reply.wire_body()).await;
                }
                let _ = sock.shutdown().await;
                done();
                return false;
            }
            Fault::Close => {
                let _ = sock.shutdown().await;
                done();
                return false;
            }
            Fault::Reset => {
                let _ = sock.set_zero_linger();
                done();
                return false;
            }
            Fault::Partial { reply, sent, end } => {
                let mut bytes = reply.head();
                let body = reply.wire_body();
                bytes.extend_from_slice(&body[..sent.min(body.len())]);
                let _ = sock.write_all(&bytes).await;
                let _ = sock.flush().await;
                return finish(sock, end, done).await;
            }
            Fault::Sse(steps) => {
                if sock.write_all(SSE_HEAD).await.is_err() {
                    done();
                    return false;
                }
                for step in steps {
                    match step {
                        Sse::Write(bytes) => {
                            if sock.write_all(&bytes).await.is_err() {
                                done();
                                return false;
                            }
                            let _ = sock.flush().await;
                        }
                        Sse::Sleep(d) => tokio::time::sleep(d).await,
                        Sse::Stall => return finish(sock, End::Stall, done).await,
                    }
                }
                return finish(sock, End::Close, done).await;
            }
        }
    }
}

async fn finish(sock: &mut TcpStream, end: End, done: impl FnOnce()) -> bool {
    match end {
        End::Close => {
            let _ = sock.shutdown().await;
        }
        End::Reset => {
            let _ = sock.set_zero_linger();
        }
        End::Stall => {}
    }
    done();
    end == End::Stall
}

/// Reads one request: head, then as many body bytes as `content-length` says (`None` when
/// the head never came complete).
async fn read_request(sock: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let method = start.next()?.to_owned();
    let target = start.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    // A request counts once its head was read: a body cut short is kept as it came.
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    Some(Seen {
        method,
        target,
        headers,
        body,
        at: Instant::now(),
        wall: SystemTime::now(),
        done: None,
    })
}
