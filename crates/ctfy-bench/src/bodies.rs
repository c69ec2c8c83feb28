//! Realistic answers, built as model values and serialized, so that every body is something
//! the SDK's types produce (and decode back) exactly.

use ctfy_models::events::Event;
use ctfy_models::{ChallengeInfo, HealthResponse, InstanceStatusResponse, Page, ScoreboardEntry};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

/// The bodies the server answers with.
pub struct Bodies {
    /// `GET /health` (~160 B).
    pub health: Vec<u8>,
    /// `GET /instances/{id}/status` (~800 B).
    pub status: Vec<u8>,
    /// `GET /challenges?limit=500` (~650 kB).
    pub challenges: Vec<u8>,
    /// `GET /scoreboard?limit=10000` (~5.4 MB).
    pub scoreboard: Vec<u8>,
    /// Event-stream frames (`event:` + `data:` + blank line), cycled by the server.
    pub sse_frames: Vec<Vec<u8>>,
}

/// Decodes `v` as the model `T` and serializes the model value.
fn model<T: DeserializeOwned + Serialize>(v: serde_json::Value) -> Vec<u8> {
    let m: T = serde_json::from_value(v).expect("the bench's bodies fit the models");
    serde_json::to_vec(&m).expect("models serialize")
}

fn hex(i: u64, len: usize) -> String {
    let mut s = String::with_capacity(len);
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    while s.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push_str(&format!("{x:016x}"));
    }
    s.truncate(len);
    s
}

const WORDS: &[&str] = &[
    "the", "server", "trusts", "its", "client", "a", "little", "too", "much", "and", "leaks",
    "session", "tokens", "through", "verbose", "errors", "find", "flag", "in", "memory",
];

fn text(seed: u64, words: usize) -> String {
    (0..words)
        .map(|i| WORDS[((seed as usize).wrapping_mul(31) + i * 7) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn challenge(i: u64) -> serde_json::Value {
    let cats = ["web", "pwn", "crypto", "reverse", "forensics", "misc"];
    let diffs = ["easy", "medium", "hard", "insane"];
    json!({
        "id": format!("{}-{:03}", cats[(i % 6) as usize].to_uppercase(), i),
        "name": format!("Challenge {i}: {}", text(i, 3)),
        "category": cats[(i % 6) as usize],
        "difficulty": diffs[(i % 4) as usize],
        "description": text(i, 80),
        "solves_count": (i * 7) % 311,
        "launch_count": (i * 13) % 977,
        "tags": ["web", "auth", format!("tag-{}", i % 17)],
        "questions": [
            {"id": "flag", "prompt": "Capture the flag served by the instance.", "mode": "dynamic", "requires": []},
            {"id": "root", "prompt": "Which user does the service run as?", "mode": "static", "choices": ["root", "www-data", "nobody"], "requires": ["flag"]}
        ],
        "flag_solves": {"flag": (i * 3) % 101, "root": (i * 5) % 53},
        "attachments": [{"name": format!("chall-{i}.tar.gz"), "size": 1024 * (i % 97 + 1), "per_team": false}],
        "is_qa_only": false,
        "my_solved_question_ids": if i % 3 == 0 { json!(["flag"]) } else { json!([]) },
        "my_fully_solved": false,
        "my_team_solved_question_ids": [],
    })
}

fn row(i: u64) -> serde_json::Value {
    json!({
        "rank": i + 1,
        "team_id": hex(i, 32),
        "team_name": format!("team-{i:05} {}", text(i, 2)),
        "solved": 500 - (i % 500),
        "flags_solved": 700 - (i % 700),
        "score": 100_000 - i * 9,
        "attempts": 1000 + (i * 37) % 5000,
        "last_solve_at": format!("2026-12-03T11:{:02}:{:02}.{:06}Z", i % 60, (i * 7) % 60, (i * 7919) % 1_000_000),
        "last_active_at": format!("2026-12-03T11:{:02}:{:02}.{:06}Z", (i * 3) % 60, (i * 11) % 60, (i * 104_729) % 1_000_000),
        "entrant_kind": "human",
        "avatar_url": format!("https://cdn.example.org/avatars/{}.png", hex(i + 7, 24)),
        "affiliation": {"domain": "example.edu", "names": {"en": "Example University"}, "short_name": "EXU"},
        "anonymous": false,
        "attack_score": 60_000 - i * 5,
        "defence_score": 40_000 - i * 4,
        "defended": i % 40,
        "review_status": "accepted",
    })
}

fn instance_ready(i: u64) -> serde_json::Value {
    json!({
        "challenge_id": format!("WEB-{:03}", i % 500),
        "actor_id": hex(i, 32),
        "actor_name": format!("player-{i}"),
        "actor_type": "user",
        "actor_avatar_url": "",
        "instance_id": format!("7e1d2c3b-4a59-4f68-8e7d-{}", hex(i, 12)),
        "competition_id": "6d2f0c1e9b8a47a3b5c4d3e2f1a0b9c8",
        "node_id": "10.0.0.7_18201",
        "competition_title": "Winter CTF 2026",
    })
}

fn frame(name: &str, data: serde_json::Value) -> Vec<u8> {
    let e = Event::from_value(name, data).expect("the bench's frames fit the models");
    let data = serde_json::to_string(&e.to_value()).expect("events serialize");
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

impl Bodies {
    /// Builds every body (`rows` scoreboard rows, `challenges` challenges).
    pub fn new(challenges: u64, rows: u64) -> Bodies {
        let health = model::<HealthResponse>(json!({
            "status": "ok", "hostname": "ctfy-platform-7d9f8c6b5-x2k4q", "running_instances": 42,
            "capacity": 200, "version": "0.7.0", "environment": "production", "environment_label": "prod",
        }));
        let status = model::<InstanceStatusResponse>(json!({
            "id": "7e1d2c3b-4a59-4f68-8e7d-6c5b4a392817",
            "status": "ready",
            "attack_surface": {
                "services": [
                    {"service_type": "http", "host": "10.13.37.21", "port": 18212, "path": "/", "label": "web"},
                    {"service_type": "http", "host": "10.13.37.21", "port": 18213, "path": "/admin", "label": "admin panel"},
                    {"service_type": "tcp", "host": "10.13.37.21", "port": 31337, "path": "", "label": "backdoor"},
                    {"service_type": "tcp", "host": "10.13.37.21", "port": 31338, "path": "", "label": "debug console"}
                ],
                "provided_files": [
                    {"name": "source.zip", "size": 48213, "per_team": false},
                    {"name": "team-credentials.txt", "size": 311, "per_team": true}
                ],
                "flag_path": "/flag.txt"
            },
            "error": "",
            "cert_volume": "ctfy-cert-7e1d2c3b4a594f688e7d6c5b4a392817",
            "start_budget_s": 5400,
        }));
        let challenges = model::<Page<ChallengeInfo>>(json!({
            "items": (0..challenges).map(challenge).collect::<Vec<_>>(),
            "total": challenges, "limit": challenges, "offset": 0,
        }));
        let scoreboard = model::<Page<ScoreboardEntry>>(json!({
            "items": (0..rows).map(row).collect::<Vec<_>>(),
            "total": rows, "limit": rows, "offset": 0,
        }));
        let mut sse_frames = Vec::new();
        for i in 0..16u64 {
            if i % 4 == 3 {
                sse_frames.push(frame("scoreboard_updated", json!({})));
            } else {
                sse_frames.push(frame("instance_ready", instance_ready(i)));
            }
        }
        Bodies {
            health,
            status,
            challenges,
            scoreboard,
            sse_frames,
        }
    }
}
