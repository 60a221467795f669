//! The suite's connection to a server: base URL, credentials, a client, and helpers.

use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The allowed browser origin the suite configures.
pub const ORIGIN: &str = "https://www.shop.test";
/// A browser user agent.
pub const BROWSER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

/// Where the server is and how to call it.
pub struct Env {
    /// Base URL without a trailing slash.
    pub base: String,
    /// `sk_…`.
    pub sk: String,
    /// `pk_…`.
    pub pk: String,
    /// The admin password.
    pub password: String,
    /// A run-unique suffix.
    pub run: String,
}

static ENV: OnceLock<Env> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The suite's environment, set up once (in a thread of its own, so any test runtime may call it).
pub fn env() -> &'static Env {
    ENV.get_or_init(|| {
        std::thread::spawn(setup)
            .join()
            .expect("suite setup failed")
    })
}

fn setup() -> Env {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let run = format!(
        "{:x}",
        (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
    );
    let env = match std::env::var("REFTRAIL_BASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
    {
        Some(base) => Env {
            base: base.trim_end_matches('/').to_owned(),
            sk: std::env::var("REFTRAIL_SECRET_KEY").expect("REFTRAIL_SECRET_KEY"),
            pk: std::env::var("REFTRAIL_PUBLISHABLE_KEY").expect("REFTRAIL_PUBLISHABLE_KEY"),
            password: std::env::var("REFTRAIL_ADMIN_PASSWORD").expect("REFTRAIL_ADMIN_PASSWORD"),
            run,
        },
        None => in_process(run),
    };
    rt.block_on(configure(&env));
    env
}

/// Starts the Rust server in this process on a private SQLite file.
fn in_process(run: String) -> Env {
    let dir = std::env::temp_dir().join(format!("reftrail-contract-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("reftrail.db").display());
    let sk = format!("sk_test_{run}0123456789abcdef");
    let pk = format!("pk_test_{run}0123456789abcdef");
    let password = "contract-admin-password".to_owned();
    let pinned = reftrail_server::credentials::Pinned {
        secret_key: Some(sk.clone()),
        publishable_key: Some(pk.clone()),
        admin_password: Some(password.clone()),
        cookie_secret: None,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let db = reftrail_server::db::Db::connect(&url, 8)
                .await
                .expect("database");
            db.migrate().await.expect("migrate");
            reftrail_server::credentials::bootstrap(&db, &pinned)
                .await
                .expect("credentials");
            // The suite's trackers listen on loopback.
            let http = reftrail_server::HttpOptions {
                postbacks_to_private: true,
                ..Default::default()
            };
            let state = reftrail_server::AppState::new(db, http);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            let app = reftrail_server::app(state);
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("serve");
        });
    });
    let addr = rx.recv().expect("server address");
    Env {
        base: format!("http://{addr}"),
        sk,
        pk,
        password,
        run,
    }
}

async fn configure(env: &Env) {
    let c = client();
    let r = c
        .get(format!("{}/v1/program", env.base))
        .bearer_auth(&env.sk)
        .send()
        .await
        .expect("GET /v1/program");
    assert_eq!(r.status(), 200, "GET /v1/program with the secret key");
    let mut p: Value = r.json().await.expect("program JSON");
    p["allowed_origins"] = json!([ORIGIN]);
    p["hold_days"] = json!(0);
    p["auto_approve"] = json!(true);
    p["window_days"] = json!(30);
    p["currency"] = json!("VND");
    p["min_payout"] = json!(0);
    p["commission"] =
        json!({"sale": {"type": "percent", "rate_bps": 1000}, "lead": {"VND": 20000, "USD": 100}});
    p["fraud"]["clicks_per_ip_per_hour"] = json!(100_000_000);
    p["fraud"]["conversion_rate_min_clicks"] = json!(100_000_000);
    let r = c
        .put(format!("{}/v1/program", env.base))
        .bearer_auth(&env.sk)
        .json(&p)
        .send()
        .await
        .expect("PUT /v1/program");
    let status = r.status();
    assert_eq!(
        status,
        200,
        "PUT /v1/program: {}",
        r.text().await.unwrap_or_default()
    );
}

/// Held by the tests that change the program's settings and depend on them, one at a time.
pub async fn program_lock() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

/// A client that keeps no cookies.
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A run-unique id: `prefix` + run + counter, in the affiliate-id charset.
pub fn uid(prefix: &str) -> String {
    format!(
        "{prefix}{}{}",
        env().run,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// An answer.
pub struct Res {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as JSON (`Null` when not JSON).
    pub json: Value,
    /// Body as text.
    pub text: String,
}

impl Res {
    /// Asserts the status and the error shape with `code`.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "status; body: {}", self.text);
        assert_eq!(
            self.json["error"]["code"], code,
            "error code; body: {}",
            self.text
        );
        assert!(
            self.json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error message; body: {}",
            self.text
        );
    }

    /// Asserts the status.
    #[track_caller]
    pub fn status(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "status; body: {}", self.text);
        self
    }

    /// Asserts a CSV download: `text/csv`, an attachment called `filename`.
    #[track_caller]
    pub fn csv_download(&self, filename: &str) {
        self.status(200);
        let header = |name: &str| {
            self.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (content_type, disposition) = (header("content-type"), header("content-disposition"));
        assert!(content_type.starts_with("text/csv"), "{content_type}");
        assert!(
            disposition.starts_with("attachment") && disposition.contains(filename),
            "{disposition}"
        );
    }

    /// A `Set-Cookie` header that sets `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

/// Who calls.
#[derive(Clone, Debug)]
pub enum As {
    /// No credentials.
    Nobody,
    /// The secret key.
    Secret,
    /// The publishable key (in the header).
    Publishable,
    /// A bearer token.
    Bearer(String),
    /// A dashboard session: (cookie value, CSRF token or none).
    Session(String, Option<String>),
}

/// A request builder.
pub struct Req {
    method: Method,
    path: String,
    who: As,
    body: Option<(Vec<u8>, &'static str)>,
    headers: Vec<(String, String)>,
}

/// Starts a request.
pub fn req(method: &str, path: &str) -> Req {
    Req {
        method: Method::from_bytes(method.as_bytes()).expect("method"),
        path: path.to_owned(),
        who: As::Nobody,
        body: None,
        headers: Vec::new(),
    }
}

impl Req {
    /// Calls as `who`.
    pub fn who(mut self, who: As) -> Self {
        self.who = who;
        self
    }
    /// Calls with the secret key.
    pub fn sk(self) -> Self {
        self.who(As::Secret)
    }
    /// A JSON body.
    pub fn json(mut self, v: &Value) -> Self {
        self.body = Some((v.to_string().into_bytes(), "application/json"));
        self
    }
    /// A raw body with a content type.
    pub fn raw(self, body: impl Into<String>, content_type: &'static str) -> Self {
        self.bytes(body.into().into_bytes(), content_type)
    }
    /// A body of bytes (not necessarily UTF-8) with a content type.
    pub fn bytes(mut self, body: Vec<u8>, content_type: &'static str) -> Self {
        self.body = Some((body, content_type));
        self
    }
    /// A header.
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }
    /// The browser's `Origin` and user agent.
    pub fn browser(self) -> Self {
        self.header("origin", ORIGIN)
            .header("user-agent", BROWSER_UA)
    }
    /// Sends it.
    pub async fn send(self) -> Res {
        let e = env();
        let mut b = client().request(self.method, format!("{}{}", e.base, self.path));
        match &self.who {
            As::Nobody => {}
            As::Secret => b = b.bearer_auth(&e.sk),
            As::Publishable => b = b.bearer_auth(&e.pk),
            As::Bearer(t) => b = b.bearer_auth(t),
            As::Session(cookie, csrf) => {
                b = b.header("cookie", format!("rt_session={cookie}"));
                if let Some(c) = csrf {
                    b = b.header("x-csrf-token", c);
                }
            }
        }
        let has_ua = self.headers.iter().any(|(k, _)| k == "user-agent");
        if !has_ua {
            b = b.header("user-agent", "reftrail-contract/1");
        }
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some((body, ct)) = self.body {
            b = b.header("content-type", ct).body(body);
        }
        let r = b.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            json,
            text,
        }
    }
}

/// Creates an approved affiliate; returns (id, token).
pub async fn affiliate(extra: Value) -> (String, String) {
    let id = uid("aff");
    let mut body = json!({"id": id, "name": format!("Affiliate {id}"), "email": format!("{id}@affiliates.test"), "category": "content"});
    if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            b.insert(k.clone(), v.clone());
        }
    }
    let r = req("POST", "/v1/affiliates").sk().json(&body).send().await;
    r.status(201);
    (id, r.json["token"].as_str().expect("token").to_owned())
}

