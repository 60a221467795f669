//! Splitting text at ASCII delimiters without core's pattern machinery.
//!
//! `str::split(char)` and friends pull the generic searchers and their panic messages (and with
//! them `core::fmt`) into the wasm bundle: kilobytes for what is a byte scan. Every delimiter
//! the core splits on is ASCII, and cutting UTF-8 at an ASCII byte always yields valid UTF-8.
//! The integer reader and writer every format shares live here too.

use alloc::string::String;

/// The parts of `s` between occurrences of `sep`.
pub fn split(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    s.as_bytes().split(move |&b| b == sep).map(to_str)
}

/// The index of the first `b` in `s`: one search loop for every delimiter.
pub fn find(s: &[u8], b: u8) -> Option<usize> {
    s.iter().position(|&x| x == b)
}

/// The index of the last `b` in `s`.
pub fn rfind(s: &[u8], b: u8) -> Option<usize> {
    s.iter().rposition(|&x| x == b)
}

/// Fills `out` with the first parts of `s` between occurrences of `sep`, and returns how many
/// parts `s` has in all: one loop for every fixed-shape record.
pub fn fields<'a>(s: &'a str, sep: u8, out: &mut [&'a str]) -> usize {
    let mut n = 0;
    for part in split(s, sep) {
        if let Some(slot) = out.get_mut(n) {
            *slot = part;
        }
        n += 1;
    }
    n
}

/// `s` cut at the first `sep`, without it.
pub fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = find(s.as_bytes(), sep)?;
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

/// Whether every byte of `s` is an ASCII letter or digit or one of `extra`: the charset rule of
/// ids, hosts, names and keys, as one loop for all of them.
pub fn alnum_or(s: &[u8], extra: &[u8]) -> bool {
    s.iter()
        .all(|&b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// Whether `s` is non-empty `.`-separated labels, none of them empty (`a.b`, not `.a`, `a.`
/// or `a..b`).
pub fn dotted(s: &[u8]) -> bool {
    !s.is_empty() && !s.starts_with(b".") && !s.ends_with(b".") && !s.windows(2).any(|w| w == b"..")
}

/// Unicode White_Space (`char::is_whitespace`) beyond ASCII's `\t` to `\r` and space, in UTF-8.
const SPACES: [&str; 19] = [
    "\u{85}", "\u{a0}", "\u{1680}", "\u{2000}", "\u{2001}", "\u{2002}", "\u{2003}", "\u{2004}",
    "\u{2005}", "\u{2006}", "\u{2007}", "\u{2008}", "\u{2009}", "\u{200a}", "\u{2028}", "\u{2029}",
    "\u{202f}", "\u{205f}", "\u{3000}",
];

/// The length of the White_Space character that `b` starts with (`end` false) or ends with
/// (`end` true), or 0.
fn space(b: &[u8], end: bool) -> usize {
    let edge = if end { b.last() } else { b.first() };
    if edge.is_some_and(|c| matches!(c, b'\t'..=b'\r' | b' ')) {
        return 1;
    }
    for sp in SPACES {
        let sp = sp.as_bytes();
        if (end && b.ends_with(sp)) || (!end && b.starts_with(sp)) {
            return sp.len();
        }
    }
    0
}

/// `s` without leading and trailing Unicode White_Space, as `str::trim` gives it, on the bytes
/// (`str::trim` brings core's character decoding in both directions).
pub fn trim(s: &str) -> &str {
    let mut b = s.as_bytes();
    loop {
        let n = space(b, false);
        match b.get(n..) {
            Some(rest) if n > 0 => b = rest,
            _ => break,
        }
    }
    loop {
        let n = space(b, true);
        match b.get(..b.len() - n) {
            Some(rest) if n > 0 => b = rest,
            _ => break,
        }
    }
    to_str(b)
}

/// Whether `s` has a control character (`char::is_control`: U+0000–U+001F, U+007F–U+009F).
pub fn has_control(s: &str) -> bool {
    let mut prev = 0;
    for b in s.bytes() {
        // 0xc2 only starts characters: 0xc2 0x80–0x9f is U+0080–U+009F.
        if b < 0x20 || b == 0x7f || (prev == 0xc2 && b < 0xa0) {
            return true;
        }
        prev = b;
    }
    false
}

/// Appends `n` in `radix` (2 to 36, lower-case digits), zero-padded to at least `min_width`
/// digits (at most 20). The one integer writer of the browser bundle: no `core::fmt`.
pub fn push_num(out: &mut String, mut n: u64, radix: u64, min_width: usize) {
    // u64::MAX has 20 decimal digits, fewer in any larger radix.
    let mut buf = [b'0'; 20];
    let mut len = 0;
    for slot in buf.iter_mut().rev() {
        if n == 0 && len >= min_width.max(1) {
            break;
        }
        let d = (n % radix) as u8;
        *slot = if d < 10 { b'0' + d } else { b'a' - 10 + d };
        n /= radix;
        len += 1;
    }
    let start = buf.len().saturating_sub(len);
    for &b in buf.get(start..).unwrap_or_default() {
        out.push(char::from(b));
    }
}

/// Reads `digits` in `radix` (2 to 36, lower-case digits): `None` if empty, on any other byte
/// or on overflow. The one integer reader of the browser bundle.
pub fn parse_num(digits: &[u8], radix: u64) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let d = match b {
            b'0'..=b'9' => u64::from(b - b'0'),
            b'a'..=b'z' => u64::from(b - b'a') + 10,
            _ => return None,
        };
        if d >= radix {
            return None;
        }
        n.checked_mul(radix)?.checked_add(d)
    })
}

fn to_str(bytes: &[u8]) -> &str {
    debug_assert!(core::str::from_utf8(bytes).is_ok());
    // SAFETY: `bytes` comes from a `&str` cut only at character boundaries: at ASCII bytes (the
    // delimiters' positions and the ends) or around whole whitespace characters ([`trim`]), so
    // it is valid UTF-8.
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
    fn trims_and_finds_controls_like_core() {
        let mut samples = alloc::vec![
            alloc::string::String::from(""),
            "  a b  ".into(),
            "\u{3000}x\u{a0}".into(),
            "\u{85}\u{2028}".into(),
            "ก\u{e01}".into(),
            "é\u{80}".into(),
        ];
        for c in (0..=0x3001u32)
            .chain([0x1680, 0xfeff, 0x10ffff])
            .filter_map(char::from_u32)
        {
            for (a, b) in [
                ("", ""),
                (" ", ""),
                ("", "x"),
                ("x", "é"),
                ("\u{2029}", "\t"),
            ] {
                let mut s = alloc::string::String::from(a);
                s.push(c);
                s.push_str(b);
                s.push(c);
                samples.push(s);
            }
        }
        for s in &samples {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(has_control(s), s.chars().any(char::is_control), "{s:?}");
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
