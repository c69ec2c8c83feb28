//! `client.competitions()`: discover competitions.

use ctfy_models::{CompetitionDetail, CompetitionId, CompetitionInfo, IntoId};
use ctfy_transport::{Call, Request, Result, Transport};

use crate::builder;

/// Competitions visible to the caller.
#[derive(Debug, Clone, Copy)]
pub struct Competitions<'a> {
    pub(crate) t: &'a Transport,
}

impl Competitions<'_> {
    /// Lists competitions (`GET /competitions`); filter with the builder, then `.await` a page
    /// or `.stream()` them all.
    pub fn list(&self) -> ListCompetitions {
        ListCompetitions(Call::new(self.t, Request::get("/competitions", &[])))
    }

    /// One competition with its full detail (`GET /competitions/{id}`).
    ///
    /// # Errors
    /// 404 `http_404` for an unknown or hidden competition; any [`Error`](crate::Error).
    pub async fn get(
        &self,
        competition_id: impl IntoId<CompetitionId>,
    ) -> Result<CompetitionDetail> {
        let id = competition_id.into_id()?;
        self.t
            .json(&Request::get("/competitions/{competition_id}", &[&id])?)
            .await
    }
}

builder!(
    /// Request builder of [`Competitions::list`].
    ListCompetitions => Page<CompetitionInfo>
);

impl ListCompetitions {
    /// Only competitions in this phase: `upcoming`, `running` or `past`.
    pub fn phase(self, phase: impl Into<String>) -> Self {
        Self(self.0.query("phase", phase.into()))
    }

    /// Only this competition (as a one-item listing).
    pub fn competition_id(self, id: impl Into<String>) -> Self {
        Self(self.0.query("competition_id", id.into()))
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
