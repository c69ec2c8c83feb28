//! The one redaction every URL, `Location` and error text goes through before the SDK shows
//! it (errors, `Debug`, tracing fields).
//!
//! It masks:
//! - the value of every `token=` parameter, plain or percent-encoded (`token%3D…`, as a server
//!   echoes it inside a `?next=` parameter), whatever precedes `token` (`access_token=` too);
//! - the userinfo of every `scheme://user:password@host` URL;
//! - every occurrence of the transport's own token, wherever it appears.

use std::borrow::Cow;

/// What a masked value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Masks `token=` values and URL userinfo in `text` (see the [module docs](self)).
///
/// ```
/// use ctfy_transport::redact;
///
/// assert_eq!(
///     redact("https://u:pw@h/login?next=/events%3Ftoken%3Dpt_x&a=1"),
///     "https://<redacted>@h/login?next=/events%3Ftoken%3D<redacted>&a=1"
/// );
/// ```
pub fn redact(text: &str) -> Cow<'_, str> {
    redact_with(text, None)
}

/// [`redact()`], also masking every occurrence of `secret` (when it is not empty).
pub fn redact_with<'a>(text: &'a str, secret: Option<&str>) -> Cow<'a, str> {
    let secret = secret.filter(|s| !s.is_empty());
    let lower = text.to_ascii_lowercase();
    let needs = lower.contains("token=")
        || lower.contains("token%3d")
        || (text.contains("://") && text.contains('@'))
        || secret.is_some_and(|s| text.contains(s));
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = mask_userinfo(text);
    if let Some(s) = secret {
        out = out.replace(s, REDACTED);
    }
    Cow::Owned(mask_token_params(&out))
}

/// Replaces the value after each `token=` / `token%3D` (case-insensitive).
fn mask_token_params(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let rest = &lower[i..];
        let key = if rest.starts_with("token=") {
            6
        } else if rest.starts_with("token%3d") {
            8
        } else {
            0
        };
        if key == 0 {
            let c = text[i..].chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
            continue;
        }
        out.push_str(&text[i..i + key]);
        i += key;
        let end = i + value_len(&text[i..]);
        if end > i {
            out.push_str(REDACTED);
        }
        i = end;
    }
    out
}

/// The length of a parameter value: up to a separator (`&`, `#`, `;`, whitespace, quotes,
/// angle brackets) or an encoded `&`/`#`/space.
fn value_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut n = 0;
    while n < bytes.len() {
        let b = bytes[n];
        if matches!(
            b,
            b'&' | b'#' | b';' | b'"' | b'\'' | b'<' | b'>' | b',' | b'\\'
        ) || b.is_ascii_whitespace()
            || b.is_ascii_control()
        {
            break;
        }
        if b == b'%' {
            let enc = s.get(n + 1..n + 3).map(str::to_ascii_lowercase);
            if matches!(enc.as_deref(), Some("26" | "23" | "20" | "22" | "27")) {
                break;
            }
        }
        n += 1;
    }
    n
}

/// Replaces the userinfo of every `scheme://userinfo@host` with [`REDACTED`].
fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(p) => {
                out.push_str(REDACTED);
                out.push_str(&authority[p..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_token_parameters_plain_and_encoded() {
        for (input, want) in [
            ("/events?token=pt_abc&x=1", "/events?token=<redacted>&x=1"),
            ("/e?TOKEN=pt_abc#f", "/e?TOKEN=<redacted>#f"),
            (
                "/login?next=%2Fevents%3Ftoken%3Dpt_abc%26y%3D2",
                "/login?next=%2Fevents%3Ftoken%3D<redacted>%26y%3D2",
            ),
            ("a access_token=zz b", "a access_token=<redacted> b"),
            ("token=", "token="),
            ("no secrets here", "no secrets here"),
            ("é token=ü€ ok", "é token=<redacted> ok"),
        ] {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    #[test]
    fn masks_userinfo_and_the_secret_itself() {
        assert_eq!(
            redact("see http://user:pw@h:1/p and https://x@y"),
            "see http://<redacted>@h:1/p and https://<redacted>@y"
        );
        assert_eq!(redact("mail me: a@b.c"), "mail me: a@b.c");
        assert_eq!(
            redact_with("bad token pt_secret1 given", Some("pt_secret1")),
            "bad token <redacted> given"
        );
        assert_eq!(redact_with("x", Some("")), "x");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "token%",
            "token%3",
            "token%3d%",
            "://@",
            "://",
            "%",
            "\u{0}token=\u{1}",
        ] {
            let _ = redact_with(s, Some("t"));
        }
    }
}
