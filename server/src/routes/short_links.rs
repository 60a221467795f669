//! Short links (`short_links.rs`): an affiliate makes, lists and deletes their own
//! (`GET/POST /v1/me/links`, `DELETE /v1/me/links/{code}`); the merchant lists and deletes
//! anyone's (`GET /v1/links`, `DELETE /v1/links/{code}`); anyone opens one (`GET /go/{code}`,
//! a redirect to the shop).

use crate::auth::{AffiliateCaller, Merchant};
use crate::db::Tx;
use crate::error::{AppError, AppJson, AppQuery};
use crate::short_links::{self, MAX_PER_AFFILIATE};
use crate::times::{self, now};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

/// A short link.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ShortLink {
    /// The code.
    pub code: String,
    /// Its address under the API's base URL: `/go/{code}`.
    pub path: String,
    /// Its full address, when the backend knows its public address (`--public-url`).
    pub url: Option<String>,
    /// Whose link it is.
    pub affiliate: String,
    /// The page of the shop it leads to.
    pub landing_url: String,
    /// The campaign it names (`utm_campaign`).
    pub campaign: Option<String>,
    /// Where it sends a visitor now: the page with the affiliate's parameter and the campaign.
    pub target: String,
    /// How many times it was opened (bots left out); the clicks are counted by the tracker.
    pub opens: i64,
    /// Made.
    pub created_at: String,
}

/// Short links, newest first.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ShortLinks {
    /// The links.
    pub links: Vec<ShortLink>,
}

/// The body of `POST /v1/me/links`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShortLink {
    /// A page of the shop (its origin one of the program's allowed origins).
    pub landing_url: String,
    /// A campaign name (`utm_campaign`): at most 256 bytes, no control characters.
    #[serde(default)]
    pub campaign: Option<String>,
    /// A code of their choosing (3 to 40 letters, digits or inner hyphens, kept lower-case);
    /// a random one of 7 characters without it.
    #[serde(default)]
    pub code: Option<String>,
}

/// `GET /v1/links` filters.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct LinksQuery {
    /// Only this affiliate's.
    pub affiliate: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

const COLUMNS: &str = "code, affiliate_id, landing_url, campaign, opens, created_at";

fn from_row(state: &AppState, param: &str, r: &AnyRow) -> Result<ShortLink, AppError> {
    let code: String = r.try_get(0)?;
    let affiliate: String = r.try_get(1)?;
    let landing_url: String = r.try_get(2)?;
    let campaign: Option<String> = r.try_get(3)?;
    let path = format!("/go/{code}");
    let target = short_links::target(&landing_url, param, Some(&affiliate), campaign.as_deref())
        .unwrap_or_else(|| landing_url.clone());
    Ok(ShortLink {
        url: state
            .http
            .mail
            .as_ref()
            .map(|m| format!("{}{path}", m.public_url)),
        path,
        code,
        affiliate,
        landing_url,
        campaign,
        target,
        opens: r.try_get(4)?,
        created_at: times::format(r.try_get(5)?),
    })
}

/// The program's first link parameter (`ref` by default): the one short links carry.
fn param(program: &crate::program::Program) -> String {
    program
        .params
        .first()
        .cloned()
        .unwrap_or_else(|| "ref".into())
}

async fn list(
    state: &AppState,
    affiliate: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<ShortLinks, AppError> {
    let program = state.program().await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM short_links WHERE ($1 = '' OR affiliate_id = $1) \
         ORDER BY created_at DESC, code LIMIT $2 OFFSET $3"
    )))
    .bind(affiliate.unwrap_or(""))
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db.pool)
    .await?;
    let p = param(&program);
    let links = rows
        .iter()
        .map(|r| from_row(state, &p, r))
        .collect::<Result<_, _>>()?;
    Ok(ShortLinks { links })
}

/// The affiliate's short links.
#[utoipa::path(get, path = "/v1/me/links", tag = "affiliate", security(("affiliate_token" = [])),
    responses((status = 200, body = ShortLinks), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_links_index(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
) -> Result<Json<ShortLinks>, AppError> {
    Ok(Json(list(&state, Some(&id), MAX_PER_AFFILIATE, 0).await?))
}

async fn insert(tx: &mut Tx, code: &str, affiliate: &str, b: &Checked) -> Result<bool, AppError> {
    let taken = sqlx::query("SELECT code FROM short_links WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if taken {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO short_links (code, affiliate_id, landing_url, campaign, opens, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5)",
    )
    .bind(code)
    .bind(affiliate)
    .bind(&b.landing_url)
    .bind(&b.campaign)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// A creation request, checked.
struct Checked {
    landing_url: String,
    campaign: Option<String>,
    code: Option<String>,
}

/// Makes a short link to a page of the shop.
#[utoipa::path(post, path = "/v1/me/links", tag = "affiliate", request_body = CreateShortLink, security(("affiliate_token" = [])),
    responses((status = 201, body = ShortLink), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "`code_taken`, or `too_many_links` (100 per affiliate)")))]
