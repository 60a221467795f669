//! Multi-touch credit: the program's `multi_touch` model splits each new sale over the buyer's
//! clicks in the reports (`credited_revenue_net`, `assisted_sales`), while the commission stays
//! with the affiliate the last (or first) click credits.

use crate::harness::*;
use serde_json::{json, Value};

/// A visitor id (16 to 32 letters and digits).
fn visitor() -> String {
    let mut v = format!("{:0<20}", uid("v"));
    v.truncate(32);
    v
}

/// A click on `affiliate`'s link by `visitor`; returns its id.
async fn visit(affiliate: &str, visitor: &str) -> String {
    let body = json!({"affiliate": affiliate, "url": format!("https://www.shop.test/?ref={affiliate}"), "referrer": "",
        "consent": "granted", "via": "query", "landing": "/", "visitor": visitor});
    let r = req("POST", "/v1/clicks").browser().json(&body).send().await;
    r.status(201);
    r.json["click_id"].as_str().expect("click_id").to_owned()
}

/// Sets the program's multi-touch model (the caller holds [`program_lock`]).
async fn set_model(program: &Value, model: Value) {
    let mut p = program.clone();
    p["multi_touch"] = model;
    put_program(&p).await;
}

/// The `/v1/reports/affiliates` row of each of `ids` (credited revenue in VND, assisted sales).
async fn credited(ids: &[&str]) -> Vec<(i64, i64, Value)> {
    let r = req(
        "GET",
        "/v1/reports/affiliates?limit=1000&sort=credited_revenue",
    )
    .sk()
    .send()
    .await;
    r.status(200);
    let rows = r.json["rows"].as_array().expect("rows").clone();
    ids.iter()
        .map(|id| {
            let row = rows
                .iter()
                .find(|x| x["key"] == *id)
                .unwrap_or_else(|| panic!("no row for {id}: {}", r.text));
            let m = row["money"]
                .as_array()
                .and_then(|m| m.iter().find(|x| x["currency"] == "VND"))
                .unwrap_or_else(|| panic!("no VND money for {id}: {row}"));
            (
                m["revenue_net"].as_i64().expect("revenue_net"),
                m["credited_revenue_net"]
                    .as_i64()
                    .expect("credited_revenue_net"),
                row["assisted_sales"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_multi_touch_model_credits_every_click_of_the_buyer() {
    let _program = program_lock().await;
    let p = req("GET", "/v1/program").sk().send().await.json;
    let (alice, _) = affiliate(json!({})).await;
    let (bob, _) = affiliate(json!({})).await;
    let (carol, _) = affiliate(json!({"category": "coupon"})).await;

    // Linear: a visitor clicks alice, then bob, and buys; the last click pays bob.
    set_model(&p, json!({"kind": "linear"})).await;
    let v = visitor();
    visit(&alice, &v).await;
    let cb = visit(&bob, &v).await;
    let o1 = uid("o");
    let r =
        sale(json!({"order_id": o1, "amount": 10_001, "currency": "VND", "click_id": cb})).await;
    r.status(201);
    assert_eq!(r.json["referral"]["affiliate"], bob.as_str());
    let got = credited(&[&alice, &bob]).await;
    // 5,000 / 5,000 basis points; the odd unit goes to the later touch.
    assert_eq!(got[0].0, 0);
    assert_eq!(got[0].1, 5_000);
    assert_eq!(got[0].2, json!({"gross": 1, "net": 1}));
    assert_eq!(got[1].0, 10_001);
    assert_eq!(got[1].1, 5_001);
    assert_eq!(got[1].2, json!({"gross": 0, "net": 0}));

    // A new model applies to new sales only: position-based over three touches, 40/20/40.
    set_model(&p, json!({"kind": "position_based"})).await;
    let v = visitor();
    visit(&alice, &v).await;
    visit(&carol, &v).await;
    let cb = visit(&bob, &v).await;
    let o2 = uid("o");
    let r =
        sale(json!({"order_id": o2, "amount": 100_000, "currency": "VND", "click_id": cb})).await;
    r.status(201);
    assert_eq!(r.json["referral"]["affiliate"], bob.as_str());
    assert_eq!(
        r.json["referral"]["commission"], 10_000,
        "the commission is the paid affiliate's alone"
    );
    let got = credited(&[&alice, &bob, &carol]).await;
    assert_eq!(got[0].1, 5_000 + 40_000);
    assert_eq!(got[0].2, json!({"gross": 2, "net": 2}));
    assert_eq!((got[1].0, got[1].1), (110_001, 5_001 + 40_000));
    assert_eq!((got[2].0, got[2].1), (0, 20_000));
    assert_eq!(got[2].2, json!({"gross": 1, "net": 1}));

    // A partial refund takes credit back in proportion; a full one also leaves the net count.
    refund(json!({"order_id": o2, "amount": 50_001, "refund_id": uid("r")}))
        .await
        .status(201);
    refund(json!({"order_id": o1})).await.status(201);
    let got = credited(&[&alice, &bob, &carol]).await;
    // 49,999 left of the second order: 19,999.6 / 9,999.8 / 19,999.6 → 19,999 / 10,000 /
    // 20,000 (the largest remainders get the units left, ties to the later touch).
    assert_eq!(got[0].1, 19_999);
    assert_eq!(got[0].2, json!({"gross": 2, "net": 1}));
    assert_eq!((got[1].0, got[1].1), (49_999, 20_000));
    assert_eq!(got[2].1, 10_000);
    assert_eq!(
        got.iter().map(|g| g.1).sum::<i64>(),
        49_999,
        "the parts of an order sum to its net revenue"
    );

    // Time decay: the credited touch the browser reports (a week old) joins the trail; one
    // half-life apart, it gets half the weight of the fresh click: 1:2.
    set_model(&p, json!({"kind": "time_decay", "half_life_days": 7})).await;
    let (dave, _) = affiliate(json!({})).await;
    let (erin, _) = affiliate(json!({})).await;
    let v = visitor();
    visit(&dave, &v).await;
    let r = sale(json!({"order_id": uid("o"), "amount": 30_000, "currency": "VND",
        "touch": {"affiliate": erin, "at": now_rfc3339(-7 * 86_400), "via": "query", "visitor": v}}))
    .await;
    r.status(201);
    assert_eq!(r.json["referral"]["affiliate"], erin.as_str());
    assert_eq!(r.json["referral"]["attributed_by"], "touch");
    let got = credited(&[&dave, &erin]).await;
    assert_eq!((got[0].0, got[0].1), (0, 20_001));
    assert_eq!((got[1].0, got[1].1), (30_000, 9_999));
    assert_eq!(got[0].2, json!({"gross": 1, "net": 1}));

    // Last: the last click takes it all; with no trail known, the paid affiliate does.
    set_model(&p, json!({"kind": "last"})).await;
    let (fay, _) = affiliate(json!({})).await;
    let cf = visit(&fay, &visitor()).await;
    sale(json!({"order_id": uid("o"), "amount": 7_000, "currency": "VND", "click_id": cf}))
        .await
        .status(201);
    let got = credited(&[&fay]).await;
    assert_eq!((got[0].0, got[0].1), (7_000, 7_000));
    assert_eq!(got[0].2, json!({"gross": 0, "net": 0}));
    put_program(&p).await;

    // Categories carry the same figures; the summary and the time series do not.
    let r = req("GET", "/v1/reports/categories").sk().send().await;
    r.status(200);
    let coupon = r.json["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|x| x["key"] == "coupon"))
        .cloned()
        .expect("the coupon category");
    assert!(coupon["assisted_sales"]["gross"].as_i64().unwrap_or(0) >= 1);
    assert!(coupon["money"]
        .as_array()
        .is_some_and(|m| m.iter().all(|x| x["credited_revenue_net"].is_i64())));
    let r = req("GET", "/v1/reports/summary").sk().send().await;
    assert!(r.json["kpis"].get("assisted_sales").is_none());
    req("GET", "/v1/reports/affiliates?sort=credit")
        .sk()
        .send()
        .await
        .error(400, "invalid_query");
}
