//! Runs every case of `tests/vectors/withholding.json` (format in `tests/vectors/README.md`)
//! against `reftrail::withholding`; the PHP plugin runs the same file.

use reftrail::withholding::{withheld, Rule};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleJson {
    currency: String,
    rate_bps: u32,
    threshold: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    rules: Vec<RuleJson>,
    currency: String,
    gross: i64,
    exempt: bool,
    withheld: i64,
}

#[test]
fn withholding_vectors() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("vectors/withholding.json"))
        .expect("withholding.json has the documented shape");
    assert!(cases.len() >= 13);
    let mut names = std::collections::BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name.as_str()), "duplicate {:?}", c.name);
        let rules: Vec<Rule> = c
            .rules
            .iter()
            .map(|r| Rule {
                currency: r.currency.clone(),
                rate_bps: r.rate_bps,
                threshold: r.threshold,
            })
            .collect();
        assert_eq!(
            reftrail::withholding::validate(&rules),
            Ok(()),
            "{}",
            c.name
        );
        assert_eq!(
            withheld(&rules, &c.currency, c.gross, c.exempt),
            c.withheld,
            "{}",
            c.name
        );
    }
}
