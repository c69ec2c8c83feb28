//! `client.submissions()`: flags and answers.

use ctfy_models::{InstanceId, IntoId, SubmissionResponse, SubmissionState, VerifyAnswerResponse};
use ctfy_transport::{Call, Request, Transport};

use crate::builder;

/// Flag and answer submissions of the caller's teams.
#[derive(Debug, Clone, Copy)]
pub struct Submissions<'a> {
    pub(crate) t: &'a Transport,
}

/// An answer: one string, or several choices for a multi-select question.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// A flag or a single answer.
    Text(String),
    /// The chosen options of a multi-select question.
    Choices(Vec<String>),
}

impl From<&str> for Answer {
    fn from(s: &str) -> Self {
        Answer::Text(s.to_owned())
    }
}
impl From<String> for Answer {
    fn from(s: String) -> Self {
        Answer::Text(s)
    }
}
impl From<&String> for Answer {
    fn from(s: &String) -> Self {
        Answer::Text(s.clone())
    }
}
impl From<Vec<String>> for Answer {
    fn from(v: Vec<String>) -> Self {
        Answer::Choices(v)
    }
}
impl From<Vec<&str>> for Answer {
    fn from(v: Vec<&str>) -> Self {
        Answer::Choices(v.into_iter().map(str::to_owned).collect())
    }
}

impl Submissions<'_> {
    /// Submits an answer for a question of an instance (`POST /submissions`); the question
    /// defaults to `flag`. A wrong answer is not an error: it comes back with `correct: false`.
    pub fn submit(
        &self,
        instance_id: impl IntoId<InstanceId>,
        answer: impl Into<Answer>,
    ) -> Submit {
        let answer = answer.into();
        Submit(Call::new(self.t, Request::post("/submissions", &[])).check(
            instance_id.into_id(),
            |c, id| {
                c.body_field("instance_id", id)
                    .body_field("question_id", "flag")
                    .body_field("answer", answer)
            },
        ))
    }

    /// Checks an answer without recording anything (`POST /instances/{id}/verify-answer`);
    /// the question defaults to `flag`.
    pub fn verify(
        &self,
        instance_id: impl IntoId<InstanceId>,
        answer: impl Into<Answer>,
    ) -> Verify {
        let answer = answer.into();
        let req = instance_id
            .into_id()
            .map_err(Into::into)
            .and_then(|id| Request::post("/instances/{instance_id}/verify-answer", &[&id]));
        Verify(
            Call::new(self.t, req)
                .body_field("question_id", "flag")
                .body_field("answer", answer),
        )
    }

    /// The caller's submission history (`GET /submissions`).
    pub fn list(&self) -> ListSubmissions {
        ListSubmissions(Call::new(self.t, Request::get("/submissions", &[])))
    }
}

builder!(
    /// Request builder of [`Submissions::submit`].
    Submit => SubmissionResponse, json
);

impl Submit {
    /// The question answered (default `flag`).
    pub fn question(self, question_id: impl Into<String>) -> Self {
        Self(self.0.body_field("question_id", question_id.into()))
    }
}

builder!(
    /// Request builder of [`Submissions::verify`].
    Verify => VerifyAnswerResponse, json
);

impl Verify {
    /// The question answered (default `flag`).
    pub fn question(self, question_id: impl Into<String>) -> Self {
        Self(self.0.body_field("question_id", question_id.into()))
    }

    /// The competition the instance belongs to.
    pub fn competition_id(self, id: impl Into<String>) -> Self {
        Self(self.0.query("competition_id", id.into()))
    }
}

builder!(
    /// Request builder of [`Submissions::list`].
    ListSubmissions => Page<SubmissionState>
);

impl ListSubmissions {
    /// Only submissions for this challenge.
    pub fn challenge_id(self, id: impl Into<String>) -> Self {
        Self(self.0.query("challenge_id", id.into()))
    }

    /// Only submissions in this competition.
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
