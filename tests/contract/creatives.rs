//! Creatives: the banners and text links a merchant gives affiliates to post. The merchant keeps
//! them under `/v1/creatives`; an affiliate reads the active ones under `/v1/me/creatives` and
//! puts their own link on each (the portal builds the link and the HTML to paste).

use crate::harness::*;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// Held by each test here: they page through the one list of creatives, which another test's
/// new creative would shift between two requests.
async fn creatives_lock() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

async fn list(path: &str, who: As) -> Vec<Value> {
    let r = req("GET", path).who(who).send().await;
    r.status(200);
    r.json["creatives"].as_array().expect("creatives").clone()
}

/// The creatives in `list` named with `mark`, in the list's order.
fn named<'a>(list: &'a [Value], mark: &str) -> Vec<&'a Value> {
    list.iter()
        .filter(|c| c["name"].as_str().is_some_and(|n| n.contains(mark)))
        .collect()
}

/// Deletes `creatives` (each answered by the merchant's API).
async fn delete(creatives: &[&Value]) {
    for c in creatives {
        let id = c["id"].as_str().expect("id");
        req("DELETE", &format!("/v1/creatives/{id}"))
            .sk()
            .send()
            .await
            .status(204);
    }
}

async fn create(body: &Value) -> Value {
    let r = req("POST", "/v1/creatives").sk().json(body).send().await;
    r.status(201);
    r.json.clone()
}

