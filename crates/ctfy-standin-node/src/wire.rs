//! Wire types of the node protocol (PLATFORM.md §9, `openapi_node.json`).
//!
//! The platform→node bodies are the generated [`ctfy_models::node`] types; the two
//! node→platform bodies (registration and heartbeat) are [`ctfy_models::platform`] types.

pub use ctfy_models::node::{
    AgentRuntime, AttackSurface, InstanceStarted, InstanceStatusReport, InstanceStopped,
    NodeInstanceList, NodeInstanceSummary, ServiceEndpoint, ServiceStopped, ServiceType,
    StartRequest, StopServiceRequest,
};
pub use ctfy_models::platform::{NodeHeartbeat, NodeRegister};
