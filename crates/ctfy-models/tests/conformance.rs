//! Wire-shape conformance: every OpenAPI component schema of `spec/openapi.json` and
//! `spec/openapi-node.json` (read at test time, so a regenerated spec with stale models fails)
//! against its Rust type, found through `SCHEMAS` (the generated `tests/support/schemas.rs`
//! dispatches a schema name to its type).
//!
//! Checks, per schema (nested types are checked as their own schemas and, through the examples,
//! inside every schema that embeds them):
//! - `type`: the schema has a Rust type; every `SCHEMAS` entry names a schema of the spec.
//! - `unmodeled`: an example with every property (recursively) round-trips unchanged, so no
//!   property is dropped (structs ignore unknown fields, so a missing one would vanish).
//! - `required-only`: an example with only the required properties round-trips.
//! - `required`: leaving out a required property fails to decode, unless the schema gives it a
//!   default (decoded to it) or it is nullable (missing reads as `None`, as null would).
//! - `null`: where the schema allows null (a `null` branch, or an unconstrained schema), null
//!   decodes and re-encodes as null (or absent); a required, non-nullable property refuses null.
//!   (An optional property accepts null as "absent": `Option` does not tell them apart.)
//! - `enum`: every enum value of the schema (a component enum, or a property's inline, `$ref`,
//!   nullable or array-item enum) decodes to a known variant, and an unknown value decodes to
//!   `Unknown` and re-encodes unchanged (seen through the `Debug` text of the decoded value).
//!
//! - `empty-marker`: the two checks above, for a property whose schema has the platform's
//!   "not set" marker (a `""` branch of an `anyOf`): it is `Option<_>` with `""` <-> `None`, so a
//!   missing or null value also reads as not set.
//!
//! A failure is allowed only when `spec/conformance-allowlist.tsv` lists it (check, schema,
//! field, reason; schema and field may end in `*`); an entry that no longer matches a failure
//! fails the test too.

#[path = "support/example.rs"]
mod example;
#[path = "support/schemas.rs"]
mod schemas;

use std::cell::RefCell;
use std::collections::BTreeSet;

use example::{example_skipping, spec};
use schemas::Decoded;
use serde_json::{Value, json};

type Dispatch = fn(&str, Value) -> Option<Result<Decoded, String>>;

const UNKNOWN: &str = "zz_conformance_unknown_value";

struct Allow {
    /// (check, spec:schema, field) -> reason
    entries: Vec<(String, String, String, String)>,
    used: RefCell<BTreeSet<usize>>,
}

impl Allow {
    fn load() -> Self {
        let path = format!(
            "{}/../../spec/conformance-allowlist.tsv",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).expect("spec/conformance-allowlist.tsv");
        let mut entries = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .skip(1)
        {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(
                cols.len() == 4 && !cols[3].trim().is_empty(),
                "allow-list line needs check, schema, field, reason: {line:?}"
            );
            entries.push((
                cols[0].to_string(),
                cols[1].to_string(),
                cols[2].to_string(),
                cols[3].to_string(),
            ));
        }
        Allow {
            entries,
            used: RefCell::default(),
        }
    }

    /// Whether `check` on `schema.field` is allowed to fail (and marks the entry used).
    fn allows(&self, check: &str, schema: &str, field: &str) -> bool {
        match self
            .entries
            .iter()
            .position(|(c, s, f, _)| c == check && glob(s, schema) && glob(f, field))
        {
            Some(i) => {
                self.used.borrow_mut().insert(i);
                true
            }
            None => false,
        }
    }

    /// Whether the allow-list says the SDK does not model `schema.field` (no use mark:
    /// the `unmodeled` check itself marks it).
    fn unmodeled(&self, schema: &str, field: &str) -> bool {
        self.entries
            .iter()
            .any(|(c, s, f, _)| c == "unmodeled" && glob(s, schema) && glob(f, field))
    }
}

/// An allow-list pattern: exact, or `prefix*` (`*` alone matches everything).
fn glob(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

/// Whether a property has the platform's "not set" marker: a `const ""` branch, or `""` in an
/// enum branch (modelled as
/// `Option<_>` with `""` <-> `None`, which also reads a missing or null value as `None`).
fn empty_marker(p: &Value) -> bool {
    p.get("anyOf").and_then(Value::as_array).is_some_and(|b| {
        b.iter().any(|b| {
            b.get("const") == Some(&json!(""))
                || b["enum"].as_array().is_some_and(|e| e.contains(&json!("")))
        })
    })
}

struct Checker<'a> {
    spec: Value,
    dispatch: Dispatch,
    allow: &'a Allow,
    failures: Vec<String>,
    checks: usize,
}

