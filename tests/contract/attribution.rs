//! Who gets the credit: coupon, then the signed click cookie, then the click id, then the touch
//! the browser reports; clicks and touches outside the window, clicks after the order, bot
//! clicks and unknown affiliates credit nobody; the sale is recorded either way.

use crate::harness::*;
use serde_json::{json, Value};

fn touch(affiliate: &str, at: &str) -> Value {
    json!({"affiliate": affiliate, "via": "query", "at": at})
}

#[tokio::test]
async fn coupon_then_cookie_then_click_id_then_touch() {
    let coupon = uid("CPN");
    let (a_coupon, _) = affiliate(json!({"coupons": [coupon]})).await;
    let (a_cookie, _) = affiliate(json!({})).await;
    let (a_click, _) = affiliate(json!({})).await;
    let (a_touch, _) = affiliate(json!({})).await;
    let (_, cookie) = click(&a_cookie).await;
    let cookie = cookie.expect("click cookie");
    let (click_id, _) = click(&a_click).await;
    let t = touch(&a_touch, &now_rfc3339(-3600));

    let post = |body: Value, with_cookie: bool| {
        let mut r = req("POST", "/v1/sales").sk().json(&body);
        if with_cookie {
            r = r.header("cookie", &format!("rt_click={cookie}"));
        }
        r.send()
    };
    let base = |coupon: Option<&str>| {
        let mut b = json!({"order_id": uid("o"), "amount": 100_000, "currency": "VND", "click_id": click_id, "touch": t});
        if let Some(c) = coupon {
            b["coupon"] = json!(c.to_lowercase());
        }
        b
    };
    let r = post(base(Some(&coupon)), true).await;
    r.status(201);
    assert_eq!(
        (
            r.json["sale"]["affiliate"].as_str(),
            r.json["sale"]["attributed_by"].as_str()
        ),
        (Some(a_coupon.as_str()), Some("coupon"))
    );
    let r = post(base(None), true).await;
    r.status(201);
    assert_eq!(
        (
            r.json["sale"]["affiliate"].as_str(),
            r.json["sale"]["attributed_by"].as_str()
        ),
        (Some(a_cookie.as_str()), Some("cookie"))
    );
    let r = post(base(None), false).await;
    r.status(201);
    assert_eq!(
        (
            r.json["sale"]["affiliate"].as_str(),
            r.json["sale"]["attributed_by"].as_str()
        ),
        (Some(a_click.as_str()), Some("click_id"))
    );
    let mut b = base(None);
    b.as_object_mut().expect("object").remove("click_id");
    let r = post(b, false).await;
    r.status(201);
    assert_eq!(
        (
            r.json["sale"]["affiliate"].as_str(),
            r.json["sale"]["attributed_by"].as_str()
        ),
        (Some(a_touch.as_str()), Some("touch"))
    );
    assert_eq!(r.json["referral"]["attributed_by"], "touch");
}

#[tokio::test]
async fn a_forged_cookie_is_ignored_and_counted() {
    let (a_cookie, _) = affiliate(json!({})).await;
    let (a_click, _) = affiliate(json!({})).await;
    let (_, cookie) = click(&a_cookie).await;
    let cookie = cookie.expect("click cookie");
    let (click_id, _) = click(&a_click).await;
    let before = metric("reftrail_invalid_click_cookies_total").await;
    let mut forged = cookie.clone();
    let last = forged.pop().expect("non-empty");
    forged.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [
        forged,
        "v1.c_nobody.k0.AAAA".to_owned(),
        "garbage".to_owned(),
    ] {
        let r = req("POST", "/v1/sales")
            .sk()
            .header("cookie", &format!("rt_click={bad}"))
            .json(&json!({"order_id": uid("o"), "amount": 1000, "currency": "VND", "click_id": click_id}))
            .send()
            .await;
        r.status(201);
        assert_eq!(
            r.json["sale"]["affiliate"].as_str(),
            Some(a_click.as_str()),
            "a bad cookie must not credit"
        );
    }
    if let (Some(b), Some(a)) = (before, metric("reftrail_invalid_click_cookies_total").await) {
        assert!(a >= b + 3, "invalid cookies counted: {b} -> {a}");
    }
}

