//! The Python CLIs' command inventory (spec/python-cli.json) against the installed Python
//! package and against the Rust binaries' clap trees.
//!
//! - `inventory_matches_the_installed_python_cli`: re-runs scripts/gen_cli_inventory.py with
//!   the venv of `CTFY_VENV` (set by scripts/with-platform.sh) and compares;
//! - `generated_commands_are_current`: re-runs scripts/gen_cli.py and compares with
//!   crates/ctfy-cli/src/generated.rs;
//! - `every_in_scope_command_exists`: every in-scope command path, positional argument and
//!   option name of the inventory exists in `ctfy_cli::command(binary)`, except the commands
//!   listed in spec/cli-not-yet.tsv. The list only shrinks: a listed command that now passes
//!   fails the test until its line is removed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use clap::Command;
use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn root() -> PathBuf {
    Path::new(ROOT).canonicalize().unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ctfy-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run_ok(cmd: &mut Process, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn inventory_matches_the_installed_python_cli() {
    let Some(venv) = std::env::var_os("CTFY_VENV") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CTFY_VENV is not set under CI: run through scripts/with-platform.sh"
        );
        println!("skipped: no CTFY_VENV (run through scripts/with-platform.sh)");
        return;
    };
    let out = tmp("inventory");
    run_ok(
        Process::new(Path::new(&venv).join("bin/python"))
            .arg(root().join("scripts/gen_cli_inventory.py"))
            .arg(&out)
            .current_dir(&out),
        "scripts/gen_cli_inventory.py",
    );
    let fresh = std::fs::read_to_string(out.join("python-cli.json")).unwrap();
    let vendored = std::fs::read_to_string(root().join("spec/python-cli.json")).unwrap();
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        fresh == vendored,
        "spec/python-cli.json differs from the installed Python CLI: run \
         `.venv/bin/python scripts/gen_cli_inventory.py`, then `python3 scripts/gen_cli.py`"
    );
}

#[test]
fn generated_commands_are_current() {
    let out = tmp("gen");
    let file = out.join("generated.rs");
    run_ok(
        Process::new("python3")
            .arg(root().join("scripts/gen_cli.py"))
            .arg(&file),
        "scripts/gen_cli.py",
    );
    let fresh = std::fs::read_to_string(&file).unwrap();
    let committed =
        std::fs::read_to_string(root().join("crates/ctfy-cli/src/generated.rs")).unwrap();
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        fresh == committed,
        "crates/ctfy-cli/src/generated.rs is stale: run `python3 scripts/gen_cli.py` and commit"
    );
}

/// The subcommand of `cmd` with this exact name (aliases do not count).
fn child<'a>(cmd: &'a Command, name: &str) -> Option<&'a Command> {
    cmd.get_subcommands().find(|s| s.get_name() == name)
}

fn has_flag(cmds: &[&Command], flag: &str) -> bool {
    cmds.iter().any(|c| {
        c.get_arguments().any(|a| {
            if let Some(long) = flag.strip_prefix("--") {
                a.get_long() == Some(long)
                    || a.get_all_aliases().is_some_and(|al| al.contains(&long))
            } else {
                let ch = flag.chars().nth(1);
                a.get_short() == ch
                    || a.get_all_short_aliases()
                        .is_some_and(|al| ch.is_some_and(|c| al.contains(&c)))
            }
        })
    })
}

/// Why the Rust tree does not carry this command of the inventory, if it does not.
fn problems(root: &Command, cmd: &Value) -> Vec<String> {
    let path: Vec<&str> = cmd["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let mut chain = vec![root];
    for p in &path {
        match child(chain.last().unwrap(), p) {
            Some(c) => chain.push(c),
            None => return vec!["missing".into()],
        }
    }
    let leaf = *chain.last().unwrap();
    let mut out = Vec::new();
    let want_pos: Vec<String> = cmd["params"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "argument")
        .map(|p| p["name"].as_str().unwrap().to_uppercase())
        .collect();
    let have_pos: Vec<String> = leaf
        .get_positionals()
        .map(|a| {
            a.get_value_names()
                .and_then(|v| v.first())
                .map(|v| v.to_string())
                .unwrap_or_else(|| a.get_id().to_string().to_uppercase())
        })
        .collect();
    if want_pos != have_pos {
        out.push(format!("arguments {want_pos:?} != {have_pos:?}"));
    }
    for p in cmd["params"].as_array().unwrap() {
        if p["kind"] != "option" {
            continue;
        }
        for key in ["flags", "secondary_flags"] {
            for f in p[key].as_array().unwrap() {
                let f = f.as_str().unwrap();
                if !has_flag(&chain, f) {
                    out.push(format!("option {f}"));
                }
            }
        }
    }
    out
}

#[test]
fn every_in_scope_command_exists() {
    let inv: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("spec/python-cli.json")).unwrap(),
    )
    .unwrap();
    let listed_text =
        std::fs::read_to_string(root().join("spec/cli-not-yet.tsv")).unwrap_or_default();
    let listed: BTreeSet<(String, String)> = listed_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            (
                cols.next().unwrap_or("").to_owned(),
                cols.next().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let mut missing = Vec::new();
    let mut total = 0;
    for binary in ["ctfy", "ctfy-admin"] {
        let mut tree = ctfy_cli::command(binary);
        tree.build();
        // The root's own options (typer's --install-completion/--show-completion are the
        // `completions` command here).
        for opt in inv["binaries"][binary]["options"].as_array().unwrap() {
            for f in opt["flags"].as_array().unwrap() {
                let f = f.as_str().unwrap();
                if f.ends_with("-completion") {
                    continue;
                }
                assert!(
                    has_flag(&[&tree], f),
                    "{binary}: the root option {f} is missing"
                );
            }
        }
        for cmd in inv["commands"].as_array().unwrap() {
            if cmd["binary"] != binary || cmd["in_scope"] != true {
                continue;
            }
            total += 1;
            let why = problems(&tree, cmd);
            if !why.is_empty() {
                let path = cmd["path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" ");
                missing.push((binary.to_owned(), path, why.join("; ")));
            }
        }
    }
    let found: BTreeSet<(String, String)> = missing
        .iter()
        .map(|(b, p, _)| (b.clone(), p.clone()))
        .collect();
    let new_gaps: Vec<_> = missing
        .iter()
        .filter(|(b, p, _)| !listed.contains(&(b.clone(), p.clone())))
        .collect();
    let now_present: Vec<_> = listed.difference(&found).collect();
    let expected: String = missing
        .iter()
        .map(|(b, p, w)| format!("{b}\t{p}\t{w}\n"))
        .collect();
    println!(
        "{} of {total} in-scope commands present; {} listed as not yet",
        total - missing.len(),
        missing.len()
    );
    assert!(
        new_gaps.is_empty() && now_present.is_empty(),
        "spec/cli-not-yet.tsv is out of date.\nmissing but not listed: {new_gaps:?}\n\
         listed but present now (remove the lines): {now_present:?}\n\
         the list today would be:\n{expected}"
    );
}
