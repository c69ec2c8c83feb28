//! Helpers of the admin live tests: the admin client, fresh users, fresh competitions and
//! waiting for background tasks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ctfy::models::platform::{AdminTaskInfo, CompetitionInfo};
use ctfy::{AdminClient, PlatformClient};

use crate::support::LiveEnv;

/// A short random hex string for unique names.
pub fn hex() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:x}",
        nanos ^ (u64::from(std::process::id()) << 40) ^ n.wrapping_mul(0x9E37_79B9)
    )
}

/// The super_admin's stand-alone operator client (`ADMIN_TOKEN`, a `pt_` session).
pub fn admin(env: &LiveEnv) -> AdminClient {
    AdminClient::connect(env.url(), env.var("ADMIN_TOKEN")).expect("admin client")
}

/// A freshly registered user of this test.
pub struct Fresh {
    pub email: String,
    pub password: String,
    /// The `pt_` session from the registration.
    pub token: String,
    pub id: String,
    pub client: PlatformClient,
}

/// Registers `live-<area>-<hex>@example.com` and returns its session client.
pub async fn fresh_user(env: &LiveEnv, area: &str) -> Fresh {
    let email = format!("live-{area}-{}@example.com", hex());
    let password = format!("pw-{}-long-enough", hex());
    let anon = PlatformClient::new(env.url(), "").unwrap();
    let token = anon
        .auth()
        .register(email.as_str(), password.as_str())
        .display_name(format!("live {area}"))
        .await
        .expect("register")
        .token;
    assert!(token.starts_with("pt_"));
    let client = PlatformClient::new(env.url(), token.as_str()).unwrap();
    let id = client.me().get().await.expect("me").id.into_string();
    Fresh {
        email,
        password,
        token,
        id,
        client,
    }
}

/// A published, always-running, public competition of its own with `challenges`.
pub async fn fresh_competition(
    admin: &AdminClient,
    area: &str,
    challenges: &[&str],
) -> CompetitionInfo {
    admin
        .competitions()
        .create(format!("live-{area}-{}", hex()))
        .description([("en".to_owned(), format!("ctfy-rs live test ({area})"))].into())
        .challenge_ids(challenges.iter().copied())
        .status("published")
        .access("public")
        .await
        .expect("create competition")
}

/// Deletes a competition of this test (errors are reported, not fatal).
pub async fn drop_competition(admin: &AdminClient, id: &str) {
    if let Err(e) = admin.competitions().delete(id).await {
        eprintln!("could not delete competition {id}: {e}");
    }
}

/// Whether a task status is final.
pub fn is_final(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "cancelled" | "interrupted")
}

/// Polls `tasks().get(id)` until the task is final (at most `limit`).
pub async fn wait_task(
    admin: &AdminClient,
    task: &AdminTaskInfo,
    limit: Duration,
) -> AdminTaskInfo {
    let deadline = Instant::now() + limit;
    loop {
        let now = admin
            .tasks()
            .get(task.id.as_str())
            .await
            .expect("task status");
        assert_eq!(now.id, task.id);
        assert_eq!(now.kind, task.kind);
        if is_final(&now.status) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "task {} ({}) still {} after {limit:?}",
            task.id,
            task.kind,
            now.status
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
