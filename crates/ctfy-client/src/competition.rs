//! `client.competition(id)`: an owned handle on one competition.

use ctfy_models::{ChallengeInfo, CompetitionDetail, CompetitionId, TeamDetail};
use ctfy_transport::{Call, Request, Result, Transport};

use crate::builder;

/// One competition: registration, its challenges, its team. Owned and `Clone`, so it can
/// move into spawned tasks.
#[derive(Debug, Clone)]
pub struct Competition {
    t: Transport,
    id: CompetitionId,
}

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
    pub(crate) fn new(t: Transport, id: CompetitionId) -> Self {
        Self { t, id }
    }

    /// The competition's id.
    pub fn id(&self) -> &CompetitionId {
        &self.id
    }

    /// The competition's full detail (`GET /competitions/{id}`).
    ///
    /// # Errors
    /// 404 for an unknown or hidden competition; any [`Error`](crate::Error).
    pub async fn detail(&self) -> Result<CompetitionDetail> {
        self.t
            .json(&Request::get(
                "/competitions/{competition_id}",
                &[&self.id],
            )?)
            .await
    }

    /// Gets the caller onto a team: solo, a new team, or an existing one by invite code
    /// (`POST /competitions/{id}/teams`, or `…/teams/redeem` to join).
    ///
    /// # Errors
    /// 409 `already_member` when creating a team while on one; any [`Error`](crate::Error).
    pub async fn register(&self, how: Registration) -> Result<TeamDetail> {
        let req = match how {
            Registration::Solo => {
                Request::post("/competitions/{competition_id}/teams", &[&self.id])?
                    .json(&serde_json::json!({ "mode": "solo" }))?
            }
            Registration::Create { name, description } => Request::post(
                "/competitions/{competition_id}/teams",
                &[&self.id],
            )?
            .json(
                &serde_json::json!({ "mode": "create", "name": name, "description": description }),
            )?,
            Registration::Join { code } => {
                Request::post("/competitions/{competition_id}/teams/redeem", &[&self.id])?
                    .json(&serde_json::json!({ "code": code }))?
            }
        };
        self.t.json(&req).await
    }

    /// The competition's challenges in their curated order
    /// (`GET /competitions/{id}/challenges`).
    pub fn challenges(&self) -> ListChallenges {
        ListChallenges(Call::new(
            &self.t,
            Request::get("/competitions/{competition_id}/challenges", &[&self.id]),
        ))
    }
}

builder!(
    /// Request builder of [`Competition::challenges`].
    ListChallenges => Page<ChallengeInfo>
);

impl ListChallenges {
    /// Only challenges of this difficulty (`easy`, `medium`, `hard`).
    pub fn difficulty(self, difficulty: impl Into<String>) -> Self {
        Self(self.0.query("difficulty", difficulty.into()))
    }

    /// Only challenges with this tag.
    pub fn tag(self, tag: impl Into<String>) -> Self {
        Self(self.0.query("tag", tag.into()))
    }

    /// Free-text search.
    pub fn q(self, q: impl Into<String>) -> Self {
        Self(self.0.query("q", q.into()))
    }

    /// Page size (1…10000; the server's default is 50).
    pub fn limit(self, limit: u64) -> Self {
        Self(self.0.query("limit", limit))
    }

    /// Index of the first item.
    pub fn offset(self, offset: u64) -> Self {
        Self(self.0.query("offset", offset))
    }
}
