//! The merchant's team, the owner's to keep: `GET /v1/team`, `POST /v1/team` (an invitation),
//! `PATCH /v1/team/{id}` (name, role), `DELETE /v1/team/{id}`, `POST /v1/team/{id}/invite` (a
//! new link, for a lost invitation or a forgotten password); `POST /v1/team/accept`, where
//! the invited person sets their password and is signed in; `PUT /v1/team/policy` (two-factor
//! sign-in for everyone) and `DELETE /v1/team/{id}/two-factor` (a lost phone). A member's own
//! account is `team_account.rs`. Who may do what: `team.rs`.

use crate::activity;
use crate::auth::Owner;
use crate::credentials;
use crate::db::Tx;
use crate::error::{AppError, AppJson};
use crate::ids::{new_id, new_token, sha256_hex};
use crate::routes::session::{self, SessionMember, Signer};
use crate::team::{self, Role, INVITE_TTL};
use crate::team_mail;
use crate::times::{self, now};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::Row;
use utoipa::ToSchema;

/// A team member.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct MemberView {
    /// Id.
    pub id: String,
    /// Email (lower-case), which they sign in with.
    pub email: String,
    /// Name.
    pub name: String,
    /// `owner`, `manager` or `viewer`.
    pub role: String,
    /// `invited` (no password yet) or `active`.
    pub status: String,
    /// What they are emailed about: `affiliate.applied` (someone applied through the public
    /// form), `referral.flagged` (a referral waits for review), `delivery.failed` (a webhook
    /// event, for owners, or an affiliate's postback was given up). Owners and managers are
    /// invited with all, viewers with none; each member chooses in `PATCH /v1/team/me`.
    pub notify: Vec<String>,
    /// Whether they sign in with a code of an authenticator app too.
    pub two_factor: bool,
    /// How many of their recovery codes are still unused.
    pub recovery_codes_left: i64,
    /// Until when the last invitation link works, if one is open.
    pub invite_expires_at: Option<String>,
    /// Added.
    pub created_at: String,
    /// Last signed in.
    pub last_sign_in_at: Option<String>,
}

/// The team.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TeamPage {
    /// Owners first, then managers, then viewers; by email within a role.
    pub members: Vec<MemberView>,
    /// Whether every member must sign in with two factors (the team's policy).
    pub require_two_factor: bool,
}

/// The team's policy (`PUT /v1/team/policy`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPolicy {
    /// Every member signs in with two factors: one who has not set it up reaches only their own
    /// account (`403 two_factor_setup_required` elsewhere) until they do. The admin password
    /// is the operator's and stays as it is.
    pub require_two_factor: bool,
}

/// The policy as stored (`settings.team_require_two_factor`).
async fn requires_two_factor(conn: &mut sqlx::AnyConnection) -> Result<bool, AppError> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE name = 'team_require_two_factor'")
            .fetch_optional(conn)
            .await?;
    Ok(v.as_deref() == Some("true"))
}

/// The body of `POST /v1/team`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMember {
    /// Their email address.
    pub email: String,
    /// Their name.
    pub name: String,
    /// `owner`, `manager` or `viewer`.
    pub role: String,
    /// What they are emailed about; by default every event for an owner or a manager, none for
    /// a viewer.
    #[serde(default)]
    pub notify: Option<Vec<String>>,
}

/// The body of `PATCH /v1/team/{id}`: what changes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new role.
    #[serde(default)]
    pub role: Option<String>,
    /// What they are emailed about.
    #[serde(default)]
    pub notify: Option<Vec<String>>,
}

/// An invitation: the member, and the link that sets their password.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Invitation {
    /// The member.
    pub member: MemberView,
    /// The link, on this server: `/dashboard/#invite=…`. It works once, for seven days.
    pub invite_path: String,
    /// Whether it was also sent to the member by email (the server has `--smtp-url`).
    pub emailed: bool,
}

/// The body of `POST /v1/team/accept`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// The token after `#invite=` in the link.
    pub token: String,
    /// The password they choose: 10 to 200 characters.
    pub password: String,
}

const COLUMNS: &str = "id, email, name, role, \
     CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT), invite_expires_at, \
     created_at, last_sign_in_at, notify, \
     CAST(CASE WHEN totp_secret IS NULL THEN 0 ELSE 1 END AS BIGINT), \
     CAST((SELECT COUNT(*) FROM team_recovery_codes c \
       WHERE c.member_id = team_members.id AND c.used_at IS NULL) AS BIGINT)";

