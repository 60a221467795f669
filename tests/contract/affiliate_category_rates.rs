//! Rates by affiliate category: the program pays every affiliate of a category (coupon and
//! cashback sites, say) a rate and a lead amount of their own, below an affiliate's own
//! override and above the program's default.

use crate::harness::*;
use serde_json::json;

/// A verified sale of 1,000,000 VND with `coupon`: the commission of its referral.
async fn commission_of_sale(coupon: &str) -> i64 {
    let r = sale(
        json!({"order_id": uid("o"), "amount": 1_000_000, "currency": "VND", "coupon": coupon}),
    )
    .await;
    r.status(201);
    r.json["referral"]["commission"]
        .as_i64()
        .unwrap_or_else(|| panic!("a referral with a commission: {}", r.text))
}

#[tokio::test]
async fn an_affiliate_category_has_its_own_rate_below_an_affiliates_own() {
    let _program = program_lock().await;
    let p = req("GET", "/v1/program").sk().send().await.json.clone();
    let mut set = p.clone();
    set["commission"]["affiliate_categories"] =
        json!({"cashback": {"sale": {"type": "percent", "rate_bps": 300}}});
    put_program(&set).await;
    let saved = req("GET", "/v1/program").sk().send().await;
    assert_eq!(
        saved.json["commission"]["affiliate_categories"]["cashback"]["sale"],
        json!({"type": "percent", "rate_bps": 300})
    );

    let [cashback, own, content] = ["CB", "OWN", "CT"].map(|p| uid(p).to_uppercase());
    let (_, cashback_token) =
        affiliate(json!({"category": "cashback", "coupons": [cashback]})).await;
    affiliate(json!({"category": "cashback", "coupons": [own],
        "commission": {"sale": {"type": "percent", "rate_bps": 800}}}))
    .await;
    let (_, content_token) = affiliate(json!({"category": "content", "coupons": [content]})).await;
    // The suite's program pays 10 % of a sale.
    assert_eq!(
        commission_of_sale(&cashback).await,
        30_000,
        "the category's 3 %"
    );
    assert_eq!(
        commission_of_sale(&own).await,
        80_000,
        "the affiliate's own 8 %"
    );
    assert_eq!(
        commission_of_sale(&content).await,
        100_000,
        "the program's 10 %"
    );
    // Each affiliate reads their category's rates in their portal.
    let me = req("GET", "/v1/me")
        .who(As::Bearer(cashback_token))
        .send()
        .await;
    me.status(200);
    assert_eq!(
        me.json["category_commission"]["sale"],
        json!({"type": "percent", "rate_bps": 300})
    );
    let me = req("GET", "/v1/me")
        .who(As::Bearer(content_token))
        .send()
        .await;
    assert_eq!(me.json["category_commission"], json!(null), "{}", me.text);

    // Only the program's categories may have rates, and only valid ones; a refused change
    // writes nothing.
    for refused in [
        json!({"bloggers": {"sale": {"type": "percent", "rate_bps": 300}}}),
        json!({"coupon": {"sale": {"type": "percent", "rate_bps": 10_001}}}),
    ] {
        let mut bad = set.clone();
        bad["commission"]["affiliate_categories"] = refused;
        req("PUT", "/v1/program")
            .sk()
            .json(&bad)
            .send()
            .await
            .error(400, "invalid_commission");
    }
    let kept = req("GET", "/v1/program").sk().send().await;
    assert_eq!(kept.json["commission"], saved.json["commission"]);
    put_program(&p).await;
}
