//! Bank-transfer payouts: an affiliate's account in Vietnam (VietQR, over NAPAS 247) or Thailand
//! (PromptPay), checked and normalized as it is saved, and the QR payload a merchant scans with
//! their banking app to pay one payout line.
//!
//! Both payloads are EMVCo merchant-presented QR codes: a flat sequence of `id length value`
//! fields ([`tlv`]), some of which nest, closed by a CRC-16/CCITT-FALSE over everything before
//! it. The banking app fills in the account, the amount and, for VietQR, the transfer note (the
//! payout's reference), so the merchant types nothing.
//!
//! Money arrives as integer minor units: VND has none, THB has satang (two decimals).

use alloc::string::{String, ToString};
use crc::{Crc, CRC_16_IBM_3740};

/// How an affiliate with bank details is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A Vietnamese bank account, by NAPAS 247 transfer (VietQR).
    VietQr,
    /// A Thai PromptPay id (mobile number, national or tax id, e-wallet id).
    PromptPay,
}

impl Method {
    /// `vietqr` or `promptpay`.
    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "vietqr" => Some(Method::VietQr),
            "promptpay" => Some(Method::PromptPay),
            _ => None,
        }
    }

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::VietQr => "vietqr",
            Method::PromptPay => "promptpay",
        }
    }

    /// The currency whose payouts get a QR code: a banking app reads the amount in it.
    pub fn currency(self) -> &'static str {
        match self {
            Method::VietQr => "VND",
            Method::PromptPay => "THB",
        }
    }
}

/// Why bank details were refused; each maps to one API error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// Not `vietqr` or `promptpay`.
    Method,
    /// A VietQR bank that is not a 6-digit NAPAS BIN, or a bank given for PromptPay.
    Bank,
    /// An account that the method cannot pay.
    Account,
    /// A holder's name that is empty, longer than 100 characters or holds control characters.
    Name,
}

impl Invalid {
    /// The API error code.
    pub fn code(self) -> &'static str {
        match self {
            Invalid::Method => "invalid_payout_method",
            Invalid::Bank => "invalid_payout_bank",
            Invalid::Account => "invalid_payout_account",
            Invalid::Name => "invalid_payout_name",
        }
    }

    /// What a person should fix.
    pub fn message(self) -> &'static str {
        match self {
            Invalid::Method => "payout.method must be vietqr or promptpay",
            Invalid::Bank => "payout.bank is the bank's 6-digit NAPAS BIN, and only for vietqr",
            Invalid::Account => {
                "payout.account must be a bank account number (vietqr: 1 to 19 letters or digits) \
                 or a PromptPay id (a Thai mobile number, a 13-digit national or tax id with its \
                 check digit, or a 15-digit e-wallet id)"
            }
            Invalid::Name => "payout.name must be 1 to 100 characters without control characters",
        }
    }
}

/// Bank details as saved: checked and normalized by [`Account::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The method.
    pub method: Method,
    /// VietQR: the bank's NAPAS BIN; `None` for PromptPay.
    pub bank: Option<String>,
    /// The account number or PromptPay id, without separators.
    pub account: String,
    /// The holder's name, as the bank shows it.
    pub name: Option<String>,
}

impl Account {
    /// Checks and normalizes bank details as a merchant or affiliate typed them.
    pub fn new(
        method: &str,
        bank: Option<&str>,
        account: &str,
        name: Option<&str>,
    ) -> Result<Account, Invalid> {
        let method = Method::parse(method).ok_or(Invalid::Method)?;
        let bank = match (method, bank) {
            (Method::VietQr, Some(b)) if is_napas_bin(b) => Some(String::from(b)),
            (Method::PromptPay, None) => None,
            _ => return Err(Invalid::Bank),
        };
        let account = match method {
            Method::VietQr => vietqr_account(account),
            Method::PromptPay => promptpay_id(account).map(|id| id.digits),
        }
        .ok_or(Invalid::Account)?;
        let name = match name {
            Some(n) if !valid_name(n) => return Err(Invalid::Name),
            n => n.map(String::from),
        };
        Ok(Account {
            method,
            bank,
            account,
            name,
        })
    }

