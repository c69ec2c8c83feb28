//! Community authoring: a player uploads a challenge tree (multipart), operators review,
//! publish, curate and revise it (`admin.authored_challenges`,
//! `admin.competition_authored_challenges`, player `authoring`).

use super::common::{admin, api_err, cancel_task, drop_competition, solo, tag, user};
use crate::live_env;

const V1: &[u8] = include_bytes!("fixtures/authored-v1.tar.gz");
const V2: &[u8] = include_bytes!("fixtures/authored-v2.tar.gz");

#[tokio::test]
async fn authoring_templates_and_refusals() {
    let env = live_env!();
    let player = user(env, "ops-author").await;
    let authoring = player.client.authoring();
    // Web needs a stack.
    api_err(authoring.template().await, 400, "invalid_template");
    api_err(authoring.template_manifest().await, 400, "invalid_template");
    let tpl = authoring.template().category("misc").await.unwrap();
    assert_eq!(&tpl.bytes[..2], b"\x1f\x8b", "a gzip tarball");
    let manifest = authoring
        .template_manifest()
        .category("web")
        .stack("python-flask")
        .await
        .unwrap();
    assert!(manifest.files.iter().any(|f| f.path == "metadata.yaml"));

    // An unverified address may not upload.
    let admin = admin(env);
    let comp = admin
        .competitions()
        .create(format!("live-ops authoring refusals {}", tag()))
        .status("published")
        .access("public")
        .authoring_enabled(true)
        .challenge_ids([env.var("QA_CHALLENGE_ID")])
        .await
        .unwrap()
        .id;
    solo(&player, comp.as_str()).await;
    api_err(
        authoring
            .upload(comp.as_str(), "c.tar.gz", "application/gzip", V1, "refused")
            .await,
        403,
        "authoring_requires_verified_email",
    );
    drop_competition(&admin, comp.as_str()).await;
}

