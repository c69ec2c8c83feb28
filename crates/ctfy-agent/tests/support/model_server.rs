//! A scripted model server: wiremock speaking the OpenAI Chat Completions and the Anthropic
//! Messages streaming APIs, whose every answer a policy decides from the conversation it is
//! sent (the task, how many turns the model took, the last tool result).

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the scripted model does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Call one tool.
    Tool(&'static str, Value),
    /// Answer with text and stop.
    Final(&'static str),
}

/// What a policy sees of the conversation.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The task (the first user message).
    pub task: String,
    /// How many assistant turns the conversation holds.
    pub turns: usize,
    /// The last tool result's text.
    pub last_result: Option<String>,
    /// The tool names offered.
    pub tools: Vec<String>,
}

impl Seen {
    /// The target URL the task names.
    pub fn target(&self) -> String {
        self.task
            .lines()
            .find_map(|l| l.strip_prefix("Target: "))
            .expect("the task names the target")
            .to_owned()
    }

    /// The body of the last `http_request` result.
    pub fn last_body(&self) -> String {
        let r = self.last_result.clone().unwrap_or_default();
        r.split_once("\n\n")
            .map(|(_, b)| b.trim().to_owned())
            .unwrap_or_default()
    }
}

/// A policy: the next action from what was seen.
pub type Policy = Arc<dyn Fn(&Seen) -> Action + Send + Sync>;

/// Tokens every answer reports.
pub const INPUT_TOKENS: u64 = 200;
/// Tokens every answer reports.
pub const OUTPUT_TOKENS: u64 = 20;

struct Responder {
    policy: Policy,
    anthropic: bool,
    delay: std::time::Duration,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| {
                b.get("text")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| b.get("content").map(text_of))
            })
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

fn read(body: &Value, anthropic: bool) -> Seen {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let task = messages
        .iter()
        .find(|m| m["role"] == "user")
        .map(|m| text_of(&m["content"]))
        .unwrap_or_default();
    let turns = messages.iter().filter(|m| m["role"] == "assistant").count();
    let last_result = if anthropic {
        messages.iter().rev().find_map(|m| {
            let blocks = m["content"].as_array()?;
            blocks
                .iter()
                .rev()
                .find(|b| b["type"] == "tool_result")
                .map(|b| text_of(&b["content"]))
        })
    } else {
        messages
            .iter()
            .rev()
            .find(|m| m["role"] == "tool")
            .map(|m| text_of(&m["content"]))
    };
    let tools = body["tools"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .filter_map(|t| {
                    t["name"]
                        .as_str()
                        .or_else(|| t["function"]["name"].as_str())
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    Seen {
        task,
        turns,
        last_result,
        tools,
    }
}

fn sse(frames: &[(&str, Value)]) -> String {
    let mut out = String::new();
    for (name, data) in frames {
        if !name.is_empty() {
            out.push_str(&format!("event: {name}\n"));
        }
        out.push_str(&format!("data: {data}\n\n"));
    }
    out
}

fn openai_stream(action: &Action, n: usize) -> String {
    let chunk = |delta: Value, finish: Value| {
        (
            "",
            json!({"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
        )
    };
    let mut frames = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    match action {
        Action::Tool(name, args) => {
            let args = args.to_string();
            let (a, b) = args.split_at(args.len() / 2);
            frames.push(chunk(
                json!({"tool_calls": [{"index": 0, "id": format!("call_{n}"), "type": "function", "function": {"name": name, "arguments": a}}]}),
                Value::Null,
            ));
            frames.push(chunk(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": b}}]}),
                Value::Null,
            ));
            frames.push(chunk(json!({}), json!("tool_calls")));
        }
        Action::Final(text) => {
            frames.push(chunk(json!({"content": text}), Value::Null));
            frames.push(chunk(json!({}), json!("stop")));
        }
    }
    frames.push((
        "",
        json!({"id": "c", "object": "chat.completion.chunk", "choices": [], "usage": {"prompt_tokens": INPUT_TOKENS, "completion_tokens": OUTPUT_TOKENS, "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS}}),
    ));
    let mut body = sse(&frames);
    body.push_str("data: [DONE]\n\n");
    body
}

fn anthropic_stream(action: &Action, n: usize) -> String {
    let mut frames = vec![(
        "message_start",
        json!({"type": "message_start", "message": {"id": format!("msg_{n}"), "type": "message", "role": "assistant", "content": [], "model": "m", "stop_reason": null, "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": 1}}}),
    )];
    let stop = match action {
        Action::Tool(name, args) => {
            frames.push((
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": format!("toolu_{n}"), "name": name, "input": {}}}),
            ));
            frames.push((
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": args.to_string()}}),
            ));
            frames.push((
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ));
            "tool_use"
        }
        Action::Final(text) => {
            frames.push((
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ));
            frames.push((
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
            ));
            frames.push((
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ));
            "end_turn"
        }
    };
    frames.push((
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": OUTPUT_TOKENS}}),
    ));
    frames.push(("message_stop", json!({"type": "message_stop"})));
    sse(&frames)
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let seen = read(&body, self.anthropic);
        let action = (self.policy)(&seen);
        let n = {
            let mut all = self.seen.lock().unwrap();
            all.push(seen);
            all.len()
        };
        let stream = if self.anthropic {
            anthropic_stream(&action, n)
        } else {
            openai_stream(&action, n)
        };
        ResponseTemplate::new(200)
            .set_body_raw(stream, "text/event-stream")
            .set_delay(self.delay)
    }
}

/// The scripted model server.
pub struct ModelServer {
    /// The wiremock server.
    pub server: MockServer,
    seen: Arc<Mutex<Vec<Seen>>>,
    anthropic: bool,
}

impl ModelServer {
    /// A server speaking OpenAI (`anthropic = false`) or Anthropic, played by `policy`.
    pub async fn start(anthropic: bool, policy: Policy) -> ModelServer {
        Self::start_with_delay(anthropic, policy, std::time::Duration::ZERO).await
    }

    /// As [`start`](Self::start), every answer sent after `delay`.
    pub async fn start_with_delay(
        anthropic: bool,
        policy: Policy,
        delay: std::time::Duration,
    ) -> ModelServer {
        let server = MockServer::start().await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let route = if anthropic {
            "/v1/messages"
        } else {
            "/v1/chat/completions"
        };
        Mock::given(method("POST"))
            .and(path(route))
            .respond_with(Responder {
                policy,
                anthropic,
                delay,
                seen: Arc::clone(&seen),
            })
            .mount(&server)
            .await;
        ModelServer {
            server,
            seen,
            anthropic,
        }
    }

    /// The `LLM_*` variables that point a client at it.
    pub fn llm_env(&self) -> Vec<(String, String)> {
        let (flavor, base) = if self.anthropic {
            ("anthropic", self.server.uri())
        } else {
            ("openai", format!("{}/v1", self.server.uri()))
        };
        vec![
            ("LLM_FLAVOR".into(), flavor.into()),
            ("LLM_API_KEY".into(), "sk-test-not-a-real-key".into()),
            ("LLM_MODEL".into(), "scripted".into()),
            ("LLM_BASE_URL".into(), base),
        ]
    }

    /// Every call's view of the conversation.
    pub fn calls(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}
