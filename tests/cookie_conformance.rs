//! `reftrail::cookie` against what browsers do, using the web platform's own cookie tests
//! (`tests/conformance/cookies/`, sources in its README):
//!
//! - `parse_set_cookie_pair` against every `wpt-cookie-vectors.json` case whose expected
//!   `document.cookie` is decided by name/value parsing alone, and against the single,
//!   attribute-free headers of `rfc6265-parser.json`;
//! - every value `encode` produces survives `set_cookie` → `parse_set_cookie_pair`, and `read`
//!   finds it among other cookies, hostile neighbours included.

use reftrail::affiliate::AffiliateId;
use reftrail::cookie::{encode, parse_set_cookie_pair, read, set_cookie, Attributes, NAME};
use reftrail::state::{Referral, State, TrailEntry, TRAIL_LEN};
use reftrail::touch::Via;
use serde::Deserialize;

#[derive(Deserialize)]
struct WptCase {
    name: String,
    set_cookie: Vec<String>,
    expected_document_cookie: String,
}

#[derive(Deserialize)]
struct ParserCase {
    test: String,
    received: Vec<String>,
    sent: Vec<Sent>,
    #[serde(rename = "sent-to")]
    sent_to: Option<String>,
}

#[derive(Deserialize)]
struct Sent {
    name: String,
    value: String,
}

/// The wpt cases not decided by name/value parsing alone, each with the reason. Every other case
/// is tested. `Path=/` is not a reason to skip (it makes the cookie visible at every path), nor
/// is an attribute that is not one (`"Secure"` in quotes, `Secure qux`, `lol`), which browsers
/// ignore.
const WPT_SKIPPED: [(&str, &str); 17] = [
    (
        "Set cookie but ignore value after LF",
        "the LF ends the HTTP header in transit, so the browser parses `test=13`; the string itself \
         holds a control character, which §5.6 refuses (checked below)",
    ),
    ("Too long path attribute (>1024 bytes) is ignored; previous valid path wins.", "Path decides visibility"),
    ("Too long path attribute (>1024 bytes) is ignored; next valid path wins.", "Path decides visibility"),
    ("Too long domain attribute (>1024 bytes) is ignored; previous valid domain wins.", "Domain decides visibility"),
    ("Too long domain attribute (>1024 bytes) is ignored; next valid domain wins.", "Domain decides visibility"),
    ("Ignore max-age attribute with invalid non-zero-digit (containing a comma)", "Max-Age decides visibility"),
    ("Set cookie with age", "Max-Age decides visibility"),
    ("Set no cookie with max-age=0", "Max-Age decides visibility"),
    ("Set no cookie with max-age=-1", "Max-Age decides visibility"),
    ("Set no cookie with max-age=-20", "Max-Age decides visibility"),
    ("Set multiple cookies with max-age attribute", "Max-Age decides visibility"),
    ("Expire later cookie with same name and max-age=0", "Max-Age decides visibility"),
    ("Expire later cookie with same name and max-age=0, and don't set cookie with max-age=0", "Max-Age decides visibility"),
    ("Set mulitiple cookies with valid max-age values", "Max-Age decides visibility"),
    ("Don't set multiple cookies with max-age=0", "Max-Age decides visibility"),
    ("Ignore attributes after semicolon", "Max-Age decides visibility (`max-age=3600, c=d`)"),
    ("Ignore cookie with domain that won't domain match (along with other invalid noise)", "Domain decides visibility"),
];

/// What `document.cookie` shows after setting `set_cookie` in order, when only names and values
/// matter: a cookie replaces the one of the same name in place; a nameless one shows its value.
fn document_cookie(set_cookie: &[String]) -> String {
    let mut jar: Vec<(&str, &str)> = Vec::new();
    for s in set_cookie {
        if let Some((name, value)) = parse_set_cookie_pair(s) {
            match jar.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => jar.push((name, value)),
            }
        }
    }
    let pairs: Vec<String> = jar
        .iter()
        .map(|(n, v)| {
            if n.is_empty() {
                v.to_string()
            } else {
                format!("{n}={v}")
            }
        })
        .collect();
    pairs.join("; ")
}

