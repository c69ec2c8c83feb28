//! A value the platform accepts either as one string or as a list of strings.

use serde::{Deserialize, Serialize};

/// One string or a list of strings (e.g. the `answer` of a submission: a flag, or the
/// parts of a multi-part answer). Serialized untagged, exactly as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StringOrList {
    /// A single string.
    One(String),
    /// A list of strings.
    Many(Vec<String>),
}

impl Default for StringOrList {
    fn default() -> Self {
        Self::One(String::new())
    }
}

impl From<&str> for StringOrList {
    fn from(s: &str) -> Self {
        Self::One(s.to_owned())
    }
}

impl From<String> for StringOrList {
    fn from(s: String) -> Self {
        Self::One(s)
    }
}

impl From<&String> for StringOrList {
    fn from(s: &String) -> Self {
        Self::One(s.clone())
    }
}

impl From<Vec<String>> for StringOrList {
    fn from(v: Vec<String>) -> Self {
        Self::Many(v)
    }
}

impl From<Vec<&str>> for StringOrList {
    fn from(v: Vec<&str>) -> Self {
        Self::Many(v.into_iter().map(str::to_owned).collect())
    }
}

impl From<&[&str]> for StringOrList {
    fn from(v: &[&str]) -> Self {
        Self::Many(v.iter().map(|s| (*s).to_owned()).collect())
    }
}
