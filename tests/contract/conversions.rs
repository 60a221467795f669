//! Sales and leads: verification by key kind, idempotent replays, store revenue, fraud flags.

use crate::harness::*;
use serde_json::json;

#[tokio::test]
async fn a_replayed_sale_answers_the_first_result() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    let body = json!({"order_id": uid("WC-"), "amount": 1_250_000, "currency": "VND", "click_id": click_id});
    let first = sale(body.clone()).await;
    first.status(201);
    assert_eq!(first.json["referral"]["commission"], 125_000);
    let again = sale(body.clone()).await;
    again.status(200);
    assert_eq!(again.json, first.json);
    // The same order id with another amount is still the same order.
    let mut changed = body.clone();
    changed["amount"] = json!(5);
    let r = sale(changed).await;
    r.status(200);
    assert_eq!(r.json, first.json);
    let referrals = referrals_of(&a, "").await;
    assert_eq!(referrals.len(), 1);
}

#[tokio::test]
async fn concurrent_replays_create_one_referral() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    let body =
        json!({"order_id": uid("WC-"), "amount": 99_000, "currency": "VND", "click_id": click_id});
    let tasks: Vec<_> = (0..12).map(|_| tokio::spawn(sale(body.clone()))).collect();
    let mut created = 0;
    let mut bodies = Vec::new();
    for t in tasks {
        let r = t.await.expect("task");
        assert!(
            r.status == 201 || r.status == 200,
            "status {} {}",
            r.status,
            r.text
        );
        created += usize::from(r.status == 201);
        bodies.push(r.json);
    }
    assert_eq!(created, 1);
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    let referrals = referrals_of(&a, "").await;
    assert_eq!(referrals.len(), 1);
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_request_is_a_conflict() {
    let key = uid("idem-");
    let r = req("POST", "/v1/sales")
        .sk()
        .header("idempotency-key", &key)
        .json(&json!({"order_id": uid("o"), "amount": 10, "currency": "USD"}))
        .send()
        .await;
    r.status(201);
    let again = req("POST", "/v1/sales")
        .sk()
        .header("idempotency-key", &key)
        .json(&json!({"order_id": uid("o"), "amount": 10, "currency": "USD"}))
        .send()
        .await;
    again.error(409, "idempotency_key_reused");
}

#[tokio::test]
async fn browser_sales_are_unverified_and_wait_for_review() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    // sendBeacon: the key in the body, text/plain.
    let body = json!({"order_id": uid("o"), "amount": 200_000, "currency": "VND", "click_id": click_id, "key": env().pk});
    let r = req("POST", "/v1/sales")
        .browser()
        .raw(body.to_string(), "text/plain;charset=UTF-8")
        .send()
        .await;
    r.status(201);
    assert_eq!(r.json["sale"]["verified"], false);
    assert_eq!(
        r.json["referral"]["status"], "pending",
        "never auto-approved: {}",
        r.text
    );
    // The publishable key in the header works the same way.
    let r = req("POST", "/v1/sales")
        .who(As::Publishable)
        .browser()
        .json(&json!({"order_id": uid("o"), "amount": 1, "currency": "VND"}))
        .send()
        .await;
    r.status(201);
    assert_eq!(r.json["sale"]["verified"], false);
    // A verified sale with hold 0 is approved at once.
    let r = sale(
        json!({"order_id": uid("o"), "amount": 200_000, "currency": "VND", "click_id": click_id}),
    )
    .await;
    assert_eq!(r.json["referral"]["status"], "approved");
    // A plain email needs the secret key.
    let body = json!({"order_id": uid("o"), "amount": 1, "currency": "VND", "customer": {"email": "a@b.test"}, "key": env().pk});
    req("POST", "/v1/sales")
        .browser()
        .json(&body)
        .send()
        .await
        .error(400, "email_not_allowed");
}

#[tokio::test]
async fn unattributed_sales_are_store_revenue() {
    let r = sale(json!({"order_id": uid("o"), "amount": 777, "currency": "XAF"})).await;
    r.status(201);
    assert!(r.json["referral"].is_null() && r.json["sale"]["affiliate"].is_null());
    let s = req("GET", "/v1/reports/summary").sk().send().await;
    s.status(200);
    let store = s.json["store"].as_array().expect("store");
    let xaf = store
        .iter()
        .find(|x| x["currency"] == "XAF")
        .expect("XAF store revenue");
    assert!(xaf["revenue"].as_i64().unwrap_or(0) >= 777);
}

