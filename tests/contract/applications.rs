//! Applications: the public "become an affiliate" form. A program takes them when its
//! `applications` setting is `review` (a `pending` affiliate the merchant approves) or `auto`
//! (approved at once); the answer never tells whether the address is already in the program.

use crate::harness::*;
use serde_json::{json, Value};

/// Sets how the program takes applications, its terms and the per-address limit (the caller
/// holds [`program_lock`]).
async fn set_applications(mode: &str, terms_url: Value, per_hour: i64) {
    let r = req("GET", "/v1/program").sk().send().await;
    r.status(200);
    let mut p = r.json.clone();
    p["applications"] = json!(mode);
    p["terms_url"] = terms_url;
    p["fraud"]["applications_per_ip_per_hour"] = json!(per_hour);
    put_program(&p).await;
}

/// Opens the form in `mode`, without terms and with no practical limit.
async fn open(mode: &str) {
    set_applications(mode, Value::Null, 100_000).await;
}

async fn apply(body: &Value) -> Res {
    req("POST", "/v1/portal/applications")
        .json(body)
        .send()
        .await
}

/// The affiliates with this email address.
async fn with_email(email: &str) -> Vec<Value> {
    let r = req(
        "GET",
        &format!(
            "/v1/affiliates?email={}&limit=500",
            email.replace('+', "%2B")
        ),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    r.json["affiliates"].as_array().expect("affiliates").clone()
}

fn email_of(run: &str) -> String {
    format!("{}@apply.test", run.to_lowercase())
}

#[tokio::test]
async fn the_portal_wears_the_shops_logo_and_colour() {
    let _program = program_lock().await;
    let before = req("GET", "/v1/program").sk().send().await.json.clone();
    assert_eq!(
        (&before["logo_url"], &before["accent_color"]),
        (&Value::Null, &Value::Null)
    );
    let shown = req("GET", "/v1/portal/program").send().await;
    assert_eq!(
        (&shown.json["logo_url"], &shown.json["accent_color"]),
        (&Value::Null, &Value::Null)
    );

    let mut p = before.clone();
    p["logo_url"] = json!("https://www.shop.test/logo.svg");
    p["accent_color"] = json!("#ee4d2d");
    put_program(&p).await;
    let shown = req("GET", "/v1/portal/program").send().await;
    shown.status(200);
    assert_eq!(shown.json["logo_url"], "https://www.shop.test/logo.svg");
    assert_eq!(shown.json["accent_color"], "#ee4d2d");

    // A colour too light for white text (a 1.4:1 yellow, a 2.8:1 green) or not #rrggbb is refused,
    // as is a logo that is not an http(s) address; nothing changes.
    for (field, value, code) in [
        ("accent_color", json!("#ffd400"), "invalid_accent_color"),
        ("accent_color", json!("#00b14f"), "invalid_accent_color"),
        ("accent_color", json!("red"), "invalid_accent_color"),
        ("accent_color", json!("#+e4d2d"), "invalid_accent_color"),
        ("logo_url", json!("javascript:alert(1)"), "invalid_logo_url"),
        (
            "logo_url",
            json!(format!("https://www.shop.test/{}", "x".repeat(500))),
            "invalid_logo_url",
        ),
    ] {
        program_refused(&p, field, value, code).await;
    }
    assert_eq!(
        req("GET", "/v1/portal/program").send().await.json["accent_color"],
        "#ee4d2d"
    );
    put_program(&before).await;
}

#[tokio::test]
async fn the_portal_reads_how_the_program_takes_applications() {
    let _program = program_lock().await;
    set_applications("review", json!("https://www.shop.test/terms"), 100_000).await;
    let r = req("GET", "/v1/portal/program").send().await;
    r.status(200);
    assert_eq!(r.json["applications"], "review");
    assert_eq!(r.json["terms_url"], "https://www.shop.test/terms");
    assert_eq!(r.json["currency"], "VND");
    assert!(r.json["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(["en", "vi", "th"].contains(&r.json["locale"].as_str().unwrap_or("")));
    // Nothing else of the program: no keys, rules or webhooks.
    for hidden in [
        "webhook_secret",
        "commission",
        "webhooks",
        "allowed_origins",
        "fraud",
    ] {
        assert!(r.json.get(hidden).is_none(), "{hidden} shown: {}", r.json);
    }
    open("closed").await;
    let r = req("GET", "/v1/portal/program").send().await;
    r.status(200);
    assert_eq!(r.json["applications"], "closed");
    assert_eq!(r.json["terms_url"], Value::Null);
}

#[tokio::test]
async fn the_settings_are_validated() {
    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    r.status(200);
    let p = r.json.clone();
    assert!(
        ["closed", "review", "auto"].contains(&p["applications"].as_str().unwrap_or("")),
        "{}",
        p["applications"]
    );
    let cases: [(&str, Value, &str); 8] = [
        ("applications", json!("open"), "invalid_applications"),
        ("applications", json!("Review"), "invalid_applications"),
        (
            "terms_url",
            json!("ftp://shop.test/terms"),
            "invalid_terms_url",
        ),
        ("terms_url", json!("https://"), "invalid_terms_url"),
        (
            "terms_url",
            json!("https://shop.test/a b"),
            "invalid_terms_url",
        ),
        (
            "terms_url",
            json!(format!("https://shop.test/{}", "t".repeat(490))),
            "invalid_terms_url",
        ),
        ("terms_url", json!(""), "invalid_terms_url"),
        (
            "terms_url",
            json!("javascript:alert(1)"),
            "invalid_terms_url",
        ),
    ];
    for (field, value, code) in cases {
        let mut bad = p.clone();
        bad[field] = value.clone();
        let r = req("PUT", "/v1/program").sk().json(&bad).send().await;
        assert_eq!(r.status.as_u16(), 400, "{field} = {value}: {}", r.text);
        r.error(400, code);
    }
    for per_hour in [json!(0), json!(100_001), json!(-1)] {
        let mut bad = p.clone();
        bad["fraud"]["applications_per_ip_per_hour"] = per_hour;
        req("PUT", "/v1/program")
            .sk()
            .json(&bad)
            .send()
            .await
            .error(400, "invalid_fraud");
    }
    let after = req("GET", "/v1/program").sk().send().await;
    assert_eq!(
        after.json["applications"], p["applications"],
        "nothing changed"
    );
    assert_eq!(after.json["terms_url"], p["terms_url"], "nothing changed");
}

#[tokio::test]
async fn an_application_under_review_is_a_pending_affiliate_with_what_they_wrote() {
    let _program = program_lock().await;
    open("review").await;
    let id = uid("lan-");
    let email = email_of(&id);
    let started = now_rfc3339(-1);
    let r = apply(&json!({
        "id": id,
        "name": "  Nguyễn Thị Lan  ",
        "email": email,
        "website": "https://lan.example/review?x=1",
        "message": "Tôi viết blog về giày.\r\nKênh TikTok 20k người theo dõi.",
        "category": "content",
        "terms_accepted": true,
    }))
    .await;
    r.status(202);
    assert_eq!(r.json["status"], "pending", "{}", r.text);
    let a = affiliate_json(&id).await;
    assert_eq!(a["status"], "pending");
    assert_eq!(a["name"], "Nguyễn Thị Lan");
    assert_eq!(a["email"], email.as_str());
    assert_eq!(a["category"], "content");
    let app = &a["application"];
    assert_eq!(app["website"], "https://lan.example/review?x=1");
    assert_eq!(
        app["message"],
        "Tôi viết blog về giày.\r\nKênh TikTok 20k người theo dõi."
    );
    assert_eq!(app["terms_url"], Value::Null, "no terms to accept");
    let applied = app["applied_at"].as_str().expect("applied_at");
    assert!(applied >= started.as_str(), "{applied} >= {started}");
    // In the list too, and found by email (any case).
    let listed = with_email(&email.to_uppercase()).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["application"]["website"], app["website"]);
    // The log names the applicant.
    let r = req(
        "GET",
        &format!("/v1/activity?affiliate={id}&action=affiliate.applied"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    let entries = r.json["activity"].as_array().expect("activity");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["by"], format!("affiliate:{id}"));
    // Approving is the usual status change; an affiliate the merchant created has no application.
    let r = req("PATCH", &format!("/v1/affiliates/{id}"))
        .sk()
        .json(&json!({"status": "approved"}))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["status"], "approved");
    assert_eq!(r.json["application"]["website"], app["website"]);
    let (plain, _) = affiliate(json!({})).await;
    assert_eq!(affiliate_json(&plain).await["application"], Value::Null);
}

#[tokio::test]
async fn an_automatic_program_approves_at_once_and_ids_are_made_from_the_name() {
    let _program = program_lock().await;
    open("auto").await;
    // uid() is "x", 16 hex digits and a counter: the id stays within its 32 bytes.
    let run = uid("x");
    let email = email_of(&format!("minh.{run}"));
    let name = format!("Đặng Minh {run}");
    let r = apply(&json!({"name": name, "email": email})).await;
    r.status(202);
    assert_eq!(r.json["status"], "approved");
    let found = with_email(&email).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let a = &found[0];
    assert_eq!(a["status"], "approved");
    assert_eq!(a["category"], "other");
    let base = format!("dang-minh-{}", run.to_lowercase());
    assert_eq!(a["id"], base.as_str(), "the id from the name");
    assert_eq!(a["application"]["website"], Value::Null);
    assert_eq!(a["application"]["message"], Value::Null);
    // The same name from another address takes the next free id.
    let other = email_of(&format!("minh2.{run}"));
    apply(&json!({"name": name, "email": other}))
        .await
        .status(202);
    let second = with_email(&other).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["id"], format!("{base}-2"));
    // An approved applicant's link credits them at once.
    let (click_id, _) = click(&base).await;
    let r = browser_sale(&click_id, 100_000).await;
    assert_credited(&r, &base, "click_id");
}

#[tokio::test]
async fn a_known_address_gets_the_same_answer_and_nothing_is_created() {
    let _program = program_lock().await;
    open("review").await;
    let (existing, _) = affiliate(json!({})).await;
    let email = email_of(&existing);
    req("PATCH", &format!("/v1/affiliates/{existing}"))
        .sk()
        .json(&json!({"email": email}))
        .send()
        .await
        .status(200);
    let new_email = email_of(&uid("fresh"));
    let known = apply(&json!({"name": "Someone", "email": email.to_uppercase()})).await;
    let unknown = apply(&json!({"name": "Someone", "email": new_email})).await;
    known.status(202);
    unknown.status(202);
    assert_eq!(
        known.json, unknown.json,
        "the same answer for both addresses"
    );
    let found = with_email(&email).await;
    assert_eq!(found.len(), 1, "no second affiliate: {found:?}");
    assert_eq!(found[0]["id"], existing.as_str());
    assert_eq!(found[0]["application"], Value::Null, "unchanged");
    assert_eq!(with_email(&new_email).await.len(), 1);
}

#[tokio::test]
async fn a_taken_link_name_is_refused_whatever_the_address() {
    let _program = program_lock().await;
    open("review").await;
    let (taken, _) = affiliate(json!({})).await;
    let email = email_of(&uid("taken"));
    apply(&json!({"id": taken, "name": "Copycat", "email": email}))
        .await
        .error(409, "affiliate_exists");
    assert!(with_email(&email).await.is_empty(), "nothing created");
    // A free one is taken as given.
    let wanted = uid("Free.Name_");
    apply(&json!({"id": wanted, "name": "Free", "email": email}))
        .await
        .status(202);
    assert_eq!(affiliate_json(&wanted).await["email"], email.as_str());
}

#[tokio::test]
async fn a_closed_program_takes_no_applications() {
    let _program = program_lock().await;
    open("closed").await;
    let email = email_of(&uid("closed"));
    apply(&json!({"name": "Closed", "email": email}))
        .await
        .error(403, "applications_closed");
    // Closed is said before anything else is checked.
    apply(&json!({"name": "", "email": "nope"}))
        .await
        .error(403, "applications_closed");
    assert!(with_email(&email).await.is_empty());
}

#[tokio::test]
async fn terms_must_be_accepted_when_the_program_has_them() {
    let _program = program_lock().await;
    set_applications(
        "review",
        json!("https://www.shop.test/affiliate-terms"),
        100_000,
    )
    .await;
    let email = email_of(&uid("terms"));
    for accepted in [json!(null), json!(false)] {
        let mut body = json!({"name": "Terms", "email": email});
        if !accepted.is_null() {
            body["terms_accepted"] = accepted;
        }
        apply(&body).await.error(422, "terms_not_accepted");
    }
    assert!(with_email(&email).await.is_empty());
    apply(&json!({"name": "Terms", "email": email, "terms_accepted": true}))
        .await
        .status(202);
    let found = with_email(&email).await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0]["application"]["terms_url"],
        "https://www.shop.test/affiliate-terms"
    );
}

