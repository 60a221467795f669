//! Tax withheld from payouts: the program's rules (one per currency: a rate from a threshold),
//! affiliates exempt or not with their tax id, lines that pay the net and say what was
//! withheld, and the report a shop files.

use crate::harness::*;
use reftrail::bank_transfer::{promptpay, promptpay_id};
use serde_json::{json, Value};

/// A THB rule whose threshold no other test's payout reaches, so tests running beside this one
/// see no difference (50,000.00 THB; 3 %).
const THRESHOLD: i64 = 5_000_000;

#[tokio::test]
async fn the_rules_are_checked() {
    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    r.status(200);
    let p = r.json.clone();
    assert_eq!(p["withholding"], json!([]), "nothing withheld unless set");
    let rule = |currency: &str, rate: i64, threshold: i64| json!({"currency": currency, "rate_bps": rate, "threshold": threshold});
    for bad in [
        json!([rule("vnd", 1000, 0)]),
        json!([rule("VND", 0, 0)]),
        json!([rule("VND", 5001, 0)]),
        json!([rule("VND", 1000, -1)]),
        json!([rule("VND", 1000, 0), rule("VND", 500, 10)]),
    ] {
        let mut q = p.clone();
        q["withholding"] = bad;
        req("PUT", "/v1/program")
            .sk()
            .json(&q)
            .send()
            .await
            .error(400, "invalid_withholding");
    }
    let mut q = p.clone();
    q["withholding"] =
        json!([{"currency": "VND", "rate_bps": 1000, "threshold": 2000000, "note": "x"}]);
    req("PUT", "/v1/program")
        .sk()
        .json(&q)
        .send()
        .await
        .status(400);
    let r = req("GET", "/v1/program").sk().send().await;
    assert_eq!(r.json["withholding"], json!([]), "refused changes nothing");
}

#[tokio::test]
async fn an_affiliate_is_exempt_or_not_and_has_a_tax_id() {
    let (id, _) = affiliate(json!({"tax_id": "0312345678-001"})).await;
    let r = req("GET", &format!("/v1/affiliates/{id}"))
        .sk()
        .send()
        .await;
    assert_eq!(
        (&r.json["tax_id"], &r.json["withholding_exempt"]),
        (&json!("0312345678-001"), &json!(false))
    );
    let patch = |body: Value| {
        req("PATCH", &format!("/v1/affiliates/{id}"))
            .sk()
            .json(&body)
            .send()
    };
    let r = patch(json!({"withholding_exempt": true, "tax_id": null})).await;
    r.status(200);
    assert_eq!(
        (&r.json["tax_id"], &r.json["withholding_exempt"]),
        (&Value::Null, &json!(true))
    );
    for bad in [
        json!(""),
        json!("031 234"),
        json!("x".repeat(21)),
        json!("٠١٢"),
    ] {
        patch(json!({"tax_id": bad, "name": "Changed"}))
            .await
            .error(400, "invalid_tax_id");
        let body = json!({"id": uid("aff"), "name": "N", "tax_id": bad});
        req("POST", "/v1/affiliates")
            .sk()
            .json(&body)
            .send()
            .await
            .error(400, "invalid_tax_id");
    }
    patch(json!({"withholding_exempt": "yes"}))
        .await
        .error(400, "invalid_body");
    let r = req("GET", &format!("/v1/affiliates/{id}"))
        .sk()
        .send()
        .await;
    assert_eq!(
        r.json["name"],
        format!("Affiliate {id}"),
        "refused changes nothing"
    );
}

#[tokio::test]
async fn an_affiliate_is_paid_as_a_person_or_a_company() {
    // Thailand files tax withheld from people (ภ.ง.ด.3) and from companies (ภ.ง.ด.53) apart.
    let (id, _) = affiliate(json!({"payee_type": "company"})).await;
    let path = format!("/v1/affiliates/{id}");
    let shown = || req("GET", &path).sk().send();
    assert_eq!(shown().await.json["payee_type"], "company");
    let (plain, _) = affiliate(json!({})).await;
    let r = req("GET", &format!("/v1/affiliates/{plain}"))
        .sk()
        .send()
        .await;
    assert_eq!(r.json["payee_type"], Value::Null, "not set unless given");
    let patch = |body: Value| req("PATCH", &path).sk().json(&body).send();
    patch(json!({"payee_type": "person"})).await.status(200);
    assert_eq!(shown().await.json["payee_type"], "person");
    for bad in [json!("Person"), json!("individual"), json!(""), json!(1)] {
        let r = patch(json!({"payee_type": bad, "name": "Changed"})).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert!(
            ["invalid_payee_type", "invalid_body"]
                .contains(&r.json["error"]["code"].as_str().unwrap_or("")),
            "{bad}: {}",
            r.text
        );
    }
    patch(json!({"payee_type": "sole_trader"}))
        .await
        .error(400, "invalid_payee_type");
    let body = json!({"id": uid("aff"), "name": "N", "payee_type": "partnership"});
    req("POST", "/v1/affiliates")
        .sk()
        .json(&body)
        .send()
        .await
        .error(400, "invalid_payee_type");
    assert_eq!(
        shown().await.json["name"],
        format!("Affiliate {id}"),
        "refused changes nothing"
    );
    // The change is in the activity log; null removes it.
    patch(json!({"payee_type": null})).await.status(200);
    assert_eq!(shown().await.json["payee_type"], Value::Null);
    let log = req(
        "GET",
        &format!("/v1/activity?affiliate={id}&action=affiliate.updated"),
    )
    .sk()
    .send()
    .await;
    assert_eq!(
        log.json["activity"][0]["details"],
        json!({"changes": [{"field": "payee_type", "before": "person", "after": null}]})
    );
}

