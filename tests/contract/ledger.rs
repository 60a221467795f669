//! Refund arithmetic, review, balances and payouts.

use crate::harness::*;
use serde_json::{json, Value};

#[tokio::test]
async fn partial_refunds_reverse_in_proportion_and_add_up() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    let order = uid("o");
    // 10 % of 10.00 USD = 1.00 USD.
    let r =
        sale(json!({"order_id": order, "amount": 1000, "currency": "USD", "click_id": click_id}))
            .await;
    r.status(201);
    assert_eq!(r.json["referral"]["commission"], 100);
    let mut reversed = Vec::new();
    for (i, amount) in [333, 333, 334].into_iter().enumerate() {
        let r = req("POST", "/v1/refunds")
            .sk()
            .json(
                &json!({"order_id": order, "amount": amount, "refund_id": format!("{order}-r{i}")}),
            )
            .send()
            .await;
        r.status(201);
        reversed.push(
            r.json["commission_reversed"]
                .as_i64()
                .expect("commission_reversed"),
        );
        assert_eq!(r.json["refund"]["refunded_total"], [333, 666, 1000][i]);
    }
    // 33.3 -> 33, 66.6 -> 67 (34 more), 100 (33 more): half to even on the running total.
    assert_eq!(reversed, vec![33, 34, 33]);
    let referrals = referrals_of(&a, "").await;
    let referral = &referrals[0];
    assert_eq!(referral["status"], "reversed");
    assert_eq!(referral["commission_net"], 0);
    assert_eq!(referral["commission"], 100);
    // Nothing is left to refund.
    refund(json!({"order_id": order, "amount": 1, "refund_id": format!("{order}-r9")}))
        .await
        .error(422, "refund_exceeds_order");
    // A replayed refund answers the first result; its id reused differently is a conflict.
    let again =
        refund(json!({"order_id": order, "amount": 333, "refund_id": format!("{order}-r0")})).await;
    again.status(200);
    assert_eq!(again.json["commission_reversed"], 33);
    refund(json!({"order_id": order, "amount": 300, "refund_id": format!("{order}-r0")}))
        .await
        .error(409, "idempotency_key_reused");
}

#[tokio::test]
async fn refund_errors() {
    refund(json!({"order_id": uid("missing")}))
        .await
        .error(404, "order_not_found");
    let order = uid("o");
    sale(json!({"order_id": order, "amount": 500, "currency": "USD"}))
        .await
        .status(201);
    refund(json!({"order_id": order, "amount": 100}))
        .await
        .error(400, "missing_refund_id");
    refund(json!({"order_id": order, "amount": 0, "refund_id": "x"}))
        .await
        .error(400, "invalid_amount");
    refund(json!({"order_id": order, "amount": 600, "refund_id": uid("r")}))
        .await
        .error(422, "refund_exceeds_order");
    refund(json!({"order_id": order, "currency": "EUR"}))
        .await
        .error(400, "currency_mismatch");
    // A full refund of an unattributed order: no commission to reverse.
    let r = refund(json!({"order_id": order})).await;
    r.status(201);
    assert_eq!(r.json["commission_reversed"], 0);
    assert!(r.json["referral"].is_null());
}

#[tokio::test]
async fn review_moves_referrals_through_their_statuses() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    let r1 = browser_sale(&click_id, 10_000).await;
    let r2 = browser_sale(&click_id, 20_000).await;
    let id1 = r1.json["referral"]["id"].as_str().expect("id").to_owned();
    let id2 = r2.json["referral"]["id"].as_str().expect("id").to_owned();
    assert_eq!(balance(&a, "VND").await["pending"], 3_000);
    let r = req("POST", &format!("/v1/referrals/{id1}/approve"))
        .sk()
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["status"], "approved");
    req("POST", &format!("/v1/referrals/{id1}/approve"))
        .sk()
        .send()
        .await
        .status(200);
    let r = req("POST", &format!("/v1/referrals/{id2}/reject"))
        .sk()
        .json(&json!({"reason": "test order"}))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["status"], "rejected");
    assert_eq!(r.json["commission_net"], 0);
    req("POST", &format!("/v1/referrals/{id2}/approve"))
        .sk()
        .send()
        .await
        .error(409, "invalid_status");
    let b = balance(&a, "VND").await;
    assert_eq!(
        (
            b["pending"].as_i64(),
            b["approved"].as_i64(),
            b["paid"].as_i64()
        ),
        (Some(0), Some(1_000), Some(0))
    );
    let r = req("GET", &format!("/v1/referrals/{id1}"))
        .sk()
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["affiliate"], a.as_str());
    let referrals = referrals_of(&a, "&status=rejected").await;
    assert_eq!(referrals.len(), 1);
}

