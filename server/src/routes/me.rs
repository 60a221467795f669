//! The affiliate's own view: `GET /v1/me` (profile, links, coupons, balances; `PATCH` turns
//! the email about each new referral off or on and sets where payouts go),
//! `GET /v1/me/report` (own KPIs and referrals for a period) and `GET /v1/me/payouts` (the
//! payouts that paid them). Only an affiliate token opens it, and only to that affiliate's data.

use super::affiliates::{self, AffiliateView, Payout};
use super::payouts::{self, Balance, PaidTo};
use super::reports::{self, Kpis, ReportQuery};
use crate::auth::AffiliateCaller;
use crate::error::{AppError, AppJson, AppQuery};
use crate::times;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
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
    /// Whether they are emailed about each new referral (when the program sends those emails).
    pub referral_emails: bool,
    /// The smallest payout, minor units of `min_payout_currency`: an approved balance in that
    /// currency below it waits for the next payout that reaches it (other currencies are paid
    /// from any positive balance).
    pub min_payout: i64,
    /// The currency `min_payout` is in: the program's.
    pub min_payout_currency: String,
    /// The program's overrides for the affiliate's category (`sale`, `lead`), which they earn
    /// where they have none of their own; `null` when the category has none.
    #[schema(value_type = Option<Object>)]
    pub category_commission: Option<reftrail::commission::AffiliateRules>,
}

/// What an affiliate may change about themselves; only the fields given change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// The email about each new referral: on or off.
    pub referral_emails: Option<bool>,
    /// Their PayPal email for payouts; `null` removes it (payouts go to their contact email).
    #[serde(default, with = "affiliates::double_option")]
    pub payout_email: Option<Option<String>>,
    /// Bank details (VietQR or PromptPay), replaced as a whole; `null` goes back to PayPal.
    /// A change of either is emailed to the affiliate's contact address.
    #[serde(default, with = "affiliates::double_option")]
    pub payout: Option<Option<Payout>>,
    /// Their postal address, as withholding tax certificates name them; `null` removes it.
    #[serde(default, with = "affiliates::double_option")]
    pub address: Option<Option<String>>,
}

/// The affiliate's profile, links and balances.
#[utoipa::path(get, path = "/v1/me", tag = "affiliate", security(("affiliate_token" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_show(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
) -> Result<Json<Me>, AppError> {
    Ok(Json(me(&state, &id).await?))
}

