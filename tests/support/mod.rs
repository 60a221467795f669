//! The JSON shapes of the shared vectors (`tests/vectors/README.md`), read into local structs so
//! the vector tests run with or without the crate's `serde` feature.
#![allow(dead_code)] // each test binary uses its own part

use reftrail::affiliate::AffiliateId;
use reftrail::state::{Referral, State, TrailEntry};
use reftrail::touch::Via;
use serde::Deserialize;

/// A `State` as the vectors write it (the field names of its serde form).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateJson {
    pub visitor: Option<String>,
    pub referral: Option<ReferralJson>,
    pub trail: Vec<EntryJson>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralJson {
    pub affiliate: String,
    pub via: String,
    pub at: u64,
    pub expires: u64,
    pub click_id: Option<String>,
    pub campaign: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryJson {
    pub affiliate: String,
    pub at: u64,
}

/// A valid affiliate id; the vectors never hold an invalid one where an id is expected.
pub fn id(s: &str) -> AffiliateId {
    AffiliateId::parse(s).unwrap_or_else(|| panic!("bad affiliate id {s:?} in a vector"))
}

/// A `Via` from its report name.
pub fn via(s: &str) -> Via {
    [Via::Query, Via::Fragment, Via::Path, Via::Decorated]
        .into_iter()
        .find(|v| v.as_str() == s)
        .unwrap_or_else(|| panic!("unknown via {s:?}"))
}

pub fn trail(entries: &[EntryJson]) -> Vec<TrailEntry> {
    entries
        .iter()
        .map(|e| TrailEntry {
            affiliate: id(&e.affiliate),
            at: e.at,
        })
        .collect()
}

impl StateJson {
    pub fn to_state(&self) -> State {
        State {
            visitor: self.visitor.clone(),
            referral: self.referral.as_ref().map(|r| Referral {
                affiliate: id(&r.affiliate),
                via: via(&r.via),
                at: r.at,
                expires: r.expires,
                click_id: r.click_id.clone(),
                campaign: r.campaign.clone(),
            }),
            trail: trail(&self.trail),
        }
    }
}
