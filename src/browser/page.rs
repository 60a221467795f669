//! The page: its address, referrer, consent signals, clock and randomness, the address bar,
//! and the console.

use alloc::string::String;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// The parts of `location` capture needs.
pub struct Location {
    pub href: String,
    pub host: String,
    pub path: String,
    pub query: String,
    pub fragment: String,
    pub https: bool,
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

fn strip(s: String, lead: char) -> String {
    match s.strip_prefix(lead) {
        Some(rest) => String::from(rest),
        None => s,
    }
}

/// The current address, split.
pub fn location() -> Option<Location> {
    let l = window()?.location();
    Some(Location {
        href: l.href().ok()?,
        host: l.hostname().ok()?.to_ascii_lowercase(),
        path: l.pathname().ok()?,
        query: strip(l.search().ok()?, '?'),
        fragment: strip(l.hash().ok()?, '#'),
        https: l.protocol().ok()?.as_str() == "https:",
    })
}

/// `document.referrer`.
pub fn referrer() -> String {
    window()
        .and_then(|w| w.document())
        .map(|d| d.referrer())
        .unwrap_or_default()
}

/// Whether the browser sends Global Privacy Control.
pub fn gpc() -> bool {
    window()
        .and_then(|w| Reflect::get(&w.navigator(), &JsValue::from_str("globalPrivacyControl")).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Replaces the address bar's path, query and fragment without a navigation.
pub fn replace_address(path_query_fragment: &str) {
    if let Some(h) = window().and_then(|w| w.history().ok()) {
        let state = h.state().unwrap_or(JsValue::NULL);
        let _ = h.replace_state_with_url(&state, "", Some(path_query_fragment));
    }
}

/// Unix seconds now.
pub fn now() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// `len` random letters and digits from `crypto.getRandomValues`.
pub fn random_id(len: usize) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 32];
    let n = len.min(bytes.len());
    if let Some(c) = window().and_then(|w| w.crypto().ok()) {
        let _ = c.get_random_values_with_u8_array(&mut bytes[..n]);
    }
    let mut out = String::with_capacity(n);
    for (i, b) in bytes[..n].iter().enumerate() {
        // A failed getRandomValues leaves zeros; mix in the clock so ids still differ.
        let mixed = usize::from(*b) ^ ((js_sys::Date::now() as usize).wrapping_mul(i + 1) >> 3);
        out.push(ALPHABET[mixed % ALPHABET.len()] as char);
    }
    out
}

/// `console.warn("reftrail:", what, detail)`: misuse is reported, never thrown into the page.
pub fn warn(what: &str, detail: &str) {
    web_sys::console::warn_3(
        &JsValue::from_str("reftrail:"),
        &JsValue::from_str(what),
        &JsValue::from_str(detail),
    );
}
