//! Hand-written commands with the Python CLI's paths and options: signing in and out and the
//! saved hosts (they read and write the files of [`crate::credentials`]).

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::json;

use crate::credentials;
use crate::exit::CliError;
use crate::gen_support::{Ctx, Dump, Shape};
use crate::output::{fields, table};

fn login_cmd(name: &'static str) -> Command {
    Command::new(name)
        .about("Sign in with an email and password and save the token for later commands")
        .arg(
            Arg::new("email")
                .long("email")
                .value_name("EMAIL")
                .help("Email for password sign-in."),
        )
        .arg(
            Arg::new("password")
                .long("password")
                .value_name("PASSWORD")
                .env("CTFY_PASSWORD")
                .hide_env_values(true)
                .help("Password (default: $CTFY_PASSWORD)."),
        )
        .arg(
            Arg::new("save")
                .long("save")
                .action(ArgAction::SetTrue)
                .overrides_with("no_save")
                .help("Save the token (the default)."),
        )
        .arg(
            Arg::new("no_save")
                .long("no-save")
                .action(ArgAction::SetTrue)
                .overrides_with("save")
                .help("Print the token instead of saving it."),
        )
        .arg(
            Arg::new("no_browser")
                .long("no-browser")
                .action(ArgAction::SetTrue)
                .help(
                    "Device flow: print the URL instead of opening a browser (not supported yet).",
                ),
        )
}

fn logout_cmd(name: &'static str) -> Command {
    Command::new(name)
        .about("Forget the saved token and (by default) revoke it on the platform")
        .arg(
            Arg::new("revoke")
                .long("revoke")
                .action(ArgAction::SetTrue)
                .overrides_with("no_revoke")
                .help("Also revoke the token on the platform (the default)."),
        )
        .arg(
            Arg::new("no_revoke")
                .long("no-revoke")
                .action(ArgAction::SetTrue)
                .overrides_with("revoke")
                .help("Only forget the local copy."),
        )
}

/// The hand-written commands: binary, parent group path, command.
pub fn commands() -> Vec<(&'static str, &'static str, Command)> {
    vec![
        ("ctfy", "", login_cmd("login")),
        ("ctfy", "", logout_cmd("logout")),
        (
            "ctfy",
            "",
            Command::new("status").about(
                "Who you are, your competitions and running instances, on the current server",
            ),
        ),
        (
            "ctfy",
            "auth",
            login_cmd("login").arg(
                Arg::new("timeout")
                    .long("timeout")
                    .value_name("TIMEOUT")
                    .value_parser(clap::value_parser!(u64))
                    .help("Device flow: seconds to wait for the approval (not supported yet)."),
            ),
        ),
        ("ctfy", "auth", logout_cmd("logout")),
        (
            "ctfy",
            "auth",
            Command::new("status")
                .about("List the saved hosts; the current one is marked")
                .arg(
                    Arg::new("check")
                        .long("check")
                        .action(ArgAction::SetTrue)
                        .help("Check each saved token against its platform."),
                ),
        ),
        (
            "ctfy",
            "events",
            Command::new("watch")
                .about(
                    "Stream platform events until Ctrl-C (one JSON object per line unless --text)",
                )
                .arg(
                    Arg::new("filter")
                        .long("filter")
                        .short('f')
                        .value_name("FILTER")
                        .help("Only these event names (comma-separated)."),
                )
                .arg(
                    Arg::new("text")
                        .long("text")
                        .action(ArgAction::SetTrue)
                        .help("A compact text line per event instead of JSON."),
                ),
        ),
        (
            "ctfy",
            "auth",
            Command::new("switch")
                .about("Make a saved host the current one")
                .arg(
                    Arg::new("target")
                        .value_name("TARGET")
                        .help("The host key (see `ctfy auth status`)."),
                ),
        ),
    ]
}

/// Runs the hand-written command `key` (`binary path…`), if it is one.
pub async fn run(key: &str, m: &ArgMatches, x: &Ctx) -> Option<Result<(), CliError>> {
    Some(match key {
        "ctfy login" | "ctfy auth login" => login(m, x).await,
        "ctfy logout" | "ctfy auth logout" => logout(m, x).await,
        "ctfy status" => status(x).await,
        "ctfy auth status" => auth_status(m, x).await,
        "ctfy auth switch" => auth_switch(m, x),
        "ctfy events watch" => events_watch(m, x).await,
        _ => return None,
    })
}

fn flag(m: &ArgMatches, on: &str, off: &str, default: bool) -> bool {
    if m.get_flag(on) {
        true
    } else if m.get_flag(off) {
        false
    } else {
        default
    }
}

