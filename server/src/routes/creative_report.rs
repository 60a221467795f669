//! `GET /v1/reports/creatives?from=&to=` (the merchant: every creative) and
//! `GET /v1/me/reports/creatives` (an affiliate: the active creatives, their own clicks and
//! referrals only): which banner or text link sells. The portal puts
//! `utm_content=<creative id>` on each creative's link, the browser reports it with the click's
//! campaign, and the click keeps it (`crate::creative_clicks`): a click belongs to the creative
//! its `utm_content` names (when that creative exists), counted from the `content_daily`
//! rollup; a referral to the creative of the click that credited it.

use super::reports::{day_range, ratio, Counts, ReportQuery};
use crate::auth::{AffiliateCaller, Merchant};
use crate::error::{AppError, AppQuery};
use crate::times::{self, DAY};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Money through one creative, in one currency.
#[derive(Serialize, ToSchema, Default, Debug, PartialEq)]
pub struct CreativeMoney {
    /// ISO 4217 code.
    pub currency: String,
    /// Sale amounts less refunds, rejected sales left out.
    pub revenue_net: i64,
    /// Net commission of its referrals (after reversals and rejections).
    pub commissions: i64,
}

/// One creative's figures for the period.
#[derive(Serialize, ToSchema, Debug)]
pub struct CreativeRow {
    /// The creative's id.
    pub creative: String,
    /// Its name.
    pub name: String,
    /// `link` or `image`.
    pub kind: String,
    /// `active` or `archived`.
    pub status: String,
    /// Non-bot clicks on its links.
    pub clicks: i64,
    /// Leads credited through its clicks.
    pub leads: Counts,
    /// Sales credited through its clicks.
    pub sales: Counts,
    /// Net sales / clicks.
    pub conversion_rate: Option<f64>,
    /// Per currency, for the currencies of its referrals.
    pub money: Vec<CreativeMoney>,
}

/// The creatives' report.
#[derive(Serialize, ToSchema)]
pub struct CreativeReport {
    /// Start of the period (RFC 3339).
    pub from: String,
    /// End of the period, exclusive.
    pub to: String,
    /// Every creative, the most clicked first.
    pub rows: Vec<CreativeRow>,
}

/// Clicks, conversions and money per creative for a period.
#[utoipa::path(get, path = "/v1/reports/creatives", tag = "reports", params(ReportQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = CreativeReport), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn reports_creatives(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Json<CreativeReport>, AppError> {
    report(&state, &q, None).await.map(Json)
}

/// The affiliate's own figures per active creative: their clicks on its links and the leads
/// and sales those clicks were credited with.
#[utoipa::path(get, path = "/v1/me/reports/creatives", tag = "affiliate", params(ReportQuery),
    security(("affiliate_token" = [])),
    responses((status = 200, body = CreativeReport), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_reports_creatives(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Json<CreativeReport>, AppError> {
    report(&state, &q, Some(&id)).await.map(Json)
}

/// The report for the period of `q`: every creative and all traffic, or, for `affiliate`, the
/// active creatives and that affiliate's traffic.
async fn report(
    state: &AppState,
    q: &ReportQuery,
    affiliate: Option<&str>,
) -> Result<CreativeReport, AppError> {
    let (from, to) = day_range(q.from.as_deref(), q.to.as_deref())?;
    let whose = affiliate.unwrap_or("");
    let mut rows: Vec<CreativeRow> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in sqlx::query(
        "SELECT id, name, kind, status FROM creatives WHERE ($1 = '' OR status = 'active') \
         ORDER BY created_at DESC, id DESC",
    )
    .bind(whose)
    .fetch_all(&state.db.pool)
    .await?
    {
        index.insert(r.try_get(0)?, rows.len());
        rows.push(CreativeRow {
            creative: r.try_get(0)?,
            name: r.try_get(1)?,
            kind: r.try_get(2)?,
            status: r.try_get(3)?,
            clicks: 0,
            leads: Counts::default(),
            sales: Counts::default(),
            conversion_rate: None,
            money: Vec::new(),
        });
    }
    for r in sqlx::query(
        "SELECT content, CAST(SUM(clicks) AS BIGINT) FROM content_daily \
         WHERE day >= $1 AND day < $2 AND ($3 = '' OR affiliate_id = $3) GROUP BY content",
    )
    .bind(from.div_euclid(DAY))
    .bind(to.div_euclid(DAY))
    .bind(whose)
    .fetch_all(&state.db.pool)
    .await?
    {
        let content: String = r.try_get(0)?;
        if let Some(&i) = index.get(&content) {
            rows[i].clicks += r.try_get::<i64, _>(1)?;
        }
    }
    for r in sqlx::query(
        "SELECT c.content_name, r.kind, r.status, r.currency, r.amount, \
           CAST(COALESCE((SELECT SUM(f.amount) FROM refunds f WHERE f.order_ref = r.source_id), 0) AS BIGINT), \
           CAST(COALESCE((SELECT SUM(g.amount) FROM ledger g WHERE g.referral_id = r.id), 0) AS BIGINT) \
         FROM referrals r LEFT JOIN orders o ON o.id = r.source_id LEFT JOIN leads l ON l.id = r.source_id \
         JOIN clicks c ON c.id = COALESCE(o.click_id, l.click_id) \
         WHERE r.at >= $1 AND r.at < $2 AND c.content_name IS NOT NULL \
           AND ($3 = '' OR r.affiliate_id = $3)",
    )
    .bind(from)
    .bind(to)
    .bind(whose)
    .fetch_all(&state.db.pool)
    .await?
    {
        let content: String = r.try_get(0)?;
        let Some(&i) = index.get(&content) else {
            continue;
        };
        let (kind, status, currency): (String, String, String) =
            (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        let row = &mut rows[i];
        let counts = if kind == "sale" {
            &mut row.sales
        } else {
            &mut row.leads
        };
        counts.gross += 1;
        if status != "reversed" && status != "rejected" {
            counts.net += 1;
        }
        let m = match row.money.iter().position(|m| m.currency == currency) {
            Some(j) => &mut row.money[j],
            None => {
                row.money.push(CreativeMoney {
                    currency,
                    ..CreativeMoney::default()
                });
                let last = row.money.len() - 1;
                &mut row.money[last]
            }
        };
        if kind == "sale" && status != "rejected" {
            m.revenue_net += r.try_get::<i64, _>(4)? - r.try_get::<i64, _>(5)?;
        }
        m.commissions += r.try_get::<i64, _>(6)?;
    }
    for row in &mut rows {
        row.conversion_rate = ratio(row.sales.net, row.clicks);
        row.money.sort_by(|a, b| a.currency.cmp(&b.currency));
    }
    // Stable: equal clicks keep the newest creative first.
    rows.sort_by_key(|r| std::cmp::Reverse(r.clicks));
    Ok(CreativeReport {
        from: times::format(from),
        to: times::format(to),
        rows,
    })
}
