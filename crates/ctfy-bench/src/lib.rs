//! The SDK against its floor: the same calls made with plain reqwest + serde_json into the same
//! typed structs, side by side in one run, against a loopback server with fixed realistic
//! bodies (see `BENCHMARKS.md` at the repository root).
//!
//! Run with `cargo bench -p ctfy-bench` (or `cargo run --release -p ctfy-bench`).
//! `CTFY_BENCH_QUICK=1` is a smoke run of a few seconds; `CTFY_BENCH_OPS=health,sse` runs only
//! some operations (`health`, `status`, `challenges`, `scoreboard`, `inflight`, `sse`, `decode`,
//! `construct`, `rss`, `sse-mem`); `CTFY_BENCH_ROUNDS=N` sets the rounds per side (default 9).
#![allow(unsafe_code)] // getrusage / clock_gettime, the only way to read one thread's CPU time

pub mod bodies;
pub mod server;

use std::future::Future;
use std::time::{Duration, Instant};

use ctfy_client::{Notice, PlatformClient};
use ctfy_models::events::Event;
use ctfy_models::{ChallengeInfo, HealthResponse, InstanceStatusResponse, Page, ScoreboardEntry};
use futures::StreamExt;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use serde::de::DeserializeOwned;

use bodies::Bodies;
use server::Server;

const TOKEN: &str = "pt_bench_0123456789abcdef0123456789abcdef";
const INSTANCE: &str = "7e1d2c3b-4a59-4f68-8e7d-6c5b4a392817";

/// CPU time of the calling thread, in nanoseconds.
pub fn thread_cpu_ns() -> u64 {
    cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// The CPU-time clock `clock` in nanoseconds (0 if it cannot be read).
fn cpu_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Peak resident set size of this process, in KiB (`ru_maxrss`).
pub fn peak_rss_kib() -> u64 {
    // SAFETY: an all-zero rusage is valid, and getrusage only writes into it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    if rc != 0 { 0 } else { ru.ru_maxrss as u64 }
}

/// Current resident set size, in KiB (`VmRSS` of `/proc/self/status`).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The sizes of a run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Rounds per operation (medians are over them).
    pub rounds: usize,
    /// Calls per round of the small calls.
    pub small_calls: usize,
    /// Challenges in the listing.
    pub challenges: u64,
    /// Calls per round of the listing.
    pub challenge_calls: usize,
    /// Rows of the scoreboard.
    pub rows: u64,
    /// Calls per round of the scoreboard.
    pub scoreboard_calls: usize,
    /// Workers of the in-flight test.
    pub workers: usize,
    /// Calls per worker per round.
    pub worker_calls: usize,
    /// Frames per round of the event stream.
    pub frames: u64,
    /// Frames of the memory run of the event stream.
    pub mem_frames: u64,
    /// Decodes per round of the decode-only benchmark.
    pub decodes: usize,
    /// Operations to run (empty: all).
    pub only: Vec<String>,
}

impl Config {
    /// The full run, or the smoke run with `quick`.
    pub fn new(quick: bool) -> Config {
        let only = std::env::var("CTFY_BENCH_OPS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if quick {
            Config {
                rounds: 1,
                small_calls: 20,
                challenges: 50,
                challenge_calls: 2,
                rows: 500,
                scoreboard_calls: 2,
                workers: 64,
                worker_calls: 2,
                frames: 500,
                mem_frames: 2_000,
                decodes: 2,
                only,
            }
        } else {
            // Nine short rounds per side, the two sides alternating, rather than five long
            // ones: a burst of noise from the rest of the machine then spoils a round or two
            // of one side, which the median leaves out. `CTFY_BENCH_ROUNDS` sets more.
            let rounds = std::env::var("CTFY_BENCH_ROUNDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|&n: &usize| n > 0)
                .unwrap_or(9);
            Config {
                rounds,
                small_calls: 2_500,
                challenges: 500,
                challenge_calls: 60,
                rows: 10_000,
                scoreboard_calls: 10,
                workers: 64,
                worker_calls: 160,
                frames: 50_000,
                mem_frames: 1_000_000,
                decodes: 10,
                only,
            }
        }
    }

    fn runs(&self, op: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == op)
    }
}