/// Changes the calling affiliate's referral emails, payout details and address.
#[utoipa::path(patch, path = "/v1/me", tag = "affiliate", request_body = UpdateMe, security(("affiliate_token" = [])),
    responses((status = 200, body = Me), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_update(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppJson(body): AppJson<UpdateMe>,
) -> Result<Json<Me>, AppError> {
    affiliates::check_email(&body.payout_email.clone().flatten(), "invalid_payout_email")?;
    affiliates::check_address(body.address.clone().flatten().as_deref())?;
    let payout = match &body.payout {
        Some(Some(p)) => Some(Some(p.checked()?)),
        other => other.clone(),
    };
    let mut tx = state.db.begin_write().await?;
    let before = PaidTo::load(&mut tx, &id).await?;
    let shown = affiliates::json_in(&mut tx, &id).await?;
    if let Some(on) = body.referral_emails {
        sqlx::query("UPDATE affiliates SET referral_emails = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(address) = &body.address {
        sqlx::query("UPDATE affiliates SET address = $1 WHERE id = $2")
            .bind(address)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(email) = &body.payout_email {
        sqlx::query("UPDATE affiliates SET payout_email = $1 WHERE id = $2")
            .bind(email)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(p) = &payout {
        let p = p.as_ref();
        sqlx::query(
            "UPDATE affiliates SET payout_method = $1, payout_bank = $2, payout_account = $3, payout_name = $4 \
             WHERE id = $5",
        )
        .bind(p.map(|p| p.method.clone()))
        .bind(p.and_then(|p| p.bank.clone()))
        .bind(p.map(|p| p.account.clone()))
        .bind(p.and_then(|p| p.name.clone()))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE affiliates SET updated_at = $1 WHERE id = $2")
        .bind(times::now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    crate::affiliate_mail::payout_details_changed(&mut tx, &state, &id, &before).await?;
    let by = crate::activity::by_affiliate(&id);
    affiliates::record_changes(&mut tx, &by, &id, &shown).await?;
    tx.commit().await?;
    state.affiliate_changed(&id);
    Ok(Json(me(&state, &id).await?))
}

/// The profile of affiliate `id`.
async fn me(state: &AppState, id: &str) -> Result<Me, AppError> {
    let program = state.program().await?;
    let affiliate = affiliates::load(state, id).await?;
    let referral_emails: i64 = sqlx::query("SELECT referral_emails FROM affiliates WHERE id = $1")
        .bind(id)
        .fetch_one(&state.db.pool)
        .await?
        .try_get(0)?;
    let p = program
        .params
        .first()
        .cloned()
        .unwrap_or_else(|| "ref".into());
    Ok(Me {
        links: vec![
            format!("?{p}={id}"),
            format!("#{p}={id}"),
            format!("/ref/{id}/"),
        ],
        link_params: program.params.clone(),
        balances: payouts::balances(state, id).await?,
        locale: program.locale().to_owned(),
        referral_emails: referral_emails != 0,
        min_payout: program.min_payout,
        min_payout_currency: program.currency.clone(),
        category_commission: program
            .commission
            .affiliate_categories
            .get(&affiliate.category)
            .cloned(),
        affiliate,
    })
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
    /// The campaign of the link (or touch) that brought it; none for a coupon.
    pub campaign: Option<String>,
}

/// The affiliate's report.
#[derive(Serialize, ToSchema)]
pub struct MyReport {
    /// Period start.
    pub from: String,
    /// Period end.
    pub to: String,
    /// Own KPIs (without the merchant's cost figures: cost of goods, sales without cost, ROI
    /// and contribution margin are null).
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
    let kpis = reports::affiliate_kpis(&state, &id, from, to)
        .await?
        .without_costs();
    let rows = sqlx::query(
        "SELECT r.id, r.kind, r.at, r.amount, r.currency, \
         CAST(COALESCE((SELECT SUM(g.amount) FROM ledger g WHERE g.referral_id = r.id), 0) AS BIGINT), r.status, \
         r.campaign FROM referrals r WHERE r.affiliate_id = $1 AND r.at >= $2 AND r.at < $3 ORDER BY r.at DESC, r.id DESC LIMIT 500",
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
                campaign: r.try_get(7)?,
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

/// One payout that paid the affiliate: their line of a payout batch, in one currency.
#[derive(Serialize, ToSchema)]
pub struct MyPayout {
    /// The payout batch's id: the reference of the merchant's payment.
    pub id: String,
    /// When the batch was created.
    pub at: String,
    /// Paid to them, minor units: `gross` less `withheld`.
    pub amount: i64,
    /// What it settled of their balance.
    pub gross: i64,
    /// Tax withheld and paid to the tax office in their name.
    pub withheld: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// How many of the affiliate's referrals it settled.
    pub referrals: i64,
    /// How many of the affiliate's bonuses it settled.
    pub bonuses: i64,
    /// How many shares of their recruits' commissions it settled.
    pub recruiter_commissions: i64,
    /// `paypal`, `vietqr` (bank transfer in Vietnam) or `promptpay`.
    pub method: String,
    /// Where the merchant's PayPal file sends it; `null` for a bank transfer.
    pub paypal_email: Option<String>,
    /// The bank account or PromptPay id of a bank transfer.
    pub account: Option<String>,
    /// The merchant's note to the recipients.
    pub note: Option<String>,
    /// When the merchant marked the transfer as sent; `null` until then.
    pub sent_at: Option<String>,
}

/// The affiliate's payout history.
#[derive(Serialize, ToSchema)]
pub struct MyPayouts {
    /// Newest first.
    pub payouts: Vec<MyPayout>,
}

/// A page of `GET /v1/me/payouts`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct MyPayoutsQuery {
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// The payouts that paid the affiliate, newest first.
#[utoipa::path(get, path = "/v1/me/payouts", tag = "affiliate", params(MyPayoutsQuery), security(("affiliate_token" = [])),
    responses((status = 200, body = MyPayouts), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_payouts(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppQuery(q): AppQuery<MyPayoutsQuery>,
) -> Result<Json<MyPayouts>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    let rows = sqlx::query(
        "SELECT p.id, p.at, l.amount, l.currency, l.referrals, l.paypal_email, p.note, l.method, l.account, l.sent_at, l.withheld, l.bonuses, l.recruiter_commissions \
         FROM payout_lines l JOIN payouts p ON p.id = l.payout_id WHERE l.affiliate_id = $1 \
         ORDER BY p.at DESC, p.id DESC, l.currency LIMIT $2 OFFSET $3",
    )
    .bind(&id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db.pool)
    .await?;
    let payouts = rows
        .iter()
        .map(|r| {
            let method: String = r.try_get(7)?;
            let email: String = r.try_get(5)?;
            let (amount, withheld): (i64, i64) = (r.try_get(2)?, r.try_get(10)?);
            Ok(MyPayout {
                id: r.try_get(0)?,
                at: times::format(r.try_get(1)?),
                amount,
                gross: amount + withheld,
                withheld,
                currency: r.try_get(3)?,
                referrals: r.try_get(4)?,
                bonuses: r.try_get(11)?,
                recruiter_commissions: r.try_get(12)?,
                paypal_email: (method == "paypal").then_some(email),
                method,
                account: r.try_get(8)?,
                note: r.try_get(6)?,
                sent_at: r.try_get::<Option<i64>, _>(9)?.map(times::format),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(MyPayouts { payouts }))
}
