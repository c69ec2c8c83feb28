//! After a solve: `scoreboard`, `teams`, `users`, `activities`, `achievements` and the
//! progress calls of `me`. The test builds its own world: a competition of its own (made by
//! the admin, holding the QA fixture), a fresh user with a solo team, two correct answers.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use ctfy::Registration;
use ctfy::models::{CompetitionCreateAccess, CompetitionCreateStatus};
use futures::{FutureExt, TryStreamExt};

use crate::account::common::{User, admin, anonymous, api_err, hex, register};
use crate::live_env;
use crate::support::LiveEnv;

#[tokio::test]
async fn a_solve_shows_on_boards_profiles_and_feeds() {
    let env = live_env!();
    let admin = admin(env).await;
    let comp = admin
        .admin()
        .competitions()
        .create(format!("live-account cup {}", hex(8)))
        .challenge_ids([env.var("QA_CHALLENGE_ID")])
        .status(CompetitionCreateStatus::Published)
        .access(CompetitionCreateAccess::Public)
        .await
        .unwrap();
    let res = AssertUnwindSafe(solve_and_check(env, comp.id.as_str()))
        .catch_unwind()
        .await;
    let _ = admin.admin().competitions().delete(&comp.id).await;
    if let Err(panic) = res {
        std::panic::resume_unwind(panic);
    }
}

async fn solve_and_check(env: &'static LiveEnv, cid: &str) {
    let user = register(env, "world").await;
    let client = &user.client;
    let team = client
        .competition(cid)
        .unwrap()
        .register(Registration::Solo)
        .await
        .unwrap();
    let qa = env.var("QA_CHALLENGE_ID");

    let before = qa_attempts(env, qa).await;
    // One wrong choice, then both questions right.
    let wrong = client
        .submissions()
        .submit_qa(cid, qa, "udp")
        .question_id("transport")
        .await
        .unwrap();
    assert!(!wrong.correct);
    let first = client
        .submissions()
        .submit_qa(cid, qa, "443")
        .question_id("answer")
        .await
        .unwrap();
    assert!(first.correct);
    let second = client
        .submissions()
        .submit_qa(cid, qa, "tcp")
        .question_id("transport")
        .await
        .unwrap();
    assert!(second.correct && second.challenge_fully_solved);

    check_me(&user, cid, qa).await;
    check_teams(env, &user, cid, team.id.as_str()).await;
    check_achievements(&user, cid, team.id.as_str()).await;
    check_users(env, &user).await;
    check_activities(&user, cid, qa).await;
    check_scoreboards(env, &user, team.id.as_str(), qa, before).await;
}

async fn check_me(user: &User, cid: &str, qa: &str) {
    let me = user.client.me();
    let solves = me.solves().competition_id(cid).await.unwrap();
    assert_eq!(solves.len(), 1, "{solves:?}");
    assert_eq!(solves[0].challenge_id, qa);
    assert!(solves[0].solved_at.is_some());
    assert!(
        me.solves()
            .await
            .unwrap()
            .iter()
            .any(|s| s.challenge_id == qa)
    );

    let progress = me.milestone_progress().competition_id(cid).await.unwrap();
    let row = progress.iter().find(|p| p.challenge_id == qa).unwrap();
    assert_eq!(row.total_questions, 2);
    let mut solved = row.solved_question_ids.clone();
    solved.sort();
    assert_eq!(solved, ["answer", "transport"]);

    let info = me.get().competition_id(cid).await.unwrap();
    assert!(
        info.competition_teams
            .iter()
            .any(|t| t.competition_id == cid)
    );

    // No GitHub identity here: the star-gazer check declines without an error.
    let star = me.verify_star_gazer().competition_id(cid).await.unwrap();
    assert!(!star.verified);
    assert!(!star.reason.is_empty());
    assert!(star.achievement.is_none());
}

