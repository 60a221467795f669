//! The `rt_ref` cookie: the one place that knows how a [`State`] is written into a cookie.
//!
//! # Format, version 1
//!
//! Fields separated by `~`, version first, checksum last:
//!
//! ```text
//! 1~VISITOR~REFERRAL[~TRAIL_AFFILIATE~TRAIL_AT]*~CHECKSUM
//! REFERRAL = ""                                         (no referral)
//!          / AFFILIATE~VIA~AT~EXPIRES~CLICK_ID~CAMPAIGN   (CLICK_ID, CAMPAIGN may be "")
//! ```
//!
//! - `VISITOR` is the visitor id or empty; `VIA` is the one-letter [`Via::code`].
//! - Times (`AT`, `EXPIRES`, trail times) are Unix seconds up to [`MAX_TIME`], in lower-case
//!   base 36 with no leading zero (`0` for zero), so each value has exactly one spelling.
//! - `CHECKSUM` is FNV-1a 32 of every byte before the last `~`, in the same base 36: a truncated or
//!   edited value fails it.
//! - Ids, visitor ids, click ids and campaigns all use the affiliate-id charset
//!   `[A-Za-z0-9._-]`, so `~` never needs escaping and the whole value is drawn from
//!   `[A-Za-z0-9._~-]`: RFC 6265 cookie-octets that are also RFC 3986 unreserved characters, so the
//!   value travels unchanged in a URL too. No `=`, `;`, `,`, space, quote or backslash.
//!
//! Example: `1~k3JQ9x2mP0aZ7bC4~alice~q~tfrksg~thb4sg~~spring~alice~tfrksg~wbtxcy`.
//!
//! [`decode`] is strict: it returns the whole [`State`] or an error, never part of one. The
//! version comes first so a later format can change everything after it.
//!
//! The module also builds the `Set-Cookie` / `document.cookie` string ([`set_cookie`],
//! [`max_age`]) and finds a cookie in a `Cookie` header or `document.cookie` ([`read`]), following
//! RFC 6265bis.

use crate::affiliate::{self, AffiliateId};
use crate::state::{self, Referral, State, TrailEntry, TRAIL_LEN};
use crate::touch::Via;
use alloc::string::String;
use alloc::vec::Vec;

/// The cookie's name.
pub const NAME: &str = "rt_ref";

/// The format version [`encode`] writes and [`decode`] reads.
pub const VERSION: u8 = 1;

/// The largest time the format holds, `2^63 − 1`: the PHP plugin reads every value as a native
/// (signed 64-bit) integer. [`encode`] writes later times as this one.
pub const MAX_TIME: u64 = i64::MAX as u64;

/// The longest value [`encode`] writes, every field at its longest: far below the 4096 bytes a
/// browser allows for a cookie's name and value together.
pub const MAX_LEN: usize = 662;

/// The longest lifetime a browser keeps a cookie for (400 days, RFC 6265bis §5.5), in seconds.
pub const MAX_AGE_CAP: u64 = 400 * 86_400;

/// The field separator: outside the id charset, a cookie-octet and URL-unreserved.
const SEP: u8 = b'~';

/// Why a cookie value did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The value is empty.
    Empty,
    /// The version field is not [`VERSION`].
    Version,
    /// A byte outside `[A-Za-z0-9._~-]`.
    Byte,
    /// The checksum is missing or does not match: the value was truncated or edited.
    Checksum,
    /// The fields do not form a state (too few, too many, or a trail entry cut in half).
    Shape,
    /// A time is not a canonical lower-case base-36 number up to [`MAX_TIME`].
    Number,
    /// An affiliate id fails the charset rule.
    Affiliate,
    /// The via field is not a known one-letter code.
    Via,
    /// The visitor id fails [`state::is_valid_visitor`].
    Visitor,
    /// A click id or campaign fails the affiliate-id charset rule.
    Tag,
    /// The trail has more than [`TRAIL_LEN`] entries.
    TrailTooLong,
}

