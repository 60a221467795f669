//! Balances and payouts: `GET /v1/balances`, `POST /v1/payouts` (batch every approved balance),
//! `GET /v1/payouts[/{id}]`, `GET /v1/payouts/{id}.csv` (PayPal mass payment columns),
//! `POST /v1/payouts/{id}/sent` (a line's transfer marked as sent, or not),
//! `GET /v1/reports/withholding.csv` (the tax withheld from payouts, for the shop's filing).
//!
//! A payout moves each included referral's, bonus's and recruiter commission's approved money to
//! `paid` in the ledger. An affiliate's approved balance may be negative (a refund after an
//! earlier payout); the payout nets it: the affiliate is paid the sum, and only when that sum is positive and, in the
//! program's currency, at least its `min_payout`.

use super::idempotency::{self, remember};
use crate::activity;
use crate::auth::Merchant;
use crate::error::{AppError, AppJson, AppJsonOpt, AppQuery};
use crate::export;
use crate::ids::{new_id, sha256_hex};
use crate::ledger::{self, bucket, Entry};
use crate::routes::affiliates::Payout;
use crate::times::{self, now};
use crate::webhooks;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;

/// An affiliate's money in one currency.
#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct Balance {
    /// The affiliate.
    pub affiliate: String,
    /// ISO 4217 code.
    pub currency: String,
    /// In the hold period.
    pub pending: i64,
    /// Payable now (negative after a refund of paid commission).
    pub approved: i64,
    /// Paid out so far.
    pub paid: i64,
}

/// Balances.
#[derive(Serialize, ToSchema)]
pub struct Balances {
    /// One row per affiliate and currency.
    pub balances: Vec<Balance>,
}

/// Filters of `GET /v1/balances`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct BalancesQuery {
    /// Only this affiliate's.
    pub affiliate: Option<String>,
}

/// Balances of `affiliate` (or all), from the ledger.
pub async fn balances(state: &AppState, affiliate: &str) -> Result<Vec<Balance>, AppError> {
    let rows = sqlx::query(
        "SELECT affiliate_id, currency, \
           CAST(COALESCE(SUM(CASE WHEN bucket = 'pending' THEN amount ELSE 0 END), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN bucket = 'approved' THEN amount ELSE 0 END), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN bucket = 'paid' THEN amount ELSE 0 END), 0) AS BIGINT) \
         FROM ledger WHERE ($1 = '' OR affiliate_id = $1) GROUP BY affiliate_id, currency ORDER BY affiliate_id, currency",
    )
    .bind(affiliate)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Balance {
                affiliate: r.try_get(0)?,
                currency: r.try_get(1)?,
                pending: r.try_get(2)?,
                approved: r.try_get(3)?,
                paid: r.try_get(4)?,
            })
        })
        .collect()
}

/// Affiliates' balances, derived from the ledger.
#[utoipa::path(get, path = "/v1/balances", tag = "merchant", params(BalancesQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Balances), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn balances_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<BalancesQuery>,
) -> Result<Json<Balances>, AppError> {
    super::referrals::approve_due(&state).await?;
    Ok(Json(Balances {
        balances: balances(&state, q.affiliate.as_deref().unwrap_or("")).await?,
    }))
}

/// The body of `POST /v1/payouts` (all optional).
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreatePayout {
    /// Only this currency.
    pub currency: Option<String>,
    /// Only these affiliates.
    pub affiliates: Option<Vec<String>>,
    /// A note shown to the recipients.
    pub note: Option<String>,
}

