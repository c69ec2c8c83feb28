//! Competitions and the competition handle: list, get, attachments, virtual replays, agent
//! feeds, the board after a solve, and the handle's `Clone + Send + 'static`.

use ctfy::Registration;

use super::play_common::{
    admin, api_err, competition, drop_competition, fixtures, hex, iso, now_s, player,
};
use crate::live_env;
use crate::support::{capture_flag, start_ready};

#[tokio::test]
async fn competitions_list_get_and_attachments() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let p = env.player();
    let running = p
        .competitions()
        .list()
        .phase("running")
        .limit(500)
        .await
        .expect("list");
    assert!(running.items.iter().any(|c| c.id == cid));
    let got = p.competitions().get(cid).await.expect("get");
    assert_eq!(got.id, cid);
    assert_eq!(got.challenge_ids, fixtures(env));
    api_err(
        p.competitions().get("does-not-exist").await,
        404,
        "http_404",
    );
    let none = p
        .competitions()
        .attachments(cid)
        .await
        .expect("attachments");
    assert_eq!(none.competition_id, cid);
    assert!(none.attachments.is_empty());

    // Uploads need S3 storage, which this deployment lacks: nothing to download.
    let admin = admin(env);
    let info = competition(&admin, "attach", &[env.var("QA_CHALLENGE_ID")]).await;
    let upload = admin
        .competition_attachments()
        .upload(&info.id, "rules.txt", "text/plain", b"rules\n".to_vec())
        .await;
    api_err(upload, 503, "storage_unavailable");
    assert!(
        p.competitions()
            .attachments(&info.id)
            .await
            .expect("attachments")
            .attachments
            .is_empty()
    );
    let missing = p
        .competitions()
        .download_attachment(&info.id, "no-such-attachment")
        .await
        .expect_err("no such attachment");
    assert_eq!(missing.status(), Some(404), "{missing}");
    drop_competition(&admin, info.id.as_str()).await;
}

#[tokio::test]
async fn board_after_a_solve() {
    let env = live_env!();
    let admin = admin(env);
    let info = competition(&admin, "board", &fixtures(env)).await;
    let p = player(env, "board").await;
    let comp = p.client.competition(&info.id).unwrap();
    let result = async {
        let detail = comp.detail().await.expect("detail");
        assert_eq!(detail.id, info.id);
        let team = comp.register(Registration::Solo).await.expect("solo");
        let challenges = comp.challenges().await.expect("challenges");
        let ids: Vec<_> = challenges.items.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, fixtures(env), "curated order");
        let paged = comp.challenges().limit(1).offset(1).await.unwrap();
        assert_eq!(paged.items.len(), 1);
        assert_eq!(paged.items[0].id, env.var("ONESHOT_CHALLENGE_ID"));

        // Solve the one-shot challenge.
        let oneshot = env.var("ONESHOT_CHALLENGE_ID");
        let ready = start_ready(&p.client, oneshot, info.id.as_str()).await;
        let flag = capture_flag(&ready, "flag").await;
        let done = p
            .client
            .submissions()
            .submit(&ready.id, flag.as_str())
            .await
            .unwrap();
        assert!(done.correct && done.challenge_fully_solved);
        assert_eq!(done.solve_rank, 1);
        p.client.instances().stop(&ready.id).await.expect("stop");

        let board = comp.scoreboard().limit(10).await.expect("scoreboard");
        assert_eq!(board.items.len(), 1);
        let row = &board.items[0];
        assert_eq!(
            (row.rank, row.team_id.as_str(), row.solved),
            (1, team.id.as_str(), 1)
        );
        assert!(row.score > 0);
        let history = comp.score_history().top(5).await.expect("score history");
        let series = history
            .series
            .iter()
            .find(|s| s.team_id == team.id)
            .expect("team series");
        assert!(!series.points.is_empty());
        let dist = comp.score_distribution().await.expect("distribution");
        assert_eq!(dist.total_teams, 1);
        assert_eq!(dist.bins.iter().map(|b| b.count).sum::<i64>(), 1);
        let matrix = comp.solve_matrix().await.expect("solve matrix");
        assert!(matrix.cells.iter().any(|c| c.team_id == team.id
            && c.challenge_id == oneshot
            && c.solved
            && c.first_blood));
        let defence = comp.defence_matrix().await.expect("defence matrix");
        assert!(defence.challenge_ids.is_empty(), "no AWD challenges");
        assert!(defence.rows.iter().any(|r| r.team_id == team.id));
        let roster = comp.roster().await.expect("roster");
        assert_eq!(roster.teams.len(), 1);
        assert_eq!(roster.teams[0].members[0].user_id, p.id);
        let breakdown = comp.challenge_breakdown().await.expect("breakdown");
        let row = breakdown
            .challenges
            .iter()
            .find(|c| c.challenge_id == oneshot)
            .expect("breakdown row");
        assert_eq!(row.solves_count, 1);
        assert_eq!(row.first_blood_team_id, team.id);
        let attempts = p
            .client
            .challenges()
            .solve_attempts(oneshot)
            .competition_id(info.id.as_str())
            .await
            .expect("solve attempts");
        assert!(attempts.total_attempts >= 1);
    };
    result.await;
    drop_competition(&admin, info.id.as_str()).await;
}

