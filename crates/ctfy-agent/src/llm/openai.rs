//! The OpenAI Chat Completions client (also any OpenAI-compatible gateway).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::http::{
    Assemble, Caller, Common, Event, Flow, client_surface, error_message_of, header, json_of,
    parse_arguments,
};
use super::{
    DEFAULT_OPENAI_BASE_URL, DEFAULT_OPENAI_MAX_TOKENS, DEFAULT_OPENAI_MODEL, DEFAULT_TEMPERATURE,
};
use crate::model::{AssistantTurn, ModelError, TokenUsage, ToolCall, ToolDef, Turn};

/// A model behind the OpenAI Chat Completions API (`POST {base_url}/chat/completions`), or
/// behind any gateway that speaks it (LiteLLM, OpenRouter, vLLM…).
///
/// Every call is streamed (`stream: true`, with `stream_options.include_usage` so the token
/// counts are the provider's), so that a slow generation keeps bytes flowing through proxies
/// that bound the time to a complete response; a gateway that ignores `stream` and sends one
/// `application/json` completion is read as well. The defaults are the reference harness's:
/// `gpt-4o-mini`, `max_tokens` 4096, temperature 0.
///
/// ```no_run
/// use ctfy_agent::llm::OpenAiChat;
/// use ctfy_agent::{Model, Turn};
///
/// # async fn run() -> Result<(), ctfy_agent::ModelError> {
/// let model = OpenAiChat::builder("sk-…")
///     .model("gpt-4o-mini")
///     .base_url("http://localhost:4000/v1") // a gateway; the base includes `/v1`
///     .build()?;
/// let transcript = [Turn::User { text: "Say hello.".into() }];
/// let turn = model.respond("You are terse.", &transcript, &[]).await?;
/// println!("{} ({} tokens)", turn.text, turn.usage.total_tokens());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct OpenAiChat {
    caller: Caller,
    temperature: f64,
}

/// Settings of an [`OpenAiChat`]; [`build`](Self::build) checks them.
#[derive(Debug, Clone)]
#[must_use]
pub struct OpenAiChatBuilder {
    common: Common,
    temperature: f64,
}

impl OpenAiChat {
    /// Starts the settings of a client that authenticates with `api_key` (sent as
    /// `Authorization: Bearer …`, shown nowhere).
    pub fn builder(api_key: impl Into<String>) -> OpenAiChatBuilder {
        OpenAiChatBuilder {
            common: Common::new(
                api_key.into(),
                DEFAULT_OPENAI_MODEL,
                DEFAULT_OPENAI_MAX_TOKENS,
                DEFAULT_OPENAI_BASE_URL,
            ),
            temperature: DEFAULT_TEMPERATURE,
        }
    }

    /// The model name sent.
    pub fn model(&self) -> &str {
        &self.caller.model
    }

    /// The URL the calls go to (`{base_url}/chat/completions`).
    pub fn url(&self) -> &str {
        self.caller.url.as_str()
    }

    /// The JSON body of a call (streaming included), as sent.
    pub fn request_body(&self, system: &str, transcript: &[Turn], tools: &[ToolDef]) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), json!(self.caller.model));
        body.insert("max_tokens".into(), json!(self.caller.max_tokens));
        body.insert("temperature".into(), json!(self.temperature));
        body.insert(
            "messages".into(),
            Value::Array(messages(system, transcript)),
        );
        if !tools.is_empty() {
            body.insert("tools".into(), Value::Array(tool_defs(tools)));
        }
        body.insert("stream".into(), Value::Bool(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
        Value::Object(body)
    }

    async fn call(
        &self,
        system: &str,
        transcript: &[Turn],
        tools: &[ToolDef],
    ) -> Result<AssistantTurn, ModelError> {
        let body = self.request_body(system, transcript, tools);
        let auth = header("authorization", self.caller.key.header("Bearer ")?);
        self.caller.respond::<Accumulator>(auth, &body).await
    }
}

