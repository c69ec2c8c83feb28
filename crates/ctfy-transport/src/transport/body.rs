//! Response bodies: the reader that reads a body whole within a bound (the body limit, or
//! the start of an error answer), and the [`Download`] of a body.

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::{Download, RawResponse};

/// How much of an error answer's body is read (the rest is dropped: an error keeps a snippet).
pub(super) const MAX_ERROR_BODY: u64 = 1024 * 1024;

/// The start of an error answer's body (at most 1 MiB is read); empty when reading failed.
pub(crate) async fn read_error_body(mut resp: reqwest::Response) -> Bytes {
    match read_limited(&mut resp, MAX_ERROR_BODY, false).await {
        Ok(raw) => raw.body,
        Err(_) => Bytes::new(),
    }
}

pub(super) enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

/// Reads the whole body, refusing one over `limit` bytes (by its `Content-Length` before
/// reading, or as it arrives). With `strict` off, a body over the limit is cut at the limit
/// instead (error answers keep only their start).
pub(super) async fn read_limited(
    resp: &mut reqwest::Response,
    limit: u64,
    strict: bool,
) -> std::result::Result<RawResponse, ReadError> {
    let declared = resp.content_length();
    if strict && declared.is_some_and(|n| n > limit) {
        return Err(ReadError::TooLarge);
    }
    let mut body = Collected::Nothing;
    let mut total: u64 = 0;
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Http)? {
        total = total.saturating_add(chunk.len() as u64);
        if total > limit {
            if strict {
                return Err(ReadError::TooLarge);
            }
            let keep = chunk.len() - (total - limit) as usize;
            body.push(declared, limit, chunk.slice(..keep));
            break;
        }
        body.push(declared, limit, chunk);
    }
    if total <= limit {
        super::pool::body_read_to_its_end(resp.version()).await;
    }
    // The headers stay in the response until here: the future of this function is smaller
    // when less is held across its awaits.
    Ok(RawResponse {
        status: resp.status().as_u16(),
        headers: std::mem::take(resp.headers_mut()),
        body: body.into_bytes(),
    })
}

/// A body being read: nothing yet, one chunk (kept as it came, not copied), or several
/// chunks copied into one buffer.
enum Collected {
    Nothing,
    One(Bytes),
    Many(bytes::BytesMut),
}

impl Collected {
    /// Adds `chunk`; at the second chunk, a buffer of the declared length (at most `limit`) is
    /// made, so a body is copied once.
    fn push(&mut self, declared: Option<u64>, limit: u64, chunk: Bytes) {
        match self {
            Collected::Many(buf) => buf.extend_from_slice(&chunk),
            Collected::One(one) => {
                let cap = declared.unwrap_or(0).min(limit) as usize;
                let mut buf = bytes::BytesMut::with_capacity(cap.max(one.len() + chunk.len()));
                buf.extend_from_slice(one);
                buf.extend_from_slice(&chunk);
                *self = Collected::Many(buf);
            }
            Collected::Nothing => *self = Collected::One(chunk),
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Collected::Nothing => Bytes::new(),
            Collected::One(one) => one,
            Collected::Many(buf) => buf.freeze(),
        }
    }
}

pub(super) fn to_download(raw: RawResponse) -> Download {
    let header = |name| {
        raw.headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(CONTENT_TYPE);
    let filename = header(reqwest::header::CONTENT_DISPOSITION).and_then(|d| {
        d.split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("filename="))
            .map(|f| f.trim_matches('"').to_owned())
    });
    Download {
        bytes: raw.body,
        content_type,
        filename,
    }
}
