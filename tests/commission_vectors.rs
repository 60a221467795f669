//! Runs every case of `tests/vectors/commission.json` (the format is in `tests/vectors/README.md`)
//! against `reftrail::commission`.

use reftrail::commission::{compute, reverse, reverse_part, Input, Rules};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    rules: Option<Value>,
    input: Option<Value>,
    reverse: Option<Reverse>,
    expected: Option<Value>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reverse {
    commission: i64,
    order_amount: i64,
    refunds: Vec<i64>,
}

/// The keys every commission case must pin.
const REQUIRED: [&str; 7] = [
    "amount", "currency", "basis", "rate_bps", "rule", "capped", "reason",
];
/// Line keys that an expected line may leave out when they are null.
const OPTIONAL_LINE_KEYS: [&str; 3] = ["sku", "category", "tier"];

fn cases() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/commission.json");
    let text = std::fs::read_to_string(path).expect("read commission.json");
    serde_json::from_str(&text).expect("commission.json has the documented shape")
}

#[test]
fn commission_vectors() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut names = std::collections::BTreeSet::new();
    for case in &cases {
        assert!(
            names.insert(case.name.as_str()),
            "duplicate case name {:?}",
            case.name
        );
        match &case.reverse {
            Some(r) => check_reverse(case, r),
            None => check_commission(case),
        }
    }
}

fn check_commission(case: &Case) {
    let name = &case.name;
    let rules: Rules = serde_json::from_value(case.rules.clone().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{name}: rules: {e}"));
    let input: Input = serde_json::from_value(case.input.clone().expect("input"))
        .unwrap_or_else(|e| panic!("{name}: input: {e}"));
    let got = compute(&rules, &input);
    match (&case.expected, &case.error) {
        (Some(expected), None) => {
            let got = got.unwrap_or_else(|e| panic!("{name}: unexpected error {e}"));
            let got = serde_json::to_value(&got).unwrap();
            let expected = expected.as_object().expect("expected is an object");
            for key in REQUIRED {
                assert!(expected.contains_key(key), "{name}: expected lacks {key:?}");
            }
            for (key, want) in expected {
                let want = if key == "lines" {
                    with_null_line_keys(want)
                } else {
                    want.clone()
                };
                assert_eq!(got.get(key), Some(&want), "{name}: {key}\n got {got}");
            }
        }
        (None, Some(error)) => match got {
            Err(e) => assert_eq!(e.as_str(), error, "{name}"),
            Ok(c) => panic!("{name}: expected error {error}, got {c:?}"),
        },
        _ => panic!("{name}: a case has exactly one of expected and error"),
    }
}

/// Fills the optional line keys an expected line left out with null.
fn with_null_line_keys(lines: &Value) -> Value {
    let lines = lines.as_array().expect("lines is an array");
    Value::Array(
        lines
            .iter()
            .map(|line| {
                let mut line: Map<String, Value> =
                    line.as_object().expect("a line is an object").clone();
                for key in OPTIONAL_LINE_KEYS {
                    line.entry(key).or_insert(Value::Null);
                }
                Value::Object(line)
            })
            .collect(),
    )
}

fn check_reverse(case: &Case, r: &Reverse) {
    let name = &case.name;
    assert!(
        case.rules.is_none() && case.input.is_none() && case.error.is_none(),
        "{name}"
    );
    let want: Vec<i64> =
        serde_json::from_value(case.expected.as_ref().expect("expected")["reversals"].clone())
            .unwrap_or_else(|e| panic!("{name}: reversals: {e}"));
    let (mut refunded, mut reversed) = (0i64, 0i64);
    let mut got = Vec::new();
    for &refund in &r.refunds {
        let part = reverse_part(r.commission, r.order_amount, refunded, reversed, refund);
        refunded = refunded.saturating_add(refund);
        reversed += part;
        assert_eq!(
            reversed,
            reverse(r.commission, r.order_amount, refunded),
            "{name}: running total"
        );
        got.push(part);
    }
    assert_eq!(got, want, "{name}");
    if refunded >= r.order_amount {
        assert_eq!(
            reversed,
            r.commission.max(0),
            "{name}: a full refund reverses everything"
        );
    }
}
