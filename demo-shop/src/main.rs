//! `demo-shop`: the demo storefront's own backend, the part a real shop already has.
//!
//! ```text
//! demo-shop --listen 127.0.0.1:8000 --tracker http://127.0.0.1:8080 --www-dir www --js-dir js/dist
//!           [--cookie-domain shop.test]      (env DEMO_SHOP_*, REFTRAIL_SECRET_KEY)
//! ```
//! - serves the store pages (`www/store/` at `/store/`, `www/shared/` at `/shared/`, the built
//!   browser files at `/reftrail/`, and the capture demo `www/capture/` at `/capture/`);
//! - `POST /api/checkout`: prices the cart from its own catalogue and posts the sale to the
//!   tracking server with the secret key (a verified sale), forwarding the visitor's signed
//!   `rt_click` cookie so the server can credit the click even when the script's cookie is gone;
//! - `POST /rt/v1/{clicks,leads,sales}`: the tracking endpoint on the shop's own origin (the
//!   script tag's `data-endpoint="/rt"`), passed to the tracking server. The click cookie it sets
//!   is given `Domain=<cookie domain>` when the page is on that domain, so `www.` and
//!   `checkout.` share it.

mod catalog;

use anyhow::Context as _;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use catalog::{Catalog, CheckoutInput};
use clap::Parser;
use reftrail_server::routes::static_files::{self, Lookup, StaticFiles};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// The largest request body accepted, bytes.
const MAX_BODY: usize = 16 * 1024;

#[derive(Parser)]
#[command(name = "demo-shop", about = "The demo storefront and its backend")]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "DEMO_SHOP_LISTEN", default_value = "127.0.0.1:8000")]
    listen: String,
    /// Base URL of the tracking server.
    #[arg(
        long,
        env = "DEMO_SHOP_TRACKER",
        default_value = "http://127.0.0.1:8080"
    )]
    tracker: String,
    /// The secret key the backend posts sales with.
    #[arg(long, env = "REFTRAIL_SECRET_KEY", hide_env_values = true)]
    secret_key: String,
    /// The `www/` directory (the store is `www/store/`).
    #[arg(long, env = "DEMO_SHOP_WWW_DIR", default_value = "www")]
    www_dir: PathBuf,
    /// The built browser files (`js/dist/`).
    #[arg(long, env = "DEMO_SHOP_JS_DIR", default_value = "js/dist")]
    js_dir: PathBuf,
    /// The shop's registrable domain: click cookies of pages on it are shared by its subdomains.
    #[arg(long, env = "DEMO_SHOP_COOKIE_DOMAIN", default_value = "shop.test")]
    cookie_domain: String,
}

struct Shop {
    catalog: Catalog,
    /// The program's settings (`GET /v1/program`), and when they were read.
    program: tokio::sync::Mutex<Option<(std::time::Instant, Option<Value>)>>,
    files: StaticFiles,
    tracker: String,
    secret_key: String,
    cookie_domain: String,
    http: reqwest::Client,
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

/// `rt_click=…` from the request's cookies, if present and well-formed.
fn click_cookie(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').map(str::trim).find_map(|c| {
        let v = c.strip_prefix("rt_click=")?;
        (!v.is_empty()
            && v.len() <= 256
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:~".contains(&b)))
        .then(|| format!("rt_click={v}"))
    })
}

fn new_order_id() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::getrandom(&mut b);
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("SHOP-{secs}-{hex}")
}

