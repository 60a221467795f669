//! Authorization: each kind of credential on each kind of route, and the dashboard session.

use crate::harness::*;
use serde_json::json;

#[tokio::test]
async fn each_credential_opens_only_its_routes() {
    let (a, token) = affiliate(json!({})).await;
    let aff = As::Bearer(token.clone());
    // Merchant routes: the secret key, never the publishable key or an affiliate token.
    for path in [
        "/v1/affiliates",
        "/v1/referrals",
        "/v1/payouts",
        "/v1/program",
        "/v1/reports/summary",
        "/v1/reports/timeseries",
        "/v1/reports/affiliates",
        "/v1/reports/categories",
        "/v1/balances",
        "/v1/sales",
        "/v1/affiliates.csv",
    ] {
        req("GET", path).send().await.error(401, "unauthorized");
        req("GET", path)
            .who(As::Publishable)
            .send()
            .await
            .error(403, "forbidden");
        req("GET", path)
            .who(aff.clone())
            .send()
            .await
            .error(403, "forbidden");
        req("GET", path)
            .who(As::Bearer("sk_test_wrongwrongwrongwrong".into()))
            .send()
            .await
            .error(401, "unauthorized");
        req("GET", path).sk().send().await.status(200);
    }
    let b = json!({"order_id": "x", "amount": 1});
    req("POST", "/v1/refunds")
        .who(As::Publishable)
        .json(&b)
        .send()
        .await
        .error(403, "forbidden");
    req("POST", "/v1/refunds")
        .who(aff.clone())
        .json(&b)
        .send()
        .await
        .error(403, "forbidden");
    req("POST", "/v1/refunds")
        .json(&b)
        .send()
        .await
        .error(401, "unauthorized");
    req("POST", "/v1/affiliates")
        .who(As::Publishable)
        .json(&json!({"id": uid("x"), "name": "x"}))
        .send()
        .await
        .error(403, "forbidden");
    req("PUT", "/v1/program")
        .who(As::Publishable)
        .json(&json!({}))
        .send()
        .await
        .error(403, "forbidden");
    req("POST", "/v1/payouts")
        .who(aff.clone())
        .send()
        .await
        .error(403, "forbidden");
    // Affiliate routes: only the affiliate token.
    for path in ["/v1/me", "/v1/me/report", "/v1/me/payouts"] {
        req("GET", path).send().await.error(401, "unauthorized");
        req("GET", path).sk().send().await.error(403, "forbidden");
        req("GET", path)
            .who(As::Publishable)
            .send()
            .await
            .error(403, "forbidden");
        req("GET", path)
            .who(As::Bearer("at_notatokennotatokennotatoken".into()))
            .send()
            .await
            .error(401, "unauthorized");
        req("GET", path).who(aff.clone()).send().await.status(200);
    }
    // Conversions: a key is needed; an affiliate token is not a key.
    let s = json!({"order_id": uid("o"), "amount": 1, "currency": "VND"});
    req("POST", "/v1/sales")
        .browser()
        .json(&s)
        .send()
        .await
        .error(401, "unauthorized");
    req("POST", "/v1/sales")
        .who(aff.clone())
        .json(&s)
        .send()
        .await
        .error(403, "forbidden");
    req("POST", "/v1/leads")
        .browser()
        .json(&json!({"event": "signup", "customer_id": "c"}))
        .send()
        .await
        .error(401, "unauthorized");
    let mut s2 = s.clone();
    s2["key"] = json!("pk_test_unknownunknownunknown");
    req("POST", "/v1/sales")
        .browser()
        .json(&s2)
        .send()
        .await
        .error(401, "unauthorized");
    s2["key"] = json!(env().sk);
    req("POST", "/v1/sales")
        .browser()
        .json(&s2)
        .send()
        .await
        .error(401, "unauthorized");
    let me = req("GET", "/v1/me").who(As::Bearer(token)).send().await;
    assert_eq!(me.json["affiliate"]["id"], a.as_str());
    // Malformed Authorization headers.
    req("GET", "/v1/affiliates")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .error(401, "unauthorized");
    req("GET", "/v1/affiliates")
        .header("authorization", "Bearer ")
        .send()
        .await
        .error(401, "unauthorized");
}

#[tokio::test]
async fn a_revoked_key_stops_working() {
    let r = req("POST", "/v1/keys")
        .sk()
        .json(&json!({"kind": "publishable"}))
        .send()
        .await;
    r.status(201);
    let key = r.json["key"].as_str().expect("key").to_owned();
    let id = r.json["id"].as_str().expect("id").to_owned();
    assert!(key.starts_with("pk_"));
    let s = json!({"order_id": uid("o"), "amount": 1, "currency": "VND"});
    req("POST", "/v1/sales")
        .who(As::Bearer(key.clone()))
        .json(&s)
        .send()
        .await
        .status(201);
    req("DELETE", &format!("/v1/keys/{id}"))
        .sk()
        .send()
        .await
        .status(204);
    let s = json!({"order_id": uid("o"), "amount": 1, "currency": "VND"});
    req("POST", "/v1/sales")
        .who(As::Bearer(key))
        .json(&s)
        .send()
        .await
        .error(401, "unauthorized");
    req("POST", "/v1/keys")
        .sk()
        .json(&json!({"kind": "root"}))
        .send()
        .await
        .error(400, "invalid_kind");
    let r = req("GET", "/v1/keys").sk().send().await;
    r.status(200);
    assert!(!r.text.contains(&env().sk), "keys are never shown again");
}

