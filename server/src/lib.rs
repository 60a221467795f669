//! This crate provides `reftrail-server`, the tracking server of Reftrail: the HTTP API that the
//! browser core reports clicks, leads and sales to, and that the merchant and the affiliates
//! read their referrals, money and KPIs from.
//!
//! [`app`] builds the whole [`axum::Router`] from an [`AppState`]; `main.rs` only parses the
//! command line, connects the database and serves it. The database is SQLite (a file, WAL) or
//! PostgreSQL behind one [`sqlx::AnyPool`] ([`db`]), with one set of migrations. Nothing that
//! matters lives in the process: several processes against one PostgreSQL behave as one.
//!
//! The routes (DESIGN.md, "The HTTP contract (v1)"):
//! - `POST /v1/clicks` (browser, CORS), `POST /v1/leads`, `POST /v1/sales` (publishable or
//!   secret key), `POST /v1/refunds` (secret key or merchant session)
//! - `GET/POST /v1/affiliates`, `GET/PATCH /v1/affiliates/{id}`, `POST /v1/affiliates/{id}/token`
//! - `GET /v1/referrals[/{id}]`, `POST /v1/referrals/{id}/approve|reject`
//! - `GET/POST /v1/payouts`, `GET /v1/payouts/{id}`, `GET /v1/payouts/{id}.csv`
//! - `GET/PUT /v1/program`, `GET /v1/program/changes`, `GET/POST /v1/keys`, `DELETE /v1/keys/{id}`
//! - `GET /v1/activity` (who did what to affiliates, referrals, payouts and keys)
//! - `GET/POST /v1/creatives`, `PATCH/DELETE /v1/creatives/{id}` (text links and banners)
//! - `GET /v1/reports/{summary,timeseries,affiliates,categories}`, `GET /v1/balances`
//! - `GET /v1/me`, `GET /v1/me/report`, `GET /v1/me/payouts`, `GET /v1/me/creatives` (affiliate token)
//! - `POST/GET/DELETE /v1/session` (merchant login for the dashboard)
//! - `GET /healthz`, `GET /metrics`, `GET /v1/openapi.json`

pub mod activity;
pub mod affiliate_csv;
pub mod affiliate_mail;
pub mod affiliate_search;
pub mod applicant_id;
pub mod auth;
pub mod backup;
pub mod bots;
pub mod campaigns;
pub mod click_cookie;
pub mod click_writer;
pub mod commissions;
pub mod creative_clicks;
pub mod credentials;
pub mod credit;
pub mod db;
pub mod error;
pub mod export;
pub mod fraud;
pub mod ids;
pub mod ledger;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod outbox;
pub mod postback_url;
pub mod postbacks;
pub mod program;
pub mod recruiters;
pub mod retention;
pub mod rollups;
pub mod routes;
pub mod seed;
pub mod short_links;
pub mod team;
pub mod team_mail;
pub mod times;
pub mod two_factor;
pub mod webhooks;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::{AppError, ErrorDetail};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The largest request body accepted, bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// How long settings read from the database are reused before they are read again.
const SETTINGS_TTL: Duration = Duration::from_secs(1);

/// Options of the HTTP layer.
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// How many reverse proxies of the operator's stand before this server: the client address
    /// is read from `X-Forwarded-For` as the outermost of them wrote it (0: the peer's address).
    pub trusted_proxies: u8,
    /// `Domain` for the click cookie; host-only when `None`.
    pub cookie_domain: Option<String>,
    /// Email for the portal's sign-in links; `None`: this server sends no mail.
    pub mail: Option<mail::Mailer>,
    /// Whether affiliates' postbacks may go to loopback and private-network hosts.
    pub postbacks_to_private: bool,
    /// Extra trusted certificates (PEM) for https webhook endpoints.
    pub webhook_ca_file: Option<std::path::PathBuf>,
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
pub struct Inner {
    /// The database.
    pub db: db::Db,
    /// Process metrics.
    pub metrics: metrics::Metrics,
    /// HTTP options.
    pub http: HttpOptions,
    program: RwLock<Option<(Instant, Arc<program::Program>)>>,
    cookie_keys: RwLock<Option<(Instant, Arc<credentials::CookieKeys>)>>,
    affiliates: RwLock<std::collections::HashMap<String, (Instant, Option<String>)>>,
    click_writer: std::sync::OnceLock<click_writer::ClickWriter>,
    postback_client: std::sync::OnceLock<reqwest::Client>,
    webhook_client: std::sync::OnceLock<reqwest::Client>,
    postback_tests: std::sync::Mutex<std::collections::HashMap<String, (Instant, u32)>>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// State over `db`.
    pub fn new(db: db::Db, http: HttpOptions) -> Self {
        AppState(Arc::new(Inner {
            db,
            metrics: metrics::Metrics::default(),
            http,
            program: RwLock::new(None),
            cookie_keys: RwLock::new(None),
            affiliates: RwLock::new(std::collections::HashMap::new()),
            click_writer: std::sync::OnceLock::new(),
            postback_client: std::sync::OnceLock::new(),
            webhook_client: std::sync::OnceLock::new(),
            postback_tests: std::sync::Mutex::new(std::collections::HashMap::new()),
        }))
    }

