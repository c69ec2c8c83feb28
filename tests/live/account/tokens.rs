//! `auth`: password sign-up and sign-in, passwords, API tokens (mint, list, scopes, renew,
//! rotate, revoke, revoke others), templates, scopes, providers and the device-code flow.

use std::collections::BTreeMap;

use ctfy::models::{
    AdminTokenRevokeResponseKind as Kind, CreateFineGrainedTokenRequestTemplate as Template,
    CreateFineGrainedTokenResponsePermissions as Level,
};
use ctfy::transport::Request;
use futures::TryStreamExt;

use crate::account::common::{PASSWORD, anonymous, api_err, email, register, with_token};
use crate::live_env;

#[tokio::test]
async fn register_login_and_their_errors() {
    let env = live_env!();
    let user = register(env, "auth").await;
    let anon = anonymous(env);

    // Each login mints a new session; the one from the registration stays valid.
    let login = anon
        .auth()
        .login(user.email.as_str(), PASSWORD)
        .await
        .unwrap();
    assert!(login.token.starts_with("pt_"));
    assert_ne!(login.token, user.session);
    let me = with_token(env, &login.token).me().get().await.unwrap();
    assert_eq!(me.id, user.id);
    assert_eq!(me.token_kind, Kind::User);
    assert_eq!(me.display_name, user.display_name);
    assert_eq!(me.providers, ["password"]);
    user.client.me().get().await.unwrap();

    // Emails are lower-cased: logging in with capitals works.
    anon.auth()
        .login(user.email.to_uppercase(), PASSWORD)
        .await
        .unwrap();

    let msg = api_err(
        anon.auth()
            .login(user.email.as_str(), "not-the-password")
            .await,
        401,
        Some("invalid_credentials"),
    );
    assert_eq!(msg, "Invalid email or password");
    let msg = api_err(
        anon.auth().register(user.email.as_str(), PASSWORD).await,
        409,
        Some("email_taken"),
    );
    assert_eq!(msg, "Email already registered");
    // Too short a password, and a reserved TLD: validation errors.
    api_err(
        anon.auth().register(email("auth"), "short").await,
        422,
        Some("validation_error"),
    );
    api_err(
        anon.auth()
            .register(
                format!("live-auth-{}@example.test", crate::account::common::hex(8)),
                PASSWORD,
            )
            .await,
        422,
        Some("validation_error"),
    );
}

#[tokio::test]
async fn templates_scopes_and_providers() {
    let env = live_env!();
    // Templates need no auth.
    let templates = anonymous(env).auth().token_templates().await.unwrap();
    let names: Vec<_> = templates.templates.iter().map(|t| t.name.clone()).collect();
    for t in [
        Template::AgentPlay,
        Template::AgentAuthor,
        Template::CiSubmit,
        Template::ReadOnly,
        Template::RegistryPush,
        Template::FullAccess,
    ] {
        assert!(names.contains(&t), "{t} in {names:?}");
    }
    assert!(templates.templates.iter().all(|t| !t.name.is_unknown()));
    let read_only = templates
        .templates
        .iter()
        .find(|t| t.name == Template::ReadOnly)
        .unwrap();
    assert!(
        read_only
            .permissions
            .values()
            .all(|l| matches!(l, Level::Read | Level::None))
    );

    let user = register(env, "auth").await;
    let scopes = user.client.auth().token_scopes().await.unwrap();
    let keys: Vec<_> = scopes.categories.iter().map(|c| c.key.as_str()).collect();
    for k in [
        "challenges",
        "submissions",
        "instances",
        "profile",
        "tokens",
    ] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    assert_eq!(scopes.levels, [Level::None, Level::Read, Level::Write]);

    // No OAuth provider is configured here: both are listed, disabled; passwords are on.
    let providers = anonymous(env).auth().providers().await.unwrap();
    assert!(providers.password_auth.enabled);
    assert!(!providers.providers.is_empty());
    assert!(providers.providers.iter().all(|p| !p.enabled));
    assert!(!providers.email_code_auth.enabled);
}

