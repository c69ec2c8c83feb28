//! Serde types of the node wire protocol (PLATFORM.md §9, `openapi_node.json`).
//!
//! TODO: switch to `ctfy_models::node::*` once that module exists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `POST /api/v1/instances`: what the platform asks a node to start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRequest {
    /// The catalog id of the challenge (e.g. `CTFYRS-WEB-001`).
    pub challenge_id: String,
    /// The platform-chosen instance id (a uuid4 in practice; any text is accepted).
    pub instance_id: String,
    /// Time to live in seconds.
    pub ttl: i64,
    /// The minted answers, by question id (dynamic questions only).
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// Where the node should write proxy captures (unused here).
    #[serde(default)]
    pub proxy_output_dir: Option<String>,
    /// Extra environment for the challenge containers (unused here).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Whether to publish the gamebox (unused here).
    #[serde(default)]
    pub publish_gamebox: bool,
    /// AWD match network (unused here).
    #[serde(default)]
    pub match_network: Option<serde_json::Value>,
    /// Password for the open shell (unused here).
    #[serde(default)]
    pub open_shell_password: String,
    /// Authored revision (unused here).
    #[serde(default)]
    pub authored_revision: String,
}

/// The reply to `POST /api/v1/instances`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceStarted {
    /// The instance id, echoed.
    pub instance_id: String,
    /// Always `starting` for a new start.
    pub status: String,
    /// Per-question parameters (always empty here).
    #[serde(default)]
    pub question_params: BTreeMap<String, String>,
}

/// The protocol name of a service (`ssh | http | https | tcp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceType {
    /// SSH.
    Ssh,
    /// Plain HTTP.
    Http,
    /// HTTPS.
    Https,
    /// Raw TCP.
    Tcp,
}

/// One reachable service of an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceEndpoint {
    /// The protocol.
    pub service_type: ServiceType,
    /// Host to connect to.
    pub host: String,
    /// Port to connect to.
    pub port: u16,
    /// Login credentials, if any.
    pub credentials: Option<serde_json::Value>,
    /// URL path (for http/https).
    pub path: String,
    /// A short label.
    pub label: String,
}

/// What a player can attack on an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttackSurface {
    /// The services.
    pub services: Vec<ServiceEndpoint>,
    /// Files handed out with the instance.
    pub provided_files: Vec<serde_json::Value>,
    /// Where the flag lives in the box, if meaningful.
    pub flag_path: Option<String>,
    /// VPN endpoint (engagement topologies only).
    pub vpn: Option<serde_json::Value>,
}

/// The reply to `GET /api/v1/instances/{id}/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceStatusReport {
    /// The instance id.
    pub instance_id: String,
    /// `starting | ready | error`.
    pub status: String,
    /// Set once ready.
    pub attack_surface: Option<AttackSurface>,
    /// Per-question parameters (always empty here).
    pub question_params: BTreeMap<String, String>,
    /// Seeded answers (always empty here).
    pub seeded_answers: BTreeMap<String, String>,
    /// Where the image came from (always empty here).
    pub image_source: String,
    /// The failure, when `status == "error"`.
    pub error: Option<String>,
    /// Services still coming up.
    pub pending_services: Option<Vec<String>>,
}

/// The reply to `DELETE /api/v1/instances/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceStopped {
    /// The instance id.
    pub instance_id: String,
    /// Always `stopped`.
    pub status: String,
}

/// One row of `GET /api/v1/instances`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInstanceSummary {
    /// The instance id.
    pub instance_id: String,
    /// The challenge id.
    pub challenge_id: String,
    /// `starting | ready | error`.
    pub status: String,
    /// Set once ready.
    pub attack_surface: Option<AttackSurface>,
    /// Per-question parameters.
    pub question_params: BTreeMap<String, String>,
    /// Epoch seconds.
    pub started_at: f64,
    /// Time to live in seconds.
    pub ttl: i64,
    /// The failure, if any.
    pub error: Option<String>,
}

/// The reply to `GET /api/v1/instances`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInstanceList {
    /// Every instance the node knows.
    pub items: Vec<NodeInstanceSummary>,
}

/// The reply to `GET /api/v1/instances/{id}/agent-runtime`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRuntime {
    /// Runtime kind (empty: none).
    pub kind: String,
    /// CA volume name.
    pub ca_volume: String,
    /// Proxy URL.
    pub proxy_url: String,
    /// CA certificate.
    pub ca_cert_pem: String,
    /// Hosts the agent may target.
    pub target_hosts: Vec<String>,
}

/// The body of `POST /api/v1/instances/{id}/stop-service`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopServiceRequest {
    /// The compose service name.
    pub service: String,
}

/// The reply to `POST /api/v1/instances/{id}/stop-service`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStopped {
    /// The instance id.
    pub instance_id: String,
    /// The service name, echoed.
    pub service: String,
    /// How many containers were stopped.
    pub stopped: u32,
}

/// The body of `POST /api/v1/nodes/register` (node → platform).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// The URL the platform should call the node on.
    pub url: String,
    /// Display name.
    pub display_name: String,
    /// Max concurrent instances.
    pub capacity: u32,
    /// Free-form labels.
    pub labels: BTreeMap<String, String>,
}

/// The body of `POST /api/v1/nodes/heartbeat` (node → platform).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The node id.
    pub id: String,
    /// Live instances.
    pub running: u32,
    /// Max concurrent instances.
    pub capacity: u32,
    /// CPU load in percent.
    pub cpu_percent: f64,
    /// Memory use in percent.
    pub memory_percent: f64,
    /// Total memory in MB.
    pub memory_total_mb: f64,
    /// Disk use in percent.
    pub disk_percent: f64,
    /// Epoch seconds of the sample.
    pub sampled_at: f64,
    /// Node software version.
    pub version: String,
    /// Node software commit.
    pub git_commit: String,
    /// Challenge corpus commit.
    pub corpus_commit: String,
    /// Ingress canary URL.
    pub ingress_canary_url: String,
}
