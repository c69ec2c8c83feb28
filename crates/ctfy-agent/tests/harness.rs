//! The run flow against the SDK's mock platform, with models played by functions.

mod support;

use std::time::Duration;

use ctfy::testing::{MockChallenge, MockPlatform, Route};
use ctfy_agent::harness::{RunError, RunOptions, run, solve};
use ctfy_agent::result::StopReason;
use serde_json::json;
use support::{
    FnModel, assistant_turns, final_turn, last_result, stub_challenge, target, tool_turn,
};

fn options(mock: &MockPlatform, challenge: &str) -> RunOptions {
    let mut o = RunOptions::new(challenge.parse().unwrap());
    o.competition_id = Some(mock.competition_id());
    o.start_deadline = Duration::from_secs(5);
    o
}

/// get_questions, GET <target>/flag, submit what it served, then stop talking.
fn flag_player() -> FnModel<impl Fn(&[ctfy_agent::Turn]) -> ctfy_agent::AssistantTurn + Send + Sync>
{
    FnModel::new(|t: &[ctfy_agent::Turn]| match assistant_turns(t) {
        0 => tool_turn("get_questions", json!({})),
        1 => tool_turn(
            "http_request",
            json!({"url": format!("{}/flag", target(t))}),
        ),
        2 => {
            let flag = last_result(t)
                .unwrap()
                .rsplit("\n\n")
                .next()
                .unwrap()
                .trim()
                .to_owned();
            tool_turn(
                "submit_answer",
                json!({"question_id": "flag", "answer": flag}),
            )
        }
        _ => final_turn("done"),
    })
}

#[tokio::test]
async fn an_instance_run_solves_rolls_up_and_stops_its_instance() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .start()
        .await;
    stub_challenge(&mock, "WEB-1").await;
    let model = flag_player();
    let result = run(&mock.client(), &model, &options(&mock, "WEB-1"))
        .await
        .unwrap();
    assert_eq!(result.solved, ["flag"]);
    assert!(result.fully_solved);
    assert_eq!(result.stop_reason, StopReason::Final);
    assert_eq!(result.turns, 4);
    assert_eq!(result.tool_calls_made, 3);
    assert_eq!(result.input_tokens, 400);
    assert_eq!(result.output_tokens, 35);
    assert_eq!(result.schema_version, 2);
    assert!(!result.instance_id.is_empty());
    assert_eq!(
        model.tools_offered()[0],
        [
            "http_request",
            "submit_answer",
            "verify_exploit",
            "get_questions"
        ]
    );
    mock.assert_no_instance_running().await;
    assert_eq!(mock.requests(Route::Launch), 1);
}

#[tokio::test]
async fn keep_instance_leaves_it_running() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1").question("more", "x"))
        .start()
        .await;
    stub_challenge(&mock, "WEB-1").await;
    let model = flag_player();
    let mut o = options(&mock, "WEB-1");
    o.keep_instance = true;
    let result = run(&mock.client(), &model, &o).await.unwrap();
    assert_eq!(result.solved, ["flag"]);
    assert!(!result.fully_solved);
    let running: Vec<_> = mock.instances().into_iter().collect();
    assert_eq!(running.len(), 1);
    mock.client()
        .instances()
        .stop(&result.instance_id)
        .await
        .unwrap();
    mock.assert_no_instance_running().await;
}

#[tokio::test]
async fn the_turn_budget_ends_a_run_and_the_instance_still_stops() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .start()
        .await;
    stub_challenge(&mock, "WEB-1").await;
    let model = FnModel::new(|_: &[ctfy_agent::Turn]| tool_turn("get_questions", json!({})));
    let mut o = options(&mock, "WEB-1");
    o.max_turns = 3;
    let result = run(&mock.client(), &model, &o).await.unwrap();
    assert_eq!(result.stop_reason, StopReason::MaxTurns);
    assert_eq!(result.turns, 3);
    assert_eq!(result.tool_calls_made, 3);
    assert!(result.solved.is_empty());
    mock.assert_no_instance_running().await;
}

