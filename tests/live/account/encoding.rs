//! Path arguments are percent-encoded, one segment each: odd characters reach the platform
//! as data, never as routing.

use crate::account::common::{api_err, register};
use crate::live_env;

#[tokio::test]
async fn odd_ids_are_one_encoded_segment() {
    let env = live_env!();
    let player = env.player();
    let users = player.users();

    // A slash inside an id is refused before anything is sent: the platform decodes `%2F`
    // before routing, so `teams().get("<id>/achievements")` would reach the achievements
    // route (tests/live_hostile.rs shows it).
    let err = users.get("a/b").await.unwrap_err();
    assert!(matches!(err, ctfy::Error::InvalidId(_)), "{err}");

    // `?`, `#`, `%`, spaces and non-ASCII come back verbatim in the platform's message,
    // so they travelled inside the segment (unencoded, `?`/`#` would cut the path short).
    for odd in ["nope?x=1", "nope#frag", "100%", "a b", "ünï©ødé", "a+b&c=d"] {
        let msg = api_err(users.get(odd).await, 404, Some("http_404"));
        assert_eq!(msg, format!("User not found: {odd}"));
    }
    let msg = api_err(
        env.player().teams().get("x?y#z").await,
        404,
        Some("team_not_found"),
    );
    assert_eq!(msg, "Team x?y#z not found");

    // Dot segments are refused before anything is sent.
    for dots in ["", ".", ".."] {
        let err = users.get(dots).await.unwrap_err();
        assert_eq!(err.status(), None, "{err}");
    }

    // Ids in namespaces that take a free-form identifier, too.
    let user = register(env, "encoding").await;
    let msg = api_err(
        user.client.me().read_announcement("a?b#c").await,
        404,
        Some("announcement_not_found"),
    );
    assert!(msg.ends_with("a?b#c"), "{msg}");
    let err = user
        .client
        .auth()
        .start_oauth_link("git?hub")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(
        err.api().unwrap().detail_field("provider"),
        Some(&serde_json::json!("git?hub"))
    );
}
