//! Campaigns: an affiliate tags their links (`?ref=alice&utm_campaign=tiktok`) and sees which
//! of them sell. A click's campaign is its `utm_campaign`, else its `campaign`; a referral's is
//! the campaign of what credited it (the click, the browser's touch, or for a renewal or a
//! returning customer the conversion it follows; a coupon has none). `GET
//! /v1/reports/campaigns` (merchant) and `GET /v1/me/campaigns` (the affiliate) count clicks,
//! sales, leads and money per affiliate and campaign.

use crate::harness::*;
use serde_json::{json, Value};

/// Records a consented click for `affiliate` with the campaign parameters `tags`, from a new
/// visitor; returns the click id.
async fn tagged_click(affiliate: &str, tags: Value) -> String {
    let visitor = format!(
        "{:0>16}",
        uid("v").replace(|c: char| !c.is_ascii_alphanumeric(), "")
    );
    let visitor = &visitor[visitor.len().saturating_sub(32)..];
    let body = json!({"affiliate": affiliate, "url": format!("https://www.shop.test/?ref={affiliate}"), "referrer": "", "consent": "granted", "via": "query", "landing": "/", "campaign": tags, "visitor": visitor});
    let r = req("POST", "/v1/clicks").browser().json(&body).send().await;
    r.status(201);
    r.json["click_id"].as_str().expect("click_id").to_owned()
}

/// A verified sale; answers its referral.
async fn sold(body: Value) -> Value {
    let r = sale(body).await;
    r.status(201);
    r.json["referral"].clone()
}

/// The rows of `path` (a campaigns report) as the caller `who` sees them.
async fn rows(path: &str, who: As) -> Vec<Value> {
    let r = req("GET", path).who(who).send().await;
    r.status(200);
    assert!(
        r.json["from"].is_string() && r.json["to"].is_string(),
        "{}",
        r.text
    );
    r.json["rows"].as_array().expect("rows").clone()
}

/// The row of `campaign` (null: no campaign) among `rows`.
fn row(rows: &[Value], campaign: Value) -> &Value {
    rows.iter()
        .find(|r| r["campaign"] == campaign)
        .unwrap_or_else(|| panic!("no row for {campaign} in {rows:?}"))
}

