//! Operator bootstrap: create a competition, publish challenges into it, invite players.
//!
//! 1. create the competition (a draft, so nobody sees a half-built event);
//! 2. put the challenges in, in order, and publish it (public, running at once);
//! 3. invite each player by email (the platform mails them; accounts not signed up yet are
//!    invited on sign-up).
//!
//! The last line of the output is `competition_id=<id>`, for scripts.
//!
//! Environment: `CTFY_PLATFORM_URL` (else `CTFY_URL`), `CTFY_ADMIN_TOKEN` (an admin's `pt_` session
//! token: the operator routes refuse `pf_` tokens), optionally `BOOTSTRAP_TITLE`,
//! `BOOTSTRAP_CHALLENGES` (comma-separated ids; default: the whole catalogue) and
//! `BOOTSTRAP_INVITE` (comma-separated emails). Against the local platform:
//! `scripts/with-platform.sh sh -c 'CTFY_ADMIN_TOKEN=$ADMIN_TOKEN cargo run --example admin_bootstrap'`.

use std::process::ExitCode;

use ctfy::models::{ChallengeId, ChallengeInfo, CompetitionInfo};
use ctfy::{Error, PlatformClient};
use futures::TryStreamExt;

/// What to set up.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The competition's title.
    pub title: String,
    /// The challenges, in order; empty: the whole catalogue.
    pub challenges: Vec<String>,
    /// Emails to invite.
    pub invite: Vec<String>,
}

impl Plan {
    fn from_env() -> Self {
        let list = |key: &str| -> Vec<String> {
            std::env::var(key)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Self {
            title: std::env::var("BOOTSTRAP_TITLE")
                .unwrap_or_else(|_| format!("Bootstrap Cup {stamp}")),
            challenges: list("BOOTSTRAP_CHALLENGES"),
            invite: list("BOOTSTRAP_INVITE"),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let client = match PlatformClient::from_env_with(|key| {
        let key = if key == "CTFY_TOKEN" {
            "CTFY_ADMIN_TOKEN"
        } else {
            key
        };
        std::env::var(key).ok()
    }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}", e.report());
            return ExitCode::from(2);
        }
    };
    match bootstrap(&client, &Plan::from_env()).await {
        Ok(done) => {
            println!(
                "published {:?} ({}) with {} challenges: {}",
                done.title,
                done.phase.as_str(),
                done.challenge_ids.len(),
                done.challenge_ids
                    .iter()
                    .map(ChallengeId::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("competition_id={}", done.id);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", e.report());
            ExitCode::FAILURE
        }
    }
}

/// Runs the plan with an admin `client`; the published competition.
///
/// # Errors
/// The first call that fails (403 for a non-admin token, 404 `challenge_not_found` for an
/// unknown challenge…). The competition stays a draft when publishing fails.
pub async fn bootstrap(client: &PlatformClient, plan: &Plan) -> Result<CompetitionInfo, Error> {
    let admin = client.admin();
    let challenges: Vec<ChallengeId> = if plan.challenges.is_empty() {
        let all: Vec<ChallengeInfo> = client.challenges().list().stream().try_collect().await?;
        all.into_iter().map(|c| c.id).collect()
    } else {
        plan.challenges
            .iter()
            .map(|id| id.parse())
            .collect::<Result<_, _>>()?
    };
    let draft = admin.competitions().create(plan.title.as_str()).await?;
    println!("created draft {} ({})", draft.title, draft.id);
    let published = admin
        .competitions()
        .update(&draft.id)
        .challenge_ids(&challenges)
        .access("public")
        .status("published")
        .await?;
    for email in &plan.invite {
        let invite = admin
            .competition_invites()
            .invite(&published.id)
            .email(email.as_str())
            .await?;
        println!(
            "invited {}{}",
            invite.email,
            if invite.pending_signup {
                " (pending sign-up)"
            } else {
                ""
            }
        );
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ctfy::models::CompetitionDetailPhase;
    use ctfy::testing::{MockChallenge, MockPlatform, Route};

    #[tokio::test]
    async fn publishes_the_chosen_challenges_and_invites_the_players() {
        let mock = MockPlatform::builder()
            .challenge(MockChallenge::instance("WEB-1"))
            .challenge(MockChallenge::instance("WEB-2"))
            .challenge(MockChallenge::qa("QA-1"))
            .start()
            .await;
        let plan = Plan {
            title: "Spring Cup".into(),
            challenges: vec!["QA-1".into(), "WEB-2".into()],
            invite: vec!["ada@example.com".into(), "alan@example.com".into()],
        };
        let admin = PlatformClient::new(mock.url(), ctfy::testing::ADMIN_TOKEN).unwrap();
        let done = bootstrap(&admin, &plan).await.unwrap();
        assert_eq!(done.phase, CompetitionDetailPhase::Running);
        assert_eq!(done.challenge_ids, ["QA-1", "WEB-2"]);
        assert_eq!(mock.requests(Route::AdminInvites), 2);

        // What players now see.
        let comp = mock.client().competition(&done.id).unwrap();
        let listed: Vec<String> = comp
            .challenges()
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.id.into_string())
            .collect();
        assert_eq!(listed, ["QA-1", "WEB-2"]);
    }

    #[tokio::test]
    async fn the_whole_catalogue_by_default_and_a_player_token_is_refused() {
        let mock = MockPlatform::builder()
            .challenge(MockChallenge::instance("WEB-1"))
            .challenge(MockChallenge::instance("WEB-2"))
            .start()
            .await;
        let plan = Plan {
            title: "Autumn Cup".into(),
            challenges: Vec::new(),
            invite: Vec::new(),
        };
        let admin = PlatformClient::new(mock.url(), ctfy::testing::ADMIN_TOKEN).unwrap();
        assert_eq!(
            bootstrap(&admin, &plan).await.unwrap().challenge_ids.len(),
            2
        );
        let err = bootstrap(&mock.client(), &plan).await.unwrap_err();
        assert!(err.is_forbidden(), "{err}");
    }
}
