//! The platform → worker-node client of the ctfy CTF platform.

use std::time::Duration;

use ctfy_transport::{Result, Transport};

/// A client for one worker node's API (`{node url}/api/v1`), authenticated with the node's
/// token. Node calls can take minutes (builds, pulls), so the default timeout is 600 s.
#[derive(Debug, Clone)]
pub struct NodeClient {
    #[allow(dead_code)]
    pub(crate) t: Transport,
}

impl NodeClient {
    /// A client for the node at `node_url` with its bearer `token`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](ctfy_transport::Error::InvalidArgument) for a bad URL or token.
    pub fn new(node_url: impl Into<String>, token: impl Into<String>) -> Result<Self> {
        Ok(Self {
            t: Transport::builder(node_url)
                .token(token)
                .timeout(Some(Duration::from_secs(600)))
                .build()?,
        })
    }

    /// Wraps an existing transport.
    pub fn from_transport(transport: Transport) -> Self {
        Self { t: transport }
    }
}
