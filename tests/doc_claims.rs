//! Claims the docs make that a test can check, pinned so docs and code cannot drift apart:
//! the environment variables' precedence, the retry and size defaults quoted in prose, which
//! examples carry unit tests, and the stated MSRV.

use std::path::{Path, PathBuf};

use ctfy::PlatformClient;
use ctfy::transport::events::DEFAULT_MAX_FRAME_SIZE;
use ctfy::transport::{DEFAULT_MAX_BODY_SIZE, RetryPolicy};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The `.rs` and `.md` files under `dir` (recursively), `target` and hidden folders left out.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                files(&path, out);
            }
        } else if name.ends_with(".rs") || name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// `from_env` reads `CTFY_PLATFORM_URL` first; every doc line that names both variables names
/// that one first (the facade's quickstart once said the opposite).
#[test]
fn env_precedence_is_stated_the_way_from_env_reads_it() {
    let c = PlatformClient::from_env_with(|name| match name {
        "CTFY_PLATFORM_URL" => Some("http://127.0.0.1:9".into()),
        "CTFY_URL" => Some("http://127.0.0.1:8".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.server_url(), "http://127.0.0.1:9");

    let mut all = Vec::new();
    for dir in ["src", "examples", "docs", "crates"] {
        files(&root().join(dir), &mut all);
    }
    all.push(root().join("README.md"));
    let mut wrong = Vec::new();
    for path in &all {
        // Test code sets and removes the variables in any order; only docs and sources speak.
        if path.components().any(|c| c.as_os_str() == "tests") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if let (Some(p), Some(u)) = (line.find("CTFY_PLATFORM_URL"), line.find("CTFY_URL")) {
                if u < p {
                    wrong.push(format!("{}:{}: {line}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "CTFY_URL named before CTFY_PLATFORM_URL:\n{}",
        wrong.join("\n")
    );
}

/// `docs/AGENTS.md`'s error policy quotes `RetryPolicy::default()`.
#[test]
fn agents_guide_quotes_the_retry_defaults() {
    let p = RetryPolicy::default();
    let quoted = format!(
        "{} retries, {} s growing to {} s,\nhonouring `Retry-After` up to {} s",
        p.max_retries,
        p.initial_delay.as_secs_f64(),
        p.max_delay.as_secs_f64(),
        p.max_retry_after.as_secs_f64(),
    );
    let guide = read("docs/AGENTS.md");
    assert!(
        guide.contains(&quoted),
        "docs/AGENTS.md should say: {quoted}"
    );
    let rule = format!(
        "at most the policy's `max_retry_after` ({} s)",
        p.max_retry_after.as_secs()
    );
    assert!(guide.contains(&rule), "docs/AGENTS.md should say: {rule}");
}

/// The README's design paragraph quotes the body and frame caps.
#[test]
fn readme_quotes_the_size_caps() {
    const MIB: u64 = 1024 * 1024;
    assert_eq!(DEFAULT_MAX_BODY_SIZE % MIB, 0);
    let quoted = format!(
        "Bodies are capped ({} MiB, event-stream\nframes {} MiB)",
        DEFAULT_MAX_BODY_SIZE / MIB,
        DEFAULT_MAX_FRAME_SIZE as u64 / MIB
    );
    assert!(
        read("README.md").contains(&quoted),
        "README.md should say: {quoted}"
    );
}

/// The examples that carry `#[cfg(test)]` modules are the ones the README lists, and each is
/// compiled by the `tests/examples.rs` harness (an example's tests run nowhere else).
#[test]
fn example_unit_tests_are_where_the_readme_says() {
    let harness = read("tests/examples.rs");
    let readme = read("README.md");
    let mut with_tests = Vec::new();
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if std::fs::read_to_string(&path)
            .unwrap()
            .contains("#[cfg(test)]")
        {
            assert!(
                harness.contains(&format!("#[path = \"../examples/{name}.rs\"]")),
                "tests/examples.rs does not compile examples/{name}.rs: its tests never run"
            );
            with_tests.push(name);
        }
    }
    with_tests.sort();
    assert_eq!(
        with_tests,
        [
            "admin_bootstrap",
            "agent_loop",
            "scoreboard",
            "watch_events"
        ]
    );
    let listed =
        "`agent_loop`,\n`watch_events`, `admin_bootstrap` and `scoreboard` also carry unit tests";
    assert!(readme.contains(listed), "README.md should say: {listed}");
    assert!(readme.contains("`#[cfg(test)]` modules inside the example files"));
}

/// The README's MSRV (1.85 for the SDK, 1.88 for the CLI) is what every manifest states.
#[test]
fn msrv_is_stated_in_every_manifest() {
    let workspace = read("Cargo.toml");
    assert!(
        workspace.contains("\nrust-version = \"1.85\"\n"),
        "workspace rust-version"
    );
    let readme = read("README.md");
    assert!(readme.contains("**1.85** for the SDK crates"));
    assert!(readme.contains("**1.88** for `ctfy-cli`"));
    assert!(workspace.contains("incompatible_msrv = \"warn\""));
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let expected = if name == "ctfy-cli" {
            "\nrust-version = \"1.88\"\n"
        } else {
            "\nrust-version.workspace = true\n"
        };
        assert!(manifest.contains(expected), "{name}: expected {expected:?}");
        // The lint applies to every crate: through the workspace lints, or its own table.
        assert!(
            manifest.contains("[lints]\nworkspace = true")
                || manifest.contains("incompatible_msrv = \"warn\""),
            "{name}: incompatible_msrv not on"
        );
    }
    assert!(read("Cargo.toml").contains("rust-version.workspace = true"));
}

/// `docs/AGENTS.md` says a `stop()` right after a full solve usually still finds the instance
/// (`Ok(true)`: the platform's auto-stop runs in the background), and that the testing kit
/// behaves the same way; the kit does, and the old claim (`Ok(false)`) is gone from the docs.
#[tokio::test]
async fn a_stop_right_after_a_full_solve_is_what_the_guide_says() {
    let guide = read("docs/AGENTS.md");
    let claim = "usually still finds the instance and stops it (`Ok(true)`)";
    assert!(guide.contains(claim), "docs/AGENTS.md should say: {claim}");
    assert!(guide.contains("`MockPlatformBuilder::auto_stop_delay`"));
    assert!(!guide.contains("then finds it gone (`Ok(false)`)"));

    let mock = ctfy::testing::MockPlatform::start().await;
    let client = mock.client();
    let ready = client
        .instances()
        .start("WEB-001")
        .poll_interval(std::time::Duration::from_millis(20))
        .await
        .unwrap();
    let flag = mock
        .fetch(&format!("{}/flag", ready.surface.services[0].url()))
        .await;
    let result = client
        .submissions()
        .submit(&ready.id, flag.trim())
        .await
        .unwrap();
    assert!(result.challenge_fully_solved);
    assert!(client.instances().stop(&ready.id).await.unwrap());
}
