//! # ctfy: the async Rust SDK for the ctfy CTF platform
//!
//! This facade re-exports the whole SDK:
//! - [`PlatformClient`] (player namespaces and the competition handle), from `ctfy-client`;
//! - [`AdminClient`] (the operator surface), from `ctfy-admin`;
//! - [`NodeClient`] (platform → worker-node calls), from `ctfy-node`;
//! - [`models`]: every wire type, from `ctfy-models`;
//! - [`transport`]: errors, retry policy, pagination and the event stream, from `ctfy-transport`.
//!
//! ## Quickstart
//!
//! ```no_run
//! use std::time::Duration;
//! use ctfy::{PlatformClient, Registration};
//!
//! # async fn demo() -> ctfy::Result<()> {
//! let client = PlatformClient::from_env()?; // CTFY_PLATFORM_URL (else CTFY_URL), CTFY_TOKEN
//! let running = client.competitions().list().phase("running").await?;
//! let comp = client.competition(&running.items[0].id)?;
//! comp.register(Registration::Solo).await?;
//!
//! let challenges = comp.challenges().await?;
//! let ready = client
//!     .instances()
//!     .start(&challenges.items[0].id)
//!     .competition_id(comp.id())
//!     .deadline(Duration::from_secs(120)) // a hard cap; a failed start leaves nothing running
//!     .await?;
//! println!("attack surface: {}", ready.surface.services[0].url());
//!
//! let result = client.submissions().submit(&ready.id, "FLAG{…}").await?;
//! println!("correct: {}", result.correct);
//! client.instances().stop(&ready.id).await?;
//! # Ok(()) }
//! ```
//!
//! ## Map
//!
//! | to … | start from |
//! |---|---|
//! | play: competitions, challenges, instances, submissions, teams, scoreboards | [`PlatformClient`]: `client.competitions()`, `client.instances()`, `client.submissions()`, …; every namespace: [the client's map](crate::client#map-of-the-calls) |
//! | work inside one competition | `client.competition(id)?`, a [`Competition`] (owned, `Clone`) and its `team()` |
//! | follow live events | `client.events()`, an [`EventStream`] of [`Notice`]s carrying [`Event`]s |
//! | operate the platform | [`AdminClient`] (`client.admin()` or `AdminClient::connect`); every namespace: [the admin map](crate::admin#map-of-the-calls) |
//! | talk to a worker node | [`NodeClient`] |
//! | read or build wire values | [`models`] (every type, typed ids, timestamps) |
//! | handle failures | [`Error`] (`code()`, `status()`, `is_retryable()`, …) and [`ApiError`] |
//! | test an agent without a platform | `ctfy::testing` (feature `testing`), below |
//!
//! Features: `rustls` (default, aws-lc-rs), `rustls-ring` (ring instead of aws-lc-rs) or
//! `native-tls`, each optionally with `webpki-roots` (bundled Mozilla roots, for rustls);
//! when several TLS features are on, `native-tls` wins, then `rustls-ring`
//! ([`transport::TLS_BACKEND`] names the one in use); `admin`, `node`, `tunnel` (default);
//! `testing`.
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
#![cfg_attr(docsrs, feature(doc_cfg))]

// The sub-crates are inlined, so that the facade's documentation (docs.rs/ctfy) has a page
// for every namespace, call builder, model and error under `ctfy::`.
#[cfg(feature = "admin")]
#[doc(inline)]
pub use ctfy_admin as admin;
#[doc(inline)]
pub use ctfy_client as client;
#[doc(inline)]
pub use ctfy_models as models;
#[cfg(feature = "node")]
#[doc(inline)]
pub use ctfy_node as node;
#[doc(inline)]
pub use ctfy_transport as transport;

#[cfg(feature = "testing")]
#[doc(inline)]
pub use ctfy_client::testing;

#[cfg(feature = "admin")]
pub use ctfy_admin::AdminClient;
pub use ctfy_client::{
    Competition, EventStream, Notice, PlatformClient, ReadyInstance, Registration,
};
pub use ctfy_models::With;
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