#[tokio::test]
async fn a_start_that_fails_is_a_failed_run_with_the_platforms_reason() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("BROKEN-1").fails_to_start("no healthy node"))
        .start()
        .await;
    stub_challenge(&mock, "BROKEN-1").await;
    let model = flag_player();
    let err = run(&mock.client(), &model, &options(&mock, "BROKEN-1"))
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::Platform { .. }), "{err:?}");
    assert!(err.to_string().contains("no healthy node"), "{err}");
    assert!(model.tools_offered().is_empty(), "no model call");
    mock.assert_no_instance_running().await;
}

#[tokio::test]
async fn a_model_failure_fails_the_run_and_stops_the_instance() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .start()
        .await;
    stub_challenge(&mock, "WEB-1").await;
    let model = ctfy_agent::harness::ScriptedModel::new([tool_turn("get_questions", json!({}))]);
    let err = run(&mock.client(), model.as_ref(), &options(&mock, "WEB-1"))
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::Model(_)), "{err:?}");
    mock.assert_no_instance_running().await;
}

#[tokio::test]
async fn a_qa_run_answers_and_reads_the_solved_set_back() {
    let mock = MockPlatform::builder()
        .challenge(
            MockChallenge::qa("QA-1")
                .question("q1", "22")
                .question("q2", "443"),
        )
        .start()
        .await;
    stub_challenge(&mock, "QA-1").await;
    let model = FnModel::new(|t: &[ctfy_agent::Turn]| match assistant_turns(t) {
        0 => tool_turn(
            "submit_qa_answer",
            json!({"question_id": "q1", "answer": "22"}),
        ),
        1 => tool_turn(
            "submit_qa_answer",
            json!({"question_id": "q2", "answer": "80"}),
        ),
        _ => final_turn("q2 is hard"),
    });
    let result = run(&mock.client(), &model, &options(&mock, "QA-1"))
        .await
        .unwrap();
    assert_eq!(result.solved, ["q1"]);
    assert!(!result.fully_solved);
    assert_eq!(result.instance_id, "");
    assert_eq!(result.turns, 3);
    assert_eq!(
        model.tools_offered()[0],
        ["submit_qa_answer", "get_questions"]
    );
    assert_eq!(mock.requests(Route::Launch), 0);

    // Without a competition a QA run is refused before any model call.
    let mut o = options(&mock, "QA-1");
    o.competition_id = None;
    let err = run(&mock.client(), &model, &o).await.unwrap_err();
    assert!(matches!(err, RunError::Refused(_)), "{err:?}");
}

#[tokio::test]
async fn the_loop_maps_provider_stops() {
    struct NoTools;
    impl ctfy_agent::harness::ToolRunner for NoTools {
        fn run_tool<'a>(
            &'a self,
            call: &'a ctfy_agent::ToolCall,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ctfy_agent::ToolResult> + Send + 'a>>
        {
            Box::pin(async move {
                ctfy_agent::ToolResult {
                    call_id: call.id.clone(),
                    name: call.name.clone(),
                    content: "ok".into(),
                    is_error: false,
                }
            })
        }
    }
    for (provider, ours) in [
        ("end_turn", StopReason::Final),
        ("stop", StopReason::Final),
        ("max_tokens", StopReason::CutOff),
        ("length", StopReason::CutOff),
        ("refusal", StopReason::Refused),
    ] {
        let mut last = final_turn("");
        last.stop_reason = provider.into();
        let model = ctfy_agent::harness::ScriptedModel::new([tool_turn("x", json!({})), last]);
        let out = solve(model.as_ref(), "", "task", &[], &NoTools, 5)
            .await
            .unwrap();
        assert_eq!(out.stop_reason, ours, "{provider}");
        assert_eq!(out.turns, 2);
        assert_eq!(out.tool_calls_made, 1);
        assert_eq!(out.transcript.len(), 4);
    }
}
