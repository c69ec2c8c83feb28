//! What a mock platform holds and how it behaves: challenges, start-ups, faults, event scripts.

use ctfy_models::With;
use std::time::Duration;

use ctfy_models::events::Event;
use ctfy_models::{ChallengeId, ChallengeInfo, IntoId, QuestionPublicInfo};

use super::fixtures::Fixture;
use super::question::{Grading, MockQuestion};

/// How a launched instance of a [`MockChallenge`] comes up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Startup {
    /// Ready at once: the first status poll sees it ready (the default).
    Immediate,
    /// Ready this long after the launch; `instance_ready` is published then.
    After(Duration),
    /// Ready at the n-th status poll (1 = the first); `instance_ready` is published then.
    AfterPolls(u32),
    /// Fails to start: the status says `error` with this message, and `instance_error` is
    /// published.
    Fails(String),
    /// Stays `starting` forever, to test timeouts.
    Never,
}

/// A challenge of the mock competition, with its answers and its start-up behaviour.
///
/// ```
/// use std::time::Duration;
/// use ctfy::testing::MockChallenge;
///
/// let web = MockChallenge::instance("WEB-002")
///     .flag("FLAG{sqli}")
///     .question("token", "FLAG{second-part}")
///     .ready_after(Duration::from_millis(200));
/// let trivia = MockChallenge::qa("QA-002").question("answer", "22");
/// ```
///
/// [`ask`](Self::ask) adds a question described in full (prompt, choices, a checker, the
/// questions it waits for): see [`MockQuestion`].
#[derive(Debug, Clone)]
pub struct MockChallenge {
    /// What the listings show; its `questions` come from `questions` when listed.
    pub(crate) info: ChallengeInfo,
    /// The questions, in the challenge's order.
    pub(crate) questions: Vec<MockQuestion>,
    pub(crate) startup: Startup,
    /// How long the platform takes to answer a launch (after it created the instance).
    pub(crate) launch_delay: Duration,
}

impl MockChallenge {
    /// A challenge that launches an instance, from [`ChallengeInfo::fixture`] with this id and
    /// name; its one question `flag` has the answer `FLAG{<id>}` until [`flag`](Self::flag)
    /// or [`question`](Self::question) say otherwise. The instance's web service serves each
    /// answer at `GET <service>/flag` (question `flag`) and `GET <service>/flag/<question>`,
    /// as the stand-in node does.
    ///
    /// # Panics
    /// When `challenge_id` is not a valid id (empty, `.`, `..`, or with `/` or `\`).
    pub fn instance(challenge_id: &str) -> Self {
        let challenge_id: ChallengeId = checked(challenge_id);
        let info = ChallengeInfo::fixture().with(|it| {
            it.name = format!("Challenge {challenge_id}");
            it.id = challenge_id.clone();
            it.questions = Vec::new();
        });
        Self {
            questions: vec![MockQuestion::new(
                "flag",
                &format!("FLAG{{{challenge_id}}}"),
            )],
            info,
            startup: Startup::Immediate,
            launch_delay: Duration::ZERO,
        }
    }

    /// A question-only challenge (`is_qa_only`, answered with `submit_qa`, listed by
    /// `list_qa_challenges`), without questions until [`question`](Self::question) adds them.
    ///
    /// # Panics
    /// When `challenge_id` is not a valid id.
    pub fn qa(challenge_id: &str) -> Self {
        let challenge_id: ChallengeId = checked(challenge_id);
        let info = ChallengeInfo::fixture().with(|it| {
            it.name = format!("Questions {challenge_id}");
            it.id = challenge_id;
            it.category = ctfy_models::ChallengeCategory::Misc;
            it.is_qa_only = true;
            it.questions = Vec::new();
        });
        Self {
            info,
            questions: Vec::new(),
            startup: Startup::Immediate,
            launch_delay: Duration::ZERO,
        }
    }

    /// Sets the answer of the question `flag`.
    pub fn flag(self, answer: &str) -> Self {
        self.question("flag", answer)
    }

