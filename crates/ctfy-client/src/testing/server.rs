//! The mock platform's front: one loopback listener that streams `GET /api/v1/events` itself
//! (wiremock answers whole bodies only) and hands every other request to the wiremock server.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::SinkExt;
use futures::channel::mpsc;
use tokio::sync::broadcast::error::RecvError;

use super::scenario::{Route, Step};
use super::state::{ADMIN_TOKEN, Published, Reply, SESSION_TOKEN, Shared};
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
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(fault) = front.shared.count(Route::Events) {
        return reply(fault);
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
async fn forward(State(front): State<Front>, req: Request) -> Response {
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
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.unwrap_or_default();
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
