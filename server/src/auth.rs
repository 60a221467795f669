//! Who is calling: a secret key, a publishable key, the merchant's dashboard session, or an
//! affiliate's token. A credential of one kind never opens another kind's routes.
//!
//! - `Authorization: Bearer sk_…`: a backend; every merchant route, verified leads and sales.
//! - `Authorization: Bearer pk_…` (or `"key": "pk_…"` in the body): the browser; unverified
//!   leads and sales from an allowed origin.
//! - Cookie `rt_session` from `POST /v1/session`: the dashboard; merchant routes, with the
//!   session's CSRF token in `X-CSRF-Token` on every request that changes something, as far as
//!   the signed-in person's role allows (`team.rs`).
//! - `Authorization: Bearer at_…`: an affiliate; only `/v1/me*`.

use crate::click_cookie;
use crate::credentials::{self, KeyKind};
use crate::error::AppError;
use crate::ids::sha256_hex;
use crate::team::Role;
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
        /// The team member signed in; none for the admin password (an owner).
        member: Option<Member>,
    },
    /// A valid affiliate token.
    Affiliate(String),
}

/// A team member signed in to the dashboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Id.
    pub id: String,
    /// Their email address, as the activity log names them (`user:<email>`).
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// Whether the team requires two-factor sign-in and they have not set it up: until they
    /// do, their session reaches only their own account.
    pub two_factor_due: bool,
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
            if let Some((csrf, member)) = session_of(state, token).await? {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let csrf_ok = !sent.is_empty() && constant_eq(sent.as_bytes(), csrf.as_bytes());
                return Ok(Caller::Session { csrf_ok, member });
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

/// A live session's CSRF token and member. A member's role is read on every request, so a
/// change of role applies at once; a removed member's sessions are gone with them.
async fn session_of(
    state: &AppState,
    token: &str,
) -> Result<Option<(String, Option<Member>)>, AppError> {
    if token.len() > 120 {
        return Ok(None);
    }
    let Some(row) = sqlx::query(
        "SELECT s.csrf_token, s.member_id, m.email, m.role, \
         CAST(CASE WHEN m.totp_secret IS NULL AND EXISTS (SELECT 1 FROM settings \
           WHERE name = 'team_require_two_factor' AND value = 'true') THEN 1 ELSE 0 END AS BIGINT) \
         FROM sessions s LEFT JOIN team_members m ON m.id = s.member_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(sha256_hex(token))
    .bind(now())
    .fetch_optional(&state.db.pool)
    .await?
    else {
        return Ok(None);
    };
    let csrf: String = row.try_get(0)?;
    let Some(id) = row.try_get::<Option<String>, _>(1)? else {
        return Ok(Some((csrf, None)));
    };
    let (email, role) = (
        row.try_get::<Option<String>, _>(2)?,
        row.try_get::<Option<String>, _>(3)?,
    );
    let two_factor_due = row.try_get::<i64, _>(4)? == 1;
    Ok(match (email, role.as_deref().and_then(Role::parse)) {
        (Some(email), Some(role)) => Some((
            csrf,
            Some(Member {
                id,
                email,
                role,
                two_factor_due,
            }),
        )),
        _ => None,
    })
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A caller allowed on merchant routes: the secret key, or the dashboard session (with its
/// CSRF token on anything but GET, and a role that may change things).
#[derive(Clone, Debug)]
pub struct Merchant(pub MerchantVia);

/// A merchant caller who is the program's owner: the secret key, the command line, the admin
/// password's session or a member whose role is `owner`. The settings, the keys, the team and
/// privacy requests are theirs.
#[derive(Clone, Debug)]
pub struct Owner(pub MerchantVia);

/// How a merchant call was authenticated, as the history of changes names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MerchantVia {
    /// The secret key: a script or the shop's backend.
    SecretKey,
    /// The dashboard, signed in with the admin password.
    Dashboard,
    /// The dashboard, signed in by a team member.
    Member(Member),
    /// The server's own command line (`export-payout`), run by its operator.
    CommandLine,
}

impl MerchantVia {
    /// Who, as the activity log and the settings' history name them: `secret_key`,
    /// `dashboard`, `user:<email>` or `command_line`.
    pub fn by(&self) -> String {
        match self {
            MerchantVia::SecretKey => "secret_key".into(),
            MerchantVia::Dashboard => "dashboard".into(),
            MerchantVia::Member(m) => format!("user:{}", m.email),
            MerchantVia::CommandLine => "command_line".into(),
        }
    }

    /// What the caller may do.
    pub fn role(&self) -> Role {
        match self {
            MerchantVia::Member(m) => m.role,
            _ => Role::Owner,
        }
    }
}

impl FromRequestParts<AppState> for Merchant {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let safe = parts.method == Method::GET || parts.method == Method::HEAD;
        let via = match caller {
            Caller::Secret => MerchantVia::SecretKey,
            Caller::Session { csrf_ok, member } if csrf_ok || safe => match member {
                Some(m) => MerchantVia::Member(m),
                None => MerchantVia::Dashboard,
            },
            Caller::Session { .. } => return Err(AppError::forbidden(
                "csrf_failed",
                "send the session's CSRF token in X-CSRF-Token",
            )),
            Caller::Publishable | Caller::Affiliate(_) => return Err(AppError::forbidden(
                "forbidden",
                "this credential cannot call merchant routes; use the secret key or a merchant session",
            )),
            Caller::Anonymous => return Err(AppError::Unauthorized(
                "merchant routes need the secret key or a merchant session".into(),
            )),
        };
        if let MerchantVia::Member(m) = &via {
            if m.two_factor_due {
                return Err(two_factor_due());
            }
        }
        if !safe && !via.role().may_change() {
            return Err(role_forbidden(
                "a viewer may read the program but not change it",
            ));
        }
        Ok(Merchant(via))
    }
}

impl FromRequestParts<AppState> for Owner {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Merchant(via) = Merchant::from_request_parts(parts, state).await?;
        if via.role() != Role::Owner {
            return Err(role_forbidden(
                "only the program's owner may see or change the settings, the keys, the team and privacy requests",
            ));
        }
        Ok(Owner(via))
    }
}

/// 403 `two_factor_setup_required`: the team requires two-factor sign-in of this member first.
fn two_factor_due() -> AppError {
    AppError::forbidden(
        "two_factor_setup_required",
        "the team requires two-factor sign-in: set it up in your account first",
    )
}

/// 403 `role_forbidden`: the signed-in member's role does not allow this.
fn role_forbidden(message: &'static str) -> AppError {
    AppError::forbidden("role_forbidden", message)
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
        Caller::Session { csrf_ok: false, .. } => Err(AppError::forbidden("csrf_failed", "send the session's CSRF token in X-CSRF-Token")),
        Caller::Session { member: Some(m), .. } if m.two_factor_due => Err(two_factor_due()),
        Caller::Session { member: Some(m), .. } if !m.role.may_change() => {
            Err(role_forbidden("a viewer may read the program but not change it"))
        }
        Caller::Session { csrf_ok: true, .. } => Ok(true),
        Caller::Affiliate(_) => Err(AppError::forbidden("forbidden", "an affiliate token cannot report conversions")),
        Caller::Anonymous => Err(AppError::Unauthorized(
            "send the publishable key (Authorization: Bearer pk_… or \"key\" in the body) or the secret key".into(),
        )),
    }
}
