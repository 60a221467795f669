//! The affiliate's own view: `GET /v1/me` (profile, links, coupons, balances) and
//! `GET /v1/me/report` (own KPIs and referrals for a period). Only an affiliate token opens it,
//! and only to that affiliate's data.

use super::affiliates::{self, AffiliateView};
use super::payouts::{self, Balance};
use super::reports::{self, Kpis, ReportQuery};
use crate::auth::AffiliateCaller;
use crate::error::{AppError, AppQuery};
use crate::times;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

/// The affiliate's profile.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// The affiliate (commission overrides included, so they see their rate).
    pub affiliate: AffiliateView,
    /// The query parameters their links may use (`?ref=<id>`).
    pub link_params: Vec<String>,
    /// Example link paths: `?ref=<id>`, `#ref=<id>`, `/ref/<id>/`.
    pub links: Vec<String>,
    /// Balances from the ledger.
    pub balances: Vec<Balance>,
    /// The program's language (`en`, `vi`, `th`): the portal speaks it unless the affiliate
    /// picks another.
    pub locale: String,
}

/// The affiliate's profile, links and balances.
#[utoipa::path(get, path = "/v1/me", tag = "affiliate", security(("affiliate_token" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_show(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
) -> Result<Json<Me>, AppError> {
    let program = state.program().await?;
    let affiliate = affiliates::load(&state, &id).await?;
    let p = program
        .params
        .first()
        .cloned()
        .unwrap_or_else(|| "ref".into());
    Ok(Json(Me {
        links: vec![
            format!("?{p}={id}"),
            format!("#{p}={id}"),
            format!("/ref/{id}/"),
        ],
        link_params: program.params.clone(),
        balances: payouts::balances(&state, &id).await?,
        locale: program.locale().to_owned(),
        affiliate,
    }))
}

/// One of the affiliate's referrals, without customer data.
#[derive(Serialize, ToSchema)]
pub struct MyReferral {
    /// Id.
    pub id: String,
    /// `sale` or `lead`.
    pub kind: String,
    /// When.
    pub at: String,
    /// Order amount.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// Commission owed now.
    pub commission: i64,
    /// Status.
    pub status: String,
}

/// The affiliate's report.
#[derive(Serialize, ToSchema)]
pub struct MyReport {
    /// Period start.
    pub from: String,
    /// Period end.
    pub to: String,
    /// Own KPIs.
    pub kpis: Kpis,
    /// Own referrals in the period, newest first (at most 500).
    pub referrals: Vec<MyReferral>,
}

/// The affiliate's KPIs and referrals for a period.
#[utoipa::path(get, path = "/v1/me/report", tag = "affiliate", params(ReportQuery), security(("affiliate_token" = [])),
    responses((status = 200, body = MyReport), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_report(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Json<MyReport>, AppError> {
    let (from, to) = reports::day_range(q.from.as_deref(), q.to.as_deref())?;
    let kpis = reports::affiliate_kpis(&state, &id, from, to).await?;
    let rows = sqlx::query(
        "SELECT r.id, r.kind, r.at, r.amount, r.currency, \
         CAST(COALESCE((SELECT SUM(g.amount) FROM ledger g WHERE g.referral_id = r.id), 0) AS BIGINT), r.status \
         FROM referrals r WHERE r.affiliate_id = $1 AND r.at >= $2 AND r.at < $3 ORDER BY r.at DESC, r.id DESC LIMIT 500",
    )
    .bind(&id)
    .bind(from)
    .bind(to)
    .fetch_all(&state.db.pool)
    .await?;
    let referrals = rows
        .iter()
        .map(|r| {
            Ok(MyReferral {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                at: times::format(r.try_get(2)?),
                amount: r.try_get(3)?,
                currency: r.try_get(4)?,
                commission: r.try_get(5)?,
                status: r.try_get(6)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(MyReport {
        from: times::format(from),
        to: times::format(to),
        kpis,
        referrals,
    }))
}
