//! The mock platform's state and the responder that answers every request from it.

use ctfy_models::With;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use ctfy_models::events::{
    Actor, Event, FlagCorrect, FlagWrong, InstanceError, InstanceReady, InstanceStarted,
    InstanceStopped, ScoreboardUpdated, TeamMembershipChanged,
};
use ctfy_models::{
    AttackSurface, ChallengeId, ChallengeInfo, CompetitionDetail, CompetitionId, CompetitionInfo,
    CompetitionInviteInfo, HealthResponse, InstanceId, InstanceInfo, InstanceStatus,
    InstanceStatusResponse, MeResponse, QaChallengeView, QuestionId, ScoreboardEntry,
    ServiceEndpoint, StartResponse, SubmissionResponse, SubmissionState, TeamDetail,
    VerifyAnswerResponse,
};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use wiremock::{Request, Respond, ResponseTemplate};

use super::fixtures::{Fixture, convert, id, unix_now};
use super::question::as_sent;
use super::scenario::{Fault, MockChallenge, Route, Startup, Step};

/// The token of [`MockPlatform::client`](super::MockPlatform::client): a player's `pf_` API
/// token (its event stream is anonymous).
pub const PLAYER_TOKEN: &str = "pf_mock_player";
/// The token of [`MockPlatform::session_client`](super::MockPlatform::session_client): the
/// same player's `pt_` session token (its event stream carries the team's frames).
pub const SESSION_TOKEN: &str = "pt_mock_player";
/// The token of [`MockPlatform::admin`](super::MockPlatform::admin): an admin session.
pub const ADMIN_TOKEN: &str = "pt_mock_admin";

/// The status every start budget reports: the local platform's 5400 s.
const START_BUDGET_S: i64 = 5_400;

/// An instance the code under test launched, as the mock platform saw it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MockInstance {
    /// The instance id the platform handed out.
    pub id: InstanceId,
    /// Its challenge.
    pub challenge_id: ChallengeId,
    /// Its competition.
    pub competition_id: CompetitionId,
    /// Its status now: `starting`, `ready`, `error` or `stopped`.
    pub status: InstanceStatus,
    /// Why it stopped, once stopped: `""` for a `DELETE`, `auto_stop_after_solve` when the
    /// auto-stop tore it down, [a moment](super::MockPlatformBuilder::auto_stop_delay) after
    /// the team solved every question.
    pub stop_reason: Option<String>,
    /// How many times its status was polled.
    pub status_polls: u32,
    pub(crate) launched: Instant,
    /// When the platform's auto-stop tears it down, once the team solved every question.
    pub(crate) auto_stop_at: Option<Instant>,
    pub(crate) challenge: usize,
}

impl MockInstance {
    /// Whether it still runs (starting or ready).
    pub fn is_running(&self) -> bool {
        matches!(
            self.status,
            InstanceStatus::Starting | InstanceStatus::Ready
        )
    }
}

/// One answer the code under test submitted (`POST /submissions` or `/qa/submissions`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Submitted {
    /// The instance it was submitted for; `None` for a question-only challenge.
    pub instance_id: Option<InstanceId>,
    /// The challenge.
    pub challenge_id: ChallengeId,
    /// The question.
    pub question_id: QuestionId,
    /// The answer as sent (choices joined by commas).
    pub answer: String,
    /// Whether the platform accepted it.
    pub correct: bool,
    /// Whether the team had already solved this question when it was sent.
    pub already_solved: bool,
}

/// A frame the platform publishes, and whether only team streams get it.
#[derive(Debug, Clone)]
pub(crate) struct Published {
    pub(crate) event: Event,
    pub(crate) team_only: bool,
}

pub(crate) struct State {
    pub(crate) competitions: Vec<CompetitionInfo>,
    pub(crate) challenges: Vec<MockChallenge>,
    pub(crate) registered: bool,
    pub(crate) team: TeamDetail,
    pub(crate) instances: Vec<MockInstance>,
    pub(crate) submissions: Vec<Submitted>,
    /// What `GET /submissions` lists, in order.
    pub(crate) records: Vec<SubmissionState>,
    pub(crate) solved: BTreeSet<(ChallengeId, QuestionId)>,
    pub(crate) wrong: BTreeSet<(ChallengeId, QuestionId)>,
    pub(crate) faults: Vec<(Route, Fault, u32)>,
    pub(crate) counts: BTreeMap<Route, usize>,
    pub(crate) script: VecDeque<Step>,
    pub(crate) scoreboard: Option<Vec<ScoreboardEntry>>,
    pub(crate) invites: Vec<(CompetitionId, CompetitionInviteInfo)>,
    pub(crate) next_id: u64,
    /// The most instances that ran at once.
    pub(crate) peak_running: usize,
    /// How long after a full solve the auto-stop tears the instance down.
    pub(crate) auto_stop_delay: Duration,
    /// The typed stubs, in the order they were added.
    pub(crate) stubs: Vec<super::stubs::Rule>,
    /// How many instances the team may run at once (`None`: no cap).
    pub(crate) team_instance_limit: Option<usize>,
}

/// What the responder, the event stream and the [`MockPlatform`](super::MockPlatform) share.
pub(crate) struct Shared {
    state: Mutex<State>,
    pub(crate) events: broadcast::Sender<Published>,
    /// The platform's own base URL (`http://127.0.0.1:PORT`), for the services it hands out.
    pub(crate) origin: OnceLock<String>,
}

