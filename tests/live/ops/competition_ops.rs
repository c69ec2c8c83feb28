//! Per-competition operator surfaces on a throwaway competition: invites, attachments,
//! applications, authoring reviewers, teams, registrations, reports (and the player
//! registration form and reports).

use ctfy::Registration;
use futures::TryStreamExt;

use super::common::{admin, api_err, cancel_task, competition, drop_competition, solo, tag, user};
use crate::live_env;
use ctfy::models::With;

#[tokio::test]
async fn competition_invites_by_user_and_by_email() {
    let env = live_env!();
    let admin = admin(env);
    let comp = competition(env, &admin, "invites").await;
    let invitee = user(env, "ops-invite").await;

    let by_user = admin
        .competition_invites()
        .invite(comp.as_str())
        .user_id(invitee.id.as_str())
        .reason("live ops")
        .await
        .unwrap();
    assert_eq!(by_user.user_id, invitee.id);
    assert!(!by_user.pending_signup);

    // No mail provider: an address with no account is kept as a pending sign-up.
    let pending = format!("live-ops-inv-{}+x@example.com", tag());
    let by_email = admin
        .competition_invites()
        .invite(comp.as_str())
        .email(pending.as_str())
        .await
        .unwrap();
    assert!(by_email.pending_signup);
    assert_eq!(by_email.email, pending);

    let bulk_a = format!("live-ops-bulk-{}@example.com", tag());
    let bulk = admin
        .competition_invites()
        .invite_bulk(comp.as_str())
        .emails(format!("{bulk_a}, not-an-email"))
        .await
        .unwrap();
    assert_eq!(bulk.pending, 1, "{bulk:?}");
    assert_eq!(bulk.invalid, 1, "{bulk:?}");

    let listed = admin
        .competition_invites()
        .list(comp.as_str())
        .limit(100)
        .await
        .unwrap();
    assert_eq!(listed.total, Some(3));

    let revoked = admin
        .competition_invites()
        .revoke(comp.as_str(), invitee.id.as_str())
        .await
        .unwrap();
    assert_eq!(revoked["status"], "revoked");
    // The address (with `@` and `+`) is one path segment, percent-encoded.
    let revoked = admin
        .competition_invites()
        .revoke_email(comp.as_str(), pending.as_str())
        .await
        .unwrap();
    assert_eq!(revoked["email"], pending);
    let left = admin
        .competition_invites()
        .list(comp.as_str())
        .await
        .unwrap();
    assert_eq!(left.total, Some(1));
    drop_competition(&admin, &comp).await;
}

#[tokio::test]
async fn competition_attachments_without_storage() {
    let env = live_env!();
    let admin = admin(env);
    let comp = competition(env, &admin, "attachments").await;
    let list = admin
        .competition_attachments()
        .list(comp.as_str())
        .await
        .unwrap();
    assert!(list.attachments.is_empty());
    assert!(!list.uploads_enabled);
    // The multipart upload reaches the route, which needs S3 storage.
    api_err(
        admin
            .competition_attachments()
            .upload(comp.as_str(), "rules.txt", "text/plain", &b"the rules"[..])
            .locale("en")
            .await,
        503,
        "storage_unavailable",
    );
    api_err(
        admin
            .competition_attachments()
            .update(comp.as_str(), "no-such-attachment")
            .position(1)
            .await,
        404,
        "competition_attachment_not_found",
    );
    api_err(
        admin
            .competition_attachments()
            .delete(comp.as_str(), "no-such-attachment")
            .await,
        404,
        "competition_attachment_not_found",
    );
    drop_competition(&admin, &comp).await;
}

