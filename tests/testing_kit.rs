//! `ctfy::testing` tested by use: every scenario builder, fault and assertion of the mock
//! platform, driven through the SDK as an agent would.

use std::time::{Duration, Instant};

use ctfy::client::Notice;
use ctfy::models::events::{Event, FlagCorrect, ScoreboardUpdated};
use ctfy::models::{ChallengeInfo, CompetitionDetailPhase, CompetitionInfo, InstanceStatus, With};
use ctfy::testing::{EventScript, Fault, Fixture, MockChallenge, MockPlatform, Route, Startup};
use ctfy::transport::events::SseConfig;
use ctfy::{Error, Registration};
use futures::StreamExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

fn quick() -> Duration {
    Duration::from_millis(20)
}

/// Launches `challenge`, captures its flag from the service and returns (instance, flag).
async fn launch_and_capture(mock: &MockPlatform, challenge: &str) -> (ctfy::ReadyInstance, String) {
    let ready = mock
        .client()
        .instances()
        .start(challenge)
        .poll_interval(quick())
        .await
        .unwrap();
    let url = format!("{}/flag", ready.surface.web_service().unwrap().url());
    let flag = mock.fetch(&url).await.trim().to_owned();
    (ready, flag)
}

#[tokio::test]
async fn the_default_scenario_plays_end_to_end() {
    let mock = MockPlatform::start().await;
    let client = mock.client();
    assert!(
        client
            .check_server_compatibility(None)
            .await
            .unwrap()
            .is_quiet()
    );
    let running = client.competitions().list().phase("running").await.unwrap();
    assert_eq!(running.items.len(), 1);
    assert_eq!(running.items[0].id, mock.competition_id());
    let comp = client.competition(mock.competition_id()).unwrap();
    let challenges = comp.challenges().await.unwrap();
    let ids: Vec<&str> = challenges.items.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["WEB-001", "QA-001"]);
    assert!(challenges.items[1].is_qa_only);

    let (ready, flag) = launch_and_capture(&mock, "WEB-001").await;
    assert_eq!(flag, "FLAG{WEB-001}");
    // What start() returns is JSON an agent can log or hand on, and reads back unchanged.
    let logged = serde_json::to_value(&ready).unwrap();
    assert_eq!(logged["id"], ready.id.to_string());
    assert!(logged["surface"]["services"].is_array());
    assert_eq!(
        serde_json::from_value::<ctfy::ReadyInstance>(logged).unwrap(),
        ready
    );
    assert!(
        client
            .submissions()
            .verify(&ready.id, &flag)
            .await
            .unwrap()
            .correct
    );
    let result = client.submissions().submit(&ready.id, &flag).await.unwrap();
    assert!(result.correct && result.challenge_fully_solved);
    // The platform's auto-stop after a full solve runs in the background: a stop right after
    // the last answer still finds the instance, as it does live.
    assert!(client.instances().stop(&ready.id).await.unwrap());
    assert_eq!(mock.instances()[0].stop_reason.as_deref(), Some(""));

    let qa = client
        .submissions()
        .submit_qa(mock.competition_id(), "QA-001", "22")
        .question_id("answer")
        .await
        .unwrap();
    assert!(qa.correct);
    let views = client
        .submissions()
        .list_qa_challenges(mock.competition_id())
        .await
        .unwrap();
    assert_eq!(views[0].solved_question_ids, ["answer"]);
    let after = comp.challenges().await.unwrap();
    assert!(after.items.iter().all(|c| c.my_fully_solved));
    let board = comp.scoreboard().await.unwrap();
    assert_eq!(
        (board.items[0].flags_solved, board.items[0].score),
        (2, 200)
    );

    mock.assert_no_instance_running().await;
    mock.assert_no_resubmission();
    assert_eq!(mock.requests(Route::Launch), 1);
    assert_eq!(mock.requests(Route::Submit), 1);
    assert_eq!(mock.solved().len(), 2);
}

