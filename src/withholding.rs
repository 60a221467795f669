//! Tax withheld from a payout line. Paying an individual, a shop may have to keep part of the
//! commission back and pay it to the tax office in the affiliate's name: in Vietnam 10 % of a
//! payment of 2,000,000 VND or more to a person without a labour contract (unless they filed a
//! commitment that their income stays below the taxable level), in Thailand 3 % of a service
//! fee. The program lists one rule per currency; an affiliate may be exempt (a business that
//! invoices, or a person with a commitment on file).
//!
//! A rule applies to a whole line when its amount reaches the threshold: the tax is that share
//! of the line, rounded half to even to a whole minor unit, like commissions.

use crate::commission::apply_bps;
use alloc::string::String;

/// The most a rule may withhold: 50 %.
pub const MAX_RATE_BPS: u32 = 5_000;

/// One currency's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Rule {
    /// ISO 4217 code of the lines it applies to.
    pub currency: String,
    /// The share withheld, in basis points (1 to 5,000).
    pub rate_bps: u32,
    /// Lines of at least this many minor units are taxed; smaller ones are not.
    pub threshold: i64,
}

/// Why rules were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// A currency that is not three capital letters.
    Currency,
    /// Two rules for one currency.
    Duplicate,
    /// A rate outside 1..=5,000 basis points.
    Rate,
    /// A negative threshold.
    Threshold,
}

impl Invalid {
    /// What a person should fix.
    pub fn message(self) -> &'static str {
        match self {
            Invalid::Currency => "withholding: currency must be an ISO 4217 code",
            Invalid::Duplicate => "withholding: one rule per currency",
            Invalid::Rate => "withholding: rate_bps must be 1 to 5000 (50 %)",
            Invalid::Threshold => "withholding: threshold must be 0 or more minor units",
        }
    }
}

/// Whether `t` may be a tax id: 1 to 20 ASCII letters, digits or `-` (Thailand's 13 digits,
/// Vietnam's 10 or `0312345678-001` for a branch).
pub fn valid_tax_id(t: &str) -> bool {
    !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Checks a program's rules.
pub fn validate(rules: &[Rule]) -> Result<(), Invalid> {
    for (i, r) in rules.iter().enumerate() {
        if r.currency.len() != 3 || !r.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Invalid::Currency);
        }
        if rules[..i].iter().any(|o| o.currency == r.currency) {
            return Err(Invalid::Duplicate);
        }
        if !(1..=MAX_RATE_BPS).contains(&r.rate_bps) {
            return Err(Invalid::Rate);
        }
        if r.threshold < 0 {
            return Err(Invalid::Threshold);
        }
    }
    Ok(())
}

/// The tax withheld from a line paying `gross` minor units of `currency` to an affiliate
/// (`exempt` or not) under `rules`: 0 when no rule applies.
pub fn withheld(rules: &[Rule], currency: &str, gross: i64, exempt: bool) -> i64 {
    if exempt || gross <= 0 {
        return 0;
    }
    rules
        .iter()
        .find(|r| r.currency == currency && gross >= r.threshold)
        .and_then(|r| apply_bps(gross, r.rate_bps).ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vnd() -> alloc::vec::Vec<Rule> {
        alloc::vec![Rule {
            currency: "VND".into(),
            rate_bps: 1_000,
            threshold: 2_000_000,
        }]
    }

    #[test]
    fn a_line_at_the_threshold_is_taxed_below_it_not() {
        assert_eq!(withheld(&vnd(), "VND", 2_000_000, false), 200_000);
        assert_eq!(withheld(&vnd(), "VND", 1_999_999, false), 0);
        assert_eq!(withheld(&vnd(), "VND", 2_500_000, true), 0, "exempt");
        assert_eq!(withheld(&vnd(), "USD", 500_000, false), 0, "no rule");
    }

    #[test]
    fn ties_round_half_to_even() {
        let thb = [Rule {
            currency: "THB".into(),
            rate_bps: 300,
            threshold: 0,
        }];
        // 3 % of 50 satang is 1.5: to 2; of 150 is 4.5: to 4.
        assert_eq!(withheld(&thb, "THB", 50, false), 2);
        assert_eq!(withheld(&thb, "THB", 150, false), 4);
    }

    #[test]
    fn rules_are_checked() {
        let mut r = vnd();
        assert_eq!(validate(&r), Ok(()));
        r.push(r[0].clone());
        assert_eq!(validate(&r), Err(Invalid::Duplicate));
        let bad = |f: fn(&mut Rule)| {
            let mut r = vnd();
            f(&mut r[0]);
            validate(&r)
        };
        assert_eq!(bad(|r| r.currency = "vnd".into()), Err(Invalid::Currency));
        assert_eq!(bad(|r| r.rate_bps = 0), Err(Invalid::Rate));
        assert_eq!(bad(|r| r.rate_bps = 5_001), Err(Invalid::Rate));
        assert_eq!(bad(|r| r.threshold = -1), Err(Invalid::Threshold));
    }
}
