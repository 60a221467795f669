//! The affiliate portal's sign-in by email: `POST /v1/portal/sign-in-link` sends an approved
//! affiliate a one-time link (15 minutes), `POST /v1/portal/session` exchanges the link's code
//! for a session token (`as_…`, 30 days) that opens `/v1/me*` like the affiliate's token.
//!
//! The first answers the same whether or not an affiliate has the address, so it tells nobody
//! who is in the program; at most [`MAX_LIVE_LINKS`] unexpired links exist per affiliate.

use crate::error::{AppError, AppJson};
use crate::ids::{random_base62, sha256_hex};
use crate::times::{self, now};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// How long a sign-in link works, seconds.
pub const LINK_TTL: i64 = 15 * 60;
/// How long a portal session lasts, seconds.
pub const SESSION_TTL: i64 = 30 * 86_400;
/// Unexpired links per affiliate; more requests send nothing until one expires.
pub const MAX_LIVE_LINKS: i64 = 3;

/// Asks for a sign-in link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInLinkRequest {
    /// The affiliate's email address.
    pub email: String,
}

/// The same answer whether or not the address belongs to an affiliate.
#[derive(Serialize, ToSchema)]
pub struct SignInLinkSent {
    /// What happens next.
    pub message: String,
}

/// Exchanges a sign-in link's code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The `code` of the link (`/portal/#code=…`).
    pub code: String,
}

/// A portal session.
#[derive(Serialize, ToSchema)]
pub struct PortalSession {
    /// The affiliate signed in.
    pub affiliate: String,
    /// The session token (`as_…`): `Authorization: Bearer` on `/v1/me*`.
    pub token: String,
    /// When it stops working (RFC 3339).
    pub expires: String,
}

/// A plausible address: one `@`, something on both sides, a dot in the domain, no spaces or
/// control characters, at most 254 bytes.
fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Sends a sign-in link to the affiliates with this email.
#[utoipa::path(post, path = "/v1/portal/sign-in-link", tag = "affiliate",
    request_body(content = SignInLinkRequest, content_type = "application/json"),
    responses((status = 202, body = SignInLinkSent, description = "Sent if an approved affiliate has this address"),
        (status = 400, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody, description = "`email_sign_in_off`: the server has no SMTP settings")))]
pub async fn portal_sign_in_link(
    State(state): State<AppState>,
    AppJson(body): AppJson<SignInLinkRequest>,
) -> Result<(StatusCode, Json<SignInLinkSent>), AppError> {
    let email = body.email.trim();
    if !valid_email(email) {
        return Err(AppError::bad(
            "invalid_email",
            "email must be an address like name@example.com",
        ));
    }
    let Some(mailer) = state.http.mail.clone() else {
        return Err(AppError::unprocessable(
            "email_sign_in_off",
            "this server sends no email; ask the program for your portal link",
        ));
    };
    let program = state.program().await?;
    let t = now();
    let affiliates = sqlx::query(
        "SELECT id, name, email FROM affiliates WHERE LOWER(email) = LOWER($1) AND status = 'approved' ORDER BY id LIMIT 5",
    )
    .bind(email)
    .fetch_all(&state.db.pool)
    .await?;
    for row in affiliates {
        let (id, name, to): (String, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let code = random_base62(32);
        let mut tx = state.db.begin_write().await?;
        let live: i64 = sqlx::query(
            "SELECT COUNT(*) FROM portal_links WHERE affiliate_id = $1 AND expires_at > $2 AND used_at IS NULL",
        )
        .bind(&id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if live >= MAX_LIVE_LINKS {
            tracing::info!(affiliate = %id, "sign-in link not sent: too many unexpired links");
            continue;
        }
        sqlx::query(
            "INSERT INTO portal_links (code_hash, affiliate_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(sha256_hex(&code))
        .bind(&id)
        .bind(t)
        .bind(t + LINK_TTL)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // A failed send is logged, not answered: the answer must not depend on the address.
        if let Err(e) = mailer
            .send_sign_in_link(&to, &name, &program.name, &code, program.locale())
            .await
        {
            tracing::warn!(affiliate = %id, error = %format!("{e:#}"), "sign-in link not delivered");
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(SignInLinkSent {
            message: "If an approved affiliate uses this address, a sign-in link is on its way."
                .into(),
        }),
    ))
}

/// Exchanges a sign-in link's code for a portal session (once).
#[utoipa::path(post, path = "/v1/portal/session", tag = "affiliate",
    request_body(content = SessionRequest, content_type = "application/json"),
    responses((status = 201, body = PortalSession), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody, description = "The link is unknown, used or expired")))]
pub async fn portal_session_create(
    State(state): State<AppState>,
    AppJson(body): AppJson<SessionRequest>,
) -> Result<(StatusCode, Json<PortalSession>), AppError> {
    let code = body.code.trim();
    if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::bad(
            "invalid_code",
            "code must be the letters and digits after #code= in the link",
        ));
    }
    let t = now();
    let mut tx = state.db.begin_write().await?;
    // Claimed by whoever marks it used first: a link opened twice signs in once.
    let claimed = sqlx::query(
        "UPDATE portal_links SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(t)
    .bind(sha256_hex(code))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let affiliate: Option<String> = if claimed == 1 {
        sqlx::query(
            "SELECT l.affiliate_id FROM portal_links l JOIN affiliates a ON a.id = l.affiliate_id \
             WHERE l.code_hash = $1 AND a.status = 'approved'",
        )
        .bind(sha256_hex(code))
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
    } else {
        None
    };
    let Some(affiliate) = affiliate else {
        return Err(AppError::Unauthorized(
            "this sign-in link is unknown, used or expired; ask for a new one".into(),
        ));
    };
    let token = format!("as_{}", random_base62(32));
    sqlx::query(
        "INSERT INTO affiliate_sessions (token_hash, affiliate_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(sha256_hex(&token))
    .bind(&affiliate)
    .bind(t)
    .bind(t + SESSION_TTL)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(PortalSession {
            affiliate,
            token,
            expires: times::format(t + SESSION_TTL),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "an.nguyen+shop@example.com.vn", "ส@ตัวอย่าง.ไทย"]
        {
            assert!(valid_email(ok), "{ok}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "a",
            "@b.co",
            "a@",
            "a@b",
            "a@.b",
            "a@b.",
            "a b@c.d",
            "a@b@c.d",
            "a@b.c\r\n",
            long.as_str(),
        ] {
            assert!(!valid_email(bad), "{bad:?}");
        }
    }
}
