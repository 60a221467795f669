//! Short links: an affiliate makes `/go/{code}` for a page of the shop with a campaign; opening
//! it redirects there with their parameter and `utm_campaign` (and the click ids and sub ids
//! the opened address carries); it never leads off the shop, and
//! only its owner (or the merchant) deletes it.

use crate::harness::{affiliate, req, uid, As, BROWSER_UA};
use serde_json::json;

async fn open(code: &str) -> (u16, Option<String>) {
    let r = req("GET", &format!("/go/{code}"))
        .header("user-agent", BROWSER_UA)
        .send()
        .await;
    let location = r
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (r.status.as_u16(), location)
}

#[tokio::test]
async fn a_short_link_leads_to_the_shop_with_the_affiliate_and_campaign() {
    let (id, token) = affiliate(json!({})).await;
    let me = || As::Bearer(token.clone());
    let body =
        json!({ "landing_url": "https://www.shop.test/shoes?size=42", "campaign": "Tết sale" });
    let r = req("POST", "/v1/me/links")
        .who(me())
        .json(&body)
        .send()
        .await;
    r.status(201);
    let code = r.json["code"].as_str().expect("code").to_owned();
    assert_eq!(code.len(), 7, "{}", r.text);
    assert_eq!(r.json["path"], format!("/go/{code}").as_str());
    assert_eq!(r.json["affiliate"], id.as_str());
    let target =
        format!("https://www.shop.test/shoes?size=42&ref={id}&utm_campaign=T%E1%BA%BFt+sale");
    assert_eq!(r.json["target"], target.as_str());
    assert_eq!(r.json["opens"], 0);

    assert_eq!(open(&code).await, (302, Some(target.clone())));
    let mine = req("GET", "/v1/me/links").who(me()).send().await;
    mine.status(200);
    assert_eq!(mine.json["links"][0]["code"], code.as_str());
    assert_eq!(mine.json["links"][0]["opens"], 1);
    let all = req("GET", &format!("/v1/links?affiliate={id}"))
        .sk()
        .send()
        .await;
    all.status(200);
    assert_eq!(all.json["links"].as_array().map(Vec::len), Some(1));
    // Click ids and sub ids added to the short link go on to the shop (the first of each name).
    assert_eq!(
        open(&format!(
            "{code}?sub1=u%2042&gclid=Cj0&x=1&sub1=again&ref=bob"
        ))
        .await,
        (302, Some(format!("{target}&sub1=u+42&gclid=Cj0")))
    );

    // A code of their own, kept lower-case, once.
    let own = uid("Bio").to_lowercase().replace('_', "-");
    let body = json!({ "landing_url": "https://www.shop.test/", "code": own.to_uppercase() });
    let r = req("POST", "/v1/me/links")
        .who(me())
        .json(&body)
        .send()
        .await;
    r.status(201);
    assert_eq!(r.json["code"], own.as_str());
    assert_eq!(
        open(&own).await,
        (302, Some(format!("https://www.shop.test/?ref={id}")))
    );
    assert_eq!(
        open(&own.to_uppercase()).await.0,
        404,
        "codes are lower-case"
    );
    req("POST", "/v1/me/links")
        .who(me())
        .json(&body)
        .send()
        .await
        .error(409, "code_taken");

    // An affiliate no longer approved: the link still leads to the shop, crediting nobody.
    req("PATCH", &format!("/v1/affiliates/{id}"))
        .sk()
        .json(&json!({ "status": "suspended" }))
        .send()
        .await
        .status(200);
    let (status, location) = open(&code).await;
    assert_eq!(status, 302);
    let location = location.expect("location");
    assert!(!location.contains("ref="), "{location}");
    assert!(
        location.contains("utm_campaign=T%E1%BA%BFt+sale"),
        "{location}"
    );
}

#[tokio::test]
async fn short_links_never_lead_off_the_shop_and_only_their_owner_deletes_them() {
    let (_, token) = affiliate(json!({})).await;
    let (_, other) = affiliate(json!({})).await;
    let me = || As::Bearer(token.clone());
    for (body, code) in [
        (
            json!({ "landing_url": "https://evil.test/" }),
            "landing_not_allowed",
        ),
        (
            json!({ "landing_url": "https://www.shop.test.evil.test/" }),
            "landing_not_allowed",
        ),
        (
            json!({ "landing_url": "http://www.shop.test/" }),
            "landing_not_allowed",
        ),
        (
            json!({ "landing_url": "javascript:alert(1)" }),
            "invalid_landing_url",
        ),
        (
            json!({ "landing_url": "https://u:p@www.shop.test/" }),
            "invalid_landing_url",
        ),
        (
            json!({ "landing_url": "https://www.shop.test/", "code": "a/b" }),
            "invalid_code",
        ),
        (
            json!({ "landing_url": "https://www.shop.test/", "code": "go" }),
            "invalid_code",
        ),
        (
            json!({ "landing_url": "https://www.shop.test/", "campaign": "a\u{7}b" }),
            "invalid_campaign",
        ),
        (
            json!({ "landing_url": "https://www.shop.test/", "affiliate": "someone" }),
            "invalid_body",
        ),
    ] {
        req("POST", "/v1/me/links")
            .who(me())
            .json(&body)
            .send()
            .await
            .error(400, code);
    }
    req("POST", "/v1/me/links")
        .sk()
        .json(&json!({ "landing_url": "https://www.shop.test/" }))
        .send()
        .await
        .error(403, "forbidden");
    let mine = req("GET", "/v1/me/links").who(me()).send().await;
    assert_eq!(mine.json["links"], json!([]), "nothing was made");

    let r = req("POST", "/v1/me/links")
        .who(me())
        .json(&json!({ "landing_url": "https://www.shop.test/" }))
        .send()
        .await;
    r.status(201);
    let code = r.json["code"].as_str().expect("code").to_owned();
    req("DELETE", &format!("/v1/me/links/{code}"))
        .who(As::Bearer(other))
        .send()
        .await
        .error(404, "link_not_found");
    assert_eq!(open(&code).await.0, 302);
    req("DELETE", &format!("/v1/me/links/{code}"))
        .who(me())
        .send()
        .await
        .status(204);
    assert_eq!(open(&code).await, (404, None));
    assert_eq!(open("nope123").await.0, 404);
    assert_eq!(open("..%2Fetc").await.0, 404);

    // The merchant removes anyone's.
    let r = req("POST", "/v1/me/links")
        .who(me())
        .json(&json!({ "landing_url": "https://www.shop.test/" }))
        .send()
        .await;
    let code = r.json["code"].as_str().expect("code").to_owned();
    req("DELETE", &format!("/v1/links/{code}"))
        .sk()
        .send()
        .await
        .status(204);
    req("DELETE", &format!("/v1/links/{code}"))
        .sk()
        .send()
        .await
        .error(404, "link_not_found");
}