/// The kit's auto-stop after a full solve is asynchronous, as the platform's is: the answer
/// comes back first, the instance stays ready for `auto_stop_delay`, then it is stopped with
/// reason `auto_stop_after_solve` and an `instance_stopped` frame; a `stop()` then gets 404
/// and returns `Ok(false)`.
#[tokio::test]
async fn a_full_solve_stops_the_instance_a_moment_later() {
    let delay = Duration::from_millis(300);
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .auto_stop_delay(delay)
        .start()
        .await;
    let client = mock.session_client();
    let mut stream = client.events();
    // Wait for the stream to be live, so it sees the frames of what follows.
    loop {
        let got = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
        if matches!(got, Ok(Some(Ok(Notice::Connected)))) {
            break;
        }
        assert!(matches!(got, Ok(Some(Ok(_)))), "{got:?}");
    }
    let (ready, flag) = launch_and_capture(&mock, "WEB-1").await;
    let solved_at = Instant::now();
    let result = client.submissions().submit(&ready.id, &flag).await.unwrap();
    assert!(result.correct && result.challenge_fully_solved);

    // Right after the answer the instance still runs, and its status says ready.
    assert!(mock.instances()[0].is_running());
    let status = client.instances().status(&ready.id).await.unwrap();
    assert_eq!(status.status, InstanceStatus::Ready);

    // Then the auto-stop tears it down, and says so on the event stream.
    let stopped = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.next().await {
                Some(Ok(Notice::Event(Event::InstanceStopped(e)))) => return e,
                Some(Ok(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert!(solved_at.elapsed() >= delay, "{:?}", solved_at.elapsed());
    assert_eq!(stopped.instance_id, ready.id);
    assert_eq!(stopped.reason, "auto_stop_after_solve");
    assert_eq!(
        mock.instances()[0].stop_reason.as_deref(),
        Some("auto_stop_after_solve")
    );
    // A stop now finds it gone: still a success, `Ok(false)`.
    assert!(!client.instances().stop(&ready.id).await.unwrap());
    mock.assert_no_instance_running().await;
}

/// A stop sent right after the last answer wins the race with the auto-stop (`Ok(true)`, a
/// user stop), and the auto-stop that comes due afterwards does nothing.
#[tokio::test]
async fn a_stop_right_after_a_full_solve_stops_the_instance_itself() {
    let mock = MockPlatform::start().await;
    let client = mock.client();
    let (ready, flag) = launch_and_capture(&mock, "WEB-001").await;
    assert!(
        client
            .submissions()
            .submit(&ready.id, &flag)
            .await
            .unwrap()
            .challenge_fully_solved
    );
    assert!(client.instances().stop(&ready.id).await.unwrap());
    tokio::time::sleep(Duration::from_millis(700)).await;
    let instances = mock.instances();
    assert_eq!(instances[0].status, InstanceStatus::Stopped);
    assert_eq!(instances[0].stop_reason.as_deref(), Some(""));
}

/// `auto_stop_delay(Duration::ZERO)` stops the instance before the answer goes out, to test
/// an agent's `Ok(false)` branch deterministically.
#[tokio::test]
async fn a_zero_auto_stop_delay_finds_the_instance_gone() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .auto_stop_delay(Duration::ZERO)
        .start()
        .await;
    let client = mock.client();
    let (ready, flag) = launch_and_capture(&mock, "WEB-1").await;
    assert!(
        client
            .submissions()
            .submit(&ready.id, &flag)
            .await
            .unwrap()
            .correct
    );
    assert!(!client.instances().stop(&ready.id).await.unwrap());
    assert_eq!(
        mock.instances()[0].stop_reason.as_deref(),
        Some("auto_stop_after_solve")
    );
}

#[tokio::test]
async fn an_instance_ready_after_n_polls_is_polled_n_times() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("SLOW-1").ready_after_polls(3))
        .start()
        .await;
    launch_and_capture(&mock, "SLOW-1").await;
    assert_eq!(mock.instances()[0].status_polls, 3);
    assert_eq!(mock.requests(Route::Status), 3);
}

#[tokio::test]
async fn a_session_token_start_wakes_on_the_instance_ready_frame() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-9").ready_after(Duration::from_millis(300)))
        .start()
        .await;
    let began = Instant::now();
    // Polling every 30 s would take 30 s; the frame wakes the wait at once.
    let ready = mock
        .session_client()
        .instances()
        .start("WEB-9")
        .poll_interval(Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(mock.instances()[0].status, InstanceStatus::Ready);
    assert_eq!(mock.instances()[0].id, ready.id);
    assert!(mock.requests(Route::Events) >= 1);
}

#[tokio::test]
async fn a_failed_start_is_an_error_and_leaves_nothing_running() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("BROKEN-1").fails_to_start("compose up failed"))
        .start()
        .await;
    let err = mock
        .client()
        .instances()
        .start("BROKEN-1")
        .await
        .unwrap_err();
    match &err {
        Error::InstanceFailed { message, .. } => assert_eq!(message, "compose up failed"),
        other => panic!("{other:?}"),
    }
    assert_eq!(err.instance_id(), Some(&mock.instances()[0].id));
    mock.assert_no_instance_running().await;
}

