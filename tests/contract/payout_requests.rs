//! Payout requests: an affiliate asks to be paid their approved balance in one currency; the
//! merchant sees it with the filters, pays it with an ordinary payout (which closes it) or
//! declines it with a reason; the affiliate may take an open one back. One open request per
//! currency, none below the program's minimum or without anywhere to pay.

use crate::harness::*;
use serde_json::{json, Value};

async fn ask(token: &str, body: Value) -> Res {
    req("POST", "/v1/me/payout-requests")
        .who(As::Bearer(token.into()))
        .json(&body)
        .send()
        .await
}

async fn mine(token: &str) -> Vec<Value> {
    let r = req("GET", "/v1/me/payout-requests")
        .who(As::Bearer(token.into()))
        .send()
        .await;
    r.status(200);
    r.json["requests"].as_array().expect("requests").clone()
}

async fn of_affiliate(id: &str, status: &str) -> Value {
    let r = req(
        "GET",
        &format!("/v1/payout-requests?affiliate={id}&status={status}"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    r.json
}

#[tokio::test]
async fn an_affiliate_asks_to_be_paid_and_a_payout_answers_it() {
    let (id, token) = affiliate(json!({})).await;
    // Nothing approved yet: nothing to ask for.
    ask(&token, json!({"currency": "VND"}))
        .await
        .error(409, "below_minimum");
    credit(&id, 500_000, "VND").await;

    let r = ask(&token, json!({"currency": "VND"})).await;
    r.status(201);
    let request = r.json.clone();
    assert_eq!(request["affiliate"], id.as_str());
    assert_eq!(request["currency"], "VND");
    assert_eq!(
        request["amount"], 50_000,
        "the approved balance: 10 % of the sale"
    );
    assert_eq!(request["status"], "open");
    assert_eq!(request["closed_at"], Value::Null);
    assert_eq!(request["payout_id"], Value::Null);
    let rid = request["id"].as_str().expect("id").to_owned();
    // One open request per currency.
    ask(&token, json!({"currency": "VND"}))
        .await
        .error(409, "request_open");
    assert_eq!(mine(&token).await, vec![request.clone()]);

    // The merchant's list, filtered.
    let open = of_affiliate(&id, "open").await;
    assert_eq!(open["total"], 1);
    assert_eq!(open["requests"][0], request);
    assert_eq!(of_affiliate(&id, "paid").await["total"], 0);
    let log = req(
        "GET",
        &format!("/v1/activity?affiliate={id}&action=payout.requested"),
    )
    .sk()
    .send()
    .await;
    log.status(200);
    assert_eq!(
        log.json["activity"][0]["subject"],
        rid.as_str(),
        "{}",
        log.text
    );
    assert_eq!(
        log.json["activity"][0]["by"],
        format!("affiliate:{id}"),
        "{}",
        log.text
    );

    // Paid with an ordinary payout of that affiliate and currency: the request is closed by it.
    let payout = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({"currency": "VND", "affiliates": [id]}))
        .send()
        .await;
    payout.status(201);
    assert_eq!(payout_line(&payout.json, &id, "VND")["amount"], 50_000);
    let paid = &mine(&token).await[0];
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["payout_id"], payout.json["id"]);
    assert!(paid["closed_at"].is_string());
    assert_eq!(of_affiliate(&id, "paid").await["total"], 1);
    // Closed: neither taken back nor declined.
    req("DELETE", &format!("/v1/me/payout-requests/{rid}"))
        .who(As::Bearer(token.clone()))
        .send()
        .await
        .error(409, "request_closed");
    req("POST", &format!("/v1/payout-requests/{rid}/decline"))
        .sk()
        .json(&json!({}))
        .send()
        .await
        .error(409, "request_closed");
    // Paid out: nothing left to ask for.
    ask(&token, json!({"currency": "VND"}))
        .await
        .error(409, "below_minimum");
}

