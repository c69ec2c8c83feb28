//! Saved credentials, shared with the Python `ctfy` CLI: the same files in the same formats.
//!
//! - the directory: `$CTFY_CONFIG_HOME`, else `$XDG_CONFIG_HOME/ctfy`, else `~/.config/ctfy`;
//! - `config.toml` there: the saved hosts (`current = "key"` and one `[hosts."key"]` table per
//!   host with `url` and `token`, the key being the URL's `host[:port]`);
//! - `token` there: the older single-token file, one line, still read as a last resort and
//!   written beside `config.toml` on login.
//!
//! Both files are written atomically (a temporary file, then a rename) with mode 0600 in a
//! 0700 directory.
//!
//! How a command picks its server and token ([`resolve`]): the server is `--host KEY`'s entry,
//! else `--platform-url`/`CTFY_PLATFORM_URL` (or `CTFY_URL`), else the current saved host.
//! The token is `--token`/`CTFY_TOKEN`, else `--host`'s entry's, else (with an explicit URL)
//! the token of the saved host with that URL, else the current host's, else the `token` file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::exit::CliError;

/// One saved host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Its key (`host[:port]` of the URL).
    pub key: String,
    /// The platform URL, without a trailing slash.
    pub url: String,
    /// The token saved for it.
    pub token: String,
}

/// The contents of `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The key of the current host, or empty.
    pub current: String,
    /// The saved hosts by key.
    pub hosts: BTreeMap<String, Host>,
}

/// The credentials directory.
pub fn config_dir() -> PathBuf {
    let var = |n: &str| std::env::var_os(n).filter(|v| !v.is_empty());
    if let Some(d) = var("CTFY_CONFIG_HOME") {
        return expand_home(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_CONFIG_HOME") {
        return expand_home(PathBuf::from(d)).join("ctfy");
    }
    home().join(".config").join("ctfy")
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn expand_home(p: PathBuf) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => home().join(rest),
        Err(_) => p,
    }
}

/// The path of `config.toml`.
pub fn config_path() -> PathBuf {
    config_dir().join("config.toml")
}

/// The path of the single-token file.
pub fn token_path() -> PathBuf {
    config_dir().join("token")
}

/// The key a URL is saved under: its `host[:port]` (the trimmed URL when it has none).
pub fn host_key(url: &str) -> String {
    let trimmed = url.trim().trim_end_matches('/');
    let netloc = trimmed
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    let key = if netloc.is_empty() { trimmed } else { netloc };
    key.trim_matches('.').trim().to_owned()
}

/// The saved single token, or `""`.
pub fn load_token() -> String {
    std::fs::read_to_string(token_path())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Reads `config.toml`; a missing or unreadable file is an empty configuration.
pub fn load_config() -> Config {
    match std::fs::read_to_string(config_path()) {
        Ok(text) => parse_config(&text).unwrap_or_default(),
        Err(_) => Config::default(),
    }
}

/// Parses the subset of TOML the file uses (a top-level `current` and `[hosts."key"]`
/// tables of basic strings); `None` when the text is not of that shape.
pub fn parse_config(text: &str) -> Option<Config> {
    let mut current = String::new();
    let mut tables: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let header = header.strip_suffix(']')?.trim();
            let key = header.strip_prefix("hosts.")?.trim();
            let key = if key.starts_with('"') {
                let (s, rest) = parse_basic_string(key)?;
                if !rest.trim().is_empty() {
                    return None;
                }
                s
            } else {
                key.to_owned()
            };
            tables.entry(key.clone()).or_default();
            section = Some(key);
            continue;
        }
        let (k, v) = line.split_once('=')?;
        let (value, rest) = parse_basic_string(v.trim())?;
        let rest = rest.trim();
        if !(rest.is_empty() || rest.starts_with('#')) {
            return None;
        }
        let k = k.trim().trim_matches('"').to_owned();
        match &section {
            None if k == "current" => current = value,
            None => {}
            Some(s) => {
                tables.entry(s.clone()).or_default().insert(k, value);
            }
        }
    }
    let mut hosts = BTreeMap::new();
    for (key, t) in tables {
        let url = t.get("url").cloned().unwrap_or_default();
        if url.is_empty() {
            continue;
        }
        let token = t.get("token").cloned().unwrap_or_default();
        hosts.insert(key.clone(), Host { key, url, token });
    }
    if !hosts.contains_key(&current) {
        current.clear();
    }
    Some(Config { current, hosts })
}

