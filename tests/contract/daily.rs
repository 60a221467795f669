//! The affiliate's figures day by day (`GET /v1/me/daily`, and the merchant's
//! `GET /v1/affiliates/{id}/daily`): every day of the period, with its clicks, sales, leads and
//! commission.

use crate::harness::{affiliate, click, req, sale, uid, As};
use serde_json::json;

/// Today's date (UTC), `YYYY-MM-DD`.
fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

#[tokio::test]
async fn an_affiliate_reads_their_days() {
    let (id, token) = affiliate(json!({})).await;
    let me = || As::Bearer(token.clone());
    let (click_id, _) = click(&id).await;
    sale(
        json!({ "order_id": uid("o"), "amount": 50_000, "currency": "VND", "click_id": click_id }),
    )
    .await
    .status(201);

    let day = today();
    let r = req("GET", &format!("/v1/me/daily?from={day}&to={day}"))
        .who(me())
        .send()
        .await;
    r.status(200);
    assert_eq!(
        r.json["days"],
        json!([{ "day": day, "clicks": 1, "sales": 1, "leads": 0,
                 "commissions": [{ "currency": "VND", "amount": 5_000 }] }]),
        "{}",
        r.text
    );
    // The merchant reads the same of the affiliate; no one else's days are theirs.
    let theirs = req(
        "GET",
        &format!("/v1/affiliates/{id}/daily?from={day}&to={day}"),
    )
    .sk()
    .send()
    .await;
    theirs.status(200);
    assert_eq!(theirs.json, r.json);
    req("GET", "/v1/affiliates/nobody-here/daily")
        .sk()
        .send()
        .await
        .error(404, "affiliate_not_found");
    req("GET", &format!("/v1/affiliates/{id}/daily"))
        .who(me())
        .send()
        .await
        .error(403, "forbidden");
    // The default period: the 30 days up to now, every one listed, today last.
    let r = req("GET", "/v1/me/daily").who(me()).send().await;
    r.status(200);
    let days = r.json["days"].as_array().expect("days");
    assert!((30..=32).contains(&days.len()), "{}", days.len());
    assert_eq!(days.last().map(|d| d["day"].clone()), Some(json!(day)));
    assert_eq!(days[0]["clicks"], 0);

    for q in [
        "from=2026-13-01",
        "from=2020-01-01&to=2026-01-01",
        "from=2026-02-01&to=2026-01-01",
    ] {
        req("GET", &format!("/v1/me/daily?{q}"))
            .who(me())
            .send()
            .await
            .error(400, "invalid_range");
    }
    req("GET", "/v1/me/daily")
        .sk()
        .send()
        .await
        .error(403, "forbidden");
}
