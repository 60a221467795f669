//! Payout requests: an affiliate asks to be paid their approved balance in one currency
//! (`POST /v1/me/payout-requests`) instead of waiting for the merchant's next batch; the merchant
//! sees the open ones (`GET /v1/payout-requests`), pays them with `POST /v1/payouts` (any payout
//! that pays the affiliate in that currency closes the request) or declines them with a reason.
//! The affiliate may take an open request back; they are emailed when one is declined.

use crate::auth::{AffiliateCaller, Merchant};
use crate::error::{AppError, AppJson, AppJsonOpt, AppQuery};
use crate::ids::new_id;
use crate::routes::payouts::PaidTo;
use crate::times::{self, now};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// The states of a request.
const STATUSES: [&str; 4] = ["open", "paid", "declined", "cancelled"];

/// The columns of a request, in the order [`from_row`] reads them.
const COLUMNS: &str =
    "id, affiliate_id, currency, amount, status, at, closed_at, payout_id, reason";

/// An affiliate's request to be paid.
#[derive(Serialize, ToSchema, Debug)]
pub struct PayoutRequestView {
    /// Id.
    pub id: String,
    /// The affiliate.
    pub affiliate: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The approved balance when it was asked, minor units.
    pub amount: i64,
    /// `open`, `paid`, `declined` or `cancelled` (taken back by the affiliate).
    pub status: String,
    /// When it was asked.
    pub at: String,
    /// When it was paid, declined or taken back.
    pub closed_at: Option<String>,
    /// The payout that paid it.
    pub payout_id: Option<String>,
    /// Why the merchant declined it.
    pub reason: Option<String>,
}

/// The body of `POST /v1/me/payout-requests`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPayoutRequest {
    /// The currency of the balance to be paid.
    pub currency: String,
}

/// The body of `POST /v1/payout-requests/{id}/decline`.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DeclinePayoutRequest {
    /// Why, shown to the affiliate (at most 500 bytes).
    pub reason: Option<String>,
}

/// An affiliate's requests, newest first.
#[derive(Serialize, ToSchema)]
pub struct MyPayoutRequests {
    /// At most the latest 50.
    pub requests: Vec<PayoutRequestView>,
}

/// A page of requests for the merchant.
#[derive(Serialize, ToSchema)]
pub struct PayoutRequestsPage {
    /// Newest first.
    pub requests: Vec<PayoutRequestView>,
    /// How many match the filters.
    pub total: i64,
}

/// Filters of `GET /v1/payout-requests`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct PayoutRequestsQuery {
    /// `open`, `paid`, `declined` or `cancelled`.
    pub status: Option<String>,
    /// Only this affiliate's.
    pub affiliate: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// The calling affiliate's requests.
#[utoipa::path(get, path = "/v1/me/payout-requests", tag = "affiliate", security(("affiliate_token" = [])),
    responses((status = 200, body = MyPayoutRequests), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_payout_requests(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
) -> Result<Json<MyPayoutRequests>, AppError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payout_requests WHERE affiliate_id = $1 ORDER BY at DESC, id DESC LIMIT 50"
    )))
    .bind(&id)
    .fetch_all(&state.db.pool)
    .await?;
    let requests = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok(Json(MyPayoutRequests { requests }))
}

/// Asks for the calling affiliate's approved balance in a currency to be paid.
#[utoipa::path(post, path = "/v1/me/payout-requests", tag = "affiliate", request_body = NewPayoutRequest,
    security(("affiliate_token" = [])),
    responses((status = 201, body = PayoutRequestView), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "One is open already, the balance is below the program's minimum, or there is nowhere to pay it")))]
