//! The merchant's list of deliveries on a database these tests can reach into: a postback or
//! webhook given up after its attempts is sent again by hand and then delivered by the worker;
//! one a worker may hold is left to it; and a manager sees and retries postbacks but not the
//! owner's webhook endpoints.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Request, StatusCode};
use reftrail_server::{app, AppState, HttpOptions};
use serde_json::{json, Value};
use sqlx::Row;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

mod support;

use support::{body_of, call, call_as, smtp_sink};

/// A tracker on a free loopback port whose answer can be switched: 503 until `up` is set.
#[derive(Clone, Default)]
struct Tracker {
    up: Arc<Mutex<bool>>,
    got: Arc<Mutex<u32>>,
}

async fn answer(State(t): State<Tracker>) -> StatusCode {
    *t.got.lock().expect("lock") += 1;
    match *t.up.lock().expect("lock") {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    }
}

async fn start(t: &Tracker) -> std::net::SocketAddr {
    let app = axum::Router::new()
        .route("/pb", axum::routing::get(answer))
        .route("/hook", axum::routing::post(answer))
        .with_state(t.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A program with affiliate `alice`, whose tracker is `addr`, and one sale of hers: its
/// `created` postback is queued (the program approves by hand).
async fn program_with_a_postback(addr: std::net::SocketAddr) -> AppState {
    let state = support::fresh_state(HttpOptions {
        postbacks_to_private: true,
        ..Default::default()
    })
    .await;
    let (_, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    program["auto_approve"] = json!(false);
    let (s, v) = call(&state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, a) = call(
        &state,
        "POST",
        "/v1/affiliates",
        json!({"id": "alice", "name": "Alice", "coupons": ["A10"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let token = a["token"].as_str().expect("token");
    let url = format!("http://{addr}/pb?e={{event}}");
    let (s, v) = call_as(
        &state,
        Some(token),
        "PUT",
        "/v1/me/postback",
        json!({ "url": url }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = call(
        &state,
        "POST",
        "/v1/sales",
        json!({"order_id": "D-1", "amount": 1000, "currency": "USD", "coupon": "A10"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    state
}

/// `POST /v1/deliveries/{id}/retry` with the secret key.
async fn retry(state: &AppState, id: &str) -> (StatusCode, Value) {
    call(
        state,
        "POST",
        &format!("/v1/deliveries/{id}/retry"),
        json!(null),
    )
    .await
}

async fn only_postback(state: &AppState) -> Value {
    let (s, page) = call(state, "GET", "/v1/deliveries?kind=postback", json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let list = page["deliveries"].as_array().expect("deliveries");
    assert_eq!(list.len(), 1, "{page}");
    list[0].clone()
}

/// Marks every row of `table` as given up after its twelve attempts.
async fn give_up(state: &AppState, table: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET attempts = 12, failed_at = 1, next_at = 1, last_error = 'HTTP 503'"
    )))
    .execute(&state.db.pool)
    .await
    .expect("given up");
}

#[tokio::test]
async fn a_postback_given_up_is_sent_again_and_delivered() {
    let tracker = Tracker::default();
    let addr = start(&tracker).await;
    let state = program_with_a_postback(addr).await;
    give_up(&state, "postbacks").await;
    let d = only_postback(&state).await;
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_i64()),
        (Some("failed"), Some(12))
    );
    assert_eq!(d["next_at"], Value::Null);
    let (_, page) = call(&state, "GET", "/v1/deliveries", json!(null)).await;
    assert_eq!(
        page["counts"],
        json!({"pending": 0, "retrying": 0, "delivered": 0, "failed": 1})
    );

    let id = d["id"].as_str().expect("id");
    let (s, again) = retry(&state, id).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["status"], "pending");
    assert_eq!(again["attempts"], 0);
    assert_eq!(again["failed_at"], Value::Null);
    assert_eq!(
        again["last_error"], "HTTP 503",
        "the last reason stays until the next try"
    );
    assert!(again["next_at"].is_string());
    let (_, log) = call(
        &state,
        "GET",
        "/v1/activity?action=delivery.retried",
        json!(null),
    )
    .await;
    let entry = &log["activity"][0];
    assert_eq!(entry["subject"], id, "{log}");
    assert_eq!(entry["affiliate"], "alice", "{log}");
    assert_eq!(entry["by"], "secret_key");
    assert_eq!(entry["details"]["status"], "failed");

    // The worker sends it at once; the tracker is up again.
    *tracker.up.lock().unwrap() = true;
    let sent = reftrail_server::postbacks::deliver_due(&state)
        .await
        .expect("round");
    assert_eq!(sent, 1);
    let d = only_postback(&state).await;
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 1);
    assert!(d["delivered_at"].is_string());
    let (s, v) = retry(&state, id).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_delivered"))
    );
}

#[tokio::test]
async fn a_delivery_a_worker_may_hold_is_left_to_it() {
    let tracker = Tracker::default();
    let addr = start(&tracker).await;
    let state = program_with_a_postback(addr).await;
    let id = only_postback(&state).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let due_in = |secs: i64| {
        let pool = state.db.pool.clone();
        async move {
            sqlx::query("UPDATE postbacks SET attempts = 3, next_at = $1")
                .bind(reftrail_server::times::now() + secs)
                .execute(&pool)
                .await
                .expect("due");
        }
    };
    // Due within the minute a lease lasts: perhaps being sent right now.
    due_in(30).await;
    let (s, v) = retry(&state, &id).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("delivery_due"))
    );
    let row = sqlx::query("SELECT attempts FROM postbacks")
        .fetch_one(&state.db.pool)
        .await
        .expect("row");
    assert_eq!(row.try_get::<i64, _>(0).expect("attempts"), 3, "unchanged");

    // Waiting an hour after three failures: sent now, its attempts counted afresh.
    due_in(3600).await;
    let (_, page) = call(&state, "GET", "/v1/deliveries?status=retrying", json!(null)).await;
    assert_eq!(
        page["deliveries"].as_array().map(Vec::len),
        Some(1),
        "{page}"
    );
    assert_eq!(page["counts"]["retrying"], 1);
    assert_eq!(page["counts"]["pending"], 1);
    let (s, v) = retry(&state, &id).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["attempts"], 0);
    let got_before = *tracker.got.lock().unwrap();
    reftrail_server::postbacks::deliver_due(&state)
        .await
        .expect("round");
    assert_eq!(
        *tracker.got.lock().unwrap(),
        got_before + 1,
        "sent in the next round"
    );
}

#[tokio::test]
async fn a_webhook_given_up_is_sent_again_signed() {
    let tracker = Tracker::default();
    *tracker.up.lock().unwrap() = true;
    let addr = start(&tracker).await;
    let state = program_with_a_postback(addr).await;
    let (_, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    program["webhooks"] =
        json!([{"url": format!("http://{addr}/hook"), "events": ["referral.approved"]}]);
    let (s, v) = call(&state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, list) = call(&state, "GET", "/v1/referrals", json!(null)).await;
    let referral = list["referrals"][0]["id"].as_str().expect("referral");
    let (s, v) = call(
        &state,
        "POST",
        &format!("/v1/referrals/{referral}/approve"),
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    give_up(&state, "outbox").await;

    let (_, page) = call(
        &state,
        "GET",
        "/v1/deliveries?kind=webhook&status=failed",
        json!(null),
    )
    .await;
    let hook = &page["deliveries"][0];
    assert_eq!(hook["event"], "referral.approved", "{page}");
    assert_eq!(hook["url"], format!("http://{addr}/hook"));
    assert_eq!(hook["affiliate_id"], Value::Null);
    let id = hook["id"].as_str().expect("id");
    let (s, v) = retry(&state, id).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let client = state.webhook_client().expect("client").clone();
    let sent = reftrail_server::webhooks::deliver_due(&state, &client)
        .await
        .expect("round");
    assert_eq!(sent, 1);
    let (_, page) = call(&state, "GET", "/v1/deliveries?kind=webhook", json!(null)).await;
    assert_eq!(page["deliveries"][0]["status"], "delivered", "{page}");
}

/// `method path` in the dashboard session `cookie`/`csrf`.
async fn as_member(
    state: &AppState,
    cookie: &str,
    csrf: &str,
    method: &str,
    path: &str,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, format!("rt_session={cookie}"))
        .header("x-csrf-token", csrf)
        .body(Body::empty())
        .expect("request");
    support::send(state, req).await
}

/// Invites `email` as `role` and accepts: the session's cookie and CSRF token.
async fn member(state: &AppState, email: &str, role: &str) -> (String, String) {
    let (s, inv) = call(
        state,
        "POST",
        "/v1/team",
        json!({"email": email, "name": role, "role": role}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    let token = inv["invite_path"]
        .as_str()
        .and_then(|p| p.strip_prefix("/dashboard/#invite="))
        .expect("link");
    let req = Request::builder()
        .method("POST")
        .uri("/v1/team/accept")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"token": token, "password": "a long enough password"}).to_string(),
        ))
        .expect("request");
    let res = app(state.clone()).oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::CREATED);
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("rt_session="))
        .and_then(|v| v.split(';').next())
        .expect("session")
        .to_owned();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let v: Value = serde_json::from_slice(&bytes).expect("json");
    (cookie, v["csrf_token"].as_str().expect("csrf").to_owned())
}