client_surface! {
    client: OpenAiChat,
    builder: OpenAiChatBuilder,
    model: "The model name (default `gpt-4o-mini`).",
    max_tokens: "The most tokens the model may write per call (`max_tokens`, default 4096).",
    base_url: "The API's base URL, `/v1` included (default `https://api.openai.com/v1`); the \
        calls go to `{base_url}/chat/completions`. Trailing slashes are ignored.",
    retry: "The retries on HTTP 429, 5xx and failed connections (default \
        [`RetryPolicy::default`](super::RetryPolicy::default)).",
}

impl OpenAiChatBuilder {
    /// The sampling temperature (default 0).
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = temperature;
        self
    }

    /// Checks the settings (an http(s) base URL, a model name, a non-zero timeout, a finite
    /// temperature) and builds the client.
    pub fn build(self) -> Result<OpenAiChat, ModelError> {
        if !self.temperature.is_finite() {
            return Err(ModelError::Config("the temperature is not a number".into()));
        }
        Ok(OpenAiChat {
            caller: self.common.finish("/chat/completions")?,
            temperature: self.temperature,
        })
    }
}

/// The tools in the API's form.
fn tool_defs(tools: &[ToolDef]) -> Vec<Value> {
    tools
        .iter()
        .map(|t| {
            json!({
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.input_schema,
                },
            })
        })
        .collect()
}

/// The system prompt (when there is one) and the transcript as Chat Completions messages.
fn messages(system: &str, transcript: &[Turn]) -> Vec<Value> {
    let mut out = Vec::with_capacity(transcript.len() + 1);
    if !system.is_empty() {
        out.push(json!({"role": "system", "content": system}));
    }
    for turn in transcript {
        match turn {
            Turn::User { text } => out.push(json!({"role": "user", "content": text})),
            Turn::Assistant(a) => {
                let mut msg = Map::new();
                msg.insert("role".into(), json!("assistant"));
                msg.insert("content".into(), json!(a.text));
                if !a.tool_calls.is_empty() {
                    let calls = a
                        .tool_calls
                        .iter()
                        .map(|c| {
                            json!({
                                "id": c.id,
                                "type": "function",
                                "function": {
                                    "name": c.name,
                                    "arguments": arguments_text(&c.arguments),
                                },
                            })
                        })
                        .collect();
                    msg.insert("tool_calls".into(), Value::Array(calls));
                }
                out.push(Value::Object(msg));
            }
            Turn::ToolResults { results } => {
                for r in results {
                    out.push(json!({
                        "role": "tool",
                        "tool_call_id": r.call_id,
                        "content": r.content,
                    }));
                }
            }
        }
    }
    out
}

/// An `error` member in an answer of status 200 (a gateway that failed after the answer
/// began says so in the stream): a status error, with the error's `code` as its status when
/// that is an HTTP error status, else 500.
fn check_error(answer: &Value) -> Result<(), ModelError> {
    let Some(error) = answer.get("error").filter(|e| !e.is_null()) else {
        return Ok(());
    };
    let status = error
        .get("code")
        .and_then(Value::as_u64)
        .filter(|c| (400..600).contains(c))
        .map_or(500, |c| c as u16);
    let message = error_message_of(answer).unwrap_or_else(|| error.to_string());
    Err(ModelError::Status { status, message })
}

/// Tool-call arguments as the JSON text the reference sends (Python's `json.dumps`
/// defaults: `", "` and `": "` separators, non-ASCII escaped as `\uXXXX`).
fn arguments_text(arguments: &Map<String, Value>) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SpacedAscii);
    if serde::Serialize::serialize(arguments, &mut ser).is_err() {
        return "{}".to_owned();
    }
    String::from_utf8(out).unwrap_or_else(|_| "{}".to_owned())
}

/// The JSON formatter of [`arguments_text`].
struct SpacedAscii;

