//! Runs every case of `tests/vectors/models.json` (format in `tests/vectors/README.md`) against
//! `reftrail::models`; the PHP plugin runs the same file.

mod support;

use reftrail::models::{by_affiliate, shares, MultiTouch};
use serde::Deserialize;
use support::EntryJson;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    model: ModelJson,
    now: u64,
    trail: Vec<EntryJson>,
    shares: Vec<u16>,
    by_affiliate: Vec<ShareJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelJson {
    kind: String,
    half_life_days: Option<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareJson {
    affiliate: String,
    share: u16,
}

impl ModelJson {
    fn to_model(&self) -> MultiTouch {
        match (self.kind.as_str(), self.half_life_days) {
            ("first", None) => MultiTouch::First,
            ("last", None) => MultiTouch::Last,
            ("linear", None) => MultiTouch::Linear,
            ("position_based", None) => MultiTouch::PositionBased,
            ("time_decay", Some(half_life_days)) => MultiTouch::TimeDecay { half_life_days },
            (kind, h) => panic!("unknown model {kind:?} / {h:?}"),
        }
    }
}

#[test]
fn models_vectors() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("vectors/models.json"))
        .expect("models.json has the documented shape");
    assert_eq!(cases.len(), 50);
    let mut names = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(
            names.insert(case.name.as_str()),
            "duplicate {:?}",
            case.name
        );
        let trail = support::trail(&case.trail);
        let got = shares(&trail, case.model.to_model(), case.now);
        assert_eq!(got, case.shares, "{}", case.name);
        let sum: u32 = got.iter().map(|&s| u32::from(s)).sum();
        assert_eq!(
            sum,
            if trail.is_empty() { 0 } else { 10_000 },
            "{}",
            case.name
        );
        let want: Vec<_> = case
            .by_affiliate
            .iter()
            .map(|s| (support::id(&s.affiliate), s.share))
            .collect();
        assert_eq!(by_affiliate(&trail, &got), want, "{}", case.name);
    }
}

/// With the `serde` feature, `MultiTouch` reads the file's model objects itself.
#[cfg(feature = "serde")]
#[test]
fn models_vectors_use_the_serde_form() {
    let raw: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("vectors/models.json")).unwrap();
    for case in &raw {
        let model: MultiTouch = serde_json::from_value(case["model"].clone()).unwrap();
        let parsed: ModelJson = serde_json::from_value(case["model"].clone()).unwrap();
        assert_eq!(model, parsed.to_model());
        assert_eq!(serde_json::to_value(model).unwrap(), case["model"]);
    }
}
