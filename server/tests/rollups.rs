//! The report rollups kept with every change (`server/src/rollups.rs`) equal what a rebuild from
//! the rows gives, after sales with and without a cost of goods, partial and full refunds, a
//! rejection and a lead; and the reports read the cost of goods, ROI and contribution margin from
//! them, on several days. Through the router (`oneshot`), on SQLite.

use reftrail_server::{AppState, HttpOptions};
use serde_json::{json, Value};
use sqlx::Row;

mod support;

use support::call;

async fn state() -> AppState {
    support::fresh_state(HttpOptions::default()).await
}

async fn ok(state: &AppState, method: &str, path: &str, body: Value) -> Value {
    let (s, v) = call(state, method, path, body).await;
    assert!(s.is_success(), "{method} {path}: {s} {v}");
    v
}

/// Every row of `referral_daily`, in order.
async fn rollup(conn: &mut sqlx::AnyConnection) -> Vec<Vec<String>> {
    sqlx::query(
        "SELECT day, affiliate_id, currency, kind, referrals, referrals_net, reversed, amount, amount_kept, \
         commission, ledger_net, refunded, cost, cost_refunded, sales_without_cost FROM referral_daily \
         ORDER BY day, affiliate_id, currency, kind",
    )
    .fetch_all(conn)
    .await
    .expect("rollup")
    .iter()
    .map(|r| {
        (0..15)
            .map(|i| match i {
                1..=3 => r.try_get::<String, _>(i).expect("text"),
                _ => r.try_get::<i64, _>(i).expect("integer").to_string(),
            })
            .collect()
    })
    .collect()
}

