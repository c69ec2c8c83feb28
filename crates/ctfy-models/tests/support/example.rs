//! Example JSON values built from the OpenAPI schemas, shared by the round-trip and the
//! conformance tests.

#![allow(dead_code)]

use serde_json::{Map, Value, json};

/// `spec/<file>`, parsed.
pub fn spec(file: &str) -> Value {
    let path = format!("{}/../../spec/{file}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("spec file")).expect("spec JSON")
}

/// An example value for `schema`: `full` fills every property (and picks the non-null
/// branch of nullable ones); otherwise only required properties, nullable ones as `null`.
pub fn example(spec: &Value, schema: &Value, full: bool, depth: usize) -> Value {
    example_skipping(spec, schema, full, depth, &|_, _| false)
}

/// As [`example`], leaving out the properties `skip(schema name, property)` names (fields
/// the conformance allow-list says the SDK does not model).
pub fn example_skipping(
    spec: &Value,
    schema: &Value,
    full: bool,
    depth: usize,
    skip: &dyn Fn(&str, &str) -> bool,
) -> Value {
    Builder { spec, full, skip }.value(schema, "", depth)
}

struct Builder<'a> {
    spec: &'a Value,
    full: bool,
    skip: &'a dyn Fn(&str, &str) -> bool,
}

impl Builder<'_> {
    fn value(&self, schema: &Value, owner: &str, depth: usize) -> Value {
        let full = self.full;
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap();
            let target = &self.spec["components"]["schemas"][name];
            return self.value(target, name, depth + 1);
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array)
            && all.len() == 1
        {
            return self.value(&all[0], owner, depth);
        }
        if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
            let nullable = branches.iter().any(|b| b["type"] == "null");
            if nullable && (!full || depth > 8) {
                return Value::Null;
            }
            // Prefer a branch that is neither null nor the "unset" empty-string constant.
            let pick = branches
                .iter()
                .find(|b| b["type"] != "null" && b.get("const") != Some(&json!("")))
                .or_else(|| branches.iter().find(|b| b["type"] != "null"))
                .unwrap();
            return self.value(pick, owner, depth);
        }
        if let Some(c) = schema.get("const") {
            return c.clone();
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            // Prefer a non-empty value: "" is the "unset" marker in several enums.
            return values
                .iter()
                .find(|v| *v != "")
                .unwrap_or(&values[0])
                .clone();
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => match schema.get("format").and_then(Value::as_str) {
                Some("date-time") => json!("2026-11-22T22:27:33.936721Z"),
                _ => json!("text"),
            },
            Some("integer") => json!(7),
            Some("number") => json!(1.5),
            Some("boolean") => json!(true),
            Some("array") => {
                if !full || depth > 8 {
                    return json!([]);
                }
                match schema.get("items") {
                    Some(items) => json!([self.value(items, owner, depth + 1)]),
                    None => json!(["any"]),
                }
            }
            Some("object") | None
                if schema.get("properties").is_some() || schema["type"] == "object" =>
            {
                let mut out = Map::new();
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (k, p) in props {
                        if (full || required.contains(&k.as_str())) && !(self.skip)(owner, k) {
                            out.insert(k.clone(), self.value(p, owner, depth + 1));
                        }
                    }
                }
                let extra = schema.get("additionalProperties");
                if full && depth <= 8 {
                    match extra {
                        Some(Value::Object(ap)) if !ap.is_empty() => {
                            out.insert("key".into(), self.value(extra.unwrap(), owner, depth + 1));
                        }
                        Some(Value::Bool(true)) | Some(Value::Object(_)) => {
                            out.insert("extra_key".into(), json!("extra"));
                        }
                        None if schema.get("properties").is_none() => {
                            out.insert("extra_key".into(), json!("extra"));
                        }
                        _ => {}
                    }
                }
                Value::Object(out)
            }
            _ => json!("any"),
        }
    }
}
