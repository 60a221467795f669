//! The core's behaviour inside a real browser engine: the same decisions compiled to wasm and
//! run in headless Chromium by wasm-bindgen-test (`cargo test --target wasm32-unknown-unknown`).
#![cfg(target_arch = "wasm32")]

use reftrail::affiliate::AffiliateId;
use reftrail::attribution::{self, Model, Policy};
use reftrail::capture::{self, Address, CaptureConfig};
use reftrail::cookie;
use reftrail::state::State;
use wasm_bindgen_test::*;

extern crate alloc;
use alloc::format;

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

/// The exports over the wire format, in the browser: boot on an affiliate link, then ask.
#[wasm_bindgen_test]
fn exports_boot_call_and_answer() {
    use reftrail::effects::{RS, US};
    let page = [
        "https://www.shop.test/shoes?ref=alice",
        "www.shop.test",
        "/shoes",
        "shoes",
        "?ref=alice",
        "ref=alice\u{1c}ref\u{1c}alice\u{1d}",
        "",
        "",
        "1",
        "",
        "",
        "",
        "",
        "",
        "0",
        "1795392000000",
        "abcdef0123456789",
        "",
    ]
    .join(&US.to_string());
    let settings = format!("endpoint{US}/rt{RS}model{US}first");
    let effects = reftrail::boot(&settings, &page);
    let records: Vec<Vec<&str>> = effects.split(RS).map(|r| r.split(US).collect()).collect();
    assert_eq!(records[0], [""], "boot has no result");
    let cookie = records
        .iter()
        .find(|r| r[0] == "C")
        .expect("a cookie write");
    assert!(cookie[1].starts_with("rt_ref=1~"));
    assert_eq!(cookie[3], "shop.test,www.shop.test");
    assert!(records.iter().any(|r| r[0] == "A" && r[1] == "/shoes"));
    let post = records
        .iter()
        .find(|r| r[0] == "P")
        .expect("a click report");
    assert_eq!(post[2], "/rt/v1/clicks");

    let attribution = reftrail::call("attribution", "", 1_795_392_000_000.0);
    assert!(
        attribution.starts_with("{\"affiliate\":\"alice\",\"via\":\"query\""),
        "{attribution}"
    );
    let answer = reftrail::answer(post[1], 201, "{\"click_id\":\"c_1\"}", 1_795_392_000_000.0);
    assert!(
        answer.contains("rt_ref=1~"),
        "the click id is kept: {answer}"
    );
    let bad = reftrail::call("conversion", &format!("amount{US}1.5"), 0.0);
    assert!(bad.contains("invalid_order_id"), "{bad}");
}