#[tokio::test]
async fn a_request_is_declined_with_a_reason_or_taken_back() {
    let (id, token) = affiliate(json!({})).await;
    credit(&id, 300_000, "VND").await;
    credit(&id, 10_000, "USD").await;

    let vnd = ask(&token, json!({"currency": "VND"})).await;
    vnd.status(201);
    let vnd_id = vnd.json["id"].as_str().expect("id").to_owned();
    let declined = req("POST", &format!("/v1/payout-requests/{vnd_id}/decline"))
        .sk()
        .json(&json!({"reason": "  Hóa đơn chưa đủ: gửi lại sau ngày 5  "}))
        .send()
        .await;
    declined.status(200);
    assert_eq!(declined.json["status"], "declined");
    assert_eq!(
        declined.json["reason"],
        "Hóa đơn chưa đủ: gửi lại sau ngày 5"
    );
    assert!(declined.json["closed_at"].is_string());

    // Another currency is a request of its own; the affiliate takes it back.
    let usd = ask(&token, json!({"currency": "USD"})).await;
    usd.status(201);
    assert_eq!(usd.json["amount"], 1_000);
    let usd_id = usd.json["id"].as_str().expect("id").to_owned();
    let back = req("DELETE", &format!("/v1/me/payout-requests/{usd_id}"))
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    back.status(200);
    assert_eq!(back.json["status"], "cancelled");
    // Declined and taken back, the balance is still theirs to ask for again.
    ask(&token, json!({"currency": "VND"})).await.status(201);
    let statuses: Vec<(String, String)> = mine(&token)
        .await
        .iter()
        .map(|r| {
            (
                r["currency"].as_str().unwrap_or("").to_owned(),
                r["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(statuses.len(), 3);
    for (currency, status) in [("VND", "open"), ("USD", "cancelled"), ("VND", "declined")] {
        assert!(
            statuses.contains(&(currency.to_owned(), status.to_owned())),
            "{statuses:?}"
        );
    }

    // Someone else's request is not theirs to take back.
    let (_, other) = affiliate(json!({})).await;
    req("DELETE", &format!("/v1/me/payout-requests/{vnd_id}"))
        .who(As::Bearer(other))
        .send()
        .await
        .error(404, "payout_request_not_found");
}

#[tokio::test]
async fn payout_requests_refuse_bad_input_and_strangers() {
    let (id, token) = affiliate(json!({})).await;
    credit(&id, 300_000, "VND").await;
    for body in [
        json!({"currency": "vnd"}),
        json!({"currency": "VNDX"}),
        json!({"currency": ""}),
    ] {
        ask(&token, body).await.error(400, "invalid_currency");
    }
    ask(&token, json!({})).await.status(400);
    ask(&token, json!({"currency": "VND", "amount": 1}))
        .await
        .status(400);
    // A balance in another currency is not asked for in this one.
    ask(&token, json!({"currency": "THB"}))
        .await
        .error(409, "below_minimum");

    for query in ["?status=waiting", "?limit=0", "?offset=-1"] {
        req("GET", &format!("/v1/payout-requests{query}"))
            .sk()
            .send()
            .await
            .error(400, "invalid_query");
    }
    req("POST", "/v1/payout-requests/prq_nothing_here/decline")
        .sk()
        .send()
        .await
        .error(404, "payout_request_not_found");
    let r = ask(&token, json!({"currency": "VND"})).await;
    r.status(201);
    let rid = r.json["id"].as_str().expect("id").to_owned();
    req("POST", &format!("/v1/payout-requests/{rid}/decline"))
        .sk()
        .json(&json!({"reason": "a\nb"}))
        .send()
        .await
        .error(400, "invalid_reason");
    assert_eq!(mine(&token).await[0]["status"], "open", "nothing written");

    // Each side calls its own routes only.
    req("GET", "/v1/me/payout-requests")
        .send()
        .await
        .status(401);
    req("GET", "/v1/me/payout-requests")
        .sk()
        .send()
        .await
        .status(403);
    req("GET", "/v1/payout-requests")
        .who(As::Bearer(token.clone()))
        .send()
        .await
        .status(403);
    req("POST", &format!("/v1/payout-requests/{rid}/decline"))
        .who(As::Bearer(token))
        .send()
        .await
        .status(403);
}
