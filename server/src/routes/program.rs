//! `GET /v1/program` and `PUT /v1/program`: the program's settings; `GET /v1/program/changes`:
//! the history of their changes (who, when, each setting before and after).

use crate::auth::{Merchant, Owner};
use crate::error::{AppError, AppJson, AppQuery};
use crate::program::{self, Program, SettingChange};
use crate::team::Role;
use crate::times;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// The program settings.
#[utoipa::path(get, path = "/v1/program", tag = "merchant", security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Program), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn program_show(
    State(state): State<AppState>,
    Merchant(via): Merchant,
) -> Result<Json<Program>, AppError> {
    let mut p = program::load(&state.db).await?;
    // The secret that signs webhooks is the owner's, like the keys.
    if via.role() == Role::Owner {
        p.webhook_secret = crate::webhooks::webhook_secret(&state).await?;
    }
    Ok(Json(p))
}

/// Replaces the program settings (fields left out take their defaults, `locale` the one of the
/// currency; `webhook_secret` is read-only).
#[utoipa::path(put, path = "/v1/program", tag = "merchant", request_body = Program, security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Program), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn program_update(
    State(state): State<AppState>,
    Owner(via): Owner,
    AppJson(mut p): AppJson<Program>,
) -> Result<Json<Program>, AppError> {
    p.validate()?;
    p.settle_locale();
    p.webhook_secret = String::new();
    let mut tx = state.db.begin_write().await?;
    let before = program::load_in(&mut tx).await?;
    program::store(&mut tx, &p).await?;
    let changed = program::changed_settings(&before, &p);
    if !changed.is_empty() {
        // `seq` orders the changes of one second: the later recorded, the larger.
        sqlx::query(
            "INSERT INTO program_changes (id, at, seq, by_whom, settings) \
             SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4 FROM program_changes",
        )
        .bind(crate::ids::new_id("pc"))
        .bind(times::now())
        .bind(via.by())
        .bind(serde_json::to_string(&changed)?)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    state.program_changed(p.clone());
    p.webhook_secret = crate::webhooks::webhook_secret(&state).await?;
    Ok(Json(p))
}

/// One change of the program's settings.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ProgramChange {
    /// Its id.
    pub id: String,
    /// When it was made.
    pub at: String,
    /// Who made it: `secret_key` (a script or the shop's backend) or `dashboard`.
    pub by: String,
    /// Each setting it changed, by name.
    pub settings: Vec<SettingChange>,
}

/// The history of the program's settings.
#[derive(Serialize, ToSchema)]
pub struct ProgramChanges {
    /// Newest first.
    pub changes: Vec<ProgramChange>,
}

/// A page of the history.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ProgramChangesQuery {
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// The changes of the program's settings, newest first.
#[utoipa::path(get, path = "/v1/program/changes", tag = "merchant", params(ProgramChangesQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = ProgramChanges), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn program_changes(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ProgramChangesQuery>,
) -> Result<Json<ProgramChanges>, AppError> {
    let (limit, offset) = super::page(Some(q.limit.unwrap_or(50)), q.offset)?;
    let rows = sqlx::query(
        "SELECT id, at, by_whom, settings FROM program_changes \
         ORDER BY at DESC, seq DESC LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db.pool)
    .await?;
    let mut changes = Vec::with_capacity(rows.len());
    for r in &rows {
        changes.push(ProgramChange {
            id: r.try_get(0)?,
            at: times::format(r.try_get(1)?),
            by: r.try_get(2)?,
            settings: serde_json::from_str(&r.try_get::<String, _>(3)?)?,
        });
    }
    Ok(Json(ProgramChanges { changes }))
}
