//! Live tests against the real ctfy platform running locally with the stand-in node.
//!
//! Start everything and run them with `scripts/with-platform.sh cargo test`.

#[path = "live/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "live/quickstart.rs"]
mod quickstart;
