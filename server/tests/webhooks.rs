//! Webhooks end to end on loopback: a sale queues `referral.created` in the outbox in the same
//! transaction; the worker's delivery round POSTs it, signed, to a receiver; a failing receiver
//! gets the event again later (the row stays due with a backoff), and nothing is lost.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use reftrail_server::{AppState, HttpOptions};
use serde_json::{json, Value};
use sqlx::Row;
use std::sync::{Arc, Mutex};

mod support;

use support::call;

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

/// A receiver of `POST /hook` into `inbox`, on a free loopback port; returns its address.
async fn start_receiver(inbox: &Inbox) -> std::net::SocketAddr {
    let receiver = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    addr
}

/// A fresh server state on its own SQLite file whose program sends `referral.created` to
/// `hook`, with one sale already queued for it; returns the state, the signing secret and the
/// sale's answer.
async fn program_with_hook(hook: &str) -> (AppState, String, Value) {
    let state = support::fresh_state(HttpOptions::default()).await;

    let (s, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    assert_eq!(s, StatusCode::OK);
    let secret = program["webhook_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    program["webhooks"] = json!([{"url": hook, "events": ["referral.created"]}]);
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

    (state, secret, sale)
}

/// Runs one delivery round; returns how many events were delivered.
async fn round(state: &AppState, client: &reqwest::Client) -> usize {
    reftrail_server::webhooks::deliver_due(state, client)
        .await
        .expect("round")
}

/// The one queued event's attempts and last error; whether it was delivered.
async fn outbox_row(state: &AppState) -> (i64, Option<String>, bool) {
    let row = sqlx::query("SELECT attempts, last_error, delivered_at FROM outbox")
        .fetch_one(&state.db.pool)
        .await
        .expect("row");
    (
        row.try_get(0).expect("attempts"),
        row.try_get(1).expect("last_error"),
        row.try_get::<Option<i64>, _>(2)
            .expect("delivered_at")
            .is_some(),
    )
}

/// Makes every queued event due now.
async fn make_due(state: &AppState) {
    sqlx::query("UPDATE outbox SET next_at = 0")
        .execute(&state.db.pool)
        .await
        .expect("due");
}

#[tokio::test]
async fn events_are_signed_delivered_and_retried() {
    let inbox = Inbox::default();
    *inbox.fail_first.lock().expect("lock") = 1;
    let addr = start_receiver(&inbox).await;

    let (state, secret, sale) = program_with_hook(&format!("http://{addr}/hook")).await;

    let client = reqwest::Client::new();
    // First attempt: the receiver fails; the event stays queued with a backoff.
    assert_eq!(round(&state, &client).await, 0);
    let (attempts, _, delivered) = outbox_row(&state).await;
    assert_eq!((attempts, delivered), (1, false));
    // Make it due again and retry: delivered once.
    make_due(&state).await;
    assert_eq!(round(&state, &client).await, 1);
    assert_eq!(round(&state, &client).await, 0);

    let got = inbox.got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    let (sig, body) = &got[0];
    let event: Value = serde_json::from_str(body).expect("json");
    assert_eq!(event["type"], "referral.created");
    assert_eq!(event["data"]["id"], sale["referral"]["id"]);
    assert_signed(sig, body, &secret);
}

#[tokio::test]
async fn a_bonus_given_and_cancelled_is_told_to_the_endpoints_that_want_it() {
    let inbox = Inbox::default();
    let addr = start_receiver(&inbox).await;
    let (state, secret, _) = program_with_hook(&format!("http://{addr}/hook")).await;
    let (_, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    program["webhooks"] = json!([{"url": format!("http://{addr}/hook"), "events": ["bonus.created", "bonus.cancelled"]}]);
    let (s, body) = call(&state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    sqlx::query("DELETE FROM outbox")
        .execute(&state.db.pool)
        .await
        .expect("the sale's event is not this test's");

    let bonus =
        json!({"affiliate": "alice", "amount": 2_500, "currency": "USD", "reason": "Launch week"});
    let (s, given) = call(&state, "POST", "/v1/bonuses", bonus).await;
    assert_eq!(s, StatusCode::CREATED, "{given}");
    let id = given["id"].as_str().expect("id").to_owned();
    let (s, cancelled) = call(
        &state,
        "POST",
        &format!("/v1/bonuses/{id}/cancel"),
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{cancelled}");

    let client = reqwest::Client::new();
    assert_eq!(round(&state, &client).await, 2);
    let got = inbox.got.lock().expect("lock").clone();
    let events: Vec<Value> = got
        .iter()
        .map(|(sig, body)| {
            assert_signed(sig, body, &secret);
            serde_json::from_str(body).expect("json")
        })
        .collect();
    let mut kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["bonus.cancelled", "bonus.created"]);
    for e in &events {
        assert_eq!(e["data"]["id"], id.as_str());
        assert_eq!(e["data"]["amount"], 2_500);
    }
    let created = events
        .iter()
        .find(|e| e["type"] == "bonus.created")
        .expect("created");
    assert_eq!(created["data"], given);
    let gone = events
        .iter()
        .find(|e| e["type"] == "bonus.cancelled")
        .expect("cancelled");
    assert_eq!(gone["data"], cancelled);
}

#[tokio::test]
async fn a_recruiters_share_is_told_with_the_referral_it_follows() {
    let inbox = Inbox::default();
    let addr = start_receiver(&inbox).await;
    let (state, secret, _) = program_with_hook(&format!("http://{addr}/hook")).await;
    let (_, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    program["recruiter_rate_bps"] = json!(2000);
    program["webhooks"] = json!([{"url": format!("http://{addr}/hook"),
        "events": ["referral.created", "recruiter_commission.created"]}]);
    let (s, body) = call(&state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let recruit = json!({"id": "minh", "name": "Minh", "coupons": ["M10"], "recruiter": "alice"});
    let (s, body) = call(&state, "POST", "/v1/affiliates", recruit).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    sqlx::query("DELETE FROM outbox")
        .execute(&state.db.pool)
        .await
        .expect("the first sale's event is not this test's");
    let (s, sale) = call(
        &state,
        "POST",
        "/v1/sales",
        json!({"order_id": "W-2", "amount": 50_000, "currency": "USD", "coupon": "M10"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{sale}");

    let client = reqwest::Client::new();
    assert_eq!(round(&state, &client).await, 2);
    let events: Vec<Value> = sqlx::query("SELECT payload FROM outbox ORDER BY id")
        .fetch_all(&state.db.pool)
        .await
        .expect("outbox")
        .iter()
        .map(|r| serde_json::from_str(&r.get::<String, _>(0)).expect("json"))
        .collect();
    let mut kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["recruiter_commission.created", "referral.created"]);
    let share = &events
        .iter()
        .find(|e| e["type"] == "recruiter_commission.created")
        .expect("the share's event")["data"];
    assert_eq!(
        (
            share["affiliate"].as_str(),
            share["recruit"].as_str(),
            share["referral"].as_str()
        ),
        (Some("alice"), Some("minh"), sale["referral"]["id"].as_str())
    );
    // 20 % of minh's 10 % of 50,000.
    assert_eq!(
        (share["amount"].as_i64(), share["rate_bps"].as_i64()),
        (Some(1_000), Some(2_000))
    );
    for (sig, body) in inbox.got.lock().expect("lock").iter() {
        assert_signed(sig, body, &secret);
    }
}

/// A test CA and a certificate it signed for 127.0.0.1: (CA PEM, leaf DER, leaf key DER).
fn test_pki() -> (String, Vec<u8>, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Reftrail test CA");
    let ca = ca.self_signed(&ca_key).expect("CA");
    let key = KeyPair::generate().expect("key");
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    leaf.subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    let leaf = leaf.signed_by(&key, &ca, &ca_key).expect("leaf");
    (ca.pem(), leaf.der().to_vec(), key.serialize_der())
}

/// An https receiver on loopback: answers every request `204` and keeps (signature, body).
async fn https_receiver(cert: Vec<u8>, key: Vec<u8>) -> (std::net::SocketAddr, Inbox) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio_rustls::rustls::{crypto::ring, ServerConfig};
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let inbox = Inbox::default();
    let got = inbox.got.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            // A client that refuses the certificate ends the handshake: nothing to keep.
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, body) = loop {
                let n = tls.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (String::new(), String::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break (head.to_owned(), body.to_owned());
                    }
                }
            };
            let sig = head
                .lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case("reftrail-signature"))
                        .map(|(_, v)| v.trim().to_owned())
                })
                .unwrap_or_default();
            got.lock().expect("lock").push((sig, body));
            let _ = tls
                .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                .await;
            let _ = tls.shutdown().await;
        }
    });
    (addr, inbox)
}

