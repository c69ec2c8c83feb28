//! Every crate of the workspace can be published: `cargo package --workspace` succeeds (versions
//! on every path dependency, metadata, the crates that depend on unpublished siblings resolved
//! through cargo's local overlay), and each package carries its README and both licenses and
//! stays far below crates.io's 10 MB limit.
//!
//! The packages are not compiled again here (`--no-verify`): the workspace build of the test
//! command compiles the same sources; `cargo package --workspace` without it does the full
//! check by hand.

mod cmd;

use std::path::Path;
use std::process::Command;

#[test]
fn every_crate_packages() {
    let root = env!("CARGO_MANIFEST_DIR");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("package-check");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    cmd::run_ok(
        Command::new(cargo)
            .args([
                "package",
                "--workspace",
                "--no-verify",
                "--allow-dirty",
                "--offline",
            ])
            .arg("--target-dir")
            .arg(&target)
            .current_dir(root),
        "cargo package --workspace",
    );

    let dir = target.join("package");
    let mut crates: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "crate"))
        .collect();
    crates.sort();
    let names: Vec<String> = crates
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "ctfy-0.1.0.crate",
        "ctfy-models-0.1.0.crate",
        "ctfy-transport-0.1.0.crate",
        "ctfy-client-0.1.0.crate",
        "ctfy-admin-0.1.0.crate",
        "ctfy-node-0.1.0.crate",
        "ctfy-standin-node-0.1.0.crate",
        "ctfy-cli-0.1.0.crate",
        "ctfy-agent-0.1.0.crate",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    for krate in &crates {
        let size = std::fs::metadata(krate).unwrap().len();
        assert!(size < 4 << 20, "{} is {size} bytes", krate.display());
        let list = Command::new("tar")
            .arg("tzf")
            .arg(krate)
            .output()
            .expect("tar runs");
        let files = String::from_utf8_lossy(&list.stdout);
        for f in ["README.md", "LICENSE-MIT", "LICENSE-APACHE", "Cargo.toml"] {
            assert!(
                files
                    .lines()
                    .any(|l| l.ends_with(&format!("/{f}")) && l.matches('/').count() == 1),
                "{} lacks {f}:\n{files}",
                krate.display()
            );
        }
    }
}