impl Shared {
    pub(crate) fn new(state: State) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(state),
            events: broadcast::channel(1024).0,
            origin: OnceLock::new(),
        })
    }

    /// The state; a test that panicked while holding it does not poison the others.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn publish(&self, event: Event, team_only: bool) {
        // No stream connected is fine: the frame is simply not seen, as on the platform.
        let _ = self.events.send(Published { event, team_only });
    }

    /// Counts a request and returns the fault planned for its route, if any is left: an
    /// answer instead of the request's, or what happens to the reply once it is applied.
    pub(crate) fn count(&self, route: Route) -> Option<Verdict> {
        let mut st = self.lock();
        *st.counts.entry(route).or_default() += 1;
        let n = st
            .faults
            .iter()
            .position(|(r, f, used)| *r == route && *used < f.times())?;
        st.faults[n].2 += 1;
        Some(match st.faults[n].1.clone() {
            Fault::RateLimited { retry_after, .. } => Verdict::Instead(Reply {
                status: 429,
                body: envelope("rate_limited", json!("Too many requests: slow down")),
                retry_after: Some(
                    retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0),
                ),
            }),
            Fault::Status { status, .. } => Verdict::Instead(Reply {
                status,
                body: envelope(
                    &format!("http_{status}"),
                    json!("The mock platform failed this request on purpose"),
                ),
                retry_after: None,
            }),
            Fault::TeamCapacity { .. } => {
                let held = held_instances(&st);
                let cap = st.team_instance_limit.unwrap_or(held.0 + held.1);
                Verdict::Instead(team_capacity_exceeded(cap, held))
            }
            Fault::ReplyLost { .. } => Verdict::Then(After::Lost),
            Fault::ReplyTimedOut { .. } => Verdict::Then(After::Held),
            Fault::Slow { delay, .. } => Verdict::Then(After::Late(delay)),
        })
    }

    /// Brings time-based changes up to date: instances whose start-up delay has passed become
    /// ready (their `instance_ready` frame is published), and fully solved instances whose
    /// auto-stop is due are stopped (`instance_stopped`, reason `auto_stop_after_solve`).
    pub(crate) fn tick(&self) {
        let mut st = self.lock();
        let now = Instant::now();
        let stopping: Vec<usize> = st
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.is_running() && i.auto_stop_at.is_some_and(|at| now >= at))
            .map(|(n, _)| n)
            .collect();
        for n in stopping {
            self.stop(&mut st, n, "auto_stop_after_solve");
        }
        let due: Vec<usize> = st
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.status == InstanceStatus::Starting)
            .filter(|(_, i)| match &st.challenges[i.challenge].startup {
                Startup::After(d) => now >= i.launched + *d,
                _ => false,
            })
            .map(|(n, _)| n)
            .collect();
        for n in due {
            self.become_ready(&mut st, n);
        }
    }

    fn become_ready(&self, st: &mut State, n: usize) {
        st.instances[n].status = InstanceStatus::Ready;
        let e = InstanceReady::default().with(|it| {
            it.challenge_id = st.instances[n].challenge_id.clone();
            it.actor = team_actor(&st.team);
            it.instance_id = st.instances[n].id.clone();
            it.competition_id = st.instances[n].competition_id.clone();
            it.node_id = id("127.0.0.1_18201");
            it.competition_title = title(st, &st.instances[n].competition_id);
        });
        self.publish(Event::InstanceReady(e), true);
    }

    /// The next script segment for a new event-stream connection: the frames and pauses up
    /// to the next disconnect, and whether the connection ends after them.
    pub(crate) fn script_segment(&self) -> (Vec<Step>, bool) {
        let mut st = self.lock();
        let mut steps = Vec::new();
        while let Some(step) = st.script.pop_front() {
            if matches!(step, Step::Disconnect) {
                return (steps, true);
            }
            steps.push(step);
        }
        (steps, false)
    }

    fn answer(&self, req: &Request) -> ResponseTemplate {
        let segs: Vec<&str> = req.url.path().trim_matches('/').split('/').collect();
        let route = classify(req.method.as_str(), &segs);
        match self.count(route) {
            Some(Verdict::Instead(fault)) => fault.template(),
            Some(Verdict::Then(after)) => after.mark(self.apply(req, route)),
            None => self.apply(req, route),
        }
    }

    /// Does what the request asks and answers it.
    fn apply(&self, req: &Request, route: Route) -> ResponseTemplate {
        let path = req.url.path();
        let method = req.method.as_str();
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        // Parsed once: the stubs match on the pairs as sent, the routes below look them up.
        let pairs: Vec<(String, String)> = req.url.query_pairs().into_owned().collect();
        if let Some(stubbed) =
            super::stubs::answer(&self.lock().stubs, method, path, &pairs, &req.body)
        {
            return stubbed;
        }
        self.tick();
        if route == Route::Service {
            return self.service(&segs);
        }
        let token = bearer(req);
        let Some(token) = token else {
            return error(401, "http_401", json!("Not authenticated"));
        };
        if ![PLAYER_TOKEN, SESSION_TOKEN, ADMIN_TOKEN].contains(&token) {
            return error(403, "http_403", json!("Invalid or revoked token"));
        }
        let admin_route = segs.get(2) == Some(&"admin");
        if admin_route && token != ADMIN_TOKEN {
            return error(403, "http_403", json!("Admin privileges required"));
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let query: BTreeMap<String, String> = pairs.into_iter().collect();
        let rest = &segs[2.min(segs.len())..];
        let mut st = self.lock();
        match (method, rest) {
            ("GET", ["health"]) => ok(&HealthResponse::fixture()),
            ("GET", ["meta"]) => ok(&json!({ "version": crate::PLATFORM_VERSION })),
            ("GET", ["me"]) => ok(&MeResponse::fixture()),
            ("GET", ["competitions"]) => {
                let phase = query.get("phase");
                let items: Vec<&CompetitionInfo> = st
                    .competitions
                    .iter()
                    .filter(|c| phase.is_none_or(|p| c.phase.as_str() == p))
                    .collect();
                page(&items, &query)
            }
            ("GET", ["competitions", cid]) => match competition(&st, cid) {
                Some(c) => {
                    let mut detail: CompetitionDetail = convert(c).unwrap_or_default();
                    detail.challenges = challenge_list(&st, cid);
                    detail.challenge_count = detail.challenges.len() as i64;
                    ok(&detail)
                }
                None => competition_not_found(cid),
            },
            ("POST", ["competitions", cid, "teams"]) => {
                if competition(&st, cid).is_none() {
                    return competition_not_found(cid);
                }
                if !st.registered {
                    st.registered = true;
                    let (team_id, team_name) = (st.team.id.clone(), st.team.name.clone());
                    for c in &mut st.competitions {
                        c.is_registered = true;
                        c.my_team_id = team_id.clone();
                        c.my_team_name = team_name.clone();
                    }
                    self.publish(
                        Event::TeamMembershipChanged(TeamMembershipChanged::default().with(|it| {
                            it.previous_team_id = id("");
                            it.current_team_id = team_id;
                        })),
                        false,
                    );
                }
                json_status(201, &st.team)
            }
            ("GET", ["competitions", cid, "challenges"]) => match competition(&st, cid) {
                Some(_) => page(&challenge_list(&st, cid), &query),
                None => competition_not_found(cid),
            },
            ("GET", ["challenges"]) => {
                let all: Vec<ChallengeInfo> =
                    st.challenges.iter().map(MockChallenge::listed).collect();
                page(&all, &query)
            }
            ("GET", ["competitions", _, "scoreboard"]) | ("GET", ["scoreboard"]) => {
                page(&scoreboard(&st), &query)
            }
            ("GET", ["qa", "challenges"]) => {
                let views: Vec<QaChallengeView> = st
                    .challenges
                    .iter()
                    .filter(|c| c.info.is_qa_only)
                    .map(|c| qa_view(&st, c))
                    .collect();
                ok(&views)
            }
            ("POST", ["qa", "submissions"]) => {
                let cid = str_field(&body, "challenge_id");
                let Some(n) = st.challenges.iter().position(|c| c.info.id == cid) else {
                    return challenge_not_found(&cid);
                };
                if !st.challenges[n].info.is_qa_only {
                    return error(
                        422,
                        "not_a_qa_challenge",
                        json!(format!("Challenge {cid} is not a question-only challenge")),
                    );
                }
                if !st.registered {
                    return not_registered(&str_field(&body, "competition_id"));
                }
                let qid = body
                    .get("question_id")
                    .and_then(Value::as_str)
                    .unwrap_or("answer")
                    .to_owned();
                self.grade(&mut st, n, None, &qid, &body)
            }
            ("POST", ["instances"]) => self.launch(&mut st, &body),
            ("GET", ["instances"]) => {
                let items: Vec<InstanceInfo> = st
                    .instances
                    .iter()
                    .filter(|i| i.status != InstanceStatus::Stopped)
                    .map(|i| instance_info(&st, i, self.origin()))
                    .collect();
                page(&items, &query)
            }
            ("GET", ["instances", iid, "status"]) => {
                let Some(n) = instance(&st, iid) else {
                    return instance_not_found(iid);
                };
                st.instances[n].status_polls += 1;
                if st.instances[n].status == InstanceStatus::Starting {
                    if let Startup::AfterPolls(k) = st.challenges[st.instances[n].challenge].startup
                    {
                        if st.instances[n].status_polls >= k {
                            self.become_ready(&mut st, n);
                        }
                    }
                }
                let i = &st.instances[n];
                let mut status = InstanceStatusResponse::default().with(|it| {
                    it.id = i.id.clone();
                    it.status = i.status.clone();
                    it.start_budget_s = START_BUDGET_S;
                });
                match &i.status {
                    InstanceStatus::Ready => {
                        status.attack_surface = Some(surface(self.origin(), &i.id));
                    }
                    InstanceStatus::Error => {
                        if let Startup::Fails(msg) = &st.challenges[i.challenge].startup {
                            status.error = msg.clone();
                        }
                    }
                    _ => {}
                }
                ok(&status)
            }
            ("GET", ["instances", iid]) => match instance(&st, iid) {
                Some(n) if st.instances[n].status != InstanceStatus::Stopped => {
                    ok(&instance_info(&st, &st.instances[n], self.origin()))
                }
                _ => instance_not_found(iid),
            },
            ("DELETE", ["instances", iid]) => match instance(&st, iid) {
                Some(n)
                    if st.instances[n].is_running()
                        || st.instances[n].status == InstanceStatus::Error =>
                {
                    self.stop(&mut st, n, "");
                    ok(&json!({ "status": "stopped", "id": iid }))
                }
                _ => instance_not_found(iid),
            },
            ("POST", ["instances", iid, "verify-answer"]) => {
                let Some(n) = instance(&st, iid).filter(|&n| st.instances[n].is_running()) else {
                    return instance_not_found(iid);
                };
                let ch = &st.challenges[st.instances[n].challenge];
                let qid = body
                    .get("question_id")
                    .and_then(Value::as_str)
                    .unwrap_or("flag");
                let Some(q) = ch.question_named(qid) else {
                    return unknown_question(ch, qid);
                };
                let correct = q.grade(false, body.get("answer"));
                ok(&VerifyAnswerResponse::default().with(|it| {
                    it.correct = correct;
                    it.question_id = correct.then(|| id(qid));
                }))
            }
            ("GET", ["submissions"]) => {
                let challenge = query.get("challenge_id").filter(|c| !c.is_empty());
                let items: Vec<&SubmissionState> = st
                    .records
                    .iter()
                    .filter(|r| challenge.is_none_or(|c| r.challenge_id == c.as_str()))
                    .collect();
                page(&items, &query)
            }
            ("POST", ["submissions"]) => {
                let iid = str_field(&body, "instance_id");
                let Some(n) = instance(&st, &iid).filter(|&n| st.instances[n].is_running()) else {
                    return instance_not_found(&iid);
                };
                let qid = body
                    .get("question_id")
                    .and_then(Value::as_str)
                    .unwrap_or("flag")
                    .to_owned();
                let (challenge, iid) = (st.instances[n].challenge, st.instances[n].id.clone());
                self.grade(&mut st, challenge, Some((n, iid)), &qid, &body)
            }
            ("GET", ["admin", "competitions"]) => page(&st.competitions, &query),
            ("POST", ["admin", "competitions"]) => {
                st.next_id += 1;
                let cid = format!("{:032x}", 0xc0ffee_u64 << 32 | st.next_id);
                let mut c = merged(
                    &CompetitionInfo::fixture().with(|it| {
                        it.id = id(&cid);
                        it.challenge_ids = Vec::new();
                        it.is_registered = false;
                        it.registered_count = 0;
                        it.my_team_id = id("");
                        it.my_team_name = String::new();
                        it.status = Default::default();
                    }),
                    &body,
                );
                c.phase = phase_of(&c);
                st.competitions.push(c.clone());
                ok(&c)
            }
            ("GET", ["admin", "competitions", cid]) => match competition(&st, cid) {
                Some(c) => ok(c),
                None => competition_not_found(cid),
            },
            ("PATCH", ["admin", "competitions", cid]) => {
                let Some(n) = st.competitions.iter().position(|c| c.id == *cid) else {
                    return competition_not_found(cid);
                };
                let mut c = merged(&st.competitions[n], &body);
                c.id = st.competitions[n].id.clone();
                c.phase = phase_of(&c);
                st.competitions[n] = c.clone();
                ok(&c)
            }
            ("POST", ["admin", "competitions", cid, "invites"]) => {
                if competition(&st, cid).is_none() {
                    return competition_not_found(cid);
                }
                let invite = merged(
                    &CompetitionInviteInfo::fixture().with(|it| {
                        it.invited_at = Some(super::fixtures::ago(std::time::Duration::ZERO));
                    }),
                    &body,
                );
                st.invites.push((id(cid), invite.clone()));
                json_status(201, &invite)
            }
            ("GET", ["admin", "competitions", cid, "invites"]) => {
                let items: Vec<&CompetitionInviteInfo> = st
                    .invites
                    .iter()
                    .filter(|(c, _)| c == *cid)
                    .map(|(_, i)| i)
                    .collect();
                page(&items, &query)
            }
            _ => error(
                404,
                "not_mocked",
                json!(format!(
                    "ctfy::testing does not answer {method} {path}: stub it with MockPlatform::on (or mount a wiremock::Mock on MockPlatform::server())"
                )),
            ),
        }
    }

    fn origin(&self) -> &str {
        self.origin
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1")
    }

    fn launch(&self, st: &mut State, body: &Value) -> ResponseTemplate {
        let cid = str_field(body, "challenge_id");
        if cid.is_empty() {
            return error(
                422,
                "validation_error",
                json!({ "message": "challenge_id: Field required" }),
            );
        }
        let competition_id = body
            .get("competition_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| st.competitions.first().map(|c| c.id.to_string()))
            .unwrap_or_default();
        let in_competition = competition(st, &competition_id)
            .is_some_and(|c| c.challenge_ids.iter().any(|c| *c == cid));
        let Some(n) = st
            .challenges
            .iter()
            .position(|c| c.info.id == cid)
            .filter(|_| in_competition)
        else {
            return challenge_not_found(&cid);
        };
        if !st.registered {
            return not_registered(&competition_id);
        }
        if st.challenges[n].info.is_qa_only {
            return error(
                422,
                "qa_only_challenge",
                json!(format!(
                    "Challenge {cid} has no instance: answer it with /qa/submissions"
                )),
            );
        }
        if let Some(cap) = st.team_instance_limit {
            let held = held_instances(st);
            if held.0 + held.1 >= cap {
                return team_capacity_exceeded(cap, held).template();
            }
        }
        st.next_id += 1;
        let iid: InstanceId = id(&format!("00000000-0000-4000-8000-{:012x}", st.next_id));
        let inst = MockInstance {
            id: iid.clone(),
            challenge_id: st.challenges[n].info.id.clone(),
            competition_id: id(&competition_id),
            status: InstanceStatus::Starting,
            stop_reason: None,
            status_polls: 0,
            launched: Instant::now(),
            auto_stop_at: None,
            challenge: n,
        };
        st.instances.push(inst);
        let k = st.instances.len() - 1;
        let running = st.instances.iter().filter(|i| i.is_running()).count();
        st.peak_running = st.peak_running.max(running);
        let title = title(st, &id(&competition_id));
        self.publish(
            Event::InstanceStarted(InstanceStarted::default().with(|it| {
                it.challenge_id = st.challenges[n].info.id.clone();
                it.actor = user_actor();
                it.instance_id = iid.clone();
                it.competition_id = id(&competition_id);
                it.node_id = id("127.0.0.1_18201");
                it.ip = "127.0.0.1".into();
                it.competition_title = title.clone();
            })),
            true,
        );
        match st.challenges[n].startup.clone() {
            Startup::Immediate => self.become_ready(st, k),
            Startup::Fails(msg) => {
                st.instances[k].status = InstanceStatus::Error;
                self.publish(
                    Event::InstanceError(InstanceError::default().with(|it| {
                        it.challenge_id = st.challenges[n].info.id.clone();
                        it.actor = team_actor(&st.team);
                        it.instance_id = iid.clone();
                        it.competition_id = id(&competition_id);
                        it.node_id = id("127.0.0.1_18201");
                        it.error = msg;
                        it.competition_title = title;
                    })),
                    true,
                );
            }
            _ => {}
        }
        json_status(
            202,
            &StartResponse::default().with(|it| {
                it.id = iid;
                it.status = InstanceStatus::Starting;
            }),
        )
        .set_delay(st.challenges[n].launch_delay)
    }

    fn stop(&self, st: &mut State, n: usize, reason: &str) {
        let i = &mut st.instances[n];
        i.status = InstanceStatus::Stopped;
        i.auto_stop_at = None;
        i.stop_reason = Some(reason.to_owned());
        let actor = if reason.is_empty() {
            user_actor()
        } else {
            Actor::default().with(|it| {
                it.actor_id = "platform".into();
                it.actor_name = "auto-stop".into();
                it.actor_type = "system".into();
                it.actor_avatar_url = String::new();
            })
        };
        let e = InstanceStopped::default().with(|it| {
            it.challenge_id = i.challenge_id.clone();
            it.actor = actor;
            it.instance_id = i.id.clone();
            it.competition_id = i.competition_id.clone();
            it.reason = reason.to_owned();
        });
        self.publish(Event::InstanceStopped(e), true);
    }

    /// Grades an answer of challenge `n` (for instance `inst`, if any), records it and
    /// answers the platform's `SubmissionResponse`.
    fn grade(
        &self,
        st: &mut State,
        n: usize,
        inst: Option<(usize, InstanceId)>,
        qid: &str,
        body: &Value,
    ) -> ResponseTemplate {
        let ch = &st.challenges[n];
        let Some(q) = ch.question_named(qid) else {
            return unknown_question(ch, qid);
        };
        let correct = q.grade(ch.info.is_qa_only, body.get("answer"));
        let key = (ch.info.id.clone(), id::<QuestionId>(qid));
        let already_solved = st.solved.contains(&key);
        let challenge_id = ch.info.id.clone();
        st.submissions.push(Submitted {
            instance_id: inst.as_ref().map(|(_, i)| i.clone()),
            challenge_id: challenge_id.clone(),
            question_id: key.1.clone(),
            answer: as_sent(body.get("answer")),
            correct,
            already_solved,
        });
        // The record `GET /submissions` lists: a list answer kept as JSON, as the platform does.
        let sub_id = uuid(st);
        let claimed = match body.get("answer") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let record = SubmissionState::default().with(|it| {
            it.id = sub_id.clone();
            it.team_id = st.team.id.clone();
            it.user_id = id(super::fixtures::USER_ID);
            it.challenge_id = challenge_id.clone();
            it.claimed_flag = claimed;
            it.correct = correct;
            it.flag_id = qid.to_owned();
            it.submitted_at = Some(super::fixtures::ago(Duration::ZERO));
            it.solve_time_s = if correct { 1.5 } else { 0.0 };
        });
        st.records.push(record);
        let competition_id = inst
            .as_ref()
            .map(|(k, _)| st.instances[*k].competition_id.clone())
            .or_else(|| st.competitions.first().map(|c| c.id.clone()))
            .unwrap_or_else(|| id(""));
        let instance_id = inst
            .as_ref()
            .map(|(_, i)| i.clone())
            .unwrap_or_else(|| id(""));
        let competition_title = title(st, &competition_id);
        if !correct {
            st.wrong.insert(key);
            self.publish(
                Event::FlagWrong(FlagWrong::default().with(|it| {
                    it.challenge_id = challenge_id;
                    it.actor = user_actor();
                    it.instance_id = instance_id;
                    it.competition_id = competition_id;
                    it.solve_time_s = 1.5;
                    it.ip = "127.0.0.1".into();
                    it.competition_title = competition_title;
                })),
                true,
            );
            return ok(&SubmissionResponse::default().with(|it| {
                it.id = sub_id;
            }));
        }
        st.solved.insert(key);
        let ch = &st.challenges[n];
        let fully = ch
            .questions
            .iter()
            .all(|q| st.solved.contains(&(ch.info.id.clone(), q.id.clone())));
        let rank = 1;
        if !already_solved {
            self.publish(
                Event::FlagCorrect(FlagCorrect::default().with(|it| {
                    it.challenge_id = challenge_id.clone();
                    it.actor = user_actor();
                    it.instance_id = instance_id.clone();
                    it.competition_id = competition_id;
                    it.solve_time_s = 1.5;
                    it.ip = "127.0.0.1".into();
                    it.flag_id = qid.to_owned();
                    it.challenge_fully_solved = fully;
                    it.competition_title = competition_title;
                })),
                true,
            );
            self.publish(
                Event::ScoreboardUpdated(ScoreboardUpdated::default()),
                false,
            );
        }
        if let (true, Some((k, _))) = (fully, &inst) {
            // The platform tears a fully solved instance down by itself, but in a background
            // job: the answer goes out first, and the instance runs on for a moment.
            let delay = st.auto_stop_delay;
            if delay.is_zero() {
                self.stop(st, *k, "auto_stop_after_solve");
            } else if st.instances[*k].auto_stop_at.is_none() {
                st.instances[*k].auto_stop_at = Some(Instant::now() + delay);
            }
        }
        ok(&SubmissionResponse::default().with(|it| {
            it.id = sub_id;
            it.correct = true;
            it.solve_time_s = 1.5;
            it.solve_rank = rank;
            it.question_id = Some(id(qid));
            it.challenge_fully_solved = fully;
            it.ranked = !already_solved;
        }))
    }

    fn service(&self, segs: &[&str]) -> ResponseTemplate {
        // /svc/{instance}/flag[/{question}]
        let st = self.lock();
        let Some(n) = segs.get(1).and_then(|iid| instance(&st, iid)) else {
            return ResponseTemplate::new(502).set_body_string("no such instance");
        };
        let i = &st.instances[n];
        if i.status != InstanceStatus::Ready {
            return ResponseTemplate::new(502).set_body_string("the instance is not running");
        }
        let q = match segs.get(2..) {
            Some(["flag"]) => "flag",
            Some(["flag", q]) => q,
            _ => return ResponseTemplate::new(200).set_body_string("<html>mock service</html>"),
        };
        match st.challenges[i.challenge]
            .question_named(q)
            .and_then(|q| q.served())
        {
            Some(a) => ResponseTemplate::new(200).set_body_string(format!("{a}\n")),
            None => ResponseTemplate::new(404).set_body_string("no such flag"),
        }
    }
}

/// The wiremock responder of the kit's catch-all mock.
pub(crate) struct Responder(pub(crate) Arc<Shared>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.answer(request)
    }
}

