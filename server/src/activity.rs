//! The activity log: who created or changed an affiliate (or applied to the program), issued their
//! portal token, approved or rejected a referral, recorded a refund, made a payout or marked a
//! line sent, gave or cancelled a bonus, created, changed or deleted a creative, created or
//! revoked a key, invited, changed or removed a team member. Each entry is written in the transaction of the change it records, and only
//! when something changed. The program's settings keep their own history (`program_changes`).

use crate::db::Tx;
use crate::error::AppError;
use crate::times;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// The actions, as `GET /v1/activity?action=` names them.
pub const ACTIONS: [&str; 23] = [
    "affiliate.created",
    "affiliate.applied",
    "affiliate.updated",
    "affiliate.token_issued",
    "referral.approved",
    "referral.rejected",
    "refund.created",
    "creative.created",
    "creative.updated",
    "creative.deleted",
    "payout.created",
    "payout.sent",
    "bonus.created",
    "bonus.cancelled",
    "key.created",
    "key.revoked",
    "member.invited",
    "member.updated",
    "member.removed",
    "team.policy_changed",
    "delivery.retried",
    "payout.requested",
    "payout.request_declined",
];

/// The fields of an affiliate (as `GET /v1/affiliates/{id}` shows it) whose changes are
/// recorded, in the order they are listed.
const AFFILIATE_FIELDS: [&str; 13] = [
    "address",
    "category",
    "commission",
    "coupons",
    "email",
    "name",
    "payee_type",
    "payout",
    "payout_email",
    "recruiter",
    "status",
    "tax_id",
    "withholding_exempt",
];

/// The fields of a creative whose changes are recorded, in the order they are listed.
pub const CREATIVE_FIELDS: [&str; 6] =
    ["image_url", "kind", "landing_url", "name", "status", "text"];

/// Whether `filter` is an action or a family of them (`referral.`).
pub fn valid_filter(filter: &str) -> bool {
    ACTIONS.contains(&filter)
        || (filter.ends_with('.')
            && ACTIONS
                .iter()
                .any(|a| a.starts_with(filter) && a.len() > filter.len()))
}

/// Who made a change, as the log names them: the merchant's way in (`secret_key`,
/// `dashboard`, `user:<email>`, `command_line`) or `affiliate:<id>`.
pub fn by_affiliate(id: &str) -> String {
    format!("affiliate:{id}")
}

/// One entry of the log.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct Entry {
    /// Id.
    pub id: String,
    /// When.
    pub at: String,
    /// Who: `secret_key`, `dashboard` (the admin password), `user:<email>` (a team member),
    /// `command_line`, `affiliate:<id>` (or, in WordPress, `user:<login>`).
    pub by: String,
    /// What: one of `affiliate.created`, `affiliate.applied`, `affiliate.updated`,
    /// `affiliate.token_issued`, `referral.approved`, `referral.rejected`, `refund.created`,
    /// `creative.created`, `creative.updated`, `creative.deleted`, `payout.created`,
    /// `payout.sent`, `bonus.created`, `bonus.cancelled`, `key.created`, `key.revoked`,
    /// `member.invited`, `member.updated`, `member.removed`, `team.policy_changed`,
    /// `delivery.retried`, `payout.requested`, `payout.request_declined`.
    pub action: String,
    /// The id of what it was done to: an affiliate, referral, refund, creative, payout, bonus,
    /// key or team member.
    pub subject: String,
    /// The affiliate concerned, if one is.
    pub affiliate: Option<String>,
    /// The action's details: `{"changes": [{"field", "before", "after"}]}` for an affiliate's
    /// or a creative's change, `{"reason"}` for a rejection, `{"order_id", "amount",
    /// "currency", "reason", "commission_reversed"}` for a refund, `{"name", "kind"}` for a
    /// creative created or deleted, `{"lines"}` for a payout, `{"currency", "sent",
    /// "fee"}` for a line marked sent, `{"amount", "currency", "reason"}` for a bonus given,
    /// `{"kind"}` for a key, `{"email", "name", "role"}` for a member invited or removed,
    /// `{"email", "changes"}` for a member changed, `{"changes"}` for the team's policy; `{}`
    /// otherwise.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// Records `action` by `by` on `subject` (concerning `affiliate`) with `details`.
pub async fn record(
    tx: &mut Tx,
    by: &str,
    action: &'static str,
    subject: &str,
    affiliate: Option<&str>,
    details: Value,
) -> Result<(), AppError> {
    debug_assert!(ACTIONS.contains(&action));
    // `seq` orders the entries of one second: the later recorded, the larger.
    sqlx::query(
        "INSERT INTO activity (id, at, seq, by_whom, action, subject, affiliate_id, details) \
         SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7 FROM activity",
    )
    .bind(crate::ids::new_id("ac"))
    .bind(times::now())
    .bind(by)
    .bind(action)
    .bind(subject)
    .bind(affiliate)
    .bind(details.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The fields that differ between two views of an affiliate, by name:
/// `[{"field", "before", "after"}]`; empty when nothing recorded changed.
pub fn affiliate_changes(before: &Value, after: &Value) -> Vec<Value> {
    changes(&AFFILIATE_FIELDS, before, after)
}

/// The `fields` that differ between two JSON objects: `[{"field", "before", "after"}]`, in the
/// order of `fields`.
pub fn changes(fields: &[&str], before: &Value, after: &Value) -> Vec<Value> {
    let none = Map::new();
    let (b, a) = (
        before.as_object().unwrap_or(&none),
        after.as_object().unwrap_or(&none),
    );
    fields
        .iter()
        .filter_map(|f| {
            let (old, new) = (
                b.get(*f).unwrap_or(&Value::Null),
                a.get(*f).unwrap_or(&Value::Null),
            );
            (old != new).then(|| json!({"field": f, "before": old, "after": new}))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_actions_or_their_families() {
        for ok in [
            "affiliate.updated",
            "affiliate.",
            "referral.",
            "payout.",
            "key.",
            "key.revoked",
        ] {
            assert!(valid_filter(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "affiliate",
            "referral.paid",
            "AFFILIATE.",
            "affiliate.updated.",
            "program.",
            "affiliate.created ",
        ] {
            assert!(!valid_filter(bad), "{bad:?}");
        }
    }

    #[test]
    fn only_changed_fields_are_listed_by_name_with_their_json_values() {
        let before = json!({"id": "alice", "name": "Alice", "status": "approved", "coupons": ["A"], "payout": null,
            "commission": {"sale": {"type": "percent", "rate_bps": 1000}}, "created_at": "x"});
        let after = json!({"id": "alice", "name": "Alice", "status": "pending", "coupons": ["A", "B"],
            "payout": {"method": "promptpay", "account": "0812345678"},
            "commission": {"sale": {"type": "percent", "rate_bps": 1000}}, "created_at": "y"});
        assert_eq!(
            affiliate_changes(&before, &after),
            vec![
                json!({"field": "coupons", "before": ["A"], "after": ["A", "B"]}),
                json!({"field": "payout", "before": null, "after": {"method": "promptpay", "account": "0812345678"}}),
                json!({"field": "status", "before": "approved", "after": "pending"}),
            ]
        );
        assert!(affiliate_changes(&before, &before).is_empty());
    }
}