#[tokio::test]
async fn self_referrals_and_bots_are_flagged_not_dropped() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    let r = sale(
        json!({"order_id": uid("o"), "amount": 50_000, "currency": "VND", "click_id": click_id,
        "customer": {"email": format!("  {}@AFFILIATES.test ", a.to_uppercase())}}),
    )
    .await;
    r.status(201);
    let flags = r.json["referral"]["flags"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(flags.iter().any(|f| f == "self_referral"), "{}", r.text);
    assert_eq!(
        r.json["referral"]["status"], "pending",
        "flagged referrals are never auto-approved"
    );
    let body = json!({"order_id": uid("o"), "amount": 50_000, "currency": "VND", "click_id": click_id, "key": env().pk});
    let r = req("POST", "/v1/sales")
        .header("origin", ORIGIN)
        .header("user-agent", "python-requests/2.31")
        .json(&body)
        .send()
        .await;
    r.status(201);
    let flags = r.json["referral"]["flags"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(flags.iter().any(|f| f == "bot_user_agent"), "{}", r.text);
}

#[tokio::test]
async fn invalid_sales_write_nothing() {
    let order = uid("o");
    let bad = [
        (
            json!({"order_id": order, "amount": -1, "currency": "VND"}),
            "invalid_amount",
        ),
        (
            json!({"order_id": order, "amount": 9_007_199_254_740_992_i64, "currency": "VND"}),
            "invalid_amount",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "vnd"}),
            "invalid_currency",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "DONG"}),
            "invalid_currency",
        ),
        (
            json!({"order_id": "", "amount": 1, "currency": "VND"}),
            "invalid_order_id",
        ),
        (
            json!({"order_id": "x".repeat(129), "amount": 1, "currency": "VND"}),
            "invalid_order_id",
        ),
        (
            json!({"order_id": "a\r\nb", "amount": 1, "currency": "VND"}),
            "invalid_order_id",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "VND", "coupon": ""}),
            "invalid_coupon",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "VND", "items": [{"sku": "", "amount": 1}]}),
            "invalid_items",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "VND", "items": [{"sku": "A", "amount": 1, "quantity": 0}]}),
            "invalid_items",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "VND", "customer": {"email_hash": "not-hex"}}),
            "invalid_email_hash",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "VND", "customer": {"email": "not an email"}}),
            "invalid_email",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "VND", "click_id": "<script>"}),
            "invalid_click_id",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "VND", "touch": {"affiliate": "a", "at": "yesterday"}}),
            "invalid_touch",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "VND", "touch": {"affiliate": "a'; DROP TABLE orders;--", "at": "2026-01-01T00:00:00Z"}}),
            "invalid_touch",
        ),
        (
            json!({"order_id": order, "amount": 100, "currency": "VND", "shipping": 80, "tax": 30}),
            "invalid_amount",
        ),
        (
            json!({"order_id": order, "amount": 1, "currency": "VND", "at": "2999-01-01T00:00:00Z"}),
            "invalid_at",
        ),
        (
            json!({"order_id": order, "amount": 100, "currency": "VND", "cost": -1}),
            "invalid_cost",
        ),
        (
            json!({"order_id": order, "amount": 100, "currency": "VND", "cost": 101}),
            "invalid_cost",
        ),
        (
            json!({"order_id": order, "amount": 100, "currency": "VND", "cost": "40"}),
            "invalid_body",
        ),
        (
            json!({"order_id": order, "amount": 100, "currency": "VND", "cost": 40.5}),
            "invalid_body",
        ),
    ];
    for (b, code) in bad {
        sale(b).await.error(400, code);
    }
    // Nothing was written: the order id is still free.
    let r = sale(json!({"order_id": order, "amount": 1, "currency": "VND"})).await;
    r.status(201);
    // Injection-looking text is only text.
    let sneaky = format!(
        "{}'; DROP TABLE orders;-- <script>alert(1)</script>",
        uid("o")
    );
    let r = sale(json!({"order_id": sneaky, "amount": 1, "currency": "VND"})).await;
    r.status(201);
    assert_eq!(r.json["sale"]["order_id"], sneaky.as_str());
    req("GET", "/v1/sales?limit=1")
        .sk()
        .send()
        .await
        .status(200);
}

