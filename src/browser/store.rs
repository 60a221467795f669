//! The only code that touches `document.cookie` and `localStorage`.
//!
//! Both can throw (cookies disabled, Safari private mode, storage quota); every failure counts
//! as "not stored" and nothing is thrown into the page.

use crate::cookie::{self, Attributes};
use crate::domain;
use alloc::string::String;
use wasm_bindgen::JsCast;

fn document() -> Option<web_sys::HtmlDocument> {
    web_sys::window()?.document()?.dyn_into().ok()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The raw value of cookie `name`, if present.
pub fn cookie(name: &str) -> Option<String> {
    let all = document()?.cookie().ok()?;
    cookie::read(&all, name).map(String::from)
}

fn set(doc: &web_sys::HtmlDocument, name: &str, value: &str, attrs: &Attributes) {
    let _ = doc.set_cookie(&cookie::set_cookie(name, value, attrs));
}

/// Writes cookie `name` on the registrable domain of `host` (found by setting a cookie on each
/// candidate suffix, shortest first, and reading it back: the browser refuses public suffixes),
/// or host-only where there is no such domain (localhost, IP addresses) or none reads back.
pub fn set_cookie(host: &str, name: &str, value: &str, max_age: u64, secure: bool) {
    let Some(doc) = document() else { return };
    for candidate in domain::candidates(host) {
        let attrs = Attributes {
            domain: Some(candidate),
            max_age,
            secure,
        };
        set(&doc, name, value, &attrs);
        if cookie(name).as_deref() == Some(value) {
            return;
        }
    }
    set(
        &doc,
        name,
        value,
        &Attributes {
            domain: None,
            max_age,
            secure,
        },
    );
}

/// Removes cookie `name` from every domain it may have been written on.
pub fn remove_cookie(host: &str, name: &str, secure: bool) {
    let Some(doc) = document() else { return };
    for candidate in domain::candidates(host) {
        set(
            &doc,
            name,
            "",
            &Attributes {
                domain: Some(candidate),
                max_age: 0,
                secure,
            },
        );
    }
    set(
        &doc,
        name,
        "",
        &Attributes {
            domain: None,
            max_age: 0,
            secure,
        },
    );
}

/// `localStorage[key]`.
pub fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

/// `localStorage[key] = value`.
pub fn put(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

/// `delete localStorage[key]`.
pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}