impl Checker<'_> {
    fn fail(&mut self, check: &str, schema: &str, field: &str, msg: String) {
        if !self.allow.allows(check, schema, field) {
            let at = if field.is_empty() {
                schema.to_string()
            } else {
                format!("{schema}.{field}")
            };
            self.failures.push(format!("[{check}] {at}: {msg}"));
        }
    }

    fn example(&self, name: &str, full: bool) -> Value {
        let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        let allow = self.allow;
        example_skipping(&self.spec, &reference, full, 0, &|s, f| {
            allow.unmodeled(s, f)
        })
    }

    fn decode(&mut self, name: &str, value: Value) -> Result<Decoded, String> {
        self.checks += 1;
        (self.dispatch)(name, value).expect("mapped schema")
    }

    fn schema(&self, name: &str) -> &Value {
        &self.spec["components"]["schemas"][name]
    }

    /// Resolves a `$ref` (one level).
    fn resolve<'s>(&'s self, s: &'s Value) -> &'s Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => self.schema(r.rsplit('/').next().unwrap()),
            None => s,
        }
    }

    fn check(&mut self, name: &str) {
        let schema = self.schema(name).clone();
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            for v in values {
                match self.decode(name, v.clone()) {
                    Ok(d) if d.debug.contains("Unknown(") => {
                        self.fail("enum", name, "", format!("{v} decodes to Unknown"))
                    }
                    Ok(d) if d.json != *v => {
                        self.fail("enum", name, "", format!("{v} re-encodes as {}", d.json))
                    }
                    Ok(_) => {}
                    Err(e) => self.fail("enum", name, "", format!("{v}: {e}")),
                }
            }
            self.check_unknown(name, "", json!(UNKNOWN), |v| v.clone(), 0);
            return;
        }
        // Property names and nested types: the full example round-trips unchanged.
        let full = self.example(name, true);
        let base = match self.decode(name, full.clone()) {
            Ok(d) => {
                if d.json != full {
                    self.report_diff(name, &full, &d.json);
                }
                d
            }
            Err(e) => {
                self.fail(
                    "unmodeled",
                    name,
                    "",
                    format!("full example: {e}\n  {full}"),
                );
                return;
            }
        };
        let base_unknown = base.debug.matches("Unknown(").count();
        let required_only = self.example(name, false);
        match self.decode(name, required_only.clone()) {
            Ok(d) if d.json != required_only => self.fail(
                "required-only",
                name,
                "",
                format!("{required_only} re-encodes as {}", d.json),
            ),
            Ok(_) => {}
            Err(e) => self.fail("required-only", name, "", format!("{e}: {required_only}")),
        }
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (field, p) in props {
            if self.allow.unmodeled(name, field) {
                continue;
            }
            let is_required = required.contains(&field.as_str());
            let nullable = allows_null(p);
            // required vs optional
            if is_required {
                let mut v = full.clone();
                v.as_object_mut().unwrap().remove(field);
                let defaulted = p.get("default").is_some();
                if self.decode(name, v).is_ok() && !defaulted && !nullable {
                    let check = if empty_marker(p) {
                        "empty-marker"
                    } else {
                        "required"
                    };
                    self.fail(
                        check,
                        name,
                        field,
                        "decodes without this required property".into(),
                    );
                }
            }
            // nullability
            let mut v = full.clone();
            v[field.as_str()] = Value::Null;
            match self.decode(name, v) {
                Ok(d) if nullable => {
                    if !d.json.get(field).is_none_or(Value::is_null) {
                        self.fail(
                            "null",
                            name,
                            field,
                            format!("null re-encodes as {}", d.json[field.as_str()]),
                        );
                    }
                }
                Ok(d) if empty_marker(p) && d.json[field.as_str()] == "" => self.fail(
                    "empty-marker",
                    name,
                    field,
                    "reads null as not set (`\"\"`), the schema has no null".into(),
                ),
                Ok(_) if is_required => self.fail(
                    "null",
                    name,
                    field,
                    "accepts null, the schema does not".into(),
                ),
                Ok(_) => {}
                Err(e) if nullable => self.fail("null", name, field, format!("refuses null: {e}")),
                Err(_) => {}
            }
            // enum values
            let (values, array) = self.enum_values(p);
            if values.is_empty() {
                continue;
            }
            let wrap = move |v: &Value| if array { json!([v]) } else { v.clone() };
            for value in &values {
                let mut v = full.clone();
                v[field.as_str()] = wrap(value);
                match self.decode(name, v) {
                    Ok(d) if d.debug.matches("Unknown(").count() > base_unknown => {
                        self.fail("enum", name, field, format!("{value} decodes to Unknown"))
                    }
                    Ok(d) if d.json[field.as_str()] != wrap(value) => self.fail(
                        "enum",
                        name,
                        field,
                        format!("{value} re-encodes as {}", d.json[field.as_str()]),
                    ),
                    Ok(_) => {}
                    Err(e) => self.fail("enum", name, field, format!("{value}: {e}")),
                }
            }
            let mut v = full.clone();
            v[field.as_str()] = wrap(&json!(UNKNOWN));
            self.check_unknown(name, field, v, |d| d[field.as_str()].clone(), base_unknown);
        }
    }

    /// An unknown enum value decodes to `Unknown` and re-encodes unchanged.
    fn check_unknown(
        &mut self,
        name: &str,
        field: &str,
        input: Value,
        pick: impl Fn(&Value) -> Value,
        base_unknown: usize,
    ) {
        let want = pick(&input);
        match self.decode(name, input) {
            Ok(d) if d.debug.matches("Unknown(").count() != base_unknown + 1 => self.fail(
                "enum",
                name,
                field,
                "an unknown value does not decode to `Unknown` (not an enum type?)".into(),
            ),
            Ok(d) if pick(&d.json) != want => self.fail(
                "enum",
                name,
                field,
                format!("an unknown value re-encodes as {}", pick(&d.json)),
            ),
            Ok(_) => {}
            Err(e) => self.fail("enum", name, field, format!("an unknown value fails: {e}")),
        }
    }

    /// The enum values a property may carry, and whether they sit in an array.
    fn enum_values(&self, p: &Value) -> (Vec<Value>, bool) {
        let direct = |s: &Value| -> Vec<Value> {
            let s = self.resolve(s);
            if let Some(e) = s.get("enum").and_then(Value::as_array) {
                return e.clone();
            }
            s.get("anyOf")
                .and_then(Value::as_array)
                .map(|b| {
                    b.iter()
                        .filter_map(|b| self.resolve(b).get("enum").and_then(Value::as_array))
                        .flatten()
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        };
        let values = direct(p);
        if !values.is_empty() {
            return (values, false);
        }
        if let Some(items) = self.resolve(p).get("items") {
            return (direct(items), true);
        }
        (Vec::new(), false)
    }

    /// Reports what a full example lost or changed in its round trip.
    fn report_diff(&mut self, name: &str, input: &Value, output: &Value) {
        let (Some(i), Some(o)) = (input.as_object(), output.as_object()) else {
            self.fail(
                "unmodeled",
                name,
                "",
                format!("{input} re-encodes as {output}"),
            );
            return;
        };
        for (k, v) in i {
            match o.get(k) {
                None => self.fail("unmodeled", name, k, "dropped by the Rust type".into()),
                Some(w) if w != v => {
                    self.fail("unmodeled", name, k, format!("{v} re-encodes as {w}"))
                }
                Some(_) => {}
            }
        }
        for k in o.keys().filter(|k| !i.contains_key(*k)) {
            self.fail("unmodeled", name, k, "added by the Rust type".into());
        }
    }
}

/// Whether a property schema allows `null`.
fn allows_null(p: &Value) -> bool {
    let keys = ["type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const"];
    if !keys.iter().any(|k| p.get(*k).is_some()) {
        return true; // unconstrained: any JSON value
    }
    let is_null = |s: &Value| s["type"] == "null" || s.get("const") == Some(&Value::Null);
    is_null(p)
        || p["type"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "null"))
        || p.get("anyOf")
            .and_then(Value::as_array)
            .is_some_and(|b| b.iter().any(is_null))
}

