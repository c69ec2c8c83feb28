//! Typed model values with realistic defaults, for tests: [`Fixture::fixture`].

use std::time::{Duration, SystemTime};

use ctfy_models::{
    AttackSurface, ChallengeCategory, ChallengeInfo, CompetitionCreateAccess,
    CompetitionCreateStatus, CompetitionDetail, CompetitionDetailPhase, CompetitionId,
    CompetitionInfo, CompetitionInviteInfo, HealthResponse, InstanceInfo, InstanceQuestionInfo,
    InstanceStatus, InstanceStatusResponse, MeResponse, QaChallengeView, QuestionId,
    QuestionPublicInfo, ScoreboardEntry, ServiceEndpoint, ServiceType, StartResponse,
    SubmissionResponse, TeamDetail, TeamId, Timestamp, UnixTime, UserId, VerifyAnswerResponse,
};
use serde::de::DeserializeOwned;

/// A model value with realistic defaults, the shape the platform sends: change what a test
/// cares about with struct-update syntax.
///
/// ```
/// use ctfy::models::ChallengeInfo;
/// use ctfy::testing::Fixture;
///
/// let hard = ChallengeInfo { difficulty: "hard".into(), ..ChallengeInfo::fixture() };
/// assert_eq!(hard.id, "WEB-001");
/// ```
///
/// The ids of the fixtures agree with each other and with [`MockPlatform`](super::MockPlatform)'s
/// default scenario: competition [`COMPETITION_ID`], team [`TEAM_ID`], user [`USER_ID`],
/// challenge `WEB-001` (one question, `flag`).
pub trait Fixture: Sized {
    /// The fixture value.
    fn fixture() -> Self;
}

/// The competition id of the fixtures and of the mock platform's default competition.
pub const COMPETITION_ID: &str = "6d2f0c1e9b8a47a3b5c4d3e2f1a0b9c8";
/// The player's team id in the fixtures and the mock platform.
pub const TEAM_ID: &str = "3f6c1a2b4d5e46f7a8b9c0d1e2f3a4b5";
/// The player's user id in the fixtures and the mock platform.
pub const USER_ID: &str = "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b";
/// The instance id of the instance fixtures.
pub const INSTANCE_ID: &str = "7e1d2c3b-4a59-4f68-8e7d-6c5b4a392817";

/// An id from a string the kit controls (ids decode from any string).
pub(crate) fn id<T: DeserializeOwned + Default>(s: &str) -> T {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).unwrap_or_default()
}

/// A timestamp `ago` before now.
pub(crate) fn ago(ago: Duration) -> Timestamp {
    Timestamp::from(SystemTime::now() - ago)
}

/// Now, in epoch seconds.
pub(crate) fn unix_now() -> UnixTime {
    UnixTime::from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0),
    )
}

impl Fixture for CompetitionInfo {
    /// A published, public, running competition the player is registered for, with one
    /// challenge.
    fn fixture() -> Self {
        CompetitionInfo {
            id: id(COMPETITION_ID),
            title: "Mock Cup".into(),
            created_at: Some(ago(Duration::from_secs(86_400))),
            updated_at: Some(ago(Duration::from_secs(3_600))),
            starts_at: Some(ago(Duration::from_secs(3_600))),
            created_by: USER_ID.into(),
            created_by_name: "Operator".into(),
            challenge_ids: vec![id("WEB-001")],
            status: CompetitionCreateStatus::Published,
            access: CompetitionCreateAccess::Public,
            phase: CompetitionDetailPhase::Running,
            play_open: true,
            agents_allowed: true,
            max_team_size: 4,
            registered_count: 1,
            is_registered: true,
            can_participate: true,
            my_team_id: id(TEAM_ID),
            my_team_name: "mock-agent".into(),
            ..Default::default()
        }
    }
}

