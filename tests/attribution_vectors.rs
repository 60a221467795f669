//! Runs every case of `tests/vectors/attribution.json` (format in `tests/vectors/README.md`)
//! against `reftrail::attribution::decide`; the PHP plugin runs the same file.

mod support;

use reftrail::attribution::{decide, Model, Policy};
use reftrail::touch::{Tag, Touch, CAMPAIGN_PARAMS, CLICK_ID_PARAMS};
use serde::Deserialize;
use support::StateJson;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    policy: PolicyJson,
    now: u64,
    state: StateJson,
    touch: TouchJson,
    expected: StateJson,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyJson {
    model: String,
    window_days: u16,
}

/// A `Touch` in the field names of its serde form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TouchJson {
    affiliate: Option<String>,
    via: Option<String>,
    at: u64,
    landing: String,
    referrer_host: Option<String>,
    campaign: Vec<TagJson>,
    click_ids: Vec<TagJson>,
    click_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagJson {
    name: String,
    value: String,
}

fn tags(tags: &[TagJson], names: &[&'static str]) -> Vec<Tag> {
    tags.iter()
        .map(|t| Tag {
            name: names
                .iter()
                .copied()
                .find(|n| *n == t.name)
                .unwrap_or_else(|| panic!("unknown parameter {:?}", t.name)),
            value: t.value.clone(),
        })
        .collect()
}

impl TouchJson {
    fn to_touch(&self) -> Touch {
        Touch {
            affiliate: self.affiliate.as_deref().map(support::id),
            via: self.via.as_deref().map(support::via),
            at: self.at,
            landing: self.landing.clone(),
            referrer_host: self.referrer_host.clone(),
            campaign: tags(&self.campaign, &CAMPAIGN_PARAMS),
            click_ids: tags(&self.click_ids, &CLICK_ID_PARAMS),
            click_id: self.click_id.clone(),
        }
    }
}

impl PolicyJson {
    /// Taken as written, not through `Policy::new`: `window_secs` must clamp by itself.
    fn to_policy(&self) -> Policy {
        let model = match self.model.as_str() {
            "last_click" => Model::LastClick,
            "first_click" => Model::FirstClick,
            other => panic!("unknown model {other:?}"),
        };
        Policy {
            model,
            window_days: self.window_days,
        }
    }
}

#[test]
fn attribution_vectors() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("vectors/attribution.json"))
        .expect("attribution.json has the documented shape");
    assert_eq!(cases.len(), 36);
    let mut names = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(
            names.insert(case.name.as_str()),
            "duplicate {:?}",
            case.name
        );
        let got = decide(
            &case.state.to_state(),
            &case.touch.to_touch(),
            &case.policy.to_policy(),
            case.now,
        );
        assert_eq!(got, case.expected.to_state(), "{}", case.name);
    }
}

/// With the `serde` feature, `Policy` and `State` read the file's JSON themselves.
#[cfg(feature = "serde")]
#[test]
fn attribution_vectors_use_the_serde_forms() {
    use reftrail::state::State;
    let raw: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("vectors/attribution.json")).unwrap();
    for case in &raw {
        let policy: Policy = serde_json::from_value(case["policy"].clone()).unwrap();
        let state: State = serde_json::from_value(case["state"].clone()).unwrap();
        let expected: State = serde_json::from_value(case["expected"].clone()).unwrap();
        let parsed: Case = serde_json::from_value(case.clone()).unwrap();
        assert_eq!(policy, parsed.policy.to_policy());
        assert_eq!(state, parsed.state.to_state());
        assert_eq!(expected, parsed.expected.to_state());
        let touch = serde_json::to_value(parsed.touch.to_touch()).unwrap();
        assert_eq!(touch, case["touch"], "{}", parsed.name);
    }
}
