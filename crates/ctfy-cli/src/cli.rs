//! The command line, as `clap` parses it.

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::exit::HELP_AFTER;

/// `ctfy`: play and run ctfy CTF competitions from a terminal, or serve the platform to an
/// AI agent over MCP (`ctfy mcp`).
#[derive(Debug, Parser)]
#[command(name = "ctfy", version, after_help = HELP_AFTER, propagate_version = true)]
pub struct Cli {
    /// The options every command takes.
    #[command(flatten)]
    pub global: GlobalOpts,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The options of both binaries, accepted anywhere on the command line.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalOpts {
    /// Platform URL (default: $CTFY_PLATFORM_URL, else $CTFY_URL, else the current saved
    /// host of `ctfy login`).
    #[arg(
        long = "platform-url",
        id = "url",
        alias = "url",
        global = true,
        value_name = "URL"
    )]
    pub url: Option<String>,
    /// API (`pf_`) or session (`pt_`) token (default: $CTFY_TOKEN, else the saved one). Prefer
    /// the variable: a flag is visible to other local users in the process list.
    #[arg(long, global = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// A saved host (see `ctfy auth status`) to use instead of the current one (default:
    /// $CTFY_HOST).
    #[arg(long, global = true, value_name = "KEY")]
    pub host: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Comma-separated top-level keys to keep (JSON only).
    #[arg(long, global = true, value_name = "KEYS")]
    pub fields: Option<String>,
    /// A jq expression to filter the JSON through (needs `jq` on PATH).
    #[arg(long = "jq", id = "jq", global = true, value_name = "EXPR")]
    pub jq: Option<String>,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the signed-in account and its teams.
    #[command(hide = true)]
    Whoami,
    /// Competitions: list and show.
    #[command(hide = true)]
    #[command(subcommand)]
    Competitions(CompetitionsCmd),
    /// Get on a team in a competition: solo (default), a new team, or one you join by code.
    #[command(hide = true)]
    Register(RegisterArgs),
    /// Challenges: list and show.
    #[command(hide = true)]
    #[command(subcommand)]
    Challenges(ChallengesCmd),
    /// Challenge instances: start, status, stop, renew, reset, list.
    #[command(subcommand)]
    Instance(InstanceCmd),
    /// Submit an answer for a question of an instance (exit code 1 when wrong).
    #[command(hide = true)]
    Submit(AnswerArgs),
    /// Check an answer without recording it (exit code 1 when wrong).
    Verify(AnswerArgs),
    /// Question-only challenges (no instance): list and answer.
    #[command(subcommand)]
    Qa(QaCmd),
    /// Show the scoreboard: a competition's, or the global one.
    Scoreboard(ScoreboardArgs),
    /// Follow the live event stream until Ctrl-C (one JSON object per line with --json).
    Events(EventsArgs),
    /// API tokens of the account (need a `pt_` session token).
    #[command(hide = true)]
    #[command(subcommand)]
    Tokens(TokensCmd),
    /// Operator actions (need an admin's `pt_` session token).
    #[command(hide = true)]
    #[command(subcommand)]
    Admin(crate::admin::AdminCmd),
    /// Print a shell completion script (e.g. `ctfy completions bash > ~/.local/share/bash-completion/completions/ctfy`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Serve the platform's player tools over MCP (for AI agents): on stdin/stdout, or over
    /// streamable HTTP with `--http`.
    Mcp {
        /// Serve MCP streamable HTTP at `http://ADDR/mcp` instead of stdio (e.g.
        /// 127.0.0.1:8765). With no token configured, each request's `Authorization: Bearer`
        /// token is used as the platform token and a request without one is refused (401).
        #[arg(long, value_name = "ADDR")]
        http: Option<std::net::SocketAddr>,
    },
}

/// Paging options shared by listings.
#[derive(Debug, Clone, Copy, Args)]
pub struct Paging {
    /// How many rows to fetch.
    #[arg(long, default_value_t = 50)]
    pub limit: u64,
    /// How many rows to skip.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
}

/// `ctfy competitions …`
#[derive(Debug, Subcommand)]
pub enum CompetitionsCmd {
    /// List competitions.
    List {
        /// Only this phase: upcoming, running or past.
        #[arg(long)]
        phase: Option<String>,
        /// Paging.
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one competition with its challenges and your registration.
    Show {
        /// The competition id.
        id: String,
    },
}

/// `ctfy register …`
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The competition id.
    pub competition: String,
    /// Create a team with this name instead of registering solo.
    #[arg(long, value_name = "NAME", conflicts_with = "join")]
    pub create: Option<String>,
    /// The new team's description (with --create).
    #[arg(long, default_value = "", requires = "create")]
    pub description: String,
    /// Join an existing team with its invite code.
    #[arg(long, value_name = "CODE")]
    pub join: Option<String>,
}

