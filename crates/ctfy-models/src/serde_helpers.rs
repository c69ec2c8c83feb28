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
