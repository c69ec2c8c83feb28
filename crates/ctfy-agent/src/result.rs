//! The result: the JSON rollup an agent hands back (CTFY-0001 §3).
//!
//! It goes to `result.json` in the work directory *and*, as the whole of stdout, to the node
//! ([`emit`]): the file is what the node reads, stdout what older nodes read when the file
//! is absent. A failed write is not a failed run. A run that failed prints no rollup; it
//! exits 1 with a last stderr line `{"error": "…"}` ([`error_line`]).
//!
//! None of the rollup is graded: the platform reads the solved set from its own records and
//! counts tokens at its gateway when it has one. What it does read is typed here: the keys
//! the reference harness writes, plus `schema_version` (the platform's conformance probe
//! asks for it), and the optional `answers` (submitted for the agent when the run ends) and
//! `writeup`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::brief::SCHEMA_VERSION;
use crate::model::TokenUsage;

/// The result's file name in the work directory.
pub const RESULT_FILE: &str = "result.json";

/// Why a run ended, as the rollup's `stop_reason` carries it.
///
/// The reference harness's values, plus `dry_run` (the protocol's answer to a dry-run
/// brief). A round-based match reports the reason its loop stopped, which is one of the
/// platform's own match reasons: [`StopReason::Other`] carries those.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// The model finished: a turn without tool calls.
    Final,
    /// The turn budget ran out.
    MaxTurns,
    /// The caller's budget said stop between turns.
    Halted,
    /// The model's last turn was cut off by its output limit.
    CutOff,
    /// The model refused.
    Refused,
    /// A dry run: nothing was attempted.
    DryRun,
    /// Any other reason (written as is).
    Other(String),
}

impl StopReason {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            StopReason::Final => "final",
            StopReason::MaxTurns => "max_turns",
            StopReason::Halted => "halted",
            StopReason::CutOff => "cut_off",
            StopReason::Refused => "refused",
            StopReason::DryRun => "dry_run",
            StopReason::Other(s) => s,
        }
    }

    /// Reads a wire value.
    pub fn from_wire(s: &str) -> StopReason {
        match s {
            "final" => StopReason::Final,
            "max_turns" => StopReason::MaxTurns,
            "halted" => StopReason::Halted,
            "cut_off" => StopReason::CutOff,
            "refused" => StopReason::Refused,
            "dry_run" => StopReason::DryRun,
            other => StopReason::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for StopReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StopReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(StopReason::from_wire(&String::deserialize(d)?))
    }
}

/// An answer handed over in the result's `answers` map: one string, or several for a
/// multi-select question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// One string.
    One(String),
    /// Several strings (multi-select).
    Many(Vec<String>),
}

/// The rollup: `result.json`, and the whole of stdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The protocol schema the result follows ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The challenge played.
    pub challenge_id: String,
    /// The instance the run started (empty when it started none: QA, a match, a dry run).
    pub instance_id: String,
    /// The question ids solved, as the platform's records say (never the model's word).
    pub solved: Vec<String>,
    /// Whether the challenge is fully solved.
    pub fully_solved: bool,
    /// Tokens the model read, over the run.
    pub input_tokens: u64,
    /// Tokens the model wrote, over the run.
    pub output_tokens: u64,
    /// Model turns taken.
    pub turns: u32,
    /// Tool calls run.
    pub tool_calls_made: u32,
    /// Why the run ended.
    pub stop_reason: StopReason,
    /// Answers for the platform to submit when the run ends, keyed by question id (only
    /// written when there are some).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub answers: BTreeMap<String, Answer>,
    /// An optional account of the run, stored (clipped) with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writeup: Option<String>,
}

impl RunResult {
    /// An empty result for `challenge_id` with `stop_reason`.
    pub fn new(challenge_id: impl Into<String>, stop_reason: StopReason) -> RunResult {
        RunResult {
            schema_version: SCHEMA_VERSION,
            challenge_id: challenge_id.into(),
            instance_id: String::new(),
            solved: Vec::new(),
            fully_solved: false,
            input_tokens: 0,
            output_tokens: 0,
            turns: 0,
            tool_calls_made: 0,
            stop_reason,
            answers: BTreeMap::new(),
            writeup: None,
        }
    }

    /// What a dry run writes: nothing attempted, stop reason `dry_run`.
    pub fn dry_run(challenge_id: impl Into<String>) -> RunResult {
        RunResult::new(challenge_id, StopReason::DryRun)
    }

    /// The token usage as a [`TokenUsage`].
    pub fn usage(&self) -> TokenUsage {
        TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
        }
    }

    /// The JSON text (one line).
    pub fn to_json(&self) -> String {
        // A struct of strings, numbers and maps with string keys always serializes.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// What [`emit`] did with the file.
#[derive(Debug)]
pub enum Written {
    /// Written to this path.
    File(PathBuf),
    /// No work directory was given: stdout only.
    NoWorkDir,
    /// The write failed (stdout still carries the result).
    Failed(PathBuf, std::io::Error),
}

/// Writes `result.json` into `work_dir` (when given), then prints the same JSON as the
/// whole of `stdout`. A failed write is reported, not raised: the run happened.
pub fn emit_to(result: &RunResult, work_dir: Option<&Path>, stdout: &mut dyn Write) -> Written {
    let body = result.to_json();
    let written = match work_dir {
        None => Written::NoWorkDir,
        Some(dir) => {
            let path = dir.join(RESULT_FILE);
            match std::fs::write(&path, &body) {
                Ok(()) => Written::File(path),
                Err(e) => Written::Failed(path, e),
            }
        }
    };
    let _ = writeln!(stdout, "{body}");
    let _ = stdout.flush();
    written
}

/// [`emit_to`] the process's stdout, the work directory from `CTFY_WORK_DIR`; a failed write
/// is logged to stderr.
pub fn emit(result: &RunResult) -> Written {
    let dir = crate::brief::work_dir_from(|k| std::env::var(k).ok());
    let written = emit_to(result, dir.as_deref(), &mut std::io::stdout().lock());
    if let Written::Failed(path, e) = &written {
        eprintln!(
            "ctfy-agent: could not write {} ({e}); the result is on stdout",
            path.display()
        );
    }
    written
}

/// The last stderr line of a failed run, as the reference writes it:
/// `{"error": "<kind>: <message>"}`.
pub fn error_line(kind: &str, message: &str) -> String {
    serde_json::json!({ "error": format!("{kind}: {message}") }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rollup_has_the_reference_keys_and_the_schema_version() {
        let mut r = RunResult::new("WEB-1", StopReason::Final);
        r.solved = vec!["flag".into()];
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "challenge_id",
                "fully_solved",
                "input_tokens",
                "instance_id",
                "output_tokens",
                "schema_version",
                "solved",
                "stop_reason",
                "tool_calls_made",
                "turns"
            ]
        );
        assert_eq!(v["schema_version"], 2);
        assert_eq!(v["stop_reason"], "final");
        let back: RunResult = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn a_failed_write_still_prints() {
        let r = RunResult::dry_run("X");
        let mut out = Vec::new();
        let w = emit_to(&r, Some(Path::new("/nonexistent/dir")), &mut out);
        assert!(matches!(w, Written::Failed(..)));
        assert_eq!(String::from_utf8(out).unwrap().trim(), r.to_json());
    }

    #[test]
    fn the_error_line_is_one_json_object() {
        let line = error_line("ValueError", "CTFY_TOKEN is not set");
        assert_eq!(line, r#"{"error":"ValueError: CTFY_TOKEN is not set"}"#);
    }
}
