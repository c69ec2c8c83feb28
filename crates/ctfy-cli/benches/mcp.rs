//! `ctfy mcp` against the Python package's `ctfy mcp`, on the local platform, in one run:
//! start-up (from spawning the server to its answer to `initialize`) and tool-call latency
//! (one connected session, the same calls in turn), as medians. Python's stdio server is the
//! floor: the run fails when a Rust figure is above Python's.
//!
//! `scripts/with-platform.sh cargo bench -p ctfy-cli --bench mcp` (the release binary; about
//! half a minute, most of it Python's start-ups). The test command runs it too, briefly (the
//! debug binary; fewer start-ups and 8 calls per tool): Rust's margin is wide enough that the
//! comparison holds there as well. Without a platform or the venv (`CTFY_VENV`) it prints
//! `skipped`. `CTFY_BENCH_RUNS` sets the calls per tool (default 30, 8 under `cargo test`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt as _;

type Client = RunningService<RoleClient, ()>;

/// The servers compared.
#[derive(Clone, Copy, PartialEq)]
enum Server {
    RustStdio,
    RustHttp,
    PythonStdio,
}

impl Server {
    fn label(self) -> &'static str {
        match self {
            Server::RustStdio => "Rust `ctfy mcp` (stdio)",
            Server::RustHttp => "Rust `ctfy mcp --http` (bearer per request)",
            Server::PythonStdio => "Python `ctfy mcp` (stdio)",
        }
    }
}

/// A running server with a connected client (and, over HTTP, the server process).
struct Running {
    client: Client,
    _process: Option<tokio::process::Child>,
}

/// A command for `program` with none of the caller's `CTFY_*` variables and the platform URL.
fn command(program: &str, url: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("CTFY_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("CTFY_URL", url)
        .env("CTFY_PLATFORM_URL", url)
        .kill_on_drop(true);
    cmd
}

/// Spawns `server` and connects a client: the time until `initialize` was answered.
async fn start(server: Server, env: &support::LiveEnv, venv: &str) -> (Duration, Running) {
    let token = env.var("PLAYER_TOKEN");
    let began = Instant::now();
    match server {
        Server::RustStdio | Server::PythonStdio => {
            let mut cmd = if server == Server::RustStdio {
                command(env!("CARGO_BIN_EXE_ctfy"), env.url())
            } else {
                command(&format!("{venv}/bin/ctfy"), env.url())
            };
            cmd.arg("mcp").env("CTFY_TOKEN", token);
            let (transport, _) = TokioChildProcess::builder(cmd)
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn the server");
            let client = ().serve(transport).await.expect("MCP handshake");
            (
                began.elapsed(),
                Running {
                    client,
                    _process: None,
                },
            )
        }
        Server::RustHttp => {
            let mut process = command(env!("CARGO_BIN_EXE_ctfy"), env.url())
                .args(["mcp", "--http", "127.0.0.1:0"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn ctfy mcp --http");
            let mut lines =
                tokio::io::BufReader::new(process.stderr.take().expect("stderr")).lines();
            let line = lines
                .next_line()
                .await
                .expect("read stderr")
                .expect("the serving line");
            let url = line
                .rsplit(' ')
                .next()
                .filter(|u| u.starts_with("http://"))
                .unwrap_or_else(|| panic!("no URL in {line:?}"))
                .to_owned();
            let config = StreamableHttpClientTransportConfig::with_uri(url).auth_header(token);
            let client =
                ().serve(StreamableHttpClientTransport::from_config(config))
                    .await
                    .expect("MCP handshake over HTTP");
            (
                began.elapsed(),
                Running {
                    client,
                    _process: Some(process),
                },
            )
        }
    }
}

/// One tool call's wall time; panics on a tool error.
async fn call(client: &Client, tool: &str, args: &Value) -> Duration {
    let args = args.as_object().cloned().unwrap_or_default();
    let began = Instant::now();
    let result = client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let elapsed = began.elapsed();
    assert_ne!(result.is_error, Some(true), "{tool}: {:?}", result.content);
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test` does not: then the run is brief.
    let brief = !std::env::args().any(|a| a == "--bench");
    let Some(env) = support::live() else { return };
    let Some(venv) = env.get("CTFY_VENV").filter(|v| !v.is_empty()) else {
        eprintln!("skipped: CTFY_VENV (the Python package) is not set");
        return;
    };
    let runs: usize = std::env::var("CTFY_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(if brief { 8 } else { 30 });
    let servers = [Server::RustStdio, Server::RustHttp, Server::PythonStdio];
    let tools: [(&str, Value); 3] = [
        ("health", json!({})),
        ("get_me", json!({})),
        (
            "list_competition_challenges",
            json!({"competition_id": env.var("COMPETITION_ID")}),
        ),
    ];

    // Start-up: Rust's is milliseconds and Python's seconds, so fewer rounds of Python's.
    let mut startup = Vec::new();
    for server in servers {
        let rounds = match (server == Server::PythonStdio, brief) {
            (true, true) => 2,
            (true, false) => 5,
            (false, true) => 5,
            (false, false) => 15,
        };
        let mut times = Vec::new();
        for _ in 0..rounds {
            let (took, running) = start(server, env, venv).await;
            times.push(took);
            running.client.cancel().await.ok();
        }
        startup.push(median(times));
    }

    // Latency: one session per server, warmed up, the tools called in turn.
    let mut sessions = Vec::new();
    for server in servers {
        let (_, running) = start(server, env, venv).await;
        for (tool, args) in &tools {
            for _ in 0..3 {
                call(&running.client, tool, args).await;
            }
        }
        sessions.push(running);
    }
    let mut latency = vec![vec![Vec::new(); tools.len()]; servers.len()];
    for _ in 0..runs {
        for (t, (tool, args)) in tools.iter().enumerate() {
            for (s, session) in sessions.iter().enumerate() {
                latency[s][t].push(call(&session.client, tool, args).await);
            }
        }
    }
    for session in sessions {
        session.client.cancel().await.ok();
    }
    let latency: Vec<Vec<Duration>> = latency
        .into_iter()
        .map(|per_tool| per_tool.into_iter().map(median).collect())
        .collect();

    println!("ctfy mcp against the Python package's ctfy mcp (medians; {runs} calls per tool)\n");
    print!("| server | start-up to `initialize` answered |");
    for (tool, _) in &tools {
        print!(" `{tool}` |");
    }
    println!();
    println!("|---|---:|{}", "---:|".repeat(tools.len()));
    for (s, server) in servers.iter().enumerate() {
        print!("| {} | {:.1} ms |", server.label(), ms(startup[s]));
        for took in &latency[s] {
            print!(" {:.2} ms |", ms(*took));
        }
        println!();
    }

    let python = servers.len() - 1;
    let mut slower = Vec::new();
    for s in 0..python {
        if startup[s] > startup[python] {
            slower.push(format!("{} start-up", servers[s].label()));
        }
        for (t, (tool, _)) in tools.iter().enumerate() {
            if latency[s][t] > latency[python][t] {
                slower.push(format!("{} {tool}", servers[s].label()));
            }
        }
    }
    if !slower.is_empty() {
        eprintln!("slower than the Python server: {}", slower.join("; "));
        std::process::exit(1);
    }
}
