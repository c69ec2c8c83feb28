//! The mock platform's front: one loopback listener that streams `GET /api/v1/events` itself
//! (wiremock answers whole bodies only), hands every other request to the wiremock server,
//! and plays what a fault does to a reply once the request was applied (wiremock can delay a
//! reply, but neither hold it nor drop the connection).

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::SinkExt;
use futures::channel::mpsc;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;

use super::scenario::{Route, Step};
use super::state::{ADMIN_TOKEN, AFTER, After, Published, Reply, SESSION_TOKEN, Shared, Verdict};
use ctfy_models::events::Event;

/// What the front's handlers share.
#[derive(Clone)]
pub(crate) struct Front {
    pub(crate) shared: Arc<Shared>,
    pub(crate) inner: String,
    pub(crate) http: reqwest::Client,
}

pub(crate) fn router(front: Front) -> Router {
    Router::new()
        .route("/api/v1/events", get(events))
        .fallback(forward)
        .with_state(front)
}

/// One SSE frame as the platform writes it.
fn frame(e: &Event) -> Bytes {
    Bytes::from(format!("event: {}\ndata: {}\n\n", e.name(), e.to_value()))
}

async fn events(
    State(front): State<Front>,
    ConnectInfo(cut): ConnectInfo<Cut>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match front.shared.count(Route::Events) {
        Some(Verdict::Instead(fault)) => return reply(fault),
        Some(Verdict::Then(After::Late(d))) => tokio::time::sleep(d).await,
        Some(Verdict::Then(after)) => return spoil(after, &cut).await,
        None => {}
    }
    // As on the platform: a `pt_` session sees its team's frames; a `pf_` token or none
    // counts as anonymous and sees only the global ones.
    let team = query
        .get("token")
        .is_some_and(|t| t == SESSION_TOKEN || t == ADMIN_TOKEN);
    // Subscribe before anything is written, so no frame published from now on is missed.
    let mut live = front.shared.events.subscribe();
    let (steps, disconnect) = front.shared.script_segment();
    let (mut tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(64);
    tokio::spawn(async move {
        if tx
            .send(Ok(Bytes::from_static(b": connected\n\n")))
            .await
            .is_err()
        {
            return;
        }
        for step in steps {
            let sent = match step {
                Step::Frame(e) => tx.send(Ok(frame(&e))).await,
                Step::Pause(d) => {
                    tokio::time::sleep(d).await;
                    Ok(())
                }
                Step::Disconnect => return,
            };
            if sent.is_err() {
                return;
            }
        }
        if disconnect {
            return;
        }
        loop {
            match live.recv().await {
                Ok(Published { event, team_only }) if team || !team_only => {
                    if tx.send(Ok(frame(&event))).await.is_err() {
                        return;
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
    let mut resp = Response::new(Body::from_stream(rx));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// A fault planned for the event stream, answered by the front itself.
fn reply(r: Reply) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        r.body.to_string(),
    )
        .into_response();
    if let Some(secs) = r.retry_after {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    resp
}

/// Hands a request to the wiremock server and its answer back.
async fn forward(
    State(front): State<Front>,
    ConnectInfo(cut): ConnectInfo<Cut>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 64 << 20).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    };
    let target = format!(
        "{}{}",
        front.inner,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut out = front.http.request(parts.method, target).body(body);
    for (name, value) in &parts.headers {
        if !hop_by_hop(name) && name != header::HOST && name != header::CONTENT_LENGTH {
            out = out.header(name, value);
        }
    }
    let answer = match out.send().await {
        Ok(a) => a,
        Err(e) => {
            return (StatusCode::BAD_GATEWAY, format!("mock platform: {e}")).into_response();
        }
    };
    let status = answer.status();
    let mut headers = answer.headers().clone();
    let after = headers
        .remove(AFTER)
        .and_then(|v| v.to_str().ok().and_then(After::parse));
    let bytes = answer.bytes().await.unwrap_or_default();
    match after {
        Some(After::Late(d)) => tokio::time::sleep(d).await,
        Some(after) => return spoil(after, &cut).await,
        None => {}
    }
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    for (name, value) in &headers {
        if !hop_by_hop(name) && name != header::CONTENT_LENGTH {
            resp.headers_mut().append(name, value.clone());
        }
    }
    resp
}

fn hop_by_hop(name: &header::HeaderName) -> bool {
    name == header::CONNECTION || name == header::TRANSFER_ENCODING || name == "keep-alive"
}

/// Spoils the reply of an applied request: closes the connection before any byte of it
/// ([`After::Lost`]), or holds it until the client gives up ([`After::Held`]: when the client
/// closes the connection, the server drops this handler).
async fn spoil(after: After, cut: &Cut) -> Response {
    if after == After::Held {
        std::future::pending::<()>().await;
    }
    // The connection's next read or write fails, so the server drops it (without writing
    // this answer).
    cut.0.store(true, Ordering::SeqCst);
    StatusCode::BAD_GATEWAY.into_response()
}

/// The front's listener: loopback TCP connections that a handler can cut ([`Cut`]).
pub(crate) struct Loopback(pub(crate) TcpListener);

impl axum::serve::Listener for Loopback {
    type Io = Severable;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((io, addr)) => {
                    let _ = io.set_nodelay(true);
                    let cut = Cut(Arc::new(AtomicBool::new(false)));
                    return (Severable { io, cut }, addr);
                }
                // Out of file descriptors and the like: wait, as axum's own listener does.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A handle on one connection of the front: set, its next read or write fails.
#[derive(Clone)]
pub(crate) struct Cut(Arc<AtomicBool>);

impl Connected<axum::serve::IncomingStream<'_, Loopback>> for Cut {
    fn connect_info(stream: axum::serve::IncomingStream<'_, Loopback>) -> Self {
        stream.io().cut.clone()
    }
}

/// A connection that fails once its [`Cut`] is set.
pub(crate) struct Severable {
    io: TcpStream,
    cut: Cut,
}

impl Severable {
    fn check(&self) -> io::Result<()> {
        if self.cut.0.load(Ordering::SeqCst) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "ctfy::testing: the reply is lost on purpose",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for Severable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Severable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
