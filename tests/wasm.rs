//! The core's behaviour inside a real browser engine: the same decisions compiled to wasm and
//! run in headless Chromium by wasm-bindgen-test (`cargo test --target wasm32-unknown-unknown`).
#![cfg(target_arch = "wasm32")]

use reftrail::affiliate::AffiliateId;
use reftrail::attribution::{self, Model, Policy};
use reftrail::capture::{self, Address, CaptureConfig};
use reftrail::cookie;
use reftrail::state::State;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const NOW: u64 = 1_795_392_000;

fn touch(query: &str) -> reftrail::touch::Touch {
    let addr = Address {
        path: "/shoes",
        query,
        fragment: "",
    };
    capture::capture(
        &addr,
        "https://blog.example/post",
        "www.shop.test",
        NOW,
        &CaptureConfig::default(),
    )
}

#[wasm_bindgen_test]
fn capture_and_cookie_round_trip_in_the_browser() {
    let t = touch("ref=alice&utm_campaign=spring");
    assert_eq!(t.affiliate, AffiliateId::parse("alice"));
    let state = attribution::decide(&State::default(), &t, &Policy::default(), NOW);
    let value = cookie::encode(&state);
    assert_eq!(cookie::decode(&value), Ok(state));
}

#[wasm_bindgen_test]
fn first_and_last_click_in_the_browser() {
    let alice = touch("ref=alice");
    let mut bob = touch("ref=bob");
    bob.at = NOW + 60;
    for (model, want) in [(Model::LastClick, "bob"), (Model::FirstClick, "alice")] {
        let policy = Policy::new(model, 30);
        let s = attribution::decide(&State::default(), &alice, &policy, NOW);
        let s = attribution::decide(&s, &bob, &policy, NOW + 60);
        assert_eq!(
            attribution::live(&s, NOW + 60).map(|r| r.affiliate.as_str()),
            Some(want)
        );
    }
}

#[wasm_bindgen_test]
fn hostile_ids_are_never_kept_in_the_browser() {
    for q in [
        "ref=%3Cscript%3E",
        "ref=javascript:alert(1)",
        "ref=%00",
        "ref=%C0%AF",
    ] {
        assert_eq!(touch(q).affiliate, None, "{q}");
    }
}

#[wasm_bindgen_test]
fn email_hash_matches_the_servers_in_the_browser() {
    assert_eq!(
        reftrail::email::hash(" Alice@Shop.Example ").as_deref(),
        Some(reftrail::email::hex(&reftrail::email::sha256(b"alice@shop.example")).as_str())
    );
}

/// The bindings themselves on the test runner's page: start captures from the address,
/// keeps the cookie and the storage copy, and `attribution` reads them back.
#[wasm_bindgen_test]
fn bindings_capture_keep_and_answer() {
    use wasm_bindgen::{JsCast, JsValue};
    let window = web_sys::window().unwrap();
    let history = window.history().unwrap();
    history
        .replace_state_with_url(
            &JsValue::NULL,
            "",
            Some("/shoes?ref=alice&utm_campaign=spring"),
        )
        .unwrap();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"model".into(), &"first".into()).unwrap();
    reftrail::start(options.into(), js_sys::Array::new().into());

    let a = reftrail::command("attribution", JsValue::UNDEFINED, JsValue::UNDEFINED);
    let get = |k: &str| js_sys::Reflect::get(&a, &k.into()).unwrap().as_string();
    assert_eq!(get("affiliate").as_deref(), Some("alice"));
    assert_eq!(get("via").as_deref(), Some("query"));
    assert_eq!(get("campaign").as_deref(), Some("spring"));
    assert_eq!(
        window.location().search().unwrap(),
        "?utm_campaign=spring",
        "ref removed"
    );

    let doc: web_sys::HtmlDocument = window.document().unwrap().dyn_into().unwrap();
    let stored = cookie::read(&doc.cookie().unwrap(), cookie::NAME).map(String::from);
    assert!(stored.is_some(), "cookie written");
    let copy = window
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("rt_ref")
        .unwrap();
    assert_eq!(copy, stored, "localStorage holds the same value");

    // A bad call is refused in the console, never thrown.
    let bad = js_sys::Object::new();
    js_sys::Reflect::set(&bad, &"amount".into(), &1.5.into()).unwrap();
    reftrail::command("conversion", bad.into(), JsValue::UNDEFINED);
    reftrail::command("no_such_command", JsValue::UNDEFINED, JsValue::UNDEFINED);
}
