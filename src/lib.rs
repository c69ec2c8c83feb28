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
//!
//! ## Testing an agent without a platform
//!
//! With the feature `testing`, [`testing::MockPlatform`] stands in for the platform (see the
//! guide, [`agents_guide`]). A whole agent test:
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use ctfy::testing::{MockChallenge, MockPlatform};
//!
//! async fn agent(client: ctfy::PlatformClient, challenge: &str) -> ctfy::Result<bool> {
//!     let ready = client.instances().start(challenge).await?;
//!     let url = format!("{}/flag", ready.surface.services[0].url());
//!     let flag = reqwest::get(url).await.unwrap().text().await.unwrap();
//!     let result = client.submissions().submit(&ready.id, flag.trim()).await?;
//!     client.instances().stop(&ready.id).await?;
//!     Ok(result.correct)
//! }
//!
//! let mock = MockPlatform::builder().challenge(MockChallenge::instance("WEB-1")).start().await;
//! assert!(agent(mock.client(), "WEB-1").await.unwrap());
//! mock.assert_no_instance_running().await;
//! mock.assert_no_resubmission();
//! # }
//! # #[cfg(not(feature = "testing"))]
//! # fn main() {}
//! ```

#![deny(missing_docs)]

#[cfg(feature = "admin")]
pub use ctfy_admin as admin;
pub use ctfy_client as client;
pub use ctfy_models as models;
#[cfg(feature = "node")]
pub use ctfy_node as node;
pub use ctfy_transport as transport;

#[cfg(feature = "testing")]
pub use ctfy_client::testing;

#[cfg(feature = "admin")]
pub use ctfy_admin::AdminClient;
pub use ctfy_client::{
    Competition, EventStream, Notice, PlatformClient, ReadyInstance, Registration,
};
pub use ctfy_models::events::Event;
#[cfg(feature = "node")]
pub use ctfy_node::NodeClient;
pub use ctfy_transport::{ApiError, Error, Page, PageStream, Result, TokenKind};

/// The guide "Writing an agent with ctfy-rs" (`docs/AGENTS.md`), compiled as documentation so
/// its examples are checked by `cargo test`.
#[cfg(feature = "testing")]
#[doc = include_str!("../docs/AGENTS.md")]
pub mod agents_guide {}

/// The README, compiled as documentation so its examples are checked by `cargo test`.
#[doc = include_str!("../README.md")]
pub mod readme {}
