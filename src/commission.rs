//! Commission arithmetic: what a referral earns, and what a refund takes back.
//!
//! [`compute`] takes the program's [`Rules`] (stored by the server as JSON, edited in the
//! dashboard, written by the WordPress plugin) and one lead or sale ([`Input`]), and returns a
//! [`Commission`] that says how much, on what basis, at which rate, by which rule, line by line,
//! and why it is zero or capped when it is. [`reverse`] and [`reverse_part`] give the share of a
//! commission that a refund cancels. The same cases are pinned for every implementation by
//! `tests/vectors/commission.json`.
//!
//! # Money
//! Every amount is an `i64` of minor units of one ISO 4217 [`Currency`] (see [`crate::money`]).
//! Nothing is ever converted between currencies: an amount in the rules (a flat commission, a cap,
//! a revenue threshold) is a map from currency to minor units ([`Amounts`]), and an order in a
//! currency the map lacks earns **zero with the reason [`Reason::MissingCurrency`]**, shown to the
//! merchant, who adds the amount. Converting would need an exchange rate and a date, which belong
//! to the caller, not to arithmetic. Likewise the affiliate's period figures in [`Period`] are in
//! the order's currency: the caller sums what it has in that currency (or converts at its own rate).
//!
//! Rates are basis points, `u32`: 1 % = 100 bps, 12.5 % = 1250 bps, at most 10 000 (100 %).
//! An integer of basis points is exact in JSON, SQL and PHP, where `0.125` is not.
//!
//! # Rounding: one rule
//! A percent line is computed exactly as `basis × rate_bps` in `i128`, then divided by 10 000 and
//! rounded **half to even** (banker's rounding) to a whole minor unit, once per line: 0.5 cent
//! goes to the even neighbour (1 234.5 → 1 234, 1 235.5 → 1 236), anything else to the nearest.
//! Half up would send every tie upward, half a minor unit each in the affiliate's favour, and
//! over thousands of referrals that drift adds up; half to even sends half the ties each way, so
//! the errors cancel on average. Refund reversals use the same rule on `commission × refunded /
//! order_amount`. Nothing else rounds: splitting an order discount over lines is an exact integer
//! split (below).
//!
//! # What a sale earns
//! The *basis* of a sale is `subtotal − discount`, plus `shipping` if [`Rules::include_shipping`]
//! and plus `tax` if [`Rules::include_tax`] (both off by default). Without items the whole basis
//! takes the order-level rate in one line. With items, each item is a line of `amount × quantity`;
//! the order `discount` is spread over item lines in proportion to their amounts, in whole minor
//! units: each line gets the floor of its share, and the few units left go one each to the lines
//! with the largest remainders (ties to the earlier line), so line bases add up exactly to
//! `subtotal − discount`. Included shipping and tax are lines of their own at the order-level rate.
//!
//! Which rate a line takes, most specific first:
//! 1. the product's override ([`Rules::products`], by SKU), then
//! 2. the category's override ([`Rules::categories`]), then the order-level rate:
//! 3. on a renewal, the recurring rate ([`Recurring`]) if it has one, then
//! 4. the affiliate's override ([`AffiliateRules::sale`]), then
//! 5. the override of the affiliate's category ([`Rules::affiliate_categories`]: coupon and
//!    cashback sites paid less than content creators, say), then
//! 6. the program default ([`Rules::sale`]). With none of these the line earns zero ([`Rule::None`]).
//!
//! A [`Rate`] is a percent, flat amounts, or volume tiers. A tier is chosen by the affiliate's
//! volume in the period *before* this sale ([`Period`]); the whole sale takes that tier's rate.
//! A flat product or category override pays its amount per unit (× quantity). A flat order-level
//! rate pays its amount once per sale, in one `sale` line covering every item that fell to it
//! (no such line if every item has an override); included shipping and tax earn nothing under it.
//!
//! A renewal (`is_renewal`) earns only if [`Rules::recurring`] allows it: for `months` months
//! (renewals with `months_since_first_sale < months`) or for the subscription's lifetime.
//!
//! Caps come last: the total is cut to the per-referral cap and to what is left of the per-period
//! cap after [`Period::commission`]; [`Commission::capped`] and [`Commission::reason`] say so.
//! A lead earns the flat amount of [`AffiliateRules::lead`], else that of the affiliate's
//! category, else [`Rules::lead`], within the caps.
//!
//! # Errors
//! Bad input is an [`Error`], never a panic or a wrapped number: negative amounts, a discount
//! above the subtotal, items that disagree with the subtotal, rates above 100 %, unordered tiers,
//! and any sum or product that leaves `i64` ([`Error::Overflow`]).

use crate::affiliate::AffiliateId;
use crate::money::Currency;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// 100 % in basis points, and the highest rate accepted.
pub const MAX_RATE_BPS: u32 = 10_000;

/// Amounts per currency, minor units: `{"USD": 500, "VND": 100000}`.
pub type Amounts = BTreeMap<Currency, i64>;

/// A program's commission settings. Every field may be left out of the JSON.
///
/// ```json
/// {"sale": {"type": "percent", "rate_bps": 1000}, "lead": {"USD": 200},
///  "products": {"GIFT-CARD": {"type": "percent", "rate_bps": 0}},
///  "recurring": {"type": "months", "months": 12},
///  "caps": {"per_referral": {"USD": 50000}}}
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct Rules {
    /// The program's default rate for sales.
    pub sale: Option<Rate>,
    /// The program's flat amount per lead.
    pub lead: Option<Amounts>,
    /// Whether shipping counts in the basis (default no).
    pub include_shipping: bool,
    /// Whether tax counts in the basis (default no).
    pub include_tax: bool,
    /// Per-affiliate overrides.
    pub affiliates: BTreeMap<AffiliateId, AffiliateRules>,
    /// Overrides for every affiliate of a category (`content`, `coupon`, `cashback`, …), below
    /// an affiliate's own.
    pub affiliate_categories: BTreeMap<String, AffiliateRules>,
    /// Per-category overrides, by the item's `category`.
    pub categories: BTreeMap<String, Rate>,
    /// Per-product overrides, by the item's `sku`.
    pub products: BTreeMap<String, Rate>,
    /// Whether renewals earn.
    pub recurring: Recurring,
    /// Upper bounds on the commission.
    pub caps: Caps,
}

/// One affiliate's overrides of the program defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct AffiliateRules {
    /// This affiliate's rate for sales.
    pub sale: Option<Rate>,
    /// This affiliate's flat amount per lead.
    pub lead: Option<Amounts>,
}

