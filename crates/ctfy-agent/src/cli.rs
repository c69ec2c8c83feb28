//! The `ctfy-agent` command line: the managed harness (default) and `external -- CMD…`.
//!
//! ```text
//! ctfy-agent                      play CTFY_EVAL_CHALLENGE_ID with the model LLM_* names
//! ctfy-agent external -- CMD ARG… play it with an external agent command instead
//! ```
//!
//! The whole of stdout is the result (also written to `result.json` in `CTFY_WORK_DIR`);
//! logs go to stderr. Exit 0 with a result; exit 1 with a last stderr line
//! `{"error": "<kind>: <reason>"}` when the run failed; exit 2 for a usage error.
//!
//! A dry run (`"dry_run": true` in the brief, or `CTFY_EVAL_DRY_RUN`) writes its result with
//! stop reason `dry_run` and exits 0 without calling a model or the platform, whatever else
//! the environment lacks.

use std::path::PathBuf;
use std::time::Duration;

use ctfy::PlatformClient;

use crate::brief::{self, Brief};
use crate::harness::{self, DEFAULT_MAX_TURNS, DEFAULT_START_DEADLINE, RunError, RunOptions};
use crate::result::{self, RunResult};

/// The usage text.
pub const USAGE: &str =
    "usage: ctfy-agent                       (managed harness: the model LLM_* names)
       ctfy-agent external -- CMD [ARG...]   (an external agent command)

Environment: CTFY_PLATFORM_URL, CTFY_TOKEN, CTFY_EVAL_CHALLENGE_ID (required);
CTFY_EVAL_COMPETITION_ID, CTFY_EVAL_MAX_TURNS (default 12), CTFY_EVAL_KEEP_INSTANCE,
CTFY_EVAL_START_TIMEOUT_S (default 600), CTFY_WORK_DIR; LLM_FLAVOR (openai|anthropic),
LLM_API_KEY, LLM_MODEL, LLM_BASE_URL. external: CTFY_HARNESS_TIMEOUT_S (default 1800),
CTFY_HARNESS_USAGE_FILE.
";

/// The harness configuration read from the environment (the reference's variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `CTFY_PLATFORM_URL`.
    pub platform_url: String,
    /// `CTFY_TOKEN` (never printed).
    pub token: String,
    /// `CTFY_EVAL_CHALLENGE_ID`.
    pub challenge_id: String,
    /// `CTFY_EVAL_COMPETITION_ID` (empty: none).
    pub competition_id: String,
    /// `CTFY_EVAL_MAX_TURNS`; [`DEFAULT_MAX_TURNS`] when unset or not a number.
    pub max_turns: u32,
    /// `CTFY_EVAL_KEEP_INSTANCE`: any non-blank value.
    pub keep_instance: bool,
    /// `CTFY_EVAL_START_TIMEOUT_S`: the start's hard cap (default 600 s).
    pub start_deadline: Duration,
}

/// A configuration that cannot be used (the message names the variable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn text(get: &dyn Fn(&str) -> Option<String>, key: &str) -> String {
    get(key).map(|v| v.trim().to_owned()).unwrap_or_default()
}

