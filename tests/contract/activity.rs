//! The activity log: who created or changed an affiliate (field by field, before and after),
//! issued their portal token, approved or rejected a referral, made a payout or marked a line
//! sent, created or revoked a key. Only what changed something is recorded; a refused request
//! or a repeat leaves no entry.

use crate::harness::*;
use serde_json::{json, Value};

async fn activity(query: &str) -> Vec<Value> {
    let r = req("GET", &format!("/v1/activity{query}"))
        .sk()
        .send()
        .await;
    r.status(200);
    r.json["activity"].as_array().expect("activity").clone()
}

/// The (action, by, subject) of each entry, in the list's order.
fn summary(list: &[Value]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (s("action"), s("by"), s("subject"))
        })
        .collect()
}

fn row(action: &str, by: &str, subject: &str) -> (String, String, String) {
    (action.into(), by.into(), subject.into())
}

#[tokio::test]
async fn changes_to_an_affiliate_are_recorded_with_who_and_each_field() {
    let started = now_rfc3339(-1);
    let (c1, c2) = (uid("c").to_uppercase(), uid("d").to_uppercase());
    let (id, token) = affiliate(json!({"coupons": [c1]})).await;
    let path = format!("/v1/affiliates/{id}");
    let r = req("PATCH", &path)
        .sk()
        .json(&json!({"name": "Alice Changed", "status": "pending", "coupons": [c2.to_lowercase(), c1], "category": "content"}))
        .send()
        .await;
    r.status(200);
    // The same again, and refused changes: nothing more.
    req("PATCH", &path)
        .sk()
        .json(&json!({"name": "Alice Changed", "status": "pending"}))
        .send()
        .await
        .status(200);
    req("PATCH", &path)
        .sk()
        .json(&json!({"name": "Not saved", "email": "not an email"}))
        .send()
        .await
        .error(400, "invalid_email");
    // The affiliate changes where they are paid, themself.
    let email = format!("{id}-paypal@affiliates.test");
    req("PATCH", "/v1/me")
        .who(As::Bearer(token))
        .json(&json!({"payout_email": email}))
        .send()
        .await
        .status(200);
    req("POST", &format!("/v1/affiliates/{id}/token"))
        .sk()
        .send()
        .await
        .status(201);

    let list = activity(&format!("?affiliate={id}")).await;
    let me = format!("affiliate:{id}");
    assert_eq!(
        summary(&list),
        vec![
            row("affiliate.token_issued", "secret_key", &id),
            row("affiliate.updated", &me, &id),
            row("affiliate.updated", "secret_key", &id),
            row("affiliate.created", "secret_key", &id),
        ],
        "newest first: {list:?}"
    );
    for e in &list {
        assert_eq!(e["affiliate"], id.as_str());
        let at = e["at"].as_str().expect("at");
        assert!(at >= started.as_str() && at.ends_with('Z'), "{at}");
        assert!(e["id"].as_str().is_some_and(|x| !x.is_empty()), "{e}");
    }
    assert_eq!(list[3]["details"], json!({}));
    assert_eq!(list[0]["details"], json!({}));
    assert_eq!(
        list[2]["details"],
        json!({"changes": [
            {"field": "coupons", "before": [c1], "after": [c1, c2]},
            {"field": "name", "before": format!("Affiliate {id}"), "after": "Alice Changed"},
            {"field": "status", "before": "approved", "after": "pending"},
        ]}),
        "only what changed (the category was content already), by field"
    );
    assert_eq!(
        list[1]["details"],
        json!({"changes": [{"field": "payout_email", "before": null, "after": email}]})
    );

    // Filters.
    let updates = activity(&format!("?affiliate={id}&action=affiliate.updated")).await;
    assert_eq!(updates.len(), 2);
    let all = activity(&format!("?affiliate={id}&action=affiliate.")).await;
    assert_eq!(all, list);
    assert!(activity(&format!("?affiliate={id}&action=referral."))
        .await
        .is_empty());
    assert_eq!(
        activity(&format!("?affiliate={id}&limit=1")).await,
        list[..1]
    );
    assert_eq!(
        activity(&format!("?affiliate={id}&limit=2&offset=1")).await,
        list[1..3]
    );
    assert!(activity(&format!("?affiliate={id}x")).await.is_empty());
}

