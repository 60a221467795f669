//! Runs every case of `tests/vectors/bahttext.json` (format in `tests/vectors/README.md`)
//! against `reftrail::bahttext`; the PHP plugin runs the same file.

use reftrail::bahttext::bahttext;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    satang: i64,
    words: String,
}

#[test]
fn bahttext_vectors() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("vectors/bahttext.json"))
        .expect("bahttext.json has the documented shape");
    assert!(cases.len() >= 40);
    for c in &cases {
        assert_eq!(bahttext(c.satang), c.words, "{} satang", c.satang);
    }
}