#[tokio::test]
async fn applications_to_a_private_competition() {
    let env = live_env!();
    let admin = admin(env);
    let comp = admin
        .competitions()
        .create(format!("live-ops applications {}", tag()))
        .status("published")
        .access("private_listed")
        .challenge_ids([env.var("QA_CHALLENGE_ID")])
        .await
        .unwrap()
        .id;
    let yes = user(env, "ops-apply").await;
    let no = user(env, "ops-apply").await;
    for u in [&yes, &no] {
        u.client
            .competition(comp.as_str())
            .unwrap()
            .apply()
            .message("let me in")
            .await
            .unwrap();
    }
    let queue = admin
        .competition_applications()
        .list(comp.as_str())
        .status("pending")
        .await
        .unwrap();
    assert_eq!(queue.total, Some(2));
    let approved = admin
        .competition_applications()
        .approve(comp.as_str(), yes.id.as_str(), "approved")
        .note("welcome")
        .await
        .unwrap();
    assert_eq!(approved.status.to_string(), "approved");
    let rejected = admin
        .competition_applications()
        .reject(comp.as_str(), no.id.as_str(), "rejected")
        .note("sorry")
        .await
        .unwrap();
    assert_eq!(rejected.status.to_string(), "rejected");
    api_err(
        admin
            .competition_applications()
            .approve(comp.as_str(), admin_id(env), "approved")
            .await,
        404,
        "application_not_found",
    );
    drop_competition(&admin, comp.as_str()).await;
}

fn admin_id(env: &crate::support::LiveEnv) -> &str {
    env.var("ADMIN_USER_ID")
}

#[tokio::test]
async fn authoring_reviewers_grant_list_revoke() {
    let env = live_env!();
    let admin = admin(env);
    let comp = competition(env, &admin, "reviewers").await;
    let a = user(env, "ops-reviewer").await;
    let b = user(env, "ops-reviewer").await;
    let by_id = admin
        .authoring_reviewers()
        .grant(comp.as_str())
        .user_id(a.id.as_str())
        .await
        .unwrap();
    assert_eq!(by_id.user_id, a.id);
    let by_email = admin
        .authoring_reviewers()
        .grant(comp.as_str())
        .email(b.email.as_str())
        .await
        .unwrap();
    assert_eq!(by_email.user_id, b.id);
    let list = admin
        .authoring_reviewers()
        .list(comp.as_str())
        .limit(10)
        .await
        .unwrap();
    assert_eq!(list.total, Some(2));
    let revoked = admin
        .authoring_reviewers()
        .revoke(comp.as_str(), a.id.as_str())
        .await
        .unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(
        admin
            .authoring_reviewers()
            .list(comp.as_str())
            .await
            .unwrap()
            .total,
        Some(1)
    );
    drop_competition(&admin, &comp).await;
}

#[tokio::test]
async fn team_admin_ops_on_a_throwaway_team() {
    let env = live_env!();
    let admin = admin(env);
    let comp = competition(env, &admin, "teams").await;
    let captain = user(env, "ops-team").await;
    let mate = user(env, "ops-team").await;
    let team = captain
        .client
        .competition(comp.as_str())
        .unwrap()
        .register(Registration::Create {
            name: format!("live-ops team {}", tag()),
            description: String::new(),
        })
        .await
        .unwrap();
    let invite = captain
        .client
        .competition(comp.as_str())
        .unwrap()
        .team()
        .invites()
        .create()
        .max_uses(1)
        .await
        .unwrap();
    mate.client
        .competition(comp.as_str())
        .unwrap()
        .register(Registration::Join { code: invite.code })
        .await
        .unwrap();

    let rows = admin.teams().list(comp.as_str()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].member_count, 2);

    let new_name = format!("live-ops renamed {}", tag());
    let renamed = admin
        .teams()
        .rename(comp.as_str(), team.id.as_str())
        .name(new_name.as_str())
        .description("renamed by an operator")
        .await
        .unwrap();
    assert_eq!(renamed.name, new_name);
    let captained = admin
        .teams()
        .set_captain(comp.as_str(), team.id.as_str(), mate.id.as_str())
        .await
        .unwrap();
    assert_eq!(captained.captain_user_id, mate.id);

    // The reason must be at least 10 characters.
    api_err(
        admin
            .teams()
            .disqualify(comp.as_str(), team.id.as_str(), "short")
            .await,
        422,
        "validation_error",
    );
    let dq = admin
        .teams()
        .disqualify(comp.as_str(), team.id.as_str(), "live ops disqualification")
        .await
        .unwrap();
    assert!(dq.disqualified);
    let back = admin
        .teams()
        .reinstate(comp.as_str(), team.id.as_str())
        .await
        .unwrap();
    assert!(!back.disqualified);

    let after = admin
        .teams()
        .remove_member(comp.as_str(), team.id.as_str(), captain.id.as_str())
        .await
        .unwrap();
    assert_eq!(after.member_count, 1);
    drop_competition(&admin, &comp).await;
}

