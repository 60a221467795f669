//! Bonuses: money the merchant gives an affiliate outside any referral (a contest prize, a
//! launch bonus, a goodwill correction). `POST /v1/bonuses`, `GET /v1/bonuses`,
//! `POST /v1/bonuses/{id}/cancel` (merchant) and `GET /v1/me/bonuses` (the affiliate).
//!
//! A bonus is payable at once: one ledger row into `approved` under its `bonus_id`, so balances
//! and the next payout include it like commission (the payout marks it `paid`). Until then it
//! can be cancelled, which takes the amount back out of `approved`. Giving and cancelling hold
//! the payouts' lock, so a payout either pays a bonus or never sees it.

use super::idempotency::{self, remember};
use super::valid_text;
use crate::activity;
use crate::auth::{AffiliateCaller, Merchant};
use crate::db::Tx;
use crate::error::{AppError, AppJson, AppQuery};
use crate::ids::{new_id, sha256_hex};
use crate::ledger::{self, bucket, Entry};
use crate::times::{self, now};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

/// The longest reason, in bytes.
const MAX_REASON_LEN: usize = 200;

/// A bonus, as the merchant sees it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Bonus {
    /// Id.
    pub id: String,
    /// The affiliate it is for.
    pub affiliate: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// What it is for (the affiliate sees it).
    pub reason: String,
    /// `approved` (payable), `paid` or `cancelled`.
    pub status: String,
    /// The payout that paid it.
    pub payout_id: Option<String>,
    /// When it was given.
    pub created_at: String,
    /// When it was cancelled.
    pub cancelled_at: Option<String>,
    /// Who gave it, as the activity log names them.
    pub by: String,
}

/// A bonus, as its affiliate sees it.
#[derive(Serialize, ToSchema)]
pub struct MyBonus {
    /// Id.
    pub id: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// What it is for.
    pub reason: String,
    /// `approved` (to be paid by the next payout) or `paid`.
    pub status: String,
    /// The payout that paid it.
    pub payout_id: Option<String>,
    /// When it was given.
    pub created_at: String,
}

/// A page of bonuses.
#[derive(Serialize, ToSchema)]
pub struct Bonuses {
    /// Newest first.
    pub bonuses: Vec<Bonus>,
    /// How many match the filters.
    pub total: i64,
}

/// A page of the affiliate's bonuses.
#[derive(Serialize, ToSchema)]
pub struct MyBonuses {
    /// Newest first; cancelled ones left out.
    pub bonuses: Vec<MyBonus>,
    /// How many there are.
    pub total: i64,
}

/// The body of `POST /v1/bonuses`. Fields are read as JSON values so that a wrong type gets
/// the field's own error code.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBonus {
    /// An approved affiliate's id.
    #[schema(value_type = String)]
    pub affiliate: Option<Value>,
    /// Minor units, 1 to 2^53 − 1.
    #[schema(value_type = i64)]
    pub amount: Option<Value>,
    /// ISO 4217 code.
    #[schema(value_type = String)]
    pub currency: Option<Value>,
    /// What it is for, shown to the affiliate: 1 to 200 bytes, one line.
    #[schema(value_type = String)]
    pub reason: Option<Value>,
}

/// A checked [`NewBonus`].
struct Checked {
    affiliate: String,
    amount: i64,
    currency: String,
    reason: String,
}

impl NewBonus {
    fn checked(&self) -> Result<Checked, AppError> {
        let affiliate = self
            .affiliate
            .as_ref()
            .and_then(Value::as_str)
            .filter(|a| reftrail::affiliate::is_valid(a))
            .ok_or_else(|| {
                AppError::bad("invalid_affiliate", "affiliate must be an affiliate id")
            })?;
        let amount = self
            .amount
            .as_ref()
            .and_then(Value::as_i64)
            .filter(|n| (1..=reftrail::report::MAX_AMOUNT).contains(n))
            .ok_or_else(|| {
                AppError::bad(
                    "invalid_amount",
                    "amount must be a whole number of minor units, 1 or more",
                )
            })?;
        let currency = self
            .currency
            .as_ref()
            .and_then(Value::as_str)
            .filter(|c| reftrail::report::valid_currency(c))
            .ok_or_else(|| {
                AppError::bad("invalid_currency", "currency must be an ISO 4217 code")
            })?;
        let reason = self
            .reason
            .as_ref()
            .and_then(Value::as_str)
            .map(|r| r.trim_matches(' '))
            .filter(|r| valid_text(r, MAX_REASON_LEN))
            .ok_or_else(|| {
                AppError::bad(
                    "invalid_reason",
                    format!("reason must be 1 to {MAX_REASON_LEN} bytes, one line"),
                )
            })?;
        Ok(Checked {
            affiliate: affiliate.to_owned(),
            amount,
            currency: currency.to_owned(),
            reason: reason.to_owned(),
        })
    }
}

