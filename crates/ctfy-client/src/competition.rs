//! `Competition::register`: hand-written because it picks one of two endpoints.
//!
//! The handle itself and its other calls are generated (`generated/competition.rs`).

use ctfy_models::TeamDetail;
use ctfy_transport::{Request, Result};

use crate::Competition;

/// How to get onto a team in a competition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// A team of one, named after the caller. Idempotent: registering again returns the
    /// same team.
    Solo,
    /// A new team that others can join.
    Create {
        /// Team name.
        name: String,
        /// Team description (may be empty).
        description: String,
    },
    /// An existing team, with its invite code.
    Join {
        /// The invite code.
        code: String,
    },
}

impl Competition {
    /// Gets the caller onto a team: solo, a new team, or an existing one by invite code.
    ///
    /// `POST /competitions/{competition_id}/teams` (solo, create) or
    /// `POST /competitions/{competition_id}/teams/redeem` (join); Python SDK:
    /// `client.competition(id).register`.
    ///
    /// # Errors
    /// 409 `already_member` when creating a team while on one; any [`Error`](crate::Error).
    pub async fn register(&self, how: Registration) -> Result<TeamDetail> {
        let id = self.id.as_str();
        let req = match how {
            Registration::Solo => Request::post("/competitions/{competition_id}/teams", &[id])?
                .json(&serde_json::json!({ "mode": "solo" }))?,
            Registration::Create { name, description } => Request::post(
                "/competitions/{competition_id}/teams",
                &[id],
            )?
            .json(
                &serde_json::json!({ "mode": "create", "name": name, "description": description }),
            )?,
            Registration::Join { code } => {
                Request::post("/competitions/{competition_id}/teams/redeem", &[id])?
                    .json(&serde_json::json!({ "code": code }))?
            }
        };
        self.t.json(&req).await
    }
}
