//! `POST /v1/leads` and `POST /v1/sales`: conversions, attribution and the referral they create.
//!
//! Attribution order, first match wins: a subscription renewal credits the affiliate of the
//! subscription's first sale; then the affiliate's coupon; then the signed `rt_click` cookie;
//! then the `click_id` in the body; then the touch the browser reports (lowest trust, marked
//! `attributed_by: "touch"`); then, where the program's `match_customers` is on, the customer's
//! latest conversion that a visit credited (same email hash or customer id, on any device:
//! `attributed_by: "customer"`). Clicks, touches and those conversions older than the program's
//! window credit nobody; bot clicks never credit. Every sale is recorded, credited or not: store
//! revenue needs them.
//!
//! Idempotency: a sale is keyed by its `order_id`, a lead by (event, customer) or its
//! `Idempotency-Key`; a replay answers `200` with the body of the first answer and writes
//! nothing. The same `Idempotency-Key` with a different body is a `409`.

use super::idempotency::{self, remember};
use super::referrals::{referral_view, ReferralView};
use super::{client, idempotency_key_or_body, valid_text, PeerAddr};
use crate::auth::{ingest_caller, Caller, Merchant};
use crate::click_cookie;
use crate::commissions::{self, Order};
use crate::db::Tx;
use crate::error::{is_unique_violation, AppError, AppJson, AppQuery};
use crate::fraud;
use crate::ids::{new_id, sha256_hex};
use crate::ledger::{self, bucket, Entry};
use crate::metrics::inc;
use crate::program::Program;
use crate::times::{self, now, DAY};
use crate::webhooks;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use reftrail::affiliate::AffiliateId;
use reftrail::commission::Item;
use reftrail::money::Currency;
use reftrail::report::{MAX_AMOUNT, MAX_ITEMS, MAX_TEXT_LEN};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// The touch the browser reports: its stored referral.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
pub struct TouchInput {
    /// The affiliate.
    pub affiliate: String,
    /// Where the id was found.
    pub via: Option<String>,
    /// When the touch happened (RFC 3339).
    pub at: String,
    /// The campaign name.
    pub campaign: Option<String>,
    /// The visitor id.
    pub visitor: Option<String>,
}

/// A customer of a sale.
#[derive(Deserialize, Serialize, ToSchema, Clone, Default)]
pub struct CustomerInput {
    /// The email (secret key only; hashed on arrival, never stored).
    pub email: Option<String>,
    /// SHA-256 hex of the trimmed, lower-cased email.
    pub email_hash: Option<String>,
    /// The shop's customer id.
    pub id: Option<String>,
}

/// One order line.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
pub struct ItemInput {
    /// SKU.
    pub sku: String,
    /// Category.
    pub category: Option<String>,
    /// Unit price, minor units.
    pub amount: i64,
    /// Quantity (default 1).
    pub quantity: Option<i64>,
}

/// The body of `POST /v1/sales`.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
pub struct CreateSale {
    /// The shop's order id: the idempotency key.
    pub order_id: String,
    /// The order total, minor units of `currency`.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Shipping included in `amount`.
    pub shipping: Option<i64>,
    /// Tax included in `amount`.
    pub tax: Option<i64>,
    /// Cost of goods of the order, minor units of `currency`, 0 to `amount`: the reports'
    /// cost of goods, ROI and contribution margin use it. Left out: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<i64>,
    /// The coupon code used.
    pub coupon: Option<String>,
    /// Order lines.
    pub items: Option<Vec<ItemInput>>,
    /// The customer.
    pub customer: Option<CustomerInput>,
    /// A subscription this order starts or renews: renewals credit the first sale's affiliate.
    pub subscription_id: Option<String>,
    /// When the order was placed (RFC 3339); default now.
    pub at: Option<String>,
    /// The click id the browser holds.
    pub click_id: Option<String>,
    /// The browser-reported touch.
    pub touch: Option<TouchInput>,
    /// The publishable key, for `sendBeacon` (no headers).
    pub key: Option<String>,
    /// The idempotency key when no `Idempotency-Key` header can be sent (browser reports).
    pub idempotency_key: Option<String>,
}

/// The body of `POST /v1/leads`.
#[derive(Deserialize, Serialize, ToSchema, Clone)]
pub struct CreateLead {
    /// What happened (`signup`, `trial`, …).
    pub event: String,
    /// The email (secret key only; hashed on arrival).
    pub email: Option<String>,
    /// SHA-256 hex of the trimmed, lower-cased email.
    pub email_hash: Option<String>,
    /// The shop's customer id.
    pub customer_id: Option<String>,
    /// The click id the browser holds.
    pub click_id: Option<String>,
    /// The browser-reported touch.
    pub touch: Option<TouchInput>,
    /// The publishable key, for `sendBeacon`.
    pub key: Option<String>,
    /// The idempotency key when no `Idempotency-Key` header can be sent (browser reports).
    pub idempotency_key: Option<String>,
}

/// A recorded sale.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SaleView {
    /// Server id.
    pub id: String,
    /// The shop's order id.
    pub order_id: String,
    /// When (RFC 3339).
    pub at: String,
    /// Total, minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Cost of goods, minor units; null when the shop did not send one.
    pub cost: Option<i64>,
    /// Whether a secret key reported it.
    pub verified: bool,
    /// The credited affiliate.
    pub affiliate: Option<String>,
    /// `renewal`, `coupon`, `cookie`, `click_id`, `touch`, or none.
    pub attributed_by: Option<String>,
}

