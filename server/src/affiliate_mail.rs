//! Emails to affiliates: their application approved, their account brought from another tool,
//! a new referral that earned a commission, a bonus given, a payout on its way, and their
//! payout details changed.
//!
//! Like webhooks, a message is queued in `mail_outbox` in the same transaction as the change it
//! tells of (so it goes out if and only if the change happened) and sent by the worker, with the
//! same lease and backoff. Only what the program's `affiliate_emails` lists is queued, and
//! nothing when this server has no SMTP settings. The words are chosen when the message is
//! sent, in the program's language, to the affiliate's email of that moment. The same queue
//! carries the team's messages (`team_mail`), addressed to a member.

use crate::db::Tx;
use crate::error::AppError;
use crate::ids::new_id;
use crate::mail::Text;
use crate::program::Program;
use crate::routes::bonuses::Bonus;
use crate::routes::payouts::{PaidTo, PayoutLine, PayoutView};
use crate::routes::recruiters::RecruiterCommission;
use crate::routes::referrals::ReferralView;
use crate::times::now;
use crate::AppState;
use reftrail::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// The events an affiliate may be emailed about (the program's `affiliate_emails`).
pub const EVENTS: [&str; 4] = [
    "referral.created",
    "payout.created",
    "affiliate.approved",
    "bonus.created",
];

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// What a payout message tells one affiliate.
#[derive(Serialize, Deserialize)]
pub struct PayoutNotice {
    /// The batch.
    pub payout_id: String,
    /// The merchant's note on the batch.
    pub note: Option<String>,
    /// This affiliate's line.
    pub line: PayoutLine,
}

/// Where payouts go from now on, as the message about a change tells it.
#[derive(Serialize, Deserialize)]
pub struct DetailsNotice {
    /// `paypal`, `vietqr` or `promptpay`.
    pub method: String,
    /// The PayPal email.
    pub paypal_email: Option<String>,
    /// The bank account or PromptPay id.
    pub account: Option<String>,
}

/// Whether `event` mail is wanted and can be sent.
fn wanted(state: &AppState, program: &Program, event: &str) -> bool {
    state.http.mail.is_some() && program.affiliate_emails.iter().any(|e| e == event)
}

async fn queue(
    tx: &mut Tx,
    event: &str,
    affiliate: &str,
    payload: &impl Serialize,
) -> Result<(), AppError> {
    let at = now();
    sqlx::query(
        "INSERT INTO mail_outbox (id, event, affiliate_id, payload, at, attempts, next_at) VALUES ($1, $2, $3, $4, $5, 0, $5)",
    )
    .bind(new_id("mail"))
    .bind(event)
    .bind(affiliate)
    .bind(serde_json::to_string(payload)?)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues the message about a new referral, when it earned something.
pub async fn referral_created(
    tx: &mut Tx,
    state: &AppState,
    program: &Program,
    referral: &ReferralView,
) -> Result<(), AppError> {
    if referral.commission <= 0
        || !wanted(state, program, "referral.created")
        || !referral_emails_on(tx, &referral.affiliate).await?
    {
        return Ok(());
    }
    queue(tx, "referral.created", &referral.affiliate, referral).await
}

/// Whether `affiliate` still takes referral emails: they may have turned them off for
/// themselves (`PATCH /v1/me`).
async fn referral_emails_on(tx: &mut Tx, affiliate: &str) -> Result<bool, AppError> {
    let on: i64 = sqlx::query("SELECT referral_emails FROM affiliates WHERE id = $1")
        .bind(affiliate)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    Ok(on != 0)
}

/// Queues the message to a recruiter about a share of their recruit's new commission, under
/// the same choices as [`referral_created`]: the program's `referral.created` and the
/// recruiter's own `referral_emails`.
pub async fn recruiter_commission_created(
    tx: &mut Tx,
    state: &AppState,
    program: &Program,
    share: &RecruiterCommission,
) -> Result<(), AppError> {
    if !wanted(state, program, "referral.created")
        || !referral_emails_on(tx, &share.affiliate).await?
    {
        return Ok(());
    }
    queue(tx, "recruiter_commission.created", &share.affiliate, share).await
}

/// Queues the welcome of an affiliate whose application (status `pending`) was approved.
pub async fn affiliate_approved(
    tx: &mut Tx,
    state: &AppState,
    program: &Program,
    affiliate: &str,
) -> Result<(), AppError> {
    if !wanted(state, program, "affiliate.approved") {
        return Ok(());
    }
    let payload = serde_json::json!({ "affiliate": affiliate });
    queue(tx, "affiliate.approved", affiliate, &payload).await
}

/// Whether this server sends email at all (the welcome of imported affiliates is the
/// merchant's choice at each import, not one of the program's `affiliate_emails`).
pub fn can_send(state: &AppState) -> bool {
    state.http.mail.is_some()
}

/// Queues the welcome of an affiliate brought in by an import: their account is here now and
/// their links work as before.
pub async fn affiliate_imported(tx: &mut Tx, affiliate: &str) -> Result<(), AppError> {
    let payload = serde_json::json!({ "affiliate": affiliate });
    queue(tx, "affiliate.imported", affiliate, &payload).await
}

/// Queues the acknowledgement of an application waiting for review. It goes whatever
/// `affiliate_emails` says: it answers the applicant's own request.
pub async fn application_received(
    tx: &mut Tx,
    state: &AppState,
    affiliate: &str,
) -> Result<(), AppError> {
    if state.http.mail.is_none() {
        return Ok(());
    }
    let payload = serde_json::json!({ "affiliate": affiliate });
    queue(tx, "application.received", affiliate, &payload).await
}

/// What the message to an affiliate whose address applied again says of their account.
#[derive(Serialize, Deserialize)]
pub struct ExistsNotice {
    /// The affiliate's status when the application came.
    pub status: String,
}

/// Queues the message to affiliate `affiliate`, whose address was given in an application: they
/// have an account already. Like the sign-in link, it goes whatever `affiliate_emails` says.
pub async fn application_exists(
    tx: &mut Tx,
    state: &AppState,
    affiliate: &str,
) -> Result<(), AppError> {
    if state.http.mail.is_none() {
        return Ok(());
    }
    let status: String = sqlx::query("SELECT status FROM affiliates WHERE id = $1")
        .bind(affiliate)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    queue(
        tx,
        "application.exists",
        affiliate,
        &ExistsNotice { status },
    )
    .await
}

/// Queues the message telling affiliate `id` that their payout details changed from `before`
/// (nothing when they did not). It goes whatever `affiliate_emails` says: someone who took over
/// a portal session could otherwise redirect the affiliate's money unnoticed.
pub async fn payout_details_changed(
    tx: &mut Tx,
    state: &AppState,
    id: &str,
    before: &PaidTo,
) -> Result<(), AppError> {
    if state.http.mail.is_none() {
        return Ok(());
    }
    let now = PaidTo::load(tx, id).await?;
    if &now == before {
        return Ok(());
    }
    let notice = DetailsNotice {
        method: now.method().to_owned(),
        paypal_email: now.paypal_email().map(str::to_owned),
        account: now.account().map(str::to_owned),
    };
    queue(tx, "payout_details.changed", id, &notice).await
}

/// What the message about a declined payout request tells.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct DeclinedNotice {
    /// ISO 4217 code.
    pub currency: String,
    /// The balance asked for, minor units.
    pub amount: i64,
    /// The merchant's reason, if they gave one.
    pub reason: Option<String>,
}

