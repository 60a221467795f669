//! The KPIs of DESIGN.md for a period: `GET /v1/reports/summary`, `/timeseries` (per day),
//! `/affiliates` and `/categories`, each `?from=&to=` (RFC 3339 or `YYYY-MM-DD`; a date `to`
//! includes that day; default the last 30 days).
//!
//! The counting and summing happens in SQL, on SQLite and PostgreSQL alike, over per-day
//! rollups kept in the same transaction as the rows they count (`click_daily`,
//! `referral_daily`, `order_daily`, `visitor_last`; periods are whole UTC days) and, for distinct visitors
//! per group or in a past period, over the clicks; ratios are computed here from those sums.
//! Definitions:
//! - clicks: non-bot clicks on affiliate links; unique clicks: first per visitor and affiliate
//!   within an hour; unique visitors: distinct visitors among the clicks; bot clicks apart.
//! - gross counts every referral; net leaves out reversed and rejected ones.
//! - revenue gross: attributed order amounts; net: less refunds, rejected ones left out.
//! - commissions: the ledger's net commission (after reversals and rejections).
//! - channel cost = commissions + bonuses (given in the period, not cancelled) + fees (of the
//!   payout transfers marked sent in the period) + recruiter commissions (made in the period,
//!   less refunds, not rejected); bonuses, fees and recruiter commissions count by the affiliate
//!   paid (a recruiter commission on the recruiter's row, its recruit's revenue on theirs).
//! - AOV = net revenue / net sales; conversion rate = net sales / unique visitors (and / clicks);
//!   EPC = net commissions per 100 clicks; cost per sale = sale commissions / net sales; cost per
//!   lead = lead commissions / net leads; ROAS = net revenue / channel cost;
//!   reversal rate = reversed referrals / all referrals, by count and by revenue.
//! - cost of goods: the `cost` of the net revenue's sales (rejected ones left out) that carry
//!   one, less what their refunds took back in proportion to the amount refunded; sales without
//!   a cost count as `sales_without_cost` (net sales only: a fully refunded sale has no cost
//!   left to know). Contribution margin = net revenue − cost of goods − commissions.
//!   ROI = (net revenue − cost of goods − channel cost) / channel cost, only when every net sale
//!   of the group carries a cost (`sales_without_cost` = 0) and the channel cost is not 0;
//!   otherwise null, and `sales_without_cost` says how many sales lack one.
//! - an affiliate's own report (`/v1/me/report`) leaves out the merchant's cost figures (cost
//!   of goods, sales without cost, ROI, contribution margin, fees, channel cost: null); its ROAS
//!   is net revenue / (commissions + bonuses).
//! - multi-touch credit (`/affiliates` and `/categories` only): `credited_revenue_net` is the
//!   net revenue of the sales of the period split by the shares the program's `multi_touch`
//!   model gave each contributing affiliate when the sale was recorded (`server/src/credit.rs`;
//!   the parts of one order sum to exactly its net revenue, so refunds take credit back in
//!   proportion); `assisted_sales` counts the sales in which the group had a share while the
//!   referral's (paid) affiliate is outside it, gross and net like `sales`. Computed from the
//!   rollups plus the referrals whose credit is split (`referral_credit.solo = 0`).
//! - money is per currency, never converted.

use crate::auth::Merchant;
use crate::error::{AppError, AppQuery};
use crate::times::{self, now, DAY};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The period of a report.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// From (RFC 3339 or YYYY-MM-DD), inclusive; default 30 days before `to`.
    pub from: Option<String>,
    /// To (RFC 3339, exclusive, or YYYY-MM-DD, inclusive); default now.
    pub to: Option<String>,
    /// `affiliates` only: sort by `revenue` (default), `commission`, `credited_revenue`, `clicks`
    /// or `conversion_rate`.
    pub sort: Option<String>,
    /// `affiliates` only: at most this many rows (1 to 1000, default 100).
    pub limit: Option<i64>,
}

/// Parses `from`/`to`; the default is the 30 days up to now.
pub fn range(from: Option<&str>, to: Option<&str>) -> Result<(i64, i64), AppError> {
    let bad = || {
        AppError::bad(
            "invalid_range",
            "from and to must be RFC 3339 times or YYYY-MM-DD dates, from before to",
        )
    };
    let to = match to {
        None => now() + 1,
        Some(s) if s.len() == 10 => times::parse_date_or_time(s).ok_or_else(bad)? + DAY,
        Some(s) => times::parse(s).ok_or_else(bad)?,
    };
    let from = match from {
        None => to - 30 * DAY,
        Some(s) => times::parse_date_or_time(s).ok_or_else(bad)?,
    };
    if from >= to || to - from > 3660 * DAY {
        return Err(bad());
    }
    Ok((from, to))
}

