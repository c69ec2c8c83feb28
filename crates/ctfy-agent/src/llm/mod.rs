//! Language-model clients: [`OpenAiChat`] (OpenAI Chat Completions and compatible gateways,
//! feature `openai`) and [`AnthropicMessages`] (Anthropic Messages, feature `anthropic`),
//! each a [`Model`], and [`from_env`], which builds the one the `LLM_*` environment names.
//!
//! Both clients stream every call, retry HTTP 429, 5xx and failed connections per a
//! [`RetryPolicy`] (honouring `Retry-After`), bound each call by a timeout, and keep the API
//! key out of every `Debug`, error and message.
//!
//! # The environment
//!
//! | Variable | Meaning |
//! |---|---|
//! | `LLM_FLAVOR` | `openai` or `anthropic` (case and surrounding blanks ignored) |
//! | `LLM_API_KEY` | the API key (required) |
//! | `LLM_MODEL` | the model (default `gpt-4o-mini` / `claude-haiku-4-5-20251001`) |
//! | `LLM_BASE_URL` | the API's base: it includes `/v1` for OpenAI, it is the root for Anthropic |

use std::time::Duration;

use crate::model::{Model, ModelError};

#[cfg(feature = "anthropic")]
mod anthropic;
mod http;
#[cfg(feature = "openai")]
mod openai;

#[cfg(feature = "anthropic")]
pub use anthropic::{AnthropicMessages, AnthropicMessagesBuilder};
pub use http::RetryPolicy;
#[cfg(feature = "openai")]
pub use openai::{OpenAiChat, OpenAiChatBuilder};

/// The OpenAI model used when `LLM_MODEL` names none.
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";
/// The Anthropic model used when `LLM_MODEL` names none.
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-haiku-4-5-20251001";
/// `max_tokens` of an OpenAI call unless set.
pub const DEFAULT_OPENAI_MAX_TOKENS: u32 = 4096;
/// `max_tokens` of an Anthropic call unless set: thinking tokens count against it, so it is
/// sized for long thinking.
pub const DEFAULT_ANTHROPIC_MAX_TOKENS: u32 = 64000;
/// The temperature of an OpenAI call unless set (Anthropic calls send none).
pub const DEFAULT_TEMPERATURE: f64 = 0.0;
/// The bound on one model call unless set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// The OpenAI base URL unless set (`/v1` included).
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// The Anthropic base URL unless set (the root, without `/v1`).
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// The `anthropic-version` header sent.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Which API a model speaks (`LLM_FLAVOR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Flavor {
    /// The OpenAI Chat Completions API (`openai`).
    OpenAi,
    /// The Anthropic Messages API (`anthropic`).
    Anthropic,
}

impl Flavor {
    /// Reads a flavor name: `openai` or `anthropic`, case and surrounding blanks ignored.
    pub fn parse(name: &str) -> Result<Flavor, ModelError> {
        match name.trim().to_lowercase().as_str() {
            "openai" => Ok(Flavor::OpenAi),
            "anthropic" => Ok(Flavor::Anthropic),
            other => Err(ModelError::Config(format!(
                "unknown LLM flavor {other:?}: expected \"openai\" or \"anthropic\""
            ))),
        }
    }

    /// The flavor's name as `LLM_FLAVOR` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::OpenAi => "openai",
            Flavor::Anthropic => "anthropic",
        }
    }

    /// The model used when none is named.
    pub fn default_model(self) -> &'static str {
        match self {
            Flavor::OpenAi => DEFAULT_OPENAI_MODEL,
            Flavor::Anthropic => DEFAULT_ANTHROPIC_MODEL,
        }
    }
}

impl std::fmt::Display for Flavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The model settings the `LLM_*` variables give, checked (the key is held masked).
#[derive(Clone)]
#[non_exhaustive]
pub struct LlmSettings {
    /// `LLM_FLAVOR`.
    pub flavor: Flavor,
    /// `LLM_MODEL`, or the flavor's default.
    pub model: String,
    /// `LLM_BASE_URL`, if set (and not blank).
    pub base_url: Option<String>,
    api_key: http::ApiKey,
}

impl std::fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSettings")
            .field("flavor", &self.flavor)
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .finish()
    }
}

impl LlmSettings {
    /// Reads the settings through `get` (a variable's value, `None` when unset): values are
    /// trimmed, and an empty one counts as unset. `LLM_API_KEY` is required and `LLM_FLAVOR`
    /// must be `openai` or `anthropic`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<LlmSettings, ModelError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Some(api_key) = var("LLM_API_KEY") else {
            return Err(ModelError::Config("LLM_API_KEY is not set".into()));
        };
        let flavor = Flavor::parse(&var("LLM_FLAVOR").unwrap_or_default())?;
        Ok(LlmSettings {
            flavor,
            model: var("LLM_MODEL").unwrap_or_else(|| flavor.default_model().to_owned()),
            base_url: var("LLM_BASE_URL"),
            api_key: http::ApiKey::new(api_key),
        })
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<LlmSettings, ModelError> {
        LlmSettings::from_vars(|name| std::env::var(name).ok())
    }

    /// Builds the client these settings name (with the defaults for everything else).
    pub fn build(&self) -> Result<Box<dyn Model>, ModelError> {
        match self.flavor {
            #[cfg(feature = "openai")]
            Flavor::OpenAi => {
                let mut b = OpenAiChat::builder(self.api_key.expose()).model(&self.model);
                if let Some(url) = &self.base_url {
                    b = b.base_url(url);
                }
                Ok(Box::new(b.build()?))
            }
            #[cfg(feature = "anthropic")]
            Flavor::Anthropic => {
                let mut b = AnthropicMessages::builder(self.api_key.expose()).model(&self.model);
                if let Some(url) = &self.base_url {
                    b = b.base_url(url);
                }
                Ok(Box::new(b.build()?))
            }
            #[allow(unreachable_patterns)]
            other => Err(ModelError::Config(format!(
                "LLM_FLAVOR is {other}, but this build has no {other} client (feature \"{other}\")"
            ))),
        }
    }
}

/// The model the process environment's `LLM_*` variables name (see the [module](self)).
pub fn from_env() -> Result<Box<dyn Model>, ModelError> {
    LlmSettings::from_env()?.build()
}

/// The model the `LLM_*` variables name, read through `get` (a variable's value, `None` when
/// unset), for tests and for callers with their own configuration source.
///
/// ```
/// let vars = [("LLM_FLAVOR", "OpenAI "), ("LLM_API_KEY", "sk-test")];
/// let get = |name: &str| {
///     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
/// };
/// # #[cfg(feature = "openai")]
/// let model = ctfy_agent::llm::from_vars(get).unwrap();
/// ```
pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Box<dyn Model>, ModelError> {
    LlmSettings::from_vars(get)?.build()
}