#[tokio::test]
async fn a_start_that_times_out_stops_its_instance() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("STUCK-1").startup(Startup::Never))
        .start()
        .await;
    let err = mock
        .client()
        .instances()
        .start("STUCK-1")
        .poll_interval(quick())
        .deadline(Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    mock.assert_no_instance_running().await;
    assert_eq!(mock.instances()[0].stop_reason.as_deref(), Some(""));
}

#[tokio::test]
async fn answers_are_graded_per_question_and_resubmissions_are_seen() {
    let mock = MockPlatform::builder()
        .challenge(
            MockChallenge::instance("MULTI-1")
                .flag("FLAG{one}")
                .question("token", "FLAG{two}"),
        )
        .start()
        .await;
    let client = mock.client();
    let (ready, flag) = launch_and_capture(&mock, "MULTI-1").await;
    let wrong = client
        .submissions()
        .submit(&ready.id, "FLAG{nope}")
        .await
        .unwrap();
    assert!(!wrong.correct);
    let first = client.submissions().submit(&ready.id, &flag).await.unwrap();
    assert!(first.correct && !first.challenge_fully_solved);
    let token_url = format!("{}/flag/token", ready.surface.services[0].url());
    let token = mock.fetch(&token_url).await;
    let unknown = client
        .submissions()
        .submit(&ready.id, "x")
        .question_id("nope")
        .await
        .unwrap_err();
    assert_eq!(
        unknown.api().unwrap().code.as_deref(),
        Some("unknown_question_id")
    );
    let again = client.submissions().submit(&ready.id, &flag).await.unwrap();
    assert!(again.correct);
    let last = client
        .submissions()
        .submit(&ready.id, token.trim())
        .question_id("token")
        .await
        .unwrap();
    assert!(last.challenge_fully_solved);

    let sent = mock.submissions();
    assert_eq!(sent.len(), 4);
    assert_eq!(
        sent.iter().map(|s| s.correct).collect::<Vec<_>>(),
        [false, true, true, true]
    );
    assert!(sent[2].already_solved);
    assert_eq!(mock.resubmissions(), [sent[2].clone()]);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        mock.assert_no_resubmission()
    }));
    assert!(caught.is_err(), "the resubmission of `flag` is reported");
}

#[tokio::test]
async fn rate_limits_and_blips_are_retried_by_the_sdk_where_safe() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .fault(
            Route::Challenges,
            Fault::rate_limited(1, Duration::from_secs(1)),
        )
        .fault(Route::Status, Fault::status(503, 2))
        .fault(Route::Submit, Fault::status(503, 1))
        .start()
        .await;
    let client = mock.client();
    let comp = client.competition(mock.competition_id()).unwrap();
    let began = Instant::now();
    assert_eq!(comp.challenges().await.unwrap().items.len(), 1);
    assert!(
        began.elapsed() >= Duration::from_secs(1),
        "Retry-After is honoured"
    );
    assert_eq!(mock.requests(Route::Challenges), 2);

    // 5xx while waiting for the instance counts as "not yet".
    let (ready, flag) = launch_and_capture(&mock, "WEB-1").await;
    // A POST is not resent after the server read it: the blip reaches the caller.
    let err = client
        .submissions()
        .submit(&ready.id, &flag)
        .await
        .unwrap_err();
    assert_eq!(err.api().map(|a| a.status), Some(503));
    assert!(
        client
            .submissions()
            .submit(&ready.id, &flag)
            .await
            .unwrap()
            .correct
    );
    assert_eq!(mock.requests(Route::Submit), 2);
}

#[tokio::test]
async fn the_event_stream_plays_its_script_then_the_live_frames() {
    let scripted = Event::FlagCorrect(FlagCorrect::default().with(|it| {
        it.challenge_id = "WEB-001".parse().unwrap();
    }));
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-001"))
        .events(
            EventScript::new()
                .frame(scripted.clone())
                .disconnect()
                .frame(Event::ScoreboardUpdated(ScoreboardUpdated::default())),
        )
        .start()
        .await;
    let config = SseConfig::builder()
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build();
    let mut stream = mock.session_client().events_with(config);
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("a notice in time")
            .expect("the stream goes on")
            .expect("no error")
    };
    assert!(matches!(next().await, Notice::Connected));
    assert_eq!(next().await, Notice::Event(scripted));
    assert!(matches!(next().await, Notice::Reconnected { .. }));
    assert!(matches!(
        next().await,
        Notice::Event(Event::ScoreboardUpdated(_))
    ));
    // Then what happens on the platform: a launch publishes instance_started and _ready.
    mock.client().instances().launch("WEB-001").await.unwrap();
    assert_eq!(
        next().await.event().map(Event::name),
        Some("instance_started")
    );
    assert_eq!(
        next().await.event().map(Event::name),
        Some("instance_ready")
    );
    assert_eq!(mock.requests(Route::Events), 2);
}