/// The answer to a sale.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SaleCreated {
    /// The sale.
    pub sale: SaleView,
    /// The referral it created, if an affiliate is credited.
    pub referral: Option<ReferralView>,
}

/// The answer to a lead.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LeadCreated {
    /// Server id of the lead.
    pub lead_id: String,
    /// The event.
    pub event: String,
    /// Whether a secret key reported it.
    pub verified: bool,
    /// The credited affiliate.
    pub affiliate: Option<String>,
    /// How the affiliate was found.
    pub attributed_by: Option<String>,
    /// The referral, if an affiliate is credited.
    pub referral: Option<ReferralView>,
}

fn bad(code: &'static str, msg: &'static str) -> AppError {
    AppError::bad(code, msg)
}

/// A text field: 1 to 128 bytes without control characters, or `code` and `msg`.
fn required_text(value: &str, code: &'static str, msg: &'static str) -> Result<(), AppError> {
    if valid_text(value, MAX_TEXT_LEN) {
        Ok(())
    } else {
        Err(bad(code, msg))
    }
}

/// An optional text field: absent, or 1 to 128 bytes without control characters.
pub(super) fn optional_text(
    value: Option<&str>,
    code: &'static str,
    msg: &'static str,
) -> Result<(), AppError> {
    value.map_or(Ok(()), |v| required_text(v, code, msg))
}

fn check_email_hash(h: &str) -> Result<(), AppError> {
    if h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(bad(
            "invalid_email_hash",
            "email_hash must be 64 lower-case hex characters (SHA-256)",
        ))
    }
}

/// The email hash from `email` (backend only) or `email_hash`.
pub(super) fn email_hash(
    email: Option<&str>,
    hash: Option<&str>,
    verified: bool,
) -> Result<Option<String>, AppError> {
    match (email, hash) {
        (Some(_), Some(_)) => Err(bad("invalid_email", "send email or email_hash, not both")),
        (Some(_), None) if !verified => Err(bad(
            "email_not_allowed",
            "the browser sends email_hash; a plain email needs the secret key",
        )),
        (Some(e), None) => reftrail::email::hash(e)
            .map(Some)
            .ok_or_else(|| bad("invalid_email", "email is not an email address")),
        (None, Some(h)) => check_email_hash(h).map(|_| Some(h.to_owned())),
        (None, None) => Ok(None),
    }
}

/// A checked browser touch.
struct Touch {
    affiliate: AffiliateId,
    at: i64,
    campaign: Option<String>,
}

fn check_touch(t: &TouchInput) -> Result<Touch, AppError> {
    let a = AffiliateId::parse(&t.affiliate).ok_or_else(|| {
        bad(
            "invalid_touch",
            "touch.affiliate is not a valid affiliate id",
        )
    })?;
    let at = times::parse(&t.at)
        .ok_or_else(|| bad("invalid_touch", "touch.at must be an RFC 3339 time"))?;
    if let Some(v) = &t.via {
        if !matches!(v.as_str(), "query" | "fragment" | "path" | "decorated") {
            return Err(bad(
                "invalid_touch",
                "touch.via must be query, fragment, path or decorated",
            ));
        }
    }
    optional_text(
        t.campaign.as_deref(),
        "invalid_touch",
        "touch.campaign is too long or has control characters",
    )?;
    if t.visitor
        .as_deref()
        .is_some_and(|v| !reftrail::state::is_valid_visitor(v))
    {
        return Err(bad(
            "invalid_touch",
            "touch.visitor must be 16 to 32 letters and digits",
        ));
    }
    Ok(Touch {
        affiliate: a,
        at,
        campaign: t.campaign.clone().filter(|c| !c.is_empty()),
    })
}

fn check_click_id(c: &Option<String>) -> Result<(), AppError> {
    if c.as_deref()
        .is_some_and(|c| !reftrail::affiliate::is_valid(c))
    {
        return Err(bad(
            "invalid_click_id",
            "click_id must be 1 to 64 letters, digits, '-', '_' or '.'",
        ));
    }
    Ok(())
}

fn check_key(k: &Option<String>) -> Result<(), AppError> {
    if k.as_deref()
        .is_some_and(|k| k.len() > 120 || super::has_control(k))
    {
        return Err(AppError::Unauthorized("malformed key".into()));
    }
    Ok(())
}

/// How a conversion was credited.
struct Credit {
    affiliate: String,
    by: &'static str,
    click_id: Option<String>,
    /// When the deciding click or browser touch happened (none for a coupon or a renewal).
    touched_at: Option<i64>,
    /// The campaign of what credited the conversion (`campaigns`).
    campaign: Option<String>,
    email_hash: Option<String>,
    overrides: Option<String>,
    /// The affiliate's category, whose overrides the program's rules may hold.
    category: String,
}

/// What crediting an approved affiliate needs of their record.
struct Approved {
    /// Their id as stored (a browser's touch may carry it in another case).
    id: String,
    email_hash: Option<String>,
    overrides: Option<String>,
    category: String,
}

