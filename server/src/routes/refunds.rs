//! `POST /v1/refunds`: a full or partial refund of an order reverses its commission in
//! proportion (`reftrail::commission::reverse_part`, rounding half to even on the running
//! total, so the reversals of all partial refunds add up to the whole commission), and takes
//! back the order's cost of goods, when it has one, by the same rule.

use super::idempotency::{self, remember};
use super::referrals::{referral_view, ReferralView};
use super::{idempotency_key, valid_text};
use crate::activity;
use crate::auth::Merchant;
use crate::error::{AppError, AppJson};
use crate::ids::{new_id, sha256_hex};
use crate::ledger::{self, bucket, Entry};
use crate::times::{self, now};
use crate::webhooks;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;

/// The body of `POST /v1/refunds`.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRefund {
    /// The shop's order id.
    pub order_id: String,
    /// Refunded amount, minor units; default: everything not yet refunded.
    pub amount: Option<i64>,
    /// Must equal the order's currency when given.
    pub currency: Option<String>,
    /// The shop's refund id: the idempotency key (or send `Idempotency-Key`).
    pub refund_id: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

/// A recorded refund.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct RefundView {
    /// Id.
    pub id: String,
    /// The shop's order id.
    pub order_id: String,
    /// Refunded now, minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Refunded so far on the order, this one included.
    pub refunded_total: i64,
    /// When.
    pub at: String,
}

/// The answer to a refund.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct RefundCreated {
    /// The refund.
    pub refund: RefundView,
    /// Commission reversed by this refund, minor units.
    pub commission_reversed: i64,
    /// The order's referral after the reversal, if it had one.
    pub referral: Option<ReferralView>,
}

