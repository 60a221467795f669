//! Two-factor sign-in for team members: a time-based one-time code (RFC 6238: HMAC-SHA1, six
//! digits, 30-second steps) from an authenticator app, asked after the password.
//!
//! A code is accepted for the step before, the current one and the one after (clocks drift), and
//! only once: the step it matched is kept, and a code of that step or an earlier one is refused,
//! so a code seen over a shoulder cannot be replayed. The TOTP arithmetic is the `totp-rs`
//! crate's; what is here decides which step a code belongs to.
//!
//! For a lost phone, a member keeps ten recovery codes (`k7m2-x9qd`), each good for one
//! sign-in in place of the app's code; only their hashes are stored.

use totp_rs::{Algorithm, TOTP};

/// Seconds per step.
const STEP: u64 = 30;
/// Digits per code.
const DIGITS: usize = 6;

/// A new secret: 20 random bytes (160 bits, as RFC 4226 recommends).
pub fn new_secret() -> Vec<u8> {
    crate::ids::random_bytes::<20>().to_vec()
}

/// The secret as authenticator apps take it by hand: base32 without padding.
pub fn base32(secret: &[u8]) -> String {
    totp(secret, "", "").get_secret_base32()
}

/// The secret read back from [`base32`].
pub fn from_base32(s: &str) -> Option<Vec<u8>> {
    totp_rs::Secret::Encoded(s.to_owned()).to_bytes().ok()
}

/// `otpauth://` names cannot hold a `:` (it separates the issuer from the account).
fn label(s: &str) -> String {
    s.replace(':', " ").trim().to_owned()
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> TOTP {
    let issuer = label(issuer);
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP,
        secret.to_vec(),
        (!issuer.is_empty()).then_some(issuer),
        label(account),
    )
}

/// The `otpauth://totp/…` address an authenticator app scans as a QR code.
pub fn otpauth_url(secret: &[u8], issuer: &str, account: &str) -> String {
    totp(secret, issuer, account).get_url()
}

/// The step of `code` at `now` (seconds): the step before, the current one or the one after,
/// when it is one of them and later than `last_used`; none otherwise.
pub fn matching_step(secret: &[u8], code: &str, now: u64, last_used: Option<u64>) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "", "");
    let current = now / STEP;
    (current.saturating_sub(1)..=current + 1)
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| constant_eq(t.generate(step * STEP).as_bytes(), code.as_bytes()))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How many recovery codes a member is given at a time.
pub const RECOVERY_CODES: usize = 10;

/// A new recovery code: two groups of four unambiguous characters (40 bits).
pub fn new_recovery_code() -> String {
    let s = crate::ids::random_unambiguous(8);
    format!("{}-{}", &s[..4], &s[4..])
}

/// `code` as a recovery code is stored (its hash's input), when it is one: trimmed,
/// lower-cased, with its hyphen. None for anything else (an app's code among them).
pub fn recovery_code(code: &str) -> Option<String> {
    let c = code.trim().to_ascii_lowercase();
    let (a, b) = c.split_once('-')?;
    (a.len() == 4 && b.len() == 4 && crate::ids::is_unambiguous(a) && crate::ids::is_unambiguous(b))
        .then_some(c)
}

/// The code of `secret` at `now`, for tests and for the server's own checks.
pub fn code_at(secret: &[u8], now: u64) -> String {
    totp(secret, "", "").generate(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238, appendix B: the SHA-1 secret "12345678901234567890", eight digits there; the
    // last six of each are the six-digit codes.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn the_rfc_vectors() {
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(RFC_SECRET, time), &eight[2..], "{time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_once() {
        let now = 1_700_000_000;
        let step = now / STEP;
        let code = code_at(RFC_SECRET, now);
        assert_eq!(matching_step(RFC_SECRET, &code, now, None), Some(step));
        assert_eq!(
            matching_step(RFC_SECRET, &code, now + STEP, None),
            Some(step),
            "a step late"
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code, now - STEP, None),
            Some(step),
            "a step early"
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code, now + 2 * STEP, None),
            None,
            "too late"
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code, now, Some(step)),
            None,
            "used once"
        );
        assert_eq!(
            matching_step(RFC_SECRET, &code, now, Some(step - 1)),
            Some(step)
        );
        assert_eq!(
            matching_step(RFC_SECRET, &format!(" {code} "), now, None),
            Some(step)
        );
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６"] {
            assert_eq!(matching_step(RFC_SECRET, bad, now, None), None, "{bad:?}");
        }
    }

    #[test]
    fn recovery_codes_are_told_from_app_codes() {
        for _ in 0..50 {
            let c = new_recovery_code();
            assert_eq!(recovery_code(&c).as_deref(), Some(c.as_str()));
            assert_eq!(
                recovery_code(&format!(" {} ", c.to_uppercase())).as_deref(),
                Some(c.as_str())
            );
        }
        for not in [
            "123456",
            "k7m2x9qd",
            "k7m2-x9q",
            "k0m2-x9qd",
            "k7m2-x9qd-",
            "k7m2--9qd",
            "",
        ] {
            assert_eq!(recovery_code(not), None, "{not:?}");
        }
    }

    #[test]
    fn secrets_round_trip_through_base32_and_the_app_address() {
        let s = new_secret();
        assert_eq!(s.len(), 20);
        assert_eq!(from_base32(&base32(&s)).as_deref(), Some(&s[..]));
        let url = otpauth_url(&s, "Shop: VN", "lan@shop.example");
        assert!(
            url.starts_with("otpauth://totp/Shop%20%20VN:lan%40shop.example?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={}", base32(&s))), "{url}");
        assert!(url.contains("issuer=Shop%20%20VN"), "{url}");
    }
}