#[tokio::test]
async fn a_merchant_makes_changes_archives_and_deletes_creatives() {
    let _creatives = creatives_lock().await;
    let mark = uid("Creative");
    let started = now_rfc3339(-1);
    let link = create(&json!({
        "name": format!("{mark} spring text link"),
        "kind": "link",
        "text": "Spring sale: 20% off running shoes",
        "landing_url": "https://www.shop.test/sale/?season=spring",
    }))
    .await;
    assert!(
        link["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{link}"
    );
    assert_eq!(link["kind"], "link");
    assert_eq!(link["text"], "Spring sale: 20% off running shoes");
    assert_eq!(link["image_url"], Value::Null);
    assert_eq!(
        link["landing_url"],
        "https://www.shop.test/sale/?season=spring"
    );
    assert_eq!(link["status"], "active");
    let created = link["created_at"].as_str().expect("created_at");
    assert!(
        created >= started.as_str() && created.ends_with('Z'),
        "{created}"
    );
    assert_eq!(link["updated_at"], link["created_at"]);

    // Vietnamese and Thai text as given; no landing page means the shop's home page.
    let banner = create(&json!({
        "name": format!("{mark} banner 728×90 Tết"),
        "kind": "image",
        "text": "Giày chạy bộ giảm 20% · ลด 20%",
        "image_url": "https://cdn.shop.test/banners/tet-728x90.png",
    }))
    .await;
    assert_eq!(banner["kind"], "image");
    assert_eq!(banner["text"], "Giày chạy bộ giảm 20% · ลด 20%");
    assert_eq!(
        banner["image_url"],
        "https://cdn.shop.test/banners/tet-728x90.png"
    );
    assert_eq!(banner["landing_url"], Value::Null);
    assert_eq!(banner["name"], format!("{mark} banner 728×90 Tết"));

    let all = list("/v1/creatives?limit=500", As::Secret).await;
    let mine = named(&all, &mark);
    assert_eq!(mine, vec![&banner, &link], "newest first, as created");

    // A change of some fields leaves the others; `null` removes the landing page.
    let r = req(
        "PATCH",
        &format!("/v1/creatives/{}", link["id"].as_str().unwrap()),
    )
    .sk()
    .json(&json!({"text": "Spring sale: 25% off", "landing_url": null}))
    .send()
    .await;
    r.status(200);
    let changed = r.json.clone();
    assert_eq!(changed["text"], "Spring sale: 25% off");
    assert_eq!(changed["landing_url"], Value::Null);
    for same in ["id", "name", "kind", "image_url", "status", "created_at"] {
        assert_eq!(changed[same], link[same], "{same}");
    }
    assert!(changed["updated_at"].as_str() >= link["updated_at"].as_str());

    // Becoming a banner needs an image: refused, nothing changed.
    let path = format!("/v1/creatives/{}", link["id"].as_str().unwrap());
    req("PATCH", &path)
        .sk()
        .json(&json!({"kind": "image", "text": "Not saved"}))
        .send()
        .await
        .error(400, "invalid_image_url");
    // With one it may; and back to a text link, the image must go with the kind.
    req("PATCH", &path)
        .sk()
        .json(&json!({"kind": "link"}))
        .send()
        .await
        .status(200);
    let r = req("PATCH", &path)
        .sk()
        .json(&json!({"kind": "image", "image_url": "https://cdn.shop.test/b.png"}))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["image_url"], "https://cdn.shop.test/b.png");
    assert_eq!(r.json["text"], "Spring sale: 25% off");
    req("PATCH", &path)
        .sk()
        .json(&json!({"kind": "link"}))
        .send()
        .await
        .error(400, "invalid_image_url");
    let r = req("PATCH", &path)
        .sk()
        .json(&json!({"kind": "link", "image_url": null}))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["image_url"], Value::Null);

    // Archived creatives leave the active list and stay in the archive.
    let banner_path = format!("/v1/creatives/{}", banner["id"].as_str().unwrap());
    let r = req("PATCH", &banner_path)
        .sk()
        .json(&json!({"status": "archived"}))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["status"], "archived");
    let active = list("/v1/creatives?status=active&limit=500", As::Secret).await;
    let archived = list("/v1/creatives?status=archived&limit=500", As::Secret).await;
    let ids = |l: Vec<&Value>| l.iter().map(|c| c["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(named(&active, &mark)), vec![link["id"].clone()]);
    assert_eq!(ids(named(&archived, &mark)), vec![banner["id"].clone()]);

    // Pages.
    let first = list("/v1/creatives?limit=1", As::Secret).await;
    assert_eq!(first.len(), 1);
    let second = list("/v1/creatives?limit=1&offset=1", As::Secret).await;
    assert_eq!(second.len(), 1);
    assert_ne!(first[0]["id"], second[0]["id"]);
    for q in ["?limit=0", "?limit=501", "?offset=-1", "?status=deleted"] {
        let r = req("GET", &format!("/v1/creatives{q}")).sk().send().await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }
    req("GET", "/v1/creatives?status=gone")
        .sk()
        .send()
        .await
        .error(400, "invalid_status");

    // Deleted: gone from every list; a second delete or a change finds nothing.
    let r = req("DELETE", &banner_path).sk().send().await;
    assert_eq!(r.status, 204, "{}", r.text);
    let all = list("/v1/creatives?limit=500", As::Secret).await;
    assert_eq!(ids(named(&all, &mark)), vec![link["id"].clone()]);
    req("DELETE", &banner_path)
        .sk()
        .send()
        .await
        .error(404, "creative_not_found");
    req("PATCH", &banner_path)
        .sk()
        .json(&json!({"status": "active"}))
        .send()
        .await
        .error(404, "creative_not_found");
    req("DELETE", &path).sk().send().await;
}

#[tokio::test]
async fn bad_creatives_are_refused_and_nothing_is_saved() {
    let _creatives = creatives_lock().await;
    let mark = uid("Refused");
    let long = |n: usize| "a".repeat(n);
    let good = json!({"name": format!("{mark} ok"), "kind": "image", "text": "Alt text", "image_url": "https://cdn.shop.test/a.png", "landing_url": "https://www.shop.test/"});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = good.clone();
        b.as_object_mut().unwrap().remove(k);
        b
    };
    let cases = [
        (with("name", json!("")), "invalid_name"),
        (
            with("name", json!(format!("{mark}{}", long(121)))),
            "invalid_name",
        ),
        (
            with("name", json!(format!("{mark}\nsecond line"))),
            "invalid_name",
        ),
        (with("name", json!(7)), "invalid_body"),
        (without("name"), "invalid_body"),
        (with("kind", json!("video")), "invalid_kind"),
        (without("kind"), "invalid_body"),
        (with("text", json!("")), "invalid_text"),
        (with("text", json!("   ")), "invalid_text"),
        (with("text", json!(long(501))), "invalid_text"),
        (with("text", json!("two\nlines")), "invalid_text"),
        (with("text", json!("nul\u{0}")), "invalid_text"),
        (without("image_url"), "invalid_image_url"),
        (with("image_url", Value::Null), "invalid_image_url"),
        (
            with("image_url", json!("javascript:alert(1)")),
            "invalid_image_url",
        ),
        (
            with("image_url", json!("data:image/png;base64,AAAA")),
            "invalid_image_url",
        ),
        (
            with("image_url", json!("ftp://cdn.shop.test/a.png")),
            "invalid_image_url",
        ),
        (
            with("image_url", json!("//cdn.shop.test/a.png")),
            "invalid_image_url",
        ),
        (
            with("image_url", json!("/banners/a.png")),
            "invalid_image_url",
        ),
        (with("image_url", json!("https://")), "invalid_image_url"),
        (
            with("image_url", json!("https://cdn.shop.test/a b.png")),
            "invalid_image_url",
        ),
        (
            with(
                "image_url",
                json!("https://cdn.shop.test/a.png\"onerror=\"x"),
            ),
            "invalid_image_url",
        ),
        (
            with(
                "image_url",
                json!(format!("https://cdn.shop.test/{}", long(2000))),
            ),
            "invalid_image_url",
        ),
        (
            with("landing_url", json!("javascript:alert(1)")),
            "invalid_landing_url",
        ),
        (with("landing_url", json!("/sale/")), "invalid_landing_url"),
        (
            with("landing_url", json!("https://user:pw@www.shop.test/")),
            "invalid_landing_url",
        ),
        (
            with("landing_url", json!("www.shop.test")),
            "invalid_landing_url",
        ),
        (with("status", json!("deleted")), "invalid_status"),
        (with("colour", json!("red")), "invalid_body"),
    ];
    for (body, code) in &cases {
        let r = req("POST", "/v1/creatives").sk().json(body).send().await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.json["error"]["code"], *code, "{body}: {}", r.text);
        assert!(
            r.json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            r.text
        );
    }
    // A text link has no image.
    let mut link = without("image_url");
    link["kind"] = json!("link");
    link["image_url"] = json!("https://cdn.shop.test/a.png");
    req("POST", "/v1/creatives")
        .sk()
        .json(&link)
        .send()
        .await
        .error(400, "invalid_image_url");
    // Not JSON at all.
    req("POST", "/v1/creatives")
        .sk()
        .raw("{\"name\":", "application/json")
        .send()
        .await
        .error(400, "invalid_json");
    let all = list("/v1/creatives?limit=500", As::Secret).await;
    assert!(named(&all, &mark).is_empty(), "nothing saved: {all:?}");

    // A refused change leaves the creative as it was.
    let made = create(&good).await;
    let path = format!("/v1/creatives/{}", made["id"].as_str().unwrap());
    for (body, code) in [
        (json!({"name": ""}), "invalid_name"),
        (
            json!({"text": "ok", "image_url": "javascript:x"}),
            "invalid_image_url",
        ),
        (json!({"landing_url": "nope"}), "invalid_landing_url"),
        (json!({"status": "hidden"}), "invalid_status"),
        (json!({"kind": null}), "invalid_kind"),
        (json!({"id": "cr_other"}), "invalid_body"),
    ] {
        let r = req("PATCH", &path).sk().json(&body).send().await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert_eq!(r.json["error"]["code"], code, "{body}: {}", r.text);
    }
    let all = list("/v1/creatives?limit=500", As::Secret).await;
    assert_eq!(named(&all, &mark), vec![&made], "unchanged");
    req("DELETE", &path).sk().send().await.status(204);
}

