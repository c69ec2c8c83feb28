//! A bounded load test against the real local platform (`scripts/platform-up.sh`): `N` agents
//! on ONE shared `PlatformClient` play the harness competition's instance challenge
//! (`WEB_CHALLENGE_ID`) for `D` seconds, then the platform's own records are checked.
//!
//! ```sh
//! scripts/with-platform.sh cargo test --test live_load -- --nocapture        # 32 agents, 8 s
//! CTFY_LOAD_AGENTS=32 CTFY_LOAD_SECS=60 \
//!   scripts/with-platform.sh cargo test --test live_load -- --nocapture      # by hand
//! ```
//!
//! Each agent loops until the deadline: start an instance (`instances().start()`, which
//! launches and polls the status until ready), submit a wrong flag, read the right flag from the
//! instance's web service (the stand-in node serves it at `GET /flag`), submit it, stop the
//! instance. The platform's legitimate refusals are outcomes, not failures:
//! - `429 team_capacity_exceeded` (the team holds `max_instances_per_team` instances, 100 by
//!   default: 32 agents on one team stay below it) and 503 capacity refusals: the agent backs
//!   off (`Retry-After`, at most 1 s) and starts again;
//! - a correct answer for a question the team has already solved: the platform answers
//!   HTTP 200 `correct: true` with `solve_rank: 0` (only the first capture gets a rank) and
//!   records a submission row anyway; counted as `correct, already solved`;
//! - `stop()` of an instance that is already gone is `Ok(false)`, counted apart.
//!
//! The agents share one fresh user (a `pf_` API token, as agents use; the SDK then polls the
//! status; `CTFY_LOAD_SESSION=1` uses the `pt_` session, so every `start()` also opens the
//! event stream) and its solo team in the harness competition, so the checks below see only
//! this test's rows. Afterwards, through the platform:
//! - every submission the client got an answer for is recorded exactly once, in the
//!   submissions table (`GET /submissions`, the user's rows) and in each instance's archive
//!   (`GET /admin/instance-records/{id}/submissions`, admin): lost = 0, duplicated = 0;
//! - no instance of the team is left (`GET /admin/instances`), each started one has a stopped
//!   record (`GET /admin/instance-records?team_id=`), and the node runs none of them;
//! - no agent panicked (they run in `tokio::spawn`; a `JoinError` is a failure);
//! - memory stayed flat: `VmRSS` at the end is less than 64 MiB above `VmRSS` after warm-up.
//!
//! HTTP requests are counted by a small `tracing` subscriber that sees the SDK's
//! `ctfy.request` spans (one per SDK request, with its final status and attempts). The summary
//! table is printed on stdout (`--nocapture`) and, when `CTFY_LOAD_REPORT` names a file,
//! appended there.
//!
//! Without a running platform it prints why and passes, except under `CI=true`.

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ctfy::client::ReadyInstance;
use ctfy::{AdminClient, Error, PlatformClient, Registration};
use futures::{StreamExt, TryStreamExt};

use crate::support::LiveEnv;

/// Default number of agents.
const AGENTS: usize = 32;
/// Default duration of the load phase.
const SECS: u64 = 8;
/// Allowed growth of `VmRSS` between warm-up and the end.
const RSS_GROWTH_LIMIT: u64 = 64 * 1024 * 1024;
/// Longest back-off after a refusal.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

fn env_num(key: &str, default: u64) -> u64 {
    match std::env::var(key) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{key}={v:?} is not a number")),
        Err(_) => default,
    }
}

// ------------------------------------------------------------------ request counting

mod requests {
    //! A minimal `tracing` subscriber: counts the SDK's `ctfy.request` spans by method, route
    //! template and final status, with their attempts and the latency of the last attempt.
    //! It tracks the current span per thread (the transport records `status`, `attempt` and
    //! `latency_ms` on `Span::current()`).

