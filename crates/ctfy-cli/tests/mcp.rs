//! `ctfy mcp` over stdio, driven by an `rmcp` client, against the real local platform.
//!
//! 1. Tool-list parity with the Python package's `ctfy mcp`: the Python server's tool list
//!    (names, parameter names, required parameters, basic JSON types) is read at test time
//!    from `$CTFY_VENV` and compared with this server's.
//!    Extended to titles, declared defaults, `additionalProperties: false`, output schemas and
//!    which results are wrapped as `{"result": …}`.
//! 2. A challenge played end to end through the tools; every `structuredContent` matches its
//!    text and validates against the tool's `outputSchema` (with the venv's `jsonschema`).
//! 3. `ctfy mcp --http` without a token, driven by `rmcp`'s streamable-HTTP client: two
//!    players' bearer tokens on one server each see their own account; no bearer token is a
//!    401.
//!
//! Without a platform each test prints `skipped` (and fails under `CI=true`).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use ctfy::models::{ChallengeInfo, CompetitionInfo, InstanceStatusResponse, SubmissionResponse};
use ctfy_cli::commands::InstanceReady;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use serde_json::{Map, Value, json};

/// Lists the Python server's tools as `[{"name", "title", "description", "schema", "output"}]`
/// (what FastMCP declares in `tools/list`).
const PY_TOOLS: &str = r#"
import asyncio, json
from ctfy.mcp import server

async def main():
    tools = await server.mcp.list_tools()
    out = []
    for t in tools:
        m = t.to_mcp_tool() if hasattr(t, "to_mcp_tool") else t
        out.append({"name": t.name, "title": getattr(m, "title", None),
                    "description": m.description or "",
                    "schema": m.inputSchema, "output": getattr(m, "outputSchema", None)})
    print(json.dumps(out))

asyncio.run(main())
"#;

/// Validates each `[schema, instance]` pair read from stdin with the venv's `jsonschema`; prints
/// one line per failure.
const PY_VALIDATE: &str = r#"
import json, sys
import jsonschema
for name, schema, instance in json.load(sys.stdin):
    for e in jsonschema.Draft202012Validator(schema).iter_errors(instance):
        print(f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
"#;

/// The signature of one tool: parameter → its basic JSON types (without `null`), the allowed
/// values of parameters that enumerate them, the required parameters, the declared defaults,
/// whether unknown arguments are refused, and whether results are wrapped as `{"result": …}`.
#[derive(Debug, PartialEq, Eq)]
struct Signature {
    params: BTreeMap<String, BTreeSet<String>>,
    choices: BTreeMap<String, BTreeSet<String>>,
    required: BTreeSet<String>,
    defaults: BTreeMap<String, String>,
    closed: bool,
    wrapped: bool,
}

/// The values a (sub)schema enumerates (`enum`, `const`), following `$ref` and the
/// combinators.
fn choices(schema: &Value, root: &Value, out: &mut BTreeSet<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r
            .strip_prefix("#/")
            .map(|p| p.split('/').fold(root, |v, k| &v[k]))
            .unwrap_or(&Value::Null);
        choices(target, root, out);
    }
    let values = schema.get("const").into_iter().chain(
        schema
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    out.extend(values.map(|v| v.to_string()));
    for key in ["anyOf", "oneOf", "allOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            choices(sub, root, out);
        }
    }
    // Whether null is allowed is optionality, compared through `required`.
    out.remove("null");
}

/// The basic JSON types a (sub)schema allows, following `$ref`, `anyOf`, `oneOf` and `allOf`,
/// and `const`/`enum` values when there is no `type`.
fn basic_types(schema: &Value, root: &Value, out: &mut BTreeSet<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r
            .strip_prefix("#/")
            .map(|p| p.split('/').fold(root, |v, k| &v[k]))
            .unwrap_or(&Value::Null);
        basic_types(target, root, out);
    }
    match schema.get("type") {
        Some(Value::String(t)) => {
            out.insert(t.clone());
        }
        Some(Value::Array(ts)) => {
            out.extend(ts.iter().filter_map(Value::as_str).map(str::to_owned))
        }
        _ => {
            let values = schema.get("const").into_iter().chain(
                schema
                    .get("enum")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
            for v in values {
                out.insert(
                    match v {
                        Value::String(_) => "string",
                        Value::Bool(_) => "boolean",
                        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                        Value::Number(_) => "number",
                        Value::Null => "null",
                        Value::Array(_) => "array",
                        Value::Object(_) => "object",
                    }
                    .to_owned(),
                );
            }
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            basic_types(sub, root, out);
        }
    }
    out.remove("null");
}