/// SDK or floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `PlatformClient`.
    Sdk,
    /// reqwest + serde_json.
    Floor,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Sdk => "sdk",
            Variant::Floor => "floor",
        }
    }
}

/// The SDK's client for the bench server (its defaults: timeouts, retries, body limit).
pub fn sdk_client(url: &str) -> PlatformClient {
    PlatformClient::builder(url)
        .token(TOKEN)
        .build()
        .expect("sdk client")
}

/// The floor's client: plain reqwest with the SDK's default timeouts (60 s per request, 10 s
/// to connect), so that both do the same work per request.
///
/// `CTFY_BENCH_FLOOR_HTTP=sdk` gives the floor the SDK's own `reqwest::Client` instead (its
/// redirect policy, `User-Agent`…), to tell the client's configuration from the SDK's code.
pub fn floor_client() -> reqwest::Client {
    if std::env::var("CTFY_BENCH_FLOOR_HTTP").is_ok_and(|v| v == "sdk") {
        return sdk_client("http://127.0.0.1:1")
            .transport()
            .http_client()
            .clone();
    }
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("floor client")
}

struct Ctx {
    server: Server,
    url: String,
    auth: HeaderValue,
    cfg: Config,
}

impl Ctx {
    fn floor_url(&self, op: &str) -> String {
        match op {
            "health" => format!("{}/api/v1/health", self.url),
            "status" => format!("{}/api/v1/instances/{INSTANCE}/status", self.url),
            "challenges" => format!(
                "{}/api/v1/challenges?limit={}",
                self.url, self.cfg.challenges
            ),
            "scoreboard" => format!("{}/api/v1/scoreboard?limit={}", self.url, self.cfg.rows),
            _ => unreachable!(),
        }
    }
}

/// The floor's call: GET, status check, whole body, serde_json into `T`.
async fn floor_json<T: DeserializeOwned>(c: &reqwest::Client, url: &str, auth: &HeaderValue) -> T {
    let resp = c
        .get(url)
        .header(AUTHORIZATION, auth.clone())
        .send()
        .await
        .expect("floor send")
        .error_for_status()
        .expect("floor status");
    let body = resp.bytes().await.expect("floor body");
    serde_json::from_slice(&body).expect("floor decode")
}

async fn sdk_call(op: &str, c: &PlatformClient, cfg: &Config) -> usize {
    match op {
        "health" => c.health().await.expect("health").version.len(),
        "status" => {
            c.instances()
                .status(INSTANCE)
                .await
                .expect("status")
                .start_budget_s as usize
        }
        "challenges" => c
            .challenges()
            .list()
            .limit(cfg.challenges)
            .await
            .expect("challenges")
            .items
            .len(),
        "scoreboard" => c
            .scoreboard()
            .get()
            .limit(cfg.rows)
            .await
            .expect("scoreboard")
            .items
            .len(),
        _ => unreachable!(),
    }
}

async fn floor_call(op: &str, c: &reqwest::Client, url: &str, auth: &HeaderValue) -> usize {
    match op {
        "health" => floor_json::<HealthResponse>(c, url, auth)
            .await
            .version
            .len(),
        "status" => {
            floor_json::<InstanceStatusResponse>(c, url, auth)
                .await
                .start_budget_s as usize
        }
        "challenges" => floor_json::<Page<ChallengeInfo>>(c, url, auth)
            .await
            .items
            .len(),
        "scoreboard" => floor_json::<Page<ScoreboardEntry>>(c, url, auth)
            .await
            .items
            .len(),
        _ => unreachable!(),
    }
}

/// One round of one variant.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// CPU of the client thread per 1 000 calls (or frames), in ms.
    pub cpu_ms_per_1000: f64,
    /// Calls (or frames) per second.
    pub per_sec: f64,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile latency, µs.
    pub p99_us: f64,
    /// Connections the server accepted during the round.
    pub connections: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The in-flight test's runtime: current-thread (the client's CPU is then this thread's), or
