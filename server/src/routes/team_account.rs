//! A team member's own account: `GET/PATCH /v1/team/me` (their name, what they are emailed
//! about, their password) and their two-factor sign-in (`POST/DELETE /v1/team/me/two-factor`,
//! `POST /v1/team/me/two-factor/confirm`, `POST /v1/team/me/two-factor/recovery-codes`). Any
//! role has one; the admin password and the keys do not.

use super::team::{clear_two_factor, load, record_changes, set_name_and_notify, MemberView};
use crate::auth::{Caller, Member};
use crate::credentials;
use crate::db::Tx;
use crate::error::{AppError, AppJson};
use crate::ids::sha256_hex;
use crate::routes::session;
use crate::team;
use crate::team_mail;
use crate::times::now;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// The body of `PATCH /v1/team/me`: what the member changes of their own.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// Their name.
    #[serde(default)]
    pub name: Option<String>,
    /// What they are emailed about.
    #[serde(default)]
    pub notify: Option<Vec<String>>,
    /// A new password (10 to 200 characters); needs `current_password`. Their other sessions
    /// end.
    #[serde(default)]
    pub password: Option<String>,
    /// The password they signed in with.
    #[serde(default)]
    pub current_password: Option<String>,
}

/// The signed-in member's own account.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct MyAccount {
    /// Themselves.
    pub member: MemberView,
    /// Whether this server sends email (`--smtp-url`): without it, `notify` waits.
    pub mail: bool,
    /// New recovery codes, shown this once (after turning two-factor sign-in on, or asking for
    /// new ones): each signs in once in place of the app's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

/// The member a session belongs to; `csrf` when the request changes something.
fn me(caller: Caller, change: bool) -> Result<Member, AppError> {
    match caller {
        Caller::Session { csrf_ok: false, .. } if change => Err(AppError::forbidden(
            "csrf_failed",
            "send the session's CSRF token in X-CSRF-Token",
        )),
        Caller::Session { member: Some(m), .. } => Ok(m),
        Caller::Session { member: None, .. } => Err(AppError::not_found(
            "no_member",
            "the owner's password has no account of its own: invite yourself to the team to have one",
        )),
        Caller::Anonymous => Err(AppError::Unauthorized("not signed in".into())),
        _ => Err(AppError::forbidden(
            "forbidden",
            "only a team member's dashboard session has an account",
        )),
    }
}

fn account(state: &AppState, member: MemberView) -> Json<MyAccount> {
    Json(MyAccount {
        member,
        mail: state.http.mail.is_some(),
        recovery_codes: None,
    })
}

/// The signed-in member's own account.
#[utoipa::path(get, path = "/v1/team/me", tag = "team", security(("session" = [])),
    responses((status = 200, body = MyAccount), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody, description = "`no_member`: signed in with the owner's password")))]
