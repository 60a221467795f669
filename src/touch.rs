//! A touch: what one visit's address says about where the visitor came from.
//!
//! [`crate::capture`] builds a [`Touch`] from a URL; [`crate::attribution`] folds it into the
//! stored [`crate::state::State`]; [`crate::report`] sends it to the server.

use crate::affiliate::AffiliateId;
use alloc::string::String;
use alloc::vec::Vec;

/// Campaign parameters, in the order they are reported.
pub const CAMPAIGN_PARAMS: [&str; 6] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "campaign",
];

/// Click ids of ad and affiliate networks, in the order they are reported, then the sub ids an
/// affiliate adds to a link to tell its own clicks apart (`sub1`–`sub5`, as Everflow, CAKE and
/// most cashback networks name them), which the affiliate's postback gets back.
pub const CLICK_ID_PARAMS: [&str; 20] = [
    "gclid",
    "gbraid",
    "wbraid",
    "dclid",
    "fbclid",
    "msclkid",
    "ttclid",
    "twclid",
    "li_fat_id",
    "epik",
    "rdt_cid",
    "irclickid",
    "cjevent",
    "awc",
    "sscid",
    "sub1",
    "sub2",
    "sub3",
    "sub4",
    "sub5",
];

/// The longest campaign or click-id value kept, in bytes; longer values are dropped, not cut.
pub const MAX_TAG_VALUE_LEN: usize = 256;

/// The longest landing path kept, in bytes; a longer path is cut at a character boundary.
pub const MAX_LANDING_LEN: usize = 512;

/// Where in the address the affiliate id was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Via {
    /// A query parameter: `?ref=alice`.
    Query,
    /// The fragment: `#ref=alice`.
    Fragment,
    /// The path form: `/ref/alice/`.
    Path,
    /// A cross-domain token (`rt=`) added by a decorated link from another of the shop's sites.
    Decorated,
}

impl Via {
    /// The name used in report bodies (`query`, `fragment`, `path`, `decorated`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Via::Query => "query",
            Via::Fragment => "fragment",
            Via::Path => "path",
            Via::Decorated => "decorated",
        }
    }

    /// The one-letter code used in the cookie (`q`, `f`, `p`, `d`).
    pub const fn code(self) -> u8 {
        match self {
            Via::Query => b'q',
            Via::Fragment => b'f',
            Via::Path => b'p',
            Via::Decorated => b'd',
        }
    }

    /// The inverse of [`Via::code`].
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            b'q' => Some(Via::Query),
            b'f' => Some(Via::Fragment),
            b'p' => Some(Via::Path),
            b'd' => Some(Via::Decorated),
            _ => None,
        }
    }
}

/// A named value from the address: a campaign parameter or a network click id.
/// `name` is always one of [`CAMPAIGN_PARAMS`] or [`CLICK_ID_PARAMS`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Tag {
    /// The parameter name.
    pub name: &'static str,
    /// Its value: percent-decoded, at most [`MAX_TAG_VALUE_LEN`] bytes, no control characters.
    pub value: String,
}

/// One visit's attribution data.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Touch {
    /// The affiliate the address names, if it names a valid one.
    pub affiliate: Option<AffiliateId>,
    /// Where the affiliate id was found; `None` when there is no affiliate.
    pub via: Option<Via>,
    /// When the visit happened, Unix seconds.
    pub at: u64,
    /// The landing path (no query, no fragment), at most [`MAX_LANDING_LEN`] bytes.
    pub landing: String,
    /// The referring page's host, lower-case, when there was a referrer from another host.
    pub referrer_host: Option<String>,
    /// Campaign parameters present in the address, in [`CAMPAIGN_PARAMS`] order.
    pub campaign: Vec<Tag>,
    /// Network click ids present in the address, in [`CLICK_ID_PARAMS`] order.
    pub click_ids: Vec<Tag>,
    /// The server's click id carried by a cross-domain token, when the touch came from one.
    pub click_id: Option<String>,
}

impl Touch {
    /// Whether this touch carries anything worth reporting or keeping.
    pub fn is_empty(&self) -> bool {
        self.affiliate.is_none() && self.campaign.is_empty() && self.click_ids.is_empty()
    }

    /// The campaign name: `utm_campaign`, or else `campaign`.
    pub fn campaign_name(&self) -> Option<&str> {
        ["utm_campaign", "campaign"]
            .iter()
            .find_map(|n| self.campaign.iter().find(|t| t.name == *n))
            .map(|t| t.value.as_str())
    }
}
