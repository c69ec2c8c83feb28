//! Teams in a competition: registration (solo/create/join), invites (create, list, revoke,
//! send), direct invites (accept/decline), join requests (approve/reject), rename,
//! affiliation, kick, leave, search, and the application of a private_listed competition.

use ctfy::Registration;
use ctfy::models::platform::TeamInviteInfoKind;

use super::play_common::{admin, api_err, captain, drop_competition, hex, player};
use crate::live_env;

#[tokio::test]
async fn invite_code_join_list_revoke_and_leave() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let (_cap, comp, team) = captain(env, "invite", cid).await;
    let invites = comp.team().invites();

    let invite = invites
        .create()
        .max_uses(1)
        .ttl_seconds(std::time::Duration::from_secs(3600))
        .await
        .expect("mint invite");
    assert_eq!(invite.kind, TeamInviteInfoKind::Code);
    assert_eq!(invite.team_id, team.id);
    assert_eq!(invite.max_uses, 1);
    assert!(invite.active && !invite.code.is_empty());
    assert!(invite.expires_at.is_some());

    // The second player joins with the code.
    let member = player(env, "invitee").await;
    let mcomp = member.client.competition(cid).unwrap();
    let joined = mcomp
        .register(Registration::Join {
            code: invite.code.clone(),
        })
        .await
        .expect("join with code");
    assert_eq!(joined.id, team.id);
    assert_eq!(joined.member_count, 2);
    assert!(
        joined
            .members
            .iter()
            .any(|m| m.user_id == member.id && !m.is_captain)
    );
    // A used-up code cannot be redeemed again.
    let third = player(env, "late").await;
    let late = third
        .client
        .competition(cid)
        .unwrap()
        .register(Registration::Join {
            code: invite.code.clone(),
        })
        .await;
    assert!(late.is_err(), "a single-use code joined twice: {late:?}");
    // Creating a team while on one is refused.
    api_err(
        mcomp
            .register(Registration::Create {
                name: format!("play-dup-{}", hex()),
                description: String::new(),
            })
            .await,
        409,
        "already_member",
    );

    let listed = invites.list().await.expect("list invites");
    let row = listed
        .items
        .iter()
        .find(|i| i.id == invite.id)
        .expect("invite listed");
    assert_eq!(row.use_count, 1);
    // Members cannot manage invites.
    assert_eq!(
        mcomp.team().invites().list().await.unwrap_err().status(),
        Some(403)
    );

    let spare = invites.create().await.expect("second invite");
    let revoked = invites.revoke(&spare.id).await.expect("revoke");
    assert_eq!(revoked["status"], "revoked");
    let again = invites.revoke(&spare.id).await.expect("revoke twice");
    assert_eq!(again["status"], "already_revoked");
    let spare_row = invites.list().limit(100).await.unwrap();
    let spare_row = spare_row.items.iter().find(|i| i.id == spare.id).unwrap();
    assert!(spare_row.revoked_at.is_some() && !spare_row.active);
    api_err(
        invites.revoke("no-such-invite").await,
        404,
        "invite_not_found",
    );

    // The member leaves: the captain is alone again.
    mcomp.team().leave().await.expect("leave");
    let found = comp
        .search_teams()
        .q(team.id.as_str())
        .await
        .expect("search by id");
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].member_count, 1);
    assert!(mcomp.team().leave().await.is_err(), "left twice");
}

