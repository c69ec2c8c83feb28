//! The model clients against a scripted provider (wiremock): the exact requests of both APIs,
//! streamed answers, retries, timeouts, the key kept out of every output, and the `LLM_*`
//! configuration.

#![cfg(all(feature = "openai", feature = "anthropic"))]

use std::time::{Duration, Instant};

use ctfy_agent::llm::{self, AnthropicMessages, Flavor, LlmSettings, OpenAiChat, RetryPolicy};
use ctfy_agent::{
    AssistantTurn, Model, ModelError, TokenUsage, ToolCall, ToolDef, ToolResult, Turn,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-test-SECRET-0123456789";

fn args(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap()
}

/// A user turn, an assistant turn with two tool calls (and a thinking block, which only the
/// Anthropic wire carries), and their results, the second an error.
fn transcript() -> Vec<Turn> {
    vec![
        Turn::User {
            text: "Find the flag.".into(),
        },
        Turn::Assistant(AssistantTurn {
            text: "Looking.".into(),
            tool_calls: vec![
                ToolCall {
                    id: "call_a".into(),
                    name: "http_request".into(),
                    arguments: args(json!({"url": "/flag"})),
                },
                ToolCall {
                    id: "call_b".into(),
                    name: "submit_answer".into(),
                    arguments: args(json!({"answer": "flag{x}"})),
                },
            ],
            usage: TokenUsage::default(),
            stop_reason: "tool_use".into(),
            thinking_blocks: vec![
                json!({"type": "thinking", "thinking": "hmm", "signature": "sig-0"}),
            ],
        }),
        Turn::ToolResults {
            results: vec![
                ToolResult {
                    call_id: "call_a".into(),
                    name: "http_request".into(),
                    content: "{\"status\": 200}".into(),
                    is_error: false,
                },
                ToolResult {
                    call_id: "call_b".into(),
                    name: "submit_answer".into(),
                    content: "wrong answer".into(),
                    is_error: true,
                },
            ],
        },
    ]
}

fn tools() -> Vec<ToolDef> {
    vec![ToolDef {
        name: "http_request".into(),
        description: "Send an HTTP request to the target.".into(),
        input_schema: json!({"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}),
    }]
}

/// An event stream of `(event name, data)` frames (no `event:` line for an empty name).
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

fn stream_response(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

fn openai_chunk(delta: Value, finish: Value) -> (&'static str, Value) {
    (
        "",
        json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
    )
}

/// A streamed Chat Completions answer: text in two pieces, two tool calls whose arguments
/// arrive in fragments, the finish reason, then the usage chunk and `[DONE]`.
fn openai_answer() -> String {
    let mut body = sse(&[
        openai_chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        openai_chunk(json!({"content": "  I will "}), Value::Null),
        openai_chunk(json!({"content": "check. "}), Value::Null),
        openai_chunk(
            json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "http_request", "arguments": ""}}]}),
            Value::Null,
        ),
        openai_chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"url\": \"/fl"}}]}),
            Value::Null,
        ),
        openai_chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "ag\"}"}}]}),
            Value::Null,
        ),
        openai_chunk(
            json!({"tool_calls": [{"index": 1, "id": "call_2", "type": "function", "function": {"name": "submit_answer", "arguments": "{\"answer\":"}}]}),
            Value::Null,
        ),
        openai_chunk(
            json!({"tool_calls": [{"index": 1, "function": {"arguments": " \"flag{x}\"}"}}]}),
            Value::Null,
        ),
        openai_chunk(json!({}), json!("tool_calls")),
        (
            "",
            json!({"id": "c1", "object": "chat.completion.chunk", "choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": 33, "total_tokens": 153}}),
        ),
    ]);
    body.push_str("data: [DONE]\n\n");
    body
}

fn delta(index: u64, delta: Value) -> (&'static str, Value) {
    (
        "content_block_delta",
        json!({"type": "content_block_delta", "index": index, "delta": delta}),
    )
}

