//! `client.instances()`: the hand-written calls (`start`, `launch`, `wait_ready`, `stop`).
//!
//! The namespace and its other calls are generated (`generated/instances.rs`).

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ctfy_models::{
    AttackSurface, ChallengeId, CompetitionId, InstanceId, InstanceInfo, InstanceQuestionInfo,
    InstanceStatus, InstanceStatusResponse, IntoId, StartResponse,
};
use ctfy_transport::__private::{Call, awaitable, builder};
use ctfy_transport::{Error, Request, Result, Transport};

use crate::Instances;

/// An instance that is up, as [`Instances::start`] returns it.
///
/// Serializes (and deserializes) as `{"id", "surface", "cert_volume", "start_budget_s"}`,
/// with the models' own field names, so an agent can log or hand it on as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
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
    /// Launches an instance of `challenge_id` and waits until it is ready; set the
    /// competition, TTL and limits on the builder, then `.await` it.
    ///
    /// `POST /instances`, then `GET /instances/{instance_id}/status`; Python SDK:
    /// `client.instances.start`.
    ///
    /// # How long it waits
    /// - [`deadline`](InstancesStart::deadline) is a hard cap on the whole call, launch included
    ///   (default: none). Nothing extends it.
    /// - Under that cap, the wait for readiness lasts
    ///   [`min_wait`](InstancesStart::min_wait) (default 300 s, the Python SDK's `timeout`),
    ///   or the platform's `start_budget_s` when that is longer: the platform's own promise of
    ///   how long a start may take (it can be long: 5400 s on the local platform).
    /// - With a `pt_` session token for the event stream (the client's token, or its
    ///   [`events_token`](crate::ClientBuilder::events_token)) the stream is connected before
    ///   the launch and the wait ends as soon as `instance_ready` or `instance_error` arrives
    ///   for this instance; the status is polled every 2 s as a safety net. Other tokens get
    ///   no team frames, so the SDK polls every [`poll_interval`](InstancesStart::poll_interval).
    /// - While waiting, 5xx answers and transport errors are retried; a 4xx (e.g. 404
    ///   `instance_not_found` when the instance was stopped meanwhile) or the `error` status
    ///   ends the wait.
    ///
    /// # Cancellation and failure
    /// Once the platform has created the instance, the SDK owns it until the call returns it
    /// ready. When the call fails after that (timeout, `error` status, a 4xx), or its future
    /// is dropped (e.g. by `tokio::time::timeout` or `select!`), even while the launch request
    /// is in flight, the SDK stops the instance in the background (`DELETE`, given 30 s,
    /// logged under the `ctfy::instances` target). Opt out with
    /// [`keep_on_failure`](InstancesStart::keep_on_failure). A background stop needs the tokio
    /// runtime to keep running; one that is shutting down may not finish it.
    ///
    /// # Errors
    /// [`Error::Timeout`] (with [`Error::instance_id`] once the instance exists),
    /// [`Error::InstanceFailed`] when it goes to `error` or is stopped, 403 `not_registered`,
    /// 503 `no_healthy_node`, 429 `team_capacity_exceeded`, or any other [`Error`].
    pub fn start(&self, challenge_id: impl IntoId<ChallengeId>) -> InstancesStart {
        InstancesStart {
            t: self.t.clone(),
            challenge_id: challenge_id.into_id().map_err(Error::from),
            competition_id: None,
            ttl: None,
            wait: Wait::default(),
            keep_on_failure: false,
        }
    }

    /// Launches an instance without waiting (`POST /instances`, answered with 202); the
    /// caller owns it (stop it with [`Instances::stop`]).
    ///
    /// # Errors
    /// 403 `not_registered` when the caller has no team in the competition, 503
    /// `no_healthy_node`, 429 `team_capacity_exceeded`; any [`Error`].
    pub fn launch(&self, challenge_id: impl IntoId<ChallengeId>) -> InstancesLaunch {
        InstancesLaunch {
            t: self.t.clone(),
            challenge_id: challenge_id.into_id().map_err(Error::from),
            competition_id: None,
            ttl: None,
            timeout: None,
            deadline: None,
        }
    }

    /// Waits until the existing instance `instance_id` is ready, as [`Instances::start`]
    /// waits (same settings), but never stops it: the caller owns it.
    ///
    /// # Errors
    /// [`Error::InstanceFailed`] when the instance goes to `error`, [`Error::Timeout`], or the
    /// first non-retryable error.
    pub fn wait_ready(&self, instance_id: impl IntoId<InstanceId>) -> InstancesWaitReady {
        InstancesWaitReady {
            t: self.t.clone(),
            instance_id: instance_id.into_id().map_err(Error::from),
            wait: Wait::default(),
        }
    }

    /// Stops an instance (`DELETE /instances/{instance_id}`; Python SDK:
    /// `client.instances.stop`). An instance that is already gone (404, e.g. expired or
    /// auto-stopped) counts as stopped: the result says whether this call stopped it (`true`)
    /// or found it gone (`false`). Both are success.
    ///
    /// After a full solve the platform stops the instance by itself, but in a background job:
    /// a `stop` sent right after the last answer usually still finds it (`true`), a later one
    /// may not (`false`). Do not branch on which.
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
            .and_then(|id| Request::delete("/instances/{instance_id}", &[id.as_str()]));
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

