//! `POST /v1/clicks`: validation, the signed cookie, consent, bots, CORS, unique counting.

use crate::harness::*;
use serde_json::{json, Value};

fn body(affiliate: &str) -> Value {
    json!({
        "affiliate": affiliate, "url": format!("https://www.shop.test/shoes?ref={affiliate}"),
        "referrer": "https://blog.example/post", "consent": "granted", "via": "query", "landing": "/shoes",
        "visitor": "abcdefghij0123456789", "campaign": {"utm_source": "blog", "utm_campaign": "spring"},
        "click_ids": {"gclid": "Cj0KCQ"}
    })
}

#[tokio::test]
async fn a_click_with_consent_sets_the_signed_cookie() {
    let (a, _) = affiliate(json!({})).await;
    // sendBeacon sends a string body as text/plain.
    let r = req("POST", "/v1/clicks")
        .browser()
        .raw(body(&a).to_string(), "text/plain;charset=UTF-8")
        .send()
        .await;
    r.status(201);
    assert_eq!(r.json["affiliate"], a.as_str());
    let id = r.json["click_id"].as_str().expect("click_id");
    assert!(
        !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
        "{id}"
    );
    let cookie = r.set_cookie("rt_click").expect("rt_click cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
    assert!(
        cookie.contains(id),
        "the cookie carries the click id: {cookie}"
    );
    assert_eq!(
        r.headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(ORIGIN)
    );
    assert_eq!(
        r.headers
            .get("access-control-allow-credentials")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
}

#[tokio::test]
async fn without_consent_or_from_a_bot_there_is_no_cookie() {
    let (a, _) = affiliate(json!({})).await;
    for consent in ["denied", "pending"] {
        let mut b = body(&a);
        b["consent"] = json!(consent);
        let r = req("POST", "/v1/clicks").browser().json(&b).send().await;
        r.status(201);
        assert!(
            r.set_cookie("rt_click").is_none(),
            "no cookie with consent {consent}"
        );
    }
    let r = req("POST", "/v1/clicks")
        .header(
            "user-agent",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
        )
        .json(&body(&a))
        .send()
        .await;
    r.status(201);
    assert_eq!(r.json["bot"], true);
    assert!(r.set_cookie("rt_click").is_none());
}

#[tokio::test]
async fn invalid_clicks_are_refused() {
    let (a, _) = affiliate(json!({})).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"affiliate": "javascript:alert(1)"}),
            400,
            "invalid_affiliate",
        ),
        (json!({"affiliate": "nguyễn"}), 400, "invalid_affiliate"),
        (
            json!({"affiliate": "x".repeat(65)}),
            400,
            "invalid_affiliate",
        ),
        (
            json!({"affiliate": "no-such-affiliate-anywhere"}),
            404,
            "unknown_affiliate",
        ),
        (json!({"url": "javascript:alert(1)"}), 400, "invalid_url"),
        (
            json!({"url": format!("https://www.shop.test/{}", "a".repeat(2100))}),
            400,
            "invalid_url",
        ),
        (
            json!({"url": "https://www.shop.test/\r\nSet-Cookie: x=y"}),
            400,
            "invalid_url",
        ),
        (
            json!({"referrer": "x".repeat(2100)}),
            400,
            "invalid_referrer",
        ),
        (json!({"consent": "yes"}), 400, "invalid_consent"),
        (json!({"via": "carrier-pigeon"}), 400, "invalid_via"),
        (json!({"landing": "shoes"}), 400, "invalid_landing"),
        (json!({"visitor": "short"}), 400, "invalid_visitor"),
        (
            json!({"visitor": "<script>alert(1)</script>"}),
            400,
            "invalid_visitor",
        ),
        (
            json!({"campaign": {"utm_evil": "x"}}),
            400,
            "unknown_campaign_param",
        ),
        (
            json!({"click_ids": {"notanetwork": "x"}}),
            400,
            "unknown_click_id_param",
        ),
        (
            json!({"click_ids": {"gclid": "x".repeat(300)}}),
            400,
            "invalid_click_ids",
        ),
        (
            json!({"campaign": {"utm_source": "a\u{0000}b"}}),
            400,
            "invalid_campaign",
        ),
    ];
    for (patch, status, code) in cases {
        let mut b = body(&a);
        for (k, v) in patch.as_object().expect("object") {
            b[k] = v.clone();
        }
        req("POST", "/v1/clicks")
            .browser()
            .json(&b)
            .send()
            .await
            .error(status, code);
    }
    let mut b = body(&a);
    b.as_object_mut().expect("object").remove("url");
    req("POST", "/v1/clicks")
        .browser()
        .json(&b)
        .send()
        .await
        .error(400, "invalid_body");
}

#[tokio::test]
async fn cors_allows_only_the_programs_origins() {
    let (a, _) = affiliate(json!({})).await;
    let r = req("OPTIONS", "/v1/clicks")
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await;
    r.status(204);
    assert_eq!(
        r.headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(ORIGIN)
    );
    let r = req("OPTIONS", "/v1/sales")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    r.error(403, "origin_not_allowed");
    assert!(r.headers.get("access-control-allow-origin").is_none());
    req("POST", "/v1/clicks")
        .header("origin", "https://evil.example")
        .json(&body(&a))
        .send()
        .await
        .error(403, "origin_not_allowed");
    let mut s = json!({"order_id": uid("o"), "amount": 100, "currency": "VND"});
    s["key"] = json!(env().pk);
    req("POST", "/v1/sales")
        .header("origin", "https://evil.example")
        .json(&s)
        .send()
        .await
        .error(403, "origin_not_allowed");
}

#[tokio::test]
async fn repeated_clicks_count_once_as_unique() {
    let (a, _) = affiliate(json!({})).await;
    let mut uniques = Vec::new();
    for _ in 0..3 {
        let r = req("POST", "/v1/clicks")
            .browser()
            .json(&body(&a))
            .send()
            .await;
        r.status(201);
        uniques.push(r.json["unique"].as_bool());
    }
    assert_eq!(uniques, vec![Some(true), Some(false), Some(false)]);
    let row = affiliate_report_row(&a, "").await;
    assert_eq!(row["clicks"], 3);
    assert_eq!(row["unique_clicks"], 1);
    assert_eq!(row["unique_visitors"], 1);
}
