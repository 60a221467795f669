//! Affiliates: `GET/POST /v1/affiliates`, `GET/PATCH /v1/affiliates/{id}`,
//! `POST /v1/affiliates/{id}/token` (a new portal token; the old one stops working).

use super::valid_text;
use crate::activity;
use crate::auth::Merchant;
use crate::credentials;
use crate::error::{is_unique_violation, AppError, AppJson, AppQuery};
use crate::times::{self, now};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use reftrail::affiliate::AffiliateId;
use reftrail::commission::AffiliateRules;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

/// Affiliate categories.
pub const CATEGORIES: [&str; 8] = [
    "content",
    "coupon",
    "cashback",
    "influencer",
    "search",
    "email",
    "comparison",
    "other",
];
/// Affiliate statuses.
pub const STATUSES: [&str; 3] = ["approved", "pending", "suspended"];

/// An affiliate.
#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct AffiliateView {
    /// The id used in links (`?ref=<id>`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Contact email.
    pub email: Option<String>,
    /// PayPal email for payouts (default: `email`).
    pub payout_email: Option<String>,
    /// Bank details when paid by bank transfer instead of PayPal; `null` for PayPal.
    pub payout: Option<Payout>,
    /// Paid in full, whatever the program's `withholding` rules say (a business that invoices,
    /// or a person with a commitment on file).
    pub withholding_exempt: bool,
    /// Their tax id, as the shop's withholding filing names them.
    pub tax_id: Option<String>,
    /// `person` or `company`: which withholding form the shop files their tax on (Thailand's
    /// ภ.ง.ด.3 or ภ.ง.ด.53); `null` when not set.
    pub payee_type: Option<String>,
    /// Their postal address, as withholding tax certificates name the payee.
    pub address: Option<String>,
    /// `content`, `coupon`, `cashback`, `influencer`, `search`, `email`, `comparison`, `other`.
    pub category: String,
    /// `approved`, `pending`, `suspended`.
    pub status: String,
    /// Commission overrides (`reftrail::commission::AffiliateRules`: `sale`, `lead`).
    #[schema(value_type = Option<Object>)]
    pub commission: Option<AffiliateRules>,
    /// Coupon codes that credit this affiliate (upper-case).
    pub coupons: Vec<String>,
    /// The affiliate who recruited them, who earns the program's `recruiter_rate_bps` share of
    /// their commissions; `null` for none.
    pub recruiter: Option<String>,
    /// Created.
    pub created_at: String,
    /// What they wrote when they applied through the public form; `null` for affiliates the
    /// merchant added.
    pub application: Option<Application>,
}

/// An application from the public form (`POST /v1/portal/applications`).
#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct Application {
    /// Their website or channel.
    pub website: Option<String>,
    /// How they will promote the shop.
    pub message: Option<String>,
    /// The program's terms they accepted, as the address was then; `null` when there were none.
    pub terms_url: Option<String>,
    /// When they applied (RFC 3339).
    pub applied_at: String,
}

/// The answer to creating an affiliate: it and its portal token, shown once.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AffiliateCreated {
    /// The affiliate.
    pub affiliate: AffiliateView,
    /// Its portal token (`at_…`), for `Authorization: Bearer` on `/v1/me`.
    pub token: String,
}

/// The body of `POST /v1/affiliates`.
#[derive(Deserialize, ToSchema, Debug)]
#[serde(deny_unknown_fields)]
pub struct CreateAffiliate {
    /// The id used in links: 1 to 64 letters, digits, `-`, `_`, `.`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Contact email.
    pub email: Option<String>,
    /// PayPal email.
    pub payout_email: Option<String>,
    /// Bank details (VietQR or PromptPay) instead of PayPal.
    pub payout: Option<Payout>,
    /// Paid in full whatever the withholding rules (default false).
    pub withholding_exempt: Option<bool>,
    /// Tax id: 1 to 20 letters, digits or `-`.
    pub tax_id: Option<String>,
    /// `person` or `company`.
    pub payee_type: Option<String>,
    /// Postal address: one line of 1 to 600 bytes.
    pub address: Option<String>,
    /// Category (default `other`).
    pub category: Option<String>,
    /// Status (default `approved`).
    pub status: Option<String>,
    /// Commission overrides.
    #[schema(value_type = Option<Object>)]
    pub commission: Option<AffiliateRules>,
    /// Coupon codes.
    pub coupons: Option<Vec<String>>,
    /// The affiliate who recruited them (an existing affiliate, not themselves or one they
    /// recruited, directly or down the line).
    pub recruiter: Option<String>,
}

