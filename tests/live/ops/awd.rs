//! Attack-with-defence matches: an operator configures a match on a throwaway competition;
//! every read view answers before the arena exists. Provisioning, ticks, VPN peers and
//! gameboxes need match networks on Docker nodes (see the list at the top of the binary).

use super::common::{admin, api_err, cancel_task, competition, drop_competition, solo, user};
use crate::live_env;

#[tokio::test]
async fn awd_on_a_non_match_competition_is_refused() {
    let env = live_env!();
    let admin = admin(env);
    let comp = competition(env, &admin, "awd-none").await;
    let player = user(env, "ops-awd").await;
    solo(&player, &comp).await;
    api_err(
        admin.awd().get(comp.as_str()).await,
        404,
        "awd_match_not_found",
    );
    api_err(
        admin.awd().plan(comp.as_str()).await,
        409,
        "awd_provision_refused",
    );
    let awd = player.client.awd();
    api_err(awd.board(comp.as_str()).await, 400, "not_an_awd_match");
    api_err(awd.match_(comp.as_str()).await, 400, "not_an_awd_match");
    api_err(
        awd.submit_flags(comp.as_str(), ["FLAG{x}"]).await,
        400,
        "not_an_awd_match",
    );
    drop_competition(&admin, &comp).await;
}

#[tokio::test]
async fn awd_match_configure_views_and_delete() {
    let env = live_env!();
    let admin = admin(env);
    let comp = competition(env, &admin, "awd").await;
    let player = user(env, "ops-awd").await;
    let team = solo(&player, &comp).await;
    let ops = admin.awd();

    // Without a gamebox challenge first.
    let m = ops
        .configure(comp.as_str(), 3, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(m.tick_count, 3);
    api_err(
        ops.grade_forensics(comp.as_str()).await,
        409,
        "awd_match_has_no_gamebox",
    );
    api_err(
        ops.start_anyway(comp.as_str()).await,
        409,
        "awd_kickoff_not_held",
    );

    let m = ops
        .configure(comp.as_str(), 3, std::time::Duration::from_secs(60))
        .challenge_id(env.var("WEB_CHALLENGE_ID"))
        .await
        .unwrap();
    assert_eq!(m.challenge_id, env.var("WEB_CHALLENGE_ID"));
    assert_eq!(ops.get(comp.as_str()).await.unwrap().tick_seconds, 60);
    let plan = ops.plan(comp.as_str()).await.unwrap();
    assert_eq!(plan.to_start, vec![team.clone()]);
    assert!(
        ops.arena_peers(comp.as_str())
            .await
            .unwrap()
            .peers
            .is_empty()
    );
    api_err(
        ops.corroboration(comp.as_str(), 99).await,
        400,
        "awd_tick_out_of_range",
    );
    let anchor = ops.defence_anchor(comp.as_str()).await.unwrap();
    assert_eq!(anchor.rounds_finished, 0);
    let sla = ops
        .sla_history(comp.as_str())
        .team_id(team.as_str())
        .await
        .unwrap();
    assert!(sla.is_match);
    assert_eq!(
        ops.attack_anchor(comp.as_str())
            .await
            .unwrap()
            .rounds_finished,
        0
    );
    let forensics = ops.forensics(comp.as_str()).await.unwrap();
    assert_eq!(forensics.challenge_id, env.var("WEB_CHALLENGE_ID"));

    // Player views before the first tick.
    let awd = player.client.awd();
    assert_eq!(
        awd.board(comp.as_str()).tick(0).await.unwrap().rows.len(),
        0
    );
    assert_eq!(
        awd.history(comp.as_str()).top(5).await.unwrap().last_tick,
        -1
    );
    assert!(
        awd.events(comp.as_str())
            .limit(10)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    let matrix = awd.attack_matrix(comp.as_str()).await.unwrap();
    assert_eq!(matrix.team_ids, vec![team.clone()]);
    let timeline = awd.defence_timeline(comp.as_str()).await.unwrap();
    assert_eq!(timeline.rows.len(), 1);
    let status = awd.match_(comp.as_str()).await.unwrap();
    assert_eq!(status.tick_count, 3);
    let sent = awd
        .submit_flags(comp.as_str(), ["FLAG{nope}"])
        .await
        .unwrap();
    assert_eq!(
        sent.results[0]
            .verdict
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("no_tick")
    );
    assert!(awd.arena_peer(comp.as_str()).await.unwrap().peer.is_none());
    assert!(!awd.revoke_vpn(comp.as_str()).await.unwrap()["revoked"]);
    api_err(
        awd.probe_arena_peer(comp.as_str()).await,
        409,
        "awd_no_peer",
    );
    api_err(
        awd.vpn(comp.as_str()).public_key("cGxheWVyLWtleQ==").await,
        409,
        "awd_arena_not_provisioned",
    );
    // The stand-in catalog has no gamebox service definitions.
    api_err(awd.targets(comp.as_str()).await, 409, "awd_gamebox_missing");
    api_err(
        awd.ssh_credential(comp.as_str()).await,
        503,
        "ssh_bastion_unavailable",
    );
    api_err(
        awd.transcript(comp.as_str(), "no-such-call").await,
        403,
        "agent_pulse_off",
    );

    // Provisioning and teardown only queue tasks (no match network here): cancel them.
    let task = ops.provision(comp.as_str()).await.unwrap();
    assert_eq!(task.kind, "awd_provision");
    cancel_task(&admin, &task.id).await;
    let task = ops.teardown(comp.as_str()).await.unwrap();
    assert_eq!(task.kind, "awd_teardown");
    cancel_task(&admin, &task.id).await;

    ops.delete(comp.as_str()).await.unwrap();
    api_err(ops.get(comp.as_str()).await, 404, "awd_match_not_found");
    drop_competition(&admin, &comp).await;
}
