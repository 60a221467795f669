//! Affiliates' postbacks: the affiliate (or the merchant for them) saves a tracker address with
//! `{macros}`; each event of their referrals queues a `GET` to it, filled in with the referral
//! and the sub ids of the click that led to it; a test sends sample values and answers what the
//! tracker said. (The suite's servers allow loopback trackers; refusing private hosts by
//! default is each backend's own test.)

use crate::harness::*;
use serde_json::{json, Value};

/// The macros, in the order both backends list them.
const MACROS: [&str; 17] = [
    "event",
    "status",
    "kind",
    "referral_id",
    "amount",
    "amount_minor",
    "commission",
    "commission_minor",
    "currency",
    "campaign",
    "click_id",
    "sub1",
    "sub2",
    "sub3",
    "sub4",
    "sub5",
    "timestamp",
];

async fn put_postback(token: &str, url: Value) -> Res {
    req("PUT", "/v1/me/postback")
        .who(As::Bearer(token.into()))
        .json(&json!({ "url": url }))
        .send()
        .await
}

async fn postback_of(token: &str) -> Value {
    let r = req("GET", "/v1/me/postback")
        .who(As::Bearer(token.into()))
        .send()
        .await;
    r.status(200);
    r.json
}

#[tokio::test]
async fn postback_urls_are_checked_saved_and_removed() {
    let (id, token) = affiliate(json!({})).await;
    let shown = postback_of(&token).await;
    assert_eq!(shown["url"], Value::Null);
    assert_eq!(shown["macros"], json!(MACROS));
    assert_eq!(shown["deliveries"], json!([]));

    for bad in [
        "https://track.example/pb?x={order_id}",
        "https://track.example/pb?x={sub1",
        "https://track.example/pb?x=sub1}",
        "ftp://track.example/pb",
        "javascript:alert(1)",
        "/pb?x={sub1}",
        "https://{sub1}/pb",
        "https://track.example:{sub1}/pb",
        "https://user:pass@track.example/pb",
        "https://track.example/pb?x=a b",
        &format!("https://track.example/pb?x={}", "a".repeat(2030)),
    ] {
        put_postback(&token, json!(bad))
            .await
            .error(400, "invalid_postback_url");
    }
    // Unknown fields are refused, not ignored.
    req("PUT", "/v1/me/postback")
        .who(As::Bearer(token.clone()))
        .json(&json!({"url": null, "events": ["created"]}))
        .send()
        .await
        .status(400);
    assert_eq!(postback_of(&token).await["url"], Value::Null);

    let url = "https://track.example/pb?click={sub1}&payout={commission}&cur={currency}";
    let r = put_postback(&token, json!(format!("  {url} "))).await;
    r.status(200);
    assert_eq!(r.json["url"], url, "kept as written, trimmed");
    let merchant = req("GET", &format!("/v1/affiliates/{id}/postback"))
        .sk()
        .send()
        .await;
    merchant.status(200);
    assert_eq!(merchant.json["url"], url);

    // The merchant changes it for them; the history says who did.
    let other = "https://network.example/conv?s={sub2}&st={status}";
    let r = req("PUT", &format!("/v1/affiliates/{id}/postback"))
        .sk()
        .json(&json!({ "url": other }))
        .send()
        .await;
    r.status(200);
    assert_eq!(postback_of(&token).await["url"], other);
    let log = req(
        "GET",
        &format!("/v1/activity?affiliate={id}&action=affiliate.updated"),
    )
    .sk()
    .send()
    .await;
    log.status(200);
    let changes: Vec<Value> = log.json["activity"]
        .as_array()
        .expect("activity")
        .iter()
        .flat_map(|e| {
            e["details"]["changes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|c| c["field"] == "postback_url")
        .collect();
    assert_eq!(changes.len(), 2, "{}", log.text);
    assert!(changes
        .iter()
        .any(|c| c["before"] == url && c["after"] == other));

    // An empty string or null removes it.
    put_postback(&token, json!("")).await.status(200);
    assert_eq!(postback_of(&token).await["url"], Value::Null);

    req("GET", "/v1/affiliates/nobody-here/postback")
        .sk()
        .send()
        .await
        .error(404, "affiliate_not_found");
    req("GET", "/v1/me/postback").send().await.status(401);
}

/// The deliveries of `token`'s affiliate for `referral`, by event.
async fn deliveries_for(token: &str, referral: &str) -> Vec<(String, String)> {
    let shown = postback_of(token).await;
    let mut list: Vec<(String, String)> = shown["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|d| d["referral_id"] == referral)
        .map(|d| {
            assert!(
                ["pending", "delivered", "failed"].contains(&d["status"].as_str().unwrap_or("")),
                "{d}"
            );
            (
                d["event"].as_str().unwrap_or("").to_owned(),
                d["url"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    list.sort();
    list
}

#[tokio::test]
async fn referral_events_queue_the_postback_filled_in() {
    let (id, token) = affiliate(json!({})).await;
    // Port 9 (discard) is closed: the requests stay owed, and the list shows them as filled in.
    let template = "http://127.0.0.1:9/pb?e={event}&s={status}&k={kind}&r={referral_id}&a={amount}\
        &am={amount_minor}&c={commission}&cm={commission_minor}&cur={currency}&camp={campaign}\
        &clk={click_id}&s1={sub1}&s2={sub2}&s3={sub3}&t={timestamp}";
    put_postback(&token, json!(template)).await.status(200);

    let click = json!({"affiliate": id, "url": format!("https://www.shop.test/?ref={id}&sub1=u%2042&sub2=x%26y"),
        "referrer": "", "consent": "granted", "via": "query", "landing": "/",
        "campaign": {"utm_campaign": "tet"}, "click_ids": {"sub1": "u 42", "sub2": "x&y"}});
    let r = req("POST", "/v1/clicks")
        .browser()
        .json(&click)
        .send()
        .await;
    r.status(201);
    let click_id = r.json["click_id"].as_str().expect("click_id").to_owned();
    let order = uid("o");
    let r = sale(
        json!({"order_id": order, "amount": 250_000, "currency": "VND", "click_id": click_id}),
    )
    .await;
    r.status(201);
    let referral = r.json["referral"]["id"]
        .as_str()
        .expect("referral")
        .to_owned();
    let at = r.json["referral"]["at"].as_str().expect("at").to_owned();
    let ts = time_of(&at);

    let url = |event: &str, status: &str, c: i64| {
        format!(
            "http://127.0.0.1:9/pb?e={event}&s={status}&k=sale&r={referral}&a=250000&am=250000\
             &c={c}&cm={c}&cur=VND&camp=tet&clk={click_id}&s1=u%2042&s2=x%26y&s3=&t={ts}"
        )
    };
    // The suite's program approves at once: the referral is approved when it is created.
    assert_eq!(
        deliveries_for(&token, &referral).await,
        vec![
            ("approved".to_owned(), url("approved", "approved", 25_000)),
            ("created".to_owned(), url("created", "approved", 25_000)),
        ]
    );

    // A full refund reverses it: the last postback says so, with nothing owed.
    refund(json!({"order_id": order})).await.status(201);
    let after = deliveries_for(&token, &referral).await;
    assert_eq!(after.len(), 3, "{after:?}");
    assert!(after.contains(&("reversed".to_owned(), url("reversed", "reversed", 0))));

    // A referral of an affiliate without a postback queues nothing.
    let (_, quiet) = affiliate(json!({})).await;
    assert_eq!(postback_of(&quiet).await["deliveries"], json!([]));
}

/// Unix seconds of an RFC 3339 time in UTC (`2026-11-25T05:34:32Z`).
fn time_of(rfc3339: &str) -> i64 {
    let d: Vec<i64> = rfc3339
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(6)
        .map(|s| s.parse().unwrap_or(0))
        .collect();
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + d[2] - 1 - 719_468;
    days * 86_400 + d[3] * 3600 + d[4] * 60 + d[5]
}

#[tokio::test]
async fn a_test_postback_reports_what_the_tracker_answered() {
    let (id, token) = affiliate(json!({})).await;
    let (base, seen) = receiver().await;
    let test = |body: Value| {
        req("POST", "/v1/me/postback/test")
            .who(As::Bearer(token.clone()))
            .json(&body)
            .send()
    };
    // Nothing saved, nothing given.
    test(json!({})).await.error(409, "no_postback_url");

    let r = test(
        json!({"url": format!("{base}/ok?s1={{sub1}}&a={{amount}}&cur={{currency}}&e={{event}}")}),
    )
    .await;
    r.status(200);
    let sent = format!("{base}/ok?s1=test&a=100&cur=VND&e=test");
    assert_eq!(r.json["url"], sent.as_str());
    assert_eq!(r.json["delivered"], true, "{}", r.text);
    assert_eq!(r.json["status"], 200);
    assert_eq!(r.json["error"], Value::Null);
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.line == "GET /ok?s1=test&a=100&cur=VND&e=test HTTP/1.1"));

    // The saved URL, from the merchant's side: the tracker fails.
    put_postback(&token, json!(format!("{base}/down?r={{referral_id}}")))
        .await
        .status(200);
    let r = req("POST", &format!("/v1/affiliates/{id}/postback/test"))
        .sk()
        .json(&json!({}))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["delivered"], false, "{}", r.text);
    assert_eq!(r.json["status"], 500);
    assert!(
        r.json["error"].as_str().is_some_and(|e| e.contains("500")),
        "{}",
        r.text
    );

    // Nobody listening: no status, a reason.
    let r = test(json!({"url": "http://127.0.0.1:9/pb"})).await;
    r.status(200);
    assert_eq!(r.json["delivered"], false);
    assert_eq!(r.json["status"], Value::Null);
    assert!(r.json["error"].as_str().is_some_and(|e| !e.is_empty()));

    // A bad template is refused before anything is sent.
    test(json!({"url": "https://track.example/?x={nope}"}))
        .await
        .error(400, "invalid_postback_url");
    // A test changes nothing saved and queues nothing.
    let shown = postback_of(&token).await;
    assert_eq!(shown["url"], format!("{base}/down?r={{referral_id}}"));
    assert_eq!(shown["deliveries"], json!([]));
}

#[tokio::test]
async fn test_postbacks_are_limited_to_ten_a_minute() {
    let (_, token) = affiliate(json!({})).await;
    let test = || {
        req("POST", "/v1/me/postback/test")
            .who(As::Bearer(token.clone()))
            .json(&json!({"url": "http://127.0.0.1:9/pb?s={sub1}"}))
            .send()
    };
    for _ in 0..10 {
        test().await.status(200);
    }
    test().await.error(429, "rate_limited");
    // Another affiliate's tests are their own.
    let (_, other) = affiliate(json!({})).await;
    req("POST", "/v1/me/postback/test")
        .who(As::Bearer(other))
        .json(&json!({"url": "http://127.0.0.1:9/pb"}))
        .send()
        .await
        .status(200);
}