    /// The QR payload that pays `amount` minor units of `currency` into this account, or `None`
    /// when the method's banking apps do not take that currency. `reference` is the payout's id,
    /// written as the transfer note where the method has one.
    pub fn transfer_qr(&self, amount: i64, currency: &str, reference: &str) -> Option<String> {
        if currency != self.method.currency() || amount <= 0 {
            return None;
        }
        match self.method {
            Method::VietQr => Some(vietqr(
                self.bank.as_deref()?,
                &self.account,
                Some(amount),
                &purpose(reference),
            )),
            Method::PromptPay => Some(promptpay(&promptpay_id(&self.account)?, Some(amount))),
        }
    }
}

fn is_napas_bin(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

fn valid_name(s: &str) -> bool {
    let n = s.chars().count();
    (1..=100).contains(&n) && !s.trim().is_empty() && !s.chars().any(char::is_control)
}

/// A VietQR account number without spaces, `-` or `.`: 1 to 19 ASCII letters or digits.
pub fn vietqr_account(s: &str) -> Option<String> {
    let a: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .collect();
    ((1..=19).contains(&a.len()) && a.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(a)
}

/// The kinds of PromptPay id, each with its own field in the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptPayKind {
    /// A Thai mobile number, `0` and 9 digits.
    Mobile,
    /// A 13-digit national id or tax id.
    TaxId,
    /// A 15-digit e-wallet id.
    EWallet,
}

/// A PromptPay id, normalized to its bare digits (a mobile number as `0…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptPayId {
    /// Which kind.
    pub kind: PromptPayKind,
    /// The digits.
    pub digits: String,
}

/// Reads a PromptPay id: spaces and `-` dropped, `+66`/`66` before a 9-digit mobile number read
/// as `0`. A 13-digit id must carry its check digit (a typo would pay a stranger, or no one).
pub fn promptpay_id(s: &str) -> Option<PromptPayId> {
    let cleaned: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let (plus, local) = match cleaned.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    if local.is_empty() || !local.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = if local.len() == 11 && local.starts_with("66") {
        alloc::format!("0{}", &local[2..])
    } else if plus {
        // A `+` only belongs before Thailand's country code.
        return None;
    } else {
        String::from(local)
    };
    let kind = match digits.len() {
        10 if digits.starts_with('0') => PromptPayKind::Mobile,
        13 if thai_id_check_digit(&digits) => PromptPayKind::TaxId,
        15 => PromptPayKind::EWallet,
        _ => return None,
    };
    Some(PromptPayId { kind, digits })
}

/// The check digit of a Thai national or tax id: the first 12 digits weighted 13 down to 2.
fn thai_id_check_digit(digits: &str) -> bool {
    let d = digits.as_bytes();
    let sum: u32 = d[..12]
        .iter()
        .zip((2..=13u32).rev())
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    (11 - sum % 11) % 10 == u32::from(d[12] - b'0')
}

/// The transfer note of a payout: its id with only ASCII letters and digits (banks' apps drop or
/// refuse the rest), at most 25 characters (VietQR's limit).
pub fn purpose(reference: &str) -> String {
    reference
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(25)
        .collect()
}

/// One EMVCo field: the id, the value's length in two decimal digits, the value.
/// Values here are ASCII and at most 99 bytes.
pub fn tlv(out: &mut String, id: &str, value: &str) {
    debug_assert!(value.len() <= 99);
    out.push_str(id);
    out.push(char::from(b'0' + (value.len() / 10) as u8));
    out.push(char::from(b'0' + (value.len() % 10) as u8));
    out.push_str(value);
}

