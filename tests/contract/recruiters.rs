//! Recruiter commissions (two-tier): an affiliate who recruited another earns the program's
//! `recruiter_rate_bps` share of each commission their recruit earns, paid by the merchant on
//! top. It follows the recruit's referral: pending and approved with it, rejected with it, cut
//! by its refunds, and paid with the recruiter's next payout. The reports count it in the
//! channel cost, on the recruiter's row.

use crate::harness::*;
use serde_json::{json, Value};

/// Sets the program's recruiter rate (the caller holds [`program_lock`]).
async fn set_rate(bps: i64) {
    let r = req("GET", "/v1/program").sk().send().await;
    r.status(200);
    let mut p = r.json.clone();
    p["recruiter_rate_bps"] = json!(bps);
    put_program(&p).await;
}

/// A recruiter and their recruit (both approved); returns (recruiter, recruiter's token,
/// recruit).
async fn team() -> (String, String, String) {
    let (recruiter, token) = affiliate(json!({})).await;
    let (recruit, _) = affiliate(json!({ "recruiter": recruiter })).await;
    (recruiter, token, recruit)
}

async fn commissions(query: &str) -> Vec<Value> {
    let r = req("GET", &format!("/v1/recruiter-commissions?{query}"))
        .sk()
        .send()
        .await;
    r.status(200);
    assert_eq!(
        r.json["total"].as_u64().map(|n| n as usize),
        r.json["recruiter_commissions"].as_array().map(Vec::len),
        "{}",
        r.text
    );
    r.json["recruiter_commissions"]
        .as_array()
        .expect("recruiter_commissions")
        .clone()
}

/// A verified sale of `amount` VND credited to `affiliate` through a click (10 %, approved at
/// once); answers the referral.
async fn verified_sale(affiliate: &str, order: &str, amount: i64) -> Value {
    let (c, _) = click(affiliate).await;
    let r =
        sale(json!({"order_id": order, "amount": amount, "currency": "VND", "click_id": c})).await;
    r.status(201);
    r.json["referral"].clone()
}

/// Pays `affiliate` alone; answers the payout.
async fn pay(affiliate: &str) -> Res {
    let r = req("POST", "/v1/payouts")
        .sk()
        .json(&json!({ "affiliates": [affiliate] }))
        .send()
        .await;
    r.status(201);
    r
}

fn bucket(b: &Value, name: &str) -> i64 {
    b[name].as_i64().unwrap_or(0)
}

