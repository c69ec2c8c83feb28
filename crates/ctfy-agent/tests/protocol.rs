//! The protocol against the platform's own code: briefs rendered by the Python package
//! (vendored in `spec/agent-briefs/` by `scripts/vendor_agent_briefs.py`) parse into the Rust
//! types, and result files written by Rust are read by the node's own reader
//! (`ctfy.providers.docker_provider.harness.read_rollup_file`) through the platform's
//! virtualenv.

use std::path::{Path, PathBuf};
use std::process::Command;

use ctfy_agent::brief::{Brief, Placement, RunMode};
use ctfy_agent::result::{Answer, RunResult, StopReason, emit_to};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn briefs() -> Vec<(String, Brief, serde_json::Value)> {
    let dir = root().join("spec/agent-briefs");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("spec/agent-briefs") {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let brief = Brief::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let raw: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path.join("task.json")).unwrap())
                .unwrap();
        out.push((name, brief, raw));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_vendored_brief_parses_and_covers_every_mode() {
    let all = briefs();
    assert!(all.len() >= 8, "{} briefs", all.len());
    for mode in RunMode::ALL {
        assert!(
            all.iter().any(|(_, b, _)| b.run_mode == mode),
            "no vendored brief of mode {mode}"
        );
    }
    for (name, brief, raw) in &all {
        assert_eq!(brief.schema_version, 2, "{name}");
        assert_eq!(brief.run_mode.as_str(), raw["run_mode"], "{name}");
        assert_eq!(brief.challenge.id, raw["challenge"]["id"], "{name}");
        assert_eq!(
            brief.questions.len(),
            raw["questions"].as_array().unwrap().len()
        );
        assert_eq!(
            brief.max_turns.map(u64::from),
            raw["max_turns"].as_u64(),
            "{name}"
        );
        assert_eq!(brief.deliverable, raw["deliverable"], "{name}");
        assert!(!brief.result.path.is_empty(), "{name}");
        // Re-serialized, the brief says what the platform wrote (the same keys and values).
        let again = serde_json::to_value(brief).unwrap();
        for (key, value) in raw.as_object().unwrap() {
            assert_eq!(&again[key], value, "{name}: {key}");
        }
        assert!(
            root()
                .join("spec/agent-briefs")
                .join(name)
                .join("README.md")
                .exists(),
            "{name}: README.md"
        );
    }
}

#[test]
fn each_mode_reads_as_the_platform_wrote_it() {
    let all = briefs();
    let get = |n: &str| all.iter().find(|(name, ..)| name == n).unwrap().1.clone();

    let instance = get("instance");
    assert_eq!(instance.placement(), Placement::SelfStart);
    assert_eq!(instance.questions[0].id, "flag");
    assert_eq!(instance.max_turns, Some(30));
    assert!(instance.requires_result_file());
    assert!(!instance.dry_run);

    let qa = get("qa");
    assert_eq!(qa.run_mode, RunMode::Qa);
    assert_eq!(qa.questions.len(), 2);
    assert!(qa.deliverable.contains("/qa/submissions"));

    assert_eq!(get("defence").run_mode, RunMode::Defence);
    assert!(get("defence").deliverable.contains("/patches"));

    let engagement = get("engagement");
    assert_eq!(engagement.placement(), Placement::Bridge);
    assert!(engagement.questions.is_empty());
    assert_eq!(engagement.scope, ["shop.retail.lab", "10.10.0.0/24"]);
    assert_eq!(engagement.rules_of_engagement.len(), 4);
    assert_eq!(engagement.target_instance.as_deref(), Some("inst-7f3a"));
    assert_eq!(engagement.max_turns, None);
    assert_eq!(engagement.limits.pids, Some(512));
    assert_eq!(engagement.limits.memory.as_deref(), Some("8g"));
    assert_eq!(engagement.limits.cpus.as_deref(), Some("2.0"));

    let awd = get("awd");
    assert_eq!(awd.placement(), Placement::Arena);
    assert_eq!(awd.target_instance.as_deref(), Some("arena-box-3"));

    let gated = get("gated");
    assert_eq!(gated.gated_questions, 2);
    assert_eq!(gated.questions.len(), 1);

    let dry = get("dry-run");
    assert!(dry.dry_run);
    assert!(dry.platform_url.is_empty());
    assert!(!root().join("spec/agent-briefs/dry-run/mcp.json").exists());

    let fallback = get("stdout-fallback");
    assert!(!fallback.requires_result_file());
    assert_eq!(fallback.limits.memory.as_deref(), Some("2g"));
    assert_eq!(fallback.limits.pids, None);
}

fn venv_python() -> Option<PathBuf> {
    let python = root().join(".venv/bin/python");
    if python.exists() {
        Some(python)
    } else {
        eprintln!(
            "skipped: no platform virtualenv at {} (scripts/platform-up.sh installs it)",
            python.display()
        );
        None
    }
}

