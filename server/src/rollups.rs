//! Report rollups kept in the same transaction as the changes they count (migration 4):
//!
//! - `referral_daily`: per UTC day of the referral, affiliate, currency and kind, the referral
//!   counts and sums the reports need, including the ledger's net commission, the refunds, and
//!   the cost of goods of the sales with the cost their refunds took back (migration 5).
//!   Every change goes through here as a delta: [`referral_sub`] before a change to a referral
//!   or its refunds and [`referral_add`] after it (the referral's contribution is read from
//!   the rows themselves), [`ledger_delta`] for each ledger row. Deltas commute, so concurrent
//!   writers on PostgreSQL (row locks on the rollup row) cannot lose one.
//! - `order_daily`: per UTC day of the order and currency, every order's amount and the refunds
//!   of those orders (store revenue), as deltas by [`order_delta`].
//! - `visitor_last`: per visitor, the UTC day of their latest non-bot click on an affiliate
//!   link (a monotone `MAX`, safe under concurrency). Distinct visitors in a period that no
//!   later click follows are the visitors whose last day falls in it: an exact count.

use crate::db::Tx;
use crate::error::AppError;

const UPSERT: &str = "ON CONFLICT (day, affiliate_id, currency, kind) DO UPDATE SET \
     referrals = referral_daily.referrals + excluded.referrals, \
     referrals_net = referral_daily.referrals_net + excluded.referrals_net, \
     reversed = referral_daily.reversed + excluded.reversed, \
     amount = referral_daily.amount + excluded.amount, \
     amount_kept = referral_daily.amount_kept + excluded.amount_kept, \
     commission = referral_daily.commission + excluded.commission, \
     ledger_net = referral_daily.ledger_net + excluded.ledger_net, \
     refunded = referral_daily.refunded + excluded.refunded, \
     cost = referral_daily.cost + excluded.cost, \
     cost_refunded = referral_daily.cost_refunded + excluded.cost_refunded, \
     sales_without_cost = referral_daily.sales_without_cost + excluded.sales_without_cost";

/// The columns every insert into `referral_daily` names, in order.
const COLUMNS: &str =
    "day, affiliate_id, currency, kind, referrals, referrals_net, reversed, amount, \
     amount_kept, commission, ledger_net, refunded, cost, cost_refunded, sales_without_cost";

