//! `ctfy::testing` tested by use: every scenario builder, fault and assertion of the mock
//! platform, driven through the SDK as an agent would.

use std::time::{Duration, Instant};

use ctfy::client::Notice;
use ctfy::models::events::{Event, FlagCorrect, ScoreboardUpdated};
use ctfy::models::{ChallengeInfo, CompetitionDetailPhase, CompetitionInfo, InstanceStatus, With};
use ctfy::testing::{
    EventScript, Fault, Fixture, MockChallenge, MockPlatform, MockQuestion, Route, Startup,
};
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

/// A challenge whose questions have prompts, choices, a checker and a `requires` chain.
fn described() -> ctfy::testing::MockPlatformBuilder {
    MockPlatform::builder()
        .challenge(
            MockChallenge::instance("CHAIN-1")
                .ask(
                    MockQuestion::new("flag", "FLAG{door}").prompt("Log in: the flag is on /admin"),
                )
                .ask(
                    MockQuestion::new("token", "FLAG{vault}")
                        .prompt("The vault behind /admin holds a token")
                        .requires(["flag"]),
                )
                .ask(
                    MockQuestion::single_select("port", ["22", "80", "443"], "80")
                        .prompt("Which port?"),
                ),
        )
        .challenge(
            MockChallenge::qa("QA-1")
                .ask(MockQuestion::multi_select(
                    "weak",
                    ["md5", "sha1", "sha256"],
                    ["md5", "sha1"],
                ))
                .ask(MockQuestion::checker("odd", |a| {
                    a.trim().parse::<u32>().is_ok_and(|n| n % 2 == 1)
                }))
                .ask(MockQuestion::fixed("after", "yes").requires(["weak"])),
        )
}

#[tokio::test]
async fn questions_show_their_prompts_choices_and_locks_where_the_platform_shows_them() {
    let mock = described().start().await;
    let client = mock.client();
    let comp = client.competition(mock.competition_id()).unwrap();

    // The challenge listings leave a question with `requires` out, always.
    let listed = comp.challenges().await.unwrap().items;
    let chain = &listed[0];
    let ids: Vec<&str> = chain.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["flag", "port"]);
    assert_eq!(chain.questions[0].prompt, "Log in: the flag is on /admin");
    assert_eq!(chain.questions[0].mode.as_deref(), Some("dynamic"));
    assert_eq!(chain.questions[1].mode.as_deref(), Some("single_select"));
    assert_eq!(
        chain.questions[1].choices.as_deref(),
        Some(&["22".to_owned(), "80".to_owned(), "443".to_owned()][..])
    );
    let detail = client
        .competitions()
        .get(mock.competition_id())
        .await
        .unwrap();
    assert_eq!(detail.challenges[0].questions, chain.questions);

    // The question-only view lists them all, each with its `requires`.
    let qa = client
        .submissions()
        .list_qa_challenges(mock.competition_id())
        .await
        .unwrap();
    let modes: Vec<(&str, Option<&str>, Vec<String>)> = qa[0]
        .questions
        .iter()
        .map(|q| (q.id.as_str(), q.mode.as_deref(), q.requires.clone()))
        .collect();
    assert_eq!(
        modes,
        [
            ("weak", Some("multi_select"), vec![]),
            ("odd", Some("checker"), vec![]),
            ("after", Some("static"), vec!["weak".to_owned()]),
        ]
    );

    // An instance shows a gated question once what it requires is solved.
    let (ready, flag) = launch_and_capture(&mock, "CHAIN-1").await;
    assert_eq!(flag, "FLAG{door}");
    let pending = client
        .instances()
        .pending_questions(&ready.id)
        .await
        .unwrap();
    let ids: Vec<&str> = pending.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["flag", "port"]);
    assert_eq!(pending[0].prompt, "Log in: the flag is on /admin");
    assert!(
        client
            .submissions()
            .submit(&ready.id, "door")
            .await
            .unwrap()
            .correct,
        "FLAG{{}} may be left out"
    );
    let info = client.instances().get(&ready.id).await.unwrap();
    let token = info.questions.iter().find(|q| q.id == "token").unwrap();
    assert!(token.unlocked && !token.answered_correctly);
    assert_eq!(token.prompt, "The vault behind /admin holds a token");
    assert_eq!(token.requires, ["flag"]);

    // Choices are graded as the platform grades them.
    let subs = client.submissions();
    let list = |v: &[&str]| {
        ctfy::models::StringOrList::from(v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    };
    assert!(
        !subs
            .submit(&ready.id, list(&["80"]))
            .question_id("port")
            .await
            .unwrap()
            .correct
    );
    assert!(
        !subs
            .submit(&ready.id, "443")
            .question_id("port")
            .await
            .unwrap()
            .correct
    );
    assert!(
        subs.submit(&ready.id, " 80 ")
            .question_id("port")
            .await
            .unwrap()
            .correct
    );
    let cid = mock.competition_id();
    let qa_answer = |q: &'static str, a: ctfy::models::StringOrList| {
        let subs = client.submissions();
        let cid = cid.clone();
        async move {
            subs.submit_qa(&cid, "QA-1", a)
                .question_id(q)
                .await
                .unwrap()
                .correct
        }
    };
    assert!(!qa_answer("weak", list(&["md5"])).await);
    assert!(!qa_answer("weak", list(&["md5", "sha1", "crc32"])).await);
    assert!(qa_answer("weak", list(&["sha1", "md5", "sha1"])).await);
    assert!(qa_answer("weak", "sha1, md5".into()).await);
    assert!(!qa_answer("odd", "4".into()).await);
    assert!(qa_answer("odd", "7".into()).await);
    // The lock hides a question; an answer to it is graded all the same.
    assert!(qa_answer("after", "yes".into()).await);
}