impl serde_json::ser::Formatter for SpacedAscii {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        for c in fragment.chars() {
            if c.is_ascii() {
                writer.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// A tool call as its deltas arrive.
#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// The streamed answer, chunk by chunk.
#[derive(Default)]
struct Accumulator {
    text: String,
    calls: BTreeMap<u64, PartialCall>,
    finish_reason: Option<String>,
    usage: Option<TokenUsage>,
}

impl Assemble for Accumulator {
    /// Takes one event (a `chat.completion.chunk`, or `[DONE]`).
    fn take(&mut self, event: &Event) -> Result<Flow, ModelError> {
        if event.data.trim() == "[DONE]" {
            return Ok(Flow::Done);
        }
        let chunk = json_of(event)?;
        check_error(&chunk)?;
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            self.usage = Some(TokenUsage {
                input_tokens: usage["prompt_tokens"].as_u64().unwrap_or(0),
                output_tokens: usage["completion_tokens"].as_u64().unwrap_or(0),
            });
        }
        let choice = chunk["choices"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["index"].as_u64().unwrap_or(0) == 0));
        let Some(choice) = choice else {
            return Ok(Flow::More);
        };
        let delta = &choice["delta"];
        if let Some(content) = delta["content"].as_str() {
            self.text.push_str(content);
        }
        if let Some(calls) = delta["tool_calls"].as_array() {
            for (position, call) in calls.iter().enumerate() {
                let index = call["index"].as_u64().unwrap_or(position as u64);
                let partial = self.calls.entry(index).or_default();
                if let Some(id) = call["id"].as_str().filter(|s| !s.is_empty()) {
                    if partial.id.is_empty() {
                        partial.id = id.to_owned();
                    }
                }
                let function = &call["function"];
                if let Some(name) = function["name"].as_str().filter(|s| !s.is_empty()) {
                    if partial.name.is_empty() {
                        partial.name = name.to_owned();
                    }
                }
                if let Some(fragment) = function["arguments"].as_str() {
                    partial.arguments.push_str(fragment);
                }
            }
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            self.finish_reason = Some(reason.to_owned());
        }
        Ok(Flow::More)
    }

    /// A whole (not streamed) `chat.completion`, as if it had been streamed.
    fn whole(completion: &Value) -> Result<Accumulator, ModelError> {
        check_error(completion)?;
        let choice = completion["choices"]
            .as_array()
            .and_then(|cs| cs.first())
            .ok_or_else(|| ModelError::Decode("the answer has no choices".into()))?;
        let message = &choice["message"];
        let mut calls = BTreeMap::new();
        for (index, call) in message["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let function = &call["function"];
            calls.insert(
                index as u64,
                PartialCall {
                    id: call["id"].as_str().unwrap_or_default().to_owned(),
                    name: function["name"].as_str().unwrap_or_default().to_owned(),
                    arguments: function["arguments"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                },
            );
        }
        let usage = &completion["usage"];
        Ok(Accumulator {
            text: message["content"].as_str().unwrap_or_default().to_owned(),
            calls,
            finish_reason: Some(
                choice["finish_reason"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            usage: Some(TokenUsage {
                input_tokens: usage["prompt_tokens"].as_u64().unwrap_or(0),
                output_tokens: usage["completion_tokens"].as_u64().unwrap_or(0),
            }),
        })
    }

    /// The assistant turn, once the stream is over (`done`: it ended with `[DONE]`).
    fn finish(self, done: bool) -> Result<AssistantTurn, ModelError> {
        if !done && self.finish_reason.is_none() {
            return Err(ModelError::Transport(
                "the streamed answer ended before it was complete".into(),
            ));
        }
        Ok(AssistantTurn {
            text: self.text.trim().to_owned(),
            tool_calls: self
                .calls
                .into_values()
                .map(|c| ToolCall {
                    id: c.id,
                    name: c.name,
                    arguments: parse_arguments(&c.arguments),
                })
                .collect(),
            usage: self.usage.unwrap_or_default(),
            stop_reason: self.finish_reason.unwrap_or_default(),
            thinking_blocks: Vec::new(),
        })
    }
}
