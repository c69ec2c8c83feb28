//! `ctfy mcp`: an MCP server for AI agents, over stdio or streamable HTTP.
//!
//! It offers the same tools as the Python package's `ctfy mcp` (FastMCP), under the same names
//! and with the same parameter names, types and required/optional split, so an agent's MCP
//! configuration can point at either binary. Each tool makes the SDK call of the same name and
//! answers with the SDK's model as JSON text and as `structuredContent`; a failed call answers
//! with an MCP tool error (`isError: true`) whose text carries the platform's status, `code`
//! and message, e.g. `HTTP 404 instance_not_found: Instance … not found (…)`. Tools for
//! features the platform at hand lacks (AWD, reports, authoring…) still exist and answer with
//! the platform's error. The tools are the entries of `mcp/tools.rs`; what they declare
//! beyond their parameters, and the generic handling of a call, is in `mcp/table.rs`.
//!
//! - [`serve`] (stdio): it reads the URL and token like every other command and is the only
//!   client of them; `path` arguments name directories on this machine.
//! - [`serve_http`] (`ctfy mcp --http ADDR`): stateless streamable HTTP at `/mcp`. With no
//!   token configured, each request's `Authorization: Bearer` is the platform token (its
//!   client kept in a bounded per-token cache) and a request without one is refused with 401,
//!   so one server serves many agents.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use ctfy::{PlatformClient, Registration};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
// Logging is deprecated by the newest MCP revision (SEP-2577); the clients of today, and the
// Python server's protocol version, still use it.
#[allow(deprecated)]
use rmcp::model::SetLevelRequestParams;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::commands::InstanceReady;

mod cache;
mod table;
mod tools;
use crate::exit::CliError;

/// The largest attachment a download tool returns inline (1 MiB), as in the Python server.
pub const MAX_ATTACHMENT_BYTES: usize = 1_048_576;

/// The largest authoring template this server unpacks (all members together).
const MAX_TEMPLATE_BYTES: u64 = 64 * 1024 * 1024;

/// Directory names never packed from a local challenge directory.
const SKIP_DIRS: &[&str] = &[".git", "__pycache__", "node_modules", ".venv"];
/// File names never packed from a local challenge directory.
const SKIP_FILES: &[&str] = &[".DS_Store"];

const INSTRUCTIONS: &str = "Tools of the ctfy CTF platform. Typical flow: list_competitions() \
to find an event; register_for_competition(competition_id) to get on a team (starting \
instances is refused without one; get_registration_form/submit_registration when the event \
asks for an entry form); list_competition_challenges(competition_id) to choose a challenge; \
start_instance(challenge_id, competition_id=...) and keep the returned id for the other \
instance tools; submit_answer(instance_id, answer) with what you captured; stop_instance when \
done; get_scoreboard() for standings. list_challenges/search_challenges browse the global \
catalog (practice).";

/// Serves the MCP tools on stdin/stdout with `client` until the MCP client disconnects.
///
/// # Errors
/// [`CliError::Other`] when the MCP session cannot be set up or breaks.
pub async fn serve(client: PlatformClient) -> Result<(), CliError> {
    warn_on_version_skew(&client).await;
    let running = CtfyMcp::new(client)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| CliError::Other(format!("MCP: {e}")))?;
    running
        .waiting()
        .await
        .map_err(|e| CliError::Other(format!("MCP: {e}")))?;
    Ok(())
}

/// Warns on stderr (stdout carries the protocol) when the server's version differs from the
/// one the SDK targets. Best effort: any failure is ignored, and `CTFY_SKIP_VERSION_CHECK=1`
/// skips it.
async fn warn_on_version_skew(client: &PlatformClient) {
    let skip = std::env::var("CTFY_SKIP_VERSION_CHECK").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    });
    if skip {
        return;
    }
    let check = client
        .check_server_compatibility(None)
        .timeout(Duration::from_secs(3));
    if let Ok(Ok(check)) = tokio::time::timeout(Duration::from_secs(5), check.send()).await
        && !check.is_quiet()
    {
        eprintln!("ctfy mcp: warning: {}", check.message());
    }
}

