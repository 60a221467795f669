//! Runs every case of `tests/vectors/bank_transfer.json` (format in `tests/vectors/README.md`)
//! against `reftrail::bank_transfer`; the PHP plugin runs the same file.

use reftrail::bank_transfer::{promptpay, vietqr, Account, PromptPayId, PromptPayKind};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    payloads: Vec<Payload>,
    accounts: Vec<AccountCase>,
    transfers: Vec<Transfer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    name: String,
    method: String,
    kind: Option<String>,
    id: Option<String>,
    bank: Option<String>,
    account: Option<String>,
    amount: Option<i64>,
    purpose: Option<String>,
    payload: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Details {
    method: String,
    bank: Option<String>,
    account: String,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountCase {
    name: String,
    given: Details,
    /// The details as saved, or absent when refused.
    saved: Option<Details>,
    /// The error code, when refused.
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Transfer {
    name: String,
    payout: Details,
    amount: i64,
    currency: String,
    reference: String,
    transfer_qr: Option<String>,
}

fn load() -> File {
    serde_json::from_str(include_str!("vectors/bank_transfer.json"))
        .expect("bank_transfer.json has the documented shape")
}

fn account(d: &Details) -> Result<Account, &'static str> {
    Account::new(&d.method, d.bank.as_deref(), &d.account, d.name.as_deref()).map_err(|e| e.code())
}

#[test]
fn names_are_unique() {
    let f = load();
    let mut names = std::collections::BTreeSet::new();
    let all = f
        .payloads
        .iter()
        .map(|c| &c.name)
        .chain(f.accounts.iter().map(|c| &c.name))
        .chain(f.transfers.iter().map(|c| &c.name));
    for name in all {
        assert!(names.insert(name.clone()), "duplicate {name:?}");
    }
    assert!(f.payloads.len() >= 6 && f.accounts.len() >= 20 && f.transfers.len() >= 6);
}

#[test]
fn payloads() {
    for c in load().payloads {
        let got = match c.method.as_str() {
            "vietqr" => vietqr(
                c.bank.as_deref().unwrap(),
                c.account.as_deref().unwrap(),
                c.amount,
                c.purpose.as_deref().unwrap_or(""),
            ),
            "promptpay" => {
                let kind = match c.kind.as_deref() {
                    Some("mobile") => PromptPayKind::Mobile,
                    Some("tax_id") => PromptPayKind::TaxId,
                    Some("ewallet") => PromptPayKind::EWallet,
                    k => panic!("{}: unknown kind {k:?}", c.name),
                };
                let id = PromptPayId {
                    kind,
                    digits: c.id.clone().unwrap(),
                };
                promptpay(&id, c.amount)
            }
            m => panic!("{}: unknown method {m}", c.name),
        };
        assert_eq!(got, c.payload, "{}", c.name);
    }
}

#[test]
fn accounts() {
    for c in load().accounts {
        match (account(&c.given), &c.saved, &c.error) {
            (Ok(a), Some(s), None) => {
                assert_eq!(a.method.as_str(), s.method, "{}", c.name);
                assert_eq!(a.bank, s.bank, "{}", c.name);
                assert_eq!(a.account, s.account, "{}", c.name);
                assert_eq!(a.name, s.name, "{}", c.name);
            }
            (Err(code), None, Some(e)) => assert_eq!(code, e, "{}", c.name),
            (got, _, _) => panic!("{}: got {got:?}", c.name),
        }
    }
}

#[test]
fn transfers() {
    for c in load().transfers {
        let a = account(&c.payout).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(
            a.transfer_qr(c.amount, &c.currency, &c.reference),
            c.transfer_qr,
            "{}",
            c.name
        );
    }
}