#[tokio::test]
async fn decisions_about_money_and_keys_are_recorded() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    // Browser sales: unverified, so pending until someone decides.
    let r1 = browser_sale(&click_id, 10_000).await;
    let r2 = browser_sale(&click_id, 20_000).await;
    let id1 = r1.json["referral"]["id"].as_str().expect("id").to_owned();
    let id2 = r2.json["referral"]["id"].as_str().expect("id").to_owned();
    for _ in 0..2 {
        req("POST", &format!("/v1/referrals/{id1}/approve"))
            .sk()
            .send()
            .await
            .status(200);
    }
    for _ in 0..2 {
        req("POST", &format!("/v1/referrals/{id2}/reject"))
            .sk()
            .json(&json!({"reason": "test order"}))
            .send()
            .await
            .status(200);
    }
    // A payout of the approved commission, its line marked sent (twice), then not sent.
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a]}))
        .send()
        .await;
    r.status(201);
    let payout = r.json["id"].as_str().expect("payout id").to_owned();
    let lines = r.json["lines"].as_array().expect("lines").len();
    assert_eq!(lines, 1);
    let sent = |sent: bool| {
        req("POST", &format!("/v1/payouts/{payout}/sent"))
            .sk()
            .json(&json!({"affiliate": a, "currency": "VND", "sent": sent}))
            .send()
    };
    sent(true).await.status(200);
    sent(true).await.status(200);
    sent(false).await.status(200);

    let list = activity(&format!("?affiliate={a}")).await;
    assert_eq!(
        summary(&list),
        vec![
            row("payout.sent", "secret_key", &payout),
            row("payout.sent", "secret_key", &payout),
            row("referral.rejected", "secret_key", &id2),
            row("referral.approved", "secret_key", &id1),
            row("affiliate.created", "secret_key", &a),
        ],
        "{list:?}"
    );
    assert_eq!(
        list[0]["details"],
        json!({"currency": "VND", "sent": false, "fee": null})
    );
    assert_eq!(
        list[1]["details"],
        json!({"currency": "VND", "sent": true, "fee": null})
    );
    assert_eq!(list[2]["details"], json!({"reason": "test order"}));
    assert_eq!(list[3]["details"], json!({}));
    let referrals = activity(&format!("?affiliate={a}&action=referral.")).await;
    assert_eq!(referrals, list[2..4]);

    // The payout itself concerns no one affiliate.
    let payouts = activity("?action=payout.created&limit=500").await;
    let made = payouts
        .iter()
        .find(|e| e["subject"] == payout.as_str())
        .expect("the payout's entry");
    assert_eq!(made["affiliate"], Value::Null);
    assert_eq!(made["by"], "secret_key");
    assert_eq!(made["details"], json!({"lines": lines}));

    // A key made and revoked (twice): two entries.
    let r = req("POST", "/v1/keys")
        .sk()
        .json(&json!({"kind": "publishable"}))
        .send()
        .await;
    r.status(201);
    let key = r.json["id"].as_str().expect("key id").to_owned();
    for _ in 0..2 {
        let r = req("DELETE", &format!("/v1/keys/{key}")).sk().send().await;
        assert_eq!(r.status, 204, "{}", r.text);
    }
    let keys: Vec<Value> = activity("?action=key.&limit=500")
        .await
        .into_iter()
        .filter(|e| e["subject"] == key.as_str())
        .collect();
    assert_eq!(
        summary(&keys),
        vec![
            row("key.revoked", "secret_key", &key),
            row("key.created", "secret_key", &key),
        ]
    );
    for e in &keys {
        assert_eq!(e["details"], json!({"kind": "publishable"}));
        assert_eq!(e["affiliate"], Value::Null);
    }
}

#[tokio::test]
async fn only_the_merchant_reads_the_log_and_bad_filters_are_refused() {
    let (_, token) = affiliate(json!({})).await;
    for q in [
        "?action=affiliate",
        "?action=referral.paid",
        "?action=AFFILIATE.",
        "?action=",
    ] {
        req("GET", &format!("/v1/activity{q}"))
            .sk()
            .send()
            .await
            .error(400, "invalid_action");
    }
    for q in ["?limit=0", "?limit=501", "?offset=-1", "?limit=ten"] {
        let r = req("GET", &format!("/v1/activity{q}")).sk().send().await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }
    req("GET", "/v1/activity")
        .send()
        .await
        .error(401, "unauthorized");
    for who in [As::Publishable, As::Bearer(token)] {
        req("GET", "/v1/activity")
            .who(who)
            .send()
            .await
            .error(403, "forbidden");
    }
}