#[tokio::test]
async fn the_dashboard_session_needs_its_csrf_token() {
    req("POST", "/v1/session")
        .json(&json!({"password": "wrong password"}))
        .send()
        .await
        .error(401, "unauthorized");
    let (cookie, csrf) = login().await;
    let r = req("GET", "/v1/session")
        .who(As::Session(cookie.clone(), None))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["csrf_token"], csrf.as_str());
    // The password's session runs the whole program; who it is, where the backend knows.
    assert_eq!(r.json["role"], "owner");
    assert!(r.json["team"].is_boolean(), "{}", r.json);
    let member = &r.json["member"];
    assert!(
        member.is_null() || member["email"].is_string() && member["id"].is_string(),
        "{member}"
    );
    // The team's actions are a family of the activity log's filter on both backends.
    req("GET", "/v1/activity?action=member.")
        .who(As::Session(cookie.clone(), None))
        .send()
        .await
        .status(200);
    req("GET", "/v1/affiliates")
        .who(As::Session(cookie.clone(), None))
        .send()
        .await
        .status(200);
    let body = json!({"id": uid("s"), "name": "By session"});
    req("POST", "/v1/affiliates")
        .who(As::Session(cookie.clone(), None))
        .json(&body)
        .send()
        .await
        .error(403, "csrf_failed");
    req("POST", "/v1/affiliates")
        .who(As::Session(cookie.clone(), Some("wrong".into())))
        .json(&body)
        .send()
        .await
        .error(403, "csrf_failed");
    req("POST", "/v1/affiliates")
        .who(As::Session(cookie.clone(), Some(csrf.clone())))
        .json(&body)
        .send()
        .await
        .status(201);
    // A session is not an affiliate token.
    req("GET", "/v1/me")
        .who(As::Session(cookie.clone(), Some(csrf.clone())))
        .send()
        .await
        .error(403, "forbidden");
    req("DELETE", "/v1/session")
        .who(As::Session(cookie.clone(), None))
        .send()
        .await
        .error(403, "csrf_failed");
    req("DELETE", "/v1/session")
        .who(As::Session(cookie.clone(), Some(csrf)))
        .send()
        .await
        .status(204);
    req("GET", "/v1/affiliates")
        .who(As::Session(cookie.clone(), None))
        .send()
        .await
        .error(401, "unauthorized");
    req("GET", "/v1/session")
        .who(As::Session(cookie, None))
        .send()
        .await
        .error(401, "unauthorized");
}

#[tokio::test]
async fn an_affiliate_turns_referral_emails_off_and_on_for_themselves() {
    let (id, token) = affiliate(json!({})).await;
    let aff = As::Bearer(token);
    let me = req("GET", "/v1/me").who(aff.clone()).send().await;
    me.status(200);
    assert_eq!(
        me.json["referral_emails"], true,
        "on unless turned off: {}",
        me.text
    );
    for on in [false, true, false] {
        let r = req("PATCH", "/v1/me")
            .who(aff.clone())
            .json(&json!({ "referral_emails": on }))
            .send()
            .await;
        r.status(200);
        assert_eq!(
            (&r.json["referral_emails"], &r.json["affiliate"]["id"]),
            (&json!(on), &json!(id))
        );
        let me = req("GET", "/v1/me").who(aff.clone()).send().await;
        assert_eq!(me.json["referral_emails"], on);
    }
    for (body, code) in [
        (json!({"referral_emails": "no"}), "invalid_body"),
        (json!({"name": "Someone else"}), "invalid_body"),
    ] {
        req("PATCH", "/v1/me")
            .who(aff.clone())
            .json(&body)
            .send()
            .await
            .error(400, code);
    }
    // Only the affiliate: not the merchant, not the browser key, not nobody.
    let off = json!({"referral_emails": true});
    req("PATCH", "/v1/me")
        .json(&off)
        .send()
        .await
        .error(401, "unauthorized");
    req("PATCH", "/v1/me")
        .sk()
        .json(&off)
        .send()
        .await
        .error(403, "forbidden");
    req("PATCH", "/v1/me")
        .who(As::Publishable)
        .json(&off)
        .send()
        .await
        .error(403, "forbidden");
    let me = req("GET", "/v1/me").who(aff).send().await;
    assert_eq!(
        me.json["referral_emails"], false,
        "refused requests change nothing"
    );
}

#[tokio::test]
async fn an_affiliate_sees_the_smallest_payout_of_the_program() {
    let (_, token) = affiliate(json!({})).await;
    let program = req("GET", "/v1/program").sk().send().await;
    program.status(200);
    let me = req("GET", "/v1/me").who(As::Bearer(token)).send().await;
    me.status(200);
    assert!(me.json["min_payout"].is_i64(), "{}", me.text);
    assert_eq!(me.json["min_payout"], program.json["min_payout"]);
    // A sum of the program's own currency; other currencies are paid whatever their size.
    assert_eq!(me.json["min_payout_currency"], program.json["currency"]);
}
