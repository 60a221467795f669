//! Cross-domain checkout: carrying a referral from the shop's site to another site of the same
//! shop, where a cookie cannot follow.
//!
//! A shop on `www.shop.test` whose checkout runs on `pay.example` lists `pay.example` in its
//! `decorate` setting. The browser adds `rt=<token>` to links and forms that lead to those hosts
//! ([`host_matches`], [`decorate_href`]); on the receiving site [`crate::capture`] reads the
//! token back ([`parse_token`]) as a touch with [`Via::Decorated`](crate::touch::Via::Decorated)
//! and the original touch time, so the attribution window keeps counting from the first click.
//!
//! # Token format (version 1)
//!
//! `1~<affiliate>~<at>~<click id>~<checksum>`: the version, the affiliate id, the original touch
//! time in lower-case base 36, the server's click id or nothing, and the FNV-1a 32 hash of
//! everything before the last `~` as exactly seven lower-case base-36 digits. Every character
//! is RFC 3986 unreserved, so the token goes into a URL as it is. `~` is the separator because
//! it is the one unreserved character that ids cannot contain.
//!
//! The checksum detects accidents (a truncated link, a mistyped character): any single changed
//! byte changes an FNV-1a hash. It is not a signature: anyone can build a valid token, so a
//! token is only as trusted as a `?ref=` link. The trusted path is the server's signed cookie.

use crate::affiliate::{self, AffiliateId};
use crate::query;
use crate::state::Referral;
use alloc::string::String;

/// The query parameter that carries the token.
pub const TOKEN_PARAM: &str = "rt";

/// The longest token accepted: version, two 64-byte ids, a `u64` time, the checksum, four `~`.
pub const MAX_TOKEN_LEN: usize = 1 + 64 + 13 + 64 + CHECKSUM_LEN + 4;

/// The version written first in every token this code makes.
const VERSION: &str = "1";

/// The separator between the fields of a token.
const SEP: u8 = b'~';

/// The number of base-36 digits of the checksum (36^7 > 2^32).
const CHECKSUM_LEN: usize = 7;

/// What a token carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decorated {
    /// The credited affiliate.
    pub affiliate: AffiliateId,
    /// When the original touch happened, Unix seconds.
    pub at: u64,
    /// The server's click id of the original touch, if the first site had one.
    pub click_id: Option<String>,
}

/// Whether links to `host` are decorated: `host` equals one of `domains` or is a subdomain of
/// one, compared ASCII case-insensitively. `evilpay.example` does not match `pay.example`.
/// A leading `.` on a listed domain is ignored; an empty entry matches nothing.
///
/// ```
/// use reftrail::decorate::host_matches;
/// let domains = ["pay.example".into()];
/// assert!(host_matches("checkout.PAY.example", &domains));
/// assert!(!host_matches("evilpay.example", &domains));
/// ```
pub fn host_matches(host: &str, domains: &[String]) -> bool {
    let host = host.as_bytes();
    domains.iter().any(|domain| {
        let domain = domain.as_bytes();
        let domain = match domain.split_first() {
            Some((b'.', rest)) => rest,
            _ => domain,
        };
        let Some(cut) = host.len().checked_sub(domain.len()) else {
            return false;
        };
        let (head, tail) = host.split_at_checked(cut).unwrap_or_default();
        !domain.is_empty()
            && tail.eq_ignore_ascii_case(domain)
            && (head.is_empty() || (head.len() > 1 && head.last() == Some(&b'.')))
    })
}