/// Queues the message that the affiliate's payout request was declined. It answers their own
/// request, so it goes whatever `affiliate_emails` says (as the payout that pays one is
/// `payout.created`'s).
pub async fn payout_request_declined(
    tx: &mut Tx,
    state: &AppState,
    affiliate: &str,
    notice: &DeclinedNotice,
) -> Result<(), AppError> {
    if state.http.mail.is_none() {
        return Ok(());
    }
    queue(tx, "payout_request.declined", affiliate, notice).await
}

/// Queues the message about a bonus given to its affiliate.
pub async fn bonus_created(
    tx: &mut Tx,
    state: &AppState,
    program: &Program,
    bonus: &Bonus,
) -> Result<(), AppError> {
    if !wanted(state, program, "bonus.created") {
        return Ok(());
    }
    queue(tx, "bonus.created", &bonus.affiliate, bonus).await
}

/// Queues one message per affiliate paid by `payout`.
pub async fn payout_created(
    tx: &mut Tx,
    state: &AppState,
    program: &Program,
    payout: &PayoutView,
) -> Result<(), AppError> {
    if !wanted(state, program, "payout.created") {
        return Ok(());
    }
    for line in &payout.lines {
        let notice = PayoutNotice {
            payout_id: payout.id.clone(),
            note: payout.note.clone(),
            line: line.clone(),
        };
        queue(tx, "payout.created", &line.affiliate, &notice).await?;
    }
    Ok(())
}

