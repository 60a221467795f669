//! `application/x-www-form-urlencoded`: the format of a URL's query string, read the way a
//! browser's `URLSearchParams` reads it.
//!
//! This follows the [WHATWG URL Standard, §5 `application/x-www-form-urlencoded`][spec]:
//! [`parse`] is the [urlencoded parser], [`get`] is `URLSearchParams.get`, and [`serialize`] is
//! the [urlencoded serializer]. Names are compared exactly as the standard does, after decoding
//! and case-sensitively: `REF=alice` is not `ref`.
//!
//! Left out on purpose: encodings other than UTF-8 (the `_charset_` trick of HTML forms), the
//! stripping of a leading `?` (that is the `URLSearchParams` constructor's job, not the parser's;
//! callers pass `location.search` without it), and sorting.
//!
//! [spec]: https://url.spec.whatwg.org/#application/x-www-form-urlencoded
//! [urlencoded parser]: https://url.spec.whatwg.org/#concept-urlencoded-parser
//! [urlencoded serializer]: https://url.spec.whatwg.org/#concept-urlencoded-serializer

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// Parses `input` as `application/x-www-form-urlencoded` into (name, value) pairs, lazily and
/// in order. A name or value borrows from `input` when it needed no decoding.
///
/// Never fails: invalid percent-encoding is kept as it is, and invalid UTF-8 becomes U+FFFD,
/// exactly as the [urlencoded parser] specifies.
///
/// ```
/// let pairs: Vec<_> = reftrail::query::parse(b"ref=alice&utm_source=news+letter").collect();
/// assert_eq!(pairs[0], ("ref".into(), "alice".into()));
/// assert_eq!(pairs[1], ("utm_source".into(), "news letter".into()));
/// ```
///
/// [urlencoded parser]: https://url.spec.whatwg.org/#concept-urlencoded-parser
pub fn parse(input: &[u8]) -> Parse<'_> {
    Parse {
        raw: RawPairs { rest: Some(input) },
    }
}

/// The iterator returned by [`parse`].
#[derive(Clone, Debug)]
pub struct Parse<'a> {
    raw: RawPairs<'a>,
}

impl<'a> Iterator for Parse<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        self.raw
            .next()
            .map(|(name, value)| (decode(name), decode(value)))
    }
}

/// The value of the first pair named `name`, as `URLSearchParams.get` returns it; `None` when
/// there is no such pair. Only the value of the matching pair is decoded.
///
/// ```
/// use reftrail::query::get;
/// assert_eq!(get(b"ref=alice&ref=bob", "ref").as_deref(), Some("alice"));
/// assert_eq!(get(b"REF=alice", "ref"), None);
/// ```
pub fn get<'a>(input: &'a [u8], name: &str) -> Option<Cow<'a, str>> {
    RawPairs { rest: Some(input) }
        .find(|(n, _)| decode(n) == name)
        .map(|(_, value)| decode(value))
}

/// Serializes (name, value) pairs with the [urlencoded serializer]: ASCII letters, digits and
/// `*-._` are kept, a space becomes `+`, every other byte of the UTF-8 encoding becomes `%XX`
/// (upper-case hex), and pairs are joined by `&`.
///
/// ```
/// let q = reftrail::query::serialize([("q", "a b&c"), ("n", "é")]);
/// assert_eq!(q, "q=a+b%26c&n=%C3%A9");
/// ```
///
/// [urlencoded serializer]: https://url.spec.whatwg.org/#concept-urlencoded-serializer
pub fn serialize<I, K, V>(pairs: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut out = String::new();
    for (name, value) in pairs {
        // Serializer step 3.4: a `&` before every pair but the first.
        if !out.is_empty() {
            out.push('&');
        }
        encode_into(name.as_ref(), &mut out);
        out.push('=');
        encode_into(value.as_ref(), &mut out);
    }
    out
}

/// The [urlencoded percent-encode set] with space as plus, applied to one name or value.
///
/// [urlencoded percent-encode set]: https://url.spec.whatwg.org/#application-x-www-form-urlencoded-percent-encode-set
fn encode_into(input: &str, out: &mut String) {
    for &byte in input.as_bytes() {
        match byte {
            b'*' | b'-' | b'.' | b'_' => out.push(char::from(byte)),
            _ if byte.is_ascii_alphanumeric() => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => push_percent_encoded(byte, out),
        }
    }
}