fn signature(schema: &Value, output: &Value) -> Signature {
    let empty = Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let params = props
        .iter()
        .map(|(name, sub)| {
            let mut types = BTreeSet::new();
            basic_types(sub, schema, &mut types);
            (name.clone(), types)
        })
        .collect();
    let choices = props
        .iter()
        .filter_map(|(name, sub)| {
            let mut values = BTreeSet::new();
            choices(sub, schema, &mut values);
            (!values.is_empty()).then(|| (name.clone(), values))
        })
        .collect();
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let defaults = props
        .iter()
        .filter_map(|(name, sub)| Some((name.clone(), sub.get("default")?.to_string())))
        .collect();
    Signature {
        params,
        choices,
        required,
        defaults,
        closed: schema.get("additionalProperties") == Some(&Value::Bool(false)),
        wrapped: output.get("x-fastmcp-wrap-result") == Some(&Value::Bool(true)),
    }
}

/// The total and the median of description lengths (the upper middle for an even count).
fn description_figures(lengths: impl Iterator<Item = usize>) -> (usize, usize) {
    let mut lengths: Vec<usize> = lengths.collect();
    lengths.sort_unstable();
    let total = lengths.iter().sum();
    (total, lengths.get(lengths.len() / 2).copied().unwrap_or(0))
}

/// Spawns `ctfy mcp` with the player's token and connects an MCP client to it.
async fn connect(env: &support::LiveEnv) -> RunningService<RoleClient, ()> {
    connect_with(env, env.var("PLAYER_TOKEN")).await
}

/// Spawns `ctfy mcp` with `token` and connects an MCP client to it.
async fn connect_with(env: &support::LiveEnv, token: &str) -> RunningService<RoleClient, ()> {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ctfy"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CTFY_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("mcp")
        .env("CTFY_URL", env.url())
        .env("CTFY_TOKEN", token)
        .kill_on_drop(true);
    let transport = TokioChildProcess::new(cmd).expect("spawn ctfy mcp");
    ().serve(transport).await.expect("MCP handshake")
}

async fn call(client: &RunningService<RoleClient, ()>, tool: &str, args: Value) -> CallToolResult {
    let args = args.as_object().cloned().unwrap_or_default();
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("")
}

/// Calls `tool` and parses its JSON text as `T`; panics on a tool error.
async fn ok<T: serde::de::DeserializeOwned>(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    args: Value,
) -> T {
    let result = call(client, tool, args).await;
    let body = text(&result);
    assert_ne!(result.is_error, Some(true), "{tool} failed: {body}");
    // The structured result is the text's JSON: an object as it is, anything else wrapped.
    let structured = result
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("{tool}: no structuredContent"));
    let value: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(
        structured == value || structured == json!({ "result": value }),
        "{tool}: structuredContent {structured} is not the text {body}"
    );
    STRUCTURED
        .lock()
        .unwrap()
        .push((tool.to_owned(), structured));
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{tool}: {e}: {body}"))
}

/// Every successful `structuredContent` seen by [`ok`], with its tool's name.
static STRUCTURED: std::sync::Mutex<Vec<(String, Value)>> = std::sync::Mutex::new(Vec::new());

