//! `admin.nodes`: mint_invite, list_invites, revoke_invite, register (a throwaway node URL
//! through a fresh invite, with capacity 0 and cordoned at once so nothing is ever placed on
//! it), get, patch, health_history, events, remove (of that throwaway node only). The shared
//! node is only read.

use ctfy::AdminClient;
use ctfy::models::NodeInviteInfoStatus;
use futures::{FutureExt, TryStreamExt};

use crate::admin_common::{admin, hex};
use crate::live_env;

#[tokio::test]
async fn invites_register_patch_and_remove_a_throwaway_node() {
    let env = live_env!();
    let admin = admin(env);

    // an invite that is revoked unused
    let spare = admin
        .nodes()
        .mint_invite()
        .ttl_seconds(std::time::Duration::from_secs(120))
        .await
        .unwrap();
    assert!(spare.registration_token.starts_with("reg_"));
    assert!(spare.expires_at.is_some());
    let revoked = admin
        .nodes()
        .revoke_invite(spare.id.as_str())
        .await
        .unwrap();
    assert!(revoked.is_object(), "{revoked}");

    // an invite that registers the throwaway node
    let invite = admin
        .nodes()
        .mint_invite()
        .ttl_seconds(std::time::Duration::from_secs(600))
        .await
        .unwrap();
    let invites: Vec<_> = admin
        .nodes()
        .list_invites()
        .stream()
        .try_collect()
        .await
        .unwrap();
    let row = invites.iter().find(|i| i.id == invite.id).expect("listed");
    assert_eq!(row.status, NodeInviteInfoStatus::Active);
    assert!(
        invites
            .iter()
            .all(|i| i.id != spare.id || i.status != NodeInviteInfoStatus::Active),
        "the revoked invite is no longer active"
    );

    let tag = hex();
    let url = format!("http://127.0.0.1:9/live-admin-{tag}");
    let node_id = format!("127.0.0.1_9_live-admin-{tag}");
    let with_invite = AdminClient::connect(env.url(), invite.registration_token.as_str()).unwrap();
    let registered = with_invite
        .nodes()
        .register(format!("live admin throwaway {tag}"), url.as_str())
        .capacity(0)
        .labels([("ctfy-rs".to_owned(), "live-admin".to_owned())].into())
        .await
        .unwrap();
    // Whatever fails below, the throwaway node is removed before the panic goes on.
    let checks = std::panic::AssertUnwindSafe(async {
        // cordon first of all: capacity 0 already keeps instances off it
        let cordoned = admin
            .nodes()
            .patch(node_id.as_str())
            .cordoned(true)
            .await
            .unwrap();
        assert!(cordoned.cordoned);
        assert_eq!(registered.id, node_id, "the id is derived from the URL");
        assert_eq!(registered.url, url);
        assert_eq!(registered.capacity, 0);
        assert!(
            !registered.token.is_empty(),
            "the per-node token is returned once"
        );

        // the invite is used up
        let err = AdminClient::connect(env.url(), invite.registration_token.as_str())
            .unwrap()
            .nodes()
            .register("again", format!("{url}-again"))
            .capacity(0)
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(403), "{err}");
        let invites: Vec<_> = admin
            .nodes()
            .list_invites()
            .stream()
            .try_collect()
            .await
            .unwrap();
        let row = invites.iter().find(|i| i.id == invite.id).expect("listed");
        assert_eq!(row.status, NodeInviteInfoStatus::Consumed);
        assert_eq!(row.consumed_by_node_id, node_id);

        let renamed = format!("live admin renamed {tag}");
        let patched = admin
            .nodes()
            .patch(node_id.as_str())
            .display_name(renamed.as_str())
            .labels([("ctfy-rs".to_owned(), "patched".to_owned())].into())
            .await
            .unwrap();
        assert_eq!(patched.display_name, renamed);
        assert!(patched.cordoned, "PATCH keeps the cordon");
        assert_eq!(
            patched.labels.get("ctfy-rs").map(String::as_str),
            Some("patched")
        );
        let got = admin.nodes().get(node_id.as_str()).await.unwrap();
        assert_eq!(got.display_name, renamed);
        assert!(got.cordoned);
        let listed = env
            .client("ADMIN_TOKEN")
            .nodes()
            .list()
            .limit(500)
            .await
            .unwrap();
        assert!(listed.items.iter().any(|n| n.id == node_id));

        let _history = admin
            .nodes()
            .health_history(node_id.as_str())
            .limit(10)
            .await
            .unwrap();
        let events = admin.nodes().events(node_id.as_str()).await.unwrap();
        assert!(
            events.items.iter().any(|e| e.event == "node_registered"),
            "{:?}",
            events.items.iter().map(|e| &e.event).collect::<Vec<_>>()
        );
    })
    .catch_unwind()
    .await;
    let removed = admin.nodes().remove(node_id.as_str()).await;
    if let Err(panic) = checks {
        std::panic::resume_unwind(panic);
    }
    let removed = removed.unwrap();
    assert!(removed.is_object(), "{removed}");
    let err = admin.nodes().get(node_id.as_str()).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");

    // the shared node: read only
    let shared = admin.nodes().get(env.var("NODE_ID")).await.unwrap();
    assert!(!shared.cordoned);
    let history = admin
        .nodes()
        .health_history(env.var("NODE_ID"))
        .limit(5)
        .await
        .unwrap();
    assert!(!history.items.is_empty(), "the shared node beats");
    assert!(
        history
            .items
            .iter()
            .all(|s| s.node_id == env.var("NODE_ID"))
    );
}