/// How a sale line earns. JSON is tagged by `type`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)
)]
pub enum Rate {
    /// `{"type": "percent", "rate_bps": 1000}`: a share of the basis.
    Percent {
        /// The rate, basis points.
        rate_bps: u32,
    },
    /// `{"type": "flat", "amounts": {"USD": 500}}`: a fixed amount per sale (order level) or per
    /// unit (product or category override).
    Flat {
        /// The amount in each currency the program pays in.
        amounts: Amounts,
    },
    /// `{"type": "sales_tiers", "rate_bps": 1000, "tiers": [{"from": 50, "rate_bps": 1500}]}`:
    /// 10 % for the first 50 sales of the period, 15 % from the 51st.
    SalesTiers {
        /// The rate below the first tier, basis points.
        rate_bps: u32,
        /// Tiers by ascending `from`.
        tiers: Vec<SalesTier>,
    },
    /// `{"type": "revenue_tiers", "rate_bps": 1000, "tiers": [{"from": {"USD": 500000},
    /// "rate_bps": 1500}]}`: 10 % until the affiliate's referred revenue in the period reaches
    /// 5,000.00 USD, 15 % for sales after that.
    RevenueTiers {
        /// The rate below the first tier, basis points.
        rate_bps: u32,
        /// Tiers by ascending `from`; every tier lists the same currencies.
        tiers: Vec<RevenueTier>,
    },
}

/// A tier by number of sales.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct SalesTier {
    /// Applies when the affiliate had at least this many sales in the period before this one.
    pub from: u64,
    /// The rate, basis points.
    pub rate_bps: u32,
}

/// A tier by referred revenue.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct RevenueTier {
    /// Applies when the affiliate's referred revenue in the period before this sale is at least
    /// this, in the order's currency.
    pub from: Amounts,
    /// The rate, basis points.
    pub rate_bps: u32,
}

/// Whether renewals of a subscription earn. JSON is tagged by `type`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)
)]
pub enum Recurring {
    /// `{"type": "none"}`: only the first sale earns; renewals earn zero (the default).
    #[default]
    None,
    /// `{"type": "months", "months": 12}`: renewals within the first `months` months of the
    /// subscription earn (`months_since_first_sale < months`); later ones earn zero.
    Months {
        /// How long renewals earn.
        months: u32,
        /// The rate for renewals instead of the affiliate's and the default one.
        #[cfg_attr(feature = "serde", serde(default))]
        rate: Option<Rate>,
    },
    /// `{"type": "lifetime"}`: every renewal earns.
    Lifetime {
        /// The rate for renewals instead of the affiliate's and the default one.
        #[cfg_attr(feature = "serde", serde(default))]
        rate: Option<Rate>,
    },
}

/// Upper bounds on a commission, per currency.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct Caps {
    /// The most one referral may earn.
    pub per_referral: Option<Amounts>,
    /// The most one affiliate may earn in a period (the caller's period: a month, usually).
    pub per_period: Option<Amounts>,
}

/// A lead or a sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Event {
    /// A sale: earns by [`Rules::sale`] and the overrides.
    Sale,
    /// A lead: earns a flat amount; the order fields are not read.
    Lead,
}

/// One referred lead or sale, with everything the rules may depend on.
///
/// The HTTP sale body carries the order total; the caller maps it: `subtotal` is the sum of the
/// items (or total − shipping − tax without items) and `discount` what the total falls short of
/// `subtotal + shipping + tax`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Input {
    /// Lead or sale.
    pub event: Event,
    /// The credited affiliate.
    pub affiliate: AffiliateId,
    /// The credited affiliate's category, which [`Rules::affiliate_categories`] may override.
    #[cfg_attr(feature = "serde", serde(default))]
    pub affiliate_category: Option<String>,
    /// The order's currency; every amount here is in it.
    pub currency: Currency,
    /// Goods before the order discount; required for a sale without items, and equal to the
    /// items' sum when both are given.
    #[cfg_attr(feature = "serde", serde(default))]
    pub subtotal: Option<i64>,
    /// Order-level discount (coupons), not already in the item amounts.
    #[cfg_attr(feature = "serde", serde(default))]
    pub discount: i64,
    /// Shipping charged.
    #[cfg_attr(feature = "serde", serde(default))]
    pub shipping: i64,
    /// Tax charged.
    #[cfg_attr(feature = "serde", serde(default))]
    pub tax: i64,
    /// Order lines; when present, rates apply per line.
    #[cfg_attr(feature = "serde", serde(default))]
    pub items: Vec<Item>,
    /// Whether this sale renews a subscription.
    #[cfg_attr(feature = "serde", serde(default))]
    pub is_renewal: bool,
    /// Whole months between the subscription's first sale and this renewal.
    #[cfg_attr(feature = "serde", serde(default))]
    pub months_since_first_sale: u32,
    /// The affiliate's figures in the period before this event.
    #[cfg_attr(feature = "serde", serde(default))]
    pub period: Period,
}

/// One order line.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Item {
    /// Product SKU or id: the key of [`Rules::products`].
    pub sku: String,
    /// Product category: the key of [`Rules::categories`].
    #[cfg_attr(feature = "serde", serde(default))]
    pub category: Option<String>,
    /// Unit price, minor units.
    pub amount: i64,
    /// Quantity (default 1).
    #[cfg_attr(feature = "serde", serde(default = "one"))]
    pub quantity: i64,
}

#[cfg(feature = "serde")]
fn one() -> i64 {
    1
}

/// The affiliate's volume in the current period *before* this event, in the order's currency.
/// The caller chooses the period (calendar month, usually) and what counts (e.g. whether renewals
/// and unapproved referrals do).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(default, deny_unknown_fields)
)]
pub struct Period {
    /// Referred sales so far: selects [`Rate::SalesTiers`].
    pub sales: u64,
    /// Referred revenue so far: selects [`Rate::RevenueTiers`].
    pub revenue: i64,
    /// Commission earned so far: what [`Caps::per_period`] has left.
    pub commission: i64,
}

/// Which rule decided a commission or a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Rule {
    /// No rule applied.
    None,
    /// The program default.
    Default,
    /// The affiliate's override.
    Affiliate,
    /// The override of the affiliate's category.
    AffiliateCategory,
    /// The recurring rate for renewals.
    Recurring,
    /// The category's override.
    Category,
    /// The product's override.
    Product,
    /// Lines took different rules (commission level only).
    Mixed,
}

/// What a line stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum LineKind {
    /// The whole order basis (a sale without items, percent rate).
    Order,
    /// One item.
    Item,
    /// Shipping, when included.
    Shipping,
    /// Tax, when included.
    Tax,
    /// A flat amount per sale, covering the order or the items that fell to it.
    Sale,
    /// A flat amount per lead.
    Lead,
}

