//! Recruiter commissions (`crate::recruiters`): `GET /v1/recruiter-commissions` for the
//! merchant, `GET /v1/me/recruits` for a recruiter (their recruits and what each earned them).

use crate::auth::{AffiliateCaller, Merchant};
use crate::error::{AppError, AppQuery};
use crate::times;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use utoipa::ToSchema;

/// The statuses of a recruiter commission.
pub const STATUSES: [&str; 5] = ["pending", "approved", "paid", "rejected", "reversed"];

/// A recruiter commission: the share of a recruit's commission their recruiter earns.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq)]
pub struct RecruiterCommission {
    /// `rc_…`.
    pub id: String,
    /// The recruiter, who earns it.
    pub affiliate: String,
    /// The recruit whose referral it is a share of.
    pub recruit: String,
    /// That referral.
    pub referral: String,
    /// The program's rate when it was made, basis points of the recruit's commission.
    pub rate_bps: i64,
    /// Minor units, as made.
    pub amount: i64,
    /// How much of it the recruit's refunds took back.
    pub reversed: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// `pending`, `approved`, `paid`, `rejected` or `reversed`, as its referral.
    pub status: String,
    /// The payout that paid it.
    pub payout_id: Option<String>,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

const COLUMNS: &str = "id, affiliate_id, recruit_id, referral_id, rate_bps, amount, reversed, currency, status, payout_id, created_at";

/// One recruiter commission, read inside `tx`.
pub async fn recruiter_commission(
    tx: &mut crate::db::Tx,
    id: &str,
) -> Result<RecruiterCommission, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM recruiter_commissions WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(from_row(&row)?)
}

fn from_row(r: &AnyRow) -> Result<RecruiterCommission, sqlx::Error> {
    Ok(RecruiterCommission {
        id: r.try_get(0)?,
        affiliate: r.try_get(1)?,
        recruit: r.try_get(2)?,
        referral: r.try_get(3)?,
        rate_bps: r.try_get(4)?,
        amount: r.try_get(5)?,
        reversed: r.try_get(6)?,
        currency: r.try_get(7)?,
        status: r.try_get(8)?,
        payout_id: r.try_get(9)?,
        created_at: times::format(r.try_get(10)?),
    })
}

/// Filters of `GET /v1/recruiter-commissions`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct RecruiterCommissionsQuery {
    /// Only this recruiter's.
    pub affiliate: Option<String>,
    /// Only the shares of this recruit's referrals.
    pub recruit: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// A page of recruiter commissions.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct RecruiterCommissionsPage {
    /// Newest first.
    pub recruiter_commissions: Vec<RecruiterCommission>,
    /// How many match the filters.
    pub total: i64,
}

/// Lists recruiter commissions, newest first.
#[utoipa::path(get, path = "/v1/recruiter-commissions", tag = "merchant",
    params(RecruiterCommissionsQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = RecruiterCommissionsPage), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn recruiter_commissions_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<RecruiterCommissionsQuery>,
) -> Result<Json<RecruiterCommissionsPage>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    let affiliate = q.affiliate.unwrap_or_default();
    let recruit = q.recruit.unwrap_or_default();
    let status = q.status.unwrap_or_default();
    let id_ok = |s: &str| s.is_empty() || reftrail::affiliate::is_valid(s);
    if !id_ok(&affiliate)
        || !id_ok(&recruit)
        || !(status.is_empty() || STATUSES.contains(&status.as_str()))
    {
        return Err(AppError::bad(
            "invalid_query",
            "affiliate and recruit must be affiliate ids; status one of pending, approved, paid, rejected, reversed",
        ));
    }
    const FILTER: &str =
        "WHERE ($1 = '' OR affiliate_id = $1) AND ($2 = '' OR recruit_id = $2) AND ($3 = '' OR status = $3)";
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM recruiter_commissions {FILTER} ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    )))
    .bind(&affiliate)
    .bind(&recruit)
    .bind(&status)
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db.pool)
    .await?;
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM recruiter_commissions {FILTER}"
    )))
    .bind(&affiliate)
    .bind(&recruit)
    .bind(&status)
    .fetch_one(&state.db.pool)
    .await?
    .try_get(0)?;
    Ok(Json(RecruiterCommissionsPage {
        recruiter_commissions: rows.iter().map(from_row).collect::<Result<_, _>>()?,
        total,
    }))
}

/// One of a recruiter's recruits, as the recruiter sees them (no contact details).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Recruit {
    /// Their affiliate id (the name in their links).
    pub id: String,
    /// Their name.
    pub name: String,
    /// `approved`, `pending` (their application is being reviewed) or `suspended`.
    pub status: String,
    /// When they joined (RFC 3339).
    pub joined: String,
}

/// A share of a recruit's commission, as the recruiter sees it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct MyRecruiterCommission {
    /// `rc_…`.
    pub id: String,
    /// The recruit.
    pub recruit: String,
    /// Minor units, as made.
    pub amount: i64,
    /// Taken back by refunds.
    pub reversed: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// `pending`, `approved`, `paid`, `rejected` or `reversed`.
    pub status: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

/// What `GET /v1/me/recruits` answers.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct MyRecruits {
    /// The program's recruiter rate now, basis points of each recruit's commission (0: the
    /// program pays none).
    pub rate_bps: i64,
    /// Everyone they recruited, newest first.
    pub recruits: Vec<Recruit>,
    /// The latest 100 shares they earned, newest first.
    pub commissions: Vec<MyRecruiterCommission>,
}

/// The caller's recruits and what each of their commissions earned the caller.
#[utoipa::path(get, path = "/v1/me/recruits", tag = "affiliate",
    security(("affiliate_token" = [])),
    responses((status = 200, body = MyRecruits), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me_recruits(
    State(state): State<AppState>,
    AffiliateCaller(affiliate): AffiliateCaller,
) -> Result<Json<MyRecruits>, AppError> {
    let program = state.program().await?;
    let recruits = sqlx::query(
        "SELECT id, name, status, created_at FROM affiliates WHERE recruiter_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 1000",
    )
    .bind(&affiliate)
    .fetch_all(&state.db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Recruit {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            status: r.try_get(2)?,
            joined: times::format(r.try_get(3)?),
        })
    })
    .collect::<Result<_, sqlx::Error>>()?;
    let commissions = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM recruiter_commissions WHERE affiliate_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT 100"
    )))
    .bind(&affiliate)
    .fetch_all(&state.db.pool)
    .await?
    .iter()
    .map(|r| {
        let c = from_row(r)?;
        Ok(MyRecruiterCommission {
            id: c.id,
            recruit: c.recruit,
            amount: c.amount,
            reversed: c.reversed,
            currency: c.currency,
            status: c.status,
            created_at: c.created_at,
        })
    })
    .collect::<Result<_, sqlx::Error>>()?;
    Ok(Json(MyRecruits {
        rate_bps: program.recruiter_rate_bps,
        recruits,
        commissions,
    }))
}