impl DecodeError {
    /// A stable snake_case code, the one the shared test vectors use.
    pub const fn code(self) -> &'static str {
        match self {
            DecodeError::Empty => "empty",
            DecodeError::Version => "version",
            DecodeError::Byte => "byte",
            DecodeError::Checksum => "checksum",
            DecodeError::Shape => "shape",
            DecodeError::Number => "number",
            DecodeError::Affiliate => "affiliate",
            DecodeError::Via => "via",
            DecodeError::Visitor => "visitor",
            DecodeError::Tag => "tag",
            DecodeError::TrailTooLong => "trail_too_long",
        }
    }

    /// A short description of the error.
    pub const fn as_str(self) -> &'static str {
        match self {
            DecodeError::Empty => "empty cookie value",
            DecodeError::Version => "unknown cookie format version",
            DecodeError::Byte => "byte outside the cookie alphabet",
            DecodeError::Checksum => "checksum mismatch: truncated or edited value",
            DecodeError::Shape => "wrong number of fields",
            DecodeError::Number => "time is not a canonical base-36 number up to 2^63-1",
            DecodeError::Affiliate => "invalid affiliate id",
            DecodeError::Via => "unknown via code",
            DecodeError::Visitor => "invalid visitor id",
            DecodeError::Tag => "invalid click id or campaign",
            DecodeError::TrailTooLong => "trail too long",
        }
    }
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for DecodeError {}

/// Writes `state` as a cookie value.
///
/// Never writes what [`decode`] would refuse: a visitor id, click id or campaign that fails its
/// charset rule is left out, only the newest [`TRAIL_LEN`] trail entries are written, and times
/// past [`MAX_TIME`] are written as [`MAX_TIME`].
///
/// # Example
/// ```
/// use reftrail::{cookie, state::State};
/// let state = State::default();
/// assert_eq!(cookie::decode(&cookie::encode(&state)), Ok(state));
/// ```
pub fn encode(state: &State) -> String {
    let mut out = String::with_capacity(160);
    push_num(&mut out, u64::from(VERSION), 10);
    out.push('~');
    if let Some(v) = state
        .visitor
        .as_deref()
        .filter(|v| state::is_valid_visitor(v))
    {
        out.push_str(v);
    }
    out.push('~');
    if let Some(r) = &state.referral {
        out.push_str(&r.affiliate);
        out.push('~');
        out.push(char::from(r.via.code()));
        out.push('~');
        push_time(&mut out, r.at);
        out.push('~');
        push_time(&mut out, r.expires);
        out.push('~');
        push_tag(&mut out, r.click_id.as_deref());
        out.push('~');
        push_tag(&mut out, r.campaign.as_deref());
    }
    let skip = state.trail.len().saturating_sub(TRAIL_LEN);
    for e in state.trail.iter().skip(skip) {
        out.push('~');
        out.push_str(&e.affiliate);
        out.push('~');
        push_time(&mut out, e.at);
    }
    let sum = fnv1a32(out.as_bytes());
    out.push('~');
    push_num(&mut out, u64::from(sum), 36);
    out
}

/// Reads a cookie value written by [`encode`]: the whole state, or an error.
///
/// Checks, in order: empty, version, alphabet, checksum, then each field.
///
/// # Example
/// ```
/// use reftrail::cookie::{decode, DecodeError};
/// assert_eq!(decode(""), Err(DecodeError::Empty));
/// assert_eq!(decode("9~~~x"), Err(DecodeError::Version));
/// assert_eq!(decode("1~~~0"), Err(DecodeError::Checksum));
/// ```
pub fn decode(value: &str) -> Result<State, DecodeError> {
    if value.is_empty() {
        return Err(DecodeError::Empty);
    }
    let version = split_byte(value, SEP).map_or(value, |(v, _)| v);
    if parse_num(version, 10) != Some(u64::from(VERSION)) {
        return Err(DecodeError::Version);
    }
    if !crate::text::alnum_or(value.as_bytes(), VALUE_PUNCTUATION) {
        return Err(DecodeError::Byte);
    }
    let (body, sum) = rsplit_byte(value, SEP).ok_or(DecodeError::Checksum)?;
    if parse_num(sum, 36) != Some(u64::from(fnv1a32(body.as_bytes()))) {
        return Err(DecodeError::Checksum);
    }

    let mut fields = crate::text::split(body, SEP);
    fields.next(); // the version, checked above
    let visitor = match fields.next().ok_or(DecodeError::Shape)? {
        "" => None,
        v if state::is_valid_visitor(v) => Some(String::from(v)),
        _ => return Err(DecodeError::Visitor),
    };
    let referral = match fields.next().ok_or(DecodeError::Shape)? {
        "" => None,
        affiliate => Some(Referral {
            affiliate: parse_affiliate(affiliate)?,
            via: parse_via(fields.next().ok_or(DecodeError::Shape)?)?,
            at: parse_time(fields.next().ok_or(DecodeError::Shape)?)?,
            expires: parse_time(fields.next().ok_or(DecodeError::Shape)?)?,
            click_id: parse_tag(fields.next().ok_or(DecodeError::Shape)?)?,
            campaign: parse_tag(fields.next().ok_or(DecodeError::Shape)?)?,
        }),
    };
    let mut trail = Vec::new();
    while let Some(affiliate) = fields.next() {
        if trail.len() == TRAIL_LEN {
            return Err(DecodeError::TrailTooLong);
        }
        let affiliate = parse_affiliate(affiliate)?;
        let at = parse_time(fields.next().ok_or(DecodeError::Shape)?)?;
        trail.push(TrailEntry { affiliate, at });
    }
    Ok(State {
        visitor,
        referral,
        trail,
    })
}