#[tokio::test]
async fn registrations_roster_review_edit_export_and_player_form() {
    let env = live_env!();
    let admin = admin(env);
    let comp = admin
        .competitions()
        .create(format!("live-ops registrations {}", tag()))
        .status("published")
        .access("public")
        .registration_review(true)
        .registration_fields(
            [("real_name", "optional"), ("organization", "optional")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.into()))
                .collect(),
        )
        .challenge_ids([env.var("QA_CHALLENGE_ID")])
        .await
        .unwrap()
        .id;
    let mut teams = Vec::new();
    let mut users = Vec::new();
    for _ in 0..3 {
        let u = user(env, "ops-reg").await;
        teams.push(solo(&u, comp.as_str()).await);
        users.push(u);
    }

    let summary = admin.registrations().summary(comp.as_str()).await.unwrap();
    assert_eq!(summary.total, 3);
    assert_eq!(summary.pending, 3);
    let page = admin
        .registrations()
        .roster(comp.as_str())
        .status("pending")
        .limit(2)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.total, Some(3));
    // roster_all walks every page (here: 3 pages of 1).
    let all: Vec<_> = admin
        .registrations()
        .roster_all(comp.as_str(), 1)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 3);

    let reviewed = admin
        .registrations()
        .review(comp.as_str(), teams[0].as_str(), "approved")
        .note("ok")
        .await
        .unwrap();
    assert_eq!(reviewed.review_status.to_string(), "approved");

    // The player's own form: read it, then fill it in.
    let player = &users[0].client;
    let mine = player.registration().get(comp.as_str()).await.unwrap();
    assert_eq!(mine.team_id, teams[0]);
    assert_eq!(mine.review_status.to_string(), "approved");
    let filled = player
        .registration()
        .submit(comp.as_str())
        .real_name("Live Ops One")
        .organization("Live Ops")
        .specialties(["web", "crypto"])
        .await
        .unwrap();
    assert_eq!(filled.real_name, "Live Ops One");

    // An organiser edits another member's form.
    let edit = ctfy::models::RegistrationSubmitRequest::default().with(|it| {
        it.real_name = Some("Live Ops Two".into());
    });
    let row = admin
        .registrations()
        .edit(comp.as_str(), users[1].id.as_str(), &edit)
        .await
        .unwrap();
    assert_eq!(row.team_id, teams[1]);

    let csv = admin
        .registrations()
        .export_csv(comp.as_str())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&csv.bytes);
    assert!(text.contains(&users[0].email), "{text}");
    assert!(text.contains("Live Ops One"), "{text}");
    assert!(csv.content_type.unwrap_or_default().contains("csv"));

    // Team logos need S3 storage.
    api_err(
        player
            .registration()
            .upload_team_logo(
                comp.as_str(),
                "logo.png",
                "image/png",
                &b"\x89PNG\r\n\x1a\n"[..],
            )
            .await,
        503,
        "storage_unavailable",
    );
    api_err(
        player
            .registration()
            .team_logo(comp.as_str(), teams[0].as_str())
            .await,
        404,
        "logo_not_found",
    );
    drop_competition(&admin, comp.as_str()).await;
}

