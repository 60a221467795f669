//! The referral ledger's review: `GET /v1/referrals[/{id}]`, `POST /v1/referrals/{id}/approve`,
//! `POST /v1/referrals/{id}/reject`, and the automatic approval when the hold period ends.

use crate::activity;
use crate::auth::Merchant;
use crate::db::Tx;
use crate::error::{AppError, AppQuery};
use crate::export;
use crate::ledger::{self, bucket, Entry};
use crate::times::{self, now};
use crate::webhooks;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

/// A referral: a credited lead or sale and its commission.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct ReferralView {
    /// Id.
    pub id: String,
    /// `sale` or `lead`.
    pub kind: String,
    /// The credited affiliate.
    pub affiliate: String,
    /// The shop's order id (sales).
    pub order_id: Option<String>,
    /// The lead's event (leads).
    pub event: Option<String>,
    /// When the conversion happened.
    pub at: String,
    /// Order amount, minor units (0 for leads).
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The commission first owed, minor units.
    pub commission: i64,
    /// The commission now owed: first owed less reversals and rejection (from the ledger).
    pub commission_net: i64,
    /// `pending`, `approved`, `paid`, `rejected`, `reversed`.
    pub status: String,
    /// Whether a secret key reported the conversion.
    pub verified: bool,
    /// How the affiliate was found: `renewal`, `coupon`, `cookie`, `click_id`, `touch`.
    pub attributed_by: String,
    /// The campaign of what credited it: the click's `utm_campaign` (else `campaign`), the
    /// browser touch's, for a renewal or a returning customer that of the conversion it
    /// follows; none for a coupon.
    pub campaign: Option<String>,
    /// Fraud signals (`self_referral`, `bot_user_agent`, `click_velocity`, `conversion_rate`,
    /// `paid_ads`).
    pub flags: Vec<String>,
    /// When the hold period ends.
    pub hold_until: String,
    /// The payout that paid it.
    pub payout_id: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.kind, r.affiliate_id, o.order_id, l.event, r.at, r.amount, r.currency, r.commission, \
    CAST(COALESCE((SELECT SUM(g.amount) FROM ledger g WHERE g.referral_id = r.id), 0) AS BIGINT), \
    r.status, r.verified, r.attributed_by, r.flags, r.hold_until, r.payout_id, r.campaign \
    FROM referrals r LEFT JOIN orders o ON o.id = r.source_id LEFT JOIN leads l ON l.id = r.source_id";

fn from_row(r: &AnyRow) -> Result<ReferralView, AppError> {
    let flags: String = r.try_get(13)?;
    Ok(ReferralView {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        affiliate: r.try_get(2)?,
        order_id: r.try_get(3)?,
        event: r.try_get(4)?,
        at: times::format(r.try_get(5)?),
        amount: r.try_get(6)?,
        currency: r.try_get(7)?,
        commission: r.try_get(8)?,
        commission_net: r.try_get(9)?,
        status: r.try_get(10)?,
        verified: r.try_get::<i64, _>(11)? != 0,
        attributed_by: r.try_get(12)?,
        flags: serde_json::from_str(&flags)?,
        hold_until: times::format(r.try_get(14)?),
        payout_id: r.try_get(15)?,
        campaign: r.try_get(16)?,
    })
}

/// One referral, read inside `tx`.
pub async fn referral_view(tx: &mut Tx, id: &str) -> Result<ReferralView, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1")))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| AppError::not_found("referral_not_found", "no referral has this id"))?;
    from_row(&row)
}

/// Filters of `GET /v1/referrals`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ReferralsQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only this affiliate's.
    pub affiliate: Option<String>,
    /// Only those credited with this campaign (exactly as named).
    pub campaign: Option<String>,
    /// Only flagged (`true`) or unflagged (`false`) ones.
    pub flagged: Option<bool>,
    /// Only those whose conversion was verified (`true`: reported with the secret key or by the
    /// shop's platform) or not (`false`: reported by the shop's page).
    pub verified: Option<bool>,
    /// From (RFC 3339 or YYYY-MM-DD), inclusive.
    pub from: Option<String>,
    /// To, exclusive.
    pub to: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// A page of referrals.