/// `POST /api/checkout`: the shop's own checkout, reporting a verified sale.
async fn checkout(State(shop): State<Arc<Shop>>, headers: HeaderMap, body: Bytes) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send JSON",
        );
    }
    let input: CheckoutInput = match serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_json", e.to_string()),
    };
    let order = match catalog::check(&shop.catalog, &input) {
        Ok(o) => o,
        Err((code, msg)) => return error(StatusCode::BAD_REQUEST, code, msg),
    };
    let order_id = new_order_id();
    let mut sale = json!({
        "order_id": order_id,
        "amount": order.amount,
        "currency": shop.catalog.currency,
        "items": order.lines.iter().map(|l| json!({
            "sku": l.sku, "category": l.category, "amount": l.unit, "quantity": l.quantity,
        })).collect::<Vec<_>>(),
    });
    if let Some(c) = &order.coupon {
        sale["coupon"] = json!(c);
    }
    if let Some(e) = &order.email {
        sale["customer"] = json!({"email": e});
    }
    if let Some(id) = &order.click_id {
        sale["click_id"] = json!(id);
    }
    let mut req = shop
        .http
        .post(format!("{}/v1/sales", shop.tracker))
        .header("authorization", format!("Bearer {}", shop.secret_key))
        .header("content-type", "application/json")
        .header("idempotency-key", &order_id)
        .body(sale.to_string());
    if let Some(c) = click_cookie(&headers) {
        req = req.header("cookie", c);
    }
    let res = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo-shop: tracking server unreachable: {e}");
            return error(
                StatusCode::BAD_GATEWAY,
                "tracker_unreachable",
                "the order could not be reported to the tracking server",
            );
        }
    };
    let status = res.status();
    let body: Value = res
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    if !status.is_success() {
        // The tracking server's error, passed on as it is.
        let code = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        return (code, Json(body)).into_response();
    }
    (
        StatusCode::CREATED,
        Json(json!({
            "order_id": order_id,
            "amount": order.amount,
            "currency": shop.catalog.currency,
            "sale": body.get("sale"),
            "referral": body.get("referral"),
        })),
    )
        .into_response()
}

/// `Set-Cookie` of the tracking server, with `Domain` for pages on the shop's domain.
fn rewrite_cookie(set_cookie: &str, host: &str, domain: &str) -> String {
    let mut parts: Vec<&str> = set_cookie
        .split(';')
        .map(str::trim)
        .filter(|p| !p.to_ascii_lowercase().starts_with("domain="))
        .collect();
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let d = format!("Domain={domain}");
    if !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}"))) {
        parts.push(&d);
    }
    parts.join("; ")
}

/// `POST /rt/v1/{clicks,leads,sales}`: the browser's reports, passed to the tracking server.
async fn relay(
    State(shop): State<Arc<Shop>>,
    Path(what): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !["clicks", "leads", "sales"].contains(&what.as_str()) {
        return error(StatusCode::NOT_FOUND, "not_found", "no such route");
    }
    let mut req = shop
        .http
        .post(format!("{}/v1/{what}", shop.tracker))
        .body(body.to_vec());
    for name in [
        header::CONTENT_TYPE,
        header::COOKIE,
        header::USER_AGENT,
        header::ORIGIN,
        header::REFERER,
    ] {
        if let Some(v) = headers.get(&name).and_then(|v| v.to_str().ok()) {
            req = req.header(name.as_str(), v);
        }
    }
    if let Some(v) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        req = req.header("idempotency-key", v);
    }
    let res = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo-shop: tracking server unreachable: {e}");
            return error(
                StatusCode::BAD_GATEWAY,
                "tracker_unreachable",
                "the tracking server did not answer",
            );
        }
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut out = Response::builder()
        .status(StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY));
    if let Some(v) = res.headers().get("content-type") {
        out = out.header(header::CONTENT_TYPE, v.as_bytes());
    }
    for v in res.headers().get_all("set-cookie") {
        if let Ok(s) = v.to_str() {
            if let Ok(v) = HeaderValue::from_str(&rewrite_cookie(s, host, &shop.cookie_domain)) {
                out = out.header(header::SET_COOKIE, v);
            }
        }
    }
    let bytes = res.bytes().await.unwrap_or_default();
    out.body(Body::from(bytes))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

