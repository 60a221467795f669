//! Sign-in throttling: ten failures from one address in 15 minutes answer 429, even for the
//! right password, until the window passes; other addresses are not locked out.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use reftrail_server::credentials::Pinned;
use reftrail_server::db::Db;
use reftrail_server::{app, AppState, HttpOptions};
use serde_json::json;
use tower::ServiceExt;

async fn login(state: &AppState, from: &str, password: &str) -> StatusCode {
    let req = Request::builder()
        .method("POST")
        .uri("/v1/session")
        .header("content-type", "application/json")
        .header("x-forwarded-for", from)
        .body(Body::from(json!({"password": password}).to_string()))
        .expect("request");
    app(state.clone())
        .oneshot(req)
        .await
        .expect("response")
        .status()
}

#[tokio::test]
async fn failures_are_throttled_per_address() {
    let dir = std::env::temp_dir().join(format!(
        "reftrail-session-{}",
        reftrail_server::ids::random_base62(8)
    ));
    let db = Db::connect(&format!("sqlite://{}", dir.join("db.sqlite").display()), 4)
        .await
        .expect("db");
    db.migrate().await.expect("migrate");
    let pinned = Pinned {
        admin_password: Some("the-right-password".into()),
        ..Pinned::default()
    };
    reftrail_server::credentials::bootstrap(&db, &pinned)
        .await
        .expect("bootstrap");
    let state = AppState::new(
        db,
        HttpOptions {
            trust_proxy: true,
            ..HttpOptions::default()
        },
    );
    for _ in 0..10 {
        assert_eq!(
            login(&state, "203.0.113.7", "guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&state, "203.0.113.7", "the-right-password").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login(&state, "198.51.100.2", "the-right-password").await,
        StatusCode::CREATED
    );
}