/// with `CTFY_BENCH_WORKERS=N` a multi-thread runtime of N workers (its CPU column then
/// counts the whole process, the server included: use it for the connection counts).
fn inflight_rt() -> (tokio::runtime::Runtime, bool) {
    match std::env::var("CTFY_BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(n) if n > 0 => (
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(n)
                .enable_all()
                .build()
                .expect("runtime"),
            true,
        ),
        _ => (rt(), false),
    }
}

/// CPU time of the whole process, in nanoseconds.
pub fn process_cpu_ns() -> u64 {
    cpu_ns(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// Runs `work` (which returns its per-call latencies and the number of calls) on a fresh
/// current-thread runtime and measures it.
fn measure<F: Future<Output = (Vec<Duration>, u64)>>(
    server: &Server,
    (rt, multi): (tokio::runtime::Runtime, bool),
    work: F,
) -> Sample {
    let now = if multi { process_cpu_ns } else { thread_cpu_ns };
    let conns = server.connections();
    let cpu = now();
    let started = Instant::now();
    let (mut lat, calls) = rt.block_on(work);
    let wall = started.elapsed();
    let cpu = now() - cpu;
    drop(rt);
    lat.sort();
    Sample {
        cpu_ms_per_1000: cpu as f64 / 1e6 / calls as f64 * 1000.0,
        per_sec: calls as f64 / wall.as_secs_f64(),
        p50_us: percentile(&lat, 0.5),
        p99_us: percentile(&lat, 0.99),
        connections: server.connections() - conns,
    }
}

fn sequential(ctx: &Ctx, op: &str, v: Variant, n: usize) -> Sample {
    // One client object per round, warmed up (its connection open) before the clock starts.
    let rt = rt();
    let url = ctx.floor_url(op);
    let sdk = sdk_client(&ctx.url);
    let floor = floor_client();
    let warm = async {
        for _ in 0..3 {
            match v {
                Variant::Sdk => sdk_call(op, &sdk, &ctx.cfg).await,
                Variant::Floor => floor_call(op, &floor, &url, &ctx.auth).await,
            };
        }
    };
    rt.block_on(warm);
    // The pool's connection belongs to the runtime that opened it: measure on the same one.
    let conns = ctx.server.connections();
    let cpu = thread_cpu_ns();
    let started = Instant::now();
    let (mut lat, calls) = rt.block_on(async {
        let mut lat = Vec::with_capacity(n);
        let mut sink = 0usize;
        for _ in 0..n {
            let s = Instant::now();
            sink += match v {
                Variant::Sdk => sdk_call(op, &sdk, &ctx.cfg).await,
                Variant::Floor => floor_call(op, &floor, &url, &ctx.auth).await,
            };
            lat.push(s.elapsed());
        }
        std::hint::black_box(sink);
        (lat, n as u64)
    });
    let wall = started.elapsed();
    let cpu = thread_cpu_ns() - cpu;
    lat.sort();
    Sample {
        cpu_ms_per_1000: cpu as f64 / 1e6 / calls as f64 * 1000.0,
        per_sec: calls as f64 / wall.as_secs_f64(),
        p50_us: percentile(&lat, 0.5),
        p99_us: percentile(&lat, 0.99),
        connections: ctx.server.connections() - conns,
    }
}

fn inflight(ctx: &Ctx, v: Variant) -> Sample {
    let workers = ctx.cfg.workers;
    let per = ctx.cfg.worker_calls;
    let url = ctx.floor_url("status");
    // A fresh client: every connection it uses is opened during the round. Each worker is a
    // task of its own, sharing the one client.
    let sdk = sdk_client(&ctx.url);
    let floor = floor_client();
    let (auth, cfg) = (ctx.auth.clone(), ctx.cfg.clone());
    measure(&ctx.server, inflight_rt(), async move {
        let tasks: Vec<_> = (0..workers)
            .map(|_| {
                let (sdk, floor, url, auth, cfg) = (
                    sdk.clone(),
                    floor.clone(),
                    url.clone(),
                    auth.clone(),
                    cfg.clone(),
                );
                tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(per);
                    for _ in 0..per {
                        let s = Instant::now();
                        let got = match v {
                            Variant::Sdk => sdk_call("status", &sdk, &cfg).await,
                            Variant::Floor => floor_call("status", &floor, &url, &auth).await,
                        };
                        std::hint::black_box(got);
                        lat.push(s.elapsed());
                    }
                    lat
                })
            })
            .collect();
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await.expect("worker"));
        }
        let n = lat.len() as u64;
        (lat, n)
    })
}