fn block_start(index: u64, block: Value) -> (&'static str, Value) {
    (
        "content_block_start",
        json!({"type": "content_block_start", "index": index, "content_block": block}),
    )
}

fn block_stop(index: u64) -> (&'static str, Value) {
    (
        "content_block_stop",
        json!({"type": "content_block_stop", "index": index}),
    )
}

/// A streamed Messages answer: a thinking block (with its signature), text in two pieces,
/// two tool calls whose input arrives in fragments, a ping, the stop reason and the usage.
fn anthropic_answer() -> String {
    sse(&[
        (
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "m", "stop_reason": null, "usage": {"input_tokens": 250, "output_tokens": 1}}}),
        ),
        block_start(
            0,
            json!({"type": "thinking", "thinking": "", "signature": ""}),
        ),
        delta(
            0,
            json!({"type": "thinking_delta", "thinking": "The flag is "}),
        ),
        delta(
            0,
            json!({"type": "thinking_delta", "thinking": "at /flag."}),
        ),
        delta(0, json!({"type": "signature_delta", "signature": "sig-1"})),
        block_stop(0),
        ("ping", json!({"type": "ping"})),
        block_start(1, json!({"type": "text", "text": ""})),
        delta(1, json!({"type": "text_delta", "text": " I'll fetch "})),
        delta(1, json!({"type": "text_delta", "text": "it. "})),
        block_stop(1),
        block_start(
            2,
            json!({"type": "tool_use", "id": "toolu_1", "name": "http_request", "input": {}}),
        ),
        delta(2, json!({"type": "input_json_delta", "partial_json": ""})),
        delta(
            2,
            json!({"type": "input_json_delta", "partial_json": "{\"url\": \"/fl"}),
        ),
        delta(
            2,
            json!({"type": "input_json_delta", "partial_json": "ag\"}"}),
        ),
        block_stop(2),
        block_start(
            3,
            json!({"type": "tool_use", "id": "toolu_2", "name": "submit_answer", "input": {}}),
        ),
        delta(
            3,
            json!({"type": "input_json_delta", "partial_json": "{\"answer\""}),
        ),
        delta(
            3,
            json!({"type": "input_json_delta", "partial_json": ": \"flag{x}\"}"}),
        ),
        block_stop(3),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 87}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ])
}

fn openai(server: &MockServer) -> OpenAiChat {
    OpenAiChat::builder(KEY)
        .base_url(format!("{}/v1/", server.uri()))
        .retry(
            RetryPolicy::attempts(3)
                .with_backoff(Duration::from_millis(10), Duration::from_millis(20)),
        )
        .build()
        .unwrap()
}

fn anthropic(server: &MockServer) -> AnthropicMessages {
    AnthropicMessages::builder(KEY)
        .base_url(format!("{}/", server.uri()))
        .retry(
            RetryPolicy::attempts(3)
                .with_backoff(Duration::from_millis(10), Duration::from_millis(20)),
        )
        .build()
        .unwrap()
}

fn body_of(req: &Request) -> Value {
    serde_json::from_slice(&req.body).unwrap()
}