pub async fn me_payout_requests_create(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppJson(b): AppJson<NewPayoutRequest>,
) -> Result<(StatusCode, Json<PayoutRequestView>), AppError> {
    if !reftrail::report::valid_currency(&b.currency) {
        return Err(AppError::bad(
            "invalid_currency",
            "currency must be an ISO 4217 code",
        ));
    }
    super::referrals::approve_due(&state).await?;
    let program = state.program().await?;
    let mut tx = state.db.begin_write().await?;
    // The payouts' lock: a payout made meanwhile either paid the balance before this reads it,
    // or sees this request and closes it.
    crate::ledger::lock(&state.db, &mut tx, "payouts").await?;
    let open = sqlx::query(
        "SELECT id FROM payout_requests WHERE affiliate_id = $1 AND currency = $2 AND status = 'open'",
    )
    .bind(&id)
    .bind(&b.currency)
    .fetch_optional(&mut *tx)
    .await?;
    if open.is_some() {
        return Err(AppError::conflict(
            "request_open",
            "a payout request in this currency is waiting already",
        ));
    }
    let balance = approved_balance(&mut tx, &id, &b.currency).await?;
    let min = program.min_payout_in(&b.currency);
    if balance < min {
        return Err(AppError::conflict(
            "below_minimum",
            format!(
                "the approved balance ({balance} minor units of {}) is below the smallest payout ({min})",
                b.currency
            ),
        ));
    }
    if !PaidTo::load(&mut tx, &id).await?.payable() {
        return Err(AppError::conflict(
            "no_payout_details",
            "add where to be paid (PayPal email or bank account) first",
        ));
    }
    let request = new_id("prq");
    let at = now();
    sqlx::query(
        "INSERT INTO payout_requests (id, affiliate_id, currency, amount, status, at) VALUES ($1, $2, $3, $4, 'open', $5)",
    )
    .bind(&request)
    .bind(&id)
    .bind(&b.currency)
    .bind(balance)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    let details = serde_json::json!({ "currency": b.currency, "amount": balance });
    crate::activity::record(
        &mut tx,
        &crate::activity::by_affiliate(&id),
        "payout.requested",
        &request,
        Some(&id),
        details,
    )
    .await?;
    let view = one(&mut tx, &request).await?;
    crate::team_mail::payout_requested(&mut tx, &state, &view).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Takes back one of the calling affiliate's open requests.
#[utoipa::path(delete, path = "/v1/me/payout-requests/{id}", tag = "affiliate", params(("id" = String, Path)),
    security(("affiliate_token" = [])),
    responses((status = 200, body = PayoutRequestView), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "Paid, declined or taken back already")))]
pub async fn me_payout_requests_cancel(
    State(state): State<AppState>,
    AffiliateCaller(affiliate): AffiliateCaller,
    Path(id): Path<String>,
) -> Result<Json<PayoutRequestView>, AppError> {
    let mut tx = state.db.begin_write().await?;
    let found = one(&mut tx, &id).await?;
    if found.affiliate != affiliate {
        return Err(not_found());
    }
    close(&mut tx, &found, "cancelled", None).await?;
    let view = one(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// Requests, newest first, with the filters.
#[utoipa::path(get, path = "/v1/payout-requests", tag = "merchant", params(PayoutRequestsQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = PayoutRequestsPage), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn payout_requests_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<PayoutRequestsQuery>,
) -> Result<Json<PayoutRequestsPage>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    let status = q.status.unwrap_or_default();
    if !status.is_empty() && !STATUSES.contains(&status.as_str()) {
        return Err(AppError::bad(
            "invalid_query",
            "status must be open, paid, declined or cancelled",
        ));
    }
    let affiliate = q.affiliate.unwrap_or_default();
    let filter = "($1 = '' OR status = $1) AND ($2 = '' OR affiliate_id = $2)";
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payout_requests WHERE {filter} ORDER BY at DESC, id DESC LIMIT $3 OFFSET $4"
    )))
    .bind(&status)
    .bind(&affiliate)
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db.pool)
    .await?;
    let requests = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM payout_requests WHERE {filter}"
    )))
    .bind(&status)
    .bind(&affiliate)
    .fetch_one(&state.db.pool)
    .await?
    .try_get(0)?;
    Ok(Json(PayoutRequestsPage { requests, total }))
}

