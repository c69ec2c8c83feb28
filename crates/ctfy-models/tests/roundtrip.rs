//! Wire round-trips of the generated types: decode -> encode must give back the same JSON.

#[path = "support/example.rs"]
mod example;
#[allow(dead_code)] // `Decoded::debug` is for the conformance test
#[path = "support/schemas.rs"]
mod schemas;

use ctfy_models::With;
use example::{example, spec};

use ctfy_models::{
    ChallengeInfo, CompetitionInfo, InstanceInfo, InstanceStatus, InstanceStatusResponse,
    StringOrList, SubmissionCreate, SubmissionResponse,
};
use serde_json::{Value, json};

fn roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &Value) -> Value {
    let typed: T = serde_json::from_value(value.clone()).expect("decodes");
    serde_json::to_value(&typed).expect("encodes")
}

#[test]
fn unknown_enum_value_is_kept() {
    let status: InstanceStatus = serde_json::from_str("\"weird_new_status\"").unwrap();
    assert_eq!(status, InstanceStatus::Unknown("weird_new_status".into()));
    assert!(status.is_unknown());
    assert_eq!(
        serde_json::to_string(&status).unwrap(),
        "\"weird_new_status\""
    );
    let ready: InstanceStatus = serde_json::from_str("\"ready\"").unwrap();
    assert_eq!(ready, InstanceStatus::Ready);
}

#[test]
fn instance_status_response() {
    let wire = json!({
        "id": "5b0c7a52-9f0e-4c1e-9d57-2a8c1f0e6b11",
        "status": "ready",
        "attack_surface": {
            "services": [{
                "service_type": "http", "host": "127.0.0.1", "port": 18212,
                "credentials": null, "path": "/", "label": "web"
            }],
            "provided_files": [],
            "flag_path": null,
            "vpn": null
        },
        "error": "",
        "cert_volume": "",
        "start_budget_s": 5400
    });
    let typed: InstanceStatusResponse = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(typed.status, InstanceStatus::Ready);
    let surface = typed.attack_surface.as_ref().unwrap();
    assert_eq!(surface.services[0].port, 18212);
    assert_eq!(typed.start_budget_s, 5400);
    assert_eq!(serde_json::to_value(&typed).unwrap(), wire);
}

#[test]
fn submission_response() {
    let wire = json!({
        "id": "0d3c5e4c2b9a4f6e8a1b7c9d0e1f2a3b",
        "correct": true,
        "solve_time_s": 2.2,
        "solve_rank": 1,
        "question_id": "flag",
        "challenge_fully_solved": false,
        "attempts_remaining": null,
        "ranked": true,
        "unranked_reason": ""
    });
    let typed: SubmissionResponse = serde_json::from_value(wire.clone()).unwrap();
    assert!(typed.correct);
    assert_eq!(typed.question_id.as_ref().map(|q| q.as_str()), Some("flag"));
    assert_eq!(serde_json::to_value(&typed).unwrap(), wire);
}

#[test]
fn request_bodies_send_only_what_was_set() {
    let body = SubmissionCreate::default().with(|it| {
        it.instance_id = "5b0c7a52".parse().unwrap();
        it.answer = StringOrList::from("flag{x}");
    });
    let sent = serde_json::to_value(&body).unwrap();
    let obj = sent.as_object().unwrap();
    assert_eq!(obj["instance_id"], "5b0c7a52");
    assert_eq!(obj["answer"], "flag{x}");
    assert!(
        obj.values().all(|v| !v.is_null()),
        "unset fields are omitted: {sent}"
    );
}

#[test]
fn instance_info_epoch_floats() {
    let spec = spec("openapi.json");
    let mut wire = example(
        &spec,
        &json!({"$ref": "#/components/schemas/InstanceInfo"}),
        true,
        0,
    );
    wire["started_at"] = json!(1_795_000_000.25);
    wire["expires_at"] = json!(1_795_005_400.25);
    wire["status"] = json!("running");
    let typed: InstanceInfo = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(typed.started_at.as_secs_f64(), 1_795_000_000.25);
    assert_eq!(serde_json::to_value(&typed).unwrap(), wire);
}

#[test]
fn competition_and_challenge_info_from_schema() {
    let spec = spec("openapi.json");
    for full in [true, false] {
        let c = example(
            &spec,
            &json!({"$ref": "#/components/schemas/CompetitionInfo"}),
            full,
            0,
        );
        assert_eq!(roundtrip::<CompetitionInfo>(&c), c);
        let ch = example(
            &spec,
            &json!({"$ref": "#/components/schemas/ChallengeInfo"}),
            full,
            0,
        );
        assert_eq!(roundtrip::<ChallengeInfo>(&ch), ch);
    }
}

#[test]
fn every_platform_schema_roundtrips() {
    every_schema_roundtrips(
        "openapi.json",
        ctfy_models::platform::SCHEMAS,
        ctfy_models::platform::SKIPPED_SCHEMAS,
        schemas::platform,
    );
}

#[test]
fn every_node_schema_roundtrips() {
    every_schema_roundtrips(
        "openapi-node.json",
        ctfy_models::node::SCHEMAS,
        ctfy_models::node::SKIPPED_SCHEMAS,
        schemas::node,
    );
}

fn every_schema_roundtrips(
    file: &str,
    table: &[(&str, &str)],
    skipped: &[&str],
    dispatch: fn(&str, Value) -> Option<Result<schemas::Decoded, String>>,
) {
    let spec = spec(file);
    let names: Vec<&String> = spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for name in names {
        if skipped.contains(&name.as_str()) {
            continue;
        }
        assert!(
            table.iter().any(|(s, _)| s == name),
            "{name} missing from SCHEMAS"
        );
        let reference = json!({ "$ref": format!("#/components/schemas/{name}") });
        for full in [true, false] {
            let value = example(&spec, &reference, full, 0);
            match dispatch(name, value.clone()).map(|r| r.map(|d| d.json)) {
                None => failures.push(format!("{name}: no Rust type")),
                Some(Err(e)) => {
                    failures.push(format!("{name} (full={full}): {e}\n  input: {value}"))
                }
                Some(Ok(back)) if back != value => {
                    failures.push(format!(
                        "{name} (full={full}):\n  input:  {value}\n  output: {back}"
                    ));
                }
                Some(Ok(_)) => checked += 1,
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 0);
}