#[tokio::test]
async fn api_token_lifecycle() {
    let env = live_env!();
    let user = register(env, "tokens").await;
    let auth = user.client.auth();
    let comp = env.var("COMPETITION_ID");

    // A scoped token: one competition, two categories; the rest become "none".
    let perms = BTreeMap::from([
        ("challenges".to_owned(), "read".to_owned()),
        ("profile".to_owned(), "write".to_owned()),
    ]);
    let minted = auth
        .mint_token()
        .label("live-scoped")
        .expires_in_days(1)
        .competition_access("selected")
        .competition_ids([comp])
        .permissions(perms)
        .await
        .unwrap();
    assert!(minted.token.starts_with("pf_"));
    assert_eq!(minted.kind, Kind::FineGrained);
    assert_eq!(minted.label, "live-scoped");
    assert_eq!(minted.competition_ids, [comp]);
    assert_eq!(minted.permissions["challenges"], Level::Read);
    assert_eq!(minted.permissions["profile"], Level::Write);
    assert_eq!(minted.permissions["instances"], Level::None);
    assert!(minted.expires_at.is_some());

    // It works where its scope reaches, and is refused where it does not.
    let scoped = with_token(env, &minted.token);
    let me = scoped.me().get().await.unwrap();
    assert_eq!(me.id, user.id);
    assert_eq!(me.token_kind, Kind::FineGrained);
    let err = scoped
        .instances()
        .start(env.var("WEB_CHALLENGE_ID"))
        .competition_id(comp)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("token_missing_scope"));
    assert_eq!(
        err.api().unwrap().detail_field("required"),
        Some(&serde_json::json!("instances:write"))
    );
    // A pf_ token cannot manage tokens.
    let msg = api_err(
        scoped.auth().mint_token().label("nested").await,
        403,
        Some("http_403"),
    );
    assert!(msg.contains("requires a user session"), "{msg}");
    api_err(scoped.auth().list_tokens().await, 403, Some("http_403"));

    // A template token.
    let ro = auth
        .mint_token()
        .label("live-ro")
        .template(Template::ReadOnly)
        .await
        .unwrap();
    assert_eq!(ro.template, Some(Template::ReadOnly));

    // The listing is a page that keeps its total: the session plus two tokens.
    let page = auth.list_tokens().await.unwrap();
    assert_eq!(page.total, Some(3));
    assert_eq!(page.items.len(), 3);
    let current: Vec<_> = page
        .items
        .iter()
        .filter(|t| t.is_current)
        .cloned()
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].kind, Kind::User);
    let one = auth.list_tokens().limit(1).offset(1).await.unwrap();
    assert_eq!((one.items.len(), one.total, one.offset), (1, Some(3), 1));
    assert!(one.has_more());
    let all: Vec<_> = auth
        .list_tokens()
        .limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 3);

    // Scopes: a new label and permissions (the template is dropped).
    let updated = auth
        .update_token_scopes(&minted.id)
        .label("live-scoped-2")
        .permissions(BTreeMap::from([
            ("submissions".to_owned(), "write".to_owned()),
            ("profile".to_owned(), "read".to_owned()),
        ]))
        .await
        .unwrap();
    assert_eq!(updated.id, minted.id);
    assert_eq!(updated.label, "live-scoped-2");
    assert_eq!(updated.permissions["submissions"], Level::Write);
    assert_eq!(updated.permissions["profile"], Level::Read);
    assert_eq!(updated.permissions["challenges"], Level::None);

    // Renew moves the expiry.
    let renewed = auth
        .renew_token(&minted.id)
        .expires_in_days(5)
        .await
        .unwrap();
    assert!(renewed.expires_at > minted.expires_at, "{renewed:?}");

    // Rotate: a new id and secret; the old secret stops working.
    let rotated = auth
        .rotate_token(&minted.id)
        .expires_in_days(2)
        .await
        .unwrap();
    assert_ne!(rotated.id, minted.id);
    assert_eq!(rotated.rotated_from, minted.id);
    assert_ne!(rotated.token, minted.token);
    let msg = api_err(scoped.me().get().await, 403, Some("http_403"));
    assert_eq!(msg, "Invalid or revoked token");
    let fresh = with_token(env, &rotated.token);
    assert_eq!(fresh.me().get().await.unwrap().id, user.id);

    // Revoke: the revoked token gets 403 "Invalid or revoked token".
    let status = auth.revoke_token(&rotated.id).await.unwrap();
    assert_eq!(status["status"], "ok");
    let msg = api_err(fresh.me().get().await, 403, Some("http_403"));
    assert_eq!(msg, "Invalid or revoked token");
    let msg = api_err(
        auth.revoke_token("no-such-token").await,
        404,
        Some("token_not_found"),
    );
    assert_eq!(msg, "Token not found");
    api_err(
        auth.revoke_token(&current[0].id).await,
        409,
        Some("cannot_revoke_current_token"),
    );
    let page = auth.list_tokens().await.unwrap();
    assert_eq!(page.total, Some(2));
    assert!(page.items.iter().all(|t| t.id != rotated.id));
}

