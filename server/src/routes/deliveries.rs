//! What the program sent to other systems, for the merchant: the webhook events (`outbox`) and
//! the affiliates' postbacks (`postbacks`) in one list, with a way to send again one that was
//! given up (`GET /v1/deliveries`, `POST /v1/deliveries/{id}/retry`), and a test event for a
//! webhook endpoint (`POST /v1/webhooks/test`).
//!
//! Webhook endpoints are part of the settings, which are the owner's: a manager or viewer sees
//! and retries postbacks only.

use crate::auth::{Merchant, MerchantVia, Owner};
use crate::error::{AppError, AppJson, AppQuery};
use crate::team::Role;
use crate::times;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// The two outboxes, each as a delivery's columns in [`from_row`]'s order: `(kind, SELECT)`.
/// Webhooks name no affiliate or referral.
const OUTBOXES: [(&str, &str); 2] = [
    (
        "webhook",
        "SELECT 'webhook' AS kind, id, event, url, CAST(NULL AS TEXT) AS affiliate_id, \
         CAST(NULL AS TEXT) AS referral_id, at, attempts, next_at, delivered_at, failed_at, last_error FROM outbox",
    ),
    (
        "postback",
        "SELECT 'postback' AS kind, id, event, url, affiliate_id, referral_id, at, attempts, next_at, \
         delivered_at, failed_at, last_error FROM postbacks",
    ),
];

/// The status filter on an outbox's own columns: `$1` is the status, or '' for any.
const STATUS_FILTER: &str = "($1 = '' \
       OR ($1 = 'delivered' AND delivered_at IS NOT NULL) \
       OR ($1 = 'failed' AND delivered_at IS NULL AND failed_at IS NOT NULL) \
       OR ($1 = 'pending' AND delivered_at IS NULL AND failed_at IS NULL) \
       OR ($1 = 'retrying' AND delivered_at IS NULL AND failed_at IS NULL AND attempts > 0))";

/// The page `$3` rows long from row `$4` of `outboxes` (by kind) with status `$1`, newest
/// first. Each outbox gives only its newest `$2` (= offset + limit) rows, through its index on
/// `(at, id)`, so a page never sorts the whole of both tables.
fn page_sql(outboxes: &[&str]) -> String {
    let branches: Vec<String> = OUTBOXES
        .iter()
        .filter(|(kind, _)| outboxes.contains(kind))
        .enumerate()
        .map(|(i, (_, select))| {
            format!(
                "SELECT * FROM ({select} WHERE {STATUS_FILTER} ORDER BY at DESC, id DESC LIMIT $2) b{i}"
            )
        })
        .collect();
    format!(
        "SELECT {COLUMNS} FROM ({}) d ORDER BY at DESC, id DESC LIMIT $3 OFFSET $4",
        branches.join(" UNION ALL ")
    )
}

/// The delivery `$1` of either outbox.
fn one_sql() -> String {
    let branches: Vec<String> = OUTBOXES
        .iter()
        .map(|(_, select)| format!("{select} WHERE id = $1"))
        .collect();
    branches.join(" UNION ALL ")
}

/// The columns of a delivery, in the order [`from_row`] reads them.
const COLUMNS: &str =
    "kind, id, event, url, affiliate_id, referral_id, at, attempts, next_at, delivered_at, failed_at, last_error";

/// How many rows of one outbox are in each state.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct StateCounts {
    /// Not sent yet, never failed.
    waiting: i64,
    /// Pending after a failed attempt.
    retrying: i64,
    /// Given up.
    failed: i64,
    /// Every row, delivered or not.
    all: i64,
}

impl StateCounts {
    fn delivered(self) -> i64 {
        self.all - self.waiting - self.retrying - self.failed
    }

    /// How many match the status filter `status` ('' for any).
    fn matching(self, status: &str) -> i64 {
        match status {
            "pending" => self.waiting + self.retrying,
            "retrying" => self.retrying,
            "failed" => self.failed,
            "delivered" => self.delivered(),
            _ => self.all,
        }
    }
}

/// A lease taken by a worker moves `next_at` at most this far ahead (see
/// [`crate::webhooks::deliver_due`]): a row due later than that is not being sent.
const LEASE: i64 = 60;

/// Filters of `GET /v1/deliveries`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeliveriesQuery {
    /// `webhook` or `postback`.
    pub kind: Option<String>,
    /// `pending` (not sent yet, or to be tried again), `retrying` (pending after a failed
    /// attempt), `delivered` or `failed` (given up).
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// One request owed or made to a webhook endpoint or an affiliate's tracker.
#[derive(Serialize, ToSchema, Debug)]
pub struct DeliveryView {
    /// Id (`evt_…` for a webhook event, `pb_…` for a postback).
    pub id: String,
    /// `webhook` or `postback`.
    pub kind: String,
    /// The webhook event (`referral.created`, …) or the postback's (`created`, `approved`,
    /// `reversed`).
    pub event: String,
    /// Where it goes: the endpoint, or the tracker's address as filled in.
    pub url: String,
    /// The affiliate whose tracker it goes to (postbacks).
    pub affiliate_id: Option<String>,
    /// The referral it reports (postbacks).
    pub referral_id: Option<String>,
    /// When it was queued.
    pub at: String,
    /// `pending`, `delivered` or `failed` (given up after 12 attempts).
    pub status: String,
    /// Requests made so far (since it was last sent again by hand).
    pub attempts: i64,
    /// Why the last attempt failed (`HTTP 500`, a connection error).
    pub last_error: Option<String>,
    /// When it is due (pending ones).
    pub next_at: Option<String>,
    /// When the other side accepted it.
    pub delivered_at: Option<String>,
    /// When it was given up.
    pub failed_at: Option<String>,
}

