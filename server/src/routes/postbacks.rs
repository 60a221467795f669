//! An affiliate's postback URL and its deliveries: `GET`/`PUT /v1/me/postback` and
//! `POST /v1/me/postback/test` for the affiliate, the same under `/v1/affiliates/{id}/postback`
//! for the merchant (see [`crate::postbacks`] for what is sent when).

use crate::auth::{AffiliateCaller, Merchant};
use crate::error::{AppError, AppJson, AppJsonOpt};
use crate::postback_url::{Template, MACROS};
use crate::postbacks::{self, Occurrence};
use crate::times;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// Deliveries listed, newest first.
const DELIVERIES_SHOWN: i64 = 20;

/// An affiliate's postback: the address and what was sent to it.
#[derive(Serialize, ToSchema)]
pub struct Postback {
    /// The template (`https://track.example/pb?click={sub1}&payout={commission}`); `null`: none.
    pub url: Option<String>,
    /// The macros a template may use, without braces.
    pub macros: Vec<String>,
    /// The latest requests owed or made, newest first (at most 20).
    pub deliveries: Vec<Delivery>,
}

/// One postback request.
#[derive(Serialize, ToSchema)]
pub struct Delivery {
    /// Id.
    pub id: String,
    /// `created`, `approved` or `reversed`.
    pub event: String,
    /// The referral it reports.
    pub referral_id: String,
    /// The address as filled in.
    pub url: String,
    /// When it was queued.
    pub at: String,
    /// `pending` (not sent yet, or to be tried again), `delivered` or `failed` (given up).
    pub status: String,
    /// Requests made so far.
    pub attempts: i64,
    /// Why the last attempt failed (`HTTP 500`, a connection error).
    pub last_error: Option<String>,
    /// When the tracker accepted it.
    pub delivered_at: Option<String>,
}

/// A new postback URL.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPostback {
    /// The template; `null` or `""` removes it. At most 2,048 characters, `http://` or
    /// `https://`, macros in braces in its path or query.
    pub url: Option<String>,
}

/// What to test: the given template, or the saved one.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TestPostback {
    /// A template to try before saving it.
    pub url: Option<String>,
}

/// What the tracker answered a test postback.
#[derive(Serialize, ToSchema)]
pub struct PostbackTest {
    /// The address requested, filled in with sample values (`test`, 100 of the program's
    /// currency, a 10 % commission).
    pub url: String,
    /// Whether it answered with a 2xx status.
    pub delivered: bool,
    /// Its status code; `null` when there was no answer.
    pub status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// The calling affiliate's postback.
#[utoipa::path(get, path = "/v1/me/postback", tag = "affiliate", security(("affiliate_token" = [])),
    responses((status = 200, body = Postback), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_postback_show(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
) -> Result<Json<Postback>, AppError> {
    Ok(Json(show(&state, &id).await?))
}

/// Sets or removes the calling affiliate's postback URL.
#[utoipa::path(put, path = "/v1/me/postback", tag = "affiliate", request_body = SetPostback, security(("affiliate_token" = [])),
    responses((status = 200, body = Postback), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_postback_update(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppJson(body): AppJson<SetPostback>,
) -> Result<Json<Postback>, AppError> {
    let by = crate::activity::by_affiliate(&id);
    update(&state, &id, &by, &body).await?;
    Ok(Json(show(&state, &id).await?))
}

/// Sends a postback with sample values to the given or saved URL and answers what came back.
#[utoipa::path(post, path = "/v1/me/postback/test", tag = "affiliate", request_body = Option<TestPostback>, security(("affiliate_token" = [])),
    responses((status = 200, body = PostbackTest), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "No URL given and none saved"),
        (status = 429, body = crate::error::ErrorBody, description = "More than 10 tests in a minute")))]
pub async fn me_postback_test(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppJsonOpt(body): AppJsonOpt<TestPostback>,
) -> Result<Json<PostbackTest>, AppError> {
    Ok(Json(test(&state, &id, body.unwrap_or_default()).await?))
}

/// Affiliate `id`'s postback.
#[utoipa::path(get, path = "/v1/affiliates/{id}/postback", tag = "merchant", params(("id" = String, Path)),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Postback), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn affiliate_postback_show(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
) -> Result<Json<Postback>, AppError> {
    known(&state, &id).await?;
    Ok(Json(show(&state, &id).await?))
}

/// Sets or removes affiliate `id`'s postback URL.
#[utoipa::path(put, path = "/v1/affiliates/{id}/postback", tag = "merchant", params(("id" = String, Path)),
    request_body = SetPostback, security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Postback), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn affiliate_postback_update(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
    AppJson(body): AppJson<SetPostback>,
) -> Result<Json<Postback>, AppError> {
    known(&state, &id).await?;
    update(&state, &id, &via.by(), &body).await?;
    Ok(Json(show(&state, &id).await?))
}

/// Sends a test postback for affiliate `id`.
#[utoipa::path(post, path = "/v1/affiliates/{id}/postback/test", tag = "merchant", params(("id" = String, Path)),
    request_body = Option<TestPostback>, security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = PostbackTest), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "No URL given and none saved"),
        (status = 429, body = crate::error::ErrorBody, description = "More than 10 tests in a minute")))]
