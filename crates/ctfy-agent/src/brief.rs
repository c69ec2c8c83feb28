//! The brief: what the platform tells a dispatched agent, read from its work directory.
//!
//! A worker node writes `task.json` (the machine-readable contract, schema version
//! [`SCHEMA_VERSION`]), `README.md` (the same contract as prose, for a model) and, when there
//! is a platform to reach, `mcp.json` into the directory `CTFY_WORK_DIR` names (also the
//! container's working directory). [`Brief::load`] reads `task.json` from there.
//!
//! Reading is tolerant in the direction a platform upgrade needs: unknown fields are ignored
//! and a missing known field reads as its empty value, but a `schema_version` other than
//! [`SCHEMA_VERSION`] is refused ([`BriefError::UnsupportedSchema`]): a breaking change is
//! something a client has to be able to detect.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

/// The `task.json` schema version this crate reads (CTFY-0001, schema 2).
pub const SCHEMA_VERSION: u32 = 2;

/// The variable naming the work directory (the brief is in it, the result goes back in it).
pub const WORK_DIR_ENV: &str = "CTFY_WORK_DIR";

/// Where a node mounts the work directory in the container.
pub const DEFAULT_WORK_DIR: &str = "/ctfy/work";

/// The brief's file name in the work directory.
pub const TASK_FILE: &str = "task.json";

/// The prose rendering of the brief, in the work directory.
pub const README_FILE: &str = "README.md";

/// The MCP client configuration, in the work directory when there is a platform.
pub const MCP_FILE: &str = "mcp.json";

/// Set (to `1`) by the node when the run only checks the image; the same fact as
/// [`Brief::dry_run`].
pub const DRY_RUN_ENV: &str = "CTFY_EVAL_DRY_RUN";

/// Which shape of task a run is; the platform derives it from the challenge and the
/// competition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// A jeopardy challenge with an instance: find the answers, submit them. Also what an
    /// unknown mode from a newer platform reads as (the shape every challenge had first).
    #[default]
    Instance,
    /// Questions without an instance, graded through `POST /qa/submissions`.
    Qa,
    /// AWD+: the instance path plus a patch, submitted to `POST /patches`.
    Defence,
    /// A silent engagement: a scope, rules of engagement and one report; no questions.
    Engagement,
    /// A classic attack & defence match: the team's box already runs; captured flags go to
    /// `POST /competitions/{id}/awd/flags`.
    Awd,
}

impl RunMode {
    /// Every mode, in the protocol's order.
    pub const ALL: [RunMode; 5] = [
        RunMode::Instance,
        RunMode::Qa,
        RunMode::Defence,
        RunMode::Engagement,
        RunMode::Awd,
    ];

    /// The wire name (`instance`, `qa`, `defence`, `engagement`, `awd`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Instance => "instance",
            RunMode::Qa => "qa",
            RunMode::Defence => "defence",
            RunMode::Engagement => "engagement",
            RunMode::Awd => "awd",
        }
    }

    /// Reads a wire name; anything unknown (or empty) is [`RunMode::Instance`], as the
    /// platform's own reader does, so a newer platform's mode degrades to an incomplete brief
    /// rather than to none.
    pub fn from_wire(raw: &str) -> RunMode {
        match raw {
            "qa" => RunMode::Qa,
            "defence" => RunMode::Defence,
            "engagement" => RunMode::Engagement,
            "awd" => RunMode::Awd,
            _ => RunMode::Instance,
        }
    }

    /// Decides the mode from the facts the platform decides it from, in its order: a
    /// question-only challenge is `qa`, a silent competition `engagement`, a classic match
    /// `awd`, a challenge with a `patch:` block `defence`, anything else `instance`.
    pub fn resolve(
        is_qa_only: bool,
        is_silent: bool,
        in_awd_match: bool,
        defensible: bool,
    ) -> Self {
        if is_qa_only {
            RunMode::Qa
        } else if is_silent {
            RunMode::Engagement
        } else if in_awd_match {
            RunMode::Awd
        } else if defensible {
            RunMode::Defence
        } else {
            RunMode::Instance
        }
    }
}

impl std::fmt::Display for RunMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RunMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Option<String> = Option::deserialize(d)?;
        Ok(RunMode::from_wire(raw.as_deref().unwrap_or("")))
    }
}

/// Where the agent runs and who starts its target (not in `task.json`: derived).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// The agent starts its own instance and reaches a published URL.
    SelfStart,
    /// The platform started the target (an estate) and put the agent on its network.
    Bridge,
    /// The team's own match box already runs; the agent is on the match network.
    Arena,
}