async fn referral_contribution(tx: &mut Tx, referral: &str, sign: i64) -> Result<(), AppError> {
    // A lead's `source_id` names a lead, so it matches no order: its cost columns stay 0.
    let sql = format!(
        "INSERT INTO referral_daily ({COLUMNS}) \
         SELECT r.at / 86400, r.affiliate_id, r.currency, r.kind, $2, \
         $2 * (CASE WHEN r.status IN ('reversed', 'rejected') THEN 0 ELSE 1 END), \
         $2 * (CASE WHEN r.status = 'reversed' THEN 1 ELSE 0 END), $2 * r.amount, \
         $2 * (CASE WHEN r.status = 'rejected' THEN 0 ELSE r.amount END), $2 * r.commission, 0, \
         $2 * (CASE WHEN r.status = 'rejected' THEN 0 ELSE \
           (SELECT CAST(COALESCE(SUM(x.amount), 0) AS BIGINT) FROM refunds x WHERE x.order_ref = r.source_id) END), \
         $2 * (CASE WHEN r.status = 'rejected' OR r.kind <> 'sale' THEN 0 ELSE COALESCE(o.cost, 0) END), \
         $2 * (CASE WHEN r.status = 'rejected' OR r.kind <> 'sale' THEN 0 ELSE \
           (SELECT CAST(COALESCE(SUM(x.cost), 0) AS BIGINT) FROM refunds x WHERE x.order_ref = r.source_id) END), \
         $2 * (CASE WHEN r.kind = 'sale' AND r.status NOT IN ('reversed', 'rejected') AND o.cost IS NULL THEN 1 ELSE 0 END) \
         FROM referrals r LEFT JOIN orders o ON o.id = r.source_id WHERE r.id = $1 {UPSERT}"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(referral)
        .bind(sign)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Takes a referral's contribution out of the rollup: call before changing its status or
/// adding a refund to its order.
pub async fn referral_sub(tx: &mut Tx, referral: &str) -> Result<(), AppError> {
    referral_contribution(tx, referral, -1).await
}

/// Puts a referral's contribution into the rollup: call after inserting it, and after a
/// change preceded by [`referral_sub`].
pub async fn referral_add(tx: &mut Tx, referral: &str) -> Result<(), AppError> {
    referral_contribution(tx, referral, 1).await
}

/// Adds one ledger row's amount to its referral's day (called by `ledger::append`).
pub async fn ledger_delta(tx: &mut Tx, referral: &str, amount: i64) -> Result<(), AppError> {
    let sql = format!(
        "INSERT INTO referral_daily ({COLUMNS}) \
         SELECT r.at / 86400, r.affiliate_id, r.currency, r.kind, 0, 0, 0, 0, 0, 0, $2, 0, 0, 0, 0 \
         FROM referrals r WHERE r.id = $1 {UPSERT}"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(referral)
        .bind(amount)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds an order's amount and refunds to its day: after inserting the order (`amount`), and
/// after inserting a refund of it (`refunded`).
pub async fn order_delta(
    tx: &mut Tx,
    order: &str,
    amount: i64,
    refunded: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO order_daily (day, currency, amount, refunded) SELECT o.at / 86400, o.currency, $2, $3 \
         FROM orders o WHERE o.id = $1 ON CONFLICT (day, currency) DO UPDATE SET \
         amount = order_daily.amount + excluded.amount, refunded = order_daily.refunded + excluded.refunded",
    )
    .bind(order)
    .bind(amount)
    .bind(refunded)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The statement that builds `referral_daily` from the referrals, the ledger, the orders' cost
/// and the refunds (migration 4's, with the cost columns of migration 5).
const BUILD_REFERRAL_DAILY: &str = "INSERT INTO referral_daily (day, affiliate_id, currency, kind, referrals, \
     referrals_net, reversed, amount, amount_kept, commission, ledger_net, refunded, cost, cost_refunded, \
     sales_without_cost) \
     SELECT r.at / 86400, r.affiliate_id, r.currency, r.kind, COUNT(*), \
     SUM(CASE WHEN r.status IN ('reversed', 'rejected') THEN 0 ELSE 1 END), \
     SUM(CASE WHEN r.status = 'reversed' THEN 1 ELSE 0 END), SUM(r.amount), \
     SUM(CASE WHEN r.status = 'rejected' THEN 0 ELSE r.amount END), SUM(r.commission), \
     SUM(COALESCE(l.net, 0)), SUM(CASE WHEN r.status = 'rejected' THEN 0 ELSE COALESCE(f.refunded, 0) END), \
     SUM(CASE WHEN r.status = 'rejected' OR r.kind <> 'sale' THEN 0 ELSE COALESCE(o.cost, 0) END), \
     SUM(CASE WHEN r.status = 'rejected' OR r.kind <> 'sale' THEN 0 ELSE COALESCE(f.cost, 0) END), \
     SUM(CASE WHEN r.kind = 'sale' AND r.status NOT IN ('reversed', 'rejected') AND o.cost IS NULL THEN 1 ELSE 0 END) \
     FROM referrals r \
     LEFT JOIN (SELECT referral_id, SUM(amount) AS net FROM ledger WHERE referral_id IS NOT NULL GROUP BY referral_id) l \
       ON l.referral_id = r.id \
     LEFT JOIN (SELECT order_ref, SUM(amount) AS refunded, SUM(cost) AS cost FROM refunds GROUP BY order_ref) f \
       ON f.order_ref = r.source_id \
     LEFT JOIN orders o ON o.id = r.source_id \
     GROUP BY r.at / 86400, r.affiliate_id, r.currency, r.kind";

/// Recomputes the three rollups from the rows (after a bulk load that wrote rows directly).
pub async fn rebuild(tx: &mut Tx) -> Result<(), AppError> {
    sqlx::query("DELETE FROM referral_daily")
        .execute(&mut **tx)
        .await?;
    sqlx::query(BUILD_REFERRAL_DAILY).execute(&mut **tx).await?;
    sqlx::query("DELETE FROM order_daily")
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO order_daily (day, currency, amount, refunded) \
         SELECT o.at / 86400, o.currency, SUM(o.amount), SUM(COALESCE(f.refunded, 0)) FROM orders o \
         LEFT JOIN (SELECT order_ref, SUM(amount) AS refunded FROM refunds GROUP BY order_ref) f ON f.order_ref = o.id \
         GROUP BY o.at / 86400, o.currency",
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM visitor_last")
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO visitor_last (visitor_key, day) SELECT visitor_key, MAX(at) / 86400 FROM clicks \
         WHERE affiliate_id IS NOT NULL AND is_bot = 0 GROUP BY visitor_key",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the last click day of visitors (each visitor once, with their latest day).
pub async fn visitors_seen(tx: &mut Tx, seen: &[(&str, i64)]) -> Result<(), AppError> {
    for chunk in crate::db::statement_chunks(seen) {
        let n = chunk.len();
        let rows: Vec<String> = (0..n)
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "INSERT INTO visitor_last (visitor_key, day) VALUES {} ON CONFLICT (visitor_key) DO UPDATE \
             SET day = excluded.day WHERE excluded.day > visitor_last.day",
            rows.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (v, day) in chunk {
            q = q.bind(*v).bind(*day);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
