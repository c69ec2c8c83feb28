//! `client.instances().tunnel(id)`: reach an engagement-mode instance through WireGuard
//! (hand-written; Python SDK: `client.instances.tunnel`).
//!
//! The instance's WireGuard config is downloaded with `instances().vpn_config`, then handed to
//! one of two local backends, both discovered on the search path at run time (none is bundled):
//!
//! - **interface** — `wg-quick` brings up a real WireGuard device. The whole network stack
//!   works (ICMP, UDP, raw sockets), but it needs `CAP_NET_ADMIN` and changes the host's routes
//!   and resolver.
//! - **socks** — the `wg-socks` helper terminates the tunnel in userspace and serves SOCKS5 on a
//!   free loopback port. No privileges and no host state, but TCP only.
//!
//! [`TunnelMode::Auto`] takes the interface when `wg-quick` is installed and this process can
//! create devices, the helper otherwise. The [`Tunnel`] guard tears the tunnel down on
//! [`Tunnel::close`] or, best effort, when dropped.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ctfy_models::{CompetitionId, InstanceId, IntoId};
use ctfy_transport::__private::awaitable;
use ctfy_transport::{Error, Result, Transport};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

use crate::Instances;

/// The userspace backend: WireGuard in an ordinary process, exposed as SOCKS5.
const HELPER: &str = "wg-socks";
/// The kernel backend: the standard WireGuard tooling.
const WG_QUICK: &str = "wg-quick";
/// How much of a backend's output an error quotes.
const TAIL: usize = 800;
/// How long `wg-quick up` / `down` may take.
const WG_QUICK_LIMIT: Duration = Duration::from_secs(60);
/// How long closing waits for the helper to exit after it was killed.
const EXIT_LIMIT: Duration = Duration::from_secs(5);

const INSTALL_HINT: &str = "no WireGuard backend found on the search path.

Preferred, no privileges required: the userspace helper `wg-socks` (infra/wg-socks of the ctfy \
platform, built on wireguard-go and its netstack):

  cd infra/wg-socks && go build -o ~/.local/bin/wg-socks .

It needs no root, no /dev/net/tun and no CAP_NET_ADMIN, and serves the tunnel as SOCKS5.

Fallback, needs CAP_NET_ADMIN and /dev/net/tun: the standard tooling,

  apt install wireguard-tools     # provides wg-quick

which creates a real interface: traffic routes without a proxy and `Tunnel::socks5()` is None.";

const NO_NET_ADMIN: &str = "run with `docker run --cap-add NET_ADMIN --device /dev/net/tun`";

/// Which local transport [`Instances::tunnel`] opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TunnelMode {
    /// The interface when `wg-quick` is installed and this process may create devices
    /// (`CAP_NET_ADMIN`), else the userspace SOCKS5 helper. Ask explicitly when it matters: a
    /// challenge that needs ICMP or UDP looks broken, not unreachable, under SOCKS5.
    #[default]
    Auto,
    /// A real WireGuard device via `wg-quick` (needs `CAP_NET_ADMIN`; changes host routes and
    /// resolver). ICMP, UDP and raw sockets work.
    Interface,
    /// The userspace `wg-socks` helper, reachable as [`Tunnel::socks5`]. TCP only.
    Socks,
}

