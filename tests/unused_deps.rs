//! Every dependency a manifest of the workspace declares is named by a source file of its
//! package (`name::…`, `use name`, `extern crate name`), as `cargo machete` checks it. An
//! entry needed only for its features or a link goes in the manifest's
//! `[package.metadata.cargo-machete] ignored = [..]` list, with a comment saying why (the same
//! list `cargo machete` reads).
//!
//! A test rather than `cargo machete` in CI: installing cargo-machete builds ~100 crates
//! (3 min 42 s on the 2-core CI machine), while this check reads a few hundred files in
//! milliseconds and runs with the test command.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `.rs` files under `dir`, other packages (`crates/` of the root package), `target` and
/// hidden folders left out.
fn sources(dir: &Path, package_root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let nested_package = path != package_root && path.join("Cargo.toml").exists();
            if !name.starts_with('.') && name != "target" && !nested_package {
                sources(&path, package_root, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The dependency keys of a manifest's `[dependencies]`, `[dev-dependencies]` and
/// `[build-dependencies]` tables (target-specific ones included), and its ignore list.
fn declared(manifest: &str) -> (Vec<String>, Vec<String>) {
    let mut deps = Vec::new();
    let mut ignored = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let table = line.trim_matches(['[', ']']);
            // `[workspace.dependencies]` only sets versions for the members' entries.
            in_deps = table == "dependencies"
                || table == "dev-dependencies"
                || table == "build-dependencies"
                || (table.starts_with("target.")
                    && (table.ends_with(".dependencies") || table.ends_with(".dev-dependencies")));
            assert!(
                !table.starts_with("dependencies.") && !table.starts_with("dev-dependencies."),
                "[{table}]: this check reads inline entries only"
            );
            continue;
        }
        if let Some(list) = line.strip_prefix("ignored") {
            let list = list.trim_start().trim_start_matches('=').trim();
            ignored.extend(
                list.trim_matches(['[', ']'])
                    .split(',')
                    .map(|s| s.trim().trim_matches('"').to_owned())
                    .filter(|s| !s.is_empty()),
            );
            continue;
        }
        if in_deps && !line.starts_with('#') && !line.is_empty() {
            let key: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if !key.is_empty() {
                deps.push(key);
            }
        }
    }
    (deps, ignored)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `text` names the crate `name` (underscored): `name::`, `use name`, `extern crate
/// name`.
fn names(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = &text[i + name.len()..];
        if before.is_some_and(is_ident) || after.starts_with(is_ident) {
            return false;
        }
        let head = text[..i].trim_end();
        after.starts_with("::") || head.ends_with("use") || head.ends_with("extern crate")
    })
}

#[test]
fn the_matcher_matches_what_it_should() {
    assert!(names("use futures::StreamExt;", "futures"));
    assert!(names("let x = serde_json::json!({});", "serde_json"));
    assert!(names("use ctfy as sdk;", "ctfy"));
    assert!(names("/// use ctfy::testing::MockPlatform;", "ctfy"));
    assert!(!names("use serde_json::Value;", "serde"));
    assert!(!names("let bytes = body.len();", "bytes"));
    assert!(!names("attachment_bytes::x", "bytes"));
    let (deps, ignored) = declared(
        "[dependencies]\na.workspace = true\nb-c = { version = \"1\" }\n# d = \"1\"\n\
         [features]\nx = []\n[dev-dependencies]\ne = \"1\"\n\
         [workspace.dependencies]\nf = \"1\"\n\
         [package.metadata.cargo-machete]\nignored = [\"b-c\"]\n",
    );
    assert_eq!(deps, ["a", "b-c", "e"]);
    assert_eq!(ignored, ["b-c"]);
}

#[test]
fn every_declared_dependency_is_used() {
    let mut manifests = vec![root().to_path_buf()];
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        manifests.push(entry.unwrap().path());
    }
    let mut unused = Vec::new();
    let mut checked = 0;
    for dir in manifests {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let (deps, ignored) = declared(&manifest);
        let mut files = Vec::new();
        sources(&dir, &dir, &mut files);
        let texts: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        for dep in deps {
            checked += 1;
            if ignored.contains(&dep) {
                continue;
            }
            let name = dep.replace('-', "_");
            if !texts.iter().any(|t| names(t, &name)) {
                unused.push(format!("{}: {dep}", dir.join("Cargo.toml").display()));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} entries read: the parser lost its way"
    );
    assert!(
        unused.is_empty(),
        "declared but named by no source file of the package:\n{}",
        unused.join("\n")
    );
}
