//! `ctfy::testing`: test code that uses the SDK without a platform (feature `testing`).
//!
//! [`MockPlatform`] is a stand-in for the ctfy platform on a loopback port, built on
//! [`wiremock`](https://docs.rs/wiremock/0.6/wiremock/). It keeps state like the real one: a running competition, its challenges
//! and their answers, the instances the code under test launches (each with a web service
//! that serves its flag, like the stand-in node), the answers it submits, a scoreboard, and
//! a live event stream (`GET /events`) that publishes what happens. Its error bodies, status
//! codes and auto-stop after a full solve are the platform's. Afterwards a test asks it what
//! the code did.
//!
//! The auto-stop is asynchronous, as on the platform: the answer that completes an
//! instance's challenge comes back first, and the instance runs on until the auto-stop
//! tears it down [a moment later](MockPlatformBuilder::auto_stop_delay) (500 ms by
//! default). So a `stop()` right after the last answer finds it running and returns
//! `Ok(true)`, as it does live; one sent later finds it gone and returns `Ok(false)`.
//!
//! ```
//! use ctfy::testing::MockPlatform;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ctfy::Result<()> {
//! let mock = MockPlatform::start().await; // one competition, WEB-001 and QA-001
//! let client = mock.client();
//!
//! // The code under test: launch, capture the flag from the service, submit, stop.
//! let ready = client.instances().start("WEB-001").competition_id(mock.competition_id()).await?;
//! let url = format!("{}/flag", ready.surface.services[0].url());
//! let flag = mock.fetch(&url).await;
//! assert!(client.submissions().submit(&ready.id, flag.trim()).await?.correct);
//! client.instances().stop(&ready.id).await?;
//!
//! mock.assert_no_instance_running().await;
//! mock.assert_no_resubmission();
//! # Ok(()) }
//! ```
//!
//! Scenarios are built with [`MockPlatform::builder`]: [`MockChallenge`]s that come up after
//! a delay, after N status polls or never, or fail ([`Startup`]), whose [`MockQuestion`]s have
//! prompts, choices, checkers and `requires` chains; [`Fault`]s on chosen [`Route`]s (rate
//! limits with `Retry-After`, 5xx blips, `429 team_capacity_exceeded`, and requests that are
//! applied but whose reply is lost, held past the client's timeout or slow); a cap on the
//! team's running instances ([`MockPlatformBuilder::team_instance_limit`]); an
//! [`EventScript`] of frames and disconnects for the event stream; a fixed scoreboard.
//! [`Fixture`] gives every model a realistic value to start from.
//!
//! ## An agent that reads the prompts
//!
//! Questions show their prompts where the platform shows them, and a question that waits for
//! others appears on the instance once they are solved:
//!
//! ```
//! use ctfy::testing::{MockChallenge, MockPlatform, MockQuestion};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ctfy::Result<()> {
//! let mock = MockPlatform::builder()
//!     .challenge(
//!         MockChallenge::instance("WEB-1")
//!             .ask(MockQuestion::new("flag", "FLAG{door}").prompt("Served at /flag"))
//!             .ask(MockQuestion::new("vault", "FLAG{vault}").prompt("Served at /flag/vault").requires(["flag"])),
//!     )
//!     .start()
//!     .await;
//! let client = mock.client();
//! let ready = client.instances().start("WEB-1").await?;
//!
//! // The code under test: answers the open questions where their prompts say, until none is left.
//! while let Some(q) = client.instances().pending_questions(&ready.id).await?.first().cloned() {
//!     let path = q.prompt.rsplit(' ').next().unwrap_or_default();
//!     let flag = mock.fetch(&format!("{}{path}", ready.surface.services[0].url())).await;
//!     client.submissions().submit(&ready.id, flag.trim()).question_id(&q.id).await?;
//! }
//! assert_eq!(mock.solved().len(), 2);
//! mock.assert_no_resubmission();
//! # Ok(()) }
//! ```
//!
//! ## A reply that was lost
//!
//! [`Fault::reply_lost`] lets the platform act (here, create the instance) and drops the
//! connection before the reply; the SDK does not resend such a POST, and reports that it may
//! have been applied. The code under test looks before it repeats:
//!
//! ```
//! use ctfy::testing::{Fault, MockChallenge, MockPlatform, Route};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ctfy::Result<()> {
//! let mock = MockPlatform::builder()
//!     .challenge(MockChallenge::instance("WEB-1"))
//!     .fault(Route::Launch, Fault::reply_lost(1))
//!     .start()
//!     .await;
//! let client = mock.client();
//!
//! let id = match client.instances().launch("WEB-1").await {
//!     Ok(launched) => launched.id,
//!     Err(e) if e.may_have_been_applied() => {
//!         let running = client.instances().list().await?.items;
//!         match running.into_iter().find(|i| i.challenge_id == "WEB-1") {
//!             Some(found) => found.id,
//!             None => client.instances().launch("WEB-1").await?.id,
//!         }
//!     }
//!     Err(e) => return Err(e),
//! };
//! assert_eq!(mock.instances().len(), 1, "launched once");
//! client.instances().stop(&id).await?;
//! # Ok(()) }
//! ```
//!
//! ## Waiting out the team's cap
//!
//! With [`MockPlatformBuilder::team_instance_limit`], a launch over the cap answers the
//! platform's `429 team_capacity_exceeded` (no `Retry-After`, so the SDK leaves it to the
//! caller); a slot frees when one of the team's instances ends, here by the auto-stop after a
//! full solve:
//!
//! ```
//! use std::time::Duration;
//! use ctfy::testing::{MockChallenge, MockPlatform};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ctfy::Result<()> {
//! let mock = MockPlatform::builder()
//!     .challenge(MockChallenge::instance("WEB-1"))
//!     .challenge(MockChallenge::instance("WEB-2"))
//!     .team_instance_limit(1)
//!     .start()
//!     .await;
//! let client = mock.client();
//! let first = client.instances().start("WEB-1").await?;
//! client.submissions().submit(&first.id, "FLAG{WEB-1}").await?; // solved: stops soon
//!
//! // The code under test: at the cap, waits for a slot.
//! let second = loop {
//!     match client.instances().start("WEB-2").await {
//!         Err(e) if e.code() == Some("team_capacity_exceeded") => {
//!             tokio::time::sleep(Duration::from_millis(100)).await;
//!         }
//!         other => break other?,
//!     }
//! };
//! assert_eq!(mock.peak_running_instances(), 1);
//! client.instances().stop(&second.id).await?;
//! # Ok(()) }
//! ```
//!
//! Tokens: [`MockPlatform::client`] uses a `pf_` API token, whose event stream is anonymous
//! (as on the platform, it sees no team frames, so `start()` polls);
//! [`MockPlatform::session_client`] uses a `pt_` session token, whose stream carries the
//! team's frames (`instance_ready`, `flag_correct`…); [`MockPlatform::admin`] is an admin.
//!
//! Any single call can also answer a typed value of your choosing, beside the stateful
//! platform: [`MockPlatform::on`] (player calls) and [`MockPlatform::on_admin`] (operator
//! calls) stub the request a call makes, with `.returns(value)`, `.fails(status, code,
//! detail)`, `.times(n)`, `.delay(d)` or `.any_args()`. That is the way to test a dashboard
//! or an operator tool, or an answer the scenario builders cannot describe.
//!
//! Requests neither modelled nor stubbed get `404 not_mocked`, naming the request. A test can
//! still mount its own [`wiremock::Mock`](https://docs.rs/wiremock/0.6/wiremock/struct.Mock.html) on [`MockPlatform::server`] (it takes precedence
//! over the kit's); the kit re-exports the [`wiremock`](https://docs.rs/wiremock/0.6/wiremock/) it uses, so no version has to match.
//!
//! How it is built: requests reach a small axum front on the loopback port, which streams
//! `GET /events` itself (wiremock answers whole bodies only) and hands every other request to
//! a wiremock server, whose catch-all responder is the stateful platform (stubs first). The
//! wiremock layer is kept because it records every request
//! ([`MockServer::received_requests`](https://docs.rs/wiremock/0.6/wiremock/struct.MockServer.html#method.received_requests)) and lets a test mount raw mocks; the typed stubs make
//! the kit extensible without either.

