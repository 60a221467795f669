//! Runs every case of `tests/vectors/affiliate_ids.json` against
//! `reftrail_server::applicant_id::suggest_id`; the PHP plugin runs the same file.

use reftrail::affiliate::AffiliateId;
use reftrail_server::applicant_id::{suggest_id, MAX_LEN};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    about: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    email: String,
    id: String,
}

#[test]
fn affiliate_id_vectors() {
    let file: File = serde_json::from_str(include_str!("../../tests/vectors/affiliate_ids.json"))
        .expect("affiliate_ids.json has the documented shape");
    assert!(file.cases.len() >= 25);
    for c in &file.cases {
        let id = suggest_id(&c.name, &c.email);
        assert_eq!(id, c.id, "{:?} <{}>", c.name, c.email);
        assert!(AffiliateId::parse(&id).is_some(), "{id} is a valid id");
        assert!(id.len() <= MAX_LEN, "{id}");
    }
}

#[test]
fn hostile_names_still_give_a_valid_short_id() {
    let long = "Ễ".repeat(100_000);
    let nul = "\0".repeat(1000);
    for name in [
        long.as_str(),
        nul.as_str(),
        "",
        "-",
        "\u{202E}evil",
        "ǅ ǈ ǋ",
    ] {
        let id = suggest_id(name, "@");
        assert!(AffiliateId::parse(&id).is_some(), "{name:?} gave {id:?}");
        assert!(id.len() <= MAX_LEN);
    }
}
