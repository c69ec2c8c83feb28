//! `ctfy-standin-node`: run the stand-in worker node until SIGTERM/SIGINT.

use std::io::IsTerminal;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let cfg = match ctfy_standin_node::parse_args(
        std::env::args().skip(1),
        std::env::var("CTFY_NODE_INVITE").ok(),
    ) {
        Ok(Some(cfg)) => cfg,
        Ok(None) => {
            print!("{}", ctfy_standin_node::config::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{}", ctfy_standin_node::config::USAGE);
            return ExitCode::from(2);
        }
    };

    let node = match ctfy_standin_node::start(cfg).await {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %node.local_addr(), node_id = %node.node_id(), "stand-in node running");

    wait_for_signal().await;
    tracing::info!("signal received; stopping");
    node.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
