//! Capture: what the address a visitor landed on says about the referral, as a [`Touch`].
//!
//! [`capture`] reads the affiliate, the campaign tags and the network click ids from an
//! [`Address`] (`location.pathname`, `location.search` and `location.hash` without the leading
//! `?` and `#`), with `document.referrer` and the page's own host; [`clean`] gives the address
//! without the referral, for `history.replaceState`, so a visitor who shares the page does not
//! pass the affiliate's link on.
//!
//! In the browser the page's own URL machinery does the parsing: the runtime passes the query's
//! and fragment's pairs decoded by `URLSearchParams`, the path form's id decoded by
//! `decodeURIComponent` and the referrer's host from `new URL()` ([`Parsed`], [`crate::pairs`]),
//! and the session calls [`capture_parsed`] and [`clean_parsed`]. [`capture`] and [`clean`]
//! compute the same inputs with the core's own parser ([`parse`], [`split_url`]) for native
//! callers, so one set of rules serves both.
//!
//! # Where the affiliate comes from
//!
//! The first source that holds a valid id wins, in this order:
//!
//! 1. the query, read as `application/x-www-form-urlencoded` ([`crate::query`]): the first pair,
//!    in query order, whose name is one of [`CaptureConfig::params`] and whose decoded value is
//!    a valid id. A pair with an invalid value is skipped, never stored, and a later pair may
//!    still name the affiliate (`?ref=<script>&via=alice` gives `alice`);
//! 2. the fragment, read the same way (`#ref=alice`, `#x=1&ref=alice`). A route in the fragment
//!    (`#/shoes?ref=alice`) is not read: its first pair is named `/shoes?ref`;
//! 3. the path form: `/<prefix>/<id>` or `/<prefix>/<id>/` as the last segments of the path
//!    (`/ref/alice`, `/shoes/ref/alice/`), the id percent-decoded;
//! 4. a cross-domain token, `rt=` in the query ([`crate::decorate`]). A link that names an
//!    affiliate itself is a newer click than the one the token remembers, so any of the forms
//!    above wins over it.
//!
//! Names are compared as the URL Standard compares them: after decoding and case-sensitively,
//! so `REF=alice` is not `ref` (and `r%65f=alice` is). Every id goes through
//! [`AffiliateId::parse`]; an invalid one is ignored.

use crate::affiliate::AffiliateId;
use crate::decorate::{self, Decorated, TOKEN_PARAM};
use crate::pairs;
use crate::query;
use crate::touch::{
    Tag, Touch, Via, CAMPAIGN_PARAMS, CLICK_ID_PARAMS, MAX_LANDING_LEN, MAX_TAG_VALUE_LEN,
};
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

/// Where capture looks for the affiliate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureConfig {
    /// The query (and fragment) parameter names that carry the affiliate id, compared exactly.
    /// Default: `ref`, `aff`, `via`, `affiliate`.
    pub params: Vec<String>,
    /// The path segment before the id in the path form (`ref` reads `/ref/alice/`). Slashes
    /// around it are ignored, and it may span segments (`go/ref`). Empty disables the path form.
    /// Default: `ref`.
    pub path_prefix: String,
    /// Whether the fragment is read (`#ref=alice`). Default: `true`.
    pub fragment: bool,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self {
            params: alloc::vec![
                "ref".to_owned(),
                "aff".to_owned(),
                "via".to_owned(),
                "affiliate".to_owned(),
            ],
            path_prefix: "ref".to_owned(),
            fragment: true,
        }
    }
}

/// The parts of an address that capture reads, as the browser's `location` gives them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Address<'a> {
    /// The path, `location.pathname`: `/shoes/ref/alice/`.
    pub path: &'a str,
    /// The query without the `?`: `ref=alice&utm_source=x`.
    pub query: &'a str,
    /// The fragment without the `#`: `ref=alice`.
    pub fragment: &'a str,
}

/// The address as the browser's runtime passes it, already parsed by the page's own URL
/// machinery: the raw parts of [`Address`] for cleaning, and the query's and fragment's pairs
/// decoded by `URLSearchParams` ([`crate::pairs`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The raw address.
    pub raw: Address<'a>,
    /// The last path segment (before one trailing `/`), percent-decoded as
    /// `decodeURIComponent` does (a `+` stays a `+`); empty when it does not decode.
    pub path_id: &'a str,
    /// The query's pairs ([`crate::pairs`]).
    pub query: &'a str,
    /// The fragment's pairs.
    pub fragment: &'a str,
}

/// The parts of [`Parsed`] that [`parse`] computes for a raw address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// [`Parsed::path_id`].
    pub path_id: String,
    /// [`Parsed::query`].
    pub query: String,
    /// [`Parsed::fragment`].
    pub fragment: String,
}

impl Decoded {
    /// The parsed address for `raw`, borrowing these decoded parts.
    pub fn with<'a>(&'a self, raw: Address<'a>) -> Parsed<'a> {
        Parsed {
            raw,
            path_id: &self.path_id,
            query: &self.query,
            fragment: &self.fragment,
        }
    }
}

/// What the runtime computes with `URLSearchParams` and `decodeURIComponent`, computed by the
/// core's own parser, for native callers and tests.
pub fn parse(addr: &Address<'_>) -> Decoded {
    let bytes = addr.path.as_bytes();
    let bytes = match bytes.split_last() {
        Some((b'/', rest)) => rest,
        _ => bytes,
    };
    let last = bytes
        .get(crate::text::rfind(bytes, b'/').map_or(0, |i| i + 1)..)
        .unwrap_or_default();
    // Ids are ASCII: anything else is refused however it is passed, so a non-ASCII segment
    // is passed as nothing.
    let decoded = query::decode_bytes(last, false);
    let mut path_id = String::new();
    pairs::push_escaped(
        crate::text::ascii(&decoded).unwrap_or_default(),
        &mut path_id,
    );
    Decoded {
        path_id,
        query: pairs::from_raw(addr.query),
        fragment: pairs::from_raw(addr.fragment),
    }
}