impl Config {
    /// Reads the configuration through `get` (a variable lookup). When a brief is given, its
    /// challenge, competition and turn budget stand in for unset variables.
    ///
    /// # Errors
    /// A required variable is unset or blank.
    pub fn from_vars(
        get: impl Fn(&str) -> Option<String>,
        brief: Option<&Brief>,
    ) -> Result<Config, ConfigError> {
        let get: &dyn Fn(&str) -> Option<String> = &get;
        let required = |key: &str, fallback: Option<&str>| {
            let v = text(get, key);
            if !v.is_empty() {
                return Ok(v);
            }
            match fallback.filter(|f| !f.is_empty()) {
                Some(f) => Ok(f.to_owned()),
                None => Err(ConfigError(format!("{key} is not set"))),
            }
        };
        let platform_url = required("CTFY_PLATFORM_URL", None)?;
        let token = required("CTFY_TOKEN", None)?;
        let challenge_id = required(
            "CTFY_EVAL_CHALLENGE_ID",
            brief.map(|b| b.challenge.id.as_str()),
        )?;
        let mut competition_id = text(get, "CTFY_EVAL_COMPETITION_ID");
        if competition_id.is_empty() {
            competition_id = brief.map(|b| b.competition_id.clone()).unwrap_or_default();
        }
        let max_turns = text(get, "CTFY_EVAL_MAX_TURNS")
            .parse::<u32>()
            .ok()
            .or_else(|| brief.and_then(|b| b.max_turns))
            .unwrap_or(DEFAULT_MAX_TURNS);
        let start_deadline = text(get, "CTFY_EVAL_START_TIMEOUT_S")
            .parse::<u64>()
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_START_DEADLINE);
        Ok(Config {
            platform_url,
            token,
            challenge_id,
            competition_id,
            max_turns,
            keep_instance: !text(get, "CTFY_EVAL_KEEP_INSTANCE").is_empty(),
            start_deadline,
        })
    }

    /// The run options this configuration asks for.
    ///
    /// # Errors
    /// An id that is not a valid id.
    pub fn run_options(&self) -> Result<RunOptions, ConfigError> {
        let challenge = self
            .challenge_id
            .parse()
            .map_err(|e| ConfigError(format!("CTFY_EVAL_CHALLENGE_ID: {e}")))?;
        let mut options = RunOptions::new(challenge);
        if !self.competition_id.is_empty() {
            options.competition_id = Some(
                self.competition_id
                    .parse()
                    .map_err(|e| ConfigError(format!("CTFY_EVAL_COMPETITION_ID: {e}")))?,
            );
        }
        options.max_turns = self.max_turns;
        options.keep_instance = self.keep_instance;
        options.start_deadline = self.start_deadline;
        Ok(options)
    }
}

/// Whether this run is a dry run: the brief says so, or `CTFY_EVAL_DRY_RUN` is set to
/// anything but blank, `0` or `false`.
pub fn is_dry_run(get: impl Fn(&str) -> Option<String>, brief: Option<&Brief>) -> bool {
    let env = get(brief::DRY_RUN_ENV)
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    env || brief.is_some_and(|b| b.dry_run)
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The managed harness.
    Managed,
    /// An external agent command.
    External(Vec<String>),
    /// Print the usage.
    Help,
}

/// Parses the arguments (without the program name).
///
/// # Errors
/// A usage error, described.
pub fn parse_args(args: &[String]) -> Result<Command, String> {
    match args.first().map(String::as_str) {
        None => Ok(Command::Managed),
        Some("-h" | "--help" | "help") => Ok(Command::Help),
        Some("external") => {
            let rest = &args[1..];
            let cmd: Vec<String> = match rest.first().map(String::as_str) {
                Some("--") => rest[1..].to_vec(),
                _ => rest.to_vec(),
            };
            if cmd.is_empty() {
                Err("external: no command given (ctfy-agent external -- CMD [ARG...])".into())
            } else {
                Ok(Command::External(cmd))
            }
        }
        Some(other) => Err(format!("unknown argument {other:?}")),
    }
}

fn fail(kind: &str, message: &str) -> i32 {
    eprintln!("{}", result::error_line(kind, message));
    1
}

fn finish(outcome: Result<RunResult, RunError>) -> i32 {
    match outcome {
        Ok(r) => {
            harness::log(&format!(
                "done: {} solved={:?} fully_solved={} turns={} tool_calls={} tokens={}+{}",
                r.stop_reason,
                r.solved,
                r.fully_solved,
                r.turns,
                r.tool_calls_made,
                r.input_tokens,
                r.output_tokens
            ));
            result::emit(&r);
            0
        }
        Err(e) => fail(e.kind(), &e.to_string()),
    }
}

