//! End to end: the `ctfy-agent` binary plays real challenges of the local platform
//! (`scripts/with-platform.sh cargo test -p ctfy-agent`) with a scripted model server
//! speaking the OpenAI and Anthropic streaming APIs; the platform's own records are checked
//! afterwards, and no instance is left running. Without a platform the tests are skipped.

mod support;

use std::sync::Arc;

use serde_json::{Value, json};
use support::live::{
    Player, binary_command, example_command, fresh_player, live, run_binary, temp_dir,
};
use support::model_server::{Action, INPUT_TOKENS, ModelServer, OUTPUT_TOKENS, Seen};

fn base_env(live: &support::live::Live, player: &Player, challenge: &str) -> Vec<(String, String)> {
    vec![
        ("CTFY_PLATFORM_URL".into(), live.url.clone()),
        ("CTFY_TOKEN".into(), player.token.clone()),
        ("CTFY_EVAL_CHALLENGE_ID".into(), challenge.into()),
        (
            "CTFY_EVAL_COMPETITION_ID".into(),
            player.competition.to_string(),
        ),
        ("CTFY_EVAL_START_TIMEOUT_S".into(), "120".into()),
    ]
}

/// get_questions, GET /flag, submit it, GET /flag/token, submit it, done.
fn flag_policy(also_token: bool) -> Arc<dyn Fn(&Seen) -> Action + Send + Sync> {
    Arc::new(move |s: &Seen| match s.turns {
        0 => Action::Tool("get_questions", json!({})),
        1 => Action::Tool(
            "http_request",
            json!({"url": format!("{}/flag", s.target())}),
        ),
        2 => Action::Tool(
            "submit_answer",
            json!({"question_id": "flag", "answer": s.last_body()}),
        ),
        3 if also_token => Action::Tool(
            "http_request",
            json!({"url": format!("{}/flag/token", s.target()), "method": "GET"}),
        ),
        4 if also_token => Action::Tool(
            "submit_answer",
            json!({"question_id": "token", "answer": s.last_body()}),
        ),
        _ => Action::Final("Every question is answered."),
    })
}

/// The model key shows nowhere in the binary's output.
fn no_key(out: &std::process::Output) {
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains("sk-test-not-a-real-key"));
    }
}

fn rollup(out: &std::process::Output) -> Value {
    no_key(out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\nstderr:\n{stderr}",
        out.status.code()
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {stdout:?}"))
}

fn error_line(out: &std::process::Output) -> String {
    no_key(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "a failed run prints no result");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(last)
        .unwrap_or_else(|_| panic!("last stderr line is not JSON: {last:?}"));
    v["error"].as_str().expect("an error string").to_owned()
}

async fn assert_nothing_running(player: &Player) {
    let page = player
        .client
        .instances()
        .list()
        .competition_id(&player.competition)
        .await
        .expect("list instances");
    let live: Vec<_> = page
        .items
        .iter()
        .filter(|i| matches!(i.status.as_str(), "ready" | "starting" | "running"))
        .map(|i| (i.id.to_string(), i.status.as_str().to_owned()))
        .collect();
    assert!(live.is_empty(), "instances left running: {live:?}");
}

#[tokio::test]
async fn an_instance_challenge_is_solved_through_openai() {
    let Some(live) = live() else { return };
    let web = live.var("WEB_CHALLENGE_ID");
    let player = fresh_player(&live, "web", &[&web]).await;
    let model = ModelServer::start(false, flag_policy(true)).await;
    let work = temp_dir("web");
    let mut env = base_env(&live, &player, &web);
    env.extend(model.llm_env());
    let started = std::time::Instant::now();
    let out = run_binary(&[], &env, Some(&work)).await;
    let elapsed = started.elapsed();
    let r = rollup(&out);
    assert_eq!(r["challenge_id"], web.as_str());
    assert_eq!(r["solved"], json!(["flag", "token"]), "{r}");
    assert_eq!(r["fully_solved"], true);
    assert_eq!(r["stop_reason"], "final");
    assert_eq!(r["turns"], 6);
    assert_eq!(r["tool_calls_made"], 5);
    assert_eq!(r["input_tokens"], 6 * INPUT_TOKENS);
    assert_eq!(r["output_tokens"], 6 * OUTPUT_TOKENS);
    assert_eq!(r["schema_version"], 2);
    assert!(!r["instance_id"].as_str().unwrap().is_empty());
    // The same JSON in result.json.
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("result.json")).unwrap()).unwrap();
    assert_eq!(file, r);
    // What the model was offered and saw.
    let calls = model.calls();
    assert_eq!(calls.len(), 6);
    assert_eq!(
        calls[0].tools,
        [
            "http_request",
            "submit_answer",
            "verify_exploit",
            "get_questions"
        ]
    );
    assert!(calls[1].last_result.as_deref().unwrap().contains("- flag:"));
    assert!(
        calls[3]
            .last_result
            .as_deref()
            .unwrap()
            .starts_with("CORRECT for flag")
    );
    assert!(
        calls[5]
            .last_result
            .as_deref()
            .unwrap()
            .contains("challenge fully solved")
    );
    // The platform's own record.
    let info = player
        .client
        .challenges()
        .get(web.as_str())
        .competition_id(&player.competition)
        .await
        .unwrap();
    assert!(
        info.my_team_fully_solved,
        "{:?}",
        info.my_team_solved_question_ids
    );
    assert_nothing_running(&player).await;
    eprintln!("instance run: {elapsed:?} end to end");
    std::fs::remove_dir_all(&work).ok();
}

