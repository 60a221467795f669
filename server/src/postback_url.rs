//! Postback URL templates: an affiliate's tracker address with `{macro}` placeholders, which the
//! server fills in for each event of the affiliate's referrals and requests with `GET`
//! (`https://track.example/pb?click={sub1}&payout={commission}&status={status}`).
//!
//! Pure: checking a template, filling it in, writing amounts. The values are percent-encoded
//! (everything but RFC 3986's unreserved characters), so a value never adds a parameter or
//! changes the path. `tests/vectors/postback.json` pins both, for the WordPress plugin too.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reftrail::money::Currency;
use std::net::IpAddr;

/// The longest template accepted, in bytes.
pub const MAX_LEN: usize = 2048;

/// The macros a template may use, in the order the portal lists them.
pub const MACROS: [&str; 17] = [
    "event",
    "status",
    "kind",
    "referral_id",
    "amount",
    "amount_minor",
    "commission",
    "commission_minor",
    "currency",
    "campaign",
    "click_id",
    "sub1",
    "sub2",
    "sub3",
    "sub4",
    "sub5",
    "timestamp",
];

/// What percent-encoding leaves alone in a value: RFC 3986's unreserved characters.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a template was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// Longer than [`MAX_LEN`].
    TooLong,
    /// A space or a control character.
    Whitespace,
    /// `{name}` with a name not in [`MACROS`].
    UnknownMacro(String),
    /// A `{` without its `}`, or a `}` alone.
    Brace,
    /// Not an absolute `http:` or `https:` address with a host once filled in.
    NotHttp,
    /// A macro in the scheme, host or port: a visitor's link must not choose the host called.
    MacroInHost,
    /// A user name or password in the address.
    Credentials,
    /// A host in a private network (loopback, LAN, link-local), which this server does not call.
    PrivateHost,
}

impl TemplateError {
    /// The error's kind, as the vectors name it: `too_long`, `whitespace`, `unknown_macro`,
    /// `brace`, `not_http`, `macro_in_host`, `credentials` or `private_host`.
    pub fn kind(&self) -> &'static str {
        match self {
            TemplateError::TooLong => "too_long",
            TemplateError::Whitespace => "whitespace",
            TemplateError::UnknownMacro(_) => "unknown_macro",
            TemplateError::Brace => "brace",
            TemplateError::NotHttp => "not_http",
            TemplateError::MacroInHost => "macro_in_host",
            TemplateError::Credentials => "credentials",
            TemplateError::PrivateHost => "private_host",
        }
    }

    /// The message the API answers with.
    pub fn message(&self) -> String {
        match self {
            TemplateError::TooLong => format!("a postback URL has at most {MAX_LEN} characters"),
            TemplateError::Whitespace => {
                "a postback URL has no spaces or control characters".into()
            }
            TemplateError::UnknownMacro(m) => format!(
                "{{{m}}} is not a macro; the macros are {}",
                MACROS.map(|m| format!("{{{m}}}")).join(" ")
            ),
            TemplateError::Brace => {
                "braces only surround a macro, as in {sub1}; write a literal one as %7B or %7D"
                    .into()
            }
            TemplateError::NotHttp => "a postback URL is an http:// or https:// address".into(),
            TemplateError::MacroInHost => {
                "the host of a postback URL is written out; macros go in its path or query".into()
            }
            TemplateError::Credentials => {
                "a postback URL carries no user name or password; put a token in the query".into()
            }
            TemplateError::PrivateHost => {
                "a postback URL points to a public host, not into a private network".into()
            }
        }
    }
}

/// One part of a template: text as written, or a macro.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Macro(&'static str),
}

/// A checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(String);

impl Template {
    /// Checks `text` (surrounding whitespace removed). `allow_private` lets it name a loopback
    /// or private-network host (a server whose trackers are on its own network, or a test).
    pub fn parse(text: &str, allow_private: bool) -> Result<Template, TemplateError> {
        let text = text.trim();
        if text.len() > MAX_LEN {
            return Err(TemplateError::TooLong);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TemplateError::Whitespace);
        }
        let pieces = pieces(text)?;
        let url = url::Url::parse(&fill(&pieces, |_| "0")).map_err(|_| TemplateError::NotHttp)?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(TemplateError::NotHttp);
        }
        // Filled in twice with different values, as a browser parses it: a macro anywhere in
        // the host or port (however many slashes precede it) changes them.
        let other = url::Url::parse(&fill(&pieces, |_| "1")).map_err(|_| TemplateError::NotHttp)?;
        if (url.host_str(), url.port()) != (other.host_str(), other.port()) {
            return Err(TemplateError::MacroInHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TemplateError::Credentials);
        }
        if !allow_private && private_host(&url) {
            return Err(TemplateError::PrivateHost);
        }
        Ok(Template(text.to_owned()))
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address for `value` of each macro (`None`: empty), values percent-encoded.
    pub fn expand<'v>(&self, value: impl Fn(&str) -> Option<&'v str>) -> String {
        // A checked template always splits.
        let pieces = pieces(&self.0).unwrap_or_default();
        fill(&pieces, |m| value(m).unwrap_or(""))
    }
}

