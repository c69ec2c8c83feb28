//! Field docs say what a field means (#26), not only its type.
//!
//! `scripts/gen_models.py` writes each field's doc as "Meaning. `wire_name`: type…" when
//! `spec/field-docs.toml` or a name rule gives a meaning, and as "`wire_name`: type…" when
//! nothing does. These tests read the generated sources (kept current by `tests/regen.rs`) and
//! pin the coverage, and check the glossary names nothing the schemas lack.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATE: &str = env!("CARGO_MANIFEST_DIR");

/// The agent-facing models: every field must say what it means.
const CORE: &[&str] = &[
    "ChallengeInfo",
    "QuestionPublicInfo",
    "InstanceInfo",
    "SubmissionResponse",
    "CompetitionInfo",
    "ScoreboardEntry",
    "AttackSurface",
    "ServiceEndpoint",
    "VpnEndpoint",
    "AttachmentInfo",
];

/// Share of all generated fields with a meaning, in percent, measured when this test was
/// written (62.8 %), rounded down. Raise it when the glossary grows; never lower it.
const FLOOR_PERCENT: usize = 62;

struct Field {
    wire: String,
    /// The sentence before the wire name; empty when the doc only gives the type.
    meaning: String,
    doc: String,
}

fn sources() -> Vec<PathBuf> {
    let root = Path::new(CRATE).join("src");
    let mut out: Vec<PathBuf> = std::fs::read_dir(root.join("platform"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    out.sort();
    out.push(root.join("node.rs"));
    out
}

/// `(file, struct) -> fields` of the generated structs.
fn structs() -> BTreeMap<(String, String), Vec<Field>> {
    let mut out = BTreeMap::new();
    for path in sources() {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut current: Option<String> = None;
        let mut doc = String::new();
        for line in text.lines() {
            let t = line.trim();
            if let Some(rest) = line.strip_prefix("pub struct ") {
                let name = rest.split([' ', '{']).next().unwrap().to_owned();
                out.insert((file.clone(), name.clone()), Vec::new());
                current = Some(name);
                doc.clear();
            } else if line.starts_with('}') {
                current = None;
            } else if let Some(name) = &current {
                if let Some(d) = t.strip_prefix("///") {
                    doc.push_str(d.trim());
                    doc.push(' ');
                } else if let Some(decl) = t.strip_prefix("pub ") {
                    let ident = decl.split(':').next().unwrap().trim();
                    let doc_text = std::mem::take(&mut doc);
                    if doc_text.starts_with("Fields not listed in the schema") {
                        continue; // the flattened catch-all, not a schema field
                    }
                    // "<meaning> `wire`: <type…>." or "`wire`: <type…>."
                    let doc_text = doc_text.trim().to_owned();
                    let colon = doc_text.rfind("`: ").unwrap_or_else(|| {
                        panic!("{file}: {name}.{ident}: no wire name in `{doc_text}`")
                    });
                    let open = doc_text[..colon].rfind('`').unwrap();
                    out.get_mut(&(file.clone(), name.clone()))
                        .unwrap()
                        .push(Field {
                            wire: doc_text[open + 1..colon].to_owned(),
                            meaning: doc_text[..open].trim().to_owned(),
                            doc: doc_text,
                        });
                }
            }
        }
    }
    out
}

fn has_meaning(f: &Field) -> bool {
    !f.meaning.is_empty()
}

#[test]
fn core_model_fields_all_say_what_they_mean() {
    let all = structs();
    let mut missing = Vec::new();
    for name in CORE {
        let found: Vec<_> = all.iter().filter(|((_, s), _)| s == name).collect();
        assert!(!found.is_empty(), "no generated struct {name}");
        for ((file, s), fields) in found {
            assert!(!fields.is_empty(), "{file}: {s} has no fields");
            for f in fields.iter().filter(|f| !has_meaning(f)) {
                missing.push(format!("{file}: {s}.{}: {}", f.wire, f.doc));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fields of core models with no meaning (add them to spec/field-docs.toml):\n{}",
        missing.join("\n")
    );
}

#[test]
fn most_fields_say_what_they_mean() {
    let all = structs();
    let fields: Vec<&Field> = all.values().flatten().collect();
    let told = fields.iter().filter(|f| has_meaning(f)).count();
    assert!(fields.len() > 3000, "parsed only {} fields", fields.len());
    println!("{told} of {} fields say what they mean", fields.len());
    assert!(
        told * 100 >= fields.len() * FLOOR_PERCENT,
        "only {told} of {} fields have a meaning (floor {FLOOR_PERCENT} %)",
        fields.len()
    );
    // A meaning is a sentence before the type, never the type alone restated.
    for f in fields.iter().filter(|f| has_meaning(f)) {
        let m = &f.meaning;
        assert!(
            m.ends_with('.') && m.len() > 4 && m.starts_with(|c: char| c.is_uppercase()),
            "malformed doc of `{}`: {}",
            f.wire,
            f.doc
        );
    }
}

/// Schema and property names of both OpenAPI documents.
fn schema_fields() -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let (mut schemas, mut props, mut pairs) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for file in ["openapi.json", "openapi-node.json"] {
        let path = Path::new(CRATE).join("../../spec").join(file);
        let spec: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
            schemas.insert(name.clone());
            for prop in schema["properties"].as_object().into_iter().flatten() {
                props.insert(prop.0.clone());
                pairs.insert(format!("{name}.{}", prop.0));
            }
        }
    }
    (schemas, props, pairs)
}

/// Keys of `[names]` (plain or `[names.x]`) and `[fields]` in the glossary: a tiny reader
/// for the file's own shape (`key = ...` lines under `[table]` headers).
fn glossary() -> (Vec<String>, Vec<String>) {
    let text =
        std::fs::read_to_string(Path::new(CRATE).join("../../spec/field-docs.toml")).unwrap();
    let (mut names, mut fields) = (Vec::new(), Vec::new());
    let mut table = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(t) = line.strip_prefix('[') {
            table = t.trim_end_matches(']').to_owned();
            if let Some(name) = table.strip_prefix("names.") {
                names.push(name.trim_matches('"').to_owned());
            }
            continue;
        }
        let Some((key, _)) = line.split_once(" = ") else {
            panic!("field-docs.toml: not `key = value`: {line}");
        };
        let key = key.trim().trim_matches('"').to_owned();
        match table.as_str() {
            "names" => names.push(key),
            "fields" => fields.push(key),
            t if t.starts_with("names.") => {}
            t => panic!("field-docs.toml: unknown table [{t}]"),
        }
    }
    (names, fields)
}

#[test]
fn glossary_names_only_fields_the_schemas_have() {
    let (schemas, props, pairs) = schema_fields();
    let (names, fields) = glossary();
    assert!(names.len() > 100 && fields.len() > 100, "glossary not read");
    let mut rot: Vec<String> = names
        .iter()
        .filter(|n| !props.contains(*n))
        .map(|n| format!("[names] {n}"))
        .collect();
    rot.extend(
        fields
            .iter()
            .filter(|k| !pairs.contains(*k))
            .map(|k| match k.split_once('.') {
                Some((s, _)) if schemas.contains(s) => format!("[fields] {k}: no such field"),
                _ => format!("[fields] {k}: no such schema"),
            }),
    );
    let dup: BTreeSet<_> = names
        .iter()
        .chain(&fields)
        .filter(|k| names.iter().chain(&fields).filter(|x| x == k).count() > 1)
        .collect();
    assert!(dup.is_empty(), "field-docs.toml: keys given twice: {dup:?}");
    assert!(
        rot.is_empty(),
        "spec/field-docs.toml names what no schema has:\n{}",
        rot.join("\n")
    );
}
