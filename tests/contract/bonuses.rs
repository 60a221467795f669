//! Bonuses and payout fees: what an affiliate program costs beyond commission. A bonus is money
//! the merchant gives an affiliate outside any referral, payable at once and paid by the next
//! payout; a fee is what a payout's transfer cost the merchant, recorded when marking it sent.
//! The reports' channel cost is commissions + bonuses + fees (DESIGN.md).

use crate::harness::*;
use serde_json::{json, Value};

async fn give(body: &Value) -> Res {
    req("POST", "/v1/bonuses").sk().json(body).send().await
}

async fn cancel(id: &str) -> Res {
    req("POST", &format!("/v1/bonuses/{id}/cancel"))
        .sk()
        .send()
        .await
}

async fn bonuses(query: &str) -> Value {
    let r = req("GET", &format!("/v1/bonuses?{query}"))
        .sk()
        .send()
        .await;
    r.status(200);
    r.json.clone()
}

async fn approved(a: &str, currency: &str) -> i64 {
    balance(a, currency).await["approved"].as_i64().unwrap_or(0)
}

async fn activity_of(a: &str, action: &str) -> Vec<Value> {
    let r = req(
        "GET",
        &format!("/v1/activity?affiliate={a}&action={action}"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    r.json["activity"].as_array().expect("activity").clone()
}

#[tokio::test]
async fn a_bonus_is_payable_at_once_and_paid_by_the_next_payout() {
    let (a, token) = affiliate(json!({"payout_email": "bonus@affiliates.test"})).await;
    credit(&a, 10_000, "VND").await;
    let started = now_rfc3339(-1);
    let r = give(
        &json!({"affiliate": a, "amount": 500_000, "currency": "VND",
        "reason": "  Top seller, tháng 11  "}),
    )
    .await;
    r.status(201);
    let bonus = r.json.clone();
    let id = bonus["id"].as_str().expect("id").to_owned();
    assert!(!id.is_empty());
    assert_eq!(bonus["affiliate"], a.as_str());
    assert_eq!(bonus["amount"], 500_000);
    assert_eq!(bonus["currency"], "VND");
    assert_eq!(bonus["reason"], "Top seller, tháng 11", "trimmed");
    assert_eq!(bonus["status"], "approved");
    assert_eq!(bonus["payout_id"], Value::Null);
    assert_eq!(bonus["cancelled_at"], Value::Null);
    assert_eq!(bonus["by"], "secret_key");
    let created = bonus["created_at"].as_str().expect("created_at");
    assert!(created >= started.as_str() && created.ends_with('Z'));
    assert_eq!(
        approved(&a, "VND").await,
        1_000 + 500_000,
        "payable at once, beside the commission"
    );

    let list = bonuses(&format!("affiliate={a}")).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["bonuses"], json!([bonus]));

    // The affiliate sees it, without the merchant's bookkeeping.
    let mine = req("GET", "/v1/me/bonuses")
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    mine.status(200);
    assert_eq!(mine.json["total"], 1);
    assert_eq!(
        mine.json["bonuses"],
        json!([{"id": id, "amount": 500_000, "currency": "VND", "reason": "Top seller, tháng 11",
            "status": "approved", "payout_id": null, "created_at": created}])
    );

    let entries = activity_of(&a, "bonus.").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["action"], "bonus.created");
    assert_eq!(entries[0]["subject"], id.as_str());
    assert_eq!(entries[0]["by"], "secret_key");
    assert_eq!(
        entries[0]["details"],
        json!({"amount": 500_000, "currency": "VND", "reason": "Top seller, tháng 11"})
    );

    // The next payout pays commission and bonus in one line, and counts each.
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a]}))
        .send()
        .await;
    r.status(201);
    let payout = r.json["id"].as_str().expect("payout id").to_owned();
    let line = payout_line(&r.json, &a, "VND");
    assert_eq!(line["amount"], 501_000);
    assert_eq!(line["referrals"], 1);
    assert_eq!(line["bonuses"], 1);
    assert_eq!(line["fee"], Value::Null);
    let list = bonuses(&format!("affiliate={a}&status=paid")).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["bonuses"][0]["status"], "paid");
    assert_eq!(list["bonuses"][0]["payout_id"], payout.as_str());
    assert_eq!(approved(&a, "VND").await, 0);
    // The affiliate's payout history counts it too.
    let mine = req("GET", "/v1/me/payouts")
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    mine.status(200);
    assert_eq!(
        (
            &mine.json["payouts"][0]["referrals"],
            &mine.json["payouts"][0]["bonuses"]
        ),
        (&json!(1), &json!(1)),
        "{}",
        mine.text
    );

    // Paid money stays paid.
    cancel(&id).await.error(409, "invalid_status");
    assert_eq!(
        bonuses(&format!("affiliate={a}&status=paid")).await["total"],
        1
    );
}