/// How long a start waits, shared by [`InstancesStart`] and [`InstancesWaitReady`].
#[derive(Debug, Clone, Copy)]
struct Wait {
    min_wait: Duration,
    deadline: Option<Duration>,
    poll_interval: Duration,
}

impl Default for Wait {
    fn default() -> Self {
        Self {
            min_wait: Duration::from_secs(300),
            deadline: None,
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// The settings both waiting builders share; documented once here.
macro_rules! wait_setters {
    ($builder:ident) => {
        impl $builder {
            /// A hard cap on the whole call (default: none): when it passes, the call fails
            /// with [`Error::Timeout`], whatever the platform's start budget says.
            pub fn deadline(mut self, deadline: Duration) -> Self {
                self.wait.deadline = Some(deadline);
                self
            }

            /// How long to wait for readiness at least (default 300 s): the wait lasts this
            /// or the platform's `start_budget_s`, whichever is longer, but never past
            /// [`deadline`](Self::deadline).
            pub fn min_wait(mut self, wait: Duration) -> Self {
                self.wait.min_wait = wait;
                self
            }

            /// Time between status polls without a live event stream (default 500 ms, at
            /// least 10 ms; with one, the status is polled every 2 s as a safety net).
            pub fn poll_interval(mut self, interval: Duration) -> Self {
                self.wait.poll_interval = interval.max(Duration::from_millis(10));
                self
            }
        }
    };
}

/// Request builder of [`Instances::start`]: set the optional parameters, then `.await` it
/// (or call `send`). The future is `'static` and `Send`.
#[derive(Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct InstancesStart {
    t: Transport,
    challenge_id: Result<ChallengeId>,
    competition_id: Option<Result<CompetitionId>>,
    ttl: Option<Duration>,
    wait: Wait,
    keep_on_failure: bool,
}

/// The launch parameters both launching builders share; documented once here.
macro_rules! launch_setters {
    ($builder:ident) => {
        impl $builder {
            /// The competition to play it in (needed when the caller is on teams of several
            /// competitions; otherwise the platform picks the one team).
            pub fn competition_id(mut self, id: impl IntoId<CompetitionId>) -> Self {
                self.competition_id = Some(id.into_id().map_err(Error::from));
                self
            }

            /// The instance's lifetime (default: the platform's `default_instance_ttl_s`;
            /// capped by its `max_instance_ttl_s`). Sent in whole seconds, a fraction rounded up.
            pub fn ttl(mut self, ttl: Duration) -> Self {
                self.ttl = Some(ttl);
                self
            }
        }
    };
}

launch_setters!(InstancesStart);
launch_setters!(InstancesLaunch);
wait_setters!(InstancesStart);

impl InstancesStart {
    /// Leaves the instance running when the start fails or is abandoned after the platform
    /// created it (by default the SDK stops it): for debugging a challenge that does not
    /// come up. Find it with `instances().list()`.
    pub fn keep_on_failure(mut self) -> Self {
        self.keep_on_failure = true;
        self
    }

    /// Launches and waits.
    ///
    /// # Errors
    /// See [`Instances::start`].
    pub async fn send(self) -> Result<ReadyInstance> {
        let started = Instant::now();
        let created = Arc::new(OnceLock::new());
        let Self {
            t,
            challenge_id,
            competition_id,
            ttl,
            wait,
            keep_on_failure,
        } = self;
        let run = {
            let created = Arc::clone(&created);
            async move {
                let req = launch_request(challenge_id, competition_id, ttl)?;
                // Connect the event stream before the POST, so `instance_ready` cannot be missed.
                let watch = crate::events::ReadyWatch::open(&t).await;
                let guard = launch_guarded(&t, req, !keep_on_failure).await?;
                let _ = created.set(guard.id.clone());
                let ready = wait_ready(&t, &guard.id, wait, watch, started).await?;
                guard.disarm();
                Ok(ready)
            }
        };
        within(wait.deadline, started, run, || created.get().cloned()).await
    }
}

awaitable!(InstancesStart => ReadyInstance);

/// Request builder of [`Instances::launch`].
#[derive(Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct InstancesLaunch {
    t: Transport,
    challenge_id: Result<ChallengeId>,
    competition_id: Option<Result<CompetitionId>>,
    ttl: Option<Duration>,
    timeout: Option<Duration>,
    deadline: Option<Duration>,
}

impl InstancesLaunch {
    /// Sets a timeout for each attempt of the `POST /instances`, replacing the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Caps the whole call, retries included (default: none): when it passes, the call fails
    /// with [`Error::Timeout`]. Whether the platform created an instance is then unknown
    /// ([`Error::may_have_been_applied`]): list the instances before launching again.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Sends the launch.
    ///
    /// # Errors
    /// See [`Instances::launch`].
    pub async fn send(self) -> Result<StartResponse> {
        let mut req = launch_request(self.challenge_id, self.competition_id, self.ttl)?;
        if let Some(t) = self.timeout {
            req = req.timeout(t);
        }
        if let Some(d) = self.deadline {
            req = req.deadline(d);
        }
        self.t.json(&req).await
    }
}

awaitable!(InstancesLaunch => StartResponse);

impl ctfy_transport::__private::Sealed for InstancesLaunch {}

impl ctfy_transport::Operation for InstancesLaunch {
    type Output = StartResponse;

