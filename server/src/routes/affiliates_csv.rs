//! `GET /v1/affiliates.csv` (the affiliates as a spreadsheet) and `POST /v1/affiliates.csv`
//! (a spreadsheet of affiliates added to the program, so that a merchant moving from another
//! tool keeps its affiliates' link names: every row checked first, then all written or none).

use super::affiliates::{insert_new, view_of, CreateAffiliate, CATEGORIES, SELECT, STATUSES};
use crate::affiliate_csv::{self, Outcome, Planned, COLUMNS};
use crate::affiliate_mail;
use crate::auth::Merchant;
use crate::error::{AppBytes, AppError, AppQuery, ErrorInner};
use crate::export;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use reftrail::money::Currency;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;
use utoipa::ToSchema;

/// The most affiliates one export writes.
const MAX_EXPORT: usize = 100_000;

/// Filters of `GET /v1/affiliates.csv`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `approved`, `pending` or `suspended`.
    pub status: Option<String>,
    /// An affiliate category.
    pub category: Option<String>,
}

/// The affiliates as CSV, by id, with the filters of `GET /v1/affiliates` (without paging).
/// A plain percent override is the `sale_rate` column; other overrides are JSON in
/// `commission`.
#[utoipa::path(get, path = "/v1/affiliates.csv", tag = "merchant", params(ExportQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = String, content_type = "text/csv"), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody, description = "More than 100,000 affiliates")))]
pub async fn affiliates_csv(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let status = q.status.unwrap_or_default();
    let category = q.category.unwrap_or_default();
    if (!status.is_empty() && !STATUSES.contains(&status.as_str()))
        || (!category.is_empty() && !CATEGORIES.contains(&category.as_str()))
    {
        return Err(AppError::bad("invalid_query", "unknown status or category"));
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 = '' OR status = $1) AND ($2 = '' OR category = $2) LIMIT $3"
    )))
    .bind(&status)
    .bind(&category)
    .bind(MAX_EXPORT as i64 + 1)
    .fetch_all(&state.db.pool)
    .await?;
    if rows.len() > MAX_EXPORT {
        return Err(AppError::unprocessable(
            "export_too_large",
            "more than 100,000 affiliates match: export one status or category at a time",
        ));
    }
    let mut coupons: HashMap<String, Vec<String>> = HashMap::new();
    for r in sqlx::query("SELECT affiliate_id, code FROM coupons ORDER BY code")
        .fetch_all(&state.db.pool)
        .await?
    {
        coupons
            .entry(r.try_get(0)?)
            .or_default()
            .push(r.try_get(1)?);
    }
    let mut views = rows
        .iter()
        .map(|r| {
            let id: String = r.try_get(0)?;
            view_of(r, coupons.remove(&id).unwrap_or_default())
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    // Byte order, whatever the database's collation.
    views.sort_by(|a, b| a.id.cmp(&b.id));
    let records = views
        .iter()
        .map(affiliate_csv::row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(export::download(
        "affiliates.csv",
        export::csv(Some(&COLUMNS), records)?,
    ))
}

/// Options of `POST /v1/affiliates.csv`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// `true`: check every row and answer what the import would do, writing nothing.
    pub dry_run: Option<bool>,
    /// The column that holds each affiliate's link name (default `id`; `username` or
    /// `affiliate_id` for an AffiliateWP export, whichever its links use).
    pub id_column: Option<String>,
    /// `true`: email each new approved affiliate with an email that their account is here and
    /// their links work as before (in the program's language). Nothing is sent by a server
    /// without email settings: `emailed` says so.
    pub welcome: Option<bool>,
}

/// What an import did, or would do.
#[derive(Serialize, ToSchema)]
pub struct ImportAnswer {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Rows that were (or would be) created.
    pub created: usize,
    /// Rows skipped because an affiliate with their id exists.
    pub existing: usize,
    /// Rows that cannot be imported.
    pub invalid: usize,
    /// New affiliates told of their account by email (`welcome=true`: the approved ones with an
    /// email, when this server sends email); in a dry run, how many would be.
    pub emailed: usize,
    /// Columns of the file that are not read, lower-cased.
    pub ignored_columns: Vec<String>,
    /// Every row read, in file order.
    pub rows: Vec<ImportRow>,
}

/// One row of an imported file.
#[derive(Serialize, ToSchema)]
pub struct ImportRow {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    /// The id cell, trimmed.
    pub id: String,
    /// `created`, `exists` (skipped: nothing of that affiliate changes) or `invalid`.
    pub result: String,
    /// Why the row is invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInner>,
}

/// Adds the affiliates of a CSV file (the columns of `GET /v1/affiliates.csv`; `id` and
/// `name` required; `;` or tab separated files too; AffiliateWP's export as it
/// is, with `id_column` naming the column of link names). Each row is checked as the body of
/// `POST /v1/affiliates`, against the program and the file's other rows; a row whose id exists
/// is skipped. With `dry_run=true` nothing is written; otherwise a file with an invalid row is
/// refused whole (400 `invalid_import`) and a valid one is written in one transaction. No portal
/// token is issued.
#[utoipa::path(post, path = "/v1/affiliates.csv", tag = "merchant", params(ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "The file, at most 4 MiB and 10,000 rows"),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = ImportAnswer), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody)))]
pub async fn affiliates_import(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    AppQuery(q): AppQuery<ImportQuery>,
    AppBytes(body): AppBytes,
) -> Result<Json<ImportAnswer>, AppError> {
    let id_column = affiliate_csv::column_name(q.id_column.as_deref().unwrap_or("id"));
    if id_column.is_empty() || id_column.len() > 64 {
        return Err(AppError::bad(
            "invalid_query",
            "id_column must name a column of the file",
        ));
    }
    let program = state.program().await?;
    let currency = Currency::parse(&program.currency)
        .ok_or_else(|| AppError::Internal(format!("program currency {}", program.currency)))?;
    let reading = affiliate_csv::Reading {
        id_column: &id_column,
        currency,
    };
    let sheet = affiliate_csv::read(&body, &reading)?;
    let ignored_columns = sheet.ignored_columns.clone();
    let welcome = q.welcome.unwrap_or(false) && affiliate_mail::can_send(&state);
    if q.dry_run.unwrap_or(false) {
        let mut conn = state.db.pool.acquire().await?;
        let (existing, coupons) = program_now(&mut conn).await?;
        let planned = affiliate_csv::plan(sheet, &existing, &coupons);
        return Ok(Json(answer(true, welcome, ignored_columns, planned)));
    }
    let mut tx = state.db.begin_write().await?;
    let (existing, coupons) = program_now(&mut tx).await?;
    let planned = affiliate_csv::plan(sheet, &existing, &coupons);
    refuse_invalid(&planned)?;
    let by = via.by();
    for p in &planned {
        if let Outcome::Created(c) = &p.outcome {
            let (body, codes, payout) = &**c;
            insert_new(&mut tx, body, codes, payout.as_ref(), &by).await?;
            if welcome && welcomed(body) {
                affiliate_mail::affiliate_imported(&mut tx, &body.id).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(Json(answer(false, welcome, ignored_columns, planned)))
}

/// The program's affiliate ids (in lower case → as stored) and its coupons (code → affiliate).
async fn program_now(
    conn: &mut sqlx::AnyConnection,
) -> Result<(HashMap<String, String>, HashMap<String, String>), AppError> {
    let mut ids = HashMap::new();
    for r in sqlx::query("SELECT id FROM affiliates")
        .fetch_all(&mut *conn)
        .await?
    {
        let id: String = r.try_get(0)?;
        ids.insert(id.to_ascii_lowercase(), id);
    }
    let mut coupons = HashMap::new();
    for r in sqlx::query("SELECT code, affiliate_id FROM coupons")
        .fetch_all(&mut *conn)
        .await?
    {
        coupons.insert(r.try_get(0)?, r.try_get(1)?);
    }
    Ok((ids, coupons))
}

/// 400 `invalid_import` naming the first invalid row, when any row is invalid.
fn refuse_invalid(planned: &[Planned]) -> Result<(), AppError> {
    let invalid: Vec<(&Planned, &AppError)> = planned
        .iter()
        .filter_map(|p| match &p.outcome {
            Outcome::Invalid(e) => Some((p, e)),
            _ => None,
        })
        .collect();
    let Some((first, e)) = invalid.first() else {
        return Ok(());
    };
    let (_, code, message) = e.parts();
    let id = if first.id.is_empty() {
        "no id"
    } else {
        &first.id
    };
    Err(AppError::bad(
        "invalid_import",
        format!(
            "line {} ({id}): {code}: {message}; {} of {} rows are invalid, so nothing was imported",
            first.line,
            invalid.len(),
            planned.len()
        ),
    ))
}

/// Whether a new affiliate is told of their account when the merchant asks: approved (the
/// others are not in the program yet) and with an email to write to.
fn welcomed(body: &CreateAffiliate) -> bool {
    body.email.is_some() && body.status.as_deref().unwrap_or("approved") == "approved"
}

fn answer(
    dry_run: bool,
    welcome: bool,
    ignored_columns: Vec<String>,
    planned: Vec<Planned>,
) -> ImportAnswer {
    let mut a = ImportAnswer {
        dry_run,
        created: 0,
        existing: 0,
        invalid: 0,
        emailed: 0,
        ignored_columns,
        rows: Vec::with_capacity(planned.len()),
    };
    for p in planned {
        let (result, error) = match p.outcome {
            Outcome::Created(c) => {
                a.created += 1;
                a.emailed += usize::from(welcome && welcomed(&c.0));
                ("created", None)
            }
            Outcome::Exists => {
                a.existing += 1;
                ("exists", None)
            }
            Outcome::Invalid(e) => {
                a.invalid += 1;
                let (_, code, message) = e.parts();
                let error = ErrorInner {
                    code: code.to_owned(),
                    message: message.into_owned(),
                };
                ("invalid", Some(error))
            }
        };
        a.rows.push(ImportRow {
            line: p.line,
            id: p.id,
            result: result.to_owned(),
            error,
        });
    }
    a
}