impl Fixture for CompetitionDetail {
    /// [`CompetitionInfo::fixture`] with its challenge list.
    fn fixture() -> Self {
        let mut detail: CompetitionDetail =
            convert(&CompetitionInfo::fixture()).unwrap_or_default();
        detail.challenges = vec![ChallengeInfo::fixture()];
        detail.challenge_count = 1;
        detail
    }
}

impl Fixture for QuestionPublicInfo {
    /// The `flag` question of an instance challenge.
    fn fixture() -> Self {
        QuestionPublicInfo {
            id: id("flag"),
            prompt: "Capture the flag served by the instance.".into(),
            mode: Some("dynamic".into()),
            ..Default::default()
        }
    }
}

impl Fixture for ChallengeInfo {
    /// `WEB-001`, an easy web challenge that launches an instance and has one question,
    /// `flag`.
    fn fixture() -> Self {
        ChallengeInfo {
            id: id("WEB-001"),
            name: "Login Bypass".into(),
            category: ChallengeCategory::Web,
            difficulty: "easy".into(),
            description: "A login form that trusts its client a little too much.".into(),
            tags: vec!["web".into(), "auth".into()],
            questions: vec![QuestionPublicInfo::fixture()],
            ..Default::default()
        }
    }
}

impl Fixture for QaChallengeView {
    /// `QA-001`, a question-only challenge with one question, `answer`.
    fn fixture() -> Self {
        QaChallengeView {
            id: id("QA-001"),
            name: "Port Trivia".into(),
            bucket: "knowledge".into(),
            description: "Questions answered without an instance.".into(),
            difficulty: "easy".into(),
            tags: vec!["qa".into()],
            questions: vec![QuestionPublicInfo {
                id: id("answer"),
                prompt: "Which TCP port does SSH listen on by default?".into(),
                mode: Some("static".into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }
}

impl Fixture for ServiceEndpoint {
    /// A web service on loopback.
    fn fixture() -> Self {
        ServiceEndpoint {
            service_type: ServiceType::Http,
            host: "127.0.0.1".into(),
            port: 18_212,
            path: "/".into(),
            label: "web".into(),
            credentials: None,
        }
    }
}

impl Fixture for AttackSurface {
    /// One web service.
    fn fixture() -> Self {
        AttackSurface {
            services: vec![ServiceEndpoint::fixture()],
            ..Default::default()
        }
    }
}

impl Fixture for StartResponse {
    /// The platform's `202` answer to a launch.
    fn fixture() -> Self {
        StartResponse {
            id: id(INSTANCE_ID),
            status: InstanceStatus::Starting,
        }
    }
}

impl Fixture for InstanceStatusResponse {
    /// A ready instance with its attack surface, under the local platform's start budget.
    fn fixture() -> Self {
        InstanceStatusResponse {
            id: id(INSTANCE_ID),
            status: InstanceStatus::Ready,
            attack_surface: Some(AttackSurface::fixture()),
            start_budget_s: 5_400,
            ..Default::default()
        }
    }
}

impl Fixture for InstanceQuestionInfo {
    /// The unlocked, unanswered `flag` question.
    fn fixture() -> Self {
        InstanceQuestionInfo {
            id: id("flag"),
            prompt: "Capture the flag served by the instance.".into(),
            mode: Some("dynamic".into()),
            unlocked: true,
            auto_check: true,
            ..Default::default()
        }
    }
}

impl Fixture for InstanceInfo {
    /// A ready instance of `WEB-001` for the player's team, started now, TTL 3 h.
    fn fixture() -> Self {
        let now = unix_now();
        InstanceInfo {
            id: id(INSTANCE_ID),
            challenge_id: id("WEB-001"),
            team_id: id(TEAM_ID),
            competition_id: id(COMPETITION_ID),
            node_id: id("127.0.0.1_18201"),
            team_name: "mock-agent".into(),
            node_name: "mock-node".into(),
            name: "Login Bypass".into(),
            category: Some(ChallengeCategory::Web),
            difficulty: "easy".into(),
            status: InstanceStatus::Ready,
            started_at: now,
            ttl: 10_800,
            expires_at: UnixTime::from(f64::from(now) + 10_800.0),
            services: vec![ServiceEndpoint::fixture()],
            questions: vec![InstanceQuestionInfo::fixture()],
            ..Default::default()
        }
    }
}

impl Fixture for SubmissionResponse {
    /// A correct, ranked, first answer to `flag` that solves the challenge.
    fn fixture() -> Self {
        SubmissionResponse {
            id: "0b5e3f1c-2d4a-4e6b-8c7d-9e0f1a2b3c4d".into(),
            correct: true,
            solve_time_s: 12.5,
            solve_rank: 1,
            question_id: Some(id("flag")),
            challenge_fully_solved: true,
            ranked: true,
            ..Default::default()
        }
    }
}

impl Fixture for VerifyAnswerResponse {
    /// A correct answer to `flag`.
    fn fixture() -> Self {
        VerifyAnswerResponse {
            correct: true,
            question_id: Some(id::<QuestionId>("flag")),
        }
    }
}

impl Fixture for ScoreboardEntry {
    /// The player's team in first place with one solve.
    fn fixture() -> Self {
        ScoreboardEntry {
            rank: 1,
            team_id: id::<TeamId>(TEAM_ID),
            team_name: "mock-agent".into(),
            solved: 1,
            flags_solved: 1,
            score: 100,
            attempts: 1,
            last_solve_at: Some(ago(Duration::from_secs(60))),
            last_active_at: Some(ago(Duration::from_secs(60))),
            ..Default::default()
        }
    }
}

impl Fixture for TeamDetail {
    /// The player's solo team.
    fn fixture() -> Self {
        TeamDetail {
            id: id(TEAM_ID),
            name: "mock-agent".into(),
            captain_user_id: id::<UserId>(USER_ID),
            captain_display_name: "Mock Agent".into(),
            member_count: 1,
            created_at: Some(ago(Duration::from_secs(3_000))),
            competition_id: id::<CompetitionId>(COMPETITION_ID),
            ..Default::default()
        }
    }
}

impl Fixture for MeResponse {
    /// The player: a verified account, no admin rights.
    fn fixture() -> Self {
        MeResponse {
            id: id(USER_ID),
            display_name: "Mock Agent".into(),
            email: "agent@example.com".into(),
            created_at: Some(ago(Duration::from_secs(86_400))),
            email_verified: true,
            ..Default::default()
        }
    }
}

impl Fixture for HealthResponse {
    /// A healthy platform of the version this SDK targets.
    fn fixture() -> Self {
        HealthResponse {
            status: "ok".into(),
            hostname: "mock-platform".into(),
            capacity: 20,
            version: crate::PLATFORM_VERSION.into(),
            ..Default::default()
        }
    }
}

impl Fixture for CompetitionInviteInfo {
    /// An invitation of a player who has not signed up yet.
    fn fixture() -> Self {
        CompetitionInviteInfo {
            email: "player@example.com".into(),
            invited_by: USER_ID.into(),
            invited_by_name: "Operator".into(),
            invited_at: Some(ago(Duration::ZERO)),
            pending_signup: true,
            ..Default::default()
        }
    }
}

/// Converts between models that share fields, through their JSON: `a`'s fields laid over
/// `B::default()` (fields `B` lacks are dropped; fields `a` lacks keep their defaults).
pub(crate) fn convert<A: serde::Serialize, B: serde::Serialize + DeserializeOwned + Default>(
    a: &A,
) -> Option<B> {
    let Ok(serde_json::Value::Object(mut base)) = serde_json::to_value(B::default()) else {
        return None;
    };
    let serde_json::Value::Object(fields) = serde_json::to_value(a).ok()? else {
        return None;
    };
    for (k, v) in fields {
        if base.contains_key(&k) {
            base.insert(k, v);
        }
    }
    serde_json::from_value(serde_json::Value::Object(base)).ok()
}