mod fixtures;
mod question;
mod scenario;
mod server;
mod state;
mod stubs;

use ctfy_models::With;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ctfy_models::events::Event;
use ctfy_models::{
    ChallengeId, CompetitionId, CompetitionInfo, QuestionId, ScoreboardEntry, TeamDetail,
};
use wiremock::{Mock, MockServer, matchers::any};

pub use fixtures::{COMPETITION_ID, Fixture, INSTANCE_ID, TEAM_ID, USER_ID};
pub use question::MockQuestion;
pub use scenario::{EventScript, Fault, MockChallenge, Route, Startup};
pub use state::{ADMIN_TOKEN, MockInstance, PLAYER_TOKEN, SESSION_TOKEN, Submitted};
pub use stubs::{Stub, StubHandle};
/// The `wiremock` crate the kit is built on, for tests that mount their own mocks on
/// [`MockPlatform::server`].
#[doc(no_inline)]
pub use wiremock;

use crate::{ClientBuilder, PlatformClient};
use state::{Responder, Shared, State};

/// The token of [`MockPlatform::node_client`].
const NODE_TOKEN: &str = "node-token-mock";

/// A stateful stand-in for the ctfy platform on a loopback port; see the
/// [module docs](self). Dropping it shuts it down.
///
/// After the team answers the last open question of an instance's challenge, the instance
/// is not stopped at once: like the platform's background auto-stop, the kit stops it
/// (status `stopped`, reason `auto_stop_after_solve`, an `instance_stopped` frame)
/// [`auto_stop_delay`](MockPlatformBuilder::auto_stop_delay) later, 500 ms by default. Until
/// then it stays ready, and `instances().stop(id)` stops it and returns `Ok(true)`; after
/// that, `stop` gets a 404 and returns `Ok(false)`. Code under test must accept both.
pub struct MockPlatform {
    server: MockServer,
    shared: Arc<Shared>,
    url: String,
    http: reqwest::Client,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The clients [`MockPlatform::on`] and [`MockPlatform::on_admin`] hand to their closures.
    stub_clients: std::sync::OnceLock<(PlatformClient, crate::AdminClient, ctfy_node::NodeClient)>,
}

