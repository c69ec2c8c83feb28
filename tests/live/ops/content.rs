//! Platform-wide operator surfaces: changelog, series, institutions, email, scheduled jobs and
//! background tasks (and the player views of the changelog and series).

use std::collections::BTreeMap;

use super::common::{admin, api_err, cancel_task, tag, user};
use crate::live_env;
use ctfy::models::With;

fn en(text: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("en".to_owned(), text.to_owned())])
}

#[tokio::test]
async fn changelog_crud_announce_import_and_player_views() {
    let env = live_env!();
    let admin = admin(env);
    let slug = format!("live-ops-{}", tag());

    // `body.en` is the fallback locale: creating without it is refused.
    api_err(
        admin.changelog().create(format!("{slug}-x")).await,
        422,
        "missing_base_locale",
    );
    let entry = admin
        .changelog()
        .create(slug.as_str())
        .title(en("Live ops entry"))
        .summary(en("summary"))
        .body(en("body"))
        .version("0.0.0-live")
        .published(false)
        .await
        .unwrap();
    assert_eq!(entry.slug, slug);
    assert!(!entry.is_published);
    assert!(
        admin
            .changelog()
            .list()
            .await
            .unwrap()
            .iter()
            .any(|e| e.id == entry.id)
    );
    let updated = admin
        .changelog()
        .update(entry.id.as_str())
        .emoji("🧪")
        .await
        .unwrap();
    assert_eq!(updated.emoji, "🧪");

    // Announcing publishes it; players then see it.
    let announced = admin
        .changelog()
        .announce(entry.id.as_str())
        .severity("info")
        .await
        .unwrap();
    assert!(announced.entry.is_published && announced.entry.is_announced);

    let player = user(env, "ops-changelog").await;
    let page = player
        .client
        .changelog()
        .list()
        .page_size(50)
        .await
        .unwrap();
    assert!(
        page.entries.iter().any(|e| e.slug == slug),
        "published entry listed"
    );
    let latest = player.client.changelog().latest().await.unwrap();
    assert!(latest.latest_published_at.is_some());
    let seen = player.client.changelog().mark_seen().await.unwrap();
    assert!(seen.seen_at.is_some());
    assert!(!player.client.changelog().latest().await.unwrap().unseen);

    // An empty import changes nothing.
    let imported = admin.changelog().sync().entries(Vec::new()).await.unwrap();
    assert_eq!(imported.imported, 0);

    assert!(admin.changelog().delete(entry.id.as_str()).await.unwrap()["ok"]);
    assert!(
        !admin
            .changelog()
            .list()
            .await
            .unwrap()
            .iter()
            .any(|e| e.id == entry.id)
    );
}

#[tokio::test]
async fn series_crud_preview_and_ladder() {
    let env = live_env!();
    let admin = admin(env);
    let name = format!("live-ops series {}", tag());
    let config = ctfy::models::CompetitionSeriesConfig::default().with(|it| {
        it.name = Some(name.clone());
        it.enabled = Some(false);
    });
    let created = admin.series().create(&config).await.unwrap();
    assert_eq!(created.name, name);
    assert!(!created.enabled);
    let id = created.id.clone();
    assert_eq!(admin.series().get(id.as_str()).await.unwrap().id, id);
    assert!(
        admin
            .series()
            .list()
            .await
            .unwrap()
            .iter()
            .any(|s| s.id == id)
    );
    let renamed = config.with(|it| {
        it.name = Some(format!("{name} (renamed)"));
    });
    assert!(
        admin
            .series()
            .update(id.as_str(), &renamed)
            .await
            .unwrap()
            .name
            .ends_with("(renamed)")
    );
    // No `first_at`: the platform cannot compute the next occurrences.
    api_err(
        admin.series().preview(id.as_str()).await,
        400,
        "series_has_no_start",
    );

    let player = user(env, "ops-series").await;
    let ladder = player.client.series().ladder(id.as_str()).await.unwrap();
    assert_eq!(ladder.series_id, id);
    assert!(ladder.entries.is_empty());
    api_err(
        player
            .client
            .series()
            .ladder_history(id.as_str(), player.id.as_str())
            .await,
        404,
        "http_404",
    );

    admin.series().delete(id.as_str()).await.unwrap();
    api_err(
        admin.series().get(id.as_str()).await,
        404,
        "series_not_found",
    );
}

