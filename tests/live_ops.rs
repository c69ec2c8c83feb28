//! Live tests of the operator surface beyond the seed namespaces, and of the non-seed player
//! namespaces, against the local platform with the stand-in node (`scripts/platform-up.sh`).
//!
//! Every test creates its own users, competitions and teams, and leaves shared state as it
//! found it (queued background tasks are cancelled, created entries deleted).
//!
//! # What the local platform cannot serve
//!
//! Each method below is still called: the test asserts the platform's documented refusal (or
//! the queued task, then cancels it). What is missing locally, by namespace:
//!
//! ## admin
//! - `authored_challenges.push`, `.smoke`: queue build/smoke tasks that need a node marked
//!   for untrusted builds (Docker); asserted queued, then cancelled.
//! - `authored_challenges.graduation_bundle`: needs a graduated (smoked, published, played)
//!   challenge; the invalid-corpus-id refusal is asserted.
//! - `awd.provision`, `.teardown`: queue tasks that build match networks on Docker nodes;
//!   asserted queued, then cancelled.
//! - `awd.start_anyway` (no held kickoff), `.grade_forensics` (no gamebox / analysis model),
//!   `.corroboration` (no finished tick): refusals asserted.
//! - `competition_attachments.upload`: needs S3 storage (`storage_unavailable` 503);
//!   `.update`, `.delete`: so no attachment can exist (404 asserted).
//! - `email.send_test`: no mail provider (400).
//! - `eval_campaigns.submit`: no standard set exists (404); `.get`, `.cancel`: so no campaign
//!   (`.list` answers, empty).
//! - `eval_runs.submit`: queues a run no provider can execute (cancelled); `.get`, `.coverage`:
//!   no run ever completes (404).
//! - `eval_harnesses.probe`: queues a task that pulls the harness image (cancelled).
//! - `gauntlet.preview`, `.plan`, `.create_range`, `.rebuild_range`, `.delete_range`: the
//!   corpus carries no scenario compiler (`tools/gauntlet`) and no range exists.
//! - `llm_calls.read`: no LLM call happens without a provider (404).
//! - `llm_providers.probe`: no LLM gateway (`ok:false`, `no_gateway`).
//! - `patches.get`: no challenge has a `patch:` block, so no submission exists (404).
//! - `registry.repos`, `.tags`, `.gc`, `.delete_manifest`, `.reclaim`: no container registry
//!   (`registry_not_configured` 503).
//! - `reports.attachment_bytes`: no storage, so no attachment (404); `reports.grades` has no
//!   runs (no grading model).
//! - `tasks.submit`: only the unknown-kind refusal (every real kind has side effects on nodes).
//!
//! ## player
//! - `awd.vpn`, `.probe_arena_peer`: no provisioned arena (409); `.targets`: the stand-in
//!   catalog has no gamebox services (409); `.ssh_credential`: no SSH bastion (503);
//!   `.transcript`: the agent activity feed is off and no call exists (403).
//! - `eval.enter`: no approved harness with a reachable provider (404 asserted);
//!   `eval.run`, `.run_llm_calls`, `.run_llm_call`, `.run_artifact`, `.run_traffic`,
//!   `.run_writeup`, `.set_run_wall`, `.set_run_transcript`: no run can exist (404);
//!   `.probe_my_llm_key`: no gateway (`ok:false`); `.harness_tags`: no registry;
//!   `.probe_harness`: queues an image pull (cancelled) or is refused.
//! - `patches.source`, `.submit`, `.submit_for_challenge`, `.submit_live`: no patchable
//!   challenge (`challenge_not_patchable` 400).
//! - `registration.upload_team_logo`: no storage (503); `.team_logo`: so no logo (404).
//! - `registry.token`: no container registry (503).
//! - `reports.upload_attachment`: no storage (503); `.attachment_bytes`,
//!   `.delete_attachment`: so no attachment (404).
//! - `series.ladder_history`: no rating without a played occurrence (404).
//! - `vendor.upload_key`: vendor key upload is not configured (503); `vendor.submit_campaign`:
//!   no standard set exists (refused).

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

#[path = "live/ops/mod.rs"]
mod ops;