#[derive(Serialize, ToSchema)]
pub struct ReferralsPage {
    /// Newest first.
    pub referrals: Vec<ReferralView>,
    /// How many referrals the filters match in all.
    pub total: i64,
}

const STATUSES: [&str; 5] = ["pending", "approved", "paid", "rejected", "reversed"];

/// Lists referrals (approving those whose hold ended first).
#[utoipa::path(get, path = "/v1/referrals", tag = "merchant", params(ReferralsQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = ReferralsPage), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn referrals_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ReferralsQuery>,
) -> Result<Json<ReferralsPage>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    let referrals = filtered(&state, &q, limit, offset).await?;
    let total = matching(&state, &q).await?;
    Ok(Json(ReferralsPage { referrals, total }))
}

/// The most referrals one CSV export holds; a larger one asks for a shorter period.
pub const MAX_EXPORT: i64 = 100_000;

/// The columns of the referral ledger's CSV.
const CSV_HEADER: [&str; 17] = [
    "referral_id",
    "at",
    "kind",
    "affiliate",
    "order_id",
    "event",
    "currency",
    "amount",
    "commission",
    "commission_net",
    "status",
    "attributed_by",
    "verified",
    "flags",
    "hold_until",
    "payout_id",
    "campaign",
];

/// The referral ledger as CSV, with the filters of `GET /v1/referrals` (without paging), newest
/// first; amounts are decimals in the currency's units.
#[utoipa::path(get, path = "/v1/referrals.csv", tag = "merchant", params(ReferralsQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = String, content_type = "text/csv"), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody, description = "More than 100,000 referrals: export a shorter period")))]
pub async fn referrals_csv(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ReferralsQuery>,
) -> Result<Response, AppError> {
    if q.limit.is_some() || q.offset.is_some() {
        return Err(AppError::bad(
            "invalid_query",
            "the export has no pages: leave out limit and offset",
        ));
    }
    let rows = filtered(&state, &q, MAX_EXPORT + 1, 0).await?;
    if rows.len() as i64 > MAX_EXPORT {
        return Err(AppError::unprocessable(
            "export_too_large",
            "more than 100,000 referrals match: export a shorter period",
        ));
    }
    let text = export::csv(
        Some(&CSV_HEADER),
        rows.iter().map(|r| {
            [
                r.id.clone(),
                r.at.clone(),
                r.kind.clone(),
                r.affiliate.clone(),
                export::cell(r.order_id.as_deref().unwrap_or("")),
                export::cell(r.event.as_deref().unwrap_or("")),
                r.currency.clone(),
                export::decimal(r.amount, &r.currency),
                export::decimal(r.commission, &r.currency),
                export::decimal(r.commission_net, &r.currency),
                r.status.clone(),
                r.attributed_by.clone(),
                r.verified.to_string(),
                r.flags.join(" "),
                r.hold_until.clone(),
                r.payout_id.clone().unwrap_or_default(),
                export::cell(r.campaign.as_deref().unwrap_or("")),
            ]
        }),
    )?;
    Ok(export::download("referrals.csv", text))
}

/// The filters of `q` as a WHERE clause over `referrals r` whose values are `$1` (status or
/// ''), `$2` (affiliate or ''), `$3` and `$4` (the period), `$5` (campaign or ''); with those
/// values.
struct Filter {
    sql: String,
    status: String,
    affiliate: String,
    from: i64,
    to: i64,
    campaign: String,
}

fn conditions(q: &ReferralsQuery) -> Result<Filter, AppError> {
    let status = q.status.clone().unwrap_or_default();
    if !status.is_empty() && !STATUSES.contains(&status.as_str()) {
        return Err(AppError::bad(
            "invalid_query",
            "status must be pending, approved, paid, rejected or reversed",
        ));
    }
    let (from, to) = super::reports::range(q.from.as_deref(), q.to.as_deref())?;
    let flagged = match q.flagged {
        None => "",
        Some(true) => " AND r.flags <> '[]'",
        Some(false) => " AND r.flags = '[]'",
    };
    let verified = match q.verified {
        None => "",
        Some(true) => " AND r.verified = 1",
        Some(false) => " AND r.verified = 0",
    };
    let campaign = q.campaign.clone().unwrap_or_default();
    if q.campaign.is_some() && !super::valid_text(&campaign, reftrail::touch::MAX_TAG_VALUE_LEN) {
        return Err(AppError::bad(
            "invalid_query",
            "campaign must be 1 to 256 bytes without control characters",
        ));
    }
    let sql = format!(
        "($1 = '' OR r.status = $1) AND ($2 = '' OR r.affiliate_id = $2) AND r.at >= $3 AND r.at < $4 \
         AND ($5 = '' OR r.campaign = $5){flagged}{verified}"
    );
    Ok(Filter {
        sql,
        status,
        affiliate: q.affiliate.clone().unwrap_or_default(),
        from,
        to,
        campaign,
    })
}

