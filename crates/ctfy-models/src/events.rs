//! The platform's realtime events: the frames of `GET /api/v1/events` (server-sent events).
//!
//! Every frame is `event: <name>` plus one `data:` line of JSON. [`Event::from_frame`] turns
//! one into a typed [`Event`]: one variant per name the platform publishes (its
//! `PlatformEvent` enum, 0.7.0), each with a payload struct, plus [`Event::Other`] so that an
//! event this SDK does not know yet never breaks a client.
//!
//! Payloads are tolerant: every field has a default (a missing key, or `null`, gives the
//! default), and keys the SDK does not know are ignored. A field of the wrong JSON type is an
//! error (`Err` from [`Event::from_frame`]); event streams report it as an item and go on.
//!
//! Two kinds of payload:
//! - *activity* frames (instance, flag, team, node, audit… events), published through the
//!   platform's activity log. They start with the same keys: `challenge_id` and the
//!   [`Actor`] (`actor_id`, `actor_name`, `actor_type`, `actor_avatar_url`); the frames tied
//!   to a competition end with `competition_id` and `competition_title`.
//! - *signal* frames (`scoreboard_updated`, `meta_stats`, `node_status`,
//!   `team_membership_changed`, `competition_created`…), which carry only their own keys.
//!
//! Who receives what: a `pt_` session sees the frames of its teams (membership is read when
//! the stream connects) plus the global ones; a `pf_` token or no token sees only global
//! frames; admins see everything, including admin-only frames (`meta_stats`, `node_status`,
//! audit events).
//!
//! ```
//! use ctfy_models::events::Event;
//!
//! let e = Event::from_frame("instance_ready", r#"{"challenge_id":"WEB-1","actor_id":"t1","instance_id":"i-1"}"#).unwrap();
//! match &e {
//!     Event::InstanceReady(r) => assert_eq!(r.instance_id, "i-1"),
//!     _ => unreachable!(),
//! }
//! assert_eq!(e.name(), "instance_ready");
//!
//! let other = Event::from_frame("brand_new_event", r#"{"x":1}"#).unwrap();
//! assert!(matches!(other, Event::Other { .. }));
//! ```

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::serde_helpers::{Blank, blank};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::{
    AchievementCopy, ChallengeId, CompetitionId, InstanceId, MetaAgents, MetaLlm, MetaOps, NodeId,
    QuestionId, TeamId, UserId,
};

/// Who caused an activity event: the first keys of every activity frame.
///
/// `actor_id` is a user id for what a person did (`instance_started`, `flag_correct`), a team
/// id for what the platform did on a team's behalf (`instance_ready`), or a name such as
/// `platform` for system actions (`actor_type: "system"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Actor {
    /// The user, team, node or system loop.
    #[serde(default, deserialize_with = "lenient")]
    pub actor_id: String,
    /// Its display name.
    #[serde(default, deserialize_with = "lenient")]
    pub actor_name: String,
    /// `team`, `node`, `admin` or `system`.
    #[serde(default, deserialize_with = "lenient")]
    pub actor_type: String,
    /// Its avatar, `""` when none.
    #[serde(default, deserialize_with = "lenient")]
    pub actor_avatar_url: String,
}

impl crate::With for Actor {}

/// `null` decodes as the blank value (the default; the empty id for an id).
fn lenient<'de, D: Deserializer<'de>, T: Deserialize<'de> + Blank>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_else(T::blank))
}

fn parse<T: DeserializeOwned>(data: &str) -> Result<T, serde_json::Error> {
    let data = data.trim();
    serde_json::from_str(if data.is_empty() { "{}" } else { data })
}

