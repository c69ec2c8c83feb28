//! The facade's documentation, built as docs.rs builds it (`cargo doc -p ctfy --no-deps
//! --all-features`, nightly features through `--cfg docsrs`), documents the whole SDK under
//! `ctfy::`: a page for each core item, working links, and feature badges.
//!
//! The build runs in its own target directory (`target/nested`, shared with the public-API
//! check), since the outer `cargo test` holds the main one. `RUSTC_BOOTSTRAP=1` lets the
//! stable toolchain take `feature(doc_cfg)`, as docs.rs's nightly does.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Pages a newcomer looks for first, relative to `target/nested/doc/ctfy/`.
const CORE_PAGES: &[&str] = &[
    "client/struct.Instances.html",
    "client/struct.InstancesStart.html",
    "client/struct.PlatformClient.html",
    "client/struct.Submissions.html",
    "models/struct.ChallengeInfo.html",
    "models/struct.InstanceInfo.html",
    "models/struct.SubmissionResponse.html",
    "enum.Error.html",
    "transport/enum.Error.html",
    "testing/struct.MockPlatform.html",
    "admin/struct.AdminClient.html",
    "node/struct.NodeClient.html",
];

fn build() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target").join("nested");
    // rustdoc leaves the pages of items that no longer exist: start from nothing.
    let _ = std::fs::remove_dir_all(target.join("doc").join("ctfy"));
    let status = Command::new(env!("CARGO"))
        .args([
            "doc",
            "-q",
            "-p",
            "ctfy",
            "--no-deps",
            "--all-features",
            "--target-dir",
        ])
        .arg(&target)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTDOCFLAGS", "--cfg docsrs")
        .current_dir(root)
        .status()
        .expect("cargo doc runs");
    assert!(status.success(), "cargo doc failed");
    target.join("doc").join("ctfy")
}

/// The part of a page written by this project: its text up to the trait implementations
/// (whose docs, for traits of other crates such as `tracing::Instrument`, are theirs).
fn own_part(html: &str) -> &str {
    let body = html.find("<body").map_or(html, |i| &html[i..]);
    let end = [
        "id=\"trait-implementations\"",
        "id=\"synthetic-implementations\"",
        "id=\"blanket-implementations\"",
    ]
    .iter()
    .filter_map(|m| body.find(m))
    .min()
    .unwrap_or(body.len());
    &body[..end]
}

/// What an unresolved intra-doc link looks like in rustdoc's HTML.
fn broken_links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for marker in [
        "href=\"crate::",
        "href=\"self::",
        "href=\"super::",
        "[<code>",
    ] {
        let mut rest = text;
        while let Some(i) = rest.find(marker) {
            let shown: String = rest[i..].chars().take(80).collect();
            found.push(shown);
            rest = &rest[i + marker.len()..];
        }
    }
    found
}

fn pages(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("doc dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            pages(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}

#[test]
fn docs_rs_shows_the_whole_sdk_with_working_links_and_feature_badges() {
    let doc = build();
    let missing: Vec<_> = CORE_PAGES
        .iter()
        .filter(|p| !doc.join(p).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "no page for {missing:?} under {}",
        doc.display()
    );

    let mut all = Vec::new();
    pages(&doc, &mut all);
    assert!(
        all.len() > 1000,
        "only {} pages: are the sub-crates inlined?",
        all.len()
    );
    let mut broken = Vec::new();
    // `ctfy::transport::reqwest` is reqwest itself, re-exported for `http_client_with`: its
    // pages are reqwest's documentation, with reqwest's own links.
    let foreign = doc.join("transport").join("reqwest");
    for page in all.iter().filter(|p| !p.starts_with(&foreign)) {
        let html = std::fs::read_to_string(page).expect("page");
        for link in broken_links(own_part(&html)) {
            broken.push(format!(
                "{}: {link}",
                page.strip_prefix(&doc).unwrap_or(page).display()
            ));
        }
    }
    assert!(
        broken.is_empty(),
        "{} unresolved links, e.g.:\n{}",
        broken.len(),
        broken[..broken.len().min(20)].join("\n")
    );

    // Feature-gated items carry their badge.
    let kit = std::fs::read_to_string(doc.join("testing/struct.MockPlatform.html")).unwrap();
    assert!(
        kit.contains("crate feature <code>testing</code>"),
        "no feature badge on the testing kit"
    );
}
