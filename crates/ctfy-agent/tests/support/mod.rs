//! Shared set-up of the ctfy-agent tests.
#![allow(dead_code)]

pub mod live;
pub mod model_server;

use std::sync::Mutex;

use ctfy::models::ChallengeInfo;
use ctfy::testing::MockPlatform;
use ctfy_agent::model::{AssistantTurn, Model, ModelFuture, TokenUsage, ToolCall, ToolDef, Turn};
use futures::TryStreamExt;
use serde_json::Value;

/// The mock platform answers `GET /challenges/{id}` with the challenge as its competition
/// lists it (the stateful mock serves the list, a stub the single read).
pub async fn stub_challenge(mock: &MockPlatform, id: &str) -> ChallengeInfo {
    let client = mock.client();
    let all: Vec<ChallengeInfo> = client
        .competition(mock.competition_id())
        .unwrap()
        .challenges()
        .stream()
        .try_collect()
        .await
        .unwrap();
    let info = all
        .into_iter()
        .find(|c| c.id == id)
        .expect("challenge listed");
    mock.on(|c| c.challenges().get(id)).returns(info.clone());
    info
}

/// A model played by a function of the transcript: each call gets the transcript and the
/// tool names offered, and answers a turn.
pub struct FnModel<F> {
    pub f: F,
    pub calls: Mutex<Vec<Vec<String>>>,
}

impl<F> FnModel<F>
where
    F: Fn(&[Turn]) -> AssistantTurn + Send + Sync,
{
    pub fn new(f: F) -> Self {
        FnModel {
            f,
            calls: Mutex::new(Vec::new()),
        }
    }

    pub fn tools_offered(&self) -> Vec<Vec<String>> {
        self.calls.lock().unwrap().clone()
    }
}

impl<F> Model for FnModel<F>
where
    F: Fn(&[Turn]) -> AssistantTurn + Send + Sync,
{
    fn respond<'a>(
        &'a self,
        _system: &'a str,
        transcript: &'a [Turn],
        tools: &'a [ToolDef],
    ) -> ModelFuture<'a> {
        self.calls
            .lock()
            .unwrap()
            .push(tools.iter().map(|t| t.name.clone()).collect());
        let turn = (self.f)(transcript);
        Box::pin(async move { Ok(turn) })
    }
}

/// A turn calling one tool.
pub fn tool_turn(name: &str, arguments: Value) -> AssistantTurn {
    AssistantTurn {
        text: String::new(),
        tool_calls: vec![ToolCall {
            id: format!("call-{name}"),
            name: name.to_owned(),
            arguments: arguments.as_object().cloned().unwrap_or_default(),
        }],
        usage: TokenUsage {
            input_tokens: 100,
            output_tokens: 10,
        },
        stop_reason: "tool_use".into(),
        thinking_blocks: Vec::new(),
    }
}

/// A final turn.
pub fn final_turn(text: &str) -> AssistantTurn {
    AssistantTurn {
        text: text.to_owned(),
        tool_calls: Vec::new(),
        usage: TokenUsage {
            input_tokens: 100,
            output_tokens: 5,
        },
        stop_reason: "end_turn".into(),
        thinking_blocks: Vec::new(),
    }
}

/// The task text (the first user turn).
pub fn task(transcript: &[Turn]) -> &str {
    match &transcript[0] {
        Turn::User { text } => text,
        other => panic!("first turn is not the task: {other:?}"),
    }
}

/// The target URL named in the task (`Target: …`).
pub fn target(transcript: &[Turn]) -> String {
    task(transcript)
        .lines()
        .find_map(|l| l.strip_prefix("Target: "))
        .expect("the task names the target")
        .to_owned()
}

/// The content of the last tool result.
pub fn last_result(transcript: &[Turn]) -> Option<&str> {
    transcript.iter().rev().find_map(|t| match t {
        Turn::ToolResults { results } => results.last().map(|r| r.content.as_str()),
        _ => None,
    })
}

/// How many assistant turns the transcript holds.
pub fn assistant_turns(transcript: &[Turn]) -> usize {
    transcript
        .iter()
        .filter(|t| matches!(t, Turn::Assistant(_)))
        .count()
}
