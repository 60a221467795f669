//! Recruiter commissions (two-tier): an affiliate who recruited another earns the program's
//! `recruiter_rate_bps` share of each commission their recruit earns, on top of it.
//!
//! A share is made with its referral and follows it: pending or approved as the referral is,
//! approved with it, taken out of the ledger when it is rejected, cut in proportion by its
//! refunds (what is left is the rate of what is left of the recruit's commission, rounded down),
//! paid with the recruiter's next payout. Its money moves in `ledger` under
//! `recruiter_commission_id`, in the recruiter's buckets, so balances and payouts count it. The
//! rate is the program's when the referral is made; a later change leaves existing shares alone.

use crate::db::Tx;
use crate::error::AppError;
use crate::ids::new_id;
use crate::ledger::{self, bucket, Entry};
use sqlx::Row;

/// The share of `commission` at `rate_bps`, rounded down (never more than the rate promises).
pub fn share(commission: i64, rate_bps: i64) -> i64 {
    if commission <= 0 || rate_bps <= 0 {
        return 0;
    }
    i64::try_from(i128::from(commission) * i128::from(rate_bps) / 10_000).unwrap_or(0)
}

/// A rate in basis points as a percent for people, in `locale`: `10`, `12.5` (`12,5` in
/// Vietnamese), `0.05`.
pub fn percent(rate_bps: i64, locale: &str) -> String {
    let (whole, hundredths) = (rate_bps / 100, rate_bps.rem_euclid(100));
    if hundredths == 0 {
        return whole.to_string();
    }
    let fraction = format!("{hundredths:02}");
    let point = if locale == "vi" { ',' } else { '.' };
    format!("{whole}{point}{}", fraction.trim_end_matches('0'))
}

/// One share as the ledger rows of the recruiter name it.
struct Share {
    id: String,
    affiliate: String,
    currency: String,
    rate_bps: i64,
    amount: i64,
    reversed: i64,
    status: String,
}

async fn share_of(tx: &mut Tx, referral: &str) -> Result<Option<Share>, AppError> {
    let row = sqlx::query(
        "SELECT id, affiliate_id, currency, rate_bps, amount, reversed, status \
         FROM recruiter_commissions WHERE referral_id = $1",
    )
    .bind(referral)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| -> Result<Share, sqlx::Error> {
        Ok(Share {
            id: r.try_get(0)?,
            affiliate: r.try_get(1)?,
            currency: r.try_get(2)?,
            rate_bps: r.try_get(3)?,
            amount: r.try_get(4)?,
            reversed: r.try_get(5)?,
            status: r.try_get(6)?,
        })
    })
    .transpose()
    .map_err(AppError::from)
}

async fn append(
    tx: &mut Tx,
    s: &Share,
    bucket: &str,
    entry: &str,
    amount: i64,
) -> Result<(), AppError> {
    ledger::append(
        tx,
        Entry {
            affiliate: &s.affiliate,
            referral: None,
            bonus: None,
            recruiter_commission: Some(&s.id),
            payout: None,
            bucket,
            entry,
            amount,
            currency: &s.currency,
        },
    )
    .await
}

