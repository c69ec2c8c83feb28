//! The harness scripts' own regression tests (`scripts/test-harness.sh`: slow exec, launch
//! bursts under load, pid reuse, clean-up of a failed start, ready file, TIME_WAIT ports), run
//! as part of the test command so a start-up race can never come back unnoticed.

mod cmd;

#[test]
fn harness_script_helpers_hold() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/test-harness.sh");
    cmd::run_ok(
        std::process::Command::new("bash").arg(script),
        "scripts/test-harness.sh",
    );
}