#[tokio::test]
async fn only_the_merchant_keeps_creatives_and_affiliates_see_the_active_ones() {
    let _creatives = creatives_lock().await;
    let (_id, token) = affiliate(json!({})).await;
    let aff = As::Bearer(token);
    let mark = uid("Shared");
    let live = create(&json!({"name": format!("{mark} live"), "kind": "link", "text": "Shop the new collection", "landing_url": "https://www.shop.test/new/"})).await;
    let old = create(&json!({"name": format!("{mark} old"), "kind": "image", "text": "Old banner", "image_url": "https://cdn.shop.test/old.png"})).await;
    req(
        "PATCH",
        &format!("/v1/creatives/{}", old["id"].as_str().unwrap()),
    )
    .sk()
    .json(&json!({"status": "archived"}))
    .send()
    .await
    .status(200);

    let seen = list("/v1/me/creatives", aff.clone()).await;
    let mine = named(&seen, &mark);
    assert_eq!(mine.len(), 1, "only the active one: {seen:?}");
    let c = mine[0];
    for k in [
        "id",
        "name",
        "kind",
        "text",
        "image_url",
        "landing_url",
        "updated_at",
    ] {
        assert_eq!(c[k], live[k], "{k}");
    }
    assert!(
        seen.iter()
            .all(|c| c.get("status").is_none_or(|s| s == "active")),
        "{seen:?}"
    );

    // Who may call what.
    req("GET", "/v1/me/creatives")
        .send()
        .await
        .error(401, "unauthorized");
    req("GET", "/v1/me/creatives")
        .sk()
        .send()
        .await
        .error(403, "forbidden");
    req("GET", "/v1/creatives")
        .send()
        .await
        .error(401, "unauthorized");
    for who in [As::Publishable, aff.clone()] {
        req("GET", "/v1/creatives")
            .who(who.clone())
            .send()
            .await
            .error(403, "forbidden");
        req("POST", "/v1/creatives")
            .who(who.clone())
            .json(&json!({"name": "x", "kind": "link", "text": "x"}))
            .send()
            .await
            .error(403, "forbidden");
        req(
            "DELETE",
            &format!("/v1/creatives/{}", live["id"].as_str().unwrap()),
        )
        .who(who)
        .send()
        .await
        .error(403, "forbidden");
    }
    delete(&[&live, &old]).await;
    let seen = list("/v1/me/creatives", aff).await;
    assert!(named(&seen, &mark).is_empty());
}

