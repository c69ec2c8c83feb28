//! Identifier newtypes for values that end up in URL paths.

/// An identifier was refused: it was empty, `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId {
    /// The kind of identifier, e.g. `InstanceId`.
    pub kind: &'static str,
    /// The refused value.
    pub value: String,
}

impl std::fmt::Display for InvalidId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "{} must not be empty", self.kind)
        } else {
            write!(f, "{} must not be {:?}", self.kind, self.value)
        }
    }
}

impl std::error::Error for InvalidId {}

pub(crate) fn check_id(kind: &'static str, id: &str) -> Result<(), InvalidId> {
    if id.is_empty() || id == "." || id == ".." {
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
    /// [`InvalidId`] when the value is empty, `.` or `..`.
    fn into_id(self) -> Result<T, InvalidId>;
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
        for bad in ["", ".", ".."] {
            let err = InstanceId::new(bad).unwrap_err();
            assert_eq!(err.kind, "InstanceId");
        }
        assert_eq!(InstanceId::new("a/b").unwrap().as_str(), "a/b");
        assert!(serde_json::from_str::<InstanceId>("\"..\"").is_err());
        let id: InstanceId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(id, "abc");
    }
}