#[tokio::test]
async fn reports_player_write_and_operator_review() {
    let env = live_env!();
    let admin = admin(env);
    let comp = admin
        .competitions()
        .create(format!("live-ops reports {}", tag()))
        .status("published")
        .access("public")
        .report_window_s(std::time::Duration::from_secs(3600))
        .challenge_ids([env.var("QA_CHALLENGE_ID")])
        .await
        .unwrap()
        .id;
    let qa = env.var("QA_CHALLENGE_ID");
    let author = user(env, "ops-report").await;
    let team = solo(&author, comp.as_str()).await;
    let reports = author.client.reports();

    api_err(
        reports.get(comp.as_str(), qa).await,
        404,
        "report_not_found",
    );
    let saved = reports
        .save(comp.as_str(), qa, "## Write-up\nlive ops")
        .await
        .unwrap();
    assert_eq!(saved.report.version, 1);
    assert_eq!(
        reports.get(comp.as_str(), qa).await.unwrap().content,
        "## Write-up\nlive ops"
    );
    let versions = reports.versions(comp.as_str(), qa).await.unwrap();
    assert_eq!(versions.versions.len(), 1);
    let mine = reports.mine(comp.as_str()).await.unwrap();
    assert_eq!(mine.competition_id, comp);
    let atts = reports.attachments(comp.as_str(), qa).await.unwrap();
    assert!(atts.attachments.is_empty() && !atts.uploads_enabled);
    api_err(
        reports
            .upload_attachment(
                comp.as_str(),
                qa,
                "shot.png",
                "image/png",
                &b"\x89PNG\r\n\x1a\n"[..],
            )
            .await,
        503,
        "storage_unavailable",
    );
    api_err(
        reports
            .attachment_bytes(comp.as_str(), qa, "no-such-attachment")
            .await,
        404,
        "attachment_not_found",
    );
    api_err(
        reports
            .delete_attachment(comp.as_str(), qa, "no-such-attachment")
            .await,
        404,
        "attachment_not_found",
    );
    reports.request_grading(comp.as_str(), qa).await.unwrap();
    let finalized = reports.finalize(comp.as_str(), qa).await.unwrap();
    assert!(finalized.report.finalized_at.is_some());
    let reopened = reports.reopen(comp.as_str(), qa).await.unwrap();
    assert!(reopened.report.finalized_at.is_none());

    // The operator side.
    let ops = admin.reports();
    let pipeline = ops.pipeline().await.unwrap();
    assert!(pipeline.max_per_tick > 0);
    let roster = ops.list(comp.as_str()).await.unwrap();
    assert!(roster.rows.iter().any(|r| r.team_id == team));
    let got = ops.get(comp.as_str(), team.as_str(), qa).await.unwrap();
    assert_eq!(got.versions.len(), 1);
    let grades = ops.grades(comp.as_str(), team.as_str(), qa).await.unwrap();
    assert!(grades.runs.is_empty(), "no grader configured");
    let atts = ops
        .attachments(comp.as_str(), team.as_str(), qa)
        .await
        .unwrap();
    assert!(atts.attachments.is_empty());
    api_err(
        ops.attachment_bytes(comp.as_str(), team.as_str(), qa, "no-such-attachment")
            .await,
        404,
        "attachment_not_found",
    );
    let claims = ops.claims(comp.as_str(), team.as_str(), qa).await.unwrap();
    assert_eq!(claims.total, 0);
    let row = ops
        .grade_now(comp.as_str(), team.as_str(), qa)
        .await
        .unwrap();
    assert_eq!(row.team_id, team);
    let task = ops.regrade(comp.as_str(), team.as_str(), qa).await.unwrap();
    assert_eq!(task.kind, "report_regrade");
    cancel_task(&admin, &task.id).await;
    drop_competition(&admin, comp.as_str()).await;
}
