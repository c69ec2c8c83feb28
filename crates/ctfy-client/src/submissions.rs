//! `client.submissions()`: the hand-written calls (`submit`, `verify`: an [`Answer`] and the
//! default question `flag`).
//!
//! The namespace and its other calls are generated (`generated/submissions.rs`).

use ctfy_models::{
    CompetitionId, InstanceId, IntoId, QuestionId, StringOrList, SubmissionResponse,
    VerifyAnswerResponse,
};
use ctfy_transport::__private::{Call, builder};
use ctfy_transport::Request;

use crate::Submissions;

/// An answer: one string, or several choices for a multi-select question (the wire type
/// [`StringOrList`] that the generated calls, e.g. `submit_qa`, take as well).
pub type Answer = StringOrList;

impl Submissions<'_> {
    /// Submits an answer for a question of an instance; the question defaults to `flag`. A
    /// wrong answer is not an error: it comes back with `correct: false`.
    ///
    /// `POST /submissions`; Python SDK: `client.submissions.submit`.
    pub fn submit(
        &self,
        instance_id: impl IntoId<InstanceId>,
        answer: impl Into<Answer>,
    ) -> SubmissionsSubmit {
        let answer = answer.into();
        SubmissionsSubmit(Call::new(self.t, Request::post("/submissions", &[])).check(
            instance_id.into_id(),
            |c, id| {
                c.body_field("instance_id", id)
                    .body_field("question_id", "flag")
                    .body_field("answer", answer)
            },
        ))
    }

    /// Checks an answer without recording anything; the question defaults to `flag`.
    ///
    /// `POST /instances/{instance_id}/verify-answer`; Python SDK: `client.submissions.verify`.
    pub fn verify(
        &self,
        instance_id: impl IntoId<InstanceId>,
        answer: impl Into<Answer>,
    ) -> SubmissionsVerify {
        let answer = answer.into();
        let req = instance_id
            .into_id()
            .map_err(Into::into)
            .and_then(|id| Request::post("/instances/{instance_id}/verify-answer", &[id.as_str()]));
        SubmissionsVerify(
            Call::new(self.t, req)
                .body_field("question_id", "flag")
                .body_field("answer", answer),
        )
    }
}

builder!(
    /// Request builder of [`Submissions::submit`].
    SubmissionsSubmit => SubmissionResponse, json
);

impl SubmissionsSubmit {
    /// The question answered (default `flag`). An invalid id fails the call with
    /// [`InvalidId`](crate::Error::InvalidId) when sent.
    pub fn question_id(self, question_id: impl IntoId<QuestionId>) -> Self {
        Self(self.0.body_id::<QuestionId>("question_id", question_id))
    }
}

builder!(
    /// Request builder of [`Submissions::verify`].
    SubmissionsVerify => VerifyAnswerResponse, json
);

impl SubmissionsVerify {
    /// The question answered (default `flag`). An invalid id fails the call with
    /// [`InvalidId`](crate::Error::InvalidId) when sent.
    pub fn question_id(self, question_id: impl IntoId<QuestionId>) -> Self {
        Self(self.0.body_id::<QuestionId>("question_id", question_id))
    }

    /// The competition the instance belongs to (the `competition_id` query parameter). An
    /// invalid id fails the call with [`InvalidId`](crate::Error::InvalidId) when sent.
    pub fn competition_id(self, competition_id: impl IntoId<CompetitionId>) -> Self {
        Self(
            self.0
                .query_id::<CompetitionId>("competition_id", competition_id),
        )
    }
}
