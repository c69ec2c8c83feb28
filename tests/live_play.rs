//! Live tests of the play surface against the real platform (`scripts/platform-up.sh`):
//! `competitions`, `challenges`, `instances`, `submissions`, the competition handle
//! `client.competition(id)` and its `team()`, `team().invites()`, `team().requests()`.
//!
//! Without a running platform they print why and pass, except under `CI=true`, where they fail.
//! Every test registers its own players and teams (in the harness competition) or has the
//! admin create a competition of its own (deleted at the end); the shared users, the harness
//! competition and the shared node are only read.
//!
//! Not served by the local platform (and why); the tests assert the error path instead:
//! - `instances.vpn_config`, `instances.openvpn_config`: only engagement-mode instances have
//!   a VPN; the fixtures are simple-mode, so 404 `vpn_config_not_available`.
//! - `instances.tunnel`: needs an engagement-mode instance's WireGuard config; its 404 path is
//!   tested in tests/live_tunnel.rs, its backends with fakes in tests/wiremock/handwritten_tunnel.rs.
//! - `instances.ssh_credential`: no SSH bastion is configured, 503 `ssh_bastion_unavailable`.
//! - `instances.shell_session`: only AWD defender boxes declare a shell, 400
//!   `shell_unsupported`.
//! - `submissions.check`: runs a checker question in a judge sidecar; the fixtures have no
//!   checker question (and the stand-in node no sidecar), so 422 `not_a_checker_question`.
//! - `challenges.download_attachment`, `instances.download_attachment`: the fixtures ship no
//!   `attachments/`, so both lists are empty and downloads answer 404.
//! - `competitions.download_attachment`: competition attachments are uploaded to S3 storage,
//!   which is not configured (the upload answers 503 `storage_unavailable`), so the list is
//!   empty and a download answers 404.
//! - `team.set_affiliation`: needs a member publishing an institution (a verified
//!   institutional mailbox; no mail provider here), so 409 `affiliation_not_published`.
//! - `competitions.agent_actions`, `agent_pulse`: served on a competition with `agent_pulse`
//!   on, but empty (no agent entrants); 403 `agent_pulse_off` elsewhere.
//! - `instances.traffic`: served, but empty (the stand-in node captures no flows).
//! - `competition.defence_matrix`: served, but without columns (no AWD challenges).

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

#[allow(dead_code)]
#[path = "live/play/common.rs"]
mod play_common;

#[path = "live/play/challenges.rs"]
mod play_challenges;
#[path = "live/play/competition.rs"]
mod play_competition;
#[path = "live/play/instances.rs"]
mod play_instances;
#[path = "live/play/team.rs"]
mod play_team;
