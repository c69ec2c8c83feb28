//! Redirects: which ones keep a request's meaning and the token safe, and following those
//! (reqwest itself follows none; see
//! [`TransportBuilder::http_client_with`](super::TransportBuilder::http_client_with)).

use reqwest::header::LOCATION;
use url::Url;

use super::Transport;
use super::retry::Failure;
use crate::error::{Error, redacted_snippet};
use crate::interceptor::Tap;
use crate::request::Request;

/// How many redirects one attempt follows at most.
const MAX_REDIRECTS: u32 = 5;

impl Transport {
    /// Builds the error of a redirect the SDK did not follow: its `Location` redacted, then
    /// cut to a snippet (masked first, so the cut never leaves part of a secret, and the bound
    /// holds for what is shown).
    pub(crate) fn redirect_error(
        &self,
        method: &str,
        path: &str,
        resp: &reqwest::Response,
    ) -> Error {
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| redacted_snippet(v.as_bytes(), &self.secrets()));
        Error::Redirect {
            method: method.into(),
            path: path.into(),
            status: resp.status().as_u16(),
            location,
        }
    }

    /// Whether `url` carries a secret: a `token=` parameter (any case, `access_token=` too,
    /// percent-encoded or not), userinfo, or one of the transport's tokens. The redaction
    /// decides: a URL it would change carries one.
    fn carries_secret(&self, url: &Url) -> bool {
        let text = url.as_str();
        *self.redact(text) != *text
    }

    /// Where the redirect `resp` (the answer to `req` at `resp.url()`, after `hops` redirects
    /// already followed) may be followed to; `None` when it must not be.
    ///
    /// A redirect is followed only when that keeps the request's meaning: the request is
    /// idempotent, and either it is a GET or HEAD (which stay what they are on 301, 302, 303,
    /// 307 and 308) or the status is 307 or 308 (which keep the method and the body). And
    /// only when the token stays safe: the target is on the configured origin, and neither
    /// the URL that answered nor the target carries a secret. At most [`MAX_REDIRECTS`].
    fn redirect_target(&self, req: &Request, resp: &reqwest::Response, hops: u32) -> Option<Url> {
        let code = resp.status().as_u16();
        let keeps_meaning = req.is_idempotent()
            && match req.method {
                reqwest::Method::GET | reqwest::Method::HEAD => {
                    matches!(code, 301 | 302 | 303 | 307 | 308)
                }
                _ => matches!(code, 307 | 308),
            };
        if !keeps_meaning || hops >= MAX_REDIRECTS || self.carries_secret(resp.url()) {
            return None;
        }
        let location = std::str::from_utf8(resp.headers().get(LOCATION)?.as_bytes()).ok()?;
        let target = resp.url().join(location).ok()?;
        (self.is_home(&target) && !self.carries_secret(&target)).then_some(target)
    }

    /// Follows the redirect `resp` of `req` and those after it while
    /// [`redirect_target`](Self::redirect_target) allows, and returns the first answer that
    /// is not a redirect. A redirect that is not followed is [`Error::Redirect`].
    ///
    /// Each redirect is an exchange of its own for the interceptors: `tap` (the first
    /// answer's) is told of its answer here, and the tap of the answer returned comes back.
    pub(super) async fn follow_redirects(
        &self,
        req: &Request,
        client: &reqwest::Client,
        mut resp: reqwest::Response,
        mut tap: Option<Box<Tap>>,
        attempt: u32,
    ) -> std::result::Result<(reqwest::Response, Option<Box<Tap>>), Failure> {
        let mut hops = 0;
        while resp.status().is_redirection() {
            if let Some(tap) = tap.take() {
                tap.response(resp.status(), resp.headers(), None);
            }
            let Some(target) = self.redirect_target(req, &resp, hops) else {
                let path = self.full_path(req);
                return Err(Failure::fatal(self.redirect_error(
                    req.method.as_str(),
                    &path,
                    &resp,
                )));
            };
            hops += 1;
            let request = self
                .http_request(client, req, target)
                .map_err(Failure::fatal)?;
            // Let go of the redirect's connection before the next request asks for one.
            drop(resp);
            (resp, tap) = self.exchange(client, request, req, attempt).await?;
        }
        Ok((resp, tap))
    }
}
