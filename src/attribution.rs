//! Who gets the credit: folds a [`Touch`] into the stored [`State`].
//!
//! [`decide`] is a pure function of the state, the touch, the [`Policy`] and the time, so the
//! browser, the server and the WordPress plugin reach the same answer (pinned by
//! `tests/vectors/attribution.json`). The rules:
//!
//! - A referral whose `expires <= now` counts as absent ([`live`]): it is dropped, and any new
//!   affiliate touch takes its place whatever the model.
//! - A touch with no affiliate never overwrites one with an affiliate.
//! - Last click (the default): an affiliate touch replaces the live referral, the same affiliate
//!   again included (a fresh `at`, `expires`, `via`, campaign and click id: the newest click is the
//!   one credited). A touch older than the live referral does not replace it, so a late replay
//!   cannot undo a newer click.
//! - First click: a live referral is kept; only an absent or expired one is replaced.
//! - Every counted affiliate touch joins the trail, whatever the model: in time order (oldest
//!   first), at most [`TRAIL_LEN`] entries, entries whose window has ended dropped.
//! - A touch counts only if `now − window < at ≤ now + 1 day` ([`MAX_CLOCK_SKEW`]): one from the
//!   far future comes from a wrong clock or a forged token, and one whose window has already ended
//!   would be born expired. A touch that does not count is treated as having no affiliate.
//! - The visitor id is never changed.

use crate::affiliate;
use crate::state::{Referral, State, TrailEntry, TRAIL_LEN};
use crate::touch::{Touch, Via};
use alloc::string::String;
use alloc::vec::Vec;

/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// The default attribution window, in days.
pub const DEFAULT_WINDOW_DAYS: u16 = 30;

/// The longest window, in days: browsers cap a cookie's lifetime at 400 days (RFC 6265bis §5.5).
pub const MAX_WINDOW_DAYS: u16 = 400;

/// How far ahead of `now` a touch may be and still count, in seconds.
pub const MAX_CLOCK_SKEW: u64 = DAY;

/// Which touch is credited when several affiliates touched the visitor within the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Model {
    /// The newest affiliate touch wins.
    #[default]
    LastClick,
    /// The first affiliate touch wins until its window ends.
    FirstClick,
}

/// The merchant's attribution settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Policy {
    /// Last click or first click.
    pub model: Model,
    /// How long a referral counts, in days; read through [`Policy::window_secs`], which clamps it
    /// to `1..=`[`MAX_WINDOW_DAYS`].
    pub window_days: u16,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            model: Model::LastClick,
            window_days: DEFAULT_WINDOW_DAYS,
        }
    }
}

impl Policy {
    /// A policy with `window_days` clamped to `1..=`[`MAX_WINDOW_DAYS`].
    ///
    /// # Example
    /// ```
    /// use reftrail::attribution::{Model, Policy};
    /// assert_eq!(Policy::new(Model::FirstClick, 9_999).window_days, 400);
    /// assert_eq!(Policy::new(Model::FirstClick, 0).window_days, 1);
    /// ```
    pub const fn new(model: Model, window_days: u32) -> Self {
        Policy {
            model,
            window_days: clamp_days(window_days),
        }
    }

    /// The window in seconds, with `window_days` clamped to `1..=`[`MAX_WINDOW_DAYS`].
    pub const fn window_secs(&self) -> u64 {
        clamp_days(self.window_days as u32) as u64 * DAY
    }
}

const fn clamp_days(days: u32) -> u16 {
    if days < 1 {
        1
    } else if days > MAX_WINDOW_DAYS as u32 {
        MAX_WINDOW_DAYS
    } else {
        days as u16
    }
}

/// The referral that counts at `now`: the stored one unless it has expired (`expires <= now`).
///
/// # Example
/// ```
/// use reftrail::{attribution::live, state::State};
/// assert!(live(&State::default(), 0).is_none());
/// ```
pub fn live(state: &State, now: u64) -> Option<&Referral> {
    state.referral.as_ref().filter(|r| r.expires > now)
}

