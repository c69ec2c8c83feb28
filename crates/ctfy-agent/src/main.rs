//! `ctfy-agent`: the managed harness binary.

fn main() {
    std::process::exit(ctfy_agent::cli::main());
}
