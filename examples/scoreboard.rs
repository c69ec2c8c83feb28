//! The scoreboard of a competition as a ranked table.
//!
//! The platform caches the scoreboard for about 20 s: a solve can take that long to show.
//!
//! Environment: `CTFY_PLATFORM_URL` (else `CTFY_URL`) and `CTFY_TOKEN` (see
//! `PlatformClient::from_env`), optionally `CTFY_COMPETITION` (default: the first running
//! competition) and `SCOREBOARD_TOP` (default 20). Against the local platform:
//! `scripts/with-platform.sh cargo run --example scoreboard`.

use std::process::ExitCode;

use ctfy::models::ScoreboardEntry;
use ctfy::{Error, PlatformClient};

#[tokio::main]
async fn main() -> ExitCode {
    let top = std::env::var("SCOREBOARD_TOP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let run = async {
        let client = PlatformClient::from_env()?;
        let wanted = std::env::var("CTFY_COMPETITION").ok();
        ranked(&client, wanted.as_deref(), top).await
    };
    match run.await {
        Ok((title, rows)) => {
            print!("{}", table(&title, &rows));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", e.report());
            ExitCode::FAILURE
        }
    }
}

/// The competition's title and its `top` rows, best first.
///
/// # Errors
/// No running competition, an unknown one, or any failed call.
pub async fn ranked(
    client: &PlatformClient,
    competition: Option<&str>,
    top: u64,
) -> Result<(String, Vec<ScoreboardEntry>), Error> {
    let info = match competition {
        Some(id) => {
            let detail = client.competitions().get(id).await?;
            (detail.id, detail.title)
        }
        None => client
            .competitions()
            .list()
            .phase("running")
            .await?
            .items
            .into_iter()
            .next()
            .map(|c| (c.id, c.title))
            .ok_or_else(|| Error::InvalidArgument("no running competition".into()))?,
    };
    let mut rows = client
        .competition(&info.0)?
        .scoreboard()
        .limit(top)
        .await?
        .items;
    rows.sort_by_key(|r| r.rank);
    rows.truncate(usize::try_from(top).unwrap_or(usize::MAX));
    Ok((info.1, rows))
}

/// The table: rank, team, score, solved challenges, flags, last solve.
pub fn table(title: &str, rows: &[ScoreboardEntry]) -> String {
    let mut out = format!(
        "{title}\n{:>4}  {:<24} {:>7} {:>6} {:>6}  last solve\n",
        "rank", "team", "score", "solved", "flags"
    );
    for r in rows {
        let team: String = r.team_name.chars().take(24).collect();
        let last = r
            .last_solve_at
            .as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{:>4}  {:<24} {:>7} {:>6} {:>6}  {last}\n",
            r.rank, team, r.score, r.solved, r.flags_solved
        ));
    }
    if rows.is_empty() {
        out.push_str("  (no team has scored yet)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ctfy::models::With;
    use ctfy::testing::{Fixture, MockPlatform};

    #[tokio::test]
    async fn ranks_the_rows_best_first_and_keeps_the_top() {
        let row = |rank: i64, name: &str, score: i64| {
            ScoreboardEntry::fixture().with(|it| {
                it.rank = rank;
                it.team_name = name.into();
                it.score = score;
            })
        };
        let mock = MockPlatform::builder()
            .scoreboard(vec![
                row(2, "bravo", 300),
                row(1, "alpha", 500),
                row(3, "charlie", 100),
            ])
            .start()
            .await;
        let (title, rows) = ranked(&mock.client(), None, 2).await.unwrap();
        let text = table(&title, &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Mock Cup");
        assert!(
            lines[2].contains("alpha") && lines[2].contains("500"),
            "{text}"
        );
        assert!(lines[3].contains("bravo"), "{text}");
        assert_eq!(lines.len(), 4, "{text}");
    }

    #[tokio::test]
    async fn an_unknown_competition_is_a_404() {
        let mock = MockPlatform::start().await;
        let err = ranked(&mock.client(), Some("nope"), 5).await.unwrap_err();
        assert!(err.is_not_found(), "{err}");
    }
}
