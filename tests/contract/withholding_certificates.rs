//! Withholding tax certificates: the shop (the payer, with its tax id and address in the
//! program's `payer`) certifies to each affiliate (the payee, with their tax id and `address`)
//! what it paid them in a period and the tax it withheld, as Thailand's 50 Tawi certificate and
//! Vietnam's withholding voucher do. The merchant lists them for everyone; each affiliate reads
//! their own.

use crate::harness::*;
use serde_json::{json, Value};

/// A THB rule whose threshold no other test's payout reaches (50,000.00 THB; 3 %), as in
/// `withholding.rs`.
const THRESHOLD: i64 = 5_000_000;

fn payer() -> Value {
    json!({"name": "Bangkok Beauty Co., Ltd.", "tax_id": "0105561234567",
        "address": "99/1 Sukhumvit Road, Khlong Toei, Bangkok 10110"})
}

#[tokio::test]
async fn the_payer_is_checked() {
    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    r.status(200);
    let before = r.json.clone();
    assert_eq!(before["payer"], Value::Null, "no payer unless set");
    let with = |p: Value| {
        let mut q = before.clone();
        q["payer"] = p;
        q
    };
    let mut bad = vec![
        json!("Bangkok Beauty"),
        json!({"name": "Bangkok Beauty", "tax_id": "0105561234567"}),
        json!({"name": "", "tax_id": "0105561234567", "address": "Bangkok"}),
        json!({"name": "x".repeat(201), "tax_id": "0105561234567", "address": "Bangkok"}),
        json!({"name": "Bangkok Beauty", "tax_id": "0105 561", "address": "Bangkok"}),
        json!({"name": "Bangkok Beauty", "tax_id": "", "address": "Bangkok"}),
        json!({"name": "Bangkok Beauty", "tax_id": "0105561234567", "address": "99/1\nBangkok"}),
        json!({"name": "Bangkok Beauty", "tax_id": "0105561234567", "address": "x".repeat(601)}),
    ];
    bad.push({
        let mut p = payer();
        p["branch"] = json!("00000");
        p
    });
    for p in bad {
        let r = req("PUT", "/v1/program")
            .sk()
            .json(&with(p.clone()))
            .send()
            .await;
        assert_eq!(r.status, 400, "{p}: {}", r.text);
        assert!(
            ["invalid_payer", "invalid_body"]
                .contains(&r.json["error"]["code"].as_str().unwrap_or("")),
            "{p}: {}",
            r.text
        );
    }
    let r = req("GET", "/v1/program").sk().send().await;
    assert_eq!(r.json["payer"], Value::Null, "refused changes nothing");

    put_program(&with(payer())).await;
    let r = req("GET", "/v1/program").sk().send().await;
    assert_eq!(r.json["payer"], payer());
    put_program(&with(Value::Null)).await;
    let r = req("GET", "/v1/program").sk().send().await;
    assert_eq!(r.json["payer"], Value::Null, "null removes it");
    put_program(&before).await;
}

