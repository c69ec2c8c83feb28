//! `me`: profile, visibility, notification preferences, inbox and announcements, export,
//! re-authentication, account deletion.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use ctfy::models::AnnouncementCreateSeverity;

use crate::account::common::{PASSWORD, admin, api_err, hex, register, with_token};
use crate::live_env;

#[tokio::test]
async fn profile_get_update_and_visibility() {
    let env = live_env!();
    let user = register(env, "me").await;
    let me = user.client.me();

    let before = me.get().await.unwrap();
    assert_eq!(before.display_name, user.display_name);
    assert!(before.bio.is_none());
    assert!(!before.is_admin);
    assert_eq!(before.role.as_str(), "user");
    assert!(before.competition_teams.is_empty());

    let links = BTreeMap::from([("github".to_owned(), "someone".to_owned())]);
    let after = me
        .update_profile()
        .bio("live account test")
        .country("FR")
        .website_url("https://example.com")
        .timezone("Europe/Paris")
        .social_links(links.clone())
        .await
        .unwrap();
    assert_eq!(after.bio.as_deref(), Some("live account test"));
    assert_eq!(after.country.as_deref(), Some("FR"));
    assert_eq!(after.website_url.as_deref(), Some("https://example.com"));
    assert_eq!(after.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(after.social_links, links);
    // Fields left out stay as they were.
    let again = me.update_profile().bio("second").await.unwrap();
    assert_eq!(again.bio.as_deref(), Some("second"));
    assert_eq!(again.country.as_deref(), Some("FR"));

    // An explicit null clears a field (Python's `update_profile(country=None)`); an empty
    // string would be refused for the country.
    let cleared = me
        .update_profile()
        .clear_country()
        .clear_website_url()
        .await
        .unwrap();
    assert_eq!(cleared.country, None);
    assert_eq!(cleared.website_url, None);
    assert_eq!(cleared.bio.as_deref(), Some("second"));
    api_err(
        me.update_profile().country("").await,
        422,
        Some("invalid_profile"),
    );

    // The public view shows it.
    let public = env.player().users().get(&user.id).await.unwrap();
    assert_eq!(public.bio.as_deref(), Some("second"));
    assert_eq!(public.display_name, user.display_name);

    // Visibility overrides are merged into the profile.
    let hidden = me
        .update_visibility(&BTreeMap::from([("bio".to_owned(), false)]))
        .await
        .unwrap();
    assert_eq!(hidden.profile_visibility.get("bio"), Some(&false));
    assert_eq!(
        me.get().await.unwrap().profile_visibility.get("bio"),
        Some(&false)
    );

    // A pf_ token with profile:write can edit; a read_only one cannot.
    let auth = user.client.auth();
    let ro = auth
        .mint_token()
        .label("ro")
        .template(ctfy::models::CreateFineGrainedTokenRequestTemplate::ReadOnly)
        .await
        .unwrap();
    let ro = with_token(env, &ro.token);
    assert_eq!(ro.me().get().await.unwrap().id, user.id);
    let err = ro.me().update_profile().bio("nope").await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("token_missing_scope"));
}

#[tokio::test]
async fn notification_preferences_set_and_clear() {
    let env = live_env!();
    let user = register(env, "prefs").await;
    let me = user.client.me();

    let prefs = me.notification_preferences().await.unwrap();
    let team = prefs.categories.iter().find(|c| c.id == "team").unwrap();
    let cell = &team.channels["email"];
    assert!(cell.effective && cell.default && !cell.explicit);

    let set = me
        .set_notification_preference("team", false)
        .channel("email")
        .await
        .unwrap();
    let cell = &set
        .categories
        .iter()
        .find(|c| c.id == "team")
        .unwrap()
        .channels["email"];
    assert!(!cell.effective && cell.explicit);

    let cleared = me
        .clear_notification_preference("team", "email")
        .await
        .unwrap();
    let cell = &cleared
        .categories
        .iter()
        .find(|c| c.id == "team")
        .unwrap()
        .channels["email"];
    assert!(cell.effective && !cell.explicit);

    // Security mail cannot be turned off; unknown categories are 404.
    let security = prefs
        .categories
        .iter()
        .find(|c| c.id == "security")
        .unwrap();
    assert!(security.forced);
    api_err(
        me.set_notification_preference("security", false).await,
        400,
        Some("http_400"),
    );
    let msg = api_err(
        me.set_notification_preference("no-such-category", false)
            .await,
        404,
        Some("http_404"),
    );
    assert_eq!(msg, "Unknown notification category");
}

