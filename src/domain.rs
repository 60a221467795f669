//! The cookie's `Domain`, found by the set-and-read-back method.
//!
//! The cookie should be shared by every host of the shop (`www.`, `shop.`, `checkout.`), so its
//! `Domain` is the registrable domain. Rather than ship the Public Suffix List, the browser tries
//! the suffixes of the host from the shortest: it refuses a cookie for a public suffix (`co.uk`),
//! so the first suffix whose test cookie reads back is the registrable domain. [`candidates`]
//! gives that list; the browser edge does the writing and reading.
//!
//! Non-goals: no Public Suffix List, no IDNA (the browser's `location.hostname` is already
//! ASCII/punycode and lower-case).

use alloc::vec::Vec;

/// The suffixes of `host` to try as the cookie `Domain`, shortest first, from two labels up to the
/// whole host: `checkout.shop.test` → `["shop.test", "checkout.shop.test"]`.
///
/// Empty, meaning "use a host-only cookie", for hosts where a `Domain` cannot help: `localhost`
/// and `*.localhost`, single-label hosts, IPv4 and IPv6 literals (anything with a `:` or `[`, or
/// whose last label is a number, as the WHATWG URL parser reads it), and anything that is not a
/// plain host name (empty labels, bytes outside `[A-Za-z0-9_-]`).
///
/// One trailing dot is ignored (`shop.test.` is tried as `shop.test`; if the browser does not
/// match the two, nothing reads back and the cookie stays host-only). The slices keep the case of
/// `host`: browsers compare `Domain` case-insensitively.
///
/// # Example
/// ```
/// use reftrail::domain::candidates;
/// assert_eq!(candidates("a.b.example.co.uk"), ["co.uk", "example.co.uk", "b.example.co.uk", "a.b.example.co.uk"]);
/// assert!(candidates("localhost").is_empty());
/// ```
pub fn candidates(host: &str) -> Vec<&str> {
    let mut out = Vec::new();
    each_candidate(host, |d| out.push(d));
    out
}

/// Calls `f` with each of [`candidates`] in turn, without collecting them.
pub fn each_candidate<'a>(host: &'a str, mut f: impl FnMut(&'a str)) {
    let host = host.strip_suffix('.').unwrap_or(host);
    if !is_plain_domain(host) {
        return;
    }
    let bytes = host.as_bytes();
    // Every dot starts a suffix; the whole host is the last candidate. Walking dots from the
    // right gives the shortest suffixes first; the suffix after the last dot is one label and is
    // skipped.
    let mut dots = bytes.iter().enumerate().rev().filter(|(_, &b)| b == b'.');
    let _single_label = dots.next();
    for (i, _) in dots {
        if let Some(suffix) = host.get(i + 1..) {
            f(suffix);
        }
    }
    f(host);
}

/// Whether `host` is a host name a `Domain` can be set for: two or more non-empty labels of
/// `[A-Za-z0-9_-]`, not `localhost` or under it, not an IP literal.
fn is_plain_domain(host: &str) -> bool {
    let bytes = host.as_bytes();
    let labels_ok = crate::text::dotted(bytes) && crate::text::alnum_or(bytes, b"-_.");
    if !labels_ok || !bytes.contains(&b'.') {
        return false;
    }
    let last = bytes
        .get(crate::text::rfind(bytes, b'.').map_or(0, |i| i + 1)..)
        .unwrap_or_default();
    !last.eq_ignore_ascii_case(b"localhost") && !is_number_label(last)
}

/// The WHATWG URL parser's "ends in a number" test for one label: all decimal digits, or `0x`
/// followed by hex digits. A host ending in one is an IPv4 address (or invalid).
fn is_number_label(label: &[u8]) -> bool {
    if let Some(hex) = label
        .strip_prefix(b"0x")
        .or_else(|| label.strip_prefix(b"0X"))
    {
        return hex.iter().all(u8::is_ascii_hexdigit);
    }
    !label.is_empty() && label.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! domains {
        ($($host:expr => [$($want:expr),*]),* $(,)?) => {
            $( {
                let want: &[&str] = &[$($want),*];
                assert_eq!(candidates($host), want, "{:?}", $host);
            } )*
        };
    }

    #[test]
    fn suffixes_shortest_first() {
        domains![
            "shop.test" => ["shop.test"],
            "checkout.shop.test" => ["shop.test", "checkout.shop.test"],
            "www.shop.example" => ["shop.example", "www.shop.example"],
            "a.b.example.co.uk" => ["co.uk", "example.co.uk", "b.example.co.uk", "a.b.example.co.uk"],
            "shop.myshopify.com" => ["myshopify.com", "shop.myshopify.com"],
            "xn--bcher-kva.example" => ["xn--bcher-kva.example"],
            "my_host.shop.test" => ["shop.test", "my_host.shop.test"],
            "1.shop.test" => ["shop.test", "1.shop.test"],
            "shop.test1" => ["shop.test1"],
            "shop.0xzz" => ["shop.0xzz"],
        ];
    }

    #[test]
    fn trailing_dot_and_case() {
        domains![
            "shop.test." => ["shop.test"],
            "Checkout.Shop.TEST" => ["Shop.TEST", "Checkout.Shop.TEST"],
            "WWW.Example.CO.UK." => ["CO.UK", "Example.CO.UK", "WWW.Example.CO.UK"],
            "shop.test.." => [],
        ];
    }

    #[test]
    fn host_only_where_a_domain_cannot_help() {
        domains![
            "" => [],
            "." => [],
            "localhost" => [],
            "LOCALHOST" => [],
            "localhost." => [],
            "shop.localhost" => [],
            "a.b.LocalHost" => [],
            "intranet" => [],
            "intranet." => [],
            "127.0.0.1" => [],
            "192.168.1.20" => [],
            "10.0.0.1." => [],
            "0x7f.0.0.1" => [],
            "shop.0x1F" => [],
            "shop.123" => [],
            "[::1]" => [],
            "[2001:db8::1]" => [],
            "::1" => [],
            "shop.test:8080" => [],
            ".shop.test" => [],
            "shop..test" => [],
            "shop test" => [],
            "shop.test;x" => [],
            "shop.test/x" => [],
            "bücher.example" => [],
        ];
    }
}
