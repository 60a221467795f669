//! Affiliates paid by bank transfer: VietQR in Vietnam, PromptPay in Thailand. The affiliate's
//! `payout` details are checked and normalized as saved; each payout line keeps how it was paid
//! and carries the QR payload a banking app scans to pay it.

use crate::harness::*;
use reftrail::bank_transfer::{promptpay, promptpay_id, purpose, vietqr};
use serde_json::{json, Value};

async fn patch(id: &str, body: Value) -> Res {
    req("PATCH", &format!("/v1/affiliates/{id}"))
        .sk()
        .json(&body)
        .send()
        .await
}

#[tokio::test]
async fn bank_details_are_saved_normalized_and_replaced_as_a_whole() {
    let (a, _) = affiliate(json!({})).await;
    assert_eq!(
        affiliate_json(&a).await["payout"],
        Value::Null,
        "PayPal unless told"
    );

    let (b, _) = affiliate(json!({"payout": {"method": "vietqr", "bank": "970436",
        "account": "0011 0019-32.418", "name": "Nguyễn Văn Ánh"}}))
    .await;
    let want = json!({"method": "vietqr", "bank": "970436", "account": "0011001932418", "name": "Nguyễn Văn Ánh"});
    assert_eq!(affiliate_json(&b).await["payout"], want);

    // Another field alone leaves the details as they are.
    let r = patch(&b, json!({"category": "coupon"})).await;
    r.status(200);
    assert_eq!(r.json["payout"], want);

    // A new object replaces the whole: no name now, and PromptPay has no bank.
    let r = patch(
        &b,
        json!({"payout": {"method": "promptpay", "account": "+66 81 234 5678"}}),
    )
    .await;
    r.status(200);
    assert_eq!(
        r.json["payout"],
        json!({"method": "promptpay", "account": "0812345678"})
    );
    let r = patch(
        &b,
        json!({"payout": {"method": "promptpay", "account": "1-1018-01234-56-3", "name": "สมชาย ใจดี"}}),
    )
    .await;
    r.status(200);
    assert_eq!(
        r.json["payout"],
        json!({"method": "promptpay", "account": "1101801234563", "name": "สมชาย ใจดี"})
    );

    // null goes back to PayPal.
    let r = patch(&b, json!({"payout": null})).await;
    r.status(200);
    assert_eq!(r.json["payout"], Value::Null);
    assert_eq!(affiliate_json(&b).await["payout"], Value::Null);
}

#[tokio::test]
async fn bank_details_are_checked_and_a_refusal_changes_nothing() {
    let (a, _) =
        affiliate(json!({"payout": {"method": "vietqr", "bank": "970415", "account": "19033"}}))
            .await;
    let before = affiliate_json(&a).await;
    let bad = [
        (
            json!({"method": "paypal", "account": "x@y.test"}),
            "invalid_payout_method",
        ),
        (
            json!({"method": "VIETQR", "bank": "970436", "account": "1"}),
            "invalid_payout_method",
        ),
        (
            json!({"method": "vietqr", "account": "0011001932418"}),
            "invalid_payout_bank",
        ),
        (
            json!({"method": "vietqr", "bank": "97043", "account": "1"}),
            "invalid_payout_bank",
        ),
        (
            json!({"method": "vietqr", "bank": "９７０４３６", "account": "1"}),
            "invalid_payout_bank",
        ),
        (
            json!({"method": "promptpay", "bank": "970436", "account": "0812345678"}),
            "invalid_payout_bank",
        ),
        (
            json!({"method": "vietqr", "bank": "970436", "account": "12345678901234567890"}),
            "invalid_payout_account",
        ),
        (
            json!({"method": "vietqr", "bank": "970436", "account": "0011/0019"}),
            "invalid_payout_account",
        ),
        (
            json!({"method": "vietqr", "bank": "970436", "account": " - "}),
            "invalid_payout_account",
        ),
        (
            json!({"method": "promptpay", "account": "1101801234564"}),
            "invalid_payout_account",
        ),
        (
            json!({"method": "promptpay", "account": "+1 812 345 6789"}),
            "invalid_payout_account",
        ),
        (
            json!({"method": "promptpay", "account": "081234567"}),
            "invalid_payout_account",
        ),
        (
            json!({"method": "promptpay", "account": "0812345678", "name": ""}),
            "invalid_payout_name",
        ),
        (
            json!({"method": "promptpay", "account": "0812345678", "name": "A\nB"}),
            "invalid_payout_name",
        ),
        (
            json!({"method": "promptpay", "account": "0812345678", "name": "x".repeat(101)}),
            "invalid_payout_name",
        ),
    ];
    for (payout, code) in bad {
        // With another field in the same body: nothing of it is applied either.
        patch(&a, json!({"name": "Changed", "payout": payout}))
            .await
            .error(400, code);
        let body = json!({"id": uid("aff"), "name": "N", "payout": payout});
        req("POST", "/v1/affiliates")
            .sk()
            .json(&body)
            .send()
            .await
            .error(400, code);
    }
    // Unknown or missing keys inside the object are refused too.
    for payout in [
        json!({"method": "promptpay", "account": "0812345678", "iban": "x"}),
        json!({"method": "promptpay"}),
        json!("vietqr"),
    ] {
        patch(&a, json!({"payout": payout})).await.status(400);
    }
    assert_eq!(affiliate_json(&a).await, before);
}

