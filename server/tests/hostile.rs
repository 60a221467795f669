//! Hostile input, generated: every write route, given malformed, wrongly typed, oversized,
//! injected and Unicode-edge input, answers a 4xx with the error shape (never a 5xx) and writes
//! nothing. A property test with a bounded number of cases (`PROPTEST_CASES`, default 48 per
//! property) over the router itself (`app(state)` with `oneshot`, no socket).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use reftrail_server::credentials::Pinned;
use reftrail_server::db::Db;
use reftrail_server::{app, AppState, HttpOptions};
use serde_json::{json, Value};
use sqlx::Row;
use tower::ServiceExt;

const SK: &str = "sk_test_hostile0123456789abcdef";
const PK: &str = "pk_test_hostile0123456789abcdef";

struct Fixture {
    rt: tokio::runtime::Runtime,
    state: AppState,
}

/// One database per property, made once: the cases of a property run one after another, so the
/// row counts before and after a case see only that case's writes.
macro_rules! fixture {
    () => {{
        static F: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
        F.get_or_init(new_fixture)
    }};
}

fn new_fixture() -> Fixture {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = std::env::temp_dir().join(format!(
        "reftrail-hostile-{}-{}",
        std::process::id(),
        reftrail_server::ids::random_base62(8)
    ));
    let url = format!("sqlite://{}", dir.join("db.sqlite").display());
    let state = rt.block_on(async {
        let db = Db::connect(&url, 4).await.expect("db");
        db.migrate().await.expect("migrate");
        let pinned = Pinned {
            secret_key: Some(SK.into()),
            publishable_key: Some(PK.into()),
            admin_password: Some("hostile-password".into()),
            cookie_secret: None,
        };
        reftrail_server::credentials::bootstrap(&db, &pinned).await.expect("bootstrap");
        let state = AppState::new(db, HttpOptions::default());
        let aff = json!({"id": "alice", "name": "Alice", "email": "alice@x.test", "coupons": ["ALICE10"]});
        let (s, _) = send(&state, "POST", "/v1/affiliates", Some(SK), aff.to_string()).await;
        assert_eq!(s, StatusCode::CREATED);
        let sale = json!({"order_id": "WC-1", "amount": 1000, "currency": "USD", "coupon": "ALICE10"});
        let (s, _) = send(&state, "POST", "/v1/sales", Some(SK), sale.to_string()).await;
        assert_eq!(s, StatusCode::CREATED);
        state
    });
    Fixture { rt, state }
}

async fn send(
    state: &AppState,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: String,
) -> (StatusCode, Value) {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("user-agent", "Mozilla/5.0 Chrome/126.0");
    if let Some(k) = key {
        b = b.header("authorization", format!("Bearer {k}"));
    }
    let res = app(state.clone())
        .oneshot(b.body(Body::from(body)).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

const TABLES: [&str; 12] = [
    "clicks",
    "orders",
    "leads",
    "referrals",
    "ledger",
    "refunds",
    "affiliates",
    "coupons",
    "idempotency",
    "outbox",
    "payouts",
    "api_keys",
];

async fn counts(state: &AppState) -> Vec<i64> {
    let mut out = Vec::new();
    for t in TABLES {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {t}")))
            .fetch_one(&state.db.pool)
            .await
            .expect("count");
        out.push(row.try_get::<i64, _>(0).expect("count"));
    }
    out
}

/// Values that have broken servers before.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("'; DROP TABLE orders; --")),
        Just(json!("\" OR 1=1 --")),
        Just(json!("<script>alert(document.cookie)</script>")),
        Just(json!("javascript:alert(1)")),
        Just(json!("a\r\nSet-Cookie: rt_session=x")),
        Just(json!("\u{0000}")),
        Just(json!("\u{202e}evil\u{202d}")),
        Just(json!("\u{feff}bom")),
        Just(json!("Ω≈ç√∫˜µ≤≥÷ 🧨👩‍👩‍👧")),
        Just(json!("x".repeat(70_000))),
        Just(json!("")),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!(9_007_199_254_740_993_i64)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(true)),
        Just(Value::Null),
        Just(json!([])),
        Just(json!({})),
        Just(json!({"$ne": 1})),
        "\\PC{0,40}".prop_map(Value::String),
        any::<i64>().prop_map(|n| json!(n)),
    ]
}