#[tokio::test]
async fn a_cancelled_bonus_leaves_the_balance() {
    let (a, token) = affiliate(json!({})).await;
    let r = give(&json!({"affiliate": a, "amount": 10_000, "currency": "THB",
        "reason": "โบนัสเปิดตัว"}))
    .await;
    r.status(201);
    let id = r.json["id"].as_str().expect("id").to_owned();
    assert_eq!(approved(&a, "THB").await, 10_000);

    let r = cancel(&id).await;
    r.status(200);
    assert_eq!(r.json["status"], "cancelled");
    let at = r.json["cancelled_at"].clone();
    assert!(at.as_str().is_some_and(|t| t.ends_with('Z')), "{}", r.text);
    assert_eq!(approved(&a, "THB").await, 0);
    // Cancelled again: the same answer, nothing written twice.
    let again = cancel(&id).await;
    again.status(200);
    assert_eq!(again.json, r.json);
    assert_eq!(approved(&a, "THB").await, 0);
    assert_eq!(activity_of(&a, "bonus.cancelled").await.len(), 1);

    // Gone from the affiliate's list; the merchant still finds it.
    let mine = req("GET", "/v1/me/bonuses")
        .who(As::Bearer(token))
        .send()
        .await;
    mine.status(200);
    assert_eq!(mine.json["total"], 0);
    assert_eq!(mine.json["bonuses"], json!([]));
    let list = bonuses(&format!("affiliate={a}&status=cancelled")).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["bonuses"][0]["id"], id.as_str());
    assert_eq!(
        bonuses(&format!("affiliate={a}&status=approved")).await["total"],
        0
    );
    // Nothing left to pay.
    req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a]}))
        .send()
        .await
        .error(422, "nothing_to_pay");
}