#[tokio::test]
async fn a_payout_pays_each_affiliate_by_their_method() {
    // No email at all: a bank affiliate is payable by its details alone.
    let (v, v_token) = affiliate(json!({"email": null, "payout": {"method": "vietqr",
        "bank": "970436", "account": "0011001932418", "name": "NGUYEN VAN A"}}))
    .await;
    let (p, _) =
        affiliate(json!({"payout": {"method": "promptpay", "account": "081-234-5678"}})).await;
    let (q, _) = affiliate(json!({"payout_email": "q-pay@affiliates.test"})).await;
    credit(&v, 12_500_000, "VND").await;
    credit(&v, 5_000, "USD").await;
    credit(&p, 1_250_000, "THB").await;
    credit(&q, 300_000, "VND").await;

    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [v, p, q]}))
        .send()
        .await;
    r.status(201);
    let id = r.json["id"].as_str().expect("payout id").to_owned();

    let vnd = payout_line(&r.json, &v, "VND");
    let expected = vietqr("970436", "0011001932418", Some(1_250_000), &purpose(&id));
    assert!(expected.starts_with("00020101021238570010A000000727"));
    assert_eq!(
        vnd,
        json!({"affiliate": v, "currency": "VND", "amount": 1_250_000, "gross": 1_250_000,
            "withheld": 0, "tax_id": null, "method": "vietqr",
            "paypal_email": null, "bank": "970436", "account": "0011001932418",
            "account_name": "NGUYEN VAN A", "transfer_qr": expected, "referrals": 1,
            "bonuses": 0, "recruiter_commissions": 0, "fee": null, "sent_at": null})
    );
    // VietQR is a VND transfer: the USD line has the details and no QR.
    let usd = payout_line(&r.json, &v, "USD");
    assert_eq!(
        (
            &usd["method"],
            &usd["account"],
            &usd["transfer_qr"],
            &usd["amount"]
        ),
        (
            &json!("vietqr"),
            &json!("0011001932418"),
            &Value::Null,
            &json!(500)
        )
    );
    let thb = payout_line(&r.json, &p, "THB");
    let pp = promptpay_id("0812345678").expect("a mobile number");
    assert_eq!(
        thb,
        json!({"affiliate": p, "currency": "THB", "amount": 125_000, "gross": 125_000,
            "withheld": 0, "tax_id": null, "method": "promptpay",
            "paypal_email": null, "bank": null, "account": "0812345678", "account_name": null,
            "transfer_qr": promptpay(&pp, Some(125_000)), "referrals": 1, "bonuses": 0, "recruiter_commissions": 0, "fee": null, "sent_at": null})
    );
    assert!(thb["transfer_qr"]
        .as_str()
        .is_some_and(|s| s.contains("01130066812345678") && s.contains("54071250.00")));
    let paypal = payout_line(&r.json, &q, "VND");
    assert_eq!(
        (
            &paypal["method"],
            &paypal["paypal_email"],
            &paypal["transfer_qr"],
            &paypal["account"]
        ),
        (
            &json!("paypal"),
            &json!("q-pay@affiliates.test"),
            &Value::Null,
            &Value::Null
        )
    );

    // The PayPal file has the PayPal line only.
    let csv = req("GET", &format!("/v1/payouts/{id}.csv"))
        .sk()
        .send()
        .await;
    csv.status(200);
    assert_eq!(
        csv.text,
        format!("q-pay@affiliates.test,30000,VND,{q},Affiliate commission {id}\n")
    );

    // A line is kept as it was paid: editing the affiliate later does not rewrite it.
    patch(
        &v,
        json!({"payout": {"method": "vietqr", "bank": "970422", "account": "999"}}),
    )
    .await
    .status(200);
    let again = req("GET", &format!("/v1/payouts/{id}")).sk().send().await;
    again.status(200);
    assert_eq!(payout_line(&again.json, &v, "VND"), vnd);
    assert_eq!(payout_line(&again.json, &p, "THB"), thb);

    // The affiliate sees where their money went.
    let mine = req("GET", "/v1/me/payouts")
        .who(As::Bearer(v_token))
        .send()
        .await;
    mine.status(200);
    let list = mine.json["payouts"].as_array().expect("payouts");
    assert_eq!(list.len(), 2, "{}", mine.text);
    assert!(
        list.iter().all(|l| l["method"] == "vietqr"
            && l["paypal_email"].is_null()
            && l["account"] == "0011001932418"),
        "{}",
        mine.text
    );
}