/// [`range`] widened to whole UTC days: reports count per day.
pub fn day_range(from: Option<&str>, to: Option<&str>) -> Result<(i64, i64), AppError> {
    let (from, to) = range(from, to)?;
    Ok((
        from.div_euclid(DAY) * DAY,
        (to + DAY - 1).div_euclid(DAY) * DAY,
    ))
}

/// Money KPIs in one currency.
#[derive(Serialize, Deserialize, ToSchema, Default, Clone, Debug)]
pub struct Money {
    /// ISO 4217 code.
    pub currency: String,
    /// Attributed order amounts.
    pub revenue_gross: i64,
    /// Less refunds, rejected referrals left out.
    pub revenue_net: i64,
    /// Net revenue / net sales.
    pub aov: i64,
    /// Commission first owed.
    pub commissions_gross: i64,
    /// Commission owed now (the channel cost).
    pub commissions: i64,
    /// Of which for leads.
    pub lead_commissions: i64,
    /// Bonuses given in the period, not cancelled (paid or not).
    pub bonuses: i64,
    /// Recruiter commissions made in the period (shares of recruits' commissions, less what
    /// refunds took back; rejected ones left out), on the recruiter's row.
    pub recruiter_commissions: i64,
    /// Fees of the payout transfers marked sent in the period (null in an affiliate's own
    /// report).
    pub fees: Option<i64>,
    /// Commissions + bonuses + fees + recruiter commissions (null in an affiliate's own report).
    pub channel_cost: Option<i64>,
    /// Sale commissions / net sales.
    pub cost_per_sale: i64,
    /// Lead commissions / net leads.
    pub cost_per_lead: i64,
    /// Commissions per 100 clicks.
    pub epc_per_100: i64,
    /// Net revenue / channel cost (null without cost); in an affiliate's own report, net
    /// revenue / (commissions + bonuses).
    pub roas: Option<f64>,
    /// ROAS in percent.
    pub roas_percent: Option<f64>,
    /// Cost of goods of the net sales that carry a cost, less what refunds took back (null in
    /// an affiliate's own report).
    pub cost_of_goods: Option<i64>,
    /// Net sales without a cost of goods (null in an affiliate's own report).
    pub sales_without_cost: Option<i64>,
    /// (Net revenue − cost of goods − channel cost) / channel cost; null unless every net sale
    /// carries a cost and the channel cost is not 0 (and in an affiliate's own report).
    pub roi: Option<f64>,
    /// ROI in percent.
    pub roi_percent: Option<f64>,
    /// Net revenue − cost of goods − commissions (null in an affiliate's own report).
    pub contribution_margin: Option<i64>,
    /// (Gross − net revenue) / gross revenue.
    pub reversal_rate_amount: Option<f64>,
    /// Net revenue credited to the group by the program's multi-touch model (the shares of the
    /// sales it contributed to, whoever was paid); `/v1/reports/affiliates` and `/categories`
    /// only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credited_revenue_net: Option<i64>,
    #[serde(skip)]
    sales_net: i64,
    #[serde(skip)]
    cost_net: i64,
    #[serde(skip)]
    fees_sum: i64,
    #[serde(skip)]
    without_cost: i64,
}

/// Gross and net counts.
#[derive(Serialize, Deserialize, ToSchema, Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    /// Every referral.
    pub gross: i64,
    /// Without reversed and rejected ones.
    pub net: i64,
}

/// The KPIs of one group (the whole period, a day, an affiliate, a category).
#[derive(Serialize, Deserialize, ToSchema, Default, Clone, Debug)]
pub struct Kpis {
    /// The group: a date, an affiliate id, a category; absent in the summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Non-bot clicks.
    pub clicks: i64,
    /// First clicks per visitor and affiliate within an hour.
    pub unique_clicks: i64,
    /// Distinct visitors among the clicks.
    pub unique_visitors: i64,
    /// Clicks from known bots (never credited).
    pub bot_clicks: i64,
    /// Leads.
    pub leads: Counts,
    /// Sales.
    pub sales: Counts,
    /// Net sales / unique visitors.
    pub conversion_rate: Option<f64>,
    /// Net sales / clicks.
    pub conversion_rate_clicks: Option<f64>,
    /// Reversed referrals / all referrals.
    pub reversal_rate: Option<f64>,
    /// Sales with a multi-touch share for the group whose referral credits an affiliate outside
    /// it; `/v1/reports/affiliates` and `/categories` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assisted_sales: Option<Counts>,
    /// Money, per currency.
    pub money: Vec<Money>,
    #[serde(skip)]
    reversed: i64,
}

