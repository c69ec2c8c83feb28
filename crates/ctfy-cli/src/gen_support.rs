//! What the generated commands ([`crate::generated`]) share: the context a command runs in
//! (server, token, output options), their output in the Python CLI's shapes, and how their
//! clap commands join the binaries' trees.

use std::io::Write;

use clap::{ArgMatches, Command};
use ctfy::PlatformClient;
use futures::TryStreamExt;
use serde_json::Value;

use crate::credentials::{self, Given};
use crate::exit::CliError;
use crate::output::{fields as kv, table};

/// How `--json` writes the SDK's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dump {
    /// Timestamps as Python's `str(datetime)` writes them (`2026-12-07 13:35:32.070321+00:00`),
    /// as the Python command's `model_dump()` does.
    Python,
    /// Timestamps as sent (ISO-8601), as the Python command's `model_dump(mode="json")` does.
    Json,
}

/// The shape of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A list of rows (a page's items, or every page's).
    List,
    /// Whatever came back: an object as `key value` lines, a list as a table.
    Auto,
}

/// The context a command runs in: the global options.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    /// Server, token and saved host as given.
    pub given: Given,
    /// `--json`.
    pub json: bool,
    /// `--fields a,b`: keep these top-level keys (JSON only).
    pub fields: Option<String>,
    /// `--jq EXPR`: filter the JSON through `jq`.
    pub jq: Option<String>,
    /// The binary's name (`ctfy` or `ctfy-admin`), for messages.
    pub binary: &'static str,
}

/// The message for a command that needs a token and has none.
pub const NO_TOKEN: &str = "no token: sign in with `ctfy login`, pass --token or set CTFY_TOKEN";

impl Ctx {
    /// Reads the global options of a parsed command line (`--platform-url`, `--token`,
    /// `--host`, `--json`, `--fields`, `--jq`), the environment filling in what is absent.
    pub fn from_matches(m: &ArgMatches, binary: &'static str) -> Self {
        let s = |id: &str| m.try_get_one::<String>(id).ok().flatten().cloned();
        let env = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        Ctx {
            given: Given {
                url: s("url")
                    .or_else(|| env("CTFY_PLATFORM_URL"))
                    .or_else(|| env("CTFY_URL")),
                token: s("token").or_else(|| env("CTFY_TOKEN")),
                host: s("host").or_else(|| env("CTFY_HOST")),
            },
            json: m.try_get_one::<bool>("json").ok().flatten().copied() == Some(true),
            fields: s("fields").filter(|f| !f.trim().is_empty()),
            jq: s("jq").filter(|f| !f.trim().is_empty()),
            binary,
        }
    }

    /// A client for the resolved server and token.
    ///
    /// # Errors
    /// [`CliError::Usage`] without a server URL, or without a token when `require_token`.
    pub fn client(&self, require_token: bool) -> Result<PlatformClient, CliError> {
        let r = credentials::resolve(&self.given)?;
        let Some(url) = r.url else {
            return Err(CliError::Usage(
                "no server URL: pass --platform-url, set CTFY_PLATFORM_URL, or sign in with `ctfy login`"
                    .into(),
            ));
        };
        if require_token && r.token.is_empty() {
            return Err(CliError::Usage(NO_TOKEN.into()));
        }
        PlatformClient::builder(url)
            .token(r.token)
            .events_token(
                std::env::var("CTFY_SESSION_TOKEN")
                    .ok()
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_default(),
            )
            .build()
            .map_err(|e| CliError::Usage(e.to_string()))
    }

    /// A text argument (`""` when absent).
    pub fn text(&self, m: &ArgMatches, id: &str) -> String {
        m.get_one::<String>(id).cloned().unwrap_or_default()
    }

    /// A text option, `None` when absent or empty (Python's `""` default means "not set").
    pub fn opt_text(&self, m: &ArgMatches, id: &str) -> Option<String> {
        m.get_one::<String>(id).filter(|v| !v.is_empty()).cloned()
    }

