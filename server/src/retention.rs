//! Retention: a click keeps the visitor's details (the address hash, the user agent and the
//! referring page) for the program's `click_details_days`, then they are removed. The click
//! itself stays: reports count it, and its visitor key and bot flag were decided when it came.
//!
//! The worker runs a round every few seconds. A round goes forward from a watermark kept in
//! `settings`, at most [`BATCH`] clicks at a time, so it never scans clicks already forgotten,
//! and waits until [`SLACK`] seconds of clicks are due; replicas that run the same round at
//! once write the same values.

use crate::credentials::set_setting;
use crate::error::AppError;
use crate::AppState;
use sqlx::Row;

/// Clicks forgotten per round, at most (more when many share one second).
pub const BATCH: i64 = 5000;

/// The `settings` row holding the time before which every click's details are gone.
const WATERMARK: &str = "click_details_forgotten_before";

/// How late details may be removed, seconds: a round with less than this to do waits, so an
/// idle program does not write every few seconds.
pub const SLACK: i64 = 600;

/// One round at time `now`: removes the details of the next clicks older than the program's
/// `click_details_days`. Returns how many clicks it changed.
pub async fn forget_click_details(state: &AppState, now: i64) -> Result<u64, AppError> {
    let Some(days) = state.program().await?.click_details_days else {
        return Ok(0);
    };
    let cutoff = now - days * 86_400;
    let from = sqlx::query("SELECT value FROM settings WHERE name = $1")
        .bind(WATERMARK)
        .fetch_optional(&state.db.pool)
        .await?
        .map(|r| r.try_get::<String, _>(0))
        .transpose()?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(i64::MIN);
    if from > cutoff - SLACK {
        return Ok(0);
    }
    let mut tx = state.db.begin_write().await?;
    // The batch: from the first click due to the first click past [`BATCH`] of them (or the
    // cutoff). A second with more clicks than a batch is taken whole, so rounds always move on.
    let at_offset = |offset: i64| {
        sqlx::query(
            "SELECT at FROM clicks WHERE at >= $1 AND at < $2 ORDER BY at LIMIT 1 OFFSET $3",
        )
        .bind(from)
        .bind(cutoff)
        .bind(offset)
    };
    let first: Option<i64> = at_offset(0)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    let next: Option<i64> = match first {
        Some(_) => at_offset(BATCH)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
        None => None,
    };
    let until = match (first, next) {
        (Some(first), Some(next)) => next.max(first + 1).min(cutoff),
        _ => cutoff,
    };
    let changed = sqlx::query(
        "UPDATE clicks SET ip_hash = '', user_agent = '', referrer = '' \
         WHERE at >= $1 AND at < $2 AND (ip_hash <> '' OR user_agent <> '' OR referrer <> '')",
    )
    .bind(from)
    .bind(until)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    set_setting(&mut tx, WATERMARK, &until.to_string()).await?;
    tx.commit().await?;
    Ok(changed)
}