pub(crate) fn classify(method: &str, segs: &[&str]) -> Route {
    if segs.first() == Some(&"svc") {
        return Route::Service;
    }
    if segs.get(..2) != Some(&["api", "v1"]) {
        return Route::Other;
    }
    match (method, &segs[2..]) {
        ("GET", ["health"]) => Route::Health,
        ("GET", ["meta"]) => Route::Meta,
        ("GET", ["me"]) => Route::Me,
        ("GET", ["competitions"]) => Route::Competitions,
        ("GET", ["competitions", _]) => Route::Competition,
        ("POST", ["competitions", _, "teams"]) => Route::Register,
        ("GET", ["competitions", _, "challenges"]) | ("GET", ["challenges"]) => Route::Challenges,
        ("GET", ["competitions", _, "scoreboard"]) | ("GET", ["scoreboard"]) => Route::Scoreboard,
        ("GET", ["qa", "challenges"]) => Route::QaChallenges,
        ("POST", ["qa", "submissions"]) => Route::SubmitQa,
        ("POST", ["instances"]) => Route::Launch,
        ("GET", ["instances"]) => Route::Instances,
        ("GET", ["instances", _, "status"]) => Route::Status,
        ("GET", ["instances", _]) => Route::Instance,
        ("DELETE", ["instances", _]) => Route::Stop,
        ("POST", ["instances", _, "verify-answer"]) => Route::Verify,
        ("POST", ["submissions"]) => Route::Submit,
        ("GET", ["submissions"]) => Route::Submissions,
        ("GET", ["events"]) => Route::Events,
        (_, ["admin", "competitions", _, "invites", ..]) => Route::AdminInvites,
        (_, ["admin", "competitions", ..]) => Route::AdminCompetitions,
        _ => Route::Other,
    }
}