impl Kpis {
    /// The KPIs without the merchant's cost figures, for an affiliate's own report: its ROAS
    /// counts what the affiliate earned (commissions and bonuses), not the transfer fees.
    pub fn without_costs(mut self) -> Self {
        for m in &mut self.money {
            m.fees = None;
            m.channel_cost = None;
            m.roas = ratio(m.revenue_net, m.commissions + m.bonuses);
            m.roas_percent = percent(m.roas);
            m.cost_of_goods = None;
            m.sales_without_cost = None;
            m.roi = None;
            m.roi_percent = None;
            m.contribution_margin = None;
        }
        self
    }
}

/// What to group by.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    All,
    Day,
    Affiliate,
    Category,
}

fn key_of(group: Group, row: &sqlx::any::AnyRow) -> Result<String, sqlx::Error> {
    Ok(match group {
        Group::Day => times::format(row.try_get::<i64, _>(0)? * DAY)[..10].to_owned(),
        _ => row.try_get::<String, _>(0)?,
    })
}

/// `a / b` rounded to 6 decimals; null when `b` is 0.
pub fn ratio(a: i64, b: i64) -> Option<f64> {
    (b != 0).then(|| ((a as f64 / b as f64) * 1e6).round() / 1e6)
}

/// A ratio in percent, to two decimals.
fn percent(r: Option<f64>) -> Option<f64> {
    r.map(|r| (r * 1e4).round() / 100.0)
}

/// `a / b` rounded half away from zero; 0 when `b` is 0.
pub fn div_round(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0;
    }
    let (a, b) = (i128::from(a), i128::from(b));
    i64::try_from((2 * a + b.signum() * b) / (2 * b)).unwrap_or(0)
}

async fn aggregate(
    state: &AppState,
    group: Group,
    from: i64,
    to: i64,
    visitors: bool,
    credit: bool,
) -> Result<BTreeMap<String, Kpis>, AppError> {
    let mut out: BTreeMap<String, Kpis> = BTreeMap::new();
    // Click counts from the per-day rollup.
    let (g, join) = match group {
        Group::All => ("''", ""),
        Group::Day => ("d.day", ""),
        Group::Affiliate => ("d.affiliate_id", ""),
        Group::Category => ("a.category", " JOIN affiliates a ON a.id = d.affiliate_id"),
    };
    let sql = format!(
        "SELECT {g}, CAST(COALESCE(SUM(d.clicks), 0) AS BIGINT), CAST(COALESCE(SUM(d.unique_clicks), 0) AS BIGINT), \
         CAST(COALESCE(SUM(d.bot_clicks), 0) AS BIGINT) FROM click_daily d{join} WHERE d.day >= $1 AND d.day < $2{}",
        if group == Group::All { String::new() } else { format!(" GROUP BY {g}") }
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from.div_euclid(DAY))
        .bind(to.div_euclid(DAY))
        .fetch_all(&state.db.pool)
        .await?
    {
        let k = out.entry(key_of(group, &r)?).or_default();
        k.clicks = r.try_get(1)?;
        k.unique_clicks = r.try_get(2)?;
        k.bot_clicks = r.try_get(3)?;
    }
    if visitors {
        for (key, n) in unique_visitors(state, group, from, to).await? {
            out.entry(key).or_default().unique_visitors = n;
        }
    }

    // Referral counts and amounts, net commissions and refunds from the per-day rollup
    // (`referral_daily`, kept with every referral, ledger and refund change; migration 4).
    let sql = format!(
        "SELECT {g}, d.currency, d.kind, CAST(SUM(d.referrals) AS BIGINT), CAST(SUM(d.referrals_net) AS BIGINT), \
         CAST(SUM(d.amount) AS BIGINT), CAST(SUM(d.amount_kept) AS BIGINT), CAST(SUM(d.commission) AS BIGINT), \
         CAST(SUM(d.reversed) AS BIGINT), CAST(SUM(d.ledger_net) AS BIGINT), CAST(SUM(d.refunded) AS BIGINT), \
         CAST(SUM(d.cost) AS BIGINT), CAST(SUM(d.cost_refunded) AS BIGINT), CAST(SUM(d.sales_without_cost) AS BIGINT) \
         FROM referral_daily d{join} WHERE d.day >= $1 AND d.day < $2 GROUP BY {}d.currency, d.kind",
        if group == Group::All { String::new() } else { format!("{g}, ") }
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from.div_euclid(DAY))
        .bind(to.div_euclid(DAY))
        .fetch_all(&state.db.pool)
        .await?
    {
        let gross: i64 = r.try_get(3)?;
        if gross == 0 {
            continue;
        }
        let k = out.entry(key_of(group, &r)?).or_default();
        let currency: String = r.try_get(1)?;
        let kind: String = r.try_get(2)?;
        let net: i64 = r.try_get(4)?;
        k.reversed += r.try_get::<i64, _>(8)?;
        if kind == "sale" {
            k.sales.gross += gross;
            k.sales.net += net;
        } else {
            k.leads.gross += gross;
            k.leads.net += net;
        }
        let m = money(k, &currency);
        m.commissions_gross += r.try_get::<i64, _>(7)?;
        if kind == "sale" {
            m.sales_net += net;
            m.revenue_gross += r.try_get::<i64, _>(5)?;
            m.revenue_net += r.try_get::<i64, _>(6)?;
        }
        let ledger_net: i64 = r.try_get(9)?;
        m.commissions += ledger_net;
        if kind == "lead" {
            m.lead_commissions += ledger_net;
        }
        m.revenue_net -= r.try_get::<i64, _>(10)?;
        m.cost_net += r.try_get::<i64, _>(11)? - r.try_get::<i64, _>(12)?;
        m.without_cost += r.try_get::<i64, _>(13)?;
    }
    costs_beyond_commission(state, group, from, to, &mut out).await?;
    if credit {
        credited(state, group, from, to, &mut out).await?;
    }
    for k in out.values_mut() {
        finish(k);
    }
    Ok(out)
}

