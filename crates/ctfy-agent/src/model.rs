//! The conversation with a language model, independent of any provider's wire format.
//!
//! A harness keeps a transcript of [`Turn`]s and asks a [`Model`] for the next
//! [`AssistantTurn`], offering it a list of [`ToolDef`]s. An assistant turn without tool
//! calls is final: the model is done.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Token counts of one model call, or of a whole run (they add up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Tokens the model read (OpenAI's `prompt_tokens`, Anthropic's `input_tokens`).
    pub input_tokens: u64,
    /// Tokens the model wrote (OpenAI's `completion_tokens`, Anthropic's `output_tokens`).
    pub output_tokens: u64,
}

impl TokenUsage {
    /// Input plus output tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens + self.output_tokens
    }
}

impl std::ops::Add for TokenUsage {
    type Output = TokenUsage;
    fn add(self, other: TokenUsage) -> TokenUsage {
        TokenUsage {
            input_tokens: self.input_tokens + other.input_tokens,
            output_tokens: self.output_tokens + other.output_tokens,
        }
    }
}

impl std::ops::AddAssign for TokenUsage {
    fn add_assign(&mut self, other: TokenUsage) {
        *self = *self + other;
    }
}

/// A tool offered to the model: its name, what it does, and the JSON Schema of its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolDef {
    /// The name the model calls it by.
    pub name: String,
    /// What the model reads to decide when and how to call it.
    pub description: String,
    /// The JSON Schema (an object schema) of its arguments.
    pub input_schema: Value,
}

/// The model's request to run one tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id of this call; the result answers it by this id.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// Its arguments (an empty object when the model sent none or sent invalid JSON).
    pub arguments: Map<String, Value>,
}

impl ToolCall {
    /// A call of `name` with `arguments` (a JSON object; anything else reads as none).
    pub fn new(id: impl Into<String>, name: impl Into<String>, arguments: Value) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: match arguments {
                Value::Object(map) => map,
                _ => Map::new(),
            },
        }
    }
}

/// What running one [`ToolCall`] gave, fed back to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The [`ToolCall::id`] it answers.
    pub call_id: String,
    /// The tool's name.
    pub name: String,
    /// The result as text (usually JSON).
    pub content: String,
    /// Whether the tool failed (the text then says why).
    pub is_error: bool,
}

/// One model turn: its text and the tools it wants run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssistantTurn {
    /// The model's free text (its answer when there are no tool calls).
    pub text: String,
    /// The tools it asks to run, in order; empty on a final turn.
    pub tool_calls: Vec<ToolCall>,
    /// The tokens this call used.
    pub usage: TokenUsage,
    /// The provider's stop reason as sent (`end_turn`, `tool_use`, `stop`, `tool_calls`,
    /// `length`, `max_tokens`, `refusal`…); empty when it sent none.
    pub stop_reason: String,
    /// Anthropic thinking blocks (`thinking`/`redacted_thinking`) as received, sent back
    /// unchanged on the next call as the Messages API requires; empty for OpenAI.
    pub thinking_blocks: Vec<Value>,
}

/// One entry of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Turn {
    /// Text from the harness (the task).
    User {
        /// The text.
        text: String,
    },
    /// A turn of the model.
    Assistant(AssistantTurn),
    /// The results of the previous assistant turn's tool calls, in its order.
    ToolResults {
        /// One per tool call.
        results: Vec<ToolResult>,
    },
}

/// Why a model call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The provider answered with an error status (after the retries for 429 and 5xx).
    #[error("model API answered HTTP {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The provider's error message, or a bounded snippet of its body (never the key).
        message: String,
    },
    /// No answer within the per-call timeout.
    #[error("model call timed out after {0:?}")]
    Timeout(Duration),
    /// The connection failed or broke.
    #[error("model API unreachable: {0}")]
    Transport(String),
    /// The answer could not be read (bad JSON, a broken stream).
    #[error("model answer unreadable: {0}")]
    Decode(String),
    /// The configuration is unusable (unknown flavor, no API key…).
    #[error("model configuration: {0}")]
    Config(String),
}

/// A boxed future of a model call, so [`Model`] is usable as `dyn Model`.
pub type ModelFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AssistantTurn, ModelError>> + Send + 'a>>;

/// A language model the harness can drive: given the system prompt, the transcript and the
/// tools on offer, it produces the next assistant turn (one API call).
pub trait Model: Send + Sync {
    /// Asks the model for its next turn.
    fn respond<'a>(
        &'a self,
        system: &'a str,
        transcript: &'a [Turn],
        tools: &'a [ToolDef],
    ) -> ModelFuture<'a>;
}