#[tokio::test]
async fn join_requests_approved_rejected_and_kick() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let (cap, comp, team) = captain(env, "requests", cid).await;

    // Search: by a part of the name (case-insensitive) and by id; a blank query finds nothing.
    let needle = team.name.to_uppercase();
    let hits = comp.search_teams().q(&needle[5..]).await.expect("search");
    assert!(hits.items.iter().any(|t| t.id == team.id));
    assert!(comp.search_teams().await.unwrap().items.is_empty());

    let asker = player(env, "asker").await;
    let acomp = asker.client.competition(cid).unwrap();
    let request = acomp
        .request_to_join(&team.id)
        .await
        .expect("request to join");
    assert_eq!(request.kind, TeamInviteInfoKind::JoinRequest);
    assert_eq!(request.team_id, team.id);
    assert_eq!(request.target_user_id, asker.id);
    api_err(
        acomp.request_to_join(&team.id).await,
        409,
        "request_already_pending",
    );
    api_err(
        acomp.request_to_join("no-such-team").await,
        404,
        "team_not_found",
    );
    // The captain sees it among the team's invites.
    let listed = comp.team().invites().list().await.unwrap();
    assert!(
        listed
            .items
            .iter()
            .any(|i| i.id == request.id && i.kind == TeamInviteInfoKind::JoinRequest)
    );

    let approved = comp
        .team()
        .requests()
        .approve(&request.id)
        .await
        .expect("approve");
    assert_eq!(approved.id, team.id);
    assert_eq!(approved.member_count, 2);
    assert!(approved.members.iter().any(|m| m.user_id == asker.id));
    api_err(
        acomp.request_to_join(&team.id).await,
        409,
        "already_on_team",
    );

    let other = player(env, "rejected").await;
    let ocomp = other.client.competition(cid).unwrap();
    let request = ocomp.request_to_join(&team.id).await.unwrap();
    let rejected = comp
        .team()
        .requests()
        .reject(&request.id)
        .await
        .expect("reject");
    assert_eq!(rejected["status"], "rejected");
    let again = comp.team().requests().reject(&request.id).await.unwrap();
    assert_eq!(again["status"], "already_revoked");
    // A code invite is not a join request.
    let code = comp.team().invites().create().await.unwrap();
    api_err(
        comp.team().requests().approve(&code.id).await,
        409,
        "wrong_invite_kind",
    );
    api_err(
        comp.team().requests().reject("no-such-request").await,
        404,
        "invite_not_found",
    );

    // The captain kicks the member; kicking oneself is refused.
    api_err(comp.team().kick(&cap.id).await, 400, "cannot_kick_self");
    comp.team().kick(&asker.id).await.expect("kick");
    let roster = comp.roster().await.expect("roster");
    let row = roster
        .teams
        .iter()
        .find(|t| t.team_id == team.id)
        .expect("team on the roster");
    assert_eq!(row.members.len(), 1);
    assert_eq!(row.captain_user_id, cap.id);
    assert!(comp.team().kick(&asker.id).await.is_err(), "kicked twice");
}

#[tokio::test]
async fn direct_invites_accept_and_decline() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let (cap, comp, team) = captain(env, "direct", cid).await;
    let invites = comp.team().invites();
    let guest = player(env, "guest").await;
    let stranger = player(env, "stranger").await;

    let invite = invites
        .send(guest.email.as_str())
        .await
        .expect("direct invite");
    assert_eq!(invite.kind, TeamInviteInfoKind::Direct);
    assert_eq!(invite.target_user_id, guest.id);
    api_err(
        invites.send(guest.email.as_str()).await,
        409,
        "invite_already_pending",
    );
    api_err(
        invites.send(cap.email.as_str()).await,
        400,
        "cannot_invite_self",
    );
    api_err(
        invites.send(format!("nobody-{}@example.com", hex())).await,
        404,
        "user_not_found",
    );
    // Only the named user may answer it.
    let scomp = stranger.client.competition(cid).unwrap();
    api_err(scomp.accept_invite(&invite.id).await, 403, "not_invited");
    api_err(scomp.decline_invite(&invite.id).await, 403, "not_invited");

    let gcomp = guest.client.competition(cid).unwrap();
    let joined = gcomp.accept_invite(&invite.id).await.expect("accept");
    assert_eq!(joined.id, team.id);
    assert_eq!(joined.member_count, 2);

    let declined_invite = invites.send(stranger.email.as_str()).await.unwrap();
    let declined = scomp
        .decline_invite(&declined_invite.id)
        .await
        .expect("decline");
    assert_eq!(declined["status"], "declined");
    let again = scomp.decline_invite(&declined_invite.id).await.unwrap();
    assert_eq!(again["status"], "already_revoked");
    // A code invite cannot be accepted as a direct one.
    let code = invites.create().await.unwrap();
    api_err(
        scomp.accept_invite(&code.id).await,
        409,
        "wrong_invite_kind",
    );
    // Someone already on a team cannot be invited.
    api_err(
        invites.send(env.var("PLAYER_EMAIL")).await,
        409,
        "already_on_team",
    );
}

