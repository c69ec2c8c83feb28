//! The platform → node API (`/api/v1/...`) and the unauthenticated debug routes
//! (`/_standin/...`).

use ctfy_models::With;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::service::{self, ServiceInfo};
use ctfy_models::InstanceId;

use crate::wire::{
    AgentRuntime, AttackSurface, InstanceStarted, InstanceStatusReport, InstanceStopped,
    NodeInstanceList, NodeInstanceSummary, ServiceEndpoint, ServiceStopped, ServiceType,
    StartRequest, StopServiceRequest,
};
use crate::{Instance, Shared, Status, lock, now_epoch};

type St = State<Arc<Shared>>;

/// Largest request body we accept (and log).
const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Builds the whole router of the node.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let authed = Router::new()
        .route(
            "/api/v1/instances",
            post(start_instance).get(list_instances),
        )
        .route(
            "/api/v1/instances/{id}",
            axum::routing::delete(stop_instance),
        )
        .route("/api/v1/instances/{id}/status", get(instance_status))
        .route("/api/v1/instances/{id}/agent-runtime", get(agent_runtime))
        .route("/api/v1/instances/{id}/health", get(instance_health))
        .route("/api/v1/instances/{id}/traffic", get(traffic))
        .route("/api/v1/instances/{id}/pcap", get(pcap))
        .route("/api/v1/instances/{id}/container-logs", get(container_logs))
        .route("/api/v1/instances/{id}/attachments", get(attachments))
        .route("/api/v1/instances/{id}/containers", get(containers))
        .route("/api/v1/instances/{id}/stop-service", post(stop_service))
        .route("/api/v1/admin/stop-all", post(stop_all))
        .route("/api/v1/admin/rescan-challenges", post(rescan))
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            require_node_token,
        ));
    Router::new()
        .merge(authed)
        .route("/api/v1/health", get(node_health))
        .route("/_standin/node", get(debug_node))
        .route("/_standin/instances", get(debug_instances))
        .route("/_standin/instances/{id}", get(debug_instance))
        .route("/_standin/requests", get(debug_requests))
        .fallback(not_implemented)
        .layer(middleware::from_fn_with_state(shared.clone(), log_requests))
        .with_state(shared)
}

fn detail(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, Json(json!({ "detail": msg.into() }))).into_response()
}

fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Instance not found")
}

/// A JSON body whose rejection is a FastAPI-like 422.
struct Body422<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body422<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body422(v)),
            Err(rej) => {
                let kind = match &rej {
                    JsonRejection::JsonDataError(_) => "value_error",
                    JsonRejection::JsonSyntaxError(_) => "json_invalid",
                    JsonRejection::MissingJsonContentType(_) => "content_type",
                    _ => "invalid_body",
                };
                let body = json!({
                    "detail": [{"type": kind, "loc": ["body"], "msg": rej.body_text()}]
                });
                Err((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
            }
        }
    }
}

// --- middleware -----------------------------------------------------------------------

async fn require_node_token(State(shared): St, req: Request, next: Next) -> Response {
    let Some(expected) = shared.token() else {
        return detail(
            StatusCode::FORBIDDEN,
            "Node has not yet registered; token unavailable",
        );
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_string())
        })
        .filter(|t| !t.is_empty());
    match given {
        None => detail(StatusCode::UNAUTHORIZED, "Missing bearer token"),
        Some(t) if !constant_time_eq(t.as_bytes(), expected.as_bytes()) => {
            detail(StatusCode::FORBIDDEN, "Invalid node token")
        }
        Some(_) => next.run(req).await,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Records every `/api/v1` call (method, path, body, status) in memory and in
/// `<state-dir>/requests.jsonl`.
async fn log_requests(State(shared): St, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/v1") {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"),
    };
    let method = parts.method.to_string();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let authorized = parts.headers.contains_key(header::AUTHORIZATION);
    let body_json = body_value(&bytes);
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let entry = json!({
        "ts": now_epoch(),
        "method": method,
        "path": path,
        "authorization": authorized,
        "body": body_json,
        "status": resp.status().as_u16(),
    });
    shared.append_state_line("requests.jsonl", &entry);
    lock(&shared.requests).push(entry);
    resp
}

fn body_value(bytes: &Bytes) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

// --- instances ------------------------------------------------------------------------

fn report(id: &InstanceId, inst: &Instance) -> InstanceStatusReport {
    InstanceStatusReport::default().with(|it| {
        it.instance_id = id.clone();
        it.status = inst.status.as_str().to_string();
        it.attack_surface = inst.surface.clone();
        it.question_params = BTreeMap::new();
        it.seeded_answers = BTreeMap::new();
        it.image_source = String::new();
        it.error = inst.error.clone();
        it.pending_services = match inst.status {
            Status::Starting => Some(vec!["web".to_string()]),
            _ => None,
        };
    })
}

