//! What a batch of clicks means, whatever the database: which clicks are unique, the per-day
//! counts and each visitor's last day. Plain functions on the batch; the writers only read
//! the clicks before it and store what these return.

use super::NewClick;
use std::collections::{BTreeMap, HashMap};

/// A visitor and an affiliate (`""` for none): the dedupe key.
pub type Pair = (String, String);

/// The dedupe key of `c`.
pub fn pair(c: &NewClick) -> Pair {
    (
        c.visitor_key.clone(),
        c.affiliate.clone().unwrap_or_default(),
    )
}

/// Decides, in arrival order, whether each click is the pair's first within its dedupe
/// window. `last_seen` holds the latest stored click of each pair (at least of those in the
/// batch that have one within the window); it is updated with the batch's own clicks, so a
/// repeat inside one batch is not unique either. Bots are never unique.
pub fn uniques(clicks: &[&NewClick], last_seen: &mut HashMap<Pair, i64>) -> Vec<bool> {
    clicks
        .iter()
        .map(|c| {
            let key = pair(c);
            let seen = last_seen.get(&key).is_some_and(|at| *at > c.unique_since);
            let at = last_seen.entry(key).or_insert(c.at);
            *at = (*at).max(c.at);
            !c.bot && !seen
        })
        .collect()
}

/// One row of the per-day click rollup.
#[derive(Debug, PartialEq, Eq)]
pub struct Daily<'a> {
    /// UTC day (`at / 86400`).
    pub day: i64,
    /// Affiliate.
    pub affiliate: &'a str,
    /// Clicks by people.
    pub clicks: i64,
    /// Unique clicks.
    pub unique: i64,
    /// Clicks by known bots.
    pub bots: i64,
}

/// The batch's additions to the per-day counts of clicks on affiliate links.
pub fn daily<'a>(clicks: &[&'a NewClick], uniques: &[bool]) -> Vec<Daily<'a>> {
    let mut by_day: BTreeMap<(i64, &str), (i64, i64, i64)> = BTreeMap::new();
    for (c, unique) in clicks.iter().zip(uniques) {
        if let Some(a) = c.affiliate.as_deref() {
            let e = by_day.entry((c.at.div_euclid(86_400), a)).or_default();
            e.0 += i64::from(!c.bot);
            e.1 += i64::from(*unique);
            e.2 += i64::from(c.bot);
        }
    }
    by_day
        .into_iter()
        .map(|((day, affiliate), (clicks, unique, bots))| Daily {
            day,
            affiliate,
            clicks,
            unique,
            bots,
        })
        .collect()
}

/// One row of the per-day click rollup by campaign.
#[derive(Debug, PartialEq, Eq)]
pub struct CampaignDaily<'a> {
    /// UTC day (`at / 86400`).
    pub day: i64,
    /// Affiliate.
    pub affiliate: &'a str,
    /// Campaign name.
    pub campaign: &'a str,
    /// Clicks by people.
    pub clicks: i64,
    /// Unique clicks.
    pub unique: i64,
}

/// The batch's additions to the per-day counts of people's clicks on affiliate links that name
/// a campaign (bots are counted only in [`daily`]).
pub fn campaign_daily<'a>(clicks: &[&'a NewClick], uniques: &[bool]) -> Vec<CampaignDaily<'a>> {
    let mut by_day: BTreeMap<(i64, &str, &str), (i64, i64)> = BTreeMap::new();
    for (c, unique) in clicks.iter().zip(uniques) {
        if let (Some(a), Some(name), false) =
            (c.affiliate.as_deref(), c.campaign_name.as_deref(), c.bot)
        {
            let e = by_day
                .entry((c.at.div_euclid(86_400), a, name))
                .or_default();
            e.0 += 1;
            e.1 += i64::from(*unique);
        }
    }
    by_day
        .into_iter()
        .map(
            |((day, affiliate, campaign), (clicks, unique))| CampaignDaily {
                day,
                affiliate,
                campaign,
                clicks,
                unique,
            },
        )
        .collect()
}