fn conformance(
    file: &str,
    prefix: &str,
    table: &[(&str, &str)],
    skipped: &[&str],
    dispatch: Dispatch,
    allow: &Allow,
) -> (Vec<String>, usize) {
    conformance_of(spec(file), file, prefix, table, skipped, dispatch, allow)
}

fn conformance_of(
    spec: Value,
    file: &str,
    prefix: &str,
    table: &[(&str, &str)],
    skipped: &[&str],
    dispatch: Dispatch,
    allow: &Allow,
) -> (Vec<String>, usize) {
    let names: Vec<String> = spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut c = Checker {
        spec,
        dispatch,
        allow,
        failures: Vec::new(),
        checks: 0,
    };
    for (schema, _) in table {
        if !names.iter().any(|n| n == schema) {
            c.fail(
                "type",
                schema,
                "",
                format!("in SCHEMAS but not in spec/{file}: regenerate the models"),
            );
        }
    }
    for name in &names {
        let mapped = table.iter().any(|(s, _)| s == name);
        if !mapped || skipped.contains(&name.as_str()) {
            c.fail("type", name, "", "no Rust type".into());
            continue;
        }
        if (c.dispatch)(name, json!(null)).is_none() {
            c.fail("type", name, "", format!("no {prefix} dispatch arm"));
            continue;
        }
        c.check(name);
    }
    (c.failures, c.checks)
}