/// Why a commission is zero or less than its lines add up to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Reason {
    /// No rule covers this event.
    NoRule,
    /// A flat amount, cap or revenue tier the rules use has no amount in the order's currency.
    MissingCurrency,
    /// A renewal, and the program pays the first sale only.
    RenewalsNotPaid,
    /// A renewal after the months the program pays renewals for.
    RecurringPeriodOver,
    /// Cut to the per-referral cap.
    PerReferralCap,
    /// Cut to what is left of the per-period cap (zero once it is reached).
    PeriodCap,
}

/// One line of a commission.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Line {
    /// What the line stands for.
    pub kind: LineKind,
    /// The item's SKU (item lines).
    pub sku: Option<String>,
    /// The item's category (item lines).
    pub category: Option<String>,
    /// The rule the line took.
    pub rule: Rule,
    /// The amount the line covers, after its share of the discount.
    pub basis: i64,
    /// The percent rate applied, basis points; `None` for flat and unruled lines.
    pub rate_bps: Option<u32>,
    /// The tier of a tiered rate: 0 for the base rate, 1 for the first tier, …
    pub tier: Option<u32>,
    /// What the line earns, before caps.
    pub amount: i64,
}

/// What a referral earns, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Commission {
    /// The commission, minor units of `currency`, after caps.
    pub amount: i64,
    /// The order's currency.
    pub currency: Currency,
    /// The commissionable amount (0 for a lead); the sum of the lines' bases.
    pub basis: i64,
    /// The rate, when every line took the same percent rate.
    pub rate_bps: Option<u32>,
    /// The rule of every line, or [`Rule::Mixed`]; [`Rule::None`] when zero for a reason.
    pub rule: Rule,
    /// Line by line, before caps; empty when the computation stopped early (a renewal not paid,
    /// a missing currency, a lead without a rule).
    pub lines: Vec<Line>,
    /// Whether a cap cut the amount.
    pub capped: bool,
    /// Why the amount is zero or cut, if it is.
    pub reason: Option<Reason>,
}

/// Why a commission cannot be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An amount, quantity, period figure or amount in the rules is negative.
    Negative,
    /// A sale has neither items nor a subtotal.
    MissingSubtotal,
    /// The subtotal is not the sum of the items.
    SubtotalMismatch,
    /// The discount is larger than the subtotal.
    DiscountExceedsSubtotal,
    /// A rate is above [`MAX_RATE_BPS`].
    InvalidRate,
    /// Tiers are not strictly ascending from above zero, or list different currencies.
    InvalidTiers,
    /// A sum or product leaves `i64`.
    Overflow,
}

impl Error {
    /// A stable, snake_case name for the error (the code the HTTP API and the vectors use).
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::Negative => "negative_amount",
            Error::MissingSubtotal => "missing_subtotal",
            Error::SubtotalMismatch => "subtotal_mismatch",
            Error::DiscountExceedsSubtotal => "discount_exceeds_subtotal",
            Error::InvalidRate => "invalid_rate",
            Error::InvalidTiers => "invalid_tiers",
            Error::Overflow => "overflow",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for Error {}

impl Rules {
    /// Checks the rules on their own: rates at most 100 %, tiers in order, no negative amounts.
    /// [`compute`] calls it; a server calls it before storing new settings.
    pub fn validate(&self) -> Result<(), Error> {
        let overrides = || {
            self.affiliates
                .values()
                .chain(self.affiliate_categories.values())
        };
        let rates = self
            .sale
            .iter()
            .chain(overrides().filter_map(|a| a.sale.as_ref()));
        let rates = rates
            .chain(self.categories.values())
            .chain(self.products.values());
        let recurring = match &self.recurring {
            Recurring::Months { rate, .. } | Recurring::Lifetime { rate } => rate.as_ref(),
            Recurring::None => None,
        };
        for rate in rates.chain(recurring) {
            rate.validate()?;
        }
        let leads = self
            .lead
            .iter()
            .chain(overrides().filter_map(|a| a.lead.as_ref()));
        let caps = self
            .caps
            .per_referral
            .iter()
            .chain(self.caps.per_period.iter());
        for amounts in leads.chain(caps) {
            non_negative(amounts.values().copied())?;
        }
        Ok(())
    }
}

impl Rate {
    fn validate(&self) -> Result<(), Error> {
        let rate = |bps: u32| {
            if bps > MAX_RATE_BPS {
                Err(Error::InvalidRate)
            } else {
                Ok(())
            }
        };
        match self {
            Rate::Percent { rate_bps } => rate(*rate_bps),
            Rate::Flat { amounts } => non_negative(amounts.values().copied()),
            Rate::SalesTiers { rate_bps, tiers } => {
                rate(*rate_bps)?;
                let mut last = 0;
                for t in tiers {
                    rate(t.rate_bps)?;
                    if t.from <= last {
                        return Err(Error::InvalidTiers);
                    }
                    last = t.from;
                }
                Ok(())
            }
            Rate::RevenueTiers { rate_bps, tiers } => {
                rate(*rate_bps)?;
                let mut last: Option<&Amounts> = None;
                for t in tiers {
                    rate(t.rate_bps)?;
                    non_negative(t.from.values().copied())?;
                    let ascending = match last {
                        None => t.from.values().all(|&v| v > 0),
                        Some(prev) => {
                            prev.len() == t.from.len()
                                && prev
                                    .iter()
                                    .all(|(c, &p)| t.from.get(c).is_some_and(|&v| v > p))
                        }
                    };
                    if !ascending {
                        return Err(Error::InvalidTiers);
                    }
                    last = Some(&t.from);
                }
                Ok(())
            }
        }
    }
}

fn non_negative(mut values: impl Iterator<Item = i64>) -> Result<(), Error> {
    if values.any(|v| v < 0) {
        Err(Error::Negative)
    } else {
        Ok(())
    }
}

/// Computes the commission `rules` give `input`. See the module documentation for the rules.
///
/// ```
/// use reftrail::affiliate::AffiliateId;
/// use reftrail::commission::{compute, Event, Input, Period, Rate, Rules};
/// use reftrail::money::Currency;
///
/// let rules = Rules { sale: Some(Rate::Percent { rate_bps: 750 }), ..Rules::default() };
/// let input = Input {
///     event: Event::Sale,
///     affiliate: AffiliateId::parse("alice").unwrap(),
///     affiliate_category: Some("content".into()),
///     currency: Currency::VND,
///     subtotal: Some(1_250_000),
///     discount: 0,
///     shipping: 30_000,
///     tax: 0,
///     items: vec![],
///     is_renewal: false,
///     months_since_first_sale: 0,
///     period: Period::default(),
/// };
/// let c = compute(&rules, &input).unwrap();
/// assert_eq!((c.amount, c.basis, c.rate_bps), (93_750, 1_250_000, Some(750)));
/// ```
pub fn compute(rules: &Rules, input: &Input) -> Result<Commission, Error> {
    rules.validate()?;
    let p = &input.period;
    let amounts = [
        input.discount,
        input.shipping,
        input.tax,
        p.revenue,
        p.commission,
    ];
    let items = input.items.iter().flat_map(|i| [i.amount, i.quantity]);
    non_negative(amounts.into_iter().chain(input.subtotal).chain(items))?;

    let overrides = Overrides {
        affiliate: rules.affiliates.get(&input.affiliate),
        category: input
            .affiliate_category
            .as_ref()
            .and_then(|c| rules.affiliate_categories.get(c)),
    };
    let lines = match input.event {
        Event::Lead => lead_lines(rules, &overrides, input),
        Event::Sale => sale_lines(rules, &overrides, input),
    };
    match lines {
        Ok(lines) => finish(rules, input, lines),
        Err(Stop::Error(e)) => Err(e),
        Err(Stop::Zero(basis, reason)) => Ok(zero(input, basis, reason)),
    }
}

/// The overrides that apply to the credited affiliate: their own, then their category's.
struct Overrides<'a> {
    affiliate: Option<&'a AffiliateRules>,
    category: Option<&'a AffiliateRules>,
}