async fn approved_affiliate(tx: &mut Tx, id: &str) -> Result<Option<Approved>, AppError> {
    let row = sqlx::query(
        "SELECT email_hash, commission, category, id FROM affiliates WHERE LOWER(id) = LOWER($1) AND status = 'approved' \
         ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row
        .map(|r| {
            Ok::<_, sqlx::Error>(Approved {
                id: r.try_get(3)?,
                email_hash: r.try_get(0)?,
                overrides: r.try_get(1)?,
                category: r.try_get(2)?,
            })
        })
        .transpose()?)
}

/// Who may be credited, found by one of the ways in [`attribute`], before the affiliate's
/// status is checked.
struct Found {
    affiliate: String,
    by: &'static str,
    click_id: Option<String>,
    touched_at: Option<i64>,
    campaign: Option<String>,
}

impl Found {
    fn new(affiliate: String, by: &'static str) -> Self {
        Found {
            affiliate,
            by,
            click_id: None,
            touched_at: None,
            campaign: None,
        }
    }
}

/// The affiliate, time and campaign of a click that may credit a conversion at `until`: not a
/// bot, inside the window, and not after the conversion (five minutes of clock skew aside, as
/// for a browser touch): a click cannot have brought an order placed before it.
async fn click_affiliate(
    tx: &mut Tx,
    click_id: &str,
    window_start: i64,
    until: i64,
) -> Result<Option<(String, i64, Option<String>)>, AppError> {
    let row = sqlx::query(
        "SELECT affiliate_id, at, campaign_name FROM clicks WHERE id = $1 AND is_bot = 0 AND at >= $2 AND at <= $3 \
         AND affiliate_id IS NOT NULL",
    )
    .bind(click_id)
    .bind(window_start)
    .bind(until + 300)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row
        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .transpose()?)
}

/// The first attributed sale of a subscription, which its renewals credit.
struct FirstSale {
    affiliate: String,
    at: i64,
    campaign: Option<String>,
}

struct Sources<'a> {
    renewal_of: Option<&'a FirstSale>,
    coupon: Option<&'a str>,
    cookie_click: Option<String>,
    click_id: Option<&'a str>,
    touch: Option<Touch>,
    /// The customer's email hash and the shop's customer id, for `match_customers`.
    customer: (Option<&'a str>, Option<&'a str>),
}

/// The affiliate, time and campaign of the customer's latest verified conversion in
/// `[since, until]` (a purchase before a lead of the same second) that a visit credited (a click or a browser touch, not a coupon, a renewal or an earlier match, so
/// a match never outlives the window of the visit behind it). Only what the shop itself reported
/// (verified) counts: leads a page reports with an email it was given could otherwise claim
/// customers who later buy on their own.
async fn customer_affiliate(
    tx: &mut Tx,
    (email_hash, customer_id): (Option<&str>, Option<&str>),
    since: i64,
    until: i64,
) -> Result<Option<(String, i64, Option<String>)>, AppError> {
    if email_hash.is_none() && customer_id.is_none() {
        return Ok(None);
    }
    let visit = "verified = 1 AND affiliate_id IS NOT NULL AND attributed_by IN ('cookie', 'click_id', 'touch') \
                 AND at >= $3 AND at <= $4 AND (email_hash = $1 OR customer_id = $2)";
    let sql = format!(
        "SELECT t.affiliate_id, t.at, r.campaign FROM (SELECT id, affiliate_id, at, 1 AS purchase FROM orders WHERE {visit} \
         UNION ALL SELECT id, affiliate_id, at, 0 AS purchase FROM leads WHERE {visit}) t \
         LEFT JOIN referrals r ON r.source_id = t.id ORDER BY t.at DESC, t.purchase DESC, t.id DESC LIMIT 1"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(email_hash)
        .bind(customer_id)
        .bind(since)
        .bind(until)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row
        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .transpose()?)
}

async fn attribute(
    tx: &mut Tx,
    program: &Program,
    at: i64,
    s: Sources<'_>,
) -> Result<Option<Credit>, AppError> {
    let window_start = at - program.window_days * DAY;
    let mut found: Option<Found> = None;
    if let Some(first) = s.renewal_of {
        found = Some(Found {
            campaign: first.campaign.clone(),
            ..Found::new(first.affiliate.clone(), "renewal")
        });
    }
    if found.is_none() {
        if let Some(code) = s.coupon {
            let row = sqlx::query("SELECT affiliate_id FROM coupons WHERE code = $1")
                .bind(code.to_uppercase())
                .fetch_optional(&mut **tx)
                .await?;
            if let Some(r) = row {
                found = Some(Found::new(r.try_get(0)?, "coupon"));
            }
        }
    }
    if found.is_none() {
        // The signed cookie outranks the click id the browser holds, except in a first-click
        // program: the cookie follows the latest consented click, while the browser keeps the
        // first, so there the earlier of the two clicks is credited (the browser's on a tie).
        let first_click = program.model == "first";
        let order = if first_click {
            [
                (s.click_id, "click_id"),
                (s.cookie_click.as_deref(), "cookie"),
            ]
        } else {
            [
                (s.cookie_click.as_deref(), "cookie"),
                (s.click_id, "click_id"),
            ]
        };
        let mut clicks = Vec::new();
        for (click, by) in order {
            if let Some(c) = click {
                if let Some((a, t, campaign)) = click_affiliate(tx, c, window_start, at).await? {
                    clicks.push(Found {
                        click_id: Some(c.to_owned()),
                        touched_at: Some(t),
                        campaign,
                        ..Found::new(a, by)
                    });
                }
            }
        }
        found = if first_click {
            clicks.into_iter().min_by_key(|c| c.touched_at)
        } else {
            clicks.into_iter().next()
        };
    }
    if found.is_none() {
        if let Some(t) = s.touch {
            if t.at >= window_start && t.at <= at + 300 {
                found = Some(Found {
                    touched_at: Some(t.at),
                    campaign: t.campaign,
                    ..Found::new(t.affiliate.as_str().to_owned(), "touch")
                });
            }
        }
    }
    if found.is_none() && program.match_customers {
        if let Some((a, t, campaign)) = customer_affiliate(tx, s.customer, window_start, at).await?
        {
            found = Some(Found {
                touched_at: Some(t),
                campaign,
                ..Found::new(a, "customer")
            });
        }
    }
    let Some(f) = found else {
        return Ok(None);
    };
    match approved_affiliate(tx, &f.affiliate).await? {
        Some(a) => Ok(Some(Credit {
            affiliate: a.id,
            by: f.by,
            click_id: f.click_id,
            touched_at: f.touched_at,
            campaign: f.campaign,
            email_hash: a.email_hash,
            overrides: a.overrides,
            category: a.category,
        })),
        None => Ok(None),
    }
}

