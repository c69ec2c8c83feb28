//! The binary without a platform: the dry run (the platform's conformance probe) and the
//! failure forms.

mod support;

use std::path::Path;

use serde_json::Value;
use support::live::{run_binary, temp_dir};

#[tokio::test]
async fn a_dry_run_writes_its_result_and_exits_zero_in_a_bare_environment() {
    let work = temp_dir("dry");
    let brief =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/agent-briefs/dry-run/task.json");
    std::fs::copy(brief, work.join("task.json")).unwrap();
    let out = run_binary(&[], &[], Some(&work)).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("result.json")).unwrap()).unwrap();
    assert_eq!(printed, file);
    assert_eq!(file["stop_reason"], "dry_run");
    assert_eq!(file["schema_version"], 2);
    assert_eq!(file["challenge_id"], "WEB-001");
    std::fs::remove_dir_all(&work).ok();

    // CTFY_EVAL_DRY_RUN alone, without a work directory: stdout only.
    let out = run_binary(&[], &[("CTFY_EVAL_DRY_RUN".into(), "1".into())], None).await;
    assert_eq!(out.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["stop_reason"], "dry_run");
}

#[tokio::test]
async fn a_missing_variable_is_a_failed_run_with_the_error_line() {
    let out = run_binary(
        &[],
        &[("CTFY_PLATFORM_URL".into(), "http://127.0.0.1:9".into())],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(last["error"], "ValueError: CTFY_TOKEN is not set");
}

#[tokio::test]
async fn a_missing_model_key_is_a_failed_run_that_never_prints_it() {
    let vars = [
        ("CTFY_PLATFORM_URL", "http://127.0.0.1:9"),
        ("CTFY_TOKEN", "pf_secret_token_value"),
        ("CTFY_EVAL_CHALLENGE_ID", "WEB-1"),
        ("LLM_FLAVOR", "openai"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let out = run_binary(&[], &vars, None).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .starts_with(r#"{"error":"ModelError: "#),
        "{stderr}"
    );
    assert!(!stderr.contains("pf_secret_token_value"));
}

#[tokio::test]
async fn usage_errors_exit_two() {
    let out = run_binary(&["bogus"], &[], None).await;
    assert_eq!(out.status.code(), Some(2));
    let out = run_binary(&["external"], &[], None).await;
    assert_eq!(out.status.code(), Some(2));
}