/// The share's money per bucket: (pending, approved).
async fn buckets(tx: &mut Tx, id: &str) -> Result<(i64, i64), AppError> {
    let row = sqlx::query(
        "SELECT \
           CAST(COALESCE(SUM(CASE WHEN bucket = 'pending' THEN amount ELSE 0 END), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN bucket = 'approved' THEN amount ELSE 0 END), 0) AS BIGINT) \
         FROM ledger WHERE recruiter_commission_id = $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

async fn set_status(tx: &mut Tx, id: &str, status: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE recruiter_commissions SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Makes the share of the new referral `referral` (`status` pending or approved) for the
/// recruiter of its affiliate, when the program pays one and the recruiter is approved. It is
/// dated as its referral is, so the reports count both on the same day. Answers its id.
pub async fn created(
    tx: &mut Tx,
    rate_bps: i64,
    referral: &str,
) -> Result<Option<String>, AppError> {
    if rate_bps <= 0 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT r.affiliate_id, r.commission, r.currency, r.status, a.recruiter_id, r.at \
         FROM referrals r JOIN affiliates a ON a.id = r.affiliate_id \
         JOIN affiliates rec ON rec.id = a.recruiter_id AND rec.status = 'approved' \
         WHERE r.id = $1",
    )
    .bind(referral)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let amount = share(row.try_get(1)?, rate_bps);
    if amount <= 0 {
        return Ok(None);
    }
    let status: String = row.try_get(3)?;
    let s = Share {
        id: new_id("rc"),
        affiliate: row.try_get(4)?,
        currency: row.try_get(2)?,
        rate_bps,
        amount,
        reversed: 0,
        status,
    };
    sqlx::query(
        "INSERT INTO recruiter_commissions (id, referral_id, affiliate_id, recruit_id, rate_bps, amount, reversed, currency, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9)",
    )
    .bind(&s.id)
    .bind(referral)
    .bind(&s.affiliate)
    .bind(row.try_get::<String, _>(0)?)
    .bind(s.rate_bps)
    .bind(s.amount)
    .bind(&s.currency)
    .bind(&s.status)
    .bind(row.try_get::<i64, _>(5)?)
    .execute(&mut **tx)
    .await?;
    let into = if s.status == "approved" {
        bucket::APPROVED
    } else {
        bucket::PENDING
    };
    append(tx, &s, into, "recruiter_commission", amount).await?;
    Ok(Some(s.id))
}

/// Moves the share of `referral`, just approved, from pending to approved.
pub async fn approved(tx: &mut Tx, referral: &str) -> Result<(), AppError> {
    let Some(s) = share_of(tx, referral).await? else {
        return Ok(());
    };
    if s.status != "pending" {
        return Ok(());
    }
    let (pending, _) = buckets(tx, &s.id).await?;
    append(tx, &s, bucket::PENDING, "approval", -pending).await?;
    append(tx, &s, bucket::APPROVED, "approval", pending).await?;
    set_status(tx, &s.id, "approved").await
}

/// Takes the share of `referral`, just rejected, out of the ledger.
pub async fn rejected(tx: &mut Tx, referral: &str) -> Result<(), AppError> {
    let Some(s) = share_of(tx, referral).await? else {
        return Ok(());
    };
    match s.status.as_str() {
        "pending" | "approved" => {
            let (pending, approved) = buckets(tx, &s.id).await?;
            append(tx, &s, bucket::PENDING, "rejection", -pending).await?;
            append(tx, &s, bucket::APPROVED, "rejection", -approved).await?;
        }
        // Paid already: taken back from what the next payout owes, as a refund after payout is.
        "paid" => {
            let owed = s.amount - s.reversed;
            append(tx, &s, bucket::APPROVED, "rejection", -owed).await?;
        }
        _ => return Ok(()),
    }
    set_status(tx, &s.id, "rejected").await
}

/// Cuts the share of `referral` after a refund: `left` is what remains of the recruit's
/// commission; `full` when the order is refunded in full (the share is then `reversed`).
pub async fn refunded(tx: &mut Tx, referral: &str, left: i64, full: bool) -> Result<(), AppError> {
    let Some(s) = share_of(tx, referral).await? else {
        return Ok(());
    };
    if s.status == "rejected" {
        return Ok(());
    }
    let target = if full { 0 } else { share(left, s.rate_bps) };
    let cut = (s.amount - s.reversed - target).max(0);
    if cut > 0 {
        // Out of pending while the share waits, else out of approved (negative after a payout:
        // the next payout nets it).
        let from = if s.status == "pending" {
            bucket::PENDING
        } else {
            bucket::APPROVED
        };
        append(tx, &s, from, "reversal", -cut).await?;
        sqlx::query("UPDATE recruiter_commissions SET reversed = reversed + $1 WHERE id = $2")
            .bind(cut)
            .bind(&s.id)
            .execute(&mut **tx)
            .await?;
    }
    if full {
        set_status(tx, &s.id, "reversed").await?;
    }
    Ok(())
}

/// Marks the share `id` paid by `payout` (the payout moves its money itself).
pub async fn paid(tx: &mut Tx, id: &str, payout: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE recruiter_commissions SET status = 'paid', payout_id = $1 WHERE id = $2 AND status = 'approved'",
    )
    .bind(payout)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether making `recruiter` the recruiter of `affiliate` would make a loop (`affiliate` itself,
/// or someone `affiliate` recruited, directly or down the line).
pub async fn would_loop(tx: &mut Tx, affiliate: &str, recruiter: &str) -> Result<bool, AppError> {
    let mut at = recruiter.to_owned();
    // The chain up from the new recruiter: it must not reach `affiliate`. Bounded, so a loop
    // already stored (none can be) could not keep this running.
    for _ in 0..10_000 {
        if at == affiliate {
            return Ok(true);
        }
        let up: Option<Option<String>> =
            sqlx::query("SELECT recruiter_id FROM affiliates WHERE id = $1")
                .bind(&at)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        match up.flatten() {
            Some(next) => at = next,
            None => return Ok(false),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::{percent, share};

    #[test]
    fn rates_read_as_percents_in_the_programs_language() {
        for (bps, locale, want) in [
            (1000, "en", "10"),
            (1250, "en", "12.5"),
            (1250, "vi", "12,5"),
            (1205, "th", "12.05"),
            (5, "en", "0.05"),
            (5000, "vi", "50"),
        ] {
            assert_eq!(percent(bps, locale), want, "{bps} {locale}");
        }
    }

    #[test]
    fn a_share_is_rounded_down_and_never_negative() {
        assert_eq!(share(100_000, 2000), 20_000);
        assert_eq!(share(10, 500), 0);
        assert_eq!(share(100, 500), 5);
        assert_eq!(share(-100, 500), 0);
        assert_eq!(share(100, 0), 0);
        assert_eq!(share(i64::MAX, 5000), i64::MAX / 2);
    }
}