/// Filters and page of `GET /v1/bonuses`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct BonusesQuery {
    /// Only this affiliate's.
    pub affiliate: Option<String>,
    /// Only `approved`, `paid` or `cancelled` ones.
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// Page of `GET /v1/me/bonuses`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct MyBonusesQuery {
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

const COLUMNS: &str =
    "id, affiliate_id, amount, currency, reason, status, payout_id, created_at, cancelled_at, by_whom";

fn from_row(r: &AnyRow) -> Result<Bonus, sqlx::Error> {
    Ok(Bonus {
        id: r.try_get(0)?,
        affiliate: r.try_get(1)?,
        amount: r.try_get(2)?,
        currency: r.try_get(3)?,
        reason: r.try_get(4)?,
        status: r.try_get(5)?,
        payout_id: r.try_get(6)?,
        created_at: times::format(r.try_get(7)?),
        cancelled_at: r.try_get::<Option<i64>, _>(8)?.map(times::format),
        by: r.try_get(9)?,
    })
}

async fn load(tx: &mut Tx, id: &str) -> Result<Bonus, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bonuses WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| AppError::not_found("bonus_not_found", "no bonus has this id"))?;
    Ok(from_row(&row)?)
}

/// The ledger row of a bonus's money moving into or out of `approved`.
fn entry<'a>(b: &'a Bonus, entry: &'a str, amount: i64) -> Entry<'a> {
    Entry {
        affiliate: &b.affiliate,
        referral: None,
        bonus: Some(&b.id),
        recruiter_commission: None,
        payout: None,
        bucket: bucket::APPROVED,
        entry,
        amount,
        currency: &b.currency,
    }
}

/// Gives an affiliate a bonus, payable at once.
#[utoipa::path(post, path = "/v1/bonuses", tag = "merchant", request_body = NewBonus,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to the same request")),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 201, body = Bonus), (status = 200, body = Bonus, description = "A replay of the same Idempotency-Key"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn bonuses_create(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    headers: HeaderMap,
    AppJson(body): AppJson<NewBonus>,
) -> Result<Response, AppError> {
    let idem = super::idempotency_key(&headers)?;
    let b = body.checked()?;
    let request_hash = sha256_hex(&serde_json::to_string(&body)?);
    let reused = "this Idempotency-Key was used for a different bonus";
    if let Some(k) = &idem {
        if let Some(stored) = idempotency::lookup(&state.db.pool, "bonus", k).await? {
            return idempotency::answer(stored, &request_hash, Some(reused));
        }
    }
    let program = state.program().await?;
    let mut tx = state.db.begin_write().await?;
    ledger::lock(&state.db, &mut tx, "payouts").await?;
    if let Some(k) = &idem {
        // The same key may have committed while this request waited for the lock.
        if let Some(r) =
            idempotency::committed_answer(&mut tx, "bonus", k, &request_hash, "Idempotency-Key")
                .await?
        {
            return Ok(r);
        }
    }
    let status: String = sqlx::query("SELECT status FROM affiliates WHERE id = $1")
        .bind(&b.affiliate)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found("affiliate_not_found", "no affiliate has this id"))?
        .try_get(0)?;
    if status != "approved" {
        return Err(AppError::unprocessable(
            "affiliate_not_approved",
            format!("a {status} affiliate cannot be given a bonus; approve them first"),
        ));
    }
    let id = new_id("bo");
    sqlx::query(
        "INSERT INTO bonuses (id, affiliate_id, amount, currency, reason, status, by_whom, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'approved', $6, $7)",
    )
    .bind(&id)
    .bind(&b.affiliate)
    .bind(b.amount)
    .bind(&b.currency)
    .bind(&b.reason)
    .bind(via.by())
    .bind(now())
    .execute(&mut *tx)
    .await?;
    let bonus = load(&mut tx, &id).await?;
    ledger::append(&mut tx, entry(&bonus, "bonus", bonus.amount)).await?;
    crate::affiliate_mail::bonus_created(&mut tx, &state, &program, &bonus).await?;
    crate::webhooks::enqueue(&mut tx, &program, "bonus.created", &bonus).await?;
    let details =
        json!({"amount": bonus.amount, "currency": bonus.currency, "reason": bonus.reason});
    let affiliate = Some(bonus.affiliate.as_str());
    activity::record(&mut tx, &via.by(), "bonus.created", &id, affiliate, details).await?;
    let text = serde_json::to_string(&bonus)?;
    if let Some(k) = &idem {
        remember(&mut tx, "bonus", k, &request_hash, &text).await?;
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response())
}