/// Splits `text` into text and macros.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(TemplateError::Brace);
        }
        // The next brace closes this one.
        let close = rest[open + 1..]
            .find(['{', '}'])
            .map(|i| open + 1 + i)
            .filter(|&i| rest.as_bytes()[i] == b'}')
            .ok_or(TemplateError::Brace)?;
        let name = &rest[open + 1..close];
        let known = MACROS
            .iter()
            .find(|m| **m == name)
            .ok_or_else(|| TemplateError::UnknownMacro(name.to_owned()))?;
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        out.push(Piece::Macro(known));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// The template with each macro replaced by its encoded value.
fn fill<'v>(pieces: &[Piece<'_>], value: impl Fn(&str) -> &'v str) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Macro(m) => out.extend(utf8_percent_encode(value(m), VALUE)),
        }
    }
    out
}

/// Whether `url`'s host is a name or address of a private network: `localhost` and its
/// subdomains, or an IP address that is not public.
fn private_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.strip_suffix('.').unwrap_or(d);
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(a)) => !is_public(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => !is_public(IpAddr::V6(a)),
        None => false,
    }
}

/// Whether `ip` is reachable on the public internet: not loopback, private (RFC 1918, unique
/// local), shared (100.64/10), link-local, unspecified, broadcast, multicast or reserved for
/// documentation; an IPv4-mapped IPv6 address is judged as its IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let [o0, o1, ..] = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_multicast()
                || a.is_documentation()
                || o0 == 0
                || o0 >= 240
                || (o0 == 100 && (64..128).contains(&o1))
                || (o0 == 192 && o1 == 0 && a.octets()[2] == 0))
        }
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                !(a.is_loopback()
                    || a.is_unspecified()
                    || a.is_multicast()
                    || a.is_unique_local()
                    || a.is_unicast_link_local()
                    || a.segments()[0] == 0x2001 && a.segments()[1] == 0x0db8)
            }
        },
    }
}

/// `minor` units of `currency` as a decimal number in major units, without grouping:
/// `1250` USD is `12.50`, `150000` VND is `150000`, `-5` THB is `-0.05`.
pub fn decimal(minor: i64, currency: Currency) -> String {
    let exp = u32::from(currency.exponent());
    let digits = minor.unsigned_abs().to_string();
    let sign = if minor < 0 { "-" } else { "" };
    if exp == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = exp as usize + 1);
    let (whole, frac) = padded.split_at(padded.len() - exp as usize);
    format!("{sign}{whole}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Value {
        let text = include_str!("../../tests/vectors/postback.json");
        serde_json::from_str(text).expect("postback.json")
    }

    fn template_of(case: &Value) -> String {
        let mut t = case["template"].as_str().unwrap().to_owned();
        if let Some(n) = case["pad_to"].as_u64() {
            let pad = n as usize - t.len();
            t.push_str(&"a".repeat(pad));
        }
        t
    }

    #[test]
    fn expand_vectors() {
        for case in vectors()["expand"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let t = Template::parse(&template_of(case), false)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let values = case["values"].as_object().unwrap();
            let url = t.expand(|m| values.get(m).and_then(Value::as_str));
            assert_eq!(url, case["url"].as_str().unwrap(), "{name}");
        }
    }

    #[test]
    fn invalid_vectors() {
        for case in vectors()["invalid"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let allow = case["allow_private"].as_bool().unwrap_or(false);
            let err = Template::parse(&template_of(case), allow).expect_err(name);
            assert_eq!(err.kind(), case["error"].as_str().unwrap(), "{name}");
            assert!(!err.message().is_empty());
        }
    }

    #[test]
    fn valid_vectors() {
        for case in vectors()["valid"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let allow = case["allow_private"].as_bool().unwrap_or(false);
            let t = template_of(case);
            let parsed = Template::parse(&t, allow).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(parsed.as_str(), t.trim(), "{name}");
        }
    }

    #[test]
    fn amount_vectors() {
        for case in vectors()["amounts"].as_array().unwrap() {
            let minor = case["minor"].as_i64().unwrap();
            let currency = Currency::parse(case["currency"].as_str().unwrap()).unwrap();
            assert_eq!(decimal(minor, currency), case["decimal"].as_str().unwrap());
        }
    }

    #[test]
    fn unknown_macro_message_names_it_and_lists_the_macros() {
        let err = Template::parse("https://t.example/?x={order_id}", false).unwrap_err();
        let m = err.message();
        assert!(m.starts_with("{order_id} is not a macro"), "{m}");
        assert!(m.contains("{sub1}") && m.contains("{timestamp}"), "{m}");
    }

    #[test]
    fn public_addresses() {
        let public = [
            "93.184.215.14",
            "8.8.8.8",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ];
        let private = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "192.0.0.8",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ];
        for a in public {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
        for a in private {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
    }
}