fn bearer(req: &Request) -> Option<&str> {
    req.headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

fn competition<'a>(st: &'a State, cid: &str) -> Option<&'a CompetitionInfo> {
    st.competitions.iter().find(|c| c.id == cid)
}

fn instance(st: &State, iid: &str) -> Option<usize> {
    st.instances.iter().position(|i| i.id == iid)
}

fn title(st: &State, cid: &CompetitionId) -> String {
    competition(st, cid.as_str())
        .map(|c| c.title.clone())
        .unwrap_or_default()
}

/// The competition's challenges, in its order, with the team's progress filled in.
fn challenge_list(st: &State, cid: &str) -> Vec<ChallengeInfo> {
    let Some(c) = competition(st, cid) else {
        return Vec::new();
    };
    c.challenge_ids
        .iter()
        .filter_map(|id| st.challenges.iter().find(|ch| ch.info.id == *id))
        .map(|ch| {
            let mut info = ch.listed();
            let solved: Vec<QuestionId> = ch
                .questions
                .iter()
                .filter(|q| st.solved.contains(&(info.id.clone(), q.id.clone())))
                .map(|q| q.id.clone())
                .collect();
            info.my_fully_solved = !ch.questions.is_empty() && solved.len() == ch.questions.len();
            info.my_team_fully_solved = info.my_fully_solved;
            info.my_solved_question_ids = solved.clone();
            info.my_team_solved_question_ids = solved;
            info.solves_count = i64::from(info.my_fully_solved);
            info.launch_count = st
                .instances
                .iter()
                .filter(|i| i.challenge_id == info.id)
                .count() as i64;
            info
        })
        .collect()
}