fn route() -> impl Strategy<Value = (&'static str, &'static str, Value)> {
    prop_oneof![
        Just((
            "POST",
            "/v1/clicks",
            json!({"affiliate": "alice", "url": "https://shop.test/", "referrer": "", "consent": "granted", "via": "query", "landing": "/", "campaign": {"utm_source": "x"}, "click_ids": {"gclid": "y"}})
        )),
        Just((
            "POST",
            "/v1/sales",
            json!({"order_id": "WC-2", "amount": 1000, "currency": "USD", "coupon": "ALICE10", "items": [{"sku": "A", "amount": 1000, "quantity": 1}], "customer": {"email_hash": "a".repeat(64)}, "touch": {"affiliate": "alice", "at": "2026-01-01T00:00:00Z"}})
        )),
        Just((
            "POST",
            "/v1/leads",
            json!({"event": "signup", "customer_id": "c1", "click_id": "c_x"})
        )),
        Just((
            "POST",
            "/v1/refunds",
            json!({"order_id": "WC-1", "amount": 100, "refund_id": "r1"})
        )),
        Just((
            "POST",
            "/v1/affiliates",
            json!({"id": "bob", "name": "Bob", "email": "bob@x.test", "category": "content"})
        )),
        Just((
            "PATCH",
            "/v1/affiliates/alice",
            json!({"name": "Alice", "category": "content"})
        )),
        Just((
            "PUT",
            "/v1/program",
            json!({"window_days": 30, "currency": "USD", "allowed_origins": ["https://shop.test"]})
        )),
        Just((
            "POST",
            "/v1/payouts",
            json!({"currency": "USD", "affiliates": ["alice"]})
        )),
        Just(("POST", "/v1/keys", json!({"kind": "publishable"}))),
        Just(("POST", "/v1/session", json!({"password": "wrong"}))),
    ]
}

/// Replaces the value at a random (possibly nested) key of `template`.
fn mutate(template: &Value, pick: usize, v: Value) -> Value {
    let mut t = template.clone();
    let mut paths: Vec<Vec<String>> = Vec::new();
    fn walk(v: &Value, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        if let Some(o) = v.as_object() {
            for (k, x) in o {
                let mut p = prefix.clone();
                p.push(k.clone());
                out.push(p.clone());
                walk(x, p, out);
            }
        }
    }
    walk(template, Vec::new(), &mut paths);
    if paths.is_empty() {
        return v;
    }
    let path = &paths[pick % paths.len()];
    let mut cur = &mut t;
    for (i, k) in path.iter().enumerate() {
        if i + 1 == path.len() {
            cur[k.as_str()] = v.clone();
            break;
        }
        cur = &mut cur[k.as_str()];
    }
    t
}

/// The pieces a CSV file is made of, hostile ones among them: separators of every kind, quotes,
/// a BOM, the import's column names, formulas, JSON fragments, any text.
fn csv_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            ",",
            ";",
            "\t",
            "\n",
            "\r\n",
            "\r",
            "\"",
            "\"\"",
            "\u{feff}",
            "id",
            "name",
            "email",
            "coupons",
            "sale_rate",
            "rate_type",
            "recruiter",
            "commission",
            "status",
            "alice",
            "ALICE",
            "=cmd|' /C calc'!A0",
            "12,5",
            "101",
            "{\"sale\":",
            "x@example.com",
            "payout_method",
            "vietqr",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9]{1,8}",
        "\\PC{0,12}",
    ]
}

/// A file: often with a header the import reads, then pieces.
fn csv_file() -> impl Strategy<Value = String> {
    (any::<bool>(), proptest::collection::vec(csv_piece(), 0..80)).prop_map(|(header, pieces)| {
        let head = if header {
            "id,name,email,coupons,sale_rate,recruiter\n"
        } else {
            ""
        };
        format!("{head}{}", pieces.concat())
    })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(48)
}