    fn __request(self) -> Result<Request> {
        launch_request(self.challenge_id, self.competition_id, self.ttl)
    }

    fn __wire(output: &StartResponse) -> Option<ctfy_transport::__private::Wire> {
        ctfy_transport::__private::wire::json(output)
    }
}

/// Request builder of [`Instances::wait_ready`].
#[derive(Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct InstancesWaitReady {
    t: Transport,
    instance_id: Result<InstanceId>,
    wait: Wait,
}

wait_setters!(InstancesWaitReady);

impl InstancesWaitReady {
    /// Waits.
    ///
    /// # Errors
    /// See [`Instances::wait_ready`].
    pub async fn send(self) -> Result<ReadyInstance> {
        let started = Instant::now();
        let id = self.instance_id?;
        let known = id.clone();
        let (t, wait) = (self.t, self.wait);
        let run = async move {
            let watch = crate::events::ReadyWatch::open(&t).await;
            wait_ready(&t, &id, wait, watch, started).await
        };
        within(wait.deadline, started, run, || Some(known.clone())).await
    }
}

awaitable!(InstancesWaitReady => ReadyInstance);

/// Runs `run` under the hard cap `deadline` (counted from `started`); past it, `run` is
/// dropped (which stops a start's instance) and the error names the instance, if any.
async fn within(
    deadline: Option<Duration>,
    started: Instant,
    run: impl Future<Output = Result<ReadyInstance>>,
    instance: impl FnOnce() -> Option<InstanceId>,
) -> Result<ReadyInstance> {
    let Some(deadline) = deadline else {
        return run.await;
    };
    ctfy_transport::__private::within(deadline, started, run, || {
        let instance_id = instance();
        let what = match &instance_id {
            Some(id) => format!("instance {id} to become ready (the call's deadline)"),
            None => "the instance launch (the call's deadline)".to_owned(),
        };
        Error::timeout(what, started.elapsed(), instance_id)
    })
    .await
}

/// The `POST /instances` request of a launch.
fn launch_request(
    challenge_id: Result<ChallengeId>,
    competition_id: Option<Result<CompetitionId>>,
    ttl: Option<Duration>,
) -> Result<Request> {
    let mut body = serde_json::Map::new();
    body.insert("challenge_id".into(), challenge_id?.as_str().into());
    if let Some(c) = competition_id.transpose()? {
        body.insert("competition_id".into(), c.as_str().into());
    }
    if let Some(ttl) = ttl {
        body.insert("ttl".into(), Call::whole_secs(ttl).into());
    }
    Request::post("/instances", &[])?.json(&body)
}

/// Sends the launch in a task of its own, so that it completes even when the caller's future
/// is dropped mid-request: the instance the platform creates is then stopped (when `armed`)
/// instead of running unseen until its TTL.
async fn launch_guarded(t: &Transport, req: Request, armed: bool) -> Result<StopGuard> {
    let t = t.clone();
    detached("instance launch", async move {
        t.json::<StartResponse>(&req)
            .await
            .and_then(|started| Ok(started.id.into_id()?))
            .map(|id| StopGuard {
                t: t.clone(),
                id,
                armed,
            })
    })
    .await
}

/// Runs `work` in a tokio task of its own and hands back its result. When the caller's future
/// is dropped first, the task goes on and its result is dropped there (a [`StopGuard`] then
/// stops its instance). A task that panicked or was cancelled (its runtime shut down) gives
/// [`Error::TaskFailed`] named `task`.
///
/// The task is spawned at once, on the runtime of the caller's context.
fn detached<T: Send + 'static>(
    task: &'static str,
    work: impl Future<Output = Result<T>> + Send + 'static,
) -> impl Future<Output = Result<T>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(async move {
        // When the caller is gone the result comes back here and is dropped.
        let _ = tx.send(work.await);
    });
    async move {
        match rx.await {
            Ok(result) => result,
            // The sender was dropped unsent: the task ended without finishing.
            Err(_) => {
                let panicked = matches!(handle.await, Err(e) if e.is_panic());
                Err(Error::task_failed(task, panicked))
            }
        }
    }
}