fn qa_view(st: &State, ch: &MockChallenge) -> QaChallengeView {
    let mut view: QaChallengeView = convert(&ch.info).unwrap_or_default();
    view.bucket = "knowledge".into();
    // This view lists every question, those waiting for others too, with its `requires`.
    view.questions = ch.questions.iter().map(|q| q.public(true)).collect();
    let of = |set: &BTreeSet<(ChallengeId, QuestionId)>| -> Vec<QuestionId> {
        ch.questions
            .iter()
            .filter(|q| set.contains(&(ch.info.id.clone(), q.id.clone())))
            .map(|q| q.id.clone())
            .collect()
    };
    view.solved_question_ids = of(&st.solved);
    view.attempted_wrong_question_ids = of(&st.wrong);
    view
}

fn scoreboard(st: &State) -> Vec<ScoreboardEntry> {
    if let Some(rows) = &st.scoreboard {
        return rows.clone();
    }
    if !st.registered {
        return Vec::new();
    }
    let solved = st.solved.len() as i64;
    vec![ScoreboardEntry::fixture().with(|it| {
        it.rank = 1;
        it.team_id = st.team.id.clone();
        it.team_name = st.team.name.clone();
        it.solved = st
            .challenges
            .iter()
            .filter(|c| {
                !c.questions.is_empty()
                    && c.questions
                        .iter()
                        .all(|q| st.solved.contains(&(c.info.id.clone(), q.id.clone())))
            })
            .count() as i64;
        it.flags_solved = solved;
        it.score = 100 * solved;
        it.attempts = st.submissions.len() as i64;
        it.last_solve_at = None;
        it.last_active_at = None;
    })]
}