#[tokio::test]
async fn a_lost_reply_was_applied_and_the_sdk_does_not_resend_it() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .fault(Route::Launch, Fault::reply_lost(1))
        .fault(Route::Submit, Fault::reply_lost(1))
        .fault(Route::Instances, Fault::reply_lost(1))
        .start()
        .await;
    let client = mock.client();

    // The launch created the instance; its reply never came, and the POST was not resent.
    let err = client.instances().launch("WEB-1").await.unwrap_err();
    assert!(matches!(err, Error::Http { .. }), "{err:?}");
    assert!(err.may_have_been_applied() && !err.is_connect(), "{err:?}");
    assert_eq!(mock.requests(Route::Launch), 1);
    assert_eq!(mock.running_instances().len(), 1);
    // A GET whose reply is lost is resent by the SDK: the listing finds the instance.
    let listed = client.instances().list().await.unwrap();
    assert_eq!(mock.requests(Route::Instances), 2);
    assert_eq!(listed.items.len(), 1);
    let id = listed.items[0].id.clone();

    // The answer was graded and recorded; its reply never came.
    let err = client
        .submissions()
        .submit(&id, "FLAG{WEB-1}")
        .await
        .unwrap_err();
    assert!(err.may_have_been_applied(), "{err:?}");
    assert_eq!(mock.requests(Route::Submit), 1);
    assert!(mock.submissions()[0].correct);
    assert_eq!(mock.solved().len(), 1);
    // Looking before repeating: the instance and the history say the question is answered.
    let info = client.instances().get(&id).await.unwrap();
    assert!(info.questions[0].answered_correctly);
    let sent = client
        .submissions()
        .list()
        .challenge_id("WEB-1")
        .await
        .unwrap()
        .items;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].correct && sent[0].flag_id == "flag" && sent[0].claimed_flag == "FLAG{WEB-1}");
    assert!(
        client
            .submissions()
            .list()
            .challenge_id("WEB-2")
            .await
            .unwrap()
            .items
            .is_empty()
    );
    mock.assert_no_resubmission();
}

#[tokio::test]
async fn a_reply_held_past_the_client_timeout_was_applied() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .fault(Route::Submit, Fault::reply_timed_out(1))
        .start()
        .await;
    let client = mock
        .client_builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let (ready, flag) = launch_and_capture(&mock, "WEB-1").await;
    let began = Instant::now();
    let err = client
        .submissions()
        .submit(&ready.id, &flag)
        .await
        .unwrap_err();
    assert!(err.is_timeout() && err.may_have_been_applied(), "{err:?}");
    assert!(began.elapsed() >= Duration::from_millis(300));
    assert_eq!(mock.requests(Route::Submit), 1);
    assert!(mock.submissions()[0].correct);
}

#[tokio::test]
async fn a_slow_reply_is_applied_and_answered_late() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .fault(Route::Launch, Fault::slow(Duration::from_millis(300), 1))
        .fault(Route::Events, Fault::slow(Duration::from_millis(10), 1))
        .start()
        .await;
    let began = Instant::now();
    let (ready, _) = launch_and_capture(&mock, "WEB-1").await;
    assert!(began.elapsed() >= Duration::from_millis(300));
    assert_eq!(mock.requests(Route::Launch), 1);
    assert_eq!(mock.running_instances()[0].id, ready.id);
}

#[tokio::test]
async fn the_team_cap_refuses_a_launch_over_it_as_the_platform_does() {
    let mock = MockPlatform::builder()
        .challenge(MockChallenge::instance("WEB-1"))
        .challenge(MockChallenge::instance("WEB-2").never_ready())
        .team_instance_limit(2)
        .start()
        .await;
    let client = mock.client();
    let (first, _) = launch_and_capture(&mock, "WEB-1").await;
    client.instances().launch("WEB-2").await.unwrap();
    let err = client.instances().launch("WEB-1").await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(
        (api.status, api.code.as_deref()),
        (429, Some("team_capacity_exceeded"))
    );
    assert_eq!(
        api.detail.as_str(),
        Some("Max 2 concurrent instances per team (1 running, 1 still starting)")
    );
    assert!(err.is_rate_limited() && err.retry_after().is_none());
    assert!(!err.may_have_been_applied());
    assert_eq!(
        mock.requests(Route::Launch),
        3,
        "a 429 without Retry-After is not resent"
    );
    assert_eq!(mock.instances().len(), 2);

    // One ends: a slot is free again.
    assert!(client.instances().stop(&first.id).await.unwrap());
    client.instances().launch("WEB-1").await.unwrap();

    // The fault answers the same refusal without a cap.
    mock.fault(Route::Launch, Fault::team_capacity(1));
    let err = client.instances().launch("WEB-1").await.unwrap_err();
    assert_eq!(err.code(), Some("team_capacity_exceeded"));
    assert_eq!(mock.instances().len(), 3);
}
