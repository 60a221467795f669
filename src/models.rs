//! Multi-touch shares: how a sale's credit is split over the affiliate touches in the trail.
//!
//! [`shares`] gives each trail entry a share in basis points (1/100 of a percent) that always
//! sums to exactly [`TOTAL`]. Everything is integer arithmetic in 64 bits, with no floats, so the
//! PHP plugin reproduces every share exactly (pinned by `tests/vectors/models.json`):
//!
//! 1. Each model gives each entry an integer weight (below).
//! 2. One rounding rule for all models: entry `i` gets `floor(TOTAL × wᵢ / W)` (`W` the sum of
//!    weights); the basis points left over go one each to the entries with the largest
//!    remainder `(TOTAL × wᵢ) mod W`, ties to the later entry.
//!
//! Weights: first and last give 1 to one entry and 0 to the others; linear gives 1 to each;
//! position-based gives 40 % to the first and the last entry and splits 20 % evenly over the
//! middle (weights `2(n−2)`, `1`…, `2(n−2)`; one entry takes all, two split evenly);
//! time-decay halves an entry's weight every half-life of age, see [`MultiTouch::TimeDecay`].

use crate::affiliate::AffiliateId;
use crate::attribution::DAY;
use crate::state::TrailEntry;
use alloc::vec;
use alloc::vec::Vec;

/// What the shares of a non-empty trail add up to: 100 % in basis points.
pub const TOTAL: u16 = 10_000;

/// `2^(−j/16)` for `j` in `0..=16`, in units of `2^−16`, rounded to nearest: the table the
/// time-decay model interpolates in (its largest relative error is 0.03 %).
pub const HALVING_TABLE: [u64; 17] = [
    65536, 62757, 60097, 57549, 55109, 52773, 50535, 48393, 46341, 44376, 42495, 40693, 38968,
    37316, 35734, 34219, 32768,
];

/// A multi-touch attribution model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
pub enum MultiTouch {
    /// All credit to the first (oldest) entry.
    First,
    /// All credit to the last (newest) entry.
    Last,
    /// Equal credit to every entry.
    Linear,
    /// Credit halves every `half_life_days` of age (`now − at`; a future touch has age 0; a
    /// half-life of 0 is read as 1 day).
    ///
    /// With `H` the half-life in seconds, `k = age / H` whole halvings and `r = age mod H`:
    /// `f = (r << 16) / H`, `j = f >> 12`, `t = f & 4095`,
    /// `m = T[j] − (((T[j] − T[j+1]) × t) >> 12)` (linear interpolation in [`HALVING_TABLE`]), and
    /// the weight is `((2^40 >> (k − k_min)) × m) >> 16`, where `k_min` is the smallest `k` in the
    /// trail (so an old trail never rounds to all zeros; the common factor cancels out) and a shift
    /// past 40 gives 0. For trails of 2^23 entries or more the `2^40` shrinks so that the sum of
    /// weights stays below 2^63.
    TimeDecay {
        /// The half-life in days.
        half_life_days: u16,
    },
    /// 40 % to the first entry, 40 % to the last, 20 % split over the middle.
    PositionBased,
}

/// Each trail entry's share of the credit, in basis points, in trail order (oldest first);
/// they sum to exactly [`TOTAL`]. An empty trail gives an empty list.
///
/// # Example
/// ```
/// use reftrail::models::{shares, MultiTouch};
/// use reftrail::state::TrailEntry;
/// use reftrail::affiliate::AffiliateId;
///
/// let trail: Vec<TrailEntry> = (0..5)
///     .map(|at| TrailEntry { affiliate: AffiliateId::parse("a").unwrap(), at })
///     .collect();
/// assert_eq!(shares(&trail, MultiTouch::PositionBased, 10), [4000, 666, 667, 667, 4000]);
/// assert_eq!(shares(&trail[..3], MultiTouch::Linear, 10), [3333, 3333, 3334]);
/// ```
pub fn shares(trail: &[TrailEntry], model: MultiTouch, now: u64) -> Vec<u16> {
    let n = trail.len();
    let last = n.saturating_sub(1);
    let weights: Vec<u64> = match model {
        MultiTouch::First => (0..n).map(|i| u64::from(i == 0)).collect(),
        MultiTouch::Last => (0..n).map(|i| u64::from(i == last)).collect(),
        MultiTouch::Linear => vec![1; n],
        MultiTouch::PositionBased if n <= 2 => vec![1; n],
        MultiTouch::PositionBased => {
            let end = 2 * (n as u64 - 2);
            (0..n)
                .map(|i| if i == 0 || i == last { end } else { 1 })
                .collect()
        }
        MultiTouch::TimeDecay { half_life_days } => time_decay(trail, half_life_days, now),
    };
    apportion(&weights)
}

