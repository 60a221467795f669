//! Campaigns: the name that groups an affiliate's tagged links, and what keeps it.
//!
//! A click's campaign is its `utm_campaign`, else its `campaign` parameter ([`name_of`]),
//! stored with the click (`clicks.campaign_name`) and counted per day in `campaign_daily`. A
//! referral takes the campaign of what credited it when it is made (`referrals.campaign`; see
//! `routes::conversions`). Reports: `routes::campaigns`.

use crate::db::Backend;
use crate::error::AppError;
use crate::routes::reports::{ratio, Counts};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The campaign parameters that name a campaign, strongest first.
const NAMING: [&str; 2] = ["utm_campaign", "campaign"];

/// The campaign name of a click's campaign parameters.
pub fn name_of(tags: &BTreeMap<String, String>) -> Option<&str> {
    NAMING
        .iter()
        .find_map(|n| tags.get(*n))
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Recomputes `campaign_daily` from the clicks (the migration, and after a bulk load).
pub async fn rebuild_daily(conn: &mut sqlx::AnyConnection) -> Result<(), AppError> {
    sqlx::query("DELETE FROM campaign_daily")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO campaign_daily (day, affiliate_id, campaign, clicks, unique_clicks) \
         SELECT at / 86400, affiliate_id, campaign_name, SUM(1 - is_bot), \
         SUM(CASE WHEN is_bot = 0 THEN is_unique ELSE 0 END) FROM clicks \
         WHERE affiliate_id IS NOT NULL AND campaign_name IS NOT NULL \
         GROUP BY at / 86400, affiliate_id, campaign_name",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Migration 22: names the campaign of every stored click from its parameters (a JSON object),
/// counts them per day, and gives each referral credited by a click that click's campaign.
/// Referrals credited otherwise before the migration keep none: the touch a browser reported
/// was not stored.
pub async fn backfill(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<(), AppError> {
    let name = match backend {
        Backend::Sqlite => {
            "COALESCE(json_extract(campaign, '$.utm_campaign'), json_extract(campaign, '$.campaign'))"
        }
        Backend::Postgres => {
            "COALESCE(CAST(campaign AS json) ->> 'utm_campaign', CAST(campaign AS json) ->> 'campaign')"
        }
    };
    let sql = format!("UPDATE clicks SET campaign_name = {name} WHERE campaign IS NOT NULL");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    rebuild_daily(conn).await?;
    referrals_from_clicks(conn).await
}

/// Gives each referral credited by a click (`cookie`, `click_id`) that click's campaign (the
/// migration, and after a bulk load).
pub async fn referrals_from_clicks(conn: &mut sqlx::AnyConnection) -> Result<(), AppError> {
    for (kind, conversions) in [("sale", "orders"), ("lead", "leads")] {
        let sql = format!(
            "UPDATE referrals SET campaign = (SELECT c.campaign_name FROM {conversions} x \
             JOIN clicks c ON c.id = x.click_id WHERE x.id = referrals.source_id) \
             WHERE kind = '{kind}' AND attributed_by IN ('cookie', 'click_id')"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Money through one campaign, in one currency.
#[derive(Serialize, ToSchema, Default, Debug, PartialEq, Eq)]
pub struct CampaignMoney {
    /// ISO 4217 code.
    pub currency: String,
    /// Sale amounts, every referral.
    pub revenue_gross: i64,
    /// Sale amounts less refunds, rejected sales left out.
    pub revenue_net: i64,
    /// Net commission of its referrals, sales and leads (after reversals and rejections).
    pub commissions: i64,
    /// Commissions per 100 clicks.
    pub epc_per_100: i64,
}

/// One affiliate's campaign in a period.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct CampaignRow {
    /// The affiliate.
    pub affiliate: String,
    /// The campaign; null for links without one, and for referrals a coupon credited.
    pub campaign: Option<String>,
    /// Non-bot clicks on the affiliate's links with this campaign.
    pub clicks: i64,
    /// Of which the first per visitor and affiliate within an hour.
    pub unique_clicks: i64,
    /// Sales credited with this campaign.
    pub sales: Counts,
    /// Leads credited with this campaign.
    pub leads: Counts,
    /// Net sales / clicks; null without clicks.
    pub conversion_rate_clicks: Option<f64>,
    /// Per currency, for the currencies of its referrals.
    pub money: Vec<CampaignMoney>,
}

/// Clicks in a period: of an affiliate's campaign, or (`campaign: None`) all the affiliate's.
#[derive(Debug)]
pub struct ClickCount {
    /// The affiliate.
    pub affiliate: String,
    /// The campaign, or none for the affiliate's total.
    pub campaign: Option<String>,
    /// Non-bot clicks.
    pub clicks: i64,
    /// Unique clicks.
    pub unique: i64,
}

/// Referrals of one affiliate, campaign, currency and kind in a period.
#[derive(Debug)]
pub struct ReferralSum {
    /// The affiliate.
    pub affiliate: String,
    /// The campaign.
    pub campaign: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// `sale` or `lead`.
    pub kind: String,
    /// Every referral.
    pub gross: i64,
    /// Neither reversed nor rejected.
    pub net: i64,
    /// Their amounts.
    pub amount: i64,
    /// Their amounts less refunds, rejected ones left out.
    pub amount_net: i64,
    /// Their net commissions.
    pub commissions: i64,
}

/// The report's rows from the clicks per campaign, each affiliate's click totals (the clicks
/// without a campaign are the difference) and the referral sums: sorted by clicks, then net
/// sales (both descending), then affiliate and campaign; at most `limit`.
pub fn rows(
    by_campaign: Vec<ClickCount>,
    totals: Vec<ClickCount>,
    referrals: Vec<ReferralSum>,
    limit: usize,
) -> Vec<CampaignRow> {
    let mut out: BTreeMap<(String, Option<String>), CampaignRow> = BTreeMap::new();
    fn entry(
        out: &mut BTreeMap<(String, Option<String>), CampaignRow>,
        affiliate: String,
        campaign: Option<String>,
    ) -> &mut CampaignRow {
        out.entry((affiliate.clone(), campaign.clone()))
            .or_insert_with(|| CampaignRow {
                affiliate,
                campaign,
                clicks: 0,
                unique_clicks: 0,
                sales: Counts::default(),
                leads: Counts::default(),
                conversion_rate_clicks: None,
                money: Vec::new(),
            })
    }
    let mut named: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for c in by_campaign {
        let sum = named.entry(c.affiliate.clone()).or_default();
        sum.0 += c.clicks;
        sum.1 += c.unique;
        let row = entry(&mut out, c.affiliate, c.campaign);
        row.clicks += c.clicks;
        row.unique_clicks += c.unique;
    }
    for t in totals {
        let (clicks, unique) = named.get(&t.affiliate).copied().unwrap_or_default();
        if t.clicks - clicks > 0 {
            let row = entry(&mut out, t.affiliate, None);
            row.clicks += t.clicks - clicks;
            row.unique_clicks += (t.unique - unique).max(0);
        }
    }
    for r in referrals {
        let row = entry(&mut out, r.affiliate, r.campaign);
        let counts = if r.kind == "sale" {
            &mut row.sales
        } else {
            &mut row.leads
        };
        counts.gross += r.gross;
        counts.net += r.net;
        let m = match row.money.iter().position(|m| m.currency == r.currency) {
            Some(i) => &mut row.money[i],
            None => {
                row.money.push(CampaignMoney {
                    currency: r.currency,
                    ..CampaignMoney::default()
                });
                let last = row.money.len() - 1;
                &mut row.money[last]
            }
        };
        if r.kind == "sale" {
            m.revenue_gross += r.amount;
            m.revenue_net += r.amount_net;
        }
        m.commissions += r.commissions;
    }
    let mut rows: Vec<CampaignRow> = out.into_values().collect();
    for row in &mut rows {
        row.conversion_rate_clicks = ratio(row.sales.net, row.clicks);
        row.money.sort_by(|a, b| a.currency.cmp(&b.currency));
        for m in &mut row.money {
            m.epc_per_100 =
                crate::routes::reports::div_round(m.commissions.saturating_mul(100), row.clicks);
        }
    }
    // Stable over the map's (affiliate, campaign) order.
    rows.sort_by_key(|r| (std::cmp::Reverse(r.clicks), std::cmp::Reverse(r.sales.net)));
    rows.truncate(limit);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clicks(affiliate: &str, campaign: Option<&str>, clicks: i64, unique: i64) -> ClickCount {
        ClickCount {
            affiliate: affiliate.into(),
            campaign: campaign.map(str::to_owned),
            clicks,
            unique,
        }
    }

    fn sum(
        affiliate: &str,
        campaign: Option<&str>,
        currency: &str,
        kind: &str,
        n: [i64; 5],
    ) -> ReferralSum {
        ReferralSum {
            affiliate: affiliate.into(),
            campaign: campaign.map(str::to_owned),
            currency: currency.into(),
            kind: kind.into(),
            gross: n[0],
            net: n[1],
            amount: n[2],
            amount_net: n[3],
            commissions: n[4],
        }
    }

    #[test]
    fn clicks_without_a_campaign_are_the_rest_of_the_affiliates_clicks() {
        let rows = rows(
            vec![
                clicks("alice", Some("spring"), 6, 4),
                clicks("bob", Some("zalo"), 3, 3),
            ],
            vec![
                clicks("alice", None, 10, 7),
                clicks("bob", None, 3, 3),
                clicks("carol", None, 1, 1),
            ],
            vec![
                sum("alice", Some("spring"), "VND", "sale", [3, 2, 300, 150, 30]),
                sum("alice", Some("spring"), "USD", "sale", [1, 1, 20, 20, 2]),
                sum("alice", Some("spring"), "VND", "lead", [2, 1, 0, 0, 5]),
                sum("dan", None, "VND", "sale", [1, 1, 50, 50, 5]),
            ],
            100,
        );
        let keys: Vec<(&str, Option<&str>, i64, i64)> = rows
            .iter()
            .map(|r| {
                (
                    r.affiliate.as_str(),
                    r.campaign.as_deref(),
                    r.clicks,
                    r.unique_clicks,
                )
            })
            .collect();
        // bob's clicks all have a campaign: no row without one; dan has a coupon's sale and no clicks.
        assert_eq!(
            keys,
            [
                ("alice", Some("spring"), 6, 4),
                ("alice", None, 4, 3),
                ("bob", Some("zalo"), 3, 3),
                ("carol", None, 1, 1),
                ("dan", None, 0, 0),
            ]
        );
        let spring = &rows[0];
        assert_eq!(
            (spring.sales.gross, spring.sales.net, spring.leads.net),
            (4, 3, 1)
        );
        assert_eq!(spring.conversion_rate_clicks, Some(0.5));
        let money: Vec<(&str, i64, i64, i64, i64)> = spring
            .money
            .iter()
            .map(|m| {
                (
                    m.currency.as_str(),
                    m.revenue_gross,
                    m.revenue_net,
                    m.commissions,
                    m.epc_per_100,
                )
            })
            .collect();
        // Leads earn commissions, not revenue; EPC per 100 clicks rounds half away from zero.
        assert_eq!(money, [("USD", 20, 20, 2, 33), ("VND", 300, 150, 35, 583)]);
        assert_eq!(rows[4].conversion_rate_clicks, None);
        assert_eq!(rows[4].money[0].epc_per_100, 0);
        let cut = super::rows(
            vec![clicks("a", Some("x"), 1, 1)],
            vec![clicks("a", None, 5, 5)],
            vec![],
            1,
        );
        assert_eq!((cut.len(), cut[0].campaign.as_deref()), (1, None));
    }

    #[test]
    fn utm_campaign_names_the_campaign_then_campaign() {
        let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        for (pairs, want) in [
            (
                &[("utm_campaign", "spring"), ("campaign", "x")][..],
                Some("spring"),
            ),
            (
                &[("campaign", "zalo"), ("utm_source", "fb")][..],
                Some("zalo"),
            ),
            (&[("utm_source", "fb"), ("utm_medium", "social")][..], None),
            (&[("utm_campaign", "Tết 2027")][..], Some("Tết 2027")),
            (&[("utm_campaign", ""), ("campaign", "x")][..], None),
            (&[][..], None),
        ] {
            assert_eq!(name_of(&tags(pairs)), want, "{pairs:?}");
        }
    }
}
