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
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
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
    send(state, req.body(body).expect("request")).await
}

/// `req` through the router: the status and the JSON answer (`null` when not JSON).
pub async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
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

/// [`call_as`] with the secret key.
pub async fn call(state: &AppState, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call_as(state, Some(SK), method, path, body).await
}

/// A minimal SMTP receiver: keeps each message's DATA.
pub async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = tcp.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            kept.lock().expect("lock").push(std::mem::take(body));
                            data = None;
                            let _ = write.write_all(b"250 kept\r\n").await;
                        } else {
                            body.push_str(line.strip_prefix('.').unwrap_or(&line));
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink.test\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, inbox)
}

/// The text of `message`: its body, decoded from base64 or quoted-printable (the mailer picks
/// one for non-ASCII text).
pub fn body_of(message: &str) -> String {
    use base64::Engine as _;
    let (head, body) = message.split_once("\n\n").expect("headers, then the body");
    let head = head.to_ascii_lowercase();
    if head.contains("content-transfer-encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(joined)
            .expect("base64 body");
        String::from_utf8(bytes).expect("utf-8 body")
    } else if head.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\r\n", "").replace("=\n", "");
        let mut bytes = Vec::new();
        let mut rest = joined.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            let hex = tail.get(..2).and_then(|h| std::str::from_utf8(h).ok());
            match (b, hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'=', Some(v)) => {
                    bytes.push(v);
                    rest = &tail[2..];
                }
                _ => {
                    bytes.push(b);
                    rest = tail;
                }
            }
        }
        String::from_utf8(bytes).expect("utf-8 body")
    } else {
        body.to_owned()
    }
}