/// `GET /v1/referrals?{query}`: (total, the page's referrals).
async fn listed(query: &str) -> (i64, Vec<Value>) {
    let r = req("GET", &format!("/v1/referrals?{query}"))
        .sk()
        .send()
        .await;
    r.status(200);
    (
        r.json["total"].as_i64().expect("total"),
        r.json["referrals"].as_array().expect("referrals").clone(),
    )
}

#[tokio::test]
async fn the_list_counts_what_its_filters_match_and_filters_by_verification() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    for amount in [10_000, 20_000, 30_000] {
        browser_sale(&click_id, amount).await.status(201);
    }
    sale(json!({"order_id": uid("o"), "amount": 40_000, "currency": "VND", "click_id": click_id}))
        .await
        .status(201);
    // The total counts every match; the page holds `limit` of them.
    let (total, one) = listed(&format!("affiliate={a}&limit=1")).await;
    assert_eq!((total, one.len()), (4, 1));
    let (total, rest) = listed(&format!("affiliate={a}&limit=2&offset=3")).await;
    assert_eq!(
        (total, rest.len()),
        (4, 1),
        "the total stays whatever the page"
    );
    // The shop's page reported three (unverified), its backend one.
    let (total, unverified) = listed(&format!("affiliate={a}&verified=false")).await;
    assert_eq!(total, 3);
    assert!(
        unverified.iter().all(|r| r["verified"] == false),
        "{unverified:?}"
    );
    let (total, verified) = listed(&format!("affiliate={a}&verified=true&status=approved")).await;
    assert_eq!(
        (total, verified.len()),
        (1, 1),
        "the verified one, approved at once"
    );
    assert_eq!(
        listed(&format!("affiliate={a}&verified=true&status=pending"))
            .await
            .0,
        0
    );
    assert_eq!(listed(&format!("affiliate={a}x")).await, (0, vec![]));
    for bad in ["verified=maybe", "verified=1"] {
        let r = req("GET", &format!("/v1/referrals?affiliate={a}&{bad}"))
            .sk()
            .send()
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    // The CSV takes the same filter.
    let r = req(
        "GET",
        &format!("/v1/referrals.csv?affiliate={a}&verified=false"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    assert_eq!(
        r.text.lines().count(),
        4,
        "the header and three rows: {}",
        r.text
    );
}

#[tokio::test]
async fn payouts_pay_approved_balances_and_net_later_refunds() {
    let (a, _) = affiliate(json!({"payout_email": "payouts@affiliates.test"})).await;
    let (click_id, _) = click(&a).await;
    let order = uid("o");
    sale(json!({"order_id": order, "amount": 10_000, "currency": "VND", "click_id": click_id}))
        .await
        .status(201);
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a], "note": "November"}))
        .send()
        .await;
    r.status(201);
    let payout = r.json["id"].as_str().expect("payout id").to_owned();
    assert_eq!(
        r.json["lines"],
        json!([{"affiliate": a, "currency": "VND", "amount": 1000, "gross": 1000, "withheld": 0,
            "tax_id": null, "method": "paypal",
            "paypal_email": "payouts@affiliates.test", "bank": null, "account": null,
            "account_name": null, "transfer_qr": null, "referrals": 1, "bonuses": 0, "recruiter_commissions": 0, "fee": null, "sent_at": null}])
    );
    let referrals = referrals_of(&a, "").await;
    assert_eq!(referrals[0]["status"], "paid");
    assert_eq!(referrals[0]["payout_id"], payout.as_str());
    // The PayPal mass payment file.
    let r = req("GET", &format!("/v1/payouts/{payout}.csv"))
        .sk()
        .send()
        .await;
    r.status(200);
    assert!(r
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/csv")));
    assert_eq!(
        r.text,
        format!("payouts@affiliates.test,1000,VND,{a},November\n")
    );
    let r = req("GET", &format!("/v1/payouts/{payout}"))
        .sk()
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["lines"][0]["amount"], 1000);
    // A refund after payout leaves a negative balance; the next payout nets it.
    let r = refund(json!({"order_id": order, "amount": 5_000, "refund_id": uid("r")})).await;
    r.status(201);
    assert_eq!(r.json["commission_reversed"], 500);
    let b = balance(&a, "VND").await;
    assert_eq!(
        (b["approved"].as_i64(), b["paid"].as_i64()),
        (Some(-500), Some(1000))
    );
    req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a]}))
        .send()
        .await
        .error(422, "nothing_to_pay");
    sale(json!({"order_id": uid("o"), "amount": 20_000, "currency": "VND", "click_id": click_id}))
        .await
        .status(201);
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a]}))
        .send()
        .await;
    r.status(201);
    assert_eq!(r.json["lines"][0]["amount"], 1_500);
    let b = balance(&a, "VND").await;
    assert_eq!(
        (b["approved"].as_i64(), b["paid"].as_i64()),
        (Some(0), Some(2_500))
    );
    // Listing.
    let r = req("GET", "/v1/payouts").sk().send().await;
    r.status(200);
    assert!(r.json["payouts"]
        .as_array()
        .is_some_and(|p| p.iter().any(|x| x["id"] == payout.as_str())));
    // A paid referral cannot be rejected.
    let referrals = referrals_of(&a, "&status=paid").await;
    let paid = referrals[0]["id"]
        .as_str()
        .expect("paid referral")
        .to_owned();
    req("POST", &format!("/v1/referrals/{paid}/reject"))
        .sk()
        .send()
        .await
        .error(409, "invalid_status");
}