macro_rules! define_events {
    (
        activity {
            $( $(#[$am:meta])* $aname:ident = $awire:literal { $($afield:ident : $aty:ty),* $(,)? } ),* $(,)?
        }
        signal {
            $( $(#[$pm:meta])* $pname:ident = $pwire:literal { $($pfield:ident : $pty:ty),* $(,)? } ),* $(,)?
        }
    ) => {
        $(
            #[doc = concat!("Data of the `", $awire, "` frame (an activity frame).")]
            #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
            #[non_exhaustive]
            pub struct $aname {
                /// The challenge the event is about (`""` when none).
                #[serde(default = "blank", deserialize_with = "lenient")]
                pub challenge_id: ChallengeId,
                /// Who caused the event.
                #[serde(flatten)]
                pub actor: Actor,
                $(
                    #[doc = concat!("`", stringify!($afield), "`.")]
                    #[serde(default = "blank", deserialize_with = "lenient")]
                    pub $afield: $aty,
                )*
            }

            impl Default for $aname {
                fn default() -> Self {
                    Self { challenge_id: blank(), actor: Actor::default(), $($afield: blank(),)* }
                }
            }

            impl crate::With for $aname {}
        )*
        $(
            #[doc = concat!("Data of the `", $pwire, "` frame (a signal frame).")]
            #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
            #[non_exhaustive]
            pub struct $pname {
                $(
                    #[doc = concat!("`", stringify!($pfield), "`.")]
                    #[serde(default = "blank", deserialize_with = "lenient")]
                    pub $pfield: $pty,
                )*
            }

            impl Default for $pname {
                fn default() -> Self {
                    Self { $($pfield: blank(),)* }
                }
            }

            impl crate::With for $pname {}
        )*

        /// One platform event, decoded from an SSE frame (see the [module docs](self)).
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            $(
                #[doc = concat!("`", $awire, "`.")]
                $(#[$am])*
                $aname($aname),
            )*
            $(
                #[doc = concat!("`", $pwire, "`.")]
                $(#[$pm])*
                $pname($pname),
            )*
            /// An event this SDK does not know (a newer server): its name and raw data.
            Other {
                /// The frame's event name.
                name: String,
                /// Its data: the JSON value, or a JSON string holding the raw text when the
                /// data was not JSON.
                data: Value,
            },
        }

        /// Every event name [`Event`] has a typed variant for.
        pub const EVENT_NAMES: &[&str] = &[$($awire,)* $($pwire,)*];

        impl Event {
            /// Decodes one frame: its `event:` name and its `data:` text (JSON; empty data
            /// counts as `{}`). Unknown names give [`Event::Other`].
            ///
            /// # Errors
            /// The serde error when the data of a known event is not JSON or does not fit its
            /// payload struct (a field of the wrong type).
            pub fn from_frame(name: &str, data: &str) -> Result<Event, serde_json::Error> {
                Ok(match name {
                    $($awire => Event::$aname(parse(data)?),)*
                    $($pwire => Event::$pname(parse(data)?),)*
                    _ => Event::Other {
                        name: name.to_owned(),
                        data: serde_json::from_str(data).unwrap_or_else(|_| Value::String(data.to_owned())),
                    },
                })
            }

            /// Decodes an event from its name and an already parsed JSON value.
            ///
            /// # Errors
            /// As [`Event::from_frame`].
            pub fn from_value(name: &str, data: Value) -> Result<Event, serde_json::Error> {
                Ok(match name {
                    $($awire => Event::$aname(serde_json::from_value(data)?),)*
                    $($pwire => Event::$pname(serde_json::from_value(data)?),)*
                    _ => Event::Other { name: name.to_owned(), data },
                })
            }

            /// The event name as the platform writes it (`instance_ready`…).
            pub fn name(&self) -> &str {
                match self {
                    $(Event::$aname(_) => $awire,)*
                    $(Event::$pname(_) => $pwire,)*
                    Event::Other { name, .. } => name,
                }
            }

            /// The actor of an activity event (`None` for signal frames and unknown events).
            pub fn actor(&self) -> Option<&Actor> {
                match self {
                    $(Event::$aname(e) => Some(&e.actor),)*
                    _ => None,
                }
            }

            /// The data re-encoded as JSON (the typed payload's fields; unknown keys the
            /// server sent are not kept, except for [`Event::Other`]).
            pub fn to_value(&self) -> Value {
                let v = match self {
                    $(Event::$aname(e) => serde_json::to_value(e),)*
                    $(Event::$pname(e) => serde_json::to_value(e),)*
                    Event::Other { data, .. } => return data.clone(),
                };
                v.unwrap_or(Value::Null)
            }
        }
    };
}

define_events! {
    activity {
        /// An instance was requested and is being built (team, admin). Actor: the user.
        InstanceStarted = "instance_started" { instance_id: InstanceId, competition_id: CompetitionId, node_id: NodeId, ip: String, competition_title: String },
        /// An instance is up and its attack surface is known (team, admin). Actor: the team.
        InstanceReady = "instance_ready" { instance_id: InstanceId, competition_id: CompetitionId, node_id: NodeId, competition_title: String },
        /// An instance failed to start; `error` says why (team, admin).
        InstanceError = "instance_error" { instance_id: InstanceId, competition_id: CompetitionId, node_id: NodeId, error: String, competition_title: String },
        /// An instance was stopped: `reason` is `""` for a user stop, `auto_stop_after_solve` after a full solve (team, admin).
        InstanceStopped = "instance_stopped" { instance_id: InstanceId, competition_id: CompetitionId, node_id: NodeId, reason: String, ip: String, competition_title: String },
        /// A correct answer (team, admin). For QA challenges `instance_id` is `""` and `flag_id` is the question id.
        FlagCorrect = "flag_correct" { instance_id: InstanceId, competition_id: CompetitionId, solve_time_s: f64, ip: String, flag_id: String, challenge_fully_solved: bool, competition_title: String },
        /// A part of a multi-part answer was correct. Not published by platform 0.7.0; the fields follow `flag_correct`.
        FlagPartCorrect = "flag_part_correct" { instance_id: InstanceId, competition_id: CompetitionId, solve_time_s: f64, ip: String, flag_id: String, competition_title: String },
        /// A wrong answer (team, admin).
        FlagWrong = "flag_wrong" { instance_id: InstanceId, competition_id: CompetitionId, solve_time_s: f64, ip: String, competition_title: String },
        /// A team registered (team, admin).
        TeamRegistered = "team_registered" { ip: String },
        InstanceRenewed = "instance_renewed" { instance_id: InstanceId, competition_id: CompetitionId, ttl: i64, competition_title: String },
        InstanceAnswersRevealed = "instance_answers_revealed" { instance_id: InstanceId, competition_id: CompetitionId, revealed_count: i64, competition_title: String },
        NodeRegistered = "node_registered" { node_id: NodeId, url: String },
        NodeUnhealthy = "node_unhealthy" { node_id: NodeId, url: String, error_message: String },
        NodeRecovered = "node_recovered" { node_id: NodeId, url: String, downtime_seconds: f64 },
        NodeRemoved = "node_removed" { node_id: NodeId },
        NodeUpdated = "node_updated" { node_id: NodeId, display_name: String, labels_changed: Vec<String>, cordoned: bool },
        NodeVersionSkew = "node_version_skew" { node_id: NodeId, url: String, node_version: String, platform_version: String, verdict: String },
        NodeBuildDrift = "node_build_drift" { node_id: NodeId, url: String, node_git_commit: String, platform_git_commit: String, node_corpus_commit: String, platform_corpus_commit: String, drifted: String },
        NodeImageDivergence = "node_image_divergence" { node_id: NodeId, url: String, refs: String, divergence: String },
        /// A badge was unlocked (team, admin). `localized` holds the copy in other languages.
        AchievementUnlocked = "achievement_unlocked" { achievement_id: String, achievement_name: String, tier: String, secret: bool, competition_id: CompetitionId, competition_title: String, localized: BTreeMap<String, AchievementCopy> },
        TeamRoleChanged = "team_role_changed" { previous_role: String, new_role: String },
        EmailVerified = "email_verified" { target_user_id: UserId },
        CompetitionSeriesSpawned = "competition_series_spawned" { series_id: String, series_name: String, occurrence_at: String, competition_id: CompetitionId, competition_title: String, action: String, reason: String },
        CompetitionSeriesChanged = "competition_series_changed" { series_id: String, series_name: String, action: String },
        CompetitionRegistered = "competition_registered" { competition_id: CompetitionId, competition_title: String },
        CompetitionUnregistered = "competition_unregistered" { competition_id: CompetitionId, competition_title: String },
        TeamMemberJoined = "team_member_joined" { invite_id: String },
        TeamMemberLeft = "team_member_left" {},
        TeamMemberKicked = "team_member_kicked" { target_user_id: UserId, target_user_name: String },
        TeamCaptaincyTransferred = "team_captaincy_transferred" { target_user_id: UserId, target_user_name: String },
        CompetitionAdminChanged = "competition_admin_changed" { competition_id: CompetitionId, target_user_id: UserId, action: String, competition_title: String },
        CompetitionAuthoringReviewerChanged = "competition_authoring_reviewer_changed" { competition_id: CompetitionId, target_user_id: UserId, action: String, competition_title: String },
        CompetitionInviteChanged = "competition_invite_changed" { competition_id: CompetitionId, target_user_id: UserId, action: String, competition_title: String },
        RegistrationReviewed = "registration_reviewed" { competition_id: CompetitionId, action: String, reason: String, competition_title: String },
        TeamDisqualified = "team_disqualified" { competition_id: CompetitionId, action: String, reason: String, competition_title: String },
        RegistrationEdited = "registration_edited" { competition_id: CompetitionId, action: String, row_count: i64, target_user_id: UserId, competition_title: String },
        RegistrationPiiRead = "registration_pii_read" { competition_id: CompetitionId, action: String, row_count: i64, competition_title: String },
        RegistrationPiiPurged = "registration_pii_purged" { competition_id: CompetitionId, row_count: i64, retention_days: i64, competition_title: String },
        AdminShellSessionRequested = "admin_shell_session_requested" { session_id: String, instance_id: InstanceId, container: String, node_id: NodeId, reason: String },
        AdminShellSessionOpened = "admin_shell_session_opened" { session_id: String, instance_id: InstanceId, container: String, node_id: NodeId, recording_path: String },
        AdminShellSessionClosed = "admin_shell_session_closed" { session_id: String, instance_id: InstanceId, container: String, node_id: NodeId, recording_path: String, duration_s: i64, bytes_in: i64, bytes_out: i64, reason: String },
        AdminShellRecordingViewed = "admin_shell_recording_viewed" { session_id: String, recording_path: String },
        PlatformSettingChanged = "platform_setting_changed" { setting_key: String, source: String, action: String },
        QuestionAttemptReset = "question_attempt_reset" { question_id: QuestionId, reason: String },
        LlmBudgetReset = "llm_budget_reset" { competition_id: CompetitionId, reason: String, outcome: String, competition_title: String },
        LlmQuotaExhausted = "llm_quota_exhausted" { competition_id: CompetitionId, spent_tokens: i64, budget_tokens: i64, competition_title: String },
        LlmTranscriptRead = "llm_transcript_read" { call_id: String, competition_id: CompetitionId, instance_id: InstanceId, outcome: String, competition_title: String },
        AgentDeceptionContacted = "agent_deception_contacted" { competition_id: CompetitionId, instance_id: InstanceId, contacts: i64, competition_title: String },
        AgentDeceptionComplied = "agent_deception_complied" { competition_id: CompetitionId, instance_id: InstanceId, complies: i64, reported: Vec<String>, competition_title: String },
        AgentHoneypotTouched = "agent_honeypot_touched" { competition_id: CompetitionId, instance_id: InstanceId, subject: String, touches: i64, competition_title: String },
        AgentLateralContact = "agent_lateral_contact" { competition_id: CompetitionId, instance_id: InstanceId, src: String, dst: String, src_service: String, dst_service: String, dport: i64, competition_title: String },
        AgentProcessAppeared = "agent_process_appeared" { competition_id: CompetitionId, instance_id: InstanceId, container: String, names: Vec<String>, competition_title: String },
        LlmProviderChanged = "llm_provider_changed" { key_id: String, flavor: String, outcome: String },
        LlmProviderRejected = "llm_provider_rejected" { key_id: String, flavor: String },
        AccountSecurityChanged = "account_security_changed" { action: String, provider: String, ip: String, email: String },
        AdminTestEmailSent = "admin_test_email_sent" { email_template: String, email_to: String },
        EmailSuppressionChanged = "email_suppression_changed" { email_to: String, suppression_action: String, suppression_reason: String },
        PatchSubmitted = "patch_submitted" { instance_id: InstanceId, competition_id: CompetitionId, ip: String, competition_title: String },
        PatchJudged = "patch_judged" { competition_id: CompetitionId, submission_id: String, verdict: String, node_id: NodeId, competition_title: String },
        AwdMatchChanged = "awd_match_changed" { competition_id: CompetitionId, action: String, competition_title: String },
        AwdCaptureUnwitnessed = "awd_capture_unwitnessed" { competition_id: CompetitionId, tick: i64, capture_count: i64, victim_team_count: i64, competition_title: String },
        AwdSelfSubmission = "awd_self_submission" { competition_id: CompetitionId, tick: i64, own_flag_count: i64, competition_title: String },
        AwdVpnChanged = "awd_vpn_changed" { competition_id: CompetitionId, node_id: NodeId, arena_address: String, action: String, competition_title: String },
        AwdArenaReachChanged = "awd_arena_reach_changed" { competition_id: CompetitionId, verdict: String, reason: String, node_id: NodeId, tick: i64, competition_title: String },
        AwdKickoffOverridden = "awd_kickoff_overridden" { competition_id: CompetitionId, verdict: String, reason: String, competition_title: String },
        PlayerShellOpened = "player_shell_opened" { session_id: String, instance_id: InstanceId, competition_id: CompetitionId, service: String, container: String, node_id: NodeId, recording_path: String, competition_title: String },
        PlayerShellClosed = "player_shell_closed" { session_id: String, instance_id: InstanceId, competition_id: CompetitionId, service: String, container: String, node_id: NodeId, recording_path: String, duration_s: i64, bytes_in: i64, bytes_out: i64, reason: String, competition_title: String },
        AnswerTraced = "answer_traced" { answer_hash: String, hit_count: i64, team_ids: Vec<TeamId> },
        ForeignAnswerSubmitted = "foreign_answer_submitted" { instance_id: InstanceId, competition_id: CompetitionId, question_id: QuestionId, answer_hash: String, hit_count: i64, team_ids: Vec<TeamId>, competition_title: String },
        TaskSubmitted = "task_submitted" { task_id: String, task_kind: String },
        TaskSucceeded = "task_succeeded" { task_id: String, task_kind: String, summary: String },
        TaskFailed = "task_failed" { task_id: String, task_kind: String, error: String },
        TaskCancelled = "task_cancelled" { task_id: String, task_kind: String },
        ScheduledJobChanged = "scheduled_job_changed" { job_name: String, action: String },
        UserLogin = "user_login" { provider: String, ip: String, email: String },
        UserLoginFailed = "user_login_failed" { provider: String, ip: String, email: String },
        UserRegistered = "user_registered" { provider: String, ip: String, email: String },
        TokenCreated = "token_created" { token_kind: String, token_label: String },
        TokenRevoked = "token_revoked" { token_kind: String, token_label: String, target_user_id: UserId, target_user_name: String },
        TokenRenewed = "token_renewed" { token_kind: String, token_label: String },
        TokenRotated = "token_rotated" { token_kind: String, token_label: String },
        TokenScopeChanged = "token_scope_changed" { token_kind: String, token_label: String },
        TokenTraced = "token_traced" { outcome: String, token_id: String, token_kind: String, token_label: String, target_user_id: UserId, target_user_name: String },
    }
    signal {
        /// The visible ranking changed; refetch the scoreboard (everyone, including anonymous streams).
        ScoreboardUpdated = "scoreboard_updated" {},
        /// A user changed teams (everyone). Reconnect a stream after joining a team to receive its frames.
        TeamMembershipChanged = "team_membership_changed" { previous_team_id: TeamId, current_team_id: TeamId },
        /// The admin counters of `/meta` (admin only).
        MetaStats = "meta_stats" {
            teams_total: i64, users_total: i64, nodes_total: i64, nodes_healthy: i64, running_instances: i64,
            solves_total: i64, challenges_total: i64, challenges_suites: i64, challenges_environments: i64,
            agents: MetaAgents, ops: MetaOps, llm: MetaLlm,
        },
        /// One node heartbeat sample (admin only, one per heartbeat). `ts` is the platform's clock (epoch seconds).
        NodeStatus = "node_status" {
            node_id: NodeId, ts: f64, is_healthy: bool, cpu_percent: f64, memory_percent: f64, disk_percent: f64, latency_ms: f64,
        },
        /// A team deleted itself (admin only).
        TeamDeleted = "team_deleted" { team_id: TeamId, team_name: String },
        /// A team's profile or visibility changed.
        TeamProfileUpdated = "team_profile_updated" { team_id: TeamId },
        /// An announcement was created; refetch the list.
        AnnouncementCreated = "announcement_created" { announcement_id: String },
        /// An announcement was edited.
        AnnouncementUpdated = "announcement_updated" { announcement_id: String },
        /// An announcement was deleted.
        AnnouncementDeleted = "announcement_deleted" { announcement_id: String },
        /// The changelog changed (`changelog_id` is `""` for a bulk sync).
        ChangelogUpdated = "changelog_updated" { changelog_id: String },
        /// A changelog entry was announced to every player.
        ChangelogAnnounced = "changelog_announced" { changelog_id: String },
        /// A competition was created.
        CompetitionCreated = "competition_created" { competition_id: CompetitionId },
        /// A competition was edited.
        CompetitionUpdated = "competition_updated" { competition_id: CompetitionId },
        /// A competition was deleted.
        CompetitionDeleted = "competition_deleted" { competition_id: CompetitionId },
        /// The relayed LLM calls changed (admins get an empty frame; run owners get `run_id`).
        LlmCallsUpdated = "llm_calls_updated" { run_id: String, competition_id: CompetitionId },
        /// An evaluation run changed state.
        EvalRunChanged = "eval_run_changed" { run_id: String, campaign_id: String, competition_id: CompetitionId, challenge_id: String, status: String },
        /// A report changed.
        ReportChanged = "report_changed" { competition_id: CompetitionId, challenge_id: String },
        /// An attack-defense round was settled.
        AwdRoundSettled = "awd_round_settled" { competition_id: CompetitionId, tick: i64 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_platform_event_name_once() {
        assert_eq!(EVENT_NAMES.len(), 100);
        let mut names = EVENT_NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 100);
        for name in EVENT_NAMES {
            let e = Event::from_frame(name, "{}").unwrap();
            assert_eq!(e.name(), *name);
            assert!(!matches!(e, Event::Other { .. }), "{name}");
        }
    }

    #[test]
    fn instance_frames_as_the_platform_sends_them() {
        let started = r#"{"challenge_id":"HARNESS-WEB-001","actor_id":"u1","actor_name":"Player","actor_type":"team","actor_avatar_url":"","instance_id":"i1","node_id":"127.0.0.1_18201","ip":"127.0.0.1","competition_id":"c1","competition_title":"Harness Cup"}"#;
        let Event::InstanceStarted(s) = Event::from_frame("instance_started", started).unwrap()
        else {
            panic!()
        };
        assert_eq!(s.challenge_id, "HARNESS-WEB-001");
        assert_eq!(s.actor.actor_id, "u1");
        assert_eq!(s.actor.actor_type, "team");
        assert_eq!(s.instance_id, "i1");
        assert_eq!(s.competition_title, "Harness Cup");

        let stopped = r#"{"challenge_id":"X","actor_id":"platform","actor_name":"auto-stop","actor_type":"system","actor_avatar_url":"","instance_id":"i1","node_id":"","reason":"auto_stop_after_solve","ip":"","competition_id":"c1","competition_title":"T"}"#;
        let e = Event::from_frame("instance_stopped", stopped).unwrap();
        assert_eq!(e.actor().unwrap().actor_name, "auto-stop");
        let Event::InstanceStopped(s) = e else {
            panic!()
        };
        assert_eq!(s.reason, "auto_stop_after_solve");

        let correct = r#"{"challenge_id":"X","actor_id":"u","actor_name":"n","actor_type":"team","actor_avatar_url":"","instance_id":"i","solve_time_s":2.2,"flag_id":"flag","challenge_fully_solved":false,"ip":"","competition_id":"c","competition_title":"t"}"#;
        let Event::FlagCorrect(c) = Event::from_frame("flag_correct", correct).unwrap() else {
            panic!()
        };
        assert_eq!(c.flag_id, "flag");
        assert!((c.solve_time_s - 2.2).abs() < 1e-9);
    }

    #[test]
    fn signal_frames() {
        assert!(matches!(
            Event::from_frame("scoreboard_updated", "{}").unwrap(),
            Event::ScoreboardUpdated(_)
        ));
        assert!(matches!(
            Event::from_frame("scoreboard_updated", "").unwrap(),
            Event::ScoreboardUpdated(_)
        ));
        let Event::NodeStatus(n) = Event::from_frame(
            "node_status",
            r#"{"node_id":"n1","ts":1700000000.5,"is_healthy":true,"cpu_percent":1.5,"memory_percent":2,"disk_percent":3.0,"latency_ms":0.4}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert!(n.is_healthy);
        assert_eq!(n.memory_percent, 2.0);
        let Event::MetaStats(m) = Event::from_frame(
            "meta_stats",
            r#"{"teams_total":3,"users_total":3,"agents":{"registered":1},"ops":{},"llm":{"calls_today":4},"future":1}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            (m.teams_total, m.agents.registered, m.llm.calls_today),
            (3, 1, 4)
        );
        let Event::TeamMembershipChanged(t) = Event::from_frame(
            "team_membership_changed",
            r#"{"previous_team_id":"","current_team_id":"t1"}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(t.current_team_id, "t1");
    }

    #[test]
    fn tolerant_of_missing_null_and_unknown_keys() {
        let Event::InstanceReady(r) = Event::from_frame(
            "instance_ready",
            r#"{"instance_id":"i","node_id":null,"brand_new":{"a":1}}"#,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(r.instance_id, "i");
        assert_eq!(r.node_id, "");
        assert_eq!(r.actor, Actor::default());
    }

    #[test]
    fn wrong_types_and_bad_json_are_errors_not_panics() {
        assert!(Event::from_frame("instance_ready", r#"{"instance_id":42}"#).is_err());
        assert!(Event::from_frame("flag_wrong", r#"{"solve_time_s":"slow"}"#).is_err());
        assert!(Event::from_frame("instance_ready", "{not json").is_err());
        assert!(Event::from_frame("instance_ready", "[1,2]").is_err());
    }

    #[test]
    fn unknown_events_are_kept() {
        let e = Event::from_frame("quantum_flag", r#"{"a":[1]}"#).unwrap();
        assert_eq!(e.name(), "quantum_flag");
        assert_eq!(e.to_value(), serde_json::json!({"a":[1]}));
        let Event::Other { data, .. } = Event::from_frame("quantum_flag", "plain text").unwrap()
        else {
            panic!()
        };
        assert_eq!(data, Value::String("plain text".into()));
    }

    #[test]
    fn round_trip_through_value() {
        let e = Event::from_frame("achievement_unlocked", r#"{"achievement_id":"kamikaze","secret":true,"localized":{"zh":{"name":"n","description":"d"}}}"#).unwrap();
        let again = Event::from_value(e.name(), e.to_value()).unwrap();
        assert_eq!(e, again);
        let Event::AchievementUnlocked(a) = again else {
            panic!()
        };
        assert!(a.secret);
        assert_eq!(a.localized["zh"].name, "n");
    }
}