async fn check_teams(env: &LiveEnv, user: &User, cid: &str, team_id: &str) {
    let player = env.player();
    let teams = player.teams();
    // `competition_id` only selects the competition a scoped pf_ token is checked against:
    // the listing is every team of the platform.
    let one = teams.list().limit(1).competition_id(cid).await.unwrap();
    assert!(one.total.unwrap() >= 2, "the harness team and this one");
    assert_eq!(one.items.len(), 1);
    let all: Vec<_> = teams
        .list()
        .limit(100)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(all.len() as u64 >= one.total.unwrap());
    let mine = all
        .iter()
        .find(|t| t.id == team_id)
        .expect("the new team is listed");
    assert_eq!(mine.competition_id, cid);
    assert_eq!(mine.solves, 2, "one per captured question");

    let detail = teams.get(team_id).await.unwrap();
    assert_eq!(detail.competition_id, cid);
    assert_eq!(detail.captain_user_id, user.id);
    assert_eq!(detail.members.len(), 1);
    assert_eq!(detail.members[0].user_id, user.id);
    // The competition_id query narrows the lookup; a team of another competition is 404.
    teams.get(team_id).competition_id(cid).await.unwrap();
    api_err(teams.get("no-such-team").await, 404, Some("team_not_found"));

    let stats = teams.profile_stats(team_id).days(30).await.unwrap();
    assert!(!stats.calendar.is_empty());
    assert!(
        stats.by_difficulty.iter().any(|d| d.solved >= 1),
        "{stats:?}"
    );
}