/// The SDK's event stream: frames decoded into typed events.
async fn sdk_sse(c: &PlatformClient, frames: u64) -> u64 {
    let mut events = c.events();
    let mut got = 0u64;
    while let Some(item) = events.next().await {
        if let Notice::Event(e) = item.expect("sdk event") {
            std::hint::black_box(&e);
            got += 1;
            if got == frames {
                break;
            }
        }
    }
    got
}

/// The floor's event stream: reqwest's byte stream, a minimal LF-only frame splitter, and
/// `Event::from_frame` (no CR/CRLF, BOM, `id`/`retry` fields, frame cap or idle timeout).
async fn floor_sse(c: &reqwest::Client, url: &str, frames: u64) -> u64 {
    let resp = c
        .get(url)
        .header(ACCEPT, "text/event-stream")
        .send()
        .await
        .expect("floor sse")
        .error_for_status()
        .expect("floor sse status");
    let mut body = resp.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut got = 0u64;
    while let Some(chunk) = body.next().await {
        buf.extend_from_slice(&chunk.expect("floor sse chunk"));
        let mut start = 0;
        while let Some(end) = buf[start..].windows(2).position(|w| w == b"\n\n") {
            let frame = std::str::from_utf8(&buf[start..start + end]).expect("utf-8");
            let (mut event, mut data) = ("message", "");
            for line in frame.split('\n') {
                if let Some(v) = line.strip_prefix("event: ") {
                    event = v;
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = v;
                }
            }
            let e = Event::from_frame(event, data).expect("floor event");
            std::hint::black_box(&e);
            got += 1;
            if got == frames {
                return got;
            }
            start += end + 2;
        }
        buf.drain(..start);
    }
    got
}