    use std::cell::RefCell;
    use std::collections::{BTreeMap, HashMap};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Mutex, OnceLock};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::subscriber::Interest;
    use tracing::{Event, Metadata, Subscriber};
    use tracing_core::span::Current;

    /// What one route saw.
    #[derive(Debug, Default, Clone)]
    pub struct Route {
        /// Requests (one per SDK call of the route, retries included in `attempts`).
        pub requests: u64,
        /// HTTP attempts.
        pub attempts: u64,
        /// Requests by final HTTP status (`0`: no answer).
        pub by_status: BTreeMap<u16, u64>,
        /// Latency of the last attempt, in ms.
        pub latency_ms: Vec<u32>,
    }

    #[derive(Debug, Default)]
    struct Stats {
        routes: BTreeMap<String, Route>,
        events: BTreeMap<String, u64>,
    }

    struct SpanData {
        meta: &'static Metadata<'static>,
        refs: usize,
        kind: String,
        status: u16,
        attempts: u64,
        latency_ms: u32,
    }

    #[derive(Default)]
    struct Counter {
        next: AtomicU64,
        spans: Mutex<HashMap<u64, SpanData>>,
        stats: Mutex<Stats>,
    }

    thread_local! {
        static STACK: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    }

    fn wanted(meta: &Metadata<'_>) -> bool {
        let ours = meta.target().starts_with("ctfy_");
        if meta.is_span() {
            ours && meta.name() == "ctfy.request"
        } else {
            ours
        }
    }

    #[derive(Default)]
    struct Fields {
        method: String,
        path: String,
        status: Option<u16>,
        attempt: Option<u64>,
        latency_ms: Option<u64>,
        message: String,
    }

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            match field.name() {
                "method" => self.method = format!("{value:?}"),
                "path" => self.path = format!("{value:?}").trim_matches('"').to_owned(),
                "message" => self.message = format!("{value:?}"),
                _ => {}
            }
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            match field.name() {
                "method" => self.method = value.to_owned(),
                "path" => self.path = value.to_owned(),
                "message" => self.message = value.to_owned(),
                _ => {}
            }
        }
        fn record_u64(&mut self, field: &Field, value: u64) {
            match field.name() {
                "status" => self.status = u16::try_from(value).ok(),
                "attempt" => self.attempt = Some(value),
                "latency_ms" => self.latency_ms = Some(value),
                _ => {}
            }
        }
        fn record_i64(&mut self, field: &Field, value: i64) {
            self.record_u64(field, u64::try_from(value).unwrap_or(0));
        }
    }

    impl Subscriber for Counter {
        fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
            if wanted(meta) {
                Interest::always()
            } else {
                Interest::never()
            }
        }

        fn enabled(&self, meta: &Metadata<'_>) -> bool {
            wanted(meta)
        }

        fn new_span(&self, attrs: &Attributes<'_>) -> Id {
            let mut f = Fields::default();
            attrs.record(&mut f);
            let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
            self.spans.lock().unwrap().insert(
                id,
                SpanData {
                    meta: attrs.metadata(),
                    refs: 1,
                    kind: format!("{} {}", f.method, f.path),
                    status: 0,
                    attempts: 0,
                    latency_ms: 0,
                },
            );
            Id::from_u64(id)
        }

        fn record(&self, span: &Id, values: &Record<'_>) {
            let mut f = Fields::default();
            values.record(&mut f);
            if let Some(s) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
                if let Some(status) = f.status {
                    s.status = status;
                }
                if let Some(attempt) = f.attempt {
                    s.attempts = attempt;
                }
                if let Some(ms) = f.latency_ms {
                    s.latency_ms = u32::try_from(ms).unwrap_or(u32::MAX);
                }
            }
        }

        fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

        fn event(&self, event: &Event<'_>) {
            let mut f = Fields::default();
            event.record(&mut f);
            if !f.message.is_empty() {
                *self
                    .stats
                    .lock()
                    .unwrap()
                    .events
                    .entry(f.message)
                    .or_default() += 1;
            }
        }

        fn enter(&self, span: &Id) {
            STACK.with(|s| s.borrow_mut().push(span.into_u64()));
        }

        fn exit(&self, span: &Id) {
            STACK.with(|s| {
                let mut s = s.borrow_mut();
                if let Some(pos) = s.iter().rposition(|&id| id == span.into_u64()) {
                    s.remove(pos);
                }
            });
        }

        fn current_span(&self) -> Current {
            let top = STACK.with(|s| s.borrow().last().copied());
            match top.and_then(|id| {
                self.spans
                    .lock()
                    .unwrap()
                    .get(&id)
                    .map(|s| (Id::from_u64(id), s.meta))
            }) {
                Some((id, meta)) => Current::new(id, meta),
                None => Current::none(),
            }
        }

        fn clone_span(&self, span: &Id) -> Id {
            if let Some(s) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
                s.refs += 1;
            }
            span.clone()
        }

        fn try_close(&self, span: Id) -> bool {
            let done = {
                let mut spans = self.spans.lock().unwrap();
                let Some(s) = spans.get_mut(&span.into_u64()) else {
                    return false;
                };
                s.refs -= 1;
                if s.refs > 0 {
                    return false;
                }
                spans.remove(&span.into_u64())
            };
            if let Some(s) = done {
                let mut stats = self.stats.lock().unwrap();
                let r = stats.routes.entry(s.kind).or_default();
                r.requests += 1;
                r.attempts += s.attempts.max(1);
                *r.by_status.entry(s.status).or_default() += 1;
                r.latency_ms.push(s.latency_ms);
            }
            true
        }
    }

    static COUNTER: OnceLock<&'static Counter> = OnceLock::new();

    /// Installs the counter as the global subscriber (once). `false` when another global
    /// subscriber was installed first (then nothing is counted).
    pub fn install() -> bool {
        let counter: &'static Counter = COUNTER.get_or_init(|| Box::leak(Box::default()));
        tracing::subscriber::set_global_default(Shared(counter)).is_ok() || COUNTER.get().is_some()
    }

    struct Shared(&'static Counter);

    impl Subscriber for Shared {
        fn register_callsite(&self, m: &'static Metadata<'static>) -> Interest {
            self.0.register_callsite(m)
        }
        fn enabled(&self, m: &Metadata<'_>) -> bool {
            self.0.enabled(m)
        }
        fn new_span(&self, a: &Attributes<'_>) -> Id {
            self.0.new_span(a)
        }
        fn record(&self, s: &Id, v: &Record<'_>) {
            self.0.record(s, v)
        }
        fn record_follows_from(&self, s: &Id, f: &Id) {
            self.0.record_follows_from(s, f)
        }
        fn event(&self, e: &Event<'_>) {
            self.0.event(e)
        }
        fn enter(&self, s: &Id) {
            self.0.enter(s)
        }
        fn exit(&self, s: &Id) {
            self.0.exit(s)
        }
        fn current_span(&self) -> Current {
            self.0.current_span()
        }
        fn clone_span(&self, s: &Id) -> Id {
            self.0.clone_span(s)
        }
        fn try_close(&self, s: Id) -> bool {
            self.0.try_close(s)
        }
    }

    /// Takes the counts so far (and resets them).
    pub fn take() -> (BTreeMap<String, Route>, BTreeMap<String, u64>) {
        match COUNTER.get() {
            Some(c) => {
                let mut stats = c.stats.lock().unwrap();
                (
                    std::mem::take(&mut stats.routes),
                    std::mem::take(&mut stats.events),
                )
            }
            None => Default::default(),
        }
    }
}