pub async fn team_me(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<MyAccount>, AppError> {
    let m = me(caller, false)?;
    let mut tx = state.db.begin_write().await?;
    let member = load(&mut tx, &m.id).await?;
    tx.commit().await?;
    Ok(account(&state, member))
}

/// Changes the signed-in member's own name, emails or password (whatever their role).
#[utoipa::path(patch, path = "/v1/team/me", tag = "team", request_body = UpdateMe, security(("session" = [])),
    responses((status = 200, body = MyAccount), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn team_me_update(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    AppJson(b): AppJson<UpdateMe>,
) -> Result<Json<MyAccount>, AppError> {
    let m = me(caller, true)?;
    let name = b.name.as_deref().map(team::check_name).transpose()?;
    let notify = b
        .notify
        .as_deref()
        .map(team_mail::check_notify)
        .transpose()?;
    let new_hash = match (&b.password, &b.current_password) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(AppError::bad(
                "missing_current_password",
                "send current_password with a new password",
            ))
        }
        (Some(new), Some(current)) => {
            team::check_password(new)?;
            Some(change_password(&state, &m.id, current, new).await?)
        }
    };
    let mut tx = state.db.begin_write().await?;
    let before = load(&mut tx, &m.id).await?;
    set_name_and_notify(&mut tx, &m.id, name, notify).await?;
    if let Some(hash) = new_hash {
        sqlx::query("UPDATE team_members SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(&m.id)
            .execute(&mut *tx)
            .await?;
        // A new password ends the member's other sessions (a lost laptop), not this one.
        let current = session::session_token(&headers).map(|t| sha256_hex(&t));
        sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND token_hash <> $2")
            .bind(&m.id)
            .bind(current.unwrap_or_default())
            .execute(&mut *tx)
            .await?;
    }
    let after = load(&mut tx, &m.id).await?;
    record_changes(&mut tx, &format!("user:{}", m.email), &before, &after).await?;
    tx.commit().await?;
    Ok(account(&state, after))
}

/// Checks `current` against the member's password and hashes `new`; 400 `wrong_password`.
async fn change_password(
    state: &AppState,
    id: &str,
    current: &str,
    new: &str,
) -> Result<String, AppError> {
    let stored: Option<String> =
        sqlx::query("SELECT password_hash FROM team_members WHERE id = $1")
            .bind(id)
            .fetch_optional(&state.db.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .flatten();
    let (current, new) = (current.to_owned(), new.to_owned());
    tokio::task::spawn_blocking(move || {
        let ok = stored.is_some_and(|h| credentials::verify_password(&current, &h));
        if !ok {
            return Err(AppError::bad(
                "wrong_password",
                "the current password is not right",
            ));
        }
        credentials::hash_password(&new).map_err(|e| AppError::Internal(format!("{e:#}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("password hash: {e}")))?
}

/// A two-factor setup to confirm: the secret, and the address an authenticator app scans.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TwoFactorSetup {
    /// The secret, base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://totp/…` address, for a QR code.
    pub otpauth_url: String,
}

/// A code of the member's authenticator app.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorCode {
    /// Six digits.
    pub code: String,
}

fn wrong_code() -> AppError {
    AppError::bad(
        "wrong_code",
        "the code is not the one the app shows now; wait for the next one and try again",
    )
}

/// The member's stored secret (`totp_secret` or `totp_pending`) and last step.
async fn stored_secret(
    tx: &mut Tx,
    id: &str,
    column: &'static str,
) -> Result<(Option<Vec<u8>>, Option<u64>), AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {column}, totp_last_step FROM team_members WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let secret = row
        .try_get::<Option<String>, _>(0)?
        .and_then(|s| crate::two_factor::from_base32(&s));
    let last = row
        .try_get::<Option<i64>, _>(1)?
        .and_then(|s| u64::try_from(s).ok());
    Ok((secret, last))
}

/// Keeps `step` as the member's last used one.
async fn keep_step(tx: &mut Tx, id: &str, step: u64) -> Result<(), AppError> {
    sqlx::query("UPDATE team_members SET totp_last_step = $1 WHERE id = $2")
        .bind(i64::try_from(step).map_err(|_| AppError::Internal("a code's step".into()))?)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn now_secs() -> u64 {
    u64::try_from(now()).unwrap_or(0)
}

/// Starts setting up two-factor sign-in: a new secret, confirmed by a first code.
#[utoipa::path(post, path = "/v1/team/me/two-factor", tag = "team", security(("session" = [])),
    responses((status = 201, body = TwoFactorSetup), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "`two_factor_on`: turn it off first")))]
pub async fn two_factor_start(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, AppError> {
    let m = me(caller, true)?;
    let program = state.program().await?;
    let mut tx = state.db.begin_write().await?;
    let (on, _) = stored_secret(&mut tx, &m.id, "totp_secret").await?;
    if on.is_some() {
        return Err(AppError::conflict(
            "two_factor_on",
            "two-factor sign-in is on already; turn it off first to set up another app",
        ));
    }
    let secret = crate::two_factor::new_secret();
    let encoded = crate::two_factor::base32(&secret);
    sqlx::query("UPDATE team_members SET totp_pending = $1 WHERE id = $2")
        .bind(&encoded)
        .bind(&m.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let setup = TwoFactorSetup {
        otpauth_url: crate::two_factor::otpauth_url(&secret, &program.name, &m.email),
        secret: encoded,
    };
    Ok((StatusCode::CREATED, Json(setup)).into_response())
}

/// Which way a member turns their two-factor sign-in, with a code of the app.
#[derive(Clone, Copy, PartialEq)]
enum Turn {
    /// On, with the first code of the app just set up.
    On,
    /// Off, with a current code.
    Off,
}

async fn turn_two_factor(
    state: &AppState,
    caller: Caller,
    code: &str,
    turn: Turn,
) -> Result<Json<MyAccount>, AppError> {
    let m = me(caller, true)?;
    let mut tx = state.db.begin_write().await?;
    let column = match turn {
        Turn::On => "totp_pending",
        Turn::Off => "totp_secret",
    };
    let (secret, last) = stored_secret(&mut tx, &m.id, column).await?;
    let secret = secret.ok_or_else(|| match turn {
        Turn::On => AppError::conflict(
            "no_two_factor_setup",
            "start setting up two-factor sign-in first",
        ),
        Turn::Off => AppError::conflict("two_factor_off", "two-factor sign-in is not on"),
    })?;
    // A new app starts its own count of steps.
    let last = if turn == Turn::On { None } else { last };
    let step =
        crate::two_factor::matching_step(&secret, code, now_secs(), last).ok_or_else(wrong_code)?;
    let before = load(&mut tx, &m.id).await?;
    match turn {
        Turn::On => {
            sqlx::query(
                "UPDATE team_members SET totp_secret = totp_pending, totp_pending = NULL WHERE id = $1",
            )
            .bind(&m.id)
            .execute(&mut *tx)
            .await?;
        }
        Turn::Off => clear_two_factor(&mut tx, &m.id).await?,
    }
    keep_step(&mut tx, &m.id, step).await?;
    let codes = match turn {
        Turn::On => Some(new_recovery_codes(&mut tx, &m.id).await?),
        Turn::Off => None,
    };
    let after = load(&mut tx, &m.id).await?;
    record_changes(&mut tx, &format!("user:{}", m.email), &before, &after).await?;
    tx.commit().await?;
    let mut answer = account(state, after);
    answer.recovery_codes = codes;
    Ok(answer)
}

/// Replaces member `id`'s recovery codes with a new set; answers them (shown once).
async fn new_recovery_codes(tx: &mut Tx, id: &str) -> Result<Vec<String>, AppError> {
    sqlx::query("DELETE FROM team_recovery_codes WHERE member_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let mut codes = Vec::with_capacity(crate::two_factor::RECOVERY_CODES);
    while codes.len() < crate::two_factor::RECOVERY_CODES {
        let code = crate::two_factor::new_recovery_code();
        if codes.contains(&code) {
            continue;
        }
        sqlx::query("INSERT INTO team_recovery_codes (member_id, code_hash) VALUES ($1, $2)")
            .bind(id)
            .bind(sha256_hex(&code))
            .execute(&mut **tx)
            .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// A new set of recovery codes (the old ones stop working), with a current code of the app.
#[utoipa::path(post, path = "/v1/team/me/two-factor/recovery-codes", tag = "team", request_body = TwoFactorCode, security(("session" = [])),
    responses((status = 200, body = MyAccount, description = "With `recovery_codes`, shown this once"),
        (status = 400, body = crate::error::ErrorBody, description = "`wrong_code`"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "`two_factor_off`: it is not on")))]
pub async fn recovery_codes_renew(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(b): AppJson<TwoFactorCode>,
) -> Result<Json<MyAccount>, AppError> {
    let m = me(caller, true)?;
    let mut tx = state.db.begin_write().await?;
    let (secret, last) = stored_secret(&mut tx, &m.id, "totp_secret").await?;
    let secret = secret
        .ok_or_else(|| AppError::conflict("two_factor_off", "two-factor sign-in is not on"))?;
    let step = crate::two_factor::matching_step(&secret, &b.code, now_secs(), last)
        .ok_or_else(wrong_code)?;
    keep_step(&mut tx, &m.id, step).await?;
    let codes = new_recovery_codes(&mut tx, &m.id).await?;
    let member = load(&mut tx, &m.id).await?;
    tx.commit().await?;
    let mut answer = account(&state, member);
    answer.recovery_codes = Some(codes);
    Ok(answer)
}

/// Turns two-factor sign-in on with a first code of the app just set up.
#[utoipa::path(post, path = "/v1/team/me/two-factor/confirm", tag = "team", request_body = TwoFactorCode, security(("session" = [])),
    responses((status = 200, body = MyAccount), (status = 400, body = crate::error::ErrorBody, description = "`wrong_code`"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "`no_two_factor_setup`: start one first")))]
pub async fn two_factor_confirm(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(b): AppJson<TwoFactorCode>,
) -> Result<Json<MyAccount>, AppError> {
    turn_two_factor(&state, caller, &b.code, Turn::On).await
}

/// Turns the member's two-factor sign-in off, with a current code.
#[utoipa::path(delete, path = "/v1/team/me/two-factor", tag = "team", request_body = TwoFactorCode, security(("session" = [])),
    responses((status = 200, body = MyAccount), (status = 400, body = crate::error::ErrorBody, description = "`wrong_code`"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "`two_factor_off`: it is not on")))]
pub async fn two_factor_stop(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(b): AppJson<TwoFactorCode>,
) -> Result<Json<MyAccount>, AppError> {
    turn_two_factor(&state, caller, &b.code, Turn::Off).await
}
