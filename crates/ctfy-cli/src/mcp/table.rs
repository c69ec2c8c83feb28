//! The tool table: what `tools/list` declares for each tool beyond its parameters (title,
//! declared defaults, output schema), and the generic `tools/call` handling around the tool
//! bodies: unknown arguments refused, numeric strings accepted for numbers, and
//! `structuredContent` beside the text block.

use std::sync::{Arc, LazyLock};

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock, JsonObject, Tool};
use serde_json::{Map, Value, json};

pub(crate) use super::tools::TOOLS;

/// The component schemas of the platform's OpenAPI document (the models the SDK's types are
/// generated from) that the output schemas use: written from `spec/openapi.json` by
/// `scripts/gen_mcp_schemas.py`, so the published crate carries them.
const SCHEMAS: &str = include_str!("schemas.json");

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
    /// The tool's name, under which [`super::tools::router`] routes its body.
    pub name: &'static str,
    /// A short human-readable name.
    pub title: &'static str,
    /// What the model reads to choose and call the tool: what it does, what its fields mean,
    /// what to call next, what is refused and why.
    pub description: &'static str,
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

pub(super) fn instance_ready_schema() -> Value {
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

pub(super) fn attachment_schema() -> Value {
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

pub(super) fn template_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "files": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Relative path → text of each text file."},
            "binary": {"type": "array", "items": {"type": "string"}, "description": "Paths of the files that are not text."}
        },
        "required": ["files", "binary"]
    })
}

/// The entry of the tool `name`.
pub(crate) fn spec(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

/// The OpenAPI component schemas, with references rewritten to `#/$defs/…`.
static COMPONENTS: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let text = SCHEMAS.replace("#/components/schemas/", "#/$defs/");
    serde_json::from_str(&text).expect("the vendored component schemas")
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
    tool.description = Some(spec.description.into());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(schema: Value) -> Tool {
        let Value::Object(schema) = schema else {
            unreachable!()
        };
        Tool::new("t", "test", Arc::new(schema))
    }

    #[test]
    fn every_output_is_an_object_schema_whose_references_resolve() {
        for t in TOOLS {
            let schema = output_schema(t.output);
            assert_eq!(schema["type"], "object", "{}", t.name);
            let text = schema.to_string();
            for r in text.split("\"#/$defs/").skip(1) {
                let name = &r[..r.find('"').unwrap()];
                assert!(schema["$defs"].get(name).is_some(), "{}: {name}", t.name);
            }
            if let Output::Model(name) | Output::List(name) = t.output {
                assert!(COMPONENTS.contains_key(name), "{}: {name}", t.name);
            }
        }
    }

    /// `schemas.json` is what `scripts/gen_mcp_schemas.py` writes from the repository's spec
    /// (skipped outside the repository, where there is no spec).
    #[test]
    fn vendored_schemas_match_the_spec() {
        let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/openapi.json");
        let Ok(text) = std::fs::read_to_string(spec) else {
            return;
        };
        let spec: Value = serde_json::from_str(&text).unwrap();
        let vendored: Map<String, Value> = serde_json::from_str(SCHEMAS).unwrap();
        let mut wanted = Map::new();
        let mut todo: Vec<String> = TOOLS
            .iter()
            .filter_map(|t| match t.output {
                Output::Model(n) | Output::List(n) => Some(n.to_owned()),
                _ => None,
            })
            .collect();
        while let Some(name) = todo.pop() {
            if wanted.contains_key(&name) {
                continue;
            }
            let def = spec["components"]["schemas"][&name].clone();
            let text = def.to_string();
            for r in text.split("\"#/components/schemas/").skip(1) {
                todo.push(r[..r.find('"').unwrap()].to_owned());
            }
            wanted.insert(name, def);
        }
        assert!(
            vendored == wanted,
            "crates/ctfy-cli/src/mcp/schemas.json is stale: run scripts/gen_mcp_schemas.py"
        );
    }

    #[test]
    fn unknown_arguments_are_refused_and_numeric_strings_accepted() {
        let t = tool(json!({
            "type": "object",
            "properties": {
                "limit": {"type": "integer"},
                "ttl": {"type": ["integer", "null"]},
                "ratio": {"type": "number"},
                "name": {"type": "string"}
            }
        }));
        let mut args = json!({"limit": "5", "ttl": " 60 ", "ratio": "0.5", "name": "7"})
            .as_object()
            .cloned()
            .unwrap();
        prepare_arguments(&t, &mut args).unwrap();
        assert_eq!(
            Value::Object(args),
            json!({"limit": 5, "ttl": 60, "ratio": 0.5, "name": "7"})
        );
        let mut bad = json!({"limt": 5}).as_object().cloned().unwrap();
        let err = prepare_arguments(&t, &mut bad).unwrap_err();
        assert!(err.contains("limt") && err.contains("limit"), "{err}");
    }

    #[test]
    fn results_are_structured_as_their_schema_says() {
        let ok = |text: &str| {
            CallToolResponse::Complete(CallToolResult::success(vec![ContentBlock::text(text)]))
        };
        let structured = |name: &str, text: &str| match add_structured(name, ok(text)) {
            CallToolResponse::Complete(r) => r.structured_content.unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(structured("list_instances", "[]"), json!({"result": []}));
        assert_eq!(structured("verify_answer", "true"), json!({"result": true}));
        assert_eq!(
            structured("stop_instance", "Instance x stopped."),
            json!({"result": "Instance x stopped."})
        );
        assert_eq!(structured("health", r#"{"ok":true}"#), json!({"ok": true}));
        let CallToolResponse::Complete(err) = add_structured("health", tool_error("no".into()))
        else {
            unreachable!()
        };
        assert!(err.structured_content.is_none());
    }

    #[test]
    fn descriptions_say_enough() {
        // The comparison with the Python server's descriptions is in tests/mcp.rs; this is a
        // floor that needs no platform.
        let mut lengths: Vec<usize> = TOOLS.iter().map(|t| t.description.len()).collect();
        lengths.sort_unstable();
        let total: usize = lengths.iter().sum();
        assert!(total > 40_000, "{total}");
        assert!(lengths[lengths.len() / 2] >= 435, "{lengths:?}");
        for t in TOOLS {
            assert!(
                !t.title.is_empty() && t.description.len() >= 60,
                "{}",
                t.name
            );
        }
    }
}
