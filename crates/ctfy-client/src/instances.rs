//! `client.instances()`: the hand-written calls (`start`, `launch`, `wait_ready`, `stop`).
//!
//! The namespace and its other calls are generated (`generated/instances.rs`).

use std::time::{Duration, Instant};

use ctfy_models::{
    AttackSurface, ChallengeId, CompetitionId, InstanceId, InstanceInfo, InstanceQuestionInfo,
    InstanceStatus, InstanceStatusResponse, IntoId, StartRequest, StartResponse,
};
use ctfy_transport::{Call, Error, Request, Result, Transport, awaitable, builder};

use crate::Instances;

/// An instance that is up, as [`Instances::start`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadyInstance {
    /// The instance.
    pub id: InstanceId,
    /// What can be attacked: services (host, port, URL), provided files, VPN.
    pub surface: AttackSurface,
    /// The name of the CA-certificate volume of the instance, when it has one.
    pub cert_volume: String,
    /// The start budget the platform granted, in seconds.
    pub start_budget_s: i64,
}

impl Instances<'_> {
    /// Launches an instance of `challenge_id` and waits until it is ready (`POST /instances`,
    /// then `GET /instances/{id}/status`). Set the competition, TTL and wait limits on the
    /// builder, then `.await` it.
    ///
    /// `POST /instances`, then `GET /instances/{instance_id}/status`; Python SDK:
    /// `client.instances.start`.
    ///
    /// While waiting, 5xx answers and transport errors are retried (a node or the platform may
    /// be briefly unavailable); any 4xx (e.g. 404 `instance_not_found` when the instance was
    /// stopped meanwhile), or the `error` status, fails. The wait lasts at
    /// least the platform's `start_budget_s`.
    ///
    /// With a `pt_` session token, the event stream is connected before the launch and the
    /// wait ends as soon as `instance_ready` (or `instance_error`) arrives for this instance;
    /// the status is then fetched once for the surface, and polling every 2 s remains as a
    /// safety net. Other tokens receive no team frames, so the SDK only polls.
    pub fn start(&self, challenge_id: impl IntoId<ChallengeId>) -> InstancesStart {
        InstancesStart {
            t: self.t.clone(),
            challenge_id: challenge_id.into_id().map_err(Error::from),
            competition_id: None,
            ttl: None,
            timeout: Duration::from_secs(300),
            poll_interval: Duration::from_millis(500),
        }
    }

    /// Launches an instance without waiting (`POST /instances`, answered with 202).
    ///
    /// # Errors
    /// 403 `not_registered` when the caller has no team in the competition, 503
    /// `no_healthy_node`, 429 `team_capacity_exceeded`; any [`Error`].
    pub async fn launch(&self, body: &StartRequest) -> Result<StartResponse> {
        launch(self.t, body).await
    }

    /// Waits until `instance_id` is ready (see [`Instances::start`]), polling every
    /// `poll_interval` for at least `timeout`.
    ///
    /// # Errors
    /// [`Error::InstanceFailed`] when the instance goes to `error`, [`Error::Timeout`], or the
    /// first non-retryable error.
    pub async fn wait_ready(
        &self,
        instance_id: impl IntoId<InstanceId>,
        timeout: Duration,
        poll_interval: Duration,
    ) -> Result<ReadyInstance> {
        let id = instance_id.into_id()?;
        let watch = crate::events::ReadyWatch::open(self.t).await;
        wait_ready(self.t, &id, timeout, poll_interval, watch).await
    }

    /// Stops an instance (`DELETE /instances/{instance_id}`; Python SDK:
    /// `client.instances.stop`). An instance that is already gone (404,
    /// e.g. auto-stopped after a full solve) counts as stopped: the result says whether this
    /// call stopped it (`true`) or found it gone (`false`).
    ///
    /// Returns an owned builder: `.await` it (or `.send()`); `.timeout()` sets this call's
    /// per-attempt timeout.
    ///
    /// # Errors
    /// [`Error::InvalidId`] for an invalid id (before anything is sent); 503
    /// `node_unreachable` when the node could not stop it; any [`Error`] but 404.
    pub fn stop(&self, instance_id: impl IntoId<InstanceId>) -> InstancesStop {
        let req = instance_id
            .into_id()
            .map_err(Error::from)
            .and_then(|id| Request::delete("/instances/{instance_id}", &[&id]));
        InstancesStop(Call::new(self.t, req))
    }
}

builder!(
    /// Request builder of [`Instances::stop`] (and
    /// [`CompetitionInstances::stop`](crate::CompetitionInstances::stop)): `.await` it (or
    /// `.send()`) for whether this call stopped the instance; `.timeout()` gives it its own
    /// per-attempt timeout. Owned and `Send + 'static`.
    InstancesStop => bool, empty_or_404
);

/// Request builder of [`Instances::start`].
#[derive(Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct InstancesStart {
    t: Transport,
    challenge_id: Result<ChallengeId>,
    competition_id: Option<Result<CompetitionId>>,
    ttl: Option<i64>,
    timeout: Duration,
    poll_interval: Duration,
}

impl InstancesStart {
    /// The competition to play it in (needed when the challenge is in several).
    pub fn competition(mut self, id: impl IntoId<CompetitionId>) -> Self {
        self.competition_id = Some(id.into_id().map_err(Error::from));
        self
    }

