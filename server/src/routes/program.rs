//! `GET /v1/program` and `PUT /v1/program`: the program's settings.

use crate::auth::Merchant;
use crate::error::{AppError, AppJson};
use crate::program::{self, Program};
use crate::AppState;
use axum::extract::State;
use axum::Json;

/// The program settings.
#[utoipa::path(get, path = "/v1/program", tag = "merchant", security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Program), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn program_show(
    State(state): State<AppState>,
    _m: Merchant,
) -> Result<Json<Program>, AppError> {
    let mut p = program::load(&state.db).await?;
    p.webhook_secret = crate::webhooks::webhook_secret(&state).await?;
    Ok(Json(p))
}

/// Replaces the program settings (fields left out take their defaults, `locale` the one of the
/// currency; `webhook_secret` is read-only).
#[utoipa::path(put, path = "/v1/program", tag = "merchant", request_body = Program, security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Program), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn program_update(
    State(state): State<AppState>,
    _m: Merchant,
    AppJson(mut p): AppJson<Program>,
) -> Result<Json<Program>, AppError> {
    p.validate()?;
    p.settle_locale();
    p.webhook_secret = String::new();
    let mut tx = state.db.begin_write().await?;
    program::store(&mut tx, &p).await?;
    tx.commit().await?;
    state.program_changed(p.clone());
    p.webhook_secret = crate::webhooks::webhook_secret(&state).await?;
    Ok(Json(p))
}