impl<'a> Overrides<'a> {
    /// The most specific of the affiliate's, their category's and the program's `field`, with
    /// the rule it comes from.
    fn pick<T>(
        &self,
        field: impl Fn(&'a AffiliateRules) -> Option<&'a T>,
        default: Option<&'a T>,
    ) -> Option<(&'a T, Rule)> {
        match (
            self.affiliate.and_then(&field),
            self.category.and_then(&field),
        ) {
            (Some(v), _) => Some((v, Rule::Affiliate)),
            (None, Some(v)) => Some((v, Rule::AffiliateCategory)),
            (None, None) => default.map(|v| (v, Rule::Default)),
        }
    }
}

/// Why a computation ended before its lines were complete.
enum Stop {
    /// Bad input.
    Error(Error),
    /// A zero commission on this basis, for this reason.
    Zero(i64, Reason),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Error(e)
    }
}

/// A zero commission with its reason.
fn zero(input: &Input, basis: i64, reason: Reason) -> Commission {
    Commission {
        amount: 0,
        currency: input.currency,
        basis,
        rate_bps: None,
        rule: Rule::None,
        lines: Vec::new(),
        capped: false,
        reason: Some(reason),
    }
}

/// A line without rate, tier or item.
fn line(kind: LineKind, rule: Rule, basis: i64, amount: i64) -> Line {
    let (sku, category, rate_bps, tier) = (None, None, None, None);
    Line {
        kind,
        sku,
        category,
        rule,
        basis,
        rate_bps,
        tier,
        amount,
    }
}

/// A rate reduced to what it means for this order.
enum Resolved {
    Percent { bps: u32, tier: Option<u32> },
    Flat(i64),
}

impl Resolved {
    /// A line on `basis` at this rate; a flat rate pays `flat_units` times its amount.
    fn line(&self, kind: LineKind, rule: Rule, basis: i64, flat_units: i64) -> Result<Line, Error> {
        Ok(match *self {
            Resolved::Percent { bps, tier } => Line {
                rate_bps: Some(bps),
                tier,
                ..line(kind, rule, basis, apply_bps(basis, bps)?)
            },
            Resolved::Flat(amount) => line(
                kind,
                rule,
                basis,
                amount.checked_mul(flat_units).ok_or(Error::Overflow)?,
            ),
        })
    }
}

/// What `rate` means for an order in `currency` after the affiliate's `period`; `None` if it
/// needs an amount the rate lacks in `currency`.
fn resolve(rate: &Rate, currency: Currency, period: &Period) -> Option<Resolved> {
    // The number of tiers reached, and the rate of the last one (or the base rate).
    let (reached, bps) = match rate {
        Rate::Percent { rate_bps } => {
            return Some(Resolved::Percent {
                bps: *rate_bps,
                tier: None,
            });
        }
        Rate::Flat { amounts } => return amounts.get(&currency).map(|&a| Resolved::Flat(a)),
        Rate::SalesTiers { rate_bps, tiers } => {
            let reached = tiers.iter().take_while(|t| period.sales >= t.from);
            reached.fold((0, *rate_bps), |(n, _), t| (n + 1, t.rate_bps))
        }
        Rate::RevenueTiers { rate_bps, tiers } => {
            let mut last = (0, *rate_bps);
            for t in tiers {
                if period.revenue < *t.from.get(&currency)? {
                    break;
                }
                last = (last.0 + 1, t.rate_bps);
            }
            last
        }
    };
    Some(Resolved::Percent {
        bps,
        tier: Some(reached),
    })
}

/// The line of a lead.
fn lead_lines(rules: &Rules, overrides: &Overrides, input: &Input) -> Result<Vec<Line>, Stop> {
    let (amounts, rule) = overrides
        .pick(|a| a.lead.as_ref(), rules.lead.as_ref())
        .ok_or(Stop::Zero(0, Reason::NoRule))?;
    let amount = amounts
        .get(&input.currency)
        .ok_or(Stop::Zero(0, Reason::MissingCurrency))?;
    Ok(alloc::vec![line(LineKind::Lead, rule, 0, *amount)])
}

