//! The tool table: what `tools/list` declares for each tool beyond its parameters (title,
//! declared defaults, output schema), and the generic `tools/call` handling around the tool
//! bodies: unknown arguments refused, numeric strings accepted for numbers, and
//! `structuredContent` beside the text block.

use std::sync::{Arc, LazyLock};

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, JsonObject, Tool};
use serde_json::{Map, Value, json};

/// The platform's OpenAPI document: the output schemas are its component schemas (the models
/// the SDK's types are generated from).
const SPEC: &str = include_str!("../../../../spec/openapi.json");

/// What a tool answers with, for its `outputSchema`.
#[derive(Clone, Copy)]
pub(crate) enum Output {
    /// One object of this OpenAPI component.
    Model(&'static str),
    /// A list of this OpenAPI component, wrapped as `{"result": [...]}`.
    List(&'static str),
    /// A string, wrapped as `{"result": "..."}`.
    Text,
    /// A boolean, wrapped as `{"result": true}`.
    Bool,
    /// Any object.
    AnyObject,
    /// An object of strings (path → text).
    TextMap,
    /// An object this server builds itself (not a platform model).
    Custom(fn() -> Value),
}

/// One tool's entry.
pub(crate) struct ToolSpec {
    /// The tool's name (the body of the same name in the router).
    pub name: &'static str,
    /// A short human-readable name.
    pub title: &'static str,
    /// What it answers with.
    pub output: Output,
    /// Parameter → its default as JSON text, declared in the input schema.
    pub defaults: &'static [(&'static str, &'static str)],
}

impl Output {
    /// Whether results are wrapped as `{"result": …}`.
    fn wraps(self) -> bool {
        matches!(self, Output::List(_) | Output::Text | Output::Bool)
    }
}

fn instance_ready_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The instance id: every other instance tool takes it."},
            "surface": {"type": "object", "description": "What can be attacked: web services, TCP ports, SSH and the like, with their addresses."},
            "cert_volume": {"type": "string", "description": "The CA-certificate volume, when the instance has one."}
        },
        "required": ["id", "surface"]
    })
}

fn attachment_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "filename": {"type": "string"},
            "size": {"type": "integer", "description": "Bytes."},
            "encoding": {"type": "string", "enum": ["utf-8", "base64", "too-large"]},
            "content": {"type": "string", "description": "The text, the base64 of the bytes, or empty when too large."},
            "note": {"type": "string"}
        },
        "required": ["filename", "size", "encoding", "content", "note"]
    })
}

fn template_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "files": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Relative path → text of each text file."},
            "binary": {"type": "array", "items": {"type": "string"}, "description": "Paths of the files that are not text."}
        },
        "required": ["files", "binary"]
    })
}