#[tokio::test]
async fn virtual_replay_and_ghosts() {
    let env = live_env!();
    let admin = admin(env);
    let now = now_s();
    let past = admin
        .competitions()
        .create(format!("live-play-virtual-{}", hex()))
        .challenge_ids([env.var("QA_CHALLENGE_ID")])
        .starts_at(iso(now - 2 * 86_400))
        .ends_at(iso(now - 86_400))
        .status("published")
        .access("public")
        .await
        .expect("create a finished competition");
    let p = player(env, "virtual").await;
    let result = async {
        let replay = p
            .client
            .competitions()
            .start_virtual(&past.id)
            .await
            .expect("start virtual");
        assert_ne!(replay.id, past.id);
        let resumed = p
            .client
            .competitions()
            .start_virtual(&past.id)
            .await
            .unwrap();
        assert_eq!(resumed.id, replay.id, "a second call resumes the sitting");
        let ghosts = p
            .client
            .competitions()
            .ghosts(&replay.id)
            .await
            .expect("ghosts");
        assert_eq!(ghosts.source_competition_id, past.id);
        api_err(
            p.client.competitions().ghosts(&past.id).await,
            400,
            "not_a_virtual_sitting",
        );
        // A running competition with no window cannot be replayed.
        api_err(
            p.client
                .competitions()
                .start_virtual(env.var("COMPETITION_ID"))
                .await,
            400,
            "no_window",
        );
        replay.id
    };
    let replay = result.await;
    drop_competition(&admin, replay.as_str()).await;
    drop_competition(&admin, past.id.as_str()).await;
}

#[tokio::test]
async fn agent_actions_and_pulse() {
    let env = live_env!();
    let p = env.player();
    let cid = env.var("COMPETITION_ID");
    api_err(
        p.competitions().agent_actions(cid).await,
        403,
        "agent_pulse_off",
    );
    api_err(
        p.competitions().agent_pulse(cid).await,
        403,
        "agent_pulse_off",
    );

    let admin = admin(env);
    let info = admin
        .competitions()
        .create(format!("live-play-pulse-{}", hex()))
        .challenge_ids([env.var("QA_CHALLENGE_ID")])
        .status("published")
        .access("public")
        .agent_pulse(true)
        .await
        .expect("create");
    let result = async {
        let actions = p
            .competitions()
            .agent_actions(&info.id)
            .await
            .expect("agent actions");
        let pulse = p
            .competitions()
            .agent_pulse(&info.id)
            .limit(10)
            .await
            .expect("agent pulse");
        // No agent entrants: both feeds are empty.
        assert_eq!(actions.competition_id, info.id);
        assert_eq!(actions.entrants, 0);
        assert!(actions.rows.is_empty());
        assert_eq!(pulse.competition_id, info.id);
        assert_eq!(pulse.total, 0);
        assert!(pulse.lanes.is_empty());
    };
    result.await;
    drop_competition(&admin, info.id.as_str()).await;
}

#[tokio::test]
async fn competition_handle_is_clone_send_static() {
    fn owned<T: Clone + Send + Sync + 'static>(_: &T) {}
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let comp = env.player().competition(cid).unwrap();
    owned(&comp);
    owned(&comp.team());
    owned(&comp.team().invites());
    owned(&comp.team().requests());

    // The client is dropped: the handle owns what it needs.
    let moved = comp.clone();
    let detail = tokio::spawn(async move { moved.detail().await })
        .await
        .unwrap()
        .expect("detail from a spawned task");
    assert_eq!(detail.id, cid);
    let team = comp.team();
    let challenges = tokio::spawn(async move {
        let _ = team.competition_id();
        comp.challenges().await
    })
    .await
    .unwrap()
    .expect("challenges from a spawned task");
    assert_eq!(challenges.items.len(), 4);

    api_err(
        env.player()
            .competition("does-not-exist")
            .unwrap()
            .detail()
            .await,
        404,
        "http_404",
    );
    assert!(env.player().competition("..").is_err(), "invalid id");
}