/// A counter from `/metrics`, if the backend serves it.
async fn metric(name: &str) -> Option<u64> {
    let r = req("GET", "/metrics").send().await;
    if r.status != 200 {
        return None;
    }
    r.text
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
}

#[tokio::test]
async fn nothing_outside_the_window_credits() {
    let (a, _) = affiliate(json!({})).await;
    let r = sale(json!({"order_id": uid("o"), "amount": 1000, "currency": "VND", "touch": touch(&a, &now_rfc3339(-40 * 86_400))})).await;
    r.status(201);
    assert!(
        r.json["sale"]["affiliate"].is_null() && r.json["referral"].is_null(),
        "{}",
        r.text
    );
    let r = sale(json!({"order_id": uid("o"), "amount": 1000, "currency": "VND", "touch": touch("no-such-affiliate-zz", &now_rfc3339(-60))})).await;
    r.status(201);
    assert!(r.json["referral"].is_null());
    let r = sale(json!({"order_id": uid("o"), "amount": 1000, "currency": "VND", "click_id": "c_doesnotexist"})).await;
    r.status(201);
    assert!(r.json["referral"].is_null());
    // A bot's click never credits.
    let b = json!({"affiliate": a, "url": "https://www.shop.test/", "consent": "granted"});
    let r = req("POST", "/v1/clicks")
        .header("user-agent", "curl/8.0")
        .json(&b)
        .send()
        .await;
    r.status(201);
    let bot_click = r.json["click_id"].as_str().expect("click id").to_owned();
    let r = sale(
        json!({"order_id": uid("o"), "amount": 1000, "currency": "VND", "click_id": bot_click}),
    )
    .await;
    r.status(201);
    assert!(r.json["referral"].is_null(), "{}", r.text);
    // A click cannot have brought an order placed an hour before it, by id or by its cookie.
    let (click_id, cookie) = click(&a).await;
    let earlier = json!({"order_id": uid("o"), "amount": 1000, "currency": "VND",
        "at": now_rfc3339(-3600), "click_id": click_id});
    let r = req("POST", "/v1/sales")
        .sk()
        .json(&earlier)
        .header(
            "cookie",
            &format!("rt_click={}", cookie.expect("click cookie")),
        )
        .send()
        .await;
    r.status(201);
    assert!(r.json["referral"].is_null(), "{}", r.text);
    // Minutes of clock difference between the shop's backend and the endpoint are allowed.
    let r = sale(
        json!({"order_id": uid("o"), "amount": 1000, "currency": "VND",
        "at": now_rfc3339(-60), "click_id": click_id}),
    )
    .await;
    assert_eq!(r.json["referral"]["affiliate"], a.as_str(), "{}", r.text);
}

#[tokio::test]
async fn suspended_affiliates_are_not_credited() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    req("PATCH", &format!("/v1/affiliates/{a}"))
        .sk()
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .status(200);
    let r = sale(
        json!({"order_id": uid("o"), "amount": 1000, "currency": "VND", "click_id": click_id}),
    )
    .await;
    r.status(201);
    assert!(r.json["referral"].is_null());
    let b = json!({"affiliate": a, "url": "https://www.shop.test/", "consent": "granted"});
    req("POST", "/v1/clicks")
        .browser()
        .json(&b)
        .send()
        .await
        .error(404, "unknown_affiliate");
}

/// Sets the program's `match_customers` (the caller holds [`program_lock`]).
async fn match_customers(on: bool) {
    let mut p = req("GET", "/v1/program").sk().send().await.json;
    p["match_customers"] = json!(on);
    put_program(&p).await;
}

