//! The `ctfy-agent` command line: the managed harness (default) and `external -- CMD…`.

/// Runs the binary with the process's arguments and environment; returns its exit code.
pub fn main() -> i32 {
    eprintln!("ctfy-agent: not implemented yet");
    1
}
