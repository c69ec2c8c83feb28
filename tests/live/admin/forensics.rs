//! `admin.instances` (list, get, traffic, pcap, storage, stop) on a live instance of this
//! test's own player, then `admin.records` (list, get, events, submissions, traffic, pcap,
//! container_log, instance_answers, trace_answer) of that instance once stopped.

use std::time::{Duration, Instant};

use ctfy::Registration;
use ctfy::models::InstanceStatus;
use futures::TryStreamExt;

use crate::admin_common::{admin, drop_competition, fresh_competition, fresh_user};
use crate::live_env;
use crate::support::capture_flag;

#[tokio::test]
async fn instance_admin_views_then_records_of_the_finished_instance() {
    let env = live_env!();
    let admin = admin(env);
    let web = env.var("WEB_CHALLENGE_ID");
    let comp = fresh_competition(&admin, "adminrec", &[web]).await;
    let player = fresh_user(env, "adminrec").await;
    let team = player
        .client
        .competition(comp.id.as_str())
        .unwrap()
        .register(Registration::Solo)
        .await
        .unwrap();
    let ready = player
        .client
        .instances()
        .start(web)
        .competition_id(comp.id.as_str())
        .await
        .unwrap();
    let id = ready.id.as_str().to_owned();

    // --- admin.instances on the running instance (only ever this test's own instance) ---
    let listed: Vec<_> = admin
        .instances()
        .list()
        .node_id(env.var("NODE_ID"))
        .status("ready")
        .stream()
        .try_collect()
        .await
        .unwrap();
    let mine = listed
        .iter()
        .find(|i| i.id == id)
        .expect("listed by node and status");
    assert_eq!(mine.team_id, team.id);
    let page = admin.instances().list().limit(500).await.unwrap();
    assert!(page.total.unwrap() >= 1);
    let info = admin.instances().get(id.as_str()).await.unwrap();
    assert_eq!(info.challenge_id, web);
    assert_eq!(info.team_id, team.id);
    assert_eq!(info.competition_id, comp.id);
    assert_eq!(info.node_id, env.var("NODE_ID"));
    let traffic = admin
        .instances()
        .traffic(id.as_str())
        .limit(50)
        .await
        .unwrap();
    assert!(
        traffic.flows.is_empty(),
        "the stand-in node captures no flows"
    );
    assert!(
        admin.instances().pcap(id.as_str()).await.unwrap().is_none(),
        "no capture: None"
    );
    let storage = admin.instances().storage().await.unwrap();
    assert!(
        storage
            .captures
            .iter()
            .any(|c| c.node_id == env.var("NODE_ID")),
        "{storage:?}"
    );

    // the minted answers, as the admin sees them and as the node serves them
    let answers = admin.records().instance_answers(id.as_str()).await.unwrap();
    assert_eq!(answers.instance_id, id);
    assert_eq!(answers.team_id, team.id);
    let flag = capture_flag(&ready, "flag").await;
    let revealed = answers
        .answers
        .iter()
        .find(|a| a.question_id == "flag")
        .expect("flag");
    assert_eq!(revealed.value, flag);
    assert!(answers.answers.iter().any(|a| a.question_id == "token"));

    let wrong = player
        .client
        .submissions()
        .submit(&ready.id, "FLAG{wrong}")
        .await
        .unwrap();
    assert!(!wrong.correct);
    let right = player
        .client
        .submissions()
        .submit(&ready.id, flag.as_str())
        .await
        .unwrap();
    assert!(right.correct);
    let trace = admin.records().trace_answer(flag.as_str()).await.unwrap();
    let hit = trace
        .hits
        .iter()
        .find(|h| h.instance_id == id)
        .expect("traced to the instance");
    assert_eq!(hit.question_id, "flag");
    assert_eq!(hit.team_id, team.id);
    let nobody = admin
        .records()
        .trace_answer("FLAG{never-minted}")
        .await
        .unwrap();
    assert!(nobody.hits.is_empty());

    let stopped = admin.instances().stop(id.as_str()).await.unwrap();
    assert_eq!(stopped.id, id);
    assert_eq!(stopped.status, InstanceStatus::Stopped);
    let err = admin.instances().get(id.as_str()).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");

    // --- admin.records of the finished instance ---
    let deadline = Instant::now() + Duration::from_secs(30);
    let record = loop {
        let page = admin
            .records()
            .list()
            .team_id(team.id.as_str())
            .challenge_id(web)
            .limit(10)
            .await
            .unwrap();
        if let Some(r) = page.items.into_iter().find(|r| r.id == id) {
            break r;
        }
        assert!(Instant::now() < deadline, "no record of {id}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(record.team_id, team.id);
    assert_eq!(record.node_id, env.var("NODE_ID"));
    let by_node = admin
        .records()
        .list()
        .node_id(env.var("NODE_ID"))
        .since_ts(info.started_at.as_secs_f64() - 1.0)
        .limit(1000)
        .await
        .unwrap();
    assert!(by_node.items.iter().any(|r| r.id == id));

    let detail = admin.records().get(id.as_str()).await.unwrap();
    assert_eq!(detail.record.id, id);
    assert_eq!(detail.record.challenge_id, web);
    assert_eq!(
        detail.artifacts.submissions_count, 2,
        "{:?}",
        detail.artifacts
    );
    assert_eq!(detail.artifacts.pcap_bytes, 0);

    let events = admin
        .records()
        .events(id.as_str())
        .limit(100)
        .await
        .unwrap();
    assert!(
        !events.items.is_empty(),
        "the record keeps the instance's events"
    );
    let subs = admin.records().submissions(id.as_str()).await.unwrap();
    assert_eq!(subs.items.len(), 2, "{subs:?}");
    let correct = subs
        .items
        .iter()
        .filter(|s| s.get("correct") == Some(&true.into()))
        .count();
    assert_eq!(correct, 1, "{subs:?}");
    let traffic = admin.records().traffic(id.as_str()).await.unwrap();
    assert!(traffic.items.is_empty());
    assert!(
        admin.records().pcap(id.as_str()).await.unwrap().is_none(),
        "empty capture: None"
    );
    let log = admin.records().container_log(id.as_str()).await.unwrap();
    assert!(log.to_string().contains("stand-in node"), "{log}");

    // the answers stay traceable in the record
    let trace = admin.records().trace_answer(flag.as_str()).await.unwrap();
    assert!(trace.hits.iter().any(|h| h.instance_id == id), "{trace:?}");
    let err = admin
        .records()
        .get("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    drop_competition(&admin, comp.id.as_str()).await;
}
