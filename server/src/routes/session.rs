//! The merchant's dashboard login: `POST /v1/session` with the admin password, or a team
//! member's email and password, sets the HttpOnly `rt_session` cookie (SameSite=Strict) and
//! answers a CSRF token, which the dashboard sends as `X-CSRF-Token` on every request that
//! changes something, and the role the dashboard shapes its pages by. `GET /v1/session` answers
//! them again (after a page reload); `DELETE /v1/session` signs out.

use crate::auth::{Caller, SESSION_COOKIE};
use crate::click_cookie;
use crate::credentials;
use crate::db::Tx;
use crate::error::{AppError, AppJson};
use crate::ids::{new_token, sha256_hex};
use crate::team::Role;
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
    /// A team member's email; without it, `password` is the admin password.
    #[serde(default)]
    pub email: Option<String>,
    /// The admin password, or the member's.
    pub password: String,
    /// The code of the member's authenticator app, or one of their recovery codes, when they
    /// turned two-factor sign-in on (without it the answer is `401 two_factor_required`).
    #[serde(default)]
    pub code: Option<String>,
}

/// A session's CSRF token, and who it is.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    /// Send it as `X-CSRF-Token` on POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
    /// When the session ends.
    pub expires_at: String,
    /// What the session may do: `owner`, `manager` or `viewer` (see `/v1/team`).
    pub role: String,
    /// The team member signed in; `null` for the admin password (and, in WordPress, its user).
    pub member: Option<SessionMember>,
    /// Whether this backend keeps the dashboard's people (`/v1/team`); in WordPress they are
    /// its users.
    pub team: bool,
    /// Whether the team requires two-factor sign-in and this member has not set it up: until
    /// they do, every other route answers `403 two_factor_setup_required`.
    pub two_factor_setup_required: bool,
}

/// The team member a session belongs to.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SessionMember {
    /// Id.
    pub id: String,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
}

/// Whose session it is: the owner's password, or a member.
pub struct Signer {
    /// The member's id; none for the admin password.
    pub member_id: Option<String>,
    /// Their role.
    pub role: Role,
    /// The member's email and name.
    pub member: Option<SessionMember>,
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
    const WRONG: &str = "wrong email or password";
    if b.password.is_empty() || b.password.len() > 200 {
        return Err(AppError::Unauthorized(WRONG.into()));
    }
    let t = now();
    // Failed attempts in the last 15 minutes, across processes: at most 10 from one address,
    // and at most 200 in all (a distributed guess slows down without locking the owner out
    // for long).
    let client = crate::routes::client(&headers, addr, state.http.trusted_proxies);
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
    let (hash, signer, second) = match b.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => (Some(admin_hash(&state).await?), Some(Signer::admin()), None),
        Some(email) => match member_by_email(&state, &email.to_lowercase()).await? {
            Some(m) => (Some(m.hash), Some(m.signer), m.second),
            None => (None, None, None),
        },
    };
    let pw = b.password.clone();
    let ok = tokio::task::spawn_blocking(move || {
        // An unknown address costs the same check as a known one, so the answer's time does
        // not tell who is in the team.
        let hash = hash.map_or_else(decoy_hash, Ok)?;
        Ok::<_, AppError>(credentials::verify_password(&pw, &hash))
    })
    .await
    .map_err(|e| AppError::Internal(format!("password check: {e}")))??;
    let mut tx = state.db.begin_write().await?;
    let refused = match (ok, &signer, &second) {
        (true, Some(_), None) => None,
        (true, Some(s), Some(second)) => {
            match second_step(&mut tx, s, second, b.code.as_deref(), t).await? {
                Ok(()) => None,
                // The password was right: nothing to count until a code is tried.
                Err(e @ AppError::SecondFactor("two_factor_required", _)) => return Err(e),
                Err(e) => Some(e),
            }
        }
        _ => Some(AppError::Unauthorized(WRONG.into())),
    };
    if let Some(e) = refused {
        sqlx::query("INSERT INTO login_failures (id, at, ip_hash) VALUES ($1, $2, $3)")
            .bind(crate::ids::new_id("lf"))
            .bind(t)
            .bind(&ip_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Err(e);
    }
    let signer = signer.ok_or_else(|| AppError::Internal("a signer".into()))?;
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(t - 86_400)
        .execute(&mut *tx)
        .await?;
    let res = open(&mut tx, &headers, &state, signer).await?;
    tx.commit().await?;
    Ok(res)
}