#[tokio::test]
async fn authored_challenge_full_review_cycle() {
    let env = live_env!();
    let admin = admin(env);
    let comp = admin
        .competitions()
        .create(format!("live-ops authoring {}", tag()))
        .status("published")
        .access("public")
        .authoring_enabled(true)
        .challenge_ids([env.var("QA_CHALLENGE_ID")])
        .await
        .unwrap()
        .id;
    let author = user(env, "ops-author").await;
    admin
        .users()
        .verify_email(author.id.as_str())
        .await
        .unwrap();
    solo(&author, comp.as_str()).await;
    let authoring = author.client.authoring();

    let slug = format!("live-ops-{}", tag());
    let up = authoring
        .upload(
            comp.as_str(),
            "chal.tar.gz",
            "application/gzip",
            V1,
            slug.as_str(),
        )
        .await
        .unwrap();
    assert_eq!(up.slug, slug);
    assert_eq!(up.files, vec!["metadata.yaml".to_owned()]);
    let cid = up.id.clone();
    assert!(
        authoring
            .list(comp.as_str())
            .await
            .unwrap()
            .iter()
            .any(|r| r.id == cid)
    );
    assert_eq!(
        authoring
            .audit(comp.as_str(), cid.as_str())
            .await
            .unwrap()
            .outcome
            .to_string(),
        "ok"
    );
    let reception = authoring.reception(comp.as_str()).await.unwrap();
    assert!(!reception.scored);

    // Operator views across competitions.
    let ac = admin.authored_challenges();
    let cap = ac.build_capability().await.unwrap();
    assert!(!cap.can_build, "no untrusted-build node here");
    let listed = ac
        .list()
        .competition_id(comp.as_str())
        .limit(10)
        .await
        .unwrap();
    assert!(listed.items.iter().any(|r| r.id == cid));
    assert_eq!(ac.get(cid.as_str()).await.unwrap().row.id, cid);
    assert_eq!(ac.audit(cid.as_str()).await.unwrap().errors, 0);
    let file = ac.read_file(cid.as_str(), "metadata.yaml").await.unwrap();
    assert!(file.text.contains("Live ops QA"));
    let grad = ac.graduation(cid.as_str()).await.unwrap();
    assert!(!grad.refusals.is_empty(), "not approved yet");
    api_err(
        ac.graduation_bundle(cid.as_str(), "nope").await,
        422,
        "invalid_corpus_id",
    );

    // The same through the competition-scoped namespace.
    let cac = admin.competition_authored_challenges();
    let page = cac.list(comp.as_str()).limit(10).await.unwrap();
    assert_eq!(page.total, Some(1));
    assert_eq!(
        cac.get(comp.as_str(), cid.as_str()).await.unwrap().row.id,
        cid
    );
    assert_eq!(
        cac.audit(comp.as_str(), cid.as_str())
            .await
            .unwrap()
            .outcome
            .to_string(),
        "ok"
    );
    assert_eq!(
        cac.read_file(comp.as_str(), cid.as_str(), "metadata.yaml")
            .await
            .unwrap()
            .path,
        "metadata.yaml"
    );
    assert!(
        cac.revisions(comp.as_str(), cid.as_str())
            .await
            .unwrap()
            .is_empty()
    );
    let reviewed = cac
        .review(comp.as_str(), cid.as_str(), "approved")
        .note("looks fine")
        .await
        .unwrap();
    assert_eq!(reviewed.review_status.to_string(), "approved");
    let reviewed = ac
        .review(cid.as_str(), "approved")
        .note("still fine")
        .await
        .unwrap();
    assert_eq!(reviewed.review_status.to_string(), "approved");

    // Build and smoke only queue tasks (no build node runs them here): cancel them.
    let push = ac.push(cid.as_str()).await.unwrap();
    assert_eq!(push.kind, "authored_sync");
    cancel_task(&admin, &push.id).await;
    let smoke = ac.smoke(cid.as_str()).await.unwrap();
    assert_eq!(smoke.kind, "authored_smoke");
    cancel_task(&admin, &smoke.id).await;

    // Publish into the catalog, curate into the competition, and back out.
    let published = ac
        .publish(cid.as_str())
        .exec_surface_reviewed(true)
        .await
        .unwrap();
    assert!(published.in_catalog);
    let curated = ac
        .curate(cid.as_str())
        .competition_id(comp.as_str())
        .await
        .unwrap();
    assert_ne!(curated.curation.to_string(), "not_curated");
    let uncurated = ac
        .uncurate(cid.as_str())
        .competition_id(comp.as_str())
        .await
        .unwrap();
    assert_eq!(uncurated.curation.to_string(), "not_curated");
    let unpublished = ac.unpublish(cid.as_str()).await.unwrap();
    assert!(!unpublished.in_catalog);

    // A revision: the same tree is refused, a changed one is queued for review.
    api_err(
        authoring
            .revise(
                comp.as_str(),
                cid.as_str(),
                "chal.tar.gz",
                "application/gzip",
                V1,
            )
            .await,
        422,
        "authored_revision_unchanged",
    );
    let rev = authoring
        .revise(
            comp.as_str(),
            cid.as_str(),
            "chal.tar.gz",
            "application/gzip",
            V2,
        )
        .await
        .unwrap();
    let rid = rev.id.clone();
    let revs = ac.revisions(cid.as_str()).await.unwrap();
    assert_eq!(revs.len(), 1);
    assert_eq!(revs[0].id, rid);
    let diff = ac.revision_diff(cid.as_str(), rid.as_str()).await.unwrap();
    assert_eq!(diff.revision.id, rid);
    let diff = cac
        .revision_diff(comp.as_str(), cid.as_str(), rid.as_str())
        .await
        .unwrap();
    assert_eq!(diff.revision.id, rid);
    assert!(
        ac.read_revision_file(cid.as_str(), rid.as_str(), "metadata.yaml")
            .await
            .unwrap()
            .text
            .contains("(revised)")
    );
    assert!(
        cac.read_revision_file(comp.as_str(), cid.as_str(), rid.as_str(), "metadata.yaml")
            .await
            .unwrap()
            .text
            .contains("(revised)")
    );
    let r = cac
        .review_revision(comp.as_str(), cid.as_str(), rid.as_str(), "approved")
        .note("ok")
        .await
        .unwrap();
    assert_eq!(r.id, rid);
    let r = ac
        .review_revision(cid.as_str(), rid.as_str(), "approved")
        .await
        .unwrap();
    assert_eq!(r.review_status.to_string(), "approved");
    let applied = ac
        .apply_revision(cid.as_str(), rid.as_str())
        .exec_surface_reviewed(true)
        .await
        .unwrap();
    assert_eq!(applied.id, cid);
    let file = ac.read_file(cid.as_str(), "metadata.yaml").await.unwrap();
    assert!(file.text.contains("(revised)"), "the revision is live");

    api_err(
        ac.get("AUTHORED-NOPE").await,
        404,
        "authored_challenge_not_found",
    );
    drop_competition(&admin, comp.as_str()).await;
}