/// Sums `shares` (from [`shares`], in the same order as `trail`) per affiliate, in the order each
/// affiliate first appears in the trail; affiliates whose total is 0 are left out.
///
/// # Example
/// ```
/// use reftrail::models::by_affiliate;
/// use reftrail::state::TrailEntry;
/// use reftrail::affiliate::AffiliateId;
///
/// let e = |a, at| TrailEntry { affiliate: AffiliateId::parse(a).unwrap(), at };
/// let trail = [e("bob", 1), e("amy", 2), e("bob", 3)];
/// let got = by_affiliate(&trail, &[2000, 5000, 3000]);
/// assert_eq!(got, [(AffiliateId::parse("bob").unwrap(), 5000), (AffiliateId::parse("amy").unwrap(), 5000)]);
/// ```
pub fn by_affiliate(trail: &[TrailEntry], shares: &[u16]) -> Vec<(AffiliateId, u16)> {
    let mut out: Vec<(AffiliateId, u16)> = Vec::new();
    for (entry, &share) in trail.iter().zip(shares) {
        match out.iter_mut().find(|(a, _)| *a == entry.affiliate) {
            Some((_, total)) => *total = total.saturating_add(share),
            None => out.push((entry.affiliate.clone(), share)),
        }
    }
    out.retain(|&(_, total)| total > 0);
    out
}

/// The time-decay weights, as documented on [`MultiTouch::TimeDecay`].
fn time_decay(trail: &[TrailEntry], half_life_days: u16, now: u64) -> Vec<u64> {
    let h = u64::from(half_life_days.max(1)) * DAY;
    let halvings = |at: u64| now.saturating_sub(at) / h;
    let k_min = trail.iter().map(|e| halvings(e.at)).min().unwrap_or(0);
    // Keep n × 2^base below 2^63: one bit less per doubling of n past 2^23.
    let extra_bits = usize::BITS - (trail.len() >> 23).leading_zeros();
    let base_shift = 40u32.saturating_sub(extra_bits);
    trail
        .iter()
        .map(|e| {
            let age = now.saturating_sub(e.at);
            let shift = age / h - k_min;
            if shift > u64::from(base_shift) {
                return 0;
            }
            let f = ((age % h) << 16) / h;
            let (j, t) = ((f >> 12) as usize, f & 0xfff);
            let hi = HALVING_TABLE.get(j).copied().unwrap_or(65536);
            let lo = HALVING_TABLE.get(j + 1).copied().unwrap_or(32768);
            let m = hi - (((hi - lo) * t) >> 12);
            (((1u64 << base_shift) >> shift) * m) >> 16
        })
        .collect()
}