/// How long a background stop of an abandoned instance may take.
const STOP_BUDGET: Duration = Duration::from_secs(30);

/// An instance the SDK created and still owns: stopped in the background when dropped
/// armed.
struct StopGuard {
    t: Transport,
    id: InstanceId,
    armed: bool,
}

impl StopGuard {
    /// Hands the instance over to the caller.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let id = self.id.clone();
        let t = self.t.clone();
        // Counted as the client's background work: `PlatformClient::shutdown` waits for it.
        let spawned = self.t.spawn_background(async move {
            let req = match Request::delete("/instances/{instance_id}", &[id.as_str()]) {
                Ok(req) => req,
                Err(e) => {
                    tracing::warn!(target: "ctfy::instances", instance_id = %id, error = %e.report(), "could not stop an abandoned instance");
                    return;
                }
            };
            match tokio::time::timeout(STOP_BUDGET, t.empty_or_404(&req)).await {
                Ok(Ok(_)) => {
                    tracing::info!(target: "ctfy::instances", instance_id = %id, "stopped an instance whose start failed or was abandoned")
                }
                Ok(Err(e)) => {
                    tracing::warn!(target: "ctfy::instances", instance_id = %id, error = %e.report(), "could not stop an abandoned instance")
                }
                Err(_) => {
                    tracing::warn!(target: "ctfy::instances", instance_id = %id, "stopping an abandoned instance took longer than 30 s; gave up")
                }
            }
        });
        if !spawned {
            tracing::warn!(target: "ctfy::instances", instance_id = %self.id, "start abandoned outside a tokio runtime: the instance keeps running until its TTL");
        }
    }
}

async fn wait_ready(
    t: &Transport,
    id: &InstanceId,
    wait: Wait,
    mut watch: Option<crate::events::ReadyWatch>,
    started: Instant,
) -> Result<ReadyInstance> {
    let mut deadline = ctfy_transport::__private::deadline_after(started, wait.min_wait);
    let req = Request::get("/instances/{instance_id}/status", &[id.as_str()])?;
    let mut budget_s = 0;
    loop {
        match t.json::<InstanceStatusResponse>(&req).await {
            Ok(s) => {
                if s.start_budget_s > 0 {
                    budget_s = s.start_budget_s;
                    let budget = Duration::from_secs(s.start_budget_s.unsigned_abs());
                    deadline =
                        deadline.max(ctfy_transport::__private::deadline_after(started, budget));
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
                        return Err(Error::instance_failed(id.clone(), s.error));
                    }
                    (InstanceStatus::Stopped, _) => {
                        return Err(Error::instance_failed(
                            id.clone(),
                            "the instance was stopped before it became ready",
                        ));
                    }
                    _ => {}
                }
            }
            Err(e) if retryable_while_waiting(&e) => {
                tracing::debug!(target: "ctfy::instances", instance_id = %id, error = %e.report(), "instance not visible yet")
            }
            Err(e) => return Err(e),
        }
        let now = Instant::now();
        if now >= deadline {
            let what = format!(
                "instance {id} to become ready (min_wait {:?}, platform start budget {budget_s} s)",
                wait.min_wait
            );
            return Err(Error::timeout(what, now - started, Some(id.clone())));
        }
        crate::events::pause(&mut watch, id, wait.poll_interval, deadline - now).await;
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
    /// 404 `instance_not_found` once the instance is gone (e.g. auto-stopped a moment after
    /// the last answer); 403 `forbidden` for another team's instance; any [`Error`].
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
            .and_then(|id| Request::get("/instances/{instance_id}", &[id.as_str()]));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicked_task_is_a_typed_error() {
        fn boom() -> Result<()> {
            panic!("a bug in the launch")
        }
        let e = detached("instance launch", async { boom() })
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::TaskFailed {
                    task: "instance launch",
                    panicked: true,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.to_string(), "the instance launch task panicked");
        // The launch may have reached the platform before the panic.
        assert!(!e.is_retryable() && e.may_have_been_applied());
    }

    #[test]
    fn a_task_cancelled_by_its_runtime_s_shutdown_is_a_typed_error() {
        let worker = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let waiting = {
            let _in = worker.enter();
            detached("instance launch", std::future::pending::<Result<()>>())
        };
        // The runtime's shutdown cancels the task, which never finishes.
        drop(worker);
        let caller = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let e = caller.block_on(waiting).unwrap_err();
        assert!(
            matches!(
                e,
                Error::TaskFailed {
                    panicked: false,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "the instance launch task was cancelled (its runtime shut down)"
        );
    }
}
