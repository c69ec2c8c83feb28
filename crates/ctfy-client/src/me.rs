//! `client.me()`: the caller's own account.

use ctfy_models::MeResponse;
use ctfy_transport::{Call, Request, Transport};

use crate::builder;

/// The caller's account.
#[derive(Debug, Clone, Copy)]
pub struct Me<'a> {
    pub(crate) t: &'a Transport,
}

impl Me<'_> {
    /// Who the token belongs to: id, email, role, token kind, teams (`GET /me`).
    pub fn get(&self) -> GetMe {
        GetMe(Call::new(self.t, Request::get("/me", &[])))
    }
}

builder!(
    /// Request builder of [`Me::get`].
    GetMe => MeResponse, json
);

impl GetMe {
    /// Scope team information to this competition.
    pub fn competition_id(self, id: impl Into<String>) -> Self {
        Self(self.0.query("competition_id", id.into()))
    }
}
