//! The examples' unit tests: each example file carries tests of its own logic against
//! `ctfy::testing`'s mock platform; this harness compiles the files as modules and runs them.
//! (Their runs against the real platform are in `tests/live_examples.rs`.)

#[path = "../examples/agent_loop.rs"]
#[allow(dead_code)]
mod agent_loop;

#[path = "../examples/watch_events.rs"]
#[allow(dead_code)]
mod watch_events;

#[path = "../examples/admin_bootstrap.rs"]
#[allow(dead_code)]
mod admin_bootstrap;

#[path = "../examples/scoreboard.rs"]
#[allow(dead_code)]
mod scoreboard;