#[test]
fn wpt_cookie_vectors_decided_by_name_and_value() {
    let cases: Vec<WptCase> =
        serde_json::from_str(include_str!("conformance/cookies/wpt-cookie-vectors.json")).unwrap();
    assert_eq!(cases.len(), 73);
    for (name, _) in WPT_SKIPPED {
        assert_eq!(
            cases.iter().filter(|c| c.name == name).count(),
            1,
            "skip list names {name:?}, which is not exactly one case"
        );
    }
    let mut tested = 0;
    for case in &cases {
        if WPT_SKIPPED.iter().any(|(n, _)| *n == case.name) {
            continue;
        }
        assert_eq!(
            document_cookie(&case.set_cookie),
            case.expected_document_cookie,
            "{}",
            case.name
        );
        tested += 1;
    }
    assert_eq!(tested, 73 - WPT_SKIPPED.len());
    // The skipped LF case: the whole string is refused, the part before the LF is `test=13`.
    assert_eq!(parse_set_cookie_pair("test=13\nZYX"), None);
    assert_eq!(parse_set_cookie_pair("test=13"), Some(("test", "13")));
}

/// rfc6265-parser.json cases where RFC 6265bis, which browsers follow, gives another answer than
/// RFC 6265 (see the README): a pair with no name is kept as a nameless cookie instead of being
/// ignored (0004), and a control character refuses the whole header instead of cutting the value
/// (the suite itself disables those two).
const RFC6265_DIFFERENCES: [(&str, Option<(&str, &str)>); 8] = [
    ("0004", Some(("", "foo"))),
    ("MOZILLA0014", Some(("", "six"))),
    ("CHROMIUM0012", Some(("", "ABC"))),
    ("NAME0017", Some(("", "a=bar"))),
    ("NAME0025", Some(("", "==a=bar"))),
    ("NAME0028", Some(("", "a"))),
    ("DISABLED_CHROMIUM0022", None),
    ("DISABLED_CHROMIUM0023", None),
];

#[test]
fn rfc6265_parser_cases_with_one_header_and_no_attributes() {
    let cases: Vec<ParserCase> =
        serde_json::from_str(include_str!("conformance/cookies/rfc6265-parser.json")).unwrap();
    assert_eq!(cases.len(), 222);
    let mut tested = Vec::new();
    for case in &cases {
        // One header, no `;` (so no attributes), read back at the URL that set it.
        let [header] = case.received.as_slice() else {
            continue;
        };
        if header.contains(';') || case.sent_to.is_some() {
            continue;
        }
        let got = parse_set_cookie_pair(header);
        match RFC6265_DIFFERENCES.iter().find(|(t, _)| *t == case.test) {
            Some((_, bis)) => {
                assert!(
                    case.sent.is_empty() || header.contains(['\0', '\r']),
                    "{}",
                    case.test
                );
                assert_eq!(got, *bis, "{} (6265bis)", case.test);
            }
            None => {
                let want: Vec<(&str, &str)> = case
                    .sent
                    .iter()
                    .map(|s| (s.name.as_str(), s.value.as_str()))
                    .collect();
                assert_eq!(got.into_iter().collect::<Vec<_>>(), want, "{}", case.test);
            }
        }
        tested.push(case.test.as_str());
    }
    assert_eq!(tested.len(), 48, "{tested:?}");
    for (t, _) in RFC6265_DIFFERENCES {
        assert!(
            tested.contains(&t),
            "{t} is listed as a difference but not tested"
        );
    }
}

