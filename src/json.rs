//! A minimal JSON object writer for the bodies the browser sends.
//!
//! The browser bundle cannot afford serde_json (tens of kilobytes of wasm); the bodies are flat
//! objects of strings, integers and small nested objects, so a writer of ~100 lines does. It
//! escapes per RFC 8259 §7 and writes integers without `core::fmt`.

use alloc::string::String;

/// Builds one JSON object; keys are written as given (callers pass static ASCII names).
pub struct Object {
    out: String,
    first: bool,
}

impl Default for Object {
    fn default() -> Self {
        Self::new()
    }
}

impl Object {
    /// Starts `{`.
    pub fn new() -> Self {
        let mut out = String::with_capacity(256);
        out.push('{');
        Self { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str(&mut self.out, key);
        self.out.push(':');
    }

    /// `"key":"value"`.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        push_str(&mut self.out, value);
        self
    }

    /// `"key":"value"` when `value` is `Some`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.str(key, v);
        }
        self
    }

    /// `"key":123`.
    pub fn int(&mut self, key: &str, value: i64) -> &mut Self {
        self.key(key);
        push_i64(&mut self.out, value);
        self
    }

    /// `"key":<raw>`, where `raw` is already valid JSON (a nested object or array).
    pub fn raw(&mut self, key: &str, raw: &str) -> &mut Self {
        self.key(key);
        self.out.push_str(raw);
        self
    }

    /// Closes the object and returns its text.
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Other controls, and U+2028/2029 so the text is also safe inside a <script>.
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' || c == '<' => {
                out.push_str("\\u");
                crate::text::push_num(out, u64::from(c), 16, 4);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends the decimal form of `n`.
pub fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Appends the decimal form of `n`.
pub fn push_u64(out: &mut String, n: u64) {
    crate::text::push_num(out, n, 10, 1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn lit(s: &str) -> String {
        let mut out = String::new();
        push_str(&mut out, s);
        out
    }

    #[test]
    fn strings_round_trip_through_a_real_parser() {
        for s in [
            "",
            "alice",
            "quote\" backslash\\ slash/",
            "\n\r\t\u{0}\u{1f}\u{7f}",
            "</script><script>alert(1)</script>",
            "\u{2028}\u{2029}",
            "Nguyễn Văn A — สมชาย 💸",
        ] {
            let json = lit(s);
            assert!(!json.contains('<'), "{json}");
            let back: String = serde_json::from_str(&json).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn integers_match_core_fmt() {
        for n in [
            0,
            1,
            -1,
            9,
            10,
            99,
            100,
            12_345,
            -12_345,
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = String::new();
            push_i64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn objects_are_valid_json() {
        let mut o = Object::new();
        o.str("a", "x\"y")
            .int("n", -5)
            .opt_str("skip", None)
            .raw("o", "{\"k\":1}");
        let text = o.finish();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["a"], "x\"y");
        assert_eq!(v["n"], -5);
        assert!(v.get("skip").is_none());
        assert_eq!(v["o"]["k"], 1);
        assert_eq!(Object::new().finish(), "{}");
    }
}