// ------------------------------------------------------------------ memory

/// `VmRSS` and `VmHWM` of this process, in bytes.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

// ------------------------------------------------------------------ tally

/// A submission the client got an answer for.
#[derive(Debug, Clone)]
struct Answered {
    id: String,
    instance: String,
}

#[derive(Debug, Default)]
struct Tally {
    /// Counted outcomes: successes and the platform's legitimate refusals.
    outcomes: BTreeMap<String, u64>,
    /// Failures, by step and kind.
    errors: BTreeMap<String, u64>,
    /// Every submission with an answer.
    answered: Vec<Answered>,
    /// Submissions sent per instance (answered or not).
    sent_per_instance: HashMap<String, u64>,
    /// Submissions sent without an answer (a transport error: the platform may have
    /// recorded them).
    unanswered: u64,
    /// Instances `start()` returned.
    started: Vec<String>,
    /// Instances whose stop failed.
    not_stopped: Vec<String>,
    /// Full cycles (start → stop).
    cycles: u64,
    /// The first answer to a correct submission of an already solved question.
    repeat_sample: Option<String>,
}

type Shared = Arc<Mutex<Tally>>;

fn outcome(t: &Shared, what: impl Into<String>) {
    *t.lock().unwrap().outcomes.entry(what.into()).or_default() += 1;
}