/// Declines an open request; the reason is shown to the affiliate.
#[utoipa::path(post, path = "/v1/payout-requests/{id}/decline", tag = "merchant", params(("id" = String, Path)),
    request_body = Option<DeclinePayoutRequest>, security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = PayoutRequestView), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "Paid, declined or taken back already")))]
pub async fn payout_requests_decline(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
    AppJsonOpt(b): AppJsonOpt<DeclinePayoutRequest>,
) -> Result<Json<PayoutRequestView>, AppError> {
    let reason = b.unwrap_or_default().reason;
    super::check_note(reason.as_deref(), "invalid_reason", "reason")?;
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    let mut tx = state.db.begin_write().await?;
    let found = one(&mut tx, &id).await?;
    close(&mut tx, &found, "declined", reason.as_deref()).await?;
    let details = serde_json::json!({
        "currency": found.currency, "amount": found.amount, "reason": reason,
    });
    crate::activity::record(
        &mut tx,
        &via.by(),
        "payout.request_declined",
        &id,
        Some(&found.affiliate),
        details,
    )
    .await?;
    let notice = crate::affiliate_mail::DeclinedNotice {
        currency: found.currency.clone(),
        amount: found.amount,
        reason: reason.clone(),
    };
    crate::affiliate_mail::payout_request_declined(&mut tx, &state, &found.affiliate, &notice)
        .await?;
    let view = one(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// Closes the open requests of each `(affiliate, currency)` that payout `payout` pays, in its
/// transaction.
pub async fn close_paid(
    tx: &mut crate::db::Tx,
    payout: &str,
    paid: &[(String, String)],
    at: i64,
) -> Result<(), AppError> {
    for (affiliate, currency) in paid {
        sqlx::query(
            "UPDATE payout_requests SET status = 'paid', closed_at = $1, payout_id = $2 \
             WHERE affiliate_id = $3 AND currency = $4 AND status = 'open'",
        )
        .bind(at)
        .bind(payout)
        .bind(affiliate)
        .bind(currency)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The approved balance of `affiliate` in `currency`, minor units.
async fn approved_balance(
    tx: &mut crate::db::Tx,
    affiliate: &str,
    currency: &str,
) -> Result<i64, AppError> {
    Ok(sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger \
         WHERE affiliate_id = $1 AND currency = $2 AND bucket = 'approved'",
    )
    .bind(affiliate)
    .bind(currency)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?)
}

/// Sets `found` to `status` if it is still open; 409 `request_closed` otherwise.
async fn close(
    tx: &mut crate::db::Tx,
    found: &PayoutRequestView,
    status: &str,
    reason: Option<&str>,
) -> Result<(), AppError> {
    let moved = sqlx::query(
        "UPDATE payout_requests SET status = $1, closed_at = $2, reason = $3 WHERE id = $4 AND status = 'open'",
    )
    .bind(status)
    .bind(now())
    .bind(reason)
    .bind(&found.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(AppError::conflict(
            "request_closed",
            format!("this payout request is {} already", found.status),
        ));
    }
    Ok(())
}

/// Request `id`, or 404.
async fn one(tx: &mut crate::db::Tx, id: &str) -> Result<PayoutRequestView, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payout_requests WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(not_found)?;
    from_row(&row)
}

fn not_found() -> AppError {
    AppError::not_found("payout_request_not_found", "no payout request has this id")
}

/// A row read in [`COLUMNS`]' order.
fn from_row(r: &sqlx::any::AnyRow) -> Result<PayoutRequestView, AppError> {
    Ok(PayoutRequestView {
        id: r.try_get(0)?,
        affiliate: r.try_get(1)?,
        currency: r.try_get(2)?,
        amount: r.try_get(3)?,
        status: r.try_get(4)?,
        at: times::format(r.try_get(5)?),
        closed_at: r.try_get::<Option<i64>, _>(6)?.map(times::format),
        payout_id: r.try_get(7)?,
        reason: r.try_get(8)?,
    })
}
