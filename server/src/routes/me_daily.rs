//! `GET /v1/me/daily?from&to`: the affiliate's own figures day by day (UTC), every day of the
//! period listed, for the portal's chart: clicks (bots left out), sales and leads that still
//! count (not rejected or reversed), and the commission they earned, net of reversals, per
//! currency. The merchant reads the same of any affiliate: `GET /v1/affiliates/{id}/daily`.
//! `campaign` narrows both to one campaign's clicks and referrals.

use super::reports;
use crate::auth::{AffiliateCaller, Merchant};
use crate::error::{AppError, AppQuery};
use crate::times::{self, DAY};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One day of an affiliate's figures.
#[derive(Serialize, ToSchema, Debug, Default, Clone, PartialEq)]
pub struct Day {
    /// The day (UTC), `YYYY-MM-DD`.
    pub day: String,
    /// Clicks on their links, bots left out.
    pub clicks: i64,
    /// Sales made that day that still count.
    pub sales: i64,
    /// Leads made that day that still count.
    pub leads: i64,
    /// The commission of that day's sales and leads, net of reversals, per currency (only
    /// currencies with something), by currency code.
    pub commissions: Vec<Amount>,
}

/// An amount in one currency.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct Amount {
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units.
    pub amount: i64,
}

/// The period of a daily report, and the campaign it is narrowed to.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct DailyQuery {
    /// From (RFC 3339 or YYYY-MM-DD), inclusive; default 30 days before `to`.
    pub from: Option<String>,
    /// To (RFC 3339, exclusive, or YYYY-MM-DD, inclusive); default now.
    pub to: Option<String>,
    /// Only this campaign's clicks and referrals (a click's `utm_campaign`, else `campaign`).
    pub campaign: Option<String>,
}

/// The period's days, oldest first.
#[derive(Serialize, ToSchema)]
pub struct MyDaily {
    /// From (the first day's start).
    pub from: String,
    /// To (exclusive: the day after the last).
    pub to: String,
    /// Every day of the period.
    pub days: Vec<Day>,
}

/// What a referral adds to its day.
pub struct Credit {
    /// Day number (Unix days).
    pub day: i64,
    /// `sale` or `lead`.
    pub kind: String,
    /// Its currency.
    pub currency: String,
    /// Its commission now (the ledger's sum).
    pub commission: i64,
}

/// The days `from_day..to_day` (Unix day numbers) with the clicks per day and the referrals'
/// credits added up.
pub fn days(from_day: i64, to_day: i64, clicks: &[(i64, i64)], credits: &[Credit]) -> Vec<Day> {
    let mut by_day: BTreeMap<i64, (Day, BTreeMap<String, i64>)> = (from_day..to_day)
        .map(|d| {
            let day = Day {
                day: times::format(d * DAY)[..10].to_owned(),
                ..Day::default()
            };
            (d, (day, BTreeMap::new()))
        })
        .collect();
    for (d, n) in clicks {
        if let Some((day, _)) = by_day.get_mut(d) {
            day.clicks += n;
        }
    }
    for c in credits {
        let Some((day, money)) = by_day.get_mut(&c.day) else {
            continue;
        };
        match c.kind.as_str() {
            "lead" => day.leads += 1,
            _ => day.sales += 1,
        }
        *money.entry(c.currency.clone()).or_default() += c.commission;
    }
    by_day
        .into_values()
        .map(|(mut day, money)| {
            day.commissions = money
                .into_iter()
                .filter(|(_, amount)| *amount != 0)
                .map(|(currency, amount)| Amount { currency, amount })
                .collect();
            day
        })
        .collect()
}

/// The affiliate's figures per day.
#[utoipa::path(get, path = "/v1/me/daily", tag = "affiliate", params(DailyQuery), security(("affiliate_token" = [])),
    responses((status = 200, body = MyDaily), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_daily(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppQuery(q): AppQuery<DailyQuery>,
) -> Result<Json<MyDaily>, AppError> {
    Ok(Json(daily_of(&state, &id, &q).await?))
}

/// An affiliate's figures per day, as the merchant reads them.
#[utoipa::path(get, path = "/v1/affiliates/{id}/daily", tag = "reports", params(("id" = String, Path), DailyQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = MyDaily), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn affiliate_daily(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<DailyQuery>,
) -> Result<Json<MyDaily>, AppError> {
    let known = sqlx::query("SELECT id FROM affiliates WHERE id = $1")
        .bind(&id)
        .fetch_optional(&state.db.pool)
        .await?;
    if known.is_none() {
        return Err(AppError::not_found(
            "affiliate_not_found",
            "no affiliate has this id",
        ));
    }
    Ok(Json(daily_of(&state, &id, &q).await?))
}

