//! `admin.competitions` (formats, create, list, update, registrations, records,
//! authoring_scale, delete), `admin.competition_admins` (grant, list, revoke),
//! `admin.announcements` (create, list, update, delete) and `admin.achievements` (grant,
//! revoke), each on a competition, users and announcements of its own.

use ctfy::models::{
    AnnouncementCreateSeverity, CompetitionAdminInfoRole, CompetitionCreateStatus, CompetitionInfo,
};
use ctfy::{AdminClient, Registration};
use futures::TryStreamExt;

use crate::admin_common::{admin, drop_competition, fresh_competition, fresh_user, hex};
use crate::live_env;

async fn listed(admin: &AdminClient, id: &str) -> Option<CompetitionInfo> {
    let all: Vec<CompetitionInfo> = admin
        .competitions()
        .list()
        .limit(200)
        .stream()
        .try_collect()
        .await
        .unwrap();
    all.into_iter().find(|c| c.id == id)
}

#[tokio::test]
async fn competition_lifecycle_registrations_records_and_delete() {
    let env = live_env!();
    let admin = admin(env);
    let qa = env.var("QA_CHALLENGE_ID");
    let web = env.var("WEB_CHALLENGE_ID");

    let formats = admin.competitions().formats().await.unwrap();
    assert!(
        formats.iter().any(|f| f.id == "jeopardy_flags"),
        "{formats:?}"
    );

    let title = format!("live-admin-comp-{}", hex());
    let created = admin
        .competitions()
        .create(title.as_str())
        .description([("en".to_owned(), "draft of a live test".to_owned())].into())
        .challenge_ids([qa])
        .max_team_size(3)
        .await
        .unwrap();
    let id = created.id.clone();
    assert_eq!(created.title, title);
    assert_eq!(
        created.status,
        CompetitionCreateStatus::Draft,
        "draft by default"
    );
    assert_eq!(created.challenge_ids, vec![qa.to_owned()]);
    assert_eq!(
        created.description.get("en").map(String::as_str),
        Some("draft of a live test")
    );
    let found = listed(&admin, id.as_str())
        .await
        .expect("the new competition is listed");
    assert_eq!(found.title, title);

    // a draft is hidden from players
    let player = fresh_user(env, "admincomp").await;
    let err = player
        .client
        .competitions()
        .get(id.as_str())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");

    let renamed = format!("{title}-published");
    let updated = admin
        .competitions()
        .update(id.as_str())
        .title(renamed.as_str())
        .status("published")
        .challenge_ids([qa, web])
        .await
        .unwrap();
    assert_eq!(updated.title, renamed);
    assert_eq!(updated.status, CompetitionCreateStatus::Published);
    assert_eq!(updated.challenge_ids, vec![qa.to_owned(), web.to_owned()]);
    assert_eq!(
        player
            .client
            .competitions()
            .get(id.as_str())
            .await
            .unwrap()
            .title,
        renamed
    );

    let team = player
        .client
        .competition(id.as_str())
        .unwrap()
        .register(Registration::Solo)
        .await
        .unwrap();
    let regs = admin
        .competitions()
        .registrations(id.as_str())
        .await
        .unwrap();
    assert_eq!(regs.total, Some(1));
    assert_eq!(regs.items[0].team_id, team.id);

    let records = admin.competitions().records(id.as_str()).await.unwrap();
    assert_eq!(records.competition_id, id);
    assert_eq!(records.title, renamed);
    assert_eq!(records.challenge_ids, vec![qa.to_owned(), web.to_owned()]);
    assert!(
        records.teams.iter().any(|t| t.id == team.id),
        "{:?}",
        records.teams
    );

    let scale = admin
        .competitions()
        .authoring_scale(id.as_str())
        .await
        .unwrap();
    assert!(!scale.scored, "no authoring: {scale:?}");

    let deleted = admin.competitions().delete(id.as_str()).await.unwrap();
    assert!(!deleted.is_empty(), "{deleted:?}");
    assert!(
        listed(&admin, id.as_str()).await.is_none(),
        "deleted competitions are not listed"
    );
    let err = admin.competitions().records(id.as_str()).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
}

