//! A stand-in ctfy worker node.
//!
//! It speaks the node HTTP protocol of the real ctfy 0.7.0 platform (PLATFORM.md §9):
//! it registers with a `reg_` invite, heartbeats, and serves the platform→node API
//! under `/api/v1`. Instead of containers, every instance is a tiny loopback HTTP server
//! that hands out the answers the platform minted for it (`GET /flag`), so tests can
//! play a challenge end to end without Docker.
//!
//! Start it in-process with [`start`], or run the `ctfy-standin-node` binary.

#![deny(missing_docs)]

mod api;
pub mod config;
mod platform;
mod service;
pub mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{NodeConfig, parse_args};

use crate::service::ServiceHandle;
use crate::wire::{AttackSurface, StartRequest};

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The node API listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The platform refused or did not answer the registration.
    #[error("registration failed: {0}")]
    Register(String),
    /// The state directory or ready file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What the platform handed back at registration.
#[derive(Debug, Clone)]
pub(crate) struct Registration {
    pub id: String,
    pub token: String,
}

/// Lifecycle of one instance on this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Starting,
    Ready,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Ready => "ready",
            Status::Error => "error",
        }
    }
}

/// One instance the node knows about.
#[derive(Debug)]
pub(crate) struct Instance {
    pub serial: u64,
    pub request: StartRequest,
    pub raw_request: serde_json::Value,
    pub status: Status,
    pub started_at: f64,
    pub surface: Option<AttackSurface>,
    pub error: Option<String>,
    pub service: Option<ServiceHandle>,
}

/// State shared by the API handlers, the heartbeat loop and the instance tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub cfg: NodeConfig,
    pub public_url: String,
    pub registration: Mutex<Option<Registration>>,
    pub instances: Mutex<BTreeMap<ctfy_models::InstanceId, Instance>>,
    pub requests: Mutex<Vec<serde_json::Value>>,
    pub serial: AtomicU64,
    pub http: reqwest::Client,
}

impl Shared {
    pub fn token(&self) -> Option<String> {
        lock(&self.registration).as_ref().map(|r| r.token.clone())
    }

    pub fn node_id(&self) -> Option<String> {
        lock(&self.registration).as_ref().map(|r| r.id.clone())
    }

    pub fn next_serial(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    /// Live instances (starting or ready), as reported in heartbeats.
    pub fn running(&self) -> u32 {
        let n = lock(&self.instances)
            .values()
            .filter(|i| i.status != Status::Error)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Appends one line to `<state-dir>/<name>`, ignoring errors (logged).
    pub fn append_state_line(&self, name: &str, value: &serde_json::Value) {
        let Some(dir) = &self.cfg.state_dir else {
            return;
        };
        use std::io::Write;
        let path = dir.join(name);
        let res = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{value}"));
        if let Err(e) = res {
            tracing::warn!(path = %path.display(), error = %e, "cannot append state line");
        }
    }

    /// Removes every instance and stops their servers.
    pub async fn stop_all(&self) -> usize {
        let all: Vec<Instance> = std::mem::take(&mut *lock(&self.instances))
            .into_values()
            .collect();
        let n = all.len();
        for inst in all {
            if let Some(svc) = inst.service {
                svc.stop().await;
            }
        }
        n
    }
}

/// Locks a std mutex, ignoring poisoning (no invariant spans a panic here).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Seconds since the Unix epoch.
pub(crate) fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A running stand-in node. Dropping it does not stop it; call [`NodeHandle::shutdown`].
#[derive(Debug)]
pub struct NodeHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown_tx: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    heartbeat: JoinHandle<()>,
}

impl NodeHandle {
    /// The address the node API is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL advertised to the platform.
    pub fn public_url(&self) -> &str {
        &self.shared.public_url
    }

    /// The node id the platform assigned (derived from the URL).
    pub fn node_id(&self) -> String {
        self.shared.node_id().unwrap_or_default()
    }

    /// The per-node bearer token the platform handed out.
    pub fn node_token(&self) -> String {
        self.shared.token().unwrap_or_default()
    }

    /// Number of live (starting or ready) instances.
    pub fn running(&self) -> u32 {
        self.shared.running()
    }

    /// Stops the heartbeat loop, every instance server and the node API.
    pub async fn shutdown(mut self) {
        self.heartbeat.abort();
        let stopped = self.shared.stop_all().await;
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
        let abort = self.server.abort_handle();
        if tokio::time::timeout(Duration::from_secs(3), &mut self.server)
            .await
            .is_err()
        {
            abort.abort();
        }
        tracing::info!(stopped, "stand-in node stopped");
    }
}

/// Binds the node API, registers with the platform, sends the first heartbeat and
/// starts the heartbeat loop.
pub async fn start(cfg: NodeConfig) -> Result<NodeHandle, Error> {
    let listener = TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| Error::Bind {
            addr: cfg.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        addr: cfg.listen,
        source,
    })?;
    let public_url = cfg
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_string();
    if let Some(dir) = &cfg.state_dir {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Error::Register(format!("http client: {e}")))?;
    let shared = Arc::new(Shared {
        cfg,
        public_url,
        registration: Mutex::new(None),
        instances: Mutex::new(BTreeMap::new()),
        requests: Mutex::new(Vec::new()),
        serial: AtomicU64::new(1),
        http,
    });

    // Serve first: the platform may call us as soon as registration returns.
    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let app = api::router(shared.clone());
    let server = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = shutdown_rx.await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "node API server failed");
        }
    });

    let registered = match platform::register(&shared).await {
        Ok(r) => r,
        Err(e) => {
            let _ = shutdown_tx.send(());
            server.abort();
            return Err(e);
        }
    };
    tracing::info!(node_id = %registered.id, url = %shared.public_url, "registered with the platform");
    *lock(&shared.registration) = Some(registered.clone());

    platform::heartbeat(&shared).await;
    if let Some(path) = &shared.cfg.ready_file {
        std::fs::write(path, format!("{}\n", registered.id)).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
    }
    let heartbeat = tokio::spawn(platform::heartbeat_loop(shared.clone()));

    Ok(NodeHandle {
        shared,
        addr,
        shutdown_tx: Some(shutdown_tx),
        server,
        heartbeat,
    })
}