/// Appends `%XX` for `byte`, upper-case as the [percent-encode] step requires.
///
/// [percent-encode]: https://url.spec.whatwg.org/#percent-encode
pub(crate) fn push_percent_encoded(byte: u8, out: &mut String) {
    out.push('%');
    out.push(upper_hex(byte >> 4));
    out.push(upper_hex(byte & 0x0f));
}

/// The upper-case hex digit of the low four bits of `nibble`.
fn upper_hex(nibble: u8) -> char {
    let n = nibble & 0x0f;
    char::from(if n < 10 { b'0' + n } else { b'A' - 10 + n })
}

/// The raw (name, value) byte sequences of the [urlencoded parser], steps 1 to 3.3: split on
/// `&`, skip empty sequences, split each at its first `=`.
///
/// [urlencoded parser]: https://url.spec.whatwg.org/#concept-urlencoded-parser
#[derive(Clone, Debug)]
struct RawPairs<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for RawPairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let input = self.rest?;
            let (sequence, rest) = match crate::text::find(input, b'&') {
                Some(at) => (input.get(..at)?, input.get(at + 1..)),
                None => (input, None),
            };
            self.rest = rest;
            // Step 3.1: an empty sequence is skipped.
            if !sequence.is_empty() {
                return Some(split_pair(sequence));
            }
        }
    }
}

/// Steps 3.2 and 3.3: the name is everything before the first `=`, the value everything after
/// it; with no `=`, the whole sequence is the name and the value is empty.
fn split_pair(sequence: &[u8]) -> (&[u8], &[u8]) {
    match crate::text::find(sequence, b'=') {
        Some(at) => (
            sequence.get(..at).unwrap_or_default(),
            sequence.get(at + 1..).unwrap_or_default(),
        ),
        None => (sequence, &[]),
    }
}

/// The `&`-separated sequences of `query`, raw and in order, empty ones included (parser step
/// 1). Used to rewrite a query while keeping the original bytes of the pairs left alone.
pub(crate) fn sequences(query: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(query);
    core::iter::from_fn(move || {
        let input = rest?;
        match crate::text::find(input.as_bytes(), b'&') {
            // `&` is ASCII, so both sides are on character boundaries and `get` succeeds.
            Some(at) => {
                rest = input.get(at + 1..);
                input.get(..at)
            }
            None => {
                rest = None;
                Some(input)
            }
        }
    })
}

/// The decoded name of one raw sequence from [`sequences`].
#[cfg(test)]
fn name_of(sequence: &str) -> Cow<'_, str> {
    decode(split_pair(sequence.as_bytes()).0)
}

/// Decodes one raw name or value: parser step 3.4 (`+` becomes a space), then step 3.5
/// (percent-decode, then UTF-8 decode without BOM).
pub(crate) fn decode(input: &[u8]) -> Cow<'_, str> {
    utf8_decode_without_bom(decode_bytes(input, true))
}

/// The [percent-decode] of `input`; borrows when it holds no valid `%XX` escape. With
/// `plus_as_space`, a `+` also becomes a space (parser step 3.4, which comes first: `%2B` stays
/// a `+`).
///
/// A `%` not followed by two hex digits is kept as it is (percent-decode step 2.2): `%`, `%G1`
/// and `%%` decode to themselves.
///
/// [percent-decode]: https://url.spec.whatwg.org/#percent-decode
pub(crate) fn decode_bytes(input: &[u8], plus_as_space: bool) -> Cow<'_, [u8]> {
    let after = |i: usize| input.get(i + 1..).unwrap_or_default();
    let first = input.iter().enumerate().position(|(i, &byte)| match byte {
        b'+' => plus_as_space,
        b'%' => escape(after(i)).is_some(),
        _ => false,
    });
    let Some(first) = first else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(input.get(..first).unwrap_or_default());
    let mut rest = input.get(first..).unwrap_or_default();
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'+' if plus_as_space => out.push(b' '),
            b'%' => match escape(tail) {
                // Step 2.3: the two hex digits become one byte and are skipped.
                Some(decoded) => {
                    out.push(decoded);
                    rest = tail.get(2..).unwrap_or_default();
                }
                None => out.push(b'%'),
            },
            _ => out.push(byte),
        }
    }
    Cow::Owned(out)
}

/// The byte encoded by the two hex digits at the start of `rest` (the bytes after a `%`), if
/// both are hex digits.
fn escape(rest: &[u8]) -> Option<u8> {
    let hi = hex_value(*rest.first()?)?;
    let lo = hex_value(*rest.get(1)?)?;
    Some(hi << 4 | lo)
}

