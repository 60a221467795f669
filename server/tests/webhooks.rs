//! Webhooks end to end on loopback: a sale queues `referral.created` in the outbox in the same
//! transaction; the worker's delivery round POSTs it, signed, to a receiver; a failing receiver
//! gets the event again later (the row stays due with a backoff), and nothing is lost.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use reftrail_server::credentials::Pinned;
use reftrail_server::db::Db;
use reftrail_server::{app, AppState, HttpOptions};
use serde_json::{json, Value};
use sqlx::Row;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

const SK: &str = "sk_test_webhooks0123456789abcdef";

#[derive(Clone, Default)]
struct Inbox {
    got: Arc<Mutex<Vec<(String, String)>>>,
    fail_first: Arc<Mutex<u32>>,
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    let mut fails = inbox.fail_first.lock().expect("lock");
    if *fails > 0 {
        *fails -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let sig = headers
        .get("reftrail-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    inbox.got.lock().expect("lock").push((sig, body));
    StatusCode::NO_CONTENT
}

async fn call(state: &AppState, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {SK}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let res = app(state.clone()).oneshot(req).await.expect("response");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn events_are_signed_delivered_and_retried() {
    let inbox = Inbox::default();
    *inbox.fail_first.lock().expect("lock") = 1;
    let receiver = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let dir = std::env::temp_dir().join(format!(
        "reftrail-webhooks-{}",
        reftrail_server::ids::random_base62(8)
    ));
    let db = Db::connect(&format!("sqlite://{}", dir.join("db.sqlite").display()), 4)
        .await
        .expect("db");
    db.migrate().await.expect("migrate");
    let pinned = Pinned {
        secret_key: Some(SK.into()),
        ..Pinned::default()
    };
    reftrail_server::credentials::bootstrap(&db, &pinned)
        .await
        .expect("bootstrap");
    let state = AppState::new(db, HttpOptions::default());

    let (s, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    assert_eq!(s, StatusCode::OK);
    let secret = program["webhook_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    program["webhooks"] =
        json!([{"url": format!("http://{addr}/hook"), "events": ["referral.created"]}]);
    program["hold_days"] = json!(0);
    let (s, _) = call(&state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        &state,
        "POST",
        "/v1/affiliates",
        json!({"id": "alice", "name": "Alice", "coupons": ["A10"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, sale) = call(
        &state,
        "POST",
        "/v1/sales",
        json!({"order_id": "W-1", "amount": 1000, "currency": "USD", "coupon": "A10"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    let client = reqwest::Client::new();
    // First attempt: the receiver fails; the event stays queued with a backoff.
    assert_eq!(
        reftrail_server::webhooks::deliver_due(&state, &client)
            .await
            .expect("round"),
        0
    );
    let row = sqlx::query("SELECT attempts, delivered_at FROM outbox")
        .fetch_one(&state.db.pool)
        .await
        .expect("row");
    assert_eq!(row.try_get::<i64, _>(0).expect("attempts"), 1);
    assert!(row
        .try_get::<Option<i64>, _>(1)
        .expect("delivered")
        .is_none());
    // Make it due again and retry: delivered once.
    sqlx::query("UPDATE outbox SET next_at = 0")
        .execute(&state.db.pool)
        .await
        .expect("due");
    assert_eq!(
        reftrail_server::webhooks::deliver_due(&state, &client)
            .await
            .expect("round"),
        1
    );
    assert_eq!(
        reftrail_server::webhooks::deliver_due(&state, &client)
            .await
            .expect("round"),
        0
    );

    let got = inbox.got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    let (sig, body) = &got[0];
    let event: Value = serde_json::from_str(body).expect("json");
    assert_eq!(event["type"], "referral.created");
    assert_eq!(event["data"]["id"], sale["referral"]["id"]);
    let t: i64 = sig
        .split(',')
        .next()
        .and_then(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .expect("t=");
    assert_eq!(
        sig,
        &reftrail_server::webhooks::signature(&secret, t, body),
        "signature verifies"
    );
}
