//! The Anthropic Messages client.

use std::collections::BTreeMap;

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use super::http::{
    Assemble, Caller, Common, Event, Flow, client_surface, error_message_of, header, json_of,
    parse_arguments,
};
use super::{
    ANTHROPIC_VERSION, DEFAULT_ANTHROPIC_BASE_URL, DEFAULT_ANTHROPIC_MAX_TOKENS,
    DEFAULT_ANTHROPIC_MODEL,
};
use crate::model::{AssistantTurn, ModelError, TokenUsage, ToolCall, ToolDef, Turn};

/// A model behind the Anthropic Messages API (`POST {base_url}/v1/messages`), or behind a
/// gateway that speaks it.
///
/// Every call is streamed (`stream: true`), so that a slow generation keeps bytes flowing
/// through proxies that bound the time to a complete response (a gateway that ignores `stream`
/// and sends one `application/json` message is read as well). Thinking blocks the model
/// returns are kept in [`AssistantTurn::thinking_blocks`] and sent back first in that turn's
/// content on the next call, as the API requires. No temperature is sent (the reference
/// harness sends none). The defaults are the reference harness's:
/// `claude-haiku-4-5-20251001`, `max_tokens` 64000 (room for thinking).
///
/// ```no_run
/// use ctfy_agent::llm::AnthropicMessages;
/// use ctfy_agent::{Model, Turn};
///
/// # async fn run() -> Result<(), ctfy_agent::ModelError> {
/// let model = AnthropicMessages::builder("sk-ant-…")
///     .model("claude-haiku-4-5-20251001")
///     .base_url("https://api.anthropic.com") // the root: calls go to /v1/messages
///     .build()?;
/// let transcript = [Turn::User { text: "Say hello.".into() }];
/// let turn = model.respond("You are terse.", &transcript, &[]).await?;
/// println!("{} ({})", turn.text, turn.stop_reason);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AnthropicMessages {
    caller: Caller,
}

/// Settings of an [`AnthropicMessages`]; [`build`](Self::build) checks them.
#[derive(Debug, Clone)]
#[must_use]
pub struct AnthropicMessagesBuilder {
    common: Common,
}

impl AnthropicMessages {
    /// Starts the settings of a client that authenticates with `api_key` (sent as
    /// `x-api-key`, shown nowhere).
    pub fn builder(api_key: impl Into<String>) -> AnthropicMessagesBuilder {
        AnthropicMessagesBuilder {
            common: Common::new(
                api_key.into(),
                DEFAULT_ANTHROPIC_MODEL,
                DEFAULT_ANTHROPIC_MAX_TOKENS,
                DEFAULT_ANTHROPIC_BASE_URL,
            ),
        }
    }

    /// The model name sent.
    pub fn model(&self) -> &str {
        &self.caller.model
    }

    /// The URL the calls go to (`{base_url}/v1/messages`).
    pub fn url(&self) -> &str {
        self.caller.url.as_str()
    }

    /// The JSON body of a call (streaming included), as sent.
    pub fn request_body(&self, system: &str, transcript: &[Turn], tools: &[ToolDef]) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), json!(self.caller.model));
        body.insert("max_tokens".into(), json!(self.caller.max_tokens));
        body.insert("messages".into(), Value::Array(messages(transcript)));
        if !system.is_empty() {
            body.insert("system".into(), json!(system));
        }
        if !tools.is_empty() {
            body.insert("tools".into(), Value::Array(tool_defs(tools)));
        }
        body.insert("stream".into(), Value::Bool(true));
        Value::Object(body)
    }

    async fn call(
        &self,
        system: &str,
        transcript: &[Turn],
        tools: &[ToolDef],
    ) -> Result<AssistantTurn, ModelError> {
        let body = self.request_body(system, transcript, tools);
        let mut auth = header("x-api-key", self.caller.key.header("")?);
        auth.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        self.caller.respond::<Accumulator>(auth, &body).await
    }
}