pub async fn me_links_create(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppJson(b): AppJson<CreateShortLink>,
) -> Result<Response, AppError> {
    let program = state.program().await?;
    let checked = Checked {
        landing_url: short_links::check_landing(&program, &b.landing_url)?,
        campaign: short_links::check_campaign(b.campaign.as_deref())?,
        code: b.code.as_deref().map(short_links::check_code).transpose()?,
    };
    let mut tx = state.db.begin_write().await?;
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM short_links WHERE affiliate_id = $1")
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if count >= MAX_PER_AFFILIATE {
        return Err(AppError::conflict(
            "too_many_links",
            "an affiliate keeps at most 100 short links; delete one first",
        ));
    }
    let code = match &checked.code {
        Some(code) => {
            if !insert(&mut tx, code, &id, &checked).await? {
                return Err(AppError::conflict(
                    "code_taken",
                    "this code is taken; choose another",
                ));
            }
            code.clone()
        }
        None => {
            // A random code taken already (one in billions) is drawn again.
            let mut made = None;
            for _ in 0..5 {
                let code = short_links::new_code();
                if insert(&mut tx, &code, &id, &checked).await? {
                    made = Some(code);
                    break;
                }
            }
            made.ok_or_else(|| AppError::Internal("no free short link code".into()))?
        }
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM short_links WHERE code = $1"
    )))
    .bind(&code)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let link = from_row(&state, &param(&program), &row)?;
    Ok((StatusCode::CREATED, Json(link)).into_response())
}

/// Deletes `code` when `affiliate` (or anyone's, when none) owns it; 404 otherwise.
async fn delete(
    state: &AppState,
    code: &str,
    affiliate: Option<&str>,
) -> Result<StatusCode, AppError> {
    let mut tx = state.db.begin_write().await?;
    let gone =
        sqlx::query("DELETE FROM short_links WHERE code = $1 AND ($2 = '' OR affiliate_id = $2)")
            .bind(code)
            .bind(affiliate.unwrap_or(""))
            .execute(&mut *tx)
            .await?
            .rows_affected();
    tx.commit().await?;
    if gone == 0 {
        return Err(AppError::not_found(
            "link_not_found",
            "no short link has this code",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes one of the affiliate's short links: it stops working at once.
#[utoipa::path(delete, path = "/v1/me/links/{code}", tag = "affiliate", params(("code" = String, Path)), security(("affiliate_token" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn me_links_delete(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    Path(code): Path<String>,
) -> Result<StatusCode, AppError> {
    delete(&state, &code, Some(&id)).await
}

/// Everyone's short links, newest first.
#[utoipa::path(get, path = "/v1/links", tag = "merchant", params(LinksQuery), security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = ShortLinks), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn links_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<LinksQuery>,
) -> Result<Json<ShortLinks>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    Ok(Json(
        list(&state, q.affiliate.as_deref(), limit, offset).await?,
    ))
}

/// Deletes anyone's short link (a link used against the program's terms).
#[utoipa::path(delete, path = "/v1/links/{code}", tag = "merchant", params(("code" = String, Path)), security(("secret_key" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn links_delete(
    State(state): State<AppState>,
    _m: Merchant,
    Path(code): Path<String>,
) -> Result<StatusCode, AppError> {
    delete(&state, &code, None).await
}

/// Opens a short link: `302` to the shop's page with the affiliate's parameter and the
/// campaign (the page alone when the affiliate is no longer approved), and the click ids and
/// sub ids the opened address carries (`/go/k7m2x9q?sub1=…`); `404` for an unknown code or a
/// page no longer on the program's allowed origins.
#[utoipa::path(get, path = "/go/{code}", tag = "tracking", params(("code" = String, Path)),
    responses((status = 302, description = "`Location`: the shop's page"), (status = 404, description = "No such link (plain text)")))]
pub async fn go(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "This link does not exist (any more).\n",
        )
            .into_response()
    };
    if !short_links::plausible_code(&code) {
        return Ok(not_found());
    }
    let Some(row) =
        sqlx::query("SELECT affiliate_id, landing_url, campaign FROM short_links WHERE code = $1")
            .bind(&code)
            .fetch_optional(&state.db.pool)
            .await?
    else {
        return Ok(not_found());
    };
    let (affiliate, landing, campaign): (String, String, Option<String>) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let program = state.program().await?;
    if !short_links::leads_to_shop(&program, &landing) {
        return Ok(not_found());
    }
    let credited = state.approved_affiliate(&affiliate).await?.is_some();
    let target = short_links::target(
        &landing,
        &param(&program),
        credited.then_some(affiliate.as_str()),
        campaign.as_deref(),
    )
    .ok_or_else(|| AppError::Internal("a stored landing page".into()))?;
    let target = short_links::pass_on(
        target,
        &short_links::passed_on(query.as_deref().unwrap_or("")),
    );
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !crate::bots::is_bot(agent) {
        let mut tx = state.db.begin_write().await?;
        sqlx::query("UPDATE short_links SET opens = opens + 1 WHERE code = $1")
            .bind(&code)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, target),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
    )
        .into_response())
}
