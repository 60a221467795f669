//! An amount of Thai baht in Thai words, as a withholding tax certificate (50 Tawi) and Thai
//! cheques and receipts write it: `125050` satang is "หนึ่งพันสองร้อยห้าสิบบาทห้าสิบสตางค์", a
//! whole amount ends in "ถ้วน" ("exactly"). The same words as Excel's `BAHTTEXT`, which Thai
//! accountants check against, but from integer satang: never a float.
//!
//! Numbers are read in groups of six digits joined by "ล้าน" (million). A tens digit of 1 is
//! "สิบ" and of 2 "ยี่สิบ"; a units digit of 1 after any higher digit is "เอ็ด" (11 สิบเอ็ด,
//! 101 หนึ่งร้อยเอ็ด, 10,000,001 สิบล้านเอ็ด) and "หนึ่ง" alone.

use alloc::string::String;

const DIGITS: [&str; 10] = [
    "ศูนย์",
    "หนึ่ง",
    "สอง",
    "สาม",
    "สี่",
    "ห้า",
    "หก",
    "เจ็ด",
    "แปด",
    "เก้า",
];
/// The place names of a six-digit group, from the units up.
const PLACES: [&str; 6] = ["", "สิบ", "ร้อย", "พัน", "หมื่น", "แสน"];

/// `satang` (minor units of THB, 1/100 baht) in Thai words.
pub fn bahttext(satang: i64) -> String {
    let mut out = String::new();
    if satang < 0 {
        out.push_str("ลบ");
    }
    let abs = satang.unsigned_abs();
    let (baht, rest) = (abs / 100, abs % 100);
    if baht > 0 {
        number(&mut out, baht);
        out.push_str("บาท");
    }
    if rest > 0 {
        number(&mut out, rest);
        out.push_str("สตางค์");
    } else if baht > 0 {
        out.push_str("ถ้วน");
    } else {
        out.push_str("ศูนย์บาทถ้วน");
    }
    out
}

/// Writes `n` (> 0) in words.
fn number(out: &mut String, n: u64) {
    let millions = n / 1_000_000;
    if millions > 0 {
        number(out, millions);
        out.push_str("ล้าน");
    }
    group(out, n % 1_000_000, millions > 0);
}

/// Writes one group of six digits (0 writes nothing); `higher`: a more significant group of the
/// number is not zero, which makes a lone 1 "เอ็ด".
fn group(out: &mut String, n: u64, higher: bool) {
    let mut seen = higher;
    for place in (0..6).rev() {
        let d = ((n / 10u64.pow(place as u32)) % 10) as usize;
        if d != 0 {
            match (place, d) {
                (1, 1) => {}
                (1, 2) => out.push_str("ยี่"),
                (0, 1) if seen => out.push_str("เอ็ด"),
                _ => out.push_str(DIGITS[d]),
            }
            out.push_str(PLACES[place]);
            seen = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bahttext;

    #[test]
    fn extremes_never_panic() {
        assert!(bahttext(i64::MAX).ends_with("บาทเจ็ดสตางค์"));
        assert!(bahttext(i64::MIN).starts_with("ลบ"));
        assert!(bahttext(i64::MIN).ends_with("บาทแปดสตางค์"));
    }
}