/// Splits an absolute `http:` or `https:` URL into its host (lower-case, without userinfo and
/// port) and the rest. `None` for any other scheme, an empty or unusual host, or a bad port.
///
/// It follows the [URL parser] where the host is at stake: leading and trailing C0 controls
/// and spaces are ignored, the scheme is case-insensitive, any run of `/` or `\` may follow it,
/// the authority ends at `/`, `\`, `?` or `#`, and userinfo ends at the last `@`, so
/// `http://evil.test\@shop.test/` is on `evil.test`. It does not do the rest: a URL with a tab or
/// newline inside is refused, and so is a host that is not ASCII letters, digits, `-`, `.`, `_`
/// or a bracketed IPv6 address (browsers serialize every other host to that form). An empty
/// path becomes `/`.
///
/// ```
/// use reftrail::capture::split_url;
/// let (host, addr) = split_url("https://User@WWW.Shop.test:8443/shoes?ref=alice#top").unwrap();
/// assert_eq!((host.as_str(), addr.path, addr.query, addr.fragment), ("www.shop.test", "/shoes", "ref=alice", "top"));
/// assert!(split_url("android-app://com.example/").is_none());
/// ```
///
/// [URL parser]: https://url.spec.whatwg.org/#concept-basic-url-parser
pub fn split_url(url: &str) -> Option<(String, Address<'_>)> {
    let url = trim_c0_control_or_space(url);
    let bytes = url.as_bytes();
    if bytes.iter().any(|&b| matches!(b, b'\t' | b'\n' | b'\r')) {
        return None;
    }
    let colon = crate::text::find(bytes, b':')?;
    let scheme = bytes.get(..colon)?;
    if !(scheme.eq_ignore_ascii_case(b"http") || scheme.eq_ignore_ascii_case(b"https")) {
        return None;
    }
    // "special authority ignore slashes state": any run of `/` and `\` before the authority.
    let after_scheme = bytes.get(colon + 1..)?;
    let skipped = after_scheme
        .iter()
        .position(|&b| b != b'/' && b != b'\\')
        .unwrap_or(after_scheme.len());
    let start = colon + 1 + skipped;
    let authority_len = bytes
        .get(start..)?
        .iter()
        .position(|&b| matches!(b, b'/' | b'\\' | b'?' | b'#'))
        .unwrap_or(bytes.len() - start);
    let authority = bytes.get(start..start + authority_len)?;
    let host = host_of(authority)?;
    let rest = url.get(start + authority_len..)?;
    let (rest, fragment) = split_at_byte(rest, b'#');
    let (path, query) = split_at_byte(rest, b'?');
    let path = if path.is_empty() { "/" } else { path };
    Some((
        host,
        Address {
            path,
            query: query.unwrap_or(""),
            fragment: fragment.unwrap_or(""),
        },
    ))
}

/// Reads the touch from the address a visitor landed on. `referrer` is `document.referrer`,
/// `own_host` is `location.hostname` (a `:port` is ignored), `now` is the time in Unix seconds. See the module docs for
/// where the affiliate comes from.
///
/// - `via` says which form named the affiliate; `at` is `now`, except for a cross-domain token,
///   whose original touch time is kept (capped at `now`, so a token cannot stretch the window
///   into the future) together with its server click id.
/// - Campaign tags ([`CAMPAIGN_PARAMS`]) and click ids ([`CLICK_ID_PARAMS`]) come from the query
///   only: for each name, the first value that is not empty, at most [`MAX_TAG_VALUE_LEN`] bytes
///   and free of control characters once decoded.
/// - `landing` is the path without a path-form referral (`/shoes/ref/alice/` lands on `/shoes/`),
///   cut at a character boundary to [`MAX_LANDING_LEN`] bytes.
/// - `referrer_host` is the referrer's host when the referrer is an `http(s)` URL on another host
///   than `own_host` (compared ASCII case-insensitively).
///
/// ```
/// use reftrail::capture::{capture, split_url, CaptureConfig};
/// use reftrail::touch::Via;
/// let (_, addr) = split_url("https://shop.test/shoes?ref=alice&utm_campaign=spring").unwrap();
/// let touch = capture(&addr, "https://blog.test/post", "shop.test", 1_700_000_000, &CaptureConfig::default());
/// assert_eq!(touch.affiliate.as_deref(), Some("alice"));
/// assert_eq!(touch.via, Some(Via::Query));
/// assert_eq!(touch.campaign_name(), Some("spring"));
/// assert_eq!(touch.referrer_host.as_deref(), Some("blog.test"));
/// ```
pub fn capture(
    addr: &Address<'_>,
    referrer: &str,
    own_host: &str,
    now: u64,
    cfg: &CaptureConfig,
) -> Touch {
    let decoded = parse(addr);
    let referrer = split_url(referrer)
        .map(|(host, _)| host)
        .unwrap_or_default();
    capture_parsed(&decoded.with(*addr), &referrer, own_host, now, cfg)
}

/// [`capture`] on an address the browser has parsed, with the referrer's host as `new URL()`
/// gives it (`hostname` of an `http(s)` referrer, or empty).
pub fn capture_parsed(
    addr: &Parsed<'_>,
    referrer_host: &str,
    own_host: &str,
    now: u64,
    cfg: &CaptureConfig,
) -> Touch {
    let mut from_query = None;
    let mut token: Option<Decorated> = None;
    let mut campaign: [Option<String>; CAMPAIGN_PARAMS.len()] = Default::default();
    let mut click_ids: [Option<String>; CLICK_ID_PARAMS.len()] = Default::default();
    for (_, name, value) in pairs::iter(addr.query) {
        if from_query.is_none() && is_affiliate_param(name, cfg) {
            from_query = AffiliateId::parse(value);
        }
        if token.is_none() && name == TOKEN_PARAM {
            token = decorate::parse_token(value);
        }
        fill_tag(&CAMPAIGN_PARAMS, &mut campaign, name, value);
        fill_tag(&CLICK_ID_PARAMS, &mut click_ids, name, value);
    }
    let path_form = path_form(addr, &cfg.path_prefix);

    let mut at = now;
    let mut click_id = None;
    let found = if let Some(id) = from_query {
        Some((id, Via::Query))
    } else if let Some(id) = cfg
        .fragment
        .then(|| from_fragment(addr.fragment, cfg))
        .flatten()
    {
        Some((id, Via::Fragment))
    } else if let Some((_, id)) = &path_form {
        Some((id.clone(), Via::Path))
    } else if let Some(token) = token {
        at = token.at.min(now);
        click_id = token.click_id;
        Some((token.affiliate, Via::Decorated))
    } else {
        None
    };
    let (affiliate, via) = found.unzip();

    let path = addr.raw.path;
    let landing = match &path_form {
        Some((cut, _)) => path.get(..*cut).unwrap_or(path),
        None => path,
    };
    Touch {
        affiliate,
        via,
        at,
        landing: crate::report::truncate(landing, MAX_LANDING_LEN).to_owned(),
        referrer_host: referrer_host_of(referrer_host, own_host),
        campaign: tags(&CAMPAIGN_PARAMS, &mut campaign),
        click_ids: tags(&CLICK_ID_PARAMS, &mut click_ids),
        click_id,
    }
}