/// The body of `PATCH /v1/affiliates/{id}`: only the fields given change; `commission: null`
/// removes the overrides.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAffiliate {
    /// Name.
    pub name: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// PayPal email; `null` removes it (payouts go to `email`).
    #[serde(default, with = "double_option")]
    pub payout_email: Option<Option<String>>,
    /// Bank details, replaced as a whole; `null` goes back to PayPal.
    #[serde(default, with = "double_option")]
    pub payout: Option<Option<Payout>>,
    /// Paid in full whatever the withholding rules.
    pub withholding_exempt: Option<bool>,
    /// Tax id; `null` removes it.
    #[serde(default, with = "double_option")]
    pub tax_id: Option<Option<String>>,
    /// `person` or `company`; `null` removes it.
    #[serde(default, with = "double_option")]
    pub payee_type: Option<Option<String>>,
    /// Postal address; `null` removes it.
    #[serde(default, with = "double_option")]
    pub address: Option<Option<String>>,
    /// Category.
    pub category: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Commission overrides; `null` removes them.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub commission: Option<Option<AffiliateRules>>,
    /// Coupon codes (replace the current ones).
    pub coupons: Option<Vec<String>>,
    /// The affiliate who recruited them; `null` removes it.
    #[serde(default, with = "double_option")]
    pub recruiter: Option<Option<String>>,
}

/// How an affiliate is paid by bank transfer (`reftrail::bank_transfer`).
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Payout {
    /// `vietqr` (a Vietnamese bank account, NAPAS 247) or `promptpay` (Thailand).
    pub method: String,
    /// VietQR: the bank's 6-digit NAPAS BIN (`970436` is Vietcombank); absent for PromptPay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank: Option<String>,
    /// The account number (VietQR) or the PromptPay id (mobile number, national or tax id,
    /// e-wallet id), stored without separators.
    pub account: String,
    /// The account holder's name, as the bank shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Payout {
    /// Checks and normalizes the details as typed.
    pub fn checked(&self) -> Result<Payout, AppError> {
        let a = reftrail::bank_transfer::Account::new(
            &self.method,
            self.bank.as_deref(),
            &self.account,
            self.name.as_deref(),
        )
        .map_err(|e| AppError::bad(e.code(), e.message()))?;
        Ok(Payout::from(a))
    }

    /// The details as the core reads them; `None` for a row that no longer passes the checks.
    pub fn account(&self) -> Option<reftrail::bank_transfer::Account> {
        let bank = self.bank.as_deref();
        reftrail::bank_transfer::Account::new(
            &self.method,
            bank,
            &self.account,
            self.name.as_deref(),
        )
        .ok()
    }

    /// From the four `payout_*` columns; `None` (PayPal) unless a method is stored.
    pub fn from_columns(
        method: Option<String>,
        bank: Option<String>,
        account: Option<String>,
        name: Option<String>,
    ) -> Option<Payout> {
        Some(Payout {
            method: method?,
            bank,
            account: account.unwrap_or_default(),
            name,
        })
    }
}

impl From<reftrail::bank_transfer::Account> for Payout {
    fn from(a: reftrail::bank_transfer::Account) -> Self {
        Payout {
            method: a.method.as_str().to_owned(),
            bank: a.bank,
            account: a.account,
            name: a.name,
        }
    }
}

