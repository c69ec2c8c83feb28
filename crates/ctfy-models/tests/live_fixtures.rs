//! Real responses of a running platform (captured by `scripts/capture_fixtures.sh` into
//! `tests/fixtures/live/`, listed with their OpenAPI schema in `index.tsv`) decode into their
//! Rust type and encode back with no key lost and no value changed.

#[allow(dead_code)] // the node dispatch and the Debug text are for the other tests
#[path = "support/schemas.rs"]
mod schemas;

use serde_json::Value;

/// Keys (as JSON paths) of `input` missing from `output`, and values that differ.
fn losses(path: &str, input: &Value, output: &Value, out: &mut Vec<String>) {
    match (input, output) {
        (Value::Object(i), Value::Object(o)) => {
            for (k, v) in i {
                match o.get(k) {
                    Some(w) => losses(&format!("{path}.{k}"), v, w, out),
                    None => out.push(format!("{path}.{k}: lost")),
                }
            }
        }
        (Value::Array(i), Value::Array(o)) if i.len() == o.len() => {
            for (n, (v, w)) in i.iter().zip(o).enumerate() {
                losses(&format!("{path}[{n}]"), v, w, out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (a, b) if a != b => out.push(format!("{path}: {a} re-encodes as {b}")),
        _ => {}
    }
}

#[test]
fn live_responses_roundtrip() {
    let dir = format!("{}/tests/fixtures/live", env!("CARGO_MANIFEST_DIR"));
    let index = std::fs::read_to_string(format!("{dir}/index.tsv")).expect("index.tsv");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in index.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, schema) = (cols[0], cols[1]);
        let text = std::fs::read_to_string(format!("{dir}/{file}")).expect("fixture");
        let input: Value = serde_json::from_str(&text).expect("fixture JSON");
        match schemas::platform(schema, input.clone()) {
            None => failures.push(format!("{file}: no Rust type for {schema}")),
            Some(Err(e)) => failures.push(format!("{file} as {schema}: {e}")),
            Some(Ok(d)) => {
                let mut lost = Vec::new();
                losses("$", &input, &d.json, &mut lost);
                failures.extend(lost.into_iter().map(|l| format!("{file} as {schema}: {l}")));
                checked += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 10, "only {checked} live fixtures");
}