fn view(r: &sqlx::any::AnyRow) -> Result<MemberView, AppError> {
    let active = r.try_get::<i64, _>(4)? == 1;
    let t = now();
    Ok(MemberView {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        name: r.try_get(2)?,
        role: r.try_get(3)?,
        status: if active { "active" } else { "invited" }.into(),
        notify: team_mail::parse_stored(&r.try_get::<String, _>(8)?),
        two_factor: r.try_get::<i64, _>(9)? == 1,
        recovery_codes_left: r.try_get(10)?,
        invite_expires_at: r
            .try_get::<Option<i64>, _>(5)?
            .filter(|&e| e > t)
            .map(times::format),
        created_at: times::format(r.try_get(6)?),
        last_sign_in_at: r.try_get::<Option<i64>, _>(7)?.map(times::format),
    })
}

pub(super) async fn load(tx: &mut Tx, id: &str) -> Result<MemberView, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM team_members WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| AppError::not_found("member_not_found", "no team member has this id"))?;
    view(&row)
}

/// The fields of a member the activity log records, as `MemberView` names them.
fn logged(m: &MemberView) -> Value {
    json!({ "email": m.email, "name": m.name, "role": m.role })
}

/// The fields whose changes the log lists.
const CHANGED_FIELDS: [&str; 4] = ["name", "notify", "role", "two_factor"];

fn changeable(m: &MemberView) -> Value {
    json!({ "name": m.name, "notify": m.notify, "role": m.role, "two_factor": m.two_factor })
}

/// Records the changes between `before` and `after`, if any, by `by`.
pub(super) async fn record_changes(
    tx: &mut Tx,
    by: &str,
    before: &MemberView,
    after: &MemberView,
) -> Result<(), AppError> {
    let changes = activity::changes(&CHANGED_FIELDS, &changeable(before), &changeable(after));
    if !changes.is_empty() {
        let details = json!({ "email": after.email, "changes": changes });
        activity::record(tx, by, "member.updated", &after.id, None, details).await?;
    }
    Ok(())
}

/// Applies a name and a notify list, each when given, to member `id`.
pub(super) async fn set_name_and_notify(
    tx: &mut Tx,
    id: &str,
    name: Option<String>,
    notify: Option<Vec<String>>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE team_members SET name = COALESCE($1, name), notify = COALESCE($2, notify) WHERE id = $3",
    )
    .bind(name)
    .bind(notify.as_deref().map(team_mail::stored))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Lists the team.
#[utoipa::path(get, path = "/v1/team", tag = "team", security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = TeamPage), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn team_index(
    State(state): State<AppState>,
    _o: Owner,
) -> Result<Json<TeamPage>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM team_members ORDER BY \
         CASE role WHEN 'owner' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, email"
    )))
    .fetch_all(&state.db.pool)
    .await?;
    let members = rows.iter().map(view).collect::<Result<Vec<_>, _>>()?;
    let require_two_factor = requires_two_factor(&mut *state.db.pool.acquire().await?).await?;
    Ok(Json(TeamPage {
        members,
        require_two_factor,
    }))
}

/// Gives `id` a new invitation link (replacing any other), expiring in seven days.
async fn new_invite(tx: &mut Tx, id: &str) -> Result<String, AppError> {
    let token = new_token("ti_");
    sqlx::query("UPDATE team_members SET invite_hash = $1, invite_expires_at = $2 WHERE id = $3")
        .bind(sha256_hex(&token))
        .bind(now() + INVITE_TTL)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(token)
}

/// Emails the invitation when the server sends mail; whether it went.
async fn send_invite(state: &AppState, member: &MemberView, token: &str) -> bool {
    let Some(mailer) = state.http.mail.clone() else {
        return false;
    };
    let program = match state.program().await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "team invitation not sent: program settings");
            return false;
        }
    };
    let text = crate::mail::invite_text(
        program.locale(),
        &member.name,
        &program.name,
        &member.role,
        &mailer.invite_url(token),
    );
    match mailer.send(&member.email, text).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(member = %member.id, error = %format!("{e:#}"), "team invitation not delivered");
            false
        }
    }
}

