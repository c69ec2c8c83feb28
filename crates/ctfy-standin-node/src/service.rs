//! The tiny per-instance HTTP "challenge" server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What a per-instance server knows about its challenge.
#[derive(Debug, Clone)]
pub(crate) struct ServiceInfo {
    pub instance_id: String,
    pub challenge_id: String,
    pub answers: BTreeMap<String, String>,
}

/// A running per-instance server.
#[derive(Debug)]
pub(crate) struct ServiceHandle {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ServiceHandle {
    /// Stops the server and waits (briefly) for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(2), &mut self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

/// Binds a loopback listener, on a port from `range` when given (first free one), else
/// on an OS-assigned port.
pub(crate) async fn bind(range: Option<(u16, u16)>) -> std::io::Result<TcpListener> {
    match range {
        None => TcpListener::bind(("127.0.0.1", 0)).await,
        Some((a, b)) => {
            for port in a..=b {
                if let Ok(l) = TcpListener::bind(("127.0.0.1", port)).await {
                    return Ok(l);
                }
            }
            Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("no free port in {a}-{b}"),
            ))
        }
    }
}

/// Serves `info` on `listener` until stopped.
pub(crate) fn spawn(listener: TcpListener, info: ServiceInfo) -> std::io::Result<ServiceHandle> {
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/", get(index))
        .route("/flag", get(flag))
        .route("/flag/{question_id}", get(flag_for))
        .route("/answers.json", get(answers))
        .with_state(Arc::new(info));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        if let Err(e) = server.await {
            tracing::warn!(error = %e, "instance service failed");
        }
    });
    Ok(ServiceHandle {
        addr,
        shutdown: Some(tx),
        task,
    })
}

type Info = State<Arc<ServiceInfo>>;

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn index(State(info): Info) -> Response {
    let questions: Vec<&str> = info.answers.keys().map(String::as_str).collect();
    text(
        StatusCode::OK,
        format!(
            "ctfy-rs stand-in challenge service\n\
             challenge: {}\ninstance: {}\nquestions: {}\n\
             GET /flag, GET /flag/<question_id>, GET /answers.json\n",
            info.challenge_id,
            info.instance_id,
            questions.join(", ")
        ),
    )
}

async fn flag(info: Info) -> Response {
    flag_for(info, Path("flag".to_string())).await
}

async fn flag_for(State(info): Info, Path(question_id): Path<String>) -> Response {
    match info.answers.get(&question_id) {
        Some(answer) => text(StatusCode::OK, answer.clone()),
        None => text(
            StatusCode::NOT_FOUND,
            format!("no minted answer for question {question_id:?}\n"),
        ),
    }
}

async fn answers(State(info): Info) -> Response {
    axum::Json(info.answers.clone()).into_response()
}
