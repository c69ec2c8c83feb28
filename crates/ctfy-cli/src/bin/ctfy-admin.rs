//! The `ctfy-admin` binary: see the `ctfy_cli` library for the commands and exit codes.

fn main() -> std::process::ExitCode {
    ctfy_cli::admin_main()
}