/// The challenge a brief is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BriefChallenge {
    /// The challenge id.
    #[serde(deserialize_with = "lenient_string")]
    pub id: String,
    /// Its name.
    #[serde(deserialize_with = "lenient_string")]
    pub name: String,
    /// Its description.
    #[serde(deserialize_with = "lenient_string")]
    pub description: String,
}

/// One question the platform shows now (questions behind `requires:` are only counted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BriefQuestion {
    /// The question id (what a submission names).
    #[serde(deserialize_with = "lenient_string")]
    pub id: String,
    /// The prompt.
    #[serde(deserialize_with = "lenient_string")]
    pub prompt: String,
}

/// Where the result goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BriefResult {
    /// The result file's path inside the container (`result.json` in the work directory).
    #[serde(deserialize_with = "lenient_string")]
    pub path: String,
    /// Whether the node reads stdout when the file is absent. Absent means `false`: the
    /// file is required.
    pub stdout_fallback: bool,
}

/// The ceilings the sandbox enforces on this run; an absent field is not capped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Maximum processes in the whole container (the agent's own included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids: Option<u64>,
    /// The memory ceiling as docker was given it (`8g`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// The CPU quota as docker was given it (`2.0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<String>,
}

impl Limits {
    /// Whether no axis is capped.
    pub fn is_empty(&self) -> bool {
        self.pids.is_none() && self.memory.is_none() && self.cpus.is_none()
    }
}

/// `task.json`: everything the container is told about its run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Brief {
    /// The schema version ([`SCHEMA_VERSION`] once loaded).
    pub schema_version: u32,
    /// The shape of the task.
    pub run_mode: RunMode,
    /// The challenge.
    pub challenge: BriefChallenge,
    /// The competition the run is scored in (may be empty).
    #[serde(deserialize_with = "lenient_string")]
    pub competition_id: String,
    /// The questions visible now; empty for an engagement and a match, by design.
    pub questions: Vec<BriefQuestion>,
    /// How many more questions exist behind `requires:` (their prompts are withheld).
    pub gated_questions: u32,
    /// Hosts and networks in scope (engagement only).
    pub scope: Vec<String>,
    /// The standing rules of an engagement (empty otherwise).
    pub rules_of_engagement: Vec<String>,
    /// What finishing looks like, in one line.
    #[serde(deserialize_with = "lenient_string")]
    pub deliverable: String,
    /// The platform's base URL; empty on a dry run (no platform to reach).
    #[serde(deserialize_with = "lenient_string")]
    pub platform_url: String,
    /// A soft turn budget; `None` when unset (never `0`).
    pub max_turns: Option<u32>,
    /// Where the result goes.
    pub result: BriefResult,
    /// The target the platform started for this run (an estate, a match box); `None`:
    /// start your own.
    pub target_instance: Option<String>,
    /// The run only checks the image: write a result with stop reason `dry_run`, exit 0.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// The sandbox's ceilings.
    #[serde(skip_serializing_if = "Limits::is_empty")]
    pub limits: Limits,
}

impl Default for Brief {
    fn default() -> Self {
        Brief {
            schema_version: 0,
            run_mode: RunMode::Instance,
            challenge: BriefChallenge::default(),
            competition_id: String::new(),
            questions: Vec::new(),
            gated_questions: 0,
            scope: Vec::new(),
            rules_of_engagement: Vec::new(),
            deliverable: String::new(),
            platform_url: String::new(),
            max_turns: None,
            result: BriefResult::default(),
            target_instance: None,
            dry_run: false,
            limits: Limits::default(),
        }
    }
}

/// Why a brief could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BriefError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a JSON object of the brief's shape.
    #[error("{path} is not a valid brief: {message}")]
    Invalid {
        /// The file (empty when parsed from a string).
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },
    /// The brief declares no schema version.
    #[error("the brief declares no schema_version (this crate reads schema {SCHEMA_VERSION})")]
    MissingSchemaVersion,
    /// The brief's schema version is not the one this crate reads.
    #[error("the brief is schema {found}; this crate reads schema {SCHEMA_VERSION}")]
    UnsupportedSchema {
        /// The version the brief declares.
        found: u64,
    },
}

impl Brief {
    /// Parses `task.json` text: unknown fields are ignored, missing ones read as empty, the
    /// schema version must be [`SCHEMA_VERSION`].
    ///
    /// # Errors
    /// [`BriefError::Invalid`] for malformed JSON or a wrongly typed field,
    /// [`BriefError::MissingSchemaVersion`], [`BriefError::UnsupportedSchema`].
    pub fn parse(text: &str) -> Result<Brief, BriefError> {
        Self::parse_at(text, Path::new(""))
    }