/// The stored first answer to an idempotent request, marked `Idempotent-Replayed`. `strict`:
/// the key names one request, and a different request under it is a `409`.
async fn replay(
    state: &AppState,
    scope: &str,
    key: &str,
    request_hash: &str,
    strict: bool,
) -> Result<Option<Response>, AppError> {
    let Some(stored) = idempotency::lookup(&state.db.pool, scope, key).await? else {
        return Ok(None);
    };
    let reused = strict.then_some("this Idempotency-Key was used for a different request");
    let mut res = idempotency::answer(stored, request_hash, reused)?;
    inc(&state.metrics.replays);
    res.headers_mut().insert(
        "idempotent-replayed",
        axum::http::HeaderValue::from_static("true"),
    );
    Ok(Some(res))
}

/// The first answer to this conversion: under its `Idempotency-Key` (scope `<kind>_key`; a
/// different request under it is a `409`), else under the conversion itself (`kind`, `key`:
/// the order id, or the lead's event and customer).
async fn first_answer(
    state: &AppState,
    kind: &str,
    key: &str,
    idem: Option<&str>,
    request_hash: &str,
) -> Result<Option<Response>, AppError> {
    if let Some(k) = idem {
        let scope = format!("{kind}_key");
        if let Some(res) = replay(state, &scope, k, request_hash, true).await? {
            return Ok(Some(res));
        }
    }
    replay(state, kind, key, request_hash, false).await
}

/// The first answer of a request that recorded the same conversion while this one was writing
/// it; a `409` while that one has not committed yet.
async fn replay_winner(
    state: &AppState,
    kind: &str,
    key: &str,
    request_hash: &str,
) -> Result<Response, AppError> {
    replay(state, kind, key, request_hash, false)
        .await?
        .ok_or_else(|| match kind {
            "sale" => AppError::conflict("order_exists", "this order_id is being recorded; retry"),
            _ => AppError::conflict("lead_exists", "this lead is being recorded; retry"),
        })
}

/// Stores a conversion's first answer where [`first_answer`] looks: under the conversion and
/// under its `Idempotency-Key`, if any.
async fn remember_conversion(
    tx: &mut Tx,
    kind: &str,
    key: &str,
    idem: Option<&str>,
    request_hash: &str,
    text: &str,
) -> Result<(), AppError> {
    remember(tx, kind, key, request_hash, text).await?;
    if let Some(k) = idem {
        remember(tx, &format!("{kind}_key"), k, request_hash, text).await?;
    }
    Ok(())
}

/// The fraud flags every conversion is checked for: the buyer is the credited affiliate, a bot
/// reported it from the browser, its click's address clicked too often, or (when the program
/// asks) its click came from a paid ad.
async fn conversion_flags(
    tx: &mut Tx,
    program: &Program,
    credit: &Credit,
    email_hash: &Option<String>,
    verified: bool,
    user_agent: &str,
) -> Result<Vec<&'static str>, AppError> {
    let mut flags = Vec::new();
    if email_hash.is_some() && *email_hash == credit.email_hash {
        flags.push(fraud::SELF_REFERRAL);
    }
    if !verified && crate::bots::is_bot(user_agent) {
        flags.push(fraud::BOT);
    }
    if let Some(click) = &credit.click_id {
        if fraud::click_velocity(tx, &program.fraud, click).await? {
            flags.push(fraud::CLICK_VELOCITY);
        }
        if program.fraud.flag_paid_ads && fraud::paid_ads(tx, click).await? {
            flags.push(fraud::PAID_ADS);
        }
    }
    Ok(flags)
}

/// The signed click cookie's click id, if the request carries a valid one; a bad one is counted.
async fn cookie_click(state: &AppState, headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(value) = click_cookie::find(cookies, click_cookie::NAME) else {
        return Ok(None);
    };
    let keys = state.cookie_keys().await?;
    match click_cookie::verify(&keys, value) {
        Ok(id) => Ok(Some(id)),
        Err(why) => {
            inc(&state.metrics.invalid_click_cookies);
            tracing::info!(?why, "ignored an invalid click cookie");
            Ok(None)
        }
    }
}