/// The lines of a sale.
fn sale_lines(rules: &Rules, overrides: &Overrides, input: &Input) -> Result<Vec<Line>, Stop> {
    // Bases first: bad input is an error even where the sale would earn nothing.
    let items = item_bases(input)?;
    let goods = match (&items, input.subtotal) {
        (Some(bases), _) => checked_sum(bases.iter().copied())?,
        (None, Some(subtotal)) if input.discount > subtotal => {
            return Err(Error::DiscountExceedsSubtotal.into())
        }
        (None, Some(subtotal)) => subtotal - input.discount,
        (None, None) => return Err(Error::MissingSubtotal.into()),
    };
    let shipping = if rules.include_shipping {
        input.shipping
    } else {
        0
    };
    let tax = if rules.include_tax { input.tax } else { 0 };
    let basis = checked_sum([goods, shipping, tax].into_iter())?;

    let mut order_level = overrides.pick(|a| a.sale.as_ref(), rules.sale.as_ref());
    if input.is_renewal {
        let rate = match &rules.recurring {
            Recurring::None => return Err(Stop::Zero(basis, Reason::RenewalsNotPaid)),
            Recurring::Months { months, .. } if input.months_since_first_sale >= *months => {
                return Err(Stop::Zero(basis, Reason::RecurringPeriodOver));
            }
            Recurring::Months { rate, .. } | Recurring::Lifetime { rate } => rate.as_ref(),
        };
        if let Some(rate) = rate {
            order_level = Some((rate, Rule::Recurring));
        }
    }
    let missing = Stop::Zero(basis, Reason::MissingCurrency);
    let resolve = |rate| resolve(rate, input.currency, &input.period);
    let (order, order_rule) = match order_level {
        Some((rate, rule)) => (Some(resolve(rate).ok_or(missing)?), rule),
        None => (None, Rule::None),
    };
    // A line at the order-level rate (zero without one); a flat one pays once per sale.
    let at_order_rate = |kind, basis| match &order {
        Some(rate) => rate.line(kind, order_rule, basis, 1),
        None => Ok(line(kind, order_rule, basis, 0)),
    };

    let Some(item_bases) = items else {
        let kind = match order {
            Some(Resolved::Flat(_)) => LineKind::Sale,
            _ => LineKind::Order,
        };
        return Ok(alloc::vec![at_order_rate(kind, basis)?]);
    };
    let mut lines = Vec::new();
    let mut flat_sale_basis = None; // the items that fell to a flat order-level rate
    for (item, &item_basis) in input.items.iter().zip(&item_bases) {
        let product = rules.products.get(&item.sku).map(|r| (r, Rule::Product));
        let category = item.category.as_ref().and_then(|c| rules.categories.get(c));
        let l = match product.or(category.map(|r| (r, Rule::Category))) {
            Some((rate, rule)) => {
                let rate = resolve(rate).ok_or(Stop::Zero(basis, Reason::MissingCurrency))?;
                rate.line(LineKind::Item, rule, item_basis, item.quantity)?
            }
            None if matches!(order, Some(Resolved::Flat(_))) => {
                let sum: &mut i64 = flat_sale_basis.get_or_insert(0);
                *sum = sum.checked_add(item_basis).ok_or(Error::Overflow)?;
                continue;
            }
            None => at_order_rate(LineKind::Item, item_basis)?,
        };
        lines.push(Line {
            sku: Some(item.sku.clone()),
            category: item.category.clone(),
            ..l
        });
    }
    for (kind, amount) in [(LineKind::Shipping, shipping), (LineKind::Tax, tax)] {
        if amount > 0 {
            let l = at_order_rate(kind, amount)?;
            // Flat order-level amounts are paid by the `sale` line, not per shipping or tax.
            lines.push(if l.rate_bps.is_none() {
                Line { amount: 0, ..l }
            } else {
                l
            });
        }
    }
    if let Some(b) = flat_sale_basis {
        lines.push(at_order_rate(LineKind::Sale, b)?);
    }
    Ok(lines)
}

fn checked_sum(mut values: impl Iterator<Item = i64>) -> Result<i64, Error> {
    values
        .try_fold(0i64, |s, v| s.checked_add(v))
        .ok_or(Error::Overflow)
}

/// Each item's basis: `amount × quantity` less its share of the order discount, or `None` when
/// the sale lists no items.
fn item_bases(input: &Input) -> Result<Option<Vec<i64>>, Error> {
    if input.items.is_empty() {
        return Ok(None);
    }
    let gross = input
        .items
        .iter()
        .map(|i| i.amount.checked_mul(i.quantity).ok_or(Error::Overflow));
    let gross = gross.collect::<Result<Vec<i64>, Error>>()?;
    let total = checked_sum(gross.iter().copied())?;
    if input.subtotal.is_some_and(|s| s != total) {
        return Err(Error::SubtotalMismatch);
    }
    let discount = input.discount;
    if discount > total {
        return Err(Error::DiscountExceedsSubtotal);
    }
    if discount == 0 {
        return Ok(Some(gross));
    }
    // Floors of each exact share `discount × line / total` (≤ the line, since discount ≤ total),
    // with the remainders that rank the lines for the units left over.
    let (d, t) = (i128::from(discount), i128::from(total));
    let mut shares: Vec<(i128, i128)> = gross
        .iter()
        .map(|&g| (d * i128::from(g) / t, d * i128::from(g) % t))
        .collect();
    let left = d - shares.iter().map(|s| s.0).sum::<i128>();
    let mut ranked: Vec<usize> = (0..shares.len()).collect();
    ranked.sort_by(|&a, &b| shares[b].1.cmp(&shares[a].1).then(a.cmp(&b)));
    for &i in ranked.iter().take(usize::try_from(left).unwrap_or(0)) {
        shares[i].0 += 1;
    }
    // Each share is at most its line, so the difference is in 0..=line.
    Ok(Some(
        gross
            .iter()
            .zip(&shares)
            .map(|(&g, &(s, _))| g - s as i64)
            .collect(),
    ))
}

/// `basis × bps / 10 000`, rounded half to even.
pub(crate) fn apply_bps(basis: i64, bps: u32) -> Result<i64, Error> {
    let n = i128::from(basis) * i128::from(bps);
    i64::try_from(div_half_even(n, i128::from(MAX_RATE_BPS))).map_err(|_| Error::Overflow)
}