/// The referrals `q` selects, newest first (approving those whose hold ended first).
async fn filtered(
    state: &AppState,
    q: &ReferralsQuery,
    limit: i64,
    offset: i64,
) -> Result<Vec<ReferralView>, AppError> {
    let f = conditions(q)?;
    approve_due(state).await?;
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY r.at DESC, r.id DESC LIMIT $6 OFFSET $7",
        f.sql
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(f.status)
        .bind(f.affiliate)
        .bind(f.from)
        .bind(f.to)
        .bind(f.campaign)
        .bind(limit)
        .bind(offset)
        .fetch_all(&state.db.pool)
        .await?;
    rows.iter().map(from_row).collect()
}

/// How many referrals the filters of `q` match (after [`filtered`] has approved those due).
async fn matching(state: &AppState, q: &ReferralsQuery) -> Result<i64, AppError> {
    let f = conditions(q)?;
    let sql = format!("SELECT COUNT(*) FROM referrals r WHERE {}", f.sql);
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(f.status)
        .bind(f.affiliate)
        .bind(f.from)
        .bind(f.to)
        .bind(f.campaign)
        .fetch_one(&state.db.pool)
        .await?
        .try_get(0)?)
}

/// One referral.
#[utoipa::path(get, path = "/v1/referrals/{id}", tag = "merchant", params(("id" = String, Path)),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = ReferralView), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn referrals_show(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
) -> Result<Json<ReferralView>, AppError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = $1")))
        .bind(&id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| AppError::not_found("referral_not_found", "no referral has this id"))?;
    Ok(Json(from_row(&row)?))
}

