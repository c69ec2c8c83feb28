//! # ctfy: the async Rust SDK for the ctfy CTF platform
//!
//! This facade re-exports the whole SDK:
//! - [`PlatformClient`] (player namespaces and the competition handle), from `ctfy-client`;
//! - [`AdminClient`] (the operator surface), from `ctfy-admin`;
//! - [`NodeClient`] (platform → worker-node calls), from `ctfy-node`;
//! - [`models`]: every wire type, from `ctfy-models`;
//! - [`transport`]: errors, retry policy, pagination and the event stream, from `ctfy-transport`.
//!
//! ```no_run
//! # async fn demo() -> ctfy::Result<()> {
//! let client = ctfy::PlatformClient::from_env()?;
//! let me = client.me().get().await?;
//! println!("signed in as {}", me.email);
//! # Ok(()) }
//! ```

pub use ctfy_admin as admin;
pub use ctfy_client as client;
pub use ctfy_models as models;
pub use ctfy_node as node;
pub use ctfy_transport as transport;

#[cfg(feature = "testing")]
pub use ctfy_client::testing;

pub use ctfy_admin::AdminClient;
pub use ctfy_client::{
    Competition, EventStream, Notice, PlatformClient, ReadyInstance, Registration,
};
pub use ctfy_models::events::Event;
pub use ctfy_node::NodeClient;
pub use ctfy_transport::{ApiError, Error, Page, PageStream, Result, TokenKind};

/// The README, compiled as documentation so its examples are checked by `cargo test`.
#[doc = include_str!("../README.md")]
pub mod readme {}
