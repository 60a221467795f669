//! Affiliates, the program settings, and the affiliate's own view.

use crate::harness::*;
use serde_json::{json, Value};

#[tokio::test]
async fn affiliates_are_created_listed_and_changed() {
    let id = uid("mgmt");
    let code = uid("SAVE");
    let body = json!({"id": id, "name": "<b>Lan</b> \"quoted\"", "email": "lan@affiliates.test", "category": "influencer",
        "coupons": [code.to_lowercase()], "commission": {"sale": {"type": "percent", "rate_bps": 1500}}});
    let r = req("POST", "/v1/affiliates").sk().json(&body).send().await;
    r.status(201);
    assert_eq!(
        r.headers.get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/v1/affiliates/{id}").as_str())
    );
    assert_eq!(r.json["affiliate"]["name"], "<b>Lan</b> \"quoted\"");
    assert_eq!(r.json["affiliate"]["coupons"], json!([code.to_uppercase()]));
    assert!(r.json["token"]
        .as_str()
        .is_some_and(|t| t.starts_with("at_")));
    req("POST", "/v1/affiliates")
        .sk()
        .json(&body)
        .send()
        .await
        .error(409, "affiliate_exists");
    let (other, _) = affiliate(json!({})).await;
    req("PATCH", &format!("/v1/affiliates/{other}"))
        .sk()
        .json(&json!({"coupons": [code]}))
        .send()
        .await
        .error(409, "coupon_taken");
    for (patch, code) in [
        (json!({"id": "bad id", "name": "x"}), "invalid_affiliate"),
        (json!({"id": uid("x"), "name": ""}), "invalid_name"),
        (
            json!({"id": uid("x"), "name": "x", "category": "spam"}),
            "invalid_category",
        ),
        (
            json!({"id": uid("x"), "name": "x", "status": "vip"}),
            "invalid_status",
        ),
        (
            json!({"id": uid("x"), "name": "x", "email": "nope"}),
            "invalid_email",
        ),
        (
            json!({"id": uid("x"), "name": "x", "commission": {"sale": {"type": "percent", "rate_bps": 20000}}}),
            "invalid_commission",
        ),
        (
            json!({"id": uid("x"), "name": "x", "coupons": ["has space"]}),
            "invalid_coupons",
        ),
    ] {
        req("POST", "/v1/affiliates")
            .sk()
            .json(&patch)
            .send()
            .await
            .error(400, code);
    }
    req("POST", "/v1/affiliates")
        .sk()
        .json(&json!({"id": uid("x"), "name": "x", "unknown_field": 1}))
        .send()
        .await
        .error(400, "invalid_body");
    // The override pays 15 %.
    let (click_id, _) = click(&id).await;
    let r = sale(
        json!({"order_id": uid("o"), "amount": 10_000, "currency": "VND", "click_id": click_id}),
    )
    .await;
    assert_eq!(r.json["referral"]["commission"], 1_500);
    // Coupons are matched case-insensitively.
    let r = sale(json!({"order_id": uid("o"), "amount": 10_000, "currency": "VND", "coupon": code.to_lowercase()})).await;
    assert_eq!(r.json["sale"]["affiliate"], id.as_str());
    // Change and read back.
    let r = req("PATCH", &format!("/v1/affiliates/{id}"))
        .sk()
        .json(&json!({"category": "content", "commission": null, "name": "Lan"}))
        .send()
        .await;
    r.status(200);
    assert_eq!(
        (r.json["category"].as_str(), r.json["name"].as_str()),
        (Some("content"), Some("Lan"))
    );
    assert!(r.json["commission"].is_null());
    req("PATCH", "/v1/affiliates/nobody-here-at-all")
        .sk()
        .json(&json!({"name": "x"}))
        .send()
        .await
        .error(404, "affiliate_not_found");
    req("PATCH", &format!("/v1/affiliates/{id}"))
        .sk()
        .json(&json!({"status": "gone"}))
        .send()
        .await
        .error(400, "invalid_status");
    let r = req("GET", &format!("/v1/affiliates/{id}"))
        .sk()
        .send()
        .await;
    assert_eq!(r.json["id"], id.as_str());
    let r = req("GET", "/v1/affiliates?category=content&limit=500")
        .sk()
        .send()
        .await;
    r.status(200);
    assert!(r.json["total"].as_i64().unwrap_or(0) >= 1);
    assert!(r.json["affiliates"]
        .as_array()
        .is_some_and(|l| l.iter().all(|x| x["category"] == "content")));
}