/// A field where `null` (`Some(None)`) differs from absent (`None`).
pub mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Refuses (400 `invalid_payee_type`) a payee type other than `person` or `company`.
fn check_payee_type(t: Option<&str>) -> Result<(), AppError> {
    if t.is_some_and(|t| !matches!(t, "person" | "company")) {
        return Err(AppError::bad(
            "invalid_payee_type",
            "payee_type must be person or company",
        ));
    }
    Ok(())
}

/// Refuses (400 `invalid_tax_id`) a tax id that is not 1 to 20 letters, digits or `-`.
fn check_tax_id(t: Option<&str>) -> Result<(), AppError> {
    if t.is_some_and(|t| !reftrail::withholding::valid_tax_id(t)) {
        return Err(AppError::bad(
            "invalid_tax_id",
            "tax_id must be 1 to 20 letters, digits or '-'",
        ));
    }
    Ok(())
}

/// Refuses (400 `invalid_address`) an address that is not one line of 1 to 600 bytes.
pub fn check_address(a: Option<&str>) -> Result<(), AppError> {
    if a.is_some_and(|a| !valid_text(a, MAX_ADDRESS_LEN)) {
        return Err(AppError::bad(
            "invalid_address",
            "address must be one line of 1 to 600 bytes without control characters",
        ));
    }
    Ok(())
}

/// Refuses (400 `invalid_recruiter`) a recruiter that is not an affiliate id.
fn check_recruiter_id(r: Option<&str>) -> Result<(), AppError> {
    if r.is_some_and(|r| !reftrail::affiliate::is_valid(r)) {
        return Err(AppError::bad(
            "invalid_recruiter",
            "recruiter must be an affiliate id",
        ));
    }
    Ok(())
}

/// Refuses (422 `invalid_recruiter`) a recruiter of `affiliate` that does not exist, is
/// `affiliate` itself, or was recruited by `affiliate`, directly or down the line.
async fn check_recruiter(
    tx: &mut crate::db::Tx,
    affiliate: &str,
    recruiter: &str,
) -> Result<(), AppError> {
    let exists = sqlx::query("SELECT 1 FROM affiliates WHERE id = $1")
        .bind(recruiter)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if !exists {
        return Err(AppError::unprocessable(
            "invalid_recruiter",
            "no affiliate has this id",
        ));
    }
    if crate::recruiters::would_loop(tx, affiliate, recruiter).await? {
        return Err(AppError::unprocessable(
            "invalid_recruiter",
            "an affiliate cannot be recruited by themselves or by someone they recruited",
        ));
    }
    Ok(())
}

/// The longest postal address, in bytes (200 Thai characters).
pub const MAX_ADDRESS_LEN: usize = 600;

/// Refuses (400 `field`) what is not a plain email address.
pub fn check_email(e: &Option<String>, field: &'static str) -> Result<(), AppError> {
    if let Some(e) = e {
        if reftrail::email::hash(e).is_none() || e.len() > 254 || e.contains([',', '"', '<', '>']) {
            return Err(AppError::bad(field, "not an email address"));
        }
    }
    Ok(())
}

fn check_common(
    name: Option<&str>,
    email: &Option<String>,
    payout_email: &Option<String>,
    category: Option<&str>,
    status: Option<&str>,
    commission: Option<&AffiliateRules>,
    coupons: Option<&Vec<String>>,
) -> Result<Vec<String>, AppError> {
    if name.is_some_and(|n| !valid_text(n, 200)) {
        return Err(AppError::bad(
            "invalid_name",
            "name must be 1 to 200 characters without control characters",
        ));
    }
    check_email(email, "invalid_email")?;
    check_email(payout_email, "invalid_payout_email")?;
    if category.is_some_and(|c| !CATEGORIES.contains(&c)) {
        return Err(AppError::bad(
            "invalid_category",
            format!("category must be one of {}", CATEGORIES.join(", ")),
        ));
    }
    if status.is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(AppError::bad(
            "invalid_status",
            "status must be approved, pending or suspended",
        ));
    }
    if let Some(c) = commission {
        let mut rules = reftrail::commission::Rules::default();
        if let Some(key) = AffiliateId::parse("x") {
            rules.affiliates.insert(key, c.clone());
        }
        rules
            .validate()
            .map_err(|e| AppError::bad("invalid_commission", format!("commission: {e}")))?;
    }
    let mut codes = Vec::new();
    if let Some(list) = coupons {
        if list.len() > 50 {
            return Err(AppError::bad("invalid_coupons", "at most 50 coupons"));
        }
        for c in list {
            if !valid_text(c, 64) || c.contains(char::is_whitespace) {
                return Err(AppError::bad(
                    "invalid_coupons",
                    "a coupon code is 1 to 64 characters without spaces",
                ));
            }
            let up = c.to_uppercase();
            if !codes.contains(&up) {
                codes.push(up);
            }
        }
    }
    Ok(codes)
}