/// Runs the binary with the process's arguments and environment; returns its exit code.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse_args(&args) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            return 0;
        }
        Ok(c) => c,
        Err(e) => {
            eprintln!("ctfy-agent: {e}\n{USAGE}");
            return 2;
        }
    };
    let env = |k: &str| std::env::var(k).ok();
    // The brief, when there is one; a broken one is reported and the environment used.
    let brief = match Brief::from_env() {
        Ok(b) => b,
        Err(e) => {
            harness::log(&format!("ignoring the brief: {e}"));
            None
        }
    };
    if is_dry_run(env, brief.as_ref()) {
        let challenge = brief
            .as_ref()
            .map(|b| b.challenge.id.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| text(&env, "CTFY_EVAL_CHALLENGE_ID"));
        harness::log("dry run: writing the result, attempting nothing");
        result::emit(&RunResult::dry_run(challenge));
        return 0;
    }
    let config = match Config::from_vars(env, brief.as_ref()) {
        Ok(c) => c,
        Err(e) => return fail("ValueError", &e.0),
    };
    let options = match config.run_options() {
        Ok(o) => o,
        Err(e) => return fail("ValueError", &e.0),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail("RuntimeError", &e.to_string()),
    };
    runtime.block_on(async move {
        let client = match PlatformClient::new(&config.platform_url, &config.token) {
            Ok(c) => c,
            Err(e) => return fail("ValueError", &format!("CTFY_PLATFORM_URL: {}", e.report())),
        };
        let outcome = match command {
            Command::External(cmd) => {
                let ext = crate::external::ExternalOptions::from_vars(
                    env,
                    cmd,
                    &config.platform_url,
                    &config.token,
                );
                interruptible(crate::external::run_external(&client, &options, &ext)).await
            }
            _ => {
                let model = match crate::llm::from_env() {
                    Ok(m) => m,
                    Err(e) => return fail("ModelError", &e.to_string()),
                };
                interruptible(harness::run(&client, model.as_ref(), &options)).await
            }
        };
        // Stops of runs cut short (and the SDK's own background stops) finish before exit,
        // and before the last line, which a failed run's error line has to be.
        harness::wait_for_stops(Duration::from_secs(30)).await;
        client.shutdown(Duration::from_secs(30)).await;
        finish(outcome)
    })
}

/// Runs `run` until it ends or the process is asked to stop (Ctrl-C, SIGTERM): the run is
/// then dropped, which stops the instance it started.
async fn interruptible<F>(run: F) -> Result<RunResult, RunError>
where
    F: std::future::Future<Output = Result<RunResult, RunError>>,
{
    tokio::select! {
        outcome = run => outcome,
        signal = stop_signal() => Err(RunError::Refused(format!("interrupted by {signal}"))),
    }
}

async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// The work directory (`CTFY_WORK_DIR`), when set.
pub fn work_dir() -> Option<PathBuf> {
    brief::work_dir_from(|k| std::env::var(k).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn the_reference_variables_configure_a_run() {
        let c = Config::from_vars(
            vars(&[
                ("CTFY_PLATFORM_URL", "http://127.0.0.1:8000"),
                ("CTFY_TOKEN", "pf_x"),
                ("CTFY_EVAL_CHALLENGE_ID", " WEB-1 "),
                ("CTFY_EVAL_MAX_TURNS", "nope"),
                ("CTFY_EVAL_KEEP_INSTANCE", "true"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(c.challenge_id, "WEB-1");
        assert_eq!(c.max_turns, DEFAULT_MAX_TURNS);
        assert!(c.keep_instance);
        assert_eq!(c.competition_id, "");
        let err = Config::from_vars(vars(&[("CTFY_PLATFORM_URL", "x")]), None).unwrap_err();
        assert_eq!(err.0, "CTFY_TOKEN is not set");
    }

    #[test]
    fn dry_run_comes_from_the_brief_or_the_environment() {
        assert!(is_dry_run(vars(&[("CTFY_EVAL_DRY_RUN", "1")]), None));
        assert!(!is_dry_run(vars(&[("CTFY_EVAL_DRY_RUN", "0")]), None));
        let brief = Brief::parse(r#"{"schema_version": 2, "dry_run": true}"#).unwrap();
        assert!(is_dry_run(vars(&[]), Some(&brief)));
    }

    #[test]
    fn arguments() {
        let a = |v: &[&str]| parse_args(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(a(&[]), Ok(Command::Managed));
        assert_eq!(
            a(&["external", "--", "sh", "-c", "x"]),
            Ok(Command::External(vec![
                "sh".into(),
                "-c".into(),
                "x".into()
            ]))
        );
        assert!(a(&["external"]).is_err());
        assert!(a(&["bogus"]).is_err());
    }
}