#[tokio::test]
async fn the_program_round_trips_and_refuses_bad_settings() {
    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    r.status(200);
    let p = r.json.clone();
    assert_eq!(p["allowed_origins"], json!([ORIGIN]));
    assert!(p["webhook_secret"].as_str().is_some_and(|s| !s.is_empty()));
    let r = req("PUT", "/v1/program").sk().json(&p).send().await;
    r.status(200);
    assert_eq!(r.json["commission"], p["commission"]);
    // Click details are kept 90 days unless the program says otherwise; null keeps them.
    assert_eq!(p["click_details_days"], json!(90));
    for days in [json!(null), json!(30), json!(90)] {
        let mut q = p.clone();
        q["click_details_days"] = days.clone();
        let r = req("PUT", "/v1/program").sk().json(&q).send().await;
        r.status(200);
        assert_eq!(r.json["click_details_days"], days);
        let r = req("GET", "/v1/program").sk().send().await;
        assert_eq!(r.json["click_details_days"], days);
    }
    // Affiliates are emailed about new referrals, payouts, their approval and bonuses unless
    // the program says otherwise.
    assert_eq!(
        p["affiliate_emails"],
        json!([
            "referral.created",
            "payout.created",
            "affiliate.approved",
            "bonus.created"
        ])
    );
    for events in [
        json!([]),
        json!(["payout.created"]),
        p["affiliate_emails"].clone(),
    ] {
        let mut q = p.clone();
        q["affiliate_emails"] = events.clone();
        let r = req("PUT", "/v1/program").sk().json(&q).send().await;
        r.status(200);
        assert_eq!(r.json["affiliate_emails"], events);
        let r = req("GET", "/v1/program").sk().send().await;
        assert_eq!(r.json["affiliate_emails"], events);
    }
    for (field, value, code) in [
        ("window_days", json!(0), "invalid_window_days"),
        ("model", json!("linear-ish"), "invalid_model"),
        (
            "allowed_origins",
            json!(["https://shop.test/path"]),
            "invalid_allowed_origins",
        ),
        (
            "allowed_origins",
            json!(["javascript:alert(1)"]),
            "invalid_allowed_origins",
        ),
        ("currency", json!("dollars"), "invalid_currency"),
        (
            "commission",
            json!({"sale": {"type": "percent", "rate_bps": 10001}}),
            "invalid_commission",
        ),
        ("webhooks", json!([{"url": "ftp://x"}]), "invalid_webhooks"),
        ("active_by", json!("vibes"), "invalid_active_by"),
        ("click_details_days", json!(0), "invalid_click_details_days"),
        (
            "click_details_days",
            json!(3651),
            "invalid_click_details_days",
        ),
        (
            "affiliate_emails",
            json!(["referral.approved"]),
            "invalid_affiliate_emails",
        ),
        (
            "affiliate_emails",
            json!(["affiliate.created"]),
            "invalid_affiliate_emails",
        ),
        (
            "affiliate_emails",
            json!(["payout.created", "payout.created"]),
            "invalid_affiliate_emails",
        ),
    ] {
        program_refused(&p, field, value, code).await;
    }
    let mut bad = p.clone();
    bad["commission"] = json!({"sale": {"type": "percent", "rate_bps": "ten"}});
    req("PUT", "/v1/program")
        .sk()
        .json(&bad)
        .send()
        .await
        .error(400, "invalid_body");
    // Nothing changed.
    let r = req("GET", "/v1/program").sk().send().await;
    assert_eq!(r.json["commission"], p["commission"]);
    assert_eq!(r.json["allowed_origins"], p["allowed_origins"]);

    // The multi-touch model and the language: every model of the core, in its serde form.
    assert!(
        ["first", "last", "linear", "time_decay", "position_based"]
            .contains(&p["multi_touch"]["kind"].as_str().unwrap_or("")),
        "multi_touch: {}",
        p["multi_touch"]
    );
    assert!(["en", "vi", "th"].contains(&p["locale"].as_str().unwrap_or("")));
    for (multi_touch, locale) in [
        (json!({"kind": "time_decay", "half_life_days": 14}), "th"),
        (json!({"kind": "position_based"}), "vi"),
        (json!({"kind": "linear"}), "en"),
        (json!({"kind": "first"}), "th"),
        (json!({"kind": "last"}), "en"),
    ] {
        let mut next = p.clone();
        next["multi_touch"] = multi_touch.clone();
        next["locale"] = json!(locale);
        let r = req("PUT", "/v1/program").sk().json(&next).send().await;
        r.status(200);
        assert_eq!(r.json["multi_touch"], multi_touch);
        assert_eq!(r.json["locale"], locale);
        let r = req("GET", "/v1/program").sk().send().await;
        assert_eq!(r.json["multi_touch"], multi_touch);
        assert_eq!(r.json["locale"], locale);
    }
    // The affiliate's portal follows the program's language.
    let (_, token) = affiliate(json!({})).await;
    let r = req("GET", "/v1/me").who(As::Bearer(token)).send().await;
    assert_eq!(r.json["locale"], "en");
    // Left out, the language is the currency's (the suite's program is in VND).
    let mut next = p.clone();
    next.as_object_mut().map(|o| o.remove("locale"));
    let r = req("PUT", "/v1/program").sk().json(&next).send().await;
    r.status(200);
    assert_eq!(r.json["locale"], "vi");
    assert_eq!(r.json["currency"], "VND");
    let mut set = p.clone();
    set["multi_touch"] = json!({"kind": "time_decay", "half_life_days": 7});
    set["locale"] = json!("th");
    put_program(&set).await;
    for (field, value, status, code) in [
        (
            "multi_touch",
            json!({"kind": "position"}),
            400,
            "invalid_multi_touch",
        ),
        (
            "multi_touch",
            json!({"kind": "time_decay"}),
            400,
            "invalid_multi_touch",
        ),
        (
            "multi_touch",
            json!({"kind": "time_decay", "half_life_days": 0}),
            400,
            "invalid_multi_touch",
        ),
        (
            "multi_touch",
            json!({"kind": "time_decay", "half_life_days": 366}),
            400,
            "invalid_multi_touch",
        ),
        (
            "multi_touch",
            json!({"kind": "linear", "half_life_days": 7}),
            400,
            "invalid_multi_touch",
        ),
        (
            "multi_touch",
            json!({"kind": "linear", "weights": [1, 2]}),
            400,
            "invalid_body",
        ),
        ("multi_touch", json!("linear"), 400, "invalid_body"),
        (
            "multi_touch",
            json!({"kind": "time_decay", "half_life_days": "7"}),
            400,
            "invalid_body",
        ),
        ("locale", json!("fr"), 400, "invalid_locale"),
        ("locale", json!("EN"), 400, "invalid_locale"),
        ("locale", json!(""), 400, "invalid_locale"),
        ("locale", json!(1), 400, "invalid_body"),
    ] {
        let mut bad = set.clone();
        bad[field] = value;
        bad["name"] = json!("not saved");
        req("PUT", "/v1/program")
            .sk()
            .json(&bad)
            .send()
            .await
            .error(status, code);
    }
    let r = req("GET", "/v1/program").sk().send().await;
    assert_eq!(r.json["multi_touch"], set["multi_touch"]);
    assert_eq!(r.json["locale"], "th");
    assert_eq!(r.json["name"], p["name"], "a refused change writes nothing");
    put_program(&p).await;
}

