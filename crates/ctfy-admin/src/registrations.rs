//! `admin.registrations().roster_all`: hand-written because it streams every roster page.
//!
//! The namespace and its other calls are generated (`generated/registrations.rs`).

use ctfy_models::{CompetitionId, IntoId, RegistrationTeamRow};
use ctfy_transport::PageStream;

use crate::AdminRegistrations;

impl AdminRegistrations<'_> {
    /// Streams the whole registration roster of a competition, fetching `page_size` rows per
    /// request until the last page.
    ///
    /// `GET /admin/competitions/{competition_id}/registration-roster` (repeated); Python SDK:
    /// `admin.registrations.roster_all`. For filters, use
    /// [`roster`](AdminRegistrations::roster)`(..).status(..).limit(page_size).stream()`.
    pub fn roster_all(
        &self,
        competition_id: impl IntoId<CompetitionId>,
        page_size: u64,
    ) -> PageStream<RegistrationTeamRow> {
        self.roster(competition_id).limit(page_size.max(1)).stream()
    }
}