    /// Whether affiliate `id` may send another test postback now: at most
    /// [`postbacks::TESTS_PER_MINUTE`] a minute each, so that no one drives this server's
    /// requests at a host of their choosing. Counted per process.
    pub fn postback_test_allowed(&self, id: &str) -> bool {
        let Ok(mut tests) = self.postback_tests.lock() else {
            return false;
        };
        let now = Instant::now();
        tests.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        let (_, n) = tests.entry(id.to_owned()).or_insert((now, 0));
        *n += 1;
        *n <= postbacks::TESTS_PER_MINUTE
    }

    /// The client affiliates' postbacks go through (made on first use).
    pub fn postback_client(&self) -> &reqwest::Client {
        self.postback_client
            .get_or_init(|| postbacks::client(self.http.postbacks_to_private))
    }

    /// The client webhooks go through (made on first use; `serve` has checked the CA file
    /// already, so an error here means the file changed since).
    pub fn webhook_client(&self) -> Result<&reqwest::Client, AppError> {
        if let Some(c) = self.webhook_client.get() {
            return Ok(c);
        }
        let c = webhooks::client(self.http.webhook_ca_file.as_deref())
            .map_err(|e| AppError::Internal(format!("{e:#}")))?;
        Ok(self.webhook_client.get_or_init(|| c))
    }

    /// The program settings (read at most once a second per process).
    pub async fn program(&self) -> Result<Arc<program::Program>, AppError> {
        if let Ok(g) = self.program.read() {
            if let Some((at, p)) = g.as_ref() {
                if at.elapsed() < SETTINGS_TTL {
                    return Ok(p.clone());
                }
            }
        }
        let p = Arc::new(program::load(&self.db).await?);
        if let Ok(mut g) = self.program.write() {
            *g = Some((Instant::now(), p.clone()));
        }
        Ok(p)
    }

    /// Forgets the cached program settings (after this process changed them).
    pub fn program_changed(&self, p: program::Program) {
        if let Ok(mut g) = self.program.write() {
            *g = Some((Instant::now(), Arc::new(p)));
        }
    }

    /// The stored id of the approved affiliate whose id is `id` in any case of its letters (a
    /// link typed as `?ref=Alice` credits `alice`); `None` when there is none. Read at most once
    /// a second per id and process.
    pub async fn approved_affiliate(&self, id: &str) -> Result<Option<String>, AppError> {
        let key = id.to_ascii_lowercase();
        if let Ok(g) = self.affiliates.read() {
            if let Some((at, found)) = g.get(&key) {
                if at.elapsed() < SETTINGS_TTL {
                    return Ok(found.clone());
                }
            }
        }
        // An exact match first: ids that differ only in case may predate the rule against them.
        let row = sqlx::query(
            "SELECT id, status FROM affiliates WHERE LOWER(id) = LOWER($1) \
             ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        let found = match row {
            Some(r) if sqlx::Row::try_get::<String, _>(&r, 1)? == "approved" => {
                Some(sqlx::Row::try_get::<String, _>(&r, 0)?)
            }
            _ => None,
        };
        if let Ok(mut g) = self.affiliates.write() {
            if g.len() > 10_000 {
                g.clear();
            }
            g.insert(key, (Instant::now(), found.clone()));
        }
        Ok(found)
    }

    /// Forgets the cached status of affiliate `id` (after this process changed it; other
    /// processes see the change within a second).
    pub fn affiliate_changed(&self, id: &str) {
        if let Ok(mut g) = self.affiliates.write() {
            g.remove(&id.to_ascii_lowercase());
        }
    }