/// `n / d` rounded half to even, for `n ≥ 0`, `d > 0`.
fn div_half_even(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    match (2 * r).cmp(&d) {
        core::cmp::Ordering::Less => q,
        core::cmp::Ordering::Greater => q + 1,
        core::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// Sums the lines, applies the caps and names the rule.
fn finish(rules: &Rules, input: &Input, lines: Vec<Line>) -> Result<Commission, Error> {
    let total = checked_sum(lines.iter().map(|l| l.amount))?;
    let basis = checked_sum(lines.iter().map(|l| l.basis))?;
    let cap = |amounts: &Option<Amounts>| amounts.as_ref().map(|a| a.get(&input.currency).copied());
    let (per_referral, per_period) = (cap(&rules.caps.per_referral), cap(&rules.caps.per_period));
    if per_referral == Some(None) || per_period == Some(None) {
        return Ok(zero(input, basis, Reason::MissingCurrency));
    }
    let (mut amount, mut reason) = (total, None);
    if let Some(max) = per_referral.flatten().filter(|&max| amount > max) {
        (amount, reason) = (max, Some(Reason::PerReferralCap));
    }
    // Both are non-negative, so the difference cannot overflow.
    let period_left = per_period
        .flatten()
        .map(|max| (max - input.period.commission).max(0));
    if let Some(left) = period_left.filter(|&left| amount > left) {
        (amount, reason) = (left, Some(Reason::PeriodCap));
    }
    let mut ruled = lines.iter().map(|l| l.rule).filter(|&r| r != Rule::None);
    let rule = match ruled.next() {
        None => Rule::None,
        Some(first) if ruled.all(|r| r == first) => first,
        Some(_) => Rule::Mixed,
    };
    let rate_bps = match lines.first().and_then(|l| l.rate_bps) {
        Some(r) if lines.iter().all(|l| l.rate_bps == Some(r)) => Some(r),
        _ => None,
    };
    if rule == Rule::None && reason.is_none() {
        reason = Some(Reason::NoRule);
    }
    let currency = input.currency;
    Ok(Commission {
        amount,
        currency,
        basis,
        rate_bps,
        rule,
        lines,
        capped: amount < total,
        reason,
    })
}

/// The part of `commission` cancelled once `refunded` of `order_amount` has been refunded in all:
/// `commission × refunded / order_amount`, rounded half to even, between 0 and `commission`.
///
/// `order_amount` and `refunded` are in the same terms (normally the total the customer paid and
/// the money returned). A refund of the whole order, or more, cancels the whole commission.
/// `refunded` is the running total, so for the next refund use [`reverse_part`], which makes
/// successive reversals add up exactly to the commission.
///
/// ```
/// use reftrail::commission::reverse;
/// assert_eq!(reverse(1000, 3000, 1000), 333);
/// assert_eq!(reverse(1000, 3000, 3000), 1000);
/// ```
pub fn reverse(commission: i64, order_amount: i64, refunded: i64) -> i64 {
    if commission <= 0 || refunded <= 0 {
        return 0;
    }
    if refunded >= order_amount {
        return commission;
    }
    // 0 < refunded < order_amount, so the quotient is below `commission` and fits.
    let n = i128::from(commission) * i128::from(refunded);
    i64::try_from(div_half_even(n, i128::from(order_amount))).unwrap_or(commission)
}

/// The commission to reverse for one more refund of `refund`, given the total refunded and the
/// commission reversed before it: what [`reverse`] gives for the new running total, less what is
/// already reversed, never below 0 nor above what is left. When the refunds reach the order
/// amount, the reversals add up to exactly `commission`.
///
/// ```
/// use reftrail::commission::reverse_part;
/// let parts = [1000, 1000, 1000].iter().scan((0, 0), |(refunded, reversed), &refund| {
///     let part = reverse_part(1000, 3000, *refunded, *reversed, refund);
///     *refunded += refund;
///     *reversed += part;
///     Some(part)
/// });
/// assert_eq!(parts.collect::<Vec<_>>(), [333, 334, 333]);
/// ```
pub fn reverse_part(
    commission: i64,
    order_amount: i64,
    refunded_before: i64,
    reversed_before: i64,
    refund: i64,
) -> i64 {
    let commission = commission.max(0);
    let reversed_before = reversed_before.clamp(0, commission);
    let target = reverse(
        commission,
        order_amount,
        refunded_before.max(0).saturating_add(refund.max(0)),
    );
    (target - reversed_before).clamp(0, commission - reversed_before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sale(currency: Currency, subtotal: i64) -> Input {
        Input {
            event: Event::Sale,
            affiliate: AffiliateId::parse("alice").unwrap(),
            affiliate_category: None,
            currency,
            subtotal: Some(subtotal),
            discount: 0,
            shipping: 0,
            tax: 0,
            items: Vec::new(),
            is_renewal: false,
            months_since_first_sale: 0,
            period: Period::default(),
        }
    }

    fn percent(rate_bps: u32) -> Rules {
        Rules {
            sale: Some(Rate::Percent { rate_bps }),
            ..Rules::default()
        }
    }

    fn item(sku: &str, category: Option<&str>, amount: i64, quantity: i64) -> Item {
        Item {
            sku: sku.into(),
            category: category.map(Into::into),
            amount,
            quantity,
        }
    }

    fn amounts(pairs: &[(Currency, i64)]) -> Amounts {
        pairs.iter().copied().collect()
    }

    macro_rules! rounds {
        ($basis:expr, $bps:expr => $want:expr) => {
            assert_eq!(
                apply_bps($basis, $bps),
                Ok($want),
                "{} × {} bps",
                $basis,
                $bps
            );
        };
    }
    macro_rules! reverses {
        ($c:expr, $order:expr, $refunded:expr => $want:expr) => {
            assert_eq!(
                reverse($c, $order, $refunded),
                $want,
                "reverse({}, {}, {})",
                $c,
                $order,
                $refunded
            );
        };
    }
    macro_rules! earns {
        ($rules:expr, $input:expr => $amount:expr, $rule:expr, $reason:expr) => {{
            let c = compute(&$rules, &$input).unwrap();
            assert_eq!(
                (c.amount, c.rule, c.reason),
                ($amount, $rule, $reason),
                "{c:?}"
            );
        }};
    }
    macro_rules! fails {
        ($rules:expr, $input:expr => $err:expr) => {
            assert_eq!(compute(&$rules, &$input), Err($err));
        };
    }

    #[test]
    fn apply_bps_rounds_half_to_even() {
        rounds!(10_000, 1000 => 1000);
        rounds!(12_345, 1000 => 1234); // 1234.5: tie, down to even
        rounds!(12_355, 1000 => 1236); // 1235.5: tie, up to even
        rounds!(12_344, 1000 => 1234);
        rounds!(12_347, 1000 => 1235);
        rounds!(1, 5000 => 0);
        rounds!(3, 5000 => 2);
        rounds!(1_250_000, 750 => 93_750);
        rounds!(1_250_005, 750 => 93_750);
        rounds!(159_900, 1250 => 19_988);
        rounds!(0, 1000 => 0);
        rounds!(5, 0 => 0);
        rounds!(i64::MAX, 10_000 => i64::MAX);
        rounds!(i64::MAX, 1000 => 922_337_203_685_477_581);
    }

    #[test]
    fn reverse_table() {
        reverses!(1000, 3000, 1000 => 333);
        reverses!(1000, 3000, 2000 => 667);
        reverses!(1000, 3000, 3000 => 1000);
        reverses!(1000, 3000, 9000 => 1000);
        reverses!(5, 2, 1 => 2);
        reverses!(7, 2, 1 => 4);
        reverses!(1000, 3000, 0 => 0);
        reverses!(1000, 3000, -5 => 0);
        reverses!(0, 3000, 3000 => 0);
        reverses!(-10, 3000, 3000 => 0);
        reverses!(1000, 0, 1 => 1000);
        reverses!(i64::MAX, i64::MAX, i64::MAX - 1 => i64::MAX - 1);
    }

    #[test]
    fn reverse_part_takes_the_remainder() {
        assert_eq!(reverse_part(1000, 3000, 0, 0, 1000), 333);
        assert_eq!(reverse_part(1000, 3000, 1000, 333, 1000), 334);
        assert_eq!(reverse_part(1000, 3000, 2000, 667, 1000), 333);
        // Already reversed more than the share: nothing more, never negative.
        assert_eq!(reverse_part(1000, 3000, 1000, 900, 500), 0);
        // Never more than what is left.
        assert_eq!(reverse_part(1000, 3000, 0, 990, 3000), 10);
        assert_eq!(reverse_part(1000, 3000, 0, 5000, 3000), 0);
    }

    #[test]
    fn rules_table() {
        let usd = Currency::USD;
        earns!(percent(1000), sale(usd, 10_000) => 1000, Rule::Default, None);
        earns!(percent(1000), sale(usd, 0) => 0, Rule::Default, None);
        earns!(Rules::default(), sale(usd, 10_000) => 0, Rule::None, Some(Reason::NoRule));
        let flat = Rules {
            sale: Some(Rate::Flat {
                amounts: amounts(&[(usd, 2500)]),
            }),
            ..Rules::default()
        };
        earns!(flat, sale(usd, 10_000) => 2500, Rule::Default, None);
        earns!(flat, sale(Currency::VND, 10_000) => 0, Rule::None, Some(Reason::MissingCurrency));
        let mut renewal = sale(usd, 10_000);
        renewal.is_renewal = true;
        renewal.months_since_first_sale = 11;
        earns!(percent(1000), renewal => 0, Rule::None, Some(Reason::RenewalsNotPaid));
        let months = Rules {
            recurring: Recurring::Months {
                months: 12,
                rate: None,
            },
            ..percent(1000)
        };
        earns!(months, renewal => 1000, Rule::Default, None);
        renewal.months_since_first_sale = 12;
        earns!(months, renewal => 0, Rule::None, Some(Reason::RecurringPeriodOver));
        let lifetime = Rules {
            recurring: Recurring::Lifetime {
                rate: Some(Rate::Percent { rate_bps: 500 }),
            },
            ..percent(1000)
        };
        earns!(lifetime, renewal => 500, Rule::Recurring, None);
        let capped = Rules {
            caps: Caps {
                per_referral: Some(amounts(&[(usd, 300)])),
                per_period: None,
            },
            ..percent(1000)
        };
        earns!(capped, sale(usd, 10_000) => 300, Rule::Default, Some(Reason::PerReferralCap));
        earns!(capped, sale(Currency::THB, 10_000) => 0, Rule::None, Some(Reason::MissingCurrency));
    }

    #[test]
    fn precedence_is_product_category_affiliate_default() {
        let alice = AffiliateId::parse("alice").unwrap();
        let mut rules = percent(1000);
        rules.affiliates.insert(
            alice,
            AffiliateRules {
                sale: Some(Rate::Percent { rate_bps: 1500 }),
                lead: None,
            },
        );
        rules
            .categories
            .insert("shoes".into(), Rate::Percent { rate_bps: 1200 });
        rules
            .products
            .insert("SHOE-1".into(), Rate::Percent { rate_bps: 2000 });
        let mut input = sale(Currency::USD, 10_000);
        input.subtotal = None;
        let one = |it| Input {
            items: vec![it],
            ..input.clone()
        };
        earns!(rules, one(item("SHOE-1", Some("shoes"), 10_000, 1)) => 2000, Rule::Product, None);
        earns!(rules, one(item("SHOE-2", Some("shoes"), 10_000, 1)) => 1200, Rule::Category, None);
        earns!(rules, one(item("HAT-1", Some("hats"), 10_000, 1)) => 1500, Rule::Affiliate, None);
        earns!(rules, one(item("HAT-1", None, 10_000, 1)) => 1500, Rule::Affiliate, None);
        let mut bob = one(item("HAT-1", None, 10_000, 1));
        bob.affiliate = AffiliateId::parse("bob").unwrap();
        earns!(rules, bob.clone() => 1000, Rule::Default, None);
        // A coupon site's category pays less than the program; alice's own rate still wins,
        // and a product's override still wins over both.
        rules.affiliate_categories.insert(
            "coupon".into(),
            AffiliateRules {
                sale: Some(Rate::Percent { rate_bps: 300 }),
                lead: None,
            },
        );
        let coupon_site = |mut i: Input| {
            i.affiliate_category = Some("coupon".into());
            i
        };
        earns!(rules, coupon_site(bob.clone()) => 300, Rule::AffiliateCategory, None);
        earns!(rules, coupon_site(one(item("HAT-1", None, 10_000, 1))) => 1500, Rule::Affiliate, None);
        earns!(rules, coupon_site(one(item("SHOE-1", None, 10_000, 1))) => 2000, Rule::Product, None);
        bob.affiliate_category = Some("content".into());
        earns!(rules, bob => 1000, Rule::Default, None);
        input.items = vec![
            item("SHOE-1", Some("shoes"), 10_000, 1),
            item("HAT-1", None, 10_000, 1),
        ];
        earns!(rules, input => 3500, Rule::Mixed, None);
    }

    #[test]
    fn bad_input_is_an_error() {
        let usd = Currency::USD;
        fails!(percent(1000), Input { subtotal: Some(-1), ..sale(usd, 0) } => Error::Negative);
        fails!(percent(1000), Input { shipping: -1, ..sale(usd, 0) } => Error::Negative);
        fails!(percent(1000), Input { subtotal: None, ..sale(usd, 0) } => Error::MissingSubtotal);
        fails!(percent(1000), Input { discount: 11, ..sale(usd, 10) } => Error::DiscountExceedsSubtotal);
        fails!(percent(10_001), sale(usd, 10) => Error::InvalidRate);
        let items = vec![item("A", None, 5, 2)];
        fails!(percent(1000), Input { items: items.clone(), ..sale(usd, 11) } => Error::SubtotalMismatch);
        fails!(percent(1000), Input { items: vec![item("A", None, i64::MAX, 2)], subtotal: None, ..sale(usd, 0) } => Error::Overflow);
        let with_shipping = Rules {
            include_shipping: true,
            ..percent(1000)
        };
        fails!(with_shipping, Input { shipping: 1, ..sale(usd, i64::MAX) } => Error::Overflow);
        let tiers = |from: [u64; 2]| Rules {
            sale: Some(Rate::SalesTiers {
                rate_bps: 1000,
                tiers: vec![
                    SalesTier {
                        from: from[0],
                        rate_bps: 1500,
                    },
                    SalesTier {
                        from: from[1],
                        rate_bps: 2000,
                    },
                ],
            }),
            ..Rules::default()
        };
        fails!(tiers([50, 50]), sale(usd, 10) => Error::InvalidTiers);
        fails!(tiers([0, 50]), sale(usd, 10) => Error::InvalidTiers);
        earns!(tiers([50, 200]), sale(usd, 10_000) => 1000, Rule::Default, None);
    }

    #[test]
    fn discount_split_adds_up() {
        let mut input = sale(Currency::USD, 0);
        input.subtotal = None;
        input.items = vec![
            item("A", None, 1000, 1),
            item("B", None, 1000, 1),
            item("C", None, 1000, 1),
        ];
        input.discount = 100;
        assert_eq!(item_bases(&input), Ok(Some(vec![966, 967, 967])));
        input.discount = 3000;
        assert_eq!(item_bases(&input), Ok(Some(vec![0, 0, 0])));
        input.items = vec![
            item("A", None, 1, 1),
            item("B", None, 0, 1),
            item("C", None, 2, 1),
        ];
        input.discount = 2;
        assert_eq!(item_bases(&input), Ok(Some(vec![0, 0, 1])));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn rules_read_and_write_plain_json() {
        let json = r#"{"sale": {"type": "percent", "rate_bps": 1000}, "lead": {"USD": 200},
            "affiliates": {"alice": {"sale": {"type": "sales_tiers", "rate_bps": 1000,
                "tiers": [{"from": 50, "rate_bps": 1500}]}}},
            "products": {"GIFT": {"type": "flat", "amounts": {"USD": 300}}},
            "recurring": {"type": "months", "months": 12},
            "caps": {"per_referral": {"USD": 50000}}}"#;
        let rules: Rules = serde_json::from_str(json).unwrap();
        assert_eq!(
            rules.recurring,
            Recurring::Months {
                months: 12,
                rate: None
            }
        );
        assert_eq!(rules.lead, Some(amounts(&[(Currency::USD, 200)])));
        let back: Rules = serde_json::from_value(serde_json::to_value(&rules).unwrap()).unwrap();
        assert_eq!(back, rules);
        for bad in [
            r#"{"sale": {"type": "percent", "rate": 1000}}"#,
            r#"{"sale": {"type": "percent", "rate_bps": 1000, "extra": 1}}"#,
            r#"{"sale": {"type": "percent", "rate_bps": -1}}"#,
            r#"{"sale": {"type": "percent", "rate_bps": 12.5}}"#,
            r#"{"sale": {"type": "share", "rate_bps": 1000}}"#,
            r#"{"lead": {"usd": 200}}"#,
            r#"{"lead": {"USD": 2.5}}"#,
            r#"{"affiliates": {"<script>": {}}}"#,
            r#"{"include_shiping": true}"#,
        ] {
            assert!(serde_json::from_str::<Rules>(bad).is_err(), "{bad}");
        }
    }

    /// Marsaglia's xorshift64: a fixed seed, so every run checks the same cases.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// An amount spread over magnitudes: small, large, and close to `i64::MAX`.
        fn amount(&mut self) -> i64 {
            match self.below(8) {
                0 => 0,
                1 => (i64::MAX - self.below(4) as i64).max(0),
                2..=3 => self.below(1 << 40) as i64,
                _ => self.below(1_000_000) as i64,
            }
        }
        fn rate(&mut self) -> Rate {
            match self.below(4) {
                0 => Rate::Flat {
                    amounts: amounts(&[
                        (Currency::USD, self.amount()),
                        (Currency::VND, self.amount()),
                    ]),
                },
                1 => Rate::SalesTiers {
                    rate_bps: self.below(10_001) as u32,
                    tiers: vec![SalesTier {
                        from: 1 + self.below(20),
                        rate_bps: self.below(10_001) as u32,
                    }],
                },
                _ => Rate::Percent {
                    rate_bps: self.below(10_001) as u32,
                },
            }
        }
    }

    #[test]
    fn random_inputs_keep_the_invariants() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let currencies = [Currency::USD, Currency::VND, Currency::THB];
        let (mut computed, mut errors, mut paid, mut capped) = (0, 0, 0, 0);
        for _ in 0..20_000 {
            let mut rules = Rules {
                sale: Some(rng.rate()),
                include_shipping: rng.below(2) == 0,
                include_tax: rng.below(2) == 0,
                recurring: if rng.below(2) == 0 {
                    Recurring::Lifetime { rate: None }
                } else {
                    Recurring::Months {
                        months: 12,
                        rate: Some(rng.rate()),
                    }
                },
                lead: Some(amounts(&[(Currency::USD, rng.amount())])),
                ..Rules::default()
            };
            rules.products.insert("P".into(), rng.rate());
            rules.categories.insert("C".into(), rng.rate());
            let per_referral = rng.amount();
            let per_period = rng.amount();
            if rng.below(2) == 0 {
                rules.caps.per_referral = Some(amounts(&currencies.map(|c| (c, per_referral))));
                rules.caps.per_period = Some(amounts(&currencies.map(|c| (c, per_period))));
            }
            let mut input = sale(currencies[rng.below(3) as usize], rng.amount());
            input.event = if rng.below(8) == 0 {
                Event::Lead
            } else {
                Event::Sale
            };
            input.shipping = rng.amount();
            input.tax = rng.amount();
            input.is_renewal = rng.below(4) == 0;
            input.months_since_first_sale = rng.below(24) as u32;
            input.period = Period {
                sales: rng.below(40),
                revenue: rng.amount(),
                commission: rng.amount(),
            };
            if rng.below(2) == 0 {
                input.subtotal = None;
                for _ in 0..1 + rng.below(4) {
                    let sku = ["P", "Q"][rng.below(2) as usize];
                    let category = [None, Some("C"), Some("D")][rng.below(3) as usize];
                    input
                        .items
                        .push(item(sku, category, rng.amount(), rng.below(5) as i64));
                }
            }
            input.discount = match input.subtotal {
                Some(s) => rng.below(s as u64 + 1) as i64,
                None => rng.below(1000) as i64,
            };

            let c = match compute(&rules, &input) {
                Ok(c) => c,
                Err(_) => {
                    errors += 1;
                    continue;
                }
            };
            computed += 1;
            paid += usize::from(c.amount > 0);
            capped += usize::from(c.capped);
            assert!(c.amount >= 0, "{c:?}");
            if rules.caps.per_referral.is_some() {
                assert!(c.amount <= per_referral, "{c:?}");
                assert!(
                    c.amount <= (per_period - input.period.commission).max(0),
                    "{c:?}"
                );
            }
            if c.reason.is_none() {
                assert_eq!(
                    Some(c.amount),
                    c.lines
                        .iter()
                        .try_fold(0i64, |s, l| s.checked_add(l.amount))
                );
            }

            let order = rng.amount().max(1);
            assert_eq!(reverse(c.amount, order, order), c.amount);
            let (mut refunded, mut reversed) = (0i64, 0i64);
            while refunded < order {
                let refund = (1 + rng.below(order as u64)).min((order - refunded) as u64) as i64;
                let part = reverse_part(c.amount, order, refunded, reversed, refund);
                assert!(part >= 0 && part <= c.amount - reversed);
                refunded += refund;
                reversed += part;
            }
            assert_eq!(reversed, c.amount, "{c:?}, order {order}");
        }
        let counts = (computed, errors, paid, capped);
        assert!(
            computed > 10_000 && errors > 0 && paid > 5000 && capped > 1000,
            "{counts:?}"
        );
    }
}