#[tokio::test]
async fn clicks_and_referrals_are_counted_per_campaign() {
    let coupon = uid("CMP");
    let (a, _) = affiliate(json!({ "coupons": [coupon] })).await;
    let spring = tagged_click(
        &a,
        json!({"utm_campaign": "spring", "utm_source": "tiktok"}),
    )
    .await;
    tagged_click(&a, json!({"utm_campaign": "spring"})).await;
    tagged_click(&a, json!({"campaign": "zalo"})).await;
    let both = tagged_click(&a, json!({"utm_campaign": "Tết 2027", "campaign": "other"})).await;
    tagged_click(&a, json!({"utm_source": "facebook"})).await;
    tagged_click(&a, json!({})).await;

    let order1 = uid("o");
    let r1 =
        sold(json!({"order_id": order1, "amount": 200_000, "currency": "VND", "click_id": spring}))
            .await;
    assert_eq!(r1["campaign"], "spring", "{r1}");
    let r2 = sold(
        json!({"order_id": uid("o"), "amount": 100_000, "currency": "VND", "click_id": spring}),
    )
    .await;
    let r3 = sold(
        json!({"order_id": uid("o"), "amount": 50_000, "currency": "VND",
        "touch": {"affiliate": a, "via": "query", "at": now_rfc3339(-600), "campaign": "zalo"}}),
    )
    .await;
    assert_eq!(
        (r3["attributed_by"].as_str(), r3["campaign"].as_str()),
        (Some("touch"), Some("zalo")),
        "{r3}"
    );
    let r4 = sold(json!({"order_id": uid("o"), "amount": 30_000, "currency": "VND", "coupon": coupon, "click_id": both})).await;
    assert_eq!(
        (r4["attributed_by"].as_str(), &r4["campaign"]),
        (Some("coupon"), &Value::Null),
        "{r4}"
    );
    let r5 = sold(json!({"order_id": uid("o"), "amount": 10, "currency": "USD", "click_id": both}))
        .await;
    assert_eq!(
        r5["campaign"], "Tết 2027",
        "utm_campaign wins over campaign: {r5}"
    );

    // The merchant lists the campaign with each referral.
    let listed = referrals_of(&a, "").await;
    let campaign_of = |id: &Value| {
        listed
            .iter()
            .find(|x| x["id"] == *id)
            .map(|x| x["campaign"].clone())
            .expect("listed")
    };
    assert_eq!(campaign_of(&r1["id"]), "spring");
    assert_eq!(campaign_of(&r4["id"]), Value::Null);
    let one = req(
        "GET",
        &format!("/v1/referrals/{}", r3["id"].as_str().unwrap()),
    )
    .sk()
    .send()
    .await;
    one.status(200);
    assert_eq!(one.json["campaign"], "zalo", "{}", one.text);

    // The ledger filters by campaign, and its CSV names each referral's (a formula is text).
    let mut spring_ids: Vec<Value> = referrals_of(&a, "&campaign=spring")
        .await
        .iter()
        .map(|x| x["id"].clone())
        .collect();
    spring_ids.sort_by_key(|v| v.to_string());
    let mut want = vec![r1["id"].clone(), r2["id"].clone()];
    want.sort_by_key(|v| v.to_string());
    assert_eq!(spring_ids, want);
    let csv = req(
        "GET",
        &format!("/v1/referrals.csv?affiliate={a}&campaign=T%E1%BA%BFt%202027"),
    )
    .sk()
    .send()
    .await;
    csv.status(200);
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(lines[0].ends_with(",payout_id,campaign"), "{}", csv.text);
    assert_eq!(lines.len(), 2, "{}", csv.text);
    assert!(lines[1].ends_with(",Tết 2027"), "{}", csv.text);
    // (Another affiliate's, so that this one's report below stays as it is.)
    let (f, _) = affiliate(json!({})).await;
    let formula = tagged_click(&f, json!({"utm_campaign": "=HYPERLINK(\"x\")"})).await;
    sold(json!({"order_id": uid("o"), "amount": 1_000, "currency": "VND", "click_id": formula}))
        .await;
    let csv = req(
        "GET",
        &format!("/v1/referrals.csv?affiliate={f}&campaign=%3DHYPERLINK(%22x%22)"),
    )
    .sk()
    .send()
    .await;
    csv.status(200);
    assert!(
        csv.text
            .lines()
            .nth(1)
            .is_some_and(|l| l.ends_with(",\"'=HYPERLINK(\"\"x\"\")\"")),
        "{}",
        csv.text
    );
    for bad in ["campaign=", "campaign=%01x"] {
        req("GET", &format!("/v1/referrals?affiliate={a}&{bad}"))
            .sk()
            .send()
            .await
            .error(400, "invalid_query");
    }

    // A refund of half of one spring sale and the rejection of the other take their money out.
    refund(json!({"order_id": order1, "amount": 100_000, "refund_id": uid("rf")}))
        .await
        .status(201);
    req(
        "POST",
        &format!("/v1/referrals/{}/reject", r2["id"].as_str().unwrap()),
    )
    .sk()
    .json(&json!({"reason": "test order"}))
    .send()
    .await
    .status(200);

    let list = rows(&format!("/v1/reports/campaigns?affiliate={a}"), As::Secret).await;
    assert_eq!(list.len(), 4, "{list:?}");
    assert!(
        list.iter().all(|r| r["affiliate"] == a.as_str()),
        "{list:?}"
    );
    let s = row(&list, json!("spring"));
    assert_eq!(
        (s["clicks"].as_i64(), s["unique_clicks"].as_i64()),
        (Some(2), Some(2)),
        "{s}"
    );
    assert_eq!(
        (s["sales"]["gross"].as_i64(), s["sales"]["net"].as_i64()),
        (Some(2), Some(1)),
        "{s}"
    );
    assert_eq!(s["conversion_rate_clicks"], 0.5, "{s}");
    let m = money(s, "VND");
    assert_eq!(
        (
            m["revenue_gross"].as_i64(),
            m["revenue_net"].as_i64(),
            m["commissions"].as_i64(),
            m["epc_per_100"].as_i64()
        ),
        (Some(300_000), Some(100_000), Some(10_000), Some(500_000)),
        "{s}"
    );
    let z = row(&list, json!("zalo"));
    assert_eq!(
        (z["clicks"].as_i64(), z["sales"]["net"].as_i64()),
        (Some(1), Some(1)),
        "{z}"
    );
    assert_eq!(money(z, "VND")["revenue_net"], 50_000, "{z}");
    let t = row(&list, json!("Tết 2027"));
    assert_eq!(
        (t["clicks"].as_i64(), t["sales"]["net"].as_i64()),
        (Some(1), Some(1)),
        "{t}"
    );
    assert_eq!(money(t, "USD")["revenue_net"], 10, "{t}");
    assert_eq!(money(t, "VND"), &Value::Null, "{t}");
    // utm_campaign names the click's campaign: `campaign: other` made no row of its own.
    assert!(list.iter().all(|r| r["campaign"] != "other"), "{list:?}");
    // Links without a campaign, and the coupon's sale.
    let none = row(&list, Value::Null);
    assert_eq!(
        (none["clicks"].as_i64(), none["sales"]["net"].as_i64()),
        (Some(2), Some(1)),
        "{none}"
    );
    assert_eq!(money(none, "VND")["revenue_net"], 30_000, "{none}");
    assert_eq!(none["conversion_rate_clicks"], 0.5, "{none}");
    // Sorted by clicks, then net sales.
    let clicks: Vec<i64> = list
        .iter()
        .map(|r| r["clicks"].as_i64().unwrap_or(-1))
        .collect();
    assert!(clicks.windows(2).all(|w| w[0] >= w[1]), "{clicks:?}");
    assert_eq!(
        list.iter()
            .map(|r| (r["campaign"].clone(), r["leads"]["net"].as_i64()))
            .filter(|(_, l)| *l != Some(0))
            .count(),
        0,
        "no leads: {list:?}"
    );
}