/// `ctfy challenges …`
#[derive(Debug, Subcommand)]
pub enum ChallengesCmd {
    /// List challenges: a competition's (curated order), or the whole catalog.
    List {
        /// The competition (default: $CTFY_COMPETITION; the global catalog without one).
        #[arg(long, short = 'c', env = "CTFY_COMPETITION")]
        competition: Option<String>,
        /// Only this difficulty: easy, medium or hard.
        #[arg(long)]
        difficulty: Option<String>,
        /// Only challenges with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only this category (global catalog only).
        #[arg(long)]
        category: Option<String>,
        /// Full-text search (global catalog only).
        #[arg(long, short = 'q')]
        search: Option<String>,
        /// Paging.
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one challenge and its questions.
    Show {
        /// The challenge id.
        id: String,
        /// The competition it is played in (default: $CTFY_COMPETITION).
        #[arg(long, short = 'c', env = "CTFY_COMPETITION")]
        competition: Option<String>,
    },
}

/// `ctfy instance …`
#[derive(Debug, Subcommand)]
pub enum InstanceCmd {
    /// Launch an instance of a challenge and wait until it is ready (spinner on stderr).
    Start {
        /// The challenge id.
        #[arg(value_name = "CHALLENGE_ID")]
        challenge: String,
        /// The competition to play it in (default: $CTFY_COMPETITION).
        #[arg(long, short = 'c', env = "CTFY_COMPETITION")]
        competition: Option<String>,
        /// Lifetime in seconds (the platform's default when omitted).
        #[arg(long)]
        ttl: Option<u64>,
        /// Give up (and stop the instance) after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// Show an instance's status and attack surface.
    #[command(alias = "status", alias = "show")]
    View {
        /// The instance id.
        #[arg(value_name = "IDENTIFIER")]
        id: String,
    },
    /// Stop an instance (an instance already gone counts as stopped).
    Stop {
        /// The instance id.
        #[arg(value_name = "INSTANCE_ID")]
        id: String,
    },
    /// Extend an instance's lifetime.
    Renew {
        /// The instance id.
        #[arg(value_name = "INSTANCE_ID")]
        id: String,
        /// Seconds to add (the platform's default when omitted).
        #[arg(long)]
        ttl: Option<u64>,
    },
    /// Replace an instance with a fresh one (new id and answers; solves carry over).
    Reset {
        /// The instance id.
        #[arg(value_name = "INSTANCE_ID")]
        id: String,
        /// Lifetime of the new instance in seconds.
        #[arg(long)]
        ttl: Option<u64>,
    },
    /// List your team's instances.
    List {
        /// Only this competition (default: $CTFY_COMPETITION).
        #[arg(long, short = 'c', env = "CTFY_COMPETITION")]
        competition: Option<String>,
        /// Only this challenge.
        #[arg(long)]
        challenge: Option<String>,
        /// Only this status: starting, ready, error or stopped.
        #[arg(long)]
        status: Option<String>,
        /// Paging.
        #[command(flatten)]
        paging: Paging,
    },
}

/// `ctfy submit` / `ctfy verify`
#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The instance id.
    pub instance: String,
    /// The answer; several values answer a multi-select question.
    #[arg(required = true, num_args = 1..)]
    pub answer: Vec<String>,
    /// The question answered.
    #[arg(long, short = 'Q', default_value = "flag")]
    pub question: String,
}

/// `ctfy qa …`
#[derive(Debug, Subcommand)]
pub enum QaCmd {
    /// List a competition's question-only challenges and what you solved.
    List {
        /// The competition id (default: $CTFY_COMPETITION).
        #[arg(long, short = 'c', env = "CTFY_COMPETITION")]
        competition: String,
    },
    /// Answer a question of a question-only challenge (exit code 1 when wrong).
    Answer {
        /// The challenge id.
        challenge: String,
        /// The answer; several values answer a multi-select question.
        #[arg(required = true, num_args = 1..)]
        answer: Vec<String>,
        /// The competition id (default: $CTFY_COMPETITION).
        #[arg(long, short = 'c', env = "CTFY_COMPETITION")]
        competition: String,
        /// The question answered.
        #[arg(long, short = 'Q', default_value = "answer")]
        question: String,
    },
}

/// `ctfy scoreboard`
#[derive(Debug, Args)]
pub struct ScoreboardArgs {
    /// A competition's board (default: $CTFY_COMPETITION; the global board without one).
    #[arg(long, short = 'c', env = "CTFY_COMPETITION")]
    pub competition: Option<String>,
    /// Only one side of a mixed board, ranks renumbered: `human` or `agent` (default: everybody).
    #[arg(long)]
    pub division: Option<String>,
    /// Paging.
    #[command(flatten)]
    pub paging: Paging,
}

/// `ctfy events`
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only these event types (e.g. `instance_ready`); repeat for several.
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Stop after this many events.
    #[arg(long)]
    pub count: Option<u64>,
}

/// `ctfy tokens …`
#[derive(Debug, Subcommand)]
pub enum TokensCmd {
    /// List the account's API tokens.
    List {
        /// Paging.
        #[command(flatten)]
        paging: Paging,
    },
    /// Mint a fine-grained `pf_` API token; its secret is printed once.
    Mint {
        /// A label to recognise it by.
        #[arg(long, default_value = "ctfy-cli")]
        label: String,
        /// Days until it expires (the platform's default, 30, when omitted).
        #[arg(long)]
        days: Option<i64>,
        /// A permission template: agent_play, agent_author, ci_submit, read_only,
        /// registry_push or full_access.
        #[arg(long)]
        template: Option<String>,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The token id (from `ctfy tokens list`).
        id: String,
    },
}

/// Prints the completion script for `shell` to stdout.
pub fn print_completions(shell: Shell) {
    let mut cmd = crate::command("ctfy");
    clap_complete::generate(shell, &mut cmd, "ctfy", &mut std::io::stdout());
}