/// Records a refund and reverses the commission in proportion.
#[utoipa::path(post, path = "/v1/refunds", tag = "merchant",
    request_body(content = CreateRefund, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Identifies the refund when refund_id is absent")),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 201, body = RefundCreated), (status = 200, body = RefundCreated, description = "A replay"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn refunds_create(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    headers: HeaderMap,
    AppJson(body): AppJson<CreateRefund>,
) -> Result<Response, AppError> {
    let idem = idempotency_key(&headers)?;
    if !valid_text(&body.order_id, 128) {
        return Err(AppError::bad(
            "invalid_order_id",
            "order_id must be 1 to 128 characters",
        ));
    }
    if body
        .amount
        .is_some_and(|a| !(1..=reftrail::report::MAX_AMOUNT).contains(&a))
    {
        return Err(AppError::bad(
            "invalid_amount",
            "amount must be a positive integer of minor units",
        ));
    }
    if body
        .refund_id
        .as_deref()
        .is_some_and(|r| !valid_text(r, 128))
    {
        return Err(AppError::bad(
            "invalid_refund_id",
            "refund_id must be 1 to 128 characters",
        ));
    }
    super::check_note(body.reason.as_deref(), "invalid_reason", "reason")?;
    if body
        .currency
        .as_deref()
        .is_some_and(|c| !reftrail::report::valid_currency(c))
    {
        return Err(AppError::bad(
            "invalid_currency",
            "currency must be an ISO 4217 code",
        ));
    }
    let refund_key = match (&body.refund_id, &idem, body.amount) {
        (Some(r), _, _) => format!("r:{r}"),
        (None, Some(k), _) => format!("k:{k}"),
        (None, None, None) => format!("full:{}", body.order_id),
        (None, None, Some(_)) => {
            return Err(AppError::bad(
                "missing_refund_id",
                "a partial refund needs refund_id or an Idempotency-Key, so a retry is not counted twice",
            ))
        }
    };
    let request_hash = sha256_hex(&serde_json::to_string(&body)?);
    if let Some(stored) = idempotency::lookup(&state.db.pool, "refund", &refund_key).await? {
        let res = idempotency::answer(
            stored,
            &request_hash,
            Some("this refund id was used for a different refund"),
        )?;
        crate::metrics::inc(&state.metrics.replays);
        return Ok(res);
    }

    let program = state.program().await?;
    let mut tx = state.db.begin_write().await?;
    ledger::lock(&state.db, &mut tx, &format!("sale:{}", body.order_id)).await?;
    // A concurrent request with the same refund id may have committed while this one waited
    // for the order's lock: answer its result.
    if let Some(r) =
        idempotency::committed_answer(&mut tx, "refund", &refund_key, &request_hash, "refund id")
            .await?
    {
        return Ok(r);
    }
    let order = sqlx::query("SELECT id, amount, currency, cost FROM orders WHERE order_id = $1")
        .bind(&body.order_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found("order_not_found", "no sale has this order_id"))?;
    let order_ref: String = order.try_get(0)?;
    let order_amount: i64 = order.try_get(1)?;
    let currency: String = order.try_get(2)?;
    let order_cost: Option<i64> = order.try_get(3)?;
    if body.currency.as_deref().is_some_and(|c| c != currency) {
        return Err(AppError::bad(
            "currency_mismatch",
            format!("the order is in {currency}"),
        ));
    }
    let before = sqlx::query(
        "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT), CAST(COALESCE(SUM(cost), 0) AS BIGINT) \
         FROM refunds WHERE order_ref = $1",
    )
    .bind(&order_ref)
    .fetch_one(&mut *tx)
    .await?;
    let refunded_before: i64 = before.try_get(0)?;
    let cost_refunded_before: i64 = before.try_get(1)?;
    let left = order_amount - refunded_before;
    let amount = body.amount.unwrap_or(left);
    if amount <= 0 || amount > left {
        return Err(AppError::unprocessable(
            "refund_exceeds_order",
            format!("{left} of {order_amount} {currency} is left to refund"),
        ));
    }
    // The cost of goods this refund takes back, in proportion like the commission.
    let cost = order_cost.map_or(0, |c| {
        reftrail::commission::reverse_part(
            c,
            order_amount,
            refunded_before,
            cost_refunded_before,
            amount,
        )
    });
    let id = new_id("rfd");
    let at = now();
    // The referral's rollup contribution changes with its refunds: taken out before the
    // refund is written, put back after it.
    let referral_id: Option<String> = sqlx::query("SELECT id FROM referrals WHERE source_id = $1")
        .bind(&order_ref)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    if let Some(rid) = &referral_id {
        ledger::lock(&state.db, &mut tx, &format!("referral:{rid}")).await?;
        crate::rollups::referral_sub(&mut tx, rid).await?;
    }
    sqlx::query("INSERT INTO refunds (id, refund_key, order_ref, amount, currency, reason, at, cost) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(&id)
        .bind(&refund_key)
        .bind(&order_ref)
        .bind(amount)
        .bind(&currency)
        .bind(body.reason.as_deref())
        .bind(at)
        .bind(cost)
        .execute(&mut *tx)
        .await?;
    crate::rollups::order_delta(&mut tx, &order_ref, 0, amount).await?;

    if let Some(rid) = &referral_id {
        crate::rollups::referral_add(&mut tx, rid).await?;
    }
    let mut reversed_now = 0;
    let mut referral = None;
    if let Some(rid) = referral_id {
        ledger::lock(&state.db, &mut tx, &format!("referral:{rid}")).await?;
        let before = referral_view(&mut tx, &rid).await?;
        if before.status != "rejected" {
            let reversed_before = ledger::reversed(&mut tx, &rid).await?;
            reversed_now = reftrail::commission::reverse_part(
                before.commission,
                order_amount,
                refunded_before,
                reversed_before,
                amount,
            );
            let from = if before.status == "pending" {
                bucket::PENDING
            } else {
                bucket::APPROVED
            };
            ledger::append(
                &mut tx,
                Entry {
                    affiliate: &before.affiliate,
                    referral: Some(&rid),
                    bonus: None,
                    recruiter_commission: None,
                    payout: None,
                    bucket: from,
                    entry: "reversal",
                    amount: -reversed_now,
                    currency: &before.currency,
                },
            )
            .await?;
            let full = refunded_before + amount >= order_amount;
            let left = before.commission - reversed_before - reversed_now;
            crate::recruiters::refunded(&mut tx, &rid, left, full).await?;
            if full {
                crate::rollups::referral_sub(&mut tx, &rid).await?;
                sqlx::query(
                    "UPDATE referrals SET status = 'reversed', decided_at = $1 WHERE id = $2",
                )
                .bind(at)
                .bind(&rid)
                .execute(&mut *tx)
                .await?;
                crate::rollups::referral_add(&mut tx, &rid).await?;
            }
            let view = referral_view(&mut tx, &rid).await?;
            if reversed_now > 0 || full {
                webhooks::enqueue(&mut tx, &program, "referral.reversed", &view).await?;
                crate::postbacks::enqueue(&mut tx, "referral.reversed", &view.id).await?;
            }
            referral = Some(view);
        } else {
            referral = Some(before);
        }
    }
    let answer = RefundCreated {
        refund: RefundView {
            id,
            order_id: body.order_id.clone(),
            amount,
            currency,
            refunded_total: refunded_before + amount,
            at: times::format(at),
        },
        commission_reversed: reversed_now,
        referral,
    };
    let details = json!({
        "order_id": answer.refund.order_id,
        "amount": answer.refund.amount,
        "currency": answer.refund.currency,
        "reason": body.reason,
        "commission_reversed": reversed_now,
    });
    let affiliate = answer.referral.as_ref().map(|r| r.affiliate.as_str());
    let subject = &answer.refund.id;
    activity::record(
        &mut tx,
        &via.by(),
        "refund.created",
        subject,
        affiliate,
        details,
    )
    .await?;
    let text = serde_json::to_string(&answer)?;
    remember(&mut tx, "refund", &refund_key, &request_hash, &text).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response())
}