#[tokio::test]
async fn inbox_and_announcements_read() {
    let env = live_env!();
    let admin = admin(env).await;
    let title = format!("live-account announcement {}", hex(8));
    let created = admin
        .admin()
        .announcements()
        .create(title.as_str())
        .body("Posted by the ctfy-rs live account tests.")
        .severity(AnnouncementCreateSeverity::Warning)
        .await
        .unwrap();
    assert_eq!(created.title, title);
    assert_eq!(created.severity, AnnouncementCreateSeverity::Warning);
    let announcement_id = created.id.clone();

    let outcome = async {
        let user = register(env, "inbox").await;
        let me = user.client.me();
        let inbox = me.inbox().await.unwrap();
        let ann = inbox
            .announcements
            .iter()
            .find(|a| a.id == created.id)
            .expect("the new announcement is in the inbox");
        assert!(!ann.is_read);
        assert!(inbox.unread_announcement_count >= 1);
        assert!(inbox.incoming_invites.is_empty());

        let read = me.read_announcement(&created.id).await.unwrap();
        assert_eq!(read["ok"], true);
        assert_eq!(read["new"], true);
        // Idempotent.
        let read = me.read_announcement(&created.id).await.unwrap();
        assert_eq!(read["new"], false);
        let inbox = me.inbox().await.unwrap();
        let ann = inbox
            .announcements
            .iter()
            .find(|a| a.id == created.id)
            .unwrap();
        assert!(ann.is_read);

        let msg = api_err(
            me.read_announcement("no-such-announcement").await,
            404,
            Some("announcement_not_found"),
        );
        assert!(msg.contains("no-such-announcement"), "{msg}");

        // A second user reads everything at once.
        let other = register(env, "inbox").await;
        let all = other.client.me().read_all_announcements().await.unwrap();
        assert_eq!(all["ok"], true);
        assert!(all["read_count"].as_i64().unwrap() >= 1, "{all:?}");
        let inbox = other.client.me().inbox().await.unwrap();
        assert_eq!(inbox.unread_announcement_count, 0);
        assert!(inbox.announcements.iter().all(|a| a.is_read));
    };
    // Remove the announcement whatever happened (a panic propagates after the cleanup).
    let res = AssertUnwindSafe(outcome).catch_unwind().await;
    let _ = admin.admin().announcements().delete(&announcement_id).await;
    if let Err(panic) = res {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn account_export_is_a_zip_download() {
    let env = live_env!();
    let user = register(env, "export").await;
    let file = user.client.me().export_account().await.unwrap();
    assert_eq!(file.content_type.as_deref(), Some("application/zip"));
    assert!(file.bytes.starts_with(b"PK"), "a zip archive");
    let name = file.filename.as_deref().unwrap();
    assert!(
        name.starts_with("ctfy-export-") && name.ends_with(".zip"),
        "{name}"
    );
    assert!(name.contains(&user.id), "{name}");
    // The archive names the user's own data (stored uncompressed names are readable).
    let text = String::from_utf8_lossy(&file.bytes);
    assert!(text.contains("user.json"), "user.json in the archive");
}

#[tokio::test]
async fn reauthenticate_and_email_codes() {
    let env = live_env!();
    let user = register(env, "reauth").await;
    let me = user.client.me();

    let opened = me
        .reauthenticate()
        .current_password(PASSWORD)
        .await
        .unwrap();
    assert_eq!(opened.window_seconds, 900);
    let msg = api_err(
        me.reauthenticate()
            .current_password("not-the-password")
            .await,
        401,
        Some("wrong_current_password"),
    );
    assert_eq!(msg, "Current password is incorrect");
    // A password account proves itself with its password, never with a mailed code.
    api_err(
        me.request_reauth_code().await,
        409,
        Some("reauth_proof_required"),
    );
    api_err(
        me.request_deletion_code().await,
        409,
        Some("deletion_proof_required"),
    );
}

#[tokio::test]
async fn delete_a_throwaway_account() {
    let env = live_env!();
    let user = register(env, "delete").await;
    let me = user.client.me();

    let msg = api_err(
        me.delete_account("not my name")
            .current_password(PASSWORD)
            .await,
        400,
        Some("wrong_confirmation"),
    );
    assert!(msg.contains("confirm_display_name"), "{msg}");
    api_err(
        me.delete_account(user.display_name.as_str())
            .current_password("not-the-password")
            .await,
        401,
        Some("wrong_current_password"),
    );

    let accepted = me
        .delete_account(user.display_name.as_str())
        .current_password(PASSWORD)
        .await
        .unwrap();
    // Scheduled behind the grace window; every token is revoked at once.
    assert!(!accepted.deleted);
    assert!(
        accepted.effective_at.ends_with('Z'),
        "{}",
        accepted.effective_at
    );
    let msg = api_err(me.get().await, 403, Some("http_403"));
    assert_eq!(msg, "Invalid or revoked token");
}