    /// Adds a question with its accepted answer (compared after trimming whitespace), or
    /// changes the answer of an existing one (keeping its prompt and `requires`): a
    /// [`MockQuestion::new`], `dynamic` on an instance challenge and `static` on a
    /// question-only one. Choices, checkers and prompts: [`ask`](Self::ask).
    ///
    /// # Panics
    /// When `question_id` is not a valid id.
    pub fn question(mut self, question_id: &str, answer: &str) -> Self {
        let q = MockQuestion::new(question_id, answer);
        match self.questions.iter_mut().find(|k| k.id == q.id) {
            Some(k) => k.grading = Grading::Text(answer.to_owned()),
            None => self.questions.push(q),
        }
        self
    }

    /// Adds a question described in full (see [`MockQuestion`]), or replaces the one with its
    /// id, in place.
    ///
    /// ```
    /// use ctfy::testing::{MockChallenge, MockQuestion};
    ///
    /// let web = MockChallenge::instance("WEB-003")
    ///     .ask(MockQuestion::new("flag", "FLAG{lfi}").prompt("Read /etc/flag through ?page="));
    /// assert_eq!(web.answer("flag"), Some("FLAG{lfi}"));
    /// ```
    pub fn ask(mut self, question: MockQuestion) -> Self {
        match self.questions.iter_mut().find(|k| k.id == question.id) {
            Some(k) => *k = question,
            None => self.questions.push(question),
        }
        self
    }

    /// How the instance comes up (default [`Startup::Immediate`]).
    pub fn startup(mut self, startup: Startup) -> Self {
        self.startup = startup;
        self
    }

    /// Ready `delay` after the launch ([`Startup::After`]).
    pub fn ready_after(self, delay: Duration) -> Self {
        self.startup(Startup::After(delay))
    }

    /// Ready at the `n`-th status poll ([`Startup::AfterPolls`]).
    pub fn ready_after_polls(self, n: u32) -> Self {
        self.startup(Startup::AfterPolls(n))
    }

    /// Fails to start with `message` ([`Startup::Fails`]).
    pub fn fails_to_start(self, message: &str) -> Self {
        self.startup(Startup::Fails(message.to_owned()))
    }

    /// Never becomes ready ([`Startup::Never`]).
    pub fn never_ready(self) -> Self {
        self.startup(Startup::Never)
    }

    /// Delays the answer to a launch: the platform creates the instance when the request
    /// arrives and answers `202` only after `delay`, so a test can drop a start while its
    /// launch is in flight.
    pub fn launch_delay(mut self, delay: Duration) -> Self {
        self.launch_delay = delay;
        self
    }

    /// Changes the listed [`ChallengeInfo`] (name, difficulty, tags…); its id and kind stay
    /// the kit's, and its questions are the challenge's [`MockQuestion`]s (set them with
    /// [`ask`](Self::ask) or [`question`](Self::question)).
    pub fn info(mut self, edit: impl FnOnce(&mut ChallengeInfo)) -> Self {
        let (id, questions, qa) = (
            self.info.id.clone(),
            self.info.questions.clone(),
            self.info.is_qa_only,
        );
        edit(&mut self.info);
        self.info.id = id;
        self.info.questions = questions;
        self.info.is_qa_only = qa;
        self
    }

    /// The challenge id.
    pub fn id(&self) -> &ChallengeId {
        &self.info.id
    }

    /// The accepted answer of a question, if the challenge has it (see
    /// [`MockQuestion::answer`]).
    pub fn answer(&self, question_id: &str) -> Option<&str> {
        self.question_named(question_id)
            .and_then(MockQuestion::answer)
    }

    /// The question with this id.
    pub(crate) fn question_named(&self, question_id: &str) -> Option<&MockQuestion> {
        self.questions.iter().find(|q| q.id == question_id)
    }

    /// The questions as the challenge listings show them: those without `requires`.
    pub(crate) fn listed_questions(&self) -> Vec<QuestionPublicInfo> {
        self.questions
            .iter()
            .filter(|q| q.requires.is_empty())
            .map(|q| q.public(self.info.is_qa_only))
            .collect()
    }

