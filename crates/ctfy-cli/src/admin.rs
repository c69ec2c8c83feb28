//! `ctfy admin …`: common operator actions through [`ctfy::AdminClient`].

use clap::Subcommand;
use ctfy::PlatformClient;

use crate::cli::Paging;
use crate::exit::CliError;
use crate::output::{cell, emit, emit_page, fields, table};

/// Operator commands (an admin's `pt_` session token).
#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Users.
    #[command(subcommand)]
    Users(UsersCmd),
    /// Competitions.
    #[command(subcommand)]
    Competitions(AdminCompetitionsCmd),
    /// Announcements.
    #[command(subcommand)]
    Announcements(AnnouncementsCmd),
    /// Challenges.
    #[command(subcommand)]
    Challenges(AdminChallengesCmd),
    /// Worker nodes.
    #[command(subcommand)]
    Nodes(NodesCmd),
}

/// `ctfy admin users …`
#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// List users.
    List {
        /// Search by name or email.
        #[arg(long, short = 'q')]
        search: Option<String>,
        /// Only this role: user, admin or super_admin.
        #[arg(long)]
        role: Option<String>,
        /// Paging.
        #[command(flatten)]
        paging: Paging,
    },
}

/// `ctfy admin competitions …`
#[derive(Debug, Subcommand)]
pub enum AdminCompetitionsCmd {
    /// List every competition, drafts included.
    List {
        /// Paging.
        #[command(flatten)]
        paging: Paging,
    },
    /// Create a competition.
    Create {
        /// Its title.
        #[arg(long)]
        title: String,
        /// Its description (English).
        #[arg(long)]
        description: Option<String>,
        /// A challenge to include, in order; repeat for several.
        #[arg(long = "challenge", value_name = "ID")]
        challenges: Vec<String>,
        /// Publish it at once (a draft is hidden from players).
        #[arg(long)]
        publish: bool,
        /// Who may enter: public, invite, … (the platform's default when omitted).
        #[arg(long)]
        access: Option<String>,
        /// Start time, ISO-8601 (open at once when omitted).
        #[arg(long)]
        starts_at: Option<String>,
        /// End time, ISO-8601 (never ends when omitted).
        #[arg(long)]
        ends_at: Option<String>,
    },
}

/// `ctfy admin announcements …`
#[derive(Debug, Subcommand)]
pub enum AnnouncementsCmd {
    /// Post a platform-wide announcement.
    Create {
        /// The title.
        #[arg(long)]
        title: String,
        /// The body text.
        #[arg(long)]
        body: Option<String>,
        /// Severity: info, warning or critical.
        #[arg(long)]
        severity: Option<String>,
    },
}

/// `ctfy admin challenges …`
#[derive(Debug, Subcommand)]
pub enum AdminChallengesCmd {
    /// Publish an approved authored challenge into the catalog.
    Publish {
        /// The authored challenge id.
        id: String,
    },
}

/// `ctfy admin nodes …`
#[derive(Debug, Subcommand)]
pub enum NodesCmd {
    /// List the worker nodes and their health.
    List {
        /// Paging.
        #[command(flatten)]
        paging: Paging,
    },
}

/// Runs an admin command.
///
/// # Errors
/// Any SDK error; 403 (exit code 3) without an admin session.
pub async fn run(c: &PlatformClient, json: bool, cmd: AdminCmd) -> Result<(), CliError> {
    let admin = c.admin();
    match cmd {
        AdminCmd::Users(UsersCmd::List {
            search,
            role,
            paging,
        }) => {
            let mut req = admin
                .users()
                .list()
                .limit(paging.limit)
                .offset(paging.offset);
            if let Some(q) = search {
                req = req.q(q);
            }
            if let Some(r) = role {
                req = req.role(r);
            }
            let page = req.await?;
            emit_page(json, &page, |items| {
                table(
                    &["id", "name", "email", "role", "solves", "last active"],
                    items.iter().map(|u| {
                        vec![
                            u.id.to_string(),
                            u.display_name.clone(),
                            u.email.clone(),
                            u.role.to_string(),
                            u.solves.to_string(),
                            cell(&u.last_active_at),
                        ]
                    }),
                )
            })
        }
        AdminCmd::Competitions(AdminCompetitionsCmd::List { paging }) => {
            let page = admin
                .competitions()
                .list()
                .limit(paging.limit)
                .offset(paging.offset)
                .await?;
            emit_page(json, &page, |items| {
                table(
                    &["id", "title", "status", "phase", "access", "challenges"],
                    items.iter().map(|c| {
                        vec![
                            c.id.to_string(),
                            c.title.clone(),
                            c.status.to_string(),
                            c.phase.to_string(),
                            c.access.to_string(),
                            c.challenge_ids.len().to_string(),
                        ]
                    }),
                )
            })
        }
        AdminCmd::Competitions(AdminCompetitionsCmd::Create {
            title,
            description,
            challenges,
            publish,
            access,
            starts_at,
            ends_at,
        }) => {
            let mut req = admin.competitions().create(title);
            if let Some(d) = description {
                req = req.description([("en".to_owned(), d)].into_iter().collect());
            }
            if !challenges.is_empty() {
                req = req.challenge_ids(challenges.iter().map(String::as_str));
            }
            if publish {
                req = req.status("published");
            }
            if let Some(a) = access {
                req = req.access(a.as_str());
            }
            if let Some(s) = starts_at {
                req = req.starts_at(s);
            }
            if let Some(e) = ends_at {
                req = req.ends_at(e);
            }
            let comp = req.await?;
            emit(json, &comp, |c| {
                fields(&[
                    ("competition", format!("{} ({})", c.title, c.id)),
                    ("status", c.status.to_string()),
                    ("phase", c.phase.to_string()),
                    ("challenges", c.challenge_ids.len().to_string()),
                ])
            })
        }
        AdminCmd::Announcements(AnnouncementsCmd::Create {
            title,
            body,
            severity,
        }) => {
            let mut req = admin.announcements().create(title);
            if let Some(b) = body {
                req = req.body(b);
            }
            if let Some(s) = severity {
                req = req.severity(s.as_str());
            }
            let a = req.await?;
            emit(json, &a, |a| {
                format!("announcement {} posted: {}", a.id, a.title)
            })
        }
        AdminCmd::Challenges(AdminChallengesCmd::Publish { id }) => {
            let row = admin.authored_challenges().publish(id.as_str()).await?;
            emit(json, &row, |_| format!("challenge {id} published"))
        }
        AdminCmd::Nodes(NodesCmd::List { paging }) => {
            let page = c
                .nodes()
                .list()
                .limit(paging.limit)
                .offset(paging.offset)
                .await?;
            emit_page(json, &page, |items| {
                table(
                    &[
                        "id",
                        "url",
                        "healthy",
                        "running",
                        "capacity",
                        "version",
                        "last heartbeat",
                    ],
                    items.iter().map(|n| {
                        vec![
                            n.id.to_string(),
                            n.url.clone(),
                            if n.is_healthy { "yes" } else { "no" }.to_owned(),
                            n.running.to_string(),
                            n.capacity.to_string(),
                            n.version.clone(),
                            cell(&n.last_heartbeat),
                        ]
                    }),
                )
            })
        }
    }
}
