//! A tiny loopback HTTP/1.1 server: fixed, prebuilt answers per route, keep-alive, and a
//! counter of accepted connections. It runs on its own thread and runtime, so the CPU the
//! client thread uses is the client's alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::bodies::Bodies;

/// A running server.
#[derive(Clone)]
pub struct Server {
    /// Its port on 127.0.0.1.
    pub port: u16,
    state: Arc<State>,
}

struct State {
    connections: AtomicU64,
    requests: AtomicU64,
    /// How many frames one event-stream connection gets before the body ends.
    sse_frames: AtomicU64,
    routes: Routes,
}

struct Routes {
    health: Bytes,
    status: Bytes,
    challenges: Bytes,
    scoreboard: Bytes,
    not_found: Bytes,
    sse_head: Bytes,
    /// One chunk (chunked transfer encoding) holding `sse_block_frames` frames.
    sse_block: Bytes,
    sse_block_frames: u64,
    /// Single frames, chunk-encoded, for the remainder.
    sse_frames: Vec<Bytes>,
}

fn json_response(body: &[u8]) -> Bytes {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ndate: Thu, 03 Dec 2026 12:00:00 GMT\r\nserver: uvicorn\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out.into()
}

fn chunk(data: &[u8]) -> Bytes {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out.into()
}

impl Server {
    /// Starts the server on a thread of its own.
    pub fn start(bodies: &Bodies) -> Server {
        let block_frames = 64usize;
        let mut block = Vec::new();
        for f in bodies.sse_frames.iter().cycle().take(block_frames) {
            block.extend_from_slice(f);
        }
        let routes = Routes {
            health: json_response(&bodies.health),
            status: json_response(&bodies.status),
            challenges: json_response(&bodies.challenges),
            scoreboard: json_response(&bodies.scoreboard),
            not_found: Bytes::from_static(
                b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 46\r\n\r\n{\"code\":\"not_found\",\"detail\":\"no such route.\"}",
            ),
            sse_head: Bytes::from_static(
                b"HTTP/1.1 200 OK\r\ndate: Thu, 03 Dec 2026 12:00:00 GMT\r\nserver: uvicorn\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n",
            ),
            sse_block: chunk(&block),
            sse_block_frames: block_frames as u64,
            sse_frames: bodies.sse_frames.iter().map(|f| chunk(f)).collect(),
        };
        let state = Arc::new(State {
            connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            sse_frames: AtomicU64::new(1000),
            routes,
        });
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("local addr").port();
        let st = state.clone();
        std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("listener");
                    loop {
                        let Ok((sock, _)) = listener.accept().await else {
                            continue;
                        };
                        st.connections.fetch_add(1, Ordering::Relaxed);
                        let st = st.clone();
                        tokio::spawn(async move {
                            let _ = serve(sock, &st).await;
                        });
                    }
                });
            })
            .expect("server thread");
        Server { port, state }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.state.connections.load(Ordering::Relaxed)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    /// Sets how many frames each event-stream connection gets.
    pub fn set_sse_frames(&self, n: u64) {
        self.state.sse_frames.store(n, Ordering::Relaxed);
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn serve(mut sock: TcpStream, st: &State) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            if sock.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        };
        let line_end = find(&buf, b"\r\n").unwrap_or(head_end);
        let line = std::str::from_utf8(&buf[..line_end]).unwrap_or("");
        let target = line.split(' ').nth(1).unwrap_or("/");
        let path = target.split('?').next().unwrap_or(target);
        st.requests.fetch_add(1, Ordering::Relaxed);
        let r = &st.routes;
        if path == "/api/v1/events" {
            sock.write_all(&r.sse_head).await?;
            let n = st.sse_frames.load(Ordering::Relaxed);
            let mut sent = 0;
            while sent + r.sse_block_frames <= n {
                sock.write_all(&r.sse_block).await?;
                sent += r.sse_block_frames;
            }
            for f in r.sse_frames.iter().cycle().take((n - sent) as usize) {
                sock.write_all(f).await?;
            }
            sock.write_all(b"0\r\n\r\n").await?;
        } else {
            let answer = match path {
                "/api/v1/health" => &r.health,
                "/api/v1/challenges" => &r.challenges,
                "/api/v1/scoreboard" => &r.scoreboard,
                p if p.starts_with("/api/v1/instances/") && p.ends_with("/status") => &r.status,
                _ => &r.not_found,
            };
            sock.write_all(answer).await?;
        }
        buf.drain(..head_end);
    }
}