    /// The [`ChallengeInfo`] as listed (before the team's progress is filled in).
    pub(crate) fn listed(&self) -> ChallengeInfo {
        let mut info = self.info.clone();
        info.questions = self.listed_questions();
        info
    }
}

pub(crate) fn checked<T>(s: &str) -> T
where
    for<'a> &'a str: IntoId<T>,
{
    match s.into_id() {
        Ok(id) => id,
        Err(e) => panic!("ctfy::testing: {e}"),
    }
}

/// A kind of request the mock platform answers, for [`Fault`]s and request counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Route {
    /// `GET /health`.
    Health,
    /// `GET /meta`.
    Meta,
    /// `GET /me`.
    Me,
    /// `GET /competitions`.
    Competitions,
    /// `GET /competitions/{id}`.
    Competition,
    /// `POST /competitions/{id}/teams` (registration).
    Register,
    /// `GET /competitions/{id}/challenges` and `GET /challenges`.
    Challenges,
    /// `GET /qa/challenges`.
    QaChallenges,
    /// `POST /qa/submissions`.
    SubmitQa,
    /// `POST /instances` (a launch).
    Launch,
    /// `GET /instances/{id}/status`.
    Status,
    /// `GET /instances/{id}`.
    Instance,
    /// `GET /instances`.
    Instances,
    /// `DELETE /instances/{id}`.
    Stop,
    /// `POST /submissions`.
    Submit,
    /// `GET /submissions` (the player's answers so far).
    Submissions,
    /// `POST /instances/{id}/verify-answer`.
    Verify,
    /// `GET /competitions/{id}/scoreboard` and `GET /scoreboard`.
    Scoreboard,
    /// `GET /events` (one per connection).
    Events,
    /// `GET <service>/flag…`: the instance's own web service.
    Service,
    /// `/admin/competitions…` (create, update, list, get).
    AdminCompetitions,
    /// `/admin/competitions/{id}/invites…`.
    AdminInvites,
    /// Anything else: answered `404 not_mocked` unless a test mounted its own
    /// [`wiremock::Mock`](https://docs.rs/wiremock/0.6/wiremock/struct.Mock.html) on [`MockPlatform::server`](super::MockPlatform::server).
    Other,
}

/// A failure the mock platform plays on the first `times` requests of a [`Route`].
///
/// Two families, as a client meets them. Refused (the platform answers an error and does
/// nothing): [`rate_limited`](Self::rate_limited), [`status`](Self::status),
/// [`team_capacity`](Self::team_capacity). Applied (the platform does what the request asks:
/// a launch creates the instance, an answer is graded and recorded, a stop stops; then the
/// reply goes wrong): [`reply_lost`](Self::reply_lost),
/// [`reply_timed_out`](Self::reply_timed_out), [`slow`](Self::slow). An applied request whose
/// reply never arrived is the case `Error::may_have_been_applied` names: the SDK does not
/// repeat such a POST, and the code under test must look (list its instances, its
/// submissions) before it does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 rate_limited` with `Retry-After` (whole seconds, rounded up).
    RateLimited {
        /// How many requests get it.
        times: u32,
        /// The `Retry-After` value.
        retry_after: Duration,
    },
    /// An error status (e.g. `503`) with the platform's error body.
    Status {
        /// How many requests get it.
        times: u32,
        /// The HTTP status.
        status: u16,
    },
    /// The platform's `429 team_capacity_exceeded` (no `Retry-After`, as on the platform),
    /// without a launch being made.
    TeamCapacity {
        /// How many requests get it.
        times: u32,
    },
    /// Applied, then the connection closes before any byte of the reply.
    ReplyLost {
        /// How many requests get it.
        times: u32,
    },
    /// Applied, then the reply is held until the client gives up (its timeout) and closes
    /// the connection.
    ReplyTimedOut {
        /// How many requests get it.
        times: u32,
    },
    /// Applied, and answered `delay` late.
    Slow {
        /// How many requests get it.
        times: u32,
        /// How late.
        delay: Duration,
    },
}

impl Fault {
    /// `times` answers `429` with `Retry-After: retry_after`.
    pub fn rate_limited(times: u32, retry_after: Duration) -> Self {
        Fault::RateLimited { times, retry_after }
    }

