//! Data-subject requests (GDPR, Thailand's PDPA, Vietnam's Decree 13): `POST /v1/privacy/export`
//! gives the merchant what the program holds about a customer, `POST /v1/privacy/erase` removes
//! it while the orders, referrals and their money stay for the shop's accounts.

use crate::harness::*;
use serde_json::{json, Value};

/// Asks `path` about `who` with the secret key.
async fn privacy(path: &str, who: &Value) -> Res {
    req("POST", &format!("/v1/privacy/{path}"))
        .sk()
        .json(who)
        .send()
        .await
}

/// The values of `field` in the export's `list`, in order.
fn listed(export: &Res, list: &str, field: &str) -> Vec<String> {
    export.json[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list}: {}", export.text))
        .iter()
        .map(|x| x[field].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn an_export_lists_the_customers_orders_leads_clicks_and_affiliate_account() {
    let (alice, _) = affiliate(json!({})).await;
    let email = format!("{}@customers.test", uid("c"));
    let customer = uid("cust");
    let (click_id, _) = click(&alice).await;
    let lead = req("POST", "/v1/leads")
        .sk()
        .json(&json!({"event": "signup", "email": email, "click_id": click_id}))
        .send()
        .await;
    lead.status(201);
    let by_email = uid("o");
    sale(
        json!({"order_id": by_email, "amount": 250_000, "currency": "VND",
        "customer": {"email": email}, "click_id": click_id}),
    )
    .await
    .status(201);
    let by_id = uid("o");
    sale(json!({"order_id": by_id, "amount": 1_999, "currency": "THB", "customer": {"id": customer}}))
        .await
        .status(201);
    let someone_else = uid("o");
    sale(
        json!({"order_id": someone_else, "amount": 1_000, "currency": "USD",
        "customer": {"email": format!("{}@customers.test", uid("c"))}}),
    )
    .await
    .status(201);
    // The customer is also an affiliate of the program.
    let (account, _) = affiliate(json!({"email": email.to_uppercase(),
        "payout": {"method": "promptpay", "account": "0812345678", "name": "Somchai"},
        "tax_id": "1101801234563", "payee_type": "person", "address": "12 ถนนพหลโยธิน กรุงเทพมหานคร 10400"}))
    .await;

    let r = privacy(
        "export",
        &json!({"email": format!(" {} ", email.to_uppercase()), "customer_id": customer}),
    )
    .await;
    r.status(200);
    assert_eq!(listed(&r, "orders", "order_id"), [by_email.clone(), by_id]);
    let order = &r.json["orders"][0];
    assert_eq!(
        (
            &order["amount"],
            &order["currency"],
            &order["affiliate"],
            &order["attributed_by"],
            &order["verified"]
        ),
        (
            &json!(250_000),
            &json!("VND"),
            &json!(alice),
            &json!("click_id"),
            &json!(true)
        ),
        "{}",
        r.text
    );
    assert!(
        order["at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{}",
        r.text
    );
    assert_eq!(
        listed(&r, "leads", "lead_id"),
        [lead.json["lead_id"].as_str().unwrap_or("")]
    );
    assert_eq!(r.json["leads"][0]["event"], "signup");
    // The click both conversions came through, once.
    assert_eq!(listed(&r, "clicks", "click_id"), [click_id]);
    assert_eq!(r.json["clicks"][0]["user_agent"], BROWSER_UA);
    assert!(
        r.json["clicks"][0]["url"]
            .as_str()
            .is_some_and(|u| u.contains(&alice)),
        "{}",
        r.text
    );
    assert_eq!(listed(&r, "affiliates", "id"), [account]);
    assert_eq!(r.json["affiliates"][0]["email"], email.to_uppercase());
    // Where the account's payouts go is theirs too.
    assert_eq!(
        r.json["affiliates"][0]["payout"],
        json!({"method": "promptpay", "account": "0812345678", "name": "Somchai"})
    );
    assert_eq!(r.json["affiliates"][0]["tax_id"], "1101801234563");
    assert_eq!(r.json["affiliates"][0]["payee_type"], "person");
    assert_eq!(
        r.json["affiliates"][0]["address"],
        "12 ถนนพหลโยธิน กรุงเทพมหานคร 10400"
    );

    // The hash finds the same conversions; a customer id alone finds only its own.
    let hash = reftrail::email::hash(&email).expect("an email");
    let r = privacy("export", &json!({"email_hash": hash})).await;
    r.status(200);
    assert_eq!(listed(&r, "orders", "order_id"), [by_email]);
    let r = privacy("export", &json!({"customer_id": uid("nobody")})).await;
    r.status(200);
    for list in ["orders", "leads", "clicks", "affiliates"] {
        assert_eq!(r.json[list], json!([]), "{list}: {}", r.text);
    }
}

#[tokio::test]
async fn an_erasure_forgets_the_customer_and_keeps_the_shops_accounts() {
    let _program = program_lock().await;
    let (alice, _) = affiliate(json!({})).await;
    let email = format!("{}@customers.test", uid("c"));
    let customer = uid("cust");
    let (click_id, _) = click(&alice).await;
    let signup = json!({"event": "signup", "email": email, "click_id": click_id});
    req("POST", "/v1/leads")
        .sk()
        .json(&signup)
        .send()
        .await
        .status(201);
    let order_id = uid("o");
    let first = sale(
        json!({"order_id": order_id, "amount": 300_000, "currency": "VND",
        "customer": {"email": email, "id": customer}, "click_id": click_id}),
    )
    .await;
    assert_credited(&first, &alice, "click_id");
    let (account, _) = affiliate(json!({"email": email})).await;
    let before = referrals_of(&alice, "").await;
    assert_eq!(before.len(), 2, "{before:?}");

    let r = privacy("erase", &json!({"email": email, "customer_id": customer})).await;
    r.status(200);
    assert_eq!(
        (
            &r.json["orders"],
            &r.json["leads"],
            &r.json["clicks"],
            &r.json["affiliates_retained"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!([account])),
        "{}",
        r.text
    );
    // Nothing links the customer any more; their affiliate account is kept (its commissions
    // and payouts are the merchant's records; the merchant edits or suspends it).
    let r = privacy("export", &json!({"email": email, "customer_id": customer})).await;
    r.status(200);
    for list in ["orders", "leads", "clicks"] {
        assert_eq!(r.json[list], json!([]), "{list}: {}", r.text);
    }
    assert_eq!(listed(&r, "affiliates", "id"), [account]);
    // The order, its referral and commission are all still there.
    let after = referrals_of(&alice, "").await;
    assert_eq!(after, before);
    let replay = sale(
        json!({"order_id": order_id, "amount": 300_000, "currency": "VND",
        "customer": {"email": email, "id": customer}, "click_id": click_id}),
    )
    .await;
    replay.status(200);
    assert_eq!(replay.json["referral"]["id"], first.json["referral"]["id"]);
    // A second request finds nothing to erase.
    let r = privacy("erase", &json!({"email": email})).await;
    r.status(200);
    assert_eq!(
        (&r.json["orders"], &r.json["leads"], &r.json["clicks"]),
        (&json!(0), &json!(0), &json!(0))
    );

    // Forgotten for cross-device matching too: with the program matching customers, a new
    // order with the same email credits nobody.
    let mut p = req("GET", "/v1/program").sk().send().await.json;
    p["match_customers"] = json!(true);
    put_program(&p).await;
    let r = sale(json!({"order_id": uid("o"), "amount": 100_000, "currency": "VND", "customer": {"email": email}})).await;
    p["match_customers"] = json!(false);
    put_program(&p).await;
    r.status(201);
    assert!(
        r.json["referral"].is_null(),
        "matched an erased customer: {}",
        r.text
    );
    // And the sign-up is no longer known: the same lead again is a new lead, not a replay.
    req("POST", "/v1/leads")
        .sk()
        .json(&signup)
        .send()
        .await
        .status(201);
}

#[tokio::test]
async fn a_privacy_request_needs_the_merchant_and_one_valid_identifier() {
    for path in ["export", "erase"] {
        let p = format!("/v1/privacy/{path}");
        let who = json!({"email": "someone@customers.test"});
        req("POST", &p)
            .json(&who)
            .send()
            .await
            .error(401, "unauthorized");
        req("POST", &p)
            .who(As::Publishable)
            .json(&who)
            .send()
            .await
            .error(403, "forbidden");
        for (body, code) in [
            (json!({}), "missing_customer"),
            (json!({"email": "not an email"}), "invalid_email"),
            (
                json!({"email": "a@b.test", "email_hash": "0".repeat(64)}),
                "invalid_email",
            ),
            (json!({"email_hash": "ABC"}), "invalid_email_hash"),
            (json!({"customer_id": ""}), "invalid_customer_id"),
            (
                json!({"customer_id": "x".repeat(129)}),
                "invalid_customer_id",
            ),
            (json!({"customer_id": "a\nb"}), "invalid_customer_id"),
            (json!({"email": 42}), "invalid_body"),
        ] {
            let r = req("POST", &p).sk().json(&body).send().await;
            r.error(400, code);
        }
    }
}
