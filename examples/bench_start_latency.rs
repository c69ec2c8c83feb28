//! How long after the platform marks an instance ready does `instances().start()` return?
//!
//! Against a running local platform (`scripts/platform-up.sh`; its env file is read from
//! `CTFY_LIVE_ENV` or `.state/current/ctfy.env`, and the environment overrides it):
//!
//! ```sh
//! cargo run --release --example bench_start_latency -- 10            # 10 starts, one at a time
//! cargo run --release --example bench_start_latency -- 3 --concurrent 64
//! ```
//!
//! The player (a `pt_` session, so `start()` reads the client's event stream) starts and
//! stops the web challenge; a subscriber of the same client (`events()`, sharing that one
//! connection) records when each `instance_ready` frame reaches the client. The delay is
//! `start()` returning minus that arrival (this machine's monotonic clock): the status request
//! that fetches the attack surface after the frame, and the SDK's own wake-up. Goal: p99 <
//! 100 ms on loopback, or within twice one status round trip when that alone is over 50 ms.
//!
//! With `--concurrent C`, each of the N rounds starts C instances at once on the one client.
//! It reports the `GET /api/v1/events` requests the platform logged over the run (its access
//! log, `PLATFORM_LOG` of the env file or `.state/current/platform.log`; goal: 1), one status
//! round trip of the idle platform, and `/health` round trips sampled every 50 ms while the
//! starts run (how busy the platform itself is).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ctfy::PlatformClient;
use ctfy::client::Notice;
use ctfy::models::events::Event;
use futures::StreamExt;

fn env_vars() -> HashMap<String, String> {
    let file = std::env::var("CTFY_LIVE_ENV").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/.state/current/ctfy.env").to_owned()
    });
    let mut vars = HashMap::new();
    if let Ok(text) = std::fs::read_to_string(&file) {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                vars.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }
    vars.extend(std::env::vars());
    vars
}

