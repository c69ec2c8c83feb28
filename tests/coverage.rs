//! Coverage gate: every OpenAPI operation of `spec/openapi.json` and `spec/openapi-node.json`
//! and every HTTP method of the Python SDK (`spec/python-sdk-methods.tsv`) is either reached by
//! the Rust SDK or listed, with a reason, in `spec/not-covered.tsv`; and `docs/COVERAGE.md`
//! (written by `scripts/coverage_report.py`) shows the numbers computed here.
//!
//! "Reached" comes from a deliberately simple parser over the SDK sources
//! (`crates/ctfy-{transport,client,admin,node}/src` and `src`): after dropping lines whose first
//! non-blank characters are `//`, every `Request::get|post|put|patch|delete(` or
//! `Request::new(Method::VERB,` followed (whitespace allowed) by a string literal is a request
//! template. Templates are relative to `/api/v1` with the spec's placeholder names, so
//! `"/api/v1" + template` must equal a spec path; `ctfy-node` reaches the node spec, the other
//! crates the platform spec. Generated and hand-written methods count alike. A Python method is
//! covered when every call it makes is reached (placeholders blanked: the Python SDK names a
//! few differently) and it is not listed; `docs/methods.tsv` (from `scripts/gen_client.py`)
//! names its Rust call.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const VERBS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
const CLIENTS: &[&str] = &["player", "events", "competition", "team", "admin", "node"];
const SDK_DIRS: &[(&str, &str)] = &[
    ("crates/ctfy-transport/src", "platform"),
    ("crates/ctfy-client/src", "platform"),
    ("crates/ctfy-admin/src", "platform"),
    ("src", "platform"),
    ("crates/ctfy-node/src", "node"),
];
const SPECS: &[(&str, &str)] = &[
    ("platform", "spec/openapi.json"),
    ("node", "spec/openapi-node.json"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Rows of a tab-separated file with a header line (blank and `#` lines skipped).
fn tsv(rel: &str) -> Vec<BTreeMap<String, String>> {
    let text = read(rel);
    let mut lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let head: Vec<&str> = lines.next().expect("header").split('\t').collect();
    lines
        .map(|l| {
            head.iter()
                .zip(l.split('\t'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The request templates of one source text: `(VERB, template)`.
fn templates(source: &str) -> Vec<(String, String)> {
    let text: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Request::") {
        rest = &rest[i + "Request::".len()..];
        let Some(open) = rest.find('(') else { break };
        let name = &rest[..open];
        let mut args = rest[open + 1..].trim_start();
        let verb = if name == "new" {
            let Some(after) = args.strip_prefix("Method::") else {
                continue;
            };
            let end = after
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(after.len());
            let verb = after[..end].to_string();
            let Some(tail) = after[end..].trim_start().strip_prefix(',') else {
                continue;
            };
            args = tail.trim_start();
            verb
        } else if name.chars().all(|c| c.is_ascii_lowercase()) {
            name.to_ascii_uppercase()
        } else {
            continue;
        };
        let Some(lit) = args.strip_prefix('"') else {
            continue;
        };
        let Some(end) = lit.find('"') else { continue };
        if VERBS.contains(&verb.as_str()) {
            // `{name:path}` (a multi-segment placeholder) is the spec's `{name}`.
            out.push((verb, lit[..end].replace(":path}", "}")));
        }
    }
    out
}

/// spec -> {(VERB, "/api/v1" + template)} reached by the SDK sources.
fn reached() -> BTreeMap<&'static str, BTreeSet<(String, String)>> {
    let mut out: BTreeMap<&str, BTreeSet<(String, String)>> = BTreeMap::new();
    for (dir, spec) in SDK_DIRS {
        let mut files = Vec::new();
        rs_files(&root().join(dir), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (verb, t) in templates(&text) {
                out.entry(spec)
                    .or_default()
                    .insert((verb, format!("/api/v1{t}")));
            }
        }
    }
    out
}

/// `/a/{x}/b` -> `/a/{}/b`.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for c in path.chars() {
        match c {
            '{' => {
                skip = true;
                out.push_str("{}");
            }
            '}' => skip = false,
            _ if !skip => out.push(c),
            _ => {}
        }
    }
    out
}

struct Op {
    spec: String,
    http: String,
    path: String,
    group: String,
    client: &'static str,
    reached: bool,
    listed: bool,
}

struct PyMethod {
    id: String,
    client: String,
    namespace: String,
    seed: String,
    reached: bool,
}

fn group(spec: &str, path: &str) -> String {
    let parts: Vec<&str> = path
        .trim_start_matches("/api/v1")
        .split('/')
        .filter(|p| !p.is_empty() && !p.starts_with('{'))
        .collect();
    match parts.as_slice() {
        [] => format!("{spec} /"),
        ["admin", second, ..] => format!("{spec} admin/{second}"),
        [first, ..] => format!("{spec} {first}"),
    }
}

struct Coverage {
    ops: Vec<Op>,
    methods: Vec<PyMethod>,
    listed: Vec<BTreeMap<String, String>>,
    problems: Vec<String>,
}

fn compute() -> Coverage {
    let reached = reached();
    let listed = tsv("spec/not-covered.tsv");
    let mut problems = Vec::new();
    let listed_ops: BTreeSet<(String, String, String)> = listed
        .iter()
        .filter(|r| r["kind"] == "operation")
        .map(|r| (r["where"].clone(), r["http"].clone(), r["target"].clone()))
        .collect();
    let listed_py: BTreeSet<String> = listed
        .iter()
        .filter(|r| r["kind"] == "python")
        .map(|r| r["target"].clone())
        .collect();
    for r in &listed {
        if r.get("reason").is_none_or(|s| s.trim().is_empty()) {
            problems.push(format!(
                "spec/not-covered.tsv: {} has no reason",
                r["target"]
            ));
        }
    }

    let mut ops = Vec::new();
    for (spec, file) in SPECS {
        let doc: serde_json::Value = serde_json::from_str(&read(file)).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for verb in item.as_object().unwrap().keys() {
                let http = verb.to_ascii_uppercase();
                if !VERBS.contains(&http.as_str()) {
                    continue;
                }
                let key = (http.clone(), path.clone());
                let client = if *spec == "node" {
                    "node"
                } else if path.starts_with("/api/v1/admin/") {
                    "admin"
                } else {
                    "player"
                };
                ops.push(Op {
                    group: group(spec, path),
                    reached: reached.get(spec).is_some_and(|s| s.contains(&key)),
                    listed: listed_ops.contains(&(spec.to_string(), http.clone(), path.clone())),
                    spec: spec.to_string(),
                    http,
                    path: path.clone(),
                    client,
                });
            }
        }
    }
    for op in &ops {
        let what = format!("operation {} {} {}", op.spec, op.http, op.path);
        if !op.reached && !op.listed {
            problems.push(format!(
                "{what}: neither reached by the SDK nor in spec/not-covered.tsv"
            ));
        }
        if op.reached && op.listed {
            problems.push(format!(
                "{what}: reached, remove it from spec/not-covered.tsv"
            ));
        }
    }
    for (w, h, t) in &listed_ops {
        if !ops
            .iter()
            .any(|o| &o.spec == w && &o.http == h && &o.path == t)
        {
            problems.push(format!("spec/not-covered.tsv: no operation {w} {h} {t}"));
        }
    }

    let rust: BTreeMap<String, String> = tsv("docs/methods.tsv")
        .into_iter()
        .map(|r| (r["python_id"].clone(), r["rust_call"].clone()))
        .collect();
    let mut methods = Vec::new();
    for r in tsv("spec/python-sdk-methods.tsv") {
        if r["http"].is_empty() {
            continue;
        }
        let id = format!("{}:{}:{}", r["client"], r["namespace"], r["method"]);
        let spec = if r["client"] == "node" {
            "node"
        } else {
            "platform"
        };
        let shapes: BTreeSet<(String, String)> = reached
            .get(spec)
            .into_iter()
            .flatten()
            .map(|(v, p)| (v.clone(), shape(p)))
            .collect();
        let all = r["http"]
            .split(';')
            .zip(r["path"].split(';'))
            .all(|(v, p)| shapes.contains(&(v.to_string(), shape(&format!("/api/v1{p}")))));
        let listed = listed_py.contains(&id);
        if !all && !listed {
            problems.push(format!(
                "python {id}: neither reached nor in spec/not-covered.tsv"
            ));
        }
        if r["seed"] != "no" && r["seed"] != "namespace" && !rust.contains_key(&id) && all {
            // Seed-named methods must have a named Rust call unless they are hand-written
            // outside the generator (events) — those are found by their template alone.
            assert!(
                r["client"] == "events",
                "{id}: seed-named but not in docs/methods.tsv"
            );
        }
        methods.push(PyMethod {
            namespace: if r["namespace"].is_empty() {
                "(root)".into()
            } else {
                r["namespace"].clone()
            },
            client: r["client"].clone(),
            seed: r["seed"].clone(),
            reached: all && !listed,
            id,
        });
    }
    for id in &listed_py {
        if !methods.iter().any(|m| &m.id == id) {
            problems.push(format!("spec/not-covered.tsv: no Python method {id}"));
        }
    }
    Coverage {
        ops,
        methods,
        listed,
        problems,
    }
}

fn frac<T>(items: &[&T], reached: impl Fn(&T) -> bool) -> String {
    let n = items.iter().filter(|i| reached(i)).count();
    format!("{n} / {}", items.len())
}

/// The lines of docs/COVERAGE.md that carry numbers, as scripts/coverage_report.py writes them.
fn expected_lines(c: &Coverage) -> Vec<String> {
    let mut out = Vec::new();
    for client in CLIENTS {
        let ms: Vec<&PyMethod> = c.methods.iter().filter(|m| m.client == *client).collect();
        let os: Vec<&Op> = c.ops.iter().filter(|o| o.client == *client).collect();
        let ops = if os.is_empty() {
            "-".to_string()
        } else {
            frac(&os, |o| o.reached)
        };
        out.push(format!(
            "| {client} | {} | {ops} |",
            frac(&ms, |m| m.reached)
        ));
    }
    let all_m: Vec<&PyMethod> = c.methods.iter().collect();
    let all_o: Vec<&Op> = c.ops.iter().collect();
    out.push(format!(
        "| **total** | **{}** | **{}** |",
        frac(&all_m, |m| m.reached),
        frac(&all_o, |o| o.reached)
    ));
    let seeds: Vec<&PyMethod> = c
        .methods
        .iter()
        .filter(|m| ["yes", "renamed", "described"].contains(&m.seed.as_str()))
        .collect();
    out.push(format!(
        "{} Python methods named or described by a seed (`seed` = yes / renamed / described) are covered.",
        frac(&seeds, |m| m.reached)
    ));
    let mut by_ns: BTreeMap<(usize, &str, &str), (usize, usize)> = BTreeMap::new();
    for m in &c.methods {
        let idx = CLIENTS.iter().position(|x| *x == m.client).unwrap();
        let e = by_ns
            .entry((idx, m.client.as_str(), m.namespace.as_str()))
            .or_default();
        e.0 += usize::from(m.reached);
        e.1 += 1;
    }
    for ((_, client, ns), (n, t)) in by_ns {
        out.push(format!("| {client} | {ns} | {n} | {t} |"));
    }
    let mut by_group: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in &c.ops {
        let e = by_group.entry(o.group.as_str()).or_default();
        e.0 += usize::from(o.reached);
        e.1 += 1;
    }
    for (g, (n, t)) in by_group {
        let (spec, name) = g.split_once(' ').unwrap();
        out.push(format!("| {spec} | {name} | {n} | {t} |"));
    }
    let mut cats: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &c.listed {
        *cats.entry(r["category"].as_str()).or_default() += 1;
    }
    let cats: Vec<String> = cats.iter().map(|(k, v)| format!("{k} {v}")).collect();
    out.push(format!(
        "## Not covered ({}: {})",
        c.listed.len(),
        cats.join(", ")
    ));
    for r in &c.listed {
        out.push(format!(
            "| {} | {} | {} | `{}` | {} | {} |",
            r["kind"], r["where"], r["http"], r["target"], r["category"], r["reason"]
        ));
    }
    out
}

#[test]
fn parser_finds_templates() {
    let src = r#"
        // Request::get("/commented", &[])
        Request::get("/a/{x}", &[x]);
        Request::post(
            "/b",
            &[],
        );
        Request::new(Method::PATCH, "/c", &[]);
        Request::from_parts(parts, body);
    "#;
    assert_eq!(
        templates(src),
        [
            ("GET".to_string(), "/a/{x}".to_string()),
            ("POST".into(), "/b".into()),
            ("PATCH".into(), "/c".into()),
        ]
    );
    assert_eq!(shape("/a/{x}/b/{y}"), "/a/{}/b/{}");
}

#[test]
fn every_operation_and_python_method_is_covered_or_listed() {
    let c = compute();
    assert!(
        c.problems.is_empty(),
        "{} coverage problems:\n{}",
        c.problems.len(),
        c.problems.join("\n")
    );
    // Every seed-named method is covered.
    let missing: Vec<&str> = c
        .methods
        .iter()
        .filter(|m| ["yes", "renamed", "described"].contains(&m.seed.as_str()) && !m.reached)
        .map(|m| m.id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "seed-named methods not covered: {missing:?}"
    );
}

#[test]
fn coverage_report_is_current() {
    let c = compute();
    let doc = read("docs/COVERAGE.md");
    let have: BTreeSet<&str> = doc.lines().collect();
    let stale: Vec<String> = expected_lines(&c)
        .into_iter()
        .filter(|l| !have.contains(l.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/COVERAGE.md is stale (run `python3 scripts/coverage_report.py`); expected lines:\n{}",
        stale.join("\n")
    );
    // And no numbered row that this test does not expect (a removed namespace, group, entry).
    let expected: BTreeSet<String> = expected_lines(&c).into_iter().collect();
    let section_rows = doc
        .split("\n## Wire-shape conformance")
        .next()
        .unwrap()
        .lines()
        .filter(|l| {
            l.starts_with("| ") && !l.starts_with("| client |") && !l.starts_with("| spec |")
        })
        .filter(|l| !l.starts_with("| kind |"))
        .filter(|l| !expected.contains(*l))
        .collect::<Vec<_>>();
    assert!(
        section_rows.is_empty(),
        "docs/COVERAGE.md has rows this test does not compute (stale?):\n{}",
        section_rows.join("\n")
    );
}