#[test]
fn every_schema_conforms() {
    let allow = Allow::load();
    let (mut failures, platform) = conformance(
        "openapi.json",
        "platform",
        ctfy_models::platform::SCHEMAS,
        ctfy_models::platform::SKIPPED_SCHEMAS,
        schemas::platform,
        &allow,
    );
    let (node_failures, node) = conformance(
        "openapi-node.json",
        "node",
        ctfy_models::node::SCHEMAS,
        ctfy_models::node::SKIPPED_SCHEMAS,
        schemas::node,
        &allow,
    );
    failures.extend(node_failures);
    let used = allow.used.borrow();
    for (i, (check, schema, field, _)) in allow.entries.iter().enumerate() {
        if !used.contains(&i) {
            failures.push(format!(
                "[stale allow-list entry] {check}\t{schema}\t{field}: nothing fails it, remove it"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} conformance failures (fix the model, or list it with a reason in \
         spec/conformance-allowlist.tsv):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(platform > 1000 && node > 100, "{platform} / {node} checks");
}

#[test]
fn unknown_enum_value_round_trips() {
    let v: ctfy_models::InstanceStatus = serde_json::from_value(json!(UNKNOWN)).unwrap();
    assert!(v.is_unknown());
    assert_eq!(serde_json::to_value(&v).unwrap(), json!(UNKNOWN));
}

#[test]
fn allows_null_reads_the_schema() {
    assert!(allows_null(
        &json!({"anyOf": [{"type": "string"}, {"type": "null"}]})
    ));
    assert!(allows_null(&json!({"title": "Value"})));
    assert!(!allows_null(&json!({"type": "string"})));
    assert!(!allows_null(
        &json!({"$ref": "#/components/schemas/InstanceStatus"})
    ));
}

#[test]
fn a_drifted_spec_fails() {
    // What a regenerated spec without regenerated models looks like.
    let mut spec = spec("openapi.json");
    let schemas = &mut spec["components"]["schemas"];
    schemas["InstanceInfo"]["properties"]["brand_new"] = json!({"type": "string"});
    schemas["InstanceStatus"]["enum"]
        .as_array_mut()
        .unwrap()
        .push(json!("hibernating"));
    schemas["BrandNewSchema"] = json!({"type": "object", "properties": {}});
    let allow = Allow::load();
    let (failures, _) = conformance_of(
        spec,
        "openapi.json",
        "platform",
        ctfy_models::platform::SCHEMAS,
        ctfy_models::platform::SKIPPED_SCHEMAS,
        schemas::platform,
        &allow,
    );
    let text = failures.join("\n");
    for want in [
        "[unmodeled] InstanceInfo.brand_new: dropped by the Rust type",
        "[enum] InstanceStatus: \"hibernating\" decodes to Unknown",
        "[type] BrandNewSchema: no Rust type",
    ] {
        assert!(text.contains(want), "{want} not in:\n{text}");
    }
}
