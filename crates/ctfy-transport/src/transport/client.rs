//! The reqwest clients of a transport: the recipe they are built from (connect timeout,
//! `User-Agent`, the caller's [`http_client_with`](super::TransportBuilder::http_client_with)
//! hook, the TLS backend of [`crate::tls`], no redirects, no `Referer`), the ordinary client
//! and the one streams use.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderValue;

use super::Transport;
use crate::error::{Error, Result};

/// A caller's adjustments to the `reqwest::ClientBuilder` the transport starts from.
#[derive(Clone)]
pub(super) struct ConfigureHttp(
    pub(super) Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>,
);

impl std::fmt::Debug for ConfigureHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<fn>")
    }
}

/// What the transport's reqwest clients are built from: the ordinary one, with the request
/// timeout, and the one streams use, without it (built at the first stream).
#[derive(Debug, Clone)]
pub(super) struct HttpRecipe {
    pub(super) connect_timeout: Duration,
    pub(super) user_agent: HeaderValue,
    pub(super) configure: Option<ConfigureHttp>,
}

impl HttpRecipe {
    /// A client whose requests time out after `timeout` (unless a request sets its own).
    pub(super) fn client(&self, timeout: Option<Duration>) -> Result<reqwest::Client> {
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone());
        http = match &self.configure {
            Some(ConfigureHttp(configure)) => configure(crate::tls::before_hook(http)),
            None => crate::tls::preconfigured(http)?,
        };
        // The request timeout is the client's own: a timeout set on each request costs reqwest
        // an allocation per request (its per-request settings live in a type map). Set after
        // the hook, so it wins over a timeout the hook set, as a per-request one did.
        if let Some(timeout) = timeout {
            http = http.timeout(timeout);
        }
        // reqwest follows nothing: its redirect policy cannot see the request's method, so the
        // transport decides itself which redirects keep a request's meaning (see
        // `Transport::redirect_target`). Event streams get every 3xx as it came.
        http.redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .build()
            .map_err(|e| Error::Build {
                what: "the HTTP client",
                // A builder error keeps no URL, but no URL may show in an error.
                source: Box::new(e.without_url()),
            })
    }
}

impl Transport {
    /// The client streams are sent with: the ordinary one when the transport has no request
    /// timeout, else one without it, built the first time (a client-wide timeout would end a
    /// stream, and a timeout that never fires still costs a timer check at every chunk).
    ///
    /// # Errors
    /// [`Error::Build`] if that client cannot be built (the ordinary one was built
    /// from the same settings, so this is not expected).
    pub(crate) fn stream_client(&self) -> Result<&reqwest::Client> {
        let inner = &self.inner;
        if inner.timeout.is_none() {
            return Ok(&inner.client);
        }
        if let Some(client) = inner.stream_client.get() {
            return Ok(client);
        }
        let built = inner.recipe.client(None)?;
        Ok(inner.stream_client.get_or_init(|| built))
    }
}
