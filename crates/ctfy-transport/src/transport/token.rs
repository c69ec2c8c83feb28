//! Tokens: the `Authorization` header, the token accessors of a transport,
//! [`Transport::with_token`], and the transport's redaction of its tokens.

use std::sync::Arc;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::{Inner, TokenKind, Transport};
use crate::error::{Error, Result};

/// A token, or `None` for `""` (anonymous).
pub(super) fn secret(token: String) -> Option<SecretString> {
    (!token.is_empty()).then(|| SecretString::from(token))
}

/// The `Authorization: Bearer …` header of `token` (marked sensitive), if there is one.
///
/// # Errors
/// [`Error::InvalidArgument`] for a token with characters a header cannot carry.
pub(super) fn bearer(token: Option<&SecretString>) -> Result<Option<HeaderValue>> {
    let Some(token) = token else {
        return Ok(None);
    };
    let mut v =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            Error::InvalidArgument("the token contains characters not allowed in a header".into())
        })?;
    v.set_sensitive(true);
    Ok(Some(v))
}

impl Transport {
    /// Whether a token is configured.
    pub fn has_token(&self) -> bool {
        self.inner.token.is_some()
    }

    /// The token, for the few places that must put it elsewhere than a header (the event
    /// stream's `?token=`). Never log it.
    pub fn token(&self) -> Option<&SecretString> {
        self.inner.token.as_ref()
    }

    /// The token of the event stream: the
    /// [`events_token`](super::TransportBuilder::events_token) when one is set, else the
    /// token. Never log it.
    pub fn events_token(&self) -> Option<&SecretString> {
        self.inner
            .events_token
            .as_ref()
            .or(self.inner.token.as_ref())
    }

    /// What kind of token the requests carry (read from its prefix, without exposing it).
    pub fn token_kind(&self) -> TokenKind {
        TokenKind::of(self.inner.token.as_ref().map_or("", |t| t.expose_secret()))
    }

    /// What kind of token the event stream carries (see [`Transport::events_token`]).
    pub fn events_token_kind(&self) -> TokenKind {
        TokenKind::of(self.events_token().map_or("", |t| t.expose_secret()))
    }

    /// A transport like this one that sends `token` instead (empty: anonymous): for a token
    /// that was refreshed, or replaced after the platform refused it (an invalid or revoked
    /// token is a 403 `Invalid or revoked token`). `self` is left as it is, still sending
    /// its own token.
    ///
    /// The new transport shares this one's connection pool, settings, interceptors and
    /// background work ([`Transport::shutdown`] of either waits for both), and redacts the
    /// new token wherever it redacts one. Its event streams carry the
    /// [`events_token`](super::TransportBuilder::events_token) if one was set, else the new
    /// token; they are not shared with this transport's.
    ///
    /// A client built on a transport gets the new token the same way, e.g.
    /// `PlatformClient::from_transport(client.transport().with_token(fresh)?)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a token with characters a header cannot carry.
    ///
    /// ```
    /// let old = ctfy_transport::Transport::builder("http://127.0.0.1:8000")
    ///     .token("pf_old")
    ///     .build()
    ///     .unwrap();
    /// let new = old.with_token("pf_new").unwrap();
    /// assert_eq!(new.redact("pf_new pf_old"), "<redacted> pf_old");
    /// assert_eq!(old.redact("pf_new pf_old"), "pf_new <redacted>");
    /// ```
    pub fn with_token(&self, token: impl Into<String>) -> Result<Transport> {
        let token = secret(token.into());
        let auth = bearer(token.as_ref())?;
        let inner = &self.inner;
        Ok(Transport {
            inner: Arc::new(Inner {
                client: inner.client.clone(),
                stream_client: inner.stream_client.clone(),
                recipe: inner.recipe.clone(),
                base: inner.base.clone(),
                base_str: inner.base_str.clone(),
                base_path: inner.base_path.clone(),
                origin: inner.origin.clone(),
                token,
                events_token: inner.events_token.clone(),
                auth,
                timeout: inner.timeout,
                retry: inner.retry.clone(),
                max_body_size: inner.max_body_size,
                api_prefix: inner.api_prefix,
                interceptors: inner.interceptors.clone(),
                hubs: Default::default(),
                background: inner.background.clone(),
            }),
        })
    }

    /// Masks `token=` values, URL userinfo and this transport's token in `text` (the one
    /// redaction every URL and error text the SDK shows goes through; see [`crate::redact()`]).
    pub fn redact<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let once = crate::redact::redact_with(text, self.secret());
        match self.inner.events_token.as_ref().map(|t| t.expose_secret()) {
            Some(events) => match crate::redact::redact_with(&once, Some(events)) {
                std::borrow::Cow::Borrowed(_) => once,
                std::borrow::Cow::Owned(twice) => std::borrow::Cow::Owned(twice),
            },
            None => once,
        }
    }

    /// The token, for the redaction only.
    fn secret(&self) -> Option<&str> {
        self.inner.token.as_ref().map(|t| t.expose_secret())
    }

    /// The token and the events token, for the redaction only.
    pub(crate) fn secrets(&self) -> [Option<&str>; 2] {
        let events = self.inner.events_token.as_ref().map(|t| t.expose_secret());
        [self.secret(), events]
    }
}