/// Moves a pending referral's money to approved. Returns false if it was not pending.
async fn approve_in(tx: &mut Tx, id: &str) -> Result<bool, AppError> {
    let changed = sqlx::query("UPDATE referrals SET status = 'approved', decided_at = $1 WHERE id = $2 AND status = 'pending'")
        .bind(now())
        .bind(id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if changed != 1 {
        return Ok(false);
    }
    let row = sqlx::query("SELECT affiliate_id, currency FROM referrals WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let affiliate: String = row.try_get(0)?;
    let currency: String = row.try_get(1)?;
    let (pending, _, _) = ledger::referral_buckets(tx, id).await?;
    let e = |bucket, amount| Entry {
        affiliate: &affiliate,
        referral: Some(id),
        bonus: None,
        recruiter_commission: None,
        payout: None,
        bucket,
        entry: "approval",
        amount,
        currency: &currency,
    };
    ledger::append(tx, e(bucket::PENDING, -pending)).await?;
    ledger::append(tx, e(bucket::APPROVED, pending)).await?;
    crate::recruiters::approved(tx, id).await?;
    Ok(true)
}

/// Approves by hand (also a flagged or unverified referral, and before the hold ends).
#[utoipa::path(post, path = "/v1/referrals/{id}/approve", tag = "merchant", params(("id" = String, Path)),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = ReferralView), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn referrals_approve(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
) -> Result<Json<ReferralView>, AppError> {
    let program = state.program().await?;
    let mut tx = state.db.begin_write().await?;
    ledger::lock(&state.db, &mut tx, &format!("referral:{id}")).await?;
    let before = referral_view(&mut tx, &id).await?;
    match before.status.as_str() {
        "approved" | "paid" => return Ok(Json(before)),
        "pending" => {}
        other => {
            return Err(AppError::conflict(
                "invalid_status",
                format!("a {other} referral cannot be approved"),
            ));
        }
    }
    approve_in(&mut tx, &id).await?;
    let view = referral_view(&mut tx, &id).await?;
    webhooks::enqueue(&mut tx, &program, "referral.approved", &view).await?;
    crate::postbacks::enqueue(&mut tx, "referral.approved", &view.id).await?;
    let by = via.by();
    let (by, affiliate) = (by.as_str(), Some(view.affiliate.as_str()));
    activity::record(&mut tx, by, "referral.approved", &id, affiliate, json!({})).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// The body of a rejection.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RejectReferral {
    /// Why (kept in the log).
    pub reason: Option<String>,
}

/// Rejects a pending or approved referral: its remaining commission leaves the ledger.
#[utoipa::path(post, path = "/v1/referrals/{id}/reject", tag = "merchant", params(("id" = String, Path)),
    request_body(content = Option<RejectReferral>, content_type = "application/json"),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = ReferralView), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn referrals_reject(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
    crate::error::AppJsonOpt(body): crate::error::AppJsonOpt<RejectReferral>,
) -> Result<Json<ReferralView>, AppError> {
    let reject = body.unwrap_or_default();
    super::check_note(reject.reason.as_deref(), "invalid_reason", "reason")?;
    let program = state.program().await?;
    let mut tx = state.db.begin_write().await?;
    ledger::lock(&state.db, &mut tx, &format!("referral:{id}")).await?;
    let before = referral_view(&mut tx, &id).await?;
    match before.status.as_str() {
        "rejected" => return Ok(Json(before)),
        "pending" | "approved" => {}
        other => {
            return Err(AppError::conflict(
                "invalid_status",
                format!("a {other} referral cannot be rejected"),
            ));
        }
    }
    crate::rollups::referral_sub(&mut tx, &id).await?;
    sqlx::query("UPDATE referrals SET status = 'rejected', decided_at = $1 WHERE id = $2")
        .bind(now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    crate::rollups::referral_add(&mut tx, &id).await?;
    let (pending, approved, _) = ledger::referral_buckets(&mut tx, &id).await?;
    let e = |bucket, amount| Entry {
        affiliate: &before.affiliate,
        referral: Some(&id),
        bonus: None,
        recruiter_commission: None,
        payout: None,
        bucket,
        entry: "rejection",
        amount,
        currency: &before.currency,
    };
    ledger::append(&mut tx, e(bucket::PENDING, -pending)).await?;
    ledger::append(&mut tx, e(bucket::APPROVED, -approved)).await?;
    crate::recruiters::rejected(&mut tx, &id).await?;
    let view = referral_view(&mut tx, &id).await?;
    webhooks::enqueue(&mut tx, &program, "referral.reversed", &view).await?;
    crate::postbacks::enqueue(&mut tx, "referral.reversed", &view.id).await?;
    let details = json!({ "reason": reject.reason });
    let by = via.by();
    let (by, affiliate) = (by.as_str(), Some(view.affiliate.as_str()));
    activity::record(&mut tx, by, "referral.rejected", &id, affiliate, details).await?;
    tx.commit().await?;
    tracing::info!(referral = %id, reason = reject.reason.as_deref().unwrap_or(""), "referral rejected");
    Ok(Json(view))
}

/// Approves every verified, unflagged pending referral whose hold period has ended (when the
/// program approves automatically). Each in its own transaction; safe with several processes.
pub async fn approve_due(state: &AppState) -> Result<usize, AppError> {
    let program = state.program().await?;
    if !program.auto_approve {
        return Ok(0);
    }
    let ids: Vec<String> = sqlx::query(
        "SELECT id FROM referrals WHERE status = 'pending' AND hold_until <= $1 AND verified = 1 AND flags = '[]' \
         ORDER BY hold_until LIMIT 500",
    )
    .bind(now())
    .fetch_all(&state.db.pool)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    let mut n = 0;
    for id in ids {
        let mut tx = state.db.begin_write().await?;
        ledger::lock(&state.db, &mut tx, &format!("referral:{id}")).await?;
        if approve_in(&mut tx, &id).await? {
            let view = referral_view(&mut tx, &id).await?;
            webhooks::enqueue(&mut tx, &program, "referral.approved", &view).await?;
            crate::postbacks::enqueue(&mut tx, "referral.approved", &view.id).await?;
            n += 1;
        }
        tx.commit().await?;
    }
    Ok(n)
}