/// The attributes of the `rt_ref` cookie that vary; the rest are fixed (`Path=/`,
/// `SameSite=Lax`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attributes<'a> {
    /// Lifetime in seconds; `0` deletes the cookie (see [`max_age`]).
    pub max_age: u64,
    /// The `Domain` attribute (from [`crate::domain::candidates`]); `None` for a host-only
    /// cookie.
    pub domain: Option<&'a str>,
    /// Adds `Secure`; the browser passes `location.protocol == "https:"`.
    pub secure: bool,
}

/// Builds the string for `document.cookie = …` or a `Set-Cookie` header:
/// `name=value; Path=/; Max-Age=…[; Domain=…]; SameSite=Lax[; Secure]`.
///
/// `name` and `value` must already be cookie-safe (as [`NAME`] and [`encode`]'s output are).
/// A `Domain` that is not a plain host name (`[A-Za-z0-9._-]`) is left out, making the cookie
/// host-only, rather than letting it add attributes of its own.
///
/// # Example
/// ```
/// use reftrail::cookie::{set_cookie, Attributes};
/// let attrs = Attributes { max_age: 60, domain: Some("shop.test"), secure: true };
/// assert_eq!(
///     set_cookie("rt_ref", "v", &attrs),
///     "rt_ref=v; Path=/; Max-Age=60; Domain=shop.test; SameSite=Lax; Secure"
/// );
/// ```
pub fn set_cookie(name: &str, value: &str, attrs: &Attributes) -> String {
    let mut out = String::with_capacity(name.len() + value.len() + 80);
    out.push_str(name);
    out.push('=');
    out.push_str(value);
    out.push_str("; Path=/; Max-Age=");
    push_num(&mut out, attrs.max_age, 10);
    let plain_host = |d: &&str| !d.is_empty() && crate::text::alnum_or(d.as_bytes(), b"-_.");
    if let Some(d) = attrs.domain.filter(plain_host) {
        out.push_str("; Domain=");
        out.push_str(d);
    }
    out.push_str("; SameSite=Lax");
    if attrs.secure {
        out.push_str("; Secure");
    }
    out
}

/// How long the cookie should live, in seconds: as long as the longest-lived thing it holds.
///
/// That is the referral until it `expires`, each trail entry until `window` seconds after its
/// touch, and the visitor id `window` seconds from `now` (`window` is the attribution window in
/// seconds, [`crate::attribution::Policy::window_secs`]). An empty state gives `0`, which deletes
/// the cookie. Capped at [`MAX_AGE_CAP`], which browsers enforce anyway.
///
/// # Example
/// ```
/// use reftrail::{cookie, state::State};
/// assert_eq!(cookie::max_age(&State::default(), 1_000, 86_400), 0);
/// ```
pub fn max_age(state: &State, now: u64, window: u64) -> u64 {
    // The latest end of the three; 0 (before `now`) when there is nothing.
    let mut end = 0;
    if state.visitor.is_some() {
        end = now.saturating_add(window);
    }
    if let Some(r) = &state.referral {
        end = end.max(r.expires);
    }
    for e in &state.trail {
        end = end.max(e.at.saturating_add(window));
    }
    end.saturating_sub(now).min(MAX_AGE_CAP)
}

