//! What the page must do, as decided by [`crate::session`]: the effects and their wire form.
//!
//! The browser edge is split so that the wasm module needs no Web API imports at all: the
//! session decides, returns a list of effects as one string, and a few lines of JavaScript
//! (`js/runtime.js`, the only other place that knows this format) apply them. Records are
//! separated by U+001E and fields by U+001F, two control characters that none of the values
//! can contain (cookie values, JSON bodies and queue lines never hold raw control characters).

use alloc::string::String;
use alloc::vec::Vec;

/// Separates records.
pub const RS: char = '\u{1e}';
/// Separates fields within a record (and names from values in flattened arguments).
pub const US: char = '\u{1f}';

/// One thing for the page to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Write `pair` (`name=value`) with `attrs` (`; Path=/; Max-Age=…`) on the first of
    /// `domains` that reads back (the registrable domain), else host-only.
    SetCookie {
        /// `name=value`.
        pair: String,
        /// The attributes after the pair, starting with `; `.
        attrs: String,
        /// Candidate `Domain` values, shortest first.
        domains: Vec<String>,
    },
    /// Delete cookie `name` on every candidate domain and host-only.
    RemoveCookie {
        /// The cookie name.
        name: &'static str,
        /// The attributes (with `Max-Age=0`).
        attrs: String,
        /// Candidate `Domain` values.
        domains: Vec<String>,
    },
    /// `localStorage[key] = value`.
    Store {
        /// The storage key.
        key: &'static str,
        /// The value.
        value: String,
    },
    /// `delete localStorage[key]`.
    Unstore {
        /// The storage key.
        key: &'static str,
    },
    /// `history.replaceState` to this path, query and fragment.
    ReplaceAddress(String),
    /// POST `body` to `url`; the answer goes back to the session under `id`.
    Post {
        /// Identifies the request in the answer.
        id: String,
        /// Absolute URL (or path on the same origin).
        url: String,
        /// JSON text.
        body: String,
    },
    /// Start adding the cross-domain token to links and forms.
    Decorate,
    /// Tell the developer in the console (misuse is reported, never thrown).
    Warn {
        /// A stable snake_case code.
        code: &'static str,
        /// What it was about.
        detail: String,
    },
}

fn push_record(out: &mut String, fields: &[&str]) {
    if !out.is_empty() {
        out.push(RS);
    }
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(US);
        }
        out.push_str(f);
    }
}

/// `a,b,c` (`[T]::join` brings a panic path the bundle can do without).
fn comma_list(items: &[String]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out
}

/// Encodes `result` (the call's return value, first record) and the effects.
pub fn encode(result: &str, effects: &[Effect]) -> String {
    let mut out = String::from(result);
    for e in effects {
        // The first record may be empty; later records always start after a separator.
        out.push(RS);
        let mut rec = String::new();
        match e {
            Effect::SetCookie {
                pair,
                attrs,
                domains,
            } => push_record(&mut rec, &["C", pair, attrs, &comma_list(domains)]),
            Effect::RemoveCookie {
                name,
                attrs,
                domains,
            } => {
                let mut pair = String::from(*name);
                pair.push('=');
                push_record(&mut rec, &["X", &pair, attrs, &comma_list(domains)])
            }
            Effect::Store { key, value } => push_record(&mut rec, &["S", key, value]),
            Effect::Unstore { key } => push_record(&mut rec, &["U", key]),
            Effect::ReplaceAddress(url) => push_record(&mut rec, &["A", url]),
            Effect::Post { id, url, body } => push_record(&mut rec, &["P", id, url, body]),
            Effect::Decorate => push_record(&mut rec, &["D"]),
            Effect::Warn { code, detail } => push_record(&mut rec, &["W", code, detail]),
        }
        out.push_str(&rec);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn wire_form() {
        let text = encode(
            "r",
            &[
                Effect::SetCookie {
                    pair: "rt_ref=v".into(),
                    attrs: "; Path=/".into(),
                    domains: vec!["shop.test".into(), "www.shop.test".into()],
                },
                Effect::Store {
                    key: "rt_queue",
                    value: "s\tk\t1\t0\t{}\nl\tk2\t1\t0\t{}".into(),
                },
                Effect::Decorate,
            ],
        );
        let records: Vec<Vec<&str>> = text.split(RS).map(|r| r.split(US).collect()).collect();
        assert_eq!(
            records,
            vec![
                vec!["r"],
                vec!["C", "rt_ref=v", "; Path=/", "shop.test,www.shop.test"],
                vec!["S", "rt_queue", "s\tk\t1\t0\t{}\nl\tk2\t1\t0\t{}"],
                vec!["D"],
            ]
        );
        assert_eq!(encode("", &[]), "");
    }
}
