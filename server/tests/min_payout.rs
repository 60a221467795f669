//! The smallest payout is a sum of the program's own currency: a VND program's 200,000 ₫
//! holds back a VND balance below it, and says nothing about a USD balance, which a payout and
//! a payout request take from its first cent.

use axum::http::StatusCode;
use reftrail_server::HttpOptions;
use serde_json::json;

mod support;

use support::{call, call_as};

#[tokio::test]
async fn the_minimum_holds_back_the_programs_currency_only() {
    let state = support::fresh_state(HttpOptions::default()).await;
    let (_, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    program["currency"] = json!("VND");
    program["min_payout"] = json!(200_000);
    program["hold_days"] = json!(0);
    program["auto_approve"] = json!(true);
    let (s, v) = call(&state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let body = json!({"id": "lan", "name": "Lan", "email": "lan@aff.test", "coupons": ["LAN"]});
    let (s, lan) = call(&state, "POST", "/v1/affiliates", body).await;
    assert_eq!(s, StatusCode::CREATED, "{lan}");
    let token = lan["token"].as_str().expect("token");
    // 10 % of each: 100,000 ₫ (under the minimum) and $20.00.
    for (order, amount, currency) in [("M-1", 1_000_000, "VND"), ("M-2", 20_000, "USD")] {
        let sale =
            json!({"order_id": order, "amount": amount, "currency": currency, "coupon": "LAN"});
        let (s, v) = call(&state, "POST", "/v1/sales", sale).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }

    let (_, me) = call_as(&state, Some(token), "GET", "/v1/me", json!(null)).await;
    assert_eq!(
        (
            me["min_payout"].as_i64(),
            me["min_payout_currency"].as_str()
        ),
        (Some(200_000), Some("VND"))
    );
    let ask = |currency: &'static str| {
        call_as(
            &state,
            Some(token),
            "POST",
            "/v1/me/payout-requests",
            json!({ "currency": currency }),
        )
    };
    let (s, v) = ask("VND").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("below_minimum"))
    );
    let (s, v) = ask("USD").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["amount"], 2_000);

    let (s, payout) = call(&state, "POST", "/v1/payouts", json!(null)).await;
    assert_eq!(s, StatusCode::CREATED, "{payout}");
    let lines: Vec<(&str, i64)> = payout["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["currency"].as_str().unwrap_or(""),
                l["amount"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(lines, vec![("USD", 2_000)], "the dong wait for the minimum");
}