#[tokio::test]
async fn openai_sends_the_reference_request_and_reads_the_streamed_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(stream_response(openai_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let model = openai(&server);
    let turn = model
        .respond("You are a CTF player.", &transcript(), &tools())
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let sent = body_of(&requests[0]);
    let expected = json!({
        "model": "gpt-4o-mini",
        "max_tokens": 4096,
        "temperature": 0.0,
        "messages": [
            {"role": "system", "content": "You are a CTF player."},
            {"role": "user", "content": "Find the flag."},
            {"role": "assistant", "content": "Looking.", "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "http_request", "arguments": "{\"url\": \"/flag\"}"}},
                {"id": "call_b", "type": "function", "function": {"name": "submit_answer", "arguments": "{\"answer\": \"flag{x}\"}"}},
            ]},
            {"role": "tool", "tool_call_id": "call_a", "content": "{\"status\": 200}"},
            {"role": "tool", "tool_call_id": "call_b", "content": "wrong answer"},
        ],
        "tools": [{"type": "function", "function": {
            "name": "http_request",
            "description": "Send an HTTP request to the target.",
            "parameters": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
        }}],
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    assert_eq!(sent, expected);
    assert!(requests[0].headers.get("x-api-key").is_none());

    assert_eq!(
        turn,
        AssistantTurn {
            text: "I will check.".into(),
            tool_calls: vec![
                ToolCall {
                    id: "call_1".into(),
                    name: "http_request".into(),
                    arguments: args(json!({"url": "/flag"})),
                },
                ToolCall {
                    id: "call_2".into(),
                    name: "submit_answer".into(),
                    arguments: args(json!({"answer": "flag{x}"})),
                },
            ],
            usage: TokenUsage {
                input_tokens: 120,
                output_tokens: 33
            },
            stop_reason: "tool_calls".into(),
            thinking_blocks: vec![],
        }
    );
}

#[tokio::test]
async fn openai_leaves_out_an_empty_system_prompt_and_tool_list_and_reads_bad_arguments_as_empty() {
    let server = MockServer::start().await;
    let mut body = sse(&[
        openai_chunk(
            json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_questions", "arguments": "{not json"}}]}),
            Value::Null,
        ),
        openai_chunk(json!({}), json!("tool_calls")),
    ]);
    body.push_str("data: [DONE]\n\n");
    Mock::given(method("POST"))
        .respond_with(stream_response(body))
        .mount(&server)
        .await;
    let model = OpenAiChat::builder(KEY)
        .base_url(format!("{}/v1", server.uri()))
        .model("my-gateway-model")
        .max_tokens(100)
        .temperature(0.5)
        .build()
        .unwrap();
    let turn = model
        .respond("", &[Turn::User { text: "hi".into() }], &[])
        .await
        .unwrap();
    let sent = body_of(&server.received_requests().await.unwrap()[0]);
    assert_eq!(
        sent,
        json!({
            "model": "my-gateway-model", "max_tokens": 100, "temperature": 0.5,
            "messages": [{"role": "user", "content": "hi"}],
            "stream": true, "stream_options": {"include_usage": true},
        })
    );
    assert_eq!(turn.tool_calls[0].arguments, serde_json::Map::new());
    assert_eq!(turn.text, "");
    // No usage chunk: zero, not an error.
    assert_eq!(turn.usage, TokenUsage::default());
}

#[tokio::test]
async fn anthropic_sends_the_reference_request_and_reads_the_streamed_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .and(header("content-type", "application/json"))
        .respond_with(stream_response(anthropic_answer()))
        .expect(1)
        .mount(&server)
        .await;
    let model = anthropic(&server);
    let turn = model
        .respond("You are a CTF player.", &transcript(), &tools())
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("authorization").is_none());
    let sent = body_of(&requests[0]);
    let expected = json!({
        "model": "claude-haiku-4-5-20251001",
        "max_tokens": 64000,
        "system": "You are a CTF player.",
        "messages": [
            {"role": "user", "content": "Find the flag."},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig-0"},
                {"type": "text", "text": "Looking."},
                {"type": "tool_use", "id": "call_a", "name": "http_request", "input": {"url": "/flag"}},
                {"type": "tool_use", "id": "call_b", "name": "submit_answer", "input": {"answer": "flag{x}"}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_a", "content": "{\"status\": 200}", "is_error": false},
                {"type": "tool_result", "tool_use_id": "call_b", "content": "wrong answer", "is_error": true},
            ]},
        ],
        "tools": [{
            "name": "http_request",
            "description": "Send an HTTP request to the target.",
            "input_schema": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]},
        }],
        "stream": true,
    });
    assert_eq!(sent, expected);
    assert!(sent.get("temperature").is_none());

    assert_eq!(
        turn,
        AssistantTurn {
            text: "I'll fetch it.".into(),
            tool_calls: vec![
                ToolCall {
                    id: "toolu_1".into(),
                    name: "http_request".into(),
                    arguments: args(json!({"url": "/flag"})),
                },
                ToolCall {
                    id: "toolu_2".into(),
                    name: "submit_answer".into(),
                    arguments: args(json!({"answer": "flag{x}"})),
                },
            ],
            usage: TokenUsage {
                input_tokens: 250,
                output_tokens: 87
            },
            stop_reason: "tool_use".into(),
            thinking_blocks: vec![
                json!({"type": "thinking", "thinking": "The flag is at /flag.", "signature": "sig-1"})
            ],
        }
    );
}