struct NewReferral<'a> {
    kind: &'static str,
    source_id: &'a str,
    at: i64,
    amount: i64,
    currency: &'a str,
    commission: i64,
    verified: bool,
    credit: &'a Credit,
    flags: Vec<&'static str>,
    /// The visitor id the browser sent with the conversion (its touch's `visitor`).
    visitor: Option<&'a str>,
}

async fn create_referral(
    state: &AppState,
    tx: &mut Tx,
    program: &Program,
    r: NewReferral<'_>,
) -> Result<ReferralView, AppError> {
    let id = new_id("ref");
    let hold_until = r.at.max(now()) + program.hold_days * DAY;
    let auto = program.auto_approve && r.verified && r.flags.is_empty() && program.hold_days == 0;
    let status = if auto { "approved" } else { "pending" };
    sqlx::query(
        "INSERT INTO referrals (id, kind, source_id, affiliate_id, at, amount, currency, commission, status, verified, \
         attributed_by, flags, hold_until, decided_at, campaign) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&id)
    .bind(r.kind)
    .bind(r.source_id)
    .bind(&r.credit.affiliate)
    .bind(r.at)
    .bind(r.amount)
    .bind(r.currency)
    .bind(r.commission)
    .bind(status)
    .bind(i64::from(r.verified))
    .bind(r.credit.by)
    .bind(serde_json::to_string(&r.flags)?)
    .bind(hold_until)
    .bind(auto.then(now))
    .bind(r.credit.campaign.as_deref())
    .execute(&mut **tx)
    .await?;
    crate::rollups::referral_add(tx, &id).await?;
    // Who contributed, by the program's multi-touch model (the commission stays as it is).
    let visitor_key = match &r.credit.click_id {
        Some(click) => crate::credit::click_visitor(tx, click).await?,
        None => None,
    }
    .or_else(|| r.visitor.map(|v| format!("v:{v}")));
    crate::credit::record(
        tx,
        state.db.backend,
        program,
        &id,
        r.at,
        crate::credit::Touch {
            affiliate: &r.credit.affiliate,
            at: r.credit.touched_at,
            visitor_key,
            renewal: r.credit.by == "renewal",
        },
    )
    .await?;
    let e = |bucket, entry, amount| Entry {
        affiliate: &r.credit.affiliate,
        referral: Some(&id),
        bonus: None,
        recruiter_commission: None,
        payout: None,
        bucket,
        entry,
        amount,
        currency: r.currency,
    };
    ledger::append(tx, e(bucket::PENDING, "commission", r.commission)).await?;
    if auto {
        ledger::append(tx, e(bucket::PENDING, "approval", -r.commission)).await?;
        ledger::append(tx, e(bucket::APPROVED, "approval", r.commission)).await?;
    }
    let share = crate::recruiters::created(tx, program.recruiter_rate_bps, &id).await?;
    inc(&state.metrics.referrals);
    if !r.flags.is_empty() {
        inc(&state.metrics.flagged);
    }
    let view = referral_view(tx, &id).await?;
    webhooks::enqueue(tx, program, "referral.created", &view).await?;
    crate::postbacks::enqueue(tx, "referral.created", &view.id).await?;
    crate::affiliate_mail::referral_created(tx, state, program, &view).await?;
    crate::team_mail::referral_flagged(tx, state, &view).await?;
    if auto {
        webhooks::enqueue(tx, program, "referral.approved", &view).await?;
        crate::postbacks::enqueue(tx, "referral.approved", &view.id).await?;
    }
    // Then the recruiter's share of it.
    if let Some(share) = share {
        let share = super::recruiters::recruiter_commission(tx, &share).await?;
        webhooks::enqueue(tx, program, "recruiter_commission.created", &share).await?;
        crate::affiliate_mail::recruiter_commission_created(tx, state, program, &share).await?;
    }
    Ok(view)
}

/// Records a sale, credits its affiliate and creates the referral.
#[utoipa::path(post, path = "/v1/sales", tag = "tracking",
    request_body(content = CreateSale, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional; the order_id is the key anyway")),
    security(("secret_key" = []), ("publishable_key" = [])),
    responses(
        (status = 201, body = SaleCreated), (status = 200, body = SaleCreated, description = "A replay: the first answer"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn sales_create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    PeerAddr(addr): PeerAddr,
    AppJson(body): AppJson<CreateSale>,
) -> Result<Response, AppError> {
    check_key(&body.key)?;
    let verified = ingest_caller(&state, caller, body.key.as_deref()).await?;
    let idem = idempotency_key_or_body(&headers, body.idempotency_key.as_deref())?;

    // Validation: nothing is written unless all of it passes.
    required_text(
        &body.order_id,
        "invalid_order_id",
        "order_id must be 1 to 128 characters without control characters",
    )?;
    let amount_ok = |n: i64| (0..=MAX_AMOUNT).contains(&n);
    let shipping = body.shipping.unwrap_or(0);
    let tax = body.tax.unwrap_or(0);
    if !amount_ok(body.amount) || !amount_ok(shipping) || !amount_ok(tax) {
        return Err(bad(
            "invalid_amount",
            "amount, shipping and tax must be integers of minor units, 0 to 2^53-1",
        ));
    }
    if shipping.saturating_add(tax) > body.amount {
        return Err(bad(
            "invalid_amount",
            "shipping and tax are part of amount and cannot exceed it",
        ));
    }
    if body.cost.is_some_and(|c| !(0..=body.amount).contains(&c)) {
        return Err(bad(
            "invalid_cost",
            "cost (the cost of goods) must be an integer of minor units from 0 to amount",
        ));
    }
    let currency = Currency::parse(&body.currency).ok_or_else(|| {
        bad(
            "invalid_currency",
            "currency must be an ISO 4217 code of three capital letters",
        )
    })?;
    optional_text(
        body.coupon.as_deref(),
        "invalid_coupon",
        "coupon must be 1 to 128 characters without control characters",
    )?;
    let items_in = body.items.clone().unwrap_or_default();
    if items_in.len() > MAX_ITEMS {
        return Err(bad("invalid_items", "at most 100 items"));
    }
    let mut items = Vec::with_capacity(items_in.len());
    for it in &items_in {
        let q = it.quantity.unwrap_or(1);
        if !valid_text(&it.sku, MAX_TEXT_LEN)
            || it
                .category
                .as_deref()
                .is_some_and(|c| !valid_text(c, MAX_TEXT_LEN))
            || !amount_ok(it.amount)
            || !(1..=1_000_000).contains(&q)
        {
            return Err(bad(
                "invalid_items",
                "each item needs a sku (1-128 chars), an optional category, an amount of minor units and a quantity of 1 to 1000000",
            ));
        }
        items.push(Item {
            sku: it.sku.clone(),
            category: it.category.clone(),
            amount: it.amount,
            quantity: q,
        });
    }
    let customer = body.customer.clone().unwrap_or_default();
    let email_hash = email_hash(
        customer.email.as_deref(),
        customer.email_hash.as_deref(),
        verified,
    )?;
    optional_text(
        customer.id.as_deref(),
        "invalid_customer_id",
        "customer.id must be 1 to 128 characters",
    )?;
    optional_text(
        body.subscription_id.as_deref(),
        "invalid_subscription_id",
        "subscription_id must be 1 to 128 characters",
    )?;
    check_click_id(&body.click_id)?;
    let touch = body.touch.as_ref().map(check_touch).transpose()?;
    let t = now();
    let at = match &body.at {
        None => t,
        Some(s) => times::parse(s).filter(|x| *x <= t + 300).ok_or_else(|| {
            bad(
                "invalid_at",
                "at must be an RFC 3339 time, not in the future",
            )
        })?,
    };

    // The request, minus the key, identifies a replay.
    let mut canon = body.clone();
    canon.key = None;
    let request_hash = sha256_hex(&serde_json::to_string(&canon)?);
    if let Some(res) = first_answer(
        &state,
        "sale",
        &body.order_id,
        idem.as_deref(),
        &request_hash,
    )
    .await?
    {
        return Ok(res);
    }

    let program = state.program().await?;
    let cookie = cookie_click(&state, &headers).await?;
    let c = client(&headers, addr, state.http.trusted_proxies);
    let mut tx = state.db.begin_write().await?;
    ledger::lock(&state.db, &mut tx, &format!("sale:{}", body.order_id)).await?;

    // A renewal credits the subscription's first sale's affiliate, and its campaign.
    let mut renewal: Option<FirstSale> = None;
    if let Some(sub) = &body.subscription_id {
        let first = sqlx::query(
            "SELECT o.affiliate_id, o.at, r.campaign FROM orders o LEFT JOIN referrals r ON r.source_id = o.id \
             WHERE o.subscription_id = $1 AND o.affiliate_id IS NOT NULL ORDER BY o.at LIMIT 1",
        )
        .bind(sub)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = first {
            renewal = Some(FirstSale {
                affiliate: r.try_get(0)?,
                at: r.try_get(1)?,
                campaign: r.try_get(2)?,
            });
        }
    }
    let credit = attribute(
        &mut tx,
        &program,
        at,
        Sources {
            renewal_of: renewal.as_ref(),
            coupon: body.coupon.as_deref(),
            cookie_click: cookie,
            click_id: body.click_id.as_deref(),
            touch,
            customer: (email_hash.as_deref(), customer.id.as_deref()),
        },
    )
    .await?;
    let is_renewal = credit.as_ref().is_some_and(|c| c.by == "renewal");

    let order_ref = new_id("ord");
    let inserted = sqlx::query(
        "INSERT INTO orders (id, order_id, at, amount, currency, shipping, tax, coupon, email_hash, customer_id, \
         subscription_id, items, verified, affiliate_id, attributed_by, click_id, cost) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&order_ref)
    .bind(&body.order_id)
    .bind(at)
    .bind(body.amount)
    .bind(currency.as_str())
    .bind(shipping)
    .bind(tax)
    .bind(body.coupon.as_deref())
    .bind(email_hash.as_deref())
    .bind(customer.id.as_deref())
    .bind(body.subscription_id.as_deref())
    .bind((!items_in.is_empty()).then(|| serde_json::to_string(&items_in)).transpose()?)
    .bind(i64::from(verified))
    .bind(credit.as_ref().map(|c| c.affiliate.as_str()))
    .bind(credit.as_ref().map(|c| c.by))
    .bind(credit.as_ref().and_then(|c| c.click_id.as_deref()))
    .bind(body.cost)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        if is_unique_violation(&e) {
            drop(tx);
            return replay_winner(&state, "sale", &body.order_id, &request_hash).await;
        }
        return Err(e.into());
    }
    crate::rollups::order_delta(&mut tx, &order_ref, body.amount, 0).await?;

    let referral = match &credit {
        None => None,
        Some(credit) => {
            let aff = AffiliateId::parse(&credit.affiliate)
                .ok_or_else(|| AppError::Internal("stored affiliate id is invalid".into()))?;
            let rules =
                commissions::rules_for(&program.commission, &aff, credit.overrides.as_deref())?;
            let period =
                commissions::period(&mut tx, &credit.affiliate, currency.as_str(), at).await?;
            let order = Order {
                amount: body.amount,
                currency,
                shipping,
                tax,
                items: &items,
                renewal: if is_renewal {
                    renewal
                        .as_ref()
                        .map(|first| commissions::months_between(first.at, at))
                } else {
                    None
                },
            };
            let input = commissions::input(aff, Some(credit.category.clone()), &order, period)?;
            let commission = commissions::compute(&rules, &input)?;
            let mut flags = conversion_flags(
                &mut tx,
                &program,
                credit,
                &email_hash,
                verified,
                &c.user_agent,
            )
            .await?;
            if fraud::conversion_rate_out_of_band(&mut tx, &program.fraud, &credit.affiliate)
                .await?
            {
                flags.push(fraud::CONVERSION_RATE);
            }
            Some(
                create_referral(
                    &state,
                    &mut tx,
                    &program,
                    NewReferral {
                        kind: "sale",
                        source_id: &order_ref,
                        at,
                        amount: body.amount,
                        currency: currency.as_str(),
                        commission: commission.amount,
                        verified,
                        credit,
                        flags,
                        visitor: body.touch.as_ref().and_then(|t| t.visitor.as_deref()),
                    },
                )
                .await?,
            )
        }
    };
    let answer = SaleCreated {
        sale: SaleView {
            id: order_ref,
            order_id: body.order_id.clone(),
            at: times::format(at),
            amount: body.amount,
            currency: currency.as_str().to_owned(),
            cost: body.cost,
            verified,
            affiliate: credit.as_ref().map(|c| c.affiliate.clone()),
            attributed_by: credit.as_ref().map(|c| c.by.to_owned()),
        },
        referral,
    };
    let text = serde_json::to_string(&answer)?;
    remember_conversion(
        &mut tx,
        "sale",
        &body.order_id,
        idem.as_deref(),
        &request_hash,
        &text,
    )
    .await?;
    match tx.commit().await {
        Ok(()) => {}
        Err(e) if is_unique_violation(&e) => {
            return replay_winner(&state, "sale", &body.order_id, &request_hash).await;
        }
        Err(e) => return Err(e.into()),
    }
    inc(&state.metrics.sales);
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response())
}

/// Records a lead and credits its affiliate.
#[utoipa::path(post, path = "/v1/leads", tag = "tracking",
    request_body(content = CreateLead, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Identifies the lead when it has no customer")),
    security(("secret_key" = []), ("publishable_key" = [])),
    responses(
        (status = 201, body = LeadCreated), (status = 200, body = LeadCreated, description = "A replay: the first answer"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody)))]
pub async fn leads_create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    PeerAddr(addr): PeerAddr,
    AppJson(body): AppJson<CreateLead>,
) -> Result<Response, AppError> {
    check_key(&body.key)?;
    let verified = ingest_caller(&state, caller, body.key.as_deref()).await?;
    let idem = idempotency_key_or_body(&headers, body.idempotency_key.as_deref())?;
    required_text(
        &body.event,
        "invalid_event",
        "event must be 1 to 128 characters without control characters",
    )?;
    let email_hash = email_hash(body.email.as_deref(), body.email_hash.as_deref(), verified)?;
    optional_text(
        body.customer_id.as_deref(),
        "invalid_customer_id",
        "customer_id must be 1 to 128 characters",
    )?;
    check_click_id(&body.click_id)?;
    let touch = body.touch.as_ref().map(check_touch).transpose()?;
    let who = match (&body.customer_id, &email_hash, &idem) {
        (Some(c), _, _) => format!("c:{c}"),
        (None, Some(h), _) => format!("e:{h}"),
        (None, None, Some(k)) => format!("k:{k}"),
        (None, None, None) => {
            return Err(bad(
                "missing_customer",
                "a lead needs customer_id, email_hash (or email) or an Idempotency-Key, so it is counted once",
            ))
        }
    };
    let dedupe_key = format!("{}\u{1f}{who}", body.event);
    let mut canon = body.clone();
    canon.key = None;
    let request_hash = sha256_hex(&serde_json::to_string(&canon)?);
    if let Some(res) =
        first_answer(&state, "lead", &dedupe_key, idem.as_deref(), &request_hash).await?
    {
        return Ok(res);
    }

    let program = state.program().await?;
    let cookie = cookie_click(&state, &headers).await?;
    let c = client(&headers, addr, state.http.trusted_proxies);
    let at = now();
    let mut tx = state.db.begin_write().await?;
    ledger::lock(&state.db, &mut tx, &format!("lead:{dedupe_key}")).await?;
    let credit = attribute(
        &mut tx,
        &program,
        at,
        Sources {
            renewal_of: None,
            coupon: None,
            cookie_click: cookie,
            click_id: body.click_id.as_deref(),
            touch,
            customer: (email_hash.as_deref(), body.customer_id.as_deref()),
        },
    )
    .await?;
    let lead_id = new_id("lead");
    let inserted = sqlx::query(
        "INSERT INTO leads (id, dedupe_key, at, event, email_hash, customer_id, verified, affiliate_id, attributed_by, click_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&lead_id)
    .bind(&dedupe_key)
    .bind(at)
    .bind(&body.event)
    .bind(email_hash.as_deref())
    .bind(body.customer_id.as_deref())
    .bind(i64::from(verified))
    .bind(credit.as_ref().map(|c| c.affiliate.as_str()))
    .bind(credit.as_ref().map(|c| c.by))
    .bind(credit.as_ref().and_then(|c| c.click_id.as_deref()))
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        if is_unique_violation(&e) {
            drop(tx);
            return replay_winner(&state, "lead", &dedupe_key, &request_hash).await;
        }
        return Err(e.into());
    }
    let referral = match &credit {
        None => None,
        Some(credit) => {
            let aff = AffiliateId::parse(&credit.affiliate)
                .ok_or_else(|| AppError::Internal("stored affiliate id is invalid".into()))?;
            let currency = Currency::parse(&program.currency).unwrap_or(Currency::USD);
            let rules =
                commissions::rules_for(&program.commission, &aff, credit.overrides.as_deref())?;
            let period =
                commissions::period(&mut tx, &credit.affiliate, currency.as_str(), at).await?;
            let commission = commissions::compute(
                &rules,
                &commissions::lead_input(aff, Some(credit.category.clone()), currency, period),
            )?;
            let flags = conversion_flags(
                &mut tx,
                &program,
                credit,
                &email_hash,
                verified,
                &c.user_agent,
            )
            .await?;
            Some(
                create_referral(
                    &state,
                    &mut tx,
                    &program,
                    NewReferral {
                        kind: "lead",
                        source_id: &lead_id,
                        at,
                        amount: 0,
                        currency: currency.as_str(),
                        commission: commission.amount,
                        verified,
                        credit,
                        flags,
                        visitor: body.touch.as_ref().and_then(|t| t.visitor.as_deref()),
                    },
                )
                .await?,
            )
        }
    };
    let answer = LeadCreated {
        lead_id,
        event: body.event.clone(),
        verified,
        affiliate: credit.as_ref().map(|c| c.affiliate.clone()),
        attributed_by: credit.as_ref().map(|c| c.by.to_owned()),
        referral,
    };
    let text = serde_json::to_string(&answer)?;
    remember_conversion(
        &mut tx,
        "lead",
        &dedupe_key,
        idem.as_deref(),
        &request_hash,
        &text,
    )
    .await?;
    match tx.commit().await {
        Ok(()) => {}
        Err(e) if is_unique_violation(&e) => {
            return replay_winner(&state, "lead", &dedupe_key, &request_hash).await;
        }
        Err(e) => return Err(e.into()),
    }
    inc(&state.metrics.leads);
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response())
}

