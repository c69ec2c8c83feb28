//! The player client of the ctfy CTF platform.
//!
//! ```no_run
//! # async fn demo() -> ctfy_client::Result<()> {
//! use ctfy_client::PlatformClient;
//!
//! let client = PlatformClient::new("http://127.0.0.1:8000", "pf_…")?;
//! let running = client.competitions().list().phase("running").await?;
//! let comp = client.competition(&running.items[0].id)?;
//! let challenges = comp.challenges().await?;
//! let ready = client.instances().start(&challenges.items[0].id).competition(comp.id()).await?;
//! println!("{}", ready.surface.services[0].url());
//! # Ok(()) }
//! ```
//!
//! Namespaces are cheap views borrowed from the client (`client.instances()`); the
//! competition handle (`client.competition(id)`) is owned and `Clone`, so it can move into
//! spawned tasks. Calls with optional parameters return a request builder: set what you
//! need, then `.await` it (or call `.send()`); paged listings also offer `.stream()`.

mod client;
mod competition;
mod competitions;
mod instances;
mod me;
mod submissions;

mod events;
pub use events::{EventStream, Notice};

pub use client::{ClientBuilder, Compatibility, PLATFORM_VERSION, PlatformClient, VersionCheck};
pub use competition::{Competition, Registration};
pub use competitions::Competitions;
pub use instances::{Instances, ReadyInstance, StartInstance};
pub use me::Me;
pub use submissions::{Answer, Submissions};

pub use ctfy_admin::AdminClient;
pub use ctfy_models as models;
pub use ctfy_transport::{
    ApiError, Download, Error, Page, PageStream, Result, RetryPolicy, Transport,
};

/// Implements `IntoFuture` for a request builder with an `async fn send(self)`, so the builder
/// can be awaited directly.
macro_rules! awaitable {
    ($builder:ty => $out:ty) => {
        impl ::std::future::IntoFuture for $builder {
            type Output = $crate::Result<$out>;
            type IntoFuture = ::futures::future::BoxFuture<'static, $crate::Result<$out>>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.send())
            }
        }
    };
}
pub(crate) use awaitable;

/// Declares a request builder: a newtype over [`ctfy_transport::Call`] that can be awaited.
macro_rules! builder {
    ($(#[$meta:meta])* $name:ident => Page<$item:ty>) => {
        $crate::builder!($(#[$meta])* $name => $crate::Page<$item>, page);

        impl $name {
            /// Streams every item of the listing, fetching pages lazily (the `limit` set on
            /// the builder is the page size).
            pub fn stream(self) -> $crate::PageStream<$item> {
                self.0.stream()
            }
        }
    };
    ($(#[$meta:meta])* $name:ident => $out:ty, $send:ident) => {
        $(#[$meta])*
        #[derive(Debug)]
        #[must_use = "a request builder does nothing until awaited"]
        pub struct $name(pub(crate) ::ctfy_transport::Call);

        impl $name {
            /// Sends the request.
            ///
            /// # Errors
            /// Any [`Error`](crate::Error).
            pub async fn send(self) -> $crate::Result<$out> {
                self.0.$send().await
            }
        }

        $crate::awaitable!($name => $out);
    };
}
pub(crate) use builder;
