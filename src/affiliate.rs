//! Affiliate ids: the one allow-list that decides what may be stored, sent or shown as an id.
//!
//! An id comes from a URL that anyone can craft, so it is validated before it goes anywhere:
//! 1 to 64 bytes of ASCII letters, digits, `-`, `_` and `.`. Everything else (`javascript:`,
//! `<script>`, spaces, percent signs, non-ASCII, NUL) is refused; the id is then ignored, never
//! stored. The charset is also what keeps ids safe inside the cookie format and in HTML.

use alloc::string::String;
use core::ops::Deref;

/// The longest affiliate id accepted, in bytes.
pub const MAX_LEN: usize = 64;

/// A validated affiliate id. The only way to build one is [`AffiliateId::parse`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
pub struct AffiliateId(String);

/// Whether `byte` may appear in an affiliate id.
pub const fn is_id_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.')
}

/// Whether `s` is a valid affiliate id.
pub fn is_valid(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_LEN && crate::text::alnum_or(s.as_bytes(), b"-_.")
}

impl AffiliateId {
    /// Validates `s`; `None` if it is empty, longer than [`MAX_LEN`] or has a byte outside the
    /// allow-list.
    pub fn parse(s: &str) -> Option<Self> {
        is_valid(s).then(|| Self(String::from(s)))
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for AffiliateId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for AffiliateId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <alloc::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom("invalid affiliate id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! valid {
        ($($s:expr),* $(,)?) => { $( assert!(AffiliateId::parse($s).is_some(), "{:?} should be valid", $s); )* };
    }
    macro_rules! invalid {
        ($($s:expr),* $(,)?) => { $( assert!(AffiliateId::parse($s).is_none(), "{:?} should be invalid", $s); )* };
    }

    #[test]
    fn accepts_the_allow_list() {
        valid![
            "alice",
            "Alice",
            "42",
            "a",
            "john.doe",
            "summer_sale-2026",
            "x".repeat(64).as_str()
        ];
    }

    #[test]
    fn refuses_everything_else() {
        invalid![
            "",
            "x".repeat(65).as_str(),
            "javascript:alert(1)",
            "<script>alert(1)</script>",
            "alice bob",
            "alice%20",
            "ali\0ce",
            "alice;path=/",
            "alice,bob",
            "alice\r\nSet-Cookie: x=y",
            "nguyễn",
            "สมชาย",
            "a\"b",
            "a'b",
            "a/b",
            "a\\b",
            "a=b",
            "a&b",
            "a#b",
            "a?b",
            "a+b",
            "a~b",
            "a|b",
        ];
    }

    #[test]
    fn every_byte_outside_the_allow_list_is_refused() {
        for b in 0u8..=255 {
            let ok = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
            assert_eq!(is_id_byte(b), ok, "byte {b}");
            assert_eq!(
                is_valid(&alloc::format!("a{}b", char::from(b))),
                ok,
                "byte {b}"
            );
        }
    }
}