pub(crate) const SELECT: &str =
    "SELECT id, name, email, payout_email, category, status, commission, created_at, \
     payout_method, payout_bank, payout_account, payout_name, withholding_exempt, tax_id, address, payee_type, \
     ap.website, ap.message, ap.terms_url, ap.applied_at, recruiter_id \
     FROM affiliates LEFT JOIN affiliate_applications ap ON ap.affiliate_id = affiliates.id";

const COUPONS: &str = "SELECT code FROM coupons WHERE affiliate_id = $1 ORDER BY code";

fn codes(rows: &[AnyRow]) -> Result<Vec<String>, sqlx::Error> {
    rows.iter().map(|r| r.try_get(0)).collect()
}

async fn view(state: &AppState, row: &AnyRow) -> Result<AffiliateView, AppError> {
    let id: String = row.try_get(0)?;
    let coupons = codes(
        &sqlx::query(COUPONS)
            .bind(&id)
            .fetch_all(&state.db.pool)
            .await?,
    )?;
    view_of(row, coupons)
}

/// The affiliate of `row` (a [`SELECT`] row) with its coupon codes.
pub(crate) fn view_of(row: &AnyRow, coupons: Vec<String>) -> Result<AffiliateView, AppError> {
    let commission: Option<String> = row.try_get(6)?;
    Ok(AffiliateView {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        email: row.try_get(2)?,
        payout_email: row.try_get(3)?,
        payout: Payout::from_columns(
            row.try_get(8)?,
            row.try_get(9)?,
            row.try_get(10)?,
            row.try_get(11)?,
        ),
        withholding_exempt: row.try_get::<i64, _>(12)? != 0,
        tax_id: row.try_get(13)?,
        payee_type: row.try_get(15)?,
        address: row.try_get(14)?,
        category: row.try_get(4)?,
        status: row.try_get(5)?,
        commission: commission.map(|c| serde_json::from_str(&c)).transpose()?,
        coupons,
        recruiter: row.try_get(20)?,
        created_at: times::format(row.try_get(7)?),
        application: row
            .try_get::<Option<i64>, _>(19)?
            .map(|applied_at| -> Result<Application, sqlx::Error> {
                Ok(Application {
                    website: row.try_get(16)?,
                    message: row.try_get(17)?,
                    terms_url: row.try_get(18)?,
                    applied_at: times::format(applied_at),
                })
            })
            .transpose()?,
    })
}

/// One affiliate as JSON, read in `tx`: what the activity log compares before and after a
/// change.
pub async fn json_in(tx: &mut crate::db::Tx, id: &str) -> Result<serde_json::Value, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| AppError::not_found("affiliate_not_found", "no affiliate has this id"))?;
    let coupons = codes(&sqlx::query(COUPONS).bind(id).fetch_all(&mut **tx).await?)?;
    Ok(serde_json::to_value(view_of(&row, coupons)?)?)
}

/// Records `affiliate.updated` by `by` when the affiliate differs from `before`
/// ([`json_in`] before the change).
pub async fn record_changes(
    tx: &mut crate::db::Tx,
    by: &str,
    id: &str,
    before: &serde_json::Value,
) -> Result<(), AppError> {
    let changes = activity::affiliate_changes(before, &json_in(tx, id).await?);
    if !changes.is_empty() {
        let details = serde_json::json!({ "changes": changes });
        activity::record(tx, by, "affiliate.updated", id, Some(id), details).await?;
    }
    Ok(())
}

