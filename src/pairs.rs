//! The query and fragment pairs as the browser passes them, already decoded.
//!
//! In the browser the runtime decodes each `&`-separated sequence of `location.search`,
//! `location.hash` and a decorated link's query with `URLSearchParams`, the WHATWG
//! application/x-www-form-urlencoded parser, and passes one record per non-empty sequence:
//! `raw FS name FS value`, each record followed by `GS` (U+001C and U+001D). The raw sequence
//! keeps the address's original bytes for cleaning and decorating; the decoded name and value
//! are what capture reads. So the bundle carries no percent-decoder or UTF-8 repair of its own.
//!
//! A decoded name or value may hold any character, the separators included: the runtime writes
//! each of U+001C–U+001F as U+007F (DEL), which no affiliate id, parameter name, token or tag
//! value accepts, just as none accepts the control character it replaces. [`from_raw`] builds
//! the same list with the core's own parser ([`crate::query`]) for native callers and tests.

use crate::text;
use alloc::string::String;

/// Ends each record.
pub const GS: u8 = 0x1d;
/// Separates a record's raw sequence, name and value.
pub const FS: u8 = 0x1c;

/// The records of `list` as `(raw, name, value)`, in order. A record without its separators
/// reads as missing fields (empty), never as fields of its neighbour.
pub fn iter(list: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    text::split(list, GS).filter(|r| !r.is_empty()).map(|r| {
        let mut f = [""; 3];
        text::fields(r, FS, &mut f);
        let [raw, name, value] = f;
        (raw, name, value)
    })
}

/// The list for a raw query or fragment (without `?` or `#`), decoded by the core's WHATWG
/// parser exactly as the runtime decodes it with `URLSearchParams`.
pub fn from_raw(raw: &str) -> String {
    let mut out = String::new();
    for sequence in crate::query::sequences(raw).filter(|s| !s.is_empty()) {
        let (name, value) = crate::query::parse(sequence.as_bytes())
            .next()
            .unwrap_or_default();
        for (i, part) in [sequence, &name, &value].into_iter().enumerate() {
            if i > 0 {
                out.push(char::from(FS));
            }
            push_escaped(part, &mut out);
        }
        out.push(char::from(GS));
    }
    out
}

/// Appends `s` with each of U+001C–U+001F written as U+007F.
pub fn push_escaped(s: &str, out: &mut String) {
    for c in s.chars() {
        out.push(if ('\u{1c}'..='\u{1f}').contains(&c) {
            '\u{7f}'
        } else {
            c
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn read(list: &str) -> Vec<(&str, &str, &str)> {
        iter(list).collect()
    }

    #[test]
    fn records_keep_raw_bytes_and_decode_like_the_parser() {
        let list = from_raw("a=1&&r%65f=al%69ce&x+y=%E2%82%AC&=&b");
        assert_eq!(
            read(&list),
            [
                ("a=1", "a", "1"),
                ("r%65f=al%69ce", "ref", "alice"),
                ("x+y=%E2%82%AC", "x y", "€"),
                ("=", "", ""),
                ("b", "b", ""),
            ]
        );
        assert_eq!(from_raw(""), "");
        // A `?` leading the query's first sequence is part of its name (the runtime prefixes
        // `&` so that URLSearchParams does not strip it).
        assert_eq!(
            read(&from_raw("?ref=alice")),
            [("?ref=alice", "?ref", "alice")]
        );
    }

    #[test]
    fn separators_inside_values_cannot_make_fields() {
        // Decoded separators and controls: each of U+001C–U+001F becomes DEL, so a value can
        // neither end its record nor start a field.
        let list = from_raw("ref=a%1Cref%1Cbob%1D&x=%1F%1E%00");
        let got = read(&list);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            got[0],
            ("ref=a%1Cref%1Cbob%1D", "ref", "a\u{7f}ref\u{7f}bob\u{7f}")
        );
        assert_eq!(got[1].2, "\u{7f}\u{7f}\u{0}");
        // A hand-made list with missing or extra separators reads as empty or cut fields.
        assert_eq!(read("raw\u{1d}"), [("raw", "", "")]);
        assert_eq!(read("r\u{1c}n\u{1c}v\u{1c}extra\u{1d}"), [("r", "n", "v")]);
        assert_eq!(read("\u{1d}\u{1d}"), []);
    }

    #[test]
    fn hostile_megabyte_inputs() {
        let big = "ref=%FF%".repeat(1 << 17);
        let list = from_raw(&big);
        assert_eq!(iter(&list).count(), 1);
        let many = "a=%1D&".repeat(1 << 17);
        let list = from_raw(&many);
        assert!(iter(&list).all(|(raw, n, v)| raw == "a=%1D" && n == "a" && v == "\u{7f}"));
        assert_eq!(iter(&list).count(), 1 << 17);
        let controls: String = (0u8..0x80).map(char::from).collect::<String>().repeat(8192);
        let list = from_raw(&controls);
        for (_, n, v) in iter(&list) {
            assert!(!n
                .bytes()
                .chain(v.bytes())
                .any(|b| (0x1c..=0x1f).contains(&b)));
        }
    }
}