/// `/` and the path form `/ref/<id>/` at the shop's root: the same address under `/store/`,
/// query kept (a fragment such as `#ref=alice` survives the redirect in the browser).
async fn to_store(uri: axum::http::Uri) -> Redirect {
    let path = uri.path();
    let target = match path.strip_prefix("/ref/") {
        Some(rest) if !rest.contains("..") => format!("/store/ref/{rest}"),
        _ => "/store/".to_owned(),
    };
    match uri.query() {
        Some(q) => Redirect::to(&format!("{target}?{q}")),
        None => Redirect::to(&target),
    }
}

/// The program's settings, read from the tracking server with the secret key at most every 2
/// seconds, the way a shop's templates print them (the WordPress plugin does the same from its
/// settings); `None` while the tracking server cannot be read.
async fn program(shop: &Shop) -> Option<Value> {
    let mut cached = shop.program.lock().await;
    if let Some((at, program)) = cached.as_ref() {
        if at.elapsed() < std::time::Duration::from_secs(2) {
            return program.clone();
        }
    }
    let program: Option<Value> = async {
        let res = shop
            .http
            .get(format!("{}/v1/program", shop.tracker))
            .header("authorization", format!("Bearer {}", shop.secret_key))
            .send()
            .await
            .ok()?;
        if !res.status().is_success() {
            return None;
        }
        serde_json::from_slice(&res.bytes().await.ok()?).ok()
    }
    .await;
    *cached = Some((std::time::Instant::now(), program.clone()));
    program
}

/// The program's settings that the script tag carries (`data-model`, `data-window`,
/// `data-params`).
async fn tag_attributes(shop: &Shop) -> String {
    program(shop)
        .await
        .map(|p| tag_attrs_of(&p))
        .unwrap_or_default()
}

/// The program's language (`en`, `vi`, `th`), when the tracking server names a known one.
fn locale_of(p: &Value) -> Option<&str> {
    p["locale"]
        .as_str()
        .filter(|l| ["en", "vi", "th"].contains(l))
}