#[tokio::test]
async fn a_qa_challenge_is_answered_through_anthropic() {
    let Some(live) = live() else { return };
    let qa = live.var("QA_CHALLENGE_ID");
    let player = fresh_player(&live, "qa", &[&qa]).await;
    let model = ModelServer::start(
        true,
        Arc::new(|s: &Seen| match s.turns {
            0 => Action::Tool(
                "submit_qa_answer",
                json!({"question_id": "answer", "answer": "443"}),
            ),
            1 => Action::Tool(
                "submit_qa_answer",
                json!({"question_id": "transport", "answer": "tcp"}),
            ),
            _ => Action::Final("done"),
        }),
    )
    .await;
    let mut env = base_env(&live, &player, &qa);
    env.extend(model.llm_env());
    let out = run_binary(&[], &env, None).await;
    let r = rollup(&out);
    assert_eq!(r["solved"], json!(["answer", "transport"]), "{r}");
    assert_eq!(r["fully_solved"], true);
    assert_eq!(r["instance_id"], "");
    assert_eq!(r["turns"], 3);
    assert_eq!(r["input_tokens"], 3 * INPUT_TOKENS);
    let calls = model.calls();
    assert_eq!(calls[0].tools, ["submit_qa_answer", "get_questions"]);
    assert!(calls[0].task.contains("Which TCP port does HTTPS use"));
    assert!(
        calls[1]
            .last_result
            .as_deref()
            .unwrap()
            .starts_with("CORRECT for answer")
    );
    // The platform's record.
    let views = player
        .client
        .submissions()
        .list_qa_challenges(&player.competition)
        .await
        .unwrap();
    let view = views.iter().find(|v| v.id == qa.as_str()).unwrap();
    assert_eq!(view.solved_question_ids.len(), 2);
    assert_nothing_running(&player).await;
}

#[tokio::test]
async fn a_challenge_that_fails_to_start_fails_the_run_with_the_platforms_reason() {
    let Some(live) = live() else { return };
    let fail = live.var("FAIL_CHALLENGE_ID");
    let player = fresh_player(&live, "fail", &[&fail]).await;
    let model = ModelServer::start(false, flag_policy(false)).await;
    let work = temp_dir("fail");
    let mut env = base_env(&live, &player, &fail);
    env.extend(model.llm_env());
    let out = run_binary(&[], &env, Some(&work)).await;
    let error = error_line(&out);
    assert!(
        error.starts_with(&format!("PlatformError: starting {fail}: ")),
        "{error}"
    );
    assert!(
        error.len() > format!("PlatformError: starting {fail}: ").len() + 5,
        "{error}"
    );
    assert!(
        model.calls().is_empty(),
        "no model call before a target exists"
    );
    assert!(!work.join("result.json").exists());
    assert_nothing_running(&player).await;
    eprintln!("failed start reported as: {error}");
    std::fs::remove_dir_all(&work).ok();
}

#[tokio::test]
async fn a_run_that_keeps_its_instance_leaves_it_for_the_platform() {
    let Some(live) = live() else { return };
    let web = live.var("WEB_CHALLENGE_ID");
    let player = fresh_player(&live, "keep", &[&web]).await;
    let model = ModelServer::start(false, flag_policy(false)).await;
    let mut env = base_env(&live, &player, &web);
    env.extend(model.llm_env());
    env.push(("CTFY_EVAL_KEEP_INSTANCE".into(), "1".into()));
    let out = run_binary(&[], &env, None).await;
    let r = rollup(&out);
    assert_eq!(r["solved"], json!(["flag"]), "{r}");
    assert_eq!(r["fully_solved"], false);
    let id = r["instance_id"].as_str().unwrap().to_owned();
    let info = player
        .client
        .instances()
        .get(id.as_str())
        .await
        .expect("still there");
    assert_eq!(info.status.as_str(), "ready");
    player.client.instances().stop(id.as_str()).await.unwrap();
    assert_nothing_running(&player).await;
}