/// One line of a payout: one affiliate, one currency.
#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct PayoutLine {
    /// The affiliate.
    pub affiliate: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Paid to the affiliate, minor units: `gross` less `withheld`.
    pub amount: i64,
    /// What the line settles of the affiliate's balance.
    pub gross: i64,
    /// Tax withheld under the program's `withholding` rules, paid to the tax office in the
    /// affiliate's name.
    pub withheld: i64,
    /// The affiliate's tax id at the time of the payout.
    pub tax_id: Option<String>,
    /// `paypal`, `vietqr` or `promptpay`: the affiliate's at the time of the payout.
    pub method: String,
    /// Where PayPal sends it; `null` for a bank transfer.
    pub paypal_email: Option<String>,
    /// VietQR: the bank's NAPAS BIN.
    pub bank: Option<String>,
    /// The account number or PromptPay id of a bank transfer.
    pub account: Option<String>,
    /// The account holder's name, when the affiliate gave one.
    pub account_name: Option<String>,
    /// The QR payload (EMVCo) a banking app scans to pay this line: for `vietqr` in VND and
    /// `promptpay` in THB; `null` otherwise.
    pub transfer_qr: Option<String>,
    /// How many referrals it settles.
    pub referrals: i64,
    /// How many bonuses it settles.
    pub bonuses: i64,
    /// How many recruiter commissions (shares of recruits' commissions) it settles.
    pub recruiter_commissions: i64,
    /// What the transfer cost the merchant (a bank or PayPal fee, in the line's currency), as
    /// recorded when it was marked sent; `null` when none was recorded.
    pub fee: Option<i64>,
    /// When the merchant marked the transfer as sent; `null` until then.
    pub sent_at: Option<String>,
}

impl PayoutLine {
    /// A line paid to `how`, with its QR payload for the payout `payout_id`.
    fn new(
        payout_id: &str,
        affiliate: String,
        currency: String,
        amount: i64,
        how: PaidTo,
        referrals: i64,
    ) -> PayoutLine {
        let (method, paypal_email, bank) = match &how {
            PaidTo::PayPal(email) => ("paypal".to_owned(), Some(email.clone()), None),
            PaidTo::Bank(p) => (p.method.clone(), None, Some(p)),
        };
        let transfer_qr = bank
            .and_then(Payout::account)
            .and_then(|a| a.transfer_qr(amount, &currency, payout_id));
        PayoutLine {
            affiliate,
            currency,
            amount,
            gross: amount,
            withheld: 0,
            tax_id: None,
            method,
            paypal_email,
            bank: bank.and_then(|p| p.bank.clone()),
            account: bank.map(|p| p.account.clone()),
            account_name: bank.and_then(|p| p.name.clone()),
            transfer_qr,
            referrals,
            bonuses: 0,
            recruiter_commissions: 0,
            fee: None,
            sent_at: None,
        }
    }
}

/// Where an affiliate's payouts go, or a line's money went.
#[derive(Clone, PartialEq, Debug)]
pub enum PaidTo {
    /// This PayPal email.
    PayPal(String),
    /// This bank account or PromptPay id.
    Bank(Payout),
}

impl PaidTo {
    /// From a row's method, PayPal email and the three bank columns, at `i`..`i + 5`.
    fn from_row(r: &sqlx::any::AnyRow, i: usize) -> Result<PaidTo, sqlx::Error> {
        let email: Option<String> = r.try_get(i + 1)?;
        let method: Option<String> = r.try_get(i)?;
        Ok(
            match Payout::from_columns(
                method.filter(|m| m != "paypal"),
                r.try_get(i + 2)?,
                r.try_get(i + 3)?,
                r.try_get(i + 4)?,
            ) {
                Some(p) => PaidTo::Bank(p),
                None => PaidTo::PayPal(email.unwrap_or_default()),
            },
        )
    }

    /// Where affiliate `id`'s payouts go now.
    pub async fn load(tx: &mut crate::db::Tx, id: &str) -> Result<PaidTo, AppError> {
        let r = sqlx::query(
            "SELECT payout_method, COALESCE(payout_email, email, ''), payout_bank, payout_account, payout_name \
             FROM affiliates WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(PaidTo::from_row(&r, 0)?)
    }

    /// `paypal`, `vietqr` or `promptpay`.
    pub fn method(&self) -> &str {
        match self {
            PaidTo::PayPal(_) => "paypal",
            PaidTo::Bank(p) => &p.method,
        }
    }

    /// The PayPal email, for PayPal.
    pub fn paypal_email(&self) -> Option<&str> {
        match self {
            PaidTo::PayPal(email) => Some(email),
            PaidTo::Bank(_) => None,
        }
    }

    /// The account or PromptPay id, for a bank transfer.
    pub fn account(&self) -> Option<&str> {
        match self {
            PaidTo::PayPal(_) => None,
            PaidTo::Bank(p) => Some(&p.account),
        }
    }

    /// A PayPal line needs an email; bank details were checked when saved.
    pub fn payable(&self) -> bool {
        match self {
            PaidTo::PayPal(email) => !email.is_empty(),
            PaidTo::Bank(_) => true,
        }
    }
}

/// A payout batch.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PayoutView {
    /// Id.
    pub id: String,
    /// When.
    pub at: String,
    /// The note.
    pub note: Option<String>,
    /// Lines.
    pub lines: Vec<PayoutLine>,
}