/// How many deliveries are in each state, of those the caller may see.
#[derive(Serialize, ToSchema, Debug, Default)]
pub struct DeliveryCounts {
    /// Not sent yet, or to be tried again (`retrying` included).
    pub pending: i64,
    /// Pending after at least one failed attempt.
    pub retrying: i64,
    /// Accepted.
    pub delivered: i64,
    /// Given up.
    pub failed: i64,
}

/// A page of deliveries.
#[derive(Serialize, ToSchema)]
pub struct DeliveriesPage {
    /// Newest first.
    pub deliveries: Vec<DeliveryView>,
    /// How many match the filters in all.
    pub total: i64,
    /// Every delivery kept (30 days of finished ones), by state, whatever the filters.
    pub counts: DeliveryCounts,
}

/// A test event for a webhook endpoint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestWebhook {
    /// The endpoint (`http://` or `https://`, at most 2,048 characters): one of the settings'
    /// or one about to be saved.
    pub url: String,
}

/// What an endpoint answered a test event.
#[derive(Serialize, ToSchema)]
pub struct WebhookTest {
    /// The endpoint.
    pub url: String,
    /// Whether it answered with a 2xx status.
    pub delivered: bool,
    /// Its status code; `null` when there was no answer.
    pub status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

const KINDS: [&str; 2] = ["webhook", "postback"];
const STATUSES: [&str; 4] = ["pending", "retrying", "delivered", "failed"];

/// Whether `via` may see webhook deliveries (the settings' endpoints): the owner only.
fn sees_webhooks(via: &MerchantVia) -> bool {
    via.role() == Role::Owner
}

/// Lists webhook events and postbacks, newest first.
#[utoipa::path(get, path = "/v1/deliveries", tag = "merchant", params(DeliveriesQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = DeliveriesPage), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn deliveries_index(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    AppQuery(q): AppQuery<DeliveriesQuery>,
) -> Result<Json<DeliveriesPage>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    let kind = q.kind.unwrap_or_default();
    if !kind.is_empty() && !KINDS.contains(&kind.as_str()) {
        return Err(AppError::bad(
            "invalid_query",
            "kind must be webhook or postback",
        ));
    }
    let status = q.status.unwrap_or_default();
    if !status.is_empty() && !STATUSES.contains(&status.as_str()) {
        return Err(AppError::bad(
            "invalid_query",
            "status must be pending, retrying, delivered or failed",
        ));
    }
    let webhooks = sees_webhooks(&via);
    if kind == "webhook" && !webhooks {
        return Err(AppError::forbidden(
            "role_forbidden",
            "webhook endpoints are part of the settings, which only the program's owner sees",
        ));
    }
    // The outboxes this caller sees, and of them those the list shows.
    let visible: Vec<&str> = KINDS
        .into_iter()
        .filter(|k| webhooks || *k == "postback")
        .collect();
    let listed: Vec<&str> = visible
        .iter()
        .copied()
        .filter(|k| kind.is_empty() || *k == kind)
        .collect();
    let rows = sqlx::query(sqlx::AssertSqlSafe(page_sql(&listed)))
        .bind(&status)
        .bind(offset + limit)
        .bind(limit)
        .bind(offset)
        .fetch_all(&state.db.pool)
        .await?;
    let deliveries = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let by_kind = state_counts(&state).await?;
    let sum = |kinds: &[&str], f: &dyn Fn(StateCounts) -> i64| -> i64 {
        by_kind
            .iter()
            .filter(|(k, _)| kinds.contains(k))
            .map(|(_, c)| f(*c))
            .sum()
    };
    Ok(Json(DeliveriesPage {
        deliveries,
        total: sum(&listed, &|c| c.matching(&status)),
        counts: DeliveryCounts {
            pending: sum(&visible, &|c| c.matching("pending")),
            retrying: sum(&visible, &|c| c.retrying),
            delivered: sum(&visible, &|c| c.delivered()),
            failed: sum(&visible, &|c| c.failed),
        },
    }))
}