async fn login(m: &ArgMatches, x: &Ctx) -> Result<(), CliError> {
    let email = m.get_one::<String>("email").cloned().unwrap_or_default();
    let password = m.get_one::<String>("password").cloned().unwrap_or_default();
    if email.is_empty() || password.is_empty() {
        return Err(CliError::Usage(
            "pass --email and --password (or set CTFY_PASSWORD); the browser device flow is not supported by this binary yet"
                .into(),
        ));
    }
    let save = flag(m, "save", "no_save", true);
    // Anonymous: signing in must not send a saved token along.
    let mut anon = x.clone();
    anon.given.token = Some(String::new());
    let resolved = credentials::resolve(&anon.given)?;
    let url = resolved
        .url
        .ok_or_else(|| CliError::Usage("no server URL: pass --platform-url".into()))?;
    anon.given.url = Some(url.clone());
    anon.given.host = None;
    let c = anon.client(false)?;
    let r = c.auth().login(email, password).await?;
    let mut lines = Vec::new();
    if save {
        credentials::save_token(&r.token)?;
        let host = credentials::upsert_host(&url, &r.token)?;
        lines.push(format!(
            "Saved credential to {} (host: {})",
            credentials::config_path().display(),
            host.key
        ));
    }
    let mut signed = x.clone();
    signed.given = credentials::Given {
        url: Some(url),
        token: Some(r.token.clone()),
        host: None,
    };
    if let Ok(me) = signed.client(true)?.me().get().await {
        lines.push(format!(
            "Logged in as {} <{}> ({})",
            me.display_name, me.email, me.role
        ));
    }
    if !save {
        // Not saved: printing it is the only way to hand it over.
        lines.push(format!("Token: {}", r.token));
    }
    println!("{}", lines.join("\n"));
    Ok(())
}

async fn logout(m: &ArgMatches, x: &Ctx) -> Result<(), CliError> {
    let revoke = flag(m, "revoke", "no_revoke", true);
    let resolved = credentials::resolve(&x.given)?;
    let mut lines = Vec::new();
    if revoke && !resolved.token.is_empty() && resolved.url.is_some() {
        match x.client(true) {
            Ok(c) => match c.auth().list_tokens().limit(200).await {
                Ok(page) => {
                    if let Some(t) = page.items.iter().find(|t| t.is_current) {
                        match c.auth().revoke_token(t.id.as_str()).await {
                            Ok(_) => lines.push(format!("Revoked token {} ({})", t.id, t.label)),
                            Err(e) => eprintln!("warning: could not revoke it: {}", e.report()),
                        }
                    }
                }
                Err(e) => eprintln!("warning: could not revoke it: {}", e.report()),
            },
            Err(e) => eprintln!("warning: could not revoke it: {e}"),
        }
    }
    let cleared = credentials::clear_token();
    let mut cfg = credentials::load_config();
    let mut removed = None;
    if let Some(h) = resolved
        .url
        .as_deref()
        .and_then(|url| credentials::find_by_url(&cfg, url).cloned())
    {
        {
            cfg.hosts.remove(&h.key);
            if cfg.current == h.key {
                cfg.current.clear();
            }
            credentials::save_config(&cfg)?;
            removed = Some(h.key);
        }
    }
    if cleared {
        lines.push(format!("Removed {}", credentials::token_path().display()));
    }
    if let Some(k) = &removed {
        lines.push(format!(
            "Removed host {k} from {}",
            credentials::config_path().display()
        ));
    }
    if !cleared && removed.is_none() {
        lines.push("No saved credential found.".into());
    }
    println!("{}", lines.join("\n"));
    Ok(())
}

async fn status(x: &Ctx) -> Result<(), CliError> {
    let r = credentials::resolve(&x.given)?;
    if r.token.is_empty() {
        return Err(CliError::Failed(format!(
            "Not signed in (platform: {}). Run `ctfy login --email … --password …`.",
            r.url.as_deref().unwrap_or("none configured")
        )));
    }
    let c = x.client(true)?;
    let me = c.me().get().await?;
    let instances = c
        .instances()
        .list()
        .limit(200)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let url = r.url.unwrap_or_default();
    if x.json {
        let v = json!({
            "platform_url": url,
            "me": serde_json::to_value(&me)?,
            "running_instances": serde_json::to_value(&instances)?,
        });
        return x.emit_value(v, Shape::Auto, Dump::Json, &[]);
    }
    let mut out = vec![
        format!("Platform: {url}"),
        format!(
            "Signed in: {}  <{}>  ({})",
            me.display_name, me.email, me.role
        ),
        format!("Competitions: {}", me.competition_teams.len()),
    ];
    for t in &me.competition_teams {
        out.push(format!("  • {}: team {}", t.competition_id, t.team_name));
    }
    out.push(format!("Running instances: {}", instances.len()));
    for i in instances.iter().take(5) {
        out.push(format!("  • {}  {}", i.id, i.challenge_id));
    }
    if instances.len() > 5 {
        out.push(format!("  … and {} more", instances.len() - 5));
    }
    println!("{}", out.join("\n"));
    Ok(())
}