#[tokio::test]
async fn a_payout_withholds_tax_and_pays_the_rest() {
    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    let before = r.json.clone();
    let mut p = before.clone();
    p["withholding"] = json!([{"currency": "THB", "rate_bps": 300, "threshold": THRESHOLD}]);
    put_program(&p).await;

    // 10 % commissions: 60,000.00 THB (taxed), 49,999.99 THB (under the threshold), and
    // 60,000.00 THB to an exempt affiliate.
    let (taxed, token) = affiliate(json!({"tax_id": "1101801234563", "payee_type": "person",
        "payout": {"method": "promptpay", "account": "0812345678"}}))
    .await;
    let (under, _) = affiliate(json!({})).await;
    let (exempt, _) = affiliate(json!({"withholding_exempt": true})).await;
    credit(&taxed, 60_000_000, "THB").await;
    credit(&under, 49_999_990, "THB").await;
    credit(&exempt, 60_000_000, "THB").await;
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"affiliates": [taxed, under, exempt]}))
        .send()
        .await;
    put_program(&before).await;
    r.status(201);
    let id = r.json["id"].as_str().expect("payout id").to_owned();
    let t = payout_line(&r.json, &taxed, "THB");
    let net = 6_000_000 - 180_000;
    let pp = promptpay_id("0812345678").expect("mobile");
    assert_eq!(
        (&t["gross"], &t["withheld"], &t["amount"], &t["tax_id"]),
        (
            &json!(6_000_000),
            &json!(180_000),
            &json!(net),
            &json!("1101801234563")
        ),
        "{}",
        r.text
    );
    assert_eq!(
        t["transfer_qr"],
        json!(promptpay(&pp, Some(net))),
        "the QR pays the net"
    );
    let u = payout_line(&r.json, &under, "THB");
    assert_eq!(
        (&u["gross"], &u["withheld"], &u["amount"]),
        (&json!(4_999_999), &json!(0), &json!(4_999_999))
    );
    let e = payout_line(&r.json, &exempt, "THB");
    assert_eq!(
        (&e["gross"], &e["withheld"], &e["amount"]),
        (&json!(6_000_000), &json!(0), &json!(6_000_000))
    );
    // The same read back; the balance is settled by the gross.
    let shown = req("GET", &format!("/v1/payouts/{id}")).sk().send().await;
    assert_eq!(payout_line(&shown.json, &taxed, "THB"), t);
    let b = req("GET", &format!("/v1/balances?affiliate={taxed}"))
        .sk()
        .send()
        .await;
    assert_eq!(
        (
            &b.json["balances"][0]["approved"],
            &b.json["balances"][0]["paid"]
        ),
        (&json!(0), &json!(6_000_000)),
        "{}",
        b.text
    );
    // The PayPal file pays the net.
    let csv = req("GET", &format!("/v1/payouts/{id}.csv"))
        .sk()
        .send()
        .await;
    assert!(
        csv.text
            .contains(&format!("{under}@affiliates.test,49999.99,THB,{under},")),
        "{}",
        csv.text
    );
    // The affiliate sees gross, withheld and what they received.
    let mine = req("GET", "/v1/me/payouts")
        .who(As::Bearer(token))
        .send()
        .await;
    let m = &mine.json["payouts"][0];
    assert_eq!(
        (&m["gross"], &m["withheld"], &m["amount"]),
        (&json!(6_000_000), &json!(180_000), &json!(net)),
        "{}",
        mine.text
    );

    // The report for the shop's filing: one row per affiliate and currency.
    let today = now_rfc3339(0)[..10].to_owned();
    let report = req(
        "GET",
        &format!("/v1/reports/withholding.csv?from={today}&to={today}"),
    )
    .sk()
    .send()
    .await;
    report.status(200);
    let lines: Vec<&str> = report.text.lines().collect();
    assert_eq!(
        lines[0],
        "affiliate_id,name,tax_id,payee_type,currency,gross,withheld,paid,payouts"
    );
    assert!(
        lines.contains(
            &format!(
                "{taxed},Affiliate {taxed},1101801234563,person,THB,60000.00,1800.00,58200.00,1"
            )
            .as_str()
        ),
        "{}",
        report.text
    );
    assert!(
        lines.contains(
            &format!("{exempt},Affiliate {exempt},,,THB,60000.00,0.00,60000.00,1").as_str()
        ),
        "{}",
        report.text
    );
    req("GET", "/v1/reports/withholding.csv?from=tomorrow")
        .sk()
        .send()
        .await
        .error(400, "invalid_range");
    req("GET", "/v1/reports/withholding.csv")
        .who(As::Publishable)
        .send()
        .await
        .error(403, "forbidden");
}
