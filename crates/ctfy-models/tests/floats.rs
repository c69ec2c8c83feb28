//! Floats are exact: every decimal number the platform sends re-encodes to the same `f64`.
//!
//! The fixtures in `tests/fixtures/floats/` are real responses of the local platform with
//! floats in them (epoch timestamps such as `started_at` and `ts`, `latency_ms`,
//! `last_duration_s`, percentages, prices), captured with `scripts/capture_fixtures.sh
//! --floats`. Without serde_json's `float_roundtrip` feature about one decimal float in
//! thirteen decodes one step off, and the SDK then sends or shows a value the platform never
//! sent.
//!
//! The check is on the text: each number token of the fixture, parsed exactly
//! (`str::parse::<f64>` is correctly rounded), must equal the number token at the same place
//! of the re-encoded text (Python and Rust may spell a float differently, `1e-05` / `1e-5`,
//! but both spell the shortest digits that round-trip, so equal values are equal tokens up to
//! spelling).

use ctfy_models::{self as m, Page};
use serde::{Serialize, de::DeserializeOwned};

/// The number tokens of a JSON text, in order (a token inside a string is not one).
fn numbers(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let (mut out, mut i, mut in_str) = (Vec::new(), 0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_str {
            match b {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
            i += 1;
        } else if b == b'"' {
            in_str = true;
            i += 1;
        } else if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < bytes.len()
                && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
            {
                i += 1;
            }
            out.push(&text[start..i]);
        } else {
            i += 1;
        }
    }
    out
}

/// Decodes `file` as `T`, encodes it again, and lists every number that changed.
fn check<T: DeserializeOwned + Serialize>(file: &str, floats: &mut usize) -> Vec<String> {
    let path = format!(
        "{}/tests/fixtures/floats/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture");
    let typed: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let back = serde_json::to_string(&typed).expect("encodes");
    let (sent, ours) = (numbers(&text), numbers(&back));
    if sent.len() != ours.len() {
        return vec![format!(
            "{file}: {} numbers sent, {} re-encoded (a value was lost)",
            sent.len(),
            ours.len()
        )];
    }
    let mut changed = Vec::new();
    for (a, b) in sent.iter().zip(&ours) {
        if a.contains(['.', 'e', 'E']) {
            *floats += 1;
        }
        let (x, y) = (a.parse::<f64>().unwrap(), b.parse::<f64>().unwrap());
        if x.to_bits() != y.to_bits() {
            changed.push(format!("{file}: {a} re-encodes as {b}"));
        }
    }
    changed
}

#[test]
fn every_float_the_platform_sends_reencodes_exactly() {
    let mut floats = 0;
    let changed: Vec<String> = [
        check::<Page<m::InstanceInfo>>("instances.json", &mut floats),
        check::<Page<m::NodeHealthSample>>("node_health_history.json", &mut floats),
        check::<Vec<m::ScheduledJobInfo>>("scheduled_jobs.json", &mut floats),
        check::<m::MetaResponse>("meta.json", &mut floats),
        check::<Page<m::NodeInfo>>("nodes.json", &mut floats),
        check::<Page<m::AdminChallengeStatsRow>>("challenge_stats.json", &mut floats),
        check::<m::ActivityTimeseries>("activity_timeseries.json", &mut floats),
        check::<m::AdminTrafficSummary>("traffic_summary.json", &mut floats),
        check::<Vec<m::LlmModelOption>>("eval_models.json", &mut floats),
        check::<Page<m::LlmModelStateOutput>>("llm_models.json", &mut floats),
        check::<Page<m::ChallengeStats>>("scoreboard_challenges.json", &mut floats),
    ]
    .concat();
    assert!(floats >= 150, "only {floats} floats in the fixtures");
    assert!(
        changed.is_empty(),
        "{} of {floats} floats changed:\n{}",
        changed.len(),
        changed.join("\n")
    );
}

#[test]
fn the_number_scanner_skips_strings() {
    assert_eq!(
        numbers(r#"{"a":"1.5 \"2\"","b":-1.25e-05,"c":[3,4.0]}"#),
        ["-1.25e-05", "3", "4.0"]
    );
}