/// Adds the channel's costs beyond commission to `out`: the bonuses given in the period (not
/// cancelled), the fees of the payout transfers marked sent in it and the recruiter commissions
/// made in it, each by the affiliate paid.
async fn costs_beyond_commission(
    state: &AppState,
    group: Group,
    from: i64,
    to: i64,
    out: &mut BTreeMap<String, Kpis>,
) -> Result<(), AppError> {
    // (sum, table, time, condition) of bonuses, of fees, then of recruiter commissions.
    const COSTS: [(&str, &str, &str, &str); 3] = [
        (
            "x.amount",
            "bonuses",
            "x.created_at",
            "x.status <> 'cancelled'",
        ),
        ("x.fee", "payout_lines", "x.sent_at", "x.fee IS NOT NULL"),
        (
            "x.amount - x.reversed",
            "recruiter_commissions",
            "x.created_at",
            "x.status <> 'rejected'",
        ),
    ];
    for (i, (sum, table, at, condition)) in COSTS.into_iter().enumerate() {
        let day = format!("{at} / 86400");
        let (g, join) = match group {
            Group::All => ("''", ""),
            Group::Day => (day.as_str(), ""),
            Group::Affiliate => ("x.affiliate_id", ""),
            Group::Category => ("a.category", " JOIN affiliates a ON a.id = x.affiliate_id"),
        };
        let sql = format!(
            "SELECT {g}, x.currency, CAST(SUM({sum}) AS BIGINT) FROM {table} x{join} \
             WHERE {condition} AND {at} >= $1 AND {at} < $2 GROUP BY {g}, x.currency"
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(to)
            .fetch_all(&state.db.pool)
            .await?
        {
            let m = money(
                out.entry(key_of(group, &r)?).or_default(),
                &r.try_get::<String, _>(1)?,
            );
            let amount: i64 = r.try_get(2)?;
            match i {
                0 => m.bonuses += amount,
                1 => m.fees_sum += amount,
                _ => m.recruiter_commissions += amount,
            }
        }
    }
    Ok(())
}

/// Sets the multi-touch figures of `out` (`credited_revenue_net`, `assisted_sales`): the net
/// revenue of the rollups, moved between groups by the referrals whose credit is split.
async fn credited(
    state: &AppState,
    group: Group,
    from: i64,
    to: i64,
    out: &mut BTreeMap<String, Kpis>,
) -> Result<(), AppError> {
    let (ga, gr, join) = match group {
        Group::Category => (
            "ac.category",
            "ar.category",
            " JOIN affiliates ac ON ac.id = c.affiliate_id JOIN affiliates ar ON ar.id = r.affiliate_id",
        ),
        _ => ("c.affiliate_id", "r.affiliate_id", ""),
    };
    let sql = format!(
        "SELECT c.referral_id, {ga}, c.share_bp, {gr}, r.kind, r.currency, r.status, r.amount, \
         CAST(COALESCE((SELECT SUM(f.amount) FROM refunds f WHERE f.order_ref = r.source_id), 0) AS BIGINT) \
         FROM referral_credit c JOIN referrals r ON r.id = c.referral_id{join} \
         WHERE c.solo = 0 AND c.at >= $1 AND c.at < $2 ORDER BY c.referral_id, c.seq"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .fetch_all(&state.db.pool)
        .await?;
    // Per (group, currency): what the split credit adds to the group's own net revenue.
    let mut moved: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut assisted: BTreeMap<String, Counts> = BTreeMap::new();
    let mut i = 0;
    while i < rows.len() {
        let id: String = rows[i].try_get(0)?;
        let mut end = i;
        let mut parts: Vec<(String, u16)> = Vec::new();
        while end < rows.len() && rows[end].try_get::<String, _>(0)? == id {
            let share: i64 = rows[end].try_get(2)?;
            parts.push((rows[end].try_get(1)?, u16::try_from(share).unwrap_or(0)));
            end += 1;
        }
        let r = &rows[i];
        let (paid, kind, currency, status): (String, String, String, String) =
            (r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?);
        i = end;
        if kind != "sale" {
            continue;
        }
        let net = if status == "rejected" {
            0
        } else {
            r.try_get::<i64, _>(7)? - r.try_get::<i64, _>(8)?
        };
        let bp: Vec<u16> = parts.iter().map(|(_, s)| *s).collect();
        *moved.entry((paid.clone(), currency.clone())).or_default() -= net;
        let mut seen: Vec<&str> = Vec::new();
        for ((g, _), part) in parts.iter().zip(crate::credit::split(net, &bp)) {
            *moved.entry((g.clone(), currency.clone())).or_default() += part;
            if *g != paid && !seen.contains(&g.as_str()) {
                seen.push(g);
                let a = assisted.entry(g.clone()).or_default();
                a.gross += 1;
                if status != "reversed" && status != "rejected" {
                    a.net += 1;
                }
            }
        }
    }
    for ((g, currency), delta) in moved {
        let m = money(out.entry(g).or_default(), &currency);
        m.credited_revenue_net = Some(m.credited_revenue_net.unwrap_or(0) + delta);
    }
    for (g, a) in assisted {
        out.entry(g).or_default().assisted_sales = Some(a);
    }
    for k in out.values_mut() {
        k.assisted_sales.get_or_insert_with(Counts::default);
        for m in &mut k.money {
            m.credited_revenue_net = Some(m.revenue_net + m.credited_revenue_net.unwrap_or(0));
        }
    }
    Ok(())
}

/// The money of `k` in `currency`, added empty when missing.
fn money<'a>(k: &'a mut Kpis, currency: &str) -> &'a mut Money {
    let idx = match k.money.iter().position(|m| m.currency == currency) {
        Some(i) => i,
        None => {
            k.money.push(Money {
                currency: currency.to_owned(),
                ..Money::default()
            });
            k.money.len() - 1
        }
    };
    &mut k.money[idx]
}

