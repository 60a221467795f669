//! What the program sends out, seen by the merchant: webhook events and affiliates' postbacks
//! in one list (`GET /v1/deliveries`), sent again by hand (`POST /v1/deliveries/{id}/retry`),
//! and a signed test event for a webhook endpoint (`POST /v1/webhooks/test`). Sending again a
//! delivery that was given up needs twelve failed attempts first, so each backend tests it on
//! its own database; here are the list, its filters and the refusals.

use crate::harness::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

async fn deliveries(query: &str) -> Res {
    req("GET", &format!("/v1/deliveries{query}"))
        .sk()
        .send()
        .await
}

/// The postbacks of `referral` in `query`'s page, by event.
fn of_referral(page: &Value, referral: &str) -> Vec<Value> {
    let mut rows: Vec<Value> = page["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|d| d["referral_id"] == referral)
        .cloned()
        .collect();
    rows.sort_by_key(|d| d["event"].as_str().unwrap_or("").to_owned());
    rows
}

#[tokio::test]
async fn postbacks_are_listed_for_the_merchant_with_their_state() {
    let (id, token) = affiliate(json!({})).await;
    // Port 9 (discard) is closed: the postbacks stay owed.
    let template = "http://127.0.0.1:9/pb?e={event}&r={referral_id}";
    req("PUT", "/v1/me/postback")
        .who(As::Bearer(token))
        .json(&json!({ "url": template }))
        .send()
        .await
        .status(200);
    let (click_id, _) = click(&id).await;
    let r = sale(
        json!({"order_id": uid("o"), "amount": 120_000, "currency": "VND", "click_id": click_id}),
    )
    .await;
    r.status(201);
    let referral = r.json["referral"]["id"]
        .as_str()
        .expect("referral")
        .to_owned();

    let page = deliveries("?kind=postback&limit=500").await;
    page.status(200);
    let mine = of_referral(&page.json, &referral);
    assert_eq!(mine.len(), 2, "{}", page.text);
    for (d, event) in mine.iter().zip(["approved", "created"]) {
        assert_eq!(d["kind"], "postback");
        assert_eq!(d["event"], event);
        assert_eq!(d["affiliate_id"], id.as_str());
        assert_eq!(
            d["url"],
            format!("http://127.0.0.1:9/pb?e={event}&r={referral}")
        );
        assert_eq!(d["status"], "pending", "{d}");
        assert!(d["next_at"].is_string(), "{d}");
        assert_eq!(d["delivered_at"], Value::Null);
        assert_eq!(d["failed_at"], Value::Null);
        assert!(d["id"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(d["attempts"].as_i64().is_some_and(|n| n >= 0));
    }
    let total = page.json["total"].as_i64().expect("total");
    assert!(total >= 2);
    let counts = &page.json["counts"];
    for key in ["pending", "retrying", "delivered", "failed"] {
        assert!(counts[key].as_i64().is_some_and(|n| n >= 0), "{counts}");
    }
    assert!(counts["pending"].as_i64() >= Some(2));
    assert!(counts["pending"].as_i64() >= counts["retrying"].as_i64());

    // The filters: owed ones are pending, never delivered or given up; webhooks are other rows.
    let pending = deliveries("?status=pending&limit=500").await;
    pending.status(200);
    assert_eq!(of_referral(&pending.json, &referral).len(), 2);
    for status in ["delivered", "failed"] {
        let other = deliveries(&format!("?status={status}&limit=500")).await;
        other.status(200);
        assert_eq!(of_referral(&other.json, &referral), Vec::<Value>::new());
        assert!(other.json["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .all(|d| d["status"] == status));
    }
    let hooks = deliveries("?kind=webhook&limit=500").await;
    hooks.status(200);
    assert!(hooks.json["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .all(|d| d["kind"] == "webhook" && d["affiliate_id"].is_null()));
    // A page of one, newest first.
    let one = deliveries("?limit=1").await;
    one.status(200);
    assert_eq!(one.json["deliveries"].as_array().map(Vec::len), Some(1));
    assert!(one.json["total"].as_i64() >= Some(2));

    // Sent again by hand: not while it is due within a minute (a worker may be sending it).
    let owed = mine[0]["id"].as_str().expect("id");
    req("POST", &format!("/v1/deliveries/{owed}/retry"))
        .sk()
        .send()
        .await
        .error(409, "delivery_due");
}

#[tokio::test]
async fn the_deliveries_refuse_bad_filters_and_strangers() {
    for query in [
        "?kind=email",
        "?status=sent",
        "?status=",
        "?limit=0",
        "?limit=501",
        "?offset=-1",
    ] {
        if query == "?status=" {
            // An empty filter is no filter.
            deliveries(query).await.status(200);
            continue;
        }
        deliveries(query).await.error(400, "invalid_query");
    }
    req("POST", "/v1/deliveries/evt_nothing_here/retry")
        .sk()
        .send()
        .await
        .error(404, "delivery_not_found");
    req("GET", "/v1/deliveries").send().await.status(401);
    let (_, token) = affiliate(json!({})).await;
    req("GET", "/v1/deliveries")
        .who(As::Bearer(token.clone()))
        .send()
        .await
        .status(403);
    req("POST", "/v1/webhooks/test")
        .who(As::Bearer(token))
        .json(&json!({"url": "http://127.0.0.1:9/"}))
        .send()
        .await
        .status(403);
}

#[tokio::test]
async fn a_webhook_test_sends_a_signed_ping_and_says_what_came_back() {
    let (base, seen) = receiver().await;
    let test = |url: String| {
        req("POST", "/v1/webhooks/test")
            .sk()
            .json(&json!({ "url": url }))
            .send()
    };
    let url = format!("{base}/ok/hooks");
    let r = test(url.clone()).await;
    r.status(200);
    assert_eq!(r.json["url"], url.as_str());
    assert_eq!(r.json["delivered"], true, "{}", r.text);
    assert_eq!(r.json["status"], 200);
    assert_eq!(r.json["error"], Value::Null);

    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let ping = &got[0];
    assert_eq!(ping.line, "POST /ok/hooks HTTP/1.1");
    assert!(ping
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    let event: Value = serde_json::from_str(&ping.body).expect("a JSON body");
    assert_eq!(event["type"], "ping");
    assert_eq!(event["data"], json!({}));
    assert!(event["id"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(event["created_at"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));
    // Signed as every event is: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">.
    let program = req("GET", "/v1/program").sk().send().await;
    program.status(200);
    let secret = program.json["webhook_secret"].as_str().expect("secret");
    let signature = ping.header("reftrail-signature").expect("signed");
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|s| s.split_once(",v1="))
        .expect("t=…,v1=…");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{}", ping.body).as_bytes());
    assert_eq!(v1, hex::encode(mac.finalize().into_bytes()));

    // An endpoint that fails, and one that is not there.
    let r = test(format!("{base}/down")).await;
    r.status(200);
    assert_eq!(r.json["delivered"], false);
    assert_eq!(r.json["status"], 500);
    assert!(r.json["error"].as_str().is_some_and(|e| e.contains("500")));
    let r = test("http://127.0.0.1:9/hooks".into()).await;
    r.status(200);
    assert_eq!(r.json["delivered"], false);
    assert_eq!(r.json["status"], Value::Null);
    assert!(r.json["error"].as_str().is_some_and(|e| !e.is_empty()));

    for bad in [
        "ftp://hooks.example/",
        "hooks.example/in",
        "http://",
        "https://hooks.example/a b",
        "javascript:alert(1)",
    ] {
        test(bad.into()).await.error(400, "invalid_url");
    }
    req("POST", "/v1/webhooks/test")
        .sk()
        .json(&json!({"url": format!("{base}/ok"), "events": ["ping"]}))
        .send()
        .await
        .status(400);
    // Nothing was queued: a test is sent once, at once.
    assert_eq!(seen.lock().unwrap().len(), 2);
}
