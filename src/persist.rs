//! Two copies of the state, one in the cookie and one in localStorage: which to trust, and
//! which to rewrite.
//!
//! Safari deletes script-set cookies after 7 days without a visit, and some visitors clear
//! storage but not cookies; whichever copy survives restores the other. A copy that fails to
//! decode counts as absent (never trusted in part). When both decode but differ, the one with
//! the most recent touch wins.

use crate::cookie;
use crate::state::State;

/// Which copy must be written again after [`reconcile`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repair {
    /// Rewrite the cookie.
    pub cookie: bool,
    /// Rewrite the localStorage copy.
    pub storage: bool,
}

/// The latest time the state knows of: its newest touch.
fn freshness(s: &State) -> u64 {
    let referral = s.referral.as_ref().map_or(0, |r| r.at);
    let trail = s.trail.iter().map(|t| t.at).max().unwrap_or(0);
    referral.max(trail)
}

/// Picks the state from the two stored copies (raw values as read) and says which to rewrite.
pub fn reconcile(cookie_value: Option<&str>, storage_value: Option<&str>) -> (State, Repair) {
    let from_cookie = cookie_value.and_then(|v| cookie::decode(v).ok());
    let from_storage = storage_value.and_then(|v| cookie::decode(v).ok());
    match (from_cookie, from_storage) {
        // On decoded states `encode` is exact (`decode` only yields what it writes back
        // unchanged, and inverts it), so equal encodings are equal states: no field-by-field
        // comparison of its own in the browser bundle.
        (Some(c), Some(s)) if cookie::encode(&c) == cookie::encode(&s) => (
            c,
            Repair {
                cookie: false,
                storage: false,
            },
        ),
        (Some(c), Some(s)) => {
            if freshness(&s) > freshness(&c) {
                (
                    s,
                    Repair {
                        cookie: true,
                        storage: false,
                    },
                )
            } else {
                (
                    c,
                    Repair {
                        cookie: false,
                        storage: true,
                    },
                )
            }
        }
        (Some(c), None) => (
            c,
            Repair {
                cookie: false,
                storage: true,
            },
        ),
        (None, Some(s)) => (
            s,
            Repair {
                cookie: true,
                storage: false,
            },
        ),
        (None, None) => (
            State::default(),
            Repair {
                cookie: false,
                storage: false,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affiliate::AffiliateId;
    use crate::state::{Referral, TrailEntry};
    use crate::touch::Via;
    use alloc::vec;

    fn state(affiliate: &str, at: u64) -> State {
        let id = AffiliateId::parse(affiliate).unwrap();
        State {
            visitor: Some("abcdefghij0123456789".into()),
            referral: Some(Referral {
                affiliate: id.clone(),
                via: Via::Query,
                at,
                expires: at + 30 * 86_400,
                click_id: None,
                campaign: None,
            }),
            trail: vec![TrailEntry { affiliate: id, at }],
        }
    }

    #[test]
    fn reconcile_table() {
        let old = cookie::encode(&state("alice", 1_000));
        let new = cookie::encode(&state("bob", 2_000));
        let no = Repair {
            cookie: false,
            storage: false,
        };
        let fix_cookie = Repair {
            cookie: true,
            storage: false,
        };
        let fix_storage = Repair {
            cookie: false,
            storage: true,
        };
        assert_eq!(reconcile(None, None), (State::default(), no));
        assert_eq!(
            reconcile(Some(&old), Some(&old)),
            (state("alice", 1_000), no)
        );
        assert_eq!(
            reconcile(Some(&old), None),
            (state("alice", 1_000), fix_storage)
        );
        assert_eq!(
            reconcile(None, Some(&old)),
            (state("alice", 1_000), fix_cookie)
        );
        assert_eq!(
            reconcile(Some(&old), Some(&new)),
            (state("bob", 2_000), fix_cookie)
        );
        assert_eq!(
            reconcile(Some(&new), Some(&old)),
            (state("bob", 2_000), fix_storage)
        );
        // A damaged copy is absent, and the good one repairs it.
        let mut damaged = new.clone();
        damaged.pop();
        assert_eq!(
            reconcile(Some(&damaged), Some(&old)),
            (state("alice", 1_000), fix_cookie)
        );
        assert_eq!(
            reconcile(Some("garbage"), Some("<script>")),
            (State::default(), no)
        );
    }
}