/// One round: claims up to 20 due messages and sends them. Returns how many were sent.
pub async fn send_due(state: &AppState) -> Result<usize, AppError> {
    let Some(mailer) = &state.http.mail else {
        return Ok(0);
    };
    let t = now();
    let rows = sqlx::query(
        "SELECT m.id, m.event, m.payload, m.attempts, m.next_at, a.name, a.email, \
         m.member_id, t.name, t.email FROM mail_outbox m \
         LEFT JOIN affiliates a ON a.id = m.affiliate_id \
         LEFT JOIN team_members t ON t.id = m.member_id \
         WHERE m.sent_at IS NULL AND m.failed_at IS NULL AND m.next_at <= $1 ORDER BY m.next_at LIMIT 20",
    )
    .bind(t)
    .fetch_all(&state.db.pool)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let program = state.program().await?;
    let mut sent = 0;
    for r in rows {
        let id: String = r.try_get(0)?;
        let next_at: i64 = r.try_get(4)?;
        // A lease of 60 s covers the SMTP exchange.
        if !crate::outbox::claim(&state.db.pool, "mail_outbox", &id, next_at, t + 60).await? {
            continue;
        }
        let event: String = r.try_get(1)?;
        let payload: String = r.try_get(2)?;
        let attempts: i64 = r.try_get::<i64, _>(3)? + 1;
        let to_member = r.try_get::<Option<String>, _>(7)?.is_some();
        let (name, email): (Option<String>, Option<String>) = if to_member {
            (r.try_get(8)?, r.try_get(9)?)
        } else {
            (r.try_get(5)?, r.try_get(6)?)
        };
        let name = name.as_deref().unwrap_or("");
        let text = if to_member {
            crate::team_mail::render(&program, &event, &payload, name, &mailer.dashboard_url())
        } else {
            render(&program, &event, &payload, name, &mailer.portal_url())
        };
        let result = match (email, text) {
            (None, _) if to_member => Err(("the member left the team".to_owned(), true)),
            (None, _) => Err(("the affiliate has no email".to_owned(), true)),
            (_, None) => Err((format!("cannot render {event}"), true)),
            (Some(to), Some(text)) => mailer
                .send(&to, text)
                .await
                .map_err(|e| (format!("{e:#}"), false)),
        };
        match result {
            Ok(()) => {
                sqlx::query("UPDATE mail_outbox SET sent_at = $1, attempts = $2, last_error = NULL WHERE id = $3")
                    .bind(now())
                    .bind(attempts)
                    .bind(&id)
                    .execute(&state.db.pool)
                    .await?;
                crate::metrics::inc(&state.metrics.mails_sent);
                sent += 1;
            }
            Err((err, final_)) => {
                tracing::warn!(mail = %id, error = %err, "affiliate email not sent");
                crate::metrics::inc(&state.metrics.mails_failed);
                let give_up = final_ || attempts >= MAX_ATTEMPTS;
                crate::outbox::failed(&state.db.pool, "mail_outbox", &id, attempts, give_up, &err)
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// The message for a queued `event`, or `None` when its payload is not what the event carries.
pub fn render(
    program: &Program,
    event: &str,
    payload: &str,
    name: &str,
    portal: &str,
) -> Option<Text> {
    let locale = program.locale();
    match event {
        "referral.created" => serde_json::from_str::<ReferralView>(payload)
            .ok()
            .map(|r| referral_text(locale, &program.name, name, &r, portal)),
        "payout.created" => serde_json::from_str::<PayoutNotice>(payload)
            .ok()
            .map(|p| payout_text(locale, &program.name, name, &p, portal)),
        "affiliate.approved" => Some(approved_text(locale, &program.name, name, portal)),
        "affiliate.imported" => Some(imported_text(locale, &program.name, name, portal)),
        "application.received" => Some(received_text(locale, &program.name, name)),
        "application.exists" => serde_json::from_str::<ExistsNotice>(payload)
            .ok()
            .map(|n| exists_text(locale, &program.name, name, &n.status, portal)),
        "recruiter_commission.created" => serde_json::from_str::<RecruiterCommission>(payload)
            .ok()
            .map(|s| recruiter_commission_text(locale, &program.name, name, &s, portal)),
        "bonus.created" => serde_json::from_str::<Bonus>(payload)
            .ok()
            .map(|b| bonus_text(locale, &program.name, name, &b, portal)),
        "payout_details.changed" => serde_json::from_str::<DetailsNotice>(payload)
            .ok()
            .map(|d| details_text(locale, &program.name, name, &d, portal)),
        "payout_request.declined" => serde_json::from_str::<DeclinedNotice>(payload)
            .ok()
            .map(|d| declined_text(locale, &program.name, name, &d, portal)),
        _ => None,
    }
}

fn money(amount: i64, currency: &str, locale: &str) -> String {
    match Currency::parse(currency) {
        Some(c) => Money::new(amount, c).localized(locale),
        None => format!("{amount} {currency}"),
    }
}

/// Why an affiliate of `program` gets its emails, in `locale` (English when it is none of en,
/// vi, th).
fn why_you(locale: &str, program: &str) -> String {
    match locale {
        "vi" => format!("Bạn nhận được email này vì là cộng tác viên của {program}."),
        "th" => format!("คุณได้รับอีเมลนี้เนื่องจากเป็นพาร์ทเนอร์ของ {program}"),
        _ => format!("You receive this email as an affiliate of {program}."),
    }
}

/// That an approved commission goes with the next payout, in `locale`.
fn in_next_payout(locale: &str) -> String {
    match locale {
        "vi" => "Khoản này đã được duyệt và sẽ có trong lần thanh toán tới.",
        "th" => "รายการนี้ได้รับการอนุมัติแล้วและจะรวมอยู่ในการจ่ายเงินครั้งถัดไป",
        _ => "It is approved and will be in your next payout.",
    }
    .to_owned()
}

/// How to stop the emails about commissions, in `locale`.
fn turn_off(locale: &str) -> &'static str {
    match locale {
        "vi" => "Bạn có thể tắt các email này trong cổng cộng tác viên.",
        "th" => "คุณปิดอีเมลเหล่านี้ได้ในพอร์ทัลพาร์ทเนอร์",
        _ => "You can turn these emails off in your portal.",
    }
}

/// The message about a new referral, in `locale` (English when it is none of en, vi, th).
pub fn referral_text(
    locale: &str,
    program: &str,
    name: &str,
    r: &ReferralView,
    portal: &str,
) -> Text {
    let commission = money(r.commission, &r.currency, locale);
    let amount = money(r.amount, &r.currency, locale);
    let event = r.event.as_deref().unwrap_or("");
    let until = r.hold_until.get(..10).unwrap_or(&r.hold_until);
    let pending = r.status == "pending";
    let (subject, hello, what, status, link, turn_off, why) = match locale {
        "vi" => (
            format!("{program}: bạn nhận được {commission}"),
            "Xin chào",
            match r.kind.as_str() {
                "sale" => format!("Một đơn hàng {amount} bạn giới thiệu đến {program} đã mang lại cho bạn khoản hoa hồng {commission}."),
                _ => format!("Một khách hàng tiềm năng ({event}) bạn giới thiệu đến {program} đã mang lại cho bạn khoản hoa hồng {commission}."),
            },
            if pending {
                format!("Khoản này đang chờ đến {until} (thời hạn hoàn tiền của cửa hàng), sau đó sẽ được duyệt nếu đơn hàng không bị hoàn.")
            } else {
                in_next_payout("vi")
            },
            "Giới thiệu và thu nhập của bạn",
            turn_off("vi"),
            why_you("vi", program),
        ),
        "th" => (
            format!("{program}: คุณได้รับ {commission}"),
            "สวัสดี",
            match r.kind.as_str() {
                "sale" => format!("คำสั่งซื้อมูลค่า {amount} ที่คุณแนะนำมายัง {program} ทำให้คุณได้รับค่าคอมมิชชัน {commission}"),
                _ => format!("ลีด ({event}) ที่คุณแนะนำมายัง {program} ทำให้คุณได้รับค่าคอมมิชชัน {commission}"),
            },
            if pending {
                format!("รายการนี้รอดำเนินการจนถึง {until} (ระยะเวลาคืนเงินของร้าน) จากนั้นจะได้รับการอนุมัติหากคำสั่งซื้อไม่ถูกคืน")
            } else {
                in_next_payout("th")
            },
            "การแนะนำและรายได้ของคุณ",
            turn_off("th"),
            why_you("th", program),
        ),
        _ => (
            format!("{program}: you earned {commission}"),
            "Hello",
            match r.kind.as_str() {
                "sale" => format!("An order of {amount} you referred to {program} earned you a commission of {commission}."),
                _ => format!("A lead ({event}) you referred to {program} earned you a commission of {commission}."),
            },
            if pending {
                format!("It is pending until {until} (the shop's refund period), then approved if the order stands.")
            } else {
                in_next_payout("en")
            },
            "Your referrals and earnings",
            turn_off("en"),
            why_you("en", program),
        ),
    };
    Text {
        subject,
        body: format!(
            "{hello} {name},\n\n{what}\n{status}\n\n{link}: {portal}\n{turn_off}\n\n{why}\n"
        ),
    }
}

/// The message to a recruiter about a share of their recruit's commission, in `locale`
/// (English when it is none of en, vi, th).
pub fn recruiter_commission_text(
    locale: &str,
    program: &str,
    name: &str,
    s: &RecruiterCommission,
    portal: &str,
) -> Text {
    let amount = money(s.amount, &s.currency, locale);
    let rate = crate::recruiters::percent(s.rate_bps, locale);
    let recruit = &s.recruit;
    let pending = s.status == "pending";
    let (subject, hello, what, status, link, turn_off, why) = match locale {
        "vi" => (
            format!("{program}: bạn nhận được {amount} từ người bạn giới thiệu"),
            "Xin chào",
            format!("{recruit}, cộng tác viên bạn giới thiệu tham gia {program}, vừa nhận được một khoản hoa hồng. Bạn nhận thêm {amount} ({rate} % hoa hồng của họ)."),
            if pending {
                "Khoản này đang chờ cùng với hoa hồng của họ và được duyệt khi hoa hồng đó được duyệt.".to_owned()
            } else {
                in_next_payout("vi")
            },
            "Đội nhóm và thu nhập của bạn",
            turn_off("vi"),
            why_you("vi", program),
        ),
        "th" => (
            format!("{program}: คุณได้รับ {amount} จากทีมของคุณ"),
            "สวัสดี",
            format!("{recruit} พาร์ทเนอร์ที่คุณชวนเข้าร่วม {program} เพิ่งได้รับค่าคอมมิชชัน คุณได้รับเพิ่ม {amount} ({rate} % ของค่าคอมมิชชันนั้น)"),
            if pending {
                "รายการนี้รอดำเนินการพร้อมกับค่าคอมมิชชันของเขา และจะได้รับการอนุมัติเมื่อค่าคอมมิชชันนั้นได้รับการอนุมัติ".to_owned()
            } else {
                in_next_payout("th")
            },
            "ทีมและรายได้ของคุณ",
            turn_off("th"),
            why_you("th", program),
        ),
        _ => (
            format!("{program}: you earned {amount} from your team"),
            "Hello",
            format!("{recruit}, whom you recruited to {program}, earned a commission. You earn {amount} on top ({rate} % of it)."),
            if pending {
                "It is pending with their commission, and approved when that is.".to_owned()
            } else {
                in_next_payout("en")
            },
            "Your team and earnings",
            turn_off("en"),
            why_you("en", program),
        ),
    };
    Text {
        subject,
        body: format!(
            "{hello} {name},\n\n{what}\n{status}\n\n{link}: {portal}\n{turn_off}\n\n{why}\n"
        ),
    }
}

/// The message about a bonus, in `locale` (English when it is none of en, vi, th).
pub fn bonus_text(locale: &str, program: &str, name: &str, b: &Bonus, portal: &str) -> Text {
    let amount = money(b.amount, &b.currency, locale);
    let reason = &b.reason;
    let (subject, hello, what, when, link, why) = match locale {
        "vi" => (
            format!("{program}: bạn nhận được khoản thưởng {amount}"),
            "Xin chào",
            format!("{program} đã tặng bạn khoản thưởng {amount}: {reason}"),
            "Khoản này sẽ có trong lần thanh toán tới.",
            "Giới thiệu và thu nhập của bạn",
            why_you("vi", program),
        ),
        "th" => (
            format!("{program}: คุณได้รับโบนัส {amount}"),
            "สวัสดี",
            format!("{program} มอบโบนัส {amount} ให้คุณ: {reason}"),
            "โบนัสนี้จะรวมอยู่ในการจ่ายเงินครั้งถัดไป",
            "การแนะนำและรายได้ของคุณ",
            why_you("th", program),
        ),
        _ => (
            format!("{program}: a bonus of {amount} for you"),
            "Hello",
            format!("{program} gave you a bonus of {amount}: {reason}"),
            "It will be in your next payout.",
            "Your referrals and earnings",
            why_you("en", program),
        ),
    };
    Text {
        subject,
        body: format!(
            "{hello} {name},

{what}
{when}

{link}: {portal}

{why}
"
        ),
    }
}

/// The welcome of an approved affiliate, in `locale` (English when it is none of en, vi, th).
pub fn approved_text(locale: &str, program: &str, name: &str, portal: &str) -> Text {
    let (subject, hello, what, link, why) = match locale {
        "vi" => (
            format!("{program}: bạn đã được duyệt làm cộng tác viên"),
            "Xin chào",
            format!("Đơn đăng ký của bạn tại {program} đã được duyệt: giờ bạn có thể chia sẻ liên kết và nhận hoa hồng."),
            "Liên kết và thu nhập của bạn",
            why_you("vi", program),
        ),
        "th" => (
            format!("{program}: คุณได้รับการอนุมัติเป็นพาร์ทเนอร์แล้ว"),
            "สวัสดี",
            format!("ใบสมัครของคุณกับ {program} ได้รับการอนุมัติแล้ว ตอนนี้คุณแชร์ลิงก์และรับค่าคอมมิชชันได้เลย"),
            "ลิงก์และรายได้ของคุณ",
            why_you("th", program),
        ),
        _ => (
            format!("{program}: you are approved as an affiliate"),
            "Hello",
            format!("Your application to {program} is approved: you can share your links and earn commissions now."),
            "Your links and earnings",
            why_you("en", program),
        ),
    };
    Text {
        subject,
        body: format!("{hello} {name},\n\n{what}\n\n{link}: {portal}\n\n{why}\n"),
    }
}

/// The welcome of an affiliate whose account was brought from another tool, in `locale`
/// (English when it is none of en, vi, th).
pub fn imported_text(locale: &str, program: &str, name: &str, portal: &str) -> Text {
    let (subject, hello, what, link, sign_in) = match locale {
        "vi" => (
            format!("{program}: tài khoản cộng tác viên của bạn đã chuyển sang đây"),
            "Xin chào",
            format!("{program} giờ quản lý chương trình cộng tác viên tại đây. Các liên kết của bạn vẫn hoạt động như trước và vẫn ghi nhận hoa hồng cho bạn."),
            "Liên kết và thu nhập của bạn",
            "Tại đó, hãy yêu cầu liên kết đăng nhập: liên kết sẽ được gửi tới địa chỉ email này.",
        ),
        "th" => (
            format!("{program}: บัญชีพาร์ทเนอร์ของคุณย้ายมาที่นี่แล้ว"),
            "สวัสดี",
            format!("{program} ย้ายโปรแกรมพาร์ทเนอร์มาไว้ที่นี่แล้ว ลิงก์ของคุณยังใช้ได้เหมือนเดิมและยังนับค่าคอมมิชชันให้คุณ"),
            "ลิงก์และรายได้ของคุณ",
            "ขอลิงก์เข้าสู่ระบบได้ที่นั่น ระบบจะส่งไปยังอีเมลนี้",
        ),
        _ => (
            format!("{program}: your affiliate account has moved here"),
            "Hello",
            format!("{program} now runs its affiliate program here. Your links work as before and go on crediting you."),
            "Your links and earnings",
            "Ask there for a sign-in link: it is sent to this email address.",
        ),
    };
    Text {
        subject,
        body: format!(
            "{hello} {name},\n\n{what}\n\n{link}: {portal}\n{sign_in}\n\n{}\n",
            why_you(locale, program)
        ),
    }
}

/// The acknowledgement of an application waiting for review, in `locale` (English when it is
/// none of en, vi, th).
pub fn received_text(locale: &str, program: &str, name: &str) -> Text {
    let (subject, hello, what, why) = match locale {
        "vi" => (
            format!("{program}: đã nhận đơn đăng ký của bạn"),
            "Xin chào",
            format!("Chúng tôi đã nhận đơn đăng ký làm cộng tác viên của {program}. Chúng tôi sẽ gửi email cho bạn khi đơn được xét duyệt."),
            format!("Bạn nhận được email này vì đã đăng ký làm cộng tác viên của {program}."),
        ),
        "th" => (
            format!("{program}: เราได้รับใบสมัครของคุณแล้ว"),
            "สวัสดี",
            format!("เราได้รับใบสมัครพาร์ทเนอร์ของ {program} แล้ว และจะแจ้งทางอีเมลเมื่อพิจารณาเสร็จ"),
            format!("คุณได้รับอีเมลนี้เนื่องจากสมัครเป็นพาร์ทเนอร์ของ {program}"),
        ),
        _ => (
            format!("{program}: we received your application"),
            "Hello",
            format!("We received your application to join {program}'s affiliate program. We will email you when it has been reviewed."),
            format!("You receive this email because you applied to {program}'s affiliate program."),
        ),
    };
    Text {
        subject,
        body: format!("{hello} {name},\n\n{what}\n\n{why}\n"),
    }
}

/// The message to an affiliate whose address was given in a new application, in `locale`
/// (English when it is none of en, vi, th); `status` is their account's.
pub fn exists_text(locale: &str, program: &str, name: &str, status: &str, portal: &str) -> Text {
    let pending = status == "pending";
    let (subject, hello, what, state, link, why) = match locale {
        "vi" => (
            format!("{program}: bạn đã có tài khoản cộng tác viên"),
            "Xin chào",
            format!("Ai đó (có thể là bạn) vừa đăng ký làm cộng tác viên của {program} bằng địa chỉ email này. Bạn đã có tài khoản nên chúng tôi không tạo tài khoản mới."),
            if pending { "Đơn đăng ký của bạn vẫn đang được xét duyệt." } else { "" },
            "Đăng nhập",
            "Nếu không phải bạn, hãy bỏ qua email này.",
        ),
        "th" => (
            format!("{program}: คุณมีบัญชีพาร์ทเนอร์อยู่แล้ว"),
            "สวัสดี",
            format!("มีผู้ใช้อีเมลนี้สมัครเป็นพาร์ทเนอร์ของ {program} (อาจเป็นคุณเอง) คุณมีบัญชีอยู่แล้ว เราจึงไม่ได้สร้างบัญชีใหม่"),
            if pending { "ใบสมัครของคุณยังอยู่ระหว่างการพิจารณา" } else { "" },
            "เข้าสู่ระบบ",
            "หากไม่ใช่คุณ โปรดเพิกเฉยต่ออีเมลนี้",
        ),
        _ => (
            format!("{program}: you already have an affiliate account"),
            "Hello",
            format!("Someone (perhaps you) asked to join {program}'s affiliate program with this email address. You already have an account, so no new one was made."),
            if pending { "Your application is still being reviewed." } else { "" },
            "Sign in",
            "If this was not you, you can ignore this email.",
        ),
    };
    let state = if state.is_empty() {
        String::new()
    } else {
        format!("{state}\n\n")
    };
    Text {
        subject,
        body: format!("{hello} {name},\n\n{what}\n\n{state}{link}: {portal}\n\n{why}\n"),
    }
}

/// Where a payout line's money goes, as the payout message says it: a bank account or PromptPay
/// id by its last four characters only, as banks write it.
fn destination(
    locale: &str,
    method: &str,
    paypal_email: Option<&str>,
    account: Option<&str>,
) -> String {
    let account = account.unwrap_or("");
    let last4 = &account[account.len().saturating_sub(4)..];
    match (method, locale) {
        ("vietqr", "vi") => format!("bằng chuyển khoản vào tài khoản ngân hàng có số cuối {last4}"),
        ("vietqr", "th") => format!("โดยโอนเข้าบัญชีธนาคารที่ลงท้ายด้วย {last4}"),
        ("vietqr", _) => format!("by bank transfer to your account ending in {last4}"),
        ("promptpay", "vi") => format!("qua PromptPay vào mã PromptPay có số cuối {last4}"),
        ("promptpay", "th") => format!("ผ่านพร้อมเพย์เข้าหมายเลขพร้อมเพย์ที่ลงท้ายด้วย {last4}"),
        ("promptpay", _) => format!("by PromptPay to your PromptPay ID ending in {last4}"),
        (_, locale) => {
            let email = paypal_email.unwrap_or("");
            match locale {
                "vi" => format!("vào tài khoản PayPal {email}"),
                "th" => format!("เข้าบัญชี PayPal {email}"),
                _ => format!("to your PayPal account {email}"),
            }
        }
    }
}

/// The message about a declined payout request, in `locale` (English when it is none of en,
/// vi, th).
pub fn declined_text(
    locale: &str,
    program: &str,
    name: &str,
    d: &DeclinedNotice,
    portal: &str,
) -> Text {
    let amount = money(d.amount, &d.currency, locale);
    let (subject, hello, said, why, then) = match locale {
        "vi" => (
            format!("{program}: yêu cầu thanh toán của bạn bị từ chối"),
            "Xin chào",
            format!("{program} đã từ chối yêu cầu thanh toán {amount} của bạn."),
            "Lý do",
            "Số dư vẫn là của bạn: đợt thanh toán tới sẽ trả, hoặc bạn có thể yêu cầu lại tại",
        ),
        "th" => (
            format!("{program}: คำขอรับเงินของคุณถูกปฏิเสธ"),
            "สวัสดี",
            format!("{program} ปฏิเสธคำขอรับเงิน {amount} ของคุณ"),
            "เหตุผล",
            "ยอดเงินยังเป็นของคุณ: รอบจ่ายครั้งถัดไปจะจ่ายให้ หรือขอใหม่ได้ที่",
        ),
        _ => (
            format!("{program}: your payout request was declined"),
            "Hello",
            format!("{program} declined your request to be paid {amount}."),
            "Why",
            "The balance is still yours: the next payout pays it, or ask again at",
        ),
    };
    let reason = d
        .reason
        .as_deref()
        .map(|r| format!("{why}: {r}\n\n"))
        .unwrap_or_default();
    Text {
        subject,
        body: format!(
            "{hello} {name},\n\n{said}\n\n{reason}{then} {portal}\n\n{}\n",
            why_you(locale, program)
        ),
    }
}

/// The message about changed payout details, in `locale` (English when it is none of en, vi, th).
pub fn details_text(
    locale: &str,
    program: &str,
    name: &str,
    d: &DetailsNotice,
    portal: &str,
) -> Text {
    let dest = destination(
        locale,
        &d.method,
        d.paypal_email.as_deref(),
        d.account.as_deref(),
    );
    let (subject, hello, what, warn, link, why) = match locale {
        "vi" => (
            format!("{program}: thông tin nhận thanh toán của bạn đã thay đổi"),
            "Xin chào",
            format!("Từ nay {program} sẽ thanh toán cho bạn {dest}."),
            format!(
                "Nếu không phải bạn thay đổi, hãy trả lời email này hoặc báo ngay cho {program}."
            ),
            "Thông tin của bạn",
            why_you("vi", program),
        ),
        "th" => (
            format!("{program}: ข้อมูลการรับเงินของคุณถูกเปลี่ยนแปลง"),
            "สวัสดี",
            format!("ต่อจากนี้ {program} จะจ่ายเงินให้คุณ{dest}"),
            format!("หากคุณไม่ได้เป็นผู้เปลี่ยนแปลง โปรดตอบกลับอีเมลนี้หรือแจ้ง {program} ทันที"),
            "ข้อมูลของคุณ",
            why_you("th", program),
        ),
        _ => (
            format!("{program}: your payout details were changed"),
            "Hello",
            format!("From now on, {program} pays you {dest}."),
            format!(
                "If you did not make this change, reply to this email or tell {program} at once."
            ),
            "Your details",
            why_you("en", program),
        ),
    };
    Text {
        subject,
        body: format!("{hello} {name},\n\n{what}\n\n{warn}\n\n{link}: {portal}\n\n{why}\n"),
    }
}

/// The message about a payout, in `locale` (English when it is none of en, vi, th).
pub fn payout_text(
    locale: &str,
    program: &str,
    name: &str,
    p: &PayoutNotice,
    portal: &str,
) -> Text {
    let amount = money(p.line.amount, &p.line.currency, locale);
    let l = &p.line;
    let settles = settled(locale, l.referrals, l.bonuses, l.recruiter_commissions);
    let dest = destination(
        locale,
        &l.method,
        l.paypal_email.as_deref(),
        l.account.as_deref(),
    );
    let (subject, hello, what, note, link, why) = match locale {
        "vi" => (
            format!("{program}: khoản thanh toán {amount} đang được chuyển"),
            "Xin chào",
            format!("{program} đang thanh toán cho bạn {amount} cho {settles}, {dest}."),
            "Ghi chú",
            "Lịch sử thanh toán của bạn",
            why_you("vi", program),
        ),
        "th" => (
            format!("{program}: การจ่ายเงิน {amount} กำลังดำเนินการ"),
            "สวัสดี",
            format!("{program} กำลังจ่ายเงินให้คุณ {amount} สำหรับ{settles} {dest}"),
            "หมายเหตุ",
            "ประวัติการจ่ายเงินของคุณ",
            why_you("th", program),
        ),
        _ => (
            format!("{program}: a payout of {amount} is on its way"),
            "Hello",
            format!("{program} is paying you {amount} for {settles}, {dest}."),
            "Note",
            "Your payout history",
            why_you("en", program),
        ),
    };
    let note = p
        .note
        .as_deref()
        .map(|text| format!("{note}: {text}\n"))
        .unwrap_or_default();
    let tax = withheld_text(locale, l)
        .map(|t| format!("{t}\n"))
        .unwrap_or_default();
    Text {
        subject,
        body: format!("{hello} {name},\n\n{what}\n{tax}{note}\n{link}: {portal}\n\n{why}\n"),
    }
}

/// What a payout line settles, in `locale`: "3 referrals", "2 referrals and 1 bonus", "1 bonus",
/// "2 referrals, 1 bonus and 3 commissions from your recruits".
fn settled(locale: &str, referrals: i64, bonuses: i64, recruiter_commissions: i64) -> String {
    let plural = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let (r, b, c, and) = match locale {
        "vi" => (
            format!("{referrals} lượt giới thiệu"),
            format!("{bonuses} khoản thưởng"),
            format!("{recruiter_commissions} khoản hoa hồng từ người bạn giới thiệu"),
            " và ",
        ),
        "th" => (
            format!("การแนะนำ {referrals} รายการ"),
            format!("โบนัส {bonuses} รายการ"),
            format!("ค่าคอมมิชชันจากพาร์ทเนอร์ที่คุณชวนมา {recruiter_commissions} รายการ"),
            " และ",
        ),
        _ => (
            plural(referrals, "referral", "referrals"),
            plural(bonuses, "bonus", "bonuses"),
            plural(
                recruiter_commissions,
                "commission from your recruits",
                "commissions from your recruits",
            ),
            " and ",
        ),
    };
    let mut parts: Vec<&String> = [(referrals, &r), (bonuses, &b), (recruiter_commissions, &c)]
        .into_iter()
        .filter(|(n, _)| *n != 0)
        .map(|(_, text)| text)
        .collect();
    match parts.pop() {
        None => r,
        Some(last) if parts.is_empty() => last.clone(),
        Some(last) => {
            let rest: Vec<&str> = parts.iter().map(|p| p.as_str()).collect();
            format!("{}{and}{last}", rest.join(", "))
        }
    }
}

/// The sentence about tax withheld from a payout line, when some was.
fn withheld_text(locale: &str, l: &PayoutLine) -> Option<String> {
    if l.withheld <= 0 {
        return None;
    }
    let withheld = money(l.withheld, &l.currency, locale);
    let gross = money(l.gross, &l.currency, locale);
    Some(match locale {
        "vi" => format!(
            "{withheld} trên tổng {gross} đã được khấu trừ thuế và nộp cho cơ quan thuế thay bạn."
        ),
        "th" => format!("หักภาษี ณ ที่จ่าย {withheld} จากยอด {gross} และนำส่งกรมสรรพากรในนามของคุณแล้ว"),
        _ => format!(
            "{withheld} of {gross} was withheld as tax and paid to the tax office in your name."
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referral(kind: &str, status: &str) -> ReferralView {
        ReferralView {
            id: "ref_1".into(),
            kind: kind.into(),
            affiliate: "alice".into(),
            order_id: Some("1001".into()),
            event: (kind == "lead").then(|| "signup".into()),
            at: "2026-11-24T05:00:00Z".into(),
            amount: 1_250_000,
            currency: "VND".into(),
            commission: 125_000,
            commission_net: 125_000,
            status: status.into(),
            verified: true,
            attributed_by: "cookie".into(),
            campaign: None,
            flags: vec![],
            hold_until: "2026-12-24T05:00:00Z".into(),
            payout_id: None,
        }
    }

    #[test]
    fn a_referral_message_names_the_commission_in_the_programs_language() {
        let portal = "https://t.shop.test/portal/";
        let t = referral_text(
            "vi",
            "Giày Sài Gòn",
            "Lan",
            &referral("sale", "pending"),
            portal,
        );
        assert_eq!(t.subject, "Giày Sài Gòn: bạn nhận được 125.000 VND");
        assert!(
            t.body
                .starts_with("Xin chào Lan,\n\nMột đơn hàng 1.250.000 VND"),
            "{}",
            t.body
        );
        assert!(t.body.contains("chờ đến 2026-12-24"), "{}", t.body);
        assert!(t.body.contains(portal));
        let t = referral_text(
            "en",
            "Shoes",
            "Alice",
            &referral("lead", "approved"),
            portal,
        );
        assert!(
            t.body.contains(
                "A lead (signup) you referred to Shoes earned you a commission of 125,000 VND."
            ),
            "{}",
            t.body
        );
        assert!(t.body.contains("It is approved"), "{}", t.body);
        let t = referral_text(
            "th",
            "ร้านรองเท้า",
            "Somchai",
            &referral("sale", "pending"),
            portal,
        );
        assert_eq!(t.subject, "ร้านรองเท้า: คุณได้รับ 125,000 VND");
        // No customer data and no order id: the affiliate's portal shows what they may see.
        for locale in ["en", "vi", "th"] {
            let t = referral_text(locale, "P", "N", &referral("sale", "pending"), portal);
            assert!(!t.body.contains("1001"), "{locale}: {}", t.body);
        }
    }

    #[test]
    fn a_payout_message_names_the_amount_account_and_note() {
        let notice = PayoutNotice {
            payout_id: "po_1".into(),
            note: Some("November".into()),
            line: PayoutLine {
                affiliate: "alice".into(),
                currency: "THB".into(),
                amount: 123_456,
                gross: 123_456,
                withheld: 0,
                tax_id: None,
                method: "paypal".into(),
                paypal_email: Some("alice@pay.test".into()),
                bank: None,
                account: None,
                account_name: None,
                transfer_qr: None,
                referrals: 3,
                bonuses: 0,
                recruiter_commissions: 0,
                fee: None,
                sent_at: None,
            },
        };
        let t = payout_text("th", "ร้าน", "Somchai", &notice, "https://x.test/portal/");
        assert_eq!(t.subject, "ร้าน: การจ่ายเงิน 1,234.56 THB กำลังดำเนินการ");
        assert!(
            t.body.contains("alice@pay.test") && t.body.contains("หมายเหตุ: November"),
            "{}",
            t.body
        );
        let t = payout_text(
            "en",
            "Shop",
            "Alice",
            &PayoutNotice {
                note: None,
                payout_id: notice.payout_id.clone(),
                line: notice.line.clone(),
            },
            "https://x.test/portal/",
        );
        assert!(
            t.body
                .contains("Shop is paying you 1,234.56 THB for 3 referrals"),
            "{}",
            t.body
        );
        assert!(!t.body.contains("Note"), "{}", t.body);
        let one = PayoutLine {
            referrals: 1,
            ..notice.line.clone()
        };
        let t = payout_text(
            "en",
            "Shop",
            "Alice",
            &PayoutNotice {
                line: one,
                ..notice
            },
            "u",
        );
        assert!(t.body.contains("for 1 referral, to"), "{}", t.body);
    }

    #[test]
    fn a_payout_message_counts_the_bonuses_it_pays() {
        for (locale, referrals, bonuses, recruits, says) in [
            ("en", 2, 1, 0, "for 2 referrals and 1 bonus, to"),
            ("en", 0, 2, 0, "for 2 bonuses, to"),
            ("en", 1, 0, 0, "for 1 referral, to"),
            ("en", 0, 0, 0, "for 0 referrals, to"),
            (
                "en",
                2,
                1,
                3,
                "for 2 referrals, 1 bonus and 3 commissions from your recruits, to",
            ),
            ("en", 0, 0, 1, "for 1 commission from your recruits, to"),
            ("vi", 3, 1, 0, "cho 3 lượt giới thiệu và 1 khoản thưởng,"),
            ("vi", 0, 1, 0, "cho 1 khoản thưởng,"),
            (
                "vi",
                1,
                0,
                2,
                "cho 1 lượt giới thiệu và 2 khoản hoa hồng từ người bạn giới thiệu,",
            ),
            ("th", 2, 1, 0, "สำหรับการแนะนำ 2 รายการ และโบนัส 1 รายการ "),
            ("th", 0, 1, 0, "สำหรับโบนัส 1 รายการ "),
            ("th", 0, 0, 4, "สำหรับค่าคอมมิชชันจากพาร์ทเนอร์ที่คุณชวนมา 4 รายการ "),
        ] {
            let line = PayoutLine {
                affiliate: "an".into(),
                currency: "VND".into(),
                amount: 500_000,
                gross: 500_000,
                withheld: 0,
                tax_id: None,
                method: "paypal".into(),
                paypal_email: Some("an@pay.test".into()),
                bank: None,
                account: None,
                account_name: None,
                transfer_qr: None,
                referrals,
                bonuses,
                recruiter_commissions: recruits,
                fee: None,
                sent_at: None,
            };
            let notice = PayoutNotice {
                payout_id: "po_2".into(),
                note: None,
                line,
            };
            let t = payout_text(locale, "Shop", "An", &notice, "u");
            assert!(t.body.contains(says), "{locale}: {}", t.body);
        }
    }

    #[test]
    fn a_payout_message_says_what_was_withheld_as_tax() {
        let line = PayoutLine {
            affiliate: "lan".into(),
            currency: "VND".into(),
            amount: 2_250_000,
            gross: 2_500_000,
            withheld: 250_000,
            tax_id: Some("8012345678".into()),
            method: "paypal".into(),
            paypal_email: Some("lan@pay.test".into()),
            bank: None,
            account: None,
            account_name: None,
            transfer_qr: None,
            referrals: 2,
            bonuses: 0,
            recruiter_commissions: 0,
            fee: None,
            sent_at: None,
        };
        let notice = PayoutNotice {
            payout_id: "po_1".into(),
            note: None,
            line: line.clone(),
        };
        for (locale, says) in [
            ("vi", "Shop đang thanh toán cho bạn 2.250.000 VND cho 2 lượt giới thiệu, vào tài khoản PayPal lan@pay.test.\n250.000 VND trên tổng 2.500.000 VND đã được khấu trừ thuế và nộp cho cơ quan thuế thay bạn.\n"),
            ("en", "Shop is paying you 2,250,000 VND for 2 referrals, to your PayPal account lan@pay.test.\n250,000 VND of 2,500,000 VND was withheld as tax and paid to the tax office in your name.\n"),
            ("th", "หักภาษี ณ ที่จ่าย 250,000 VND จากยอด 2,500,000 VND และนำส่งกรมสรรพากรในนามของคุณแล้ว\n"),
        ] {
            let t = payout_text(locale, "Shop", "Lan", &notice, "u");
            assert!(t.body.contains(says), "{locale}: {}", t.body);
        }
        let none = PayoutNotice {
            line: PayoutLine {
                withheld: 0,
                gross: line.amount,
                ..line
            },
            ..notice
        };
        let t = payout_text("en", "Shop", "Lan", &none, "u");
        assert!(!t.body.contains("withheld"), "{}", t.body);
    }

    #[test]
    fn a_bank_payout_message_names_the_account_by_its_last_digits() {
        let line = |method: &str, account: &str| PayoutLine {
            affiliate: "lan".into(),
            currency: "VND".into(),
            amount: 1_250_000,
            gross: 1_250_000,
            withheld: 0,
            tax_id: None,
            method: method.into(),
            paypal_email: None,
            bank: (method == "vietqr").then(|| "970436".into()),
            account: Some(account.into()),
            account_name: Some("NGUYEN THI LAN".into()),
            transfer_qr: None,
            referrals: 2,
            bonuses: 0,
            recruiter_commissions: 0,
            fee: None,
            sent_at: None,
        };
        let notice = |line| PayoutNotice {
            payout_id: "po_1".into(),
            note: None,
            line,
        };
        let vietqr = notice(line("vietqr", "0011001932418"));
        let promptpay = notice(line("promptpay", "0812345678"));
        for (locale, n, bank, pp) in [
            (
                "vi",
                &vietqr,
                "bằng chuyển khoản vào tài khoản ngân hàng có số cuối 2418.",
                "qua PromptPay vào mã PromptPay có số cuối 5678.",
            ),
            (
                "en",
                &vietqr,
                "2 referrals, by bank transfer to your account ending in 2418.",
                "by PromptPay to your PromptPay ID ending in 5678.",
            ),
            (
                "th",
                &vietqr,
                "โดยโอนเข้าบัญชีธนาคารที่ลงท้ายด้วย 2418",
                "ผ่านพร้อมเพย์เข้าหมายเลขพร้อมเพย์ที่ลงท้ายด้วย 5678",
            ),
        ] {
            let t = payout_text(locale, "Shop", "Lan", n, "u");
            assert!(t.body.contains(bank), "{locale}: {}", t.body);
            assert!(
                !t.body.contains("PayPal") && !t.body.contains("0011001932418"),
                "{}",
                t.body
            );
            let t = payout_text(locale, "Shop", "Lan", &promptpay, "u");
            assert!(t.body.contains(pp), "{locale}: {}", t.body);
            assert!(!t.body.contains("0812345678"), "{}", t.body);
        }
    }

    #[test]
    fn an_applicant_with_an_account_is_told_where_it_stands() {
        let pending = exists_text("th", "ร้านรองเท้า", "Niran", "pending", "https://t/portal/");
        assert_eq!(pending.subject, "ร้านรองเท้า: คุณมีบัญชีพาร์ทเนอร์อยู่แล้ว");
        assert!(
            pending.body.contains("ยังอยู่ระหว่างการพิจารณา"),
            "{}",
            pending.body
        );
        assert!(
            pending.body.contains("เข้าสู่ระบบ: https://t/portal/"),
            "{}",
            pending.body
        );
        let approved = exists_text("en", "Shoes", "Al", "approved", "u");
        assert_eq!(
            approved.body,
            "Hello Al,\n\nSomeone (perhaps you) asked to join Shoes's affiliate program with this \
             email address. You already have an account, so no new one was made.\n\nSign in: u\n\n\
             If this was not you, you can ignore this email.\n"
        );
        let received = received_text("xx", "Shoes", "Al");
        assert_eq!(received.subject, "Shoes: we received your application");
    }

    #[test]
    fn an_approval_welcomes_the_affiliate_with_the_portal_link() {
        let t = approved_text("vi", "Giày Sài Gòn", "Lan", "https://t.shop.test/portal/");
        assert_eq!(
            t.subject,
            "Giày Sài Gòn: bạn đã được duyệt làm cộng tác viên"
        );
        assert_eq!(
            t.body,
            "Xin chào Lan,\n\nĐơn đăng ký của bạn tại Giày Sài Gòn đã được duyệt: giờ bạn có thể chia sẻ liên kết và nhận hoa hồng.\n\nLiên kết và thu nhập của bạn: https://t.shop.test/portal/\n\nBạn nhận được email này vì là cộng tác viên của Giày Sài Gòn.\n"
        );
        let t = approved_text("en", "Shoes", "Alice", "u");
        assert_eq!(t.subject, "Shoes: you are approved as an affiliate");
    }

    #[test]
    fn a_payload_that_is_not_the_events_renders_nothing() {
        let p = Program::default();
        assert!(render(&p, "referral.created", "{}", "A", "u").is_none());
        assert!(render(&p, "nope", "{}", "A", "u").is_none());
        let r = serde_json::to_string(&referral("sale", "approved")).expect("json");
        assert!(render(&p, "referral.created", &r, "A", "u").is_some());
    }
}