#[tokio::test]
async fn an_affiliate_sets_where_their_payouts_go() {
    let (id, token) = affiliate(json!({})).await;
    let me = |body: Value| {
        req("PATCH", "/v1/me")
            .who(As::Bearer(token.clone()))
            .json(&body)
            .send()
    };
    let r = me(
        json!({"payout": {"method": "promptpay", "account": "081 234 5678", "name": "Somchai"}}),
    )
    .await;
    r.status(200);
    let pp = json!({"method": "promptpay", "account": "0812345678", "name": "Somchai"});
    assert_eq!(r.json["affiliate"]["payout"], pp, "{}", r.text);
    assert_eq!(
        affiliate_json(&id).await["payout"],
        pp,
        "the merchant sees it"
    );

    // The PayPal email too, and other fields alone leave the details.
    let r = me(json!({"payout_email": "me-pay@affiliates.test", "referral_emails": false})).await;
    r.status(200);
    assert_eq!(
        (
            &r.json["affiliate"]["payout_email"],
            &r.json["affiliate"]["payout"],
            &r.json["referral_emails"]
        ),
        (&json!("me-pay@affiliates.test"), &pp, &json!(false))
    );
    me(json!({})).await.status(200);

    // Refused: nothing changes, the referral emails included.
    let before = affiliate_json(&id).await;
    for (body, code) in [
        (
            json!({"referral_emails": true, "payout": {"method": "vietqr", "bank": "1", "account": "1"}}),
            "invalid_payout_bank",
        ),
        (
            json!({"referral_emails": true, "payout": {"method": "promptpay", "account": "1101801234564"}}),
            "invalid_payout_account",
        ),
        (
            json!({"referral_emails": true, "payout_email": "not an email"}),
            "invalid_payout_email",
        ),
    ] {
        me(body).await.error(400, code);
    }
    for body in [
        json!({"payout": {"method": "promptpay", "account": "0812345678", "bank_name": "x"}}),
        json!({"email": "someone@else.test"}),
    ] {
        me(body).await.error(400, "invalid_body");
    }
    assert_eq!(affiliate_json(&id).await, before);
    let r = req("GET", "/v1/me")
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    assert_eq!(r.json["referral_emails"], false);

    // Back to PayPal, to the contact email once the PayPal email is removed.
    let r = me(json!({"payout": null})).await;
    r.status(200);
    assert_eq!(r.json["affiliate"]["payout"], Value::Null);
    let r = me(json!({"payout_email": null})).await;
    r.status(200);
    assert_eq!(r.json["affiliate"]["payout_email"], Value::Null);
    // The merchant sets and removes it the same way.
    let r = patch(&id, json!({"payout_email": "set-by-shop@affiliates.test"})).await;
    r.status(200);
    assert_eq!(r.json["payout_email"], "set-by-shop@affiliates.test");
    let r = patch(&id, json!({"payout_email": null})).await;
    r.status(200);
    assert_eq!(r.json["payout_email"], Value::Null);
}