#[tokio::test]
async fn anthropic_replays_what_it_received_and_joins_text_blocks() {
    let server = MockServer::start().await;
    let body = sse(&[
        (
            "message_start",
            json!({"type": "message_start", "message": {"usage": {"input_tokens": 5, "output_tokens": 1}}}),
        ),
        block_start(0, json!({"type": "redacted_thinking", "data": "opaque"})),
        block_stop(0),
        block_start(1, json!({"type": "text", "text": ""})),
        delta(1, json!({"type": "text_delta", "text": "first"})),
        block_stop(1),
        block_start(2, json!({"type": "text", "text": ""})),
        block_stop(2),
        block_start(3, json!({"type": "text", "text": "second"})),
        block_stop(3),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ]);
    Mock::given(method("POST"))
        .respond_with(stream_response(body))
        .mount(&server)
        .await;
    let model = anthropic(&server);
    let first = model
        .respond("", &[Turn::User { text: "hi".into() }], &[])
        .await
        .unwrap();
    assert_eq!(first.text, "first\nsecond");
    assert_eq!(first.stop_reason, "end_turn");
    assert_eq!(
        first.thinking_blocks,
        vec![json!({"type": "redacted_thinking", "data": "opaque"})]
    );
    // The turn goes back as received: its thinking block first, no system, no tools.
    let transcript = vec![
        Turn::User { text: "hi".into() },
        Turn::Assistant(first),
        Turn::User {
            text: "go on".into(),
        },
    ];
    model.respond("", &transcript, &[]).await.unwrap();
    let sent = body_of(&server.received_requests().await.unwrap()[1]);
    assert_eq!(
        sent,
        json!({
            "model": "claude-haiku-4-5-20251001", "max_tokens": 64000, "stream": true,
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": [
                    {"type": "redacted_thinking", "data": "opaque"},
                    {"type": "text", "text": "first\nsecond"},
                ]},
                {"role": "user", "content": "go on"},
            ],
        })
    );
}