#[tokio::test]
async fn a_recruits_commission_earns_the_recruiter_a_share_until_it_is_paid_or_refunded() {
    let _program = program_lock().await;
    set_rate(2000).await;
    let (recruiter, token, recruit) = team().await;
    assert_eq!(
        affiliate_json(&recruit).await["recruiter"],
        recruiter.as_str()
    );
    assert_eq!(affiliate_json(&recruiter).await["recruiter"], Value::Null);
    let order = uid("o");
    let referral = verified_sale(&recruit, &order, 1_000_000).await;
    assert_eq!(referral["commission"], 100_000);

    let list = commissions(&format!("affiliate={recruiter}")).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let rc = &list[0];
    let id = rc["id"].as_str().expect("id").to_owned();
    assert_eq!(rc["affiliate"], recruiter.as_str());
    assert_eq!(rc["recruit"], recruit.as_str());
    assert_eq!(rc["referral"], referral["id"]);
    assert_eq!(rc["rate_bps"], 2000);
    assert_eq!(rc["amount"], 20_000, "20 % of the recruit's 100,000");
    assert_eq!(rc["reversed"], 0);
    assert_eq!(rc["currency"], "VND");
    assert_eq!(rc["status"], "approved", "as the recruit's referral is");
    assert_eq!(rc["payout_id"], Value::Null);
    assert!(rc["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(commissions(&format!("recruit={recruit}")).await, list);
    // Paid on top: the recruit keeps all of theirs.
    assert_eq!(bucket(&balance(&recruit, "VND").await, "approved"), 100_000);
    assert_eq!(
        bucket(&balance(&recruiter, "VND").await, "approved"),
        20_000
    );

    // Half the order refunded: half of the share goes too.
    refund(json!({"order_id": order, "amount": 500_000, "currency": "VND", "refund_id": uid("r")}))
        .await
        .status(201);
    let rc = &commissions(&format!("affiliate={recruiter}")).await[0];
    assert_eq!(
        (rc["amount"].clone(), rc["reversed"].clone()),
        (json!(20_000), json!(10_000))
    );
    assert_eq!(rc["status"], "approved");
    assert_eq!(
        bucket(&balance(&recruiter, "VND").await, "approved"),
        10_000
    );

    // The recruiter's payout pays it and counts it.
    let r = pay(&recruiter).await;
    let payout = r.json["id"].as_str().expect("payout").to_owned();
    let line = payout_line(&r.json, &recruiter, "VND");
    assert_eq!(line["amount"], 10_000);
    assert_eq!(line["referrals"], 0);
    assert_eq!(line["recruiter_commissions"], 1);
    let rc = &commissions(&format!("affiliate={recruiter}&status=paid")).await[0];
    assert_eq!(rc["id"], id.as_str());
    assert_eq!(rc["payout_id"], payout.as_str());
    let mine = req("GET", "/v1/me/payouts")
        .who(As::Bearer(token.clone()))
        .send()
        .await;
    mine.status(200);
    assert_eq!(mine.json["payouts"][0]["recruiter_commissions"], 1);

    // The rest refunded after payout: taken back from what the next payout owes.
    refund(json!({"order_id": order, "amount": 500_000, "currency": "VND", "refund_id": uid("r")}))
        .await
        .status(201);
    let rc = &commissions(&format!("affiliate={recruiter}")).await[0];
    assert_eq!(rc["reversed"], 20_000);
    assert_eq!(rc["status"], "reversed");
    let b = balance(&recruiter, "VND").await;
    assert_eq!(
        (bucket(&b, "approved"), bucket(&b, "paid")),
        (-10_000, 10_000)
    );
}

#[tokio::test]
async fn the_share_waits_with_the_referral_and_goes_with_its_rejection() {
    let _program = program_lock().await;
    set_rate(1000).await;
    let (recruiter, _, recruit) = team().await;
    // Unverified browser sales wait for review.
    let (c1, _) = click(&recruit).await;
    let first = browser_sale(&c1, 500_000).await;
    first.status(201);
    let (c2, _) = click(&recruit).await;
    let second = browser_sale(&c2, 300_000).await;
    second.status(201);
    let list = commissions(&format!("affiliate={recruiter}")).await;
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|rc| rc["status"] == "pending"), "{list:?}");
    let b = balance(&recruiter, "VND").await;
    assert_eq!(
        (bucket(&b, "pending"), bucket(&b, "approved")),
        (5_000 + 3_000, 0)
    );

    let approve = first.json["referral"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let reject = second.json["referral"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    req("POST", &format!("/v1/referrals/{approve}/approve"))
        .sk()
        .send()
        .await
        .status(200);
    req("POST", &format!("/v1/referrals/{reject}/reject"))
        .sk()
        .send()
        .await
        .status(200);
    let of = |referral: &str, list: &[Value]| {
        list.iter()
            .find(|rc| rc["referral"] == referral)
            .cloned()
            .unwrap_or_else(|| panic!("no share of {referral}"))
    };
    let list = commissions(&format!("affiliate={recruiter}")).await;
    assert_eq!(of(&approve, &list)["status"], "approved");
    assert_eq!(of(&reject, &list)["status"], "rejected");
    let b = balance(&recruiter, "VND").await;
    assert_eq!((bucket(&b, "pending"), bucket(&b, "approved")), (0, 5_000));
    assert_eq!(
        commissions(&format!("affiliate={recruiter}&status=rejected"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn no_share_without_a_rate_an_approved_recruiter_or_a_commission() {
    let _program = program_lock().await;
    set_rate(0).await;
    let (recruiter, _, recruit) = team().await;
    verified_sale(&recruit, &uid("o"), 1_000_000).await;
    assert!(commissions(&format!("affiliate={recruiter}"))
        .await
        .is_empty());

    set_rate(500).await;
    req("PATCH", &format!("/v1/affiliates/{recruiter}"))
        .sk()
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .status(200);
    verified_sale(&recruit, &uid("o"), 1_000_000).await;
    assert!(commissions(&format!("affiliate={recruiter}"))
        .await
        .is_empty());

    // A share that rounds down to nothing is not made: 5 % of a 10 VND commission.
    let (other, _, small) = team().await;
    verified_sale(&small, &uid("o"), 100).await;
    assert!(commissions(&format!("affiliate={other}")).await.is_empty());
    verified_sale(&small, &uid("o"), 1_000).await;
    assert_eq!(
        commissions(&format!("affiliate={other}")).await[0]["amount"],
        5
    );
}

#[tokio::test]
async fn the_recruiter_is_checked_and_the_rate_too() {
    let (a, _) = affiliate(json!({})).await;
    let (b, _) = affiliate(json!({ "recruiter": a })).await;
    let (c, _) = affiliate(json!({ "recruiter": b })).await;
    let patch = |id: String, body: Value| async move {
        req("PATCH", &format!("/v1/affiliates/{id}"))
            .sk()
            .json(&body)
            .send()
            .await
    };
    patch(a.clone(), json!({"recruiter": a}))
        .await
        .error(422, "invalid_recruiter");
    // a recruited b, who recruited c: c cannot recruit a.
    patch(a.clone(), json!({"recruiter": c}))
        .await
        .error(422, "invalid_recruiter");
    patch(a.clone(), json!({"recruiter": uid("nobody")}))
        .await
        .error(422, "invalid_recruiter");
    patch(a.clone(), json!({"recruiter": "<script>"}))
        .await
        .error(400, "invalid_recruiter");
    req("POST", "/v1/affiliates")
        .sk()
        .json(&json!({"id": uid("x"), "name": "X", "recruiter": uid("nobody")}))
        .send()
        .await
        .error(422, "invalid_recruiter");
    assert_eq!(
        affiliate_json(&a).await["recruiter"],
        Value::Null,
        "nothing changed"
    );
    // null takes the recruiter away, and the log says so.
    let r = patch(c.clone(), json!({"recruiter": null})).await;
    r.status(200);
    assert_eq!(r.json["recruiter"], Value::Null);
    let log = req(
        "GET",
        &format!("/v1/activity?affiliate={c}&action=affiliate.updated"),
    )
    .sk()
    .send()
    .await;
    log.status(200);
    let changes = &log.json["activity"][0]["details"]["changes"];
    assert_eq!(
        changes,
        &json!([{"field": "recruiter", "before": b, "after": null}]),
        "{}",
        log.text
    );

    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    let p = r.json.clone();
    assert!(
        p["recruiter_rate_bps"].is_i64(),
        "{}",
        p["recruiter_rate_bps"]
    );
    for bad in [json!(-1), json!(5001)] {
        let mut q = p.clone();
        q["recruiter_rate_bps"] = bad;
        req("PUT", "/v1/program")
            .sk()
            .json(&q)
            .send()
            .await
            .error(400, "invalid_recruiter_rate");
    }
}

#[tokio::test]
async fn an_application_through_a_recruiting_link_names_the_recruiter() {
    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    let mut p = r.json.clone();
    p["applications"] = json!("review");
    p["terms_url"] = Value::Null;
    p["fraud"]["applications_per_ip_per_hour"] = json!(100_000);
    put_program(&p).await;
    let (recruiter, _) = affiliate(json!({})).await;
    let (suspended, _) = affiliate(json!({"status": "suspended"})).await;
    for (given, kept) in [
        (json!(recruiter), json!(recruiter)),
        (json!(uid("nobody")), Value::Null),
        (json!(suspended), Value::Null),
        (json!("<b>"), Value::Null),
    ] {
        let id = uid("recruit");
        let body = json!({"id": id, "name": "Recruit", "email": format!("{id}@apply.test"), "recruiter": given});
        req("POST", "/v1/portal/applications")
            .json(&body)
            .send()
            .await
            .status(202);
        assert_eq!(affiliate_json(&id).await["recruiter"], kept, "{given}");
    }
}

#[tokio::test]
async fn a_recruiter_sees_their_recruits_and_what_each_earned_them() {
    let _program = program_lock().await;
    set_rate(1500).await;
    let (recruiter, token, first) = team().await;
    let (second, _) = affiliate(json!({"recruiter": recruiter, "status": "pending"})).await;
    verified_sale(&first, &uid("o"), 200_000).await;
    let r = req("GET", "/v1/me/recruits")
        .who(As::Bearer(token))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["rate_bps"], 1500);
    let recruits = r.json["recruits"].as_array().expect("recruits");
    let ids: Vec<&str> = recruits.iter().filter_map(|x| x["id"].as_str()).collect();
    assert_eq!(ids.len(), 2, "{recruits:?}");
    assert!(ids.contains(&first.as_str()) && ids.contains(&second.as_str()));
    let pending = recruits
        .iter()
        .find(|x| x["id"] == second.as_str())
        .expect("second");
    assert_eq!(pending["status"], "pending");
    assert!(pending["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(pending["joined"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(
        pending.get("email").is_none(),
        "no recruit's email: {pending}"
    );
    let earned = r.json["commissions"].as_array().expect("commissions");
    assert_eq!(earned.len(), 1);
    assert_eq!(earned[0]["recruit"], first.as_str());
    assert_eq!(earned[0]["amount"], 3_000, "15 % of 20,000");
    assert_eq!(earned[0]["status"], "approved");
    // Nobody else's: the recruit sees no recruits of their own.
    let (_, lonely) = affiliate(json!({})).await;
    let r = req("GET", "/v1/me/recruits")
        .who(As::Bearer(lonely))
        .send()
        .await;
    r.status(200);
    assert_eq!(
        (r.json["recruits"].clone(), r.json["commissions"].clone()),
        (json!([]), json!([]))
    );
    req("GET", "/v1/me/recruits").send().await.status(401);
}

#[tokio::test]
async fn reports_count_recruiter_commissions_in_the_recruiters_channel_cost() {
    let _program = program_lock().await;
    set_rate(2500).await;
    let (recruiter, _, recruit) = team().await;
    verified_sale(&recruit, &uid("o"), 400_000).await;
    let row = affiliate_report_row(&recruiter, "&sort=clicks").await;
    let m = money(&row, "VND");
    assert_eq!(m["commissions"], 0);
    assert_eq!(m["recruiter_commissions"], 10_000, "25 % of 40,000");
    assert_eq!(m["channel_cost"], 10_000);
    let row = affiliate_report_row(&recruit, "&sort=clicks").await;
    let m = money(&row, "VND");
    assert_eq!(m["commissions"], 40_000);
    assert_eq!(m["recruiter_commissions"], 0);
    assert_eq!(m["channel_cost"], 40_000);
    let r = req("GET", "/v1/reports/summary").sk().send().await;
    r.status(200);
    let m = money(&r.json["kpis"], "VND");
    assert!(
        m["recruiter_commissions"].as_i64().unwrap_or(0) >= 10_000,
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_share_paid_before_its_referral_is_rejected_is_taken_back_from_the_next_payout() {
    let _program = program_lock().await;
    set_rate(1000).await;
    let (recruiter, _, recruit) = team().await;
    let referral = verified_sale(&recruit, &uid("o"), 500_000).await;
    // The recruiter is paid their 5,000; the recruit is not paid yet.
    let r = pay(&recruiter).await;
    assert_eq!(payout_line(&r.json, &recruiter, "VND")["amount"], 5_000);
    let id = referral["id"].as_str().expect("id");
    req("POST", &format!("/v1/referrals/{id}/reject"))
        .sk()
        .send()
        .await
        .status(200);
    let rc = &commissions(&format!("affiliate={recruiter}")).await[0];
    assert_eq!(rc["status"], "rejected");
    let b = balance(&recruiter, "VND").await;
    assert_eq!(
        (bucket(&b, "approved"), bucket(&b, "paid")),
        (-5_000, 5_000)
    );
    // Rejected once is enough: again changes nothing.
    req("POST", &format!("/v1/referrals/{id}/reject"))
        .sk()
        .send()
        .await
        .status(200);
    assert_eq!(
        bucket(&balance(&recruiter, "VND").await, "approved"),
        -5_000
    );
}

#[tokio::test]
async fn a_share_is_dated_as_its_referral() {
    let _program = program_lock().await;
    set_rate(1000).await;
    let (recruiter, _) = affiliate(json!({})).await;
    let code = uid("BACK").to_uppercase();
    let (recruit, _) = affiliate(json!({"recruiter": recruiter, "coupons": [code]})).await;
    // An order the shop's backend reports two days late.
    let at = now_rfc3339(-2 * 86_400);
    let r = sale(json!({"order_id": uid("o"), "amount": 300_000, "currency": "VND", "coupon": code, "at": at})).await;
    r.status(201);
    assert_eq!(r.json["referral"]["affiliate"], recruit.as_str());
    let referral_at = r.json["referral"]["at"].clone();
    assert_eq!(referral_at, json!(at));
    let list = commissions(&format!("affiliate={recruiter}")).await;
    assert_eq!(list[0]["created_at"], referral_at);
    assert_eq!(list[0]["amount"], 3_000);
}

#[tokio::test]
async fn a_webhook_may_ask_for_recruiter_commissions() {
    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    r.status(200);
    let before = r.json.clone();
    let mut p = before.clone();
    // A loopback address nothing listens on: events queued meanwhile go nowhere.
    let url = "http://127.0.0.1:9/reftrail";
    p["webhooks"] = json!([{"url": url, "events": ["recruiter_commission.created"]}]);
    put_program(&p).await;
    let r = req("GET", "/v1/program").sk().send().await;
    assert_eq!(
        r.json["webhooks"][0]["events"],
        json!(["recruiter_commission.created"])
    );
    p["webhooks"] = json!([{"url": url, "events": ["recruiter_commission.paid"]}]);
    req("PUT", "/v1/program")
        .sk()
        .json(&p)
        .send()
        .await
        .error(400, "invalid_webhooks");
    put_program(&before).await;
}
