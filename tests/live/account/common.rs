//! Helpers of the account tests: throwaway users, admin sessions, error checks.

use ctfy::PlatformClient;

use crate::support::LiveEnv;

/// A password long enough for the platform (at least 12 characters).
pub const PASSWORD: &str = "live-account-password-0001";

/// A user registered by this test alone.
pub struct User {
    /// The user id.
    pub id: String,
    /// The email it registered with.
    pub email: String,
    /// Its display name.
    pub display_name: String,
    /// A client with the fresh `pt_` session the registration returned.
    pub client: PlatformClient,
    /// That `pt_` session token.
    pub session: String,
}

/// A random hex suffix for unique names.
pub fn hex(n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(fastrand_u32() % 16, 16).unwrap())
        .collect()
}

fn fastrand_u32() -> u32 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() as u32
}

/// A unique email `live-<area>-<hex>@example.com`.
pub fn email(area: &str) -> String {
    format!("live-{area}-{}@example.com", hex(12))
}

/// A client without a token.
pub fn anonymous(env: &LiveEnv) -> PlatformClient {
    PlatformClient::builder(env.url()).build().expect("client")
}

/// A client with `token`.
pub fn with_token(env: &LiveEnv, token: &str) -> PlatformClient {
    PlatformClient::new(env.url(), token).expect("client")
}

/// Registers a fresh user (display name set) and returns it with its fresh session.
pub async fn register(env: &LiveEnv, area: &str) -> User {
    let email = email(area);
    let display_name = format!("Live {area} {}", hex(6));
    let res = anonymous(env)
        .auth()
        .register(email.as_str(), PASSWORD)
        .display_name(display_name.as_str())
        .await
        .expect("register");
    assert!(res.token.starts_with("pt_"), "a session token");
    let client = with_token(env, &res.token);
    let me = client.me().get().await.expect("me");
    assert_eq!(me.email, email);
    User {
        id: me.id.into_string(),
        email,
        display_name,
        client,
        session: res.token,
    }
}

/// A super_admin client with a session minted now (the env's `ADMIN_TOKEN` may be older than
/// the 15-minute re-auth window).
pub async fn admin(env: &LiveEnv) -> PlatformClient {
    let res = anonymous(env)
        .auth()
        .login(env.var("ADMIN_EMAIL"), env.var("ADMIN_PASSWORD"))
        .await
        .expect("admin login");
    with_token(env, &res.token)
}

/// Checks an API error's status and code, and returns its message.
#[track_caller]
pub fn api_err<T: std::fmt::Debug>(
    res: ctfy::Result<T>,
    status: u16,
    code: Option<&str>,
) -> String {
    let err = res.expect_err("an API error");
    assert_eq!(err.status(), Some(status), "{err}");
    assert_eq!(err.code(), code, "{err}");
    err.api().expect("an API error").message()
}
