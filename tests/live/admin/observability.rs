//! `admin.observability` (all 7 reads) and `admin.settings` (list, set, unset: one obscure
//! setting is changed and restored at once).

use ctfy::Registration;
use ctfy::models::{AdminTimeseriesMetric, PlatformSettingInfoSource};
use serde_json::json;

use crate::admin_common::{admin, drop_competition, fresh_competition, fresh_user};
use crate::live_env;

#[tokio::test]
async fn observability_reads() {
    let env = live_env!();
    let admin = admin(env);
    let comp = fresh_competition(&admin, "adminobs", &[env.var("QA_CHALLENGE_ID")]).await;
    let player = fresh_user(env, "adminobs").await;
    let team = player
        .client
        .competition(comp.id.as_str())
        .unwrap()
        .register(Registration::Solo)
        .await
        .unwrap();
    let o = admin.observability();

    let overview = o.overview().await.unwrap();
    assert!(
        overview.nodes.total >= 1 && overview.nodes.healthy >= 1,
        "{:?}",
        overview.nodes
    );
    assert!(overview.users_total >= 3);
    assert!(overview.teams_total >= 2);
    let matrix = o.solve_matrix().await.unwrap();
    assert!(
        matrix
            .challenges
            .iter()
            .any(|c| c.challenge_id == env.var("WEB_CHALLENGE_ID"))
    );
    let flags = o.health_flags().await.unwrap();
    assert!(
        flags
            .unhealthy_nodes
            .iter()
            .all(|n| n.node_id != env.var("NODE_ID")),
        "the shared node is healthy: {flags:?}"
    );
    for metric in AdminTimeseriesMetric::KNOWN {
        let series = o
            .timeseries(*metric)
            .window(7200)
            .bucket(900)
            .await
            .unwrap();
        assert_eq!(series.metric.as_str(), *metric);
        assert_eq!((series.window_s, series.bucket_s), (7200, 900));
        assert_eq!(series.buckets.len(), 8, "{metric}");
    }
    let traffic = o.traffic_summary().await.unwrap();
    assert!(traffic.total_requests >= 0 && traffic.instances_total >= 0);

    let activities = o
        .activities()
        .team_id(team.id.as_str())
        .event("team_registered")
        .limit(10)
        .await
        .unwrap();
    assert_eq!(activities.items.len(), 1, "{activities:?}");
    assert_eq!(activities.items[0].team_id, team.id);
    let by_actor = o
        .activities()
        .actor_id(player.id.as_str())
        .limit(50)
        .await
        .unwrap();
    assert!(!by_actor.items.is_empty());
    let counts = o
        .activities_timeseries()
        .window(3600)
        .bucket(600)
        .await
        .unwrap();
    assert_eq!((counts.window_s, counts.bucket_s), (3600, 600));
    assert!(
        counts.events.iter().any(|e| e == "team_registered"),
        "{:?}",
        counts.events
    );
    drop_competition(&admin, comp.id.as_str()).await;
}

/// An int setting nothing in the test suite depends on (AWD probing).
const KEY: &str = "awd_probe_concurrency_per_node";

#[tokio::test]
async fn settings_read_write_and_restore() {
    let env = live_env!();
    let admin = admin(env);
    let before = admin
        .settings()
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.key == KEY)
        .expect("the setting exists");
    assert_eq!(before.r#type, "int");
    let original = before.value.as_i64().expect("an int");

    let set = admin.settings().set(KEY).value(json!(original + 1)).await;
    // restore before asserting anything: the platform is shared
    let restored = if before.source == Some(PlatformSettingInfoSource::Db) {
        admin.settings().set(KEY).value(before.value.clone()).await
    } else {
        admin.settings().unset(KEY).await
    };
    let set = set.unwrap();
    let restored = restored.unwrap();

    assert_eq!(set.key, KEY);
    assert_eq!(set.value, json!(original + 1));
    assert_eq!(set.source, Some(PlatformSettingInfoSource::Db));
    assert_eq!(restored.value, before.value);
    assert_eq!(restored.source, before.source);
    let after = admin
        .settings()
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.key == KEY)
        .unwrap();
    assert_eq!(after.value, before.value);

    let err = admin
        .settings()
        .set("no_such_setting")
        .value(json!(1))
        .await
        .unwrap_err();
    assert!(matches!(err.status(), Some(400 | 404 | 422)), "{err}");
}