/// Distinct non-bot visitors among the affiliate clicks of the period, per group.
async fn unique_visitors(
    state: &AppState,
    group: Group,
    from: i64,
    to: i64,
) -> Result<BTreeMap<String, i64>, AppError> {
    let mut out = BTreeMap::new();
    // A period of whole days that no later click follows: its visitors are those whose last
    // click day falls in it, counted exactly from `visitor_last` (migration 4).
    if group == Group::All && from % DAY == 0 && to % DAY == 0 {
        let later: i64 = sqlx::query(
            "SELECT COUNT(*) FROM (SELECT 1 FROM visitor_last WHERE day >= $1 LIMIT 1) t",
        )
        .bind(to / DAY)
        .fetch_one(&state.db.pool)
        .await?
        .try_get(0)?;
        if later == 0 {
            let n: i64 =
                sqlx::query("SELECT COUNT(*) FROM visitor_last WHERE day >= $1 AND day < $2")
                    .bind(from / DAY)
                    .bind(to / DAY)
                    .fetch_one(&state.db.pool)
                    .await?
                    .try_get(0)?;
            out.insert(String::new(), n);
            return Ok(out);
        }
    }
    // Otherwise distinct visitors need the clicks themselves. `at + 0` keeps SQLite off the `at`
    // index, so it reads the covering visitor index in order (no table lookups, a
    // streaming DISTINCT); PostgreSQL hashes either way.
    let (cols, g, join) = match group {
        Group::All => ("c.visitor_key", "''", ""),
        Group::Day => ("c.visitor_key, c.at / 86400 AS k", "v.k", ""),
        Group::Affiliate => ("c.visitor_key, c.affiliate_id AS k", "v.k", ""),
        Group::Category => (
            "c.visitor_key, a.category AS k",
            "v.k",
            " JOIN affiliates a ON a.id = c.affiliate_id",
        ),
    };
    let sql = format!(
        "SELECT {g}, COUNT(*) FROM (SELECT DISTINCT {cols} FROM clicks c{join} WHERE c.at + 0 >= $1 AND c.at + 0 < $2 \
         AND c.affiliate_id IS NOT NULL AND c.is_bot = 0) v{}",
        if group == Group::All { String::new() } else { format!(" GROUP BY {g}") }
    );
    for r in sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .fetch_all(&state.db.pool)
        .await?
    {
        out.insert(key_of(group, &r)?, r.try_get(1)?);
    }
    Ok(out)
}

