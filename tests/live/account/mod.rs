//! The account tests (see `tests/live_account.rs`).

pub mod common;
mod encoding;
mod identities;
mod me;
mod root;
mod tokens;
mod world;