    /// Prints an answer: JSON in Python's shapes with `--json`, else a table (`columns`, or
    /// the scalar keys of the rows) or `key value` lines.
    ///
    /// # Errors
    /// A failing `jq`, or stdout closed.
    pub fn emit_value(
        &self,
        value: Value,
        shape: Shape,
        dump: Dump,
        columns: &[&str],
    ) -> Result<(), CliError> {
        if self.json {
            let mut v = value;
            if dump == Dump::Python {
                python_timestamps(&mut v);
            }
            if let Some(f) = &self.fields {
                v = project(v, f);
            }
            if let Some(expr) = &self.jq {
                return run_jq(&v, expr);
            }
            return print(&serde_json::to_string_pretty(&v)?);
        }
        let text = match (&value, shape) {
            (Value::Array(rows), _) => rows_table(rows, columns),
            (Value::Object(map), Shape::Auto) => object_text(map),
            (other, _) => human_cell(other),
        };
        print(&text)
    }

    /// What a command that answers nothing prints.
    ///
    /// # Errors
    /// stdout closed.
    pub fn done(&self, what: &str) -> Result<(), CliError> {
        if self.json {
            return Ok(());
        }
        print(&format!("done: {what}"))
    }
}

fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}

/// Every item of a listing.
///
/// # Errors
/// The first page that fails.
pub async fn every_page<T>(stream: ctfy::transport::PageStream<T>) -> Result<Vec<T>, CliError> {
    Ok(stream.try_collect().await?)
}

/// ISO-8601 text as Python's `str(datetime)` writes it: a space for the `T`, six fraction
/// digits (none when zero), `+00:00` for `Z`. Other text is left alone.
pub fn python_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(8..10) && digits(11..13) && digits(14..16)) {
        return None;
    }
    if !digits(17..19) {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = String::new();
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        frac = r[..n.min(6)].to_owned();
        while frac.len() < 6 {
            frac.push('0');
        }
        rest = &r[n..];
    }
    let tz = match rest {
        "" => String::new(),
        "Z" | "z" => "+00:00".to_owned(),
        t if t.len() == 6
            && (t.starts_with('+') || t.starts_with('-'))
            && t.as_bytes()[3] == b':' =>
        {
            t.to_owned()
        }
        _ => return None,
    };
    let frac = if frac.bytes().all(|c| c == b'0') {
        String::new()
    } else {
        format!(".{frac}")
    };
    Some(format!("{} {}{frac}{tz}", &s[..10], &s[11..19]))
}

/// Every timestamp string in `v` rewritten as [`python_timestamp`] does.
pub fn python_timestamps(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(t) = python_timestamp(s) {
                *s = t;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(python_timestamps),
        Value::Object(o) => o.values_mut().for_each(python_timestamps),
        _ => {}
    }
}

fn project(v: Value, fields: &str) -> Value {
    let keep: Vec<&str> = fields
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    match v {
        Value::Array(a) => Value::Array(a.into_iter().map(|x| project(x, fields)).collect()),
        Value::Object(o) => Value::Object(
            keep.iter()
                .filter_map(|k| o.get(*k).map(|x| ((*k).to_owned(), x.clone())))
                .collect(),
        ),
        other => other,
    }
}

fn run_jq(v: &Value, expr: &str) -> Result<(), CliError> {
    let mut child = std::process::Command::new("jq")
        .arg(expr)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| CliError::Usage(format!("--jq needs the jq program on PATH: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(serde_json::to_string(v)?.as_bytes())?;
    }
    let status = child.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::Usage(format!("jq failed on {expr:?}")))
    }
}

fn human_cell(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => python_timestamp(s).unwrap_or_else(|| s.clone()),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            a.iter().map(human_cell).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// Columns a table shows first when a row has them.
const PREFERRED: &[&str] = &[
    "rank",
    "id",
    "name",
    "display_name",
    "title",
    "team_name",
    "email",
    "label",
    "role",
    "status",
    "phase",
    "kind",
    "category",
    "difficulty",
    "score",
    "url",
];

fn rows_table(rows: &[Value], columns: &[&str]) -> String {
    if rows.is_empty() {
        return "(none)".into();
    }
    let cols: Vec<String> = if columns.is_empty() {
        match rows.iter().find_map(Value::as_object) {
            Some(first) => {
                let scalar: Vec<&String> = first
                    .iter()
                    .filter(|(_, v)| !v.is_object() && !has_objects(v))
                    .map(|(k, _)| k)
                    .collect();
                // The identifying columns first, then the rest in key order.
                let mut cols: Vec<String> = PREFERRED
                    .iter()
                    .filter(|p| scalar.iter().any(|k| k.as_str() == **p))
                    .map(|p| (*p).to_owned())
                    .collect();
                for k in scalar {
                    if cols.len() >= 7 {
                        break;
                    }
                    if !cols.contains(k) {
                        cols.push(k.clone());
                    }
                }
                cols.truncate(7);
                cols
            }
            None => vec![],
        }
    } else {
        columns.iter().map(|c| (*c).to_owned()).collect()
    };
    if cols.is_empty() {
        return rows.iter().map(human_cell).collect::<Vec<_>>().join("\n");
    }
    let headers: Vec<&str> = cols.iter().map(String::as_str).collect();
    let body = table(
        &headers,
        rows.iter().map(|r| {
            cols.iter()
                .map(|c| human_cell(r.get(c).unwrap_or(&Value::Null)))
                .collect::<Vec<_>>()
        }),
    );
    format!("{body}\n{} row(s)", rows.len())
}

fn has_objects(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.iter().any(Value::is_object))
}

