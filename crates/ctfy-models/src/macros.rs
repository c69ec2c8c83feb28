/// Declares a string enum that round-trips through its wire string and keeps values it does
/// not know in an `Unknown(String)` variant instead of failing to decode.
///
/// ```ignore
/// string_enum! {
///     /// Lifecycle status of an instance.
///     InstanceStatus {
///         /// Being built on a node.
///         Starting = "starting",
///         /// Reachable.
///         Ready = "ready",
///     }
/// }
/// ```
///
/// An optional `[default = Variant]` after the name also implements [`Default`]:
///
/// ```ignore
/// string_enum! {
///     /// Lifecycle status of an instance.
///     InstanceStatus [default = Starting] {
///         /// Being built on a node.
///         Starting = "starting",
///     }
/// }
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident [default = $default:ident] { $($body:tt)* }) => {
        $crate::string_enum! { $(#[$meta])* $name { $($body)* } }

        impl ::std::default::Default for $name {
            fn default() -> Self {
                Self::$default
            }
        }
    };
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version of the SDK does not know; the wire string is kept.
            Unknown(String),
        }

        impl $name {
            /// Every value this version of the SDK knows, in schema order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// The wire string of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Unknown(s) => s.as_str(),
                }
            }

            /// Whether this value is one the SDK does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::Unknown(s),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Ok(Self::from(s.as_ref()))
            }
        }
    };
}

/// Declares an identifier newtype over `String`. Built by a user (`new`, `parse`, `IntoId`
/// from text) it is checked; decoded from the wire it is kept as sent (see the `ids` module).
macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident;)*) => {$(
        $(#[$meta])*
        ///
        /// An id decoded from a response is kept exactly as the platform sent it, even `""`
        /// (the platform sends empty ids where nothing is linked; [`is_empty`](str::is_empty)
        /// tells). Every call checks the ids it puts into a URL path, so an empty or otherwise
        /// unusable decoded id fails with [`InvalidId`] before anything is sent. There is no
        /// `Default`: an id is built checked ([`new`](Self::new), `parse`) or decoded.
        ///
        /// Compares with `&str`, `str` and `String` both ways; [`Borrow<str>`](std::borrow::Borrow) lets a
        /// `HashMap` keyed by ids be looked up with a `&str`.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl crate::serde_helpers::Blank for $name {
            fn blank() -> Self {
                Self(String::new())
            }
        }

        impl crate::ids::FromWire for $name {
            fn from_wire(id: impl Into<String>) -> Self {
                Self(id.into())
            }
        }

        impl $name {
            /// Checks `id` and wraps it.
            ///
            /// # Errors
            /// [`InvalidId`] when `id` is empty, `.` or `..`, or contains `/` or `\\`.
            pub fn new(id: impl Into<String>) -> Result<Self, InvalidId> {
                let id = id.into();
                crate::ids::check_segment(stringify!($name), &id)?;
                Ok(Self(id))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether the id is empty: the platform sends `""` where nothing is linked.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// The identifier as an owned `String`.
            pub fn into_string(self) -> String {
                self.0
            }

            /// Checks an id of any origin (a decoded one may be empty) before it goes into a
            /// URL path.
            fn checked(self) -> Result<Self, InvalidId> {
                crate::ids::check_segment(stringify!($name), &self.0)?;
                Ok(self)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidId;
            fn try_from(s: &str) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl IntoId<$name> for $name {
            fn into_id(self) -> Result<$name, InvalidId> {
                self.checked()
            }
        }
        impl IntoId<$name> for &$name {
            fn into_id(self) -> Result<$name, InvalidId> {
                self.clone().checked()
            }
        }
        impl IntoId<$name> for &str {
            fn into_id(self) -> Result<$name, InvalidId> {
                $name::new(self)
            }
        }
        impl IntoId<$name> for String {
            fn into_id(self) -> Result<$name, InvalidId> {
                $name::new(self)
            }
        }
        impl IntoId<$name> for &String {
            fn into_id(self) -> Result<$name, InvalidId> {
                $name::new(self.as_str())
            }
        }
    )*};
}
