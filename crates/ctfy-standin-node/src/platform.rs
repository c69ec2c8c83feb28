//! Node → platform calls: registration and heartbeats.

use ctfy_models::With;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::wire::{NodeHeartbeat, NodeRegister};
use crate::{Error, Registration, Shared, now_epoch};

/// Registers with the platform, retrying connection errors for about 15 s.
pub(crate) async fn register(shared: &Shared) -> Result<Registration, Error> {
    let url = format!("{}/api/v1/nodes/register", shared.cfg.platform_url);
    let body = NodeRegister::default().with(|it| {
        it.url = shared.public_url.clone();
        it.display_name = "ctfy-rs stand-in node".into();
        it.capacity = Some(i64::from(shared.cfg.capacity));
        it.labels = Some(BTreeMap::from([(
            "standin".to_string(),
            "true".to_string(),
        )]));
    });
    let mut attempt = 0;
    let resp = loop {
        attempt += 1;
        match shared
            .http
            .post(&url)
            .bearer_auth(&shared.cfg.invite)
            .json(&body)
            .send()
            .await
        {
            Ok(r) => break r,
            Err(e) if attempt < 30 && (e.is_connect() || e.is_timeout()) => {
                tracing::warn!(error = %e, attempt, "platform not reachable yet; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(Error::Register(format!("POST {url}: {e}"))),
        }
    };
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| Error::Register(format!("POST {url}: reading reply: {e}")))?;
    if !status.is_success() {
        return Err(Error::Register(format!(
            "POST {url}: HTTP {status}: {text}"
        )));
    }
    let reply: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Register(format!("POST {url}: reply is not JSON: {e}: {text}")))?;
    let field = |k: &str| {
        reply
            .get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Error::Register(format!("reply has no {k:?}: {text}")))
    };
    let reg = Registration {
        id: field("id")?,
        token: field("token")?,
    };
    if let Some(dir) = &shared.cfg.state_dir {
        let path = dir.join("node.json");
        let doc = serde_json::json!({
            "id": reg.id,
            "token": reg.token,
            "url": shared.public_url,
            "platform_url": shared.cfg.platform_url,
            "registered_at": now_epoch(),
            "registration": reply,
        });
        let pretty = serde_json::to_string_pretty(&doc).unwrap_or_default();
        std::fs::write(&path, pretty).map_err(|source| Error::Io { path, source })?;
    }
    Ok(reg)
}

/// Sends one heartbeat; failures are logged, never fatal.
pub(crate) async fn heartbeat(shared: &Shared) {
    let (Some(id), Some(token)) = (shared.node_id(), shared.token()) else {
        return;
    };
    let running = shared.running();
    let body = NodeHeartbeat::default().with(|it| {
        it.id = id;
        it.running = Some(i64::from(running));
        it.capacity = Some(i64::from(shared.cfg.capacity));
        it.cpu_percent = Some(1.0);
        it.memory_percent = Some(10.0);
        it.memory_total_mb = Some(8192.0);
        it.disk_percent = Some(10.0);
        it.sampled_at = Some(now_epoch().into());
        it.version = Some("0.7.0".into());
        it.git_commit = Some(String::new());
        it.corpus_commit = Some(String::new());
        it.ingress_canary_url = Some(String::new());
    });
    let url = format!("{}/api/v1/nodes/heartbeat", shared.cfg.platform_url);
    match shared
        .http
        .post(&url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => {
            tracing::debug!(running, "heartbeat ok");
        }
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            tracing::warn!(%status, body = %text, "heartbeat refused");
        }
        Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
    }
}

/// Beats every `heartbeat_interval` (the first beat was already sent by `start`).
pub(crate) async fn heartbeat_loop(shared: std::sync::Arc<Shared>) {
    let mut tick = tokio::time::interval(shared.cfg.heartbeat_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        heartbeat(&shared).await;
    }
}
