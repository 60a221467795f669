//! `GET /v1/activity`: the activity log, newest first (`crate::activity` writes it).

use crate::activity::{self, Entry};
use crate::auth::Merchant;
use crate::error::{AppError, AppQuery};
use crate::times;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// Filters and page of `GET /v1/activity`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ActivityQuery {
    /// Only the entries concerning this affiliate.
    pub affiliate: Option<String>,
    /// Only this action (`referral.approved`) or family of actions (`referral.`).
    pub action: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// A page of the log.
#[derive(Serialize, ToSchema)]
pub struct ActivityPage {
    /// Newest first.
    pub activity: Vec<Entry>,
}

/// Who did what, newest first.
#[utoipa::path(get, path = "/v1/activity", tag = "merchant", params(ActivityQuery), security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = ActivityPage), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn activity_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<ActivityQuery>,
) -> Result<Json<ActivityPage>, AppError> {
    if q.action
        .as_deref()
        .is_some_and(|a| !activity::valid_filter(a))
    {
        let mut families: Vec<&str> = activity::ACTIONS
            .iter()
            .filter_map(|a| a.split_once('.').map(|(f, _)| f))
            .collect();
        families.dedup();
        return Err(AppError::bad(
            "invalid_action",
            format!(
                "action must be one of {}, or a family: {}",
                activity::ACTIONS.join(", "),
                families
                    .iter()
                    .map(|f| format!("{f}."))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let (limit, offset) = super::page(q.limit, q.offset)?;
    // The conditions are ours; every value is bound. A family matches by prefix (the action
    // names hold no LIKE wildcard).
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(a) = q.affiliate {
        values.push(a);
        conditions.push(format!("affiliate_id = ${}", values.len()));
    }
    if let Some(a) = q.action {
        let family = a.ends_with('.');
        values.push(if family { format!("{a}%") } else { a });
        let op = if family { "LIKE" } else { "=" };
        conditions.push(format!("action {op} ${}", values.len()));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT id, at, by_whom, action, subject, affiliate_id, details FROM activity {filter} \
         ORDER BY at DESC, seq DESC LIMIT ${} OFFSET ${}",
        values.len() + 1,
        values.len() + 2
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in values {
        query = query.bind(v);
    }
    let rows = query
        .bind(limit)
        .bind(offset)
        .fetch_all(&state.db.pool)
        .await?;
    let activity = rows
        .iter()
        .map(|r| {
            let details: String = r.try_get(6)?;
            Ok(Entry {
                id: r.try_get(0)?,
                at: times::format(r.try_get(1)?),
                by: r.try_get(2)?,
                action: r.try_get(3)?,
                subject: r.try_get(4)?,
                affiliate: r.try_get(5)?,
                details: serde_json::from_str(&details)?,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Json(ActivityPage { activity }))
}