/// Checks every recorded `structuredContent` against its tool's `outputSchema` (as listed by
/// `client`) with the venv's `jsonschema` (Draft 2020-12, what MCP specifies).
async fn validate_structured(env: &support::LiveEnv, client: &RunningService<RoleClient, ()>) {
    use std::io::Write as _;
    let venv = env
        .get("CTFY_VENV")
        .expect("CTFY_VENV: validating output schemas needs the Python package's jsonschema");
    let tools = client.list_all_tools().await.expect("tools/list");
    let schemas: BTreeMap<String, Value> = tools
        .iter()
        .map(|t| {
            let schema = t.output_schema.as_ref().expect("an output schema");
            (t.name.to_string(), Value::Object((**schema).clone()))
        })
        .collect();
    let recorded = STRUCTURED.lock().unwrap().clone();
    assert!(
        recorded.len() >= 10,
        "too few results recorded: {}",
        recorded.len()
    );
    let pairs: Vec<Value> = recorded
        .iter()
        .map(|(tool, value)| json!([tool, schemas[tool], value]))
        .collect();
    let mut child = std::process::Command::new(format!("{venv}/bin/python"))
        .args(["-c", PY_VALIDATE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the venv's python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(pairs).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "validation failed to run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let failures = String::from_utf8_lossy(&out.stdout);
    assert!(
        failures.trim().is_empty(),
        "structuredContent not valid against the output schema:\n{failures}"
    );
}

#[tokio::test]
async fn tool_list_matches_the_python_server() {
    let env = live_env!();
    let Some(venv) = env.get("CTFY_VENV") else {
        panic!("CTFY_VENV missing from the live env: the parity test needs the Python package");
    };
    let out = std::process::Command::new(format!("{venv}/bin/python"))
        .args(["-c", PY_TOOLS])
        .env_remove("CTFY_TOKEN")
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "listing the Python tools failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py: Vec<Value> = serde_json::from_slice(&out.stdout).expect("the Python tool list");
    let py_titled = py.iter().filter(|t| t["title"].is_string()).count();
    let py_output = py.iter().filter(|t| t["output"].is_object()).count();
    let py_descriptions = description_figures(py.iter().map(|t| {
        t["description"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .count()
    }));
    let py: BTreeMap<String, Signature> = py
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                signature(&t["schema"], &t["output"]),
            )
        })
        .collect();
    assert_eq!(py.len(), 61, "the Python server's tool count changed");

    let client = connect(env).await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let rust: BTreeMap<String, Signature> = tools
        .iter()
        .map(|t| {
            let schema = Value::Object((*t.input_schema).clone());
            let output = t
                .output_schema
                .as_ref()
                .map(|o| Value::Object((**o).clone()))
                .unwrap_or(Value::Null);
            (t.name.to_string(), signature(&schema, &output))
        })
        .collect();
    client.cancel().await.ok();

    // Every tool has a title, a description and an object output schema, as in Python.
    let untitled: Vec<_> = tools
        .iter()
        .filter(|t| t.title.as_deref().is_none_or(str::is_empty))
        .map(|t| t.name.to_string())
        .collect();
    assert!(untitled.is_empty(), "tools without a title: {untitled:?}");
    assert_eq!(py_titled, py.len(), "the Python server's titles changed");
    let no_output: Vec<_> = tools
        .iter()
        .filter(|t| {
            t.output_schema
                .as_ref()
                .is_none_or(|o| o.get("type") != Some(&json!("object")))
        })
        .map(|t| t.name.to_string())
        .collect();
    assert!(
        no_output.is_empty(),
        "tools without an output schema: {no_output:?}"
    );
    assert_eq!(
        py_output,
        py.len(),
        "the Python server's output schemas changed"
    );

    // What the model reads to choose a tool: in total and for the median tool, at least as
    // much as the Python server tells it.
    let rust_descriptions = description_figures(
        tools
            .iter()
            .map(|t| t.description.as_deref().unwrap_or_default().chars().count()),
    );
    eprintln!(
        "descriptions (characters): python total {} median {}; rust total {} median {}",
        py_descriptions.0, py_descriptions.1, rust_descriptions.0, rust_descriptions.1
    );
    assert!(
        rust_descriptions.0 >= py_descriptions.0,
        "description total: rust {} < python {}",
        rust_descriptions.0,
        py_descriptions.0
    );
    assert!(
        rust_descriptions.1 >= py_descriptions.1,
        "median description: rust {} < python {}",
        rust_descriptions.1,
        py_descriptions.1
    );

    let py_names: BTreeSet<_> = py.keys().collect();
    let rust_names: BTreeSet<_> = rust.keys().collect();
    assert_eq!(
        py_names.difference(&rust_names).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "tools missing from ctfy mcp"
    );
    assert_eq!(
        rust_names.difference(&py_names).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "tools the Python server does not have"
    );
    let mut mismatches = Vec::new();
    for (name, want) in &py {
        let got = &rust[name];
        if got != want {
            mismatches.push(format!("{name}:\n  python {want:?}\n  rust   {got:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "signatures differ:\n{}",
        mismatches.join("\n")
    );
}

#[tokio::test]
#[allow(deprecated)] // logging/setLevel: deprecated by SEP-2577, still answered as Python does.
async fn a_challenge_end_to_end_through_the_tools() {
    let env = live_env!();
    let comp = env.var("COMPETITION_ID");
    let web = env.var("WEB_CHALLENGE_ID");
    let client = connect(env).await;

    let comps: Vec<CompetitionInfo> =
        ok(&client, "list_competitions", json!({"phase": "running"})).await;
    assert!(comps.iter().any(|c| c.id.as_str() == comp));
    let _team: ctfy::models::TeamDetail = ok(
        &client,
        "register_for_competition",
        json!({"competition_id": comp}),
    )
    .await;
    let challenges: Vec<ChallengeInfo> = ok(
        &client,
        "list_competition_challenges",
        json!({"competition_id": comp}),
    )
    .await;
    assert!(challenges.iter().any(|c| c.id.as_str() == web));

    let ready: InstanceReady = ok(
        &client,
        "start_instance",
        json!({"challenge_id": web, "competition_id": comp}),
    )
    .await;
    let status: InstanceStatusResponse = ok(
        &client,
        "get_instance_status",
        json!({"instance_id": ready.id}),
    )
    .await;
    assert_eq!(status.status.as_str(), "ready");

    let info: ctfy::models::InstanceInfo =
        ok(&client, "get_instance", json!({"instance_id": ready.id})).await;
    assert_eq!(info.challenge_id.as_str(), web);
    let _files: ctfy::models::AttachmentList = ok(
        &client,
        "list_instance_attachments",
        json!({"instance_id": ready.id}),
    )
    .await;
    let renewed: ctfy::models::RenewResponse = ok(
        &client,
        "renew_instance",
        json!({"instance_id": ready.id, "ttl": 60}),
    )
    .await;
    assert_eq!(renewed.id.as_str(), ready.id);

    let service = ready.surface.web_service().expect("a web service");
    let flag = support::http_get(&service.url(), "/flag");

    let verified: bool = ok(
        &client,
        "verify_answer",
        json!({"instance_id": ready.id, "answer": flag}),
    )
    .await;
    assert!(verified);
    let wrong: SubmissionResponse = ok(
        &client,
        "submit_answer",
        json!({"instance_id": ready.id, "answer": "FLAG{nope}"}),
    )
    .await;
    assert!(!wrong.correct);
    let result: SubmissionResponse = ok(
        &client,
        "submit_answer",
        json!({"instance_id": ready.id, "answer": flag, "question_id": "flag"}),
    )
    .await;
    assert!(result.correct, "{result:?}");

    let stopped = call(&client, "stop_instance", json!({"instance_id": ready.id})).await;
    assert_ne!(stopped.is_error, Some(true), "{}", text(&stopped));
    assert!(text(&stopped).contains("stopped"));

    // An error carries the platform's code and is an MCP tool error.
    let gone = call(
        &client,
        "get_instance_status",
        json!({"instance_id": ready.id}),
    )
    .await;
    assert_eq!(gone.is_error, Some(true));
    assert!(
        text(&gone).contains("instance_not_found"),
        "{}",
        text(&gone)
    );

    // Tools for features the local platform lacks exist and answer with its error.
    let awd = call(&client, "get_awd_match", json!({"competition_id": comp})).await;
    assert_eq!(awd.is_error, Some(true), "{}", text(&awd));

    let me: ctfy::models::MeResponse = ok(&client, "get_me", json!({})).await;
    assert!(!me.email.is_empty());
    let _health: ctfy::models::HealthResponse = ok(&client, "health", json!({})).await;

    // Unknown arguments are refused with a tool error naming them; a numeric string is
    // accepted for an integer, as Python's server does.
    let typo = call(&client, "list_instances", json!({"limt": 5})).await;
    assert_eq!(typo.is_error, Some(true), "{}", text(&typo));
    assert!(text(&typo).contains("limt"), "{}", text(&typo));
    let few: Vec<ctfy::models::InstanceInfo> =
        ok(&client, "list_instances", json!({"limit": "5"})).await;
    assert!(few.len() <= 5);
    let _stats: Vec<ctfy::models::ChallengeStats> =
        ok(&client, "get_challenge_stats", json!({"limit": "3"})).await;
    let _one: ChallengeInfo = ok(
        &client,
        "get_challenge",
        json!({"challenge_id": web, "competition_id": comp}),
    )
    .await;
    let _detail: ctfy::models::CompetitionDetail =
        ok(&client, "get_competition", json!({"competition_id": comp})).await;
    let _mine: Vec<ctfy::models::MySolveSummary> =
        ok(&client, "get_my_solves", json!({"competition_id": comp})).await;
    let _subs: Vec<ctfy::models::SubmissionState> =
        ok(&client, "list_submissions", json!({"limit": 5})).await;

    // The capabilities Python's server answers: resources and prompts (none), logging.
    let resources = client.list_all_resources().await.expect("resources/list");
    assert!(resources.is_empty());
    let prompts = client.list_all_prompts().await.expect("prompts/list");
    assert!(prompts.is_empty());
    client
        .set_level(rmcp::model::SetLevelRequestParams::new(
            rmcp::model::LoggingLevel::Warning,
        ))
        .await
        .expect("logging/setLevel");

    // Every structured result of this played challenge validates against its output schema.
    validate_structured(env, &client).await;
    client.cancel().await.ok();
}

#[tokio::test]
async fn read_tools_answer_with_the_sdk_models() {
    use ctfy::models::*;
    let env = live_env!();
    let comp = env.var("COMPETITION_ID");
    let web = env.var("WEB_CHALLENGE_ID");
    let qa = env.var("QA_CHALLENGE_ID");
    let client = connect(env).await;
    let c = &client;

    let detail: CompetitionDetail = ok(c, "get_competition", json!({"competition_id": comp})).await;
    assert!(detail.challenges.iter().any(|x| x.id.as_str() == web));
    let one: ChallengeInfo = ok(
        c,
        "get_challenge",
        json!({"challenge_id": web, "competition_id": comp}),
    )
    .await;
    assert_eq!(one.id.as_str(), web);
    let all: Vec<ChallengeInfo> = ok(c, "list_challenges", json!({"limit": 2})).await;
    assert!(all.len() <= 2);
    let _found: Vec<ChallengeInfo> = ok(c, "search_challenges", json!({"q": "quickstart"})).await;
    let _files: AttachmentList = ok(
        c,
        "list_challenge_attachments",
        json!({"challenge_id": web}),
    )
    .await;
    // The entry form is a session-only route: a pf_ token gets the platform's refusal.
    let form = call(c, "get_registration_form", json!({"competition_id": comp})).await;
    assert_eq!(form.is_error, Some(true));
    assert!(text(&form).contains("HTTP 403"), "{}", text(&form));
    let _docs: CompetitionAttachmentsResponse = ok(
        c,
        "list_competition_attachments",
        json!({"competition_id": comp}),
    )
    .await;

    // Capped attempts: spent by a fresh player, never the shared one.
    let fresh = connect_with(env, &support::fresh_player(env).await).await;
    let qas: Vec<QaChallengeView> = ok(
        &fresh,
        "list_qa_challenges",
        json!({"competition_id": comp}),
    )
    .await;
    assert!(qas.iter().any(|q| q.id.as_str() == qa));
    let right: SubmissionResponse = ok(
        &fresh,
        "submit_qa_answer",
        json!({"challenge_id": qa, "competition_id": comp, "answer": "443"}),
    )
    .await;
    assert!(right.correct, "{right:?}");
    // A list answer takes the other branch of the answer schema.
    let wrong: SubmissionResponse = ok(
        &fresh,
        "submit_qa_answer",
        json!({"challenge_id": qa, "competition_id": comp, "answer": ["udp"], "question_id": "transport"}),
    )
    .await;
    assert!(!wrong.correct);
    fresh.cancel().await.ok();

    let _subs: Vec<SubmissionState> = ok(c, "list_submissions", json!({"limit": 5})).await;
    let board: Vec<ScoreboardEntry> = ok(c, "get_scoreboard", json!({})).await;
    let by_category: Vec<ScoreboardEntry> =
        ok(c, "get_scoreboard", json!({"category": "web"})).await;
    assert!(by_category.len() <= board.len().max(by_category.len()));
    let _stats: Vec<ChallengeStats> = ok(c, "get_challenge_stats", json!({})).await;
    let _solves: Vec<MySolveSummary> =
        ok(c, "get_my_solves", json!({"competition_id": comp})).await;
    let _progress: Vec<MilestoneProgress> = ok(c, "get_my_milestone_progress", json!({})).await;
    let _instances: Vec<InstanceInfo> = ok(c, "list_instances", json!({})).await;

    // Argument checks of the server itself are tool errors too.
    let neither = call(c, "get_ssh_credential", json!({})).await;
    assert_eq!(neither.is_error, Some(true));
    let b64 = call(
        c,
        "upload_authored_challenge",
        json!({"competition_id": comp, "slug": "x", "archive_base64": "AAAA"}),
    )
    .await;
    assert_eq!(b64.is_error, Some(true));
    assert!(text(&b64).contains("path"), "{}", text(&b64));
    client.cancel().await.ok();
}

/// Connects an `rmcp` streamable-HTTP client to `url`, sending `token` as the bearer token
/// (none when `None`).
async fn connect_http(
    url: &str,
    token: Option<&str>,
) -> Result<RunningService<RoleClient, ()>, rmcp::service::ClientInitializeError> {
    use rmcp::transport::StreamableHttpClientTransport;
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    if let Some(token) = token {
        config = config.auth_header(token.to_owned());
    }
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
}

#[tokio::test]
async fn http_serves_each_bearer_token_its_own_data() {
    use tokio::io::AsyncBufReadExt as _;
    let env = live_env!();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ctfy"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CTFY_") {
            cmd.env_remove(k);
        }
    }
    // No token configured: each request's bearer token is the platform token.
    let mut server = cmd
        .args(["mcp", "--http", "127.0.0.1:0"])
        .env("CTFY_URL", env.url())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn ctfy mcp --http");
    let mut lines = tokio::io::BufReader::new(server.stderr.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().expect("the serving line");
    let url = line
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();

    let players = [
        env.var("PLAYER_TOKEN").to_owned(),
        support::fresh_player(env).await,
    ];
    let mut seen = Vec::new();
    for token in &players {
        // Who the platform says this token is, asked directly.
        let want = ctfy::PlatformClient::new(env.url(), token.as_str())
            .unwrap()
            .me()
            .get()
            .await
            .expect("the player's own account")
            .email;
        let client = connect_http(&url, Some(token))
            .await
            .expect("MCP handshake over HTTP");
        // Twice: the second call reuses the token's kept client.
        for _ in 0..2 {
            let me = call(&client, "get_me", json!({})).await;
            assert_ne!(me.is_error, Some(true), "get_me: {}", text(&me));
            let email = me
                .structured_content
                .as_ref()
                .and_then(|s| s.get("email"))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("no email in {:?}", me.structured_content));
            assert_eq!(email, want, "a bearer token answered with another account");
        }
        let listed = call(&client, "list_instances", json!({"limit": "5"})).await;
        assert_ne!(
            listed.is_error,
            Some(true),
            "list_instances: {}",
            text(&listed)
        );
        assert!(listed.structured_content.is_some());
        client.cancel().await.ok();
        seen.push(want);
    }
    assert_ne!(seen[0], seen[1], "two tokens, one identity");

    // Without a bearer token the server answers 401 and the handshake fails.
    let refused = match connect_http(&url, None).await {
        Ok(_) => panic!("a client without a bearer token was served"),
        Err(e) => format!("{e:?}"),
    };
    assert!(
        refused.contains("AuthRequired") || refused.contains("401"),
        "{refused}"
    );
    server.kill().await.ok();
}
