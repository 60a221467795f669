//! Data-subject requests (GDPR, Thailand's PDPA, Vietnam's Decree 13): `POST /v1/privacy/export`
//! answers what the program holds about one customer, `POST /v1/privacy/erase` removes it.
//!
//! A customer is found by email (hashed on arrival, as conversions are) or email hash, and by
//! the shop's customer id. Erasure unlinks rather than deletes: the orders, leads, referrals and
//! their money stay, because the shop's accounts and the affiliates' commissions rest on them,
//! but nothing in them names the customer any more: no email hash, no customer id, no lead
//! dedupe key built from either, and their clicks lose the address hash, user agent and
//! referrer. An affiliate account with the customer's email is kept and named in the answer:
//! it holds commissions and payouts, and the merchant edits or suspends it.

use super::conversions::{email_hash, optional_text};
use crate::auth::Owner;
use crate::db::Tx;
use crate::error::{AppError, AppJson};
use crate::times;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// Who the request is about: at least one of the three.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The customer's email (hashed on arrival, never stored).
    pub email: Option<String>,
    /// SHA-256 hex of the trimmed, lower-cased email.
    pub email_hash: Option<String>,
    /// The shop's customer id, as sales and leads carried it.
    pub customer_id: Option<String>,
}

/// An order of the customer.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PrivacyOrder {
    /// The shop's order id.
    pub order_id: String,
    /// When.
    pub at: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The credited affiliate.
    pub affiliate: Option<String>,
    /// How the affiliate was found.
    pub attributed_by: Option<String>,
    /// Whether a secret key reported it.
    pub verified: bool,
}

/// A lead of the customer.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PrivacyLead {
    /// Server id of the lead.
    pub lead_id: String,
    /// The event.
    pub event: String,
    /// When.
    pub at: String,
    /// The credited affiliate.
    pub affiliate: Option<String>,
    /// How the affiliate was found.
    pub attributed_by: Option<String>,
    /// Whether a secret key reported it.
    pub verified: bool,
}

/// A click the customer's orders or leads were credited through.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PrivacyClick {
    /// Click id.
    pub click_id: String,
    /// When.
    pub at: String,
    /// The landing URL.
    pub url: String,
    /// The referring page.
    pub referrer: String,
    /// The browser's user agent.
    pub user_agent: String,
}

/// An affiliate account with the customer's email.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PrivacyAffiliate {
    /// Affiliate id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Where PayPal payouts go.
    pub payout_email: Option<String>,
    /// Bank details, when paid by bank transfer.
    pub payout: Option<super::affiliates::Payout>,
    /// Their tax id.
    pub tax_id: Option<String>,
    /// `person` or `company`, for the withholding filing.
    pub payee_type: Option<String>,
    /// Their postal address.
    pub address: Option<String>,
    /// When the account was created.
    pub created_at: String,
}

/// Everything the program holds about a customer.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PrivacyExport {
    /// Orders, oldest first.
    pub orders: Vec<PrivacyOrder>,
    /// Leads, oldest first.
    pub leads: Vec<PrivacyLead>,
    /// The clicks those orders and leads were credited through, oldest first.
    pub clicks: Vec<PrivacyClick>,
    /// Affiliate accounts with the customer's email.
    pub affiliates: Vec<PrivacyAffiliate>,
}

/// What an erasure changed.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PrivacyErased {
    /// Orders no longer linked to the customer.
    pub orders: i64,
    /// Leads no longer linked to the customer.
    pub leads: i64,
    /// Clicks whose address hash, user agent and referrer were removed.
    pub clicks: i64,
    /// Affiliate accounts with the customer's email, kept (they hold commissions and payouts).
    pub affiliates_retained: Vec<String>,
}

/// The checked identifiers: (email hash, customer id), at least one.
struct Subject {
    email_hash: Option<String>,
    customer_id: Option<String>,
}

impl Subject {
    fn from_request(c: Customer) -> Result<Self, AppError> {
        let email_hash = email_hash(c.email.as_deref(), c.email_hash.as_deref(), true)?;
        optional_text(
            c.customer_id.as_deref(),
            "invalid_customer_id",
            "customer_id must be 1 to 128 characters without control characters",
        )?;
        if email_hash.is_none() && c.customer_id.is_none() {
            return Err(AppError::bad(
                "missing_customer",
                "send email, email_hash or customer_id",
            ));
        }
        Ok(Subject {
            email_hash,
            customer_id: c.customer_id,
        })
    }
}

/// Conversions of the subject: `email_hash = $1 OR customer_id = $2` (a NULL matches nothing).
const MATCH: &str = "(email_hash = $1 OR customer_id = $2)";