#[tokio::test]
async fn an_idempotent_payout_is_created_once() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    sale(json!({"order_id": uid("o"), "amount": 10_000, "currency": "USD", "click_id": click_id}))
        .await
        .status(201);
    let key = uid("po-");
    let r1 = req("POST", "/v1/payouts")
        .sk()
        .header("idempotency-key", &key)
        .json(&json!({"affiliates": [a]}))
        .send()
        .await;
    r1.status(201);
    let r2 = req("POST", "/v1/payouts")
        .sk()
        .header("idempotency-key", &key)
        .json(&json!({"affiliates": [a]}))
        .send()
        .await;
    r2.status(200);
    assert_eq!(r1.json, r2.json);
    assert_eq!(balance(&a, "USD").await["paid"], 1000);
}

#[tokio::test]
async fn concurrent_retries_of_one_refund_apply_it_once() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    let order = uid("o");
    sale(json!({"order_id": order, "amount": 10_000, "currency": "VND", "click_id": click_id}))
        .await
        .status(201);
    let body = json!({"order_id": order, "amount": 2_500, "refund_id": format!("{order}-once")});
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let b = body.clone();
            tokio::spawn(async move { refund(b).await })
        })
        .collect();
    let mut created = 0;
    let mut bodies = Vec::new();
    for t in tasks {
        let r = t.await.expect("task");
        assert!(
            r.status == 201 || r.status == 200,
            "{} {}",
            r.status,
            r.text
        );
        created += usize::from(r.status == 201);
        bodies.push(r.json);
    }
    assert_eq!(created, 1);
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(balance(&a, "VND").await["approved"], 750);
}

