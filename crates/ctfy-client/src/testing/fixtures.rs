//! Typed model values with realistic defaults, for tests: [`Fixture::fixture`].

use ctfy_models::{FromWire, With};
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
/// cares about with [`With::with`](ctfy_models::With) (models are `#[non_exhaustive]`, so
/// struct literals do not compile outside their crate).
///
/// ```
/// use ctfy::models::{ChallengeInfo, With};
/// use ctfy::testing::Fixture;
///
/// let hard = ChallengeInfo::fixture().with(|c| c.difficulty = "hard".into());
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

/// An id from a string the kit controls, `""` included (an id decodes from any string, as the
/// platform sends it; `""` is "nothing linked").
pub(crate) fn id<T: FromWire>(s: &str) -> T {
    T::from_wire(s)
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
        CompetitionInfo::default().with(|it| {
            it.id = id(COMPETITION_ID);
            it.title = "Mock Cup".into();
            it.created_at = Some(ago(Duration::from_secs(86_400)));
            it.updated_at = Some(ago(Duration::from_secs(3_600)));
            it.starts_at = Some(ago(Duration::from_secs(3_600)));
            it.created_by = USER_ID.into();
            it.created_by_name = "Operator".into();
            it.challenge_ids = vec![id("WEB-001")];
            it.status = CompetitionCreateStatus::Published;
            it.access = CompetitionCreateAccess::Public;
            it.phase = CompetitionDetailPhase::Running;
            it.play_open = true;
            it.agents_allowed = true;
            it.max_team_size = 4;
            it.registered_count = 1;
            it.is_registered = true;
            it.can_participate = true;
            it.my_team_id = id(TEAM_ID);
            it.my_team_name = "mock-agent".into();
        })
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
        QuestionPublicInfo::default().with(|it| {
            it.id = id("flag");
            it.prompt = "Capture the flag served by the instance.".into();
            it.mode = Some("dynamic".into());
        })
    }
}

impl Fixture for ChallengeInfo {
    /// `WEB-001`, an easy web challenge that launches an instance and has one question,
    /// `flag`.
    fn fixture() -> Self {
        ChallengeInfo::default().with(|it| {
            it.id = id("WEB-001");
            it.name = "Login Bypass".into();
            it.category = ChallengeCategory::Web;
            it.difficulty = "easy".into();
            it.description = "A login form that trusts its client a little too much.".into();
            it.tags = vec!["web".into(), "auth".into()];
            it.questions = vec![QuestionPublicInfo::fixture()];
        })
    }
}

impl Fixture for QaChallengeView {
    /// `QA-001`, a question-only challenge with one question, `answer`.
    fn fixture() -> Self {
        QaChallengeView::default().with(|it| {
            it.id = id("QA-001");
            it.name = "Port Trivia".into();
            it.bucket = "knowledge".into();
            it.description = "Questions answered without an instance.".into();
            it.difficulty = "easy".into();
            it.tags = vec!["qa".into()];
            it.questions = vec![QuestionPublicInfo::default().with(|it| {
                it.id = id("answer");
                it.prompt = "Which TCP port does SSH listen on by default?".into();
                it.mode = Some("static".into());
            })];
        })
    }
}

impl Fixture for ServiceEndpoint {
    /// A web service on loopback.
    fn fixture() -> Self {
        ServiceEndpoint::default().with(|it| {
            it.service_type = ServiceType::Http;
            it.host = "127.0.0.1".into();
            it.port = 18_212;
            it.path = "/".into();
            it.label = "web".into();
            it.credentials = None;
        })
    }
}

impl Fixture for AttackSurface {
    /// One web service.
    fn fixture() -> Self {
        AttackSurface::default().with(|it| {
            it.services = vec![ServiceEndpoint::fixture()];
        })
    }
}

impl Fixture for StartResponse {
    /// The platform's `202` answer to a launch.
    fn fixture() -> Self {
        StartResponse::default().with(|it| {
            it.id = id(INSTANCE_ID);
            it.status = InstanceStatus::Starting;
        })
    }
}

impl Fixture for InstanceStatusResponse {
    /// A ready instance with its attack surface, under the local platform's start budget.
    fn fixture() -> Self {
        InstanceStatusResponse::default().with(|it| {
            it.id = id(INSTANCE_ID);
            it.status = InstanceStatus::Ready;
            it.attack_surface = Some(AttackSurface::fixture());
            it.start_budget_s = 5_400;
        })
    }
}