#[tokio::test]
async fn events_reach_an_https_endpoint_whose_certificate_verifies() {
    let (ca_pem, cert, key) = test_pki();
    let (addr, inbox) = https_receiver(cert, key).await;
    let (state, secret, sale) = program_with_hook(&format!("https://{addr}/hook")).await;
    let ca_file = std::env::temp_dir().join(format!(
        "reftrail-webhook-ca-{}.pem",
        reftrail_server::ids::random_base62(8)
    ));
    std::fs::write(&ca_file, &ca_pem).expect("CA file");

    // Without the CA the certificate is unknown: nothing is sent, the event waits.
    let plain = reftrail_server::webhooks::client(None).expect("client");
    assert_eq!(round(&state, &plain).await, 0);
    assert!(inbox.got.lock().expect("lock").is_empty());
    let (attempts, error, delivered) = outbox_row(&state).await;
    assert_eq!((attempts, delivered), (1, false));
    assert!(error.is_some(), "the failure is kept");

    // With it (`--webhook-ca-file`), the retry is delivered over TLS, signed.
    make_due(&state).await;
    let trusting = reftrail_server::webhooks::client(Some(&ca_file)).expect("client");
    assert_eq!(round(&state, &trusting).await, 1);
    let got = inbox.got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    let (sig, body) = &got[0];
    let event: Value = serde_json::from_str(body).expect("json");
    assert_eq!(event["type"], "referral.created");
    assert_eq!(event["data"]["id"], sale["referral"]["id"]);
    assert_signed(sig, body, &secret);

    // A CA file that holds no certificate stops the start with a clear error.
    std::fs::write(&ca_file, "not a certificate").expect("write");
    let err = reftrail_server::webhooks::client(Some(&ca_file))
        .expect_err("a file without certificates is refused");
    assert!(err.to_string().contains("no PEM certificate"), "{err}");
    let _ = std::fs::remove_file(&ca_file);
}