#[tokio::test]
async fn competition_admins_grant_list_revoke() {
    let env = live_env!();
    let admin = admin(env);
    let comp = fresh_competition(&admin, "admincadm", &[env.var("QA_CHALLENGE_ID")]).await;
    let helper = fresh_user(env, "admincadm").await;
    let reviewer = fresh_user(env, "admincadm").await;

    let granted = admin
        .competition_admins()
        .grant(comp.id.as_str())
        .user_id(helper.id.as_str())
        .role("admin")
        .reason("live test")
        .await
        .unwrap();
    assert_eq!(granted.user_id, helper.id);
    assert_eq!(granted.role, CompetitionAdminInfoRole::Admin);
    assert_eq!(granted.granted_by, env.var("ADMIN_USER_ID"));
    let by_email = admin
        .competition_admins()
        .grant(comp.id.as_str())
        .email(reviewer.email.as_str())
        .role(CompetitionAdminInfoRole::Reviewer)
        .await
        .unwrap();
    assert_eq!(by_email.user_id, reviewer.id);
    assert_eq!(by_email.role, CompetitionAdminInfoRole::Reviewer);

    let list = admin
        .competition_admins()
        .list(comp.id.as_str())
        .await
        .unwrap();
    let mut ids: Vec<_> = list.items.iter().map(|a| a.user_id.clone()).collect();
    ids.sort();
    let mut want = vec![helper.id.clone(), reviewer.id.clone()];
    want.sort();
    assert_eq!(ids, want, "{list:?}");

    let revoked = admin
        .competition_admins()
        .revoke(comp.id.as_str(), helper.id.as_str())
        .await
        .unwrap();
    assert!(!revoked.is_empty(), "{revoked:?}");
    admin
        .competition_admins()
        .revoke(comp.id.as_str(), reviewer.id.as_str())
        .await
        .unwrap();
    let list = admin
        .competition_admins()
        .list(comp.id.as_str())
        .limit(10)
        .await
        .unwrap();
    assert!(list.items.is_empty(), "{list:?}");
    drop_competition(&admin, comp.id.as_str()).await;
}

#[tokio::test]
async fn announcements_create_list_update_delete() {
    let env = live_env!();
    let admin = admin(env);
    let title = format!("live-admin-ann-{}", hex());
    let created = admin
        .announcements()
        .create(title.as_str())
        .body("posted by a ctfy-rs live test")
        .severity("warning")
        .await
        .unwrap();
    assert_eq!(created.title, title);
    assert_eq!(created.severity, AnnouncementCreateSeverity::Warning);
    assert_eq!(created.created_by, env.var("ADMIN_USER_ID"));
    let id = created.id.clone();

    let all: Vec<_> = admin
        .announcements()
        .list()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(all.iter().any(|a| a.id == id));

    let updated = admin
        .announcements()
        .update(id.as_str())
        .title(format!("{title}-edited"))
        .severity(AnnouncementCreateSeverity::Critical)
        .await
        .unwrap();
    assert_eq!(updated.title, format!("{title}-edited"));
    assert_eq!(updated.severity, AnnouncementCreateSeverity::Critical);
    assert_eq!(
        updated.body, "posted by a ctfy-rs live test",
        "PATCH keeps the rest"
    );

    let deleted = admin.announcements().delete(id.as_str()).await.unwrap();
    assert!(!deleted.is_empty(), "{deleted:?}");
    let all: Vec<_> = admin
        .announcements()
        .list()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(!all.iter().any(|a| a.id == id));
    let err = admin.announcements().delete(id.as_str()).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
}

#[tokio::test]
async fn achievements_grant_and_revoke_on_a_team() {
    let env = live_env!();
    let admin = admin(env);
    let comp = fresh_competition(&admin, "adminach", &[env.var("QA_CHALLENGE_ID")]).await;
    let player = fresh_user(env, "adminach").await;
    let team = player
        .client
        .competition(comp.id.as_str())
        .unwrap()
        .register(Registration::Solo)
        .await
        .unwrap();

    let granted = admin
        .achievements()
        .grant(team.id.as_str(), "first_blood_team")
        .await
        .unwrap();
    assert_eq!(granted.achievement_id, "first_blood_team");
    assert!(granted.unlocked_at.is_some());
    assert!(granted.points > 0);
    let again = admin
        .achievements()
        .grant(team.id.as_str(), "first_blood_team")
        .await
        .unwrap();
    assert_eq!(
        again.unlocked_at, granted.unlocked_at,
        "granting is idempotent"
    );
    let err = admin
        .achievements()
        .grant(team.id.as_str(), "no-such-achievement")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");

    admin
        .achievements()
        .revoke(team.id.as_str(), "first_blood_team")
        .await
        .unwrap();
    // revoking is idempotent too (204 either way)
    admin
        .achievements()
        .revoke(team.id.as_str(), "first_blood_team")
        .await
        .unwrap();
    let regranted = admin
        .achievements()
        .grant(team.id.as_str(), "first_blood_team")
        .await
        .unwrap();
    assert!(regranted.unlocked_at >= granted.unlocked_at);
    admin
        .achievements()
        .revoke(team.id.as_str(), "first_blood_team")
        .await
        .unwrap();
    drop_competition(&admin, comp.id.as_str()).await;
}