/// Closes a payload with its CRC field.
fn with_crc(mut payload: String) -> String {
    payload.push_str("6304");
    let crc = Crc::<u16>::new(&CRC_16_IBM_3740).checksum(payload.as_bytes());
    for shift in [12, 8, 4, 0] {
        payload.push(char::from(
            b"0123456789ABCDEF"[usize::from((crc >> shift) & 0xF)],
        ));
    }
    payload
}

/// The VietQR payload: transfer `amount` VND (or an amount the payer types, when `None`) to
/// `account` at the bank `bin`, with the transfer note `purpose` (ASCII, at most 25 characters;
/// empty for none).
pub fn vietqr(bin: &str, account: &str, amount: Option<i64>, purpose: &str) -> String {
    let mut bank = String::new();
    tlv(&mut bank, "00", bin);
    tlv(&mut bank, "01", account);
    let mut merchant = String::new();
    tlv(&mut merchant, "00", "A000000727");
    tlv(&mut merchant, "01", &bank);
    tlv(&mut merchant, "02", "QRIBFTTA");
    let mut p = String::new();
    tlv(&mut p, "00", "01");
    tlv(&mut p, "01", if amount.is_some() { "12" } else { "11" });
    tlv(&mut p, "38", &merchant);
    tlv(&mut p, "53", "704");
    if let Some(a) = amount {
        tlv(&mut p, "54", &a.to_string());
    }
    tlv(&mut p, "58", "VN");
    if !purpose.is_empty() {
        let mut extra = String::new();
        tlv(&mut extra, "08", purpose);
        tlv(&mut p, "62", &extra);
    }
    with_crc(p)
}

/// The PromptPay payload: pay `satang` (or an amount the payer types, when `None`) to `id`.
pub fn promptpay(id: &PromptPayId, satang: Option<i64>) -> String {
    let (field, target) = match id.kind {
        // The mobile number in international form, zero-padded to 13 characters.
        PromptPayKind::Mobile => ("01", alloc::format!("0066{}", &id.digits[1..])),
        PromptPayKind::TaxId => ("02", id.digits.clone()),
        PromptPayKind::EWallet => ("03", id.digits.clone()),
    };
    let mut merchant = String::new();
    tlv(&mut merchant, "00", "A000000677010111");
    tlv(&mut merchant, field, &target);
    let mut p = String::new();
    tlv(&mut p, "00", "01");
    tlv(&mut p, "01", if satang.is_some() { "12" } else { "11" });
    tlv(&mut p, "29", &merchant);
    tlv(&mut p, "58", "TH");
    tlv(&mut p, "53", "764");
    if let Some(s) = satang {
        tlv(&mut p, "54", &alloc::format!("{}.{:02}", s / 100, s % 100));
    }
    with_crc(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_ccitt_false() {
        let crc = Crc::<u16>::new(&CRC_16_IBM_3740);
        assert_eq!(crc.checksum(b"123456789"), 0x29B1);
    }

    #[test]
    fn check_digit() {
        // 1-1018-01234-56-?: 1*13+1*12+0*11+1*10+8*9+0*8+1*7+2*6+3*5+4*4+5*3+6*2 = 184;
        // 184 mod 11 = 8; (11 - 8) mod 10 = 3.
        assert!(thai_id_check_digit("1101801234563"));
        assert!(!thai_id_check_digit("1101801234564"));
    }

    #[test]
    fn no_qr_for_other_currencies_or_nothing() {
        let a = Account::new("vietqr", Some("970436"), "0011001932418", None).unwrap();
        assert!(a.transfer_qr(100_000, "USD", "po_1").is_none());
        assert!(a.transfer_qr(0, "VND", "po_1").is_none());
        assert!(a.transfer_qr(100_000, "VND", "po_1").is_some());
        let p = Account::new("promptpay", None, "0812345678", None).unwrap();
        assert!(p.transfer_qr(100_000, "VND", "po_1").is_none());
        assert!(p.transfer_qr(100_000, "THB", "po_1").is_some());
    }
}