/// Builds the SDK client for a platform token (`ctfy mcp --http` without a configured token:
/// each request's bearer token).
pub type ClientFor = std::sync::Arc<dyn Fn(&str) -> Result<PlatformClient, CliError> + Send + Sync>;

/// The MCP server: one SDK client and the router of the tool table (`mcp/tools.rs`).
#[derive(Clone)]
pub struct CtfyMcp {
    client: PlatformClient,
    tool_router: ToolRouter<Self>,
    /// Over HTTP without a configured token: the client of each request's bearer token.
    per_request: Option<ClientFor>,
}

/// Serves the MCP tools over streamable HTTP at `http://addr/mcp`, statelessly (a
/// `tools/call` needs no prior session), until interrupted. With `per_request`, each request's
/// `Authorization: Bearer` token is the platform token and a request without one is answered
/// 401; otherwise every request uses `client`.
///
/// # Errors
/// [`CliError::Other`] when the address cannot be bound or the server fails.
pub async fn serve_http(
    client: PlatformClient,
    addr: std::net::SocketAddr,
    per_request: Option<ClientFor>,
) -> Result<(), CliError> {
    use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService,
    };
    if per_request.is_none() {
        warn_on_version_skew(&client).await;
    }
    // One client per token, kept for its next requests (a connection pool each).
    let per_request = per_request.map(|make| {
        let cache = std::sync::Arc::new(cache::ClientCache::new(make, cache::CLIENTS_KEPT));
        std::sync::Arc::new(move |token: &str| cache.get(token)) as ClientFor
    });
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true);
    if !addr.ip().is_loopback() {
        // Bound beyond loopback on purpose: the Host header is whatever name reaches it.
        config = config.disable_allowed_hosts();
    }
    let server = CtfyMcp {
        per_request: per_request.clone(),
        ..CtfyMcp::new(client)
    };
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        std::sync::Arc::new(NeverSessionManager::default()),
        config,
    );
    let mut router = axum::Router::new().nest_service("/mcp", service);
    if per_request.is_some() {
        router = router.layer(axum::middleware::from_fn(require_bearer));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Other(format!("MCP: cannot listen on {addr}: {e}")))?;
    let bound = listener.local_addr().unwrap_or(addr);
    eprintln!("ctfy mcp: serving MCP at http://{bound}/mcp");
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            tokio::signal::ctrl_c().await.ok();
        })
        .await
        .map_err(|e| CliError::Other(format!("MCP: {e}")))
}

/// The bearer token of a request, if it carries one.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Answers 401 to a request without a bearer token.
async fn require_bearer(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if bearer(request.headers()).is_none() {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
            "ctfy mcp: this server takes the platform token per request: send Authorization: Bearer <token>\n",
        )
            .into_response();
    }
    next.run(request).await
}

impl std::fmt::Debug for CtfyMcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtfyMcp").finish_non_exhaustive()
    }
}

/// A failed tool call: the text the agent sees.
#[derive(Debug)]
struct Fail(String);

impl From<ctfy::Error> for Fail {
    fn from(e: ctfy::Error) -> Self {
        Fail(e.report().to_string())
    }
}

type Out<T> = Result<T, Fail>;

/// [`reply`] for a tool of several steps: `?` in the block turns SDK and other errors into
/// [`Fail`].
async fn steps<T: Serialize>(tool: impl Future<Output = Out<T>>) -> CallToolResult {
    reply(tool.await)
}

/// The tool result of `r` (an SDK call's result, or the result of several steps): its JSON
/// text, or a tool error.
fn reply<T: Serialize, E: Into<Fail>>(r: Result<T, E>) -> CallToolResult {
    match r
        .map_err(Into::into)
        .and_then(|v| serde_json::to_string(&v).map_err(|e| Fail(format!("JSON: {e}"))))
    {
        Ok(text) => CallToolResult::success(vec![ContentBlock::text(text)]),
        Err(Fail(msg)) => CallToolResult::error(vec![ContentBlock::text(msg)]),
    }
}