/// The value of an ASCII hex digit, either case.
fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// [UTF-8 decode without BOM] (Encoding Standard): each maximal invalid subpart becomes one
/// U+FFFD (what `String::from_utf8_lossy` does too); a leading U+FEFF is kept. Written out here
/// because std's lossy decoding and validation cost kilobytes of wasm; borrows (or reuses the
/// buffer) when the bytes are valid.
///
/// [UTF-8 decode without BOM]: https://encoding.spec.whatwg.org/#utf-8-decode-without-bom
pub(crate) fn utf8_decode_without_bom(bytes: Cow<'_, [u8]>) -> Cow<'_, str> {
    // The output is built only once an ill-formed sequence shows up: `out` holds the text up
    // to `copied`, the bytes after it are well-formed so far.
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut copied) = (0, 0);
    while let Some(rest) = bytes.get(i..).filter(|r| !r.is_empty()) {
        let (len, ok) = utf8_sequence(rest);
        if !ok {
            let o = out.get_or_insert_with(|| Vec::with_capacity(bytes.len() + 8));
            o.extend_from_slice(bytes.get(copied..i).unwrap_or_default());
            o.extend_from_slice("\u{fffd}".as_bytes());
            copied = i + len;
        }
        i += len;
    }
    // SAFETY: every sequence was checked to be well-formed, and ill-formed ones were replaced
    // by U+FFFD.
    match (out, bytes) {
        (None, Cow::Borrowed(b)) => Cow::Borrowed(unsafe { core::str::from_utf8_unchecked(b) }),
        (None, Cow::Owned(b)) => Cow::Owned(unsafe { String::from_utf8_unchecked(b) }),
        (Some(mut o), b) => {
            o.extend_from_slice(b.get(copied..).unwrap_or_default());
            Cow::Owned(unsafe { String::from_utf8_unchecked(o) })
        }
    }
}

