//! The HTTP machinery shared by every ctfy client.
//!
//! - [`Transport`]: base URL handling, bearer auth sent only to the configured origin, a token
//!   that never shows in `Debug`, errors or traces, timeouts, and retries that never repeat a
//!   non-idempotent request the server may have processed.
//! - [`Request`]: a request as data, with every path segment percent-encoded and `.`/`..`/empty
//!   segments refused.
//! - [`Error`]: one `#[non_exhaustive]` error enum that keeps the platform's `code` and `detail`.
//! - [`Page`] and [`PageStream`]: pagination.
//! - [`events`]: the server-sent event stream with its reconnect loop.
//!
//! Each request runs in a `ctfy.request` tracing span with the method, the path template (not
//! the concrete path, so ids do not explode cardinality), the status, the attempt number and
//! the latency.

mod call;
mod error;
pub mod events;
mod paginate;
mod request;
mod transport;

pub use call::Call;
pub use ctfy_models::{IntoId, InvalidId, Page};
pub use error::{ApiError, Error, Result, SNIPPET_LEN, snippet};
pub use events::{SseAuth, SseConfig, SseConfigBuilder, SseItem, SseStream};
pub use paginate::{DEFAULT_PAGE_SIZE, PageStream};
pub use request::{Body, FilePart, Idempotency, QueryValue, Request, build_path, encode_segment};
/// The HTTP client crate the transport is built on, for callers that bring their own `reqwest::Client`.
pub use reqwest;
pub use reqwest::Method;
pub use transport::{Download, RawResponse, RetryPolicy, Transport, TransportBuilder, decode};