/// Computes the ratios from the sums.
fn finish(k: &mut Kpis) {
    k.conversion_rate = ratio(k.sales.net, k.unique_visitors);
    k.conversion_rate_clicks = ratio(k.sales.net, k.clicks);
    k.reversal_rate = ratio(k.reversed, k.sales.gross + k.leads.gross);
    let (clicks, leads_net) = (k.clicks, k.leads.net);
    for m in &mut k.money {
        m.aov = div_round(m.revenue_net, m.sales_net);
        m.cost_per_sale = div_round(m.commissions - m.lead_commissions, m.sales_net);
        m.cost_per_lead = div_round(m.lead_commissions, leads_net);
        m.epc_per_100 = div_round(m.commissions.saturating_mul(100), clicks);
        let channel_cost = m.commissions + m.bonuses + m.fees_sum + m.recruiter_commissions;
        m.fees = Some(m.fees_sum);
        m.channel_cost = Some(channel_cost);
        m.roas = ratio(m.revenue_net, channel_cost);
        m.roas_percent = percent(m.roas);
        let margin = m.revenue_net - m.cost_net - m.commissions;
        m.cost_of_goods = Some(m.cost_net);
        m.sales_without_cost = Some(m.without_cost);
        m.contribution_margin = Some(margin);
        m.roi = if m.without_cost == 0 {
            ratio(m.revenue_net - m.cost_net - channel_cost, channel_cost)
        } else {
            None
        };
        m.roi_percent = percent(m.roi);
        m.reversal_rate_amount = ratio(m.revenue_gross - m.revenue_net, m.revenue_gross);
    }
    k.money.sort_by(|a, b| a.currency.cmp(&b.currency));
}

/// Adds the sums of `k` to `total` (ratios are computed afterwards by [`finish`]).
fn add(total: &mut Kpis, k: &Kpis) {
    total.clicks += k.clicks;
    total.unique_clicks += k.unique_clicks;
    total.bot_clicks += k.bot_clicks;
    total.leads.gross += k.leads.gross;
    total.leads.net += k.leads.net;
    total.sales.gross += k.sales.gross;
    total.sales.net += k.sales.net;
    total.reversed += k.reversed;
    for m in &k.money {
        let t = match total.money.iter_mut().find(|t| t.currency == m.currency) {
            Some(t) => t,
            None => {
                total.money.push(Money {
                    currency: m.currency.clone(),
                    ..Money::default()
                });
                total
                    .money
                    .last_mut()
                    .unwrap_or_else(|| unreachable!("just pushed"))
            }
        };
        t.revenue_gross += m.revenue_gross;
        t.revenue_net += m.revenue_net;
        t.commissions_gross += m.commissions_gross;
        t.commissions += m.commissions;
        t.lead_commissions += m.lead_commissions;
        t.bonuses += m.bonuses;
        t.recruiter_commissions += m.recruiter_commissions;
        t.fees_sum += m.fees_sum;
        t.sales_net += m.sales_net;
        t.cost_net += m.cost_net;
        t.without_cost += m.without_cost;
    }
}

/// Store revenue (every order, attributed or not) in a currency.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct StoreRevenue {
    /// ISO 4217 code.
    pub currency: String,
    /// Orders less refunds in the period.
    pub revenue: i64,
    /// The same over the baseline.
    pub baseline: Option<i64>,
    /// `revenue − baseline`.
    pub incremental: Option<i64>,
}

/// One row of the top affiliates.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct TopAffiliate {
    /// The affiliate.
    pub affiliate: String,
    /// Net revenue in the program's currency.
    pub revenue_net: i64,
    /// Net commissions in the program's currency.
    pub commissions: i64,
    /// Clicks.
    pub clicks: i64,
}

/// The summary report.
#[derive(Serialize, Deserialize, ToSchema, Debug)]
pub struct Summary {
    /// Period start.
    pub from: String,
    /// Period end (exclusive).
    pub to: String,
    /// The KPIs.
    pub kpis: Kpis,
    /// Approved affiliates.
    pub affiliates_approved: i64,
    /// Approved affiliates active in the period (by the program's `active_by`).
    pub affiliates_active: i64,
    /// Active / approved.
    pub active_affiliate_rate: Option<f64>,
    /// Store revenue and incremental revenue, per currency.
    pub store: Vec<StoreRevenue>,
    /// Top 5 by net revenue in the program's currency.
    pub top_affiliates: Vec<TopAffiliate>,
}