impl Fixture for InstanceQuestionInfo {
    /// The unlocked, unanswered `flag` question.
    fn fixture() -> Self {
        InstanceQuestionInfo::default().with(|it| {
            it.id = id("flag");
            it.prompt = "Capture the flag served by the instance.".into();
            it.mode = Some("dynamic".into());
            it.unlocked = true;
            it.auto_check = true;
        })
    }
}

impl Fixture for InstanceInfo {
    /// A ready instance of `WEB-001` for the player's team, started now, TTL 3 h.
    fn fixture() -> Self {
        let now = unix_now();
        InstanceInfo::default().with(|it| {
            it.id = id(INSTANCE_ID);
            it.challenge_id = id("WEB-001");
            it.team_id = id(TEAM_ID);
            it.competition_id = id(COMPETITION_ID);
            it.node_id = id("127.0.0.1_18201");
            it.team_name = "mock-agent".into();
            it.node_name = "mock-node".into();
            it.name = "Login Bypass".into();
            it.category = Some(ChallengeCategory::Web);
            it.difficulty = "easy".into();
            it.status = InstanceStatus::Ready;
            it.started_at = now;
            it.ttl = 10_800;
            it.expires_at = UnixTime::from(f64::from(now) + 10_800.0);
            it.services = vec![ServiceEndpoint::fixture()];
            it.questions = vec![InstanceQuestionInfo::fixture()];
        })
    }
}

impl Fixture for SubmissionResponse {
    /// A correct, ranked, first answer to `flag` that solves the challenge.
    fn fixture() -> Self {
        SubmissionResponse::default().with(|it| {
            it.id = "0b5e3f1c-2d4a-4e6b-8c7d-9e0f1a2b3c4d".into();
            it.correct = true;
            it.solve_time_s = 12.5;
            it.solve_rank = 1;
            it.question_id = Some(id("flag"));
            it.challenge_fully_solved = true;
            it.ranked = true;
        })
    }
}

impl Fixture for VerifyAnswerResponse {
    /// A correct answer to `flag`.
    fn fixture() -> Self {
        VerifyAnswerResponse::default().with(|it| {
            it.correct = true;
            it.question_id = Some(id::<QuestionId>("flag"));
        })
    }
}

impl Fixture for ScoreboardEntry {
    /// The player's team in first place with one solve.
    fn fixture() -> Self {
        ScoreboardEntry::default().with(|it| {
            it.rank = 1;
            it.team_id = id::<TeamId>(TEAM_ID);
            it.team_name = "mock-agent".into();
            it.solved = 1;
            it.flags_solved = 1;
            it.score = 100;
            it.attempts = 1;
            it.last_solve_at = Some(ago(Duration::from_secs(60)));
            it.last_active_at = Some(ago(Duration::from_secs(60)));
        })
    }
}

impl Fixture for TeamDetail {
    /// The player's solo team.
    fn fixture() -> Self {
        TeamDetail::default().with(|it| {
            it.id = id(TEAM_ID);
            it.name = "mock-agent".into();
            it.captain_user_id = id::<UserId>(USER_ID);
            it.captain_display_name = "Mock Agent".into();
            it.member_count = 1;
            it.created_at = Some(ago(Duration::from_secs(3_000)));
            it.competition_id = id::<CompetitionId>(COMPETITION_ID);
        })
    }
}

impl Fixture for MeResponse {
    /// The player: a verified account, no admin rights.
    fn fixture() -> Self {
        MeResponse::default().with(|it| {
            it.id = id(USER_ID);
            it.display_name = "Mock Agent".into();
            it.email = "agent@example.com".into();
            it.created_at = Some(ago(Duration::from_secs(86_400)));
            it.email_verified = true;
        })
    }
}

impl Fixture for HealthResponse {
    /// A healthy platform of the version this SDK targets.
    fn fixture() -> Self {
        HealthResponse::default().with(|it| {
            it.status = "ok".into();
            it.hostname = "mock-platform".into();
            it.capacity = 20;
            it.version = crate::PLATFORM_VERSION.into();
        })
    }
}

impl Fixture for CompetitionInviteInfo {
    /// An invitation of a player who has not signed up yet.
    fn fixture() -> Self {
        CompetitionInviteInfo::default().with(|it| {
            it.email = "player@example.com".into();
            it.invited_by = USER_ID.into();
            it.invited_by_name = "Operator".into();
            it.invited_at = Some(ago(Duration::ZERO));
            it.pending_signup = true;
        })
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
