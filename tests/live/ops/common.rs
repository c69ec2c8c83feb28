//! Helpers of the operator-surface live tests: throwaway users, competitions and teams.

use ctfy::{AdminClient, PlatformClient, Registration};

use crate::support::LiveEnv;

/// A short random hex tag for unique names.
pub fn tag() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    format!("{:08x}", h.finish() as u32)
}

/// The admin client on the shared super_admin `pt_` session.
pub fn admin(env: &LiveEnv) -> AdminClient {
    env.client("ADMIN_TOKEN").admin()
}

/// An admin client on a fresh super_admin session (for calls inside the re-auth window).
pub async fn fresh_admin(env: &LiveEnv) -> AdminClient {
    let anon = PlatformClient::new(env.url(), "").unwrap();
    let token = anon
        .auth()
        .login(env.var("ADMIN_EMAIL"), env.var("ADMIN_PASSWORD"))
        .await
        .expect("admin login")
        .token;
    PlatformClient::new(env.url(), token).unwrap().admin()
}

/// A throwaway user of the test.
pub struct User {
    /// Its `pt_` session.
    pub client: PlatformClient,
    /// Its email.
    pub email: String,
    /// Its user id.
    pub id: String,
}

/// Registers a fresh user `live-<area>-<hex>@example.com`.
pub async fn user(env: &LiveEnv, area: &str) -> User {
    let email = format!("live-{area}-{}@example.com", tag());
    let anon = PlatformClient::new(env.url(), "").unwrap();
    let token = anon
        .auth()
        .register(email.as_str(), "live-ops-password-0001")
        .await
        .expect("register")
        .token;
    let client = PlatformClient::new(env.url(), token).unwrap();
    let id = client.me().get().await.expect("me").id.into_string();
    User { client, email, id }
}

/// A fresh published, running, public competition of the test with the QA and web challenges.
pub async fn competition(env: &LiveEnv, admin: &AdminClient, title: &str) -> String {
    admin
        .competitions()
        .create(format!("live-ops {title} {}", tag()))
        .status("published")
        .access("public")
        .challenge_ids([env.var("QA_CHALLENGE_ID"), env.var("WEB_CHALLENGE_ID")])
        .await
        .expect("create competition")
        .id
        .into_string()
}

/// Registers `user` solo in `competition`; returns the team id.
pub async fn solo(user: &User, competition: &str) -> String {
    user.client
        .competition(competition)
        .unwrap()
        .register(Registration::Solo)
        .await
        .expect("solo registration")
        .id
        .into_string()
}

/// Deletes a competition of the test (best effort).
pub async fn drop_competition(admin: &AdminClient, competition: &str) {
    let _ = admin.competitions().delete(competition).await;
}

/// Asserts that `result` failed with HTTP `status` and error `code`.
#[track_caller]
pub fn api_err<T: std::fmt::Debug>(result: ctfy::Result<T>, status: u16, code: &str) {
    let err = result.expect_err("expected an API error");
    assert_eq!(err.status(), Some(status), "{err}");
    assert_eq!(err.code(), Some(code), "{err}");
}

/// Cancels a background task the test queued (best effort), so it does not linger.
pub async fn cancel_task(admin: &AdminClient, task_id: &str) {
    let _ = admin.tasks().cancel(task_id).await;
}
