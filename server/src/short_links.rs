//! Short links: `/go/{code}` stands for one affiliate's link to one page of the shop, with a
//! campaign name, short enough for a bio, a chat message or a printed card. Opening it
//! redirects to the page with the affiliate's parameter and `utm_campaign` added; the tracker on
//! that page records the click as for any other link.
//!
//! A short link only ever leads to the shop: its page must be on one of the program's allowed
//! origins when it is made *and* when it is opened, so it is never an open redirect. The
//! parsing, checking and building here are plain functions; `routes::short_links` stores them.

use crate::error::AppError;
use crate::program::Program;
use reftrail::touch::{CLICK_ID_PARAMS, MAX_TAG_VALUE_LEN};

/// How many short links one affiliate may keep.
pub const MAX_PER_AFFILIATE: i64 = 100;

/// The longest campaign name, in bytes.
pub const MAX_CAMPAIGN_LEN: usize = 256;

/// The length of a random code (32^7: 34 billion codes).
const CODE_LEN: usize = 7;

/// A new random code, without look-alike characters (a code is read aloud and copied from
/// paper).
pub fn new_code() -> String {
    crate::ids::random_unambiguous(CODE_LEN)
}

/// Refuses (400 `invalid_code`) a chosen code that is not 3 to 40 lower-case letters, digits
/// or inner `-`; answers it lower-cased (codes are looked up as typed in lower case).
pub fn check_code(code: &str) -> Result<String, AppError> {
    let code = code.trim().to_ascii_lowercase();
    let ok = (3..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !code.starts_with('-')
        && !code.ends_with('-');
    if !ok {
        return Err(AppError::bad(
            "invalid_code",
            "code must be 3 to 40 letters, digits or inner hyphens",
        ));
    }
    Ok(code)
}

/// Whether `code` (as it came in a request path) may name a link at all.
pub fn plausible_code(code: &str) -> bool {
    check_code(code).is_ok_and(|c| c == code)
}

/// Refuses (400 `invalid_campaign`) an empty or overlong campaign name, or one with control
/// characters; none stays none.
pub fn check_campaign(campaign: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(c) = campaign.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    if c.len() > MAX_CAMPAIGN_LEN || c.chars().any(char::is_control) {
        return Err(AppError::bad(
            "invalid_campaign",
            "campaign must be at most 256 bytes without control characters",
        ));
    }
    Ok(Some(c.to_owned()))
}

/// The page's origin (`https://www.shop.example`), when `landing` is an http(s) address.
fn origin_of(landing: &str) -> Option<String> {
    let url = url::Url::parse(landing).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

/// Whether a short link may lead to `landing`: a page on one of the program's allowed origins.
pub fn leads_to_shop(program: &Program, landing: &str) -> bool {
    origin_of(landing).is_some_and(|o| program.allows_origin(&o))
}

/// Refuses (400) a landing page that is not a plain http(s) address (`invalid_landing_url`)
/// or not on the shop (`landing_not_allowed`).
pub fn check_landing(program: &Program, landing: &str) -> Result<String, AppError> {
    let landing = landing.trim();
    if !crate::routes::creatives::valid_url(landing) {
        return Err(AppError::bad(
            "invalid_landing_url",
            "landing_url must be an http(s) address of at most 2000 bytes, without spaces, quotes or a user name",
        ));
    }
    if !leads_to_shop(program, landing) {
        return Err(AppError::bad(
            "landing_not_allowed",
            "landing_url must be a page of the shop: its origin must be one of the program's allowed origins",
        ));
    }
    Ok(landing.to_owned())
}

/// Where a short link sends a visitor: `landing` with `param=affiliate` (when the affiliate
/// is credited) and `utm_campaign=campaign` set, replacing any value they had there.
pub fn target(
    landing: &str,
    param: &str,
    affiliate: Option<&str>,
    campaign: Option<&str>,
) -> Option<String> {
    let mut url = url::Url::parse(landing).ok()?;
    let set: Vec<(&str, &str)> = [(param, affiliate), ("utm_campaign", campaign)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !set.iter().any(|(s, _)| s == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() && set.is_empty() {
        return Some(url.into());
    }
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(set);
    Some(url.into())
}

/// The click ids and sub ids (`gclid`, `sub1`…, [`CLICK_ID_PARAMS`]) in the query of an opened
/// short link, to go on to the shop's page: an ad network or an affiliate's tracker adds them to
/// the short link it sends visitors to. The first value of each name, when it is at most
/// [`MAX_TAG_VALUE_LEN`] bytes without control characters.
pub fn passed_on(query: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let known = CLICK_ID_PARAMS.contains(&k.as_ref());
        let fits =
            !v.is_empty() && v.len() <= MAX_TAG_VALUE_LEN && !v.chars().any(char::is_control);
        if known && fits && !out.iter().any(|(n, _)| *n == k) {
            out.push((k.into_owned(), v.into_owned()));
        }
    }
    out
}

/// `target` with `pairs` set in its query, replacing values of the same names.
pub fn pass_on(target: String, pairs: &[(String, String)]) -> String {
    let Ok(mut url) = url::Url::parse(&target) else {
        return target;
    };
    if pairs.is_empty() {
        return target;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !pairs.iter().any(|(n, _)| n == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(pairs);
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_codes_are_short_and_unambiguous() {
        for _ in 0..200 {
            let c = new_code();
            assert_eq!(c.len(), CODE_LEN);
            assert!(crate::ids::is_unambiguous(&c), "{c}");
            assert!(plausible_code(&c));
        }
    }

    #[test]
    fn chosen_codes() {
        assert_eq!(check_code(" Alice-TikTok ").expect("ok"), "alice-tiktok");
        assert_eq!(check_code("tet2026").expect("ok"), "tet2026");
        for bad in [
            "",
            "ab",
            "-ab",
            "ab-",
            "a b",
            "a_b",
            "a/b",
            "ả-b",
            &"a".repeat(41),
            "...",
        ] {
            assert!(check_code(bad).is_err(), "{bad:?}");
        }
        assert!(!plausible_code("Alice"), "a path is matched as typed");
        assert!(!plausible_code("../x"));
    }

    #[test]
    fn campaigns() {
        assert_eq!(check_campaign(None).expect("ok"), None);
        assert_eq!(check_campaign(Some("  ")).expect("ok"), None);
        assert_eq!(
            check_campaign(Some(" Tết sale ")).expect("ok").as_deref(),
            Some("Tết sale")
        );
        assert!(check_campaign(Some("a\nb")).is_err());
        assert!(check_campaign(Some(&"x".repeat(257))).is_err());
    }

    fn program(origins: &[&str]) -> Program {
        Program {
            allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            ..Program::default()
        }
    }

    #[test]
    fn only_the_shops_pages() {
        let p = program(&["https://www.shop.test", "http://127.0.0.1:8000"]);
        for ok in [
            "https://www.shop.test/",
            "https://www.shop.test/shoes?size=42#top",
            "https://WWW.SHOP.TEST/x",
            "http://127.0.0.1:8000/store/",
        ] {
            assert!(check_landing(&p, ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("https://evil.test/", "landing_not_allowed"),
            ("https://www.shop.test.evil.test/", "landing_not_allowed"),
            ("http://www.shop.test/", "landing_not_allowed"),
            ("https://www.shop.test:444/", "landing_not_allowed"),
            ("http://127.0.0.1:8001/", "landing_not_allowed"),
            ("javascript:alert(1)", "invalid_landing_url"),
            ("https://user@www.shop.test/", "invalid_landing_url"),
            ("//www.shop.test/", "invalid_landing_url"),
            ("https:///www.shop.test/", "invalid_landing_url"),
        ] {
            match check_landing(&p, bad) {
                Err(AppError::BadRequest(c, _)) => assert_eq!(c, code, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn click_ids_and_sub_ids_go_on_to_the_shop() {
        let passed = passed_on("sub1=u%2042&gclid=Cj0&sub1=again&x=1&sub2=&sub3=a%0Ab&ref=bob");
        assert_eq!(
            passed,
            vec![
                ("sub1".into(), "u 42".into()),
                ("gclid".into(), "Cj0".into())
            ]
        );
        assert!(passed_on(&format!("sub1={}", "v".repeat(257))).is_empty());
        assert_eq!(
            pass_on("https://shop.test/s?ref=alice&sub1=old#top".into(), &passed),
            "https://shop.test/s?ref=alice&sub1=u+42&gclid=Cj0#top"
        );
        assert_eq!(
            pass_on("https://shop.test/".into(), &[]),
            "https://shop.test/"
        );
    }

    #[test]
    fn the_target_carries_the_affiliate_and_the_campaign() {
        assert_eq!(
            target(
                "https://shop.test/shoes",
                "ref",
                Some("alice"),
                Some("Tết sale")
            )
            .as_deref(),
            Some("https://shop.test/shoes?ref=alice&utm_campaign=T%E1%BA%BFt+sale")
        );
        // Other parameters and the fragment stay; the affiliate's and the campaign's are replaced.
        assert_eq!(
            target(
                "https://shop.test/s?size=42&ref=bob&utm_campaign=old#top",
                "ref",
                Some("alice"),
                None
            )
            .as_deref(),
            Some("https://shop.test/s?size=42&utm_campaign=old&ref=alice#top")
        );
        // An affiliate no longer credited: the page as it is.
        assert_eq!(
            target("https://shop.test/s?size=42", "via", None, None).as_deref(),
            Some("https://shop.test/s?size=42")
        );
    }
}