#[tokio::test]
async fn rename_and_affiliation() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let (_cap, comp, team) = captain(env, "rename", cid).await;
    let name = format!("play-renamed-{}", hex());
    let renamed = comp
        .team()
        .rename()
        .name(name.as_str())
        .description("renamed by the live test")
        .await
        .expect("rename");
    assert_eq!(renamed.id, team.id);
    assert_eq!(renamed.name, name);
    assert_eq!(renamed.description, "renamed by the live test");
    // An empty rename changes nothing.
    let same = comp.team().rename().await.expect("empty rename");
    assert_eq!(same.name, name);

    let aff = comp.team().affiliation().await.expect("affiliation");
    assert_eq!(aff.domain, "");
    assert!(aff.affiliation.is_none() && aff.choices.is_empty());
    // No member publishes an institution (that needs a verified institutional mailbox).
    api_err(
        comp.team().set_affiliation("example.com").await,
        409,
        "affiliation_not_published",
    );
    let cleared = comp.team().clear_affiliation().await.expect("clear");
    assert_eq!(cleared.domain, "");

    // A member (not the captain) cannot rename.
    let invite = comp.team().invites().create().await.unwrap();
    let member = player(env, "member").await;
    let mcomp = member.client.competition(cid).unwrap();
    mcomp
        .register(Registration::Join { code: invite.code })
        .await
        .unwrap();
    assert_eq!(
        mcomp
            .team()
            .rename()
            .name("nope")
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    assert_eq!(
        mcomp.team().affiliation().await.unwrap_err().status(),
        Some(403)
    );
}

#[tokio::test]
async fn solo_registration_is_idempotent() {
    let env = live_env!();
    let p = player(env, "solo").await;
    let comp = p.client.competition(env.var("COMPETITION_ID")).unwrap();
    let first = comp.register(Registration::Solo).await.expect("solo");
    assert_eq!(first.member_count, 1);
    assert_eq!(first.captain_user_id, p.id);
    let second = comp.register(Registration::Solo).await.expect("solo again");
    assert_eq!(second.id, first.id);
    // The lone member leaves: the team is gone.
    comp.team().leave().await.expect("leave");
    let found = comp.search_teams().q(first.id.as_str()).await.unwrap();
    assert!(found.items.is_empty(), "{found:?}");
}

#[tokio::test]
async fn application_to_a_private_listed_competition() {
    let env = live_env!();
    let admin = admin(env);
    let info = admin
        .competitions()
        .create(format!("live-play-apply-{}", hex()))
        .challenge_ids([env.var("QA_CHALLENGE_ID")])
        .status("published")
        .access("private_listed")
        .await
        .expect("create private_listed competition");
    let p = player(env, "apply").await;
    let comp = p.client.competition(&info.id).unwrap();

    let result = async {
        assert!(comp.application().await.expect("no application").is_none());
        let made = comp
            .apply()
            .message("please let me in")
            .await
            .expect("apply");
        assert_eq!(made.competition_id, info.id);
        assert_eq!(made.message, "please let me in");
        assert_eq!(made.status.as_str(), "pending");
        // An upsert: a pending application takes a new message.
        let edited = comp
            .apply()
            .message("  edited  ")
            .await
            .expect("apply again");
        assert_eq!(edited.message, "edited");
        assert_eq!(edited.created_at, made.created_at);
        let now = comp.application().await.unwrap().expect("application");
        assert_eq!(now.message, "edited");
        comp.withdraw_application().await.expect("withdraw");
        assert!(comp.application().await.unwrap().is_none());
        api_err(
            comp.withdraw_application().await,
            404,
            "application_not_found",
        );

        // The open harness competition needs no application.
        let open = p.client.competition(env.var("COMPETITION_ID")).unwrap();
        assert!(open.application().await.unwrap().is_none());
        api_err(open.apply().await, 409, "application_not_needed");
    };
    result.await;
    drop_competition(&admin, info.id.as_str()).await;
}