fn error(t: &Shared, step: &str, e: &Error) {
    let kind = error_kind(e);
    *t.lock()
        .unwrap()
        .errors
        .entry(format!("{step}: {kind}"))
        .or_default() += 1;
}

/// A short name of an error: `status code` for API errors, the transport kind otherwise.
fn error_kind(e: &Error) -> String {
    match e {
        Error::Api(a) => format!("{} {}", a.status, a.code.as_deref().unwrap_or("-")),
        Error::Http { source, .. } => {
            let kind = if source.is_timeout() {
                "timeout"
            } else if source.is_connect() {
                "connect"
            } else if source.is_body() || source.is_decode() {
                "body"
            } else {
                "other"
            };
            format!("transport {kind}")
        }
        Error::Decode { status, at, .. } => format!("decode (HTTP {status}) at {at}"),
        Error::Timeout { .. } => "wait timeout".into(),
        Error::InstanceFailed { .. } => "instance failed".into(),
        Error::InvalidId(_) | Error::InvalidArgument(_) => "invalid argument".into(),
        other => {
            let s = format!("{other:?}");
            s.split(['(', ' ', '{'])
                .next()
                .unwrap_or("other")
                .to_owned()
        }
    }
}

/// A refusal the platform is entitled to under load: the caller is at its cap, or the
/// deployment/node has no room. Returns the back-off to apply.
fn refusal(e: &Error) -> Option<Duration> {
    let api = e.api()?;
    let capacity = api.status == 429
        || (api.status == 503
            && api.code.as_deref().is_some_and(|c| {
                c.contains("capacity") || c == "no_healthy_node" || c == "node_unreachable"
            }));
    capacity.then(|| {
        api.retry_after
            .unwrap_or(Duration::from_millis(250))
            .min(MAX_BACKOFF)
    })
}

// ------------------------------------------------------------------ agents

struct Ctx {
    client: PlatformClient,
    /// For the flag, read from the instance's own service (not the platform).
    http: reqwest::Client,
    challenge: String,
    competition: String,
    deadline: Instant,
    tally: Shared,
}

async fn agent(ctx: Arc<Ctx>, n: usize) {
    let mut round = 0u64;
    while Instant::now() < ctx.deadline {
        round += 1;
        cycle(&ctx, n, round).await;
    }
}

