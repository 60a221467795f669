//! What the two outboxes share (`outbox` for webhooks, `mail_outbox` for affiliate emails): a
//! worker claims a due row before sending it, and waits longer after each failed attempt.

use crate::error::AppError;
use sqlx::AnyPool;

/// Claims row `id` of `table`, seen due at `next_at`, until `lease_until`: whoever moves
/// `next_at` first sends it, so several processes never send one row twice.
pub async fn claim(
    pool: &AnyPool,
    table: &'static str,
    id: &str,
    next_at: i64,
    lease_until: i64,
) -> Result<bool, AppError> {
    let claimed = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET next_at = $1 WHERE id = $2 AND next_at = $3"
    )))
    .bind(lease_until)
    .bind(id)
    .bind(next_at)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

/// Records the failed attempt number `attempts` at row `id` of `table`: due again after the
/// backoff, or given up (`failed_at`) when `give_up`.
pub async fn failed(
    pool: &AnyPool,
    table: &'static str,
    id: &str,
    attempts: i64,
    give_up: bool,
    error: &str,
) -> Result<(), AppError> {
    let now = crate::times::now();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET attempts = $1, next_at = $2, failed_at = $3, last_error = $4 WHERE id = $5"
    )))
    .bind(attempts)
    .bind(now + backoff(attempts))
    .bind(give_up.then_some(now))
    .bind(crate::error::clip(error, 500))
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Seconds before the next attempt after `attempts` failed ones: 30 s doubling, at most 6 h.
pub fn backoff(attempts: i64) -> i64 {
    (30i64 << attempts.clamp(0, 10)).min(6 * 3600)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_from_30_seconds_to_at_most_6_hours() {
        let waits: Vec<i64> = (1..=12).map(super::backoff).collect();
        assert_eq!(&waits[..4], &[60, 120, 240, 480]);
        assert_eq!(waits[9], 6 * 3600);
        assert_eq!(super::backoff(100), 6 * 3600);
    }
}