impl Instances<'_> {
    /// Opens a WireGuard tunnel to an engagement-mode instance: downloads its config
    /// (`GET /instances/{instance_id}/vpn-config`), then brings up a `wg-quick` interface or
    /// the userspace `wg-socks` SOCKS5 helper (see [`TunnelMode`]). Set the mode, the wait
    /// and the competition on the builder, then `.await` it; keep the [`Tunnel`] while you use
    /// it and [`Tunnel::close`] it when done.
    ///
    /// `GET /instances/{instance_id}/vpn-config`, then a local process; Python SDK:
    /// `client.instances.tunnel`.
    ///
    /// ```no_run
    /// # async fn demo(client: ctfy_client::PlatformClient, id: &str) -> ctfy_client::Result<()> {
    /// use ctfy_client::TunnelMode;
    ///
    /// let tun = client.instances().tunnel(id).mode(TunnelMode::Socks).await?;
    /// // e.g. reqwest (feature "socks"): Proxy::all(tun.socks5().unwrap())
    /// println!("{:?}", tun.socks5()); // Some("socks5h://127.0.0.1:PORT")
    /// tun.close().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The config download's errors first, as [`Instances::vpn_config`] gives them (404
    /// `vpn_config_not_available` for a simple-mode instance, one not running yet, or a VPN
    /// still bootstrapping its keys); then [`Error::Tunnel`] when no backend fits the mode
    /// (the message says what to install or which privilege is missing), when `wg-quick up`
    /// fails, or when the helper did not accept connections within the timeout.
    pub fn tunnel(&self, instance_id: impl IntoId<InstanceId>) -> InstancesTunnel {
        InstancesTunnel {
            t: self.t.clone(),
            instance_id: instance_id.into_id().map_err(Error::from),
            competition_id: None,
            mode: TunnelMode::Auto,
            timeout: Duration::from_secs(30),
            search_path: None,
            can_create_interface: None,
        }
    }
}

/// Request builder of [`Instances::tunnel`].
#[derive(Debug)]
#[must_use = "a request builder does nothing until awaited"]
pub struct InstancesTunnel {
    t: Transport,
    instance_id: Result<InstanceId>,
    competition_id: Option<Result<CompetitionId>>,
    mode: TunnelMode,
    timeout: Duration,
    search_path: Option<Vec<PathBuf>>,
    can_create_interface: Option<bool>,
}

impl InstancesTunnel {
    /// The transport to open (default [`TunnelMode::Auto`]).
    pub fn mode(mut self, mode: TunnelMode) -> Self {
        self.mode = mode;
        self
    }

    /// How long the SOCKS5 helper may take to accept connections once started (default
    /// 30 s); past it the call fails with [`Error::Tunnel`]. (`timeout` is the per-attempt
    /// timeout of HTTP calls everywhere else in the SDK; this is not one.)
    pub fn helper_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the `competition_id` query parameter of the config download. An invalid id fails
    /// the call with [`Error::InvalidId`] when sent.
    pub fn competition_id(mut self, competition_id: impl IntoId<CompetitionId>) -> Self {
        self.competition_id = Some(competition_id.into_id().map_err(Error::from));
        self
    }

    /// The directories searched for `wg-quick` and `wg-socks`, in order (default: `$PATH`).
    pub fn search_path<I, P>(mut self, dirs: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        self.search_path = Some(dirs.into_iter().map(Into::into).collect());
        self
    }

    /// Overrides the check of whether this process may create network devices (by default:
    /// effective uid 0 or `CAP_NET_ADMIN` in the effective set, read from
    /// `/proc/self/status`).
    pub fn can_create_interface(mut self, yes: bool) -> Self {
        self.can_create_interface = Some(yes);
        self
    }

    /// Downloads the config and opens the tunnel.
    ///
    /// # Errors
    /// As [`Instances::tunnel`].
    pub async fn send(self) -> Result<Tunnel> {
        let id = self.instance_id?;
        let mut call = Instances { t: &self.t }.vpn_config(id);
        if let Some(c) = self.competition_id.transpose()? {
            call = call.competition_id(c);
        }
        // The download comes first, as in the Python SDK: what it says about the instance
        // (not found, not engagement-mode) matters more than a missing local backend.
        let config = call.await?.bytes;
        let dirs = match self.search_path {
            Some(dirs) => dirs,
            None => std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect())
                .unwrap_or_default(),
        };
        let capable = || {
            self.can_create_interface
                .unwrap_or_else(can_create_interface)
        };
        match find_backend(self.mode, &dirs, capable)? {
            Backend::Interface(wg_quick) => open_interface(wg_quick, &config).await,
            Backend::Socks(helper) => open_socks(helper, &config, self.timeout).await,
        }
    }
}

