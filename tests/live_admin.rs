//! Live tests of the operator surface (`AdminClient`: users, competitions, announcements,
//! achievements, challenges, instances, records, nodes, observability, settings,
//! competition_admins) against the real platform (`scripts/platform-up.sh`).
//!
//! Without a running platform they print why and pass, except under `CI=true`, where they fail.
//! Every test makes its own users, competitions, instances and throwaway node; settings are
//! restored; the shared node and the harness competition are only read.
//!
//! Not served by the local platform (and why):
//! - `instances.stop_all`: stops every instance on every node, under every concurrent test;
//!   it is never called here (wiremock covers its wire shape).
//! - `users.resend_verification`: the platform has no mail provider, so it answers
//!   503 `email_not_configured`; the test checks that error, not a sent mail.
//! - `instances.pcap`, `records.pcap`: the stand-in node records no capture (its `/pcap`
//!   answers 404), so both downloads are `None` here; non-empty bytes cannot be produced
//!   locally.
//! - `challenges.build`, `build_all`, `build_push`, `pull`, `pull_all`: the tasks are
//!   submitted and their status followed to the end through `admin.tasks`, but they end
//!   `failed`: the stand-in node builds and pulls nothing (no Docker, no registry; "no node
//!   kicked off", "no node accepted the build"), and the freeze of `build_push` stops at
//!   `freeze_disk_unreadable`.
//! - `challenges.build_state`, `pull_state`: the node half of each row carries the stand-in
//!   node's 404 as `node_error`.
//! - `challenges.reset_llm_budget`, `list_llm_budgets`: no LLM gateway is configured, so the
//!   reset answers `outcome: no_gateway` and the list is empty.
//! - `challenges.feedback`, `deception_stats`, `range_replay`, `instances.traffic` and
//!   `records.traffic`: served, but empty (no player feedback, no deception probes, no
//!   captured flows on the stand-in node).

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

#[allow(dead_code)]
#[path = "live/admin/common.rs"]
mod admin_common;

#[path = "live/admin/errors.rs"]
mod admin_errors;

#[path = "live/admin/users.rs"]
mod admin_users;

#[path = "live/admin/competitions.rs"]
mod admin_competitions;

#[path = "live/admin/forensics.rs"]
mod admin_forensics;

#[path = "live/admin/nodes.rs"]
mod admin_nodes;

#[path = "live/admin/challenges.rs"]
mod admin_challenges;

#[path = "live/admin/observability.rs"]
mod admin_observability;