/// The affiliate `id` as `GET /v1/affiliates/{id}` shows it.
pub async fn affiliate_json(id: &str) -> Value {
    let r = req("GET", &format!("/v1/affiliates/{id}"))
        .sk()
        .send()
        .await;
    r.status(200);
    r.json
}

/// Records a click for `affiliate` with consent; returns (click id, cookie value).
pub async fn click(affiliate: &str) -> (String, Option<String>) {
    let body = json!({"affiliate": affiliate, "url": format!("https://www.shop.test/?ref={affiliate}"), "referrer": "", "consent": "granted", "via": "query", "landing": "/"});
    let r = req("POST", "/v1/clicks").browser().json(&body).send().await;
    r.status(201);
    let cookie = r.set_cookie("rt_click").map(|c| {
        c.trim_start_matches("rt_click=")
            .split(';')
            .next()
            .unwrap_or("")
            .to_owned()
    });
    (
        r.json["click_id"].as_str().expect("click_id").to_owned(),
        cookie,
    )
}

/// The line of `payout` (a payout's JSON) for `affiliate` in `currency`; panics without one.
pub fn payout_line(payout: &Value, affiliate: &str, currency: &str) -> Value {
    payout["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["affiliate"] == affiliate && l["currency"] == currency)
        .unwrap_or_else(|| panic!("no {affiliate} {currency} line in {payout}"))
        .clone()
}

/// Posts an unverified sale of `amount` VND as the shop's page does (the publishable key in the
/// body), credited by `click_id`: it waits for review, never approved by itself.
pub async fn browser_sale(click_id: &str, amount: i64) -> Res {
    let body = json!({"order_id": uid("o"), "amount": amount, "currency": "VND", "click_id": click_id, "key": env().pk});
    req("POST", "/v1/sales").browser().json(&body).send().await
}

/// Posts a verified sale.
pub async fn sale(body: Value) -> Res {
    req("POST", "/v1/sales").sk().json(&body).send().await
}

/// A verified sale of `amount` in `currency` credited to `affiliate` through a click (10 %
/// commission, approved at once: the suite's program holds nothing).
pub async fn credit(affiliate: &str, amount: i64, currency: &str) {
    let (click_id, _) = click(affiliate).await;
    sale(
        json!({"order_id": uid("o"), "amount": amount, "currency": currency, "click_id": click_id}),
    )
    .await
    .status(201);
}

/// Replaces the program's settings with `program` (the caller holds [`program_lock`]).
pub async fn put_program(program: &Value) {
    req("PUT", "/v1/program")
        .sk()
        .json(program)
        .send()
        .await
        .status(200);
}

/// Asserts that `program` with `field` set to `value` is refused with 400 `code`.
pub async fn program_refused(program: &Value, field: &str, value: Value, code: &str) {
    let mut bad = program.clone();
    bad[field] = value;
    req("PUT", "/v1/program")
        .sk()
        .json(&bad)
        .send()
        .await
        .error(400, code);
}

/// Asserts that the conversion answered in `r` created a referral for `affiliate`, credited
/// `by` (`attributed_by`).
pub fn assert_credited(r: &Res, affiliate: &str, by: &str) {
    let referral = &r.json["referral"];
    assert_eq!(
        (
            referral["affiliate"].as_str(),
            referral["attributed_by"].as_str()
        ),
        (Some(affiliate), Some(by)),
        "{}",
        r.text
    );
}

/// Posts a refund with the secret key.
pub async fn refund(body: Value) -> Res {
    req("POST", "/v1/refunds").sk().json(&body).send().await
}

/// The referrals of `affiliate`, newest first, as the merchant lists them (`query` adds
/// parameters: `&status=paid`).
pub async fn referrals_of(affiliate: &str, query: &str) -> Vec<Value> {
    let r = req(
        "GET",
        &format!("/v1/referrals?affiliate={affiliate}{query}"),
    )
    .sk()
    .send()
    .await;
    r.status(200);
    r.json["referrals"].as_array().expect("referrals").clone()
}

/// The row of `affiliate` in `GET /v1/reports/affiliates?limit=1000{query}` (`query` adds
/// parameters: `&sort=clicks`).
pub async fn affiliate_report_row(affiliate: &str, query: &str) -> Value {
    let r = req("GET", &format!("/v1/reports/affiliates?limit=1000{query}"))
        .sk()
        .send()
        .await;
    r.status(200);
    r.json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|x| x["key"] == affiliate)
        .cloned()
        .expect("the affiliate's row")
}

