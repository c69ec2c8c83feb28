//! Bring your own loop: the protocol's pieces around a loop of your own (a fixed plan here,
//! where your model would decide). The same environment as `ctfy-agent`.
use ctfy_agent::harness::start_instance;
use ctfy_agent::tools::{Dispatcher, Scope, TargetHttp};
use ctfy_agent::{RunMode, RunResult, StopReason, ToolCall, cli::Config, result};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = Config::from_vars(|k| std::env::var(k).ok(), None)?.run_options()?;
    let client = ctfy::PlatformClient::from_env()?;
    let ready = start_instance(&client, &options).await?; // bounded, leaves nothing behind
    let target = ready.surface.web_service().map(|s| s.url());
    let scope = Scope::instance(RunMode::Instance, &options, ready.id.clone());
    let tools = Dispatcher::new(client.clone(), TargetHttp::new()?, scope);

    // Your loop: offer `tools.tools()` to your model, run each call it makes with `dispatch`.
    let url = format!("{}/flag", target.unwrap_or_default());
    let get = ToolCall::new("1", "http_request", json!({"url": url}));
    let page = tools.dispatch(&get).await.content;
    let flag = page.rsplit("\n\n").next().unwrap_or_default().trim();
    let submit = json!({"question_id": "flag", "answer": flag});
    let verdict = tools
        .dispatch(&ToolCall::new("2", "submit_answer", submit))
        .await;
    eprintln!("{}", verdict.content); // logs go to stderr: stdout is the result

    client.instances().stop(&ready.id).await?;
    let mut rollup = RunResult::new(options.challenge_id.to_string(), StopReason::Final);
    rollup.instance_id = ready.id.to_string();
    rollup.solved = tools.observed().solved.into_iter().collect(); // what the grader accepted
    (rollup.turns, rollup.tool_calls_made) = (1, 2);
    result::emit(&rollup); // result.json in CTFY_WORK_DIR, and the whole of stdout
    Ok(())
}
