//! API keys: `GET /v1/keys`, `POST /v1/keys` (a new key, shown once), `DELETE /v1/keys/{id}`.

use crate::activity;
use crate::auth::Owner;
use crate::credentials::{self, KeyKind};
use crate::error::{AppError, AppJson};
use crate::ids::new_token;
use crate::times::{self, now};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;

/// A key, without its secret.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    /// Id.
    pub id: String,
    /// `secret` or `publishable`.
    pub kind: String,
    /// The first characters, to recognise it.
    pub prefix: String,
    /// Created.
    pub created_at: String,
    /// Revoked, if it is.
    pub revoked_at: Option<String>,
}

/// Keys.
#[derive(Serialize, ToSchema)]
pub struct KeysPage {
    /// Newest first.
    pub keys: Vec<KeyView>,
}

/// The body of `POST /v1/keys`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// `secret` or `publishable`.
    pub kind: String,
}

/// A new key, shown once.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct KeyCreated {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// The key.
    pub key: String,
}

/// Lists keys.
#[utoipa::path(get, path = "/v1/keys", tag = "merchant", security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = KeysPage), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn keys_index(
    State(state): State<AppState>,
    _m: Owner,
) -> Result<Json<KeysPage>, AppError> {
    let rows = sqlx::query("SELECT id, kind, prefix, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id DESC")
        .fetch_all(&state.db.pool)
        .await?;
    let keys = rows
        .iter()
        .map(|r| {
            Ok(KeyView {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                prefix: r.try_get(2)?,
                created_at: times::format(r.try_get(3)?),
                revoked_at: r.try_get::<Option<i64>, _>(4)?.map(times::format),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(KeysPage { keys }))
}

/// Creates a key.
#[utoipa::path(post, path = "/v1/keys", tag = "merchant", request_body = CreateKey, security(("secret_key" = []), ("session" = [])),
    responses((status = 201, body = KeyCreated), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn keys_create(
    State(state): State<AppState>,
    Owner(via): Owner,
    AppJson(b): AppJson<CreateKey>,
) -> Result<Response, AppError> {
    let kind = KeyKind::parse(&b.kind)
        .ok_or_else(|| AppError::bad("invalid_kind", "kind must be secret or publishable"))?;
    let key = new_token(kind.prefix());
    let mut tx = state.db.begin_write().await?;
    let id = credentials::insert_key(&mut tx, kind, &key).await?;
    let details = json!({ "kind": kind.as_str() });
    activity::record(&mut tx, &via.by(), "key.created", &id, None, details).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(KeyCreated {
            id,
            kind: kind.as_str().to_owned(),
            key,
        }),
    )
        .into_response())
}

/// Revokes a key. The last active secret key cannot be revoked (nothing could then manage the
/// program but the dashboard).
#[utoipa::path(delete, path = "/v1/keys/{id}", tag = "merchant", params(("id" = String, Path)), security(("secret_key" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn keys_revoke(
    State(state): State<AppState>,
    Owner(via): Owner,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let mut tx = state.db.begin_write().await?;
    let row = sqlx::query("SELECT kind, revoked_at FROM api_keys WHERE id = $1")
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found("key_not_found", "no key has this id"))?;
    let kind: String = row.try_get(0)?;
    if row.try_get::<Option<i64>, _>(1)?.is_some() {
        return Ok(StatusCode::NO_CONTENT);
    }
    if kind == "secret" {
        let active: i64 = sqlx::query(
            "SELECT COUNT(*) FROM api_keys WHERE kind = 'secret' AND revoked_at IS NULL",
        )
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if active <= 1 {
            return Err(AppError::conflict(
                "last_secret_key",
                "create another secret key before revoking this one",
            ));
        }
    }
    sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2")
        .bind(now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let details = json!({ "kind": kind });
    activity::record(&mut tx, &via.by(), "key.revoked", &id, None, details).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