#[tokio::test]
async fn a_lead_and_a_renewal_carry_the_campaign_of_what_credited_them() {
    let (a, _) = affiliate(json!({})).await;
    let c = tagged_click(&a, json!({"utm_campaign": "newsletter"})).await;
    let sub = uid("sub");
    let first = sold(json!({"order_id": uid("o"), "amount": 100_000, "currency": "VND", "click_id": c, "subscription_id": sub})).await;
    assert_eq!(first["campaign"], "newsletter", "{first}");
    let renewal = sold(
        json!({"order_id": uid("o"), "amount": 100_000, "currency": "VND", "subscription_id": sub}),
    )
    .await;
    assert_eq!(
        (
            renewal["attributed_by"].as_str(),
            renewal["campaign"].as_str()
        ),
        (Some("renewal"), Some("newsletter")),
        "{renewal}"
    );
    let lead = req("POST", "/v1/leads")
        .sk()
        .json(&json!({"event": "signup", "email": format!("{}@customers.test", uid("c")), "click_id": c}))
        .send()
        .await;
    lead.status(201);
    assert_eq!(
        lead.json["referral"]["campaign"], "newsletter",
        "{}",
        lead.text
    );

    let list = rows(&format!("/v1/reports/campaigns?affiliate={a}"), As::Secret).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let n = row(&list, json!("newsletter"));
    assert_eq!(
        (
            n["clicks"].as_i64(),
            n["sales"]["net"].as_i64(),
            n["leads"]["net"].as_i64()
        ),
        (Some(1), Some(2), Some(1)),
        "{n}"
    );
    assert_eq!(money(n, "VND")["revenue_net"], 200_000, "{n}");
}

#[tokio::test]
async fn an_affiliate_sees_only_their_own_campaigns() {
    let (a, token) = affiliate(json!({})).await;
    let (b, _) = affiliate(json!({})).await;
    let ca = tagged_click(&a, json!({"utm_campaign": "mine"})).await;
    tagged_click(&b, json!({"utm_campaign": "theirs"})).await;
    sold(json!({"order_id": uid("o"), "amount": 80_000, "currency": "VND", "click_id": ca})).await;

    let own = rows("/v1/me/campaigns", As::Bearer(token.clone())).await;
    assert_eq!(own.len(), 1, "{own:?}");
    let m = row(&own, json!("mine"));
    assert_eq!(m["affiliate"], a.as_str());
    assert_eq!(
        (m["clicks"].as_i64(), m["sales"]["net"].as_i64()),
        (Some(1), Some(1)),
        "{m}"
    );
    assert_eq!(money(m, "VND")["commissions"], 8_000, "{m}");
    // Their own referrals name the campaign too.
    let report = req("GET", "/v1/me/report")
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    report.status(200);
    let mine = report.json["referrals"].as_array().expect("referrals");
    assert_eq!(mine.len(), 1, "{}", report.text);
    assert_eq!(mine[0]["campaign"], "mine", "{}", report.text);
    // An affiliate cannot ask for another's rows.
    let other = rows(
        &format!("/v1/me/campaigns?affiliate={b}"),
        As::Bearer(token),
    )
    .await;
    assert!(
        other.iter().all(|r| r["affiliate"] == a.as_str()),
        "{other:?}"
    );
    req("GET", "/v1/me/campaigns")
        .send()
        .await
        .error(401, "unauthorized");

    // The merchant sees each affiliate's rows.
    for (aff, campaign) in [(&a, "mine"), (&b, "theirs")] {
        let theirs = rows(
            &format!("/v1/reports/campaigns?affiliate={aff}"),
            As::Secret,
        )
        .await;
        assert_eq!(
            theirs
                .iter()
                .map(|r| r["campaign"].clone())
                .collect::<Vec<_>>(),
            vec![json!(campaign)],
            "{aff}"
        );
    }
}

#[tokio::test]
async fn bad_campaign_queries_are_refused() {
    for q in [
        "from=yesterday",
        "from=2026-02-01&to=2026-01-01",
        "limit=0",
        "limit=1001",
        "limit=x",
        "affiliate=%3Cscript%3E",
    ] {
        req("GET", &format!("/v1/reports/campaigns?{q}"))
            .sk()
            .send()
            .await
            .error(
                400,
                if q.starts_with("from") {
                    "invalid_range"
                } else {
                    "invalid_query"
                },
            );
    }
    req("GET", "/v1/reports/campaigns")
        .send()
        .await
        .error(401, "unauthorized");
    let (_, token) = affiliate(json!({})).await;
    req("GET", "/v1/reports/campaigns")
        .who(As::Bearer(token))
        .send()
        .await
        .error(403, "forbidden");
    // An unknown affiliate has no rows; a period without clicks neither.
    let r = rows("/v1/reports/campaigns?affiliate=nobody-here-zz", As::Secret).await;
    assert!(r.is_empty(), "{r:?}");
    let r = rows(
        "/v1/reports/campaigns?from=2020-01-01&to=2020-01-31",
        As::Secret,
    )
    .await;
    assert!(r.is_empty(), "{r:?}");
}
