//! The tool tables against the reference (`ctfy.eval.tools`, printed by the platform's
//! virtualenv at test time), and the dispatcher against a mock platform and a local target.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ctfy::testing::{MockChallenge, MockPlatform, Route};
use ctfy_agent::brief::RunMode;
use ctfy_agent::tools::{Dispatcher, MAX_BODY_CHARS, Scope, TargetHttp, tool_defs};
use ctfy_agent::{ToolCall, ToolResult};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const PRINT_REFERENCE_TOOLS: &str = r#"
import json
from ctfy.eval import tools as t
tables = {
    "instance": t.tool_defs(), "qa": t.qa_tool_defs(), "defence": t.defence_tool_defs(),
    "engagement": t.report_tool_defs(), "awd": t.awd_tool_defs(),
}
print(json.dumps({mode: [{"name": d.name, "input_schema": d.input_schema} for d in defs]
                  for mode, defs in tables.items()}))
"#;

/// The schema without its prose: every `description` string dropped.
fn structure(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, v)| !(k.as_str() == "description" && v.is_string()))
                .map(|(k, v)| (k.clone(), structure(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(structure).collect()),
        other => other.clone(),
    }
}

#[test]
fn every_table_has_the_reference_names_and_input_schemas() {
    let python = root().join(".venv/bin/python");
    if !python.exists() {
        eprintln!("skipped: no platform virtualenv at {}", python.display());
        return;
    }
    let out = Command::new(python)
        .arg("-c")
        .arg(PRINT_REFERENCE_TOOLS)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Value = serde_json::from_slice(&out.stdout).unwrap();
    for mode in RunMode::ALL {
        let theirs = reference[mode.as_str()].as_array().unwrap();
        let ours = tool_defs(mode);
        let names = |v: &[Value]| {
            v.iter()
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ours.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            names(theirs),
            "{mode}: tool names and order"
        );
        for (mine, reference) in ours.iter().zip(theirs) {
            assert_eq!(
                structure(&mine.input_schema),
                structure(&reference["input_schema"]),
                "{mode}: {} input schema",
                mine.name
            );
            // The properties are listed in the reference's order.
            let keys = |v: &Value| {
                v["properties"]
                    .as_object()
                    .map(|m| m.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
            };
            let mut mine_keys = keys(&mine.input_schema);
            let mut their_keys = keys(&reference["input_schema"]);
            mine_keys.sort();
            their_keys.sort();
            assert_eq!(mine_keys, their_keys, "{mode}: {}", mine.name);
            assert!(!mine.description.is_empty());
        }
    }
}

fn call(name: &str, arguments: Value) -> ToolCall {
    ToolCall {
        id: format!("call-{name}"),
        name: name.to_owned(),
        arguments: arguments.as_object().cloned().unwrap_or_default(),
    }
}

async fn dispatcher_for_instance(
    mock: &MockPlatform,
    challenge: &str,
) -> (Dispatcher, ctfy::client::ReadyInstance) {
    let client = mock.client();
    let ready = client
        .instances()
        .start(challenge)
        .competition_id(mock.competition_id())
        .deadline(Duration::from_secs(10))
        .await
        .unwrap();
    let scope = Scope {
        mode: RunMode::Instance,
        challenge_id: challenge.parse().unwrap(),
        competition_id: Some(mock.competition_id()),
        instance_id: Some(ready.id.clone()),
        qa_questions: Vec::new(),
    };
    (
        Dispatcher::new(client, TargetHttp::new().unwrap(), scope),
        ready,
    )
}

fn ok(r: &ToolResult) -> &str {
    assert!(!r.is_error, "{}: {}", r.name, r.content);
    &r.content
}

#[tokio::test]
async fn an_instance_is_played_through_the_dispatcher() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1").question("token", "FLAG{t}"))
        .start()
        .await;
    let (d, ready) = dispatcher_for_instance(&mock, "WEB-1").await;
    let questions = d.dispatch(&call("get_questions", json!({}))).await;
    assert!(ok(&questions).contains("- flag:"), "{}", questions.content);
    assert!(questions.content.contains("- token:"));

    let url = format!("{}/flag", ready.surface.web_service().unwrap().url());
    let got = d.dispatch(&call("http_request", json!({"url": url}))).await;
    assert!(ok(&got).starts_with("HTTP 200\n"), "{}", got.content);
    assert!(
        got.content.trim_end().ends_with("FLAG{WEB-1}"),
        "{}",
        got.content
    );

    let wrong = d
        .dispatch(&call(
            "submit_answer",
            json!({"question_id": "flag", "answer": "nope"}),
        ))
        .await;
    assert!(
        ok(&wrong).starts_with("INCORRECT for flag"),
        "{}",
        wrong.content
    );
    let right = d
        .dispatch(&call(
            "submit_answer",
            json!({"question_id": "flag", "answer": "FLAG{WEB-1}"}),
        ))
        .await;
    assert!(
        ok(&right).starts_with("CORRECT for flag"),
        "{}",
        right.content
    );
    assert!(d.observed().solved.contains("flag"));
    assert!(!d.observed().fully_solved);
    let last = d
        .dispatch(&call(
            "submit_answer",
            json!({"question_id": "token", "answer": "FLAG{t}"}),
        ))
        .await;
    assert!(
        ok(&last).contains("challenge fully solved"),
        "{}",
        last.content
    );
    assert!(d.observed().fully_solved);
    assert_eq!(mock.requests(Route::Submit), 3);

    // Bad arguments and unknown tools are results, not failures.
    let bad = d
        .dispatch(&call("submit_answer", json!({"question_id": "flag"})))
        .await;
    assert!(bad.is_error && bad.content.contains("'answer'"));
    let unknown = d.dispatch(&call("submit_qa_answer", json!({}))).await;
    assert!(unknown.is_error && unknown.content.contains("unknown tool"));
    let no_url = d.dispatch(&call("http_request", json!({}))).await;
    assert!(no_url.is_error);
    let _ = mock.client().instances().stop(&ready.id).await;
}