    /// `times` answers with the error `status` (a 5xx blip: `Fault::status(503, 1)`).
    pub fn status(status: u16, times: u32) -> Self {
        Fault::Status { times, status }
    }

    /// `times` answers `429 team_capacity_exceeded`, as if the team held every instance it
    /// may run (for a cap that counts the instances, see
    /// [`MockPlatformBuilder::team_instance_limit`](super::MockPlatformBuilder::team_instance_limit)).
    pub fn team_capacity(times: u32) -> Self {
        Fault::TeamCapacity { times }
    }

    /// `times` requests are applied and their connection closes before the reply: the client
    /// sees a connection error after sending (`Error::Http`, `may_have_been_applied()`). The
    /// SDK resends a GET or a DELETE, never a POST.
    ///
    /// ```
    /// use ctfy::testing::{Fault, MockChallenge, MockPlatform, Route};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> ctfy::Result<()> {
    /// let mock = MockPlatform::builder()
    ///     .challenge(MockChallenge::instance("WEB-1").question("token", "FLAG{t}"))
    ///     .fault(Route::Submit, Fault::reply_lost(1))
    ///     .start()
    ///     .await;
    /// let client = mock.client();
    /// let ready = client.instances().start("WEB-1").await?;
    ///
    /// // The code under test: an answer whose reply was lost is looked up before it is resent.
    /// if let Err(e) = client.submissions().submit(&ready.id, "FLAG{WEB-1}").await {
    ///     assert!(e.may_have_been_applied());
    ///     let sent = client.submissions().list().challenge_id("WEB-1").await?.items;
    ///     if !sent.iter().any(|s| s.flag_id == "flag" && s.correct) {
    ///         client.submissions().submit(&ready.id, "FLAG{WEB-1}").await?;
    ///     }
    /// }
    /// mock.assert_no_resubmission();
    /// assert_eq!(mock.submissions().len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn reply_lost(times: u32) -> Self {
        Fault::ReplyLost { times }
    }

    /// `times` requests are applied and their reply is held until the client times out
    /// (`Error::Http` with `is_timeout()`, `may_have_been_applied()`). Give the client a short
    /// timeout (`mock.client_builder().timeout(..)`) to keep the test quick.
    pub fn reply_timed_out(times: u32) -> Self {
        Fault::ReplyTimedOut { times }
    }

    /// `times` requests are applied and answered `delay` late.
    pub fn slow(delay: Duration, times: u32) -> Self {
        Fault::Slow { times, delay }
    }

    pub(crate) fn times(&self) -> u32 {
        match self {
            Fault::RateLimited { times, .. }
            | Fault::Status { times, .. }
            | Fault::TeamCapacity { times }
            | Fault::ReplyLost { times }
            | Fault::ReplyTimedOut { times }
            | Fault::Slow { times, .. } => *times,
        }
    }
}

/// Frames the event stream sends before the live ones, and where it drops the connection.
///
/// Each connection plays the script from where the last one stopped, up to and including
/// the next [`disconnect`](Self::disconnect); after the script, a connection stays open and
/// carries what the platform does (instances, answers). So
/// `EventScript::new().frame(a).disconnect().frame(b)` gives `a` on the first connection,
/// which then drops, and `b` on the next.
#[derive(Debug, Clone, Default)]
pub struct EventScript {
    pub(crate) steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub(crate) enum Step {
    Frame(Box<Event>),
    Pause(Duration),
    Disconnect,
}

impl EventScript {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `event`, to every token (scripted frames ignore the audience rules).
    pub fn frame(mut self, event: Event) -> Self {
        self.steps.push(Step::Frame(Box::new(event)));
        self
    }

    /// Waits before the next step.
    pub fn pause(mut self, pause: Duration) -> Self {
        self.steps.push(Step::Pause(pause));
        self
    }

    /// Ends the connection (the SDK then reconnects and reports `Notice::Reconnected`).
    pub fn disconnect(mut self) -> Self {
        self.steps.push(Step::Disconnect);
        self
    }
}
