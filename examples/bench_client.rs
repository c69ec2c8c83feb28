//! Measures the SDK's own costs, with no platform needed: JSON decoding of large pages,
//! request round trips over loopback, the pagination stream, and peak memory.
//!
//! `cargo run --release --example bench_client [items_per_page] [requests]`
//!
//! The numbers are printed; nothing is asserted (timing belongs in benchmarks, not tests).

use std::time::{Duration, Instant};

use ctfy::models::{InstanceInfo, Page};
use ctfy::transport::{Request, RetryPolicy, Transport};
use futures::StreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn instance_example() -> Value {
    let examples: Value = serde_json::from_str(include_str!("../tests/fixtures/examples.json"))
        .expect("examples.json");
    examples["platform"]["InstanceInfo"].clone()
}

fn page_of(items: usize, offset: usize, total: usize) -> Value {
    let item = instance_example();
    let list: Vec<Value> = (0..items)
        .map(|i| {
            let mut v = item.clone();
            v["id"] = json!(format!("inst-{:06}", offset + i));
            v
        })
        .collect();
    json!({ "items": list, "total": total, "limit": items, "offset": offset })
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let per_page = args.first().copied().unwrap_or(1000);
    let requests = args.get(1).copied().unwrap_or(500);
    println!("ctfy-rs client benchmark (items per page {per_page}, requests {requests})");
    println!("peak RSS at start: {} KiB", peak_rss_kib().unwrap_or(0));

    // 1. Decoding: a page of InstanceInfo, as the transport decodes it.
    let body = serde_json::to_vec(&page_of(per_page, 0, per_page)).unwrap();
    let req = Request::get("/instances", &[]).unwrap();
    let rounds = 20;
    let started = Instant::now();
    for _ in 0..rounds {
        let page: Page<InstanceInfo> =
            ctfy::transport::__private::decode(&req, 200, &body).unwrap();
        assert_eq!(page.items.len(), per_page);
    }
    let elapsed = started.elapsed();
    let mb = (body.len() * rounds) as f64 / 1e6;
    println!(
        "decode: {rounds} pages of {} KiB in {elapsed:.2?}: {:.1} MB/s, {:.0} items/s",
        body.len() / 1024,
        mb / elapsed.as_secs_f64(),
        (per_page * rounds) as f64 / elapsed.as_secs_f64()
    );

    // 2. Round trips over loopback against a mock server (small JSON answer).
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/health"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "ok", "version": "0.7.0"})),
        )
        .mount(&server)
        .await;
    let t = Transport::builder(server.uri())
        .token("pt_bench")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let health = Request::get("/health", &[]).unwrap();
    let mut lat = Vec::with_capacity(requests);
    let started = Instant::now();
    for _ in 0..requests {
        let t0 = Instant::now();
        let _: Value = t.json(&health).await.unwrap();
        lat.push(t0.elapsed());
    }
    let total = started.elapsed();
    lat.sort();
    println!(
        "sequential GET: {requests} in {total:.2?} ({:.0} req/s), p50 {:.2?}, p99 {:.2?}",
        requests as f64 / total.as_secs_f64(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    let started = Instant::now();
    let concurrent = futures::stream::iter(0..requests)
        .map(|_| {
            let t = t.clone();
            let health = health.clone();
            async move { t.json::<Value>(&health).await.map(|_| ()) }
        })
        .buffer_unordered(32)
        .filter(|r| futures::future::ready(r.is_ok()))
        .count()
        .await;
    let total = started.elapsed();
    println!(
        "concurrent GET (32 in flight): {concurrent} in {total:.2?} ({:.0} req/s)",
        concurrent as f64 / total.as_secs_f64()
    );

    // 3. The pagination stream: 10 pages served lazily.
    let pages = 10;
    let size = per_page.min(500);
    for p in 0..pages {
        Mock::given(method("GET"))
            .and(path("/api/v1/instances"))
            .and(wiremock::matchers::query_param(
                "offset",
                (p * size).to_string(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(page_of(
                size,
                p * size,
                pages * size,
            )))
            .mount(&server)
            .await;
    }
    let started = Instant::now();
    let n = t
        .paginate::<InstanceInfo>(Request::get("/instances", &[]).unwrap(), size as u64)
        .filter(|r| futures::future::ready(r.is_ok()))
        .count()
        .await;
    let total = started.elapsed();
    println!(
        "pagination stream: {n} items over {pages} pages in {total:.2?} ({:.0} items/s)",
        n as f64 / total.as_secs_f64()
    );
    println!("peak RSS at end: {} KiB", peak_rss_kib().unwrap_or(0));
}