async fn store_revenue(
    state: &AppState,
    from: i64,
    to: i64,
) -> Result<BTreeMap<String, i64>, AppError> {
    let mut out = BTreeMap::new();
    // Whole days: from the per-day rollup (`order_daily`, migration 4).
    if from % DAY == 0 && to % DAY == 0 {
        for r in sqlx::query(
            "SELECT currency, CAST(SUM(amount - refunded) AS BIGINT) FROM order_daily WHERE day >= $1 AND day < $2 \
             GROUP BY currency",
        )
        .bind(from / DAY)
        .bind(to / DAY)
        .fetch_all(&state.db.pool)
        .await?
        {
            out.insert(r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?);
        }
        return Ok(out);
    }
    // Otherwise the orders (read from the index `orders_revenue`), then their refunds.
    for r in sqlx::query(
        "SELECT currency, CAST(SUM(amount) AS BIGINT) FROM orders WHERE at >= $1 AND at < $2 GROUP BY currency",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&state.db.pool)
    .await?
    {
        out.insert(r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?);
    }
    for r in sqlx::query(
        "SELECT o.currency, CAST(SUM(x.amount) AS BIGINT) FROM refunds x JOIN orders o ON o.id = x.order_ref \
         WHERE o.at + 0 >= $1 AND o.at + 0 < $2 GROUP BY o.currency",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&state.db.pool)
    .await?
    {
        *out.entry(r.try_get::<String, _>(0)?).or_insert(0) -= r.try_get::<i64, _>(1)?;
    }
    Ok(out)
}

/// Every KPI for the period.
#[utoipa::path(get, path = "/v1/reports/summary", tag = "reports", params(ReportQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Summary), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn reports_summary(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Json<Summary>, AppError> {
    let (from, to) = day_range(q.from.as_deref(), q.to.as_deref())?;
    let program = state.program().await?;
    // One pass per affiliate gives both the totals and the top affiliates; distinct visitors
    // cannot be summed, so they are counted apart.
    let per = aggregate(&state, Group::Affiliate, from, to, false, false).await?;
    let mut kpis = Kpis::default();
    for k in per.values() {
        add(&mut kpis, k);
    }
    kpis.unique_visitors = unique_visitors(&state, Group::All, from, to)
        .await?
        .into_values()
        .next()
        .unwrap_or(0);
    finish(&mut kpis);
    let approved: i64 = sqlx::query("SELECT COUNT(*) FROM affiliates WHERE status = 'approved'")
        .fetch_one(&state.db.pool)
        .await?
        .try_get(0)?;
    let active_sql = match program.active_by.as_str() {
        "sale" => "SELECT COUNT(DISTINCT r.affiliate_id) FROM referrals r JOIN affiliates a ON a.id = r.affiliate_id \
                   WHERE r.kind = 'sale' AND r.at >= $1 AND r.at < $2 AND a.status = 'approved'",
        "lead" => "SELECT COUNT(DISTINCT r.affiliate_id) FROM referrals r JOIN affiliates a ON a.id = r.affiliate_id \
                   WHERE r.at >= $1 AND r.at < $2 AND a.status = 'approved'",
        _ => "SELECT COUNT(DISTINCT d.affiliate_id) FROM click_daily d JOIN affiliates a ON a.id = d.affiliate_id \
              WHERE d.day >= $1 / 86400 AND d.day < $2 / 86400 AND d.clicks > 0 AND a.status = 'approved'",
    };
    let active: i64 = sqlx::query(active_sql)
        .bind(from)
        .bind(to)
        .fetch_one(&state.db.pool)
        .await?
        .try_get(0)?;

    let now_rev = store_revenue(&state, from, to).await?;
    let len = to - from;
    let mut have_baseline = true;
    let baseline: BTreeMap<String, i64> = match program.baseline_daily_revenue {
        Some(daily) => [(program.currency.clone(), daily.saturating_mul(len) / DAY)].into(),
        None => {
            let start: Option<i64> = sqlx::query("SELECT MIN(created_at) FROM affiliates")
                .fetch_one(&state.db.pool)
                .await?
                .try_get(0)?;
            match start {
                Some(s) => store_revenue(&state, s - len, s).await?,
                None => {
                    have_baseline = false;
                    BTreeMap::new()
                }
            }
        }
    };
    let store = now_rev
        .iter()
        .map(|(c, r)| {
            let b = baseline.get(c).copied().or(have_baseline.then_some(0));
            StoreRevenue {
                currency: c.clone(),
                revenue: *r,
                baseline: b,
                incremental: b.map(|b| r - b),
            }
        })
        .collect();

    let mut top: Vec<TopAffiliate> = per
        .iter()
        .map(|(a, k)| {
            let m = k.money.iter().find(|m| m.currency == program.currency);
            TopAffiliate {
                affiliate: a.clone(),
                revenue_net: m.map_or(0, |m| m.revenue_net),
                commissions: m.map_or(0, |m| m.commissions),
                clicks: k.clicks,
            }
        })
        .collect();
    top.sort_by(|a, b| {
        b.revenue_net
            .cmp(&a.revenue_net)
            .then(b.clicks.cmp(&a.clicks))
            .then(a.affiliate.cmp(&b.affiliate))
    });
    top.truncate(5);
    Ok(Json(Summary {
        from: times::format(from),
        to: times::format(to),
        kpis,
        affiliates_approved: approved,
        affiliates_active: active,
        active_affiliate_rate: ratio(active, approved),
        store,
        top_affiliates: top,
    }))
}