/// One affiliate.
pub async fn load(state: &AppState, id: &str) -> Result<AffiliateView, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| AppError::not_found("affiliate_not_found", "no affiliate has this id"))?;
    view(state, &row).await
}

async fn set_coupons(tx: &mut crate::db::Tx, id: &str, codes: &[String]) -> Result<(), AppError> {
    sqlx::query("DELETE FROM coupons WHERE affiliate_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for code in codes {
        let r =
            sqlx::query("INSERT INTO coupons (code, affiliate_id, created_at) VALUES ($1, $2, $3)")
                .bind(code)
                .bind(id)
                .bind(now())
                .execute(&mut **tx)
                .await;
        if let Err(e) = r {
            if is_unique_violation(&e) {
                return Err(AppError::conflict(
                    "coupon_taken",
                    format!("coupon {code} belongs to another affiliate"),
                ));
            }
            return Err(e.into());
        }
    }
    Ok(())
}

/// What `POST /v1/affiliates` checks before it writes anything: answers the coupon codes as
/// stored and the bank details as normalized. The recruiter's existence is checked in the
/// transaction ([`check_recruiter`]).
pub fn check_new(b: &CreateAffiliate) -> Result<(Vec<String>, Option<Payout>), AppError> {
    if AffiliateId::parse(&b.id).is_none() {
        return Err(AppError::bad(
            "invalid_affiliate",
            "id must be 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    let codes = check_common(
        Some(&b.name),
        &b.email,
        &b.payout_email,
        b.category.as_deref(),
        b.status.as_deref(),
        b.commission.as_ref(),
        b.coupons.as_ref(),
    )?;
    let payout = b.payout.as_ref().map(Payout::checked).transpose()?;
    check_tax_id(b.tax_id.as_deref())?;
    check_payee_type(b.payee_type.as_deref())?;
    check_address(b.address.as_deref())?;
    check_recruiter_id(b.recruiter.as_deref())?;
    Ok((codes, payout))
}

/// The affiliate whose id is `id` whatever the case of its letters, if any: links are read
/// without regard to case (`?ref=Alice` credits `alice`), so two ids may not differ only in it.
pub async fn id_in_use(tx: &mut crate::db::Tx, id: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query("SELECT id FROM affiliates WHERE LOWER(id) = LOWER($1)")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?,
    )
}

/// Writes an affiliate that passed [`check_new`] in `tx`, with its coupons and the
/// `affiliate.created` entry by `by`. An id in use (in any case) or a concurrent duplicate
/// coupon is a 409.
pub async fn insert_new(
    tx: &mut crate::db::Tx,
    b: &CreateAffiliate,
    codes: &[String],
    payout: Option<&Payout>,
    by: &str,
) -> Result<(), AppError> {
    if let Some(existing) = id_in_use(tx, &b.id).await? {
        return Err(AppError::conflict(
            "affiliate_exists",
            format!("an affiliate with the id {existing} exists"),
        ));
    }
    let r = sqlx::query(
        "INSERT INTO affiliates (id, name, email, email_hash, payout_email, category, status, commission, created_at, updated_at, \
           payout_method, payout_bank, payout_account, payout_name, withholding_exempt, tax_id, address, payee_type, recruiter_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(&b.id)
    .bind(&b.name)
    .bind(b.email.as_deref())
    .bind(b.email.as_deref().and_then(reftrail::email::hash))
    .bind(b.payout_email.as_deref())
    .bind(b.category.as_deref().unwrap_or("other"))
    .bind(b.status.as_deref().unwrap_or("approved"))
    .bind(b.commission.as_ref().map(serde_json::to_string).transpose()?)
    .bind(now())
    .bind(payout.map(|p| p.method.clone()))
    .bind(payout.and_then(|p| p.bank.clone()))
    .bind(payout.map(|p| p.account.clone()))
    .bind(payout.and_then(|p| p.name.clone()))
    .bind(i64::from(b.withholding_exempt.unwrap_or(false)))
    .bind(b.tax_id.as_deref())
    .bind(b.address.as_deref())
    .bind(b.payee_type.as_deref())
    .bind(b.recruiter.as_deref())
    .execute(&mut **tx)
    .await;
    if let Err(e) = r {
        if is_unique_violation(&e) {
            return Err(AppError::conflict(
                "affiliate_exists",
                format!("an affiliate with the id {} exists", b.id),
            ));
        }
        return Err(e.into());
    }
    set_coupons(tx, &b.id, codes).await?;
    activity::record(tx, by, "affiliate.created", &b.id, Some(&b.id), json!({})).await
}

/// Creates an affiliate and answers its portal token once.
#[utoipa::path(post, path = "/v1/affiliates", tag = "merchant", request_body = CreateAffiliate,
    security(("secret_key" = []), ("session" = [])),
    responses((status = 201, body = AffiliateCreated), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn affiliates_create(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    AppJson(b): AppJson<CreateAffiliate>,
) -> Result<Response, AppError> {
    let (codes, payout) = check_new(&b)?;
    let mut tx = state.db.begin_write().await?;
    if let Some(r) = &b.recruiter {
        check_recruiter(&mut tx, &b.id, r).await?;
    }
    insert_new(&mut tx, &b, &codes, payout.as_ref(), &via.by()).await?;
    let token = credentials::new_affiliate_token(&mut tx, &b.id).await?;
    tx.commit().await?;
    let affiliate = load(&state, &b.id).await?;
    let location = format!("/v1/affiliates/{}", b.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(AffiliateCreated { affiliate, token }),
    )
        .into_response())
}

/// Filters of `GET /v1/affiliates`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct AffiliatesQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only affiliates with this email address (compared case-insensitively).
    pub email: Option<String>,
    /// Only this category.
    pub category: Option<String>,
    /// Only affiliates with this piece of text in their id, name, email or a coupon code,
    /// without regard to case or the accents of Latin letters (`nguyen` finds `Nguyễn`); at
    /// most 100 characters.
    pub q: Option<String>,
    /// Page size, 1 to 500.
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// A page of affiliates.
#[derive(Serialize, ToSchema)]
pub struct AffiliatesPage {
    /// By id.
    pub affiliates: Vec<AffiliateView>,
    /// How many match in all.
    pub total: i64,
}

/// Lists affiliates.
#[utoipa::path(get, path = "/v1/affiliates", tag = "merchant", params(AffiliatesQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = AffiliatesPage), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn affiliates_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<AffiliatesQuery>,
) -> Result<Json<AffiliatesPage>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    let status = q.status.unwrap_or_default();
    let category = q.category.unwrap_or_default();
    if (!status.is_empty() && !STATUSES.contains(&status.as_str()))
        || (!category.is_empty() && !CATEGORIES.contains(&category.as_str()))
    {
        return Err(AppError::bad("invalid_query", "unknown status or category"));
    }
    let email = q.email.unwrap_or_default();
    if email.len() > 254 {
        return Err(AppError::bad(
            "invalid_query",
            "email must be at most 254 bytes",
        ));
    }
    let filter = "WHERE ($1 = '' OR status = $1) AND ($2 = '' OR category = $2) \
                  AND ($3 = '' OR LOWER(email) = LOWER($3))";
    let text = q.q.as_deref().map(str::trim).unwrap_or_default();
    if text.chars().count() > 100 || text.chars().any(char::is_control) {
        return Err(AppError::bad(
            "invalid_query",
            "q must be at most 100 characters without control characters",
        ));
    }
    if !text.is_empty() {
        let found = search(&state, filter, [&status, &category, &email], text).await?;
        let total = i64::try_from(found.len()).unwrap_or(i64::MAX);
        let mut affiliates = Vec::new();
        for id in found
            .iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(limit).unwrap_or(0))
        {
            affiliates.push(load(&state, id).await?);
        }
        return Ok(Json(AffiliatesPage { affiliates, total }));
    }
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM affiliates {filter}"
    )))
    .bind(&status)
    .bind(&category)
    .bind(&email)
    .fetch_one(&state.db.pool)
    .await?
    .try_get(0)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} {filter} ORDER BY id LIMIT $4 OFFSET $5"
    )))
    .bind(&status)
    .bind(&category)
    .bind(&email)
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db.pool)
    .await?;
    let mut affiliates = Vec::with_capacity(rows.len());
    for r in &rows {
        affiliates.push(view(&state, r).await?);
    }
    Ok(Json(AffiliatesPage { affiliates, total }))
}

