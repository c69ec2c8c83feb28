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

fn awd_status(
    starts_at: &str,
    tick_seconds: i64,
    tick_count: i64,
    total_budget: Option<i64>,
) -> ctfy::models::AwdMatchStatus {
    use ctfy::models::With;
    ctfy::models::AwdMatchStatus::default().with(|m| {
        m.starts_at = Some(ctfy::models::Timestamp::new(starts_at));
        m.tick_seconds = tick_seconds;
        m.tick_count = tick_count;
        m.total_budget = total_budget;
    })
}

async fn awd_mock(status: ctfy::models::AwdMatchStatus) -> MockPlatform {
    use ctfy::models::With;
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("BOX-1"))
        .start()
        .await;
    stub_challenge(&mock, "BOX-1").await;
    let comp = mock.competition_id();
    let detail = mock.client().competitions().get(&comp).await.unwrap();
    mock.on(|c| c.competitions().get(&comp))
        .returns(detail.with(|d| d.is_awd_match = true));
    mock.on(|c| c.awd().match_(&comp)).returns(status);
    mock
}

#[tokio::test]
async fn a_match_is_played_until_its_budget_is_spent() {
    // One round of 10^9 s that started in 2020: open; a match budget of 300 tokens.
    let mock = awd_mock(awd_status(
        "2020-01-01T00:00:00Z",
        1_000_000_000,
        1,
        Some(300),
    ))
    .await;
    let model = FnModel::new(|_: &[ctfy_agent::Turn]| tool_turn("get_awd_match", json!({})));
    let result = run(&mock.client(), &model, &options(&mock, "BOX-1"))
        .await
        .unwrap();
    // 110 tokens a turn: the budget is spent after the third.
    assert_eq!(
        result.stop_reason,
        StopReason::Other("total_budget_spent".into())
    );
    assert_eq!(result.turns, 3);
    assert_eq!(result.instance_id, "");
    assert!(result.solved.is_empty());
    assert_eq!(
        model.tools_offered()[0],
        [
            "get_awd_targets",
            "get_awd_match",
            "get_awd_board",
            "submit_awd_flags",
            "http_request"
        ]
    );
    assert_eq!(mock.requests(Route::Launch), 0);
}

#[tokio::test]
async fn a_match_that_is_over_is_not_played() {
    let mock = awd_mock(awd_status("2020-01-01T00:00:00Z", 60, 3, None)).await;
    let model = FnModel::new(|_: &[ctfy_agent::Turn]| final_turn("nothing"));
    let result = run(&mock.client(), &model, &options(&mock, "BOX-1"))
        .await
        .unwrap();
    assert_eq!(result.stop_reason, StopReason::Other("match_over".into()));
    assert_eq!(result.turns, 0);
    assert!(model.tools_offered().is_empty());
}

#[test]
fn the_match_clock_plans_like_the_platform() {
    use ctfy_agent::harness::{MatchClock, MatchStep};
    use std::collections::BTreeMap;
    use std::time::{Duration, UNIX_EPOCH};
    let start = UNIX_EPOCH + Duration::from_secs(1_000_000);
    let clock = MatchClock {
        starts_at: Some(start),
        tick_seconds: 60,
        tick_count: 3,
        per_tick_budget: Some(100),
        total_budget: Some(250),
    };
    let at = |s: u64| start + Duration::from_secs(s);
    let none = BTreeMap::new();
    assert_eq!(
        clock.plan(start - Duration::from_secs(1), &none),
        MatchStep::NotStarted
    );
    assert_eq!(clock.plan(at(0), &none), MatchStep::RoundOpen);
    assert_eq!(clock.current_tick(at(61)), Some(1));
    let spent = BTreeMap::from([(0, 100)]);
    assert_eq!(clock.plan(at(30), &spent), MatchStep::TickBudgetSpent);
    // No carry-over: round 1 has its own allowance.
    assert_eq!(clock.plan(at(70), &spent), MatchStep::RoundOpen);
    let spent = BTreeMap::from([(0, 100), (1, 100), (2, 50)]);
    assert_eq!(clock.plan(at(150), &spent), MatchStep::TotalBudgetSpent);
    assert_eq!(clock.plan(at(180), &none), MatchStep::MatchOver);
    assert_eq!(clock.next_decision_at(at(10)), Some(at(60)));
    assert_eq!(clock.wait(at(59)), Duration::from_secs(1));
    assert_eq!(clock.wait(at(0)), Duration::from_secs(15));
    let zero = MatchClock {
        per_tick_budget: Some(0),
        ..clock
    };
    assert_eq!(
        zero.plan(at(0), &none),
        MatchStep::TickBudgetSpent,
        "0 is an allowance of zero"
    );
}
