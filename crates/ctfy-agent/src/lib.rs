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