#[tokio::test]
async fn revoke_other_tokens_keeps_only_the_caller() {
    let env = live_env!();
    let user = register(env, "tokens").await;
    let pf = user
        .client
        .auth()
        .mint_token()
        .label("other")
        .await
        .unwrap();
    let second = anonymous(env)
        .auth()
        .login(user.email.as_str(), PASSWORD)
        .await
        .unwrap();
    let second = with_token(env, &second.token);

    let res = second.auth().revoke_other_tokens().await.unwrap();
    assert_eq!(res["status"], "ok");
    assert_eq!(res["revoked"], 2, "{res}");
    for dead in [&user.session, &pf.token] {
        let msg = api_err(
            with_token(env, dead).me().get().await,
            403,
            Some("http_403"),
        );
        assert_eq!(msg, "Invalid or revoked token");
    }
    let page = second.auth().list_tokens().await.unwrap();
    assert_eq!(page.total, Some(1));
    assert!(page.items[0].is_current);
}

#[tokio::test]
async fn change_password_then_log_in_with_the_new_one() {
    let env = live_env!();
    let user = register(env, "password").await;
    let auth = user.client.auth();
    let new_password = "live-account-new-password-0002";

    let msg = api_err(
        auth.set_password(new_password)
            .current_password("not-the-current-one")
            .await,
        401,
        Some("wrong_current_password"),
    );
    assert_eq!(msg, "Current password is incorrect");
    api_err(
        auth.set_password("short").current_password(PASSWORD).await,
        422,
        Some("validation_error"),
    );
    let ok = auth
        .set_password(new_password)
        .current_password(PASSWORD)
        .await
        .unwrap();
    assert_eq!(ok["status"], "ok");

    let anon = anonymous(env);
    api_err(
        anon.auth().login(user.email.as_str(), PASSWORD).await,
        401,
        Some("invalid_credentials"),
    );
    let login = anon
        .auth()
        .login(user.email.as_str(), new_password)
        .await
        .unwrap();
    let me = with_token(env, &login.token).me().get().await.unwrap();
    assert_eq!(me.id, user.id);
}

#[tokio::test]
async fn device_code_flow_with_the_browser_step_done_by_hand() {
    let env = live_env!();
    let user = register(env, "device").await;
    let anon = anonymous(env);

    let code = anon.auth().device_code().await.unwrap();
    assert!(!code.device_code.is_empty());
    assert!(code.verification_uri.ends_with("/device"));
    assert!(code.verification_uri_complete.contains(&code.user_code));
    assert!(code.expires_in > 0 && code.interval > 0);

    let poll = anon
        .auth()
        .device_token(code.device_code.as_str())
        .await
        .unwrap();
    assert_eq!((poll.status.as_str(), poll.token.as_str()), ("pending", ""));
    let unknown = anon
        .auth()
        .device_token("no-such-device-code")
        .await
        .unwrap();
    assert_eq!(unknown.status, "expired");

    // The approval is the browser page's call (`POST /auth/device/approve`), not an SDK
    // method: send it by hand with the user's session.
    let approve = Request::post("/auth/device/approve", &[])
        .unwrap()
        .json(&serde_json::json!({ "user_code": code.user_code }))
        .unwrap();
    let info: serde_json::Value = user.client.transport().json(&approve).await.unwrap();
    assert_eq!(info["status"], "approved");

    let done = anon
        .auth()
        .device_token(code.device_code.as_str())
        .await
        .unwrap();
    assert_eq!(done.status, "approved");
    assert!(done.token.starts_with("pt_"));
    let me = with_token(env, &done.token).me().get().await.unwrap();
    assert_eq!(me.id, user.id);
    // The code is spent: a replayed poll mints nothing.
    let again = anon
        .auth()
        .device_token(code.device_code.as_str())
        .await
        .unwrap();
    assert_eq!(
        (again.status.as_str(), again.token.as_str()),
        ("expired", "")
    );
}