async fn cycle(ctx: &Ctx, n: usize, round: u64) {
    let t = &ctx.tally;
    let ready: ReadyInstance = match ctx
        .client
        .instances()
        .start(ctx.challenge.as_str())
        .competition_id(ctx.competition.as_str())
        .deadline(Duration::from_secs(60))
        .await
    {
        Ok(r) => r,
        Err(e) => {
            if let Some(backoff) = refusal(&e) {
                outcome(t, format!("start refused: {}", error_kind(&e)));
                tokio::time::sleep(backoff).await;
            } else {
                error(t, "start", &e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            return;
        }
    };
    let id = ready.id.to_string();
    outcome(t, "start: ready");
    t.lock().unwrap().started.push(id.clone());

    // A wrong flag: HTTP 200, `correct: false`.
    submit(
        ctx,
        &id,
        &format!("FLAG{{wrong-agent{n}-round{round}}}"),
        false,
    )
    .await;

    // The right flag, from the instance's web service.
    match fetch_flag(ctx, &ready).await {
        Ok(flag) => {
            outcome(t, "flag GET (instance service): ok");
            submit(ctx, &id, &flag, true).await;
        }
        Err(e) => {
            *t.lock()
                .unwrap()
                .errors
                .entry(format!("flag GET: {e}"))
                .or_default() += 1
        }
    }

    match ctx.client.instances().stop(ready.id.as_str()).await {
        Ok(true) => outcome(t, "stop: stopped"),
        Ok(false) => outcome(t, "stop: already gone"),
        Err(e) => {
            error(t, "stop", &e);
            t.lock().unwrap().not_stopped.push(id);
            return;
        }
    }
    t.lock().unwrap().cycles += 1;
}

async fn submit(ctx: &Ctx, instance: &str, answer: &str, right: bool) {
    let t = &ctx.tally;
    *t.lock()
        .unwrap()
        .sent_per_instance
        .entry(instance.to_owned())
        .or_default() += 1;
    let step = if right {
        "submit right"
    } else {
        "submit wrong"
    };
    match ctx.client.submissions().submit(instance, answer).await {
        Ok(res) => {
            let mut g = t.lock().unwrap();
            g.answered.push(Answered {
                id: res.id.clone(),
                instance: instance.to_owned(),
            });
            let what = match (right, res.correct) {
                (false, false) => "submit wrong: correct=false",
                (true, true) if res.solve_rank > 0 => "submit right: correct, first solve",
                (true, true) => {
                    if g.repeat_sample.is_none() {
                        g.repeat_sample = Some(format!("{res:?}"));
                    }
                    "submit right: correct, already solved"
                }
                (false, true) => "submit wrong: UNEXPECTEDLY correct",
                (true, false) => "submit right: UNEXPECTEDLY wrong",
            };
            *g.outcomes.entry(what.into()).or_default() += 1;
        }
        Err(e) => {
            if e.status().is_none() {
                // No answer: the platform may or may not have recorded it.
                t.lock().unwrap().unanswered += 1;
            }
            if let Some(backoff) = refusal(&e) {
                outcome(t, format!("{step} refused: {}", error_kind(&e)));
                tokio::time::sleep(backoff).await;
            } else {
                error(t, step, &e);
            }
        }
    }
}

async fn fetch_flag(ctx: &Ctx, ready: &ReadyInstance) -> Result<String, String> {
    let service = ready
        .surface
        .web_service()
        .ok_or_else(|| "no web service".to_owned())?;
    let resp = ctx
        .http
        .get(format!("{}/flag", service.url()))
        .send()
        .await
        .map_err(|e| {
            format!(
                "transport ({})",
                if e.is_connect() { "connect" } else { "other" }
            )
        })?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP {}", status.as_u16()));
    }
    resp.text().await.map_err(|_| "body".to_owned())
}

// ------------------------------------------------------------------ set-up and checks

fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", nanos, std::process::id())
}

/// A fresh user with a solo team in the harness competition: `(client, team id, user id)`.
async fn load_player(env: &LiveEnv, session: bool) -> (PlatformClient, String, String) {
    let anon = PlatformClient::new(env.url(), "").unwrap();
    let tag = unique();
    let pt = anon
        .auth()
        .register(
            format!("live-load-{tag}@example.com"),
            format!("pw-{tag}-long-enough"),
        )
        .display_name(format!("load {tag}"))
        .await
        .expect("register the load user")
        .token;
    let session_client = PlatformClient::new(env.url(), pt.as_str()).unwrap();
    let user = session_client.me().get().await.expect("me").id;
    let team = session_client
        .competition(env.var("COMPETITION_ID"))
        .unwrap()
        .register(Registration::Solo)
        .await
        .expect("solo team")
        .id;
    let token = if session {
        pt
    } else {
        session_client
            .auth()
            .mint_token()
            .label("ctfy-rs live load")
            .await
            .expect("mint a pf_ token")
            .token
    };
    let client = PlatformClient::builder(env.url())
        .token(token)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    (client, team.into_string(), user.into_string())
}

/// The `max_instances_per_team` setting in force, when readable.
async fn team_cap(admin: &AdminClient) -> String {
    match admin.settings().list().await {
        Ok(list) => list
            .into_iter()
            .find(|s| s.key == "max_instances_per_team")
            .map_or_else(|| "?".into(), |s| s.value.to_string()),
        Err(e) => format!("? ({e})"),
    }
}

#[derive(Debug, Default)]
struct Verified {
    /// Rows in the submissions table for the load user and challenge.
    table_rows: usize,
    /// Rows in the instance archives.
    archive_rows: usize,
    /// Answered submissions missing from the table / from the archives.
    lost_table: usize,
    lost_archive: usize,
    /// Rows beyond what was sent (table: in total; archives: per instance), plus ids seen twice.
    dup_table: usize,
    dup_archive: usize,
    /// Live instances of the team after the run.
    left_live: Vec<String>,
    /// Started instances without a stopped record.
    not_recorded_stopped: Vec<String>,
    /// Started instances the node still runs.
    left_on_node: Vec<String>,
    /// Instance records of the team.
    records: usize,
}