#[tokio::test]
async fn every_field_is_validated_and_a_refused_application_writes_nothing() {
    let _program = program_lock().await;
    open("review").await;
    let email = email_of(&uid("bad"));
    let ok = json!({"name": "Valid Name", "email": email});
    let long_message = "a".repeat(2001);
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        ("name", json!(""), 400, "invalid_name"),
        ("name", json!("   "), 400, "invalid_name"),
        ("name", json!("a".repeat(201)), 400, "invalid_name"),
        ("name", json!("Tab\tName"), 400, "invalid_name"),
        ("name", json!(7), 400, "invalid_name"),
        ("email", json!("not-an-email"), 400, "invalid_email"),
        ("email", json!("a@b.test, c@d.test"), 400, "invalid_email"),
        ("email", json!(null), 400, "invalid_email"),
        ("id", json!("has space"), 400, "invalid_affiliate"),
        ("id", json!("<script>"), 400, "invalid_affiliate"),
        ("id", json!("x".repeat(65)), 400, "invalid_affiliate"),
        ("website", json!("lan.example"), 400, "invalid_website"),
        (
            "website",
            json!("javascript:alert(1)"),
            400,
            "invalid_website",
        ),
        ("website", json!("https://"), 400, "invalid_website"),
        ("website", json!("https://a b.test"), 400, "invalid_website"),
        (
            "website",
            json!(format!("https://{}.test", "w".repeat(495))),
            400,
            "invalid_website",
        ),
        ("message", json!(long_message), 400, "invalid_message"),
        ("message", json!("bell\u{7}"), 400, "invalid_message"),
        ("category", json!("spam"), 400, "invalid_category"),
        (
            "terms_accepted",
            json!("yes"),
            400,
            "invalid_terms_accepted",
        ),
    ];
    for (field, value, status, code) in cases {
        let mut body = ok.clone();
        body[field] = value.clone();
        let r = apply(&body).await;
        assert_eq!(r.status.as_u16(), status, "{field} = {value}: {}", r.text);
        r.error(status, code);
    }
    req("POST", "/v1/portal/applications")
        .raw("{\"name\": ", "application/json")
        .send()
        .await
        .error(400, "invalid_json");
    let mut unknown = ok.clone();
    unknown["status"] = json!("approved");
    assert_eq!(apply(&unknown).await.status.as_u16(), 400);
    assert!(with_email(&email).await.is_empty(), "nothing written");
}

#[tokio::test]
async fn one_address_may_apply_only_so_often() {
    let _program = program_lock().await;
    set_applications("review", Value::Null, 1).await;
    // Earlier applications from this address may already fill the hour: at most one more goes
    // through, then the limit answers.
    let mut refused = None;
    let mut accepted = Vec::new();
    for _ in 0..2 {
        let email = email_of(&uid("often"));
        let r = apply(&json!({"name": "Often", "email": email})).await;
        if r.status.as_u16() == 429 {
            refused = Some((r, email));
            break;
        }
        r.status(202);
        accepted.push(email);
    }
    open("review").await;
    let (r, email) = refused.expect("the second application within the hour is refused");
    r.error(429, "rate_limited");
    assert!(
        with_email(&email).await.is_empty(),
        "a refused application writes nothing"
    );
    assert!(accepted.len() <= 1, "{accepted:?}");
}