/// The address to show once the referral is captured: `path?query#fragment` without the
/// affiliate parameters (every [`CaptureConfig::params`] name, whatever its value), the
/// cross-domain `rt` token and a path-form referral (`/shoes/ref/alice/` becomes `/shoes/`,
/// `/ref/alice` becomes `/`). `None` when there is nothing to remove.
///
/// The pairs that stay keep their original bytes, in order; empty pairs (`&&`) are dropped
/// with the rest, and an emptied query or fragment loses its `?` or `#`. Campaign tags and
/// click ids stay: analytics tools read them after this runs. The path form is removed only
/// when it holds a valid id, since otherwise capture did not read it as a referral and the
/// segment may be the page's own (`/docs/ref/<script>`). The fragment is left alone when
/// [`CaptureConfig::fragment`] is off.
///
/// ```
/// use reftrail::capture::{clean, Address, CaptureConfig};
/// let addr = Address { path: "/shoes/ref/alice/", query: "utm_source=x&via=bob", fragment: "" };
/// assert_eq!(clean(&addr, &CaptureConfig::default()).as_deref(), Some("/shoes/?utm_source=x"));
/// ```
pub fn clean(addr: &Address<'_>, cfg: &CaptureConfig) -> Option<String> {
    clean_parsed(&parse(addr).with(*addr), cfg)
}

/// [`clean`] on an address the browser has parsed.
pub fn clean_parsed(parsed: &Parsed<'_>, cfg: &CaptureConfig) -> Option<String> {
    let addr = &parsed.raw;
    let path_cut = path_form(parsed, &cfg.path_prefix).map(|(cut, _)| cut);
    let query = without(parsed.query, cfg, true);
    let fragment = if cfg.fragment {
        without(parsed.fragment, cfg, false)
    } else {
        None
    };
    if path_cut.is_none() && query.is_none() && fragment.is_none() {
        return None;
    }
    let path = path_cut
        .and_then(|cut| addr.path.get(..cut))
        .unwrap_or(addr.path);
    let query = query.as_deref().unwrap_or(addr.query);
    let fragment = fragment.as_deref().unwrap_or(addr.fragment);
    let mut out = String::with_capacity(path.len() + query.len() + fragment.len() + 3);
    // An empty URL would resolve to the current one, query included.
    out.push_str(if path.is_empty() { "/" } else { path });
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(fragment);
    }
    Some(out)
}

/// Whether `name` is one of the configured affiliate parameters.
fn is_affiliate_param(name: &str, cfg: &CaptureConfig) -> bool {
    cfg.params.iter().any(|p| !p.is_empty() && p == name)
}

/// The first valid affiliate id among the fragment's configured parameters.
fn from_fragment(fragment: &str, cfg: &CaptureConfig) -> Option<AffiliateId> {
    pairs::iter(fragment)
        .filter(|(_, name, _)| is_affiliate_param(name, cfg))
        .find_map(|(_, _, value)| AffiliateId::parse(value))
}

/// The path form: where the referral starts in `path` (the byte after the `/` before the
/// prefix, so `path[..cut]` is the page's own path) and the id, if the id is valid.
fn path_form(addr: &Parsed<'_>, prefix: &str) -> Option<(usize, AffiliateId)> {
    let path = addr.raw.path;
    let prefix = trim_slashes(prefix).as_bytes();
    if prefix.is_empty() {
        return None;
    }
    let bytes = path.as_bytes();
    // `/ref/alice/` and `/ref/alice`: one trailing slash is allowed.
    let bytes = match bytes.split_last() {
        Some((b'/', rest)) => rest,
        _ => bytes,
    };
    let slash = crate::text::rfind(bytes, b'/')?;
    let before = bytes.get(..slash)?;
    let cut = before.len().checked_sub(prefix.len())?;
    // The prefix must be whole segments: `/xref/alice` is not `/ref/alice`.
    if before.get(cut..)? != prefix || before.get(cut.checked_sub(1)?) != Some(&b'/') {
        return None;
    }
    // A path is not form-encoded: only `%XX` is decoded, a `+` stays a `+` (and is refused).
    let id = AffiliateId::parse(addr.path_id)?;
    Some((cut, id))
}

/// Keeps, in `slots`, the first acceptable value of each of `names` found in the pair.
fn fill_tag(names: &[&'static str], slots: &mut [Option<String>], name: &str, value: &str) {
    let slot = names
        .iter()
        .zip(slots.iter_mut())
        .find(|(n, _)| **n == name);
    if let Some((_, slot @ None)) = slot {
        *slot = tag_value(value);
    }
}

/// A campaign or click-id value, decoded, if it is acceptable.
fn tag_value(value: &str) -> Option<String> {
    let ok =
        !value.is_empty() && value.len() <= MAX_TAG_VALUE_LEN && !crate::text::has_control(value);
    ok.then(|| value.to_owned())
}

/// The tags found, in the order of `names`.
fn tags(names: &[&'static str], slots: &mut [Option<String>]) -> Vec<Tag> {
    let mut out = Vec::new();
    for (&name, slot) in names.iter().zip(slots) {
        if let Some(value) = slot.take() {
            out.push(Tag { name, value });
        }
    }
    out
}

/// The referrer's host, when it is a valid host other than `own_host`. `host` comes lower-cased
/// (`new URL().hostname`, [`split_url`]).
fn referrer_host_of(host: &str, own_host: &str) -> Option<String> {
    (valid_host(host.as_bytes()) && !host.eq_ignore_ascii_case(without_port(own_host)))
        .then(|| host.into())
}

/// `host` without a `:port`, so `location.host` works where `location.hostname` is meant.
fn without_port(host: &str) -> &str {
    let bytes = host.as_bytes();
    let end = match bytes.first() {
        Some(b'[') => crate::text::find(bytes, b']').map(|i| i + 1),
        _ => crate::text::find(bytes, b':'),
    };
    end.and_then(|end| host.get(..end)).unwrap_or(host)
}

/// `input` without the sequences whose decoded name is an affiliate parameter (or, with `token`,
/// the cross-domain token); `None` if there was none.
fn without(list: &str, cfg: &CaptureConfig, token: bool) -> Option<String> {
    let mut out = String::new();
    let mut removed = false;
    for (sequence, name, _) in pairs::iter(list) {
        if (token && name == TOKEN_PARAM) || is_affiliate_param(name, cfg) {
            removed = true;
            continue;
        }
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(sequence);
    }
    removed.then_some(out)
}

/// The host of a URL's authority: after the last `@`, before the port; lower-cased and checked.
fn host_of(authority: &[u8]) -> Option<String> {
    let host_port = match crate::text::rfind(authority, b'@') {
        Some(at) => authority.get(at + 1..)?,
        None => authority,
    };
    let host_len = if host_port.first() == Some(&b'[') {
        1 + crate::text::find(host_port, b']')?
    } else {
        crate::text::find(host_port, b':').unwrap_or(host_port.len())
    };
    let (host, port) = host_port.split_at_checked(host_len)?;
    if !valid_port(port) || !valid_host(host) {
        return None;
    }
    // Checked ASCII just above.
    Some(crate::text::ascii(host)?.to_ascii_lowercase())
}

/// Whether `port` (with its `:`) is empty, or `:` and ASCII digits worth at most 65535 (leading
/// zeros allowed), as the URL parser's port state requires.
fn valid_port(port: &[u8]) -> bool {
    match port.split_first() {
        None => true,
        Some((b':', digits)) => digits
            .iter()
            .try_fold(0u32, |n, &b| {
                let n = n * 10 + u32::from(b.wrapping_sub(b'0'));
                (b.is_ascii_digit() && n <= 65_535).then_some(n)
            })
            .is_some(),
        Some(_) => false,
    }
}

/// Whether `host` is one a browser serializes: a DNS name or IPv4 address in ASCII, or a
/// bracketed IPv6 address. At most 255 bytes.
fn valid_host(host: &[u8]) -> bool {
    if host.is_empty() || host.len() > 255 {
        return false;
    }
    let bracketed = match (host.split_first(), host.split_last()) {
        (Some((b'[', _)), Some((b']', _))) => host.get(1..host.len() - 1),
        _ => None,
    };
    match bracketed {
        Some(ipv6) => {
            !ipv6.is_empty()
                && ipv6
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        None => crate::text::alnum_or(host, b"-._"),
    }
}

/// `s` without leading and trailing C0 controls and spaces (URL parser, first step).
fn trim_c0_control_or_space(s: &str) -> &str {
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|&b| b > b' ').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b > b' ')
        .map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or("")
}

/// `s` without leading and trailing `/`.
fn trim_slashes(s: &str) -> &str {
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|&b| b != b'/').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b'/')
        .map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or("")
}

