//! Finding an affiliate by a piece of their id, name, email or a coupon code, as a merchant
//! types it: without regard to case or to the accents of Latin letters, so `nguyen` finds
//! `Nguyễn` and `dang` finds `Đặng`; other scripts (Thai) are matched as written, lower-cased.

/// `s` lower-cased, each accented Latin letter as its ASCII spelling (`ễ` → `e`, `Đ` → `d`).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match crate::applicant_id::latin_base(c) {
            Some(base) => out.extend(base.chars().map(|b| b.to_ascii_lowercase())),
            None => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Whether `query` (folded already, not empty) is a piece of any of `fields`.
pub fn matches<'a>(query: &str, fields: impl IntoIterator<Item = &'a str>) -> bool {
    fields.into_iter().any(|f| fold(f).contains(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_latin_accents_only() {
        assert_eq!(fold("Nguyễn Thị Hồng"), "nguyen thi hong");
        assert_eq!(fold("ĐẶNG Văn Minh"), "dang van minh");
        assert_eq!(fold("Ærøskøbing"), "aeroskobing");
        assert_eq!(fold("สมชาย ใจดี"), "สมชาย ใจดี", "Thai as written");
        assert_eq!(fold("GIAM10"), "giam10");
        assert_eq!(fold("2 × 3"), "2 × 3");
    }

    #[test]
    fn a_piece_of_any_field() {
        let fields = ["minh-1", "Đặng Văn Minh", "minh@affiliates.test", "TETSALE"];
        for q in [
            "dang",
            "đặng",
            "van m",
            "affiliates.test",
            "tetsale",
            "minh-1",
        ] {
            assert!(matches(&fold(q), fields), "{q}");
        }
        for q in ["nguyen", "dang  van", "tet-sale"] {
            assert!(!matches(&fold(q), fields), "{q}");
        }
    }
}
