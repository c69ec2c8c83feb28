//! `client.patches()`: the hand-written patch submissions.
//!
//! The wire carries file contents base64-encoded; these calls take raw bytes and encode them,
//! and `submit_live` always asks the platform to read the files from the running box. The
//! namespace and its other calls are generated (`generated/patches.rs`).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ctfy_models::{self as m, ChallengeId, CompetitionId, InstanceId, IntoId};
use ctfy_transport::__private::{Call, builder};
use ctfy_transport::Request;

use crate::Patches;

fn encode_files<P: Into<String>, B: AsRef<[u8]>>(
    files: impl IntoIterator<Item = (P, B)>,
) -> BTreeMap<String, String> {
    files
        .into_iter()
        .map(|(path, bytes)| (path.into(), STANDARD.encode(bytes)))
        .collect()
}

impl Patches<'_> {
    /// Submits replacement files for the challenge of a running instance; `files` maps a
    /// challenge-relative path to its new contents (only the challenge's patch targets are
    /// accepted). The platform builds and judges the patch later: poll the returned
    /// submission.
    ///
    /// `POST /patches`; Python SDK: `client.patches.submit`.
    pub fn submit<P: Into<String>, B: AsRef<[u8]>>(
        &self,
        instance_id: impl IntoId<InstanceId>,
        files: impl IntoIterator<Item = (P, B)>,
    ) -> PatchesSubmit {
        let files = encode_files(files);
        PatchesSubmit(
            Call::new(self.t, Request::post("/patches", &[]))
                .check(instance_id.into_id(), |c, id| {
                    c.body_field("instance_id", id)
                })
                .body_field("files", files),
        )
    }

    /// Submits replacement files for a challenge with no instance running; `files` as in
    /// [`submit`](Self::submit).
    ///
    /// `POST /patches`; Python SDK: `client.patches.submit_for_challenge`.
    pub fn submit_for_challenge<P: Into<String>, B: AsRef<[u8]>>(
        &self,
        challenge_id: impl IntoId<ChallengeId>,
        files: impl IntoIterator<Item = (P, B)>,
    ) -> PatchesSubmit {
        let files = encode_files(files);
        PatchesSubmit(
            Call::new(self.t, Request::post("/patches", &[]))
                .check(challenge_id.into_id(), |c, id| {
                    c.body_field("challenge_id", id)
                })
                .body_field("files", files),
        )
    }

    /// Asks the platform to take the patch from the running box itself: it reads the
    /// challenge's patch targets from the instance (`source: live`).
    ///
    /// `POST /patches`; Python SDK: `client.patches.submit_live`.
    pub fn submit_live(&self, instance_id: impl IntoId<InstanceId>) -> PatchesSubmit {
        PatchesSubmit(
            Call::new(self.t, Request::post("/patches", &[]))
                .check(instance_id.into_id(), |c, id| {
                    c.body_field("instance_id", id)
                })
                .body_field("source", "live"),
        )
    }
}

builder!(
    /// Request builder of the patch submissions ([`Patches::submit`],
    /// [`Patches::submit_for_challenge`], [`Patches::submit_live`]).
    PatchesSubmit => m::PatchSubmissionInfo, json
);

impl PatchesSubmit {
    /// The competition the submission counts for (the `competition_id` body member). An
    /// invalid id fails the call with [`InvalidId`](crate::Error::InvalidId) when sent.
    pub fn competition_id(self, competition_id: impl IntoId<CompetitionId>) -> Self {
        Self(
            self.0
                .body_id::<CompetitionId>("competition_id", competition_id),
        )
    }
}