#[tokio::test]
async fn a_qa_challenge_is_answered_through_the_dispatcher() {
    let mock = MockPlatform::builder()
        .challenge(
            MockChallenge::qa("QA-1")
                .question("q1", "22")
                .question("q2", "443"),
        )
        .start()
        .await;
    let client = mock.client();
    let info = support::stub_challenge(&mock, "QA-1").await;
    let scope = Scope {
        mode: RunMode::Qa,
        challenge_id: "QA-1".parse().unwrap(),
        competition_id: Some(mock.competition_id()),
        instance_id: None,
        qa_questions: info
            .questions
            .iter()
            .map(|q| ctfy_agent::tools::QuestionView {
                id: q.id.to_string(),
                prompt: q.prompt.clone(),
                choices: Vec::new(),
            })
            .collect(),
    };
    let d = Dispatcher::new(client, TargetHttp::new().unwrap(), scope);
    assert_eq!(
        d.tools()
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["submit_qa_answer", "get_questions"]
    );
    let r = d
        .dispatch(&call(
            "submit_qa_answer",
            json!({"question_id": "q1", "answer": "22"}),
        ))
        .await;
    assert!(ok(&r).starts_with("CORRECT for q1"), "{}", r.content);
    let open = d.dispatch(&call("get_questions", json!({}))).await;
    assert!(
        !ok(&open).contains("q1:") && open.content.contains("q2"),
        "{}",
        open.content
    );
    assert_eq!(
        d.qa_solved().await.unwrap().into_iter().collect::<Vec<_>>(),
        ["q1"]
    );
    // http_request is not offered on a QA run.
    let r = d
        .dispatch(&call("http_request", json!({"url": "http://127.0.0.1:9/"})))
        .await;
    assert!(r.is_error && r.content.contains("unknown tool"));
}

#[tokio::test]
async fn the_http_caller_keeps_the_reference_limits() {
    let target = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/go"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/flag"))
        .mount(&target)
        .await;
    Mock::given(method("GET"))
        .and(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(MAX_BODY_CHARS * 3)))
        .mount(&target)
        .await;
    Mock::given(method("GET"))
        .and(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&target)
        .await;
    Mock::given(method("POST"))
        .and(path("/echo"))
        .and(wiremock::matchers::header("x-test", "1"))
        .and(wiremock::matchers::body_string("a=b"))
        .respond_with(ResponseTemplate::new(201).set_body_string("made"))
        .mount(&target)
        .await;
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .start()
        .await;
    let scope = Scope {
        mode: RunMode::Instance,
        challenge_id: "WEB-1".parse().unwrap(),
        competition_id: None,
        instance_id: None,
        qa_questions: Vec::new(),
    };
    let d = Dispatcher::new(
        mock.client(),
        TargetHttp::with_timeout(Duration::from_millis(500)).unwrap(),
        scope,
    );
    let base = target.uri();
    let redirect = d
        .dispatch(&call("http_request", json!({"url": format!("{base}/go")})))
        .await;
    assert!(
        ok(&redirect).starts_with("HTTP 302\n"),
        "{}",
        redirect.content
    );
    assert!(redirect.content.contains("location: /flag"));
    let big = d
        .dispatch(&call("http_request", json!({"url": format!("{base}/big")})))
        .await;
    assert!(ok(&big).ends_with(&format!("[cut: {} characters in all]", MAX_BODY_CHARS * 3)));
    let slow = d
        .dispatch(&call(
            "http_request",
            json!({"url": format!("{base}/slow")}),
        ))
        .await;
    assert!(
        slow.is_error && slow.content.contains("timed out"),
        "{}",
        slow.content
    );
    let post = d
        .dispatch(&call(
            "http_request",
            json!({"url": format!("{base}/echo"), "method": "post", "headers": {"X-Test": "1"}, "body": "a=b"}),
        ))
        .await;
    assert!(
        ok(&post).starts_with("HTTP 201\n") && post.content.ends_with("made"),
        "{}",
        post.content
    );
    let refused = d
        .dispatch(&call("http_request", json!({"url": "http://127.0.0.1:9/"})))
        .await;
    assert!(refused.is_error);
}
