//! `admin.users`: list, get, set_role (promote and demote), set_standings_excluded,
//! verify_email, resend_verification (no mail provider: 503), trace_token, revoke_token.

use ctfy::PlatformClient;
use ctfy::models::AdminUserInfoRole;

use crate::admin_common::{admin, fresh_user};
use crate::live_env;

#[tokio::test]
async fn users_lookup_role_standings_email_and_tokens() {
    let env = live_env!();
    let admin = admin(env);
    let user = fresh_user(env, "adminusers").await;

    // list (searching by the unique email) and get
    let page = admin
        .users()
        .list()
        .q(user.email.as_str())
        .limit(10)
        .await
        .unwrap();
    assert_eq!(page.total, Some(1), "{page:?}");
    assert_eq!(page.items[0].id, user.id);
    assert_eq!(page.items[0].email, user.email);
    let got = admin.users().get(user.id.as_str()).await.unwrap();
    assert_eq!(got.role, AdminUserInfoRole::User);
    assert!(!got.email_verified);
    let admins = admin.users().list().role("super_admin").await.unwrap();
    assert!(
        admins
            .items
            .iter()
            .any(|u| u.id == env.var("ADMIN_USER_ID"))
    );

    // promote, use the admin surface as the promoted user, demote
    let promoted = admin
        .users()
        .set_role(user.id.as_str(), "admin")
        .await
        .unwrap();
    assert_eq!(promoted.role, AdminUserInfoRole::Admin);
    assert_eq!(
        promoted.promoted_by.as_deref(),
        Some(env.var("ADMIN_USER_ID"))
    );
    let overview = user.client.admin().observability().overview().await;
    assert!(
        overview.is_ok(),
        "a promoted admin reads the overview: {overview:?}"
    );
    let demoted = admin
        .users()
        .set_role(user.id.as_str(), "user")
        .await
        .unwrap();
    assert_eq!(demoted.role, AdminUserInfoRole::User);
    let err = user
        .client
        .admin()
        .observability()
        .overview()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    // the super_admin cannot change their own role
    let err = admin
        .users()
        .set_role(env.var("ADMIN_USER_ID"), "user")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");

    // standings exclusion on and off
    let excluded = admin
        .users()
        .set_standings_excluded(user.id.as_str(), true)
        .await
        .unwrap();
    assert!(excluded.standings_excluded_at.is_some());
    let included = admin
        .users()
        .set_standings_excluded(user.id.as_str(), false)
        .await
        .unwrap();
    assert!(included.standings_excluded_at.is_none());

    // email: resending needs a mail provider (none here), verifying is local
    let err = admin
        .users()
        .resend_verification(user.id.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert_eq!(err.code(), Some("email_not_configured"), "{err}");
    let verified = admin.users().verify_email(user.id.as_str()).await.unwrap();
    assert!(verified.email_verified);
    assert!(verified.email_verified_at.is_some());
    assert_eq!(verified.email_verified_by, env.var("ADMIN_USER_ID"));

    // trace a token the user minted, revoke it, and see it refused afterwards
    let minted = user
        .client
        .auth()
        .mint_token()
        .label("live-admin-trace")
        .await
        .unwrap();
    assert!(minted.token.starts_with("pf_"));
    let trace = admin
        .users()
        .trace_token(minted.token.as_str())
        .await
        .unwrap();
    assert!(trace.found, "{trace:?}");
    assert_eq!(trace.token_id, minted.id);
    assert_eq!(trace.owner_user_id, user.id);
    let unknown = admin
        .users()
        .trace_token("pf_not-a-real-token")
        .await
        .unwrap();
    assert!(!unknown.found);
    let pf = PlatformClient::new(env.url(), minted.token.as_str()).unwrap();
    assert_eq!(pf.me().get().await.unwrap().id, user.id);
    let revoked = admin
        .users()
        .revoke_token(minted.id.as_str())
        .await
        .unwrap();
    assert_eq!(revoked.token_id, minted.id);
    assert_eq!(revoked.owner_user_id, user.id);
    assert!(!revoked.already_revoked);
    assert!(revoked.revoked_at.is_some());
    let err = pf.me().get().await.unwrap_err();
    assert_eq!(err.status(), Some(403), "{err}");
    let again = admin
        .users()
        .revoke_token(minted.id.as_str())
        .await
        .unwrap();
    assert!(again.already_revoked);
}