async fn verify(
    env: &LiveEnv,
    client: &PlatformClient,
    admin: &AdminClient,
    team: &str,
    tally: &Tally,
) -> Verified {
    let mut v = Verified::default();
    let answered: HashSet<&str> = tally.answered.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        answered.len(),
        tally.answered.len(),
        "the platform answered two submissions with the same id"
    );
    let sent_total: u64 = tally.sent_per_instance.values().sum();

    // 1. The submissions table (the user's rows).
    let rows: Vec<_> = client
        .submissions()
        .list()
        .challenge_id(env.var("WEB_CHALLENGE_ID"))
        .limit(1000)
        .stream()
        .try_collect()
        .await
        .expect("GET /submissions");
    v.table_rows = rows.len();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *seen.entry(r.id.as_str()).or_default() += 1;
    }
    v.lost_table = answered.iter().filter(|id| !seen.contains_key(*id)).count();
    v.dup_table = seen
        .values()
        .filter(|&&n| n > 1)
        .map(|n| n - 1)
        .sum::<usize>()
        + rows.len().saturating_sub(sent_total as usize);

    // 2. Each instance's archive (admin).
    let mut by_instance: HashMap<&str, Vec<&str>> = HashMap::new();
    for a in &tally.answered {
        by_instance.entry(&a.instance).or_default().push(&a.id);
    }
    let archives: Vec<(String, Result<Vec<String>, Error>)> =
        futures::stream::iter(tally.started.iter().cloned())
            .map(|id| async move {
                let rows = admin
                    .records()
                    .submissions(id.as_str())
                    .limit(1000)
                    .stream()
                    .map_ok(|row| {
                        row.get("id")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned()
                    })
                    .try_collect::<Vec<_>>()
                    .await;
                (id, rows)
            })
            .buffer_unordered(8)
            .collect()
            .await;
    for (instance, rows) in archives {
        let rows = rows.unwrap_or_else(|e| panic!("archive of {instance}: {e}"));
        v.archive_rows += rows.len();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for r in &rows {
            *seen.entry(r.as_str()).or_default() += 1;
        }
        let expected = by_instance
            .get(instance.as_str())
            .cloned()
            .unwrap_or_default();
        v.lost_archive += expected.iter().filter(|id| !seen.contains_key(*id)).count();
        let sent = tally.sent_per_instance.get(&instance).copied().unwrap_or(0) as usize;
        v.dup_archive += seen
            .values()
            .filter(|&&n| n > 1)
            .map(|n| n - 1)
            .sum::<usize>()
            + rows.len().saturating_sub(sent);
    }

    // 3. Instances: none live, every started one recorded as stopped, none on the node.
    let live: Vec<_> = admin
        .instances()
        .list()
        .limit(1000)
        .stream()
        .try_collect()
        .await
        .expect("GET /admin/instances");
    v.left_live = live
        .into_iter()
        .filter(|i| i.team_id == team)
        .map(|i| i.id.into_string())
        .collect();
    let records: Vec<_> = admin
        .records()
        .list()
        .team_id(team)
        .limit(100)
        .stream()
        .try_collect()
        .await
        .expect("GET /admin/instance-records");
    v.records = records.len();
    let stopped: HashSet<&str> = records
        .iter()
        .filter(|r| !r.stopped_at.is_zero())
        .map(|r| r.id.as_str())
        .collect();
    v.not_recorded_stopped = tally
        .started
        .iter()
        .filter(|id| !stopped.contains(id.as_str()))
        .cloned()
        .collect();
    let started: HashSet<&str> = tally.started.iter().map(String::as_str).collect();
    let node: serde_json::Value =
        reqwest::get(format!("{}/instances", env.var("STANDIN_DEBUG_URL")))
            .await
            .expect("node debug listing")
            .json()
            .await
            .expect("node debug JSON");
    v.left_on_node = node["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["instance_id"].as_str())
        .filter(|id| started.contains(id))
        .map(str::to_owned)
        .collect();
    v
}

