//! Decoding a JSON body: plainly first, and only after a failure again with the serde path
//! tracked, for an [`Error::Decode`](crate::Error::Decode) that says where.

use serde::de::DeserializeOwned;

use super::{RawResponse, Transport};
use crate::error::{Result, decode_error};
use crate::request::Request;

impl Transport {
    /// Decodes the body of `raw`, the answer to `req`, as `T`.
    pub(super) fn decode_raw<T: DeserializeOwned>(
        &self,
        req: &Request,
        raw: &RawResponse,
    ) -> Result<T> {
        decode_body(&raw.body).map_err(|at| {
            decode_error(
                req.method.as_str(),
                &self.full_path(req),
                raw.status,
                &raw.body,
                at,
                &self.secrets(),
            )
        })
    }
}

/// Decodes `body` as `T`, reporting the serde path and a snippet on failure.
///
/// # Errors
/// [`Error::Decode`](crate::Error::Decode).
pub fn decode<T: DeserializeOwned>(req: &Request, status: u16, body: &[u8]) -> Result<T> {
    decode_body(body)
        .map_err(|failure| decode_error(req.method.as_str(), &req.path, status, body, failure, &[]))
}

/// Decodes `body` plainly; only on failure is it decoded again with the path tracked, to say
/// where it failed.
fn decode_body<T: DeserializeOwned>(
    body: &[u8],
) -> std::result::Result<T, (String, serde_json::Error)> {
    // An empty body decodes like JSON `null`, so `()`/`Option` targets accept 204s.
    let body: &[u8] = if body.is_empty() { b"null" } else { body };
    serde_json::from_slice(body).map_err(|plain| {
        let de = &mut serde_json::Deserializer::from_slice(body);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Err(e) => (e.path().to_string(), e.into_inner()),
            Ok(_) => (".".to_owned(), plain),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, SNIPPET_LEN};

    /// serde's message quotes the refused string: redacted and cut, with its position kept;
    /// a message that needs neither is serde's own error.
    #[test]
    fn decode_errors_quote_the_server_s_text_redacted_and_cut() {
        #[derive(Debug, serde::Deserialize)]
        struct Id {
            #[allow(dead_code)]
            id: u32,
        }
        let req = Request::get("/x", &[]).unwrap();
        let source = |body: &[u8]| match decode::<Id>(&req, 200, body).unwrap_err() {
            Error::Decode { source, .. } => source,
            other => panic!("{other:?}"),
        };
        let plain = source(br#"{"id": true}"#);
        assert_eq!(
            plain.to_string(),
            "invalid type: boolean `true`, expected u32 at line 1 column 11"
        );
        let masked = source(br#"{"id": "a?token=pt_zz"}"#);
        assert_eq!(
            masked.to_string(),
            r#"invalid type: string "a?token=<redacted>", expected u32 at line 1 column 22"#
        );
        assert_eq!((masked.line(), masked.column()), (1, 22));
        let long = format!(r#"{{"id": "{}"}}"#, "x".repeat(100_000));
        let cut = source(long.as_bytes());
        let shown = cut.to_string();
        assert!(shown.len() < SNIPPET_LEN + 64, "{} bytes", shown.len());
        assert!(
            shown.starts_with(r#"invalid type: string "xxx"#)
                && shown.ends_with("… at line 1 column 100009"),
            "{shown}"
        );
        assert_eq!((cut.line(), cut.column()), (1, 100_009));
    }
}