/// Splits [`TOTAL`] in proportion to `weights`: floors, then the rest by largest remainder, ties
/// to the later entry. All-zero weights (which no model gives) split evenly. Every model keeps
/// `TOTAL × w` and the sum of weights within 64 bits, which this relies on.
fn apportion(weights: &[u64]) -> Vec<u16> {
    let total = weights.iter().fold(0u64, |s, &w| s.saturating_add(w));
    if total == 0 {
        return if weights.is_empty() {
            Vec::new()
        } else {
            apportion(&vec![1; weights.len()])
        };
    }
    let scaled = |w: u64| w.saturating_mul(u64::from(TOTAL));
    let mut out: Vec<u16> = weights
        .iter()
        .map(|&w| (scaled(w) / total).min(u64::from(TOTAL)) as u16)
        .collect();
    let given = out.iter().fold(0u64, |s, &x| s + u64::from(x));
    let left = u64::from(TOTAL).saturating_sub(given) as usize;
    let mut order: Vec<(u64, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| (scaled(w) % total, i))
        .collect();
    // Largest remainder first; for equal remainders, the later entry first.
    order.sort_unstable_by(|a, b| b.cmp(a));
    for &(_, i) in order.iter().take(left) {
        if let Some(share) = out.get_mut(i) {
            *share += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_780_000_000;

    fn trail(entries: &[(&str, u64)]) -> Vec<TrailEntry> {
        entries
            .iter()
            .map(|&(a, at)| TrailEntry {
                affiliate: AffiliateId::parse(a).unwrap(),
                at,
            })
            .collect()
    }
    /// A trail of `n` touches one day apart, the last at `NOW`.
    fn daily(n: usize) -> Vec<TrailEntry> {
        (0..n)
            .map(|i| TrailEntry {
                affiliate: AffiliateId::parse(["a", "b", "c", "d", "e"][i % 5]).unwrap(),
                at: NOW - (n - 1 - i) as u64 * DAY,
            })
            .collect()
    }

    macro_rules! shares_eq {
        ($($n:expr, $model:expr => $want:expr);* $(;)?) => {
            $( {
                let want: &[u16] = &$want;
                assert_eq!(shares(&daily($n), $model, NOW), want, "{} {:?}", $n, $model);
            } )*
        };
    }

    const DECAY7: MultiTouch = MultiTouch::TimeDecay { half_life_days: 7 };
    const DECAY1: MultiTouch = MultiTouch::TimeDecay { half_life_days: 1 };

    #[test]
    fn single_position_models() {
        use MultiTouch::*;
        shares_eq![
            0, First => [];
            0, Last => [];
            0, Linear => [];
            0, PositionBased => [];
            0, DECAY7 => [];
            1, First => [10000];
            1, Last => [10000];
            1, Linear => [10000];
            1, PositionBased => [10000];
            1, DECAY7 => [10000];
            5, First => [10000, 0, 0, 0, 0];
            5, Last => [0, 0, 0, 0, 10000];
        ];
    }

    #[test]
    fn linear_and_position_based() {
        use MultiTouch::*;
        shares_eq![
            2, Linear => [5000, 5000];
            3, Linear => [3333, 3333, 3334];
            4, Linear => [2500, 2500, 2500, 2500];
            5, Linear => [2000, 2000, 2000, 2000, 2000];
            6, Linear => [1666, 1666, 1667, 1667, 1667, 1667];
            7, Linear => [1428, 1428, 1428, 1429, 1429, 1429, 1429];
            2, PositionBased => [5000, 5000];
            3, PositionBased => [4000, 2000, 4000];
            4, PositionBased => [4000, 1000, 1000, 4000];
            5, PositionBased => [4000, 666, 667, 667, 4000];
            6, PositionBased => [4000, 500, 500, 500, 500, 4000];
            8, PositionBased => [4000, 333, 333, 333, 333, 334, 334, 4000];
        ];
    }

    #[test]
    fn time_decay_halves_every_half_life() {
        // Two touches exactly one half-life apart: 2:1.
        let t = trail(&[("a", NOW - 7 * DAY), ("b", NOW)]);
        assert_eq!(shares(&t, DECAY7, NOW), [3333, 6667]);
        // Same age: equal.
        let t = trail(&[("a", NOW - 3), ("b", NOW - 3)]);
        assert_eq!(shares(&t, DECAY7, NOW), [5000, 5000]);
        // Half a half-life: 2^-0.5 = 0.7071 → 1 : 0.7071 → 41.42 % / 58.58 %.
        let t = trail(&[("a", NOW - 12 * 3600), ("b", NOW)]);
        assert_eq!(shares(&t, DECAY1, NOW), [4142, 5858]);
        // One day apart, half-life of one day, five touches: 1/31 … 16/31.
        shares_eq![5, DECAY1 => [323, 645, 1290, 2581, 5161]];
        // A half-life of 0 days is read as 1.
        shares_eq![5, MultiTouch::TimeDecay { half_life_days: 0 } => [323, 645, 1290, 2581, 5161]];
        // Touches in the future have age 0.
        let t = trail(&[("a", NOW), ("b", NOW + 100)]);
        assert_eq!(shares(&t, DECAY1, NOW), [5000, 5000]);
    }

    #[test]
    fn time_decay_never_underflows_to_zero() {
        // 1,000 half-lives old, one day apart: still 1:2, not 0:0.
        let t = trail(&[("a", NOW - 1001 * DAY), ("b", NOW - 1000 * DAY)]);
        assert_eq!(shares(&t, DECAY1, NOW), [3333, 6667]);
        // More than 40 halvings apart: the older one gets nothing.
        let t = trail(&[("a", 0), ("b", NOW)]);
        assert_eq!(shares(&t, DECAY1, NOW), [0, 10000]);
        // `now` of 0 and u64::MAX.
        let t = trail(&[("a", 0), ("b", u64::MAX)]);
        assert_eq!(shares(&t, DECAY1, 0), [5000, 5000]);
        assert_eq!(shares(&t, DECAY1, u64::MAX), [0, 10000]);
        let max = MultiTouch::TimeDecay {
            half_life_days: u16::MAX,
        };
        assert_eq!(shares(&t, max, u64::MAX).iter().sum::<u16>(), TOTAL);
    }

    #[test]
    fn rounding_is_floor_then_largest_remainder_ties_to_later() {
        assert_eq!(apportion(&[1, 1, 1]), [3333, 3333, 3334]);
        assert_eq!(apportion(&[2, 1]), [6667, 3333]);
        assert_eq!(apportion(&[1, 2]), [3333, 6667]);
        assert_eq!(
            apportion(&[1, 1, 1, 1, 1, 1, 1]),
            [1428, 1428, 1428, 1429, 1429, 1429, 1429]
        );
        assert_eq!(apportion(&[0, 0]), [5000, 5000]);
        assert_eq!(apportion(&[]), [0u16; 0]);
        // More entries than basis points: the later ones get one each.
        let many = apportion(&vec![1; 10_003]);
        assert_eq!(&many[..4], [0, 0, 0, 1]);
        assert_eq!(many.iter().map(|&s| u64::from(s)).sum::<u64>(), 10_000);
    }

    #[test]
    fn by_affiliate_sums_in_first_appearance_order() {
        let id = |a: &str| AffiliateId::parse(a).unwrap();
        let t = trail(&[("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)]);
        let s = shares(&t, MultiTouch::PositionBased, 10);
        assert_eq!(s, [4000, 666, 667, 667, 4000]);
        assert_eq!(
            by_affiliate(&t, &s),
            [(id("b"), 4667), (id("a"), 4666), (id("c"), 667)]
        );
        assert_eq!(
            by_affiliate(&t, &shares(&t, MultiTouch::First, 10)),
            [(id("b"), 10000)]
        );
        assert_eq!(
            by_affiliate(&t, &shares(&t, MultiTouch::Last, 10)),
            [(id("a"), 10000)]
        );
        assert_eq!(by_affiliate(&t, &[]), []);
        assert_eq!(by_affiliate(&[], &[1, 2]), []);
        assert_eq!(
            by_affiliate(&t[..2], &[u16::MAX, 1]),
            [(id("b"), u16::MAX), (id("a"), 1)]
        );
    }

    #[test]
    fn property_shares_always_sum_to_total() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let names = ["a", "b", "c", "d", "e", "f"];
        for round in 0..5_000 {
            let n = (next() % 12) as usize;
            let now = match round % 4 {
                0 => next(),
                1 => NOW,
                2 => 0,
                _ => u64::MAX,
            };
            let t: Vec<TrailEntry> = (0..n)
                .map(|_| TrailEntry {
                    affiliate: AffiliateId::parse(names[(next() % 6) as usize]).unwrap(),
                    at: match next() % 3 {
                        0 => next(),
                        1 => NOW.wrapping_sub(next() % (800 * DAY)),
                        _ => now.wrapping_sub(next() % (50 * DAY)),
                    },
                })
                .collect();
            let models = [
                MultiTouch::First,
                MultiTouch::Last,
                MultiTouch::Linear,
                MultiTouch::PositionBased,
                MultiTouch::TimeDecay {
                    half_life_days: (next() % 40) as u16,
                },
                MultiTouch::TimeDecay {
                    half_life_days: next() as u16,
                },
            ];
            for model in models {
                let s = shares(&t, model, now);
                assert_eq!(s.len(), n);
                let sum: u32 = s.iter().map(|&v| u32::from(v)).sum();
                assert_eq!(
                    sum,
                    if n == 0 { 0 } else { 10_000 },
                    "{model:?} {t:?} {now}"
                );
                let per: u32 = by_affiliate(&t, &s)
                    .iter()
                    .map(|&(_, v)| u32::from(v))
                    .sum();
                assert_eq!(per, sum);
            }
        }
    }
}
