//! The merchant's dashboard login: `POST /v1/session` with the admin password sets the
//! HttpOnly `rt_session` cookie (SameSite=Strict) and answers a CSRF token, which the dashboard
//! sends as `X-CSRF-Token` on every request that changes something. `GET /v1/session` answers
//! the token again (after a page reload); `DELETE /v1/session` signs out.

use crate::auth::{Caller, SESSION_COOKIE};
use crate::click_cookie;
use crate::credentials;
use crate::error::{AppError, AppJson};
use crate::ids::{new_token, sha256_hex};
use crate::times::{self, now};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// How long a session lasts, seconds.
pub const SESSION_TTL: i64 = 12 * 3600;

/// The body of `POST /v1/session`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// The admin password.
    pub password: String,
}

/// A session's CSRF token.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    /// Send it as `X-CSRF-Token` on POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
    /// When the session ends.
    pub expires_at: String,
}

fn cookie(value: &str, max_age: i64, secure: bool) -> String {
    let mut c =
        format!("{SESSION_COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// Signs the merchant in.
#[utoipa::path(post, path = "/v1/session", tag = "session", request_body = CreateSession,
    responses((status = 201, body = SessionView, description = "Signed in; `Set-Cookie: rt_session=…; HttpOnly; SameSite=Strict`"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)))]
pub async fn session_create(
    State(state): State<AppState>,
    crate::routes::PeerAddr(addr): crate::routes::PeerAddr,
    headers: HeaderMap,
    AppJson(b): AppJson<CreateSession>,
) -> Result<Response, AppError> {
    if b.password.is_empty() || b.password.len() > 200 {
        return Err(AppError::Unauthorized("wrong password".into()));
    }
    let t = now();
    // Failed attempts in the last 15 minutes, across processes: at most 10 from one address,
    // and at most 200 in all (a distributed guess slows down without locking the owner out
    // for long).
    let client = crate::routes::client(&headers, addr, state.http.trust_proxy);
    let ip_hash = sha256_hex(&format!("login|{}", client.ip));
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN ip_hash = $1 THEN 1 ELSE 0 END), 0) AS BIGINT), COUNT(*) \
         FROM login_failures WHERE at > $2",
    )
    .bind(&ip_hash)
    .bind(t - 900)
    .fetch_one(&state.db.pool)
    .await?;
    let (mine, all): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    if mine >= 10 || all >= 200 {
        return Err(AppError::TooManyRequests(
            "too many failed sign-ins; wait 15 minutes".into(),
        ));
    }
    let hash: String = sqlx::query("SELECT value FROM settings WHERE name = 'admin_password'")
        .fetch_optional(&state.db.pool)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or_else(|| AppError::Internal("no admin password; run migrate first".into()))?;
    let pw = b.password.clone();
    let ok = tokio::task::spawn_blocking(move || credentials::verify_password(&pw, &hash))
        .await
        .map_err(|e| AppError::Internal(format!("password check: {e}")))?;
    let mut tx = state.db.begin_write().await?;
    if !ok {
        sqlx::query("INSERT INTO login_failures (id, at, ip_hash) VALUES ($1, $2, $3)")
            .bind(crate::ids::new_id("lf"))
            .bind(t)
            .bind(&ip_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized("wrong password".into()));
    }
    let token = new_token("");
    let csrf = new_token("");
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(t)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(t - 86_400)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO sessions (token_hash, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(sha256_hex(&token))
        .bind(&csrf)
        .bind(t)
        .bind(t + SESSION_TTL)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let secure = crate::routes::client(&headers, None, state.http.trust_proxy).https;
    let mut res = (
        StatusCode::CREATED,
        Json(SessionView {
            csrf_token: csrf,
            expires_at: times::format(t + SESSION_TTL),
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie(&token, SESSION_TTL, secure)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    click_cookie::find(cookies, SESSION_COOKIE).map(str::to_owned)
}

/// The current session's CSRF token.
#[utoipa::path(get, path = "/v1/session", tag = "session", security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 401, body = crate::error::ErrorBody)))]
pub async fn session_show(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token =
        session_token(&headers).ok_or_else(|| AppError::Unauthorized("not signed in".into()))?;
    let row = sqlx::query(
        "SELECT csrf_token, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(sha256_hex(&token))
    .bind(now())
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| AppError::Unauthorized("not signed in".into()))?;
    let view = SessionView {
        csrf_token: row.try_get(0)?,
        expires_at: times::format(row.try_get(1)?),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(view)).into_response())
}

/// Signs out.
#[utoipa::path(delete, path = "/v1/session", tag = "session", security(("session" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn session_delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    match caller {
        Caller::Session { csrf_ok: true } => {}
        Caller::Session { csrf_ok: false } => {
            return Err(AppError::forbidden(
                "csrf_failed",
                "send the session's CSRF token in X-CSRF-Token",
            ))
        }
        _ => return Err(AppError::Unauthorized("not signed in".into())),
    }
    if let Some(token) = session_token(&headers) {
        let mut tx = state.db.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(sha256_hex(&token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie("", 0, false)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}
