//! The server's use of the program's rules, through the router (`oneshot`): recurring
//! commissions on renewals, volume tiers over the month, category overrides, shipping left out
//! of the basis, approval when the hold period ends, and the fraud signals that need history
//! (click velocity from one address, a conversion rate outside the band).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use reftrail_server::{app, AppState, HttpOptions};
use serde_json::{json, Value};
use tower::ServiceExt;

mod support;

use support::{call, SK};

async fn state() -> AppState {
    support::fresh_state(HttpOptions::default()).await
}

async fn program(state: &AppState, patch: Value) {
    let (_, mut p) = call(state, "GET", "/v1/program", Value::Null).await;
    for (k, v) in patch.as_object().expect("object") {
        p[k] = v.clone();
    }
    let (s, body) = call(state, "PUT", "/v1/program", p).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

async fn affiliate(state: &AppState, id: &str) {
    let coupon = format!("{}10", id.to_uppercase());
    let (s, body) = call(
        state,
        "POST",
        "/v1/affiliates",
        json!({"id": id, "name": id, "email": format!("{id}@x.test"), "coupons": [coupon]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn renewals_earn_for_the_months_the_program_pays() {
    let s = state().await;
    program(&s, json!({"hold_days": 0, "commission": {"sale": {"type": "percent", "rate_bps": 1000},
        "recurring": {"type": "months", "months": 12, "rate": {"type": "percent", "rate_bps": 500}}}}))
    .await;
    affiliate(&s, "alice").await;
    affiliate(&s, "bob").await;
    let (_, first) = call(
        &s,
        "POST",
        "/v1/sales",
        json!({"order_id": "S-1", "amount": 10_000, "currency": "USD",
        "coupon": "ALICE10", "subscription_id": "sub-1", "at": "2025-01-15T00:00:00Z"}),
    )
    .await;
    assert_eq!(first["referral"]["commission"], 1_000);
    // A renewal credits the first sale's affiliate, even with another coupon, at the renewal rate.
    let (_, r) = call(
        &s,
        "POST",
        "/v1/sales",
        json!({"order_id": "S-2", "amount": 10_000, "currency": "USD",
        "coupon": "BOB10", "subscription_id": "sub-1", "at": "2025-06-15T00:00:00Z"}),
    )
    .await;
    assert_eq!(
        (
            r["sale"]["affiliate"].as_str(),
            r["sale"]["attributed_by"].as_str()
        ),
        (Some("alice"), Some("renewal"))
    );
    assert_eq!(r["referral"]["commission"], 500);
    // After 12 months it earns nothing.
    let (_, r) = call(
        &s,
        "POST",
        "/v1/sales",
        json!({"order_id": "S-3", "amount": 10_000, "currency": "USD",
        "subscription_id": "sub-1", "at": "2026-02-15T00:00:00Z"}),
    )
    .await;
    assert_eq!(r["sale"]["affiliate"], "alice");
    assert_eq!(r["referral"]["commission"], 0);
}

#[tokio::test]
async fn tiers_categories_and_shipping() {
    let s = state().await;
    program(
        &s,
        json!({"hold_days": 0, "commission": {
        "sale": {"type": "sales_tiers", "rate_bps": 1000, "tiers": [{"from": 2, "rate_bps": 2000}]},
        "categories": {"gift": {"type": "percent", "rate_bps": 0}}}}),
    )
    .await;
    affiliate(&s, "carol").await;
    let mut got = Vec::new();
    for n in 0..3 {
        let (_, r) = call(
            &s,
            "POST",
            "/v1/sales",
            json!({"order_id": format!("T-{n}"), "amount": 11_000, "currency": "USD",
            "shipping": 1_000, "coupon": "CAROL10"}),
        )
        .await;
        got.push(r["referral"]["commission"].as_i64());
    }
    // 10 % of 10,000 (shipping left out) for the first two sales of the month, then 20 %.
    assert_eq!(got, vec![Some(1_000), Some(1_000), Some(2_000)]);
    let (_, r) = call(&s, "POST", "/v1/sales", json!({"order_id": "T-gift", "amount": 15_000, "currency": "USD", "coupon": "CAROL10",
        "items": [{"sku": "GC", "category": "gift", "amount": 5_000}, {"sku": "SHOE", "category": "shoes", "amount": 10_000}]})).await;
    assert_eq!(
        r["referral"]["commission"], 2_000,
        "the gift card earns nothing: {r}"
    );
}

#[tokio::test]
async fn referrals_are_approved_when_the_hold_ends_unless_flagged() {
    let s = state().await;
    program(&s, json!({"hold_days": 14})).await;
    affiliate(&s, "dave").await;
    let (_, clean) = call(
        &s,
        "POST",
        "/v1/sales",
        json!({"order_id": "H-1", "amount": 10_000, "currency": "USD", "coupon": "DAVE10"}),
    )
    .await;
    let (_, selfref) = call(
        &s,
        "POST",
        "/v1/sales",
        json!({"order_id": "H-2", "amount": 10_000, "currency": "USD", "coupon": "DAVE10",
        "customer": {"email": "Dave@X.test"}}),
    )
    .await;
    assert_eq!(clean["referral"]["status"], "pending");
    assert_eq!(selfref["referral"]["flags"], json!(["self_referral"]));
    assert_eq!(
        reftrail_server::routes::referrals::approve_due(&s)
            .await
            .expect("approve"),
        0,
        "the hold has not ended"
    );
    sqlx::query("UPDATE referrals SET hold_until = 0")
        .execute(&s.db.pool)
        .await
        .expect("age");
    assert_eq!(
        reftrail_server::routes::referrals::approve_due(&s)
            .await
            .expect("approve"),
        1
    );
    let (_, r) = call(
        &s,
        "GET",
        &format!(
            "/v1/referrals/{}",
            clean["referral"]["id"].as_str().expect("id")
        ),
        Value::Null,
    )
    .await;
    assert_eq!(r["status"], "approved");
    let (_, r) = call(
        &s,
        "GET",
        &format!(
            "/v1/referrals/{}",
            selfref["referral"]["id"].as_str().expect("id")
        ),
        Value::Null,
    )
    .await;
    assert_eq!(
        r["status"], "pending",
        "a flagged referral waits for review"
    );
    let (_, b) = call(&s, "GET", "/v1/balances?affiliate=dave", Value::Null).await;
    assert_eq!(
        (
            b["balances"][0]["pending"].as_i64(),
            b["balances"][0]["approved"].as_i64()
        ),
        (Some(1_000), Some(1_000))
    );
}

#[tokio::test]
async fn velocity_and_conversion_rate_flag_referrals() {
    let s = state().await;
    program(&s, json!({"hold_days": 0, "fraud": {"clicks_per_ip_per_hour": 5, "conversion_rate_min_permille": 0,
        "conversion_rate_max_permille": 100, "conversion_rate_min_clicks": 3}}))
    .await;
    affiliate(&s, "erin").await;
    let mut last = String::new();
    for _ in 0..8 {
        let (st, c) = call(
            &s,
            "POST",
            "/v1/clicks",
            json!({"affiliate": "erin", "url": "https://shop.test/", "consent": "granted"}),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED);
        last = c["click_id"].as_str().expect("click id").to_owned();
    }
    let (_, r) = call(
        &s,
        "POST",
        "/v1/sales",
        json!({"order_id": "V-1", "amount": 1_000, "currency": "USD", "click_id": last}),
    )
    .await;
    let flags = r["referral"]["flags"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(flags.contains(&json!("click_velocity")), "{r}");
    assert!(
        flags.contains(&json!("conversion_rate")),
        "1 sale in 8 clicks is above 10 %: {r}"
    );
    assert_eq!(r["referral"]["status"], "pending");
}

/// A consented click as a browser sends it; returns its id and the signed cookie it set.
async fn browser_click(state: &AppState, affiliate: &str) -> (String, String) {
    let body = json!({"affiliate": affiliate, "url": format!("https://www.shop.test/?ref={affiliate}"),
        "referrer": "", "consent": "granted"});
    let req = Request::builder()
        .method("POST")
        .uri("/v1/clicks")
        .header("content-type", "text/plain;charset=UTF-8")
        .header("user-agent", "Mozilla/5.0 Chrome/126.0")
        .body(Body::from(body.to_string()))
        .expect("request");
    let res = app(state.clone()).oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::CREATED);
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a click cookie")
        .to_owned();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let answer: Value = serde_json::from_slice(&bytes).expect("json");
    (
        answer["click_id"].as_str().expect("click_id").to_owned(),
        cookie,
    )
}

/// A sale posted by the shop's backend with the visitor's cookie and the browser's click id.
async fn sale_with(state: &AppState, order: &str, cookie: &str, click_id: &str) -> Value {
    let req = Request::builder()
        .method("POST")
        .uri("/v1/sales")
        .header("authorization", format!("Bearer {SK}"))
        .header("content-type", "application/json")
        .header("user-agent", "Mozilla/5.0 Chrome/126.0")
        .header("cookie", cookie)
        .body(Body::from(
            json!({"order_id": order, "amount": 10_000, "currency": "USD", "click_id": click_id})
                .to_string(),
        ))
        .expect("request");
    let res = app(state.clone()).oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::CREATED);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    serde_json::from_slice(&bytes).expect("json")
}

#[tokio::test]
async fn the_program_model_decides_between_the_cookie_and_the_browsers_click() {
    let s = state().await;
    affiliate(&s, "alice").await;
    affiliate(&s, "bob").await;
    let (alice_click, _) = browser_click(&s, "alice").await;
    // Click times are whole seconds: the second click is a later one.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (_, bob_cookie) = browser_click(&s, "bob").await;
    let credited = |r: &Value| {
        (
            r["sale"]["affiliate"].as_str().map(String::from),
            r["sale"]["attributed_by"].as_str().map(String::from),
        )
    };

    // Last click (the default): the cookie follows the latest click.
    let r = sale_with(&s, "L-1", &bob_cookie, &alice_click).await;
    assert_eq!(credited(&r), (Some("bob".into()), Some("cookie".into())));

    // First click: the browser kept alice's click, and it is the earlier one.
    program(&s, json!({"model": "first"})).await;
    let r = sale_with(&s, "F-1", &bob_cookie, &alice_click).await;
    assert_eq!(
        credited(&r),
        (Some("alice".into()), Some("click_id".into()))
    );
}