// ------------------------------------------------------------------ the test

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_play_on_one_shared_client() {
    let env = live_env!();
    let agents = env_num("CTFY_LOAD_AGENTS", AGENTS as u64) as usize;
    let secs = env_num("CTFY_LOAD_SECS", SECS);
    let session = std::env::var("CTFY_LOAD_SESSION").is_ok_and(|v| v == "1");
    assert!(
        agents >= 1 && secs >= 1,
        "CTFY_LOAD_AGENTS and CTFY_LOAD_SECS must be >= 1"
    );
    let counting = requests::install();

    let (rss_start, _) = memory();
    let admin = AdminClient::connect(env.url(), env.var("ADMIN_TOKEN")).expect("admin client");
    let (client, team, _user) = load_player(env, session).await;
    let cap = team_cap(&admin).await;
    requests::take(); // set-up requests are not part of the load

    let tally: Shared = Arc::default();
    let load = Duration::from_secs(secs);
    let began = Instant::now();
    let ctx = Arc::new(Ctx {
        client: client.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        challenge: env.var("WEB_CHALLENGE_ID").to_owned(),
        competition: env.var("COMPETITION_ID").to_owned(),
        deadline: began + load,
        tally: tally.clone(),
    });

    // Memory: sampled all along; the warm-up figure at a quarter of the run (at least 2 s).
    let warm_at = (load / 4).max(Duration::from_secs(2)).min(load);
    let sampler = tokio::spawn(async move {
        let mut warm = None;
        let mut peak_sampled = 0;
        loop {
            let (rss, _) = memory();
            peak_sampled = peak_sampled.max(rss);
            if warm.is_none() && began.elapsed() >= warm_at {
                warm = Some(rss);
            }
            if began.elapsed() >= load {
                return (warm.unwrap_or(rss), peak_sampled);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });

    let handles: Vec<_> = (0..agents)
        .map(|n| tokio::spawn(agent(ctx.clone(), n)))
        .collect();
    let mut panics = Vec::new();
    for (n, h) in handles.into_iter().enumerate() {
        if let Err(e) = h.await {
            panics.push(format!("agent {n}: {e}"));
        }
    }
    let elapsed = began.elapsed();
    let (rss_warm, rss_peak_sampled) = sampler.await.expect("memory sampler");
    let (rss_end, hwm) = memory();
    let (routes, events) = requests::take();
    drop(ctx);

    let tally = Arc::try_unwrap(tally)
        .map(|m| m.into_inner().unwrap())
        .unwrap_or_else(|a| std::mem::take(&mut *a.lock().unwrap()));
    let v = verify(env, &client, &admin, &team, &tally).await;

    // Leave the platform clean even when the client did not.
    for id in v.left_live.iter().chain(&tally.not_stopped) {
        let _ = admin.instances().stop(id.as_str()).await;
    }

    // ------------------------------------------------------------------ summary
    let requests_total: u64 = routes.values().map(|r| r.requests).sum();
    let attempts_total: u64 = routes.values().map(|r| r.attempts).sum();
    let errors_total: u64 = tally.errors.values().sum();
    let sent_total: u64 = tally.sent_per_instance.values().sum();
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "\n=== live load: {agents} agents x {secs} s, one shared PlatformClient ==="
    );
    let _ = writeln!(
        w,
        "token: {}; team cap (max_instances_per_team): {cap}; request counting: {}",
        if session {
            "pt_ session (event stream + polling)"
        } else {
            "pf_ API token (polling)"
        },
        if counting {
            "on"
        } else {
            "OFF (another tracing subscriber)"
        }
    );
    let _ = writeln!(w, "| figure | value |\n|---|---|");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(w, "| {k} | {v} |");
    };
    row("agents", agents.to_string());
    row(
        "duration",
        format!("{:.1} s (load phase {secs} s)", elapsed.as_secs_f64()),
    );
    row("cycles (start → stop)", tally.cycles.to_string());
    row(
        "requests (SDK, HTTP attempts)",
        format!("{requests_total} ({attempts_total})"),
    );
    row(
        "req/s",
        format!("{:.1}", requests_total as f64 / elapsed.as_secs_f64()),
    );
    row("errors", errors_total.to_string());
    row(
        "submissions sent (answered, no answer)",
        format!(
            "{sent_total} ({}, {})",
            tally.answered.len(),
            tally.unanswered
        ),
    );
    row(
        "recorded: table rows / archive rows",
        format!("{} / {}", v.table_rows, v.archive_rows),
    );
    row(
        "lost: table / archive",
        format!("{} / {}", v.lost_table, v.lost_archive),
    );
    row(
        "duplicated: table / archive",
        format!("{} / {}", v.dup_table, v.dup_archive),
    );
    row(
        "instances started / records",
        format!("{} / {}", tally.started.len(), v.records),
    );
    row(
        "instances left: live / not stopped / on node",
        format!(
            "{} / {} / {}",
            v.left_live.len(),
            v.not_recorded_stopped.len(),
            v.left_on_node.len()
        ),
    );
    row("panics", panics.len().to_string());
    row(
        "RSS start / warm-up / end",
        format!("{} / {} / {}", mib(rss_start), mib(rss_warm), mib(rss_end)),
    );
    row(
        "RSS peak (VmHWM / sampled)",
        format!("{} / {}", mib(hwm), mib(rss_peak_sampled)),
    );
    row(
        "RSS growth after warm-up",
        mib(rss_end.saturating_sub(rss_warm)),
    );
    let _ = writeln!(
        w,
        "\nrequests by kind:\n| request | count | attempts | by status | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|"
    );
    for (kind, r) in &routes {
        let mut lat = r.latency_ms.clone();
        lat.sort_unstable();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 - 1.0) * p) as usize)
                .copied()
                .unwrap_or(0)
        };
        let statuses: Vec<String> = r
            .by_status
            .iter()
            .map(|(s, n)| {
                if *s == 0 {
                    format!("none: {n}")
                } else {
                    format!("{s}: {n}")
                }
            })
            .collect();
        let _ = writeln!(
            w,
            "| {kind} | {} | {} | {} | {} | {} | {} |",
            r.requests,
            r.attempts,
            statuses.join(", "),
            pct(0.5),
            pct(0.99),
            lat.last().copied().unwrap_or(0)
        );
    }
    let _ = writeln!(w, "\noutcomes:");
    for (k, n) in &tally.outcomes {
        let _ = writeln!(w, "  {k}: {n}");
    }
    let _ = writeln!(
        w,
        "errors by kind:{}",
        if tally.errors.is_empty() { " none" } else { "" }
    );
    for (k, n) in &tally.errors {
        let _ = writeln!(w, "  {k}: {n}");
    }
    if !events.is_empty() {
        let _ = writeln!(w, "SDK debug events:");
        for (k, n) in &events {
            let _ = writeln!(w, "  {k}: {n}");
        }
    }
    if let Some(sample) = &tally.repeat_sample {
        let _ = writeln!(
            w,
            "a correct answer to an already solved question: {sample}"
        );
    }
    for p in &panics {
        let _ = writeln!(w, "PANIC {p}");
    }
    println!("{out}");
    if let Ok(path) = std::env::var("CTFY_LOAD_REPORT") {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("CTFY_LOAD_REPORT={path}: {e}"));
        f.write_all(out.as_bytes()).unwrap();
    }

    // ------------------------------------------------------------------ assertions
    assert!(panics.is_empty(), "agents panicked: {panics:?}");
    assert!(tally.cycles > 0, "no agent completed a cycle");
    assert_eq!(errors_total, 0, "errors: {:?}", tally.errors);
    assert!(
        !tally.outcomes.keys().any(|k| k.contains("UNEXPECTEDLY")),
        "wrong grading: {:?}",
        tally.outcomes
    );
    assert_eq!((v.lost_table, v.lost_archive), (0, 0), "lost submissions");
    assert_eq!(
        (v.dup_table, v.dup_archive),
        (0, 0),
        "duplicated submissions"
    );
    assert!(
        v.left_live.is_empty(),
        "instances left running: {:?}",
        v.left_live
    );
    assert!(
        v.not_recorded_stopped.is_empty(),
        "started instances without a stopped record: {:?}",
        v.not_recorded_stopped
    );
    assert!(
        v.left_on_node.is_empty(),
        "instances left on the node: {:?}",
        v.left_on_node
    );
    assert!(
        rss_end.saturating_sub(rss_warm) < RSS_GROWTH_LIMIT,
        "RSS grew by {} after warm-up (limit {})",
        mib(rss_end.saturating_sub(rss_warm)),
        mib(RSS_GROWTH_LIMIT)
    );
}