#[tokio::test]
async fn an_affiliate_sees_only_their_own_data() {
    let (a, token) = affiliate(json!({})).await;
    let (b, _) = affiliate(json!({})).await;
    let (ca, _) = click(&a).await;
    let (cb, _) = click(&b).await;
    sale(json!({"order_id": uid("o"), "amount": 30_000, "currency": "VND", "click_id": ca}))
        .await
        .status(201);
    sale(json!({"order_id": uid("o"), "amount": 50_000, "currency": "VND", "click_id": cb}))
        .await
        .status(201);
    let r = req("GET", "/v1/me")
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["affiliate"]["id"], a.as_str());
    assert!(r.json["links"]
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x.as_str().is_some_and(|s| s.contains(&a)))));
    let bal = r.json["balances"].as_array().expect("balances");
    assert_eq!(bal.len(), 1);
    assert_eq!(bal[0]["approved"], 3_000);
    let r = req("GET", "/v1/me/report")
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    r.status(200);
    let refs = r.json["referrals"].as_array().expect("referrals");
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0]["commission"], 3_000);
    assert_eq!(r.json["kpis"]["clicks"], 1);
    assert!(!r.text.contains(&b), "another affiliate's data leaked");
    // A new token replaces the old one.
    let r = req("POST", &format!("/v1/affiliates/{a}/token"))
        .sk()
        .send()
        .await;
    r.status(201);
    let fresh = r.json["token"].as_str().expect("token").to_owned();
    req("GET", "/v1/me")
        .who(As::Bearer(token))
        .send()
        .await
        .error(401, "unauthorized");
    req("GET", "/v1/me")
        .who(As::Bearer(fresh))
        .send()
        .await
        .status(200);
}