#[tokio::test]
async fn bonuses_are_checked_and_a_refusal_writes_nothing() {
    let (a, _) = affiliate(json!({})).await;
    let ok = json!({"affiliate": a, "amount": 1_000, "currency": "USD", "reason": "Thanks"});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = ok.clone();
        b.as_object_mut().map(|o| o.remove(k));
        b
    };
    for (body, status, code) in [
        (without("affiliate"), 400, "invalid_affiliate"),
        (
            with("affiliate", json!("<script>")),
            400,
            "invalid_affiliate",
        ),
        (with("affiliate", json!(42)), 400, "invalid_affiliate"),
        (
            with("affiliate", json!(uid("nobody"))),
            404,
            "affiliate_not_found",
        ),
        (without("amount"), 400, "invalid_amount"),
        (with("amount", json!(0)), 400, "invalid_amount"),
        (with("amount", json!(-500)), 400, "invalid_amount"),
        (with("amount", json!(12.5)), 400, "invalid_amount"),
        (with("amount", json!("1000")), 400, "invalid_amount"),
        (
            with("amount", json!(9_007_199_254_740_992_i64)),
            400,
            "invalid_amount",
        ),
        (without("currency"), 400, "invalid_currency"),
        (with("currency", json!("usd")), 400, "invalid_currency"),
        (with("currency", json!("DOLLARS")), 400, "invalid_currency"),
        (without("reason"), 400, "invalid_reason"),
        (with("reason", json!("   ")), 400, "invalid_reason"),
        (with("reason", json!("line\nbreak")), 400, "invalid_reason"),
        (
            with("reason", json!("x".repeat(201))),
            400,
            "invalid_reason",
        ),
        (with("reason", json!(["Thanks"])), 400, "invalid_reason"),
    ] {
        give(&body).await.error(status, code);
    }
    req("POST", "/v1/bonuses")
        .sk()
        .raw("{\"affiliate\":", "application/json")
        .send()
        .await
        .status(400);
    req("POST", "/v1/bonuses")
        .sk()
        .json(&with("extra", json!(1)))
        .send()
        .await
        .status(400);
    // Only an approved affiliate earns one.
    let (p, _) = affiliate(json!({"status": "pending"})).await;
    give(&with("affiliate", json!(p)))
        .await
        .error(422, "affiliate_not_approved");
    // Only the merchant gives them; only the affiliate reads their own.
    let (_, token) = affiliate(json!({})).await;
    req("POST", "/v1/bonuses")
        .who(As::Bearer(token.clone()))
        .json(&ok)
        .send()
        .await
        .error(403, "forbidden");
    req("POST", "/v1/bonuses")
        .json(&ok)
        .send()
        .await
        .error(401, "unauthorized");
    req("GET", "/v1/me/bonuses")
        .sk()
        .send()
        .await
        .error(403, "forbidden");
    // Nothing was written by any refusal.
    for who in [a.as_str(), p.as_str()] {
        assert_eq!(bonuses(&format!("affiliate={who}")).await["total"], 0);
        assert_eq!(approved(who, "USD").await, 0);
        assert!(activity_of(who, "bonus.").await.is_empty());
    }
    // The list's and cancel's own inputs.
    for (query, code) in [
        ("status=lost", "invalid_status"),
        ("affiliate=%3Cx%3E", "invalid_affiliate"),
        ("limit=0", "invalid_query"),
        ("limit=501", "invalid_query"),
        ("offset=-1", "invalid_query"),
    ] {
        req("GET", &format!("/v1/bonuses?{query}"))
            .sk()
            .send()
            .await
            .error(400, code);
    }
    cancel(&uid("bo")).await.error(404, "bonus_not_found");
}

#[tokio::test]
async fn an_idempotent_bonus_is_given_once() {
    let (a, _) = affiliate(json!({})).await;
    let key = uid("idem");
    let body =
        json!({"affiliate": a, "amount": 250_000, "currency": "VND", "reason": "Launch week"});
    let send = |body: Value| {
        req("POST", "/v1/bonuses")
            .sk()
            .header("Idempotency-Key", &key)
            .json(&body)
            .send()
    };
    let first = send(body.clone()).await;
    first.status(201);
    let second = send(body.clone()).await;
    second.status(200);
    assert_eq!(second.json, first.json);
    assert_eq!(bonuses(&format!("affiliate={a}")).await["total"], 1);
    assert_eq!(approved(&a, "VND").await, 250_000);
    let mut other = body.clone();
    other["amount"] = json!(300_000);
    send(other).await.error(409, "idempotency_key_reused");
    assert_eq!(approved(&a, "VND").await, 250_000);
}