/// Finds cookie `name` in a `document.cookie` string or `Cookie` header (`a=b; c=d`): the first
/// match wins, as browsers list the most specific cookie first. Names are case-sensitive; spaces
/// and tabs around names and values are trimmed (RFC 6265bis §5.6). A pair with no `=` is a
/// nameless cookie, found with `name == ""`.
///
/// # Example
/// ```
/// use reftrail::cookie::read;
/// assert_eq!(read("xrt_ref=1; rt_ref=2; rt_ref=3", "rt_ref"), Some("2"));
/// assert_eq!(read("rt_ref2=1", "rt_ref"), None);
/// ```
pub fn read<'a>(document_cookie: &'a str, name: &str) -> Option<&'a str> {
    for pair in crate::text::split(document_cookie, b';') {
        let pair = trim_wsp(pair);
        if pair.is_empty() {
            continue;
        }
        let (n, v) = split_byte(pair, b'=').unwrap_or(("", pair));
        if trim_wsp(n) == name {
            return Some(trim_wsp(v));
        }
    }
    None
}

/// The name and value a browser stores from a `Set-Cookie` string, or `None` when it ignores the
/// string; attributes are not interpreted. RFC 6265bis §5.6: refuse control characters other than
/// HTAB anywhere; the pair is the text before the first `;`; the name is what precedes its first
/// `=` (no `=`: a nameless cookie whose value is the whole pair); trim spaces and tabs from both;
/// refuse a name and value longer than 4096 bytes together. Also refused, as the storage model
/// (§5.7) does: a pair whose name and value are both empty.
///
/// # Example
/// ```
/// use reftrail::cookie::parse_set_cookie_pair;
/// assert_eq!(parse_set_cookie_pair(" a = b ; Path=/"), Some(("a", "b")));
/// assert_eq!(parse_set_cookie_pair("test7"), Some(("", "test7")));
/// assert_eq!(parse_set_cookie_pair("a=b\nc"), None);
/// ```
pub fn parse_set_cookie_pair(s: &str) -> Option<(&str, &str)> {
    if s.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return None;
    }
    let pair = split_byte(s, b';').map_or(s, |(p, _)| p);
    let (name, value) = split_byte(pair, b'=').unwrap_or(("", pair));
    let (name, value) = (trim_wsp(name), trim_wsp(value));
    if name.len() + value.len() > 4096 || (name.is_empty() && value.is_empty()) {
        return None;
    }
    Some((name, value))
}

/// The bytes a v1 value may hold besides ASCII letters and digits: the id charset's `-`, `_`
/// and `.`, and the separator.
const VALUE_PUNCTUATION: &[u8] = b"-_.~";

/// Whether `b` may appear in a v1 value.
#[cfg(test)]
fn is_value_byte(b: u8) -> bool {
    crate::text::alnum_or(&[b], VALUE_PUNCTUATION)
}

/// FNV-1a, 32 bits: tiny, and easy to reproduce in PHP (`hash('fnv1a32', …)`).
pub(crate) fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h: u32, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Appends `n` in `radix` (10 or 36), lower-case, without `core::fmt`.
fn push_num(out: &mut String, n: u64, radix: u64) {
    crate::text::push_num(out, n, radix, 1);
}

/// Parses the canonical form [`push_num`] writes: lower-case digits, no sign, no leading zero.
fn parse_num(s: &str, radix: u64) -> Option<u64> {
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    crate::text::parse_num(s.as_bytes(), radix)
}

fn push_time(out: &mut String, t: u64) {
    push_num(out, t.min(MAX_TIME), 36);
}

/// Appends an optional click id or campaign; one failing the charset rule is left out.
fn push_tag(out: &mut String, tag: Option<&str>) {
    if let Some(t) = tag.filter(|t| affiliate::is_valid(t)) {
        out.push_str(t);
    }
}

fn parse_affiliate(s: &str) -> Result<AffiliateId, DecodeError> {
    AffiliateId::parse(s).ok_or(DecodeError::Affiliate)
}

fn parse_via(s: &str) -> Result<Via, DecodeError> {
    match s.as_bytes() {
        [code] => Via::from_code(*code).ok_or(DecodeError::Via),
        _ => Err(DecodeError::Via),
    }
}

fn parse_time(s: &str) -> Result<u64, DecodeError> {
    parse_num(s, 36)
        .filter(|&t| t <= MAX_TIME)
        .ok_or(DecodeError::Number)
}

fn parse_tag(s: &str) -> Result<Option<String>, DecodeError> {
    match s {
        "" => Ok(None),
        t if affiliate::is_valid(t) => Ok(Some(String::from(t))),
        _ => Err(DecodeError::Tag),
    }
}

/// Splits at the first `b` (an ASCII byte, so both halves are valid `str`).
fn split_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    crate::text::split_once(s, b)
}

