//! Identifier newtypes: every model field and call parameter that names a platform entity.
//!
//! Two rules, one for each direction:
//! - **Built by a user** (`InstanceId::new`, `"…".parse()`, or any `impl IntoId<…>` argument
//!   given as `&str`/`String`), an id is checked: not empty, not `.` or `..`, no `/` or `\`
//!   (the platform decodes `%2F` before routing, so such a value would reach another
//!   endpoint).
//! - **Decoded from a response**, an id is kept exactly as the platform sent it, so every
//!   response re-encodes byte for byte. The platform sends `""` where nothing is linked (e.g.
//!   `StartResponse`-like rows of a deleted challenge): such an id decodes, and
//!   `id.is_empty()` tells. Passing it back to a call checks it again, so an unusable
//!   decoded id fails with [`InvalidId`] before anything is sent.
//!
//! An id is its own type, not a string: it compares with text and shows as text
//! ([`as_str`](InstanceId::as_str), `==` with `&str`/`String`, `Display`), but it has no
//! `Default` (which would build an unchecked empty id) and does not dereference to `str`:
//!
//! ```compile_fail
//! let id = ctfy_models::InstanceId::default();
//! ```
//!
//! ```compile_fail
//! let id = ctfy_models::InstanceId::new("i-1").unwrap();
//! let n: usize = id.len(); // use id.as_str().len()
//! ```

/// An identifier or path segment was refused before anything was sent: it was empty, `.` or
/// `..`, or it contained `/` or `\` (the platform decodes `%2F` before routing, so such a value
/// would reach another endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidId {
    /// The kind of identifier, e.g. `InstanceId` (`path segment` for a raw segment).
    pub kind: &'static str,
    /// The refused value.
    pub value: String,
}

impl InvalidId {
    /// The refusal of `value` as a `kind` (e.g. `InstanceId`, `path segment`).
    pub fn new(kind: &'static str, value: impl Into<String>) -> Self {
        Self {
            kind,
            value: value.into(),
        }
    }
}

/// How many characters of a refused value [`InvalidId`]'s `Display` shows.
const SHOWN: usize = 64;

impl std::fmt::Display for InvalidId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: String = self.value.chars().take(SHOWN).collect();
        let more = if shown.len() < self.value.len() {
            "…"
        } else {
            ""
        };
        match self.value.as_str() {
            "" => write!(f, "{} must not be empty", self.kind),
            "." | ".." => write!(f, "{} must not be {:?}", self.kind, self.value),
            _ => write!(
                f,
                "{} {shown:?}{more} must not contain '/' or '\\' (it would change the route)",
                self.kind
            ),
        }
    }
}

impl std::error::Error for InvalidId {}

/// Checks a value that goes into one URL path segment: not empty, not `.` or `..`, and free of
/// `/` and `\`. Every id newtype and every path segment the transport builds runs this check.
///
/// # Errors
/// [`InvalidId`] naming `kind` and the refused value.
#[doc(hidden)]
pub fn check_segment(kind: &'static str, id: &str) -> Result<(), InvalidId> {
    // A byte scan: both separators are ASCII, so no UTF-8 decoding is needed (this runs for
    // every id of every call, twice).
    if id.is_empty() || id == "." || id == ".." || id.bytes().any(|b| b == b'/' || b == b'\\') {
        Err(InvalidId {
            kind,
            value: id.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// Anything that can become an identifier of type `T`: the newtype itself (owned or
/// borrowed), `&str`, `String` or `&String`. Client methods take `impl IntoId<T>` so callers
/// can pass whatever they hold; the check runs before any request is sent.
pub trait IntoId<T> {
    /// Converts, checking the value.
    ///
    /// # Errors
    /// [`InvalidId`] when the value is empty, `.` or `..`, or contains `/` or `\\`.
    fn into_id(self) -> Result<T, InvalidId>;
}

/// An id newtype made from text as a response carries it: unchecked, `""` included (what
/// decoding makes). For the SDK's own fixtures and tests, which make up platform answers; not
/// API (an id built by a user is always checked: [`IntoId`], `new`, `parse`).
#[doc(hidden)]
pub trait FromWire {
    /// The id `id`, unchecked.
    fn from_wire(id: impl Into<String>) -> Self;
}

id_type! {
    /// Identifies a challenge (e.g. `WEB-001`).
    ChallengeId;
    /// Identifies a competition (a 32-hex string).
    CompetitionId;
    /// Identifies a running or recorded challenge instance (a UUID).
    InstanceId;
    /// Identifies a team.
    TeamId;
    /// Identifies a user account.
    UserId;
    /// Identifies a worker node (derived from its URL, e.g. `127.0.0.1_18201`).
    NodeId;
    /// Identifies a question of a challenge (e.g. `flag`).
    QuestionId;
    /// Identifies anything else that goes into a path segment (invites, tokens, files…).
    Ident;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_dot_segments_and_empty() {
        for bad in ["", ".", "..", "a/b", "/", "x\\y", "abc/challenges"] {
            let err = InstanceId::new(bad).unwrap_err();
            assert_eq!(err.kind, "InstanceId");
            assert_eq!(err.value, bad);
        }
        for ok in ["a%2Fb", "a..b", "é?#", "a b"] {
            assert_eq!(InstanceId::new(ok).unwrap().as_str(), ok);
        }
        let long = InstanceId::new("x/".repeat(5000)).unwrap_err().to_string();
        assert!(long.len() < 200, "{long}");
        let id: InstanceId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(id, "abc");
    }

    #[test]
    fn decoded_ids_are_kept_as_sent_and_checked_when_used() {
        for sent in ["", "..", "a/b"] {
            let json = serde_json::to_string(sent).unwrap();
            let id: InstanceId = serde_json::from_str(&json).unwrap();
            assert_eq!(
                serde_json::to_string(&id).unwrap(),
                json,
                "re-encodes as sent"
            );
            assert_eq!(id.is_empty(), sent.is_empty());
            assert_eq!(IntoId::<InstanceId>::into_id(&id).unwrap_err().value, sent);
            assert!(IntoId::<InstanceId>::into_id(id).is_err());
        }
        // A model's `Default` has empty ids, as the platform sends them where nothing is linked.
        assert!(crate::InstanceInfo::default().id.is_empty());
    }

    #[test]
    fn ids_compare_with_text_both_ways_and_look_up_maps_by_str() {
        let id = ChallengeId::new("WEB-001").unwrap();
        let text = String::from("WEB-001");
        assert_eq!(id, "WEB-001");
        assert_eq!("WEB-001", id);
        assert_eq!(id, *"WEB-001");
        assert_eq!(*"WEB-001", id);
        assert_eq!(id, text);
        assert_eq!(text, id);
        assert_eq!(id, ChallengeId::new("WEB-001").unwrap());
        assert!(id != "WEB-002");
        let mut solved = std::collections::HashMap::new();
        solved.insert(id.clone(), 3);
        assert_eq!(solved.get("WEB-001"), Some(&3));
        let set: std::collections::BTreeSet<ChallengeId> = [id].into();
        assert!(set.contains("WEB-001"));
        assert_eq!("WEB-001".parse::<ChallengeId>().unwrap(), "WEB-001");
        assert!("".parse::<ChallengeId>().is_err());
    }
}