/// The ids, in order, of the affiliates `filter` (bound to `binds`) selects whose id, name,
/// email or a coupon code holds `text` (see [`crate::affiliate_search`]). The names and codes
/// are read and folded here: accents are beyond SQL's `LOWER` on SQLite.
async fn search(
    state: &AppState,
    filter: &str,
    binds: [&String; 3],
    text: &str,
) -> Result<Vec<String>, AppError> {
    let query = crate::affiliate_search::fold(text);
    let mut codes: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for r in sqlx::query("SELECT affiliate_id, code FROM coupons")
        .fetch_all(&state.db.pool)
        .await?
    {
        codes.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, email FROM affiliates {filter} ORDER BY id"
    )))
    .bind(binds[0])
    .bind(binds[1])
    .bind(binds[2])
    .fetch_all(&state.db.pool)
    .await?;
    let mut found = Vec::new();
    for r in rows {
        let id: String = r.try_get(0)?;
        let name: String = r.try_get(1)?;
        let email: Option<String> = r.try_get(2)?;
        let own = codes.get(&id).map(Vec::as_slice).unwrap_or_default();
        let fields = [id.as_str(), name.as_str(), email.as_deref().unwrap_or("")]
            .into_iter()
            .chain(own.iter().map(String::as_str));
        if crate::affiliate_search::matches(&query, fields) {
            found.push(id);
        }
    }
    Ok(found)
}

