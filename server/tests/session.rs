//! Sign-in throttling: ten failures from one address in 15 minutes answer 429, even for the
//! right password, until the window passes; other addresses are not locked out.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use reftrail_server::credentials::Pinned;
use reftrail_server::{app, AppState, HttpOptions};
use serde_json::json;
use tower::ServiceExt;

mod support;

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

/// A server behind one trusted proxy, whose admin password is `the-right-password`.
async fn behind_one_proxy() -> AppState {
    let db = support::fresh_db(Pinned {
        admin_password: Some("the-right-password".into()),
        ..Pinned::default()
    })
    .await;
    AppState::new(
        db,
        HttpOptions {
            trusted_proxies: 1,
            ..HttpOptions::default()
        },
    )
}

#[tokio::test]
async fn failures_are_throttled_per_address() {
    let state = behind_one_proxy().await;
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

#[tokio::test]
async fn an_address_the_client_writes_itself_does_not_escape_the_throttle() {
    let state = behind_one_proxy().await;
    // Each guess claims another address; the proxy appends the one it saw.
    for i in 0..10 {
        let header = format!("198.18.0.{i}, 203.0.113.7");
        assert_eq!(
            login(&state, &header, "guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&state, "198.18.0.99, 203.0.113.7", "the-right-password").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
