//! What the outboxes share (`outbox` for webhooks, `mail_outbox` for affiliate emails,
//! `postbacks` for affiliates' trackers): a worker claims a due row before sending it, waits
//! longer after each failed attempt, and removes rows finished long ago.

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
pub async fn failed<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
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
    .execute(db)
    .await?;
    Ok(())
}

/// What one request got: the HTTP status, or why there was none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The answer's status code.
    pub status: Option<u16>,
    /// Why it failed, if it did (a status outside 2xx counts as failing).
    pub error: Option<String>,
}

impl Outcome {
    /// The outcome of a request that got no answer.
    pub fn failed(error: String) -> Outcome {
        Outcome {
            status: None,
            error: Some(error),
        }
    }

    /// What `result` says: a 2xx delivers, another status fails with it, and a request error
    /// fails with its causes.
    pub fn of(result: Result<reqwest::Response, reqwest::Error>) -> Outcome {
        match result {
            Ok(res) => {
                let code = res.status().as_u16();
                Outcome {
                    status: Some(code),
                    error: (!res.status().is_success()).then(|| format!("HTTP {code}")),
                }
            }
            Err(e) => Outcome::failed(crate::error::clip(&error_chain(&e), 300)),
        }
    }
}

/// `e` and its causes, one after the other: reqwest's own message alone says little.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A row's state as the routes show it: `delivered`, `failed` (given up) or `pending` (not
/// sent yet, or to be tried again).
pub fn status(delivered_at: Option<i64>, failed_at: Option<i64>) -> &'static str {
    match (delivered_at, failed_at) {
        (Some(_), _) => "delivered",
        (None, Some(_)) => "failed",
        (None, None) => "pending",
    }
}

/// Gives up row `id` of `table` (a webhook event or a postback) after its last failed attempt,
/// and queues the team's email about it in the same transaction.
pub async fn give_up(
    state: &crate::AppState,
    table: &'static str,
    id: &str,
    attempts: i64,
    error: &str,
    notice: &crate::team_mail::DeliveryFailedNotice,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    failed(&mut *tx, table, id, attempts, true, error).await?;
    crate::team_mail::delivery_failed(&mut tx, state, id, notice).await?;
    tx.commit().await?;
    Ok(())
}

/// How long a finished row (sent, or given up) is kept, seconds: 30 days to see what was sent.
pub const FINISHED_KEPT: i64 = 30 * 86_400;

/// Rows removed per statement, at most.
const PRUNE_BATCH: i64 = 5_000;

/// The outboxes and the column that says a row was sent.
const OUTBOXES: [(&str, &str); 3] = [
    ("outbox", "delivered_at"),
    ("mail_outbox", "sent_at"),
    ("postbacks", "delivered_at"),
];

/// Removes the rows of every outbox queued before `now - FINISHED_KEPT` that are finished;
/// a row still owed stays, however old. Returns how many went.
pub async fn prune_finished(pool: &AnyPool, now: i64) -> Result<u64, AppError> {
    let mut removed = 0;
    for (table, sent) in OUTBOXES {
        loop {
            let n = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} \
                 WHERE at < $1 AND ({sent} IS NOT NULL OR failed_at IS NOT NULL) LIMIT $2)"
            )))
            .bind(now - FINISHED_KEPT)
            .bind(PRUNE_BATCH)
            .execute(pool)
            .await?
            .rows_affected();
            removed += n;
            if n < PRUNE_BATCH as u64 {
                break;
            }
        }
    }
    Ok(removed)
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