    fn parse_at(text: &str, path: &Path) -> Result<Brief, BriefError> {
        let invalid = |message: String| BriefError::Invalid {
            path: path.to_owned(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let object = value
            .as_object()
            .ok_or_else(|| invalid("the top level is not an object".into()))?;
        match object.get("schema_version") {
            None | Some(serde_json::Value::Null) => return Err(BriefError::MissingSchemaVersion),
            Some(v) => match v.as_u64() {
                Some(n) if n == u64::from(SCHEMA_VERSION) => {}
                Some(n) => return Err(BriefError::UnsupportedSchema { found: n }),
                None => return Err(invalid(format!("schema_version is not a number: {v}"))),
            },
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    /// Reads `task.json` from `dir`.
    ///
    /// # Errors
    /// [`BriefError::Io`] when it cannot be read (absent included), else as [`Brief::parse`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Brief, BriefError> {
        let path = dir.as_ref().join(TASK_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| BriefError::Io {
            path: path.clone(),
            source,
        })?;
        Self::parse_at(&text, &path)
    }

    /// Reads the brief from the work directory `CTFY_WORK_DIR` names; `None` when the
    /// variable is unset or the directory holds no `task.json` (a run outside a node).
    ///
    /// # Errors
    /// As [`Brief::load`] for a `task.json` that exists but cannot be used.
    pub fn from_env() -> Result<Option<Brief>, BriefError> {
        let Some(dir) = work_dir_from(|k| std::env::var(k).ok()) else {
            return Ok(None);
        };
        match Self::load(&dir) {
            Err(BriefError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(None)
            }
            other => other.map(Some),
        }
    }

    /// Where the agent runs and who starts its target: `arena` for a match, `bridge` for an
    /// engagement or any run whose target the platform started ([`Brief::target_instance`]),
    /// `self` otherwise.
    pub fn placement(&self) -> Placement {
        match self.run_mode {
            RunMode::Awd => Placement::Arena,
            RunMode::Engagement => Placement::Bridge,
            _ if self
                .target_instance
                .as_deref()
                .is_some_and(|t| !t.is_empty()) =>
            {
                Placement::Bridge
            }
            _ => Placement::SelfStart,
        }
    }

    /// Whether the node requires the result file (it does not read stdout).
    pub fn requires_result_file(&self) -> bool {
        !self.result.stdout_fallback
    }
}

/// The work directory from an environment lookup: `CTFY_WORK_DIR` when set and not blank.
pub fn work_dir_from(env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env(WORK_DIR_ENV)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// A string field that tolerates `null` (read as empty), as the platform's reader does.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_ignored_and_missing_ones_are_empty() {
        let b = Brief::parse(r#"{"schema_version": 2, "run_mode": "qa", "new_field": {"x": 1}}"#)
            .unwrap();
        assert_eq!(b.run_mode, RunMode::Qa);
        assert!(b.questions.is_empty());
        assert!(b.requires_result_file());
        assert_eq!(b.placement(), Placement::SelfStart);
    }

    #[test]
    fn the_schema_version_is_checked() {
        assert!(matches!(
            Brief::parse(r#"{"run_mode": "qa"}"#),
            Err(BriefError::MissingSchemaVersion)
        ));
        assert!(matches!(
            Brief::parse(r#"{"schema_version": 3}"#),
            Err(BriefError::UnsupportedSchema { found: 3 })
        ));
        assert!(matches!(
            Brief::parse(r#"{"schema_version": "2"}"#),
            Err(BriefError::Invalid { .. })
        ));
        assert!(matches!(
            Brief::parse("[]"),
            Err(BriefError::Invalid { .. })
        ));
    }

    #[test]
    fn an_unknown_mode_reads_as_instance() {
        let b = Brief::parse(r#"{"schema_version": 2, "run_mode": "tournament"}"#).unwrap();
        assert_eq!(b.run_mode, RunMode::Instance);
        let b = Brief::parse(r#"{"schema_version": 2, "run_mode": null}"#).unwrap();
        assert_eq!(b.run_mode, RunMode::Instance);
    }

    #[test]
    fn resolve_follows_the_platform_order() {
        assert_eq!(RunMode::resolve(true, true, true, true), RunMode::Qa);
        assert_eq!(
            RunMode::resolve(false, true, true, true),
            RunMode::Engagement
        );
        assert_eq!(RunMode::resolve(false, false, true, true), RunMode::Awd);
        assert_eq!(
            RunMode::resolve(false, false, false, true),
            RunMode::Defence
        );
        assert_eq!(
            RunMode::resolve(false, false, false, false),
            RunMode::Instance
        );
    }
}