#[tokio::test]
async fn a_returning_customer_is_credited_on_another_device_when_the_program_matches_customers() {
    let _program = program_lock().await;
    let (alice, _) = affiliate(json!({})).await;
    let (bob, _) = affiliate(json!({})).await;
    let email = format!("{}@customers.test", uid("c"));
    let by_email = |extra: Value| {
        let mut b = json!({"order_id": uid("o"), "amount": 100_000, "currency": "VND",
            "customer": {"email": email.to_uppercase()}});
        if let (Some(b), Some(x)) = (b.as_object_mut(), extra.as_object()) {
            b.extend(x.clone());
        }
        b
    };
    // On the phone: alice's link, then a sign-up with the email.
    let (click_a, _) = click(&alice).await;
    req("POST", "/v1/leads")
        .sk()
        .json(&json!({"event": "signup", "email": email, "click_id": click_a}))
        .send()
        .await
        .status(201);

    // The program's default: a sale on the laptop with only the email credits nobody.
    let r = sale(by_email(json!({}))).await;
    r.status(201);
    assert!(r.json["referral"].is_null(), "{}", r.text);

    match_customers(true).await;
    let r = sale(by_email(json!({}))).await;
    r.status(201);
    assert_credited(&r, &alice, "customer");
    // A lead the page reports (with the publishable key, unverified) claims no one: anyone can
    // send one with an email they were given.
    let other = format!("{}@customers.test", uid("c"));
    let (click_m, _) = click(&bob).await;
    let hash = reftrail::email::hash(&other).expect("an email");
    let lead = json!({"event": "signup", "email_hash": hash, "click_id": click_m, "key": env().pk});
    let r = req("POST", "/v1/leads").browser().json(&lead).send().await;
    assert_credited(&r, &bob, "click_id");
    let r = sale(json!({"order_id": uid("o"), "amount": 100_000, "currency": "VND", "customer": {"email": other}})).await;
    r.status(201);
    assert!(r.json["referral"].is_null(), "{}", r.text);
    // A visit outranks the match: bob's click on the laptop credits bob.
    let (click_b, _) = click(&bob).await;
    let r = sale(by_email(json!({"click_id": click_b}))).await;
    assert_credited(&r, &bob, "click_id");
    // The customer's latest conversion that a visit credited decides.
    let r = sale(by_email(json!({}))).await;
    assert_credited(&r, &bob, "customer");

    // The shop's customer id matches as well; a conversion older than the window does not.
    let customer = uid("cust");
    let old = sale(
        json!({"order_id": uid("o"), "amount": 50_000, "currency": "VND",
        "at": now_rfc3339(-31 * 86_400), "customer": {"id": customer},
        "touch": {"affiliate": alice, "via": "query", "at": now_rfc3339(-31 * 86_400 - 60)}}),
    )
    .await;
    assert_credited(&old, &alice, "touch");
    let r = sale(json!({"order_id": uid("o"), "amount": 50_000, "currency": "VND", "customer": {"id": customer}})).await;
    r.status(201);
    assert!(
        r.json["referral"].is_null(),
        "outside the window: {}",
        r.text
    );
    let recent = sale(
        json!({"order_id": uid("o"), "amount": 50_000, "currency": "VND",
        "at": now_rfc3339(-86_400), "customer": {"id": customer},
        "touch": {"affiliate": alice, "via": "query", "at": now_rfc3339(-86_400 - 60)}}),
    )
    .await;
    assert_credited(&recent, &alice, "touch");
    let r = sale(json!({"order_id": uid("o"), "amount": 50_000, "currency": "VND", "customer": {"id": customer}})).await;
    assert_credited(&r, &alice, "customer");

    match_customers(false).await;
    let r = sale(by_email(json!({}))).await;
    assert!(r.json["referral"].is_null(), "off again: {}", r.text);
}