/// The token for `referral`. A click id outside the affiliate-id rule is left out.
///
/// ```
/// use reftrail::{affiliate::AffiliateId, decorate, state::Referral, touch::Via};
/// let referral = Referral {
///     affiliate: AffiliateId::parse("alice").unwrap(),
///     via: Via::Query,
///     at: 1_700_000_000,
///     expires: 1_702_592_000,
///     click_id: Some("c42".into()),
///     campaign: None,
/// };
/// let token = decorate::token(&referral);
/// let back = decorate::parse_token(&token).unwrap();
/// assert_eq!((back.affiliate.as_str(), back.at), ("alice", 1_700_000_000));
/// ```
pub fn token(referral: &Referral) -> String {
    let mut out = String::with_capacity(MAX_TOKEN_LEN);
    out.push_str(VERSION);
    out.push(char::from(SEP));
    out.push_str(&referral.affiliate);
    out.push(char::from(SEP));
    push_base36(&mut out, referral.at, 1);
    out.push(char::from(SEP));
    if let Some(click_id) = referral
        .click_id
        .as_deref()
        .filter(|c| affiliate::is_valid(c))
    {
        out.push_str(click_id);
    }
    let sum = fnv1a(out.as_bytes());
    out.push(char::from(SEP));
    push_base36(&mut out, u64::from(sum), CHECKSUM_LEN);
    out
}

/// Reads a token made by [`token`]; `None` for anything else: another version, a wrong
/// checksum, a missing or extra field, an invalid id, a time that is not canonical base 36.
/// Each value has exactly one encoding, so a changed token never decodes to other data.
pub fn parse_token(s: &str) -> Option<Decorated> {
    if s.len() > MAX_TOKEN_LEN {
        return None;
    }
    let bytes = s.as_bytes();
    let last = crate::text::rfind(bytes, SEP)?;
    let (body, sum) = (bytes.get(..last)?, bytes.get(last + 1..)?);
    if sum.len() != CHECKSUM_LEN || parse_base36(sum)? != u64::from(fnv1a(body)) {
        return None;
    }
    // `SEP` is ASCII, so `last` is a character boundary.
    let mut fields = [""; 4];
    let n = crate::text::fields(s.get(..last)?, SEP, &mut fields);
    let [version, affiliate, at, click_id] = fields;
    if n != 4 || version != VERSION {
        return None;
    }
    let affiliate = AffiliateId::parse(affiliate)?;
    // Canonical base 36: no leading zero, so each time has one spelling.
    if at.len() > 1 && at.starts_with('0') {
        return None;
    }
    let at = parse_base36(at.as_bytes())?;
    let click_id = match click_id {
        "" => None,
        c => Some(Some(c).filter(|c| affiliate::is_valid(c))?.into()),
    };
    Some(Decorated {
        affiliate,
        at,
        click_id,
    })
}

/// `query` (a URL's query without the `?`) with `rt` set to `token`, following
/// [`URLSearchParams.set`]: the first `rt` pair takes the new value in place, later ones are
/// removed, and with none it is appended. Every other pair keeps its original bytes; empty
/// pairs (`&&`) are dropped. Bytes of `token` outside the unreserved set are percent-encoded, so
/// a bad token cannot add pairs.
///
/// ```
/// use reftrail::decorate::decorate_href;
/// assert_eq!(decorate_href("step=1&rt=old", "1~a~1~~0000000"), "step=1&rt=1~a~1~~0000000");
/// assert_eq!(decorate_href("", "T"), "rt=T");
/// ```
///
/// [`URLSearchParams.set`]: https://url.spec.whatwg.org/#dom-urlsearchparams-set
pub fn decorate_href(query: &str, token: &str) -> String {
    decorate_pairs(&crate::pairs::from_raw(query), token)
}

/// [`decorate_href`] on a query the browser has parsed ([`crate::pairs`]).
pub fn decorate_pairs(list: &str, token: &str) -> String {
    let mut out = String::with_capacity(list.len() + TOKEN_PARAM.len() + token.len() + 2);
    let mut set = false;
    for (sequence, name, _) in crate::pairs::iter(list) {
        let is_token = name == TOKEN_PARAM;
        if is_token && set {
            continue;
        }
        if !out.is_empty() {
            out.push('&');
        }
        if is_token {
            push_token_pair(token, &mut out);
            set = true;
        } else {
            out.push_str(sequence);
        }
    }
    if !set {
        if !out.is_empty() {
            out.push('&');
        }
        push_token_pair(token, &mut out);
    }
    out
}