/// Sends again a delivery that was given up, or one waiting for a later attempt: it is due at
/// once, with its 12 attempts counted afresh (say, after the endpoint was mended).
#[utoipa::path(post, path = "/v1/deliveries/{id}/retry", tag = "merchant", params(("id" = String, Path)),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = DeliveryView), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "Delivered already, or being sent")))]
pub async fn deliveries_retry(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
) -> Result<Json<DeliveryView>, AppError> {
    let mut tx = state.db.begin_write().await?;
    let select = one_sql();
    let row = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?;
    let found = match row {
        Some(r) => from_row(&r)?,
        None => return Err(not_found()),
    };
    if found.kind == "webhook" && !sees_webhooks(&via) {
        // Not even its existence is told: the list leaves webhooks out for this caller too.
        return Err(not_found());
    }
    if found.status == "delivered" {
        return Err(AppError::conflict(
            "already_delivered",
            "this delivery was accepted already",
        ));
    }
    let table = if found.kind == "webhook" {
        "outbox"
    } else {
        "postbacks"
    };
    let t = times::now();
    // A row due within a lease may be in a worker's hands right now: it is left to it.
    let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET attempts = 0, failed_at = NULL, next_at = $1 \
         WHERE id = $2 AND delivered_at IS NULL AND (failed_at IS NOT NULL OR next_at > $3)"
    )))
    .bind(t)
    .bind(&id)
    .bind(t + LEASE)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(AppError::conflict(
            "delivery_due",
            "this delivery is being sent or is due within a minute",
        ));
    }
    let details = serde_json::json!({
        "kind": found.kind, "event": found.event, "url": found.url, "status": found.status,
    });
    crate::activity::record(
        &mut tx,
        &via.by(),
        "delivery.retried",
        &id,
        found.affiliate_id.as_deref(),
        details,
    )
    .await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(select))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
    let view = from_row(&row)?;
    tx.commit().await?;
    Ok(Json(view))
}

/// Sends a signed `ping` event to a webhook endpoint and answers what came back.
#[utoipa::path(post, path = "/v1/webhooks/test", tag = "merchant", request_body = TestWebhook,
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = WebhookTest), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn webhooks_test(
    State(state): State<AppState>,
    _o: Owner,
    AppJson(b): AppJson<TestWebhook>,
) -> Result<Json<WebhookTest>, AppError> {
    let url = b.url.trim().to_owned();
    if !crate::program::webhook_url_ok(&url) {
        return Err(AppError::bad(
            "invalid_url",
            "url must be an http(s) URL of at most 2,048 characters",
        ));
    }
    let secret = crate::webhooks::webhook_secret(&state).await?;
    let payload = crate::webhooks::ping_payload(times::now());
    let outcome = crate::webhooks::post(state.webhook_client()?, &secret, &url, payload).await;
    Ok(Json(WebhookTest {
        url,
        delivered: outcome.error.is_none(),
        status: outcome.status,
        error: outcome.error,
    }))
}

fn not_found() -> AppError {
    AppError::not_found("delivery_not_found", "no delivery has this id")
}

/// Each outbox's rows by state. Only the rows not delivered are read one by one (few, through
/// the outboxes' due indexes); the delivered are what remains of the count of all.
async fn state_counts(state: &AppState) -> Result<Vec<(&'static str, StateCounts)>, AppError> {
    let mut out = Vec::new();
    for (kind, table) in [("webhook", "outbox"), ("postback", "postbacks")] {
        let mut c = StateCounts::default();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT CASE WHEN failed_at IS NOT NULL THEN 'failed' WHEN attempts > 0 THEN 'retrying' \
             ELSE 'waiting' END AS s, COUNT(*) FROM {table} WHERE delivered_at IS NULL GROUP BY s"
        )))
        .fetch_all(&state.db.pool)
        .await?;
        for r in rows {
            let n: i64 = r.try_get(1)?;
            match r.try_get::<String, _>(0)?.as_str() {
                "failed" => c.failed = n,
                "retrying" => c.retrying = n,
                _ => c.waiting = n,
            }
        }
        c.all = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&state.db.pool)
            .await?
            .try_get(0)?;
        out.push((kind, c));
    }
    Ok(out)
}

/// A row of [`OUTBOXES`] read in [`COLUMNS`]' order.
fn from_row(r: &sqlx::any::AnyRow) -> Result<DeliveryView, AppError> {
    let delivered_at: Option<i64> = r.try_get(9)?;
    let failed_at: Option<i64> = r.try_get(10)?;
    let status = crate::outbox::status(delivered_at, failed_at);
    Ok(DeliveryView {
        kind: r.try_get(0)?,
        id: r.try_get(1)?,
        event: r.try_get(2)?,
        url: r.try_get(3)?,
        affiliate_id: r.try_get(4)?,
        referral_id: r.try_get(5)?,
        at: times::format(r.try_get(6)?),
        attempts: r.try_get(7)?,
        next_at: (status == "pending")
            .then(|| r.try_get::<i64, _>(8))
            .transpose()?
            .map(times::format),
        status: status.to_owned(),
        last_error: r.try_get(11)?,
        delivered_at: delivered_at.map(times::format),
        failed_at: failed_at.map(times::format),
    })
}