#[tokio::test]
async fn an_affiliate_has_an_address_they_may_set_themselves() {
    let thai = "123/45 หมู่ 6 ถนนสุขุมวิท แขวงคลองเตย เขตคลองเตย กรุงเทพมหานคร 10110";
    let (id, token) = affiliate(json!({"address": thai})).await;
    let shown = || async {
        req("GET", &format!("/v1/affiliates/{id}"))
            .sk()
            .send()
            .await
            .json["address"]
            .clone()
    };
    assert_eq!(shown().await, json!(thai));
    let (plain, _) = affiliate(json!({})).await;
    let r = req("GET", &format!("/v1/affiliates/{plain}"))
        .sk()
        .send()
        .await;
    assert_eq!(r.json["address"], Value::Null, "none unless given");

    for bad in [
        json!(""),
        json!("12 Main St\r\nHanoi"),
        json!("ต".repeat(201)),
        json!(12),
    ] {
        let code = if bad.is_string() {
            "invalid_address"
        } else {
            "invalid_body"
        };
        req("PATCH", &format!("/v1/affiliates/{id}"))
            .sk()
            .json(&json!({"address": bad, "name": "Changed"}))
            .send()
            .await
            .error(400, code);
        req("PATCH", "/v1/me")
            .who(As::Bearer(token.clone()))
            .json(&json!({"address": bad}))
            .send()
            .await
            .error(400, code);
        let body = json!({"id": uid("aff"), "name": "N", "address": bad});
        req("POST", "/v1/affiliates")
            .sk()
            .json(&body)
            .send()
            .await
            .error(400, code);
    }
    assert_eq!(shown().await, json!(thai), "refused changes nothing");
    let r = req("GET", &format!("/v1/affiliates/{id}"))
        .sk()
        .send()
        .await;
    assert_eq!(r.json["name"], format!("Affiliate {id}"));

    // The affiliate moves: their own address, as they write it (600 bytes at most).
    let moved = "ต".repeat(200);
    let r = req("PATCH", "/v1/me")
        .who(As::Bearer(token.clone()))
        .json(&json!({"address": moved}))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["affiliate"]["address"], json!(moved), "{}", r.text);
    assert_eq!(shown().await, json!(moved));
    // The merchant removes it.
    let r = req("PATCH", &format!("/v1/affiliates/{id}"))
        .sk()
        .json(&json!({"address": null}))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["address"], Value::Null);
}

/// Pays `affiliate` one payout of the commission on a sale of `amount` THB (10 %), under the
/// THB rule; returns the payout.
async fn pay(affiliate: &str, amount: i64) -> Value {
    credit(affiliate, amount, "THB").await;
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [affiliate]}))
        .send()
        .await;
    r.status(201);
    r.json
}

