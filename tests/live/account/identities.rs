//! `auth`: linked identities (OAuth) and email flows. No OAuth provider and no mail provider
//! are configured on the local platform, so most of these assert the documented refusal.

use crate::account::common::{anonymous, api_err, email, register};
use crate::live_env;

#[tokio::test]
async fn identities_list_the_password_and_oauth_is_not_configured() {
    let env = live_env!();
    let user = register(env, "ident").await;
    let auth = user.client.auth();

    let page = auth.list_identities().await.unwrap();
    assert_eq!(page.total, Some(1), "the page keeps total");
    let password = &page.items[0];
    assert_eq!(password.provider.as_str(), "password");
    assert_eq!(password.provider_email, user.email);
    assert_eq!(
        auth.list_identities().limit(1).await.unwrap().total,
        Some(1)
    );

    // Linking needs a configured OAuth provider.
    let err = auth.start_oauth_link("github").await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("oauth_provider_not_configured"));
    assert_eq!(
        err.api().unwrap().detail_field("provider"),
        Some(&serde_json::json!("github"))
    );
    // Only OAuth identities can be unbound: the password row is not one, and neither is
    // an unknown id.
    for id in [password.id.as_str(), "no-such-identity"] {
        let msg = api_err(
            auth.unbind_identity(id).await,
            404,
            Some("identity_not_found"),
        );
        assert_eq!(msg, "Identity not found");
    }
    // The password is the last way in: it cannot be removed without an OAuth identity.
    api_err(
        auth.delete_password().await,
        409,
        Some("last_sign_in_method"),
    );
    // A pf_ token may not even look (identities: none in the default profile).
    let pf = auth.mint_token().label("ident").await.unwrap();
    let pf = crate::account::common::with_token(env, &pf.token);
    let err = pf.auth().list_identities().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
}

#[tokio::test]
async fn email_sign_in_and_verification_need_a_mail_provider() {
    let env = live_env!();
    let anon = anonymous(env);
    let auth = anon.auth();
    api_err(
        auth.request_email_code(email("mail")).await,
        503,
        Some("email_not_configured"),
    );
    api_err(
        auth.verify_email_code("123456", email("mail")).await,
        401,
        Some("invalid_code"),
    );

    let user = register(env, "mail").await;
    let auth = user.client.auth();
    api_err(
        auth.request_email_verification().await,
        503,
        Some("email_not_configured"),
    );
    api_err(
        auth.submit_email_verification("123456").await,
        401,
        Some("invalid_code"),
    );
    api_err(
        auth.add_email(email("mail")).await,
        503,
        Some("email_not_configured"),
    );
    api_err(
        auth.verify_added_email("123456", email("mail"))
            .acknowledge_orphan(true)
            .await,
        401,
        Some("invalid_code"),
    );
}

#[tokio::test]
async fn emails_of_the_account() {
    let env = live_env!();
    let user = register(env, "emails").await;
    let auth = user.client.auth();

    let page = auth.list_emails().await.unwrap();
    assert_eq!(page.total, Some(1), "the page keeps total");
    let primary = &page.items[0];
    assert_eq!(primary.email, user.email);
    assert!(primary.primary);
    assert!(!primary.verified, "no mail provider, nothing verified");

    // The address goes into the path (its `@` percent-encoded): the platform finds it and
    // refuses because it is unverified.
    api_err(
        auth.set_primary_email(user.email.as_str()).await,
        409,
        Some("email_not_verified"),
    );
    api_err(
        auth.publish_affiliation(user.email.as_str()).await,
        409,
        Some("email_not_verified"),
    );
    let msg = api_err(
        auth.remove_email(email("absent")).await,
        404,
        Some("email_not_found"),
    );
    assert_eq!(msg, "That address is not on this account.");
    // Clearing an affiliation that was never set is a no-op.
    let cleared = auth.clear_affiliation().await.unwrap();
    assert_eq!(cleared.email, "");
    assert!(cleared.affiliation.is_none());
    assert_eq!(user.client.me().get().await.unwrap().affiliation_email, "");
}
