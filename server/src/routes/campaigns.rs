//! `GET /v1/reports/campaigns?from=&to=&affiliate=&limit=` (the merchant) and
//! `GET /v1/me/campaigns` (an affiliate, their own rows): clicks, leads, sales and money per
//! affiliate and campaign (`crate::campaigns`). Clicks come from the `campaign_daily` and
//! `click_daily` rollups, referrals from the referrals of the period with their refunds and
//! net commissions, defined as in the other reports.

use super::reports::day_range;
use crate::auth::{AffiliateCaller, Merchant};
use crate::campaigns::{self, CampaignRow, ClickCount, ReferralSum};
use crate::error::{AppError, AppQuery};
use crate::times::{self, DAY};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use reftrail::affiliate::AffiliateId;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// The period and rows of a campaigns report.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct CampaignQuery {
    /// From (RFC 3339 or YYYY-MM-DD), inclusive; default 30 days before `to`.
    pub from: Option<String>,
    /// To (RFC 3339, exclusive, or YYYY-MM-DD, inclusive); default now.
    pub to: Option<String>,
    /// The merchant's report only: this affiliate's rows.
    pub affiliate: Option<String>,
    /// At most this many rows (1 to 1000, default 100).
    pub limit: Option<i64>,
}

/// The campaigns report.
#[derive(Serialize, ToSchema)]
pub struct CampaignReport {
    /// Start of the period (RFC 3339).
    pub from: String,
    /// End of the period, exclusive.
    pub to: String,
    /// The most clicked first, then the most net sales.
    pub rows: Vec<CampaignRow>,
}

/// Clicks, conversions and money per affiliate and campaign for a period.
#[utoipa::path(get, path = "/v1/reports/campaigns", tag = "reports", params(CampaignQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = CampaignReport), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn reports_campaigns(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<CampaignQuery>,
) -> Result<Json<CampaignReport>, AppError> {
    let affiliate = q
        .affiliate
        .as_deref()
        .map(|a| {
            AffiliateId::parse(a)
                .map(|a| a.as_str().to_owned())
                .ok_or_else(|| {
                    AppError::bad("invalid_query", "affiliate is not a valid affiliate id")
                })
        })
        .transpose()?;
    report(&state, &q, affiliate.as_deref()).await.map(Json)
}

/// The affiliate's own campaigns.
#[utoipa::path(get, path = "/v1/me/campaigns", tag = "affiliate", params(CampaignQuery),
    security(("affiliate_token" = [])),
    responses((status = 200, body = CampaignReport), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_campaigns(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppQuery(q): AppQuery<CampaignQuery>,
) -> Result<Json<CampaignReport>, AppError> {
    report(&state, &q, Some(&id)).await.map(Json)
}

async fn report(
    state: &AppState,
    q: &CampaignQuery,
    affiliate: Option<&str>,
) -> Result<CampaignReport, AppError> {
    let (from, to) = day_range(q.from.as_deref(), q.to.as_deref())?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad("invalid_query", "limit must be 1 to 1000"));
    }
    let whose = affiliate.unwrap_or("");
    let (first_day, end_day) = (from.div_euclid(DAY), to.div_euclid(DAY));
    let mut by_campaign = Vec::new();
    for r in sqlx::query(
        "SELECT affiliate_id, campaign, CAST(SUM(clicks) AS BIGINT), CAST(SUM(unique_clicks) AS BIGINT) \
         FROM campaign_daily WHERE day >= $1 AND day < $2 AND ($3 = '' OR affiliate_id = $3) \
         GROUP BY affiliate_id, campaign",
    )
    .bind(first_day)
    .bind(end_day)
    .bind(whose)
    .fetch_all(&state.db.pool)
    .await?
    {
        by_campaign.push(ClickCount {
            affiliate: r.try_get(0)?,
            campaign: Some(r.try_get(1)?),
            clicks: r.try_get(2)?,
            unique: r.try_get(3)?,
        });
    }
    let mut totals = Vec::new();
    for r in sqlx::query(
        "SELECT affiliate_id, CAST(SUM(clicks) AS BIGINT), CAST(SUM(unique_clicks) AS BIGINT) \
         FROM click_daily WHERE day >= $1 AND day < $2 AND ($3 = '' OR affiliate_id = $3) \
         GROUP BY affiliate_id",
    )
    .bind(first_day)
    .bind(end_day)
    .bind(whose)
    .fetch_all(&state.db.pool)
    .await?
    {
        totals.push(ClickCount {
            affiliate: r.try_get(0)?,
            campaign: None,
            clicks: r.try_get(1)?,
            unique: r.try_get(2)?,
        });
    }
    let mut referrals = Vec::new();
    for r in sqlx::query(
        "SELECT affiliate_id, campaign, currency, kind, CAST(COUNT(*) AS BIGINT), CAST(SUM(net) AS BIGINT), \
           CAST(SUM(amount) AS BIGINT), CAST(SUM(kept) AS BIGINT), CAST(SUM(commission) AS BIGINT) \
         FROM (SELECT r.affiliate_id, r.campaign, r.currency, r.kind, r.amount, \
             CASE WHEN r.status IN ('reversed', 'rejected') THEN 0 ELSE 1 END AS net, \
             CASE WHEN r.status = 'rejected' THEN 0 ELSE r.amount - \
               (SELECT COALESCE(SUM(f.amount), 0) FROM refunds f WHERE f.order_ref = r.source_id) END AS kept, \
             (SELECT COALESCE(SUM(g.amount), 0) FROM ledger g WHERE g.referral_id = r.id) AS commission \
           FROM referrals r WHERE r.at >= $1 AND r.at < $2 AND ($3 = '' OR r.affiliate_id = $3)) t \
         GROUP BY affiliate_id, campaign, currency, kind",
    )
    .bind(from)
    .bind(to)
    .bind(whose)
    .fetch_all(&state.db.pool)
    .await?
    {
        referrals.push(ReferralSum {
            affiliate: r.try_get(0)?,
            campaign: r.try_get(1)?,
            currency: r.try_get(2)?,
            kind: r.try_get(3)?,
            gross: r.try_get(4)?,
            net: r.try_get(5)?,
            amount: r.try_get(6)?,
            amount_net: r.try_get(7)?,
            commissions: r.try_get(8)?,
        });
    }
    Ok(CampaignReport {
        from: times::format(from),
        to: times::format(to),
        rows: campaigns::rows(
            by_campaign,
            totals,
            referrals,
            usize::try_from(limit).unwrap_or(100),
        ),
    })
}
