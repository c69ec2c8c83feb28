//! The operator client of the ctfy CTF platform (`/api/v1/admin/*`).
//!
//! Reach it from a player client (`client.admin()`, sharing its connection pool and token)
//! or on its own with [`AdminClient::connect`]. Admin routes need a `pt_` session token of
//! an admin; fine-grained `pf_` tokens are refused by the platform (the error says so).

use std::time::Duration;

use ctfy_transport::{Result, Transport};

/// The operator client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AdminClient {
    #[allow(dead_code)]
    pub(crate) t: Transport,
}

impl AdminClient {
    /// An admin client of its own for `server_url` with a `pt_` session `token`. Operator
    /// calls can be slow, so the per-request timeout is 600 s.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](ctfy_transport::Error::InvalidArgument) for a bad URL or token.
    pub fn connect(server_url: impl Into<String>, token: impl Into<String>) -> Result<Self> {
        Ok(Self::from_transport(
            Transport::builder(server_url)
                .token(token)
                .timeout(Some(Duration::from_secs(600)))
                .build()?,
        ))
    }

    /// Wraps an existing transport (what `PlatformClient::admin` does).
    pub fn from_transport(transport: Transport) -> Self {
        Self { t: transport }
    }

    /// The transport, for calls the SDK does not cover yet.
    pub fn transport(&self) -> &Transport {
        &self.t
    }
}