/// The attributes for a program document; a value that is not plainly valid is left out.
fn tag_attrs_of(p: &Value) -> String {
    let mut out = String::new();
    if let Some(m) = p["model"]
        .as_str()
        .filter(|m| ["last", "first"].contains(m))
    {
        out.push_str(&format!(" data-model=\"{m}\""));
    }
    if let Some(w) = p["window_days"].as_i64().filter(|w| (1..=400).contains(w)) {
        out.push_str(&format!(" data-window=\"{w}\""));
    }
    let params: Vec<&str> = p["params"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let ok = |s: &&str| {
        !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if !params.is_empty() && params.iter().all(ok) {
        out.push_str(&format!(" data-params=\"{}\"", params.join(",")));
    }
    out
}

/// The store's HTML pages with the program's settings in the script tag; other files (and
/// everything else) pass on to the static files and the routes.
async fn store_pages(
    State(shop): State<Arc<Shop>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if req.method() != axum::http::Method::GET || !req.uri().path().starts_with("/store/") {
        return next.run(req).await;
    }
    let file = match shop.files.lookup(req.uri().path()) {
        Lookup::File(f) if f.extension().is_some_and(|e| e == "html") => f,
        _ => return next.run(req).await,
    };
    let Ok(html) = std::fs::read_to_string(&file) else {
        return next.run(req).await;
    };
    let attrs = tag_attributes(&shop).await;
    let html = html.replacen(
        "data-consent=\"pending\"",
        &format!("data-consent=\"pending\"{attrs}"),
        1,
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}

/// `GET /api/shop`: the shop's backend, currency and language (the program's; null while the
/// tracking server cannot be read).
async fn shop_info(State(shop): State<Arc<Shop>>) -> Json<Value> {
    let locale = program(&shop)
        .await
        .as_ref()
        .and_then(locale_of)
        .map(str::to_owned);
    Json(json!({"backend": "demo-shop", "currency": shop.catalog.currency, "locale": locale}))
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "no such page")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let catalog_path = cli.www_dir.join("store/catalog.json");
    let catalog = Catalog::parse(
        &std::fs::read_to_string(&catalog_path)
            .with_context(|| format!("reading {}", catalog_path.display()))?,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", catalog_path.display()))?;
    anyhow::ensure!(
        cli.secret_key.starts_with("sk_"),
        "REFTRAIL_SECRET_KEY must be a secret key (sk_…)"
    );
    let tracker = cli.tracker.trim_end_matches('/').to_owned();
    anyhow::ensure!(
        tracker.starts_with("http://") || tracker.starts_with("https://"),
        "--tracker must be an http(s) URL"
    );
    let files = StaticFiles::default()
        .mount("/store/", &cli.www_dir.join("store"), true)?
        .mount("/shared/", &cli.www_dir.join("shared"), false)?
        .mount("/capture/", &cli.www_dir.join("capture"), true)?
        .mount("/reftrail/", &cli.js_dir, false)?;
    let shop = Arc::new(Shop {
        catalog,
        program: tokio::sync::Mutex::new(None),
        files: files.clone(),
        tracker,
        secret_key: cli.secret_key,
        cookie_domain: cli.cookie_domain.trim_matches('.').to_ascii_lowercase(),
        http: reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?,
    });
    let api = Router::new()
        .route("/", get(to_store))
        .route("/ref/{id}/", get(to_store))
        .route("/api/shop", get(shop_info))
        .route("/api/checkout", post(checkout))
        .route("/rt/v1/{what}", post(relay))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(files),
            static_files::serve,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shop.clone(),
            store_pages,
        ))
        .with_state(shop);
    let listener = tokio::net::TcpListener::bind(&cli.listen)
        .await
        .with_context(|| format!("listening on {}", cli.listen))?;
    eprintln!("demo-shop: serving on http://{}", listener.local_addr()?);
    axum::serve(listener, api)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo-shop: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_cookie_shares_on_the_shop_domain_only() {
        let c = "rt_click=abc.k1.sig; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax";
        assert_eq!(
            rewrite_cookie(c, "www.shop.test:8000", "shop.test"),
            format!("{c}; Domain=shop.test")
        );
        assert_eq!(rewrite_cookie(c, "127.0.0.1:8000", "shop.test"), c);
        assert_eq!(rewrite_cookie(c, "evilshop.test", "shop.test"), c);
        assert_eq!(
            rewrite_cookie(
                &format!("{c}; Domain=other.example"),
                "127.0.0.1",
                "shop.test"
            ),
            c
        );
    }

    #[test]
    fn the_store_speaks_a_known_program_language_only() {
        assert_eq!(locale_of(&json!({"locale": "th"})), Some("th"));
        assert_eq!(locale_of(&json!({"locale": "fr"})), None);
        assert_eq!(locale_of(&json!({"locale": null})), None);
        assert_eq!(locale_of(&json!({})), None);
    }

    #[test]
    fn tag_attrs_carry_valid_settings_only() {
        let p = json!({"model": "first", "window_days": 45, "params": ["ref", "via"]});
        assert_eq!(
            tag_attrs_of(&p),
            " data-model=\"first\" data-window=\"45\" data-params=\"ref,via\""
        );
        let bad = json!({"model": "x\"onload", "window_days": 0, "params": ["a\"b"]});
        assert_eq!(tag_attrs_of(&bad), "");
    }

    #[test]
    fn click_cookie_is_picked_and_checked() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; rt_click=c_1.k.s-_; b=2"),
        );
        assert_eq!(click_cookie(&h).as_deref(), Some("rt_click=c_1.k.s-_"));
        h.insert(header::COOKIE, HeaderValue::from_static("rt_click=a\"b"));
        assert_eq!(click_cookie(&h), None);
    }
}
