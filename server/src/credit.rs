//! Multi-touch credit: who contributed to a referral, by the program's `multi_touch` model.
//!
//! The commission stays with the referral's affiliate (the program's last- or first-click
//! `model` decides who is paid); this module only records who contributed, for the reports'
//! credited revenue and assisted sales.
//!
//! When a referral is created, the buyer's touch trail is rebuilt from the server's own clicks:
//! the non-bot clicks of the same visitor (the `visitor_key` of the click that credited the
//! conversion, or `v:` + the visitor id the browser sent with it) on approved affiliates' links,
//! inside the program's window and not after the conversion, the newest [`TRAIL_LEN`] of them
//! (as the browser core keeps), oldest first. The credited affiliate's own touch is added when
//! it is not among them (the click or browser touch that credited it, or the conversion's time
//! for a coupon), taking the place of the oldest other touch when the trail is full. The core's
//! `reftrail::models::shares` splits 10,000 basis points over the trail, summed per affiliate
//! (`by_affiliate`); they are stored in `referral_credit` (migration 6) in the referral's
//! transaction. A renewal, or a conversion with no trail, gives its affiliate all 10,000.
//!
//! Money: a referral's net revenue (its amount less refunds; 0 when rejected) is split in
//! proportion to the shares with the rule of the core's shares: each affiliate gets
//! `floor(net × share / 10,000)`, and the minor units left over go one each to the largest
//! remainders `(net × share) mod 10,000`, ties to the later affiliate in the trail. So the parts
//! of one order sum to exactly its net revenue, per currency.

use crate::db::{Backend, Tx};
use crate::error::AppError;
use crate::program::Program;
use crate::times::DAY;
use reftrail::affiliate::AffiliateId;
use reftrail::models::{self, MultiTouch, TOTAL};
use reftrail::state::{TrailEntry, TRAIL_LEN};
use sqlx::Row;

/// One affiliate's share of a referral, in trail order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// The affiliate.
    pub affiliate: String,
    /// Basis points, 1 to 10,000.
    pub share_bp: u16,
}

/// The trail of `clicks` (newest first, at most [`TRAIL_LEN`]: affiliate and time) with the
/// credited affiliate's touch added when missing, oldest first.
pub fn trail(
    mut clicks: Vec<(String, i64)>,
    credited: &str,
    credited_at: i64,
) -> Vec<(String, i64)> {
    clicks.truncate(TRAIL_LEN);
    clicks.reverse();
    if !clicks.iter().any(|(a, _)| a == credited) {
        if clicks.len() >= TRAIL_LEN {
            clicks.remove(0);
        }
        // After touches of the same second: the credited touch is the one that decided.
        let at = clicks.partition_point(|(_, t)| *t <= credited_at);
        clicks.insert(at, (credited.to_owned(), credited_at));
    }
    clicks
}

/// The shares of `trail` (oldest first) under `model` at `now`, summed per affiliate in order
/// of first appearance; an empty trail (or one with an invalid id) gives `credited` all.
pub fn shares(trail: &[(String, i64)], model: MultiTouch, now: i64, credited: &str) -> Vec<Share> {
    let entries: Option<Vec<TrailEntry>> = trail
        .iter()
        .map(|(a, at)| {
            Some(TrailEntry {
                affiliate: AffiliateId::parse(a)?,
                at: u64::try_from(*at).unwrap_or(0),
            })
        })
        .collect();
    let entries = entries.unwrap_or_default();
    let split = models::shares(&entries, model, u64::try_from(now).unwrap_or(0));
    let out: Vec<Share> = models::by_affiliate(&entries, &split)
        .into_iter()
        .map(|(a, s)| Share {
            affiliate: a.as_str().to_owned(),
            share_bp: s,
        })
        .collect();
    if out.is_empty() {
        vec![Share {
            affiliate: credited.to_owned(),
            share_bp: TOTAL,
        }]
    } else {
        out
    }
}

