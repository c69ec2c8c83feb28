//! Generated code is current: the generators, run on a copy of `scripts/` and `spec/` (what a
//! fresh clone has), produce exactly the files in the tree. With the local platform's virtualenv
//! (`CTFY_VENV`, exported by `scripts/with-platform.sh`), `scripts/regen_spec.py` also
//! re-derives `spec/openapi*.json` from the installed platform and must match them.
//!
//! When this fails, run `python3 scripts/gen_models.py && python3 scripts/gen_client.py`
//! (after `scripts/regen-spec.sh` when the spec moved) and commit the result.

mod cmd;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every file or directory the generators write, relative to the root.
const OUTPUTS: &[&str] = &[
    "crates/ctfy-models/src/platform",
    "crates/ctfy-models/src/node.rs",
    "crates/ctfy-models/src/query.rs",
    "crates/ctfy-models/tests/support/schemas.rs",
    "crates/ctfy-client/src/generated",
    "crates/ctfy-admin/src/generated",
    "crates/ctfy-node/src/generated",
    "tests/wiremock.rs",
    "tests/wiremock/gen_*",
    "tests/fixtures/examples.json",
    "docs/METHODS.md",
    "docs/methods.tsv",
];

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Files under `path` (itself when it is a file; `dir/prefix*` for the files of `dir` whose
/// names start with `prefix`), relative to `base`.
fn files(base: &Path, path: &str) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    if let Some(pattern) = path.strip_suffix('*') {
        let (dir, prefix) = pattern.rsplit_once('/').unwrap();
        for e in std::fs::read_dir(base.join(dir)).into_iter().flatten() {
            let e = e.unwrap();
            if e.file_name().to_string_lossy().starts_with(prefix) {
                out.insert(e.path().strip_prefix(base).unwrap().to_owned());
            }
        }
        return out;
    }
    let mut todo = vec![base.join(path)];
    while let Some(p) = todo.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                todo.push(e.unwrap().path());
            }
        } else if p.exists() {
            out.insert(p.strip_prefix(base).unwrap().to_owned());
        }
    }
    out
}

fn differences(a: &Path, b: &Path, paths: &[&str]) -> Vec<String> {
    let mut diffs = Vec::new();
    for p in paths {
        let (fa, fb) = (files(a, p), files(b, p));
        for f in fa.symmetric_difference(&fb) {
            let side = if fa.contains(f) {
                "only in the tree"
            } else {
                "only regenerated"
            };
            diffs.push(format!("{}: {side}", f.display()));
        }
        for f in fa.intersection(&fb) {
            if std::fs::read(a.join(f)).unwrap() != std::fs::read(b.join(f)).unwrap() {
                diffs.push(format!("{}: differs", f.display()));
            }
        }
    }
    diffs
}

#[test]
fn generators_reproduce_the_tree() {
    let tmp = std::env::temp_dir().join(format!("ctfy-regen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let root = Path::new(ROOT);
    copy_dir(&root.join("scripts"), &tmp.join("scripts"));
    copy_dir(&root.join("spec"), &tmp.join("spec"));
    for d in ["crates/ctfy-models/src", "crates/ctfy-node/src"] {
        std::fs::create_dir_all(tmp.join(d)).unwrap();
    }
    for script in ["gen_models.py", "gen_client.py"] {
        cmd::run_ok(
            Command::new("python3")
                .arg(tmp.join("scripts").join(script))
                .current_dir(&tmp),
            script,
        );
    }
    let diffs = differences(root, &tmp, OUTPUTS);
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        diffs.is_empty(),
        "generated files are stale (run the generators and commit):\n{}",
        diffs.join("\n")
    );
}

#[test]
fn spec_matches_the_installed_platform() {
    let Some(venv) = std::env::var_os("CTFY_VENV") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CTFY_VENV is not set under CI: run through scripts/with-platform.sh"
        );
        println!("skipped: no CTFY_VENV (run through scripts/with-platform.sh)");
        return;
    };
    let tmp = std::env::temp_dir().join(format!("ctfy-regen-spec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("spec")).unwrap();
    cmd::run_ok(
        Command::new(Path::new(&venv).join("bin/python"))
            .arg(Path::new(ROOT).join("scripts/regen_spec.py"))
            .arg(tmp.join("spec"))
            .current_dir(&tmp),
        "scripts/regen_spec.py",
    );
    let diffs = differences(
        Path::new(ROOT),
        &tmp,
        &["spec/openapi.json", "spec/openapi-node.json"],
    );
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        diffs.is_empty(),
        "spec/ differs from the installed platform (run scripts/regen-spec.sh):\n{}",
        diffs.join("\n")
    );
}
