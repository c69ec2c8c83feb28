//! The ctfy agent protocol (CTFY-0001) in Rust.
//!
//! - [`brief`]: what the platform tells a dispatched agent (`task.json`, schema 2).
//! - [`result`]: what the agent hands back (`result.json` and stdout) and the error form of a
//!   failed run.
//! - [`tools`]: the tools offered to the model in each run mode, and the dispatcher that runs
//!   them against the platform and the target.
//! - [`harness`]: the managed harness: the tool-calling loop and one whole run, the contract
//!   of `python -m ctfy.eval`.
//! - [`external`]: `ctfy-agent external -- CMD…`, an external agent command in place of the
//!   built-in loop.
//! - [`llm`]: the model clients (OpenAI Chat Completions, Anthropic Messages) and
//!   [`llm::from_env`], which builds the one the `LLM_*` variables name.
//! - [`model`]: the conversation a harness holds with a language model, and the [`Model`]
//!   trait a model client implements (OpenAI Chat Completions and Anthropic Messages clients
//!   behind the `openai` and `anthropic` features).
//!
//! # Bring your own model
//!
//! The run flow is a function of a [`Model`]: implement `respond` (one model call: the system
//! prompt, the transcript and the tools on offer in, the next [`AssistantTurn`] out) and
//! [`harness::run`] does the rest (the challenge probe, the instance, the tools, the turn
//! budget, the stop, the solved set read back from the platform):
//!
//! ```no_run
//! use ctfy_agent::model::ModelFuture;
//! use ctfy_agent::{AssistantTurn, Model, ToolDef, Turn, cli::Config, result};
//!
//! struct MyModel;
//!
//! impl Model for MyModel {
//!     fn respond<'a>(&'a self, _system: &'a str, _transcript: &'a [Turn], _tools: &'a [ToolDef])
//!         -> ModelFuture<'a> {
//!         // Call your model here; a turn without tool calls ends the run.
//!         Box::pin(async { Ok(AssistantTurn { text: "done".into(), ..Default::default() }) })
//!     }
//! }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let options = Config::from_vars(|k| std::env::var(k).ok(), None)?.run_options()?;
//! let client = ctfy::PlatformClient::from_env()?;
//! match ctfy_agent::run(&client, &MyModel, &options).await {
//!     Ok(rollup) => { result::emit(&rollup); }
//!     Err(e) => eprintln!("{}", result::error_line(e.kind(), &e.to_string())),
//! }
//! # Ok(()) }
//! ```
//!
//! To own the loop as well, use the [`tools::Dispatcher`] directly: `examples/own_loop.rs`
//! (and `docs/AGENT-PROTOCOL.md` in the repository).

pub mod brief;
pub mod cli;
pub mod external;
pub mod harness;
pub mod llm;
pub mod model;
pub mod result;
pub mod tools;

pub use brief::{Brief, BriefError, Placement, RunMode};
pub use harness::{RunError, RunOptions, run, solve};
pub use model::{
    AssistantTurn, Model, ModelError, TokenUsage, ToolCall, ToolDef, ToolResult, Turn,
};
pub use result::{Answer, RunResult, StopReason};
pub use tools::{Dispatcher, TargetHttp, tool_defs};
