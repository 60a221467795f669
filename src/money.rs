//! Money: a whole number of minor units of an ISO 4217 currency.
//!
//! Amounts are `i64` counts of the currency's minor unit (cents for USD, satang for THB, whole
//! dong for VND), never floats: `0.1 + 0.2` has no place in a ledger, and integers cross JSON,
//! SQL and PHP unchanged. A [`Currency`] is three upper-case ASCII letters; it knows its minor-unit
//! exponent (ISO 4217), which matters only when an amount is shown to a person, since every
//! computation in the core is already in minor units.

use core::fmt;

/// An ISO 4217 currency code: exactly three ASCII letters `A`–`Z`.
///
/// The code is validated, not looked up: a well-formed code the table below does not list (a new
/// currency, a private one) is accepted and given the common exponent 2.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

/// Codes whose minor unit is the major unit itself (ISO 4217 exponent 0).
const EXPONENT_0: &[&[u8; 3]] = &[
    b"BIF", b"CLP", b"DJF", b"GNF", b"ISK", b"JPY", b"KMF", b"KRW", b"PYG", b"RWF", b"UGX", b"UYI",
    b"VND", b"VUV", b"XAF", b"XOF", b"XPF",
];
/// Codes with a thousandth as minor unit (ISO 4217 exponent 3).
const EXPONENT_3: &[&[u8; 3]] = &[b"BHD", b"IQD", b"JOD", b"KWD", b"LYD", b"OMR", b"TND"];
/// Codes with a ten-thousandth as minor unit (ISO 4217 exponent 4).
const EXPONENT_4: &[&[u8; 3]] = &[b"CLF", b"UYW"];

impl Currency {
    /// US dollar (exponent 2).
    pub const USD: Currency = Currency(*b"USD");
    /// Euro (exponent 2).
    pub const EUR: Currency = Currency(*b"EUR");
    /// Vietnamese đồng (exponent 0).
    pub const VND: Currency = Currency(*b"VND");
    /// Thai baht (exponent 2).
    pub const THB: Currency = Currency(*b"THB");
    /// Japanese yen (exponent 0).
    pub const JPY: Currency = Currency(*b"JPY");

    /// Validates `code`: `Some` if it is exactly three ASCII letters `A`–`Z`.
    ///
    /// ```
    /// use reftrail::money::Currency;
    /// assert_eq!(Currency::parse("VND").map(|c| c.exponent()), Some(0));
    /// assert_eq!(Currency::parse("usd"), None);
    /// ```
    pub const fn parse(code: &str) -> Option<Currency> {
        match code.as_bytes() {
            &[a, b, c]
                if a.is_ascii_uppercase() && b.is_ascii_uppercase() && c.is_ascii_uppercase() =>
            {
                Some(Currency([a, b, c]))
            }
            _ => None,
        }
    }

    /// The code, e.g. `"USD"`.
    pub fn as_str(&self) -> &str {
        // Only `parse` and the constants build a `Currency`, both from ASCII letters, so this
        // never takes the fallback.
        core::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// How many decimal digits the minor unit has: 0 for VND, JPY, KRW; 3 for KWD, BHD; 2 for
    /// USD, EUR, GBP, THB, SGD, MYR, IDR, PHP, AUD, CAD, and for any code not in the table.
    pub const fn exponent(self) -> u8 {
        if contains(EXPONENT_0, &self.0) {
            0
        } else if contains(EXPONENT_3, &self.0) {
            3
        } else if contains(EXPONENT_4, &self.0) {
            4
        } else {
            2
        }
    }
}

const fn contains(table: &[&[u8; 3]], code: &[u8; 3]) -> bool {
    let mut i = 0;
    while i < table.len() {
        let t = table[i];
        if t[0] == code[0] && t[1] == code[1] && t[2] == code[2] {
            return true;
        }
        i += 1;
    }
    false
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <alloc::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| {
            serde::de::Error::custom("invalid currency: expected three upper-case letters")
        })
    }
}

/// An amount of money: `amount` minor units of `currency`.
///
/// ```
/// use reftrail::money::{Currency, Money};
/// assert_eq!(Money::new(1_250_000, Currency::VND).to_string(), "1250000 VND");
/// assert_eq!(Money::new(-5, Currency::USD).to_string(), "-0.05 USD");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Money {
    /// Minor units of `currency`; may be negative (a balance after a refund).
    pub amount: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// `amount` minor units of `currency`.
    pub const fn new(amount: i64, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// The sum, or `None` if the currencies differ or the sum overflows.
    pub const fn checked_add(self, other: Money) -> Option<Money> {
        if !eq(self.currency, other.currency) {
            return None;
        }
        match self.amount.checked_add(other.amount) {
            Some(amount) => Some(Money {
                amount,
                currency: self.currency,
            }),
            None => None,
        }
    }
}