#[tokio::test]
async fn anthropic_error_event_is_a_status_error_with_its_message() {
    let server = MockServer::start().await;
    let body = sse(&[
        (
            "message_start",
            json!({"type": "message_start", "message": {"usage": {"input_tokens": 5, "output_tokens": 1}}}),
        ),
        (
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ),
    ]);
    Mock::given(method("POST"))
        .respond_with(stream_response(body))
        .mount(&server)
        .await;
    let err = anthropic(&server)
        .respond("", &[Turn::User { text: "hi".into() }], &[])
        .await
        .unwrap_err();
    match err {
        ModelError::Status { status, message } => {
            assert_eq!((status, message.as_str()), (529, "Overloaded"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_stream_cut_short_is_an_error() {
    let server = MockServer::start().await;
    let cut = sse(&[openai_chunk(
        json!({"content": "half an answ"}),
        Value::Null,
    )]);
    Mock::given(method("POST"))
        .respond_with(stream_response(cut))
        .mount(&server)
        .await;
    let err = openai(&server)
        .respond("", &[Turn::User { text: "hi".into() }], &[])
        .await
        .unwrap_err();
    assert!(matches!(err, ModelError::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_retried_once() {
    for flavor in [Flavor::OpenAi, Flavor::Anthropic] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "1")
                    .set_body_json(
                        json!({"error": {"type": "rate_limit_error", "message": "slow down"}}),
                    ),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        let answer = match flavor {
            Flavor::OpenAi => openai_answer(),
            _ => anthropic_answer(),
        };
        Mock::given(method("POST"))
            .respond_with(stream_response(answer))
            .with_priority(2)
            .mount(&server)
            .await;
        let started = Instant::now();
        let turn = match flavor {
            Flavor::OpenAi => openai(&server).respond("", &transcript(), &[]).await,
            _ => anthropic(&server).respond("", &transcript(), &[]).await,
        }
        .unwrap();
        assert_eq!(turn.tool_calls.len(), 2);
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
        // The backoff is 10 ms: the wait is the server's second.
        assert!(started.elapsed() >= Duration::from_millis(950), "{flavor}");
    }
}

#[tokio::test]
async fn server_errors_are_retried_up_to_the_bound() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"message": "the engine broke"}})),
        )
        .mount(&server)
        .await;
    let err = openai(&server)
        .respond("", &transcript(), &[])
        .await
        .unwrap_err();
    match &err {
        ModelError::Status { status, message } => {
            assert_eq!((*status, message.as_str()), (500, "the engine broke"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert_eq!(
        err.to_string(),
        "model API answered HTTP 500: the engine broke"
    );
}

#[tokio::test]
async fn a_retry_after_over_the_bound_is_not_waited() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "3600")
                .set_body_string("busy"),
        )
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = anthropic(&server)
        .respond("", &transcript(), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, ModelError::Status { status: 503, ref message } if message == "busy"),
        "{err:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_400_is_not_retried_and_keeps_the_provider_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "max_tokens: 64000 > 8192, the maximum"},
        })))
        .mount(&server)
        .await;
    let err = anthropic(&server)
        .respond("", &transcript(), &[])
        .await
        .unwrap_err();
    match err {
        ModelError::Status { status, message } => {
            assert_eq!(status, 400);
            assert_eq!(message, "max_tokens: 64000 > 8192, the maximum");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_non_json_error_body_is_kept_as_a_bounded_snippet() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(404).set_body_string("x".repeat(100_000)))
        .mount(&server)
        .await;
    let err = openai(&server)
        .respond("", &transcript(), &[])
        .await
        .unwrap_err();
    let ModelError::Status {
        status: 404,
        message,
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(
        message.starts_with("xxx") && message.len() < 2_000,
        "{}",
        message.len()
    );
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(stream_response(openai_answer()).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let model = OpenAiChat::builder(KEY)
        .base_url(format!("{}/v1", server.uri()))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = model.respond("", &transcript(), &[]).await.unwrap_err();
    assert!(
        matches!(err, ModelError::Timeout(d) if d == Duration::from_millis(300)),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_unreachable_provider_is_retried_then_a_transport_error() {
    // A port with nothing behind it: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let model = AnthropicMessages::builder(KEY)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(
            RetryPolicy::attempts(2)
                .with_backoff(Duration::from_millis(10), Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    let err = model.respond("", &transcript(), &[]).await.unwrap_err();
    assert!(matches!(err, ModelError::Transport(_)), "{err:?}");
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn the_key_shows_nowhere() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"message": format!("Incorrect API key provided: {KEY}"), "type": "invalid_request_error"},
        })))
        .mount(&server)
        .await;
    let openai = openai(&server);
    let anthropic = anthropic(&server);
    for text in [
        format!("{openai:?}"),
        format!("{anthropic:?}"),
        format!("{:?}", OpenAiChat::builder(KEY)),
        format!("{:?}", AnthropicMessages::builder(KEY)),
    ] {
        assert!(!text.contains(KEY) && !text.contains("SECRET"), "{text}");
    }
    for err in [
        openai.respond("", &transcript(), &[]).await.unwrap_err(),
        anthropic.respond("", &transcript(), &[]).await.unwrap_err(),
    ] {
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(KEY), "{shown}");
        assert!(
            shown.contains("Incorrect API key provided: [redacted]"),
            "{shown}"
        );
    }
    let settings = LlmSettings::from_vars(|name| match name {
        "LLM_FLAVOR" => Some("openai".into()),
        "LLM_API_KEY" => Some(KEY.into()),
        _ => None,
    })
    .unwrap();
    assert!(!format!("{settings:?}").contains(KEY));
}

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

