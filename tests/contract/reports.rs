//! The KPI reports: exact figures for a fresh affiliate, shapes for the rest.

use crate::harness::*;
use serde_json::{json, Value};

fn money<'a>(row: &'a Value, currency: &str) -> &'a Value {
    row["money"]
        .as_array()
        .and_then(|m| m.iter().find(|x| x["currency"] == currency))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn kpis_of_one_affiliate_are_exact() {
    let category_probe = uid("k");
    let (a, _) = affiliate(json!({"category": "comparison", "name": category_probe})).await;
    let (c1, _) = click(&a).await;
    click(&a).await;
    let o1 = uid("o");
    sale(json!({"order_id": o1, "amount": 100_000, "currency": "VND", "click_id": c1}))
        .await
        .status(201);
    sale(json!({"order_id": uid("o"), "amount": 300_000, "currency": "VND", "click_id": c1}))
        .await
        .status(201);
    req("POST", "/v1/refunds")
        .sk()
        .json(&json!({"order_id": o1}))
        .send()
        .await
        .status(201);
    req("POST", "/v1/leads")
        .sk()
        .json(&json!({"event": "signup", "customer_id": uid("c"), "click_id": c1}))
        .send()
        .await
        .status(201);
    let r = req("GET", "/v1/reports/affiliates?limit=1000&sort=clicks")
        .sk()
        .send()
        .await;
    r.status(200);
    let row = r.json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|x| x["key"] == a.as_str())
        .cloned()
        .expect("row");
    assert_eq!(row["clicks"], 2);
    assert_eq!(
        row["unique_visitors"], 1,
        "the same client without a visitor id counts once"
    );
    assert_eq!(row["sales"], json!({"gross": 2, "net": 1}));
    assert_eq!(row["leads"], json!({"gross": 1, "net": 1}));
    assert_eq!(
        row["reversal_rate"], 0.333333,
        "one of three referrals reversed"
    );
    let m = money(&row, "VND");
    assert_eq!(m["revenue_gross"], 400_000);
    assert_eq!(m["revenue_net"], 300_000);
    assert_eq!(m["aov"], 300_000);
    assert_eq!(m["commissions"], 30_000 + 20_000);
    assert_eq!(m["lead_commissions"], 20_000);
    assert_eq!(m["cost_per_sale"], 30_000);
    assert_eq!(m["cost_per_lead"], 20_000);
    assert_eq!(m["epc_per_100"], 2_500_000);
    assert_eq!(m["roas"], 6.0);
    assert_eq!(m["contribution_margin"], 250_000);
    assert_eq!(row["conversion_rate"], 1.0);
    assert_eq!(row["conversion_rate_clicks"], 0.5);
}

#[tokio::test]
async fn every_report_answers_its_shape() {
    let (a, _) = affiliate(json!({"category": "cashback"})).await;
    click(&a).await;
    let r = req("GET", "/v1/reports/summary").sk().send().await;
    r.status(200);
    for k in [
        "from",
        "to",
        "kpis",
        "affiliates_approved",
        "affiliates_active",
        "active_affiliate_rate",
        "store",
        "top_affiliates",
    ] {
        assert!(r.json.get(k).is_some(), "summary lacks {k}");
    }
    assert!(r.json["kpis"]["clicks"].as_i64().unwrap_or(0) >= 1);
    let today = now_rfc3339(0)[..10].to_owned();
    let r = req(
        "GET",
        &format!("/v1/reports/timeseries?from={today}&to={today}"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    let rows = r.json["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["key"], today.as_str());
    assert!(rows[0]["clicks"].as_i64().unwrap_or(0) >= 1);
    let r = req("GET", "/v1/reports/timeseries").sk().send().await;
    assert!(r.json["rows"].as_array().is_some_and(|x| x.len() >= 30));
    let r = req("GET", "/v1/reports/categories").sk().send().await;
    r.status(200);
    assert!(r.json["rows"]
        .as_array()
        .is_some_and(|x| x.iter().any(|c| c["key"] == "cashback")));
    let r = req("GET", "/v1/reports/affiliates?sort=revenue&limit=3")
        .sk()
        .send()
        .await;
    r.status(200);
    assert!(r.json["rows"].as_array().is_some_and(|x| x.len() <= 3));
}