    /// Lifetime in seconds (capped by the platform's maximum).
    pub fn ttl(mut self, seconds: i64) -> Self {
        self.ttl = Some(seconds);
        self
    }

    /// Minimum time to wait for readiness (default 300 s; the platform's `start_budget_s`
    /// extends it).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time between status polls (default 500 ms).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// Launches and waits.
    ///
    /// # Errors
    /// As [`Instances::launch`] and [`Instances::wait_ready`].
    pub async fn send(self) -> Result<ReadyInstance> {
        let body = StartRequest {
            challenge_id: self.challenge_id?.into_string(),
            competition_id: self
                .competition_id
                .transpose()?
                .map(CompetitionId::into_string),
            ttl: self.ttl,
        };
        // Connect the event stream before the POST, so `instance_ready` cannot be missed.
        let watch = crate::events::ReadyWatch::open(&self.t).await;
        let started = launch(&self.t, &body).await?;
        let id = InstanceId::new(started.id)?;
        wait_ready(&self.t, &id, self.timeout, self.poll_interval, watch).await
    }
}

awaitable!(InstancesStart => ReadyInstance);

/// `POST /instances`: the launch behind [`Instances::launch`] and [`Instances::start`].
async fn launch(t: &Transport, body: &StartRequest) -> Result<StartResponse> {
    t.json(&Request::post("/instances", &[])?.json(body)?).await
}

async fn wait_ready(
    t: &Transport,
    id: &InstanceId,
    timeout: Duration,
    poll: Duration,
    mut watch: Option<crate::events::ReadyWatch>,
) -> Result<ReadyInstance> {
    let started = Instant::now();
    let mut deadline = ctfy_transport::deadline_after(started, timeout);
    let req = Request::get("/instances/{instance_id}/status", &[id])?;
    loop {
        match t.json::<InstanceStatusResponse>(&req).await {
            Ok(s) => {
                if s.start_budget_s > 0 {
                    let budget = Duration::from_secs(s.start_budget_s.unsigned_abs());
                    deadline = deadline.max(ctfy_transport::deadline_after(started, budget));
                }
                match (&s.status, s.attack_surface) {
                    (InstanceStatus::Ready, Some(surface)) => {
                        return Ok(ReadyInstance {
                            id: id.clone(),
                            surface,
                            cert_volume: s.cert_volume,
                            start_budget_s: s.start_budget_s,
                        });
                    }
                    (InstanceStatus::Error, _) => {
                        return Err(Error::InstanceFailed {
                            instance_id: id.to_string(),
                            message: s.error,
                        });
                    }
                    (InstanceStatus::Stopped, _) => {
                        return Err(Error::InstanceFailed {
                            instance_id: id.to_string(),
                            message: "the instance was stopped before it became ready".into(),
                        });
                    }
                    _ => {}
                }
            }
            Err(e) if retryable_while_waiting(&e) => {
                tracing::debug!(error = %e, "instance not visible yet")
            }
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::Timeout {
                what: format!("instance {id} to become ready"),
                after: now - started,
            });
        }
        crate::events::pause(&mut watch, id, poll, deadline - now).await;
    }
}

fn retryable_while_waiting(e: &Error) -> bool {
    match e {
        Error::Api(api) => api.status >= 500,
        Error::Http { .. } => true,
        _ => false,
    }
}

impl Instances<'_> {
    /// The questions of an instance that can be answered now: unlocked (their `requires:`
    /// chain is satisfied) and not yet answered correctly by the caller's team, in the
    /// instance's order (`GET /instances/{instance_id}`; Python SDK:
    /// `client.instances.iter_pending_questions`).
    ///
    /// The Python SDK yields them from a generator that re-fetches after each batch; here one
    /// call is one snapshot. Loop until it is empty, and stop when a round made no progress
    /// (the same ids came back): answering a question may unlock the next ones.
    ///
    /// # Errors
    /// 404 `instance_not_found` once the instance is gone (e.g. auto-stopped after the last
    /// answer); 403 `forbidden` for another team's instance; any [`Error`].
    ///
    /// Returns an owned builder: `.await` it (or `.send()`); `.timeout()` sets this call's
    /// per-attempt timeout.
    pub fn pending_questions(
        &self,
        instance_id: impl IntoId<InstanceId>,
    ) -> InstancesPendingQuestions {
        let req = instance_id
            .into_id()
            .map_err(Error::from)
            .and_then(|id| Request::get("/instances/{instance_id}", &[&id]));
        InstancesPendingQuestions(Call::new(self.t, req))
    }
}

/// The questions of an instance that can be answered now (see
/// [`Instances::pending_questions`]).
fn pending(info: InstanceInfo) -> Result<Vec<InstanceQuestionInfo>> {
    Ok(info
        .questions
        .into_iter()
        .filter(|q| q.unlocked && !q.answered_correctly)
        .collect())
}

builder!(
    /// Request builder of [`Instances::pending_questions`]: `.await` it (or `.send()`);
    /// `.timeout()` gives it its own per-attempt timeout. Owned and `Send + 'static`.
    InstancesPendingQuestions => Vec<InstanceQuestionInfo>, json InstanceInfo => pending
);