impl std::fmt::Debug for MockPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockPlatform")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for MockPlatform {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl MockPlatform {
    /// Starts the default scenario: the running competition [`CompetitionInfo::fixture`]
    /// ("Mock Cup", the player registered on team `mock-agent`) with two challenges:
    /// `WEB-001`, which launches an instance that is ready at once and whose question `flag`
    /// has the answer `FLAG{WEB-001}`, and `QA-001`, a question-only challenge whose
    /// question `answer` has the answer `22`.
    ///
    /// # Panics
    /// When no loopback port can be bound, or outside a tokio runtime.
    pub async fn start() -> Self {
        Self::builder()
            .challenge(MockChallenge::instance("WEB-001"))
            .challenge(MockChallenge::qa("QA-001").question("answer", "22"))
            .start()
            .await
    }

    /// A scenario to build: no challenges until [`MockPlatformBuilder::challenge`] adds
    /// them.
    pub fn builder() -> MockPlatformBuilder {
        MockPlatformBuilder {
            competition: CompetitionInfo::fixture(),
            challenges: Vec::new(),
            registered: true,
            faults: Vec::new(),
            script: EventScript::new(),
            scoreboard: None,
            auto_stop_delay: AUTO_STOP_DELAY,
            team_instance_limit: None,
        }
    }

    /// The platform URL (`http://127.0.0.1:PORT`), what [`PlatformClient::new`] takes.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The wiremock server behind it: mount a test's own [`Mock`](https://docs.rs/wiremock/0.6/wiremock/struct.Mock.html)s on it (they answer before
    /// the kit does), or read [`MockServer::received_requests`](https://docs.rs/wiremock/0.6/wiremock/struct.MockServer.html#method.received_requests) (every request but the event
    /// stream's).
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// A player client with a `pf_` API token ([`PLAYER_TOKEN`]) and the SDK's defaults.
    pub fn client(&self) -> PlatformClient {
        self.client_with(self.client_builder())
    }

    /// The same player with a `pt_` session token ([`SESSION_TOKEN`]): its event stream
    /// carries the team's frames, so `start()` wakes on `instance_ready`.
    pub fn session_client(&self) -> PlatformClient {
        self.client_with(PlatformClient::builder(&self.url).token(SESSION_TOKEN))
    }

    /// A [`ClientBuilder`] for this platform with the player's `pf_` token, to change the
    /// retry policy, timeouts or tokens before building.
    pub fn client_builder(&self) -> ClientBuilder {
        PlatformClient::builder(&self.url).token(PLAYER_TOKEN)
    }

    /// An admin client ([`ADMIN_TOKEN`]). The kit models the competition, invitation and
    /// challenge-catalogue calls of the operator surface; a competition it creates is seen by
    /// the player's calls too.
    pub fn admin(&self) -> crate::AdminClient {
        self.built(
            "admin client",
            crate::AdminClient::connect(&self.url, ADMIN_TOKEN),
        )
    }

    fn client_with(&self, b: ClientBuilder) -> PlatformClient {
        self.built("client", b.build())
    }

    /// A client built for this platform; the kit's own configuration cannot fail to build, so
    /// an error is a broken kit and panics, naming `what`.
    fn built<C>(&self, what: &str, client: crate::Result<C>) -> C {
        match client {
            Ok(c) => c,
            Err(e) => panic!("ctfy::testing: {what} for {}: {e}", self.url),
        }
    }

    /// The id of the scenario's competition.
    pub fn competition_id(&self) -> CompetitionId {
        self.shared.lock().competitions[0].id.clone()
    }

    /// `GET url` as plain text, for fetching a flag from an instance's service in a test.
    ///
    /// # Panics
    /// When the request fails or answers an error status.
    pub async fn fetch(&self, url: &str) -> String {
        let answer = self
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("ctfy::testing: GET {url}: {e}"));
        answer
            .text()
            .await
            .unwrap_or_else(|e| panic!("ctfy::testing: GET {url}: {e}"))
    }

    /// Every instance launched so far, in launch order.
    pub fn instances(&self) -> Vec<MockInstance> {
        self.shared.tick();
        self.shared.lock().instances.clone()
    }

    /// The instances still running (starting or ready).
    pub fn running_instances(&self) -> Vec<MockInstance> {
        self.instances()
            .into_iter()
            .filter(MockInstance::is_running)
            .collect()
    }

    /// The most instances that ran at the same time (to check an agent's concurrency limit).
    pub fn peak_running_instances(&self) -> usize {
        self.shared.lock().peak_running
    }

    /// Waits up to 5 s for the instances still running to be stopped (the SDK stops an
    /// abandoned start's instance in the background), then panics naming those left.
    ///
    /// # Panics
    /// When an instance still runs after 5 s.
    pub async fn assert_no_instance_running(&self) {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let running = self.running_instances();
            if running.is_empty() {
                return;
            }
            if Instant::now() >= until {
                let list: Vec<String> = running
                    .iter()
                    .map(|i| format!("{} ({}, {})", i.id, i.challenge_id, i.status.as_str()))
                    .collect();
                panic!("instances left running: {}", list.join(", "));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every answer submitted so far, in order.
    pub fn submissions(&self) -> Vec<Submitted> {
        self.shared.lock().submissions.clone()
    }

    /// The answers submitted for a question the team had already solved.
    pub fn resubmissions(&self) -> Vec<Submitted> {
        self.submissions()
            .into_iter()
            .filter(|s| s.already_solved)
            .collect()
    }

    /// Panics when an answer was submitted for a question the team had already solved.
    ///
    /// # Panics
    /// On the first such submission, naming it.
    pub fn assert_no_resubmission(&self) {
        if let Some(s) = self.resubmissions().first() {
            panic!(
                "resubmitted the solved question {} of {} (answer {:?})",
                s.question_id, s.challenge_id, s.answer
            );
        }
    }

    /// The questions the team solved, as (challenge, question) pairs.
    pub fn solved(&self) -> Vec<(ChallengeId, QuestionId)> {
        self.shared.lock().solved.iter().cloned().collect()
    }

    /// How many requests of a kind arrived (faulted ones included; the event stream counts
    /// connections).
    pub fn requests(&self, route: Route) -> usize {
        self.shared
            .lock()
            .counts
            .get(&route)
            .copied()
            .unwrap_or_default()
    }

    /// Publishes a frame now, to every connected event stream whatever its token.
    pub fn publish(&self, event: Event) {
        self.shared.publish(event, false);
    }

    /// Stubs one call of the player client: from now on, the request that `call` makes
    /// answers what the stub says, a value of the call's own output type. The closure gets a
    /// client of this platform (its requests are only read, never sent). The stateful
    /// platform keeps answering every other request, and this one again once a
    /// [`times`](Stub::times)-limited stub is used up; stubs answer in the order they were
    /// added, so a short one before a long one makes a sequence.
    ///
    /// Every call that is one request can be stubbed (all the generated calls, and `launch`,
    /// `stop`, `submit`, `verify`, `register`…); `instances().start` is a launch and then
    /// status polls: stub [`launch`](crate::Instances::launch) and
    /// [`status`](crate::Instances::status), or let the stateful platform run it.
    ///
    /// ```
    /// use ctfy::models::{MeResponse, ScoreboardEntry, TeamDetail};
    /// use ctfy::testing::{Fixture, MockPlatform};
    /// use ctfy::{Page, With};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> ctfy::Result<()> {
    /// let mock = MockPlatform::start().await;
    /// // A dashboard's three calls, each stubbed with a typed value in one line.
    /// mock.on(|c| c.me().get()).returns(MeResponse::fixture().with(|me| me.display_name = "Ada".into()));
    /// mock.on(|c| c.scoreboard().get()).returns(Page::new(vec![ScoreboardEntry::fixture(); 3]));
    /// let blip = mock.on(|c| c.teams().get("t-1")).times(1).fails(503, "http_503", "Down a moment");
    /// mock.on(|c| c.teams().get("t-1")).returns(TeamDetail::fixture());
    ///
    /// let client = mock.client();
    /// assert_eq!(client.me().get().await?.display_name, "Ada");
    /// assert_eq!(client.scoreboard().get().await?.items.len(), 3);
    /// // Stubs answer in the order they were added: the 503 once (the SDK retries the GET),
    /// // then the team.
    /// assert_eq!(client.teams().get("t-1").await?.id, TeamDetail::fixture().id);
    /// blip.assert_calls(1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    /// When the call does not build (an invalid identifier in it).
    pub fn on<O: ctfy_transport::Operation>(
        &self,
        call: impl FnOnce(&PlatformClient) -> O,
    ) -> Stub<O> {
        Stub::new(Arc::clone(&self.shared), call(&self.stub_clients().0))
    }

    /// [`on`](Self::on) for a call of the operator client ([`AdminClient`](crate::AdminClient)).
    ///
    /// ```
    /// use ctfy::models::AdminChallengeStatsRow;
    /// use ctfy::testing::MockPlatform;
    /// use ctfy::Page;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> ctfy::Result<()> {
    /// let mock = MockPlatform::start().await;
    /// mock.on_admin(|a| a.challenges().stats()).returns(Page::new(vec![AdminChallengeStatsRow::default()]));
    /// assert_eq!(mock.admin().challenges().stats().await?.items.len(), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    /// When the call does not build (an invalid identifier in it).
    pub fn on_admin<O: ctfy_transport::Operation>(
        &self,
        call: impl FnOnce(&crate::AdminClient) -> O,
    ) -> Stub<O> {
        Stub::new(Arc::clone(&self.shared), call(&self.stub_clients().1))
    }

    /// [`on`](Self::on) for a call of the worker-node client
    /// ([`NodeClient`](ctfy_node::NodeClient)): the kit models no node, so stubs are all a
    /// node client at [`node_client`](Self::node_client) gets.
    ///
    /// ```
    /// use ctfy::models::node::InstanceStopped;
    /// use ctfy::testing::{MockPlatform, INSTANCE_ID};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> ctfy::Result<()> {
    /// let mock = MockPlatform::start().await;
    /// mock.on_node(|n| n.stop_instance(INSTANCE_ID)).returns(InstanceStopped::default());
    /// mock.node_client().stop_instance(INSTANCE_ID).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    /// When the call does not build (an invalid identifier in it).
    pub fn on_node<O: ctfy_transport::Operation>(
        &self,
        call: impl FnOnce(&ctfy_node::NodeClient) -> O,
    ) -> Stub<O> {
        Stub::new(Arc::clone(&self.shared), call(&self.stub_clients().2))
    }

    /// A worker-node client whose node is this mock (its requests reach the kit's stubs;
    /// anything not stubbed answers `404 not_mocked`).
    pub fn node_client(&self) -> ctfy_node::NodeClient {
        self.built(
            "node client",
            ctfy_node::NodeClient::new(&self.url, NODE_TOKEN),
        )
    }

    fn stub_clients(&self) -> &(PlatformClient, crate::AdminClient, ctfy_node::NodeClient) {
        self.stub_clients
            .get_or_init(|| (self.client(), self.admin(), self.node_client()))
    }

    /// Plans a fault from now on (see [`MockPlatformBuilder::fault`]).
    pub fn fault(&self, route: Route, fault: Fault) {
        self.shared.lock().faults.push((route, fault, 0));
    }
}

/// A [`MockPlatform`] scenario; [`start`](Self::start) runs it.
#[derive(Debug, Clone)]
#[must_use = "a scenario does nothing until started"]
pub struct MockPlatformBuilder {
    competition: CompetitionInfo,
    challenges: Vec<MockChallenge>,
    registered: bool,
    faults: Vec<(Route, Fault)>,
    script: EventScript,
    scoreboard: Option<Vec<ScoreboardEntry>>,
    auto_stop_delay: Duration,
    team_instance_limit: Option<usize>,
}

/// How long after a full solve the kit's auto-stop tears the instance down, by default.
const AUTO_STOP_DELAY: Duration = Duration::from_millis(500);

impl MockPlatformBuilder {
    /// The competition (default [`CompetitionInfo::fixture`]). Its `challenge_ids` become
    /// the scenario's challenges, in the order they were added; set `phase` to test an
    /// agent's choice of competition.
    pub fn competition(mut self, info: CompetitionInfo) -> Self {
        self.competition = info;
        self
    }

    /// Adds a challenge to the competition.
    pub fn challenge(mut self, challenge: MockChallenge) -> Self {
        self.challenges.push(challenge);
        self
    }

    /// The player is not on a team yet: launches and answers get `403 not_registered` until
    /// it registers (`competition(id).register(..)`).
    pub fn unregistered(mut self) -> Self {
        self.registered = false;
        self
    }

    /// Plays `fault` on the first `fault.times` requests of `route` (faults of one route
    /// apply one after another).
    pub fn fault(mut self, route: Route, fault: Fault) -> Self {
        self.faults.push((route, fault));
        self
    }

    /// What the event stream plays before its live frames (see [`EventScript`]).
    pub fn events(mut self, script: EventScript) -> Self {
        self.script = script;
        self
    }

    /// A fixed scoreboard instead of the one the kit computes (the player's team alone, 100
    /// points per solved question).
    pub fn scoreboard(mut self, rows: Vec<ScoreboardEntry>) -> Self {
        self.scoreboard = Some(rows);
        self
    }

    /// How long after the answer that fully solves an instance's challenge the auto-stop
    /// tears the instance down (default 500 ms). The platform does it in a background job,
    /// so the instance outlives the answer by a moment; the kit models that moment with this
    /// delay. [`Duration::ZERO`] stops the instance before the answer goes out, so that an
    /// agent's `stop()` right after the last answer deterministically finds it gone
    /// (`Ok(false)`), the rarer case live.
    pub fn auto_stop_delay(mut self, delay: Duration) -> Self {
        self.auto_stop_delay = delay;
        self
    }

    /// How many instances the team may run at once (default: no cap), as the platform's
    /// `max_instances_per_team`. A launch while the team holds `n` instances (starting or
    /// ready; failed and stopped ones do not count) answers the platform's refusal: `429
    /// team_capacity_exceeded`, detail `Max n concurrent instances per team (k running, j
    /// still starting)`, and no `Retry-After`, so the SDK does not retry it: the code under
    /// test waits for one of its instances to end, or stops one, and launches again.
    pub fn team_instance_limit(mut self, n: usize) -> Self {
        self.team_instance_limit = Some(n);
        self
    }

    /// Starts the mock platform on a loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound, or outside a tokio runtime.
    pub async fn start(self) -> MockPlatform {
        let mut competition = self.competition;
        competition.challenge_ids = self.challenges.iter().map(|c| c.id().clone()).collect();
        if !self.registered {
            competition.is_registered = false;
            competition.my_team_id = fixtures::id("");
            competition.my_team_name = String::new();
        }
        let team = TeamDetail::fixture().with(|it| {
            it.competition_id = competition.id.clone();
        });
        let shared = Shared::new(State {
            competitions: vec![competition],
            challenges: self.challenges,
            registered: self.registered,
            team,
            instances: Vec::new(),
            submissions: Vec::new(),
            records: Vec::new(),
            solved: Default::default(),
            wrong: Default::default(),
            faults: self.faults.into_iter().map(|(r, f)| (r, f, 0)).collect(),
            counts: Default::default(),
            script: self.script.steps.into(),
            scoreboard: self.scoreboard,
            invites: Vec::new(),
            next_id: 0,
            peak_running: 0,
            auto_stop_delay: self.auto_stop_delay,
            stubs: Vec::new(),
            team_instance_limit: self.team_instance_limit,
        });
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(Responder(Arc::clone(&shared)))
            .with_priority(u8::MAX)
            .mount(&server)
            .await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("ctfy::testing: bind a loopback port: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("ctfy::testing: loopback address: {e}"));
        let url = format!("http://{addr}");
        let _ = shared.origin.set(url.clone());
        // Built by a transport (which follows no redirect): a bare reqwest client has no
        // crypto provider with only `rustls-ring` on, and would panic.
        let http = ctfy_transport::Transport::builder(url.as_str())
            .http_client_with(|b| b.no_proxy())
            .build()
            .unwrap_or_else(|e| panic!("ctfy::testing: HTTP client: {}", e.report()))
            .http_client()
            .clone();
        let app = server::router(server::Front {
            shared: Arc::clone(&shared),
            inner: server.uri(),
            http: http.clone(),
        });
        let serve = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<server::Cut>();
            let _ = axum::serve(server::Loopback(listener), app).await;
        });
        let ticking = Arc::clone(&shared);
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                ticking.tick();
            }
        });
        MockPlatform {
            server,
            shared,
            url,
            http,
            tasks: vec![serve, ticker],
            stub_clients: std::sync::OnceLock::new(),
        }
    }
}
