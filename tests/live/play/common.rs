//! Helpers of the play live tests: fresh users, fresh teams, fresh competitions, error checks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ctfy::models::platform::{CompetitionInfo, TeamDetail};
use ctfy::{AdminClient, Competition, PlatformClient, Registration};

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

/// The super_admin's operator client (`ADMIN_TOKEN`, a `pt_` session).
pub fn admin(env: &LiveEnv) -> AdminClient {
    AdminClient::connect(env.url(), env.var("ADMIN_TOKEN")).expect("admin client")
}

/// A freshly registered player of this test.
pub struct Player {
    pub email: String,
    pub id: String,
    pub client: PlatformClient,
}

/// Registers `live-play-<area>-<hex>@example.com`; the client holds its `pt_` session.
pub async fn player(env: &LiveEnv, area: &str) -> Player {
    let email = format!("live-play-{area}-{}@example.com", hex());
    let anon = PlatformClient::new(env.url(), "").unwrap();
    let token = anon
        .auth()
        .register(email.as_str(), format!("pw-{}-long-enough", hex()).as_str())
        .display_name(format!("play {area}"))
        .await
        .expect("register")
        .token;
    assert!(token.starts_with("pt_"));
    let client = PlatformClient::new(env.url(), token.as_str()).unwrap();
    let id = client.me().get().await.expect("me").id.into_string();
    Player { email, id, client }
}

/// A fresh player who creates a team of its own in `competition_id` (captain).
pub async fn captain(
    env: &LiveEnv,
    area: &str,
    competition_id: &str,
) -> (Player, Competition, TeamDetail) {
    let p = player(env, area).await;
    let comp = p.client.competition(competition_id).unwrap();
    let team = comp
        .register(Registration::Create {
            name: format!("play-{area}-{}", hex()),
            description: format!("ctfy-rs live play test ({area})"),
        })
        .await
        .expect("create team");
    assert_eq!(team.captain_user_id, p.id);
    assert_eq!(team.member_count, 1);
    assert_eq!(team.competition_id, competition_id);
    (p, comp, team)
}

/// A published, public competition of this test with `challenges` (its own board).
pub async fn competition(admin: &AdminClient, area: &str, challenges: &[&str]) -> CompetitionInfo {
    admin
        .competitions()
        .create(format!("live-play-{area}-{}", hex()))
        .description([("en".to_owned(), format!("ctfy-rs live play test ({area})"))].into())
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

/// The four fixture challenges, in the harness's curated order.
pub fn fixtures(env: &LiveEnv) -> [&str; 4] {
    [
        env.var("WEB_CHALLENGE_ID"),
        env.var("ONESHOT_CHALLENGE_ID"),
        env.var("QA_CHALLENGE_ID"),
        env.var("FAIL_CHALLENGE_ID"),
    ]
}

/// Asserts an API error with this status and code, and returns it.
#[track_caller]
pub fn api_err<T: std::fmt::Debug>(r: ctfy::Result<T>, status: u16, code: &str) -> ctfy::Error {
    let e = r.expect_err(&format!("expected {status} {code}"));
    assert_eq!(e.status(), Some(status), "{e}");
    assert_eq!(e.code(), Some(code), "{e}");
    e
}

/// `YYYY-MM-DDTHH:MM:SSZ` for `secs` after the epoch (may be in the past).
pub fn iso(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Seconds since the epoch, now.
pub fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