#[tokio::test]
async fn leads_are_counted_once_per_customer_and_event() {
    let (a, _) = affiliate(json!({})).await;
    let (click_id, _) = click(&a).await;
    let customer = uid("cust");
    let body = json!({"event": "signup", "customer_id": customer, "click_id": click_id});
    let r = req("POST", "/v1/leads").sk().json(&body).send().await;
    r.status(201);
    assert_eq!(r.json["affiliate"], a.as_str());
    assert_eq!(r.json["referral"]["commission"], 20_000);
    assert_eq!(r.json["referral"]["currency"], "VND");
    let again = req("POST", "/v1/leads").sk().json(&body).send().await;
    again.status(200);
    assert_eq!(again.json, r.json);
    let other = req("POST", "/v1/leads")
        .sk()
        .json(&json!({"event": "trial", "customer_id": customer, "click_id": click_id}))
        .send()
        .await;
    other.status(201);
    // The browser's lead with the key in the body and a hashed email.
    let hash = "a".repeat(64);
    let b = json!({"event": "signup", "email_hash": hash, "touch": {"affiliate": a, "via": "query", "at": now_rfc3339(-10)}, "key": env().pk});
    let r = req("POST", "/v1/leads")
        .browser()
        .raw(b.to_string(), "text/plain;charset=UTF-8")
        .send()
        .await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    req("POST", "/v1/leads")
        .sk()
        .json(&json!({"event": "signup"}))
        .send()
        .await
        .error(400, "missing_customer");
    req("POST", "/v1/leads")
        .sk()
        .json(&json!({"event": "", "customer_id": "x"}))
        .send()
        .await
        .error(400, "invalid_event");
    let b = json!({"event": "signup", "email": "x@y.test", "key": env().pk});
    req("POST", "/v1/leads")
        .browser()
        .json(&b)
        .send()
        .await
        .error(400, "email_not_allowed");
    // An Idempotency-Key alone identifies a lead.
    let key = uid("lead-");
    let r1 = req("POST", "/v1/leads")
        .sk()
        .header("idempotency-key", &key)
        .json(&json!({"event": "download"}))
        .send()
        .await;
    r1.status(201);
    let r2 = req("POST", "/v1/leads")
        .sk()
        .header("idempotency-key", &key)
        .json(&json!({"event": "download"}))
        .send()
        .await;
    r2.status(200);
    // Browser reports carry it in the body: they send no custom headers.
    let key = uid("lead-");
    let b = json!({"event": "download", "idempotency_key": key, "key": env().pk}).to_string();
    let first = req("POST", "/v1/leads")
        .browser()
        .raw(b.clone(), "text/plain;charset=UTF-8")
        .send()
        .await;
    first.status(201);
    let replay = req("POST", "/v1/leads")
        .browser()
        .raw(b, "text/plain;charset=UTF-8")
        .send()
        .await;
    replay.status(200);
    assert_eq!(replay.json, first.json);
}

/// A click as the page reports it, with `click_ids`; answers its id.
async fn click_with(affiliate: &str, click_ids: serde_json::Value) -> String {
    let body = json!({"affiliate": affiliate, "url": format!("https://www.shop.test/?ref={affiliate}"),
        "referrer": "", "consent": "granted", "via": "query", "landing": "/", "click_ids": click_ids});
    let r = req("POST", "/v1/clicks").browser().json(&body).send().await;
    r.status(201);
    r.json["click_id"].as_str().expect("click_id").to_owned()
}

#[tokio::test]
async fn a_program_may_flag_sales_from_paid_ads() {
    let _program = program_lock().await;
    let p = req("GET", "/v1/program").sk().send().await.json.clone();
    assert_eq!(p["fraud"]["flag_paid_ads"], false, "off unless asked");
    let (a, _) = affiliate(json!({})).await;
    let sale_by = |click: String| async move {
        let r = sale(
            json!({"order_id": uid("o"), "amount": 80_000, "currency": "VND", "click_id": click}),
        )
        .await;
        r.status(201);
        let flags: Vec<String> = r.json["referral"]["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect();
        (
            flags,
            r.json["referral"]["status"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        )
    };
    // Off: an ad click credits as any other.
    let (flags, status) = sale_by(click_with(&a, json!({"gclid": "Cj0KCQ"})).await).await;
    assert_eq!((flags, status.as_str()), (vec![], "approved"));

    let mut set = p.clone();
    set["fraud"]["flag_paid_ads"] = json!(true);
    put_program(&set).await;
    for ids in [
        json!({"gclid": "Cj0KCQ"}),
        json!({"msclkid": "m1", "sub1": "x"}),
        json!({"ttclid": "t"}),
    ] {
        let (flags, status) = sale_by(click_with(&a, ids.clone()).await).await;
        assert_eq!(
            (flags, status.as_str()),
            (vec!["paid_ads".to_owned()], "pending"),
            "{ids}"
        );
    }
    // Facebook adds fbclid to every link; networks and sub ids are not ads.
    for ids in [
        json!({"fbclid": "IwAR"}),
        json!({"irclickid": "i", "sub2": "y"}),
        json!({}),
    ] {
        let (flags, status) = sale_by(click_with(&a, ids.clone()).await).await;
        assert_eq!((flags, status.as_str()), (vec![], "approved"), "{ids}");
    }
    // A setting that is not a switch is refused.
    let mut bad = p.clone();
    bad["fraud"]["flag_paid_ads"] = json!("yes");
    req("PUT", "/v1/program")
        .sk()
        .json(&bad)
        .send()
        .await
        .status(400);
    put_program(&p).await;
}