/// Appends `rt=<token>`, percent-encoding any byte of `token` that is not RFC 3986 unreserved.
fn push_token_pair(token: &str, out: &mut String) {
    out.push_str(TOKEN_PARAM);
    out.push('=');
    for &byte in token.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            query::push_percent_encoded(byte, out);
        }
    }
}

/// FNV-1a, 32 bits. Each step is a bijection of the state, so two inputs of the same length
/// that differ in one byte always hash differently.
fn fnv1a(bytes: &[u8]) -> u32 {
    crate::cookie::fnv1a32(bytes)
}

/// Appends `n` in lower-case base 36, left-padded with zeros to at least `min_width` digits.
fn push_base36(out: &mut String, n: u64, min_width: usize) {
    // u64::MAX has 13 base-36 digits: no padding beyond that.
    crate::text::push_num(out, n, 36, min_width.min(13));
}

/// Reads lower-case base 36; `None` if empty, on any other byte, or on overflow.
fn parse_base36(digits: &[u8]) -> Option<u64> {
    crate::text::parse_num(digits, 36)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::touch::Via;
    use alloc::string::ToString;
    use alloc::vec::Vec;
    use alloc::{format, vec};

    fn referral(affiliate: &str, at: u64, click_id: Option<&str>) -> Referral {
        Referral {
            affiliate: AffiliateId::parse(affiliate).unwrap(),
            via: Via::Query,
            at,
            expires: at.saturating_add(30 * 86_400),
            click_id: click_id.map(Into::into),
            campaign: Some("spring".into()),
        }
    }

    fn decorated(affiliate: &str, at: u64, click_id: Option<&str>) -> Decorated {
        Decorated {
            affiliate: AffiliateId::parse(affiliate).unwrap(),
            at,
            click_id: click_id.map(Into::into),
        }
    }

    /// One line per case: `matches!(host, [domains] => bool)`.
    macro_rules! host {
        ($host:expr, [$($d:expr),*] => $expected:expr) => {
            let domains: Vec<String> = vec![$($d.to_string()),*];
            assert_eq!(host_matches($host, &domains), $expected, "{:?} in {:?}", $host, domains);
        };
    }

    /// One line per case: `href!(query, token => expected)`.
    macro_rules! href {
        ($query:expr, $token:expr => $expected:expr) => {
            assert_eq!(
                decorate_href($query, $token),
                $expected,
                "decorate_href({:?}, {:?})",
                $query,
                $token
            );
        };
    }

    /// One line per refused token.
    macro_rules! refused {
        ($($s:expr),* $(,)?) => { $( assert_eq!(parse_token($s), None, "{:?} should be refused", $s); )* };
    }

    #[test]
    fn host_matches_exact_and_subdomains_only() {
        host!("pay.example", ["pay.example"] => true);
        host!("PAY.Example", ["pay.example"] => true);
        host!("pay.example", ["PAY.EXAMPLE"] => true);
        host!("checkout.pay.example", ["pay.example"] => true);
        host!("a.b.pay.example", ["pay.example"] => true);
        host!("pay.example", [".pay.example"] => true);
        host!("x.pay.example", [".pay.example"] => true);
        host!("evilpay.example", ["pay.example"] => false);
        host!("pay.example.evil", ["pay.example"] => false);
        host!("pay.exampl", ["pay.example"] => false);
        host!("ay.example", ["pay.example"] => false);
        host!(".pay.example", ["pay.example"] => false);
        host!("example", ["pay.example"] => false);
        host!("", ["pay.example"] => false);
        host!("pay.example", [""] => false);
        host!("pay.example", ["."] => false);
        host!("", [""] => false);
        host!("pay.example", [] => false);
        host!("shop.test", ["pay.example", "shop.test"] => true);
        host!("www.shop.test", ["pay.example", "shop.test"] => true);
        host!("pay.example.", ["pay.example"] => false);
        host!("päy.example", ["pay.example"] => false);
    }

    #[test]
    fn token_format_is_pinned() {
        let t = token(&referral("alice", 1_700_000_000, Some("c42")));
        assert_eq!(t, "1~alice~s44we8~c42~0rogqyi");
        assert_eq!(
            token(&referral("alice", 1_700_000_000, None)),
            "1~alice~s44we8~~1gm7637"
        );
        assert_eq!(token(&referral("a", 0, None)), "1~a~0~~174daef");
        // URL-safe without escaping: only RFC 3986 unreserved characters.
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)));
    }

    #[test]
    fn token_round_trips() {
        let long = "x".repeat(64);
        let cases = [
            ("alice", 1_700_000_000, Some("c42")),
            ("alice", 1_700_000_000, None),
            ("a", 0, None),
            ("a", 1, Some("0")),
            ("a.b-c_d", 35, Some("A.b-C_d")),
            ("Z9", 36, None),
            (long.as_str(), u64::MAX, Some(long.as_str())),
            (long.as_str(), u64::MAX - 1, None),
        ];
        for (aff, at, click) in cases {
            let t = token(&referral(aff, at, click));
            assert!(t.len() <= MAX_TOKEN_LEN, "{t}");
            assert_eq!(parse_token(&t), Some(decorated(aff, at, click)), "{t}");
        }
    }

    #[test]
    fn token_leaves_out_an_invalid_click_id() {
        for bad in ["", "a b", "<x>", "c~1", &"c".repeat(65)] {
            let t = token(&referral("alice", 7, Some(bad)));
            assert_eq!(
                parse_token(&t),
                Some(decorated("alice", 7, None)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn parse_token_refuses_malformed() {
        let ok = "1~alice~s44we8~c42~0rogqyi";
        assert!(parse_token(ok).is_some());
        refused![
            "",
            "1",
            "~",
            "~~~~",
            "1~alice~s44we8~c42",
            "1~alice~s44we8~c42~",
            "1~alice~s44we8~c42~0rogqy",
            "1~alice~s44we8~c42~00rogqyi",
            "1~alice~s44we8~c42~0ROGQYI",
            "1~alice~S44WE8~c42~0rogqyi",
            "1~alice~s44we8~c42~zzzzzzz", // above u32::MAX
            "1~alice~s44we8~c42~0rogqyi~",
            "1~alice~s44we8~c42~x~0rogqyi",
            " 1~alice~s44we8~c42~0rogqyi",
            "1~alice~s44we8~c42~0rogqyi ",
            "1~alice~s44we8~c42~0rogqyi\n",
            "1~alice~s44we8~c42~0rogqy%69",
        ];
        // Well-formed checksums over malformed bodies are refused by the fields.
        for body in [
            "2~alice~s44we8~c42",
            "01~alice~s44we8~c42",
            "~alice~s44we8~c42",
            "1~~s44we8~c42",
            "1~al ice~s44we8~c42",
            "1~<script>~s44we8~c42",
            "1~javascript:alert(1)~s44we8~c42",
            &format!("1~{}~s44we8~c42", "x".repeat(65)),
            "1~alice~~c42",
            "1~alice~0s44we8~c42",
            "1~alice~00~",
            "1~alice~-1~",
            "1~alice~S44WE8~c42",
            "1~alice~3w5e11264sgsg~", // u64::MAX + 1
            "1~alice~zzzzzzzzzzzzzz~",
            "1~alice~s44we8~c 42",
            "1~alice~s44we8~c42~extra",
            "1~alice~s44we8",
            "1~alicé~s44we8~",
        ] {
            let mut t = body.to_string();
            t.push('~');
            push_base36(&mut t, u64::from(fnv1a(body.as_bytes())), CHECKSUM_LEN);
            assert_eq!(parse_token(&t), None, "{t:?}");
        }
        refused![&"1".repeat(MAX_TOKEN_LEN + 1), &"~".repeat(100_000)];
    }

    #[test]
    fn every_single_character_change_is_refused() {
        let replacements: Vec<char> = (0u8..128)
            .map(char::from)
            .chain(['é', '€', '😀', '\u{FFFD}'])
            .collect();
        let long = "x".repeat(64);
        for r in [
            referral("alice", 1_700_000_000, Some("c42")),
            referral("alice", 1_700_000_000, None),
            referral("a", 0, None),
            referral("b.o_b-9", 35, Some("Zz")),
            referral(&long, u64::MAX, Some(&long)),
        ] {
            let t = token(&r);
            let original = parse_token(&t).unwrap();
            let mut tried = 0;
            for (i, old) in t.char_indices() {
                for &c in &replacements {
                    if c == old {
                        continue;
                    }
                    let mut changed = String::from(&t[..i]);
                    changed.push(c);
                    changed.push_str(&t[i + old.len_utf8()..]);
                    let got = parse_token(&changed);
                    assert!(
                        got.is_none() || got.as_ref() == Some(&original),
                        "{changed:?} gave {got:?}"
                    );
                    // Stronger than required: no change is accepted at all.
                    assert_eq!(got, None, "{changed:?}");
                    tried += 1;
                }
                // Deleting the character.
                let deleted = format!("{}{}", &t[..i], &t[i + old.len_utf8()..]);
                assert_eq!(parse_token(&deleted), None, "{deleted:?}");
            }
            assert!(tried > 100 * t.len());
            for end in 0..t.len() {
                assert_eq!(parse_token(&t[..end]), None, "truncated {:?}", &t[..end]);
                assert_eq!(
                    parse_token(&t[end + 1..]),
                    None,
                    "cut at the front {:?}",
                    &t[end + 1..]
                );
            }
        }
    }

    #[test]
    fn base36_edges() {
        let mut s = String::new();
        for (n, w, expected) in [
            (0, 1, "0"),
            (0, 7, "0000000"),
            (35, 1, "z"),
            (36, 1, "10"),
            (u64::MAX, 1, "3w5e11264sgsf"),
            (u64::from(u32::MAX), 7, "1z141z3"),
            (u64::MAX, 20, "3w5e11264sgsf"),
        ] {
            s.clear();
            push_base36(&mut s, n, w);
            assert_eq!(s, expected);
            assert_eq!(parse_base36(s.as_bytes()), Some(n));
        }
        assert_eq!(parse_base36(b""), None);
        assert_eq!(parse_base36(b"3w5e11264sgsg"), None);
        assert_eq!(parse_base36(b"A"), None);
    }

    #[test]
    fn decorate_href_sets_rt() {
        let t = "1~alice~s44we8~c42~0rogqyi";
        href!("", t => "rt=1~alice~s44we8~c42~0rogqyi");
        href!("a=1", "T" => "a=1&rt=T");
        href!("rt=old", "T" => "rt=T");
        href!("a=1&rt=old&b=2", "T" => "a=1&rt=T&b=2");
        href!("rt=1&a=1&rt=2", "T" => "rt=T&a=1");
        href!("r%74=old", "T" => "rt=T");
        href!("RT=old", "T" => "RT=old&rt=T");
        href!("rtx=old&xrt=1", "T" => "rtx=old&xrt=1&rt=T");
        href!("rt", "T" => "rt=T");
        href!("a&&b&", "T" => "a&b&rt=T");
        href!("&", "T" => "rt=T");
        href!("q=%C3%A9+x&n=%zz", "T" => "q=%C3%A9+x&n=%zz&rt=T");
        href!("a=1", "x&y=z#f g" => "a=1&rt=x%26y%3Dz%23f%20g");
        href!("a=1", "é" => "a=1&rt=%C3%A9");
        href!("a=1", "" => "a=1&rt=");
    }

    #[test]
    fn decorated_href_reads_back() {
        let r = referral("alice", 1_700_000_000, Some("c42"));
        let q = decorate_href("step=pay&rt=stale", &token(&r));
        let value = query::get(q.as_bytes(), TOKEN_PARAM).unwrap();
        assert_eq!(
            parse_token(&value),
            Some(decorated("alice", 1_700_000_000, Some("c42")))
        );
        // Also after URLSearchParams-style re-encoding (`~` becomes `%7E`).
        let reencoded = query::serialize(query::parse(q.as_bytes()));
        assert!(reencoded.contains("%7E"));
        let value = query::get(reencoded.as_bytes(), TOKEN_PARAM).unwrap();
        assert_eq!(parse_token(&value).map(|d| d.at), Some(1_700_000_000));
    }
}