    /// The process's click writer (started on first use, on the current runtime).
    pub fn click_writer(&self) -> &click_writer::ClickWriter {
        self.click_writer
            .get_or_init(|| click_writer::ClickWriter::start(self.db.clone()))
    }

    /// The cookie-signing keys (read at most once a second per process).
    pub async fn cookie_keys(&self) -> Result<Arc<credentials::CookieKeys>, AppError> {
        if let Ok(g) = self.cookie_keys.read() {
            if let Some((at, k)) = g.as_ref() {
                if at.elapsed() < SETTINGS_TTL {
                    return Ok(k.clone());
                }
            }
        }
        let k = Arc::new(credentials::cookie_keys(&self.db).await?);
        if let Ok(mut g) = self.cookie_keys.write() {
            *g = Some((Instant::now(), k.clone()));
        }
        Ok(k)
    }
}

/// The whole HTTP API.
pub fn app(state: AppState) -> Router {
    let browser =
        routes::browser_routes().layer(middleware::from_fn_with_state(state.clone(), cors));
    Router::new()
        .merge(browser)
        .merge(routes::merchant_routes())
        .merge(routes::portal_routes())
        .merge(routes::operator_routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), log_requests))
        .with_state(state)
}

async fn fallback() -> AppError {
    AppError::not_found("not_found", "no such route")
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Logs every request with its route, status and time, writes 5xx details to the log, and
/// counts it in the metrics.
pub async fn log_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let res = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = res.status();
    if let Some(ErrorDetail(detail)) = res.extensions().get::<ErrorDetail>() {
        tracing::error!(%method, route, status = status.as_u16(), ms = secs * 1e3, error = %detail, "request failed");
    } else {
        tracing::debug!(%method, route, status = status.as_u16(), ms = secs * 1e3, "request");
    }
    state
        .metrics
        .observe(method.as_str(), &route, status.as_u16(), secs);
    res
}

/// CORS for the browser routes: only the program's allowed origins; a request from another
/// origin is refused before it reaches the handler, so it writes nothing. A page this server
/// serves itself (the affiliate portal) is the same origin, which needs no allowing.
pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = match req.headers().get(axum::http::header::ORIGIN) {
        None => return next.run(req).await,
        Some(o) => o.clone(),
    };
    let host = req.headers().get(axum::http::header::HOST);
    if same_origin(
        origin.to_str().unwrap_or(""),
        host.and_then(|h| h.to_str().ok()),
    ) {
        return next.run(req).await;
    }
    let program = match state.program().await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let allowed = origin.to_str().is_ok_and(|o| program.allows_origin(o));
    if !allowed {
        return AppError::forbidden(
            "origin_not_allowed",
            "this origin is not in the program's allowed origins",
        )
        .into_response();
    }
    if req.method() == Method::OPTIONS {
        let mut h = HeaderMap::new();
        cors_headers(&mut h, origin);
        h.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("GET, POST, PATCH, OPTIONS"),
        );
        h.insert(
            "access-control-allow-headers",
            HeaderValue::from_static("content-type, authorization, idempotency-key"),
        );
        h.insert("access-control-max-age", HeaderValue::from_static("600"));
        return (StatusCode::NO_CONTENT, h).into_response();
    }
    let mut res = next.run(req).await;
    cors_headers(res.headers_mut(), origin);
    res
}

/// Whether `origin` (`http(s)://host[:port]`) names the host the request was sent to: the
/// browser sets `Origin` itself, so a page elsewhere cannot claim this server's own.
fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((rest, host), (Some(o), Some(h)) if !h.is_empty() && o.eq_ignore_ascii_case(h))
}

fn cors_headers(h: &mut HeaderMap, origin: HeaderValue) {
    h.insert("access-control-allow-origin", origin);
    h.insert(
        "access-control-allow-credentials",
        HeaderValue::from_static("true"),
    );
    h.append("vary", HeaderValue::from_static("Origin"));
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn same_origin_is_the_host_the_request_came_to() {
        assert!(same_origin("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(same_origin(
            "https://Track.Shop.test",
            Some("track.shop.test")
        ));
        assert!(!same_origin(
            "http://127.0.0.1:8081",
            Some("127.0.0.1:8080")
        ));
        assert!(!same_origin("https://evil.test", Some("track.shop.test")));
        assert!(!same_origin("null", Some("null")));
        assert!(!same_origin("http://", Some("")));
        assert!(!same_origin("http://a.test", None));
    }
}