#[test]
fn from_vars_checks_the_flavor_and_the_key_and_fills_in_defaults() {
    let err = llm::from_vars(vars(&[("LLM_FLAVOR", "openai")]))
        .err()
        .unwrap();
    assert!(
        matches!(&err, ModelError::Config(m) if m.contains("LLM_API_KEY")),
        "{err}"
    );
    let err = llm::from_vars(vars(&[("LLM_FLAVOR", "openai"), ("LLM_API_KEY", "  ")]))
        .err()
        .unwrap();
    assert!(
        matches!(&err, ModelError::Config(m) if m.contains("LLM_API_KEY")),
        "{err}"
    );
    for flavor in ["gemini", ""] {
        let err = llm::from_vars(vars(&[("LLM_FLAVOR", flavor), ("LLM_API_KEY", "k")]))
            .err()
            .unwrap();
        let ModelError::Config(m) = &err else {
            panic!("{err:?}")
        };
        assert!(m.contains("openai") && m.contains("anthropic"), "{m}");
    }
    let s = LlmSettings::from_vars(vars(&[
        ("LLM_FLAVOR", " Anthropic\n"),
        ("LLM_API_KEY", " k "),
    ]))
    .unwrap();
    assert_eq!(
        (s.flavor, s.model.as_str(), s.base_url.as_deref()),
        (Flavor::Anthropic, "claude-haiku-4-5-20251001", None)
    );
    let s = LlmSettings::from_vars(vars(&[
        ("LLM_FLAVOR", "OPENAI"),
        ("LLM_API_KEY", "k"),
        ("LLM_MODEL", " "),
        ("LLM_BASE_URL", ""),
    ]))
    .unwrap();
    assert_eq!(
        (s.flavor, s.model.as_str(), s.base_url.as_deref()),
        (Flavor::OpenAi, "gpt-4o-mini", None)
    );
    let s = LlmSettings::from_vars(vars(&[
        ("LLM_FLAVOR", "openai"),
        ("LLM_API_KEY", "k"),
        ("LLM_MODEL", " deepseek-chat "),
        ("LLM_BASE_URL", " http://gw:4000/v1 "),
    ]))
    .unwrap();
    assert_eq!(
        (s.model.as_str(), s.base_url.as_deref()),
        ("deepseek-chat", Some("http://gw:4000/v1"))
    );
    assert!(
        llm::from_vars(vars(&[
            ("LLM_FLAVOR", "openai"),
            ("LLM_API_KEY", "k"),
            ("LLM_BASE_URL", "not a url")
        ]))
        .is_err()
    );
}

