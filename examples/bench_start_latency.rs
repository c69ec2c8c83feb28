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
//! An admin session stream records when each `instance_ready` frame arrives; the player (a
//! `pt_` session, so `start()` listens to the client's event stream) starts and stops the web
//! challenge. The delay is `start()` returning minus the admin frame's arrival (both on this
//! machine's monotonic clock). Goal: p99 < 100 ms on loopback (or within twice one status
//! round trip when that alone is over 50 ms).
//!
//! With `--concurrent C`, each of the N rounds starts C instances at once on one player
//! client while an `events()` reader of the same client is open, and reports the
//! `GET /api/v1/events` requests the platform logged in the round (its access log,
//! `$CTFY_PLATFORM_LOG` or `.state/current/platform.log`; goal: at most 1 per round) and the
//! median round trip of one status request.

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
    let file = vars.get("CTFY_PLATFORM_LOG").cloned().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/.state/current/platform.log").to_owned()
    });
    let text = std::fs::read(file).ok()?;
    let text = String::from_utf8_lossy(&text);
    Some(text.matches("GET /api/v1/events").count())
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
    let admin = PlatformClient::new(&url, var("ADMIN_TOKEN")?)?;
    let player = PlatformClient::new(&url, var("PLAYER_SESSION_TOKEN")?)?;
    let challenge = var("WEB_CHALLENGE_ID")?;
    let competition = var("COMPETITION_ID")?;

    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut admin_events = admin.events();
    match admin_events.next().await {
        Some(Ok(Notice::Connected)) => {}
        other => return Err(format!("admin stream: {other:?}").into()),
    }
    let seen = arrivals.clone();
    let watcher = tokio::spawn(async move {
        while let Some(item) = admin_events.next().await {
            if let Ok(Notice::Event(Event::InstanceReady(r))) = item {
                seen.lock()
                    .unwrap()
                    .insert(r.instance_id.into_string(), Instant::now());
            }
        }
    });

    let mut delays_ms = Vec::new();
    let mut totals_ms = Vec::new();
    let mut rtts_ms = Vec::new();
    for round in 0..n {
        let logged_before = events_requests_logged(&vars);
        // A subscriber of the same client, open for the whole round (concurrent mode).
        let mut subscriber = (concurrent > 1).then(|| player.events());
        if let Some(s) = subscriber.as_mut() {
            match s.next().await {
                Some(Ok(Notice::Connected)) => {}
                other => return Err(format!("player stream: {other:?}").into()),
            }
        }
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
        // One status round trip, for the goal's second clause.
        let probe = Instant::now();
        player.instances().status(&done[0].0.id).await?;
        rtts_ms.push(probe.elapsed().as_secs_f64() * 1e3);
        for (ready, returned) in &done {
            // The admin frame may be read a moment after start() returned: wait briefly.
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
        }
        for (ready, _) in &done {
            player.instances().stop(&ready.id).await?;
        }
        drop(subscriber);
        let streams = match (logged_before, events_requests_logged(&vars)) {
            (Some(a), Some(b)) => format!("{} GET /api/v1/events logged", b - a),
            _ => "no platform log to count streams".to_owned(),
        };
        println!(
            "round {round}: {concurrent} starts in {:.0} ms; {streams}",
            began.elapsed().as_secs_f64() * 1e3
        );
    }
    watcher.abort();
    if delays_ms.is_empty() {
        return Err("no measurement".into());
    }
    report("ready frame → start() returned", &mut delays_ms);
    report("start() total", &mut totals_ms);
    report("one status round trip", &mut rtts_ms);
    player.shutdown(Duration::from_secs(30)).await;
    Ok(())
}