/// Lists bonuses, newest first.
#[utoipa::path(get, path = "/v1/bonuses", tag = "merchant", params(BonusesQuery), security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Bonuses), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn bonuses_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<BonusesQuery>,
) -> Result<Json<Bonuses>, AppError> {
    let status = q.status.unwrap_or_default();
    if !matches!(status.as_str(), "" | "approved" | "paid" | "cancelled") {
        return Err(AppError::bad(
            "invalid_status",
            "status must be approved, paid or cancelled",
        ));
    }
    let affiliate = q.affiliate.unwrap_or_default();
    if !affiliate.is_empty() && !reftrail::affiliate::is_valid(&affiliate) {
        return Err(AppError::bad(
            "invalid_affiliate",
            "affiliate must be an affiliate id",
        ));
    }
    let (limit, offset) = super::page(q.limit, q.offset)?;
    const FILTER: &str = "($1 = '' OR affiliate_id = $1) AND ($2 = '' OR status = $2)";
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bonuses WHERE {FILTER} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
    )))
    .bind(&affiliate)
    .bind(&status)
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db.pool)
    .await?;
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM bonuses WHERE {FILTER}"
    )))
    .bind(&affiliate)
    .bind(&status)
    .fetch_one(&state.db.pool)
    .await?
    .try_get(0)?;
    Ok(Json(Bonuses {
        bonuses: rows.iter().map(from_row).collect::<Result<_, _>>()?,
        total,
    }))
}

/// Cancels a bonus not yet paid: its money leaves the affiliate's payable balance. Cancelling
/// a cancelled bonus answers it as it is.
#[utoipa::path(post, path = "/v1/bonuses/{id}/cancel", tag = "merchant", params(("id" = String, Path)),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Bonus), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn bonuses_cancel(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
) -> Result<Json<Bonus>, AppError> {
    let program = state.program().await?;
    let mut tx = state.db.begin_write().await?;
    ledger::lock(&state.db, &mut tx, "payouts").await?;
    let before = load(&mut tx, &id).await?;
    match before.status.as_str() {
        "cancelled" => return Ok(Json(before)),
        "approved" => {}
        other => {
            return Err(AppError::conflict(
                "invalid_status",
                format!("a {other} bonus cannot be cancelled"),
            ));
        }
    }
    sqlx::query("UPDATE bonuses SET status = 'cancelled', cancelled_at = $1 WHERE id = $2")
        .bind(now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    ledger::append(&mut tx, entry(&before, "bonus_cancel", -before.amount)).await?;
    let affiliate = Some(before.affiliate.as_str());
    activity::record(
        &mut tx,
        &via.by(),
        "bonus.cancelled",
        &id,
        affiliate,
        json!({}),
    )
    .await?;
    let after = load(&mut tx, &id).await?;
    crate::webhooks::enqueue(&mut tx, &program, "bonus.cancelled", &after).await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// The affiliate's bonuses, newest first (cancelled ones left out).
#[utoipa::path(get, path = "/v1/me/bonuses", tag = "affiliate", params(MyBonusesQuery), security(("affiliate_token" = [])),
    responses((status = 200, body = MyBonuses), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_bonuses(
    State(state): State<AppState>,
    AffiliateCaller(affiliate): AffiliateCaller,
    AppQuery(q): AppQuery<MyBonusesQuery>,
) -> Result<Json<MyBonuses>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    const MINE: &str = "affiliate_id = $1 AND status <> 'cancelled'";
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM bonuses WHERE {MINE} ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(&affiliate)
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db.pool)
    .await?;
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM bonuses WHERE {MINE}"
    )))
    .bind(&affiliate)
    .fetch_one(&state.db.pool)
    .await?
    .try_get(0)?;
    let bonuses = rows
        .iter()
        .map(|r| {
            let b = from_row(r)?;
            Ok(MyBonus {
                id: b.id,
                amount: b.amount,
                currency: b.currency,
                reason: b.reason,
                status: b.status,
                payout_id: b.payout_id,
                created_at: b.created_at,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Json(MyBonuses { bonuses, total }))
}
