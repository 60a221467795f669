//! What the in-process server tests share: a server state on a fresh SQLite file of its own,
//! and JSON calls through the router (`oneshot`), as a browser-like client would make them.

// Each test binary uses part of this module.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use reftrail_server::credentials::Pinned;
use reftrail_server::db::Db;
use reftrail_server::{app, AppState, HttpOptions};
use serde_json::Value;
use tower::ServiceExt;

/// The secret key every state here is created with.
pub const SK: &str = "sk_test_inprocess0123456789abcdef";

/// A migrated database in a new temporary directory, with [`SK`] and the rest of `pinned`.
pub async fn fresh_db(pinned: Pinned) -> Db {
    let dir = std::env::temp_dir().join(format!(
        "reftrail-test-{}",
        reftrail_server::ids::random_base62(10)
    ));
    let db = Db::connect(&format!("sqlite://{}", dir.join("db.sqlite").display()), 4)
        .await
        .expect("db");
    db.migrate().await.expect("migrate");
    let pinned = Pinned {
        secret_key: Some(SK.into()),
        ..pinned
    };
    reftrail_server::credentials::bootstrap(&db, &pinned)
        .await
        .expect("bootstrap");
    db
}

/// A server state over a fresh database.
pub async fn fresh_state(http: HttpOptions) -> AppState {
    AppState::new(fresh_db(Pinned::default()).await, http)
}

/// `method path` with `body` (none when `null`) as JSON, with `Authorization: Bearer auth`
/// when given; the status and the JSON answer (`null` when not JSON).
pub async fn call_as(
    state: &AppState,
    auth: Option<&str>,
    method: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("user-agent", "Mozilla/5.0 Chrome/126.0");
    if let Some(a) = auth {
        req = req.header("authorization", format!("Bearer {a}"));
    }
    let body = if body.is_null() {
        Body::empty()
    } else {
        Body::from(body.to_string())
    };
    let res = app(state.clone())
        .oneshot(req.body(body).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// [`call_as`] with the secret key.
pub async fn call(state: &AppState, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call_as(state, Some(SK), method, path, body).await
}
