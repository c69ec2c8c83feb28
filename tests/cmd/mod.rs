//! Running a tool from a root test: one place that runs a command, fails the test with its
//! whole output when it fails, and hands back what it printed when it succeeds.

use std::process::{Command, Output};

/// Runs `cmd` to completion; panics, naming `what` and showing stdout and stderr, when it
/// cannot start or exits unsuccessfully.
pub fn run_ok(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