fn check(status: StatusCode, body: &Value) -> Result<(), TestCaseError> {
    prop_assert!(!status.is_server_error(), "5xx: {status} {body}");
    if status.is_client_error() {
        prop_assert!(
            body["error"]["code"]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "error shape: {body}"
        );
        prop_assert!(
            body["error"]["message"].as_str().is_some(),
            "error shape: {body}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// A hostile value in any field: a clear answer, and a refusal writes nothing.
    #[test]
    fn hostile_fields_are_refused_cleanly((method, path, template) in route(), pick in 0usize..64, v in hostile_value()) {
        let f = fixture!();
        let body = mutate(&template, pick, v);
        let (status, res, before, after) = f.rt.block_on(async {
            let before = counts(&f.state).await;
            let (status, res) = send(&f.state, method, path, Some(SK), body.to_string()).await;
            (status, res, before, counts(&f.state).await)
        });
        check(status, &res)?;
        if status.is_client_error() {
            prop_assert_eq!(before, after, "a refused request wrote something: {} {} -> {}", path, body, res);
        }
    }

    /// Arbitrary bytes as a body: never a 5xx, never a write.
    #[test]
    fn arbitrary_bytes_are_refused_cleanly((method, path, _t) in route(), bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let f = fixture!();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let (status, res, before, after) = f.rt.block_on(async {
            let before = counts(&f.state).await;
            let (status, res) = send(&f.state, method, path, Some(SK), body).await;
            (status, res, before, counts(&f.state).await)
        });
        check(status, &res)?;
        if status.is_client_error() {
            prop_assert_eq!(before, after);
        }
    }

    /// Any string as an affiliate id: accepted only when it is in the allow-list and exists.
    #[test]
    fn affiliate_ids_follow_the_allow_list(id in "\\PC{0,70}") {
        let f = fixture!();
        let body = json!({"affiliate": id, "url": "https://shop.test/", "consent": "granted"});
        let (status, res) = f.rt.block_on(send(&f.state, "POST", "/v1/clicks", None, body.to_string()));
        check(status, &res)?;
        // Links are read without regard to case: `Alice` is alice.
        let expected = if id.eq_ignore_ascii_case("alice") {
            StatusCode::CREATED
        } else if reftrail::affiliate::is_valid(&id) {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        prop_assert_eq!(status, expected, "{:?} -> {}", id, res);
    }

    /// Any file as an affiliates import: a clear answer; a dry run writes nothing, a refused
    /// import writes nothing, and an accepted one writes exactly the affiliates it counts.
    #[test]
    fn csv_imports_are_whole_or_nothing(file in csv_file()) {
        let f = fixture!();
        for path in ["/v1/affiliates.csv?dry_run=true", "/v1/affiliates.csv"] {
            let (status, res, before, after) = f.rt.block_on(async {
                let before = counts(&f.state).await;
                let (status, res) = send(&f.state, "POST", path, Some(SK), file.clone()).await;
                (status, res, before, counts(&f.state).await)
            });
            check(status, &res)?;
            let affiliates = TABLES.iter().position(|t| *t == "affiliates").expect("affiliates");
            let added = after[affiliates] - before[affiliates];
            if status.is_success() && !path.contains("dry_run") {
                prop_assert_eq!(Some(added), res["created"].as_i64(), "{:?} -> {}", file, res);
            } else {
                prop_assert_eq!(&before, &after, "{} wrote something: {:?} -> {}", path, file, res);
            }
        }
    }

    /// Any amount and currency: a sale is accepted only with a valid one, and then its
    /// commission is exactly 10 % rounded half to even.
    #[test]
    fn sale_amounts_are_exact(amount in prop_oneof![any::<i64>(), 0i64..10_000_000], currency in "[A-Za-z]{2,4}") {
        let f = fixture!();
        let body = json!({"order_id": format!("P-{amount}-{currency}"), "amount": amount, "currency": currency, "coupon": "alice10"});
        let (status, res) = f.rt.block_on(send(&f.state, "POST", "/v1/sales", Some(SK), body.to_string()));
        check(status, &res)?;
        let valid = (0..=(1i64 << 53) - 1).contains(&amount) && currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
        if valid {
            prop_assert!(status == StatusCode::CREATED || status == StatusCode::OK, "{status} {res}");
            let tenth = amount / 10;
            let rem = amount % 10;
            let expected = if rem > 5 || (rem == 5 && tenth % 2 == 1) { tenth + 1 } else { tenth };
            prop_assert_eq!(res["referral"]["commission"].as_i64(), Some(expected));
        } else {
            prop_assert_eq!(status, StatusCode::BAD_REQUEST);
        }
    }
}

#[test]
fn headers_with_junk_are_refused_cleanly() {
    let f = fixture!();
    f.rt.block_on(async {
        for auth in [
            "Bearer",
            "Bearer sk_",
            "Token abc",
            "Bearer sk_' OR '1'='1",
            &format!("Bearer sk_{}", "x".repeat(5000)),
        ] {
            let req = Request::builder()
                .method("GET")
                .uri("/v1/affiliates")
                .header(
                    "authorization",
                    axum::http::HeaderValue::from_bytes(auth.as_bytes()).expect("header"),
                )
                .body(Body::empty())
                .expect("request");
            let res = app(f.state.clone()).oneshot(req).await.expect("response");
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        }
        let req = Request::builder()
            .method("POST")
            .uri("/v1/sales")
            .header("authorization", format!("Bearer {SK}"))
            .header("content-type", "application/json")
            .header(
                "idempotency-key",
                axum::http::HeaderValue::from_bytes(b"k\xffey").expect("header"),
            )
            .body(Body::from(
                json!({"order_id": "H-1", "amount": 1, "currency": "USD"}).to_string(),
            ))
            .expect("request");
        let res = app(f.state.clone()).oneshot(req).await.expect("response");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    });
}