fn instance_info(st: &State, i: &MockInstance, origin: &str) -> InstanceInfo {
    let ch = &st.challenges[i.challenge];
    let started = unix_now();
    InstanceInfo::fixture().with(|it| {
        it.id = i.id.clone();
        it.challenge_id = i.challenge_id.clone();
        it.competition_id = i.competition_id.clone();
        it.team_id = st.team.id.clone();
        it.team_name = st.team.name.clone();
        it.name = ch.info.name.clone();
        it.category = Some(ch.info.category.clone());
        it.difficulty = ch.info.difficulty.clone();
        it.status = i.status.clone();
        it.started_at = started;
        it.expires_at = (f64::from(started) + 10_800.0).into();
        it.services = if i.status == InstanceStatus::Ready {
            surface(origin, &i.id).services
        } else {
            Vec::new()
        };
        it.description = ch.info.description.clone();
        // As on the platform: a question waiting for others is left out until they are
        // solved (unless the team solved it anyway).
        it.questions = ch
            .questions
            .iter()
            .filter_map(|q| q.on_instance(|q| st.solved.contains(&(ch.info.id.clone(), q.clone()))))
            .collect();
    })
}

/// The attack surface of a ready instance: one web service, served by the mock itself under
/// `/svc/{instance}`.
fn surface(origin: &str, iid: &InstanceId) -> AttackSurface {
    let (host, port) = origin
        .trim_start_matches("http://")
        .rsplit_once(':')
        .map(|(h, p)| (h.to_owned(), p.parse().unwrap_or(80)))
        .unwrap_or_else(|| ("127.0.0.1".into(), 80));
    AttackSurface::default().with(|it| {
        it.services = vec![ServiceEndpoint::fixture().with(|it| {
            it.host = host;
            it.port = port;
            it.path = format!("/svc/{iid}");
        })];
    })
}