async fn check_achievements(user: &User, cid: &str, team_id: &str) {
    let ach = user.client.achievements();
    let catalog = ach.catalog().await.unwrap();
    let total = catalog.total.expect("the page keeps total");
    assert_eq!(total as usize, catalog.items.len());
    assert!(catalog.items.iter().any(|a| a.id == "welcome_aboard"));
    let two = ach.catalog().limit(2).offset(1).await.unwrap();
    assert_eq!(
        (two.items.len(), two.total, two.offset),
        (2, Some(total), 1)
    );
    assert_eq!(two.items[0].id, catalog.items[1].id);

    // The one easter egg the platform knows; claiming is idempotent.
    let claim = ach
        .claim_easter_egg("base64-cowboy")
        .competition_id(cid)
        .await
        .unwrap();
    assert_eq!(claim.egg_id, "base64-cowboy");
    assert_eq!(claim.achievement.achievement_id, "base64_cowboy");
    assert!(!claim.already_unlocked);
    let again = ach
        .claim_easter_egg("base64-cowboy")
        .competition_id(cid)
        .await
        .unwrap();
    assert!(again.already_unlocked);
    let msg = api_err(
        ach.claim_easter_egg("no-such-egg").await,
        404,
        Some("http_404"),
    );
    assert_eq!(msg, "Unknown easter egg: no-such-egg");

    let team_ach = user.client.teams().achievements(team_id).await.unwrap();
    assert_eq!(team_ach.total, Some(team_ach.items.len() as u64));
    let ids: Vec<_> = team_ach
        .items
        .iter()
        .map(|a| a.achievement_id.as_str())
        .collect();
    for id in ["welcome_aboard", "first_blood_team"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    // The public badge list hides secret badges (the easter egg's is one).
    assert!(claim.achievement.secret);
    assert!(!ids.contains(&"base64_cowboy"), "{ids:?}");

    let mine = user.client.me().achievements().await.unwrap();
    assert!(
        mine.unlocked
            .iter()
            .any(|a| a.achievement_id == "base64_cowboy")
    );
    assert!(mine.summary.unlocked_count >= 2);
    assert!(mine.locked.iter().all(|a| a.id != "base64_cowboy"));

    // Newest first, secret badges left out: the team's public badges are near the top.
    let recent = ach.recent_unlocks().limit(200).await.unwrap();
    assert!(recent.total.unwrap() >= recent.items.len() as u64);
    let ours: Vec<_> = recent
        .items
        .iter()
        .filter(|u| u.team_id == team_id)
        .map(|u| u.achievement_id.as_str())
        .collect();
    assert!(ours.contains(&"welcome_aboard"), "{ours:?}");
    assert!(!ours.contains(&"base64_cowboy"), "{ours:?}");
}

async fn check_users(env: &LiveEnv, user: &User) {
    let anon = anonymous(env);
    let users = anon.users();
    let info = users.get(&user.id).await.unwrap();
    assert_eq!(info.id, user.id);
    assert_eq!(info.display_name, user.display_name);

    let trend = users.solve_trend(&user.id).days(7).await.unwrap();
    assert!(!trend.solve_trend.is_empty() && trend.solve_trend.len() <= 8);
    assert!(
        trend.solve_trend.iter().map(|p| p.solves).sum::<i64>() >= 1,
        "{trend:?}"
    );

    let stats = users.profile_stats(&user.id).days(30).await.unwrap();
    assert!(
        stats.solve_trend.iter().map(|p| p.solves).sum::<i64>() >= 1,
        "{stats:?}"
    );

    let authored = users.authored_challenges(&user.id).await.unwrap();
    assert_eq!(authored.total, Some(0), "the page keeps total");
    let contributors = users.contributors().limit(5).await.unwrap();
    assert!(contributors.total.is_some());

    let msg = api_err(users.get("no-such-user").await, 404, Some("http_404"));
    assert_eq!(msg, "User not found: no-such-user");
}

async fn check_activities(user: &User, cid: &str, qa: &str) {
    let act = user.client.activities();
    let page = act.list().await.unwrap();
    let total = page.total.expect("the page keeps total");
    assert!(total >= 3, "registered, team, solves: {total}");
    let events: Vec<_> = page.items.iter().map(|a| a.event.as_str()).collect();
    for e in ["user_registered", "flag_correct"] {
        assert!(events.contains(&e), "{e} in {events:?}");
    }
    assert!(page.items.iter().all(|a| a.actor_id == user.id));

    let correct = act
        .list()
        .event("flag_correct")
        .challenge_id(qa)
        .competition_id(cid)
        .await
        .unwrap();
    assert_eq!(correct.total, Some(2), "two correct answers");
    assert!(
        correct
            .items
            .iter()
            .all(|a| a.event == "flag_correct" && a.challenge_id == qa)
    );
    let since = act
        .list()
        .since("2000-01-01T00:00:00Z")
        .until("2999-01-01T00:00:00Z")
        .limit(1)
        .await
        .unwrap();
    assert_eq!((since.items.len(), since.total), (1, Some(total)));

    let series = act.timeseries().window(3600).bucket(600).await.unwrap();
    assert_eq!((series.window_s, series.bucket_s), (3600, 600));
    assert_eq!(series.buckets.len(), 6);
    assert!(series.buckets.last().unwrap().partial);
    let counted: i64 = series.buckets.iter().flat_map(|b| b.counts.values()).sum();
    assert!(counted >= 3, "{series:?}");
    assert!(series.events.iter().any(|e| e == "flag_correct"));
}

async fn check_scoreboards(env: &LiveEnv, user: &User, team_id: &str, qa: &str, before: i64) {
    let player = env.player();
    let board = player.scoreboard();
    // The boards are cached for 20 s: poll until the solve shows.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    let entry = loop {
        let page = board.get().limit(10_000).await.unwrap();
        assert!(page.total.is_some(), "the page keeps total");
        if let Some(e) = page.items.into_iter().find(|e| e.team_id == team_id) {
            if e.solved >= 1 {
                break e;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the solve never reached the scoreboard"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert_eq!(entry.flags_solved, 2);
    assert!(entry.score > 0 && entry.rank >= 1);
    let human = board.get().division("human").limit(1).await.unwrap();
    assert!(human.total.unwrap() >= 1);

    let users = loop {
        let page = board.users().limit(10_000).await.unwrap();
        if let Some(e) = page.items.into_iter().find(|e| e.user_id == user.id) {
            break e;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the user board never showed the solve"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert_eq!(users.display_name, user.display_name);
    assert!(users.solved >= 1);

    // Static QA answers are not flags: they count as attempts, not as flag solves.
    loop {
        let page = board.challenge_stats().await.unwrap();
        assert!(page.total.unwrap() >= 4, "the four fixtures");
        let s = page
            .items
            .into_iter()
            .find(|s| s.challenge_id == qa)
            .unwrap();
        assert!(s.flag_stats.is_empty());
        if s.total_attempts >= before + 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the challenge stats never counted the attempts"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The attempts the challenge stats count for `qa` (possibly a cached, older figure).
async fn qa_attempts(env: &LiveEnv, qa: &str) -> i64 {
    let page = env.player().scoreboard().challenge_stats().await.unwrap();
    page.items
        .into_iter()
        .find(|s| s.challenge_id == qa)
        .map_or(0, |s| s.total_attempts)
}
