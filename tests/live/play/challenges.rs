//! The catalog: list, get, facets, attachments, solve attempts, feedback chips.

use ctfy::PlatformClient;

use super::play_common::{api_err, fixtures, player};
use crate::live_env;

#[tokio::test]
async fn catalog_get_facets_and_attachments() {
    let env = live_env!();
    let cid = env.var("COMPETITION_ID");
    let p = env.player();
    let [web, oneshot, qa, fail] = fixtures(env);

    // The catalog is readable anonymously too.
    let anon = PlatformClient::new(env.url(), "").unwrap();
    let all = anon
        .challenges()
        .list()
        .limit(500)
        .await
        .expect("anonymous catalog");
    for id in [web, oneshot, qa, fail] {
        assert!(all.items.iter().any(|c| c.id == id), "{id} missing");
    }
    let page = p
        .challenges()
        .list()
        .limit(2)
        .offset(1)
        .await
        .expect("page");
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.offset, 1);
    let misc = p
        .challenges()
        .list()
        .competition_id(cid)
        .category("misc")
        .await
        .expect("filtered");
    assert!(misc.items.iter().any(|c| c.id == qa));
    assert!(misc.items.iter().all(|c| c.id != web));
    let q = p.challenges().list().q("quickstart").await.unwrap();
    assert!(q.items.iter().any(|c| c.id == web), "{q:?}");

    let got = p
        .challenges()
        .get(web)
        .competition_id(cid)
        .await
        .expect("get");
    assert_eq!(got.id, web);
    let qids: Vec<_> = got.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(qids, ["flag", "token"]);
    let qa_info = p.challenges().get(qa).await.unwrap();
    assert!(qa_info.is_qa_only);
    api_err(
        p.challenges().get("NOPE-404").await,
        404,
        "challenge_not_found",
    );

    let facets = p.challenges().facets().await.expect("facets");
    assert!(facets.total >= 4);
    assert!(
        facets
            .category
            .iter()
            .any(|f| f.value == "misc" && f.total >= 1)
    );
    let scoped = p.challenges().facets().competition_id(cid).await.unwrap();
    assert_eq!(scoped.total, 4);

    // The fixtures ship no attachments: the list is empty and a download is a 404.
    let files = p.challenges().attachments(web).await.expect("attachments");
    assert!(files.files.is_empty());
    let missing = p
        .challenges()
        .download_attachment(web, "missing.txt")
        .await
        .expect_err("no such attachment");
    assert_eq!(missing.status(), Some(404));
    api_err(
        p.challenges().attachments("NOPE-404").await,
        404,
        "challenge_not_found",
    );

    let attempts = p
        .challenges()
        .solve_attempts(web)
        .competition_id(cid)
        .include_unsolved(true)
        .limit(20)
        .await
        .expect("solve attempts");
    assert_eq!(attempts.challenge_id, web);
}

#[tokio::test]
async fn feedback_reactions() {
    let env = live_env!();
    let qa = env.var("QA_CHALLENGE_ID");
    let p = player(env, "feedback").await;
    let ch = p.client.challenges();

    let none = ch.my_reactions(qa).await.expect("my reactions");
    assert!(none.reactions.is_empty() && none.updated_at.is_none());
    let one = ch.add_reaction(qa, "learned").await.expect("add");
    let names: Vec<_> = one.reactions.iter().map(|r| r.as_str()).collect();
    assert_eq!(names, ["learned"]);
    let two = ch.add_reaction(qa, "brutal").await.expect("add second");
    assert_eq!(two.reactions.len(), 2);
    assert!(two.updated_at.is_some());
    // Idempotent.
    assert_eq!(
        ch.add_reaction(qa, "brutal").await.unwrap().reactions.len(),
        2
    );

    let stats = ch.feedback_stats(qa).await.expect("stats");
    assert_eq!(stats.challenge_id, qa);
    assert_eq!(stats.counts.len(), 9, "dense over every reaction");
    assert!(stats.counts["learned"] >= 1 && stats.counts["brutal"] >= 1);
    assert!(stats.total >= 2);

    ch.remove_reaction(qa, "learned").await.expect("remove");
    ch.remove_reaction(qa, "learned")
        .await
        .expect("remove twice");
    let left = ch.my_reactions(qa).await.unwrap();
    let names: Vec<_> = left.reactions.iter().map(|r| r.as_str()).collect();
    assert_eq!(names, ["brutal"]);
    ch.clear_reactions(qa).await.expect("clear");
    assert!(ch.my_reactions(qa).await.unwrap().reactions.is_empty());

    let bad = ch
        .add_reaction(qa, "meh")
        .await
        .expect_err("unknown reaction");
    assert_eq!(bad.status(), Some(422));
}