fn money<'a>(row: &'a Value, currency: &str) -> &'a Value {
    row["money"]
        .as_array()
        .and_then(|m| m.iter().find(|x| x["currency"] == currency))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn rollups_equal_a_rebuild_and_carry_the_cost_of_goods() {
    let s = state().await;
    let (_, mut p) = call(&s, "GET", "/v1/program", Value::Null).await;
    p["hold_days"] = json!(0);
    p["commission"] = json!({"sale": {"type": "percent", "rate_bps": 1000}, "lead": {"USD": 100}});
    ok(&s, "PUT", "/v1/program", p).await;
    for id in ["alice", "bob"] {
        let coupon = format!("{}10", id.to_uppercase());
        ok(
            &s,
            "POST",
            "/v1/affiliates",
            json!({"id": id, "name": id, "email": format!("{id}@x.test"), "coupons": [coupon]}),
        )
        .await;
    }
    let sale = |order: &str, coupon: &str, amount: i64, cost: Option<i64>, at: &str| {
        let mut b = json!({"order_id": order, "amount": amount, "currency": "USD", "coupon": coupon, "at": at});
        if let Some(c) = cost {
            b["cost"] = json!(c);
        }
        b
    };
    let day1 = "2025-03-01T10:00:00Z";
    let day2 = "2025-03-02T10:00:00Z";
    // alice, day 1: two sales with a cost, one partly refunded twice (1/3 each), one without.
    ok(
        &s,
        "POST",
        "/v1/sales",
        sale("A1", "ALICE10", 3_000, Some(1_000), day1),
    )
    .await;
    ok(
        &s,
        "POST",
        "/v1/sales",
        sale("A2", "ALICE10", 10_000, Some(4_000), day1),
    )
    .await;
    ok(
        &s,
        "POST",
        "/v1/sales",
        sale("A3", "ALICE10", 5_000, None, day1),
    )
    .await;
    for (i, part) in [1_000, 1_000].into_iter().enumerate() {
        ok(
            &s,
            "POST",
            "/v1/refunds",
            json!({"order_id": "A1", "amount": part, "refund_id": format!("A1-{i}")}),
        )
        .await;
    }
    // bob, day 2: one sale with a cost rejected, one without a cost fully refunded, one kept.
    let rejected = ok(
        &s,
        "POST",
        "/v1/sales",
        sale("B1", "BOB10", 8_000, Some(2_000), day2),
    )
    .await;
    let rid = rejected["referral"]["id"].as_str().expect("referral id");
    ok(
        &s,
        "POST",
        &format!("/v1/referrals/{rid}/reject"),
        Value::Null,
    )
    .await;
    ok(
        &s,
        "POST",
        "/v1/sales",
        sale("B2", "BOB10", 6_000, None, day2),
    )
    .await;
    ok(&s, "POST", "/v1/refunds", json!({"order_id": "B2"})).await;
    ok(
        &s,
        "POST",
        "/v1/sales",
        sale("B3", "BOB10", 20_000, Some(5_000), day2),
    )
    .await;
    ok(
        &s,
        "POST",
        "/v1/refunds",
        json!({"order_id": "B3", "amount": 5_000, "refund_id": "B3-1"}),
    )
    .await;

    // The rollup kept change by change equals the one rebuilt from the rows.
    let mut conn = s.db.pool.acquire().await.expect("connection");
    let kept = rollup(&mut conn).await;
    assert!(!kept.is_empty());
    let mut tx = s.db.begin_write().await.expect("transaction");
    reftrail_server::rollups::rebuild(&mut tx)
        .await
        .expect("rebuild");
    let rebuilt = rollup(&mut tx).await;
    tx.rollback().await.expect("rollback");
    assert_eq!(kept, rebuilt);

    // alice: cost of goods 1000 − 667 (two thirds taken back) + 4000; A3 has none, so no ROI.
    let (_, r) = call(
        &s,
        "GET",
        "/v1/reports/affiliates?from=2025-03-01&to=2025-03-02",
        Value::Null,
    )
    .await;
    let row = |key: &str| {
        r["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|x| x["key"] == key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let a = row("alice");
    let m = money(&a, "USD");
    assert_eq!(m["revenue_net"], 1_000 + 10_000 + 5_000);
    assert_eq!(m["commissions"], 100 + 1_000 + 500);
    assert_eq!(m["cost_of_goods"], 333 + 4_000);
    assert_eq!(m["sales_without_cost"], 1);
    assert_eq!(m["roi"], Value::Null);
    assert_eq!(m["contribution_margin"], 16_000 - 4_333 - 1_600);
    // bob: the rejected sale and the fully refunded one leave no revenue, cost or missing cost.
    let b = row("bob");
    let m = money(&b, "USD");
    assert_eq!(m["revenue_net"], 15_000);
    assert_eq!(m["commissions"], 1_500);
    assert_eq!(m["cost_of_goods"], 3_750);
    assert_eq!(m["sales_without_cost"], 0);
    assert_eq!(m["contribution_margin"], 15_000 - 3_750 - 1_500);
    assert_eq!(m["roi"], 6.5);
    assert_eq!(m["roi_percent"], 650.0);
    // The days add up in the summary; A3 still lacks a cost there.
    let (_, sum) = call(
        &s,
        "GET",
        "/v1/reports/summary?from=2025-03-01&to=2025-03-02",
        Value::Null,
    )
    .await;
    let m = money(&sum["kpis"], "USD");
    assert_eq!(m["cost_of_goods"], 4_333 + 3_750);
    assert_eq!(m["sales_without_cost"], 1);
    assert_eq!(m["roi"], Value::Null);
    // The last third of A1 takes back exactly what is left of its cost; a lead (today) adds a
    // lead row.
    ok(
        &s,
        "POST",
        "/v1/refunds",
        json!({"order_id": "A1", "refund_id": "A1-2"}),
    )
    .await;
    ok(&s, "POST", "/v1/refunds", json!({"order_id": "A3"})).await;
    let now = reftrail_server::times::format(reftrail_server::times::now());
    let lead = ok(
        &s,
        "POST",
        "/v1/leads",
        json!({"event": "signup", "customer_id": "c-1", "touch": {"affiliate": "alice", "at": now}}),
    )
    .await;
    assert_eq!(lead["affiliate"], "alice");
    let mut conn = s.db.pool.acquire().await.expect("connection");
    let kept = rollup(&mut conn).await;
    let mut tx = s.db.begin_write().await.expect("transaction");
    reftrail_server::rollups::rebuild(&mut tx)
        .await
        .expect("rebuild");
    assert_eq!(kept, rollup(&mut tx).await);
    tx.rollback().await.expect("rollback");
    let (_, r) = call(
        &s,
        "GET",
        "/v1/reports/timeseries?from=2025-03-01&to=2025-03-02",
        Value::Null,
    )
    .await;
    let m = money(&r["rows"][0], "USD");
    assert_eq!(r["rows"][0]["key"], "2025-03-01");
    assert_eq!(
        (
            &m["revenue_net"],
            &m["cost_of_goods"],
            &m["sales_without_cost"]
        ),
        (&json!(10_000), &json!(4_000), &json!(0))
    );
    assert_eq!(m["commissions"], 1_000);
    assert_eq!(m["roi"], 5.0, "(10000 − 4000 − 1000) / 1000");
}
