//! The operator-surface live tests (binary `live_ops`).

pub mod common;

mod authoring;
mod awd;
mod competition_ops;
mod content;
mod eval;
mod misc;
