//! The history of the program's settings: every `PUT /v1/program` that changes something is
//! recorded with who made it and each setting before and after, so a merchant can answer "when
//! did the commission change, and who changed it?". Nothing is recorded for a PUT that changes
//! nothing or is refused; the webhook secret never appears.

use crate::harness::*;
use serde_json::{json, Value};

async fn changes(query: &str) -> Vec<Value> {
    let r = req("GET", &format!("/v1/program/changes{query}"))
        .sk()
        .send()
        .await;
    r.status(200);
    r.json["changes"].as_array().expect("changes").clone()
}

/// The recorded changes whose `setting` became `after`.
fn to<'a>(list: &'a [Value], setting: &str, after: &Value) -> Vec<&'a Value> {
    list.iter()
        .filter(|c| {
            c["settings"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|x| x["setting"] == setting && &x["after"] == after)
            })
        })
        .collect()
}

#[tokio::test]
async fn each_change_of_the_settings_is_recorded_with_who_and_what() {
    let _program = program_lock().await;
    let r = req("GET", "/v1/program").sk().send().await;
    r.status(200);
    let before = r.json.clone();
    let mark = json!(uid("Shop"));
    let days = json!(before["click_details_days"].as_i64().unwrap_or(90) + 1);
    let mut p = before.clone();
    p["name"] = mark.clone();
    p["click_details_days"] = days.clone();
    let started = now_rfc3339(-1);
    put_program(&p).await;
    // The same settings again, and a refused change: nothing more.
    put_program(&p).await;
    let mut bad = p.clone();
    bad["name"] = json!("");
    bad["hold_days"] = json!(7);
    req("PUT", "/v1/program")
        .sk()
        .json(&bad)
        .send()
        .await
        .error(400, "invalid_name");

    let list = changes("?limit=500").await;
    let mine = to(&list, "name", &mark);
    assert_eq!(mine.len(), 1, "one entry for one change: {list:?}");
    let c = mine[0];
    assert_eq!(c["by"], "secret_key");
    assert!(c["id"].as_str().is_some_and(|id| !id.is_empty()), "{c}");
    let at = c["at"].as_str().expect("at");
    assert!(at >= started.as_str() && at.ends_with('Z'), "{at}");
    assert_eq!(
        c["settings"],
        json!([
            {"setting": "click_details_days", "before": before["click_details_days"], "after": days},
            {"setting": "name", "before": before["name"], "after": mark},
        ]),
        "only what changed, by setting name"
    );

    // Put back: a newer entry, first in the list.
    put_program(&before).await;
    let list = changes("?limit=500").await;
    let back = to(&list, "name", &before["name"]);
    let i_back = list
        .iter()
        .position(|x| back.first().is_some_and(|b| *b == x))
        .expect("the change back");
    let i_mine = list
        .iter()
        .position(|x| {
            x["settings"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x["after"] == mark))
        })
        .expect("the first change");
    assert!(i_back < i_mine, "newest first");
    assert_eq!(
        list[i_back]["settings"],
        json!([
            {"setting": "click_details_days", "before": days, "after": before["click_details_days"]},
            {"setting": "name", "before": mark, "after": before["name"]},
        ])
    );
    for c in &list {
        for s in c["settings"].as_array().expect("settings") {
            assert_ne!(s["setting"], "webhook_secret", "{c}");
        }
    }

    // Pages; bad pages and callers.
    assert_eq!(changes("?limit=1").await.len(), 1);
    let second = changes("?limit=1&offset=1").await;
    assert_eq!(second.first(), list.get(1), "offset skips the newest");
    for q in ["?limit=0", "?limit=501", "?offset=-1", "?limit=ten"] {
        let r = req("GET", &format!("/v1/program/changes{q}"))
            .sk()
            .send()
            .await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
    }
    req("GET", "/v1/program/changes")
        .who(As::Publishable)
        .send()
        .await
        .error(403, "forbidden");
    req("GET", "/v1/program/changes")
        .send()
        .await
        .error(401, "unauthorized");
}