#[tokio::test]
async fn notes_and_reasons_are_short_single_lines() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    let order = uid("o");
    let r =
        sale(json!({"order_id": order, "amount": 1000, "currency": "THB", "click_id": click_id}))
            .await;
    r.status(201);
    let referral = r.json["referral"]["id"]
        .as_str()
        .expect("referral")
        .to_owned();
    let status = r.json["referral"]["status"].clone();
    let long = "ก".repeat(167); // 501 bytes of UTF-8
    for bad in [
        long.as_str(),
        "line one\nline two",
        "tab\tbetween",
        "bell\u{7}",
    ] {
        refund(json!({"order_id": order, "amount": 100, "refund_id": uid("r"), "reason": bad}))
            .await
            .error(400, "invalid_reason");
        req("POST", &format!("/v1/referrals/{referral}/reject"))
            .sk()
            .json(&json!({"reason": bad}))
            .send()
            .await
            .error(400, "invalid_reason");
        req("POST", "/v1/payouts")
            .sk()
            .json(&json!({"affiliates": [a], "note": bad}))
            .send()
            .await
            .error(400, "invalid_note");
    }
    // Nothing of the refused requests was written: the referral's status is unchanged (not
    // rejected, not paid) and the whole order is still refundable.
    let referrals = referrals_of(&a, "").await;
    assert_eq!(referrals[0]["status"], status);
    let ok = "ก".repeat(166); // 498 bytes: a note may be this long
    let r = refund(json!({"order_id": order, "refund_id": uid("r"), "reason": ok})).await;
    r.status(201);
    assert_eq!(r.json["refund"]["refunded_total"], 1000);
    let referrals = referrals_of(&a, "").await;
    assert_eq!(referrals[0]["status"], "reversed");
}

#[tokio::test]
async fn the_referral_ledger_downloads_as_csv() {
    let code = uid("CSV").to_uppercase();
    let (a, _) = affiliate(json!({"coupons": [code]})).await;
    let formula = format!("=1+2-{}", uid("o"));
    sale(json!({"order_id": formula, "amount": 2_000, "currency": "USD", "coupon": code}))
        .await
        .status(201);
    let plain = uid("o");
    sale(json!({"order_id": plain, "amount": 1_250_000, "currency": "VND", "coupon": code}))
        .await
        .status(201);

    let r = req("GET", &format!("/v1/referrals.csv?affiliate={a}"))
        .sk()
        .send()
        .await;
    r.csv_download("referrals.csv");
    let lines: Vec<Vec<&str>> = r.text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        lines[0],
        [
            "referral_id",
            "at",
            "kind",
            "affiliate",
            "order_id",
            "event",
            "currency",
            "amount",
            "commission",
            "commission_net",
            "status",
            "attributed_by",
            "verified",
            "flags",
            "hold_until",
            "payout_id",
            "campaign"
        ]
    );
    assert_eq!(lines.len(), 3, "{}", r.text);
    // Newest first; amounts in the currency's units; a formula is text.
    let (vnd, usd) = (&lines[1], &lines[2]);
    assert_eq!(
        (vnd[3], vnd[4], vnd[6], vnd[7], vnd[8], vnd[11], vnd[12]),
        (
            a.as_str(),
            plain.as_str(),
            "VND",
            "1250000",
            "125000",
            "coupon",
            "true"
        )
    );
    assert_eq!(
        (usd[4].to_owned(), usd[6], usd[7], usd[8], usd[9]),
        (format!("'{formula}"), "USD", "20.00", "2.00", "2.00")
    );
    assert!(
        usd[1].ends_with('Z') && usd[0].starts_with("ref"),
        "{usd:?}"
    );
    // The JSON list holds the same referrals.
    let ids: Vec<String> = referrals_of(&a, "")
        .await
        .iter()
        .map(|x| x["id"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(ids, [vnd[0], usd[0]]);

    let r = req(
        "GET",
        &format!("/v1/referrals.csv?affiliate={a}&status=paid"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    assert_eq!(r.text.lines().count(), 1, "only the header: {}", r.text);
    for query in ["status=gone", "limit=5", "from=yesterday"] {
        let r = req("GET", &format!("/v1/referrals.csv?{query}"))
            .sk()
            .send()
            .await;
        r.error(
            400,
            if query == "from=yesterday" {
                "invalid_range"
            } else {
                "invalid_query"
            },
        );
    }
    req("GET", "/v1/referrals.csv")
        .send()
        .await
        .error(401, "unauthorized");
}