client_surface! {
    client: AnthropicMessages,
    builder: AnthropicMessagesBuilder,
    model: "The model name (default `claude-haiku-4-5-20251001`).",
    max_tokens: "The most tokens the model may write per call, thinking included \
        (`max_tokens`, default 64000).",
    base_url: "The API's root URL, without `/v1` (default `https://api.anthropic.com`); the \
        calls go to `{base_url}/v1/messages`. Trailing slashes are ignored.",
    retry: "The retries on HTTP 429, 5xx (529 \"overloaded\" included) and failed connections \
        (default [`RetryPolicy::default`](super::RetryPolicy::default)).",
}

impl AnthropicMessagesBuilder {
    /// Checks the settings (an http(s) base URL, a model name, a non-zero timeout) and builds
    /// the client.
    pub fn build(self) -> Result<AnthropicMessages, ModelError> {
        Ok(AnthropicMessages {
            caller: self.common.finish("/v1/messages")?,
        })
    }
}

/// The tools in the API's form.
fn tool_defs(tools: &[ToolDef]) -> Vec<Value> {
    tools
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "description": t.description,
                "input_schema": t.input_schema,
            })
        })
        .collect()
}

/// The transcript as Messages API messages.
fn messages(transcript: &[Turn]) -> Vec<Value> {
    transcript
        .iter()
        .map(|turn| match turn {
            Turn::User { text } => json!({"role": "user", "content": text}),
            Turn::Assistant(a) => {
                let mut blocks = a.thinking_blocks.clone();
                if !a.text.is_empty() {
                    blocks.push(json!({"type": "text", "text": a.text}));
                }
                blocks.extend(a.tool_calls.iter().map(|c| {
                    json!({
                        "type": "tool_use",
                        "id": c.id,
                        "name": c.name,
                        "input": Value::Object(c.arguments.clone()),
                    })
                }));
                json!({"role": "assistant", "content": blocks})
            }
            Turn::ToolResults { results } => {
                let blocks: Vec<Value> = results
                    .iter()
                    .map(|r| {
                        json!({
                            "type": "tool_result",
                            "tool_use_id": r.call_id,
                            "content": r.content,
                            "is_error": r.is_error,
                        })
                    })
                    .collect();
                json!({"role": "user", "content": blocks})
            }
        })
        .collect()
}

/// A content block as its deltas arrive.
struct Block {
    /// The block as `content_block_start` gave it; thinking blocks get their text and
    /// signature filled in.
    start: Value,
    /// Text, thinking text or partial JSON, concatenated.
    buffer: String,
    signature: Option<String>,
}

/// The streamed answer, event by event.
#[derive(Default)]
struct Accumulator {
    blocks: BTreeMap<u64, Block>,
    usage: TokenUsage,
    stop_reason: Option<String>,
    started: bool,
}

/// The HTTP status the Messages API uses for an error type (for an `error` event, which
/// arrives after the 200).
fn status_of(error_type: &str) -> u16 {
    match error_type {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    }
}

/// The status error an `error` event (or error document) stands for.
fn error_event(data: &Value) -> ModelError {
    let error_type = data["error"]["type"].as_str().unwrap_or_default();
    ModelError::Status {
        status: status_of(error_type),
        message: error_message_of(data).unwrap_or_else(|| data.to_string()),
    }
}

