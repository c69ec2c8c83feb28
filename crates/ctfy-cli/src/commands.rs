//! The player commands.

use std::time::Duration;

use ctfy::models::{
    AttackSurface, ChallengeInfo, InstanceInfo, InstanceStatusResponse, StringOrList,
    SubmissionResponse,
};
use ctfy::{Event, Notice, Page, PlatformClient, Registration};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::cli::{
    AnswerArgs, ChallengesCmd, Cli, Command, CompetitionsCmd, EventsArgs, InstanceCmd, QaCmd,
    RegisterArgs, ScoreboardArgs, TokensCmd,
};
use crate::exit::{self, CliError};
use crate::output::{cell, emit, emit_page, fields, joined, table};

/// Runs a parsed command line and returns its exit code, after printing any error to stderr.
pub async fn run(cli: Cli) -> u8 {
    match dispatch(cli).await {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// A non-empty environment variable.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The client for `--platform-url`/`--token`, falling back on `CTFY_PLATFORM_URL`/`CTFY_URL`
/// and `CTFY_TOKEN`, then on the credentials `ctfy login` saved (and `CTFY_SESSION_TOKEN` for
/// the event stream).
///
/// # Errors
/// [`CliError::Usage`] when no server URL is configured or a value is refused.
pub fn client(url: Option<&str>, token: Option<&str>) -> Result<PlatformClient, CliError> {
    client_for(url, token, None, false)
}

fn client_for(
    url: Option<&str>,
    token: Option<&str>,
    host: Option<&str>,
    require_token: bool,
) -> Result<PlatformClient, CliError> {
    let given = crate::credentials::Given {
        url: url
            .map(str::to_owned)
            .filter(|u| !u.trim().is_empty())
            .or_else(|| env_var("CTFY_PLATFORM_URL"))
            .or_else(|| env_var("CTFY_URL")),
        token: token.map(str::to_owned).or_else(|| env_var("CTFY_TOKEN")),
        host: host.map(str::to_owned).or_else(|| env_var("CTFY_HOST")),
    };
    let ctx = crate::gen_support::Ctx {
        given,
        ..Default::default()
    };
    ctx.client(require_token)
}

async fn dispatch(cli: Cli) -> Result<(), CliError> {
    let json = cli.global.json;
    if let Command::Completions { shell } = cli.command {
        crate::cli::print_completions(shell);
        return Ok(());
    }
    // Browsing works without a token; everything else says so up front instead of calling
    // anonymously.
    let anonymous_ok = matches!(
        cli.command,
        Command::Competitions(_)
            | Command::Challenges(_)
            | Command::Scoreboard(_)
            | Command::Mcp { .. }
    );
    let c = client_for(
        cli.global.url.as_deref(),
        cli.global.token.as_deref(),
        cli.global.host.as_deref(),
        !anonymous_ok,
    )?;
    match cli.command {
        Command::Whoami => whoami(&c, json).await,
        Command::Competitions(cmd) => competitions(&c, json, cmd).await,
        Command::Register(args) => register(&c, json, args).await,
        Command::Challenges(cmd) => challenges(&c, json, cmd).await,
        Command::Instance(cmd) => instance(&c, json, cmd).await,
        Command::Submit(args) => answer(&c, json, args, true).await,
        Command::Verify(args) => answer(&c, json, args, false).await,
        Command::Qa(cmd) => qa(&c, json, cmd).await,
        Command::Scoreboard(args) => scoreboard(&c, json, args).await,
        Command::Events(args) => events(&c, json, args).await,
        Command::Tokens(cmd) => tokens(&c, json, cmd).await,
        Command::Admin(cmd) => crate::admin::run(&c, json, cmd).await,
        Command::Mcp { http: None } => crate::mcp::serve(c).await,
        Command::Mcp { http: Some(addr) } => {
            let configured = cli.global.token.as_deref().is_some_and(|t| !t.is_empty())
                || env_var("CTFY_TOKEN").is_some_and(|t| !t.is_empty());
            let per_request: Option<crate::mcp::ClientFor> = if configured {
                None
            } else {
                let url = cli.global.url.clone();
                Some(std::sync::Arc::new(move |token: &str| {
                    client(url.as_deref(), Some(token))
                }))
            };
            crate::mcp::serve_http(c, addr, per_request).await
        }
        Command::Completions { .. } => Ok(()),
    }
}

async fn whoami(c: &PlatformClient, json: bool) -> Result<(), CliError> {
    let me = c.me().get().await?;
    emit(json, &me, |me| {
        let mut out = fields(&[
            ("user", format!("{} <{}>", me.display_name, me.email)),
            ("id", me.id.to_string()),
            ("role", me.role.to_string()),
            ("token", me.token_kind.to_string()),
        ]);
        if !me.competition_teams.is_empty() {
            out.push_str("\n\n");
            out.push_str(&table(
                &["competition", "title", "phase", "team", "running"],
                me.competition_teams.iter().map(|t| {
                    vec![
                        t.competition_id.to_string(),
                        t.competition_title.clone(),
                        t.competition_phase.to_string(),
                        t.team_name.clone(),
                        t.running_instances.to_string(),
                    ]
                }),
            ));
        }
        out
    })
}

async fn competitions(
    c: &PlatformClient,
    json: bool,
    cmd: CompetitionsCmd,
) -> Result<(), CliError> {
    match cmd {
        CompetitionsCmd::List { phase, paging } => {
            let mut req = c
                .competitions()
                .list()
                .limit(paging.limit)
                .offset(paging.offset);
            if let Some(p) = phase {
                req = req.phase(p.as_str());
            }
            let page = req.await?;
            emit_page(json, &page, |items| {
                table(
                    &["id", "title", "phase", "registered", "challenges"],
                    items.iter().map(|c| {
                        vec![
                            c.id.to_string(),
                            c.title.clone(),
                            c.phase.to_string(),
                            yes_no(c.is_registered).into(),
                            c.challenge_ids.len().to_string(),
                        ]
                    }),
                )
            })
        }
        CompetitionsCmd::Show { id } => {
            let d = c.competitions().get(id.as_str()).await?;
            emit(json, &d, |d| {
                let mut out = fields(&[
                    ("competition", format!("{} ({})", d.title, d.id)),
                    ("phase", d.phase.to_string()),
                    ("status", d.status.to_string()),
                    ("registered", yes_no(d.is_registered).into()),
                    ("starts", cell(&d.starts_at)),
                    ("ends", cell(&d.ends_at)),
                ]);
                out.push_str("\n\n");
                out.push_str(&challenge_table(&d.challenges));
                out
            })
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn challenge_table(items: &[ChallengeInfo]) -> String {
    table(
        &[
            "id",
            "name",
            "category",
            "difficulty",
            "solves",
            "questions",
            "solved",
        ],
        items.iter().map(|c| {
            vec![
                c.id.to_string(),
                c.name.clone(),
                c.category.to_string(),
                c.difficulty.clone(),
                c.solves_count.to_string(),
                joined(
                    &c.questions
                        .iter()
                        .map(|q| q.id.to_string())
                        .collect::<Vec<_>>(),
                ),
                if c.my_team_fully_solved {
                    "yes".into()
                } else {
                    joined(&c.my_team_solved_question_ids)
                },
            ]
        }),
    )
}

async fn register(c: &PlatformClient, json: bool, args: RegisterArgs) -> Result<(), CliError> {
    let how = match (args.create, args.join) {
        (Some(name), _) => Registration::Create {
            name,
            description: args.description,
        },
        (None, Some(code)) => Registration::Join { code },
        (None, None) => Registration::Solo,
    };
    let team = c
        .competition(args.competition.as_str())?
        .register(how)
        .await?;
    emit(json, &team, |t| {
        fields(&[
            ("team", format!("{} ({})", t.name, t.id)),
            ("competition", t.competition_id.to_string()),
            ("members", t.member_count.to_string()),
        ])
    })
}

async fn challenges(c: &PlatformClient, json: bool, cmd: ChallengesCmd) -> Result<(), CliError> {
    match cmd {
        ChallengesCmd::List {
            competition,
            difficulty,
            tag,
            category,
            search,
            paging,
        } => {
            let page = match competition {
                Some(comp) => {
                    if category.is_some() || search.is_some() {
                        return Err(CliError::Usage(
                            "--category and --search apply to the global catalog: drop --competition (and unset CTFY_COMPETITION)".into(),
                        ));
                    }
                    let mut req = c
                        .competition(comp.as_str())?
                        .challenges()
                        .limit(paging.limit)
                        .offset(paging.offset);
                    if let Some(d) = difficulty {
                        req = req.difficulty(d);
                    }
                    if let Some(t) = tag {
                        req = req.tag(t);
                    }
                    req.await?
                }
                None => {
                    let mut req = c
                        .challenges()
                        .list()
                        .limit(paging.limit)
                        .offset(paging.offset);
                    if let Some(d) = difficulty {
                        req = req.difficulty(d);
                    }
                    if let Some(t) = tag {
                        req = req.tag(t);
                    }
                    if let Some(cat) = category {
                        req = req.category(cat);
                    }
                    if let Some(q) = search {
                        req = req.q(q);
                    }
                    req.await?
                }
            };
            emit_page(json, &page, challenge_table)
        }
        ChallengesCmd::Show { id, competition } => {
            let mut req = c.challenges().get(id.as_str());
            if let Some(comp) = competition {
                req = req.competition_id(comp.as_str());
            }
            let ch = req.await?;
            emit(json, &ch, |ch| {
                let mut out = fields(&[
                    ("challenge", format!("{} ({})", ch.name, ch.id)),
                    ("category", ch.category.to_string()),
                    ("difficulty", ch.difficulty.clone()),
                    ("tags", joined(&ch.tags)),
                    ("qa only", yes_no(ch.is_qa_only).into()),
                    ("solves", ch.solves_count.to_string()),
                ]);
                if !ch.description.is_empty() {
                    out.push_str("\n\n");
                    out.push_str(ch.description.trim());
                }
                out.push_str("\n\n");
                out.push_str(&table(
                    &["question", "mode", "prompt", "choices"],
                    ch.questions.iter().map(|q| {
                        vec![
                            q.id.to_string(),
                            q.mode.clone().unwrap_or_default(),
                            q.prompt.clone(),
                            q.choices.as_deref().map(joined).unwrap_or_default(),
                        ]
                    }),
                ));
                out
            })
        }
    }
}

/// What `ctfy instance start --json` prints (and the MCP `start_instance` tool returns): the
/// instance id, its attack surface and its certificate volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceReady {
    /// The instance id.
    pub id: String,
    /// What can be attacked.
    pub surface: AttackSurface,
    /// The CA-certificate volume name, when there is one.
    #[serde(default)]
    pub cert_volume: String,
}

impl From<ctfy::ReadyInstance> for InstanceReady {
    fn from(r: ctfy::ReadyInstance) -> Self {
        Self {
            id: r.id.to_string(),
            surface: r.surface,
            cert_volume: r.cert_volume,
        }
    }
}

fn surface_table(surface: &AttackSurface) -> String {
    table(
        &["type", "url", "label"],
        surface
            .services
            .iter()
            .map(|s| vec![s.service_type.to_string(), s.url(), s.label.clone()]),
    )
}

fn spinner(message: String) -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

async fn instance(c: &PlatformClient, json: bool, cmd: InstanceCmd) -> Result<(), CliError> {
    match cmd {
        InstanceCmd::Start {
            challenge,
            competition,
            ttl,
            timeout,
        } => {
            let mut req = c
                .instances()
                .start(challenge.as_str())
                .deadline(Duration::from_secs(timeout));
            if let Some(comp) = competition {
                req = req.competition_id(comp.as_str());
            }
            if let Some(ttl) = ttl {
                req = req.ttl(Duration::from_secs(ttl));
            }
            let bar = spinner(format!("starting {challenge}"));
            let result = req.await;
            bar.finish_and_clear();
            let ready = InstanceReady::from(result?);
            emit(json, &ready, |r| {
                format!("instance {} is ready\n{}", r.id, surface_table(&r.surface))
            })
        }
        InstanceCmd::View { id } => {
            let st = c.instances().status(id.as_str()).await?;
            emit(json, &st, status_text)
        }
        InstanceCmd::Stop { id } => {
            let stopped = c.instances().stop(id.as_str()).await?;
            #[derive(Serialize)]
            struct Stopped<'a> {
                id: &'a str,
                stopped: bool,
            }
            emit(json, &Stopped { id: &id, stopped }, |s| {
                if s.stopped {
                    format!("instance {} stopped", s.id)
                } else {
                    format!("instance {} was already gone", s.id)
                }
            })
        }
        InstanceCmd::Renew { id, ttl } => {
            let mut req = c.instances().renew(id.as_str());
            if let Some(ttl) = ttl {
                req = req.ttl(Duration::from_secs(ttl));
            }
            let r = req.await?;
            emit(json, &r, |r| {
                format!(
                    "instance {} renewed: expires at {}",
                    r.id,
                    cell(&r.expires_at)
                )
            })
        }
        InstanceCmd::Reset { id, ttl } => {
            let mut req = c.instances().reset(id.as_str());
            if let Some(ttl) = ttl {
                req = req.ttl(Duration::from_secs(ttl));
            }
            let r = req.await?;
            emit(json, &r, |r| {
                format!("instance {id} replaced by {} ({})", r.id, r.status)
            })
        }
        InstanceCmd::List {
            competition,
            challenge,
            status,
            paging,
        } => {
            let mut req = c
                .instances()
                .list()
                .limit(paging.limit)
                .offset(paging.offset);
            if let Some(comp) = competition {
                req = req.competition_id(comp.as_str());
            }
            if let Some(ch) = challenge {
                req = req.challenge_id(ch.as_str());
            }
            if let Some(s) = status {
                req = req.status(s.as_str());
            }
            let page: Page<InstanceInfo> = req.await?;
            emit_page(json, &page, |items| {
                table(
                    &["id", "challenge", "status", "services", "expires"],
                    items.iter().map(|i| {
                        vec![
                            i.id.to_string(),
                            i.challenge_id.to_string(),
                            i.status.to_string(),
                            joined(&i.services.iter().map(|s| s.url()).collect::<Vec<_>>()),
                            cell(&i.expires_at),
                        ]
                    }),
                )
            })
        }
    }
}

fn status_text(st: &InstanceStatusResponse) -> String {
    let mut out = fields(&[
        ("instance", st.id.to_string()),
        ("status", st.status.to_string()),
    ]);
    if !st.error.is_empty() {
        out.push_str(&format!("\nerror     {}", st.error));
    }
    if let Some(surface) = &st.attack_surface {
        out.push('\n');
        out.push_str(&surface_table(surface));
    }
    out
}

fn to_answer(mut values: Vec<String>) -> StringOrList {
    if values.len() == 1 {
        StringOrList::One(values.remove(0))
    } else {
        StringOrList::Many(values)
    }
}

fn submission_text(r: &SubmissionResponse) -> String {
    let mut out = if r.correct {
        "correct".to_owned()
    } else {
        "wrong answer".to_owned()
    };
    if r.challenge_fully_solved {
        out.push_str(": challenge fully solved");
    }
    if let Some(n) = r.attempts_remaining {
        out.push_str(&format!(" ({n} attempts left)"));
    }
    out
}

async fn answer(
    c: &PlatformClient,
    json: bool,
    args: AnswerArgs,
    record: bool,
) -> Result<(), CliError> {
    let answer = to_answer(args.answer);
    let correct = if record {
        let r = c
            .submissions()
            .submit(args.instance.as_str(), answer)
            .question_id(args.question.as_str())
            .await?;
        emit(json, &r, submission_text)?;
        r.correct
    } else {
        let r = c
            .submissions()
            .verify(args.instance.as_str(), answer)
            .question_id(args.question.as_str())
            .await?;
        emit(json, &r, |r| {
            if r.correct { "correct" } else { "wrong answer" }.to_owned()
        })?;
        r.correct
    };
    wrong_is_failure(correct)
}

fn wrong_is_failure(correct: bool) -> Result<(), CliError> {
    if correct {
        Ok(())
    } else {
        // Already reported on stdout; the exit code says it again.
        Err(CliError::Failed("the answer is not correct".into()))
    }
}

async fn qa(c: &PlatformClient, json: bool, cmd: QaCmd) -> Result<(), CliError> {
    match cmd {
        QaCmd::List { competition } => {
            let list = c
                .submissions()
                .list_qa_challenges(competition.as_str())
                .await?;
            emit(json, &list, |l| {
                table(
                    &["id", "name", "difficulty", "questions", "solved"],
                    l.iter().map(|q| {
                        vec![
                            q.id.to_string(),
                            q.name.clone(),
                            q.difficulty.clone(),
                            joined(
                                &q.questions
                                    .iter()
                                    .map(|x| x.id.to_string())
                                    .collect::<Vec<_>>(),
                            ),
                            joined(&q.solved_question_ids),
                        ]
                    }),
                )
            })
        }
        QaCmd::Answer {
            challenge,
            answer,
            competition,
            question,
        } => {
            let r = c
                .submissions()
                .submit_qa(competition.as_str(), challenge.as_str(), to_answer(answer))
                .question_id(question.as_str())
                .await?;
            emit(json, &r, submission_text)?;
            wrong_is_failure(r.correct)
        }
    }
}

async fn scoreboard(c: &PlatformClient, json: bool, args: ScoreboardArgs) -> Result<(), CliError> {
    let (offset, limit) = (args.paging.offset, args.paging.limit);
    let page = match (args.competition, args.division) {
        (Some(comp), division) => {
            let board = c.competition(comp.as_str())?.scoreboard();
            let board = match division {
                Some(d) => board.division(d),
                None => board,
            };
            board.limit(limit).offset(offset).await?
        }
        (None, division) => {
            let board = c.scoreboard().get();
            let board = match division {
                Some(d) => board.division(d),
                None => board,
            };
            board.limit(limit).offset(offset).await?
        }
    };
    emit_page(json, &page, |items| {
        table(
            &["rank", "team", "score", "solved", "flags", "attempts"],
            items.iter().map(|e| {
                vec![
                    e.rank.to_string(),
                    e.team_name.clone(),
                    e.score.to_string(),
                    e.solved.to_string(),
                    e.flags_solved.to_string(),
                    e.attempts.to_string(),
                ]
            }),
        )
    })
}

/// How long `ctfy events` waits for its first connection before it gives up (it keeps
/// following across drops once connected).
pub const EVENTS_CONNECT_DEADLINE: Duration = Duration::from_secs(20);

/// Follows the event stream (`ctfy events`, `ctfy events watch`).
///
/// # Errors
/// The platform cannot be reached or answers an error before the stream is connected (a
/// health check first, then [`EVENTS_CONNECT_DEADLINE`]); an error the SDK does not retry.
pub async fn events(c: &PlatformClient, json: bool, args: EventsArgs) -> Result<(), CliError> {
    // Down, or answering 5xx: say so now instead of retrying in silence.
    if let Err(e) = c.health().await {
        return Err(CliError::Sdk(e));
    }
    let mut stream = c.events();
    let mut seen = 0u64;
    let mut connected = false;
    let deadline = tokio::time::sleep(EVENTS_CONNECT_DEADLINE);
    tokio::pin!(deadline);
    // One listener for the whole loop, so a Ctrl-C between two events is not missed.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let item = tokio::select! {
            _ = &mut ctrl_c => {
                eprintln!("stopped");
                return Ok(());
            }
            _ = &mut deadline, if !connected => {
                return Err(CliError::Transient(format!(
                    "could not connect to the event stream within {} s (the platform is down or answers errors)",
                    EVENTS_CONNECT_DEADLINE.as_secs()
                )));
            }
            item = stream.next() => item,
        };
        if matches!(item, Some(Ok(Notice::Connected))) {
            connected = true;
        }
        let Some(item) = item else {
            return Err(CliError::Other("the event stream ended".into()));
        };
        match item {
            Ok(Notice::Event(event)) => {
                if !args.types.is_empty() && !args.types.iter().any(|t| t == event.name()) {
                    continue;
                }
                print_event(&event, json);
                seen += 1;
                if args.count.is_some_and(|n| seen >= n) {
                    return Ok(());
                }
            }
            Ok(Notice::Connected) => eprintln!("connected; waiting for events (Ctrl-C to stop)"),
            Ok(Notice::Reconnected { attempt }) => {
                eprintln!("reconnected (attempt {attempt}); events in between are lost")
            }
            Ok(Notice::NoTeamEvents { token }) => eprintln!(
                "note: a {token:?} token receives only global events; set CTFY_SESSION_TOKEN to a pt_ session for team events"
            ),
            Ok(Notice::FrameTooLarge { limit }) => {
                eprintln!("warning: an event over {limit} bytes was dropped")
            }
            Ok(Notice::Lagged { missed }) => {
                eprintln!("warning: fell behind; {missed} events were skipped")
            }
            Ok(_) => {}
            Err(e @ ctfy::Error::EventDecode { .. }) => eprintln!("warning: {}", e.report()),
            Err(e) => return Err(e.into()),
        }
    }
}

fn print_event(event: &Event, json: bool) {
    let data = event.to_value();
    if json {
        println!(
            "{}",
            serde_json::json!({ "event": event.name(), "data": data })
        );
    } else {
        println!("{:<28} {}", event.name(), data);
    }
}

async fn tokens(c: &PlatformClient, json: bool, cmd: TokensCmd) -> Result<(), CliError> {
    match cmd {
        TokensCmd::List { paging } => {
            let page = c
                .auth()
                .list_tokens()
                .limit(paging.limit)
                .offset(paging.offset)
                .await?;
            emit_page(json, &page, |items| {
                table(
                    &[
                        "id",
                        "label",
                        "kind",
                        "template",
                        "expires",
                        "last used",
                        "current",
                    ],
                    items.iter().map(|t| {
                        vec![
                            t.id.clone(),
                            t.label.clone(),
                            t.kind.to_string(),
                            cell(&t.template),
                            cell(&t.expires_at),
                            cell(&t.last_used_at),
                            yes_no(t.is_current).into(),
                        ]
                    }),
                )
            })
        }
        TokensCmd::Mint {
            label,
            days,
            template,
        } => {
            let mut req = c.auth().mint_token().label(label);
            if let Some(d) = days {
                req = req.expires_in_days(d);
            }
            if let Some(t) = template {
                req = req.template(t.as_str());
            }
            let t = req.await?;
            // The new secret is the point of this command: it is printed once, here.
            emit(json, &t, |t| {
                format!(
                    "{}\n\n{}\n(shown once: store it now)",
                    fields(&[
                        ("id", t.id.clone()),
                        ("label", t.label.clone()),
                        ("expires", cell(&t.expires_at)),
                    ]),
                    t.token
                )
            })
        }
        TokensCmd::Revoke { id } => {
            let r = c.auth().revoke_token(id.as_str()).await?;
            emit(json, &r, |_| format!("token {id} revoked"))
        }
    }
}