#[tokio::test]
async fn an_affiliate_sees_only_the_payouts_that_paid_them() {
    let (a, token_a) = affiliate(json!({"payout_email": "a-pay@affiliates.test"})).await;
    let (b, token_b) = affiliate(json!({})).await;
    let me = |token: &str| req("GET", "/v1/me/payouts").who(As::Bearer(token.to_owned()));
    let r = me(&token_a).send().await;
    r.status(200);
    assert_eq!(r.json, json!({"payouts": []}), "no payout yet");
    let (ca, _) = click(&a).await;
    let (cb, _) = click(&b).await;
    for (click_id, amount) in [(&ca, 30_000), (&cb, 50_000)] {
        sale(json!({"order_id": uid("o"), "amount": amount, "currency": "VND", "click_id": click_id}))
            .await
            .status(201);
    }
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a, b], "note": "Batch one"}))
        .send()
        .await;
    r.status(201);
    let first = r.json["id"].as_str().expect("payout id").to_owned();
    let first_at = r.json["at"].clone();
    // Payout times are whole seconds: the second batch comes a second later, so that "newest
    // first" has one answer.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    sale(json!({"order_id": uid("o"), "amount": 20_000, "currency": "VND", "click_id": ca}))
        .await
        .status(201);
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a]}))
        .send()
        .await;
    r.status(201);
    let second = r.json["id"].as_str().expect("payout id").to_owned();

    // Newest first, with the batch's reference, time, amount and note.
    let r = me(&token_a).send().await;
    r.status(200);
    let list = r.json["payouts"].as_array().expect("payouts");
    assert_eq!(list.len(), 2, "{}", r.text);
    assert_eq!(list[0]["id"], second.as_str());
    assert_eq!(list[0]["amount"], 2_000);
    assert_eq!(list[0]["note"], Value::Null);
    assert_eq!(
        list[1],
        json!({"id": first, "at": first_at, "amount": 3_000, "gross": 3_000, "withheld": 0,
            "currency": "VND", "referrals": 1, "bonuses": 0, "recruiter_commissions": 0,
            "method": "paypal", "paypal_email": "a-pay@affiliates.test", "account": null,
            "note": "Batch one", "sent_at": null})
    );
    assert!(!r.text.contains(&b), "another affiliate's payout leaked");
    assert!(
        list.iter().all(|p| p["amount"] != 5_000),
        "another affiliate's line leaked"
    );
    // The other affiliate sees their own line of the shared batch, and nothing of the second.
    let r = me(&token_b).send().await;
    r.status(200);
    let list = r.json["payouts"].as_array().expect("payouts");
    assert_eq!(list.len(), 1, "{}", r.text);
    assert_eq!(list[0]["id"], first.as_str());
    assert_eq!(list[0]["amount"], 5_000);
    assert_eq!(list[0]["paypal_email"], format!("{b}@affiliates.test"));
    assert!(!r.text.contains(&second) && !r.text.contains(&a));
    // Pages.
    let r = req("GET", "/v1/me/payouts?limit=1&offset=1")
        .who(As::Bearer(token_a.clone()))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["payouts"][0]["id"], first.as_str());
    assert_eq!(r.json["payouts"].as_array().map(Vec::len), Some(1));
    for q in ["limit=0", "limit=501", "offset=-1", "limit=ten"] {
        req("GET", &format!("/v1/me/payouts?{q}"))
            .who(As::Bearer(token_a.clone()))
            .send()
            .await
            .error(400, "invalid_query");
    }
}