#[tokio::test]
async fn institutions_put_list_suggest_delete() {
    let env = live_env!();
    let admin = admin(env);
    let domain = format!("live-ops-{}.example.edu", tag());
    let put = admin
        .institutions()
        .put(domain.as_str())
        .names(en("Live Ops University"))
        .short_name("LOU")
        .kind("university")
        .await
        .unwrap();
    assert_eq!(put.domain, domain);
    assert_eq!(put.short_name, "LOU");
    assert!(
        admin
            .institutions()
            .list()
            .await
            .unwrap()
            .items
            .iter()
            .any(|i| i.domain == domain)
    );
    let suggestions = admin.institutions().suggest().limit(5).await.unwrap();
    assert!(suggestions.items.len() <= 5);
    let deleted = admin.institutions().delete(domain.as_str()).await.unwrap();
    assert_eq!(deleted.domain, domain);
}

#[tokio::test]
async fn email_templates_test_send_and_suppressions() {
    let env = live_env!();
    let admin = admin(env);
    let templates = admin.email().templates().await.unwrap();
    let first = templates.templates.first().expect("templates").name.clone();

    // No mail provider on the local platform: the test send is refused.
    api_err(
        admin
            .email()
            .send_test(first.as_str())
            .to("live-ops@example.com")
            .await,
        400,
        "http_400",
    );

    // The suppression list works without a provider. The address goes into the path
    // (`@` percent-encoded).
    let email = format!("live-ops-sup-{}@example.com", tag());
    let sup = admin
        .email()
        .suppress(email.as_str())
        .detail("live ops test")
        .await
        .unwrap();
    assert_eq!(sup.email, email);
    let list = admin.email().suppressions().limit(500).await.unwrap();
    assert!(list.items.iter().any(|s| s.email == email));
    assert!(admin.email().unsuppress(email.as_str()).await.unwrap()["removed"]);
    assert!(!admin.email().unsuppress(email.as_str()).await.unwrap()["removed"]);
}

#[tokio::test]
async fn scheduled_jobs_and_tasks() {
    let env = live_env!();
    let admin = admin(env);
    let jobs = admin.scheduled_jobs().list().await.unwrap();
    let job = jobs
        .iter()
        .find(|j| j.name == "account_deletion")
        .expect("account_deletion job");

    // Re-set the interval the job already has (no change to shared state).
    let same = admin
        .scheduled_jobs()
        .update("account_deletion")
        .interval_s(std::time::Duration::from_secs(
            job.interval_s.unsigned_abs(),
        ))
        .enabled(job.enabled)
        .await
        .unwrap();
    assert_eq!(same.interval_s, job.interval_s);
    api_err(
        admin.scheduled_jobs().run("no-such-job").await,
        404,
        "http_404",
    );

    let task = admin
        .scheduled_jobs()
        .run("account_deletion")
        .await
        .unwrap();
    assert_eq!(task.kind, "scheduled_job_run");
    let got = admin.tasks().get(task.id.as_str()).await.unwrap();
    assert_eq!(got.id, task.id);
    let logs = admin
        .tasks()
        .logs(task.id.as_str())
        .limit(10)
        .await
        .unwrap();
    assert!(logs.items.len() <= 10);
    let listed = admin
        .tasks()
        .list()
        .kind("scheduled_job_run")
        .limit(200)
        .await
        .unwrap();
    assert!(listed.items.iter().any(|t| t.id == task.id));
    let cancelled = admin.tasks().cancel(task.id.as_str()).await.unwrap();
    assert_eq!(cancelled.id, task.id);

    api_err(
        admin.tasks().submit().kind("no-such-kind").await,
        400,
        "http_400",
    );
    api_err(admin.tasks().get("no-such-task").await, 404, "http_404");
    cancel_task(&admin, &task.id).await;
}
