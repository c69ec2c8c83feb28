//! `ctfy::testing`'s typed stubs (`MockPlatform::on`): any call answers a typed value or an
//! error, matched on the request the call makes, beside the stateful platform.

use std::time::Duration;

use ctfy::models::{ChallengeInfo, MeResponse, StartResponse, With};
use ctfy::testing::{Fixture, INSTANCE_ID, MockPlatform, Route};
use ctfy::transport::Download;
use ctfy::{Error, Page};

#[tokio::test]
async fn a_stub_answers_its_call_and_the_platform_the_rest() {
    let mock = MockPlatform::start().await;
    let me = mock
        .on(|c| c.me().get())
        .returns(MeResponse::fixture().with(|m| m.display_name = "Ada".into()));
    let client = mock.client();
    assert_eq!(client.me().get().await.unwrap().display_name, "Ada");
    assert_eq!(client.me().get().await.unwrap().display_name, "Ada");
    me.assert_calls(2);
    // The stateful platform still answers what is not stubbed.
    let challenges = client
        .competition(mock.competition_id())
        .unwrap()
        .challenges()
        .await
        .unwrap();
    assert_eq!(challenges.items.len(), 2);
}

#[tokio::test]
async fn stubs_answer_in_order_and_fall_through_when_used_up() {
    let mock = MockPlatform::start().await;
    let cid = mock.competition_id();
    let blip = mock.on(|c| c.competitions().get(&cid)).times(1).fails(
        503,
        "http_503",
        "down for a moment",
    );
    let client = mock.client();
    // The GET is retried after the 503 (Retry-After: 0) and the platform answers the retry.
    let detail = client.competitions().get(&cid).await.unwrap();
    assert_eq!(detail.id, cid);
    blip.assert_calls(1);
    assert_eq!(mock.requests(Route::Competition), 2);
}

#[tokio::test]
async fn a_stub_matches_the_arguments_of_its_call_unless_any_args() {
    let mock = MockPlatform::start().await;
    let web = mock
        .on(|c| c.challenges().get("WEB-001"))
        .returns(ChallengeInfo::fixture().with(|c| c.name = "stubbed".into()));
    let client = mock.client();
    assert_eq!(
        client.challenges().get("WEB-001").await.unwrap().name,
        "stubbed"
    );
    // Another id is not this stub's request: the platform answers it (it does not model
    // this call).
    let err = client.challenges().get("QA-001").await.unwrap_err();
    assert_eq!(err.code(), Some("not_mocked"));
    web.assert_calls(1);

    let any = mock
        .on(|c| c.instances().get(INSTANCE_ID))
        .any_args()
        .fails(404, "instance_not_found", "gone");
    for iid in ["a-1", "b-2"] {
        let err = client.instances().get(iid).await.unwrap_err();
        assert_eq!(err.code(), Some("instance_not_found"));
    }
    any.assert_calls(2);
}

#[tokio::test]
async fn query_and_body_members_the_call_sets_must_match() {
    let mock = MockPlatform::start().await;
    let running = mock
        .on(|c| c.competitions().list().phase("running"))
        .returns(Page::new(Vec::new()));
    let client = mock.client();
    assert!(
        client
            .competitions()
            .list()
            .phase("running")
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // Without the parameter the request is another one: the platform's own listing.
    assert_eq!(client.competitions().list().await.unwrap().items.len(), 1);
    running.assert_calls(1);

    let launch = mock
        .on(|c| c.instances().launch("WEB-001"))
        .returns(StartResponse::fixture());
    let started = client.instances().launch("WEB-001").await.unwrap();
    assert_eq!(started.id, StartResponse::fixture().id);
    launch.assert_calls(1);
    // A launch of another challenge has another body: the stateful platform runs it.
    let _ = client.instances().launch("QA-001").await;
    launch.assert_calls(1);
}

#[tokio::test]
async fn outputs_go_on_the_wire_as_the_platform_sends_them() {
    let mock = MockPlatform::start().await;
    let client = mock.client();
    // `stop` reads a 404 as "already stopped".
    mock.on(|c| c.instances().stop("i-1")).returns(false);
    assert!(!client.instances().stop("i-1").await.unwrap());
    mock.on(|c| c.instances().stop("i-2")).returns(true);
    assert!(client.instances().stop("i-2").await.unwrap());
    // A download keeps its bytes, type and file name.
    let file = Download::new(&b"notes"[..])
        .with_content_type("text/plain")
        .with_filename("notes.txt");
    mock.on(|c| c.challenges().download_attachment("WEB-001", "notes.txt"))
        .returns(file.clone());
    let got = client
        .challenges()
        .download_attachment("WEB-001", "notes.txt")
        .await
        .unwrap();
    assert_eq!(got, file);
}

#[tokio::test]
async fn a_delayed_stub_trips_the_call_timeout() {
    let mock = MockPlatform::start().await;
    mock.on(|c| c.me().get())
        .delay(Duration::from_millis(500))
        .returns(MeResponse::fixture());
    let err = mock
        .client()
        .me()
        .get()
        .deadline(Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[test]
#[should_panic(expected = "does not build")]
fn a_call_that_does_not_build_is_refused_at_once() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mock = MockPlatform::start().await;
        let _ = mock.on(|c| c.instances().get("a/b"));
    });
}

#[tokio::test]
async fn node_calls_are_stubbed_too() {
    use ctfy::models::node::InstanceStopped;
    let mock = MockPlatform::start().await;
    let stop = mock
        .on_node(|n| n.stop_instance(INSTANCE_ID))
        .returns(InstanceStopped::default().with(|s| s.instance_id = INSTANCE_ID.parse().unwrap()));
    let got = mock.node_client().stop_instance(INSTANCE_ID).await.unwrap();
    assert_eq!(got.instance_id, INSTANCE_ID);
    stop.assert_calls(1);
}
