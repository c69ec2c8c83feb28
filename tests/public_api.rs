//! The public API of every published crate matches its checked-in listing (`api/*.txt`), so
//! every change to the surface shows up in review beside its CHANGELOG line.
//!
//! The listing comes from rustdoc's JSON output, read by `scripts/public_api.py` (its header
//! says why that and not a crates.io tool). When this fails and the change is meant, run
//! `python3 scripts/public_api.py` and commit the new listing with a CHANGELOG line.

use std::process::Command;

#[test]
fn the_public_api_matches_the_checked_in_listing() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg("scripts/public_api.py")
        .arg("--check")
        .current_dir(root)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the public API differs from api/*.txt:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
