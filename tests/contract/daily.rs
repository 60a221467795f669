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

#[tokio::test]
async fn a_campaigns_days_count_only_its_clicks_and_referrals() {
    let (id, token) = affiliate(json!({})).await;
    let me = || As::Bearer(token.clone());
    // Two clicks and sales under `tiktok-bio` (utm_campaign, then the `campaign` parameter), one
    // under another campaign, one under none.
    for (campaign, amount) in [
        (json!({"utm_campaign": "tiktok-bio"}), 100_000),
        (json!({"campaign": "tiktok-bio"}), 200_000),
        (json!({"utm_campaign": "zalo-group"}), 400_000),
        (json!({}), 800_000),
    ] {
        let body = json!({"affiliate": id, "url": format!("https://www.shop.test/?ref={id}"),
            "referrer": "", "consent": "granted", "via": "query", "landing": "/", "campaign": campaign});
        let r = req("POST", "/v1/clicks").browser().json(&body).send().await;
        r.status(201);
        let click_id = r.json["click_id"].as_str().expect("click_id").to_owned();
        sale(json!({ "order_id": uid("o"), "amount": amount, "currency": "VND", "click_id": click_id }))
            .await
            .status(201);
    }
    let day = today();
    let of = |q: &str| {
        let path = format!("/v1/me/daily?from={day}&to={day}{q}");
        let who = me();
        async move {
            let r = req("GET", &path).who(who).send().await;
            r.status(200);
            r.json["days"][0].clone()
        }
    };
    assert_eq!(
        of("&campaign=tiktok-bio").await,
        json!({ "day": day, "clicks": 2, "sales": 2, "leads": 0,
                "commissions": [{ "currency": "VND", "amount": 30_000 }] })
    );
    assert_eq!(
        of("&campaign=zalo-group").await["commissions"][0]["amount"],
        40_000
    );
    assert_eq!(of("&campaign=nothing-here").await["clicks"], 0);
    assert_eq!(of("").await["clicks"], 4);
    assert_eq!(of("").await["sales"], 4);
    // Names are matched as written, after trimming.
    assert_eq!(of("&campaign=%20tiktok-bio%20").await["sales"], 2);
    // The merchant narrows the same way.
    let theirs = req(
        "GET",
        &format!("/v1/affiliates/{id}/daily?from={day}&to={day}&campaign=tiktok-bio"),
    )
    .sk()
    .send()
    .await;
    theirs.status(200);
    assert_eq!(theirs.json["days"][0]["sales"], 2);
    req("GET", &format!("/v1/me/daily?campaign={}", "x".repeat(300)))
        .who(me())
        .send()
        .await
        .error(400, "invalid_campaign");
}
