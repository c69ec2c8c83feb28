//! How long after the platform marks an instance ready does `instances().start()` return?
//!
//! Against a running local platform (`scripts/platform-up.sh`; its env file is read from
//! `CTFY_LIVE_ENV` or `.state/current/ctfy.env`, and the environment overrides it):
//!
//! ```sh
//! cargo run --release --example bench_start_latency -- 10
//! ```
//!
//! An admin session stream records when each `instance_ready` frame arrives; the player (a
//! `pt_` session, so `start()` listens to its own event stream) starts and stops the web
//! challenge N times. The delay is `start()` returning minus the admin frame's arrival (both
//! on this machine's monotonic clock). Goal: < 100 ms on loopback.

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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
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

    let mut delays_ms = Vec::with_capacity(n);
    let mut totals_ms = Vec::with_capacity(n);
    for i in 0..n {
        let began = Instant::now();
        let ready = player
            .instances()
            .start(challenge.as_str())
            .competition_id(competition.as_str())
            .await?;
        let returned = Instant::now();
        // The admin frame may be read a moment after start() returned: wait for it briefly.
        let mut arrival = None;
        for _ in 0..100 {
            arrival = arrivals.lock().unwrap().get(ready.id.as_str()).copied();
            if arrival.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        player.instances().stop(&ready.id).await?;
        let Some(arrival) = arrival else {
            println!("run {i}: no instance_ready frame on the admin stream");
            continue;
        };
        let delay = if returned >= arrival {
            (returned - arrival).as_secs_f64() * 1e3
        } else {
            -((arrival - returned).as_secs_f64() * 1e3)
        };
        let total = (returned - began).as_secs_f64() * 1e3;
        println!(
            "run {i}: start() took {total:.0} ms, returned {delay:.1} ms after the ready frame"
        );
        delays_ms.push(delay);
        totals_ms.push(total);
    }
    watcher.abort();
    if delays_ms.is_empty() {
        return Err("no measurement".into());
    }
    for (what, v) in [
        ("ready frame → start() returned", &mut delays_ms),
        ("start() total", &mut totals_ms),
    ] {
        v.sort_by(f64::total_cmp);
        let median = v[v.len() / 2];
        println!(
            "{what}: n={} min {:.1} ms, median {:.1} ms, max {:.1} ms",
            v.len(),
            v[0],
            median,
            v[v.len() - 1]
        );
    }
    Ok(())
}
