//! Who is calling: a secret key, a publishable key, the merchant's dashboard session, or an
//! affiliate's token. A credential of one kind never opens another kind's routes.
//!
//! - `Authorization: Bearer sk_…`: a backend; every merchant route, verified leads and sales.
//! - `Authorization: Bearer pk_…` (or `"key": "pk_…"` in the body): the browser; unverified
//!   leads and sales from an allowed origin.
//! - Cookie `rt_session` from `POST /v1/session`: the dashboard; merchant routes, with the
//!   session's CSRF token in `X-CSRF-Token` on every request that changes something.
//! - `Authorization: Bearer at_…`: an affiliate; only `/v1/me*`.

use crate::click_cookie;
use crate::credentials::{self, KeyKind};
use crate::error::AppError;
use crate::ids::sha256_hex;
use crate::times::now;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use sqlx::Row;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "rt_session";
/// The header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The credential a request presents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// None.
    Anonymous,
    /// A valid secret key.
    Secret,
    /// A valid publishable key.
    Publishable,
    /// A valid dashboard session; `csrf_ok` when the request carries its CSRF token.
    Session {
        /// Whether `X-CSRF-Token` matched.
        csrf_ok: bool,
    },
    /// A valid affiliate token.
    Affiliate(String),
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(|| AppError::Unauthorized("use Authorization: Bearer <key>".into()))?;
            return caller_for_token(state, token).await;
        }
        let cookies = parts
            .headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if let Some(token) = click_cookie::find(cookies, SESSION_COOKIE) {
            if let Some(csrf) = session_csrf(state, token).await? {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let csrf_ok = !sent.is_empty() && constant_eq(sent.as_bytes(), csrf.as_bytes());
                return Ok(Caller::Session { csrf_ok });
            }
        }
        Ok(Caller::Anonymous)
    }
}

/// The caller a bearer token stands for; 401 if it matches nothing.
pub async fn caller_for_token(state: &AppState, token: &str) -> Result<Caller, AppError> {
    if token.starts_with("sk_") || token.starts_with("pk_") {
        if token.len() > 120 {
            return Err(AppError::Unauthorized("unknown or revoked key".into()));
        }
        return match credentials::lookup_key(&state.db, token).await? {
            Some(KeyKind::Secret) => Ok(Caller::Secret),
            Some(KeyKind::Publishable) => Ok(Caller::Publishable),
            None => Err(AppError::Unauthorized("unknown or revoked key".into())),
        };
    }
    if token.starts_with("at_") && token.len() <= 120 {
        let row = sqlx::query(
            "SELECT id FROM affiliates WHERE token_hash = $1 AND status <> 'suspended'",
        )
        .bind(sha256_hex(token))
        .fetch_optional(&state.db.pool)
        .await?;
        if let Some(r) = row {
            return Ok(Caller::Affiliate(r.try_get(0)?));
        }
    }
    if token.starts_with("as_") && token.len() <= 120 {
        // A portal session from a sign-in link (routes/portal_sign_in.rs).
        let row = sqlx::query(
            "SELECT s.affiliate_id FROM affiliate_sessions s JOIN affiliates a ON a.id = s.affiliate_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.status <> 'suspended'",
        )
        .bind(sha256_hex(token))
        .bind(crate::times::now())
        .fetch_optional(&state.db.pool)
        .await?;
        if let Some(r) = row {
            return Ok(Caller::Affiliate(r.try_get(0)?));
        }
    }
    Err(AppError::Unauthorized(
        "unknown or revoked credentials".into(),
    ))
}

async fn session_csrf(state: &AppState, token: &str) -> Result<Option<String>, AppError> {
    if token.len() > 120 {
        return Ok(None);
    }
    let row =
        sqlx::query("SELECT csrf_token FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(sha256_hex(token))
            .bind(now())
            .fetch_optional(&state.db.pool)
            .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A caller allowed on merchant routes: the secret key, or the dashboard session (with its
/// CSRF token on anything but GET).
#[derive(Clone, Copy, Debug)]
pub struct Merchant(pub MerchantVia);

/// How a merchant call was authenticated, as the history of changes names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MerchantVia {
    /// The secret key: a script or the shop's backend.
    SecretKey,
    /// The dashboard's sign-in session.
    Dashboard,
    /// The server's own command line (`export-payout`), run by its operator.
    CommandLine,
}

impl MerchantVia {
    /// `secret_key`, `dashboard` or `command_line`.
    pub fn as_str(self) -> &'static str {
        match self {
            MerchantVia::SecretKey => "secret_key",
            MerchantVia::Dashboard => "dashboard",
            MerchantVia::CommandLine => "command_line",
        }
    }
}

impl FromRequestParts<AppState> for Merchant {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let safe = parts.method == Method::GET || parts.method == Method::HEAD;
        match caller {
            Caller::Secret => Ok(Merchant(MerchantVia::SecretKey)),
            Caller::Session { csrf_ok } if csrf_ok || safe => Ok(Merchant(MerchantVia::Dashboard)),
            Caller::Session { .. } => Err(AppError::forbidden(
                "csrf_failed",
                "send the session's CSRF token in X-CSRF-Token",
            )),
            Caller::Publishable | Caller::Affiliate(_) => Err(AppError::forbidden(
                "forbidden",
                "this credential cannot call merchant routes; use the secret key or a merchant session",
            )),
            Caller::Anonymous => Err(AppError::Unauthorized(
                "merchant routes need the secret key or a merchant session".into(),
            )),
        }
    }
}

/// An affiliate signed in with their token.
#[derive(Clone, Debug)]
pub struct AffiliateCaller(pub String);

impl FromRequestParts<AppState> for AffiliateCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Affiliate(id) => Ok(AffiliateCaller(id)),
            Caller::Anonymous => Err(AppError::Unauthorized(
                "affiliate routes need an affiliate token".into(),
            )),
            _ => Err(AppError::forbidden(
                "forbidden",
                "only an affiliate token may call /v1/me",
            )),
        }
    }
}

/// Whether a lead or sale is verified (secret key) or not (publishable key); resolves a key
/// sent in the body when there is no `Authorization` header.
pub async fn ingest_caller(
    state: &AppState,
    caller: Caller,
    body_key: Option<&str>,
) -> Result<bool, AppError> {
    let caller = match (caller, body_key) {
        (Caller::Anonymous, Some(key)) => {
            if !key.starts_with("pk_") {
                return Err(AppError::Unauthorized(
                    "a key in the body must be the publishable key".into(),
                ));
            }
            caller_for_token(state, key).await?
        }
        (c, _) => c,
    };
    match caller {
        Caller::Secret => Ok(true),
        Caller::Publishable => Ok(false),
        Caller::Session { csrf_ok: true } => Ok(true),
        Caller::Session { csrf_ok: false } => Err(AppError::forbidden("csrf_failed", "send the session's CSRF token in X-CSRF-Token")),
        Caller::Affiliate(_) => Err(AppError::forbidden("forbidden", "an affiliate token cannot report conversions")),
        Caller::Anonymous => Err(AppError::Unauthorized(
            "send the publishable key (Authorization: Bearer pk_… or \"key\" in the body) or the secret key".into(),
        )),
    }
}
