//! The server's side of the commission rules: it gathers what `reftrail::commission::compute`
//! needs (the order mapped to an `Input`, the affiliate's overrides, the period's volume) and
//! calls it. The arithmetic itself lives in the core crate, shared with the WordPress plugin
//! through `tests/vectors/commission.json`.

use crate::db::Tx;
use crate::error::AppError;
use reftrail::affiliate::AffiliateId;
use reftrail::commission::{self, AffiliateRules, Commission, Event, Input, Item, Period, Rules};
use reftrail::money::Currency;
use sqlx::Row;

/// An order, as the sale route validated it.
pub struct Order<'a> {
    /// Order total, minor units.
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
    /// Shipping included in the total.
    pub shipping: i64,
    /// Tax included in the total.
    pub tax: i64,
    /// Lines.
    pub items: &'a [Item],
    /// Whether this renews a subscription, and how many whole months after its first sale.
    pub renewal: Option<u32>,
}

/// The program's rules with the affiliate's own overrides (from its record) merged in.
pub fn rules_for(
    program: &Rules,
    affiliate: &AffiliateId,
    overrides: Option<&str>,
) -> Result<Rules, AppError> {
    let mut rules = program.clone();
    if let Some(json) = overrides {
        let o: AffiliateRules = serde_json::from_str(json)?;
        rules.affiliates.insert(affiliate.clone(), o);
    }
    Ok(rules)
}

/// Maps the order total to the core's subtotal and discount: with items, the subtotal is their
/// sum and the discount what the total falls short of items + shipping + tax; without items the
/// subtotal is the total less shipping and tax. `category` is the affiliate's, which the rules
/// may override.
pub fn input(
    affiliate: AffiliateId,
    category: Option<String>,
    order: &Order<'_>,
    period: Period,
) -> Result<Input, AppError> {
    let (subtotal, discount) = if order.items.is_empty() {
        let s = order.amount - order.shipping - order.tax;
        if s < 0 {
            return Err(AppError::bad(
                "invalid_amount",
                "shipping and tax exceed the order amount",
            ));
        }
        (Some(s), 0)
    } else {
        let mut sum: i64 = 0;
        for it in order.items {
            sum = it
                .amount
                .checked_mul(it.quantity)
                .and_then(|x| sum.checked_add(x))
                .ok_or_else(|| AppError::bad("invalid_items", "the items' total is too large"))?;
        }
        let full = sum.saturating_add(order.shipping).saturating_add(order.tax);
        (None, (full - order.amount).max(0).min(sum))
    };
    Ok(Input {
        event: Event::Sale,
        affiliate,
        affiliate_category: category,
        currency: order.currency,
        subtotal,
        discount,
        shipping: order.shipping,
        tax: order.tax,
        items: order.items.to_vec(),
        is_renewal: order.renewal.is_some(),
        months_since_first_sale: order.renewal.unwrap_or(0),
        period,
    })
}

/// A lead's input; `category` is the affiliate's.
pub fn lead_input(
    affiliate: AffiliateId,
    category: Option<String>,
    currency: Currency,
    period: Period,
) -> Input {
    Input {
        event: Event::Lead,
        affiliate,
        affiliate_category: category,
        currency,
        subtotal: None,
        discount: 0,
        shipping: 0,
        tax: 0,
        items: Vec::new(),
        is_renewal: false,
        months_since_first_sale: 0,
        period,
    }
}

/// The affiliate's volume in the calendar month (UTC) of `at`, before now, in `currency`.
pub async fn period(
    tx: &mut Tx,
    affiliate: &str,
    currency: &str,
    at: i64,
) -> Result<Period, AppError> {
    let start = month_start(at);
    let row = sqlx::query(
        "SELECT COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT), CAST(COALESCE(SUM(commission), 0) AS BIGINT) \
         FROM referrals WHERE affiliate_id = $1 AND currency = $2 AND kind = 'sale' AND at >= $3 \
         AND status <> 'rejected'",
    )
    .bind(affiliate)
    .bind(currency)
    .bind(start)
    .fetch_one(&mut **tx)
    .await?;
    let sales: i64 = row.try_get(0)?;
    Ok(Period {
        sales: u64::try_from(sales).unwrap_or(0),
        revenue: row.try_get(1)?,
        commission: row.try_get(2)?,
    })
}

/// Computes, mapping an arithmetic error to a 422 that names it.
pub fn compute(rules: &Rules, input: &Input) -> Result<Commission, AppError> {
    commission::compute(rules, input).map_err(|e| {
        AppError::unprocessable(
            "commission_error",
            format!("the commission could not be computed: {e}"),
        )
    })
}

/// The first second of the UTC calendar month of `at`.
pub fn month_start(at: i64) -> i64 {
    let (y, m, _) = civil(at.div_euclid(86_400));
    days_from_civil(y, m, 1) * 86_400
}

/// Whole calendar months from `from` to `to` (UTC), not counting a month not yet complete.
pub fn months_between(from: i64, to: i64) -> u32 {
    let (y1, m1, d1) = civil(from.div_euclid(86_400));
    let (y2, m2, d2) = civil(to.div_euclid(86_400));
    let mut months = (y2 - y1) * 12 + (m2 - m1);
    if d2 < d1 {
        months -= 1;
    }
    u32::try_from(months.max(0)).unwrap_or(0)
}

fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::times::parse;

    #[test]
    fn months() {
        let t = parse("2026-11-23T10:00:00Z").unwrap();
        assert_eq!(month_start(t), parse("2026-11-01T00:00:00Z").unwrap());
        assert_eq!(
            months_between(
                parse("2026-01-31T00:00:00Z").unwrap(),
                parse("2026-02-28T00:00:00Z").unwrap()
            ),
            0
        );
        assert_eq!(
            months_between(
                parse("2026-01-15T00:00:00Z").unwrap(),
                parse("2027-01-15T00:00:00Z").unwrap()
            ),
            12
        );
    }

    #[test]
    fn maps_orders() {
        let items = [Item {
            sku: "A".into(),
            category: None,
            amount: 500,
            quantity: 2,
        }];
        let o = Order {
            amount: 1_050,
            currency: Currency::USD,
            shipping: 100,
            tax: 50,
            items: &items,
            renewal: None,
        };
        let of = |o: &Order| {
            input(
                AffiliateId::parse("alice").unwrap(),
                None,
                o,
                Period::default(),
            )
        };
        let i = of(&o).unwrap();
        assert_eq!((i.subtotal, i.discount), (None, 100));
        let i = of(&Order { items: &[], ..o }).unwrap();
        assert_eq!((i.subtotal, i.discount), (Some(900), 0));
    }
}
