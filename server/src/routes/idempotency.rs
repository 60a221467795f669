//! The `idempotency` table: the first answer to a request, stored under a scope and a key, so
//! that a retry answers `200` with the same body instead of applying the change again.
//!
//! The scopes: `sale` (order id) and `lead` (event and customer) identify the thing itself, and a
//! replay answers the first answer whatever the body; `sale_key`, `lead_key`, `refund` and
//! `payout` identify one request, and a different request under the same key is a `409`.

use crate::db::Tx;
use crate::error::AppError;
use crate::times::now;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sqlx::Row;

/// A stored first answer.
pub struct Stored {
    /// The hash of the request that was answered.
    pub request_hash: String,
    /// The body of the answer (JSON).
    pub body: String,
}

/// The first answer stored for `key` in `scope`, if any. `db` is the pool, or a transaction's
/// connection to see what committed while it waited for a lock.
pub async fn lookup<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    scope: &str,
    key: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT request_hash, body FROM idempotency WHERE scope = $1 AND idem_key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(db)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Stored {
        request_hash: r.try_get(0)?,
        body: r.try_get(1)?,
    }))
}

/// The answer to a request that finds `stored`: its body with `200`, or, when `reused` is given
/// (the key names one request) and the request differs, a `409 idempotency_key_reused` with that
/// message.
pub fn answer(
    stored: Stored,
    request_hash: &str,
    reused: Option<&str>,
) -> Result<Response, AppError> {
    if let Some(message) = reused {
        if stored.request_hash != request_hash {
            return Err(AppError::conflict(
                "idempotency_key_reused",
                message.to_owned(),
            ));
        }
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        stored.body,
    )
        .into_response())
}

/// The answer already committed for `key` in `scope`, read inside the caller's transaction:
/// a retry that waited for a lock while the first request committed answers that result
/// (`200`) instead of applying the change again; a different request under the same key is a
/// `409`. `what` names the thing in the message ("refund id", "Idempotency-Key").
pub async fn committed_answer(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    request_hash: &str,
    what: &str,
) -> Result<Option<Response>, AppError> {
    let Some(stored) = lookup(&mut **tx, scope, key).await? else {
        return Ok(None);
    };
    let reused = format!("this {what} was used for a different request");
    answer(stored, request_hash, Some(&reused)).map(Some)
}

/// Stores the first answer.
pub async fn remember(
    tx: &mut Tx,
    scope: &str,
    key: &str,
    request_hash: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO idempotency (scope, idem_key, request_hash, status, body, at) VALUES ($1, $2, $3, 201, $4, $5)")
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(body)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