#[tokio::test]
async fn a_manager_sees_postbacks_and_not_the_owners_webhooks() {
    let addr = start(&Tracker::default()).await;
    let state = program_with_a_postback(addr).await;
    sqlx::query(
        "INSERT INTO outbox (id, event, url, payload, at, attempts, next_at, failed_at, last_error) \
         VALUES ('evt_hook', 'referral.created', 'https://hooks.shop.example/secret-path', '{}', 1, 12, 1, 1, 'HTTP 500')",
    )
    .execute(&state.db.pool)
    .await
    .expect("webhook row");
    give_up(&state, "postbacks").await;

    let (cookie, csrf) = member(&state, "lan@shop.example", "manager").await;
    let (s, page) = as_member(&state, &cookie, &csrf, "GET", "/v1/deliveries").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let kinds: Vec<&str> = page["deliveries"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    assert_eq!(kinds, vec!["postback"]);
    assert_eq!(
        page["counts"]["failed"], 1,
        "the webhook is not counted for her"
    );
    assert!(!page.to_string().contains("secret-path"));
    let (s, v) = as_member(&state, &cookie, &csrf, "GET", "/v1/deliveries?kind=webhook").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("role_forbidden"))
    );
    let (s, _) = as_member(
        &state,
        &cookie,
        &csrf,
        "POST",
        "/v1/deliveries/evt_hook/retry",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let postback = page["deliveries"][0]["id"].as_str().expect("id");
    let (s, v) = as_member(
        &state,
        &cookie,
        &csrf,
        "POST",
        &format!("/v1/deliveries/{postback}/retry"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = as_member(&state, &cookie, &csrf, "POST", "/v1/webhooks/test").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A viewer reads the postbacks and sends nothing again.
    give_up(&state, "postbacks").await;
    let (cookie, csrf) = member(&state, "somchai@shop.example", "viewer").await;
    let (s, page) = as_member(&state, &cookie, &csrf, "GET", "/v1/deliveries").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["total"], 1);
    let (s, v) = as_member(
        &state,
        &cookie,
        &csrf,
        "POST",
        &format!("/v1/deliveries/{postback}/retry"),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("role_forbidden"))
    );

    // The owner sees both.
    let (_, page) = call(&state, "GET", "/v1/deliveries", json!(null)).await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["counts"]["failed"], 2);
}