/// A grouped report.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Grouped {
    /// Period start.
    pub from: String,
    /// Period end (exclusive).
    pub to: String,
    /// One row per group.
    pub rows: Vec<Kpis>,
}

fn rows(map: BTreeMap<String, Kpis>) -> Vec<Kpis> {
    map.into_iter()
        .map(|(k, mut v)| {
            v.key = Some(k);
            v
        })
        .collect()
}

/// The KPIs per day (UTC), every day of the period listed.
#[utoipa::path(get, path = "/v1/reports/timeseries", tag = "reports", params(ReportQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Grouped), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn reports_timeseries(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Json<Grouped>, AppError> {
    let (from, to) = day_range(q.from.as_deref(), q.to.as_deref())?;
    let mut map = aggregate(&state, Group::Day, from, to, true, false).await?;
    let mut d = from.div_euclid(DAY);
    while d * DAY < to {
        map.entry(times::format(d * DAY)[..10].to_owned())
            .or_default();
        d += 1;
    }
    Ok(Json(Grouped {
        from: times::format(from),
        to: times::format(to),
        rows: rows(map),
    }))
}

/// The KPIs per affiliate, sorted.
#[utoipa::path(get, path = "/v1/reports/affiliates", tag = "reports", params(ReportQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Grouped), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn reports_affiliates(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Json<Grouped>, AppError> {
    let (from, to) = day_range(q.from.as_deref(), q.to.as_deref())?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad("invalid_query", "limit must be 1 to 1000"));
    }
    let program = state.program().await?;
    let mut list = rows(aggregate(&state, Group::Affiliate, from, to, true, true).await?);
    let money = |k: &Kpis, f: fn(&Money) -> i64| {
        k.money
            .iter()
            .find(|m| m.currency == program.currency)
            .map_or(0, f)
    };
    match q.sort.as_deref().unwrap_or("revenue") {
        "revenue" => list.sort_by_key(|k| std::cmp::Reverse(money(k, |m| m.revenue_net))),
        "commission" => list.sort_by_key(|k| std::cmp::Reverse(money(k, |m| m.commissions))),
        "credited_revenue" => list
            .sort_by_key(|k| std::cmp::Reverse(money(k, |m| m.credited_revenue_net.unwrap_or(0)))),
        "clicks" => list.sort_by_key(|k| std::cmp::Reverse(k.clicks)),
        "conversion_rate" => list.sort_by(|a, b| {
            b.conversion_rate
                .unwrap_or(0.0)
                .total_cmp(&a.conversion_rate.unwrap_or(0.0))
        }),
        _ => {
            return Err(AppError::bad(
                "invalid_query",
                "sort must be revenue, commission, credited_revenue, clicks or conversion_rate",
            ))
        }
    }
    list.truncate(usize::try_from(limit).unwrap_or(100));
    Ok(Json(Grouped {
        from: times::format(from),
        to: times::format(to),
        rows: list,
    }))
}

/// The KPIs per affiliate category.
#[utoipa::path(get, path = "/v1/reports/categories", tag = "reports", params(ReportQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Grouped), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn reports_categories(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Json<Grouped>, AppError> {
    let (from, to) = day_range(q.from.as_deref(), q.to.as_deref())?;
    Ok(Json(Grouped {
        from: times::format(from),
        to: times::format(to),
        rows: rows(aggregate(&state, Group::Category, from, to, true, true).await?),
    }))
}

/// The KPIs of one affiliate (for `/v1/me/report`).
pub async fn affiliate_kpis(
    state: &AppState,
    affiliate: &str,
    from: i64,
    to: i64,
) -> Result<Kpis, AppError> {
    let mut map = aggregate(state, Group::Affiliate, from, to, true, false).await?;
    Ok(map.remove(affiliate).unwrap_or_default())
}