/// The first sequence of `bytes` (not empty) under the [UTF-8 decoder]: its length and whether it
/// is a well-formed character. An ill-formed one is its maximal subpart (the lead byte and the
/// continuation bytes that were still acceptable, at least one byte), which becomes one U+FFFD;
/// the byte that broke it starts the next sequence.
///
/// [UTF-8 decoder]: https://encoding.spec.whatwg.org/#utf-8-decoder
fn utf8_sequence(bytes: &[u8]) -> (usize, bool) {
    let lead = bytes.first().copied().unwrap_or(0);
    // How many continuation bytes follow, and the range the first of them must be in (the
    // later ones are 80..=BF): this excludes overlong forms, surrogates and values past U+10FFFF.
    let (need, mut lo, mut hi) = match lead {
        0x00..=0x7f => return (1, true),
        0xc2..=0xdf => (1, 0x80, 0xbf),
        0xe0 => (2, 0xa0, 0xbf),
        0xed => (2, 0x80, 0x9f),
        0xe1..=0xef => (2, 0x80, 0xbf),
        0xf0 => (3, 0x90, 0xbf),
        0xf4 => (3, 0x80, 0x8f),
        0xf1..=0xf3 => (3, 0x80, 0xbf),
        _ => return (1, false),
    };
    for i in 1..=need {
        match bytes.get(i) {
            Some(&b) if lo <= b && b <= hi => {}
            _ => return (i, false),
        }
        (lo, hi) = (0x80, 0xbf);
    }
    (need + 1, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use serde_json::Value;

    /// Parses `input` into owned pairs.
    fn pairs(input: &[u8]) -> Vec<(String, String)> {
        parse(input)
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    }

    /// One line per case: `parse!(input => [(name, value), ...])`.
    macro_rules! parse {
        ($input:expr => [$(($n:expr, $v:expr)),* $(,)?]) => {{
            let expected: Vec<(String, String)> = vec![$(($n.to_string(), $v.to_string())),*];
            assert_eq!(pairs($input.as_ref()), expected, "parse({:?})", $input);
        }};
    }

    /// One line per case: `get!(input, name => Some(value) | None)`.
    macro_rules! get {
        ($input:expr, $name:expr => $expected:expr) => {
            assert_eq!(
                get($input.as_ref(), $name).as_deref(),
                $expected,
                "get({:?}, {:?})",
                $input,
                $name
            );
        };
    }

    const PARSER_DATA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/url/urlencoded-parser-data.json"
    ));
    const DERIVED: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/url/urlsearchparams-derived-vectors.json"
    ));

    fn json_pairs(v: &Value) -> Vec<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn wpt_urlencoded_parser_data() {
        let cases: Value = serde_json::from_str(PARSER_DATA).unwrap();
        let cases = cases.as_array().unwrap();
        assert_eq!(cases.len(), 35);
        for case in cases {
            let input = case["input"].as_str().unwrap();
            assert_eq!(
                pairs(input.as_bytes()),
                json_pairs(&case["output"]),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn derived_parse_vectors() {
        let all: Value = serde_json::from_str(DERIVED).unwrap();
        let cases = all["parse"].as_array().unwrap();
        assert_eq!(cases.len(), 48);
        for case in cases {
            let input = case["input"].as_str().unwrap();
            let expected = json_pairs(&case["pairs"]);
            let strips_question_mark = case["note"]
                .as_str()
                .is_some_and(|n| n.contains("strips ONE leading"));
            if strips_question_mark {
                // The URLSearchParams constructor drops one leading `?`; the parser itself keeps it.
                let stripped = input.strip_prefix('?').unwrap();
                assert_eq!(pairs(stripped.as_bytes()), expected, "input {input:?}");
                assert_eq!(pairs(input.as_bytes())[0].0, "?a");
            } else {
                assert_eq!(pairs(input.as_bytes()), expected, "input {input:?}");
            }
        }
    }

    #[test]
    fn derived_get_vectors() {
        let all: Value = serde_json::from_str(DERIVED).unwrap();
        let cases = all["get"].as_array().unwrap();
        assert_eq!(cases.len(), 4);
        for case in cases {
            let (input, name) = (
                case["input"].as_str().unwrap(),
                case["name"].as_str().unwrap(),
            );
            assert_eq!(
                get(input.as_bytes(), name).as_deref(),
                case["get"].as_str(),
                "get({input:?}, {name:?})"
            );
            let all: Vec<String> = parse(input.as_bytes())
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.into_owned())
                .collect();
            let expected: Vec<String> = case["getAll"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            assert_eq!(all, expected, "getAll({input:?}, {name:?})");
        }
    }

    #[test]
    fn derived_serialize_vectors() {
        let all: Value = serde_json::from_str(DERIVED).unwrap();
        let cases = all["serialize"].as_array().unwrap();
        assert_eq!(cases.len(), 14);
        for case in cases {
            let input = json_pairs(&case["pairs"]);
            assert_eq!(
                serialize(input.iter().map(|(n, v)| (n, v))),
                case["output"].as_str().unwrap()
            );
        }
    }

    #[test]
    fn derived_roundtrip_vectors() {
        let all: Value = serde_json::from_str(DERIVED).unwrap();
        let cases = all["roundtrip"].as_array().unwrap();
        assert_eq!(cases.len(), 8);
        for case in cases {
            let input = case["input"].as_str().unwrap();
            assert_eq!(
                serialize(parse(input.as_bytes())),
                case["output"].as_str().unwrap(),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn parse_splits_and_decodes() {
        parse!("ref=alice" => [("ref", "alice")]);
        parse!("ref=alice&ref=bob" => [("ref", "alice"), ("ref", "bob")]);
        parse!("ref" => [("ref", "")]);
        parse!("ref=" => [("ref", "")]);
        parse!("=alice" => [("", "alice")]);
        parse!("=" => [("", "")]);
        parse!("==" => [("", "=")]);
        parse!("a=b=c" => [("a", "b=c")]);
        parse!("a+b=c+d" => [("a b", "c d")]);
        parse!("a%2Bb=%2B" => [("a+b", "+")]);
        parse!("a%2bb=%2b" => [("a+b", "+")]);
        parse!("%26=%3D" => [("&", "=")]);
        parse!("r%65f=alice" => [("ref", "alice")]);
        parse!("REF=alice&Ref=bob" => [("REF", "alice"), ("Ref", "bob")]);
        parse!("é=ü" => [("é", "ü")]);
        parse!("%C3%A9=%c3%bc" => [("é", "ü")]);
        parse!("#ref=a" => [("#ref", "a")]);
        parse!("?ref=a" => [("?ref", "a")]);
        parse!(";ref=a" => [(";ref", "a")]);
    }

    #[test]
    fn parse_keeps_malformed_percent_encoding() {
        parse!("%" => [("%", "")]);
        parse!("%G1" => [("%G1", "")]);
        parse!("%1G" => [("%1G", "")]);
        parse!("%%" => [("%%", "")]);
        parse!("%%41" => [("%A", "")]);
        parse!("%4" => [("%4", "")]);
        parse!("%4%41" => [("%4A", "")]);
        parse!("a=%2" => [("a", "%2")]);
        parse!("a=%+" => [("a", "% ")]);
        parse!("ali+ce%2" => [("ali ce%2", "")]);
        parse!("%E2%82%" => [("\u{FFFD}%", "")]);
    }

    #[test]
    fn parse_replaces_invalid_utf8_like_the_encoding_standard() {
        parse!("%C3%28" => [("\u{FFFD}(", "")]);
        parse!("%C0%AF" => [("\u{FFFD}\u{FFFD}", "")]); // overlong `/`
        parse!("%E0%80%80" => [("\u{FFFD}\u{FFFD}\u{FFFD}", "")]); // overlong NUL
        parse!("%ED%A0%80" => [("\u{FFFD}\u{FFFD}\u{FFFD}", "")]); // surrogate U+D800
        parse!("%ED%9F%BF" => [("\u{D7FF}", "")]); // the last scalar before the surrogates
        parse!("%F0%9F%92" => [("\u{FFFD}", "")]); // truncated: one maximal subpart
        parse!("%F0%9F%92%A9" => [("\u{1F4A9}", "")]);
        parse!("%F4%90%80%80" => [("\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}", "")]); // above U+10FFFF
        parse!("%F8%88%80%80%80" => [("\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}", "")]);
        parse!("%80%80" => [("\u{FFFD}\u{FFFD}", "")]);
        parse!("%FF%41" => [("\u{FFFD}A", "")]);
        parse!("%EF%BB%BFa=%EF%BB%BF" => [("\u{FEFF}a", "\u{FEFF}")]); // no BOM stripping
        parse!(b"a=\xC3\x28" => [("a", "\u{FFFD}(")]); // raw invalid bytes too
        parse!(b"\xFF=\xFE" => [("\u{FFFD}", "\u{FFFD}")]);
    }

    #[test]
    fn utf8_decoding_matches_maximal_subpart_replacement() {
        // Every sequence of up to two bytes, and three- and four-byte sequences built from the
        // bytes where the decoder's decisions change, against std's lossy decoding (which
        // implements the same "maximal subpart" rule as the Encoding Standard).
        let edges: Vec<u8> = vec![
            0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0,
            0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
        ];
        let check = |bytes: &[u8]| {
            let ours = utf8_decode_without_bom(Cow::Borrowed(bytes));
            assert_eq!(ours, String::from_utf8_lossy(bytes), "{bytes:x?}");
            let owned = utf8_decode_without_bom(Cow::Owned(bytes.to_vec()));
            assert_eq!(owned, String::from_utf8_lossy(bytes), "{bytes:x?}");
        };
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
            }
        }
        for &a in &edges {
            for &b in &edges {
                for &c in &edges {
                    check(&[a, b, c]);
                    for &d in &edges {
                        check(&[a, b, c, d]);
                        check(&[b'x', a, b, c, d, b'y']);
                    }
                }
            }
        }
    }

    #[test]
    fn parse_keeps_nul_and_controls() {
        parse!("a%00b=%00" => [("a\0b", "\0")]);
        parse!("a=\0" => [("a", "\0")]);
        parse!("a=%0D%0A" => [("a", "\r\n")]);
    }

    #[test]
    fn parse_borrows_when_nothing_needs_decoding() {
        let mut it = parse(b"ref=alice&a=%zz&b=%41&c=d+e");
        assert!(matches!(
            it.next(),
            Some((Cow::Borrowed("ref"), Cow::Borrowed("alice")))
        ));
        assert!(matches!(
            it.next(),
            Some((Cow::Borrowed("a"), Cow::Borrowed("%zz")))
        ));
        assert!(matches!(
            it.next(),
            Some((Cow::Borrowed("b"), Cow::Owned(_)))
        ));
        assert!(matches!(
            it.next(),
            Some((Cow::Borrowed("c"), Cow::Owned(_)))
        ));
        assert!(it.next().is_none());
        assert!(matches!(decode_bytes(b"a+b", false), Cow::Borrowed(b"a+b")));
    }

    #[test]
    fn get_first_wins_and_names_are_exact() {
        get!("ref=alice&ref=bob", "ref" => Some("alice"));
        get!("x=1&ref=alice", "ref" => Some("alice"));
        get!("ref&ref=bob", "ref" => Some(""));
        get!("&&ref=alice&&", "ref" => Some("alice"));
        get!("r%65f=alice", "ref" => Some("alice"));
        get!("ref=al%69ce", "ref" => Some("alice"));
        get!("REF=alice", "ref" => None);
        get!("Ref=alice", "ref" => None);
        get!("ref+=alice", "ref" => None);
        get!("reff=alice", "ref" => None);
        get!("xref=alice", "ref" => None);
        get!("", "ref" => None);
        get!("a+b=c", "a b" => Some("c"));
        get!("=b", "" => Some("b"));
    }

    #[test]
    fn serialize_is_byte_exact() {
        assert_eq!(serialize(core::iter::empty::<(&str, &str)>()), "");
        assert_eq!(serialize([("ref", "alice")]), "ref=alice");
        assert_eq!(serialize([("a", "b c"), ("d", "")]), "a=b+c&d=");
        assert_eq!(serialize([("a", "~!'()")]), "a=%7E%21%27%28%29");
        assert_eq!(serialize([("a", "*-._")]), "a=*-._");
        assert_eq!(
            serialize([("a", "é😀\0\x7f")]),
            "a=%C3%A9%F0%9F%98%80%00%7F"
        );
        assert_eq!(
            serialize([("a", "/?#[]@$&+,;=%\"<>\\^`{|}")]),
            "a=%2F%3F%23%5B%5D%40%24%26%2B%2C%3B%3D%25%22%3C%3E%5C%5E%60%7B%7C%7D"
        );
    }

    #[test]
    fn serialize_keeps_exactly_alnum_and_four_marks() {
        for byte in 0u8..128 {
            let s = String::from(char::from(byte));
            let out = serialize([("", s.as_str())]);
            let kept = byte.is_ascii_alphanumeric() || b"*-._".contains(&byte);
            let expected = match byte {
                _ if kept => alloc::format!("={}", char::from(byte)),
                b' ' => "=+".to_string(),
                _ => alloc::format!("=%{byte:02X}"),
            };
            assert_eq!(out, expected, "byte {byte}");
        }
    }

    #[test]
    fn percent_decode_every_byte_roundtrips() {
        for byte in 0u8..=255 {
            for encoded in [alloc::format!("%{byte:02X}"), alloc::format!("%{byte:02x}")] {
                assert_eq!(
                    decode_bytes(encoded.as_bytes(), true).as_ref(),
                    [byte],
                    "{encoded}"
                );
            }
        }
    }

    #[test]
    fn serialize_then_parse_is_identity() {
        let samples = [
            "", "alice", "a b+c", "&=?#%", "é😀", "\0\r\n", "%41", "\u{FEFF}", "\u{FFFF}",
        ];
        for n in samples {
            for v in samples {
                let s = serialize([(n, v)]);
                assert_eq!(
                    pairs(s.as_bytes()),
                    vec![(n.to_string(), v.to_string())],
                    "{s}"
                );
            }
        }
    }

    #[test]
    fn hostile_megabyte_inputs() {
        let big = "%".repeat(1 << 20);
        assert_eq!(pairs(big.as_bytes()), vec![(big.clone(), String::new())]);
        let big = "%C0".repeat(1 << 18);
        assert_eq!(pairs(big.as_bytes())[0].0.chars().count(), 1 << 18);
        let big = alloc::format!("ref={}", "a".repeat(1 << 20));
        assert_eq!(get(big.as_bytes(), "ref").map(|v| v.len()), Some(1 << 20));
        let big = "&".repeat(1 << 20) + "ref=alice";
        assert_eq!(get(big.as_bytes(), "ref").as_deref(), Some("alice"));
        let big = "a=b&".repeat(1 << 18);
        assert_eq!(parse(big.as_bytes()).count(), 1 << 18);
        let big = "+".repeat(1 << 20);
        assert_eq!(pairs(big.as_bytes())[0].0, " ".repeat(1 << 20));
    }

    #[test]
    fn sequences_keep_raw_bytes() {
        let seqs: Vec<&str> = sequences("a=%41&&b+c=d&").collect();
        assert_eq!(seqs, ["a=%41", "", "b+c=d", ""]);
        assert_eq!(sequences("").collect::<Vec<_>>(), [""]);
        assert_eq!(name_of("r%65f=alice"), "ref");
        assert_eq!(name_of("ref"), "ref");
        assert_eq!(name_of("=x"), "");
    }
}
