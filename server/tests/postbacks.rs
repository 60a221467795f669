//! Affiliates' postbacks through the worker: a sale queues them; a delivery round sends them to
//! a tracker on loopback; a failing tracker gets them again later; and a server left at its
//! default calls no loopback or private host, whether named in the template or resolved.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use reftrail_server::{AppState, HttpOptions};
use serde_json::json;
use sqlx::Row;
use std::sync::{Arc, Mutex};

mod support;

use support::{call, call_as};

#[derive(Clone, Default)]
struct Tracker {
    got: Arc<Mutex<Vec<String>>>,
    fail_first: Arc<Mutex<u32>>,
}

async fn track(State(t): State<Tracker>, RawQuery(q): RawQuery) -> StatusCode {
    let mut fails = t.fail_first.lock().expect("lock");
    if *fails > 0 {
        *fails -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    t.got.lock().expect("lock").push(q.unwrap_or_default());
    StatusCode::OK
}

/// A tracker answering `GET /pb` on a free loopback port; returns its address.
async fn start_tracker(t: &Tracker) -> std::net::SocketAddr {
    let app = axum::Router::new()
        .route("/pb", axum::routing::get(track))
        .with_state(t.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A program holding nothing back, with affiliate `alice` (coupon `A10`) and her token.
async fn program(http: HttpOptions) -> (AppState, String) {
    let state = support::fresh_state(http).await;
    let (_, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    program["hold_days"] = json!(0);
    program["auto_approve"] = json!(false);
    let (s, _) = call(&state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK);
    let (s, a) = call(
        &state,
        "POST",
        "/v1/affiliates",
        json!({"id": "alice", "name": "Alice", "coupons": ["A10"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    (state, a["token"].as_str().expect("token").to_owned())
}

/// A server whose postbacks may reach the trackers these tests start on loopback.
fn loopback_trackers() -> HttpOptions {
    HttpOptions {
        postbacks_to_private: true,
        ..Default::default()
    }
}

async fn rows(state: &AppState) -> Vec<(String, i64, Option<String>, bool)> {
    sqlx::query(
        "SELECT event, attempts, last_error, delivered_at FROM postbacks ORDER BY at, event",
    )
    .fetch_all(&state.db.pool)
    .await
    .expect("rows")
    .iter()
    .map(|r| {
        (
            r.try_get(0).expect("event"),
            r.try_get(1).expect("attempts"),
            r.try_get(2).expect("last_error"),
            r.try_get::<Option<i64>, _>(3).expect("delivered").is_some(),
        )
    })
    .collect()
}

#[tokio::test]
async fn the_worker_delivers_and_retries() {
    let tracker = Tracker::default();
    *tracker.fail_first.lock().unwrap() = 1;
    let addr = start_tracker(&tracker).await;
    let (state, token) = program(loopback_trackers()).await;
    let url = format!("http://{addr}/pb?e={{event}}&c={{commission}}&s={{status}}");
    let (s, _) = call_as(
        &state,
        Some(&token),
        "PUT",
        "/v1/me/postback",
        json!({ "url": url }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, sale) = call(
        &state,
        "POST",
        "/v1/sales",
        json!({"order_id": "W-1", "amount": 1000, "currency": "USD", "coupon": "A10"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let referral = sale["referral"]["id"]
        .as_str()
        .expect("referral")
        .to_owned();

    // The first attempt meets a 503: kept, due again later.
    let sent = reftrail_server::postbacks::deliver_due(&state)
        .await
        .expect("round");
    assert_eq!(sent, 0);
    assert_eq!(
        rows(&state).await,
        vec![("created".into(), 1, Some("HTTP 503".into()), false)]
    );
    assert_eq!(
        reftrail_server::postbacks::deliver_due(&state)
            .await
            .expect("round"),
        0
    );
    sqlx::query("UPDATE postbacks SET next_at = 0")
        .execute(&state.db.pool)
        .await
        .expect("due");
    assert_eq!(
        reftrail_server::postbacks::deliver_due(&state)
            .await
            .expect("round"),
        1
    );
    assert_eq!(
        tracker.got.lock().unwrap().clone(),
        vec!["e=created&c=1.00&s=pending".to_owned()]
    );

    // Approving it sends the next one; the portal lists both, delivered.
    let (s, _) = call(
        &state,
        "POST",
        &format!("/v1/referrals/{referral}/approve"),
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        reftrail_server::postbacks::deliver_due(&state)
            .await
            .expect("round"),
        1
    );
    assert_eq!(
        tracker.got.lock().unwrap()[1],
        "e=approved&c=1.00&s=approved"
    );
    let (_, shown) = call_as(&state, Some(&token), "GET", "/v1/me/postback", json!(null)).await;
    let statuses: Vec<&str> = shown["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| d["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(statuses, ["delivered", "delivered"]);
    assert!(shown["deliveries"][0]["delivered_at"].is_string());
}

#[tokio::test]
async fn by_default_no_private_host_is_called() {
    let tracker = Tracker::default();
    let addr = start_tracker(&tracker).await;
    let (state, token) = program(HttpOptions::default()).await;

    // Named in the template: refused when saved or tested.
    for url in [
        format!("http://{addr}/pb"),
        format!("http://localhost:{}/pb", addr.port()),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::1]/pb".to_owned(),
    ] {
        let (s, body) = call_as(
            &state,
            Some(&token),
            "PUT",
            "/v1/me/postback",
            json!({ "url": url }),
        )
        .await;
        assert_eq!(
            (s, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_postback_url")),
            "{url}"
        );
        assert!(body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("private network"));
        let (s, _) = call_as(
            &state,
            Some(&token),
            "POST",
            "/v1/me/postback/test",
            json!({ "url": url }),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{url}");
    }

    // Reached through a name that resolves to loopback, or stored before the policy: the
    // request is never made.
    for url in [
        format!("http://localhost:{}/pb", addr.port()),
        format!("http://{addr}/pb"),
    ] {
        let outcome = reftrail_server::postbacks::send(&state, &url).await;
        assert_eq!(outcome.status, None, "{url}");
        assert!(outcome.error.is_some(), "{url}");
    }
    sqlx::query("UPDATE affiliates SET postback_url = $1 WHERE id = 'alice'")
        .bind(format!("http://{addr}/pb?e={{event}}"))
        .execute(&state.db.pool)
        .await
        .expect("stored");
    let (s, _) = call(
        &state,
        "POST",
        "/v1/sales",
        json!({"order_id": "W-2", "amount": 1000, "currency": "USD", "coupon": "A10"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        reftrail_server::postbacks::deliver_due(&state)
            .await
            .expect("round"),
        0
    );
    let r = rows(&state).await;
    assert_eq!(r.len(), 1);
    assert!(r[0].2.as_deref().unwrap_or("").contains("private"), "{r:?}");
    assert!(tracker.got.lock().unwrap().is_empty());
}

#[tokio::test]
async fn finished_requests_are_removed_after_30_days_and_owed_ones_never() {
    let (state, _) = program(HttpOptions::default()).await;
    let now = 2_000_000_000i64;
    let old = now - reftrail_server::outbox::FINISHED_KEPT - 1;
    let recent = now - 86_400;
    // (id, queued at, delivered, given up)
    let rows = [
        ("old-delivered", old, true, false),
        ("old-failed", old, false, true),
        ("old-owed", old, false, false),
        ("recent-delivered", recent, true, false),
    ];
    // The same rows in each outbox (`done` is its column saying a row was sent).
    let outboxes = [
        (
            "postbacks",
            "delivered_at",
            "affiliate_id, referral_id, event, url",
            "'alice', 'r', 'created', 'https://t.example/'",
        ),
        (
            "outbox",
            "delivered_at",
            "event, url, payload",
            "'referral.created', 'https://hooks.example/', '{}'",
        ),
        (
            "mail_outbox",
            "sent_at",
            "event, affiliate_id, payload",
            "'referral.created', 'alice', '{}'",
        ),
    ];
    for (table, done, columns, values) in outboxes {
        for (id, at, delivered, failed) in rows {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table} (id, {columns}, at, attempts, next_at, {done}, failed_at) \
                 VALUES ($1, {values}, $2, 1, $2, $3, $4)"
            )))
            .bind(id)
            .bind(at)
            .bind(delivered.then_some(at))
            .bind(failed.then_some(at))
            .execute(&state.db.pool)
            .await
            .expect("insert");
        }
    }
    let removed = reftrail_server::outbox::prune_finished(&state.db.pool, now)
        .await
        .expect("prune");
    assert_eq!(removed, 6);
    for table in ["postbacks", "outbox", "mail_outbox"] {
        let left: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM {table} ORDER BY id"
        )))
        .fetch_all(&state.db.pool)
        .await
        .expect("rows")
        .iter()
        .map(|r| r.try_get(0).expect("id"))
        .collect();
        assert_eq!(left, ["old-owed", "recent-delivered"], "{table}");
    }
}

#[tokio::test]
async fn a_lead_and_its_rejection_are_reported_with_the_clicks_sub_id() {
    let tracker = Tracker::default();
    let addr = start_tracker(&tracker).await;
    let (state, token) = program(loopback_trackers()).await;
    let (_, mut p) = call(&state, "GET", "/v1/program", json!(null)).await;
    p["commission"]["lead"] = json!({"USD": 150});
    p["allowed_origins"] = json!(["https://www.shop.test"]);
    let (s, _) = call(&state, "PUT", "/v1/program", p).await;
    assert_eq!(s, StatusCode::OK);
    let url = format!("http://{addr}/pb?e={{event}}&k={{kind}}&s={{status}}&c={{commission}}&cur={{currency}}&s1={{sub1}}&a={{amount}}");
    let (s, _) = call_as(
        &state,
        Some(&token),
        "PUT",
        "/v1/me/postback",
        json!({ "url": url }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    let click = json!({"affiliate": "alice", "url": "https://www.shop.test/?ref=alice&sub1=cb-7",
        "referrer": "", "consent": "granted", "via": "query", "landing": "/", "click_ids": {"sub1": "cb-7"}});
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/v1/clicks")
        .header("content-type", "application/json")
        .header("origin", "https://www.shop.test")
        .header("user-agent", "Mozilla/5.0 Chrome/126.0")
        .body(axum::body::Body::from(click.to_string()))
        .expect("request");
    let (s, c) = support::send(&state, req).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, lead) = call(
        &state,
        "POST",
        "/v1/leads",
        json!({"event": "signup", "email": "lan@customers.test", "click_id": c["click_id"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{lead}");
    let referral = lead["referral"]["id"]
        .as_str()
        .expect("referral")
        .to_owned();
    let (s, _) = call(
        &state,
        "POST",
        &format!("/v1/referrals/{referral}/reject"),
        json!({"reason": "test sign-up"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        reftrail_server::postbacks::deliver_due(&state)
            .await
            .expect("round"),
        2
    );
    let mut got = tracker.got.lock().unwrap().clone();
    got.sort();
    assert_eq!(
        got,
        [
            "e=created&k=lead&s=pending&c=1.50&cur=USD&s1=cb-7&a=0.00",
            "e=reversed&k=lead&s=rejected&c=0.00&cur=USD&s1=cb-7&a=0.00",
        ]
    );
}