fn phase_of(c: &CompetitionInfo) -> ctfy_models::CompetitionDetailPhase {
    use ctfy_models::{CompetitionCreateStatus as S, CompetitionDetailPhase as P};
    let now = std::time::SystemTime::now();
    let after = |t: &Option<ctfy_models::Timestamp>| {
        t.as_ref()
            .and_then(|t| t.to_system_time())
            .is_some_and(|t| t > now)
    };
    let before = |t: &Option<ctfy_models::Timestamp>| {
        t.as_ref()
            .and_then(|t| t.to_system_time())
            .is_some_and(|t| t <= now)
    };
    match c.status {
        S::Published if after(&c.starts_at) => P::Upcoming,
        S::Published if before(&c.ends_at) => P::Past,
        S::Published => P::Running,
        S::Archived => P::Past,
        _ => P::Upcoming,
    }
}

/// `base` with the body's fields laid over it (fields `base` does not have are dropped).
fn merged<T: serde::Serialize + serde::de::DeserializeOwned + Clone>(base: &T, body: &Value) -> T {
    let Ok(Value::Object(mut obj)) = serde_json::to_value(base) else {
        return base.clone();
    };
    if let Value::Object(fields) = body {
        for (k, v) in fields {
            if obj.contains_key(k) && !v.is_null() {
                obj.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::from_value(Value::Object(obj)).unwrap_or_else(|_| base.clone())
}

fn str_field(body: &Value, key: &str) -> String {
    body.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn uuid(st: &mut State) -> String {
    st.next_id += 1;
    format!("5ab00000-0000-4000-8000-{:012x}", st.next_id)
}

fn user_actor() -> Actor {
    Actor::default().with(|it| {
        it.actor_id = super::fixtures::USER_ID.into();
        it.actor_name = "Mock Agent".into();
        it.actor_type = "team".into();
        it.actor_avatar_url = String::new();
    })
}

fn team_actor(team: &TeamDetail) -> Actor {
    Actor::default().with(|it| {
        it.actor_id = team.id.to_string();
        it.actor_name = team.name.clone();
        it.actor_type = "team".into();
        it.actor_avatar_url = String::new();
    })
}

fn ok<T: serde::Serialize + ?Sized>(body: &T) -> ResponseTemplate {
    json_status(200, body)
}

fn json_status<T: serde::Serialize + ?Sized>(status: u16, body: &T) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// A listing envelope of `items`, honouring `limit` (default 50) and `offset`.
fn page<T: serde::Serialize>(items: &[T], query: &BTreeMap<String, String>) -> ResponseTemplate {
    let num = |k: &str, d: usize| query.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    let (limit, offset) = (num("limit", 50), num("offset", 0));
    let slice: Vec<&T> = items.iter().skip(offset).take(limit).collect();
    ok(&json!({ "items": slice, "total": items.len(), "limit": limit, "offset": offset }))
}

/// What a planned fault does to a request: answers instead of it, or lets it be applied and
/// then spoils the reply.
pub(crate) enum Verdict {
    Instead(Reply),
    Then(After),
}

/// What happens to the reply of a request that was applied; the front plays it (wiremock
/// answers whole replies only), told by the [`AFTER`] header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    /// The connection closes before any byte of the reply.
    Lost,
    /// The reply is held until the client closes the connection.
    Held,
    /// The reply goes out this late.
    Late(Duration),
}

/// The header by which the responder tells the front what to do with a reply; the front takes
/// it off.
pub(crate) const AFTER: &str = "x-ctfy-mock-after";

impl After {
    fn mark(self, t: ResponseTemplate) -> ResponseTemplate {
        let value = match self {
            After::Lost => "lost".to_owned(),
            After::Held => "held".to_owned(),
            After::Late(d) => format!("late={}", d.as_micros()),
        };
        t.insert_header(AFTER, value.as_str())
    }

    /// The mark read back.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "lost" => Some(After::Lost),
            "held" => Some(After::Held),
            _ => value
                .strip_prefix("late=")
                .and_then(|us| us.parse().ok())
                .map(|us| After::Late(Duration::from_micros(us))),
        }
    }
}

/// The team's instances that count against its cap, as (ready, starting): the platform counts
/// every instance that is not stopped or failed.
fn held_instances(st: &State) -> (usize, usize) {
    let count = |s: InstanceStatus| st.instances.iter().filter(|i| i.status == s).count();
    (
        count(InstanceStatus::Ready),
        count(InstanceStatus::Starting),
    )
}

/// The platform's refusal of a launch over the team's cap: `429 team_capacity_exceeded`, the
/// detail naming the cap and what holds it, and no `Retry-After`.
fn team_capacity_exceeded(cap: usize, (ready, starting): (usize, usize)) -> Reply {
    let mut held = format!("{ready} running");
    if starting > 0 {
        held.push_str(&format!(", {starting} still starting"));
    }
    Reply {
        status: 429,
        body: envelope(
            "team_capacity_exceeded",
            json!(format!("Max {cap} concurrent instances per team ({held})")),
        ),
        retry_after: None,
    }
}

/// An error answer: status, the platform's error envelope, and `Retry-After` seconds.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) retry_after: Option<u64>,
}