/// Signs the merchant in; returns (session cookie value, CSRF token).
pub async fn login() -> (String, String) {
    let r = req("POST", "/v1/session")
        .json(&json!({"password": env().password}))
        .send()
        .await;
    session_of(&r)
}

/// The session a sign-in answered (`201`): (session cookie value, CSRF token).
pub fn session_of(r: &Res) -> (String, String) {
    r.status(201);
    let cookie = r.set_cookie("rt_session").expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let value = cookie
        .trim_start_matches("rt_session=")
        .split(';')
        .next()
        .unwrap_or("")
        .to_owned();
    (
        value,
        r.json["csrf_token"]
            .as_str()
            .expect("csrf_token")
            .to_owned(),
    )
}

/// Now as RFC 3339.
pub fn now_rfc3339(offset_secs: i64) -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
        + offset_secs;
    reftrail::time::rfc3339(t as u64)
}

/// The balance of `a` in `currency` (`{}` when it has none).
pub async fn balance(a: &str, currency: &str) -> Value {
    let r = req("GET", &format!("/v1/balances?affiliate={a}"))
        .sk()
        .send()
        .await;
    r.status(200);
    r.json["balances"]
        .as_array()
        .and_then(|b| b.iter().find(|x| x["currency"] == currency).cloned())
        .unwrap_or(json!({}))
}

