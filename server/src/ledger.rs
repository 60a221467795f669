//! The append-only money ledger, and the referral status changes that move money in it.
//!
//! Each row puts an amount into or out of one bucket of an affiliate's money in one currency:
//! `pending` (in the hold period), `approved` (payable), `paid`. A new commission is one row into
//! `pending`; approval moves it to `approved`; a payout moves it to `paid`; a refund or a
//! rejection takes it out. Rows are never updated or deleted: every balance is a `SUM`.
//! A refund after payout takes the reversal out of `approved`, leaving it negative; the next
//! payout nets it.

use crate::db::{Backend, Db, Tx};
use crate::error::AppError;
use crate::ids::new_id;
use crate::times::now;
use sqlx::Row;

/// Bucket names.
pub mod bucket {
    /// In the hold period.
    pub const PENDING: &str = "pending";
    /// Payable.
    pub const APPROVED: &str = "approved";
    /// Paid out.
    pub const PAID: &str = "paid";
}

/// One ledger row to write.
pub struct Entry<'a> {
    /// The affiliate whose money moves.
    pub affiliate: &'a str,
    /// The referral it belongs to.
    pub referral: Option<&'a str>,
    /// The bonus it belongs to.
    pub bonus: Option<&'a str>,
    /// The recruiter commission it belongs to.
    pub recruiter_commission: Option<&'a str>,
    /// The payout it belongs to.
    pub payout: Option<&'a str>,
    /// The bucket.
    pub bucket: &'a str,
    /// What happened: `commission`, `approval`, `reversal`, `rejection`, `payout`, `bonus`,
    /// `bonus_cancel`; for a recruiter commission, `recruiter_commission` and the same moves.
    pub entry: &'a str,
    /// Signed amount, minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: &'a str,
}

/// Appends one row (nothing for a zero amount).
pub async fn append(tx: &mut Tx, e: Entry<'_>) -> Result<(), AppError> {
    if e.amount == 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO ledger (id, at, affiliate_id, referral_id, bonus_id, recruiter_commission_id, payout_id, bucket, entry, amount, currency) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id("led"))
    .bind(now())
    .bind(e.affiliate)
    .bind(e.referral)
    .bind(e.bonus)
    .bind(e.recruiter_commission)
    .bind(e.payout)
    .bind(e.bucket)
    .bind(e.entry)
    .bind(e.amount)
    .bind(e.currency)
    .execute(&mut **tx)
    .await?;
    if let Some(referral) = e.referral {
        crate::rollups::ledger_delta(tx, referral, e.amount).await?;
    }
    Ok(())
}

/// A referral's money per bucket: (pending, approved, paid).
pub async fn referral_buckets(tx: &mut Tx, referral: &str) -> Result<(i64, i64, i64), AppError> {
    let row = sqlx::query(
        "SELECT \
           CAST(COALESCE(SUM(CASE WHEN bucket = 'pending' THEN amount ELSE 0 END), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN bucket = 'approved' THEN amount ELSE 0 END), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN bucket = 'paid' THEN amount ELSE 0 END), 0) AS BIGINT) \
         FROM ledger WHERE referral_id = $1",
    )
    .bind(referral)
    .fetch_one(&mut **tx)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}

/// Commission already reversed on a referral (a positive number).
pub async fn reversed(tx: &mut Tx, referral: &str) -> Result<i64, AppError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger WHERE referral_id = $1 AND entry = 'reversal'",
    )
    .bind(referral)
    .fetch_one(&mut **tx)
    .await?;
    Ok(-row.try_get::<i64, _>(0)?)
}

/// Serializes changes to one thing across processes: a transaction-scoped advisory lock on
/// PostgreSQL; on SQLite the write transaction already holds the database's write lock.
pub async fn lock(db: &Db, tx: &mut Tx, key: &str) -> Result<(), AppError> {
    if db.backend == Backend::Postgres {
        let h = crate::ids::sha256_hex(key);
        let n = i64::from_str_radix(&h[..15], 16).unwrap_or(0);
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(n)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