impl Reply {
    pub(crate) fn template(&self) -> ResponseTemplate {
        let t = json_status(self.status, &self.body);
        match self.retry_after {
            Some(s) => t.insert_header("Retry-After", s.to_string().as_str()),
            None => t,
        }
    }
}

/// The platform's error envelope.
pub(crate) fn envelope(code: &str, detail: Value) -> Value {
    json!({ "code": code, "detail": detail, "timestamp": "2026-01-01T00:00:00+00:00" })
}

fn error(status: u16, code: &str, detail: Value) -> ResponseTemplate {
    json_status(status, &envelope(code, detail))
}

fn competition_not_found(cid: &str) -> ResponseTemplate {
    error(
        404,
        "http_404",
        json!(format!("Competition not found: {cid}")),
    )
}

fn challenge_not_found(cid: &str) -> ResponseTemplate {
    error(
        404,
        "challenge_not_found",
        json!(format!("Challenge {cid} not found")),
    )
}

fn instance_not_found(iid: &str) -> ResponseTemplate {
    error(
        404,
        "instance_not_found",
        json!(format!("Instance {iid} not found")),
    )
}

fn not_registered(cid: &str) -> ResponseTemplate {
    error(
        403,
        "not_registered",
        json!({ "message": "You are not registered for this competition", "competition_id": cid }),
    )
}

fn unknown_question(ch: &MockChallenge, qid: &str) -> ResponseTemplate {
    let known: Vec<&str> = ch.questions.iter().map(|q| q.id.as_str()).collect();
    error(
        422,
        "unknown_question_id",
        json!({ "question_id": qid, "known": known }),
    )
}