#[test]
fn base_urls_openai_includes_v1_anthropic_is_the_root() {
    let o = |base: &str| {
        OpenAiChat::builder("k")
            .base_url(base)
            .build()
            .unwrap()
            .url()
            .to_owned()
    };
    let a = |base: &str| {
        AnthropicMessages::builder("k")
            .base_url(base)
            .build()
            .unwrap()
            .url()
            .to_owned()
    };
    assert_eq!(
        OpenAiChat::builder("k").build().unwrap().url(),
        "https://api.openai.com/v1/chat/completions"
    );
    assert_eq!(
        AnthropicMessages::builder("k").build().unwrap().url(),
        "https://api.anthropic.com/v1/messages"
    );
    assert_eq!(o("http://gw:4000/v1"), "http://gw:4000/v1/chat/completions");
    assert_eq!(
        o("http://gw:4000/v1//"),
        "http://gw:4000/v1/chat/completions"
    );
    assert_eq!(
        o("https://openrouter.ai/api/v1/"),
        "https://openrouter.ai/api/v1/chat/completions"
    );
    assert_eq!(a("http://gw:4000"), "http://gw:4000/v1/messages");
    assert_eq!(a("http://gw:4000/"), "http://gw:4000/v1/messages");
    assert_eq!(
        a("http://gw:4000/anthropic/"),
        "http://gw:4000/anthropic/v1/messages"
    );
    assert!(
        OpenAiChat::builder("k")
            .base_url("ftp://x")
            .build()
            .is_err()
    );
    assert!(AnthropicMessages::builder("k").model(" ").build().is_err());
    assert!(
        OpenAiChat::builder("k")
            .timeout(Duration::ZERO)
            .build()
            .is_err()
    );
}

#[tokio::test]
async fn from_vars_builds_a_working_dyn_model_for_each_flavor() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer k1"))
        .respond_with(stream_response(openai_answer()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", "k2"))
        .respond_with(stream_response(anthropic_answer()))
        .mount(&server)
        .await;
    let openai: Box<dyn Model> = llm::from_vars(vars(&[
        ("LLM_FLAVOR", "openai"),
        ("LLM_API_KEY", " k1 "),
        ("LLM_MODEL", "gw-model"),
        ("LLM_BASE_URL", &format!("{}/v1/", server.uri())),
    ]))
    .unwrap();
    let anthropic: Box<dyn Model> = llm::from_vars(vars(&[
        ("LLM_FLAVOR", "anthropic"),
        ("LLM_API_KEY", "k2"),
        ("LLM_BASE_URL", &server.uri()),
    ]))
    .unwrap();
    let o = openai.respond("s", &transcript(), &[]).await.unwrap();
    let a = anthropic.respond("s", &transcript(), &[]).await.unwrap();
    assert_eq!(
        (o.stop_reason.as_str(), a.stop_reason.as_str()),
        ("tool_calls", "tool_use")
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(body_of(&requests[0])["model"], "gw-model");
    assert_eq!(body_of(&requests[1])["model"], "claude-haiku-4-5-20251001");
}

#[tokio::test]
async fn a_gateway_that_does_not_stream_is_read_too() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "c1", "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": " Checking. ",
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "http_request", "arguments": "{\"url\": \"/flag\"}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "submit_answer", "arguments": "oops"}},
                ],
            }}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7},
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [
                {"type": "thinking", "thinking": "hm", "signature": "s"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "http_request", "input": {"url": "/flag"}},
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 21, "output_tokens": 9},
        })))
        .mount(&server)
        .await;
    let o = openai(&server)
        .respond("", &transcript(), &[])
        .await
        .unwrap();
    assert_eq!(o.text, "Checking.");
    assert_eq!(o.stop_reason, "tool_calls");
    assert_eq!(
        o.usage,
        TokenUsage {
            input_tokens: 11,
            output_tokens: 7
        }
    );
    assert_eq!(o.tool_calls[0].arguments, args(json!({"url": "/flag"})));
    assert_eq!(
        (
            o.tool_calls[1].name.as_str(),
            o.tool_calls[1].arguments.len()
        ),
        ("submit_answer", 0)
    );
    let a = anthropic(&server)
        .respond("", &transcript(), &[])
        .await
        .unwrap();
    assert_eq!(a.text, "Checking.");
    assert_eq!(a.stop_reason, "tool_use");
    assert_eq!(
        a.usage,
        TokenUsage {
            input_tokens: 21,
            output_tokens: 9
        }
    );
    assert_eq!(a.tool_calls[0].arguments, args(json!({"url": "/flag"})));
    assert_eq!(
        a.thinking_blocks,
        vec![json!({"type": "thinking", "thinking": "hm", "signature": "s"})]
    );
}