#[tokio::test]
async fn pages_interleave_both_outboxes_newest_first() {
    let state = support::fresh_state(HttpOptions::default()).await;
    // Webhooks at even seconds, postbacks at odd ones; every third given up, every fifth sent.
    for i in 0..12i64 {
        let (delivered, failed) = (
            (i % 5 == 0).then_some(1000 + i),
            (i % 3 == 0 && i % 5 != 0).then_some(1000 + i),
        );
        let sql = if i % 2 == 0 {
            "INSERT INTO outbox (id, event, url, payload, at, attempts, next_at, delivered_at, failed_at) \
             VALUES ($1, 'referral.created', 'https://hooks.shop.example/', '{}', $2, 1, $2, $3, $4)"
        } else {
            "INSERT INTO postbacks (id, affiliate_id, referral_id, event, url, at, attempts, next_at, delivered_at, failed_at) \
             VALUES ($1, 'alice', 'ref_1', 'created', 'https://t.example/pb', $2, 1, $2, $3, $4)"
        };
        sqlx::query(sql)
            .bind(format!("d{i:02}"))
            .bind(1000 + i)
            .bind(delivered)
            .bind(failed)
            .execute(&state.db.pool)
            .await
            .expect("row");
    }
    let ids = |page: &Value| -> Vec<String> {
        page["deliveries"]
            .as_array()
            .expect("list")
            .iter()
            .map(|d| d["id"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let mut walked = Vec::new();
    for offset in (0..12).step_by(5) {
        let (s, page) = call(
            &state,
            "GET",
            &format!("/v1/deliveries?limit=5&offset={offset}"),
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 12);
        walked.extend(ids(&page));
    }
    let newest_first: Vec<String> = (0..12).rev().map(|i| format!("d{i:02}")).collect();
    assert_eq!(walked, newest_first);

    // Filters by state, on both outboxes: given up 3, 9 (6 is even: a webhook too); sent 0, 5, 10.
    let mut last = Value::Null;
    for (query, want, total) in [
        ("status=failed&limit=2&offset=1", vec!["d06", "d03"], 3),
        ("status=delivered&kind=webhook", vec!["d10", "d00"], 2),
        ("status=pending&kind=postback", vec!["d11", "d07", "d01"], 3),
    ] {
        let (_, page) = call(
            &state,
            "GET",
            &format!("/v1/deliveries?{query}"),
            json!(null),
        )
        .await;
        assert_eq!(
            (ids(&page), page["total"].as_i64()),
            (
                want.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>(),
                Some(total)
            ),
            "{query}"
        );
        last = page;
    }
    assert_eq!(
        last["counts"],
        json!({"pending": 6, "retrying": 6, "delivered": 3, "failed": 3})
    );
}

#[tokio::test]
async fn the_team_hears_once_a_day_of_an_endpoint_that_gave_up() {
    let (port, inbox) = smtp_sink().await;
    let mailer = reftrail_server::mail::Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Shop <affiliates@shop.test>",
        "https://t.shop.test",
    )
    .expect("mailer");
    let state = support::fresh_state(HttpOptions {
        postbacks_to_private: true,
        mail: Some(mailer),
        ..Default::default()
    })
    .await;
    for (email, role) in [
        ("an@shop.example", "owner"),
        ("lan@shop.example", "manager"),
    ] {
        member(&state, email, role).await;
    }
    let (s, a) = call(
        &state,
        "POST",
        "/v1/affiliates",
        json!({"id": "alice", "name": "Alice", "coupons": ["A10"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    // Port 9 is closed: every attempt fails.
    let (s, v) = call(
        &state,
        "PUT",
        "/v1/affiliates/alice/postback",
        json!({"url": "http://127.0.0.1:9/pb?e={event}"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    program["webhooks"] =
        json!([{"url": "http://127.0.0.1:9/hooks", "events": ["referral.created"]}]);
    let (s, v) = call(&state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for order in ["M-1", "M-2"] {
        let (s, v) = call(
            &state,
            "POST",
            "/v1/sales",
            json!({"order_id": order, "amount": 1000, "currency": "USD", "coupon": "A10"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    // Every request on its last attempt, due now.
    for table in ["outbox", "postbacks"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET attempts = 11, next_at = 0"
        )))
        .execute(&state.db.pool)
        .await
        .expect("last attempt");
    }
    let client = state.webhook_client().expect("client").clone();
    reftrail_server::webhooks::deliver_due(&state, &client)
        .await
        .expect("webhooks");
    reftrail_server::postbacks::deliver_due(&state)
        .await
        .expect("postbacks");
    let (_, page) = call(&state, "GET", "/v1/deliveries?status=failed", json!(null)).await;
    assert_eq!(
        page["total"], 4,
        "two webhook events and two postbacks (the sales wait for approval) given up: {page}"
    );

    // One email per endpoint: the webhook's to the owner only, the tracker's to both.
    let queued = sqlx::query("SELECT t.email, m.payload FROM mail_outbox m JOIN team_members t ON t.id = m.member_id WHERE m.event = 'delivery.failed' ORDER BY t.email, m.payload")
        .fetch_all(&state.db.pool)
        .await
        .expect("queued");
    let queued: Vec<(String, Value)> = queued
        .iter()
        .map(|r| {
            (
                r.try_get(0).expect("email"),
                serde_json::from_str(&r.try_get::<String, _>(1).expect("payload")).expect("json"),
            )
        })
        .collect();
    let kinds: Vec<(&str, &str)> = queued
        .iter()
        .map(|(e, p)| (e.as_str(), p["kind"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("an@shop.example", "postback"),
            ("an@shop.example", "webhook"),
            ("lan@shop.example", "postback")
        ]
    );
    let (_, hook) = &queued[1];
    assert_eq!(hook["url"], "http://127.0.0.1:9/hooks");
    assert_eq!(hook["event"], "referral.created");
    assert_eq!(hook["affiliate"], Value::Null);
    assert!(hook["error"].as_str().is_some_and(|e| !e.is_empty()));

    reftrail_server::affiliate_mail::send_due(&state)
        .await
        .expect("mail round");
    // The invitations went out too; these are the three about deliveries.
    let sent: Vec<String> = inbox
        .lock()
        .unwrap()
        .iter()
        .map(|m| body_of(m))
        .filter(|b| b.contains("gave up sending"))
        .collect();
    assert_eq!(sent.len(), 3, "{sent:?}");
    let owners_webhook = sent
        .iter()
        .find(|b| b.contains("a webhook event"))
        .expect("the webhook's email");
    assert!(owners_webhook.contains("gave up sending a webhook event (referral.created) to http://127.0.0.1:9/hooks after 12 attempts"), "{owners_webhook}");
    assert!(
        owners_webhook.contains("https://t.shop.test/dashboard/#/deliveries?status=failed"),
        "{owners_webhook}"
    );

    // One of them sent again by hand and given up again, while the other stays given up from
    // the same day: no second email.
    sqlx::query("UPDATE postbacks SET failed_at = NULL, attempts = 11, next_at = 0 WHERE id = (SELECT MIN(id) FROM postbacks)")
        .execute(&state.db.pool)
        .await
        .expect("again");
    reftrail_server::postbacks::deliver_due(&state)
        .await
        .expect("postbacks");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM mail_outbox WHERE event = 'delivery.failed'")
        .fetch_one(&state.db.pool)
        .await
        .expect("count")
        .try_get(0)
        .expect("n");
    assert_eq!(n, 3);
}