impl Assemble for Accumulator {
    fn take(&mut self, event: &Event) -> Result<Flow, ModelError> {
        if event.name == "ping" {
            return Ok(Flow::More);
        }
        let data = json_of(event)?;
        let kind = data["type"].as_str().unwrap_or(event.name.as_str());
        match kind {
            "message_start" => {
                self.started = true;
                let usage = &data["message"]["usage"];
                self.usage.input_tokens = usage["input_tokens"].as_u64().unwrap_or(0);
                self.usage.output_tokens = usage["output_tokens"].as_u64().unwrap_or(0);
            }
            "content_block_start" => {
                let index = data["index"].as_u64().unwrap_or(self.blocks.len() as u64);
                let start = data["content_block"].clone();
                self.blocks.insert(
                    index,
                    Block {
                        start,
                        buffer: String::new(),
                        signature: None,
                    },
                );
            }
            "content_block_delta" => {
                let index = data["index"].as_u64().unwrap_or(0);
                let Some(block) = self.blocks.get_mut(&index) else {
                    return Err(ModelError::Decode(format!(
                        "a delta for content block {index}, which never started"
                    )));
                };
                let delta = &data["delta"];
                let piece = match delta["type"].as_str() {
                    Some("text_delta") => delta["text"].as_str(),
                    Some("input_json_delta") => delta["partial_json"].as_str(),
                    Some("thinking_delta") => delta["thinking"].as_str(),
                    Some("signature_delta") => {
                        let s = delta["signature"].as_str().unwrap_or_default();
                        block.signature.get_or_insert_with(String::new).push_str(s);
                        None
                    }
                    _ => None,
                };
                if let Some(piece) = piece {
                    block.buffer.push_str(piece);
                }
            }
            "message_delta" => {
                if let Some(reason) = data["delta"]["stop_reason"].as_str() {
                    self.stop_reason = Some(reason.to_owned());
                }
                let usage = &data["usage"];
                if let Some(n) = usage["output_tokens"].as_u64() {
                    self.usage.output_tokens = n;
                }
                if let Some(n) = usage["input_tokens"].as_u64() {
                    self.usage.input_tokens = n;
                }
            }
            "message_stop" => return Ok(Flow::Done),
            "error" => return Err(error_event(&data)),
            // content_block_stop, ping and any later addition: nothing to keep.
            _ => {}
        }
        Ok(Flow::More)
    }

    /// A whole (not streamed) message, as if it had been streamed.
    fn whole(message: &Value) -> Result<Accumulator, ModelError> {
        if message["type"] == "error" {
            return Err(error_event(message));
        }
        let Some(content) = message["content"].as_array() else {
            return Err(ModelError::Decode("the answer has no content".into()));
        };
        let usage = &message["usage"];
        Ok(Accumulator {
            blocks: content
                .iter()
                .enumerate()
                .map(|(index, block)| {
                    let block = Block {
                        start: block.clone(),
                        buffer: String::new(),
                        signature: None,
                    };
                    (index as u64, block)
                })
                .collect(),
            usage: TokenUsage {
                input_tokens: usage["input_tokens"].as_u64().unwrap_or(0),
                output_tokens: usage["output_tokens"].as_u64().unwrap_or(0),
            },
            stop_reason: Some(
                message["stop_reason"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            started: true,
        })
    }

    /// The assistant turn, once the stream is over (`done`: it ended with `message_stop`).
    fn finish(self, done: bool) -> Result<AssistantTurn, ModelError> {
        if !self.started || (!done && self.stop_reason.is_none()) {
            return Err(ModelError::Transport(
                "the streamed answer ended before it was complete".into(),
            ));
        }
        let mut text_parts = Vec::new();
        let mut tool_calls = Vec::new();
        let mut thinking_blocks = Vec::new();
        for block in self.blocks.into_values() {
            let Block {
                mut start,
                buffer,
                signature,
            } = block;
            match start["type"].as_str().unwrap_or_default() {
                "text" => {
                    let mut text = start["text"].as_str().unwrap_or_default().to_owned();
                    text.push_str(&buffer);
                    if !text.is_empty() {
                        text_parts.push(text);
                    }
                }
                "tool_use" => {
                    let arguments = if buffer.trim().is_empty() {
                        start["input"].as_object().cloned().unwrap_or_default()
                    } else {
                        parse_arguments(&buffer)
                    };
                    tool_calls.push(ToolCall {
                        id: start["id"].as_str().unwrap_or_default().to_owned(),
                        name: start["name"].as_str().unwrap_or_default().to_owned(),
                        arguments,
                    });
                }
                "thinking" => {
                    if let Some(obj) = start.as_object_mut() {
                        let mut thinking = obj
                            .get("thinking")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        thinking.push_str(&buffer);
                        obj.insert("thinking".into(), Value::String(thinking));
                        if let Some(sig) = signature {
                            obj.insert("signature".into(), Value::String(sig));
                        }
                    }
                    thinking_blocks.push(start);
                }
                "redacted_thinking" => thinking_blocks.push(start),
                // Server tool blocks and later additions: not part of the reference's turn.
                _ => {}
            }
        }
        Ok(AssistantTurn {
            text: text_parts.join("\n").trim().to_owned(),
            tool_calls,
            usage: self.usage,
            stop_reason: self.stop_reason.unwrap_or_default(),
            thinking_blocks,
        })
    }
}