async fn start_instance(State(shared): St, Body422(raw): Body422<Value>) -> Response {
    let request: StartRequest = match serde_json::from_value(raw.clone()) {
        Ok(r) => r,
        Err(e) => {
            let body =
                json!({"detail": [{"type": "value_error", "loc": ["body"], "msg": e.to_string()}]});
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
        }
    };
    let id = request.instance_id.clone();
    {
        let instances = lock(&shared.instances);
        if let Some(existing) = instances.get(&id) {
            // Idempotent replay, like the real node.
            return Json(InstanceStarted::default().with(|it| {
                it.instance_id = id;
                it.status = existing.status.as_str().to_string();
                it.question_params = BTreeMap::new();
            }))
            .into_response();
        }
    }
    let serial = shared.next_serial();
    let inst = Instance {
        serial,
        request: request.clone(),
        raw_request: raw,
        status: Status::Starting,
        started_at: now_epoch(),
        surface: None,
        error: None,
        service: None,
    };
    lock(&shared.instances).insert(id.clone(), inst);
    tracing::info!(instance_id = %id, challenge_id = %request.challenge_id, "instance starting");
    tokio::spawn(make_ready(shared.clone(), id.clone(), serial));
    Json(InstanceStarted::default().with(|it| {
        it.instance_id = id;
        it.status = "starting".into();
        it.question_params = BTreeMap::new();
    }))
    .into_response()
}

/// After the start delay: fail `*FAIL*` challenges, otherwise bind the service.
async fn make_ready(shared: Arc<Shared>, id: InstanceId, serial: u64) {
    tokio::time::sleep(shared.cfg.start_delay).await;
    let request = {
        let instances = lock(&shared.instances);
        match instances.get(&id) {
            Some(i) if i.serial == serial => i.request.clone(),
            _ => return,
        }
    };
    let outcome = if request.challenge_id.as_str().contains("FAIL") {
        Err(format!(
            "stand-in node: simulated start failure for {}",
            request.challenge_id
        ))
    } else {
        match service::bind(shared.cfg.service_ports).await {
            Ok(listener) => service::spawn(
                listener,
                ServiceInfo {
                    instance_id: id.to_string(),
                    challenge_id: request.challenge_id.to_string(),
                    answers: request.answers.clone().unwrap_or_default(),
                },
            )
            .map_err(|e| format!("stand-in node: cannot serve instance: {e}")),
            Err(e) => Err(format!("stand-in node: cannot bind a service port: {e}")),
        }
    };
    let leftover = {
        let mut instances = lock(&shared.instances);
        match instances.get_mut(&id) {
            Some(inst) if inst.serial == serial => {
                match outcome {
                    Ok(handle) => {
                        inst.surface = Some(AttackSurface::default().with(|it| {
                            it.services = vec![ServiceEndpoint::default().with(|it| {
                                it.service_type = ServiceType::Http;
                                it.host = "127.0.0.1".into();
                                it.port = i64::from(handle.addr.port());
                                it.credentials = None;
                                it.path = "/".into();
                                it.label = "web".into();
                            })];
                            it.provided_files = vec![];
                            it.flag_path = None;
                            it.vpn = None;
                        }));
                        inst.status = Status::Ready;
                        tracing::info!(instance_id = %id, port = handle.addr.port(), "instance ready");
                        inst.service = Some(handle);
                    }
                    Err(e) => {
                        tracing::info!(instance_id = %id, error = %e, "instance failed");
                        inst.status = Status::Error;
                        inst.error = Some(e);
                    }
                }
                None
            }
            // Stopped while starting: drop the server we just made.
            _ => outcome.ok(),
        }
    };
    if let Some(handle) = leftover {
        handle.stop().await;
    }
}

async fn instance_status(State(shared): St, Path(id): Path<InstanceId>) -> Response {
    match lock(&shared.instances).get(&id) {
        Some(inst) => Json(report(&id, inst)).into_response(),
        None => not_found(),
    }
}

async fn list_instances(State(shared): St) -> Response {
    let items = lock(&shared.instances)
        .iter()
        .map(|(id, inst)| {
            NodeInstanceSummary::default().with(|it| {
                it.instance_id = id.clone();
                it.challenge_id = inst.request.challenge_id.clone();
                it.status = inst.status.as_str().to_string();
                it.attack_surface = inst.surface.clone();
                it.question_params = BTreeMap::new();
                it.started_at = inst.started_at.into();
                it.ttl = inst.request.ttl;
                it.error = inst.error.clone();
            })
        })
        .collect();
    Json(NodeInstanceList::default().with(|it| {
        it.items = items;
    }))
    .into_response()
}

async fn stop_instance(State(shared): St, Path(id): Path<InstanceId>) -> Response {
    let removed = lock(&shared.instances).remove(&id);
    match removed {
        Some(inst) => {
            if let Some(svc) = inst.service {
                svc.stop().await;
            }
            tracing::info!(instance_id = %id, "instance stopped");
            Json(InstanceStopped::default().with(|it| {
                it.instance_id = id;
                it.status = "stopped".into();
            }))
            .into_response()
        }
        None => not_found(),
    }
}

fn known(shared: &Shared, id: &str) -> bool {
    lock(&shared.instances).contains_key(id)
}

