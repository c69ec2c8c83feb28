//! # ctfy-cli: the `ctfy` command line and MCP server
//!
//! A command line for players and operators of the ctfy CTF platform, and a stdio
//! [Model Context Protocol](https://modelcontextprotocol.io) server (`ctfy mcp`) whose tools
//! carry the same names and parameters as the Python package's `ctfy mcp`, so an agent's
//! configuration can switch between the two binaries unchanged. Both are built on the
//! ctfy-rs SDK ([`ctfy::PlatformClient`], [`ctfy::AdminClient`]).
//!
//! ## Configuration
//!
//! - the server URL: `--url`, else `CTFY_PLATFORM_URL`, else `CTFY_URL`;
//! - the token: `--token`, else `CTFY_TOKEN` (a `pf_` API token or a `pt_` session token;
//!   anonymous without one). Admin commands and token management need a `pt_` session;
//! - optionally `CTFY_SESSION_TOKEN`, a `pt_` session used only for the event stream.
//!
//! The token is never printed, not even in error messages.
//!
//! ## Output
//!
//! Human-readable tables by default; `--json` (accepted anywhere on the command line) prints
//! the SDK's models as JSON instead: listings as the platform's page envelope
//! (`{"items": [...], "total": n, "limit": n, "offset": n}`, i.e. [`ctfy::Page`]), single
//! objects as themselves. Progress (the spinner while an instance starts) goes to stderr.
//!
//! ## Exit codes
//!
//! A script can branch on these (they are also listed at the end of `ctfy --help`):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the call worked but the outcome is negative: a wrong answer (`submit`, `verify`, `qa answer`), an instance that failed to start |
//! | 2 | usage: bad arguments, no server URL configured |
//! | 3 | authentication or permission: the platform answered 401 or 403 (missing, invalid, expired or revoked token; not registered; not an admin; a `pf_` token where a session is required) |
//! | 4 | not found: the platform answered 404 (unknown instance, challenge, competition…) |
//! | 5 | rate limited or transient: 429, 502/503/504, connection failures and timeouts; trying again later may work |
//! | 6 | any other error: another API error (400, 409, 422, 500…), an undecodable answer, a local I/O error |
//!
//! Error messages go to stderr and show the platform's own `code` and `detail`, e.g.
//! `error: HTTP 404 instance_not_found: Instance 123 not found (GET /api/v1/instances/123/status)`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admin;
pub mod cli;
pub mod commands;
pub mod credentials;
pub mod exit;
pub mod gen_support;
pub mod generated;
pub mod hand;
pub mod mcp;
pub mod output;

use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches};

/// The whole command tree of `binary` (`ctfy` or `ctfy-admin`): today's commands (for `ctfy`),
/// then the hand-written and the generated commands with the Python CLIs' paths.
pub fn command(binary: &str) -> clap::Command {
    let mut root = if binary == "ctfy-admin" {
        cli::GlobalOpts::augment_args(
            clap::Command::new("ctfy-admin")
                .about("ctfy-admin: operate a ctfy platform (users, competitions, challenges, instances, nodes…) from a terminal.")
                .version(env!("CARGO_PKG_VERSION"))
                .propagate_version(true)
                .subcommand_required(true)
                .arg_required_else_help(true)
                .after_help(exit::HELP_AFTER),
        )
    } else {
        cli::Cli::command()
    };
    for (b, parent, cmd) in hand::commands().into_iter().chain(generated::commands()) {
        if b == binary {
            root = gen_support::graft(root, b, parent, cmd);
        }
    }
    root
}

/// Runs the `ctfy-admin` binary (see [`main`]).
pub fn admin_main() -> ExitCode {
    run_binary("ctfy-admin")
}

/// Runs the `ctfy` binary: parses the command line, runs the command and turns its result
/// into one of the documented [exit codes](crate#exit-codes).
pub fn main() -> ExitCode {
    run_binary("ctfy")
}

fn run_binary(binary: &'static str) -> ExitCode {
    let matches = match command(binary).try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            // Help and version go to stdout with 0; real usage errors exit with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let (path, leaf) = gen_support::leaf(&matches);
    let key = format!("{binary} {}", path.join(" "));
    let ctx = gen_support::Ctx::from_matches(leaf, binary);
    if binary == "ctfy"
        && path.first().map(String::as_str) == Some("completions")
        && let Ok(cli::Cli {
            command: cli::Command::Completions { shell },
            ..
        }) = cli::Cli::from_arg_matches(&matches)
    {
        cli::print_completions(shell);
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(exit::OTHER);
        }
    };
    let code = runtime.block_on(async {
        let done = match hand::run(&key, leaf, &ctx).await {
            Some(r) => Some(r),
            None => generated::run(&key, leaf, &ctx).await,
        };
        match done {
            Some(Ok(())) => exit::OK,
            Some(Err(e)) => {
                eprintln!("error: {e}");
                e.exit_code()
            }
            None if binary == "ctfy" => match cli::Cli::from_arg_matches(&matches) {
                Ok(cli) => commands::run(cli).await,
                Err(e) => {
                    let _ = e.print();
                    exit::USAGE
                }
            },
            None => {
                eprintln!("error: {key}: not a command");
                exit::USAGE
            }
        }
    });
    // Do not wait for lingering blocking reads (stdin of the MCP server, for one).
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    ExitCode::from(code)
}