/// Affiliate `id`'s days in the period `q` names.
async fn daily_of(state: &AppState, id: &str, q: &DailyQuery) -> Result<MyDaily, AppError> {
    let (from, to) = reports::day_range(q.from.as_deref(), q.to.as_deref())?;
    if to - from > 400 * DAY {
        return Err(AppError::bad(
            "invalid_range",
            "a daily report covers at most 400 days",
        ));
    }
    let campaign = crate::short_links::check_campaign(q.campaign.as_deref())?;
    // `$4` is the campaign or NULL: one statement serves both.
    let clicks = sqlx::query(match campaign {
        None => {
            "SELECT day, CAST(SUM(clicks) AS BIGINT) FROM click_daily \
             WHERE affiliate_id = $1 AND day >= $2 AND day < $3 AND $4 IS NULL GROUP BY day"
        }
        Some(_) => {
            "SELECT day, CAST(SUM(clicks) AS BIGINT) FROM campaign_daily \
             WHERE affiliate_id = $1 AND day >= $2 AND day < $3 AND campaign = $4 GROUP BY day"
        }
    })
    .bind(id)
    .bind(from / DAY)
    .bind(to / DAY)
    .bind(&campaign)
    .fetch_all(&state.db.pool)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<Result<Vec<(i64, i64)>, sqlx::Error>>()?;
    let credits = sqlx::query(
        "SELECT r.at, r.kind, r.currency, \
         CAST(COALESCE((SELECT SUM(g.amount) FROM ledger g WHERE g.referral_id = r.id), 0) AS BIGINT) \
         FROM referrals r WHERE r.affiliate_id = $1 AND r.at >= $2 AND r.at < $3 \
         AND r.status NOT IN ('rejected', 'reversed') AND ($4 IS NULL OR r.campaign = $4)",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(&campaign)
    .fetch_all(&state.db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Credit {
            day: r.try_get::<i64, _>(0)?.div_euclid(DAY),
            kind: r.try_get(1)?,
            currency: r.try_get(2)?,
            commission: r.try_get(3)?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(MyDaily {
        from: times::format(from),
        to: times::format(to),
        days: days(from / DAY, to / DAY, &clicks, &credits),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credit(day: i64, kind: &str, currency: &str, commission: i64) -> Credit {
        Credit {
            day,
            kind: kind.into(),
            currency: currency.into(),
            commission,
        }
    }

    #[test]
    fn every_day_is_listed_with_its_clicks_and_credits() {
        // 2026-11-01 is Unix day 20758.
        let d = 20_758;
        let list = days(
            d,
            d + 3,
            &[(d, 5), (d + 2, 1), (d + 9, 100)],
            &[
                credit(d, "sale", "VND", 25_000),
                credit(d, "sale", "VND", 0),
                credit(d, "lead", "USD", 100),
                credit(d + 2, "sale", "THB", 5_000),
                credit(d - 1, "sale", "VND", 1),
            ],
        );
        assert_eq!(
            list.iter().map(|x| x.day.as_str()).collect::<Vec<_>>(),
            ["2026-11-01", "2026-11-02", "2026-11-03"]
        );
        assert_eq!((list[0].clicks, list[0].sales, list[0].leads), (5, 2, 1));
        assert_eq!(
            list[0].commissions,
            [
                Amount {
                    currency: "USD".into(),
                    amount: 100
                },
                Amount {
                    currency: "VND".into(),
                    amount: 25_000
                },
            ]
        );
        assert_eq!(
            list[1],
            Day {
                day: "2026-11-02".into(),
                ..Day::default()
            }
        );
        assert_eq!((list[2].clicks, list[2].sales), (1, 1));
        assert_eq!(
            list[2].commissions,
            [Amount {
                currency: "THB".into(),
                amount: 5_000
            }]
        );
    }

    #[test]
    fn an_empty_period_is_empty() {
        assert!(days(10, 10, &[], &[]).is_empty());
    }
}