awaitable!(InstancesTunnel => Tunnel);

/// An open tunnel (see [`Instances::tunnel`]). [`Tunnel::close`] tears it down; dropping it
/// does so best effort: the SOCKS5 helper is killed, and `wg-quick down` is started in the
/// background (its temporary config directory is removed once it finished, unless the
/// process exits first).
pub struct Tunnel {
    state: Option<State>,
    socks: Option<SocketAddr>,
    interface: Option<String>,
}

enum State {
    Socks(Child),
    Interface { wg_quick: PathBuf, dir: PathBuf },
}

impl fmt::Debug for Tunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tunnel")
            .field("socks", &self.socks)
            .field("interface", &self.interface)
            .field("open", &self.state.is_some())
            .finish()
    }
}

impl Tunnel {
    /// The proxy URL to use, `socks5h://127.0.0.1:PORT`, for a SOCKS5 tunnel; `None` on an
    /// interface, where the kernel routes the traffic. The `h` makes the proxy resolve names,
    /// inside the tunnel: the challenge's host name exists nowhere else.
    pub fn socks5(&self) -> Option<String> {
        self.socks.map(|a| format!("socks5h://{a}"))
    }

    /// The SOCKS5 listening address, for a SOCKS5 tunnel.
    pub fn socks5_addr(&self) -> Option<SocketAddr> {
        self.socks
    }

    /// Whether ICMP, UDP and raw sockets reach the instance: true on an interface, false
    /// through SOCKS5, which carries TCP only.
    pub fn full_network(&self) -> bool {
        self.interface.is_some()
    }

    /// The name of the WireGuard interface (`ctfy` + 8 hex digits), in interface mode.
    pub fn interface(&self) -> Option<&str> {
        self.interface.as_deref()
    }

    /// Tears the tunnel down: kills the SOCKS5 helper and waits for it, or runs
    /// `wg-quick down` and removes the temporary config.
    ///
    /// # Errors
    /// [`Error::Tunnel`] when `wg-quick down` failed or could not be run (the temporary
    /// config is removed anyway).
    pub async fn close(mut self) -> Result<()> {
        match self.state.take() {
            None => Ok(()),
            Some(State::Socks(mut child)) => {
                let _ = child.start_kill();
                let _ = tokio::time::timeout(EXIT_LIMIT, child.wait()).await;
                Ok(())
            }
            Some(State::Interface { wg_quick, dir }) => {
                let conf = conf_path(&dir, self.interface.as_deref().unwrap_or_default());
                let down = run_wg_quick(&wg_quick, "down", &conf).await;
                let _ = std::fs::remove_dir_all(&dir);
                down
            }
        }
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        match self.state.take() {
            None => {}
            // `kill_on_drop`: the child is killed, and tokio reaps it.
            Some(State::Socks(child)) => drop(child),
            Some(State::Interface { wg_quick, dir }) => {
                let conf = conf_path(&dir, self.interface.as_deref().unwrap_or_default());
                // Spawning does not block; the wait and the clean-up run on a plain thread, so
                // neither the runtime nor a runtime-less caller is held up.
                let child = std::process::Command::new(&wg_quick)
                    .arg("down")
                    .arg(&conf)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn();
                std::thread::spawn(move || {
                    if let Ok(mut child) = child {
                        let _ = child.wait();
                    }
                    let _ = std::fs::remove_dir_all(&dir);
                });
            }
        }
    }
}

enum Backend {
    Interface(PathBuf),
    Socks(PathBuf),
}