/// Runs `code` with the platform's Python; its stdout.
fn python(code: &str, args: &[&str]) -> Option<String> {
    let python = venv_python()?;
    let out = Command::new(python)
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

const READ_ROLLUP: &str = r#"
import json, sys
from ctfy.providers.docker_provider.harness import read_rollup_file
from ctfy.core.agent_result import clip_writeup
read = read_rollup_file(sys.argv[1])
rollup = read.rollup or {}
print(json.dumps({
    "reading": str(read.reading),
    "detail": read.detail,
    "rollup": read.rollup,
    # What the platform files from it (ctfy.server.eval_runs reads these keys).
    "solved_is_list": isinstance(rollup.get("solved"), list),
    "answers_is_dict": isinstance(rollup.get("answers"), dict),
    "writeup": clip_writeup(rollup.get("writeup")),
    "has_schema_version": "schema_version" in rollup,
}))
"#;

#[test]
fn the_nodes_own_reader_reads_what_rust_writes() {
    let dir = std::env::temp_dir().join(format!("ctfy-agent-result-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut result = RunResult::new("CTFYRS-WEB-001", StopReason::MaxTurns);
    result.instance_id = "inst-1".into();
    result.solved = vec!["flag".into(), "q2".into()];
    result.fully_solved = true;
    result.input_tokens = 1234;
    result.output_tokens = 56;
    result.turns = 7;
    result.tool_calls_made = 9;
    result
        .answers
        .insert("q3".into(), Answer::One("FLAG{x}".into()));
    result
        .answers
        .insert("q4".into(), Answer::Many(vec!["a".into(), "b".into()]));
    result.writeup = Some("Found the cookie.\n\"quoted\" ünïcode".into());
    let mut stdout = Vec::new();
    emit_to(&result, Some(&dir), &mut stdout);
    let Some(out) = python(READ_ROLLUP, &[dir.to_str().unwrap()]) else {
        return;
    };
    let seen: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(seen["reading"], "ok", "{seen}");
    assert_eq!(seen["solved_is_list"], true);
    assert_eq!(seen["answers_is_dict"], true);
    assert_eq!(seen["has_schema_version"], true);
    assert_eq!(seen["writeup"], "Found the cookie.\n\"quoted\" ünïcode");
    let rollup = &seen["rollup"];
    assert_eq!(rollup["input_tokens"], 1234);
    assert_eq!(rollup["stop_reason"], "max_turns");
    assert_eq!(rollup["answers"]["q4"], serde_json::json!(["a", "b"]));
    // The same JSON on stdout.
    let printed: serde_json::Value =
        serde_json::from_slice(&stdout).expect("stdout is one JSON object");
    assert_eq!(&printed, rollup);
    // A dry run's result, too.
    emit_to(&RunResult::dry_run("X"), Some(&dir), &mut Vec::new());
    let out = python(READ_ROLLUP, &[dir.to_str().unwrap()]).unwrap();
    let seen: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(seen["reading"], "ok");
    assert_eq!(seen["rollup"]["stop_reason"], "dry_run");
    assert_eq!(seen["writeup"], "");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_platforms_own_parser_reads_the_briefs_rust_reads() {
    // brief_from_json (what a node does with the platform's manifest) agrees with the Rust
    // reading of each vendored brief on the fields both carry.
    const READ: &str = r#"
import json, sys
from ctfy.core.agent_brief import brief_from_json
b = brief_from_json(json.load(open(sys.argv[1])))
print(json.dumps({"run_mode": b.run_mode, "placement": b.placement, "dry_run": b.dry_run,
                  "requires_result_file": b.requires_result_file,
                  "gated": b.gated_questions, "target": b.target_instance}))
"#;
    for (name, brief, _) in briefs() {
        let path = root()
            .join("spec/agent-briefs")
            .join(&name)
            .join("task.json");
        let Some(out) = python(READ, &[path.to_str().unwrap()]) else {
            return;
        };
        let seen: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(seen["run_mode"], brief.run_mode.as_str(), "{name}");
        assert_eq!(seen["dry_run"], brief.dry_run, "{name}");
        assert_eq!(
            seen["requires_result_file"],
            brief.requires_result_file(),
            "{name}"
        );
        assert_eq!(seen["gated"], brief.gated_questions, "{name}");
        assert_eq!(
            seen["target"],
            brief.target_instance.clone().unwrap_or_default(),
            "{name}"
        );
        // The platform derives placement from the challenge's topology, which task.json
        // does not carry; the Rust side derives it from the mode and the target.
        let rust = match brief.placement() {
            Placement::SelfStart => "self",
            Placement::Bridge => "bridge",
            Placement::Arena => "arena",
        };
        if seen["placement"] != rust {
            assert_eq!(seen["placement"], "self", "{name}");
            assert_eq!(rust, "bridge", "{name}: a started target means bridge");
        }
    }
}
