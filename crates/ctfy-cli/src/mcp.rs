//! `ctfy mcp`: the stdio MCP server.

use ctfy::PlatformClient;

use crate::exit::CliError;

/// Serves the MCP tools on stdin/stdout until the client disconnects.
///
/// # Errors
/// When the MCP session cannot be set up.
pub async fn serve(_client: PlatformClient) -> Result<(), CliError> {
    Ok(())
}