/// Hand-picked states plus pseudo-random ones (fixed seed) of every shape the codec writes.
fn states() -> Vec<State> {
    let id = |s: &str| AffiliateId::parse(s).unwrap();
    let mut out = vec![
        State::default(),
        State {
            visitor: Some("k3JQ9x2mP0aZ7bC4".into()),
            referral: Some(Referral {
                affiliate: id("alice"),
                via: Via::Query,
                at: 1_780_000_000,
                expires: 1_782_592_000,
                click_id: Some("clk.1".into()),
                campaign: Some("spring".into()),
            }),
            trail: vec![TrailEntry {
                affiliate: id("alice"),
                at: 1_780_000_000,
            }],
        },
    ];
    let mut x = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let charset = b"abcXYZ019._-";
    let word = |len: usize, next: &mut dyn FnMut() -> u64| -> String {
        (0..len)
            .map(|_| char::from(charset[(next() % charset.len() as u64) as usize]))
            .collect()
    };
    for _ in 0..300 {
        let n = (next() % (TRAIL_LEN as u64 + 1)) as usize;
        let referral = (next() % 2 == 0).then(|| Referral {
            affiliate: id(&word(1 + (next() % 64) as usize, &mut next)),
            via: [Via::Query, Via::Fragment, Via::Path, Via::Decorated][(next() % 4) as usize],
            at: next() >> 1,
            expires: next() >> 1,
            click_id: (next() % 2 == 0).then(|| word(1 + (next() % 64) as usize, &mut next)),
            campaign: (next() % 2 == 0).then(|| word(1 + (next() % 64) as usize, &mut next)),
        });
        out.push(State {
            visitor: (next() % 2 == 0).then(|| "Ab3".repeat(6)),
            referral,
            trail: (0..n)
                .map(|_| TrailEntry {
                    affiliate: id(&word(1 + (next() % 64) as usize, &mut next)),
                    at: next() >> 1,
                })
                .collect(),
        });
    }
    out
}

/// Every value `encode` gives for [`states`], and the encoded values of `tests/vectors/cookie.json`.
fn encoded_values() -> Vec<String> {
    let mut values: Vec<String> = states().iter().map(encode).collect();
    let vectors: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("vectors/cookie.json")).unwrap();
    values.extend(
        vectors
            .iter()
            .filter(|c| c.get("state").is_some())
            .map(|c| c["encoded"].as_str().unwrap().to_string()),
    );
    values
}

#[test]
fn encoded_values_survive_set_cookie_and_read() {
    let attrs = [
        Attributes {
            max_age: 0,
            domain: None,
            secure: false,
        },
        Attributes {
            max_age: 2_592_000,
            domain: Some("shop.test"),
            secure: true,
        },
        Attributes {
            max_age: 34_560_000,
            domain: Some("example.co.uk"),
            secure: false,
        },
    ];
    let values = encoded_values();
    assert!(values.len() > 300);
    for v in &values {
        for a in &attrs {
            let header = set_cookie(NAME, v, a);
            assert_eq!(
                parse_set_cookie_pair(&header),
                Some((NAME, v.as_str())),
                "{header}"
            );
        }
        let jars = [
            format!("{NAME}={v}"),
            format!("a=b; {NAME}={v}; c=d"),
            format!("rt_ref2=x; xrt_ref=y; {NAME}={v}"),
            format!("rt_ref2={v}; xrt_ref={v}x; {NAME}={v}; rt_ref="),
            format!("{NAME}={v}; {NAME}=; {NAME}=other"),
            format!("_ga=GA1.2.3.4;{NAME}={v};theme=dark"),
            format!("  {NAME}={v}  ;rt_ref=later"),
            format!("nameless; {NAME}={v}"),
        ];
        for jar in &jars {
            assert_eq!(read(jar, NAME), Some(v.as_str()), "{jar}");
        }
        // First match wins, whatever it holds.
        assert_eq!(read(&format!("{NAME}=; {NAME}={v}"), NAME), Some(""));
        assert_eq!(read(&format!("rt_ref2={v}; xrt_ref={v}"), NAME), None);
    }
}
