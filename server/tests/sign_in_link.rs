//! The portal's sign-in by email, end to end on loopback: the link goes out through a real
//! SMTP exchange (a small receiver in this test), its code signs in once, the session opens
//! `/v1/me` and nothing else, and the answer never tells whether an address is known.

use axum::http::StatusCode;
use reftrail_server::mail::Mailer;
use reftrail_server::{AppState, HttpOptions};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

mod support;

use support::{body_of, smtp_sink, SK};

async fn call(
    state: &AppState,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    support::call_as(state, auth, method, path, body).await
}

async fn state_with(mail: Option<Mailer>) -> AppState {
    support::fresh_state(HttpOptions {
        mail,
        ..HttpOptions::default()
    })
    .await
}

/// A server that mails through a fresh SMTP sink, its program changed by `program` (field,
/// value) pairs; returns it with the sink's inbox.
async fn mailing_server(
    from: &str,
    public_url: &str,
    program: &[(&str, Value)],
) -> (AppState, Arc<Mutex<Vec<String>>>) {
    let (port, inbox) = smtp_sink().await;
    let mailer =
        Mailer::new(&format!("smtp://127.0.0.1:{port}"), from, public_url).expect("mailer");
    let state = state_with(Some(mailer)).await;
    let (_, mut current) = call(&state, "GET", "/v1/program", Some(SK), json!(null)).await;
    for (field, value) in program {
        current[*field] = value.clone();
    }
    let (s, answer) = call(&state, "PUT", "/v1/program", Some(SK), current).await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    (state, inbox)
}

/// Asks for a sign-in link for `email`, as the portal's form does.
async fn ask_link(state: &AppState, email: &str) -> (StatusCode, Value) {
    let body = json!({ "email": email });
    call(state, "POST", "/v1/portal/sign-in-link", None, body).await
}

/// Exchanges a link's code for a session.
async fn exchange(state: &AppState, code: &str) -> (StatusCode, Value) {
    let body = json!({ "code": code });
    call(state, "POST", "/v1/portal/session", None, body).await
}

/// The code in the one sign-in link of `message`.
fn code_in(message: &str) -> String {
    let text = body_of(message);
    let at = text.find("/portal/#code=").expect("a link in the message") + "/portal/#code=".len();
    text[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

#[tokio::test]
async fn a_link_by_email_signs_the_affiliate_in_once() {
    let (state, inbox) = mailing_server(
        "Shop affiliates <affiliates@shop.test>",
        "https://track.shop.test",
        &[("name", json!("Cửa hàng An")), ("locale", json!("vi"))],
    )
    .await;
    for (id, email, status) in [
        ("alice", "Alice@Example.com", "approved"),
        ("bob", "bob@example.com", "approved"),
        ("mallory", "mallory@example.com", "suspended"),
    ] {
        let (s, _) = call(
            &state,
            "POST",
            "/v1/affiliates",
            Some(SK),
            json!({"id": id, "name": id, "email": email, "status": status}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{id}");
    }

    // Known, unknown and suspended addresses get the same answer; only alice gets mail.
    let mut answers = Vec::new();
    for email in [
        "alice@example.com",
        "nobody@example.com",
        "mallory@example.com",
    ] {
        answers.push(ask_link(&state, email).await);
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    let mail = inbox.lock().expect("lock").clone();
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(
        mail[0]
            .to_ascii_lowercase()
            .contains("\nto: alice@example.com\n"),
        "{}",
        mail[0]
    );
    let text = body_of(&mail[0]);
    assert!(text.starts_with("Xin chào alice,"), "{text}");
    assert!(
        text.contains("Cửa hàng An") && text.contains("https://track.shop.test/portal/#code="),
        "{text}"
    );
    let code = code_in(&mail[0]);
    assert_eq!(code.len(), 32);

    // The code signs in once; the session opens alice's /v1/me and no merchant route.
    let (s, session) = exchange(&state, &code).await;
    assert_eq!(s, StatusCode::CREATED, "{session}");
    assert_eq!(session["affiliate"], "alice");
    let token = session["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("as_"));
    let (s, me) = call(&state, "GET", "/v1/me", Some(&token), json!(null)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["affiliate"]["id"], "alice");
    assert_eq!(
        call(&state, "GET", "/v1/affiliates", Some(&token), json!(null))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, again) = exchange(&state, &code).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{again}");

    // Suspending alice closes her session.
    let (s, _) = call(
        &state,
        "PATCH",
        "/v1/affiliates/alice",
        Some(SK),
        json!({"status": "suspended"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        call(&state, "GET", "/v1/me", Some(&token), json!(null))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    // At most three live links per affiliate: the fourth request sends nothing.
    for _ in 0..4 {
        assert_eq!(
            ask_link(&state, "bob@example.com").await.0,
            StatusCode::ACCEPTED
        );
    }
    assert_eq!(inbox.lock().expect("lock").len(), 1 + 3);

    // An expired code no longer works.
    let bob_code = code_in(inbox.lock().expect("lock").last().expect("bob's mail"));
    sqlx::query("UPDATE portal_links SET expires_at = 0")
        .execute(&state.db.pool)
        .await
        .expect("expire");
    assert_eq!(
        exchange(&state, &bob_code).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_message_follows_the_program_language() {
    let (state, inbox) = mailing_server(
        "a@shop.test",
        "http://127.0.0.1:9",
        &[("locale", json!("th"))],
    )
    .await;
    call(
        &state,
        "POST",
        "/v1/affiliates",
        Some(SK),
        json!({"id": "somchai", "name": "Somchai", "email": "s@example.co.th"}),
    )
    .await;
    assert_eq!(
        ask_link(&state, "s@example.co.th").await.0,
        StatusCode::ACCEPTED
    );
    let mail = inbox.lock().expect("lock").clone();
    assert_eq!(mail.len(), 1);
    // The Thai subject travels RFC 2047-encoded; the body says the link in full.
    let text = body_of(&mail[0]);
    assert!(text.starts_with("สวัสดี Somchai,"), "{text}");
    assert!(text.contains("http://127.0.0.1:9/portal/#code="), "{text}");
    assert!(mail[0].contains("Subject: =?utf-8?"), "{}", mail[0]);
}

#[tokio::test]
async fn bad_requests_are_refused_and_a_server_without_mail_says_so() {
    let state = state_with(None).await;
    let (s, e) = ask_link(&state, "a@b.co").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "email_sign_in_off");
    for body in [
        json!({"email": "not-an-address"}),
        json!({"email": "a@b.co\r\nBcc: x@y.z"}),
        json!({"email": 5}),
        json!({"email": "a@b.co", "extra": 1}),
    ] {
        let (s, e) = call(
            &state,
            "POST",
            "/v1/portal/sign-in-link",
            None,
            body.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {e}");
    }
    for body in [
        json!({"code": ""}),
        json!({"code": "x' OR 1=1 --"}),
        json!({"code": "a".repeat(65)}),
        json!({}),
    ] {
        let (s, e) = call(&state, "POST", "/v1/portal/session", None, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {e}");
    }
    let (s, _) = exchange(&state, "abc123").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call(
            &state,
            "GET",
            "/v1/me",
            Some("as_forged0123456789"),
            json!(null)
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
}