/// Splits `net` minor units in proportion to `shares` (basis points summing to 10,000): floors,
/// then one unit each to the largest remainders, ties to the later entry. The parts sum to
/// exactly `net`. Exact for any `i64` (the products are taken apart so nothing overflows).
pub fn split(net: i64, shares: &[u16]) -> Vec<i64> {
    if net < 0 {
        return split(net.saturating_neg(), shares)
            .into_iter()
            .map(|x| -x)
            .collect();
    }
    let total = i64::from(TOTAL);
    let (q, r) = (net / total, net % total);
    let mut parts: Vec<i64> = shares
        .iter()
        .map(|&s| q * i64::from(s) + r * i64::from(s) / total)
        .collect();
    let given: i64 = parts.iter().sum();
    let left = usize::try_from(net - given).unwrap_or(0);
    let mut order: Vec<(i64, usize)> = shares
        .iter()
        .enumerate()
        .map(|(i, &s)| ((r * i64::from(s)) % total, i))
        .collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    for &(_, i) in order.iter().take(left) {
        parts[i] += 1;
    }
    parts
}

/// Where a conversion's credit came from, for its trail.
pub struct Touch<'a> {
    /// The credited affiliate.
    pub affiliate: &'a str,
    /// When its deciding touch happened (the click or the browser's touch); `None`: the
    /// conversion's time (a coupon).
    pub at: Option<i64>,
    /// The visitor whose clicks make the trail (`clicks.visitor_key`), if known.
    pub visitor_key: Option<String>,
    /// A subscription renewal: the first sale's affiliate keeps all of it.
    pub renewal: bool,
}

