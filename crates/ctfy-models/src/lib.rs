//! Wire types of the ctfy CTF platform.
//!
//! Every request and response body the platform and its worker nodes exchange is a
//! plain serde type here, shared by the player, operator and node clients. The crate
//! has no HTTP dependency.
//!
//! Two rules keep clients working when the server moves ahead of them:
//! - enums keep values they do not know (`Unknown(String)`) instead of failing;
//! - structs ignore fields they do not know.
//!
//! Identifiers that end up in URL paths are newtypes ([`InstanceId`], [`ChallengeId`], …)
//! that refuse the empty string, `.` and `..`, so a path can never be redirected by an id.

#[macro_use]
mod macros;
mod ids;
mod page;

pub use ids::*;
pub use page::Page;

/// A point in time as the platform writes it: an ISO-8601 string, normally UTC with a `Z`
/// suffix (`2026-11-22T22:27:33.936721Z`). Kept as text so that no format change on the
/// server can make a response undecodable.
pub type Timestamp = String;

/// Any JSON value: used where the platform's schema is open (`dict[str, Any]`).
pub type Json = serde_json::Value;

/// A JSON object with arbitrary keys.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;
