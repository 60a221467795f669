//! Runs every case of `tests/vectors/cookie.json` (format in `tests/vectors/README.md`) against
//! `reftrail::cookie`. The PHP plugin runs the same file, which is what keeps the two decoders
//! reading the same cookie.
//!
//! The cases are read into local structs (`support`), so this runs with or without the `serde`
//! feature; with it, the state's own serde form is also checked against the file.

mod support;

use reftrail::cookie::{decode, encode, DecodeError, MAX_LEN};
#[cfg(feature = "serde")]
use reftrail::state::State;
use serde::Deserialize;
use support::StateJson;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    encoded: String,
    state: Option<StateJson>,
    error: Option<String>,
}

const ERRORS: [DecodeError; 11] = [
    DecodeError::Empty,
    DecodeError::Version,
    DecodeError::Byte,
    DecodeError::Checksum,
    DecodeError::Shape,
    DecodeError::Number,
    DecodeError::Affiliate,
    DecodeError::Via,
    DecodeError::Visitor,
    DecodeError::Tag,
    DecodeError::TrailTooLong,
];

fn cases() -> Vec<Case> {
    serde_json::from_str(include_str!("vectors/cookie.json"))
        .expect("cookie.json has the documented shape")
}

#[test]
fn cookie_vectors() {
    let cases = cases();
    let mut names = std::collections::BTreeSet::new();
    let (mut valid, mut invalid) = (0, 0);
    let mut errors_seen = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(
            names.insert(case.name.as_str()),
            "duplicate {:?}",
            case.name
        );
        match (&case.state, &case.error) {
            (Some(json), None) => {
                let state = json.to_state();
                assert_eq!(encode(&state), case.encoded, "encode: {}", case.name);
                assert_eq!(decode(&case.encoded), Ok(state), "decode: {}", case.name);
                assert!(case.encoded.len() <= MAX_LEN, "{}", case.name);
                valid += 1;
            }
            (None, Some(code)) => {
                let want = ERRORS
                    .into_iter()
                    .find(|e| e.code() == code)
                    .unwrap_or_else(|| panic!("unknown error code {code:?} in {}", case.name));
                assert_eq!(decode(&case.encoded), Err(want), "{}", case.name);
                errors_seen.insert(code.as_str());
                invalid += 1;
            }
            _ => panic!("{}: a case has either a state or an error", case.name),
        }
    }
    assert_eq!((valid, invalid), (15, 52));
    // Every error the decoder can give is pinned by at least one case.
    assert_eq!(errors_seen.len(), ERRORS.len(), "{errors_seen:?}");
}

/// With the `serde` feature, `State`'s own JSON form is the one the file uses.
#[cfg(feature = "serde")]
#[test]
fn cookie_vectors_use_the_serde_form_of_state() {
    let raw: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("vectors/cookie.json")).unwrap();
    for (case, value) in cases().iter().zip(&raw) {
        if let Some(json) = &case.state {
            let state = json.to_state();
            let from_serde: State = serde_json::from_value(value["state"].clone()).unwrap();
            assert_eq!(from_serde, state, "{}", case.name);
            assert_eq!(
                serde_json::to_value(&state).unwrap(),
                value["state"],
                "{}",
                case.name
            );
        }
    }
}