#[tokio::test]
async fn an_api_token_stream_sees_no_team_frames() {
    let mock = MockPlatform::start().await;
    let mut stream = mock.client().events();
    assert!(matches!(
        stream.next().await,
        Some(Ok(Notice::NoTeamEvents { .. }))
    ));
    assert!(matches!(stream.next().await, Some(Ok(Notice::Connected))));
    mock.client().instances().launch("WEB-001").await.unwrap();
    mock.publish(Event::ScoreboardUpdated(ScoreboardUpdated::default()));
    // The launch's team frames are withheld; the global frame arrives.
    let got = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap();
    assert!(
        matches!(got, Some(Ok(Notice::Event(Event::ScoreboardUpdated(_))))),
        "{got:?}"
    );
}

#[tokio::test]
async fn an_unregistered_player_must_register_first() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .unregistered()
        .start()
        .await;
    let client = mock.client();
    let err = client.instances().launch("WEB-1").await.unwrap_err();
    assert!(err.is_forbidden());
    assert_eq!(err.api().unwrap().code.as_deref(), Some("not_registered"));
    let comp = client.competition(mock.competition_id()).unwrap();
    assert!(!comp.detail().await.unwrap().is_registered);
    comp.register(Registration::Solo).await.unwrap();
    assert!(comp.detail().await.unwrap().is_registered);
    client.instances().launch("WEB-1").await.unwrap();
    assert_eq!(mock.requests(Route::Register), 1);
}

#[tokio::test]
async fn a_competition_created_by_the_admin_is_what_players_see() {
    let mock = MockPlatform::builder()
        .competition(CompetitionInfo::fixture().with(|it| {
            it.phase = CompetitionDetailPhase::Past;
        }))
        .challenge(MockChallenge::instance("WEB-1"))
        .challenge(MockChallenge::instance("WEB-2"))
        .start()
        .await;
    let admin = mock.admin();
    let created = admin.competitions().create("Spring Cup").await.unwrap();
    assert_eq!(created.title, "Spring Cup");
    assert_eq!(created.phase, CompetitionDetailPhase::Upcoming, "a draft");
    let published = admin
        .competitions()
        .update(&created.id)
        .challenge_ids(["WEB-2"])
        .status("published")
        .await
        .unwrap();
    assert_eq!(published.phase, CompetitionDetailPhase::Running);
    let invite = admin
        .competition_invites()
        .invite(&created.id)
        .email("player@example.com")
        .await
        .unwrap();
    assert_eq!(invite.email, "player@example.com");

    let running = mock
        .client()
        .competitions()
        .list()
        .phase("running")
        .await
        .unwrap();
    assert_eq!(running.items.len(), 1);
    assert_eq!(running.items[0].id, created.id);
    let comp = mock.client().competition(&created.id).unwrap();
    assert_eq!(comp.challenges().await.unwrap().items[0].id, "WEB-2");
    // A player token is refused on the operator surface, as on the platform.
    let refused = ctfy::AdminClient::connect(mock.url(), ctfy::testing::PLAYER_TOKEN)
        .unwrap()
        .competitions()
        .list()
        .await
        .unwrap_err();
    assert!(refused.is_forbidden());
}

#[tokio::test]
async fn a_tests_own_mock_answers_first_and_the_rest_is_named() {
    let mock = MockPlatform::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .respond_with(ResponseTemplate::new(500))
        .mount(mock.server())
        .await;
    let err = mock.client().me().get().await.unwrap_err();
    assert_eq!(err.api().map(|a| a.status), Some(500));
    let err = mock
        .client()
        .awd()
        .events(mock.competition_id())
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!((api.status, api.code.as_deref()), (404, Some("not_mocked")));
    assert!(format!("{err}").contains("/awd/events"), "{err}");
}

#[tokio::test]
async fn fixtures_are_realistic_and_consistent() {
    let c = ChallengeInfo::fixture();
    assert_eq!(c.questions[0].id, "flag");
    let comp = CompetitionInfo::fixture();
    assert_eq!(comp.challenge_ids, std::slice::from_ref(&c.id));
    assert_eq!(comp.my_team_id, ctfy::testing::TEAM_ID);
    let detail = ctfy::models::CompetitionDetail::fixture();
    assert_eq!((detail.id, detail.title), (comp.id, comp.title));
    // Every fixture survives the wire: what it encodes decodes to itself.
    let json = serde_json::to_string(&ctfy::models::InstanceInfo::fixture()).unwrap();
    let back: ctfy::models::InstanceInfo = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}