/// The money entry of a report row (or `kpis`) in `currency`; null when it has none.
pub fn money<'a>(row: &'a Value, currency: &str) -> &'a Value {
    row["money"]
        .as_array()
        .and_then(|m| m.iter().find(|x| x["currency"] == currency))
        .unwrap_or(&Value::Null)
}

/// One request a [`receiver`] got.
#[derive(Clone, Debug)]
pub struct Received {
    /// The request line (`GET /ok?x=1 HTTP/1.1`).
    pub line: String,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    /// The body (as long as `content-length` said).
    pub body: String,
}

impl Received {
    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An endpoint on loopback for what a server sends out (postbacks, webhooks): a path starting
/// with `/ok` answers 200, anything else 500. It keeps each request.
pub async fn receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<Received>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                let end = loop {
                    if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&data[..end]).into_owned();
                let mut lines = head.split("\r\n");
                let line = lines.next().unwrap_or("").to_owned();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                let length = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .unwrap_or(0);
                while data.len() < end + length {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                }
                let body = String::from_utf8_lossy(&data[end..]).into_owned();
                let ok = line.split(' ').nth(1).is_some_and(|p| p.starts_with("/ok"));
                kept.lock().unwrap().push(Received {
                    line,
                    headers,
                    body,
                });
                let status = if ok {
                    "200 OK"
                } else {
                    "500 Internal Server Error"
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                let _ = sock.write_all(answer.as_bytes()).await;
            });
        }
    });
    (base, seen)
}