fn object_text(map: &serde_json::Map<String, Value>) -> String {
    let pairs: Vec<(&str, String)> = map
        .iter()
        .filter(|(_, v)| !v.is_object())
        .filter(|(_, v)| !v.as_array().is_some_and(|a| a.iter().any(Value::is_object)))
        .map(|(k, v)| (k.as_str(), human_cell(v)))
        .collect();
    let mut out = kv(&pairs);
    for (k, v) in map {
        if let Some(rows) = v.as_array().filter(|a| a.iter().any(Value::is_object)) {
            out.push_str(&format!("\n\n{k}:\n{}", rows_table(rows, &[])));
        }
    }
    out
}

/// Adds `sub` under the group at `parent` (space-separated path) of `root`, creating the
/// groups on the way (with the Python CLI's help) when they are missing. A command already
/// present under that name is kept (hand-written code wins).
pub fn graft(root: Command, binary: &str, parent: &str, sub: Command) -> Command {
    fn go(cmd: Command, binary: &str, done: &[&str], rest: &[&str], sub: Command) -> Command {
        let Some((head, tail)) = rest.split_first() else {
            if cmd
                .get_subcommands()
                .any(|s| s.get_name() == sub.get_name())
            {
                return cmd;
            }
            return cmd.subcommand(sub);
        };
        let mut cmd = cmd;
        if !cmd.get_subcommands().any(|s| s.get_name() == *head) {
            let mut path = done.to_vec();
            path.push(head);
            let key = path.join(" ");
            let help = crate::generated::GROUPS
                .iter()
                .find(|(b, p, _)| *b == binary && *p == key)
                .map(|(_, _, h)| *h)
                .unwrap_or("");
            let name: &'static str = Box::leak(head.to_string().into_boxed_str());
            cmd = cmd.subcommand(
                Command::new(name)
                    .about(help)
                    .subcommand_required(true)
                    .arg_required_else_help(true),
            );
        }
        let mut path = done.to_vec();
        path.push(head);
        cmd.mut_subcommand(*head, |g| go(g, binary, &path, tail, sub))
    }
    let parts: Vec<&str> = parent.split_whitespace().collect();
    go(root, binary, &[], &parts, sub)
}

/// The subcommand path of a parsed command line and the matches of its last command.
pub fn leaf(m: &ArgMatches) -> (Vec<String>, &ArgMatches) {
    let mut path = Vec::new();
    let mut cur = m;
    while let Some((name, sub)) = cur.subcommand() {
        path.push(name.to_owned());
        cur = sub;
    }
    (path, cur)
}

#[cfg(test)]
mod tests {
    use super::python_timestamp;

    #[test]
    fn timestamps_read_as_python_prints_them() {
        assert_eq!(
            python_timestamp("2026-12-07T13:35:32.070321Z").as_deref(),
            Some("2026-12-07 13:35:32.070321+00:00")
        );
        assert_eq!(
            python_timestamp("2026-12-07T13:35:32+00:00").as_deref(),
            Some("2026-12-07 13:35:32+00:00")
        );
        assert_eq!(
            python_timestamp("2026-12-07T13:35:32.5").as_deref(),
            Some("2026-12-07 13:35:32.500000")
        );
        assert_eq!(python_timestamp("hello"), None);
        assert_eq!(python_timestamp("2026-12-07"), None);
    }
}