/// Splits `s` at the first `byte` (ASCII): the part before, and the part after if it was found.
fn split_at_byte(s: &str, byte: u8) -> (&str, Option<&str>) {
    crate::text::split_once(s, byte).map_or((s, None), |(a, b)| (a, Some(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affiliate;
    use crate::decorate::{decorate_href, parse_token, token};
    use crate::state::Referral;
    use alloc::string::ToString;
    use alloc::{format, vec};

    const NOW: u64 = 1_700_000_000;
    const HOST: &str = "shop.test";
    /// `decorate::token` of alice at NOW - 3600 with click id `c42`.
    const TOKEN: &str = "1~alice~s44tm8~c42~1wjrneb";

    /// Splits a relative `path?query#fragment` the way a URL parser does (fragment first).
    fn addr(s: &str) -> Address<'_> {
        let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        Address {
            path,
            query,
            fragment,
        }
    }

    fn cfg(params: &[&str], path_prefix: &str, fragment: bool) -> CaptureConfig {
        CaptureConfig {
            params: params.iter().map(|p| p.to_string()).collect(),
            path_prefix: path_prefix.into(),
            fragment,
        }
    }

    fn touch_with(url: &str, cfg: &CaptureConfig) -> Touch {
        let t = capture(&addr(url), "", HOST, NOW, cfg);
        assert_invariants(&t);
        t
    }

    fn touch(url: &str) -> Touch {
        touch_with(url, &CaptureConfig::default())
    }

    /// What must hold for every touch, whatever the input.
    fn assert_invariants(t: &Touch) {
        assert_eq!(t.affiliate.is_some(), t.via.is_some(), "{t:?}");
        if let Some(id) = &t.affiliate {
            assert!(affiliate::is_valid(id), "{t:?}");
        }
        if let Some(c) = &t.click_id {
            assert!(
                affiliate::is_valid(c) && t.via == Some(Via::Decorated),
                "{t:?}"
            );
        }
        assert!(t.at <= NOW);
        assert!(t.landing.len() <= MAX_LANDING_LEN);
        for tag in t.campaign.iter().chain(&t.click_ids) {
            assert!(
                !tag.value.is_empty() && tag.value.len() <= MAX_TAG_VALUE_LEN,
                "{tag:?}"
            );
            assert!(!tag.value.chars().any(char::is_control), "{tag:?}");
        }
        if let Some(h) = &t.referrer_host {
            assert!(
                valid_host(h.as_bytes()) && *h == h.to_ascii_lowercase(),
                "{h:?}"
            );
        }
    }

    /// One line per case: `aff!(url => id, Via)` or `aff!(url => None)`, optionally `cfg;` first.
    macro_rules! aff {
        ($cfg:expr; $url:expr => None) => {
            let t = touch_with($url, &$cfg);
            assert_eq!((t.affiliate.as_deref(), t.via), (None, None), "{:?}", $url);
        };
        ($cfg:expr; $url:expr => $id:expr, $via:ident) => {
            let t = touch_with($url, &$cfg);
            assert_eq!((t.affiliate.as_deref(), t.via), (Some($id), Some(Via::$via)), "{:?}", $url);
        };
        ($url:expr => $($rest:tt)*) => { aff!(CaptureConfig::default(); $url => $($rest)*); };
    }

    /// One line per case: `cleaned!(url => "new" | None)`, optionally `cfg;` first.
    macro_rules! cleaned {
        ($cfg:expr; $url:expr => None) => {
            assert_eq!(clean(&addr($url), &$cfg), None, "clean({:?})", $url);
        };
        ($cfg:expr; $url:expr => $expected:expr) => {{
            let out = clean(&addr($url), &$cfg);
            assert_eq!(out.as_deref(), Some($expected), "clean({:?})", $url);
            // Idempotent, and what is left names no affiliate in the query or fragment.
            assert_eq!(clean(&addr($expected), &$cfg), None, "clean({:?})", $expected);
            let t = touch_with($expected, &$cfg);
            assert!(!matches!(t.via, Some(Via::Query | Via::Fragment | Via::Decorated)), "{:?}", $expected);
        }};
        ($url:expr => $($rest:tt)*) => { cleaned!(CaptureConfig::default(); $url => $($rest)*); };
    }

    /// One line per case: `referrer!(referrer, own_host => Some(host) | None)`.
    macro_rules! referrer {
        ($referrer:expr, $own:expr => $expected:expr) => {
            let t = capture(&addr("/"), $referrer, $own, NOW, &CaptureConfig::default());
            assert_eq!(
                t.referrer_host.as_deref(),
                $expected,
                "referrer {:?} on {:?}",
                $referrer,
                $own
            );
        };
    }

    /// One line per case: `split!(url => (host, path, query, fragment))` or `split!(url => None)`.
    macro_rules! split {
        ($url:expr => None) => {
            assert_eq!(split_url($url), None, "{:?}", $url);
        };
        ($url:expr => ($host:expr, $path:expr, $query:expr, $fragment:expr)) => {
            let (host, a) = split_url($url).unwrap_or_else(|| panic!("{:?} should split", $url));
            assert_eq!(
                (host.as_str(), a.path, a.query, a.fragment),
                ($host, $path, $query, $fragment),
                "{:?}",
                $url
            );
        };
    }

    /// One line per case: `tags!(url => [campaign (name, value)...], [click ids...])`.
    macro_rules! tags {
        ($url:expr => [$(($cn:expr, $cv:expr)),*], [$(($kn:expr, $kv:expr)),*]) => {{
            let t = touch($url);
            let campaign: Vec<(&str, &str)> = t.campaign.iter().map(|t| (t.name, t.value.as_str())).collect();
            let click_ids: Vec<(&str, &str)> = t.click_ids.iter().map(|t| (t.name, t.value.as_str())).collect();
            let (ec, ek): (Vec<(&str, &str)>, Vec<(&str, &str)>) = (vec![$(($cn, $cv)),*], vec![$(($kn, $kv)),*]);
            assert_eq!((campaign, click_ids), (ec, ek), "{:?}", $url);
        }};
    }

    #[test]
    fn every_link_form() {
        aff!("/?ref=alice" => "alice", Query);
        aff!("/?aff=alice" => "alice", Query);
        aff!("/?via=alice" => "alice", Query);
        aff!("/?affiliate=alice" => "alice", Query);
        aff!("/shoes?utm_source=x&ref=alice" => "alice", Query);
        aff!("/#ref=alice" => "alice", Fragment);
        aff!("/#x=1&via=alice" => "alice", Fragment);
        aff!("/ref/alice/" => "alice", Path);
        aff!("/ref/alice" => "alice", Path);
        aff!("/shoes/ref/alice/" => "alice", Path);
        aff!("/shoes/ref/alice?x=1" => "alice", Path);
        aff!("/ref/ref/alice" => "alice", Path);
        aff!("/ref/ali%63e/" => "alice", Path);
        aff!("/" => None);
        aff!("" => None);
        aff!("/shoes?utm_source=x" => None);
    }

    #[test]
    fn near_misses_are_not_referrals() {
        aff!("/?refs=alice" => None);
        aff!("/?xref=alice" => None);
        aff!("/?ref_=alice" => None);
        aff!("/?ref%20=alice" => None);
        aff!("/?ref+=alice" => None);
        aff!("/?REF=alice" => None); // names are case-sensitive, as in URLSearchParams
        aff!("/?Ref=alice" => None);
        aff!("/?VIA=alice" => None);
        aff!("/?r%65f=alice" => "alice", Query); // names are compared decoded
        aff!("/?ref=al%69ce" => "alice", Query);
        aff!("/?;ref=alice" => None);
        aff!("/#/shoes?ref=alice" => None); // a fragment route is not read
        aff!("/#!ref=alice" => None);
        aff!("/#ref" => None);
        aff!("/xref/alice" => None);
        aff!("/refs/alice" => None);
        aff!("/REF/alice" => None);
        aff!("/ref/" => None);
        aff!("/ref" => None);
        aff!("/ref//" => None);
        aff!("/ref/alice//" => None);
        aff!("/ref/alice/shoes" => None);
        aff!("ref/alice" => None);
        aff!("/ref/ali+ce" => None);
        aff!("/ref/ali%20ce" => None);
        aff!("/%72ef/alice" => None); // the prefix is compared raw
    }

    #[test]
    fn repeated_names_first_valid_wins() {
        aff!("/?ref=alice&ref=bob" => "alice", Query);
        aff!("/?via=bob&ref=alice" => "bob", Query);
        aff!("/?affiliate=carol&aff=bob&ref=alice" => "carol", Query);
        aff!("/?ref=&ref=alice" => "alice", Query);
        aff!("/?ref&ref=alice" => "alice", Query);
        aff!("/?ref=%3Cscript%3E&via=alice" => "alice", Query);
        aff!("/?ref=javascript:alert(1)&ref=alice" => "alice", Query);
        aff!("/#ref=<x>&ref=alice" => "alice", Fragment);
    }

    #[test]
    fn invalid_ids_are_never_stored() {
        let long = "x".repeat(65);
        let max = "x".repeat(64);
        for bad in [
            "javascript:alert(1)",
            "javascript%3Aalert(1)",
            "<script>",
            "%3Cscript%3Ealert(1)%3C/script%3E",
            long.as_str(),
            "%00",
            "alice%00",
            "ali%20ce",
            "ali+ce",
            "alice%0A",
            "alice%0D%0ASet-Cookie:x=y",
            "ali%E2%80%8Bce",
            "%C0%AE",
            "%ED%A0%80",
            "nguy%E1%BB%85n",
            "alice;path=/",
            "a%2Fb",
            "a%25",
            "%",
            "%zz",
            "",
        ] {
            for form in [
                format!("/?ref={bad}"),
                format!("/#ref={bad}"),
                format!("/ref/{bad}/"),
                format!("/ref/{bad}"),
            ] {
                aff!(&form => None);
            }
        }
        aff!(&format!("/?ref={max}") => max.as_str(), Query);
        aff!(&format!("/ref/{max}/") => max.as_str(), Path);
        aff!(&format!("/?ref={}", "%78".repeat(64)) => max.as_str(), Query);
        aff!(&format!("/?ref={}", "%78".repeat(65)) => None);
    }

    #[test]
    fn query_then_fragment_then_path_then_token() {
        aff!("/?ref=alice#ref=bob" => "alice", Query);
        aff!("/ref/carol/?ref=alice" => "alice", Query);
        aff!("/ref/carol/#ref=bob" => "bob", Fragment);
        aff!("/ref/carol/?ref=%3Cx%3E#ref=bob" => "bob", Fragment);
        aff!("/ref/carol/?ref=%3Cx%3E#ref=%3Cy%3E" => "carol", Path);
        aff!(&format!("/?rt={TOKEN}&ref=bob") => "bob", Query);
        aff!(&format!("/?ref=bob&rt={TOKEN}") => "bob", Query);
        aff!(&format!("/?rt={TOKEN}#ref=bob") => "bob", Fragment);
        aff!(&format!("/ref/bob/?rt={TOKEN}") => "bob", Path);
        aff!(&format!("/?ref=%3Cx%3E&rt={TOKEN}") => "alice", Decorated);
    }

    #[test]
    fn custom_configuration() {
        let partner = cfg(&["partner"], "go", true);
        aff!(partner; "/?partner=alice" => "alice", Query);
        aff!(partner; "/?ref=alice" => None);
        aff!(partner; "/#partner=alice" => "alice", Fragment);
        aff!(partner; "/go/alice" => "alice", Path);
        aff!(partner; "/shop/go/alice/" => "alice", Path);
        aff!(partner; "/ref/alice" => None);
        let nested = cfg(&["ref"], "/p/ref/", true);
        aff!(nested; "/x/p/ref/alice" => "alice", Path);
        aff!(nested; "/p/ref/alice/" => "alice", Path);
        aff!(nested; "/x/ref/alice" => None);
        aff!(nested; "/xp/ref/alice" => None);
        let no_path = cfg(&["ref"], "", true);
        aff!(no_path; "/ref/alice" => None);
        let slashes_only = cfg(&["ref"], "//", true);
        aff!(slashes_only; "/ref/alice" => None);
        aff!(slashes_only; "//alice" => None);
        let no_fragment = cfg(&["ref"], "ref", false);
        aff!(no_fragment; "/#ref=alice" => None);
        aff!(no_fragment; "/?ref=alice" => "alice", Query);
        let empty_name = cfg(&[""], "ref", true);
        aff!(empty_name; "/?=alice" => None);
        let none = cfg(&[], "", false);
        aff!(none; "/?ref=alice#ref=alice" => None);
        aff!(none; &format!("/?rt={TOKEN}") => "alice", Decorated);
    }

    #[test]
    fn decorated_touch_keeps_the_original_time() {
        let t = touch(&format!("/checkout?rt={TOKEN}"));
        assert_eq!(
            (t.affiliate.as_deref(), t.via),
            (Some("alice"), Some(Via::Decorated))
        );
        assert_eq!(t.at, NOW - 3600);
        assert_eq!(t.click_id.as_deref(), Some("c42"));
        // Percent-encoded by a URLSearchParams round trip.
        let t = touch(&format!("/?rt={}", TOKEN.replace('~', "%7E")));
        assert_eq!((t.affiliate.as_deref(), t.at), (Some("alice"), NOW - 3600));
        // An explicit affiliate wins and the token's time and click id go with it.
        let t = touch(&format!("/?rt={TOKEN}&ref=bob"));
        assert_eq!((t.at, t.click_id), (NOW, None));
        // First valid token wins.
        let t = touch(&format!("/?rt=junk&rt={TOKEN}"));
        assert_eq!(t.via, Some(Via::Decorated));
        // Not in the fragment, not under another name, not tampered.
        aff!(&format!("/#rt={TOKEN}") => None);
        aff!(&format!("/?RT={TOKEN}") => None);
        aff!(&format!("/?rt={}", TOKEN.replace("alice", "alicf")) => None);
        aff!(&format!("/?rt={}", &TOKEN[..TOKEN.len() - 1]) => None);
        // A token from the future cannot stretch the window.
        let future = token(&Referral {
            affiliate: AffiliateId::parse("alice").unwrap(),
            via: Via::Query,
            at: NOW + 10_000_000,
            expires: u64::MAX,
            click_id: None,
            campaign: None,
        });
        assert_eq!(touch(&format!("/?rt={future}")).at, NOW);
    }

    #[test]
    fn token_constant_is_what_decorate_makes() {
        let d = parse_token(TOKEN).unwrap();
        assert_eq!(
            (d.affiliate.as_str(), d.at, d.click_id.as_deref()),
            ("alice", NOW - 3600, Some("c42"))
        );
    }

    #[test]
    fn cross_domain_journey() {
        // www.shop.test: a visitor arrives through alice's link.
        let (_, landing) = split_url("https://www.shop.test/shoes?ref=alice").unwrap();
        let first = capture(
            &landing,
            "",
            "www.shop.test",
            NOW - 60,
            &CaptureConfig::default(),
        );
        let referral = Referral {
            affiliate: first.affiliate.clone().unwrap(),
            via: first.via.unwrap(),
            at: first.at,
            expires: first.at + 30 * 86_400,
            click_id: Some("clk_9".into()),
            campaign: None,
        };
        // The checkout link to pay.example is decorated.
        let domains = ["pay.example".to_string()];
        let (host, link) = split_url("https://pay.example/checkout?cart=42&rt=stale").unwrap();
        assert!(crate::decorate::host_matches(&host, &domains));
        let href = format!(
            "https://{host}{}?{}",
            link.path,
            decorate_href(link.query, &token(&referral))
        );
        // pay.example: the token gives the same affiliate, time and click id.
        let (host, arrived) = split_url(&href).unwrap();
        let second = capture(
            &arrived,
            "https://www.shop.test/cart",
            &host,
            NOW,
            &CaptureConfig::default(),
        );
        assert_eq!(second.affiliate, first.affiliate);
        assert_eq!(
            (second.via, second.at, second.click_id.as_deref()),
            (Some(Via::Decorated), NOW - 60, Some("clk_9"))
        );
        assert_eq!(second.referrer_host.as_deref(), Some("www.shop.test"));
        assert_eq!(
            clean(&arrived, &CaptureConfig::default()).as_deref(),
            Some("/checkout?cart=42")
        );
    }

    #[test]
    fn campaign_tags_and_click_ids() {
        tags!("/" => [], []);
        tags!("/?utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=t&utm_content=c&campaign=k" =>
            [("utm_source", "news"), ("utm_medium", "email"), ("utm_campaign", "spring"), ("utm_term", "t"), ("utm_content", "c"), ("campaign", "k")], []);
        tags!("/?campaign=k&utm_source=news" => [("utm_source", "news"), ("campaign", "k")], []);
        tags!("/?utm_source=a&utm_source=b" => [("utm_source", "a")], []);
        tags!("/?utm_source=&utm_source=b" => [("utm_source", "b")], []);
        tags!("/?utm_source" => [], []);
        tags!("/?utm_campaign=spring+sale%21" => [("utm_campaign", "spring sale!")], []);
        tags!("/?utm_campaign=%E6%98%A5" => [("utm_campaign", "春")], []);
        tags!("/?utm_source=a%0Ab" => [], []);
        tags!("/?utm_source=a%00" => [], []);
        tags!("/?utm_source=a%7F" => [], []);
        tags!("/?utm_source=a%C2%85" => [], []); // C1 control (NEL)
        tags!("/?utm_source=a%09b&utm_source=ok" => [("utm_source", "ok")], []);
        tags!("/?UTM_SOURCE=x&Gclid=y" => [], []);
        tags!("/#utm_source=x&gclid=y" => [], []);
        tags!("/?utm_sourc=x&gclid_=y" => [], []);
        tags!("/?gclid=Cj0K&fbclid=IwAR" => [], [("gclid", "Cj0K"), ("fbclid", "IwAR")]);
        tags!("/?sscid=1&gclid=2" => [], [("gclid", "2"), ("sscid", "1")]);
        tags!("/?gclid=1&gclid=2" => [], [("gclid", "1")]);
        tags!("/?ref=cashback&sub1=u%2042&sub3=&sub2=x" => [], [("sub1", "u 42"), ("sub2", "x")]);
        tags!("/?sub6=x&sub=y&SUB1=z&sub1=%3Cb%3E" => [], [("sub1", "<b>")]);
        tags!("/?ref=alice&utm_medium=aff&irclickid=x%2By" => [("utm_medium", "aff")], [("irclickid", "x+y")]);
        let all: String = CLICK_ID_PARAMS
            .iter()
            .rev()
            .map(|n| format!("{n}=v&"))
            .collect();
        let t = touch(&format!("/?{all}"));
        assert_eq!(
            t.click_ids.iter().map(|t| t.name).collect::<Vec<_>>(),
            CLICK_ID_PARAMS
        );
        let ok = "v".repeat(MAX_TAG_VALUE_LEN);
        let long = "v".repeat(MAX_TAG_VALUE_LEN + 1);
        tags!(&format!("/?utm_term={ok}&gclid={long}") => [("utm_term", ok.as_str())], []);
        tags!(&format!("/?utm_term={long}&utm_term=short") => [("utm_term", "short")], []);
        // 256 bytes once decoded: 86 three-byte characters are 258 bytes.
        tags!(&format!("/?utm_term={}", "%E6%98%A5".repeat(86)) => [], []);
        assert!(touch("/?utm_source=x").affiliate.is_none());
    }

    #[test]
    fn landing_path() {
        assert_eq!(touch("/shoes?ref=alice#x").landing, "/shoes");
        assert_eq!(touch("/shoes/ref/alice/").landing, "/shoes/");
        assert_eq!(touch("/shoes/ref/alice/?ref=bob").landing, "/shoes/");
        assert_eq!(touch("/ref/alice").landing, "/");
        assert_eq!(touch("/ref/%3Cx%3E").landing, "/ref/%3Cx%3E");
        assert_eq!(touch("/caf%C3%A9").landing, "/caf%C3%A9");
        let long = format!("/{}", "a".repeat(600));
        assert_eq!(touch(&long).landing, long[..MAX_LANDING_LEN]);
        // 1 + 2n bytes: 512 splits an `é`, so the cut falls back to 511.
        let wide = format!("/{}", "é".repeat(300));
        assert_eq!(touch(&wide).landing.len(), 511);
        assert_eq!(touch(&format!("/{}", "€".repeat(200))).landing.len(), 511);
    }

    #[test]
    fn referrer_host_rules() {
        referrer!("https://blog.test/post", HOST => Some("blog.test"));
        referrer!("http://blog.test", HOST => Some("blog.test"));
        referrer!("HTTPS://Blog.TEST:8443/x?y#z", HOST => Some("blog.test"));
        referrer!("https://user:pw@blog.test/", HOST => Some("blog.test"));
        referrer!("https://www.shop.test/", HOST => Some("www.shop.test"));
        referrer!("https://shop.test/cart", HOST => None);
        referrer!("https://SHOP.test/", HOST => None);
        referrer!("https://shop.test/", "SHOP.TEST" => None);
        referrer!("https://shop.test:8443/", HOST => None);
        referrer!("https://shop.test/", "shop.test:8080" => None);
        referrer!("https://blog.test/", "shop.test:8080" => Some("blog.test"));
        referrer!("https://[::1]:8080/", "[::1]:8080" => None);
        referrer!("https://[::1]/", "[::1]" => None);
        referrer!("https://[::2]/", "[::1]:8080" => Some("[::2]"));
        referrer!("", HOST => None);
        referrer!("android-app://com.google.android.gm/", HOST => None);
        referrer!("ftp://blog.test/", HOST => None);
        referrer!("httpx://blog.test/", HOST => None);
        referrer!("javascript:alert(1)", HOST => None);
        referrer!("//blog.test/", HOST => None);
        referrer!("blog.test", HOST => None);
        referrer!("https:///", HOST => None);
        referrer!("https://evil.test\\@shop.test/", HOST => Some("evil.test"));
        referrer!("https://shop.test@evil.test/", HOST => Some("evil.test"));
        referrer!("https://[::1]:8080/", HOST => Some("[::1]"));
        referrer!("https://[2001:DB8::1]/", HOST => Some("[2001:db8::1]"));
        referrer!("https://blog.test:99999/", HOST => None);
        referrer!("https://blog.test:8a/", HOST => None);
        referrer!("https://bl og.test/", HOST => None);
        referrer!("https://blög.test/", HOST => None);
        referrer!("https://xn--blg-7qa.test/", HOST => Some("xn--blg-7qa.test"));
        referrer!("https://bl%6Fg.test/", HOST => None);
        referrer!("  https://blog.test/ \n", HOST => Some("blog.test"));
        referrer!("https://blog\n.test/", HOST => None);
        referrer!("http:blog.test", HOST => Some("blog.test"));
        referrer!("https:\\\\blog.test", HOST => Some("blog.test"));
        referrer!(&format!("https://{}.test/", "a".repeat(300)), HOST => None);
    }

    #[test]
    fn split_url_parts() {
        split!("https://shop.test" => ("shop.test", "/", "", ""));
        split!("https://shop.test?x#y" => ("shop.test", "/", "x", "y"));
        split!("https://shop.test/a?b?c#d#e" => ("shop.test", "/a", "b?c", "d#e"));
        split!("https://shop.test#f?x" => ("shop.test", "/", "", "f?x"));
        split!("HTTP://SHOP.TEST/A" => ("shop.test", "/A", "", ""));
        split!("https://shop.test:443/" => ("shop.test", "/", "", ""));
        split!("https://shop.test:/" => ("shop.test", "/", "", ""));
        split!("https://@shop.test/" => ("shop.test", "/", "", ""));
        split!("https://a@b@shop.test/" => ("shop.test", "/", "", ""));
        split!("https://192.168.0.1:8080/x" => ("192.168.0.1", "/x", "", ""));
        split!("https://shop.test:65536/" => None);
        split!("https://shop.test:-1/" => None);
        split!("https://shop.test:000443/" => ("shop.test", "/", "", ""));
        split!("https://shop.test:0000000000000000000000080/" => ("shop.test", "/", "", ""));
        split!("https://shop.test:99999999999999999999/" => None);
        split!("https://shop.test:1:2/" => None);
        split!("https://[::1/" => None);
        split!("https://[]/" => None);
        split!("https://[::1]x/" => None);
        split!("https://shop.test\0/" => None);
        split!("https:" => None);
        split!("https" => None);
        split!("" => None);
        split!("mailto:a@shop.test" => None);
        split!("data:text/html,x" => None);
    }

    #[test]
    fn clean_removes_the_referral_only() {
        cleaned!("/shoes?ref=alice" => "/shoes");
        cleaned!("/shoes?ref=alice&utm_source=x" => "/shoes?utm_source=x");
        cleaned!("/shoes?utm_source=x&ref=alice&gclid=1" => "/shoes?utm_source=x&gclid=1");
        cleaned!("/?a=%41+b&ref=alice&c&d=%zz" => "/?a=%41+b&c&d=%zz");
        cleaned!("/?ref=alice&ref=bob&via=carol&aff=d&affiliate=e" => "/");
        cleaned!("/?ref=%3Cscript%3E" => "/");
        cleaned!("/?ref=&x=1" => "/?x=1");
        cleaned!("/?r%65f=alice&x=1" => "/?x=1");
        cleaned!(&format!("/?rt={TOKEN}&x=1") => "/?x=1");
        cleaned!("/?rt=junk" => "/");
        cleaned!("/?ref=alice&&x=1&" => "/?x=1");
        cleaned!("/#ref=alice" => "/");
        cleaned!("/?x=1#ref=alice&y=2" => "/?x=1#y=2");
        cleaned!("/shoes/ref/alice/" => "/shoes/");
        cleaned!("/ref/alice" => "/");
        cleaned!("/ref/alice/" => "/");
        cleaned!("/shoes/ref/alice/?utm_source=x#top" => "/shoes/?utm_source=x#top");
        cleaned!("/ref/alice/?ref=bob#via=carol" => "/");
        cleaned!("?ref=alice" => "/");
        cleaned!("/?x=1" => None);
        cleaned!("/" => None);
        cleaned!("" => None);
        cleaned!("/shoes?utm_source=x&gclid=1#top" => None);
        cleaned!("/?REF=alice&Via=bob" => None);
        cleaned!("/?refs=alice" => None);
        cleaned!("/#top" => None);
        cleaned!("/#/shoes?ref=alice" => None);
        cleaned!(&format!("/#rt={TOKEN}") => None);
        cleaned!("/docs/ref/%3Cx%3E" => None);
        cleaned!("/xref/alice" => None);
        cleaned!(cfg(&["ref"], "ref", false); "/#ref=alice" => None);
        cleaned!(cfg(&["ref"], "ref", false); "/?ref=alice#ref=alice" => "/#ref=alice");
        cleaned!(cfg(&["partner"], "go", true); "/go/alice/?partner=a&ref=b" => "/?ref=b");
        cleaned!(cfg(&["partner"], "", true); "/go/alice/?ref=b" => None);
    }

    #[test]
    fn megabyte_addresses() {
        let big = "a".repeat(1 << 20);
        aff!(&format!("/?ref={big}") => None);
        aff!(&format!("/?x={big}&ref=alice") => "alice", Query);
        aff!(&format!("/?{}ref=alice", "&".repeat(1 << 20)) => "alice", Query);
        aff!(&format!("/?ref={}", "%".repeat(1 << 20)) => None);
        aff!(&format!("/?utm_source={}", "%41".repeat(1 << 18)) => None);
        aff!(&format!("/ref/{big}") => None);
        aff!(&format!("/{big}/ref/alice") => "alice", Path);
        aff!(&format!("/#{big}&ref=alice") => "alice", Fragment);
        assert_eq!(touch(&format!("/{big}")).landing.len(), MAX_LANDING_LEN);
        assert_eq!(
            clean(
                &addr(&format!("/?x={big}&ref=alice")),
                &CaptureConfig::default()
            )
            .map(|s| s.len()),
            Some(big.len() + 4)
        );
        referrer!(&format!("https://blog.test/{big}"), HOST => Some("blog.test"));
    }

    /// xorshift64: a fixed-seed generator, so every run feeds the same inputs.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn ten_thousand_random_inputs() {
        const PIECES: &[&str] = &[
            "ref",
            "via",
            "aff",
            "affiliate",
            "rt",
            "REF",
            "=",
            "=",
            "&",
            "&",
            "%",
            "%2",
            "%41",
            "%C3",
            "%A9",
            "%00",
            "%ED%A0%80",
            "%C0%AF",
            "+",
            "/",
            "/",
            "?",
            "#",
            "alice",
            "bob",
            "a.b",
            "~",
            TOKEN,
            "1~",
            "utm_source",
            "utm_campaign",
            "gclid",
            "é",
            "\0",
            "\u{FFFD}",
            "<script>",
            "..",
            "ref/alice",
            "/ref/",
            "https://",
            "http://",
            "@",
            ":",
            "\\",
            "[",
            "]",
            " ",
            "\n",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ];
        const NAMES: &[&str] = &[
            "ref",
            "via",
            "rt",
            "utm_source",
            "gclid",
            "x",
            "/ref/alice?ref",
        ];
        let configs = [
            CaptureConfig::default(),
            cfg(&["via", ""], "/a/ref/", false),
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut captured = 0;
        let mut cleaned = 0;
        for i in 0..10_000 {
            let bytes: Vec<u8> = if i % 2 == 0 {
                (0..rng.below(80)).map(|_| rng.next() as u8).collect()
            } else {
                // Half raw pieces, half `name=value` pairs, so referrals are common.
                let mut s = String::new();
                for _ in 0..rng.below(12) {
                    if rng.below(2) == 0 {
                        s.push_str(PIECES[rng.below(PIECES.len())]);
                    } else {
                        s.push_str(NAMES[rng.below(NAMES.len())]);
                        s.push('=');
                        s.push_str(PIECES[rng.below(PIECES.len())]);
                        s.push(['&', '&', '#', '/', '?'][rng.below(5)]);
                    }
                }
                s.into_bytes()
            };
            let _ = query::parse(&bytes).count();
            let _ = query::get(&bytes, "ref");
            let s = String::from_utf8_lossy(&bytes);
            if let Some(d) = parse_token(&s) {
                assert!(affiliate::is_valid(&d.affiliate));
                assert!(d.click_id.as_deref().is_none_or(affiliate::is_valid));
            }
            let _ = split_url(&s);
            let whole = Address {
                path: &s,
                query: &s,
                fragment: &s,
            };
            for cfg in &configs {
                for a in [addr(&s), whole] {
                    let t = capture(&a, &s, HOST, NOW, cfg);
                    assert_invariants(&t);
                    captured += usize::from(t.affiliate.is_some());
                    let Some(out) = clean(&a, cfg) else { continue };
                    cleaned += 1;
                    if a == addr(&s) {
                        // What is left names no affiliate in the query or the fragment.
                        let left = addr(&out);
                        assert!(
                            query::parse(left.query.as_bytes())
                                .all(|(n, _)| n != TOKEN_PARAM && !is_affiliate_param(&n, cfg)),
                            "{s:?} -> {out:?}"
                        );
                        assert!(
                            !cfg.fragment
                                || query::parse(left.fragment.as_bytes())
                                    .all(|(n, _)| !is_affiliate_param(&n, cfg)),
                            "{s:?} -> {out:?}"
                        );
                    }
                }
            }
        }
        // The generator does reach the interesting paths.
        assert!(
            captured > 1000 && cleaned > 1000,
            "captured {captured}, cleaned {cleaned}"
        );
    }
}
