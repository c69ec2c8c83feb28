//! `docs/AGENT-PROTOCOL.md` says what the crate does: its bring-your-own-loop code is the
//! compiled example, and it names every mode and every tool.

use std::path::Path;

use ctfy_agent::brief::RunMode;
use ctfy_agent::tools::tool_defs;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

#[test]
fn the_guide_shows_the_compiled_example_and_every_tool() {
    let guide = read("../../docs/AGENT-PROTOCOL.md");
    let example = read("examples/own_loop.rs");
    assert!(
        guide.contains(&format!("```rust\n{example}```")),
        "docs/AGENT-PROTOCOL.md must show examples/own_loop.rs verbatim"
    );
    for mode in RunMode::ALL {
        assert!(guide.contains(&format!("| `{mode}` |")), "{mode}");
        for tool in tool_defs(mode) {
            assert!(guide.contains(&format!("`{}`", tool.name)), "{}", tool.name);
        }
    }
    for var in [
        "CTFY_PLATFORM_URL",
        "CTFY_TOKEN",
        "CTFY_EVAL_CHALLENGE_ID",
        "CTFY_EVAL_COMPETITION_ID",
        "CTFY_EVAL_MAX_TURNS",
        "CTFY_EVAL_KEEP_INSTANCE",
        "CTFY_WORK_DIR",
        "LLM_FLAVOR",
        "LLM_API_KEY",
        "LLM_MODEL",
        "LLM_BASE_URL",
        "CTFY_HARNESS_TIMEOUT_S",
        "CTFY_HARNESS_USAGE_FILE",
    ] {
        assert!(guide.contains(var), "{var}");
    }
}