pub async fn affiliate_postback_test(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
    AppJsonOpt(body): AppJsonOpt<TestPostback>,
) -> Result<Json<PostbackTest>, AppError> {
    known(&state, &id).await?;
    Ok(Json(test(&state, &id, body.unwrap_or_default()).await?))
}

/// 404 unless affiliate `id` exists.
async fn known(state: &AppState, id: &str) -> Result<(), AppError> {
    sqlx::query("SELECT id FROM affiliates WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::not_found("affiliate_not_found", "no affiliate has this id"))
}

/// `text` checked as a template under this server's host policy.
fn checked(state: &AppState, text: &str) -> Result<Template, AppError> {
    Template::parse(text, state.http.postbacks_to_private)
        .map_err(|e| AppError::bad("invalid_postback_url", e.message()))
}

/// Affiliate `id`'s postback and latest deliveries.
async fn show(state: &AppState, id: &str) -> Result<Postback, AppError> {
    let url: Option<String> = sqlx::query("SELECT postback_url FROM affiliates WHERE id = $1")
        .bind(id)
        .fetch_one(&state.db.pool)
        .await?
        .try_get(0)?;
    let rows = sqlx::query(
        "SELECT id, event, referral_id, url, at, attempts, last_error, delivered_at, failed_at \
         FROM postbacks WHERE affiliate_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(id)
    .bind(DELIVERIES_SHOWN)
    .fetch_all(&state.db.pool)
    .await?;
    let deliveries = rows
        .iter()
        .map(|r| {
            let delivered_at: Option<i64> = r.try_get(7)?;
            let failed_at: Option<i64> = r.try_get(8)?;
            let status = crate::outbox::status(delivered_at, failed_at);
            Ok(Delivery {
                id: r.try_get(0)?,
                event: r.try_get(1)?,
                referral_id: r.try_get(2)?,
                url: r.try_get(3)?,
                at: times::format(r.try_get(4)?),
                status: status.to_owned(),
                attempts: r.try_get(5)?,
                last_error: r.try_get(6)?,
                delivered_at: delivered_at.map(times::format),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Postback {
        url,
        macros: MACROS.iter().map(|m| (*m).to_owned()).collect(),
        deliveries,
    })
}

/// Saves `body`'s URL for affiliate `id`, recording the change as made `by`.
async fn update(state: &AppState, id: &str, by: &str, body: &SetPostback) -> Result<(), AppError> {
    let url = match body.url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(checked(state, text)?.as_str().to_owned()),
    };
    let mut tx = state.db.begin_write().await?;
    let before: Option<String> = sqlx::query("SELECT postback_url FROM affiliates WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if before == url {
        return Ok(());
    }
    sqlx::query("UPDATE affiliates SET postback_url = $1, updated_at = $2 WHERE id = $3")
        .bind(&url)
        .bind(times::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let change = serde_json::json!({"field": "postback_url", "before": before, "after": url});
    crate::activity::record(
        &mut tx,
        by,
        "affiliate.updated",
        id,
        Some(id),
        serde_json::json!({ "changes": [change] }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a sample postback for affiliate `id` to `body.url` or the saved URL.
async fn test(state: &AppState, id: &str, body: TestPostback) -> Result<PostbackTest, AppError> {
    let text = match body.url {
        Some(u) => u,
        None => sqlx::query("SELECT postback_url FROM affiliates WHERE id = $1")
            .bind(id)
            .fetch_one(&state.db.pool)
            .await?
            .try_get::<Option<String>, _>(0)?
            .ok_or_else(|| {
                AppError::conflict("no_postback_url", "save a postback URL or send one to test")
            })?,
    };
    let template = checked(state, &text)?;
    if !state.postback_test_allowed(id) {
        return Err(AppError::TooManyRequests(
            "at most 10 test postbacks a minute: wait a little".into(),
        ));
    }
    let url = sample(&state.program().await?.currency).fill(&template);
    let outcome = postbacks::send(state, &url).await;
    Ok(PostbackTest {
        url,
        delivered: outcome.error.is_none(),
        status: outcome.status,
        error: outcome.error,
    })
}

/// The values of a test postback: `test` for every id, a sale of 100 of `currency` with a 10 %
/// commission, now.
fn sample(currency: &str) -> Occurrence {
    let unit = reftrail::money::Currency::parse(currency).map_or(2, |c| c.exponent());
    let amount = 100 * 10i64.pow(u32::from(unit));
    let test = || Some("test".to_owned());
    Occurrence {
        event: "test".into(),
        status: "pending".into(),
        kind: "sale".into(),
        referral_id: "test".into(),
        amount,
        commission: amount / 10,
        currency: currency.to_owned(),
        campaign: test(),
        click_id: test(),
        click_ids: ["sub1", "sub2", "sub3", "sub4", "sub5"]
            .into_iter()
            .map(|s| (s.to_owned(), "test".to_owned()))
            .collect(),
        at: times::now(),
    }
}