/// `sig` is the HMAC of `body` with `secret` at the time it names.
fn assert_signed(sig: &str, body: &str, secret: &str) {
    let t: i64 = sig
        .split(',')
        .next()
        .and_then(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .expect("t=");
    assert_eq!(
        sig,
        reftrail_server::webhooks::signature(secret, t, body),
        "signature verifies"
    );
}

#[tokio::test]
async fn an_application_is_told_to_the_endpoints_that_want_it() {
    let inbox = Inbox::default();
    let addr = start_receiver(&inbox).await;
    let (state, secret, _) = program_with_hook(&format!("http://{addr}/hook")).await;
    let (_, mut program) = call(&state, "GET", "/v1/program", json!(null)).await;
    program["webhooks"] =
        json!([{"url": format!("http://{addr}/hook"), "events": ["affiliate.applied"]}]);
    program["applications"] = json!("review");
    let (s, body) = call(&state, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    sqlx::query("DELETE FROM outbox")
        .execute(&state.db.pool)
        .await
        .expect("earlier events are not this test's");

    let application =
        json!({"name": "Ngọc Anh", "email": "ngoc@apply.test", "website": "https://ngoc.test"});
    let (s, body) = support::call_as(
        &state,
        None,
        "POST",
        "/v1/portal/applications",
        application.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    // A second application from a known address makes no affiliate, so no event.
    let (s, _) =
        support::call_as(&state, None, "POST", "/v1/portal/applications", application).await;
    assert_eq!(s, StatusCode::ACCEPTED);

    let client = reqwest::Client::new();
    assert_eq!(round(&state, &client).await, 1);
    let got = inbox.got.lock().expect("lock").clone();
    let (sig, body) = &got[0];
    assert_signed(sig, body, &secret);
    let event: Value = serde_json::from_str(body).expect("json");
    assert_eq!(event["type"], "affiliate.applied");
    assert_eq!(event["data"]["id"], "ngoc-anh");
    assert_eq!(event["data"]["status"], "pending");
    assert_eq!(event["data"]["application"]["website"], "https://ngoc.test");
}