#[tokio::test]
async fn a_payout_line_records_what_its_transfer_cost() {
    let (a, _) = affiliate(json!({})).await;
    credit(&a, 100_000, "VND").await;
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a]}))
        .send()
        .await;
    r.status(201);
    let id = r.json["id"].as_str().expect("payout id").to_owned();
    let sent = |body: Value| {
        req("POST", &format!("/v1/payouts/{id}/sent"))
            .sk()
            .json(&body)
            .send()
    };
    for body in [
        json!({"affiliate": a, "currency": "VND", "sent": true, "fee": -1}),
        json!({"affiliate": a, "currency": "VND", "sent": true, "fee": 1.5}),
        json!({"affiliate": a, "currency": "VND", "sent": true, "fee": "1100"}),
        json!({"affiliate": a, "currency": "VND", "sent": false, "fee": 1_100}),
    ] {
        sent(body).await.error(400, "invalid_fee");
    }
    let line = |r: &Res| payout_line(&r.json, &a, "VND");
    let r = sent(json!({"affiliate": a, "currency": "VND", "sent": true, "fee": 1_100})).await;
    r.status(200);
    assert_eq!(line(&r)["fee"], 1_100);
    assert!(line(&r)["sent_at"].is_string());
    // Marked again without a fee: the fee stays; with one: corrected.
    let r = sent(json!({"affiliate": a, "currency": "VND", "sent": true})).await;
    assert_eq!(line(&r)["fee"], 1_100);
    let r = sent(json!({"affiliate": a, "currency": "VND", "sent": true, "fee": 3_300})).await;
    assert_eq!(line(&r)["fee"], 3_300);
    let shown = req("GET", &format!("/v1/payouts/{id}")).sk().send().await;
    assert_eq!(line(&shown)["fee"], 3_300);
    let entries = activity_of(&a, "payout.sent").await;
    let fees: Vec<&Value> = entries.iter().map(|e| &e["details"]["fee"]).collect();
    assert_eq!(
        fees,
        [&json!(3_300), &json!(1_100)],
        "newest first, one per change: {entries:?}"
    );
    // Unmarked: no transfer, no fee.
    let r = sent(json!({"affiliate": a, "currency": "VND", "sent": false})).await;
    assert_eq!(line(&r)["fee"], Value::Null);
    assert_eq!(line(&r)["sent_at"], Value::Null);
}