/// Batches every approved balance into a payout.
#[utoipa::path(post, path = "/v1/payouts", tag = "merchant",
    request_body(content = Option<CreatePayout>, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key answers the same payout")),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 201, body = PayoutView), (status = 200, body = PayoutView, description = "A replay"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn payouts_create(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    headers: HeaderMap,
    AppJsonOpt(body): AppJsonOpt<CreatePayout>,
) -> Result<Response, AppError> {
    let body = body.unwrap_or_default();
    let idem = super::idempotency_key(&headers)?;
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
    if body
        .affiliates
        .as_ref()
        .is_some_and(|a| a.len() > 1000 || !a.iter().all(|x| reftrail::affiliate::is_valid(x)))
    {
        return Err(AppError::bad(
            "invalid_affiliates",
            "affiliates must be at most 1000 affiliate ids",
        ));
    }
    super::check_note(body.note.as_deref(), "invalid_note", "note")?;
    let request_hash = sha256_hex(&serde_json::to_string(&body)?);
    if let Some(k) = &idem {
        if let Some(stored) = idempotency::lookup(&state.db.pool, "payout", k).await? {
            return idempotency::answer(
                stored,
                &request_hash,
                Some("this Idempotency-Key was used for a different payout"),
            );
        }
    }
    super::referrals::approve_due(&state).await?;
    let program = state.program().await?;
    let mut tx = state.db.begin_write().await?;
    ledger::lock(&state.db, &mut tx, "payouts").await?;
    if let Some(k) = &idem {
        // The same key may have been committed while this request waited for the lock.
        if let Some(r) =
            idempotency::committed_answer(&mut tx, "payout", k, &request_hash, "Idempotency-Key")
                .await?
        {
            return Ok(r);
        }
    }
    let rows = sqlx::query(
        "SELECT l.affiliate_id, l.currency, CAST(SUM(l.amount) AS BIGINT), \
           a.payout_method, COALESCE(a.payout_email, a.email, ''), a.payout_bank, a.payout_account, a.payout_name, \
           a.withholding_exempt, a.tax_id \
         FROM ledger l JOIN affiliates a ON a.id = l.affiliate_id \
         WHERE l.bucket = 'approved' AND ($1 = '' OR l.currency = $1) \
         GROUP BY l.affiliate_id, l.currency, a.payout_method, a.payout_email, a.email, a.payout_bank, a.payout_account, a.payout_name, \
           a.withholding_exempt, a.tax_id \
         ORDER BY l.affiliate_id, l.currency",
    )
    .bind(body.currency.clone().unwrap_or_default())
    .fetch_all(&mut *tx)
    .await?;
    let id = new_id("po");
    let at = now();
    let mut lines = Vec::new();
    for r in rows {
        let affiliate: String = r.try_get(0)?;
        let currency: String = r.try_get(1)?;
        let total: i64 = r.try_get(2)?;
        let how = PaidTo::from_row(&r, 3)?;
        if total < program.min_payout_in(&currency) || !how.payable() {
            continue;
        }
        if body
            .affiliates
            .as_ref()
            .is_some_and(|only| !only.contains(&affiliate))
        {
            continue;
        }
        if lines.is_empty() {
            sqlx::query("INSERT INTO payouts (id, at, note) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(at)
                .bind(body.note.as_deref())
                .execute(&mut *tx)
                .await?;
        }
        let parts = sqlx::query(
            "SELECT referral_id, bonus_id, recruiter_commission_id, CAST(SUM(amount) AS BIGINT) FROM ledger \
             WHERE affiliate_id = $1 AND currency = $2 AND bucket = 'approved' \
             GROUP BY referral_id, bonus_id, recruiter_commission_id HAVING SUM(amount) <> 0",
        )
        .bind(&affiliate)
        .bind(&currency)
        .fetch_all(&mut *tx)
        .await?;
        let (mut count, mut bonuses, mut recruiter_commissions) = (0, 0, 0);
        for p in parts {
            let referral: Option<String> = p.try_get(0)?;
            let bonus: Option<String> = p.try_get(1)?;
            let recruiter_commission: Option<String> = p.try_get(2)?;
            let amount: i64 = p.try_get(3)?;
            let e = |bucket, amount| Entry {
                affiliate: &affiliate,
                referral: referral.as_deref(),
                bonus: bonus.as_deref(),
                recruiter_commission: recruiter_commission.as_deref(),
                payout: Some(&id),
                bucket,
                entry: "payout",
                amount,
                currency: &currency,
            };
            ledger::append(&mut tx, e(bucket::APPROVED, -amount)).await?;
            ledger::append(&mut tx, e(bucket::PAID, amount)).await?;
            if let Some(rid) = &referral {
                sqlx::query("UPDATE referrals SET status = 'paid', payout_id = $1 WHERE id = $2 AND status = 'approved'")
                    .bind(&id)
                    .bind(rid)
                    .execute(&mut *tx)
                    .await?;
                count += 1;
            }
            if let Some(bid) = &bonus {
                sqlx::query("UPDATE bonuses SET status = 'paid', payout_id = $1 WHERE id = $2 AND status = 'approved'")
                    .bind(&id)
                    .bind(bid)
                    .execute(&mut *tx)
                    .await?;
                bonuses += 1;
            }
            if let Some(rc) = &recruiter_commission {
                crate::recruiters::paid(&mut tx, rc, &id).await?;
                recruiter_commissions += 1;
            }
        }
        let exempt = r.try_get::<i64, _>(8)? != 0;
        let withheld =
            reftrail::withholding::withheld(&program.withholding, &currency, total, exempt);
        let line = PayoutLine {
            gross: total,
            withheld,
            tax_id: r.try_get(9)?,
            bonuses,
            recruiter_commissions,
            ..PayoutLine::new(&id, affiliate, currency, total - withheld, how, count)
        };
        sqlx::query(
            "INSERT INTO payout_lines (payout_id, affiliate_id, currency, amount, paypal_email, referrals, \
               method, bank, account, account_name, withheld, tax_id, bonuses, recruiter_commissions) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&id)
        .bind(&line.affiliate)
        .bind(&line.currency)
        .bind(line.amount)
        .bind(line.paypal_email.as_deref().unwrap_or(""))
        .bind(count)
        .bind(&line.method)
        .bind(line.bank.as_deref())
        .bind(line.account.as_deref())
        .bind(line.account_name.as_deref())
        .bind(line.withheld)
        .bind(line.tax_id.as_deref())
        .bind(line.bonuses)
        .bind(line.recruiter_commissions)
        .execute(&mut *tx)
        .await?;
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(AppError::unprocessable(
            "nothing_to_pay",
            "no affiliate has an approved balance at or above the minimum payout and a payout email or bank details",
        ));
    }
    let view = PayoutView {
        id: id.clone(),
        at: times::format(at),
        note: body.note.clone(),
        lines,
    };
    let text = serde_json::to_string(&view)?;
    webhooks::enqueue(&mut tx, &program, "payout.created", &view).await?;
    crate::affiliate_mail::payout_created(&mut tx, &state, &program, &view).await?;
    // The affiliates' requests this payout answers are closed with it.
    let paid: Vec<(String, String)> = view
        .lines
        .iter()
        .map(|l| (l.affiliate.clone(), l.currency.clone()))
        .collect();
    super::payout_requests::close_paid(&mut tx, &id, &paid, at).await?;
    let details = json!({ "lines": view.lines.len() });
    activity::record(&mut tx, &via.by(), "payout.created", &id, None, details).await?;
    if let Some(k) = &idem {
        remember(&mut tx, "payout", k, &request_hash, &text).await?;
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response())
}

/// Payouts, newest first.
#[derive(Serialize, ToSchema)]
pub struct PayoutsPage {
    /// Payouts.
    pub payouts: Vec<PayoutView>,
}

async fn load(state: &AppState, id: &str) -> Result<PayoutView, AppError> {
    let p = sqlx::query("SELECT id, at, note FROM payouts WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| AppError::not_found("payout_not_found", "no payout has this id"))?;
    let lines = sqlx::query(
        "SELECT affiliate_id, currency, amount, referrals, method, paypal_email, bank, account, account_name, sent_at, \
           withheld, tax_id, bonuses, fee, recruiter_commissions \
         FROM payout_lines WHERE payout_id = $1 ORDER BY affiliate_id, currency",
    )
    .bind(id)
    .fetch_all(&state.db.pool)
    .await?
    .iter()
    .map(|r| {
        let sent_at: Option<i64> = r.try_get(9)?;
        let (amount, withheld): (i64, i64) = (r.try_get(2)?, r.try_get(10)?);
        Ok(PayoutLine {
            sent_at: sent_at.map(times::format),
            gross: amount + withheld,
            withheld,
            tax_id: r.try_get(11)?,
            bonuses: r.try_get(12)?,
            fee: r.try_get(13)?,
            recruiter_commissions: r.try_get(14)?,
            ..PayoutLine::new(
                id,
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                PaidTo::from_row(r, 4)?,
                r.try_get(3)?,
            )
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(PayoutView {
        id: p.try_get(0)?,
        at: times::format(p.try_get(1)?),
        note: p.try_get(2)?,
        lines,
    })
}

/// Lists payouts.
#[utoipa::path(get, path = "/v1/payouts", tag = "merchant", security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = PayoutsPage), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn payouts_index(
    State(state): State<AppState>,
    _m: Merchant,
) -> Result<Json<PayoutsPage>, AppError> {
    let ids: Vec<String> =
        sqlx::query("SELECT id FROM payouts ORDER BY at DESC, id DESC LIMIT 500")
            .fetch_all(&state.db.pool)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
    let mut payouts = Vec::with_capacity(ids.len());
    for id in ids {
        payouts.push(load(&state, &id).await?);
    }
    Ok(Json(PayoutsPage { payouts }))
}

/// One payout as JSON, or with `.csv` after the id, as a PayPal mass payment file of its PayPal
/// lines: no header; columns recipient email, amount (decimal in the currency's units),
/// currency, customer id (the affiliate id), note.
#[utoipa::path(get, path = "/v1/payouts/{id}", tag = "merchant", params(("id" = String, Path, description = "The payout id; append .csv for the PayPal file")),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = PayoutView, content_type = "application/json"),
        (status = 200, body = String, content_type = "text/csv", description = "GET /v1/payouts/{id}.csv"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn payouts_show(
    State(state): State<AppState>,
    _m: Merchant,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if let Some(id) = id.strip_suffix(".csv") {
        let p = load(&state, id).await?;
        return Ok(export::download(&format!("{}.csv", p.id), paypal_csv(&p)?));
    }
    Ok(Json(load(&state, &id).await?).into_response())
}

/// The body of `POST /v1/payouts/{id}/sent`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkSent {
    /// The line's affiliate.
    pub affiliate: String,
    /// The line's currency.
    pub currency: String,
    /// `true`: the transfer was sent (the first time marked is kept); `false`: not yet.
    pub sent: bool,
    /// With `sent: true`: what the transfer cost the merchant, minor units of the line's
    /// currency (replaces the line's fee; absent keeps it). Unmarking clears it.
    #[schema(value_type = Option<i64>)]
    pub fee: Option<serde_json::Value>,
}

impl MarkSent {
    /// The fee to record, checked: `None` keeps the line's.
    fn fee(&self) -> Result<Option<i64>, AppError> {
        let Some(v) = &self.fee else { return Ok(None) };
        match v.as_i64() {
            Some(n) if self.sent && (0..=reftrail::report::MAX_AMOUNT).contains(&n) => Ok(Some(n)),
            _ => Err(AppError::bad(
                "invalid_fee",
                "fee must be a whole number of minor units, 0 or more, given with sent: true",
            )),
        }
    }
}

/// Marks one line's transfer as sent, or not, and what it cost: the merchant's count of the
/// lines paid from their banking app (or by PayPal's file), and the fees that the reports add
/// to the channel cost. The ledger already holds the lines as paid.
#[utoipa::path(post, path = "/v1/payouts/{id}/sent", tag = "merchant", params(("id" = String, Path)), request_body = MarkSent,
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = PayoutView), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn payouts_sent(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
    AppJson(b): AppJson<MarkSent>,
) -> Result<Json<PayoutView>, AppError> {
    let fee = b.fee()?;
    let mut tx = state.db.begin_write().await?;
    let before = sqlx::query(
        "SELECT sent_at, fee FROM payout_lines WHERE payout_id = $1 AND affiliate_id = $2 AND currency = $3",
    )
    .bind(&id)
    .bind(&b.affiliate)
    .bind(&b.currency)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| -> Result<(bool, Option<i64>), sqlx::Error> {
        Ok((r.try_get::<Option<i64>, _>(0)?.is_some(), r.try_get(1)?))
    })
    .transpose()?;
    let new_fee = if b.sent {
        fee.or(before.and_then(|(_, f)| f))
    } else {
        None
    };
    let marked = sqlx::query(
        "UPDATE payout_lines SET sent_at = CASE WHEN $1 = 1 THEN COALESCE(sent_at, $2) ELSE NULL END, fee = $3 \
         WHERE payout_id = $4 AND affiliate_id = $5 AND currency = $6",
    )
    .bind(i64::from(b.sent))
    .bind(now())
    .bind(new_fee)
    .bind(&id)
    .bind(&b.affiliate)
    .bind(&b.currency)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if before.is_some_and(|(was, old_fee)| was != b.sent || old_fee != new_fee) {
        let details = json!({ "currency": b.currency, "sent": b.sent, "fee": new_fee });
        let affiliate = Some(b.affiliate.as_str());
        activity::record(&mut tx, &via.by(), "payout.sent", &id, affiliate, details).await?;
    }
    tx.commit().await?;
    if marked == 0 {
        // Which 404: the batch, or its line.
        load(&state, &id).await?;
        return Err(AppError::not_found(
            "payout_line_not_found",
            "this payout has no line for this affiliate and currency",
        ));
    }
    Ok(Json(load(&state, &id).await?))
}

/// The period of `GET /v1/reports/withholding.csv`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct WithholdingQuery {
    /// From (RFC 3339 or YYYY-MM-DD), inclusive; default 30 days before `to`.
    pub from: Option<String>,
    /// To (RFC 3339, exclusive, or YYYY-MM-DD, inclusive); default now.
    pub to: Option<String>,
}

/// The columns of the withholding report.
const WITHHOLDING_HEADER: [&str; 9] = [
    "affiliate_id",
    "name",
    "tax_id",
    "payee_type",
    "currency",
    "gross",
    "withheld",
    "paid",
    "payouts",
];

/// What was paid to each affiliate in each currency by the payouts of a period, and the tax
/// withheld from it: one row per affiliate and currency, amounts as decimals in the currency's
/// units, the tax id as the latest payout of the period recorded it.
#[utoipa::path(get, path = "/v1/reports/withholding.csv", tag = "merchant", params(WithholdingQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = String, content_type = "text/csv"), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn withholding_csv(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<WithholdingQuery>,
) -> Result<Response, AppError> {
    let (from, to) = super::reports::range(q.from.as_deref(), q.to.as_deref())?;
    let rows = sqlx::query(
        "SELECT l.affiliate_id, COALESCE(a.name, ''), l.currency, \
           CAST(SUM(l.amount + l.withheld) AS BIGINT), CAST(SUM(l.withheld) AS BIGINT), \
           CAST(SUM(l.amount) AS BIGINT), COUNT(*), \
           (SELECT l2.tax_id FROM payout_lines l2 JOIN payouts p2 ON p2.id = l2.payout_id \
             WHERE l2.affiliate_id = l.affiliate_id AND l2.currency = l.currency AND p2.at >= $1 AND p2.at < $2 \
             ORDER BY p2.at DESC, p2.id DESC LIMIT 1), \
           a.payee_type \
         FROM payout_lines l JOIN payouts p ON p.id = l.payout_id LEFT JOIN affiliates a ON a.id = l.affiliate_id \
         WHERE p.at >= $1 AND p.at < $2 \
         GROUP BY l.affiliate_id, a.name, a.payee_type, l.currency ORDER BY l.affiliate_id, l.currency",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&state.db.pool)
    .await?;
    let mut records = Vec::with_capacity(rows.len());
    for r in &rows {
        let currency: String = r.try_get(2)?;
        let tax_id: Option<String> = r.try_get(7)?;
        let payee_type: Option<String> = r.try_get(8)?;
        records.push([
            r.try_get(0)?,
            export::cell(&r.try_get::<String, _>(1)?),
            tax_id.unwrap_or_default(),
            payee_type.unwrap_or_default(),
            currency.clone(),
            export::decimal(r.try_get(3)?, &currency),
            export::decimal(r.try_get(4)?, &currency),
            export::decimal(r.try_get(5)?, &currency),
            r.try_get::<i64, _>(6)?.to_string(),
        ]);
    }
    let text = export::csv(Some(&WITHHOLDING_HEADER), records)?;
    Ok(export::download("withholding.csv", text))
}

/// The PayPal mass payment file of a payout's PayPal lines (bank lines are paid by their QR or
/// account details).
pub fn paypal_csv(p: &PayoutView) -> Result<String, AppError> {
    let note = p
        .note
        .clone()
        .unwrap_or_else(|| format!("Affiliate commission {}", p.id));
    export::csv(
        None,
        p.lines.iter().filter_map(|l| {
            let email = l.paypal_email.as_deref()?;
            Some([
                export::cell(email),
                export::decimal(l.amount, &l.currency),
                l.currency.clone(),
                l.affiliate.clone(),
                export::cell(&note),
            ])
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank(method: &str, bank: Option<&str>, account: &str) -> PaidTo {
        PaidTo::Bank(Payout {
            method: method.into(),
            bank: bank.map(Into::into),
            account: account.into(),
            name: None,
        })
    }

    #[test]
    fn csv_has_paypal_columns_and_only_paypal_lines() {
        let p = PayoutView {
            id: "po_1".into(),
            at: "2026-11-23T00:00:00Z".into(),
            note: Some("=SUM(A1)".into()),
            lines: vec![
                PayoutLine::new(
                    "po_1",
                    "alice".into(),
                    "USD".into(),
                    1250,
                    PaidTo::PayPal("a@x.test".into()),
                    2,
                ),
                PayoutLine::new(
                    "po_1",
                    "lan".into(),
                    "VND".into(),
                    500_000,
                    bank("vietqr", Some("970436"), "0011001932418"),
                    1,
                ),
            ],
        };
        assert_eq!(
            paypal_csv(&p).unwrap(),
            "a@x.test,12.50,USD,alice,'=SUM(A1)\n"
        );
    }

    #[test]
    fn a_line_carries_its_qr_in_the_method_s_currency() {
        let vnd = PayoutLine::new(
            "po_0Abc123XyZ9pQ",
            "lan".into(),
            "VND".into(),
            1_250_000,
            bank("vietqr", Some("970436"), "0011001932418"),
            1,
        );
        assert_eq!(vnd.method, "vietqr");
        assert_eq!(vnd.paypal_email, None);
        let qr = vnd
            .transfer_qr
            .expect("a VND line to a VietQR account has a QR");
        assert!(
            qr.contains("0006970436011300110019324180208QRIBFTTA"),
            "{qr}"
        );
        assert!(
            qr.contains("54071250000") && qr.contains("0815po0Abc123XyZ9pQ"),
            "{qr}"
        );
        let usd = PayoutLine::new(
            "po_1",
            "lan".into(),
            "USD".into(),
            1_000,
            bank("vietqr", Some("970436"), "0011001932418"),
            1,
        );
        assert_eq!(usd.transfer_qr, None);
        assert_eq!(usd.account.as_deref(), Some("0011001932418"));
        let thb = PayoutLine::new(
            "po_1",
            "som".into(),
            "THB".into(),
            125_000,
            bank("promptpay", None, "0812345678"),
            1,
        );
        assert!(thb.transfer_qr.is_some_and(|q| q.contains("54071250.00")));
        let paypal = PayoutLine::new(
            "po_1",
            "alice".into(),
            "VND".into(),
            1,
            PaidTo::PayPal("a@x.test".into()),
            1,
        );
        assert_eq!(
            (paypal.method.as_str(), paypal.transfer_qr),
            ("paypal", None)
        );
    }
}