#[tokio::test]
async fn an_error_inside_the_stream_is_a_status_error_with_the_key_masked() {
    let server = MockServer::start().await;
    let body = sse(&[
        openai_chunk(json!({"content": "Hel"}), Value::Null),
        (
            "",
            json!({"error": {"message": format!("upstream refused key {KEY}"), "code": 429}}),
        ),
    ]);
    Mock::given(method("POST"))
        .respond_with(stream_response(body))
        .mount(&server)
        .await;
    let err = openai(&server)
        .respond("", &transcript(), &[])
        .await
        .unwrap_err();
    match &err {
        ModelError::Status { status, message } => {
            assert_eq!(
                (*status, message.as_str()),
                (429, "upstream refused key [redacted]")
            );
        }
        other => panic!("{other:?}"),
    }
    // Once an answer began, nothing is retried.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn openai_tool_arguments_are_sent_as_the_reference_writes_them() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(stream_response(openai_answer()))
        .mount(&server)
        .await;
    let transcript = vec![Turn::Assistant(AssistantTurn {
        tool_calls: vec![ToolCall {
            id: "c".into(),
            name: "t".into(),
            arguments: args(json!({"a": [1, {"x": null}], "b": "é😀\n\"q\""})),
        }],
        ..AssistantTurn::default()
    })];
    openai(&server).respond("", &transcript, &[]).await.unwrap();
    let sent = body_of(&server.received_requests().await.unwrap()[0]);
    assert_eq!(
        sent["messages"][0],
        json!({"role": "assistant", "content": "", "tool_calls": [{"id": "c", "type": "function", "function": {
            "name": "t",
            "arguments": "{\"a\": [1, {\"x\": null}], \"b\": \"\\u00e9\\ud83d\\ude00\\n\\\"q\\\"\"}",
        }}]})
    );
}

#[tokio::test]
async fn a_retry_after_date_is_honoured_and_529_is_retried() {
    let server = MockServer::start().await;
    let at = std::time::SystemTime::now() + Duration::from_secs(2);
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(529)
                .insert_header("retry-after", httpdate::fmt_http_date(at).as_str())
                .set_body_json(json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header(
            "user-agent",
            concat!("ctfy-agent/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(stream_response(anthropic_answer()))
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    let turn = anthropic(&server)
        .respond("", &transcript(), &[])
        .await
        .unwrap();
    assert_eq!(turn.stop_reason, "tool_use");
    // The date has a one-second resolution: at least a second was waited, not the 10 ms backoff.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_retry_that_would_end_past_the_timeout_is_not_made() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "5")
                .set_body_json(json!({"error": {"message": "rate limited"}})),
        )
        .mount(&server)
        .await;
    let model = OpenAiChat::builder(KEY)
        .base_url(format!("{}/v1", server.uri()))
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = model.respond("", &transcript(), &[]).await.unwrap_err();
    assert!(
        matches!(&err, ModelError::Status { status: 429, message } if message == "rate limited"),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn huge_timeouts_and_retry_bounds_do_not_overflow() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).insert_header("retry-after", "99999999999999999999"),
        )
        .mount(&server)
        .await;
    let model = AnthropicMessages::builder(KEY)
        .base_url(server.uri())
        .timeout(Duration::MAX)
        .retry(RetryPolicy::attempts(2).with_max_retry_after(Duration::MAX))
        .build()
        .unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        model.respond("", &transcript(), &[]),
    )
    .await
    .expect("no 30-year wait");
    // A wait past the (30-year) bound is not made.
    assert!(
        matches!(err, Err(ModelError::Status { status: 503, .. })),
        "{err:?}"
    );
}