/// Splits at the last `b` (an ASCII byte).
fn rsplit_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = crate::text::rfind(s.as_bytes(), b)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Trims spaces and horizontal tabs (WSP), and nothing else, from both ends.
fn trim_wsp(s: &str) -> &str {
    let wsp = |b: &u8| *b == b' ' || *b == b'\t';
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|b| !wsp(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !wsp(b)).map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    fn id(s: &str) -> AffiliateId {
        AffiliateId::parse(s).unwrap()
    }

    fn entry(a: &str, at: u64) -> TrailEntry {
        TrailEntry {
            affiliate: id(a),
            at,
        }
    }

    fn referral(a: &str, at: u64) -> Referral {
        Referral {
            affiliate: id(a),
            via: Via::Query,
            at,
            expires: at + 30 * 86_400,
            click_id: None,
            campaign: None,
        }
    }

    /// The largest state there is: every field at its longest.
    fn full_state() -> State {
        let long = |c: char| c.to_string().repeat(64);
        State {
            visitor: Some("V".repeat(32)),
            referral: Some(Referral {
                affiliate: id(&long('a')),
                via: Via::Decorated,
                at: MAX_TIME,
                expires: MAX_TIME,
                click_id: Some(long('c')),
                campaign: Some(long('k')),
            }),
            trail: (0..TRAIL_LEN as u8)
                .map(|i| entry(&long(char::from(b'm' + i)), MAX_TIME - u64::from(i)))
                .collect(),
        }
    }

    fn with_sum(body: &str) -> String {
        let mut s = String::from(body);
        s.push('~');
        push_num(&mut s, u64::from(fnv1a32(body.as_bytes())), 36);
        s
    }

    macro_rules! round_trip {
        ($($state:expr),* $(,)?) => { $( {
            let state = $state;
            let value = encode(&state);
            assert_eq!(decode(&value), Ok(state), "{value}");
        } )* };
    }
    /// `decode(with_sum(body))`: the checksum is right, so the body's own fields are tested.
    macro_rules! body_err {
        ($($body:expr => $err:ident),* $(,)?) => {
            $( assert_eq!(decode(&with_sum($body)), Err(DecodeError::$err), "{}", $body); )*
        };
    }
    macro_rules! value_err {
        ($($value:expr => $err:ident),* $(,)?) => {
            $( assert_eq!(decode($value), Err(DecodeError::$err), "{:?}", $value); )*
        };
    }
    macro_rules! read_eq {
        ($($cookies:expr, $name:expr => $want:expr),* $(,)?) => {
            $( assert_eq!(read($cookies, $name), $want, "{:?} in {:?}", $name, $cookies); )*
        };
    }
    macro_rules! pair_eq {
        ($($s:expr => $want:expr),* $(,)?) => {
            $( assert_eq!(parse_set_cookie_pair($s), $want, "{:?}", $s); )*
        };
    }

    #[test]
    fn encode_writes_the_documented_format() {
        let state = State {
            visitor: Some("k3JQ9x2mP0aZ7bC4".into()),
            referral: Some(Referral {
                campaign: Some("spring".into()),
                ..referral("alice", 1_780_000_000)
            }),
            trail: vec![entry("alice", 1_780_000_000)],
        };
        assert_eq!(
            encode(&state),
            "1~k3JQ9x2mP0aZ7bC4~alice~q~tfrksg~thb4sg~~spring~alice~tfrksg~wbtxcy"
        );
        assert_eq!(encode(&State::default()), with_sum("1~~"));
    }

    #[test]
    fn round_trips() {
        round_trip![
            State::default(),
            State {
                visitor: Some("a".repeat(16)),
                ..State::default()
            },
            State {
                referral: Some(referral("alice", 0)),
                ..State::default()
            },
            State {
                referral: Some(Referral {
                    via: Via::Fragment,
                    click_id: Some("c.1-_".into()),
                    ..referral("bob", 1)
                }),
                trail: vec![entry("bob", 1), entry("carol", 2)],
                ..State::default()
            },
            State {
                trail: vec![entry("x", 0), entry("y", MAX_TIME)],
                ..State::default()
            },
            full_state(),
        ];
        for via in [Via::Query, Via::Fragment, Via::Path, Via::Decorated] {
            round_trip![State {
                referral: Some(Referral {
                    via,
                    ..referral("v", 5)
                }),
                ..State::default()
            }];
        }
    }

    #[test]
    fn a_full_state_stays_far_below_the_cookie_limit() {
        let value = encode(&full_state());
        // version, visitor, referral, 5 trail entries, a 7-digit checksum, and their separators.
        let longest = 1
            + (1 + 32)
            + (1 + 64 + 1 + 1 + 1 + 13 + 1 + 13 + 1 + 64 + 1 + 64)
            + 5 * (1 + 64 + 1 + 13)
            + (1 + 7);
        assert_eq!(longest, MAX_LEN);
        assert_eq!(value.len(), MAX_LEN);
        assert_eq!(u64::from(u32::MAX), parse_num("1z141z3", 36).unwrap());
        let header = set_cookie(
            NAME,
            &value,
            &Attributes {
                max_age: MAX_AGE_CAP,
                domain: Some("checkout.shop.example.co.uk"),
                secure: true,
            },
        );
        assert!(header.len() < 800, "{}", header.len());
        // With times of this decade (6 base-36 digits) rather than MAX_TIME (13).
        let mut today = full_state();
        if let Some(r) = &mut today.referral {
            (r.at, r.expires) = (1_780_000_000, 1_782_592_000);
        }
        for e in &mut today.trail {
            e.at = 1_780_000_000;
        }
        assert_eq!(encode(&today).len(), 612);
    }

    #[test]
    fn encode_leaves_out_what_decode_would_refuse() {
        let bad = State {
            visitor: Some("short".into()),
            referral: Some(Referral {
                click_id: Some("a~b".into()),
                campaign: Some("spring sale".into()),
                ..referral("alice", 7)
            }),
            trail: (0..8).map(|i| entry("t", i)).collect(),
        };
        let decoded = decode(&encode(&bad)).unwrap();
        assert_eq!(decoded.visitor, None);
        assert_eq!(decoded.referral, Some(referral("alice", 7)));
        assert_eq!(
            decoded.trail,
            (3..8).map(|i| entry("t", i)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn decode_refuses_bad_values() {
        let good = encode(&State {
            referral: Some(referral("alice", 1_780_000_000)),
            ..State::default()
        });
        value_err![
            "" => Empty,
            "~" => Version,
            "0~~~1" => Version,
            "2~~~1" => Version,
            "01~~~1" => Version,
            "1" => Checksum,
            "1~~" => Checksum,
            &format!("{good}x") => Checksum,
            &good[..good.len() - 1] => Checksum,
            &good.replacen("alice", "alicf", 1) => Checksum,
            &good.replacen("1~", "1~;", 1) => Byte,
            &good.replacen("1~", "1~ ", 1) => Byte,
            &good.replacen("alice", "alicé", 1) => Byte,
            &format!("{good}=") => Byte,
        ];
        // The right checksum, spelt in upper case or with a leading zero, is not canonical.
        let (body, sum) = rsplit_byte(&good, SEP).unwrap();
        value_err![
            &format!("{body}~{}", sum.to_uppercase()) => Checksum,
            &format!("{body}~0{sum}") => Checksum,
        ];
    }

    #[test]
    fn decode_refuses_bad_fields() {
        let t = "tfrksg";
        body_err![
            "1" => Shape,
            "1~" => Shape,
            "1~~alice" => Shape,
            "1~~alice~q" => Shape,
            "1~~alice~q~1~2~" => Shape,
            "1~~alice~x~1~2~~" => Via,
            "1~~alice~qq~1~2~~" => Via,
            "1~~alice~~1~2~~" => Via,
            "1~~alice~Q~1~2~~" => Via,
            "1~~a.b-c_D~q~1~2~~~" => Affiliate,
            "1~~alice~q~01~2~~" => Number,
            "1~~alice~q~~2~~" => Number,
            "1~~alice~q~A~2~~" => Number,
            "1~~alice~q~1~3w5e11264sgsg~~" => Number,
            "1~~alice~q~1~2~~k k" => Byte,
            &format!("1~~{}~q~1~2~~", "a".repeat(65)) => Affiliate,
            &format!("1~~alice~q~1~2~{}~", "c".repeat(65)) => Tag,
            &format!("1~~alice~q~1~2~~{}", "c".repeat(65)) => Tag,
            "1~short~" => Visitor,
            &format!("1~{}~", "v".repeat(33)) => Visitor,
            "1~aaaaaaaaaaaaaaa.~" => Visitor,
            "1~~~alice" => Shape,
            "1~~~alice~" => Number,
            &format!("1~~~alice~{t}~bob") => Shape,
            &format!("1~~~{}~{t}", "b".repeat(65)) => Affiliate,
            "1~~~a~1~b~2~c~3~d~4~e~5~f~6" => TrailTooLong,
            "1~~~a~1~b~2~c~3~d~4~e~5~f" => TrailTooLong,
        ];
        // MAX_TIME itself is fine, one more is not, nor is u64::MAX, nor one more than that.
        assert!(decode(&with_sum("1~~~a~1y2p0ij32e8e7")).is_ok());
        body_err![
            "1~~~a~1y2p0ij32e8e8" => Number,
            "1~~~a~3w5e11264sgsf" => Number,
            "1~~~a~3w5e11264sgsg" => Number,
        ];
        // encode writes later times as MAX_TIME.
        let late = State {
            trail: vec![entry("a", u64::MAX)],
            ..State::default()
        };
        assert_eq!(
            decode(&encode(&late)).unwrap().trail,
            [entry("a", MAX_TIME)]
        );
    }

    #[test]
    fn decode_never_panics_and_never_returns_part_of_a_state() {
        // Every one-byte edit and every truncation of a valid value fails.
        let value = encode(&full_state());
        for i in 0..value.len() {
            assert!(decode(&value[..i]).is_err(), "truncated at {i}");
            for b in 0u8..128 {
                let mut bytes = value.clone().into_bytes();
                if bytes[i] == b {
                    continue;
                }
                bytes[i] = b;
                let edited = String::from_utf8(bytes).unwrap();
                assert!(decode(&edited).is_err(), "{edited}");
            }
        }
        // Random short strings over the alphabet, with and without a valid checksum.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let alphabet = b"~~~~01az_.-AZqfpd";
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 40) as usize;
            let body: String = (0..len)
                .map(|i| char::from(alphabet[((x >> (i % 60)) as usize + i) % alphabet.len()]))
                .collect();
            let _ = decode(&body);
            if let Ok(state) = decode(&with_sum(&format!("1~{body}"))) {
                assert_eq!(decode(&encode(&state)), Ok(state));
            }
        }
    }

    #[test]
    fn every_byte_of_an_encoded_value_is_cookie_and_url_safe() {
        let value = encode(&full_state());
        for b in value.bytes().chain(b"._-~".iter().copied()) {
            assert!(is_value_byte(b));
            // RFC 6265 cookie-octet, and RFC 3986 unreserved.
            assert!(matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e));
            assert!(b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        }
        for b in b";, \"\\=%+/&?#\t\r\n\0" {
            assert!(!is_value_byte(*b), "{b}");
        }
    }

    #[test]
    fn numbers() {
        for (n, s36, s10) in [
            (0, "0", "0"),
            (35, "z", "35"),
            (36, "10", "36"),
            (1_780_000_000, "tfrksg", "1780000000"),
            (u64::MAX, "3w5e11264sgsf", "18446744073709551615"),
        ] {
            let (mut a, mut b) = (String::new(), String::new());
            push_num(&mut a, n, 36);
            push_num(&mut b, n, 10);
            assert_eq!((a.as_str(), b.as_str()), (s36, s10));
            assert_eq!(parse_num(s36, 36), Some(n));
            assert_eq!(parse_num(s10, 10), Some(n));
        }
        for s in [
            "",
            "00",
            "01",
            "Z",
            "-1",
            "+1",
            " 1",
            "1 ",
            "3w5e11264sgsg",
            "é",
        ] {
            assert_eq!(parse_num(s, 36), None, "{s:?}");
        }
        assert_eq!(parse_num("a", 10), None);
        assert_eq!(parse_num("18446744073709551616", 10), None);
    }

    #[test]
    fn fnv1a32_matches_the_reference_values() {
        assert_eq!(fnv1a32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn set_cookie_builds_the_attributes() {
        let a = |max_age, domain, secure| Attributes {
            max_age,
            domain,
            secure,
        };
        for (attrs, want) in [
            (a(60, None, false), "n=v; Path=/; Max-Age=60; SameSite=Lax"),
            (
                a(0, None, true),
                "n=v; Path=/; Max-Age=0; SameSite=Lax; Secure",
            ),
            (
                a(2_592_000, Some("shop.test"), true),
                "n=v; Path=/; Max-Age=2592000; Domain=shop.test; SameSite=Lax; Secure",
            ),
            (
                a(1, Some("shop.test; Secure=no"), false),
                "n=v; Path=/; Max-Age=1; SameSite=Lax",
            ),
            (
                a(1, Some(""), false),
                "n=v; Path=/; Max-Age=1; SameSite=Lax",
            ),
        ] {
            assert_eq!(set_cookie("n", "v", &attrs), want);
        }
    }

    #[test]
    fn max_age_covers_what_the_state_holds() {
        let now = 1_780_000_000;
        let w = 30 * 86_400;
        let visitor = Some("a".repeat(16));
        let only_visitor = State {
            visitor: visitor.clone(),
            ..State::default()
        };
        let long_referral = State {
            referral: Some(Referral {
                expires: now + 2 * w,
                ..referral("a", now)
            }),
            ..only_visitor.clone()
        };
        let expired = State {
            referral: Some(Referral {
                expires: now - 1,
                ..referral("a", 0)
            }),
            trail: vec![entry("a", now - w - 5)],
            ..State::default()
        };
        let fresh_trail = State {
            trail: vec![entry("a", now - 10)],
            ..State::default()
        };
        let forever = State {
            referral: Some(Referral {
                expires: u64::MAX,
                ..referral("a", now)
            }),
            ..State::default()
        };
        assert_eq!(max_age(&State::default(), now, w), 0);
        assert_eq!(max_age(&only_visitor, now, w), w);
        assert_eq!(max_age(&long_referral, now, w), 2 * w);
        assert_eq!(max_age(&expired, now, w), 0);
        assert_eq!(max_age(&fresh_trail, now, w), w - 10);
        assert_eq!(max_age(&forever, now, w), MAX_AGE_CAP);
        assert_eq!(max_age(&only_visitor, u64::MAX, w), 0);
    }

    #[test]
    fn read_finds_the_first_exact_name() {
        read_eq![
            "rt_ref=1", "rt_ref" => Some("1"),
            "a=b; rt_ref=1; c=d", "rt_ref" => Some("1"),
            "rt_ref2=x; xrt_ref=y; rt_ref=1", "rt_ref" => Some("1"),
            "rt_ref=1; rt_ref=2", "rt_ref" => Some("1"),
            "rt_ref=; rt_ref=2", "rt_ref" => Some(""),
            "RT_REF=1", "rt_ref" => None,
            "rt_ref2=x; xrt_ref=y", "rt_ref" => None,
            "  rt_ref \t=\t 1 ;", "rt_ref" => Some("1"),
            "a=b;rt_ref=1", "rt_ref" => Some("1"),
            "rt_ref", "rt_ref" => None,
            "rt_ref", "" => Some("rt_ref"),
            "=v", "" => Some("v"),
            "", "rt_ref" => None,
            ";;; ;", "rt_ref" => None,
            ";;; ;", "" => None,
            "rt_ref=a=b", "rt_ref" => Some("a=b"),
            "rt_ref=\"q\"", "rt_ref" => Some("\"q\""),
            "é=1; rt_ref=ü", "rt_ref" => Some("ü"),
        ];
    }

    #[test]
    fn parse_set_cookie_pair_follows_6265bis() {
        let max = format!("{}={}", "n".repeat(2048), "v".repeat(2048));
        let over = format!("{}={}", "n".repeat(2048), "v".repeat(2049));
        pair_eq![
            "a=b" => Some(("a", "b")),
            "a=b; Path=/" => Some(("a", "b")),
            " a\t= b \t; x" => Some(("a", "b")),
            "a=" => Some(("a", "")),
            "=b" => Some(("", "b")),
            "b" => Some(("", "b")),
            "a==b" => Some(("a", "=b")),
            "a=b c" => Some(("a", "b c")),
            "=" => None,
            "" => None,
            " \t " => None,
            "; a=b" => None,
            "a=b\x7f" => None,
            "a=b\r" => None,
            "a=b; Path=/\n" => None,
            "a\0=b" => None,
            "a=\tb" => Some(("a", "b")),
            &max => Some(("n".repeat(2048).as_str(), "v".repeat(2048).as_str())),
            &over => None,
        ];
    }

    #[test]
    fn decode_error_codes_and_messages_are_distinct() {
        use DecodeError::*;
        let all = [
            Empty,
            Version,
            Byte,
            Checksum,
            Shape,
            Number,
            Affiliate,
            Via,
            Visitor,
            Tag,
            TrailTooLong,
        ];
        for (i, a) in all.iter().enumerate() {
            assert_eq!(a.to_string(), a.as_str());
            for b in &all[i + 1..] {
                assert_ne!(a.code(), b.code());
                assert_ne!(a.as_str(), b.as_str());
            }
        }
    }
}