#[tokio::test]
async fn refunds_are_recorded_once_with_the_money_they_moved() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    let order = uid("o");
    sale(json!({"order_id": order, "amount": 100_000, "currency": "VND", "click_id": click_id}))
        .await
        .status(201);
    let body = json!({"order_id": order, "amount": 40_000, "refund_id": uid("rf"), "reason": "size too small"});
    let r = refund(body.clone()).await;
    r.status(201);
    let refund_id = r.json["refund"]["id"]
        .as_str()
        .expect("refund id")
        .to_owned();
    // A replay, and a refund larger than what is left: nothing more is recorded.
    refund(body).await.status(200);
    refund(json!({"order_id": order, "amount": 70_000, "refund_id": uid("rf")}))
        .await
        .error(422, "refund_exceeds_order");
    let list = activity(&format!("?affiliate={a}&action=refund.")).await;
    assert_eq!(
        summary(&list),
        vec![row("refund.created", "secret_key", &refund_id)],
        "{list:?}"
    );
    assert_eq!(
        list[0]["details"],
        json!({"order_id": order, "amount": 40_000, "currency": "VND", "reason": "size too small", "commission_reversed": 4_000})
    );
    assert_eq!(list[0]["affiliate"], a.as_str());

    // An order nobody referred: its refund concerns no affiliate and reverses nothing.
    let plain = uid("o");
    sale(json!({"order_id": plain, "amount": 5_000, "currency": "USD"}))
        .await
        .status(201);
    let r = refund(json!({"order_id": plain})).await;
    r.status(201);
    let id = r.json["refund"]["id"].as_str().expect("refund id");
    let entry = activity("?action=refund.created&limit=500")
        .await
        .into_iter()
        .find(|e| e["subject"] == id)
        .expect("the refund's entry");
    assert_eq!(entry["affiliate"], Value::Null);
    assert_eq!(
        entry["details"],
        json!({"order_id": plain, "amount": 5_000, "currency": "USD", "reason": null, "commission_reversed": 0})
    );
}

#[tokio::test]
async fn changes_to_creatives_are_recorded_field_by_field() {
    let name = uid("Banner");
    let r = req("POST", "/v1/creatives")
        .sk()
        .json(&json!({"name": name, "kind": "link", "text": "Giày chạy bộ −20 %"}))
        .send()
        .await;
    r.status(201);
    let id = r.json["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/creatives/{id}");
    let patch = |body: Value| req("PATCH", &path).sk().json(&body).send();
    patch(json!({"kind": "image", "image_url": "https://cdn.shop.test/b.png", "text": "Giày chạy bộ −20 %"}))
        .await
        .status(200);
    // Nothing changes: no entry. Refused: no entry.
    patch(json!({"text": "Giày chạy bộ −20 %"}))
        .await
        .status(200);
    patch(json!({"kind": "link"}))
        .await
        .error(400, "invalid_image_url");
    patch(json!({"status": "archived"})).await.status(200);
    req("DELETE", &path).sk().send().await.status(204);
    req("DELETE", &path)
        .sk()
        .send()
        .await
        .error(404, "creative_not_found");

    let list: Vec<Value> = activity("?action=creative.&limit=500")
        .await
        .into_iter()
        .filter(|e| e["subject"] == id.as_str())
        .collect();
    assert_eq!(
        summary(&list),
        vec![
            row("creative.deleted", "secret_key", &id),
            row("creative.updated", "secret_key", &id),
            row("creative.updated", "secret_key", &id),
            row("creative.created", "secret_key", &id),
        ],
        "{list:?}"
    );
    assert!(list.iter().all(|e| e["affiliate"].is_null()), "{list:?}");
    assert_eq!(list[0]["details"], json!({"name": name, "kind": "image"}));
    assert_eq!(
        list[1]["details"],
        json!({"changes": [{"field": "status", "before": "active", "after": "archived"}]})
    );
    assert_eq!(
        list[2]["details"],
        json!({"changes": [
            {"field": "image_url", "before": null, "after": "https://cdn.shop.test/b.png"},
            {"field": "kind", "before": "link", "after": "image"},
        ]})
    );
    assert_eq!(list[3]["details"], json!({"name": name, "kind": "link"}));
}
