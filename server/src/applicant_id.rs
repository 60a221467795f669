//! The affiliate id suggested to someone who applies without choosing one (pinned by
//! `tests/vectors/affiliate_ids.json`, which the WordPress plugin runs too).

/// The longest id [`suggest_id`] makes, in bytes: short enough to share in a link.
pub const MAX_LEN: usize = 32;

/// Their name folded to lower-case ASCII words joined by `-`; else their email's local part
/// (without a `+tag`) the same way; else `affiliate` (when either gives fewer than three
/// characters). The caller appends `-2`, `-3`, … while it is taken.
pub fn suggest_id(name: &str, email: &str) -> String {
    let from_name = slug(name);
    if from_name.len() >= 3 {
        return from_name;
    }
    let local = email.split('@').next().unwrap_or("");
    let from_email = slug(local.split('+').next().unwrap_or(""));
    if from_email.len() >= 3 {
        return from_email;
    }
    "affiliate".to_owned()
}

/// `s` as lower-case ASCII words joined by `-`, at most [`MAX_LEN`] bytes. Latin letters with
/// diacritics become their base letters; every other character (punctuation, spaces, other
/// scripts, emoji) separates words.
fn slug(s: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in s.chars() {
        let mut ascii = [0u8; 4];
        let letters = if c.is_ascii_alphanumeric() {
            &*c.encode_utf8(&mut ascii)
        } else {
            latin_base(c).unwrap_or("")
        };
        let mut any = false;
        for b in letters.chars().filter(char::is_ascii_alphanumeric) {
            if gap && !out.is_empty() {
                out.push('-');
            }
            gap = false;
            any = true;
            out.push(b.to_ascii_lowercase());
        }
        gap |= !any;
        if out.len() > MAX_LEN {
            break;
        }
    }
    out.truncate(MAX_LEN.min(out.len()));
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The ASCII spelling of a Latin letter with diacritics (`ễ` → `e`, `đ` → `d`, `Æ` → `AE`);
/// `None` outside the Latin letter blocks, and for `×` and `÷`, which are signs.
pub(crate) fn latin_base(c: char) -> Option<&'static str> {
    let latin =
        matches!(c, '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}') && !matches!(c, '×' | '÷');
    latin.then(|| deunicode::deunicode_char(c)).flatten()
}