fn sse(ctx: &Ctx, v: Variant) -> Sample {
    let frames = ctx.cfg.frames;
    ctx.server.set_sse_frames(frames);
    let sdk = sdk_client(&ctx.url);
    let floor = floor_client();
    let url = format!("{}/api/v1/events?token={TOKEN}", ctx.url);
    let (sdk, floor, url) = (&sdk, &floor, &url);
    measure(&ctx.server, (rt(), false), async move {
        let s = Instant::now();
        let got = match v {
            Variant::Sdk => sdk_sse(sdk, frames).await,
            Variant::Floor => floor_sse(floor, url, frames).await,
        };
        assert_eq!(got, frames, "every frame arrived");
        (vec![s.elapsed()], got)
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

/// Medians of the rounds of one variant.
fn med(samples: &[Sample]) -> Sample {
    Sample {
        cpu_ms_per_1000: median(samples.iter().map(|s| s.cpu_ms_per_1000).collect()),
        per_sec: median(samples.iter().map(|s| s.per_sec).collect()),
        p50_us: median(samples.iter().map(|s| s.p50_us).collect()),
        p99_us: median(samples.iter().map(|s| s.p99_us).collect()),
        connections: samples.iter().map(|s| s.connections).max().unwrap_or(0),
    }
}

/// Runs `round` for both variants, alternating which goes first, and prints the medians.
fn compare(label: &str, rounds: usize, mut round: impl FnMut(Variant) -> Sample) {
    let (mut sdk, mut floor) = (Vec::new(), Vec::new());
    // `CTFY_BENCH_VARIANT=sdk` (or `floor`) runs one side only, for profiling.
    let only = std::env::var("CTFY_BENCH_VARIANT").unwrap_or_default();
    for r in 0..rounds {
        let order = if r % 2 == 0 {
            [Variant::Sdk, Variant::Floor]
        } else {
            [Variant::Floor, Variant::Sdk]
        };
        for v in order {
            if !only.is_empty() && only != v.name() {
                continue;
            }
            let s = round(v);
            match v {
                Variant::Sdk => sdk.push(s),
                Variant::Floor => floor.push(s),
            }
        }
    }
    let (s, f) = (med(&sdk), med(&floor));
    println!(
        "| {label} | {:.3} | {:.3} | **{:.2}** | {:.0} | {:.0} | **{:.2}** | {:.0} / {:.0} | {:.0} / {:.0} | {} / {} |",
        s.cpu_ms_per_1000,
        f.cpu_ms_per_1000,
        s.cpu_ms_per_1000 / f.cpu_ms_per_1000,
        s.per_sec,
        f.per_sec,
        s.per_sec / f.per_sec,
        s.p50_us,
        f.p50_us,
        s.p99_us,
        f.p99_us,
        s.connections,
        f.connections,
    );
}

fn decode_only(cfg: &Config, bodies: &Bodies) {
    println!();
    println!(
        "Decode only (ms per decode, median of {} rounds of {} decodes):",
        cfg.rounds, cfg.decodes
    );
    println!();
    println!(
        "| body | serde_json (floor) | SDK `ctfy_transport::decode` | ratio | serde_path_to_error (before #13) | ratio |"
    );
    println!("|---|---|---|---|---|---|");
    fn time<T>(rounds: usize, n: usize, mut f: impl FnMut() -> T) -> f64 {
        let mut v = Vec::new();
        for _ in 0..rounds {
            let cpu = thread_cpu_ns();
            for _ in 0..n {
                std::hint::black_box(f());
            }
            v.push((thread_cpu_ns() - cpu) as f64 / 1e6 / n as f64);
        }
        median(v)
    }
    fn row<T: DeserializeOwned>(label: &str, cfg: &Config, body: &[u8]) {
        let req = ctfy_transport::Request::get("/x", &[]).expect("request");
        let plain = time(cfg.rounds, cfg.decodes, || {
            serde_json::from_slice::<T>(body).expect("decode")
        });
        let sdk = time(cfg.rounds, cfg.decodes, || {
            ctfy_transport::__private::decode::<T>(&req, 200, body).expect("decode")
        });
        let path = time(cfg.rounds, cfg.decodes, || {
            let de = &mut serde_json::Deserializer::from_slice(body);
            serde_path_to_error::deserialize::<_, T>(de).expect("decode")
        });
        println!(
            "| {label} ({:.2} MB) | {plain:.2} | {sdk:.2} | **{:.2}** | {path:.2} | {:.2} |",
            body.len() as f64 / 1e6,
            sdk / plain,
            path / plain
        );
    }
    row::<Page<ScoreboardEntry>>(
        &format!("scoreboard, {} rows", cfg.rows),
        cfg,
        &bodies.scoreboard,
    );
    row::<Page<ChallengeInfo>>(
        &format!("{} challenges", cfg.challenges),
        cfg,
        &bodies.challenges,
    );
}

/// Runs `--child ARGS` of this same program and returns what it printed.
fn child(args: &[&str]) -> String {
    let exe = std::env::current_exe().expect("current exe");
    let out = std::process::Command::new(exe)
        .arg("--child")
        .args(args)
        .output()
        .expect("child");
    assert!(
        out.status.success(),
        "child {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn field(out: &str, key: &str) -> f64 {
    out.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// What a child process does (its own small program: a fresh process per measurement).
fn child_main(args: &[String]) {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["construct", which, url] => {
            let rss0 = rss_kib();
            let cpu = thread_cpu_ns();
            let t = Instant::now();
            let first: Box<dyn std::any::Any> = match *which {
                "sdk" => Box::new(sdk_client(url)),
                _ => Box::new(floor_client()),
            };
            let first_us = t.elapsed().as_secs_f64() * 1e6;
            let first_cpu_us = (thread_cpu_ns() - cpu) as f64 / 1e3;
            let rss1 = rss_kib();
            let t = Instant::now();
            let mut more = Vec::new();
            for _ in 0..10 {
                let c: Box<dyn std::any::Any> = match *which {
                    "sdk" => Box::new(sdk_client(url)),
                    _ => Box::new(floor_client()),
                };
                more.push(c);
            }
            let next_us = t.elapsed().as_secs_f64() * 1e6 / 10.0;
            std::hint::black_box((&first, &more));
            println!(
                "first_us={first_us:.0} first_cpu_us={first_cpu_us:.0} next_us={next_us:.0} rss_delta_kib={}",
                rss1.saturating_sub(rss0)
            );
        }
        ["scoreboard", which, url, rows, calls] => {
            let rows: u64 = rows.parse().expect("rows");
            let calls: usize = calls.parse().expect("calls");
            let rt = rt();
            let floor_url = format!("{url}/api/v1/scoreboard?limit={rows}");
            let auth = HeaderValue::from_str(&format!("Bearer {TOKEN}")).expect("auth");
            let sdk = sdk_client(url);
            let floor = floor_client();
            let cfg = Config {
                rows,
                ..Config::new(true)
            };
            rt.block_on(async {
                for _ in 0..calls {
                    let n = match *which {
                        "sdk" => sdk_call("scoreboard", &sdk, &cfg).await,
                        _ => floor_call("scoreboard", &floor, &floor_url, &auth).await,
                    };
                    assert_eq!(n as u64, rows);
                }
            });
            println!("peak_rss_kib={}", peak_rss_kib());
        }
        ["sse-mem", url, frames] => {
            let frames: u64 = frames.parse().expect("frames");
            let rt = rt();
            let sdk = sdk_client(url);
            let (mut at_tenth, mut peak_after_tenth) = (0u64, 0u64);
            rt.block_on(async {
                let mut events = sdk.events();
                let mut got = 0u64;
                while let Some(item) = events.next().await {
                    if let Notice::Event(e) = item.expect("event") {
                        std::hint::black_box(&e);
                        got += 1;
                        if got == frames / 10 {
                            at_tenth = rss_kib();
                        }
                        if got > frames / 10 && got % 1000 == 0 {
                            peak_after_tenth = peak_after_tenth.max(rss_kib());
                        }
                        if got == frames {
                            break;
                        }
                    }
                }
                assert_eq!(got, frames);
            });
            println!(
                "rss_at_tenth_kib={at_tenth} rss_max_after_kib={peak_after_tenth} rss_end_kib={} peak_rss_kib={}",
                rss_kib(),
                peak_rss_kib()
            );
        }
        other => panic!("unknown child command {other:?}"),
    }
}

/// The benchmark program (`cargo bench -p ctfy-bench`).
pub fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        return child_main(&args[i + 1..]);
    }
    let quick = std::env::var("CTFY_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    run(Config::new(quick));
}

/// Runs the benchmark and prints its tables (Markdown).
pub fn run(cfg: Config) {
    let t = Instant::now();
    let bodies = Bodies::new(cfg.challenges, cfg.rows);
    let server = Server::start(&bodies);
    let ctx = Ctx {
        url: server.url(),
        server,
        auth: HeaderValue::from_str(&format!("Bearer {TOKEN}")).expect("auth"),
        cfg: cfg.clone(),
    };
    println!(
        "ctfy-bench: {} rounds (medians), bodies: health {} B, status {} B, challenges {} B, scoreboard {} B, SSE frames ~{} B; {} profile",
        cfg.rounds,
        bodies.health.len(),
        bodies.status.len(),
        bodies.challenges.len(),
        bodies.scoreboard.len(),
        bodies.sse_frames.iter().map(Vec::len).sum::<usize>() / bodies.sse_frames.len(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    );
    println!();
    println!(
        "| op | SDK CPU ms/1000 | floor CPU ms/1000 | CPU / floor | SDK per s | floor per s | throughput / floor | p50 µs SDK / floor | p99 µs SDK / floor | connections SDK / floor |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let small = [
        ("health", "health", cfg.small_calls),
        ("status", "instance status", cfg.small_calls),
        ("challenges", "challenges", cfg.challenge_calls),
        ("scoreboard", "scoreboard", cfg.scoreboard_calls),
    ];
    for (op, label, n) in small {
        if !cfg.runs(op) {
            continue;
        }
        let label = match op {
            "health" => format!("{label} ({} B)", bodies.health.len()),
            "status" => format!("{label} ({} B)", bodies.status.len()),
            "challenges" => format!(
                "{} {label} ({} kB)",
                cfg.challenges,
                bodies.challenges.len() / 1000
            ),
            _ => format!(
                "{}-row {label} ({:.2} MB)",
                cfg.rows,
                bodies.scoreboard.len() as f64 / 1e6
            ),
        };
        compare(&label, cfg.rounds, |v| sequential(&ctx, op, v, n));
    }
    if cfg.runs("inflight") {
        let label = format!("{} in flight, one client (status)", cfg.workers);
        compare(&label, cfg.rounds, |v| inflight(&ctx, v));
    }
    if cfg.runs("sse") {
        let label = format!("SSE, {} frames (per 1000 frames)", cfg.frames);
        compare(&label, cfg.rounds, |v| sse(&ctx, v));
    }
    if cfg.runs("decode") {
        decode_only(&cfg, &bodies);
    }
    if cfg.runs("construct") {
        println!();
        println!("Client construction (fresh process each; http:// base URL):");
        println!();
        println!(
            "| client | first build µs (wall) | first build µs (CPU) | next builds µs | RSS growth of the first build KiB |"
        );
        println!("|---|---|---|---|---|");
        for which in ["sdk", "floor"] {
            let outs: Vec<String> = (0..cfg.rounds.min(3))
                .map(|_| child(&["construct", which, &ctx.url]))
                .collect();
            let m = |k: &str| median(outs.iter().map(|o| field(o, k)).collect());
            println!(
                "| {} | {:.0} | {:.0} | {:.0} | {:.0} |",
                if which == "sdk" {
                    "`PlatformClient::builder(..).build()`"
                } else {
                    "`reqwest::Client::builder()..build()`"
                },
                m("first_us"),
                m("first_cpu_us"),
                m("next_us"),
                m("rss_delta_kib")
            );
        }
    }
    if cfg.runs("rss") {
        println!();
        let calls = cfg.scoreboard_calls.min(8).to_string();
        let rows = cfg.rows.to_string();
        let (mut s, mut f) = (Vec::new(), Vec::new());
        for _ in 0..cfg.rounds.min(3) {
            s.push(field(
                &child(&["scoreboard", "sdk", &ctx.url, &rows, &calls]),
                "peak_rss_kib",
            ));
            f.push(field(
                &child(&["scoreboard", "floor", &ctx.url, &rows, &calls]),
                "peak_rss_kib",
            ));
        }
        let (s, f) = (median(s), median(f));
        println!(
            "Peak RSS, {} scoreboard calls of {rows} rows (fresh process each, median): SDK {s:.0} KiB, floor {f:.0} KiB, **{:.2}×**",
            calls,
            s / f
        );
    }
    if cfg.runs("sse-mem") {
        ctx.server.set_sse_frames(cfg.mem_frames);
        let out = child(&["sse-mem", &ctx.url, &cfg.mem_frames.to_string()]);
        println!();
        println!(
            "SSE memory over {} frames (SDK, fresh process): RSS after 10 % {:.0} KiB, highest after that {:.0} KiB, at the end {:.0} KiB",
            cfg.mem_frames,
            field(&out, "rss_at_tenth_kib"),
            field(&out, "rss_max_after_kib"),
            field(&out, "rss_end_kib"),
        );
    }
    println!();
    println!(
        "done in {:.1} s ({} requests served, {} connections)",
        t.elapsed().as_secs_f64(),
        ctx.server.requests(),
        ctx.server.connections()
    );
}
