//! `Competition::register` (hand-written because it picks one of two endpoints) and the
//! competition-scoped instance routes (not in the Python SDK).
//!
//! The handle itself and its other calls are generated (`generated/competition.rs`).

use ctfy_models::{InstanceId, IntoId, TeamDetail};
use ctfy_transport::__private::{Call, builder};
use ctfy_transport::{Request, Result};

use crate::{
    Competition, InstancesGet, InstancesRenew, InstancesReset, InstancesStatus, InstancesStop,
    InstancesTraffic,
};

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
    /// Returns an owned builder: `.await` it (or `.send()`); `.timeout()` sets this call's
    /// per-attempt timeout.
    ///
    /// # Errors
    /// 409 `already_member` when creating a team while on one; any [`Error`](crate::Error).
    pub fn register(&self, how: Registration) -> CompetitionRegister {
        let id = self.id.as_str();
        let req = (|| -> Result<Request> {
            Ok(match how {
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
        })
        })();
        CompetitionRegister(Call::new(&self.t, req))
    }
}

builder!(
    /// Request builder of [`Competition::register`]: `.await` it (or `.send()`);
    /// `.timeout()` gives it its own per-attempt timeout. Owned and `Send + 'static`.
    CompetitionRegister => TeamDetail, json
);

/// The caller's instances addressed through one competition's own routes
/// (`/competitions/{competition_id}/instances/{instance_id}…`): the platform checks that the
/// instance belongs to this competition. Returned by [`Competition::instances`].
#[derive(Debug, Clone, Copy)]
pub struct CompetitionInstances<'a> {
    comp: &'a Competition,
}

impl Competition {
    /// The caller's instances in this competition (the scoped twins of
    /// [`PlatformClient::instances`](crate::PlatformClient::instances)). Not in the Python SDK.
    pub fn instances(&self) -> CompetitionInstances<'_> {
        CompetitionInstances { comp: self }
    }
}

impl CompetitionInstances<'_> {
    /// A call of `request(&[competition_id, instance_id])`.
    fn call(
        &self,
        instance_id: impl IntoId<InstanceId>,
        request: impl FnOnce(&[&str]) -> Result<Request>,
    ) -> Call {
        let req = instance_id
            .into_id()
            .map_err(Into::into)
            .and_then(|id| request(&[self.comp.id.as_str(), id.as_str()]));
        Call::new(&self.comp.t, req)
    }

    /// One instance (`GET /competitions/{competition_id}/instances/{instance_id}`).
    pub fn get(&self, instance_id: impl IntoId<InstanceId>) -> InstancesGet {
        InstancesGet(self.call(instance_id, |a| {
            Request::get("/competitions/{competition_id}/instances/{instance_id}", a)
        }))
    }

    /// Its status and attack surface
    /// (`GET /competitions/{competition_id}/instances/{instance_id}/status`).
    pub fn status(&self, instance_id: impl IntoId<InstanceId>) -> InstancesStatus {
        InstancesStatus(self.call(instance_id, |a| {
            Request::get(
                "/competitions/{competition_id}/instances/{instance_id}/status",
                a,
            )
        }))
    }

    /// Extends its lifetime (`POST /competitions/{competition_id}/instances/{instance_id}/renew`).
    pub fn renew(&self, instance_id: impl IntoId<InstanceId>) -> InstancesRenew {
        InstancesRenew(self.call(instance_id, |a| {
            Request::post(
                "/competitions/{competition_id}/instances/{instance_id}/renew",
                a,
            )
        }))
    }

    /// Replaces it with a fresh one (`POST /competitions/{competition_id}/instances/{instance_id}/reset`).
    pub fn reset(&self, instance_id: impl IntoId<InstanceId>) -> InstancesReset {
        InstancesReset(self.call(instance_id, |a| {
            Request::post(
                "/competitions/{competition_id}/instances/{instance_id}/reset",
                a,
            )
        }))
    }

    /// Its captured traffic (`GET /competitions/{competition_id}/instances/{instance_id}/traffic`).
    pub fn traffic(&self, instance_id: impl IntoId<InstanceId>) -> InstancesTraffic {
        InstancesTraffic(self.call(instance_id, |a| {
            Request::get(
                "/competitions/{competition_id}/instances/{instance_id}/traffic",
                a,
            )
        }))
    }

    /// Stops it (`DELETE /competitions/{competition_id}/instances/{instance_id}`); as
    /// [`Instances::stop`](crate::Instances::stop), an instance already gone counts as stopped
    /// (`Ok(false)`).
    ///
    /// Returns an owned builder: `.await` it (or `.send()`); `.timeout()` sets this call's
    /// per-attempt timeout.
    ///
    /// # Errors
    /// Any [`Error`](crate::Error) but 404.
    pub fn stop(&self, instance_id: impl IntoId<InstanceId>) -> InstancesStop {
        InstancesStop(self.call(instance_id, |a| {
            Request::delete("/competitions/{competition_id}/instances/{instance_id}", a)
        }))
    }
}