/// A TOML basic string at the start of `s`, and what follows it.
fn parse_basic_string(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => match chars.next()?.1 {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            c => out.push(c),
        }
    }
    None
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `config.toml`'s text for `cfg` (the same layout the Python CLI writes).
pub fn render_config(cfg: &Config) -> String {
    let mut lines = Vec::new();
    if !cfg.current.is_empty() {
        lines.push(format!("current = \"{}\"", escape(&cfg.current)));
        lines.push(String::new());
    }
    for h in cfg.hosts.values() {
        lines.push(format!("[hosts.\"{}\"]", escape(&h.key)));
        lines.push(format!("url = \"{}\"", escape(&h.url)));
        lines.push(format!("token = \"{}\"", escape(&h.token)));
        lines.push(String::new());
    }
    format!("{}\n", lines.join("\n").trim_end())
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let tmp = path.with_extension("tmp");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        use std::io::Write;
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
    }
    std::fs::rename(&tmp, path)
}

/// Writes `config.toml`.
pub fn save_config(cfg: &Config) -> std::io::Result<PathBuf> {
    let p = config_path();
    write_private(&p, &render_config(cfg))?;
    Ok(p)
}

/// Writes the single-token file.
pub fn save_token(token: &str) -> std::io::Result<PathBuf> {
    let p = token_path();
    write_private(&p, &format!("{token}\n"))?;
    Ok(p)
}

/// Removes the single-token file; whether it existed.
pub fn clear_token() -> bool {
    std::fs::remove_file(token_path()).is_ok()
}

/// Saves `token` for `url` and makes that host current; its entry.
pub fn upsert_host(url: &str, token: &str) -> std::io::Result<Host> {
    let mut cfg = load_config();
    let key = host_key(url);
    let host = Host {
        key: key.clone(),
        url: url.trim_end_matches('/').to_owned(),
        token: token.to_owned(),
    };
    cfg.hosts.insert(key.clone(), host.clone());
    cfg.current = key;
    save_config(&cfg)?;
    Ok(host)
}

/// The saved host whose URL is `url` (trailing slashes ignored).
pub fn find_by_url<'a>(cfg: &'a Config, url: &str) -> Option<&'a Host> {
    let target = url.trim_end_matches('/');
    cfg.hosts
        .values()
        .find(|h| h.url.trim_end_matches('/') == target)
}

/// What the global options and the environment say, before the files are consulted.
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// `--platform-url`, else `CTFY_PLATFORM_URL`/`CTFY_URL`.
    pub url: Option<String>,
    /// `--token`, else `CTFY_TOKEN`.
    pub token: Option<String>,
    /// `--host`, else `CTFY_HOST`.
    pub host: Option<String>,
}

/// The server and token a command uses.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// The server URL, if any is configured.
    pub url: Option<String>,
    /// The token (`""` when none).
    pub token: String,
}

/// Resolves the server and token from the options, the environment and the saved files.
///
/// # Errors
/// [`CliError::Usage`] for a `--host` that is not saved.
pub fn resolve(given: &Given) -> Result<Resolved, CliError> {
    let nonempty = |o: &Option<String>| o.clone().filter(|v| !v.trim().is_empty());
    let explicit_token = nonempty(&given.token);
    let cfg = load_config();
    if let Some(key) = nonempty(&given.host) {
        let Some(h) = cfg.hosts.get(&key) else {
            return Err(CliError::Usage(format!(
                "unknown --host {key}: run `ctfy auth status` to see the saved hosts"
            )));
        };
        return Ok(Resolved {
            url: Some(h.url.clone()),
            token: explicit_token.unwrap_or_else(|| h.token.clone()),
        });
    }
    if let Some(url) = nonempty(&given.url) {
        let token = explicit_token
            .or_else(|| {
                find_by_url(&cfg, &url)
                    .map(|h| h.token.clone())
                    .filter(|t| !t.is_empty())
            })
            .unwrap_or_else(load_token);
        return Ok(Resolved {
            url: Some(url.trim_end_matches('/').to_owned()),
            token,
        });
    }
    let current = cfg.hosts.get(&cfg.current);
    let token = explicit_token
        .or_else(|| current.map(|h| h.token.clone()).filter(|t| !t.is_empty()))
        .unwrap_or_else(load_token);
    Ok(Resolved {
        url: current.map(|h| h.url.clone()),
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_python_layout_round_trips() {
        let text = "current = \"localhost:8101\"\n\n[hosts.\"ctfy.example.com\"]\nurl = \"https://ctfy.example.com\"\ntoken = \"pt_a\\\"b\"\n\n[hosts.\"localhost:8101\"]\nurl = \"http://localhost:8101\"\ntoken = \"pt_x\"\n";
        let cfg = parse_config(text).unwrap();
        assert_eq!(cfg.current, "localhost:8101");
        assert_eq!(cfg.hosts["ctfy.example.com"].token, "pt_a\"b");
        assert_eq!(render_config(&cfg), text);
    }

    #[test]
    fn keys_are_the_netloc() {
        assert_eq!(host_key("http://localhost:8101/"), "localhost:8101");
        assert_eq!(host_key("https://ctfy.example.com/x"), "ctfy.example.com");
        assert_eq!(host_key("weird"), "weird");
    }
}