/// A non-negative count for the SDK.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Seconds as a duration (negative counts as zero).
fn secs(n: i64) -> Duration {
    Duration::from_secs(count(n))
}

fn fifty() -> i64 {
    50
}
fn twenty() -> i64 {
    20
}
fn flag() -> String {
    "flag".into()
}
fn answer_question() -> String {
    "answer".into()
}

/// An answer: one string, or several for a multi-select question.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(inline)]
enum AnswerArg {
    One(String),
    Many(Vec<String>),
}

impl From<AnswerArg> for ctfy::models::StringOrList {
    fn from(a: AnswerArg) -> Self {
        match a {
            AnswerArg::One(s) => Self::One(s),
            AnswerArg::Many(v) => Self::Many(v),
        }
    }
}

// ----- parameters -------------------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
struct ListCompetitionsArgs {
    /// Only competitions in this phase: upcoming, running or past; empty for all.
    #[serde(default)]
    phase: String,
    /// Rows to skip.
    #[serde(default)]
    offset: i64,
    /// Rows to return at most.
    #[serde(default = "fifty")]
    limit: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct CompetitionArg {
    /// The competition id.
    competition_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
enum RegisterMode {
    Solo,
    Create,
    Join,
}

fn solo() -> RegisterMode {
    RegisterMode::Solo
}

#[derive(Debug, Deserialize, JsonSchema)]
struct RegisterArgs {
    /// The competition to enter.
    competition_id: String,
    /// `solo` (default; idempotent), `create` (needs `name`) or `join` (needs `code`).
    #[serde(default = "solo")]
    mode: RegisterMode,
    /// The new team's name, for `create`.
    #[serde(default)]
    name: String,
    /// The new team's description, for `create`.
    #[serde(default)]
    description: String,
    /// The captain's invite code, for `join`.
    #[serde(default)]
    code: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(inline)]
enum Gender {
    #[default]
    #[serde(rename = "")]
    Unset,
    #[serde(rename = "male")]
    Male,
    #[serde(rename = "female")]
    Female,
    #[serde(rename = "other")]
    Other,
    #[serde(rename = "undisclosed")]
    Undisclosed,
}

impl Gender {
    fn as_str(&self) -> &'static str {
        match self {
            Gender::Unset => "",
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Other => "other",
            Gender::Undisclosed => "undisclosed",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
struct SubmitRegistrationArgs {
    /// The competition whose entry form to fill in. The whole form is replaced: send every
    /// value, not only the changed ones.
    competition_id: String,
    /// Legal name.
    #[serde(default)]
    real_name: String,
    /// Phone number.
    #[serde(default)]
    phone: String,
    /// Postal address.
    #[serde(default)]
    mailing_address: String,
    /// male, female, other, undisclosed, or empty.
    #[serde(default)]
    gender: Gender,
    /// School or company.
    #[serde(default)]
    organization: String,
    /// Stage of study (e.g. undergraduate).
    #[serde(default)]
    academic_stage: String,
    /// Year of study.
    #[serde(default)]
    grade: String,
    /// Undergraduate school.
    #[serde(default)]
    undergrad_school: String,
    /// Skill tags.
    #[serde(default)]
    specialties: Option<Vec<String>>,
    /// Earlier results of the team (captains only).
    #[serde(default)]
    team_honors: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct CompetitionChallengesArgs {
    /// The competition id.
    competition_id: String,
    /// Only this difficulty (easy, medium, hard); null for all.
    #[serde(default)]
    difficulty: Option<String>,
    /// Only challenges with this tag; empty for all.
    #[serde(default)]
    tag: String,
    /// Rows to skip.
    #[serde(default)]
    offset: i64,
    /// Rows to return at most.
    #[serde(default = "fifty")]
    limit: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct SearchChallengesArgs {
    /// Words to look for in ids, names and descriptions.
    q: String,
    /// Only this difficulty (easy, medium, hard); null for all.
    #[serde(default)]
    difficulty: Option<String>,
    /// Rows to return at most.
    #[serde(default = "twenty")]
    limit: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ListChallengesArgs {
    /// Only this difficulty (easy, medium, hard); null for all.
    #[serde(default)]
    difficulty: Option<String>,
    /// Only challenges with this tag; empty for all.
    #[serde(default)]
    tag: String,
    /// Only this category (web, pwn, reverse, crypto, misc); empty for all.
    #[serde(default)]
    category: String,
    /// Rows to skip.
    #[serde(default)]
    offset: i64,
    /// Rows to return at most.
    #[serde(default = "fifty")]
    limit: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct GetChallengeArgs {
    /// The challenge id.
    challenge_id: String,
    /// Count solves within this competition; empty for the whole catalog.
    #[serde(default)]
    competition_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ChallengeArg {
    /// The challenge id.
    challenge_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct StartInstanceArgs {
    /// The challenge to launch.
    challenge_id: String,
    /// Lifetime in seconds; null for the platform's default (capped by its maximum).
    #[serde(default)]
    ttl: Option<i64>,
    /// The competition to play it in (needed when you are on teams in several).
    #[serde(default)]
    competition_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct InstanceArg {
    /// The instance id that start_instance returned.
    instance_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct TrafficArgs {
    /// The instance id that start_instance returned.
    instance_id: String,
    /// Where to go on from: the cursor of the previous page; empty the first time.
    #[serde(default)]
    cursor: String,
    /// Flows per page.
    #[serde(default = "twenty")]
    limit: i64,
    /// The competition, when you are on teams in several.
    #[serde(default)]
    competition_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct InstanceTtlArgs {
    /// The instance id.
    instance_id: String,
    /// Seconds; null for the platform's default.
    #[serde(default)]
    ttl: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ListInstancesArgs {
    /// Only this challenge; empty for all.
    #[serde(default)]
    challenge_id: String,
    /// Only this status (starting, ready, error); empty for all.
    #[serde(default)]
    status: String,
    /// Words to look for in challenge ids and names; empty for all.
    #[serde(default)]
    q: String,
    /// Rows to skip.
    #[serde(default)]
    offset: i64,
    /// Rows to return at most.
    #[serde(default = "fifty")]
    limit: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct AnswerArgs {
    /// The instance id that start_instance returned.
    instance_id: String,
    /// The answer: a string, or a list of strings for a multi-select question.
    answer: AnswerArg,
    /// The question answered (default `flag`).
    #[serde(default = "flag")]
    question_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ChallengeFileArgs {
    /// The challenge id.
    challenge_id: String,
    /// The attachment's file name (from list_challenge_attachments).
    filename: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct InstanceFileArgs {
    /// The instance id.
    instance_id: String,
    /// The attachment's file name (from list_instance_attachments).
    filename: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct CompetitionFileArgs {
    /// The competition id.
    competition_id: String,
    /// The attachment's id (from list_competition_attachments).
    attachment_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct AwdFlagsArgs {
    /// The competition running the attack-defence match.
    competition_id: String,
    /// Every flag you captured, in one list.
    flags: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct SshArgs {
    /// Your box in this attack-defence match (give this or instance_id).
    #[serde(default)]
    competition_id: String,
    /// An instance you started (give this or competition_id).
    #[serde(default)]
    instance_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct JoinArenaArgs {
    /// The competition running the attack-defence match.
    competition_id: String,
    /// Your WireGuard public key; empty to have one generated.
    #[serde(default)]
    public_key: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct AwdBoardArgs {
    /// The competition running the attack-defence match.
    competition_id: String,
    /// A given round; null for the last settled one.
    #[serde(default)]
    tick: Option<i64>,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct QaAnswerArgs {
    /// The question-only challenge (from list_qa_challenges).
    challenge_id: String,
    /// The competition it belongs to.
    competition_id: String,
    /// The answer: a string, or a list of strings for a multi-select question.
    answer: AnswerArg,
    /// The question answered (default `answer`).
    #[serde(default = "answer_question")]
    question_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct CheckArgs {
    /// The instance id.
    instance_id: String,
    /// The question whose checker to run (default `flag`).
    #[serde(default = "flag")]
    question_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct PatchArgs {
    /// The instance whose challenge you are patching.
    instance_id: String,
    /// Challenge-relative path → new contents in base64; null to have the platform read the
    /// files from the live box.
    #[serde(default)]
    files: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ReportArgs {
    /// The competition.
    competition_id: String,
    /// The challenge the report is about.
    challenge_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct SaveReportArgs {
    /// The competition.
    competition_id: String,
    /// The challenge the report is about.
    challenge_id: String,
    /// The whole report, in Markdown.
    content: String,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
enum Category {
    #[default]
    Web,
    Pwn,
    Reverse,
    Crypto,
    Misc,
}

impl Category {
    fn as_str(&self) -> &'static str {
        match self {
            Category::Web => "web",
            Category::Pwn => "pwn",
            Category::Reverse => "reverse",
            Category::Crypto => "crypto",
            Category::Misc => "misc",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(inline)]
enum Stack {
    Go,
    PythonFlask,
    NodeExpress,
    RubySinatra,
    PhpApache,
}

impl Stack {
    fn as_str(&self) -> &'static str {
        match self {
            Stack::Go => "go",
            Stack::PythonFlask => "python-flask",
            Stack::NodeExpress => "node-express",
            Stack::RubySinatra => "ruby-sinatra",
            Stack::PhpApache => "php-apache",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
struct TemplateArgs {
    /// The kind of challenge to start from.
    #[serde(default)]
    category: Category,
    /// The web stack: needed for category web, refused for the others.
    #[serde(default)]
    stack: Option<Stack>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(inline)]
enum License {
    #[default]
    #[serde(rename = "")]
    Unset,
    #[serde(rename = "CC-BY-4.0")]
    CcBy,
    #[serde(rename = "CC-BY-NC-4.0")]
    CcByNc,
    #[serde(rename = "CC-BY-SA-4.0")]
    CcBySa,
    #[serde(rename = "MIT")]
    Mit,
    #[serde(rename = "Apache-2.0")]
    Apache,
    #[serde(rename = "platform-only")]
    PlatformOnly,
}

impl License {
    fn as_str(&self) -> &'static str {
        match self {
            License::Unset => "",
            License::CcBy => "CC-BY-4.0",
            License::CcByNc => "CC-BY-NC-4.0",
            License::CcBySa => "CC-BY-SA-4.0",
            License::Mit => "MIT",
            License::Apache => "Apache-2.0",
            License::PlatformOnly => "platform-only",
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(inline)]
enum Provenance {
    #[default]
    #[serde(rename = "")]
    Unset,
    #[serde(rename = "original")]
    Original,
    #[serde(rename = "port")]
    Port,
}

impl Provenance {
    fn as_str(&self) -> &'static str {
        match self {
            Provenance::Unset => "",
            Provenance::Original => "original",
            Provenance::Port => "port",
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(inline)]
enum AiAssisted {
    #[default]
    #[serde(rename = "")]
    Unset,
    #[serde(rename = "yes")]
    Yes,
    #[serde(rename = "no")]
    No,
}

impl AiAssisted {
    fn as_str(&self) -> &'static str {
        match self {
            AiAssisted::Unset => "",
            AiAssisted::Yes => "yes",
            AiAssisted::No => "no",
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
enum Credit {
    DisplayName,
    #[default]
    Anonymous,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
enum Destination {
    #[default]
    Public,
    EvalOnly,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct UploadArgs {
    /// The competition to upload into.
    competition_id: String,
    /// A short name for the challenge.
    slug: String,
    /// The whole tree as relative path → text (small text-only trees).
    #[serde(default)]
    files: Option<BTreeMap<String, String>>,
    /// The licence of the challenge.
    #[serde(default)]
    license: License,
    /// original or port.
    #[serde(default)]
    provenance: Provenance,
    /// Where a port comes from.
    #[serde(default)]
    source_url: String,
    /// yes or no: written with AI help.
    #[serde(default)]
    ai_assisted: AiAssisted,
    /// Whether the challenge may be used for evaluations.
    #[serde(default)]
    eval_use: bool,
    /// display_name or anonymous.
    #[serde(default)]
    credit: Credit,
    /// The authoring terms version you accept.
    #[serde(default)]
    accepted_terms_version: String,
    /// public or eval_only.
    #[serde(default)]
    destination: Destination,
    /// The challenge directory on this machine (this server packs it).
    #[serde(default)]
    path: String,
    /// A base64 .tar.gz of the tree: for the platform's HTTP endpoint only; over this local
    /// server pass `path` instead.
    #[serde(default)]
    archive_base64: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ReviseArgs {
    /// The competition the challenge was written for.
    competition_id: String,
    /// The approved upload's id.
    challenge_id: String,
    /// The whole new tree as relative path → text.
    #[serde(default)]
    files: Option<BTreeMap<String, String>>,
    /// The new tree's directory on this machine.
    #[serde(default)]
    path: String,
    /// A base64 .tar.gz: for the HTTP endpoint only; pass `path` here.
    #[serde(default)]
    archive_base64: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ChallengeFilterArg {
    /// Only this challenge; empty for all.
    #[serde(default)]
    challenge_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ListSubmissionsArgs {
    /// Only this challenge; empty for all.
    #[serde(default)]
    challenge_id: String,
    /// Rows to skip.
    #[serde(default)]
    offset: i64,
    /// Rows to return at most.
    #[serde(default = "fifty")]
    limit: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ScoreboardArgs {
    /// Only this challenge category; empty for all. Accepted for parity with the Python tool,
    /// which sends it; the platform (0.7.0) ignores it on the global board.
    #[serde(default)]
    #[allow(dead_code)]
    category: String,
    /// Rows to skip.
    #[serde(default)]
    offset: i64,
    /// Rows to return at most.
    #[serde(default = "fifty")]
    limit: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct PagingArgs {
    /// Rows to skip.
    #[serde(default)]
    offset: i64,
    /// Rows to return at most.
    #[serde(default = "fifty")]
    limit: i64,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct OptionalCompetitionArg {
    /// Only this competition; empty for every team you have played for.
    #[serde(default)]
    competition_id: String,
}

// ----- results that are not SDK models ----------------------------------------------------

/// A downloaded attachment: UTF-8 text inline, other bytes in base64, too large ones not at all.
#[derive(Debug, Serialize)]
struct AttachmentContent {
    filename: String,
    size: usize,
    /// `utf-8`, `base64` or `too-large`.
    encoding: String,
    content: String,
    note: String,
}

impl AttachmentContent {
    fn of(filename: String, raw: &[u8]) -> Self {
        let size = raw.len();
        if size > MAX_ATTACHMENT_BYTES {
            return Self {
                filename,
                size,
                encoding: "too-large".into(),
                content: String::new(),
                note: format!(
                    "{size} bytes is more than this tool returns ({MAX_ATTACHMENT_BYTES}); download it another way"
                ),
            };
        }
        match std::str::from_utf8(raw) {
            Ok(text) => Self {
                filename,
                size,
                encoding: "utf-8".into(),
                content: text.to_owned(),
                note: String::new(),
            },
            Err(_) => Self {
                filename,
                size,
                encoding: "base64".into(),
                content: base64::engine::general_purpose::STANDARD.encode(raw),
                note: String::new(),
            },
        }
    }
}

/// An authoring template: its text files (relative path → text) and the paths of the binary
/// ones.
#[derive(Debug, Default, Serialize)]
struct AuthoredTree {
    files: BTreeMap<String, String>,
    binary: Vec<String>,
}

// ----- archives ---------------------------------------------------------------------------

/// A `.tar.gz` of `files` under one top directory `root` (the shape the platform expects:
/// it strips that first component).
fn pack_tree(root: &str, files: &BTreeMap<String, Vec<u8>>) -> Result<Vec<u8>, Fail> {
    let io = |e: std::io::Error| Fail(format!("could not pack the archive: {e}"));
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (name, body) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, format!("{root}/{name}"), body.as_slice())
            .map_err(io)?;
    }
    tar.into_inner().map_err(io)?.finish().map_err(io)
}

/// The regular files under `dir` (relative `/`-separated path → bytes), leaving out version
/// control and build output.
fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) -> Result<(), Fail> {
    let io = |e: std::io::Error| Fail(format!("could not read {}: {e}", dir.display()));
    let mut entries = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(io)?;
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        if kind.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) {
                walk(&entry.path(), &rel, out)?;
            }
        } else if kind.is_file() && !SKIP_FILES.contains(&name.as_str()) {
            out.insert(rel, std::fs::read(entry.path()).map_err(io)?);
        }
        // Symlinks and special files are left out: the platform refuses archives with them.
    }
    Ok(())
}

/// The archive a tool call sends, from exactly one of `files`, `path` and `archive_base64`.
fn archive_of(
    name: &str,
    files: Option<BTreeMap<String, String>>,
    path: &str,
    archive_base64: &str,
) -> Result<Vec<u8>, Fail> {
    let files = files.filter(|f| !f.is_empty());
    let given: Vec<&str> = [
        ("files", files.is_some()),
        ("path", !path.is_empty()),
        ("archive_base64", !archive_base64.is_empty()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    if given.len() > 1 {
        return Err(Fail(format!(
            "give the tree in one form only, not {}",
            given.join(" and ")
        )));
    }
    if !archive_base64.is_empty() {
        return Err(Fail(
            "this is the local `ctfy mcp` server: pass the challenge directory as `path` (it is packed here) instead of `archive_base64`".into(),
        ));
    }
    if !path.is_empty() {
        let dir = PathBuf::from(path);
        let dir = dir
            .canonicalize()
            .map_err(|e| Fail(format!("`path` {path:?}: {e}")))?;
        if !dir.is_dir() {
            return Err(Fail(format!("`path` {path:?} is not a directory")));
        }
        let root = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_owned());
        let mut body = BTreeMap::new();
        walk(&dir, "", &mut body)?;
        return pack_tree(&root, &body);
    }
    match files {
        Some(files) => {
            let body = files
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes()))
                .collect();
            pack_tree(name, &body)
        }
        None => Err(Fail(
            "send the tree: `path` (a directory on this machine) or `files` (relative path → text)"
                .into(),
        )),
    }
}

/// The files of a `.tar.gz`, without their first path component.
fn unpack_tree(blob: &[u8]) -> Result<AuthoredTree, Fail> {
    let bad = |e: std::io::Error| Fail(format!("the template is not a readable .tar.gz: {e}"));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(blob));
    let mut tree = AuthoredTree::default();
    let mut total = 0u64;
    for entry in archive.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = entry
            .path()
            .map_err(bad)?
            .to_string_lossy()
            .replace('\\', "/");
        let Some((_, relative)) = name.split_once('/') else {
            continue;
        };
        if relative.is_empty() {
            continue;
        }
        let relative = relative.to_owned();
        total = total.saturating_add(entry.header().size().unwrap_or(0));
        if total > MAX_TEMPLATE_BYTES {
            return Err(Fail("the template is too large to unpack".into()));
        }
        let mut bytes = Vec::new();
        entry
            .take(MAX_TEMPLATE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(bad)?;
        match String::from_utf8(bytes) {
            Ok(text) => {
                tree.files.insert(relative, text);
            }
            Err(_) => tree.binary.push(relative),
        }
    }
    tree.binary.sort();
    Ok(tree)
}

// ----- tools ------------------------------------------------------------------------------

impl CtfyMcp {
    /// A server answering with `client`.
    pub fn new(client: PlatformClient) -> Self {
        Self {
            client,
            tool_router: tools::router(),
            per_request: None,
        }
    }
}

impl ServerHandler for CtfyMcp {
    #[allow(deprecated)] // enable_logging: see SetLevelRequestParams above.
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_prompts()
            .enable_logging()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("ctfy", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = self
            .tool_router
            .list_all()
            .into_iter()
            .map(table::decorate)
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tool_router.get(name).cloned().map(table::decorate)
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if let Some(tool) = self.tool_router.get(&name) {
            let mut args = request.arguments.take().unwrap_or_default();
            if let Err(msg) = table::prepare_arguments(tool, &mut args) {
                return Ok(table::tool_error(msg));
            }
            request.arguments = Some(args);
        }
        let Some(make) = &self.per_request else {
            let tcc = ToolCallContext::new(self, request, context);
            let response = self.tool_router.call(tcc).await?;
            return Ok(table::add_structured(&name, response));
        };
        // Over HTTP without a configured token: the caller's own token, for this call only.
        let token = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| bearer(&parts.headers))
            .map(str::to_owned);
        let Some(token) = token else {
            return Ok(table::tool_error(
                "no platform token: send Authorization: Bearer <token>".into(),
            ));
        };
        let client = match make(&token) {
            Ok(c) => c,
            Err(e) => return Ok(table::tool_error(e.to_string())),
        };
        let caller = CtfyMcp {
            client,
            tool_router: self.tool_router.clone(),
            per_request: None,
        };
        let tcc = ToolCallContext::new(&caller, request, context);
        let response = self.tool_router.call(tcc).await?;
        Ok(table::add_structured(&name, response))
    }

    /// Accepted: this server sends no log messages of its own, so every level is honoured.
    #[allow(deprecated)]
    async fn set_level(
        &self,
        _request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks_a_tree() {
        let files: BTreeMap<String, Vec<u8>> = [
            ("metadata.yaml".to_owned(), b"name: x\n".to_vec()),
            ("bin/blob".to_owned(), vec![0xff, 0xfe, 0x00]),
        ]
        .into_iter()
        .collect();
        let blob = pack_tree("mine", &files).unwrap();
        let tree = unpack_tree(&blob).unwrap();
        assert_eq!(
            tree.files.get("metadata.yaml").map(String::as_str),
            Some("name: x\n")
        );
        assert_eq!(tree.binary, vec!["bin/blob".to_owned()]);
    }

    #[test]
    fn garbage_is_not_a_template() {
        assert!(unpack_tree(b"not a tarball").is_err());
    }

    #[test]
    fn one_form_of_tree_only() {
        let files = Some([("a".to_owned(), "b".to_owned())].into_iter().collect());
        assert!(archive_of("x", files, "/tmp", "").is_err());
        assert!(archive_of("x", None, "", "AAAA").is_err());
        assert!(archive_of("x", None, "", "").is_err());
    }

    #[test]
    fn attachments_inline_text_and_encode_bytes() {
        assert_eq!(AttachmentContent::of("a".into(), b"hi").encoding, "utf-8");
        assert_eq!(
            AttachmentContent::of("a".into(), &[0xff]).encoding,
            "base64"
        );
        let big = vec![b'a'; MAX_ATTACHMENT_BYTES + 1];
        assert_eq!(
            AttachmentContent::of("a".into(), &big).encoding,
            "too-large"
        );
    }
}
