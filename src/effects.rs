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

/// One thing for the page to do, as read back from the wire form by [`Effects::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect<'a> {
    /// Write `pair` (`name=value`) with `attrs` (`; Path=/; Max-Age=…`) on the first of
    /// `domains` that reads back (the registrable domain), else host-only.
    SetCookie {
        /// `name=value`.
        pair: &'a str,
        /// The attributes after the pair, starting with `; `.
        attrs: &'a str,
        /// Candidate `Domain` values, shortest first.
        domains: Vec<&'a str>,
    },
    /// Delete cookie `name` on every candidate domain and host-only.
    RemoveCookie {
        /// The cookie name.
        name: &'a str,
        /// The attributes (with `Max-Age=0`).
        attrs: &'a str,
        /// Candidate `Domain` values.
        domains: Vec<&'a str>,
    },
    /// `localStorage[key] = value`.
    Store {
        /// The storage key.
        key: &'a str,
        /// The value.
        value: &'a str,
    },
    /// `delete localStorage[key]`.
    Unstore {
        /// The storage key.
        key: &'a str,
    },
    /// `history.replaceState` to this path, query and fragment.
    ReplaceAddress(&'a str),
    /// POST `body` to `url`; the answer goes back to the session under `id`.
    Post {
        /// Identifies the request in the answer.
        id: &'a str,
        /// Absolute URL (or path on the same origin).
        url: &'a str,
        /// JSON text.
        body: &'a str,
    },
    /// Start adding the cross-domain token to links and forms.
    Decorate,
    /// Tell the developer in the console (misuse is reported, never thrown).
    Warn {
        /// A stable snake_case code.
        code: &'a str,
        /// What it was about.
        detail: &'a str,
    },
}

/// The effects in their wire form, written as the session decides them: each record starts
/// with [`RS`] and a one-letter kind, and each of its fields with [`US`]. The record kinds are
/// those of [`Effect`]: `C` pair, attributes, comma-separated domains (set cookie); `X` the
/// same with the pair `name=` (remove cookie); `S` key, value; `U` key; `A` address; `P` id,
/// url, body; `D`; `W` code, detail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects(String);

impl Effects {
    /// No effects.
    pub fn new() -> Self {
        Self(String::new())
    }

    /// Starts a record of `kind`.
    pub fn start(&mut self, kind: char) -> &mut Self {
        self.0.push(RS);
        self.0.push(kind);
        self
    }

    /// Starts a field with `s`.
    pub fn field(&mut self, s: &str) -> &mut Self {
        self.0.push(US);
        self.0.push_str(s);
        self
    }

    /// Continues the current field with `s`.
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.0.push_str(s);
        self
    }

    /// `localStorage[key] = value`.
    pub fn store(&mut self, key: &str, value: &str) {
        self.start('S').field(key).field(value);
    }

    /// `delete localStorage[key]`.
    pub fn unstore(&mut self, key: &str) {
        self.start('U').field(key);
    }

    /// A console warning.
    pub fn warn(&mut self, code: &str, detail: &str) {
        self.start('W').field(code).field(detail);
    }

    /// The records, each starting with [`RS`]; empty when there are none.
    pub fn wire(&self) -> &str {
        &self.0
    }

    /// The wire form, for the edge to append after the call's result.
    pub fn into_wire(self) -> String {
        self.0
    }

    /// Reads the records back (tests and tools; the runtime reads the wire form itself).
    pub fn decode(&self) -> Vec<Effect<'_>> {
        let mut out = Vec::new();
        for rec in crate::text::split(&self.0, RS as u8).skip(1) {
            let mut f = crate::text::split(rec, US as u8);
            let kind = f.next().unwrap_or("");
            let mut next = || f.next().unwrap_or("");
            out.push(match kind {
                "C" => Effect::SetCookie {
                    pair: next(),
                    attrs: next(),
                    domains: list(next()),
                },
                "X" => Effect::RemoveCookie {
                    name: next().trim_end_matches('='),
                    attrs: next(),
                    domains: list(next()),
                },
                "S" => Effect::Store {
                    key: next(),
                    value: next(),
                },
                "U" => Effect::Unstore { key: next() },
                "A" => Effect::ReplaceAddress(next()),
                "P" => Effect::Post {
                    id: next(),
                    url: next(),
                    body: next(),
                },
                "D" => Effect::Decorate,
                _ => Effect::Warn {
                    code: next(),
                    detail: next(),
                },
            });
        }
        out
    }
}

/// The non-empty items of a comma-separated list.
fn list(s: &str) -> Vec<&str> {
    crate::text::split(s, b',')
        .filter(|d| !d.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn wire_form() {
        let mut fx = Effects::new();
        fx.start('C')
            .field("rt_ref=v")
            .field("; Path=/")
            .field("shop.test,www.shop.test");
        fx.store("rt_queue", "s\tk\t1\t0\t{}\nl\tk2\t1\t0\t{}");
        fx.start('D');
        let mut text = String::from("r");
        text.push_str(fx.wire());
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
        assert_eq!(
            fx.decode(),
            vec![
                Effect::SetCookie {
                    pair: "rt_ref=v",
                    attrs: "; Path=/",
                    domains: vec!["shop.test", "www.shop.test"],
                },
                Effect::Store {
                    key: "rt_queue",
                    value: "s\tk\t1\t0\t{}\nl\tk2\t1\t0\t{}",
                },
                Effect::Decorate,
            ]
        );
        assert_eq!(Effects::new().wire(), "");
    }
}