/// The backend for `mode`, preferring the interface in `Auto`.
fn find_backend(
    mode: TunnelMode,
    dirs: &[PathBuf],
    capable: impl FnOnce() -> bool,
) -> Result<Backend> {
    let quick = which(WG_QUICK, dirs);
    let helper = which(HELPER, dirs);
    match mode {
        TunnelMode::Socks => helper.map(Backend::Socks).ok_or_else(|| {
            Error::Tunnel(format!(
                "mode Socks needs the userspace helper `{HELPER}`, which is not installed.\n\n{INSTALL_HINT}"
            ))
        }),
        TunnelMode::Interface => {
            let Some(quick) = quick else {
                return Err(Error::Tunnel(format!(
                    "mode Interface needs `{WG_QUICK}`: apt install wireguard-tools"
                )));
            };
            if !capable() {
                return Err(Error::Tunnel(format!(
                    "mode Interface needs CAP_NET_ADMIN, which this process does not have: \
                     {NO_NET_ADMIN}, or use mode Socks (TCP only: no ICMP, no UDP)"
                )));
            }
            Ok(Backend::Interface(quick))
        }
        TunnelMode::Auto => match (quick, helper) {
            (Some(quick), _) if capable() => Ok(Backend::Interface(quick)),
            (_, Some(helper)) => Ok(Backend::Socks(helper)),
            (Some(_), None) => Err(Error::Tunnel(format!(
                "`{WG_QUICK}` is installed but this process lacks CAP_NET_ADMIN, so it cannot \
                 create the interface: {NO_NET_ADMIN}, or install the userspace helper, which \
                 needs no privileges.\n\n{INSTALL_HINT}"
            ))),
            (None, None) => Err(Error::Tunnel(INSTALL_HINT.to_owned())),
        },
    }
}

/// The first executable file `name` in `dirs`.
fn which(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(name)).find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// Effective uid 0, or `CAP_NET_ADMIN` (bit 12) in the effective capability set: a container
/// can hold the capability without being root.
fn can_create_interface() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::split_whitespace)
    };
    let euid_root = field("Uid:").and_then(|mut f| f.nth(1)) == Some("0");
    let net_admin = field("CapEff:")
        .and_then(|mut f| f.next())
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .is_some_and(|caps| caps & (1 << 12) != 0);
    euid_root || net_admin
}

/// `<dir>/<iface>.conf`: `wg-quick` names the interface after the file.
fn conf_path(dir: &Path, iface: &str) -> PathBuf {
    dir.join(format!("{iface}.conf"))
}

/// A short random suffix: not a secret, only unique among this host's interfaces.
fn random_hex() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    format!("{:08x}", h.finish() as u32)
}

/// Brings up a `wg-quick` interface on a 0600 copy of `config` in a private temporary
/// directory (`wg-quick` reads files only). The kernel caps interface names at 15 characters,
/// so the file is named after a short generated interface, never after the instance.
async fn open_interface(wg_quick: PathBuf, config: &[u8]) -> Result<Tunnel> {
    let iface = format!("ctfy{}", random_hex());
    let dir = std::env::temp_dir().join(format!("ctfy-wg-{}", random_hex()));
    let conf = conf_path(&dir, &iface);
    let written = write_private(&dir, &conf, config)
        .map_err(|e| Error::Tunnel(format!("could not write the WireGuard config: {e}")));
    let up = match written {
        Ok(()) => run_wg_quick(&wg_quick, "up", &conf).await,
        Err(e) => Err(e),
    };
    if let Err(e) = up {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    Ok(Tunnel {
        state: Some(State::Interface { wg_quick, dir }),
        socks: None,
        interface: Some(iface),
    })
}

fn write_private(dir: &Path, conf: &Path, config: &[u8]) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        builder.mode(0o700);
        file.mode(0o600);
    }
    builder.create(dir)?;
    std::io::Write::write_all(&mut file.open(conf)?, config)
}