#[tokio::test]
async fn the_merchant_marks_each_transfer_sent() {
    let (a, a_token) =
        affiliate(json!({"payout": {"method": "vietqr", "bank": "970436", "account": "19033"}}))
            .await;
    let (b, _) = affiliate(json!({})).await;
    credit(&a, 1_000_000, "VND").await;
    credit(&b, 1_000_000, "VND").await;
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [a, b]}))
        .send()
        .await;
    r.status(201);
    let id = r.json["id"].as_str().expect("payout id").to_owned();
    let sent = |body: Value| {
        req("POST", &format!("/v1/payouts/{id}/sent"))
            .sk()
            .json(&body)
            .send()
    };
    let r = sent(json!({"affiliate": a, "currency": "VND", "sent": true})).await;
    r.status(200);
    let at = payout_line(&r.json, &a, "VND")["sent_at"].clone();
    assert!(at.as_str().is_some_and(|t| t.ends_with('Z')), "{}", r.text);
    assert_eq!(
        payout_line(&r.json, &b, "VND")["sent_at"],
        Value::Null,
        "only that line"
    );
    // Marked again: the first time stays.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = sent(json!({"affiliate": a, "currency": "VND", "sent": true})).await;
    r.status(200);
    assert_eq!(payout_line(&r.json, &a, "VND")["sent_at"], at);
    let shown = req("GET", &format!("/v1/payouts/{id}")).sk().send().await;
    assert_eq!(payout_line(&shown.json, &a, "VND")["sent_at"], at);
    // The affiliate sees it in their payout history.
    let mine = req("GET", "/v1/me/payouts")
        .who(As::Bearer(a_token.clone()))
        .send()
        .await;
    mine.status(200);
    assert_eq!(mine.json["payouts"][0]["sent_at"], at, "{}", mine.text);
    // Unmarked.
    let r = sent(json!({"affiliate": a, "currency": "VND", "sent": false})).await;
    r.status(200);
    assert_eq!(payout_line(&r.json, &a, "VND")["sent_at"], Value::Null);

    sent(json!({"affiliate": a, "currency": "USD", "sent": true}))
        .await
        .error(404, "payout_line_not_found");
    sent(json!({"affiliate": "nobody-here", "currency": "VND", "sent": true}))
        .await
        .error(404, "payout_line_not_found");
    req("POST", "/v1/payouts/po_missing/sent")
        .sk()
        .json(&json!({"affiliate": a, "currency": "VND", "sent": true}))
        .send()
        .await
        .error(404, "payout_not_found");
    for body in [
        json!({"affiliate": a, "currency": "VND"}),
        json!({"affiliate": a, "currency": "VND", "sent": "yes"}),
        json!({"affiliate": a, "currency": "VND", "sent": true, "at": "now"}),
    ] {
        sent(body).await.error(400, "invalid_body");
    }
    // The merchant's only.
    req("POST", &format!("/v1/payouts/{id}/sent"))
        .who(As::Publishable)
        .json(&json!({"affiliate": a, "currency": "VND", "sent": true}))
        .send()
        .await
        .error(403, "forbidden");
}
