//! Configuration of the stand-in node and its command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How to run a stand-in node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Base URL of the platform, e.g. `http://127.0.0.1:18200` (no `/api/v1`).
    pub platform_url: String,
    /// A one-time `reg_` invite (an admin `pt_` token also works).
    pub invite: String,
    /// Where the node API listens; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The URL advertised to the platform; defaults to `http://<bound address>`.
    pub public_url: Option<String>,
    /// Inclusive port range for per-instance services; `None` lets the OS choose.
    pub service_ports: Option<(u16, u16)>,
    /// How long an instance stays `starting` before it is ready (or fails).
    pub start_delay: Duration,
    /// The capacity reported to the platform.
    pub capacity: u32,
    /// Interval between heartbeats.
    pub heartbeat_interval: Duration,
    /// Directory for `node.json` and `requests.jsonl`.
    pub state_dir: Option<PathBuf>,
    /// File that receives the node id once registered.
    pub ready_file: Option<PathBuf>,
}

impl NodeConfig {
    /// A configuration with the defaults of the command line.
    pub fn new(platform_url: impl Into<String>, invite: impl Into<String>) -> Self {
        NodeConfig {
            platform_url: platform_url.into(),
            invite: invite.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            service_ports: None,
            start_delay: Duration::from_millis(1000),
            capacity: 20,
            heartbeat_interval: Duration::from_secs(10),
            state_dir: None,
            ready_file: None,
        }
    }
}

/// The usage text of the binary.
pub const USAGE: &str = "\
ctfy-standin-node: a stand-in ctfy worker node (no containers)

USAGE:
  ctfy-standin-node --platform-url URL [--invite reg_...] [OPTIONS]

OPTIONS:
  --platform-url URL        platform base URL, e.g. http://127.0.0.1:18200
  --invite TOKEN            reg_ invite (or env CTFY_NODE_INVITE)
  --listen ADDR             node API address (default 127.0.0.1:0)
  --public-url URL          URL advertised to the platform (default http://<bound addr>)
  --service-ports A-B       port range for per-instance services (default: OS-assigned)
  --start-delay-ms MS       time an instance stays 'starting' (default 1000)
  --capacity N              capacity reported to the platform (default 20)
  --heartbeat-interval-s S  seconds between heartbeats (default 10)
  --state-dir DIR           write node.json and requests.jsonl there
  --ready-file PATH         write the node id there once registered
  -h, --help                this text
";

/// Parses command-line arguments (without the program name). `env_invite` is the value
/// of `CTFY_NODE_INVITE`, used when `--invite` is absent.
///
/// Returns `Ok(None)` when help was requested.
pub fn parse_args<I, S>(args: I, env_invite: Option<String>) -> Result<Option<NodeConfig>, String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut cfg = NodeConfig::new("", "");
    let mut platform_url = None;
    let mut invite = None;
    let mut it = args.into_iter().map(Into::into);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if name == "-h" || name == "--help" {
            return Ok(None);
        }
        let mut value = || -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => it.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match name.as_str() {
            "--platform-url" => platform_url = Some(value()?),
            "--invite" => invite = Some(value()?),
            "--listen" => {
                let v = value()?;
                cfg.listen = v.parse().map_err(|e| format!("--listen {v}: {e}"))?;
            }
            "--public-url" => cfg.public_url = Some(value()?),
            "--service-ports" => cfg.service_ports = Some(parse_range(&value()?)?),
            "--start-delay-ms" => {
                cfg.start_delay = Duration::from_millis(parse_num(&name, &value()?)?);
            }
            "--capacity" => cfg.capacity = parse_num(&name, &value()?)?,
            "--heartbeat-interval-s" => {
                let secs: u64 = parse_num(&name, &value()?)?;
                cfg.heartbeat_interval = Duration::from_secs(secs.max(1));
            }
            "--state-dir" => cfg.state_dir = Some(PathBuf::from(value()?)),
            "--ready-file" => cfg.ready_file = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    cfg.platform_url = platform_url
        .ok_or("--platform-url is required")?
        .trim_end_matches('/')
        .to_string();
    cfg.invite = invite
        .or(env_invite.filter(|s| !s.is_empty()))
        .ok_or("--invite (or CTFY_NODE_INVITE) is required")?;
    Ok(Some(cfg))
}

fn parse_num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e| format!("{name} {v}: {e}"))
}

fn parse_range(v: &str) -> Result<(u16, u16), String> {
    let (a, b) = v
        .split_once('-')
        .ok_or_else(|| format!("--service-ports {v}: expected START-END"))?;
    let a: u16 = parse_num("--service-ports", a.trim())?;
    let b: u16 = parse_num("--service-ports", b.trim())?;
    if a == 0 || b < a {
        return Err(format!("--service-ports {v}: bad range"));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_everything() {
        let cfg = parse_args(
            [
                "--platform-url",
                "http://127.0.0.1:1/",
                "--listen=127.0.0.1:5000",
                "--service-ports",
                "18210-18299",
                "--start-delay-ms",
                "5",
                "--capacity",
                "3",
            ],
            Some("reg_x".into()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(cfg.platform_url, "http://127.0.0.1:1");
        assert_eq!(cfg.invite, "reg_x");
        assert_eq!(cfg.listen.port(), 5000);
        assert_eq!(cfg.service_ports, Some((18210, 18299)));
        assert_eq!(cfg.start_delay, Duration::from_millis(5));
        assert_eq!(cfg.capacity, 3);
    }

    #[test]
    fn rejects_missing_and_unknown() {
        assert!(parse_args(["--invite", "reg_x"], None).is_err());
        assert!(parse_args(["--platform-url", "http://x"], None).is_err());
        assert!(parse_args(["--platform-url", "http://x", "--bogus"], Some("r".into())).is_err());
        assert!(parse_args(["--help"], None).unwrap().is_none());
    }
}