#[tokio::test]
async fn affiliates_are_found_by_a_piece_of_their_name_email_id_or_coupon() {
    // A run-unique word in every name, so other tests' affiliates never match.
    let tag = uid("q").replace(['_', '-'], "");
    let coupon = format!("GIAM{}", tag.to_uppercase());
    let (nguyen, _) = affiliate(json!({"name": format!("Nguyễn Thị Hồng {tag}")})).await;
    let (dang, _) =
        affiliate(json!({"name": format!("Đặng Văn Minh {tag}"), "coupons": [coupon]})).await;
    let (thai, _) =
        affiliate(json!({"name": format!("สมชาย ใจดี {tag}"), "category": "cashback"})).await;
    let found = |q: String| async move {
        let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let r = req("GET", &format!("/v1/affiliates?q={encoded}"))
            .sk()
            .send()
            .await;
        r.status(200);
        let mut ids: Vec<String> = r.json["affiliates"]
            .as_array()
            .expect("affiliates")
            .iter()
            .map(|a| a["id"].as_str().unwrap_or("").to_owned())
            .collect();
        ids.sort();
        assert_eq!(
            r.json["total"].as_u64(),
            Some(ids.len() as u64),
            "{}",
            r.text
        );
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        found(tag.clone()).await,
        sorted(vec![nguyen.clone(), dang.clone(), thai.clone()])
    );
    assert_eq!(
        found(format!("nguyen thi hong {tag}")).await,
        vec![nguyen.clone()]
    );
    assert_eq!(
        found(format!("ĐẶNG VĂN MINH {tag}")).await,
        vec![dang.clone()]
    );
    assert_eq!(
        found(format!("dang van minh {tag}")).await,
        vec![dang.clone()]
    );
    assert_eq!(found(format!("สมชาย ใจดี {tag}")).await, vec![thai.clone()]);
    assert_eq!(
        found(coupon.to_lowercase()).await,
        vec![dang.clone()],
        "by coupon"
    );
    assert_eq!(
        found(format!("  {}  ", thai.to_uppercase())).await,
        vec![thai.clone()],
        "by id, trimmed"
    );
    assert_eq!(
        found(format!("{nguyen}@affiliates")).await,
        vec![nguyen.clone()],
        "by email"
    );
    // With the other filters, and paged.
    let r = req("GET", &format!("/v1/affiliates?q={tag}&category=cashback"))
        .sk()
        .send()
        .await;
    assert_eq!(r.json["total"], 1);
    assert_eq!(r.json["affiliates"][0]["id"], thai.as_str());
    let r = req("GET", &format!("/v1/affiliates?q={tag}&limit=2&offset=2"))
        .sk()
        .send()
        .await;
    assert_eq!(r.json["total"], 3);
    assert_eq!(r.json["affiliates"].as_array().map(Vec::len), Some(1));
    assert_eq!(found(format!("nobody {tag}")).await, Vec::<String>::new());
    req("GET", &format!("/v1/affiliates?q={}", "x".repeat(101)))
        .sk()
        .send()
        .await
        .error(400, "invalid_query");
}