async fn agent_runtime(State(shared): St, Path(id): Path<InstanceId>) -> Response {
    if !known(&shared, id.as_str()) {
        return not_found();
    }
    Json(AgentRuntime::default()).into_response()
}

async fn instance_health(State(shared): St, Path(id): Path<InstanceId>) -> Response {
    let healthy = match lock(&shared.instances).get(&id) {
        Some(inst) => inst.status != Status::Error,
        None => return not_found(),
    };
    Json(json!({
        "is_healthy": healthy,
        "deception": {"channel": "absent", "contacts": 0, "complies": 0, "reported": [], "observations": []},
        "contact": {"channel": "absent", "flows": [], "reason": "", "complete": true},
        "new_processes": {},
    }))
    .into_response()
}

async fn traffic(State(shared): St, Path(id): Path<InstanceId>) -> Response {
    if !known(&shared, id.as_str()) {
        return not_found();
    }
    Json(json!({
        "flows": [], "cursor": "", "truncated": false, "capture": "",
        "redaction": "", "unscrubbable": [],
    }))
    .into_response()
}

async fn pcap(Path(_id): Path<String>) -> Response {
    detail(StatusCode::NOT_FOUND, "No capture for this instance")
}

async fn container_logs(State(shared): St, Path(id): Path<InstanceId>) -> Response {
    let line = match lock(&shared.instances).get(&id) {
        Some(inst) => format!(
            "stand-in node: no containers; challenge {} is {}\n",
            inst.request.challenge_id,
            inst.status.as_str()
        ),
        None => return not_found(),
    };
    Json(json!({ "logs": line })).into_response()
}

async fn attachments(State(shared): St, Path(id): Path<InstanceId>) -> Response {
    if !known(&shared, id.as_str()) {
        return not_found();
    }
    Json(json!({ "files": [] })).into_response()
}

async fn containers(State(shared): St, Path(id): Path<InstanceId>) -> Response {
    if !known(&shared, id.as_str()) {
        return not_found();
    }
    Json(json!([])).into_response()
}

async fn stop_service(
    State(shared): St,
    Path(id): Path<InstanceId>,
    Body422(req): Body422<StopServiceRequest>,
) -> Response {
    let svc = match lock(&shared.instances).get_mut(&id) {
        Some(inst) if req.service == "web" => inst.service.take(),
        Some(_) => None,
        None => return not_found(),
    };
    let stopped = match svc {
        Some(svc) => {
            svc.stop().await;
            1
        }
        None => 0,
    };
    Json(ServiceStopped::default().with(|it| {
        it.instance_id = id;
        it.service = req.service;
        it.stopped = stopped;
    }))
    .into_response()
}

async fn stop_all(State(shared): St) -> Response {
    let n = shared.stop_all().await;
    tracing::info!(stopped = n, "stop-all");
    Json(json!({ "status": "stopped" })).into_response()
}

async fn rescan(State(shared): St) -> Response {
    let _ = shared;
    Json(json!({ "total": 0, "added": [], "removed": [] })).into_response()
}

async fn node_health(State(shared): St) -> Response {
    Json(json!({
        "status": "ok",
        "public_url": shared.public_url,
        "capacity": shared.cfg.capacity,
        "running": shared.running(),
        "labels": {"standin": "true"},
        "registered": shared.token().is_some(),
        "node_id": shared.node_id(),
    }))
    .into_response()
}

async fn not_implemented(method: Method, uri: Uri) -> Response {
    detail(
        StatusCode::NOT_FOUND,
        format!("stand-in node does not implement {method} {}", uri.path()),
    )
}

// --- debug ----------------------------------------------------------------------------

fn debug_view(id: &str, inst: &Instance) -> Value {
    json!({
        "instance_id": id,
        "challenge_id": inst.request.challenge_id,
        "status": inst.status.as_str(),
        "started_at": inst.started_at,
        "ttl": inst.request.ttl,
        "error": inst.error,
        "attack_surface": inst.surface,
        "answers": inst.request.answers.clone().unwrap_or_default(),
        "start_request": inst.raw_request,
    })
}

async fn debug_instances(State(shared): St) -> Response {
    let items: Vec<Value> = lock(&shared.instances)
        .iter()
        .map(|(id, inst)| debug_view(id.as_str(), inst))
        .collect();
    Json(json!({ "items": items })).into_response()
}

async fn debug_instance(State(shared): St, Path(id): Path<InstanceId>) -> Response {
    match lock(&shared.instances).get(&id) {
        Some(inst) => Json(debug_view(id.as_str(), inst)).into_response(),
        None => not_found(),
    }
}

async fn debug_requests(State(shared): St) -> Response {
    let items = lock(&shared.requests).clone();
    Json(json!({ "items": items })).into_response()
}

async fn debug_node(State(shared): St) -> Response {
    Json(json!({
        "node_id": shared.node_id(),
        "public_url": shared.public_url,
        "platform_url": shared.cfg.platform_url,
        "capacity": shared.cfg.capacity,
        "running": shared.running(),
        "start_delay_ms": u64::try_from(shared.cfg.start_delay.as_millis()).unwrap_or(u64::MAX),
    }))
    .into_response()
}