/// `GET /api/v1/events` requests in the platform's access log so far (`None` without a log).
fn events_requests_logged(vars: &HashMap<String, String>) -> Option<usize> {
    let file = vars.get("PLATFORM_LOG").cloned().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/.state/current/platform.log").to_owned()
    });
    let text = std::fs::read(file).ok()?;
    let text = String::from_utf8_lossy(&text);
    Some(text.matches("\"GET /api/v1/events?").count())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(what: &str, v: &mut [f64]) {
    v.sort_by(f64::total_cmp);
    println!(
        "{what}: n={} min {:.1} ms, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        v.len(),
        v[0],
        percentile(v, 0.5),
        percentile(v, 0.99),
        v[v.len() - 1]
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let concurrent: usize = args
        .iter()
        .position(|a| a == "--concurrent")
        .and_then(|i| args.get(i + 1))
        .and_then(|a| a.parse().ok())
        .unwrap_or(1)
        .max(1);
    let vars = env_vars();
    let var = |k: &str| {
        vars.get(k)
            .cloned()
            .ok_or_else(|| format!("{k} is not set (start scripts/platform-up.sh)"))
    };
    let url = var("CTFY_URL")?;
    let player = PlatformClient::new(&url, var("PLAYER_SESSION_TOKEN")?)?;
    let challenge = var("WEB_CHALLENGE_ID")?;
    let competition = var("COMPETITION_ID")?;
    let logged_before = events_requests_logged(&vars);

    // A subscriber of the player's own client, open for the whole run: it records when each
    // `instance_ready` frame reaches the client (the starts read the same connection).
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut events = player.events();
    match events.next().await {
        Some(Ok(Notice::Connected)) => {}
        other => return Err(format!("player stream: {other:?}").into()),
    }
    // At each frame, the bench sends a status request of its own: what one round trip costs
    // at that very moment, so the SDK's share of the delay can be told from the platform's.
    let probes: Arc<Mutex<HashMap<String, f64>>> = Arc::default();
    let (seen, probed, prober) = (arrivals.clone(), probes.clone(), player.clone());
    let watcher = tokio::spawn(async move {
        while let Some(item) = events.next().await {
            if let Ok(Notice::Event(Event::InstanceReady(r))) = item {
                let id = r.instance_id.into_string();
                seen.lock().unwrap().insert(id.clone(), Instant::now());
                let (probed, prober) = (probed.clone(), prober.clone());
                tokio::spawn(async move {
                    let sent = Instant::now();
                    if prober.instances().status(id.as_str()).await.is_ok() {
                        let rtt = sent.elapsed().as_secs_f64() * 1e3;
                        probed.lock().unwrap().insert(id, rtt);
                    }
                });
            }
        }
    });

    let mut delays_ms = Vec::new();
    let mut totals_ms = Vec::new();
    let mut shares_ms = Vec::new();
    let mut rtts_ms = Vec::new();
    let load_rtts_ms: Arc<Mutex<Vec<f64>>> = Arc::default();
    for round in 0..n {
        // Round trips of a cheap request while the starts run: what one request costs while
        // the platform is this busy.
        let probe = {
            let (player, rtts) = (player.clone(), load_rtts_ms.clone());
            tokio::spawn(async move {
                loop {
                    let sent = Instant::now();
                    if player.health().await.is_ok() {
                        let rtt = sent.elapsed().as_secs_f64() * 1e3;
                        rtts.lock().unwrap().push(rtt);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        let began = Instant::now();
        let starts: Vec<_> = (0..concurrent)
            .map(|_| {
                let (player, challenge, competition) =
                    (player.clone(), challenge.clone(), competition.clone());
                tokio::spawn(async move {
                    let ready = player
                        .instances()
                        .start(challenge.as_str())
                        .competition_id(competition.as_str())
                        .await?;
                    Ok::<_, ctfy::Error>((ready, Instant::now()))
                })
            })
            .collect();
        let mut done = Vec::with_capacity(concurrent);
        for s in starts {
            done.push(s.await??);
        }
        probe.abort();
        // One status round trip of an idle platform, for the goal's second clause.
        let sent = Instant::now();
        player.instances().status(&done[0].0.id).await?;
        rtts_ms.push(sent.elapsed().as_secs_f64() * 1e3);
        for (ready, returned) in &done {
            // The subscriber may read the frame a moment after start() returned: wait briefly.
            let mut arrival = None;
            for _ in 0..100 {
                arrival = arrivals.lock().unwrap().get(ready.id.as_str()).copied();
                if arrival.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let Some(arrival) = arrival else {
                println!("round {round}: no instance_ready frame for {}", ready.id);
                continue;
            };
            let delay = if *returned >= arrival {
                (*returned - arrival).as_secs_f64() * 1e3
            } else {
                -((arrival - *returned).as_secs_f64() * 1e3)
            };
            delays_ms.push(delay);
            totals_ms.push((*returned - began).as_secs_f64() * 1e3);
            if let Some(rtt) = probes.lock().unwrap().get(ready.id.as_str()) {
                shares_ms.push(delay - rtt);
            }
        }
        for (ready, _) in &done {
            player.instances().stop(&ready.id).await?;
        }
        println!(
            "round {round}: {concurrent} starts in {:.0} ms",
            began.elapsed().as_secs_f64() * 1e3
        );
    }
    watcher.abort();
    match (logged_before, events_requests_logged(&vars)) {
        (Some(a), Some(b)) => println!(
            "event streams opened by the player for {n} rounds of {concurrent} starts and a subscriber: {} (GET /api/v1/events in the platform's log)",
            b - a
        ),
        _ => println!("no platform log to count event streams"),
    }
    if delays_ms.is_empty() {
        return Err("no measurement".into());
    }
    report("ready frame → start() returned", &mut delays_ms);
    report("start() total", &mut totals_ms);
    if !shares_ms.is_empty() {
        report(
            "delay minus a status round trip sent at the frame (the SDK's share)",
            &mut shares_ms,
        );
    }
    report("one status round trip (idle platform)", &mut rtts_ms);
    report(
        "one /health round trip during the starts",
        &mut load_rtts_ms.lock().unwrap(),
    );
    player.shutdown(Duration::from_secs(30)).await;
    Ok(())
}