/// One affiliate.
#[utoipa::path(get, path = "/v1/affiliates/{id}", tag = "merchant", params(("id" = String, Path)),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = AffiliateView), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn affiliates_show(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
) -> Result<Json<AffiliateView>, AppError> {
    Ok(Json(load(&state, &id).await?))
}

/// A 404 unless the affiliate `id` exists.
async fn require_affiliate(tx: &mut crate::db::Tx, id: &str) -> Result<String, AppError> {
    let status = sqlx::query("SELECT status FROM affiliates WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match status {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(AppError::not_found(
            "affiliate_not_found",
            "no affiliate has this id",
        )),
    }
}

/// Changes an affiliate.
#[utoipa::path(patch, path = "/v1/affiliates/{id}", tag = "merchant", params(("id" = String, Path)), request_body = UpdateAffiliate,
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = AffiliateView), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn affiliates_update(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
    AppJson(b): AppJson<UpdateAffiliate>,
) -> Result<Json<AffiliateView>, AppError> {
    let codes = check_common(
        b.name.as_deref(),
        &b.email,
        &b.payout_email.clone().flatten(),
        b.category.as_deref(),
        b.status.as_deref(),
        b.commission.as_ref().and_then(|c| c.as_ref()),
        b.coupons.as_ref(),
    )?;
    let payout = match &b.payout {
        Some(Some(p)) => Some(Some(p.checked()?)),
        other => other.clone(),
    };
    check_tax_id(b.tax_id.clone().flatten().as_deref())?;
    check_payee_type(b.payee_type.clone().flatten().as_deref())?;
    check_address(b.address.clone().flatten().as_deref())?;
    check_recruiter_id(b.recruiter.clone().flatten().as_deref())?;
    let mut tx = state.db.begin_write().await?;
    let was = require_affiliate(&mut tx, &id).await?;
    if let Some(Some(r)) = &b.recruiter {
        check_recruiter(&mut tx, &id, r).await?;
    }
    let before = super::payouts::PaidTo::load(&mut tx, &id).await?;
    let shown = json_in(&mut tx, &id).await?;
    // One UPDATE of the columns the body names; each value is bound, the names are ours.
    let mut changes: Vec<(&str, Option<String>)> = Vec::new();
    if let Some(n) = &b.name {
        changes.push(("name", Some(n.clone())));
    }
    if let Some(e) = &b.email {
        changes.push(("email", Some(e.clone())));
        changes.push(("email_hash", reftrail::email::hash(e)));
    }
    if let Some(e) = &b.payout_email {
        changes.push(("payout_email", e.clone()));
    }
    if let Some(p) = &payout {
        let p = p.as_ref();
        changes.push(("payout_method", p.map(|p| p.method.clone())));
        changes.push(("payout_bank", p.and_then(|p| p.bank.clone())));
        changes.push(("payout_account", p.map(|p| p.account.clone())));
        changes.push(("payout_name", p.and_then(|p| p.name.clone())));
    }
    if let Some(t) = &b.tax_id {
        changes.push(("tax_id", t.clone()));
    }
    if let Some(t) = &b.payee_type {
        changes.push(("payee_type", t.clone()));
    }
    if let Some(a) = &b.address {
        changes.push(("address", a.clone()));
    }
    if let Some(c) = &b.category {
        changes.push(("category", Some(c.clone())));
    }
    if let Some(s) = &b.status {
        changes.push(("status", Some(s.clone())));
    }
    if let Some(c) = &b.commission {
        let rules = c.as_ref().map(serde_json::to_string).transpose()?;
        changes.push(("commission", rules));
    }
    if let Some(r) = &b.recruiter {
        changes.push(("recruiter_id", r.clone()));
    }
    if !changes.is_empty() {
        let mut set = String::new();
        for (i, (column, _)) in changes.iter().enumerate() {
            set.push_str(&format!("{column} = ${}, ", i + 1));
        }
        let n = changes.len();
        let sql = format!(
            "UPDATE affiliates SET {set}updated_at = ${} WHERE id = ${}",
            n + 1,
            n + 2
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (_, value) in changes {
            q = q.bind(value);
        }
        q.bind(now()).bind(&id).execute(&mut *tx).await?;
    }
    if let Some(exempt) = b.withholding_exempt {
        sqlx::query("UPDATE affiliates SET withholding_exempt = $1 WHERE id = $2")
            .bind(i64::from(exempt))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    if b.coupons.is_some() {
        set_coupons(&mut tx, &id, &codes).await?;
    }
    crate::affiliate_mail::payout_details_changed(&mut tx, &state, &id, &before).await?;
    record_changes(&mut tx, &via.by(), &id, &shown).await?;
    if was == "pending" && b.status.as_deref() == Some("approved") {
        let program = state.program().await?;
        crate::affiliate_mail::affiliate_approved(&mut tx, &state, &program, &id).await?;
    }
    tx.commit().await?;
    state.affiliate_changed(&id);
    Ok(Json(load(&state, &id).await?))
}

/// A new portal token.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct AffiliateToken {
    /// The affiliate.
    pub affiliate: String,
    /// The token (`at_…`), shown once; the previous one stops working.
    pub token: String,
}

/// Issues a new portal token for the affiliate (the magic link carries it).
#[utoipa::path(post, path = "/v1/affiliates/{id}/token", tag = "merchant", params(("id" = String, Path)),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 201, body = AffiliateToken), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn affiliates_token(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin_write().await?;
    require_affiliate(&mut tx, &id).await?;
    let token = credentials::new_affiliate_token(&mut tx, &id).await?;
    let by = &via.by();
    activity::record(
        &mut tx,
        by,
        "affiliate.token_issued",
        &id,
        Some(&id),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(AffiliateToken {
            affiliate: id,
            token,
        }),
    )
        .into_response())
}