/// `wg-quick <verb> <conf>`; a failure quotes the end of its output.
async fn run_wg_quick(wg_quick: &Path, verb: &str, conf: &Path) -> Result<()> {
    let run = Command::new(wg_quick)
        .arg(verb)
        .arg(conf)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(WG_QUICK_LIMIT, run).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(Error::Tunnel(format!("could not run {WG_QUICK}: {e}"))),
        Err(_) => {
            return Err(Error::Tunnel(format!(
                "{WG_QUICK} {verb} did not finish within {WG_QUICK_LIMIT:?}"
            )));
        }
    };
    if out.status.success() {
        return Ok(());
    }
    let text = if out.stderr.is_empty() {
        &out.stdout
    } else {
        &out.stderr
    };
    Err(Error::Tunnel(format!(
        "{WG_QUICK} {verb} failed ({}):\n{}",
        out.status,
        tail(text)
    )))
}

/// Starts the helper on a free loopback port with the config on stdin (never in a file: it is
/// a credential), and waits until the port accepts connections.
async fn open_socks(helper: PathBuf, config: &[u8], timeout: Duration) -> Result<Tunnel> {
    let name = helper
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| HELPER.to_owned());
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| Error::Tunnel(format!("no free loopback port: {e}")))?
        .port();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut child = Command::new(&helper)
        .args(["-config", "-", "-bind", &addr.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::Tunnel(format!("could not start {name}: {e}")))?;
    // Drain its output all along (a helper blocked on a full pipe would stall the tunnel),
    // keeping the end for error messages.
    let output = Arc::new(Mutex::new(Vec::new()));
    if let Some(out) = child.stdout.take() {
        tokio::spawn(drain(out, output.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(drain(err, output.clone()));
    }
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits at once closes the pipe: that shows up below as its exit.
        let _ = stdin.write_all(config).await;
        let _ = stdin.shutdown().await;
    }
    let deadline = ctfy_transport::__private::deadline_after(Instant::now(), timeout);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let why = format!("exited before opening its SOCKS5 port ({status})");
            return Err(failed(child, &output, &name, why).await);
        }
        let attempt =
            tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr));
        if let Ok(Ok(_)) = attempt.await {
            break;
        }
        if Instant::now() >= deadline {
            let why = format!("did not open a SOCKS5 port within {timeout:?}");
            return Err(failed(child, &output, &name, why).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(Tunnel {
        state: Some(State::Socks(child)),
        socks: Some(addr),
        interface: None,
    })
}

/// Kills a helper that did not come up; the error quotes the end of its output.
async fn failed(mut child: Child, output: &Mutex<Vec<u8>>, name: &str, why: String) -> Error {
    let _ = child.start_kill();
    let _ = tokio::time::timeout(EXIT_LIMIT, child.wait()).await;
    // Give the drains a moment to read what the helper wrote last.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let out = output.lock().map(|o| tail(&o)).unwrap_or_default();
    Error::Tunnel(format!("{name} {why}:\n{out}"))
}

async fn drain(mut r: impl AsyncRead + Unpin, keep: Arc<Mutex<Vec<u8>>>) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if let Ok(mut k) = keep.lock() {
            k.extend_from_slice(&buf[..n]);
            let excess = k.len().saturating_sub(4 * TAIL);
            k.drain(..excess);
        }
    }
}

/// The last [`TAIL`] bytes of a backend's output, lossily decoded.
fn tail(out: &[u8]) -> String {
    let start = out.len().saturating_sub(TAIL);
    String::from_utf8_lossy(&out[start..]).trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interface_name_fits_the_kernel_limit() {
        let name = format!("ctfy{}", random_hex());
        assert_eq!(name.len(), 12);
        assert!(name.len() <= 15);
    }

    #[test]
    fn auto_without_any_backend_names_both() {
        let Err(Error::Tunnel(msg)) = find_backend(TunnelMode::Auto, &[], || true) else {
            panic!("expected a tunnel error");
        };
        assert!(
            msg.contains("wg-socks") && msg.contains("wireguard-tools"),
            "{msg}"
        );
    }
}