#[tokio::test]
async fn certificates_say_what_was_paid_and_withheld() {
    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    let before = r.json.clone();
    let mut p = before.clone();
    p["withholding"] = json!([{"currency": "THB", "rate_bps": 300, "threshold": THRESHOLD}]);
    p["payer"] = payer();
    put_program(&p).await;

    let (somchai, token) = affiliate(json!({"name": "สมชาย ใจดี", "tax_id": "1101801234563",
        "address": "12 ถนนพหลโยธิน กรุงเทพมหานคร 10400", "payee_type": "person"}))
    .await;
    let (exempt, exempt_token) = affiliate(json!({"withholding_exempt": true})).await;
    // 6,000.00 THB withheld 180.00, then 7,000.00 THB withheld 210.00.
    let first = pay(&somchai, 60_000_000).await;
    let second = pay(&somchai, 70_000_000).await;
    let paid_exempt = pay(&exempt, 60_000_000).await;
    // The rule goes (other tests pay THB too); the payer stays until the end.
    let mut q = before.clone();
    q["payer"] = payer();
    put_program(&q).await;
    assert_eq!(
        payout_line(&paid_exempt, &exempt, "THB")["withheld"],
        json!(0)
    );
    // The second transfer is marked sent: its date on the certificate is the day it was sent.
    let id2 = second["id"].as_str().expect("id");
    let r = req("POST", &format!("/v1/payouts/{id2}/sent"))
        .sk()
        .json(&json!({"affiliate": somchai, "currency": "THB", "sent": true}))
        .send()
        .await;
    r.status(200);
    let sent_at = payout_line(&r.json, &somchai, "THB")["sent_at"].clone();
    assert!(sent_at.is_string(), "{}", r.text);

    let today = now_rfc3339(0)[..10].to_owned();
    let period = format!("from={today}&to={today}");
    let r = req(
        "GET",
        &format!("/v1/reports/withholding/certificates?{period}&affiliate={somchai}"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    assert_eq!(r.json["payer"], payer(), "{}", r.text);
    assert_eq!(r.json["from"], json!(format!("{today}T00:00:00Z")));
    let certs = r.json["certificates"].as_array().expect("certificates");
    assert_eq!(certs.len(), 1, "{}", r.text);
    let c = &certs[0];
    let payments = json!([
        {"payout": first["id"], "paid_at": first["at"], "gross": 6_000_000, "withheld": 180_000, "paid": 5_820_000},
        {"payout": second["id"], "paid_at": sent_at, "gross": 7_000_000, "withheld": 210_000, "paid": 6_790_000},
    ]);
    assert_eq!(
        c,
        &json!({
            "affiliate": somchai,
            "currency": "THB",
            "payee": {"name": "สมชาย ใจดี", "tax_id": "1101801234563",
                "address": "12 ถนนพหลโยธิน กรุงเทพมหานคร 10400", "type": "person"},
            "payments": payments,
            "gross": 13_000_000,
            "withheld": 390_000,
            "paid": 12_610_000,
            "withheld_words": "สามพันเก้าร้อยบาทถ้วน",
        }),
        "{}",
        r.text
    );

    // Every affiliate's at once: the exempt one has nothing withheld, so no certificate.
    let r = req(
        "GET",
        &format!("/v1/reports/withholding/certificates?{period}"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    let all = r.json["certificates"].as_array().expect("certificates");
    assert!(all.iter().any(|x| x == c), "{}", r.text);
    assert!(!all.iter().any(|x| x["affiliate"] == exempt), "{}", r.text);
    // A period before the payouts has none.
    let r = req(
        "GET",
        &format!("/v1/reports/withholding/certificates?from=2020-01-01&to=2020-12-31&affiliate={somchai}"),
    )
    .sk()
    .send()
    .await;
    assert_eq!(r.json["certificates"], json!([]), "{}", r.text);

    // The affiliate reads their own, the same; another affiliate sees none of it.
    let mine = req("GET", &format!("/v1/me/withholding/certificates?{period}"))
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    mine.status(200);
    assert_eq!(mine.json["payer"], payer());
    assert_eq!(mine.json["certificates"], json!([c]), "{}", mine.text);
    let other = req("GET", &format!("/v1/me/withholding/certificates?{period}"))
        .who(As::Bearer(exempt_token))
        .send()
        .await;
    assert_eq!(other.json["certificates"], json!([]), "{}", other.text);

    // The payee's details are the affiliate's as they are now.
    req("PATCH", "/v1/me")
        .who(As::Bearer(token.clone()))
        .json(&json!({"address": "88 ถนนสีลม กรุงเทพมหานคร 10500"}))
        .send()
        .await
        .status(200);
    let mine = req("GET", &format!("/v1/me/withholding/certificates?{period}"))
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    assert_eq!(
        mine.json["certificates"][0]["payee"]["address"],
        json!("88 ถนนสีลม กรุงเทพมหานคร 10500")
    );
    // Which filing form names them (ภ.ง.ด.3 or ภ.ง.ด.53) follows their payee type as it is now.
    req("PATCH", &format!("/v1/affiliates/{somchai}"))
        .sk()
        .json(&json!({"payee_type": "company"}))
        .send()
        .await
        .status(200);
    let mine = req("GET", &format!("/v1/me/withholding/certificates?{period}"))
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    assert_eq!(mine.json["certificates"][0]["payee"]["type"], "company");

    // Bad input and the wrong caller.
    for path in [
        "/v1/reports/withholding/certificates?from=tomorrow",
        "/v1/reports/withholding/certificates?from=2026-05-01&to=2026-04-01",
    ] {
        req("GET", path)
            .sk()
            .send()
            .await
            .error(400, "invalid_range");
    }
    req("GET", "/v1/me/withholding/certificates?to=yesterday")
        .who(As::Bearer(token))
        .send()
        .await
        .error(400, "invalid_range");
    req("GET", "/v1/reports/withholding/certificates")
        .who(As::Publishable)
        .send()
        .await
        .error(403, "forbidden");
    req("GET", "/v1/me/withholding/certificates")
        .send()
        .await
        .error(401, "unauthorized");
    req("GET", "/v1/me/withholding/certificates")
        .sk()
        .send()
        .await
        .error(403, "forbidden");
    put_program(&before).await;
}
