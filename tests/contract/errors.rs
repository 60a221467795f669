//! The error shape: every 4xx is `{"error": {"code", "message"}}`, also for malformed bodies.

use crate::harness::*;
use serde_json::json;

#[tokio::test]
async fn health_openapi_and_metrics() {
    let r = req("GET", "/healthz").send().await;
    r.status(200);
    assert_eq!(r.json["status"], "ok");
    let r = req("GET", "/v1/openapi.json").send().await;
    r.status(200);
    assert!(
        r.json["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        r.json["openapi"]
    );
    let paths = r.json["paths"].as_object().expect("paths");
    for p in [
        "/v1/clicks",
        "/v1/leads",
        "/v1/sales",
        "/v1/refunds",
        "/v1/affiliates",
        "/v1/affiliates/{id}",
        "/v1/referrals",
        "/v1/referrals/{id}/approve",
        "/v1/referrals/{id}/reject",
        "/v1/payouts",
        "/v1/payouts/{id}",
        "/v1/program",
        "/v1/reports/summary",
        "/v1/reports/timeseries",
        "/v1/reports/affiliates",
        "/v1/reports/categories",
        "/v1/me",
        "/v1/me/report",
        "/v1/me/payouts",
        "/v1/session",
        "/healthz",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "OpenAPI lacks {p}");
    }
    let schemes = &r.json["components"]["securitySchemes"];
    for s in [
        "secret_key",
        "publishable_key",
        "affiliate_token",
        "session",
    ] {
        assert!(
            schemes.get(s).is_some(),
            "OpenAPI lacks security scheme {s}"
        );
    }
    let r = req("GET", "/metrics").send().await;
    r.status(200);
    assert!(
        r.text.contains("reftrail_clicks_total"),
        "{}",
        &r.text[..r.text.len().min(300)]
    );
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    req("GET", "/v1/nothing-here")
        .send()
        .await
        .error(404, "not_found");
    req("DELETE", "/v1/clicks")
        .browser()
        .send()
        .await
        .error(405, "method_not_allowed");
    req("GET", "/v1/referrals/ref_missing")
        .sk()
        .send()
        .await
        .error(404, "referral_not_found");
    req("GET", "/v1/affiliates/nobody-at-all")
        .sk()
        .send()
        .await
        .error(404, "affiliate_not_found");
    req("GET", "/v1/payouts/po_missing")
        .sk()
        .send()
        .await
        .error(404, "payout_not_found");
}

#[tokio::test]
async fn malformed_bodies_are_clear_400s() {
    for path in ["/v1/clicks", "/v1/sales", "/v1/leads"] {
        let who = if path == "/v1/clicks" {
            As::Nobody
        } else {
            As::Secret
        };
        req("POST", path)
            .who(who.clone())
            .browser()
            .raw("{\"affiliate\": ", "application/json")
            .send()
            .await
            .error(400, "invalid_json");
        req("POST", path)
            .who(who.clone())
            .browser()
            .raw("", "application/json")
            .send()
            .await
            .error(400, "invalid_json");
        req("POST", path)
            .who(who.clone())
            .browser()
            .raw("[1,2,3]", "application/json")
            .send()
            .await
            .error(400, "invalid_body");
        req("POST", path)
            .who(who.clone())
            .browser()
            .raw("{}", "application/xml")
            .send()
            .await
            .error(415, "unsupported_media_type");
        req("POST", path)
            .who(who.clone())
            .browser()
            .raw("a=1", "application/x-www-form-urlencoded")
            .send()
            .await
            .error(415, "unsupported_media_type");
        let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(80 * 1024));
        req("POST", path)
            .who(who.clone())
            .browser()
            .raw(big, "application/json")
            .send()
            .await
            .error(413, "payload_too_large");
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let r = req("POST", path)
            .who(who)
            .browser()
            .raw(deep, "application/json")
            .send()
            .await;
        r.status(400);
        assert!(
            matches!(
                r.json["error"]["code"].as_str(),
                Some("invalid_json" | "invalid_body")
            ),
            "{}",
            r.text
        );
    }
    // Wrong types.
    let r = sale(json!({"order_id": uid("o"), "amount": "100", "currency": "VND"})).await;
    r.error(400, "invalid_body");
    sale(json!({"order_id": uid("o"), "amount": 10.5, "currency": "VND"}))
        .await
        .error(400, "invalid_body");
    sale(json!({"order_id": 5, "amount": 10, "currency": "VND"}))
        .await
        .error(400, "invalid_body");
    sale(json!({"amount": 10, "currency": "VND"}))
        .await
        .error(400, "invalid_body");
    req("POST", "/v1/sales")
        .sk()
        .raw(
            "{\"order_id\":\"x\",\"amount\":1e400,\"currency\":\"VND\"}",
            "application/json",
        )
        .send()
        .await
        .error(400, "invalid_json");
    req("POST", "/v1/sales")
        .sk()
        .raw(
            "{\"order_id\":\"\\ud800\",\"amount\":1,\"currency\":\"VND\"}",
            "application/json",
        )
        .send()
        .await
        .error(400, "invalid_json");
}

#[tokio::test]
async fn query_strings_are_checked() {
    req("GET", "/v1/reports/summary?from=yesterday")
        .sk()
        .send()
        .await
        .error(400, "invalid_range");
    req("GET", "/v1/reports/summary?from=2026-11-10&to=2026-11-01")
        .sk()
        .send()
        .await
        .error(400, "invalid_range");
    // Dates that do not exist are refused, not rolled over into the next month or day.
    for bad in ["2026-02-30", "2026-11-23T24:00:00Z", "2026-11-23T10:60:00Z"] {
        req("GET", &format!("/v1/reports/summary?from={bad}"))
            .sk()
            .send()
            .await
            .error(400, "invalid_range");
    }
    req("GET", "/v1/referrals?limit=0")
        .sk()
        .send()
        .await
        .error(400, "invalid_query");
    req("GET", "/v1/referrals?limit=abc")
        .sk()
        .send()
        .await
        .error(400, "invalid_query");
    req("GET", "/v1/referrals?status=lost")
        .sk()
        .send()
        .await
        .error(400, "invalid_query");
    req("GET", "/v1/reports/affiliates?sort=vibes")
        .sk()
        .send()
        .await
        .error(400, "invalid_query");
}