/// Exports what the program holds about a customer.
#[utoipa::path(post, path = "/v1/privacy/export", tag = "merchant", request_body = Customer,
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = PrivacyExport), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn privacy_export(
    State(state): State<AppState>,
    _m: Owner,
    AppJson(body): AppJson<Customer>,
) -> Result<Json<PrivacyExport>, AppError> {
    let s = Subject::from_request(body)?;
    let mut tx = state.db.pool.begin().await?;
    let orders = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT order_id, at, amount, currency, affiliate_id, attributed_by, verified FROM orders \
         WHERE {MATCH} ORDER BY at, id"
    )))
    .bind(&s.email_hash)
    .bind(&s.customer_id)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| {
        Ok(PrivacyOrder {
            order_id: r.try_get(0)?,
            at: times::format(r.try_get(1)?),
            amount: r.try_get(2)?,
            currency: r.try_get(3)?,
            affiliate: r.try_get(4)?,
            attributed_by: r.try_get(5)?,
            verified: r.try_get::<i64, _>(6)? != 0,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let leads = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, event, at, affiliate_id, attributed_by, verified FROM leads \
         WHERE {MATCH} ORDER BY at, id"
    )))
    .bind(&s.email_hash)
    .bind(&s.customer_id)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| {
        Ok(PrivacyLead {
            lead_id: r.try_get(0)?,
            event: r.try_get(1)?,
            at: times::format(r.try_get(2)?),
            affiliate: r.try_get(3)?,
            attributed_by: r.try_get(4)?,
            verified: r.try_get::<i64, _>(5)? != 0,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let mut clicks = Vec::new();
    for id in linked_clicks(&mut tx, &s).await? {
        let Some(r) =
            sqlx::query("SELECT id, at, url, referrer, user_agent FROM clicks WHERE id = $1")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            continue;
        };
        clicks.push(PrivacyClick {
            click_id: r.try_get(0)?,
            at: times::format(r.try_get(1)?),
            url: r.try_get(2)?,
            referrer: r.try_get(3)?,
            user_agent: r.try_get(4)?,
        });
    }
    clicks.sort_by(|a, b| (&a.at, &a.click_id).cmp(&(&b.at, &b.click_id)));
    let affiliates = sqlx::query(
        "SELECT id, name, email, payout_email, created_at, payout_method, payout_bank, payout_account, payout_name, tax_id, address, payee_type \
         FROM affiliates \
         WHERE email_hash = $1 ORDER BY created_at, id",
    )
    .bind(&s.email_hash)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| {
        Ok(PrivacyAffiliate {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            email: r.try_get(2)?,
            payout_email: r.try_get(3)?,
            payout: super::affiliates::Payout::from_columns(
                r.try_get(5)?,
                r.try_get(6)?,
                r.try_get(7)?,
                r.try_get(8)?,
            ),
            tax_id: r.try_get(9)?,
            address: r.try_get(10)?,
            payee_type: r.try_get(11)?,
            created_at: times::format(r.try_get(4)?),
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    tx.commit().await?;
    Ok(Json(PrivacyExport {
        orders,
        leads,
        clicks,
        affiliates,
    }))
}

/// Erases a customer from the program's records, in one transaction.
#[utoipa::path(post, path = "/v1/privacy/erase", tag = "merchant", request_body = Customer,
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = PrivacyErased), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn privacy_erase(
    State(state): State<AppState>,
    _m: Owner,
    AppJson(body): AppJson<Customer>,
) -> Result<Json<PrivacyErased>, AppError> {
    let s = Subject::from_request(body)?;
    let mut tx = state.db.begin_write().await?;
    let click_ids = linked_clicks(&mut tx, &s).await?;
    let orders = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET email_hash = NULL, customer_id = NULL WHERE {MATCH}"
    )))
    .bind(&s.email_hash)
    .bind(&s.customer_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let leads = erase_leads(&mut tx, &s).await?;
    let mut clicks = 0;
    for id in &click_ids {
        clicks += sqlx::query(
            "UPDATE clicks SET ip_hash = '', user_agent = '', referrer = '' WHERE id = $1 \
             AND (ip_hash <> '' OR user_agent <> '' OR referrer <> '')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    let affiliates_retained =
        sqlx::query("SELECT id FROM affiliates WHERE email_hash = $1 ORDER BY created_at, id")
            .bind(&s.email_hash)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<Vec<String>, _>>()?;
    tx.commit().await?;
    Ok(Json(PrivacyErased {
        orders: i64::try_from(orders).unwrap_or(i64::MAX),
        leads,
        clicks: i64::try_from(clicks).unwrap_or(i64::MAX),
        affiliates_retained,
    }))
}

/// The distinct clicks the subject's orders and leads were credited through.
async fn linked_clicks(tx: &mut Tx, s: &Subject) -> Result<Vec<String>, AppError> {
    let mut ids = Vec::new();
    for table in ["orders", "leads"] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT click_id FROM {table} WHERE {MATCH} AND click_id IS NOT NULL"
        )))
        .bind(&s.email_hash)
        .bind(&s.customer_id)
        .fetch_all(&mut **tx)
        .await?;
        for r in rows {
            ids.push(r.try_get::<String, _>(0)?);
        }
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Unlinks the subject's leads: a lead's dedupe key is built from the email hash or customer
/// id, so it becomes one built from the lead's own id, and the first answer stored under the
/// old key goes (the same lead reported again is then a new lead). Returns how many.
async fn erase_leads(tx: &mut Tx, s: &Subject) -> Result<i64, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, dedupe_key FROM leads WHERE {MATCH}"
    )))
    .bind(&s.email_hash)
    .bind(&s.customer_id)
    .fetch_all(&mut **tx)
    .await?;
    for r in &rows {
        let id: String = r.try_get(0)?;
        let dedupe_key: String = r.try_get(1)?;
        sqlx::query("DELETE FROM idempotency WHERE scope = 'lead' AND idem_key = $1")
            .bind(&dedupe_key)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE leads SET email_hash = NULL, customer_id = NULL, dedupe_key = $1 WHERE id = $2",
        )
        .bind(format!("erased:{id}"))
        .bind(&id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(i64::try_from(rows.len()).unwrap_or(i64::MAX))
}