impl Money {
    /// The amount as a person reading `locale` writes it, digits grouped by thousands, then the
    /// code: `1,250,000 VND` and `12.50 USD` in `en` and `th`, `1.250.000 VND` and `12,50 USD`
    /// in `vi` (any other locale: as `en`).
    pub fn localized(&self, locale: &str) -> alloc::string::String {
        let (group, point) = if locale == "vi" {
            ('.', ',')
        } else {
            (',', '.')
        };
        let exp = u32::from(self.currency.exponent());
        let abs = self.amount.unsigned_abs();
        let scale = 10u64.pow(exp);
        let digits = alloc::format!("{}", abs / scale);
        let mut out = alloc::string::String::new();
        if self.amount < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(group);
            }
            out.push(c);
        }
        if exp > 0 {
            out.push(point);
            out.push_str(&alloc::format!("{:0w$}", abs % scale, w = exp as usize));
        }
        out.push(' ');
        out.push_str(self.currency.as_str());
        out
    }
}

const fn eq(a: Currency, b: Currency) -> bool {
    a.0[0] == b.0[0] && a.0[1] == b.0[1] && a.0[2] == b.0[2]
}

/// Shows the amount in major units with the currency's exponent, then the code:
/// `12.50 USD`, `1250000 VND`, `-0.05 USD`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        let exp = u32::from(self.currency.exponent());
        let scale = 10u64.pow(exp);
        if exp == 0 {
            write!(f, "{sign}{abs} {}", self.currency)
        } else {
            let (major, minor) = (abs / scale, abs % scale);
            write!(
                f,
                "{sign}{major}.{minor:0w$} {}",
                self.currency,
                w = exp as usize
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn localized_amounts_group_thousands_as_each_language_writes_them() {
        let m = |amount, code| Money::new(amount, Currency::parse(code).expect("code"));
        for (money, locale, want) in [
            (m(1_250_000, "VND"), "vi", "1.250.000 VND"),
            (m(1_250_000, "VND"), "en", "1,250,000 VND"),
            (m(1_999, "THB"), "th", "19.99 THB"),
            (m(123_456_789, "THB"), "th", "1,234,567.89 THB"),
            (m(1_250, "USD"), "vi", "12,50 USD"),
            (m(5, "USD"), "en", "0.05 USD"),
            (m(-100_000, "VND"), "vi", "-100.000 VND"),
            (m(999, "JPY"), "en", "999 JPY"),
            (m(1_000, "JPY"), "fr", "1,000 JPY"),
            (m(1_234_567, "KWD"), "en", "1,234.567 KWD"),
            (m(i64::MIN, "USD"), "en", "-92,233,720,368,547,758.08 USD"),
            (m(0, "VND"), "vi", "0 VND"),
        ] {
            assert_eq!(money.localized(locale), want);
        }
    }

    macro_rules! exponent {
        ($code:literal => $exp:literal) => {
            assert_eq!(
                Currency::parse($code).map(Currency::exponent),
                Some($exp),
                $code
            );
        };
    }
    macro_rules! shows {
        ($amount:expr, $code:literal => $want:literal) => {
            assert_eq!(
                Money::new($amount, Currency::parse($code).unwrap()).to_string(),
                $want
            );
        };
    }

    #[test]
    fn exponents() {
        exponent!("VND" => 0);
        exponent!("JPY" => 0);
        exponent!("KRW" => 0);
        exponent!("THB" => 2);
        exponent!("USD" => 2);
        exponent!("EUR" => 2);
        exponent!("GBP" => 2);
        exponent!("SGD" => 2);
        exponent!("MYR" => 2);
        exponent!("IDR" => 2);
        exponent!("PHP" => 2);
        exponent!("AUD" => 2);
        exponent!("CAD" => 2);
        exponent!("KWD" => 3);
        exponent!("CLF" => 4);
        exponent!("ZZZ" => 2);
    }

    #[test]
    fn parse_wants_three_upper_case_letters() {
        assert_eq!(Currency::parse("USD"), Some(Currency::USD));
        for bad in [
            "", "US", "USDD", "usd", "Usd", "US1", "U D", "ÜSD", "US\0", "€",
        ] {
            assert_eq!(Currency::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Currency::VND.as_str(), "VND");
    }

    #[test]
    fn display() {
        shows!(1_250_000, "VND" => "1250000 VND");
        shows!(1250, "USD" => "12.50 USD");
        shows!(5, "USD" => "0.05 USD");
        shows!(-5, "USD" => "-0.05 USD");
        shows!(0, "THB" => "0.00 THB");
        shows!(1234, "KWD" => "1.234 KWD");
        shows!(i64::MIN, "USD" => "-92233720368547758.08 USD");
        shows!(i64::MAX, "JPY" => "9223372036854775807 JPY");
    }

    #[test]
    fn checked_add() {
        let usd = |n| Money::new(n, Currency::USD);
        assert_eq!(usd(1).checked_add(usd(2)), Some(usd(3)));
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), None);
        assert_eq!(usd(1).checked_add(Money::new(1, Currency::VND)), None);
    }
}