/// Filters of `GET /v1/sales`.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct SalesQuery {
    /// From (RFC 3339 or YYYY-MM-DD), inclusive.
    pub from: Option<String>,
    /// To (RFC 3339 or YYYY-MM-DD), exclusive.
    pub to: Option<String>,
    /// Only this affiliate's.
    pub affiliate: Option<String>,
    /// Page size, 1 to 500.
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// A page of sales.
#[derive(Serialize, ToSchema)]
pub struct SalesPage {
    /// Sales, newest first.
    pub sales: Vec<SaleView>,
}

/// Lists recorded sales (every order, attributed or not).
#[utoipa::path(get, path = "/v1/sales", tag = "merchant", params(SalesQuery), security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = SalesPage), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn sales_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<SalesQuery>,
) -> Result<axum::Json<SalesPage>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    let (from, to) = super::reports::range(q.from.as_deref(), q.to.as_deref())?;
    let rows = sqlx::query(
        "SELECT id, order_id, at, amount, currency, verified, affiliate_id, attributed_by, cost FROM orders \
         WHERE at >= $1 AND at < $2 AND ($3 = '' OR affiliate_id = $3) ORDER BY at DESC, id DESC LIMIT $4 OFFSET $5",
    )
    .bind(from)
    .bind(to)
    .bind(q.affiliate.unwrap_or_default())
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db.pool)
    .await?;
    let sales = rows
        .iter()
        .map(|r| {
            Ok(SaleView {
                id: r.try_get(0)?,
                order_id: r.try_get(1)?,
                at: times::format(r.try_get(2)?),
                amount: r.try_get(3)?,
                currency: r.try_get(4)?,
                verified: r.try_get::<i64, _>(5)? != 0,
                affiliate: r.try_get(6)?,
                attributed_by: r.try_get(7)?,
                cost: r.try_get(8)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(axum::Json(SalesPage { sales }))
}
