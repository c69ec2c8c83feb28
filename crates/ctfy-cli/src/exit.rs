//! The exit codes of `ctfy` and how errors map onto them (see the [crate docs](crate#exit-codes)).

/// Success.
pub const OK: u8 = 0;
/// The call worked but the outcome is negative (a wrong answer, a failed instance).
pub const FAILED: u8 = 1;
/// Bad usage: arguments, or no server URL configured.
pub const USAGE: u8 = 2;
/// Authentication or permission refused (HTTP 401 or 403).
pub const AUTH: u8 = 3;
/// Not found (HTTP 404).
pub const NOT_FOUND: u8 = 4;
/// Rate limited or transient (429, 502/503/504, connection failures, timeouts).
pub const TRANSIENT: u8 = 5;
/// Any other error.
pub const OTHER: u8 = 6;

/// The text `ctfy --help` ends with.
pub const HELP_AFTER: &str = "\
Exit codes:
  0  success
  1  negative outcome: wrong answer, instance failed to start
  2  usage error (bad arguments, no server URL)
  3  authentication or permission refused (HTTP 401/403)
  4  not found (HTTP 404)
  5  rate limited or transient (429, 502/503/504, connection failure, timeout)
  6  any other error

Environment: CTFY_PLATFORM_URL or CTFY_URL (server), CTFY_TOKEN (token),
CTFY_SESSION_TOKEN (optional pt_ session for `ctfy events`).";

/// An error of a command, with the exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// An SDK error (API answer, transport, decoding…).
    Sdk(ctfy::Error),
    /// A usage problem found before anything was sent.
    Usage(String),
    /// A negative outcome (exit code 1), with the line to print.
    Failed(String),
    /// Anything else (exit code 6).
    Other(String),
    /// A transient failure found by the CLI itself (exit code 5).
    Transient(String),
}

impl From<ctfy::Error> for CliError {
    fn from(e: ctfy::Error) -> Self {
        CliError::Sdk(e)
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Other(e.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::Other(format!("JSON: {e}"))
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The error and its causes on one line (the error's own text leaves them out).
            CliError::Sdk(e) => write!(f, "{}", e.report()),
            CliError::Usage(m)
            | CliError::Failed(m)
            | CliError::Other(m)
            | CliError::Transient(m) => f.write_str(m),
        }
    }
}

impl CliError {
    /// The exit code this error maps to.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Sdk(e) => sdk_exit_code(e),
            CliError::Usage(_) => USAGE,
            CliError::Failed(_) => FAILED,
            CliError::Other(_) => OTHER,
            CliError::Transient(_) => TRANSIENT,
        }
    }
}

/// The exit code of an SDK error.
pub fn sdk_exit_code(e: &ctfy::Error) -> u8 {
    match e {
        ctfy::Error::InstanceFailed { .. } => FAILED,
        ctfy::Error::InvalidArgument(_) | ctfy::Error::InvalidId(_) => USAGE,
        _ if e.is_unauthorized() || e.is_forbidden() => AUTH,
        _ if e.is_not_found() => NOT_FOUND,
        _ if e.is_rate_limited() || e.is_retryable() => TRANSIENT,
        _ => OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SDK error's message leaves its cause to `source()`: the CLI prints both.
    #[test]
    fn an_sdk_error_is_printed_with_its_cause() {
        let req = ctfy::transport::Request::get("/api/v1/health", &[]).unwrap();
        let e = ctfy::transport::__private::decode::<u32>(&req, 200, br#""ok""#).unwrap_err();
        let own = e.to_string();
        let shown = CliError::Sdk(e).to_string();
        assert!(shown.starts_with(&own), "{shown}");
        assert!(
            shown.ends_with(r#": invalid type: string "ok", expected u32 at line 1 column 4"#),
            "{shown}"
        );
    }
}