#[tokio::test]
async fn reports_count_bonuses_and_fees_in_the_channel_cost() {
    let (a, token) = affiliate(json!({})).await;
    let (c, _) = click(&a).await;
    sale(json!({"order_id": uid("o"), "amount": 100_000, "currency": "VND", "cost": 40_000, "click_id": c}))
        .await
        .status(201);
    give(&json!({"affiliate": a, "amount": 5_000, "currency": "VND", "reason": "Review video"}))
        .await
        .status(201);
    // A cancelled bonus costs nothing.
    let r =
        give(&json!({"affiliate": a, "amount": 7_000, "currency": "VND", "reason": "Typo"})).await;
    cancel(r.json["id"].as_str().expect("id")).await.status(200);

    let row = affiliate_report_row(&a, "&sort=clicks").await;
    let m = money(&row, "VND");
    assert_eq!(m["commissions"], 10_000);
    assert_eq!(m["bonuses"], 5_000);
    assert_eq!(m["fees"], 0);
    assert_eq!(m["channel_cost"], 15_000);
    assert_eq!(m["roas"], 6.666667, "net revenue / channel cost");
    assert_eq!(m["roas_percent"], 666.67);
    assert_eq!(m["roi"], 3.0, "(100,000 − 40,000 − 15,000) / 15,000");
    assert_eq!(m["contribution_margin"], 50_000, "commission only");
    assert_eq!(m["cost_per_sale"], 10_000, "sale commission only");

    // Paid, and the transfer cost a fee.
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a]}))
        .send()
        .await;
    r.status(201);
    let id = r.json["id"].as_str().expect("payout id").to_owned();
    req("POST", &format!("/v1/payouts/{id}/sent"))
        .sk()
        .json(&json!({"affiliate": a, "currency": "VND", "sent": true, "fee": 1_100}))
        .send()
        .await
        .status(200);
    let row = affiliate_report_row(&a, "&sort=clicks").await;
    let m = money(&row, "VND");
    assert_eq!(m["fees"], 1_100);
    assert_eq!(m["channel_cost"], 16_100);
    assert_eq!(m["roas"], 6.21118);
    assert_eq!(m["roi"], 2.726708);

    // A currency with nothing but a bonus.
    give(&json!({"affiliate": a, "amount": 20_000, "currency": "THB", "reason": "Thai launch"}))
        .await
        .status(201);
    let row = affiliate_report_row(&a, "&sort=clicks").await;
    let m = money(&row, "THB");
    assert_eq!(
        (
            &m["revenue_net"],
            &m["bonuses"],
            &m["channel_cost"],
            &m["roas"]
        ),
        (&json!(0), &json!(20_000), &json!(20_000), &json!(0.0)),
        "{row}"
    );
    // The day's and the program's figures include them.
    let today = now_rfc3339(0)[..10].to_owned();
    let r = req(
        "GET",
        &format!("/v1/reports/timeseries?from={today}&to={today}"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    let m = money(&r.json["rows"][0], "THB");
    assert!(m["bonuses"].as_i64().unwrap_or(0) >= 20_000, "{}", r.text);
    let r = req("GET", "/v1/reports/summary").sk().send().await;
    let m = money(&r.json["kpis"], "VND");
    assert!(m["fees"].as_i64().unwrap_or(0) >= 1_100, "{}", r.text);
    assert!(m["bonuses"].as_i64().unwrap_or(0) >= 5_000);

    // The affiliate's own report: their bonuses, not the merchant's fees.
    let r = req("GET", "/v1/me/report")
        .who(As::Bearer(token))
        .send()
        .await;
    r.status(200);
    let m = money(&r.json["kpis"], "VND");
    assert_eq!(m["bonuses"], 5_000);
    assert_eq!(m["fees"], Value::Null);
    assert_eq!(m["channel_cost"], Value::Null);
    assert_eq!(m["roas"], 6.666667, "revenue / (commissions + bonuses)");
}

#[tokio::test]
async fn a_cancel_racing_a_payout_leaves_the_money_whole() {
    // Several rounds of one bonus, cancelled while a payout runs: either the payout paid it
    // (and the cancel says so) or the cancel took it back (and no payout paid it); never both,
    // never neither, and the balance always adds up.
    for round in 0..4 {
        let (a, _) = affiliate(json!({})).await;
        let r = give(&json!({"affiliate": a, "amount": 40_000, "currency": "VND",
            "reason": format!("Round {round}")}))
        .await;
        r.status(201);
        let id = r.json["id"].as_str().expect("id").to_owned();
        let payout = {
            let a = a.clone();
            tokio::spawn(async move {
                req("POST", "/v1/payouts")
                    .sk()
                    .json(&json!({"affiliates": [a]}))
                    .send()
                    .await
            })
        };
        let cancelled = {
            let id = id.clone();
            tokio::spawn(async move { cancel(&id).await })
        };
        let (payout, cancelled) = (
            payout.await.expect("payout task"),
            cancelled.await.expect("cancel task"),
        );
        let b = balance(&a, "VND").await;
        let list = bonuses(&format!("affiliate={a}")).await;
        let status = list["bonuses"][0]["status"].clone();
        if payout.status == 201 {
            assert_eq!(payout_line(&payout.json, &a, "VND")["amount"], 40_000);
            cancelled.error(409, "invalid_status");
            assert_eq!(status, "paid");
            assert_eq!((&b["approved"], &b["paid"]), (&json!(0), &json!(40_000)));
        } else {
            payout.error(422, "nothing_to_pay");
            cancelled.status(200);
            assert_eq!(status, "cancelled");
            assert_eq!(b["paid"].as_i64().unwrap_or(0), 0, "{b}");
            assert_eq!(b["approved"].as_i64().unwrap_or(0), 0, "{b}");
        }
    }
}