async fn auth_status(m: &ArgMatches, x: &Ctx) -> Result<(), CliError> {
    let cfg = credentials::load_config();
    let legacy = credentials::load_token();
    if cfg.hosts.is_empty() && legacy.is_empty() {
        return Err(CliError::Failed(
            "Not signed in. Run `ctfy auth login`.".into(),
        ));
    }
    let check = m.get_flag("check");
    let mut rows = Vec::new();
    for h in cfg.hosts.values() {
        let prefix: String = h.token.chars().take(8).collect();
        let mut row = json!({
            "host": h.key,
            "url": h.url,
            "current": h.key == cfg.current,
            "token_prefix": if h.token.is_empty() { String::new() } else { format!("{prefix}…") },
        });
        if check {
            let mut probe = x.clone();
            probe.given = credentials::Given {
                url: Some(h.url.clone()),
                token: Some(h.token.clone()),
                host: None,
            };
            let got = match probe.client(false) {
                Ok(c) => c.me().get().await.map_err(|e| e.report().to_string()),
                Err(e) => Err(e.to_string()),
            };
            match got {
                Ok(me) => {
                    row["user"] = json!(me.display_name);
                    row["ok"] = json!(true);
                }
                Err(e) => {
                    row["user"] = json!("");
                    row["ok"] = json!(false);
                    row["error"] = json!(e.chars().take(80).collect::<String>());
                }
            }
        }
        rows.push(row);
    }
    let legacy_file = (!legacy.is_empty()).then(|| credentials::token_path().display().to_string());
    if x.json {
        let v = json!({"current": cfg.current, "hosts": rows, "legacy_token_file": legacy_file});
        return x.emit_value(v, Shape::Auto, Dump::Json, &[]);
    }
    let mut out = String::new();
    if !rows.is_empty() {
        let mut headers = vec!["Host", "URL", "Current", "Token"];
        if check {
            headers.extend(["User", "OK"]);
        }
        out.push_str(&table(
            &headers,
            rows.iter().map(|r| {
                let s = |k: &str| r[k].as_str().unwrap_or("").to_owned();
                let mut cols = vec![
                    s("host"),
                    s("url"),
                    if r["current"] == json!(true) {
                        "✓".into()
                    } else {
                        String::new()
                    },
                    s("token_prefix"),
                ];
                if check {
                    cols.push(s("user"));
                    cols.push(if r["ok"] == json!(true) { "✓" } else { "✗" }.into());
                }
                cols
            }),
        ));
    }
    if let Some(f) = legacy_file {
        out.push_str(&format!("\n{}", fields(&[("legacy token file", f)])));
    }
    println!("{}", out.trim_start());
    Ok(())
}

fn auth_switch(m: &ArgMatches, _x: &Ctx) -> Result<(), CliError> {
    let mut cfg = credentials::load_config();
    if cfg.hosts.is_empty() {
        return Err(CliError::Failed(
            "No hosts configured. Run `ctfy auth login` first.".into(),
        ));
    }
    let target = m.get_one::<String>("target").cloned().unwrap_or_default();
    if target.is_empty() {
        let keys: Vec<&str> = cfg.hosts.keys().map(String::as_str).collect();
        return Err(CliError::Usage(format!(
            "name the host to switch to (no interactive picker here): {}",
            keys.join(", ")
        )));
    }
    let Some(h) = cfg.hosts.get(&target).cloned() else {
        return Err(CliError::Failed(format!(
            "Unknown host: {target}. Configured: {}",
            cfg.hosts.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    };
    cfg.current = target.clone();
    credentials::save_config(&cfg)?;
    println!("Now using {target} ({})", h.url);
    Ok(())
}

async fn events_watch(m: &ArgMatches, x: &Ctx) -> Result<(), CliError> {
    let types = m
        .get_one::<String>("filter")
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let c = x.client(true)?;
    let json = !m.get_flag("text");
    crate::commands::events(&c, json, crate::cli::EventsArgs { types, count: None }).await
}
