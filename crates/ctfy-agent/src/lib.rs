//! The ctfy agent protocol (CTFY-0001) in Rust.
//!
//! - [`model`]: the conversation a harness holds with a language model, and the [`Model`]
//!   trait a model client implements (OpenAI Chat Completions and Anthropic Messages clients
//!   behind the `openai` and `anthropic` features).

pub mod cli;
pub mod llm;
pub mod model;

pub use model::{
    AssistantTurn, Model, ModelError, TokenUsage, ToolCall, ToolDef, ToolResult, Turn,
};
