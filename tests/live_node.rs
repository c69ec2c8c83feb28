//! Live tests of `NodeClient` against the REAL worker node daemon of ctfy 0.7.0
//! (`ctfy[node]` in `.venv`), started by the test on loopback and registered with the shared
//! local platform (`scripts/platform-up.sh`): see `tests/live/node/harness.rs`.
//!
//! Without a running platform or without the venv they print why and pass, except under
//! `CI=true`, where they fail.

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

#[path = "live/node/harness.rs"]
mod harness;

#[path = "live/node/real_node.rs"]
mod real_node;
