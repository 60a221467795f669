//! Splitting text at ASCII delimiters without core's pattern machinery.
//!
//! `str::split(char)` and friends pull the generic searchers and their panic messages (and with
//! them `core::fmt`) into the wasm bundle: kilobytes for what is a byte scan. Every delimiter
//! the core splits on is ASCII, and cutting UTF-8 at an ASCII byte always yields valid UTF-8.

/// The parts of `s` between occurrences of `sep`.
pub fn split(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    s.as_bytes().split(move |&b| b == sep).map(to_str)
}

/// `s` cut at the first `sep`, without it.
pub fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == sep)?;
    let (a, b) = s.as_bytes().split_at_checked(i)?;
    Some((to_str(a), to_str(b.get(1..)?)))
}

/// `bytes` as text when they are all ASCII (ids, hosts), without core's UTF-8 validation.
pub fn ascii(bytes: &[u8]) -> Option<&str> {
    // SAFETY: ASCII bytes are valid UTF-8.
    bytes
        .is_ascii()
        .then(|| unsafe { core::str::from_utf8_unchecked(bytes) })
}

fn to_str(bytes: &[u8]) -> &str {
    debug_assert!(core::str::from_utf8(bytes).is_ok());
    // SAFETY: `bytes` comes from a `&str` cut only at ASCII bytes (the delimiter's positions
    // and the ends), which are always character boundaries, so it is valid UTF-8.
    unsafe { core::str::from_utf8_unchecked(bytes) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn splits_like_str_split() {
        for s in ["", "a", "a,b", ",a,,b,", "ก,ข", "é,\u{1f}", ",,,"] {
            assert_eq!(
                split(s, b',').collect::<Vec<_>>(),
                s.split(',').collect::<Vec<_>>(),
                "{s:?}"
            );
            assert_eq!(split_once(s, b','), s.split_once(','), "{s:?}");
        }
    }

    #[test]
    fn ascii_only() {
        assert_eq!(ascii(b"alice-1.x_"), Some("alice-1.x_"));
        assert_eq!(ascii(b""), Some(""));
        assert_eq!(ascii("é".as_bytes()), None);
        assert_eq!(ascii(b"a\xff"), None);
    }
}
