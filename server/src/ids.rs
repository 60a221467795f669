//! Identifiers and secrets: random, and for stored rows sortable by creation time.
//!
//! Ids use the affiliate-id charset (ASCII letters, digits, `_`), so a click id fits the
//! browser's cookie, and are at most 32 bytes.

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS random source failing is not recoverable: no id or key may be made without it.
    getrandom::getrandom(&mut buf).expect("the operating system's random source failed");
    buf
}

/// Lower-case letters and digits without the look-alikes `0`, `o`, `1`, `l`: for codes people
/// read aloud, copy from paper or type from a phone.
const UNAMBIGUOUS: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyz";

/// `len` random characters of [`UNAMBIGUOUS`] (32 of them: each byte picks one evenly).
pub fn random_unambiguous(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<16>() {
            if out.len() < len {
                out.push(UNAMBIGUOUS[usize::from(b) % UNAMBIGUOUS.len()] as char);
            }
        }
    }
    out
}

/// Whether `s` is made only of [`random_unambiguous`]'s characters.
pub fn is_unambiguous(s: &str) -> bool {
    s.bytes().all(|b| UNAMBIGUOUS.contains(&b))
}

/// `len` random base62 characters.
pub fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<32>() {
            // 62 * 4 = 248: reject the top values so every character is equally likely.
            if b < 248 && out.len() < len {
                out.push(ALPHABET[usize::from(b % 62)] as char);
            }
        }
    }
    out
}

/// A new id: `prefix`, `_`, 9 base62 characters of the time in milliseconds (sortable until
/// the year 2400 and beyond), then 12 random ones.
pub fn new_id(prefix: &str) -> String {
    let millis = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(0);
    let mut t = [b'0'; 9];
    let mut m = millis;
    for slot in t.iter_mut().rev() {
        *slot = ALPHABET[(m % 62) as usize];
        m /= 62;
    }
    let mut id = String::with_capacity(prefix.len() + 22);
    id.push_str(prefix);
    id.push('_');
    id.push_str(std::str::from_utf8(&t).unwrap_or("000000000"));
    id.push_str(&random_base62(12));
    id
}

/// A new secret token: `prefix` then 32 base62 characters (about 190 bits).
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", random_base62(32))
}

/// Lower-case hex SHA-256 of `s`.
pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_use_the_id_charset() {
        let a = new_id("c");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id("c");
        assert!(a < b, "{a} {b}");
        assert!(reftrail::affiliate::is_valid(&a));
        assert_eq!(a.len(), 23);
    }

    #[test]
    fn base62_is_the_right_length() {
        assert_eq!(random_base62(40).len(), 40);
        assert_ne!(random_base62(20), random_base62(20));
    }
}
