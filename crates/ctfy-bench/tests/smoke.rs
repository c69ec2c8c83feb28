//! The benchmark runs (quick mode) and reports every operation. Timings are never asserted.

#[test]
fn the_benchmark_runs_and_reports_every_operation() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ctfy-bench"))
        .env("CTFY_BENCH_QUICK", "1")
        .env_remove("CTFY_BENCH_OPS")
        .output()
        .expect("run ctfy-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for op in [
        "| health (",
        "| instance status (",
        " challenges (",
        "-row scoreboard (",
        " in flight, one client",
        "| SSE, ",
        "Decode only",
        "Client construction",
        "Peak RSS",
        "SSE memory over",
        "done in",
    ] {
        assert!(stdout.contains(op), "missing {op:?} in:\n{stdout}");
    }
}