/// Gives member `id` a new invitation link in `tx` (recorded as `by`'s), commits, emails it
/// when the server sends mail, and answers it (201).
async fn invitation(
    state: &AppState,
    mut tx: Tx,
    by: &str,
    id: &str,
) -> Result<Response, AppError> {
    let token = new_invite(&mut tx, id).await?;
    let member = load(&mut tx, id).await?;
    activity::record(&mut tx, by, "member.invited", id, None, logged(&member)).await?;
    tx.commit().await?;
    let emailed = send_invite(state, &member, &token).await;
    let body = Invitation {
        member,
        invite_path: team::invite_path(&token),
        emailed,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Invites a person to the team: they set their password through the link.
#[utoipa::path(post, path = "/v1/team", tag = "team", request_body = CreateMember, security(("secret_key" = []), ("session" = [])),
    responses((status = 201, body = Invitation), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "`email_taken`: already in the team")))]
pub async fn team_create(
    State(state): State<AppState>,
    Owner(via): Owner,
    AppJson(b): AppJson<CreateMember>,
) -> Result<Response, AppError> {
    let email = team::check_email(&b.email)?;
    let name = team::check_name(&b.name)?;
    let role = team::check_role(&b.role)?;
    let notify = match &b.notify {
        Some(n) => team_mail::check_notify(n)?,
        None => team_mail::default_notify(role),
    };
    let id = new_id("tm");
    let mut tx = state.db.begin_write().await?;
    let taken = sqlx::query("SELECT id FROM team_members WHERE email = $1")
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(AppError::conflict(
            "email_taken",
            "this address is already in the team",
        ));
    }
    sqlx::query(
        "INSERT INTO team_members (id, email, name, role, notify, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&email)
    .bind(&name)
    .bind(role.as_str())
    .bind(team_mail::stored(&notify))
    .bind(now())
    .execute(&mut *tx)
    .await?;
    invitation(&state, tx, &via.by(), &id).await
}

