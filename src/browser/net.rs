//! The only code that touches the network.
//!
//! Reports go as `fetch(..., {keepalive: true})` so they survive the page being left, with a
//! `text/plain` body and no custom headers: that keeps them CORS "simple requests" (no preflight
//! round trip before the page unloads), which is why the publishable key and the idempotency key
//! travel in the body. Credentials are included so the endpoint can set and read its signed
//! first-party click cookie. Where `fetch` is missing or throws, `navigator.sendBeacon` is used
//! (its outcome is unknown, so the entry counts as delivered).

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use core::cell::RefCell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

type Done = Rc<RefCell<Option<Box<dyn FnOnce(u16, String)>>>>;

fn finish(done: &Done, status: u16, text: String) {
    if let Some(f) = done.borrow_mut().take() {
        f(status, text);
    }
}

/// Posts `body` to `url`; `on_done(status, response_text)` runs once, with status 0 when the
/// request could not be made (offline, blocked, CORS refused).
pub fn post(url: &str, body: &str, on_done: impl FnOnce(u16, String) + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let has_fetch =
        js_sys::Reflect::get(&window, &JsValue::from_str("fetch")).is_ok_and(|f| f.is_function());
    if !has_fetch {
        let queued = beacon(&window, url, body);
        return on_done(if queued { 204 } else { 0 }, String::new());
    }
    let done: Done = Rc::new(RefCell::new(Some(Box::new(on_done))));
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    // `keepalive` is not in web-sys's RequestInit yet; it is a plain dictionary member.
    let _ = js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
    init.set_credentials(web_sys::RequestCredentials::Include);
    let headers = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &headers,
        &JsValue::from_str("Content-Type"),
        &JsValue::from_str("text/plain;charset=UTF-8"),
    );
    init.set_headers(&headers);

    let promise = window.fetch_with_str_and_init(url, &init);
    let on_response = {
        let done = done.clone();
        Closure::once_into_js(move |resp: JsValue| {
            let resp: web_sys::Response = resp.unchecked_into();
            let status = resp.status();
            let Ok(text) = resp.text() else {
                return finish(&done, status, String::new());
            };
            let on_text = {
                let done = done.clone();
                Closure::once_into_js(move |t: JsValue| {
                    finish(&done, status, t.as_string().unwrap_or_default())
                })
            };
            let on_text_error =
                Closure::once_into_js(move |_: JsValue| finish(&done, status, String::new()));
            then(&text, &on_text, &on_text_error);
        })
    };
    let on_error = {
        let done = done.clone();
        Closure::once_into_js(move |_: JsValue| finish(&done, 0, String::new()))
    };
    then(&promise, &on_response, &on_error);
}

/// `promise.then(ok, err)` with self-freeing one-shot callbacks (`Closure::once_into_js`),
/// which `Promise::then2`'s borrowed closures cannot take.
fn then(promise: &JsValue, ok: &JsValue, err: &JsValue) {
    if let Ok(f) = js_sys::Reflect::get(promise, &JsValue::from_str("then")) {
        if let Some(f) = f.dyn_ref::<js_sys::Function>() {
            let _ = f.call2(promise, ok, err);
        }
    }
}

/// `navigator.sendBeacon(url, body)`; whether the browser queued it.
fn beacon(window: &web_sys::Window, url: &str, body: &str) -> bool {
    window
        .navigator()
        .send_beacon_with_opt_str(url, Some(body))
        .unwrap_or(false)
}
