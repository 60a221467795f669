//! The attribution state a visitor's browser keeps: who is credited, and the recent trail.
//!
//! [`crate::attribution::decide`] computes it, [`crate::cookie`] stores it, and the browser sends
//! it with leads and sales as the (lowest-trust) browser-reported touch.

use crate::affiliate::AffiliateId;
use crate::touch::Via;
use alloc::string::String;
use alloc::vec::Vec;

/// How many affiliate touches the trail keeps for multi-touch models.
pub const TRAIL_LEN: usize = 5;

/// The referral currently credited.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Referral {
    /// The credited affiliate.
    pub affiliate: AffiliateId,
    /// Where the id was found.
    pub via: Via,
    /// When the crediting touch happened, Unix seconds.
    pub at: u64,
    /// When the referral stops counting, Unix seconds (`at` + the window).
    pub expires: u64,
    /// The click id the server answered for this touch, once known
    /// (same charset and length rule as an affiliate id).
    pub click_id: Option<String>,
    /// The campaign name of the crediting touch, if any (same charset and length rule as an
    /// affiliate id; anything else is not kept).
    pub campaign: Option<String>,
}

/// One affiliate touch in the trail.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TrailEntry {
    /// The affiliate of the touch.
    pub affiliate: AffiliateId,
    /// When it happened, Unix seconds.
    pub at: u64,
}

/// Everything kept in the browser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct State {
    /// A random visitor id (16 to 32 ASCII letters and digits) for unique-visitor counts; no
    /// personal data.
    pub visitor: Option<String>,
    /// The referral credited now, if any.
    pub referral: Option<Referral>,
    /// The last [`TRAIL_LEN`] affiliate touches, oldest first.
    pub trail: Vec<TrailEntry>,
}

/// Whether `s` may be used as a visitor id.
pub fn is_valid_visitor(s: &str) -> bool {
    (16..=32).contains(&s.len()) && crate::text::alnum_or(s.as_bytes(), b"")
}
