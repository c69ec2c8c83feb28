//! Serde helpers used by the generated wire types.

/// For fields where the platform writes `""` to mean "not set": `""` (and `null`) decode as
/// `None`, and `None` encodes as `""`.
pub(crate) mod empty_as_none {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<T: Serialize, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => v.serialize(s),
            None => s.serialize_str(""),
        }
    }

    pub(crate) fn deserialize<'de, T: From<String>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        let raw = Option::<String>::deserialize(d)?;
        Ok(raw.filter(|s| !s.is_empty()).map(T::from))
    }
}

/// The value a field takes when the platform leaves it out (or sends `null`): the type's
/// default, and for an id the empty id ("nothing linked"), which ids do not offer publicly
/// (an id built by a user is always checked).
pub(crate) trait Blank {
    fn blank() -> Self;
}

/// `#[serde(default = "crate::serde_helpers::blank")]`.
pub(crate) fn blank<T: Blank>() -> T {
    T::blank()
}

macro_rules! blank_by_default {
    ($($t:ty),*) => {$(
        impl Blank for $t {
            fn blank() -> Self {
                Default::default()
            }
        }
    )*};
}

blank_by_default!(String, bool, i64, f64);
blank_by_default!(crate::MetaLlm, crate::MetaOps, crate::MetaAgents);

impl<T> Blank for Vec<T> {
    fn blank() -> Self {
        Vec::new()
    }
}

impl<T> Blank for Option<T> {
    fn blank() -> Self {
        None
    }
}

impl<K, V> Blank for std::collections::BTreeMap<K, V> {
    fn blank() -> Self {
        Self::new()
    }
}