/// A new invitation link for a member: a lost invitation, or a forgotten password (the old
/// password works until the link is used).
#[utoipa::path(post, path = "/v1/team/{id}/invite", tag = "team", params(("id" = String, Path)), security(("secret_key" = []), ("session" = [])),
    responses((status = 201, body = Invitation), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn team_invite(
    State(state): State<AppState>,
    Owner(via): Owner,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin_write().await?;
    load(&mut tx, &id).await?;
    invitation(&state, tx, &via.by(), &id).await
}

/// Changes a member's name, role or emails; a role applies to their open sessions at once.
#[utoipa::path(patch, path = "/v1/team/{id}", tag = "team", params(("id" = String, Path)), request_body = UpdateMember, security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = MemberView), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn team_update(
    State(state): State<AppState>,
    Owner(via): Owner,
    Path(id): Path<String>,
    AppJson(b): AppJson<UpdateMember>,
) -> Result<Json<MemberView>, AppError> {
    let name = b.name.as_deref().map(team::check_name).transpose()?;
    let role = b.role.as_deref().map(team::check_role).transpose()?;
    let notify = b
        .notify
        .as_deref()
        .map(team_mail::check_notify)
        .transpose()?;
    let mut tx = state.db.begin_write().await?;
    let before = load(&mut tx, &id).await?;
    set_name_and_notify(&mut tx, &id, name, notify).await?;
    if let Some(role) = role {
        sqlx::query("UPDATE team_members SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    let after = load(&mut tx, &id).await?;
    record_changes(&mut tx, &via.by(), &before, &after).await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Removes a member from the team and ends their sessions.
#[utoipa::path(delete, path = "/v1/team/{id}", tag = "team", params(("id" = String, Path)), security(("secret_key" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn team_delete(
    State(state): State<AppState>,
    Owner(via): Owner,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let mut tx = state.db.begin_write().await?;
    let member = load(&mut tx, &id).await?;
    sqlx::query("DELETE FROM sessions WHERE member_id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM team_members WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    activity::record(
        &mut tx,
        &via.by(),
        "member.removed",
        &id,
        None,
        logged(&member),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the invited member's password and signs them in. The link works once; setting a
/// password through a new link ends the member's other sessions.
#[utoipa::path(post, path = "/v1/team/accept", tag = "team", request_body = AcceptInvite,
    responses((status = 201, body = crate::routes::session::SessionView, description = "Signed in; `Set-Cookie: rt_session=…`"),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody, description = "The link is unknown, used or expired")))]
pub async fn team_accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(b): AppJson<AcceptInvite>,
) -> Result<Response, AppError> {
    let token = b.token.trim();
    let well_formed = token.strip_prefix("ti_").is_some_and(|rest| {
        !rest.is_empty() && rest.len() <= 64 && rest.bytes().all(|c| c.is_ascii_alphanumeric())
    });
    if !well_formed {
        return Err(AppError::bad(
            "invalid_token",
            "token must be what follows #invite= in the link",
        ));
    }
    team::check_password(&b.password)?;
    let pw = b.password.clone();
    let hash = tokio::task::spawn_blocking(move || credentials::hash_password(&pw))
        .await
        .map_err(|e| AppError::Internal(format!("password hash: {e}")))?
        .map_err(|e| AppError::Internal(format!("{e:#}")))?;
    let mut tx = state.db.begin_write().await?;
    // Claimed by whoever clears it first: a link opened twice sets one password.
    let row = sqlx::query(
        "SELECT id, email, name, role FROM team_members WHERE invite_hash = $1 AND invite_expires_at > $2",
    )
    .bind(sha256_hex(token))
    .bind(now())
    .fetch_optional(&mut *tx)
    .await?;
    let gone = || {
        AppError::Unauthorized(
            "this invitation link is unknown, used or expired; ask the program's owner for a new one"
                .into(),
        )
    };
    let row = row.ok_or_else(gone)?;
    let id: String = row.try_get(0)?;
    let claimed = sqlx::query(
        "UPDATE team_members SET password_hash = $1, invite_hash = NULL, invite_expires_at = NULL \
         WHERE id = $2 AND invite_hash = $3",
    )
    .bind(&hash)
    .bind(&id)
    .bind(sha256_hex(token))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed != 1 {
        return Err(gone());
    }
    sqlx::query("DELETE FROM sessions WHERE member_id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let role: String = row.try_get(3)?;
    let signer = Signer {
        member_id: Some(id.clone()),
        role: Role::parse(&role).ok_or_else(|| AppError::Internal("a stored role".into()))?,
        member: Some(SessionMember {
            id,
            email: row.try_get(1)?,
            name: row.try_get(2)?,
        }),
    };
    let res = session::open(&mut tx, &headers, &state, signer).await?;
    tx.commit().await?;
    Ok(res)
}

pub(super) async fn clear_two_factor(tx: &mut Tx, id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE team_members SET totp_secret = NULL, totp_pending = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM team_recovery_codes WHERE member_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Turns a member's two-factor sign-in off for them (a lost phone): they sign in with their
/// password alone until they set it up again.
#[utoipa::path(delete, path = "/v1/team/{id}/two-factor", tag = "team", params(("id" = String, Path)), security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = MemberView), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn team_two_factor_reset(
    State(state): State<AppState>,
    Owner(via): Owner,
    Path(id): Path<String>,
) -> Result<Json<MemberView>, AppError> {
    let mut tx = state.db.begin_write().await?;
    let before = load(&mut tx, &id).await?;
    clear_two_factor(&mut tx, &id).await?;
    let after = load(&mut tx, &id).await?;
    record_changes(&mut tx, &via.by(), &before, &after).await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Sets the team's policy: whether every member signs in with two factors.
#[utoipa::path(put, path = "/v1/team/policy", tag = "team", request_body = TeamPolicy, security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = TeamPolicy), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn team_policy_update(
    State(state): State<AppState>,
    Owner(via): Owner,
    AppJson(b): AppJson<TeamPolicy>,
) -> Result<Json<TeamPolicy>, AppError> {
    let mut tx = state.db.begin_write().await?;
    let before = requires_two_factor(&mut tx).await?;
    if before != b.require_two_factor {
        let value = if b.require_two_factor {
            "true"
        } else {
            "false"
        };
        crate::credentials::set_setting(&mut tx, "team_require_two_factor", value).await?;
        let details = json!({ "changes": [{
            "field": "require_two_factor", "before": before, "after": b.require_two_factor,
        }] });
        activity::record(
            &mut tx,
            &via.by(),
            "team.policy_changed",
            "team",
            None,
            details,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Json(b))
}
