//! Startup time of `ctfy --help`: spawns the binary N times (default 50; `CTFY_BENCH_RUNS`)
//! and prints the median, p99 and maximum wall time.
//!
//! `cargo bench -p ctfy-cli --bench startup` (the release binary is what users run). Not a
//! timed test: it only reports.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let bin = env!("CARGO_BIN_EXE_ctfy");
    let runs: usize = std::env::var("CTFY_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(50);
    // One warm-up run so the binary is in the page cache.
    let _ = Command::new(bin)
        .arg("--help")
        .stdout(Stdio::null())
        .status();
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new(bin)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let elapsed = start.elapsed();
        match status {
            Ok(s) if s.success() => times.push(elapsed),
            Ok(s) => {
                eprintln!("ctfy --help exited with {s}");
                std::process::exit(1);
            }
            Err(e) => {
                eprintln!("could not run {bin}: {e}");
                std::process::exit(1);
            }
        }
    }
    times.sort();
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "ctfy --help startup over {runs} runs: median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(pick(0.5)),
        ms(pick(0.99)),
        ms(times[times.len() - 1]),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