/// The `visitor_key` of a click, if it is stored.
pub async fn click_visitor(tx: &mut Tx, click_id: &str) -> Result<Option<String>, AppError> {
    let row = sqlx::query("SELECT visitor_key FROM clicks WHERE id = $1")
        .bind(click_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
}

/// Rebuilds the trail of a conversion at `at`, splits it by the program's model and stores the
/// shares of `referral_id`; answers them.
pub async fn record(
    tx: &mut Tx,
    backend: Backend,
    program: &Program,
    referral_id: &str,
    at: i64,
    touch: Touch<'_>,
) -> Result<Vec<Share>, AppError> {
    let model = program.multi_touch.model().unwrap_or(MultiTouch::Last);
    let shares = match (&touch.visitor_key, touch.renewal) {
        (Some(visitor), false) => {
            // Clicks of one second go in id order (ids sort by creation time, byte-wise: the
            // "C" collation on PostgreSQL, whatever the database's locale).
            let by_id = match backend {
                Backend::Sqlite => "c.id DESC",
                Backend::Postgres => "c.id COLLATE \"C\" DESC",
            };
            let sql = format!(
                "SELECT c.affiliate_id, c.at FROM clicks c JOIN affiliates a ON a.id = c.affiliate_id \
                 WHERE c.visitor_key = $1 AND c.affiliate_id IS NOT NULL AND c.is_bot = 0 AND c.at >= $2 AND c.at <= $3 \
                 AND a.status = 'approved' ORDER BY c.at DESC, {by_id} LIMIT $4"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(visitor)
                .bind(at - program.window_days * DAY)
                .bind(at)
                .bind(TRAIL_LEN as i64)
                .fetch_all(&mut **tx)
                .await?;
            let clicks = rows
                .iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            let t = trail(clicks, touch.affiliate, touch.at.unwrap_or(at));
            shares(&t, model, at, touch.affiliate)
        }
        _ => shares(&[], model, at, touch.affiliate),
    };
    let solo = shares.len() == 1 && shares[0].affiliate == touch.affiliate;
    for (seq, s) in shares.iter().enumerate() {
        sqlx::query(
            "INSERT INTO referral_credit (referral_id, affiliate_id, seq, share_bp, at, solo) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(referral_id)
        .bind(&s.affiliate)
        .bind(seq as i64)
        .bind(i64::from(s.share_bp))
        .bind(at)
        .bind(i64::from(solo))
        .execute(&mut **tx)
        .await?;
    }
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(list: &[(&str, i64)]) -> Vec<(String, i64)> {
        list.iter().map(|&(a, at)| (a.to_owned(), at)).collect()
    }

    #[test]
    fn trail_is_oldest_first_with_the_credited_touch() {
        // Newest first in, oldest first out.
        assert_eq!(
            trail(t(&[("bob", 20), ("alice", 10)]), "bob", 20),
            t(&[("alice", 10), ("bob", 20)])
        );
        // A coupon's affiliate joins at the conversion's time.
        assert_eq!(
            trail(t(&[("bob", 20), ("alice", 10)]), "carol", 30),
            t(&[("alice", 10), ("bob", 20), ("carol", 30)])
        );
        // A full trail gives up its oldest touch; the credited one keeps its place in time.
        assert_eq!(
            trail(
                t(&[("e", 50), ("d", 40), ("c", 30), ("b", 20), ("a", 10)]),
                "z",
                15
            ),
            t(&[("z", 15), ("b", 20), ("c", 30), ("d", 40), ("e", 50)])
        );
        // Same second: after the clicks of that second.
        assert_eq!(trail(t(&[("a", 10)]), "z", 10), t(&[("a", 10), ("z", 10)]));
        assert_eq!(trail(Vec::new(), "z", 10), t(&[("z", 10)]));
    }

    #[test]
    fn shares_merge_repeated_affiliates() {
        let tr = t(&[("alice", 10), ("carol", 20), ("bob", 30)]);
        let got = shares(&tr, MultiTouch::PositionBased, 40, "bob");
        let bp: Vec<u16> = got.iter().map(|s| s.share_bp).collect();
        assert_eq!(bp, [4000, 2000, 4000]);
        let tr = t(&[("alice", 10), ("bob", 20), ("alice", 30)]);
        let got = shares(&tr, MultiTouch::Linear, 40, "alice");
        assert_eq!(
            got,
            [
                Share {
                    affiliate: "alice".into(),
                    share_bp: 6667
                },
                Share {
                    affiliate: "bob".into(),
                    share_bp: 3333
                }
            ]
        );
        // No trail: the credited affiliate gets it all.
        assert_eq!(
            shares(&[], MultiTouch::Linear, 40, "bob"),
            [Share {
                affiliate: "bob".into(),
                share_bp: 10000
            }]
        );
        // Time decay: one half-life apart, 1:2.
        let tr = t(&[("alice", 0), ("bob", 7 * DAY)]);
        let got = shares(
            &tr,
            MultiTouch::TimeDecay { half_life_days: 7 },
            7 * DAY,
            "bob",
        );
        let bp: Vec<u16> = got.iter().map(|s| s.share_bp).collect();
        assert_eq!(bp, [3333, 6667]);
    }

    #[test]
    fn split_sums_to_the_net_by_largest_remainder_ties_to_later() {
        assert_eq!(split(100, &[5000, 5000]), [50, 50]);
        assert_eq!(split(101, &[5000, 5000]), [50, 51]);
        assert_eq!(split(100, &[3333, 3333, 3334]), [33, 33, 34]);
        assert_eq!(split(1, &[3333, 3333, 3334]), [0, 0, 1]);
        assert_eq!(split(2, &[3334, 3333, 3333]), [1, 0, 1]);
        assert_eq!(split(0, &[4000, 2000, 4000]), [0, 0, 0]);
        assert_eq!(split(-101, &[5000, 5000]), [-50, -51]);
        let big = 9_007_199_254_740_991;
        let parts = split(big, &[4000, 2000, 4000]);
        assert_eq!(parts.iter().sum::<i64>(), big);
        assert_eq!(split(i64::MAX, &[1, 9999]).iter().sum::<i64>(), i64::MAX);
        assert_eq!(split(7, &[10000]), [7]);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 6) as usize + 1;
            let mut w: Vec<u16> = (0..n).map(|i| ((x >> (i * 8)) % 255) as u16 + 1).collect();
            let sum: u32 = w.iter().map(|&v| u32::from(v)).sum();
            let mut bp: Vec<u16> = w
                .iter()
                .map(|&v| (u32::from(v) * 10000 / sum) as u16)
                .collect();
            let short = 10000 - bp.iter().map(|&v| u32::from(v)).sum::<u32>();
            bp[0] += short as u16;
            w.clear();
            let net = (x >> 11) as i64 % 1_000_000_000;
            let parts = split(net, &bp);
            assert_eq!(parts.iter().sum::<i64>(), net, "{net} {bp:?}");
            for (p, &s) in parts.iter().zip(&bp) {
                let exact = i128::from(net) * i128::from(s);
                assert!(
                    (i128::from(*p) * 10000 - exact).abs() < 10000,
                    "{net} {bp:?}"
                );
            }
        }
    }
}