/// The state after `touch`, under `policy`, at `now` (see the module docs for the rules).
///
/// # Example
/// ```
/// use reftrail::affiliate::AffiliateId;
/// use reftrail::attribution::{decide, Policy};
/// use reftrail::state::State;
/// use reftrail::touch::{Touch, Via};
///
/// let touch = Touch {
///     affiliate: AffiliateId::parse("alice"),
///     via: Some(Via::Query),
///     at: 1_000,
///     landing: "/".into(),
///     referrer_host: None,
///     campaign: vec![],
///     click_ids: vec![],
///     click_id: None,
/// };
/// let state = decide(&State::default(), &touch, &Policy::default(), 1_000);
/// let referral = state.referral.unwrap();
/// assert_eq!(referral.affiliate.as_str(), "alice");
/// assert_eq!(referral.expires, 1_000 + 30 * 86_400);
/// ```
pub fn decide(state: &State, touch: &Touch, policy: &Policy, now: u64) -> State {
    let window = policy.window_secs();
    let in_window = |at: u64| at.saturating_add(window) > now;
    let counts = in_window(touch.at) && touch.at <= now.saturating_add(MAX_CLOCK_SKEW);
    let affiliate = touch.affiliate.as_ref().filter(|_| counts);

    // The trail without entries whose window has ended; a counted touch goes in time order
    // (after the last kept entry not newer than it, so after entries of the same second), and
    // only the newest TRAIL_LEN stay. Plain loops rather than iterator adapters and
    // `insert`/`drain`: each of those is code of its own (and a panic path) in the wasm.
    let mut kept = 0;
    let mut pos = 0;
    for e in &state.trail {
        if in_window(e.at) {
            kept += 1;
            if e.at <= touch.at {
                pos = kept;
            }
        }
    }
    let total = kept + usize::from(affiliate.is_some());
    let skip = match affiliate {
        Some(_) => total.saturating_sub(TRAIL_LEN),
        None => 0,
    };
    let mut trail = Vec::with_capacity(total - skip);
    let mut index = 0;
    let mut push = |entry: TrailEntry| {
        if index >= skip {
            trail.push(entry);
        }
        index += 1;
    };
    let mut seen = 0;
    for e in &state.trail {
        if !in_window(e.at) {
            continue;
        }
        if seen == pos {
            if let Some(a) = affiliate {
                push(TrailEntry {
                    affiliate: a.clone(),
                    at: touch.at,
                });
            }
        }
        seen += 1;
        push(e.clone());
    }
    if seen == pos {
        if let Some(a) = affiliate {
            push(TrailEntry {
                affiliate: a.clone(),
                at: touch.at,
            });
        }
    }
    let mut next = State {
        visitor: state.visitor.clone(),
        referral: live(state, now).cloned(),
        trail,
    };
    let Some(affiliate) = affiliate else {
        return next;
    };

    let replace = match (&next.referral, policy.model) {
        (None, _) => true,
        (Some(live), Model::LastClick) => touch.at >= live.at,
        (Some(_), Model::FirstClick) => false,
    };
    if replace {
        let kept = |s: Option<&str>| s.filter(|s| affiliate::is_valid(s)).map(String::from);
        next.referral = Some(Referral {
            affiliate: affiliate.clone(),
            // A touch with an affiliate always has a via; `Query` is the plain `?ref=` form.
            via: touch.via.unwrap_or(Via::Query),
            at: touch.at,
            expires: touch.at.saturating_add(window),
            click_id: kept(touch.click_id.as_deref()),
            campaign: kept(touch.campaign_name()),
        });
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affiliate::AffiliateId;
    use crate::touch::Tag;
    use alloc::vec;
    use alloc::vec::Vec;

    const NOW: u64 = 1_780_000_000;
    const W: u64 = 30 * DAY;

    fn touch(affiliate: Option<&str>, at: u64) -> Touch {
        Touch {
            affiliate: affiliate.map(|a| AffiliateId::parse(a).unwrap()),
            via: affiliate.map(|_| Via::Query),
            at,
            landing: "/".into(),
            referrer_host: None,
            campaign: vec![],
            click_ids: vec![],
            click_id: None,
        }
    }
    fn aff(a: &str, at: u64) -> Touch {
        touch(Some(a), at)
    }
    fn none(at: u64) -> Touch {
        touch(None, at)
    }
    fn referral(a: &str, at: u64) -> Referral {
        Referral {
            affiliate: AffiliateId::parse(a).unwrap(),
            via: Via::Query,
            at,
            expires: at + W,
            click_id: None,
            campaign: None,
        }
    }
    fn trail(entries: &[(&str, u64)]) -> Vec<TrailEntry> {
        entries
            .iter()
            .map(|&(a, at)| TrailEntry {
                affiliate: AffiliateId::parse(a).unwrap(),
                at,
            })
            .collect()
    }
    fn state(referral: Option<Referral>, entries: &[(&str, u64)]) -> State {
        State {
            visitor: Some("v".repeat(16)),
            referral,
            trail: trail(entries),
        }
    }

    const LAST: Policy = Policy::new(Model::LastClick, 30);
    const FIRST: Policy = Policy::new(Model::FirstClick, 30);

    /// `decide!(policy, state, touch => expected)` at `NOW`.
    macro_rules! decide {
        ($($policy:expr, $state:expr, $touch:expr => $want:expr);* $(;)?) => {
            $( assert_eq!(decide(&$state, &$touch, &$policy, NOW), $want, "{:?}", $touch); )*
        };
    }

    #[test]
    fn first_touch_creates_the_referral_under_both_models() {
        let want = state(Some(referral("alice", NOW)), &[("alice", NOW)]);
        decide![
            LAST, state(None, &[]), aff("alice", NOW) => want.clone();
            FIRST, state(None, &[]), aff("alice", NOW) => want;
            LAST, state(None, &[]), none(NOW) => state(None, &[]);
        ];
    }

    #[test]
    fn last_click_replaces_and_first_click_keeps() {
        let old = || state(Some(referral("alice", NOW - DAY)), &[("alice", NOW - DAY)]);
        decide![
            LAST, old(), aff("bob", NOW) =>
                state(Some(referral("bob", NOW)), &[("alice", NOW - DAY), ("bob", NOW)]);
            FIRST, old(), aff("bob", NOW) =>
                state(Some(referral("alice", NOW - DAY)), &[("alice", NOW - DAY), ("bob", NOW)]);
            // The same affiliate again refreshes under last click, not under first click.
            LAST, old(), aff("alice", NOW) =>
                state(Some(referral("alice", NOW)), &[("alice", NOW - DAY), ("alice", NOW)]);
            FIRST, old(), aff("alice", NOW) =>
                state(Some(referral("alice", NOW - DAY)), &[("alice", NOW - DAY), ("alice", NOW)]);
        ];
    }

    #[test]
    fn a_touch_without_affiliate_never_overwrites() {
        let s = || state(Some(referral("alice", NOW - DAY)), &[("alice", NOW - DAY)]);
        decide![
            LAST, s(), none(NOW) => s();
            FIRST, s(), none(NOW) => s();
        ];
    }

    #[test]
    fn expired_referrals_count_as_absent() {
        // Expired exactly at `now` (expires <= now), and long ago.
        let at_edge = || state(Some(referral("alice", NOW - W)), &[]);
        let long_ago = || state(Some(referral("alice", 1)), &[("alice", 1)]);
        decide![
            LAST, at_edge(), none(NOW) => state(None, &[]);
            FIRST, at_edge(), aff("bob", NOW) => state(Some(referral("bob", NOW)), &[("bob", NOW)]);
            FIRST, long_ago(), aff("bob", NOW) => state(Some(referral("bob", NOW)), &[("bob", NOW)]);
            LAST, long_ago(), none(NOW) => state(None, &[]);
        ];
        // One second before the edge it is still live.
        let s = state(Some(referral("alice", NOW - W + 1)), &[]);
        assert_eq!(decide(&s, &none(NOW), &FIRST, NOW), s);
        assert!(live(&s, NOW).is_some());
        assert!(live(&s, NOW + 1).is_none());
    }

    #[test]
    fn the_trail_keeps_the_newest_in_the_window() {
        let full = [
            ("a", NOW - 5),
            ("b", NOW - 4),
            ("c", NOW - 3),
            ("d", NOW - 2),
            ("e", NOW - 1),
        ];
        let mut want = full[1..].to_vec();
        want.push(("f", NOW));
        let got = decide(&state(None, &full), &aff("f", NOW), &FIRST, NOW);
        assert_eq!(got.trail, trail(&want));
        // Out of the window: dropped on the way, whatever the touch.
        let old = [("a", NOW - W), ("b", NOW - W + 1)];
        let got = decide(&state(None, &old), &none(NOW), &LAST, NOW);
        assert_eq!(got.trail, trail(&[("b", NOW - W + 1)]));
        // A late touch is inserted in time order; older than a full trail, it falls off.
        let got = decide(&state(None, &full), &aff("x", NOW - 3), &FIRST, NOW);
        assert_eq!(
            got.trail,
            trail(&[
                ("b", NOW - 4),
                ("c", NOW - 3),
                ("x", NOW - 3),
                ("d", NOW - 2),
                ("e", NOW - 1)
            ])
        );
        let got = decide(&state(None, &full), &aff("x", NOW - 10), &FIRST, NOW);
        assert_eq!(got.trail, trail(&full));
    }

    #[test]
    fn a_late_touch_does_not_undo_a_newer_click() {
        let s = || state(Some(referral("alice", NOW - 10)), &[("alice", NOW - 10)]);
        let got = decide(&s(), &aff("bob", NOW - 20), &LAST, NOW);
        assert_eq!(got.referral, Some(referral("alice", NOW - 10)));
        assert_eq!(got.trail, trail(&[("bob", NOW - 20), ("alice", NOW - 10)]));
        // Same second: the touch wins.
        let got = decide(&s(), &aff("bob", NOW - 10), &LAST, NOW);
        assert_eq!(got.referral, Some(referral("bob", NOW - 10)));
    }

    #[test]
    fn touches_outside_the_clock_window_are_ignored() {
        let s = || state(None, &[]);
        decide![
            LAST, s(), aff("alice", NOW + DAY + 1) => s();
            LAST, s(), aff("alice", NOW - W) => s();
            LAST, s(), aff("alice", u64::MAX) => s();
            LAST, s(), aff("alice", 0) => s();
        ];
        let got = decide(&s(), &aff("alice", NOW + DAY), &LAST, NOW);
        assert_eq!(got.referral, Some(referral("alice", NOW + DAY)));
        let got = decide(&s(), &aff("alice", NOW - W + 1), &LAST, NOW);
        assert_eq!(got.referral, Some(referral("alice", NOW - W + 1)));
    }

    #[test]
    fn the_new_referral_carries_the_touch_data() {
        let tag = |name, value: &str| Tag {
            name,
            value: value.into(),
        };
        let mut t = aff("alice", NOW);
        t.via = Some(Via::Path);
        t.click_id = Some("clk_1".into());
        t.campaign = vec![tag("utm_source", "news"), tag("utm_campaign", "spring-26")];
        let got = decide(&state(None, &[]), &t, &LAST, NOW).referral.unwrap();
        assert_eq!(
            (got.via, got.click_id.as_deref()),
            (Via::Path, Some("clk_1"))
        );
        assert_eq!(got.campaign.as_deref(), Some("spring-26"));
        // Values outside the id charset are not kept; the referral still is.
        t.click_id = Some("clk 1".into());
        t.campaign = vec![tag("campaign", "Spring sale!")];
        let got = decide(&state(None, &[]), &t, &LAST, NOW).referral.unwrap();
        assert_eq!((got.click_id, got.campaign), (None, None));
        // An affiliate without a via is read as a query parameter.
        t.via = None;
        let got = decide(&state(None, &[]), &t, &LAST, NOW).referral.unwrap();
        assert_eq!(got.via, Via::Query);
    }

    #[test]
    fn the_visitor_id_is_untouched() {
        let mut s = state(None, &[]);
        s.visitor = None;
        assert_eq!(decide(&s, &aff("a", NOW), &LAST, NOW).visitor, None);
        s.visitor = Some("x".repeat(20));
        assert_eq!(decide(&s, &aff("a", NOW), &LAST, NOW).visitor, s.visitor);
    }

    #[test]
    fn policy_clamps_the_window() {
        assert_eq!(Policy::default(), Policy::new(Model::LastClick, 30));
        for (days, want) in [
            (0, 1),
            (1, 1),
            (30, 30),
            (400, 400),
            (401, 400),
            (u32::MAX, 400),
        ] {
            assert_eq!(Policy::new(Model::LastClick, days).window_days, want);
        }
        let raw = |window_days| Policy {
            model: Model::FirstClick,
            window_days,
        };
        assert_eq!(raw(0).window_secs(), DAY);
        assert_eq!(raw(u16::MAX).window_secs(), 400 * DAY);
        assert_eq!(raw(7).window_secs(), 7 * DAY);
        // A one-day window: the referral expires a day after the touch.
        let got = decide(&State::default(), &aff("a", NOW), &raw(0), NOW);
        assert_eq!(got.referral.unwrap().expires, NOW + DAY);
    }

    #[test]
    fn extreme_times_do_not_panic() {
        let p = Policy::new(Model::LastClick, 400);
        let s = State {
            visitor: None,
            referral: Some(Referral {
                at: u64::MAX,
                expires: u64::MAX,
                ..referral("a", 0)
            }),
            trail: trail(&[("a", u64::MAX), ("b", 0)]),
        };
        for now in [0, 1, NOW, u64::MAX - 1, u64::MAX] {
            for at in [0, 1, NOW, u64::MAX] {
                let got = decide(&s, &aff("c", at), &p, now);
                assert!(got.trail.len() <= TRAIL_LEN);
            }
        }
    }
}