/// Every tool, in the order `tools/list` gives them.
pub(crate) static TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "list_competitions",
        title: "List Competitions",
        output: Output::List("CompetitionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_competition",
        title: "Get Competition",
        output: Output::Model("CompetitionDetail"),
        defaults: &[],
    },
    ToolSpec {
        name: "replay_competition",
        title: "Replay Competition",
        output: Output::Model("CompetitionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_virtual_standings",
        title: "Get Virtual Standings",
        output: Output::Model("VirtualGhostBoard"),
        defaults: &[],
    },
    ToolSpec {
        name: "register_for_competition",
        title: "Register For Competition",
        output: Output::Model("TeamDetail"),
        defaults: &[("mode", "\"solo\"")],
    },
    ToolSpec {
        name: "get_registration_form",
        title: "Get Registration Form",
        output: Output::Model("MyRegistrationResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "submit_registration",
        title: "Submit Registration",
        output: Output::Model("MyRegistrationResponse"),
        defaults: &[("gender", "\"\"")],
    },
    ToolSpec {
        name: "list_competition_challenges",
        title: "List Competition Challenges",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "search_challenges",
        title: "Search Challenges",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_challenges",
        title: "List Challenges",
        output: Output::List("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_challenge",
        title: "Get Challenge",
        output: Output::Model("ChallengeInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_challenge_attachments",
        title: "List Challenge Attachments",
        output: Output::Model("AttachmentList"),
        defaults: &[],
    },
    ToolSpec {
        name: "start_instance",
        title: "Start Instance",
        output: Output::Custom(instance_ready_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "get_instance",
        title: "Get Instance",
        output: Output::Model("InstanceInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_instance_status",
        title: "Get Instance Status",
        output: Output::Model("InstanceStatusResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_instance_traffic",
        title: "Get Instance Traffic",
        output: Output::AnyObject,
        defaults: &[],
    },
    ToolSpec {
        name: "stop_instance",
        title: "Stop Instance",
        output: Output::Text,
        defaults: &[],
    },
    ToolSpec {
        name: "renew_instance",
        title: "Renew Instance",
        output: Output::Model("RenewResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_instances",
        title: "List Instances",
        output: Output::List("InstanceInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "verify_answer",
        title: "Verify Answer",
        output: Output::Bool,
        defaults: &[],
    },
    ToolSpec {
        name: "submit_answer",
        title: "Submit Answer",
        output: Output::Model("SubmissionResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "download_challenge_attachment",
        title: "Download Challenge Attachment",
        output: Output::Custom(attachment_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "list_instance_attachments",
        title: "List Instance Attachments",
        output: Output::Model("AttachmentList"),
        defaults: &[],
    },
    ToolSpec {
        name: "download_instance_attachment",
        title: "Download Instance Attachment",
        output: Output::Custom(attachment_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "list_competition_attachments",
        title: "List Competition Attachments",
        output: Output::Model("CompetitionAttachmentsResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "download_competition_attachment",
        title: "Download Competition Attachment",
        output: Output::Custom(attachment_schema),
        defaults: &[],
    },
    ToolSpec {
        name: "submit_awd_flags",
        title: "Submit AWD Flags",
        output: Output::Model("AwdFlagSubmitResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_ssh_credential",
        title: "Get SSH Credential",
        output: Output::Model("SshCredential"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_match",
        title: "Get AWD Match",
        output: Output::Model("AwdMatchStatus"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_targets",
        title: "Get AWD Targets",
        output: Output::Model("AwdTargetsResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "join_awd_arena",
        title: "Join AWD Arena",
        output: Output::Model("AwdVpnPeer"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_arena_peer",
        title: "Get AWD Arena Peer",
        output: Output::Model("AwdVpnStatus"),
        defaults: &[],
    },
    ToolSpec {
        name: "test_awd_arena_link",
        title: "Test AWD Arena Link",
        output: Output::Model("AwdVpnStatus"),
        defaults: &[],
    },
    ToolSpec {
        name: "leave_awd_arena",
        title: "Leave AWD Arena",
        output: Output::Bool,
        defaults: &[],
    },
    ToolSpec {
        name: "get_awd_board",
        title: "Get AWD Board",
        output: Output::Model("AwdBoardResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "reset_instance",
        title: "Reset Instance",
        output: Output::Model("StartResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_qa_challenges",
        title: "List QA Challenges",
        output: Output::List("QaChallengeView"),
        defaults: &[],
    },
    ToolSpec {
        name: "submit_qa_answer",
        title: "Submit QA Answer",
        output: Output::Model("SubmissionResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "verify_exploit",
        title: "Verify Exploit",
        output: Output::Model("CheckAnswerResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_defence_source",
        title: "Get Defence Source",
        output: Output::TextMap,
        defaults: &[],
    },
    ToolSpec {
        name: "submit_patch",
        title: "Submit Patch",
        output: Output::Model("PatchSubmissionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "save_report",
        title: "Save Report",
        output: Output::Model("ReportSaveResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_report",
        title: "Get Report",
        output: Output::Model("ReportInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_report_versions",
        title: "List Report Versions",
        output: Output::Model("ReportVersionsResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "finalize_report",
        title: "Finalize Report",
        output: Output::Model("ReportStanding"),
        defaults: &[],
    },
    ToolSpec {
        name: "reopen_report",
        title: "Reopen Report",
        output: Output::Model("ReportStanding"),
        defaults: &[],
    },
    ToolSpec {
        name: "request_report_grading",
        title: "Request Report Grading",
        output: Output::Model("ReportStanding"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_authoring_template",
        title: "Get Authoring Template",
        output: Output::Custom(template_schema),
        defaults: &[("category", "\"web\""), ("stack", "null")],
    },
    ToolSpec {
        name: "upload_authored_challenge",
        title: "Upload Authored Challenge",
        output: Output::Model("AuthoredChallengeInfo"),
        defaults: &[
            ("license", "\"\""),
            ("provenance", "\"\""),
            ("ai_assisted", "\"\""),
            ("credit", "\"anonymous\""),
            ("destination", "\"public\""),
        ],
    },
    ToolSpec {
        name: "revise_authored_challenge",
        title: "Revise Authored Challenge",
        output: Output::Model("AuthoredRevisionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_authored_challenges",
        title: "List Authored Challenges",
        output: Output::List("AuthoredChallengeRow"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_authored_challenge_audit",
        title: "Get Authored Challenge Audit",
        output: Output::Model("AuthoredAuditReport"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_authoring_reception",
        title: "Get Authoring Reception",
        output: Output::Model("AuthoringReceptionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_patches",
        title: "List Patches",
        output: Output::List("PatchSubmissionInfo"),
        defaults: &[],
    },
    ToolSpec {
        name: "list_submissions",
        title: "List Submissions",
        output: Output::List("SubmissionState"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_scoreboard",
        title: "Get Scoreboard",
        output: Output::List("ScoreboardEntry"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_challenge_stats",
        title: "Get Challenge Stats",
        output: Output::List("ChallengeStats"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_my_solves",
        title: "Get My Solves",
        output: Output::List("MySolveSummary"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_my_milestone_progress",
        title: "Get My Milestone Progress",
        output: Output::List("MilestoneProgress"),
        defaults: &[],
    },
    ToolSpec {
        name: "get_me",
        title: "Get Me",
        output: Output::Model("MeResponse"),
        defaults: &[],
    },
    ToolSpec {
        name: "health",
        title: "Health",
        output: Output::Model("HealthResponse"),
        defaults: &[],
    },
];

/// The entry of the tool `name`.
pub(crate) fn spec(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

/// The OpenAPI component schemas, with references rewritten to `#/$defs/…`.
static COMPONENTS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let text = SPEC.replace("#/components/schemas/", "#/$defs/");
    let mut spec: Value = serde_json::from_str(&text).expect("the vendored OpenAPI document");
    match spec["components"]["schemas"].take() {
        Value::Object(m) => m,
        _ => Map::new(),
    }
});

/// Adds to `out` every component `schema` refers to, transitively.
fn collect_defs(schema: &Value, out: &mut Map<String, Value>) {
    match schema {
        Value::Object(m) => {
            if let Some(name) = m
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
                && !out.contains_key(name)
                && let Some(def) = COMPONENTS.get(name)
            {
                out.insert(name.to_owned(), def.clone());
                collect_defs(def, out);
            }
            m.values().for_each(|v| collect_defs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_defs(v, out)),
        _ => {}
    }
}

/// A schema for `top` carrying the components it refers to under `$defs`.
fn with_defs(mut top: Value) -> Value {
    let mut defs = Map::new();
    collect_defs(&top, &mut defs);
    if !defs.is_empty()
        && let Value::Object(m) = &mut top
    {
        m.insert("$defs".into(), Value::Object(defs));
    }
    top
}

/// A wrapped result's schema.
fn wrapped(result: Value) -> Value {
    json!({
        "type": "object",
        "properties": {"result": result},
        "required": ["result"],
        "x-fastmcp-wrap-result": true
    })
}

/// The `outputSchema` of a tool answering with `output`.
pub(crate) fn output_schema(output: Output) -> Value {
    match output {
        Output::Model(name) => {
            let top = COMPONENTS
                .get(name)
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"}));
            with_defs(top)
        }
        Output::List(name) => with_defs(wrapped(json!({
            "type": "array",
            "items": {"$ref": format!("#/$defs/{name}")}
        }))),
        Output::Text => wrapped(json!({"type": "string"})),
        Output::Bool => wrapped(json!({"type": "boolean"})),
        Output::AnyObject => json!({"type": "object", "additionalProperties": true}),
        Output::TextMap => json!({"type": "object", "additionalProperties": {"type": "string"}}),
        Output::Custom(f) => f(),
    }
}

/// `tool` (from the router) completed from its table entry: title, declared defaults, unknown
/// arguments refused, output schema.
pub(crate) fn decorate(mut tool: Tool) -> Tool {
    let Some(spec) = spec(&tool.name) else {
        return tool;
    };
    tool.title = Some(spec.title.to_owned());
    let mut input = (*tool.input_schema).clone();
    input.insert("additionalProperties".into(), Value::Bool(false));
    if let Some(Value::Object(props)) = input.get_mut("properties") {
        for (param, default) in spec.defaults {
            if let Some(Value::Object(p)) = props.get_mut(*param) {
                let value = serde_json::from_str(default).unwrap_or(Value::Null);
                p.insert("default".into(), value);
            }
        }
    }
    tool.input_schema = Arc::new(input);
    if let Value::Object(out) = output_schema(spec.output) {
        tool.output_schema = Some(Arc::new(out));
    }
    tool
}

/// Whether `schema` (a parameter's) admits a JSON number, and whether only integers.
fn numeric(schema: &Value) -> Option<bool> {
    let mut types = Vec::new();
    let mut stack = vec![schema];
    while let Some(s) = stack.pop() {
        match s.get("type") {
            Some(Value::String(t)) => types.push(t.as_str()),
            Some(Value::Array(ts)) => types.extend(ts.iter().filter_map(Value::as_str)),
            _ => {}
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(subs)) = s.get(key) {
                stack.extend(subs);
            }
        }
    }
    if types.contains(&"string") {
        return None;
    }
    if types.contains(&"number") {
        Some(false)
    } else if types.contains(&"integer") {
        Some(true)
    } else {
        None
    }
}

/// Checks `args` against the input schema of `tool`: an argument it does not declare is an
/// error (the text says which ones it takes); a numeric string for a number parameter becomes
/// the number.
pub(crate) fn prepare_arguments(tool: &Tool, args: &mut JsonObject) -> Result<(), String> {
    let empty = Map::new();
    let props = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let unknown: Vec<&str> = args
        .keys()
        .filter(|k| !props.contains_key(*k))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = props.keys().map(String::as_str).collect();
        return Err(format!(
            "{}: unknown argument(s) {}; it takes {}",
            tool.name,
            unknown.join(", "),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
    }
    for (name, value) in args.iter_mut() {
        let Value::String(s) = value else { continue };
        let Some(integer) = props.get(name).and_then(numeric) else {
            continue;
        };
        let t = s.trim();
        let parsed = if integer {
            t.parse::<i64>().ok().map(Value::from)
        } else {
            t.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
        };
        if let Some(v) = parsed {
            *value = v;
        }
    }
    Ok(())
}

/// `response` with `structuredContent` added to a successful result: an object as it is, a
/// list or scalar (or plain text) wrapped as `{"result": …}`, as the tool's output schema
/// says.
pub(crate) fn add_structured(name: &str, response: CallToolResponse) -> CallToolResponse {
    let CallToolResponse::Complete(mut result) = response else {
        return response;
    };
    if result.is_error == Some(true) || result.structured_content.is_some() {
        return CallToolResponse::Complete(result);
    }
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect();
    let value = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    let wraps = spec(name).is_some_and(|s| s.output.wraps());
    result.structured_content = Some(match value {
        Value::Object(_) if !wraps => value,
        other => json!({ "result": other }),
    });
    CallToolResponse::Complete(result)
}

/// A tool error with `text`.
pub(crate) fn tool_error(text: String) -> CallToolResponse {
    CallToolResponse::Complete(CallToolResult::error(vec![ContentBlock::text(text)]))
}