/// A click on `affiliate`'s link as the browser reports it, with `utm_content` when given;
/// answers the click's id.
async fn click_through(affiliate: &str, utm_content: Option<&str>, bot: bool) -> String {
    let mut body = json!({"affiliate": affiliate, "url": format!("https://www.shop.test/?ref={affiliate}"),
        "referrer": "", "consent": "granted", "via": "query", "landing": "/"});
    if let Some(c) = utm_content {
        body["campaign"] = json!({"utm_source": "blog", "utm_content": c});
    }
    let r = if bot {
        req("POST", "/v1/clicks").header(
            "user-agent",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
        )
    } else {
        req("POST", "/v1/clicks").browser()
    }
    .json(&body)
    .send()
    .await;
    r.status(201);
    r.json["click_id"].as_str().expect("click_id").to_owned()
}

#[tokio::test]
async fn the_report_counts_each_creatives_clicks_conversions_and_revenue() {
    let _creatives = creatives_lock().await;
    let mark = uid("Sells");
    let banner = create(
        &json!({"name": format!("{mark} banner"), "kind": "image", "text": "Tết sale",
        "image_url": "https://cdn.shop.test/tet.png"}),
    )
    .await;
    let quiet =
        create(&json!({"name": format!("{mark} text link"), "kind": "link", "text": "Shoes"}))
            .await;
    let id = banner["id"].as_str().expect("id").to_owned();
    let (a, _) = affiliate(json!({})).await;
    let c1 = click_through(&a, Some(&id), false).await;
    let c2 = click_through(&a, Some(&id), false).await;
    // Not the banner's: a bot, a plain link, an id that is no creative.
    click_through(&a, Some(&id), true).await;
    let plain = click_through(&a, None, false).await;
    click_through(&a, Some("cr_nosuchcreative"), false).await;

    let order = uid("o");
    sale(json!({"order_id": order, "amount": 100_000, "currency": "VND", "click_id": c1}))
        .await
        .status(201);
    refund(json!({"order_id": order, "amount": 50_000, "refund_id": uid("r")}))
        .await
        .status(201);
    let r =
        sale(json!({"order_id": uid("o"), "amount": 300_000, "currency": "VND", "click_id": c2}))
            .await;
    r.status(201);
    let rejected = r.json["referral"]["id"]
        .as_str()
        .expect("referral")
        .to_owned();
    req("POST", &format!("/v1/referrals/{rejected}/reject"))
        .sk()
        .send()
        .await
        .status(200);
    sale(json!({"order_id": uid("o"), "amount": 10_000, "currency": "THB", "click_id": c1}))
        .await
        .status(201);
    sale(json!({"order_id": uid("o"), "amount": 900_000, "currency": "VND", "click_id": plain}))
        .await
        .status(201);
    req("POST", "/v1/leads")
        .sk()
        .json(&json!({"event": "signup", "customer_id": uid("c"), "click_id": c2}))
        .send()
        .await
        .status(201);

    let today = now_rfc3339(0)[..10].to_owned();
    let r = req(
        "GET",
        &format!("/v1/reports/creatives?from={today}&to={today}"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    assert!(
        r.json["from"]
            .as_str()
            .is_some_and(|f| f.starts_with(&today)),
        "{}",
        r.text
    );
    let rows = r.json["rows"].as_array().expect("rows");
    let row = |c: &Value| {
        rows.iter()
            .find(|x| x["creative"] == c["id"])
            .cloned()
            .unwrap_or_else(|| panic!("no row for {c} in {rows:?}"))
    };
    assert_eq!(
        row(&banner),
        json!({"creative": id, "name": format!("{mark} banner"), "kind": "image", "status": "active",
            "clicks": 2, "leads": {"gross": 1, "net": 1}, "sales": {"gross": 3, "net": 2},
            "conversion_rate": 1.0,
            "money": [{"currency": "THB", "revenue_net": 10_000, "commissions": 1_000},
                      {"currency": "VND", "revenue_net": 50_000, "commissions": 5_000 + 20_000}]})
    );
    // A creative nobody clicked is listed too, with nothing.
    let q = row(&quiet);
    assert_eq!(
        (
            &q["clicks"],
            &q["sales"],
            &q["conversion_rate"],
            &q["money"]
        ),
        (
            &json!(0),
            &json!({"gross": 0, "net": 0}),
            &Value::Null,
            &json!([])
        )
    );
    // Busiest first.
    let at = |c: &Value| rows.iter().position(|x| x["creative"] == c["id"]);
    assert!(at(&banner) < at(&quiet), "{rows:?}");
    // Archived, it keeps its figures; a period without its clicks has none.
    req("PATCH", &format!("/v1/creatives/{id}"))
        .sk()
        .json(&json!({"status": "archived"}))
        .send()
        .await
        .status(200);
    let r = req("GET", "/v1/reports/creatives").sk().send().await;
    r.status(200);
    let archived = r.json["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|x| x["creative"] == id.as_str()).cloned())
        .expect("the archived creative's row");
    assert_eq!(
        (&archived["status"], &archived["clicks"]),
        (&json!("archived"), &json!(2))
    );
    let r = req("GET", "/v1/reports/creatives?from=2020-01-01&to=2020-01-31")
        .sk()
        .send()
        .await;
    r.status(200);
    let old = r.json["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|x| x["creative"] == id.as_str()).cloned())
        .expect("the row");
    assert_eq!((&old["clicks"], &old["money"]), (&json!(0), &json!([])));

    req("GET", "/v1/reports/creatives?from=2026-02-30")
        .sk()
        .send()
        .await
        .error(400, "invalid_range");
    req("GET", "/v1/reports/creatives")
        .send()
        .await
        .error(401, "unauthorized");
    delete(&[&banner, &quiet]).await;
}

#[tokio::test]
async fn an_affiliate_sees_what_each_active_creative_brought_them() {
    let _creatives = creatives_lock().await;
    let mark = uid("Mine");
    let banner = create(
        &json!({"name": format!("{mark} banner"), "kind": "image", "text": "Sale",
        "image_url": "https://cdn.shop.test/sale.png"}),
    )
    .await;
    let old = create(
        &json!({"name": format!("{mark} old link"), "kind": "link", "text": "Old",
        "status": "archived"}),
    )
    .await;
    let id = banner["id"].as_str().expect("id").to_owned();
    let (a, a_token) = affiliate(json!({})).await;
    let (b, b_token) = affiliate(json!({})).await;
    let c = click_through(&a, Some(&id), false).await;
    click_through(&a, Some(&id), false).await;
    click_through(&a, old["id"].as_str(), false).await;
    click_through(&b, Some(&id), false).await;
    sale(json!({"order_id": uid("o"), "amount": 200_000, "currency": "VND", "click_id": c}))
        .await
        .status(201);

    let mine = |token: String| async move {
        let r = req("GET", "/v1/me/reports/creatives")
            .who(As::Bearer(token))
            .send()
            .await;
        r.status(200);
        r.json["rows"].as_array().expect("rows").clone()
    };
    let rows = mine(a_token).await;
    assert!(
        rows.iter().all(|r| r["creative"] != old["id"]),
        "archived creatives are not the affiliate's to post: {rows:?}"
    );
    let row = rows
        .iter()
        .find(|r| r["creative"] == id.as_str())
        .expect("the banner's row");
    assert_eq!(
        (
            &row["clicks"],
            &row["sales"],
            &row["conversion_rate"],
            &row["money"]
        ),
        (
            &json!(2),
            &json!({"gross": 1, "net": 1}),
            &json!(0.5),
            &json!([{"currency": "VND", "revenue_net": 200_000, "commissions": 20_000}])
        ),
        "their own clicks and sales only"
    );
    let rows = mine(b_token).await;
    let row = rows
        .iter()
        .find(|r| r["creative"] == id.as_str())
        .expect("the banner's row");
    assert_eq!(
        (&row["clicks"], &row["sales"], &row["money"]),
        (&json!(1), &json!({"gross": 0, "net": 0}), &json!([]))
    );
    assert!(!rows.iter().any(|r| r.to_string().contains(&a)));
    req("GET", "/v1/me/reports/creatives")
        .sk()
        .send()
        .await
        .error(403, "forbidden");
    delete(&[&banner, &old]).await;
}
