//! The KPI reports: exact figures for a fresh affiliate, shapes for the rest.

use crate::harness::*;
use serde_json::{json, Value};

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
    refund(json!({"order_id": o1})).await.status(201);
    req("POST", "/v1/leads")
        .sk()
        .json(&json!({"event": "signup", "customer_id": uid("c"), "click_id": c1}))
        .send()
        .await
        .status(201);
    let row = affiliate_report_row(&a, "&sort=clicks").await;
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

#[tokio::test]
async fn roi_and_contribution_margin_use_the_cost_of_goods() {
    let (a, token) = affiliate(json!({})).await;
    let (c1, _) = click(&a).await;
    let (o1, o2, o3) = (uid("o"), uid("o"), uid("o"));
    let r = sale(json!({"order_id": o1, "amount": 100_000, "currency": "VND", "cost": 40_000, "click_id": c1}))
        .await;
    r.status(201);
    assert_eq!(r.json["sale"]["cost"], 40_000);
    sale(json!({"order_id": o2, "amount": 300_000, "currency": "VND", "cost": 120_000, "click_id": c1}))
        .await
        .status(201);
    // Half of o2 refunded: half its cost of goods comes back, like its revenue and commission.
    refund(json!({"order_id": o2, "amount": 150_000, "refund_id": uid("r")}))
        .await
        .status(201);
    let r = affiliate_report_row(&a, "&sort=clicks").await;
    let m = money(&r, "VND");
    assert_eq!(m["revenue_net"], 250_000);
    assert_eq!(m["commissions"], 25_000);
    assert_eq!(m["cost_of_goods"], 100_000);
    assert_eq!(m["sales_without_cost"], 0);
    assert_eq!(m["contribution_margin"], 125_000);
    assert_eq!(m["roi"], 5.0);
    assert_eq!(m["roi_percent"], 500.0);
    assert_eq!(m["roas"], 10.0);
    // A net sale without a cost: no ROI, and the report says how many sales lack one.
    sale(json!({"order_id": o3, "amount": 50_000, "currency": "VND", "click_id": c1}))
        .await
        .status(201);
    let r = affiliate_report_row(&a, "&sort=clicks").await;
    let m = money(&r, "VND");
    assert_eq!(m["revenue_net"], 300_000);
    assert_eq!(m["cost_of_goods"], 100_000);
    assert_eq!(m["sales_without_cost"], 1);
    assert_eq!(m["roi"], Value::Null);
    assert_eq!(m["roi_percent"], Value::Null);
    assert_eq!(m["contribution_margin"], 300_000 - 100_000 - 30_000);
    // Refunded in full it is no net sale any more: ROI again.
    refund(json!({"order_id": o3})).await.status(201);
    let r = affiliate_report_row(&a, "&sort=clicks").await;
    let m = money(&r, "VND");
    assert_eq!(m["sales_without_cost"], 0);
    assert_eq!(m["roi"], 5.0);
    // The merchant's sales list shows the cost; the affiliate's own report leaves it out.
    let r = req("GET", &format!("/v1/sales?affiliate={a}&limit=10"))
        .sk()
        .send()
        .await;
    // Sales of one second tie on time: find each by its order id, not by position.
    let sales = r.json["sales"].as_array().expect("sales");
    let cost = |order: &str| {
        sales
            .iter()
            .find(|x| x["order_id"] == order)
            .map(|x| x["cost"].clone())
    };
    assert_eq!(
        [cost(&o1), cost(&o2), cost(&o3)],
        [Some(json!(40_000)), Some(json!(120_000)), Some(Value::Null)]
    );
    let r = req("GET", "/v1/me/report")
        .who(As::Bearer(token))
        .send()
        .await;
    r.status(200);
    let m = money(&r.json["kpis"], "VND");
    assert_eq!(m["revenue_net"], 250_000);
    for k in [
        "cost_of_goods",
        "sales_without_cost",
        "roi",
        "roi_percent",
        "contribution_margin",
    ] {
        assert_eq!(m[k], Value::Null, "{k} in the affiliate's report");
    }
}

#[tokio::test]
async fn partial_refunds_take_back_exactly_the_cost_of_goods() {
    let (a, _) = affiliate(json!({})).await;
    let (c, _) = click(&a).await;
    let order = uid("o");
    sale(json!({"order_id": order, "amount": 3_000, "currency": "VND", "cost": 1_000, "click_id": c}))
        .await
        .status(201);
    // Thirds: 333, 334, 333 taken back (the rounding of commission reversals).
    for left in [667, 333, 0] {
        refund(json!({"order_id": order, "amount": 1_000, "refund_id": uid("r")}))
            .await
            .status(201);
        let row = affiliate_report_row(&a, "&sort=clicks").await;
        assert_eq!(money(&row, "VND")["cost_of_goods"], left);
    }
}