/// The batch's additions to the per-day counts of people's clicks by `utm_content`: (day,
/// affiliate or `""`, content) → clicks.
pub fn content_daily<'a>(clicks: &[&'a NewClick]) -> BTreeMap<(i64, &'a str, &'a str), i64> {
    let mut by_day = BTreeMap::new();
    for c in clicks {
        if let (Some(content), false) = (c.content_name.as_deref(), c.bot) {
            let affiliate = c.affiliate.as_deref().unwrap_or("");
            *by_day
                .entry((c.at.div_euclid(86_400), affiliate, content))
                .or_default() += 1;
        }
    }
    by_day
}

/// Each visitor's latest day with a click by a person on an affiliate link.
pub fn visitor_days<'a>(clicks: &[&'a NewClick]) -> Vec<(&'a str, i64)> {
    let mut seen: BTreeMap<&str, i64> = BTreeMap::new();
    for c in clicks {
        if c.affiliate.is_some() && !c.bot {
            let day = seen.entry(c.visitor_key.as_str()).or_insert(i64::MIN);
            *day = (*day).max(c.at.div_euclid(86_400));
        }
    }
    seen.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(visitor: &str, affiliate: Option<&str>, at: i64, bot: bool) -> NewClick {
        NewClick {
            id: format!("c_{visitor}_{at}"),
            affiliate: affiliate.map(str::to_owned),
            at,
            visitor_key: visitor.into(),
            bot,
            ip_hash: String::new(),
            consent: "granted",
            via: None,
            url: "https://shop.test/".into(),
            referrer: String::new(),
            landing: None,
            campaign: None,
            campaign_name: None,
            content_name: None,
            click_ids: None,
            user_agent: String::new(),
            unique_since: at - 3600,
        }
    }

    #[test]
    fn campaign_counts_are_peoples_clicks_per_day_affiliate_and_campaign() {
        let day = 20_000 * 86_400;
        let tagged =
            |visitor: &str, affiliate: Option<&str>, at: i64, bot: bool, name: Option<&str>| {
                NewClick {
                    campaign_name: name.map(str::to_owned),
                    ..click(visitor, affiliate, at, bot)
                }
            };
        let cs = [
            tagged("v:a", Some("alice"), day + 10, false, Some("spring")),
            tagged("v:b", Some("alice"), day + 20, false, Some("spring")),
            tagged("v:a", Some("alice"), day + 30, false, Some("spring")),
            tagged("v:c", Some("alice"), day + 40, true, Some("spring")),
            tagged("v:d", Some("alice"), day + 50, false, None),
            tagged("v:e", None, day + 60, false, Some("spring")),
            tagged("v:a", Some("alice"), day + 86_400, false, Some("zalo")),
        ];
        let refs: Vec<&NewClick> = cs.iter().collect();
        let uniques = [true, true, false, false, true, true, true];
        let rows: Vec<(i64, &str, &str, i64, i64)> = campaign_daily(&refs, &uniques)
            .into_iter()
            .map(|d| (d.day, d.affiliate, d.campaign, d.clicks, d.unique))
            .collect();
        assert_eq!(
            rows,
            [
                (20_000, "alice", "spring", 3, 2),
                (20_001, "alice", "zalo", 1, 1)
            ]
        );
    }

    #[test]
    fn creative_counts_are_peoples_clicks_per_day_affiliate_and_content() {
        let day = 20_000 * 86_400;
        let tagged =
            |affiliate: Option<&str>, at: i64, bot: bool, content: Option<&str>| NewClick {
                content_name: content.map(str::to_owned),
                ..click("v:a", affiliate, at, bot)
            };
        let cs = [
            tagged(Some("alice"), day + 10, false, Some("cr_1")),
            tagged(Some("alice"), day + 20, false, Some("cr_1")),
            tagged(Some("alice"), day + 30, true, Some("cr_1")),
            tagged(Some("alice"), day + 40, false, None),
            tagged(None, day + 50, false, Some("cr_1")),
            tagged(Some("bob"), day + 86_400, false, Some("cr_2")),
        ];
        let refs: Vec<&NewClick> = cs.iter().collect();
        let rows: Vec<((i64, &str, &str), i64)> = content_daily(&refs).into_iter().collect();
        assert_eq!(
            rows,
            [
                ((20_000, "", "cr_1"), 1),
                ((20_000, "alice", "cr_1"), 2),
                ((20_001, "bob", "cr_2"), 1),
            ]
        );
    }

    #[test]
    fn repeats_within_the_window_are_not_unique() {
        let day = 20_000 * 86_400;
        let cs = [
            click("v:a", Some("alice"), day + 10, false),
            click("v:a", Some("alice"), day + 20, false),
            click("v:a", Some("bob"), day + 30, false),
            click("v:b", Some("alice"), day + 40, true),
            click("v:c", Some("alice"), day + 50, false),
            click("v:a", Some("alice"), day + 4000, false),
        ];
        let refs: Vec<&NewClick> = cs.iter().collect();
        let mut seen = HashMap::new();
        // v:c clicked alice 10 minutes before the batch; v:a's bob click was 2 hours ago.
        seen.insert(("v:c".to_owned(), "alice".to_owned()), day + 50 - 600);
        seen.insert(("v:a".to_owned(), "bob".to_owned()), day + 30 - 7200);
        assert_eq!(
            uniques(&refs, &mut seen),
            [true, false, true, false, false, true],
            "the last v:a/alice click comes 3,980 s after the one before it"
        );
        let mut seen = HashMap::new();
        let later = [
            click("v:a", Some("alice"), day, false),
            click("v:a", Some("alice"), day + 3601, false),
        ];
        let refs: Vec<&NewClick> = later.iter().collect();
        assert_eq!(uniques(&refs, &mut seen), [true, true]);
    }

    #[test]
    fn a_click_without_affiliate_dedupes_apart() {
        let cs = [
            click("v:a", None, 100, false),
            click("v:a", Some("alice"), 110, false),
        ];
        let refs: Vec<&NewClick> = cs.iter().collect();
        assert_eq!(uniques(&refs, &mut HashMap::new()), [true, true]);
    }

    #[test]
    fn daily_counts_people_uniques_and_bots_per_day_and_affiliate() {
        let d = 86_400;
        let cs = [
            click("v:a", Some("alice"), 5 * d + 1, false),
            click("v:b", Some("alice"), 5 * d + 2, true),
            click("v:c", Some("alice"), 6 * d - 1, false),
            click("v:d", Some("bob"), 6 * d, false),
            click("v:e", None, 6 * d, false),
        ];
        let refs: Vec<&NewClick> = cs.iter().collect();
        let rows = daily(&refs, &[true, false, false, true, true]);
        assert_eq!(
            rows,
            [
                Daily {
                    day: 5,
                    affiliate: "alice",
                    clicks: 2,
                    unique: 1,
                    bots: 1
                },
                Daily {
                    day: 6,
                    affiliate: "bob",
                    clicks: 1,
                    unique: 1,
                    bots: 0
                },
            ]
        );
    }

    #[test]
    fn visitor_days_keep_the_latest_day_of_people_on_affiliate_links() {
        let d = 86_400;
        let cs = [
            click("v:a", Some("alice"), 7 * d, false),
            click("v:a", Some("bob"), 9 * d, false),
            click("v:a", Some("bob"), 8 * d, false),
            click("v:b", Some("alice"), 9 * d, true),
            click("v:c", None, 9 * d, false),
        ];
        let refs: Vec<&NewClick> = cs.iter().collect();
        assert_eq!(visitor_days(&refs), [("v:a", 9)]);
    }
}