#[tokio::test]
async fn a_run_out_of_turns_stops_with_max_turns_and_stops_its_instance() {
    let Some(live) = live() else { return };
    let web = live.var("WEB_CHALLENGE_ID");
    let player = fresh_player(&live, "turns", &[&web]).await;
    let model = ModelServer::start(
        true,
        Arc::new(|_: &Seen| Action::Tool("get_questions", json!({}))),
    )
    .await;
    let mut env = base_env(&live, &player, &web);
    env.extend(model.llm_env());
    env.push(("CTFY_EVAL_MAX_TURNS".into(), "3".into()));
    let out = run_binary(&[], &env, None).await;
    let r = rollup(&out);
    assert_eq!(r["stop_reason"], "max_turns");
    assert_eq!(r["turns"], 3);
    assert_eq!(r["tool_calls_made"], 3);
    assert_eq!(r["solved"], json!([]));
    assert_eq!(r["output_tokens"], 3 * OUTPUT_TOKENS);
    assert_eq!(model.calls().len(), 3);
    assert_nothing_running(&player).await;
}

#[tokio::test]
async fn an_external_command_plays_with_the_target_and_token_in_its_environment() {
    let Some(live) = live() else { return };
    let web = live.var("WEB_CHALLENGE_ID");
    let player = fresh_player(&live, "ext", &[&web]).await;
    let work = temp_dir("ext");
    let usage = work.join("usage.json");
    // The "agent": prints to its stdout (which must not reach ours), checks its environment
    // and writes its usage.
    let script = format!(
        "echo agent-chatter; test -n \"$CTFY_TARGET_URL\" && test -n \"$CTFY_TOKEN\" && \
         case \"$CTFY_MCP_URL\" in */api/v1/mcp) ;; *) exit 7;; esac && \
         printf '{{\"input_tokens\": 11, \"output_tokens\": 4, \"turns\": 2}}' > {}",
        usage.display()
    );
    let mut env = base_env(&live, &player, &web);
    env.push((
        "CTFY_HARNESS_USAGE_FILE".into(),
        usage.display().to_string(),
    ));
    let out = run_binary(&["external", "--", "sh", "-c", &script], &env, Some(&work)).await;
    let r = rollup(&out);
    assert_eq!(r["stop_reason"], "completed", "{r}");
    assert_eq!(r["input_tokens"], 11);
    assert_eq!(r["turns"], 2);
    assert_eq!(r["solved"], json!([]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("agent-chatter"));
    assert_nothing_running(&player).await;
    std::fs::remove_dir_all(&work).ok();
}

#[tokio::test]
async fn sigterm_mid_run_stops_the_instance_and_fails_the_run() {
    let Some(live) = live() else { return };
    let web = live.var("WEB_CHALLENGE_ID");
    let player = fresh_player(&live, "term", &[&web]).await;
    // The model answers after 30 s: the run is inside a model call, its instance up.
    let model = ModelServer::start_with_delay(
        false,
        flag_policy(false),
        std::time::Duration::from_secs(30),
    )
    .await;
    let mut env = base_env(&live, &player, &web);
    env.extend(model.llm_env());
    let child = binary_command(&env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the instance is up and the model has been asked.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while model
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the model was never called"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(std::time::Duration::from_secs(40), child.wait_with_output())
        .await
        .expect("exits soon after SIGTERM")
        .unwrap();
    let error = error_line(&out);
    assert!(error.contains("interrupted by SIGTERM"), "{error}");
    assert_nothing_running(&player).await;
}

#[tokio::test]
async fn the_own_loop_example_plays_an_instance() {
    let Some(live) = live() else { return };
    let web = live.var("WEB_CHALLENGE_ID");
    let player = fresh_player(&live, "own", &[&web]).await;
    let env = base_env(&live, &player, &web);
    let out = example_command("own_loop", &env).output().await.unwrap();
    let r = rollup(&out);
    assert_eq!(r["solved"], json!(["flag"]), "{r}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("CORRECT for flag"));
    assert_nothing_running(&player).await;
}