/// An argon2id hash of a random password nobody knows, made once per process, checked against
/// when an email is unknown.
fn decoy_hash() -> Result<String, AppError> {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(h) = DECOY.get() {
        return Ok(h.clone());
    }
    let h = credentials::hash_password(&new_token(""))
        .map_err(|e| AppError::Internal(format!("decoy hash: {e}")))?;
    Ok(DECOY.get_or_init(|| h).clone())
}

impl Signer {
    /// The admin password's session: an owner, no member.
    pub fn admin() -> Self {
        Signer {
            member_id: None,
            role: Role::Owner,
            member: None,
        }
    }
}

async fn admin_hash(state: &AppState) -> Result<String, AppError> {
    sqlx::query("SELECT value FROM settings WHERE name = 'admin_password'")
        .fetch_optional(&state.db.pool)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or_else(|| AppError::Internal("no admin password; run migrate first".into()))
}

/// A member's second step: their authenticator's secret and the step of their last code.
struct SecondStep {
    secret: Vec<u8>,
    last_step: Option<i64>,
}

/// A member who has set a password, as the sign-in needs them.
struct MemberLogin {
    hash: String,
    signer: Signer,
    second: Option<SecondStep>,
}

/// Checks the code of a member with two-factor sign-in, and keeps its step (used once).
async fn second_step(
    tx: &mut Tx,
    signer: &Signer,
    second: &SecondStep,
    code: Option<&str>,
    now: i64,
) -> Result<Result<(), AppError>, AppError> {
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Ok(Err(AppError::SecondFactor(
            "two_factor_required",
            "enter the code your authenticator app shows".into(),
        )));
    };
    let failed = || {
        AppError::SecondFactor(
            "two_factor_failed",
            "the code is wrong, or was used already; wait for the next one".into(),
        )
    };
    if let Some(recovery) = crate::two_factor::recovery_code(code) {
        // Spent by whoever marks it used first.
        let spent = sqlx::query(
            "UPDATE team_recovery_codes SET used_at = $1 \
             WHERE member_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(&signer.member_id)
        .bind(sha256_hex(&recovery))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        return Ok(if spent == 1 { Ok(()) } else { Err(failed()) });
    }
    let last = second.last_step.and_then(|s| u64::try_from(s).ok());
    let now = u64::try_from(now).unwrap_or(0);
    let Some(step) = crate::two_factor::matching_step(&second.secret, code, now, last) else {
        return Ok(Err(failed()));
    };
    let step = i64::try_from(step).map_err(|_| AppError::Internal("a code's step".into()))?;
    // Whoever stores the step first used the code.
    let kept = sqlx::query(
        "UPDATE team_members SET totp_last_step = $1 \
         WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(&signer.member_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(if kept == 1 { Ok(()) } else { Err(failed()) })
}

/// A member who has set a password: its hash, who they are, and their second step.
async fn member_by_email(state: &AppState, email: &str) -> Result<Option<MemberLogin>, AppError> {
    let row = sqlx::query(
        "SELECT id, name, role, password_hash, totp_secret, totp_last_step FROM team_members \
         WHERE email = $1 AND password_hash IS NOT NULL",
    )
    .bind(email)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let role: String = row.try_get(2)?;
    let role = Role::parse(&role).ok_or_else(|| AppError::Internal("a stored role".into()))?;
    let id: String = row.try_get(0)?;
    let signer = Signer {
        member_id: Some(id.clone()),
        role,
        member: Some(SessionMember {
            id,
            email: email.to_owned(),
            name: row.try_get(1)?,
        }),
    };
    let second = row
        .try_get::<Option<String>, _>(4)?
        .and_then(|s| crate::two_factor::from_base32(&s))
        .map(|secret| SecondStep {
            secret,
            last_step: row.try_get(5).ok().flatten(),
        });
    Ok(Some(MemberLogin {
        hash: row.try_get(3)?,
        signer,
        second,
    }))
}

/// Opens a session for `signer` in `tx`: the answer (201, the CSRF token and the role) with
/// its `Set-Cookie`. Used by the sign-in and by a member's first password.
pub async fn open(
    tx: &mut Tx,
    headers: &HeaderMap,
    state: &AppState,
    signer: Signer,
) -> Result<Response, AppError> {
    let t = now();
    let token = new_token("");
    let csrf = new_token("");
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(t)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, csrf_token, created_at, expires_at, member_id) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(sha256_hex(&token))
    .bind(&csrf)
    .bind(t)
    .bind(t + SESSION_TTL)
    .bind(&signer.member_id)
    .execute(&mut **tx)
    .await?;
    if let Some(id) = &signer.member_id {
        sqlx::query("UPDATE team_members SET last_sign_in_at = $1 WHERE id = $2")
            .bind(t)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    let due = match &signer.member_id {
        Some(id) => two_factor_due(tx, id).await?,
        None => false,
    };
    let secure = crate::routes::client(headers, None, state.http.trusted_proxies).https;
    let mut res = (
        StatusCode::CREATED,
        Json(SessionView {
            csrf_token: csrf,
            expires_at: times::format(t + SESSION_TTL),
            role: signer.role.as_str().to_owned(),
            member: signer.member,
            team: true,
            two_factor_setup_required: due,
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

/// Whether the team requires two-factor sign-in and member `id` has not set it up.
pub async fn two_factor_due(conn: &mut sqlx::AnyConnection, id: &str) -> Result<bool, AppError> {
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(CASE WHEN totp_secret IS NULL AND EXISTS (SELECT 1 FROM settings \
         WHERE name = 'team_require_two_factor' AND value = 'true') THEN 1 ELSE 0 END AS BIGINT) \
         FROM team_members WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(due == Some(1))
}

/// The session token in the request's cookie.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
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
        "SELECT s.csrf_token, s.expires_at, s.member_id, m.email, m.name, m.role \
         FROM sessions s LEFT JOIN team_members m ON m.id = s.member_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2",
    )
    .bind(sha256_hex(&token))
    .bind(now())
    .fetch_optional(&state.db.pool)
    .await?
    .ok_or_else(|| AppError::Unauthorized("not signed in".into()))?;
    let due = match row.try_get::<Option<String>, _>(2)? {
        Some(id) => two_factor_due(&mut *state.db.pool.acquire().await?, &id).await?,
        None => false,
    };
    let (role, member) = match row.try_get::<Option<String>, _>(2)? {
        None => (Role::Owner, None),
        Some(id) => {
            // A removed member's session ends with them.
            let role = row
                .try_get::<Option<String>, _>(5)?
                .as_deref()
                .and_then(Role::parse)
                .ok_or_else(|| AppError::Unauthorized("not signed in".into()))?;
            let member = SessionMember {
                id,
                email: row.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
                name: row.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
            };
            (role, Some(member))
        }
    };
    let view = SessionView {
        csrf_token: row.try_get(0)?,
        expires_at: times::format(row.try_get(1)?),
        role: role.as_str().to_owned(),
        member,
        team: true,
        two_factor_setup_required: due,
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
        Caller::Session { csrf_ok: true, .. } => {}
        Caller::Session { csrf_ok: false, .. } => {
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
