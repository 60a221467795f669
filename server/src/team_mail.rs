//! Emails to the merchant's team: someone applied to the program, a referral was flagged for
//! review, a webhook event or an affiliate's postback was given up, an affiliate asked to be paid.
//! Each member chooses what they
//! hear of (`notify`); owners and managers are invited with every event.
//!
//! They travel like the affiliates' emails (`affiliate_mail`): queued in `mail_outbox` in the
//! transaction of the change, with the member as recipient, and rendered when sent in the
//! program's language, to the member's address of that moment. Nothing is queued when this
//! server sends no mail.

use crate::db::Tx;
use crate::error::AppError;
use crate::fraud;
use crate::ids::new_id;
use crate::mail::Text;
use crate::program::Program;
use crate::routes::referrals::ReferralView;
use crate::team::Role;
use crate::times::now;
use crate::AppState;
use reftrail::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// What a team member may be emailed about.
pub const EVENTS: [&str; 4] = [
    "affiliate.applied",
    "referral.flagged",
    "delivery.failed",
    "payout.requested",
];

/// What a member invited with `role` hears of until they choose: those who act on it, all.
pub fn default_notify(role: Role) -> Vec<String> {
    if role.may_change() {
        EVENTS.iter().map(|e| (*e).to_owned()).collect()
    } else {
        Vec::new()
    }
}

/// Refuses (400 `invalid_notify`) a list with an unknown or repeated event; answers it in
/// [`EVENTS`] order, as stored.
pub fn check_notify(events: &[String]) -> Result<Vec<String>, AppError> {
    let known = events.iter().all(|e| EVENTS.contains(&e.as_str()));
    let unique = events
        .iter()
        .enumerate()
        .all(|(i, e)| !events[..i].contains(e));
    if !known || !unique {
        return Err(AppError::bad(
            "invalid_notify",
            "notify lists each of affiliate.applied, referral.flagged, delivery.failed and payout.requested at most once",
        ));
    }
    Ok(EVENTS
        .iter()
        .filter(|e| events.iter().any(|x| x == *e))
        .map(|e| (*e).to_owned())
        .collect())
}

/// The stored form of a notify list: events joined by commas.
pub fn stored(events: &[String]) -> String {
    events.join(",")
}

/// A stored notify list read back.
pub fn parse_stored(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|e| EVENTS.contains(e))
        .map(str::to_owned)
        .collect()
}

/// What the message about an application tells.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AppliedNotice {
    /// The affiliate it made.
    pub affiliate: String,
    /// Their name.
    pub name: String,
    /// Their email.
    pub email: String,
    /// `pending` (waits for review) or `approved` (the program approves at once).
    pub status: String,
    /// Their website or channel.
    pub website: Option<String>,
    /// How they will promote the shop.
    pub message: Option<String>,
}

/// What the message about a delivery given up tells.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct DeliveryFailedNotice {
    /// `webhook` or `postback`.
    pub kind: String,
    /// The webhook event (`referral.created`) or the postback's (`created`).
    pub event: String,
    /// Where it went.
    pub url: String,
    /// The affiliate whose tracker it was (postbacks).
    pub affiliate: Option<String>,
    /// The last attempt's failure.
    pub error: String,
}

/// Queues `event` with `payload`, about `affiliate`, to every member who asked for it and can
/// sign in (of them, only owners when `owners_only`).
async fn queue(
    tx: &mut Tx,
    state: &AppState,
    event: &'static str,
    affiliate: &str,
    payload: &impl Serialize,
    owners_only: bool,
) -> Result<(), AppError> {
    if state.http.mail.is_none() {
        return Ok(());
    }
    let members = sqlx::query(
        "SELECT id, notify FROM team_members WHERE password_hash IS NOT NULL \
         AND ($1 = 0 OR role = 'owner') ORDER BY id",
    )
    .bind(i64::from(owners_only))
    .fetch_all(&mut **tx)
    .await?;
    let payload = serde_json::to_string(payload)?;
    let at = now();
    for m in members {
        let notify: String = m.try_get(1)?;
        if !parse_stored(&notify).iter().any(|e| e == event) {
            continue;
        }
        sqlx::query(
            "INSERT INTO mail_outbox (id, event, affiliate_id, member_id, payload, at, attempts, next_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $6)",
        )
        .bind(new_id("mail"))
        .bind(event)
        .bind(affiliate)
        .bind(m.try_get::<String, _>(0)?)
        .bind(&payload)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Queues the message about an application from the public form.
pub async fn affiliate_applied(
    tx: &mut Tx,
    state: &AppState,
    notice: &AppliedNotice,
) -> Result<(), AppError> {
    queue(
        tx,
        state,
        "affiliate.applied",
        &notice.affiliate,
        notice,
        false,
    )
    .await
}

/// Queues the message about a new referral, when it is flagged.
pub async fn referral_flagged(
    tx: &mut Tx,
    state: &AppState,
    view: &ReferralView,
) -> Result<(), AppError> {
    if view.flags.is_empty() {
        return Ok(());
    }
    queue(tx, state, "referral.flagged", &view.affiliate, view, false).await
}

/// Queues the message about delivery `id` given up, unless one about the same endpoint (a
/// webhook's address, an affiliate's tracker) was given up in the 24 hours before: an endpoint
/// down for a day makes one email, not one per event. Webhook endpoints are settings, so only
/// owners hear of them.
pub async fn delivery_failed(
    tx: &mut Tx,
    state: &AppState,
    id: &str,
    notice: &DeliveryFailedNotice,
) -> Result<(), AppError> {
    let (sql, target) = match &notice.affiliate {
        Some(a) if notice.kind == "postback" => (
            "SELECT 1 FROM postbacks WHERE affiliate_id = $1 AND failed_at >= $2 AND id <> $3 LIMIT 1",
            a.as_str(),
        ),
        _ => (
            "SELECT 1 FROM outbox WHERE url = $1 AND failed_at >= $2 AND id <> $3 LIMIT 1",
            notice.url.as_str(),
        ),
    };
    let told = sqlx::query(sql)
        .bind(target)
        .bind(now() - 86_400)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .is_some();
    if told {
        return Ok(());
    }
    let affiliate = notice.affiliate.as_deref().unwrap_or("");
    let owners_only = notice.kind == "webhook";
    queue(tx, state, "delivery.failed", affiliate, notice, owners_only).await
}

/// Queues the message about an affiliate's request to be paid.
pub async fn payout_requested(
    tx: &mut Tx,
    state: &AppState,
    request: &crate::routes::payout_requests::PayoutRequestView,
) -> Result<(), AppError> {
    let notice = PayoutRequestedNotice {
        affiliate: request.affiliate.clone(),
        currency: request.currency.clone(),
        amount: request.amount,
    };
    queue(
        tx,
        state,
        "payout.requested",
        &request.affiliate,
        &notice,
        false,
    )
    .await
}

/// What the message about a payout request tells.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct PayoutRequestedNotice {
    /// Who asks.
    pub affiliate: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Their approved balance when they asked, minor units.
    pub amount: i64,
}

/// The message about a payout request, in `locale` (English when it is none of en, vi, th).
pub fn payout_requested_text(
    locale: &str,
    program: &str,
    name: &str,
    n: &PayoutRequestedNotice,
    dashboard: &str,
) -> Text {
    let link = format!("{dashboard}#/payouts");
    let amount = money(n.amount, &n.currency, locale);
    let who = &n.affiliate;
    let (subject, hello, said, act) = match locale {
        "vi" => (
            format!("{who} yêu cầu thanh toán"),
            "Xin chào",
            format!("{who} yêu cầu được thanh toán số dư đã duyệt {amount}."),
            "Thanh toán hoặc từ chối tại",
        ),
        "th" => (
            format!("{who} ขอรับการจ่ายเงิน"),
            "สวัสดี",
            format!("{who} ขอรับยอดคงเหลือที่อนุมัติแล้ว {amount}"),
            "จ่ายหรือปฏิเสธได้ที่",
        ),
        _ => (
            format!("{who} asks to be paid"),
            "Hello",
            format!("{who} asks to be paid their approved balance of {amount}."),
            "Pay or decline it at",
        ),
    };
    Text {
        subject,
        body: format!(
            "{hello} {name},\n\n{said}\n\n{act} {link}\n\n{}\n",
            why_you(locale, program, dashboard)
        ),
    }
}

/// The message for a queued team `event`, or `None` when its payload is not what it carries.
/// `dashboard` is the dashboard's address (`https://…/dashboard/`).
pub fn render(
    program: &Program,
    event: &str,
    payload: &str,
    name: &str,
    dashboard: &str,
) -> Option<Text> {
    let locale = program.locale();
    match event {
        "affiliate.applied" => serde_json::from_str::<AppliedNotice>(payload)
            .ok()
            .map(|n| applied_text(locale, &program.name, name, &n, dashboard)),
        "referral.flagged" => serde_json::from_str::<ReferralView>(payload)
            .ok()
            .map(|r| flagged_text(locale, &program.name, name, &r, dashboard)),
        "delivery.failed" => serde_json::from_str::<DeliveryFailedNotice>(payload)
            .ok()
            .map(|n| delivery_failed_text(locale, &program.name, name, &n, dashboard)),
        "payout.requested" => serde_json::from_str::<PayoutRequestedNotice>(payload)
            .ok()
            .map(|n| payout_requested_text(locale, &program.name, name, &n, dashboard)),
        _ => None,
    }
}

/// Why a member of `program`'s team gets this email, and where to stop it, in `locale`.
fn why_you(locale: &str, program: &str, dashboard: &str) -> String {
    match locale {
        "vi" => format!("Bạn nhận được email này vì là thành viên nhóm quản lý {program}. Chọn email muốn nhận tại {dashboard}#/account"),
        "th" => format!("คุณได้รับอีเมลนี้เนื่องจากเป็นสมาชิกทีมของ {program} เลือกอีเมลที่ต้องการได้ที่ {dashboard}#/account"),
        _ => format!("You receive this email as a member of {program}'s team. Choose your emails at {dashboard}#/account"),
    }
}

/// The message about an application, in `locale` (English when it is none of en, vi, th).
pub fn applied_text(
    locale: &str,
    program: &str,
    name: &str,
    n: &AppliedNotice,
    dashboard: &str,
) -> Text {
    let pending = n.status == "pending";
    // Affiliate ids are letters, digits, `-`, `_` and `.`: safe in a link as they are.
    let link = format!("{dashboard}#/affiliates?id={}", n.affiliate);
    let (subject, hello, said, website, message, act) = match locale {
        "vi" => {
            (
                if pending {
                    "Đơn đăng ký cộng tác viên mới"
                } else {
                    "Cộng tác viên mới"
                },
                "Xin chào",
                if pending {
                    format!("{} ({}) vừa đăng ký làm cộng tác viên của {program} và đang chờ bạn duyệt.", n.name, n.email)
                } else {
                    format!("{} ({}) vừa tham gia chương trình cộng tác viên của {program} (được duyệt ngay).", n.name, n.email)
                },
                "Trang web hoặc kênh",
                "Cách quảng bá",
                if pending {
                    "Duyệt hoặc từ chối tại"
                } else {
                    "Xem tại"
                },
            )
        }
        "th" => (
            if pending {
                "ใบสมัครพาร์ทเนอร์ใหม่"
            } else {
                "พาร์ทเนอร์ใหม่"
            },
            "สวัสดี",
            if pending {
                format!(
                    "{} ({}) สมัครเป็นพาร์ทเนอร์ของ {program} และรอให้คุณพิจารณา",
                    n.name, n.email
                )
            } else {
                format!(
                    "{} ({}) เข้าร่วมโปรแกรมพาร์ทเนอร์ของ {program} แล้ว (อนุมัติทันที)",
                    n.name, n.email
                )
            },
            "เว็บไซต์หรือช่องทาง",
            "วิธีโปรโมต",
            if pending {
                "อนุมัติหรือปฏิเสธได้ที่"
            } else {
                "ดูได้ที่"
            },
        ),
        _ => {
            (
                if pending {
                    "New affiliate application"
                } else {
                    "New affiliate"
                },
                "Hello",
                if pending {
                    format!("{} ({}) applied to {program}'s affiliate program and waits for your review.", n.name, n.email)
                } else {
                    format!(
                        "{} ({}) joined {program}'s affiliate program (approved at once).",
                        n.name, n.email
                    )
                },
                "Website or channel",
                "How they will promote the shop",
                if pending {
                    "Approve or decline it at"
                } else {
                    "See them at"
                },
            )
        }
    };
    let mut body = format!("{hello} {name},\n\n{said}\n\n");
    if let Some(w) = &n.website {
        body.push_str(&format!("{website}: {w}\n"));
    }
    if let Some(m) = &n.message {
        body.push_str(&format!("{message}:\n{m}\n"));
    }
    body.push_str(&format!(
        "\n{act} {link}\n\n{}\n",
        why_you(locale, program, dashboard)
    ));
    Text {
        subject: format!("{subject}: {}", n.name),
        body,
    }
}

/// A fraud signal in words, in `locale`.
fn flag_words(locale: &str, flag: &str) -> String {
    let words = match (locale, flag) {
        ("vi", fraud::SELF_REFERRAL) => "khách hàng trùng email với cộng tác viên",
        ("vi", fraud::BOT) => "trình duyệt giống bot",
        ("vi", fraud::CLICK_VELOCITY) => "quá nhiều lượt nhấp từ một địa chỉ",
        ("vi", fraud::CONVERSION_RATE) => "tỷ lệ chuyển đổi bất thường",
        ("vi", fraud::PAID_ADS) => "lượt nhấp đến từ quảng cáo trả phí",
        ("th", fraud::SELF_REFERRAL) => "ลูกค้าใช้อีเมลเดียวกับพาร์ทเนอร์",
        ("th", fraud::BOT) => "เบราว์เซอร์คล้ายบอต",
        ("th", fraud::CLICK_VELOCITY) => "คลิกจากที่อยู่เดียวกันมากเกินไป",
        ("th", fraud::CONVERSION_RATE) => "อัตราการแปลงผิดปกติ",
        ("th", fraud::PAID_ADS) => "คลิกมาจากโฆษณาแบบชำระเงิน",
        (_, fraud::SELF_REFERRAL) => "the customer's email is the affiliate's own",
        (_, fraud::BOT) => "a bot's browser",
        (_, fraud::CLICK_VELOCITY) => "too many clicks from one address",
        (_, fraud::CONVERSION_RATE) => "an unusual conversion rate",
        (_, fraud::PAID_ADS) => "the click came from a paid ad",
        _ => flag,
    };
    words.to_owned()
}

fn money(amount: i64, currency: &str, locale: &str) -> String {
    match Currency::parse(currency) {
        Some(c) => Money::new(amount, c).localized(locale),
        None => format!("{amount} {currency}"),
    }
}

/// The message about a flagged referral, in `locale` (English when it is none of en, vi, th).
pub fn flagged_text(
    locale: &str,
    program: &str,
    name: &str,
    r: &ReferralView,
    dashboard: &str,
) -> Text {
    let link = format!(
        "{dashboard}#/referrals?flagged=true&affiliate={}",
        r.affiliate
    );
    let reasons = r
        .flags
        .iter()
        .map(|f| flag_words(locale, f))
        .collect::<Vec<_>>()
        .join("; ");
    let what = match &r.order_id {
        Some(order) => order.clone(),
        None => r.event.clone().unwrap_or_default(),
    };
    let amount = money(r.amount, &r.currency, locale);
    let commission = money(r.commission, &r.currency, locale);
    let (subject, hello, said, why, act) = match locale {
        "vi" => (
            "Cần xem lại một giới thiệu",
            "Xin chào",
            format!("Một giới thiệu của {} ({what}, {amount}, hoa hồng {commission}) bị gắn cờ và chờ bạn xem lại. Nó sẽ không được duyệt tự động.", r.affiliate),
            "Lý do",
            "Duyệt hoặc từ chối tại",
        ),
        "th" => (
            "มีการแนะนำที่ต้องตรวจสอบ",
            "สวัสดี",
            format!("การแนะนำของ {} ({what}, {amount}, ค่าคอมมิชชัน {commission}) ถูกทำเครื่องหมายและรอให้คุณตรวจสอบ จะไม่ได้รับการอนุมัติอัตโนมัติ", r.affiliate),
            "เหตุผล",
            "อนุมัติหรือปฏิเสธได้ที่",
        ),
        _ => (
            "A referral to review",
            "Hello",
            format!("A referral of {} ({what}, {amount}, commission {commission}) was flagged and waits for your review. It is never approved automatically.", r.affiliate),
            "Why",
            "Approve or reject it at",
        ),
    };
    Text {
        subject: format!("{subject}: {}", r.affiliate),
        body: format!(
            "{hello} {name},\n\n{said}\n\n{why}: {reasons}\n\n{act} {link}\n\n{}\n",
            why_you(locale, program, dashboard)
        ),
    }
}

/// The message about a delivery given up, in `locale` (English when it is none of en, vi, th).
pub fn delivery_failed_text(
    locale: &str,
    program: &str,
    name: &str,
    n: &DeliveryFailedNotice,
    dashboard: &str,
) -> Text {
    let link = format!("{dashboard}#/deliveries?status=failed");
    let webhook = n.kind == "webhook";
    let who = n.affiliate.as_deref().unwrap_or("");
    let (subject, hello, said, last, then, act) = match locale {
        "vi" => (
            if webhook {
                "Sự kiện webhook gửi không thành công".to_owned()
            } else {
                format!("Postback của {who} gửi không thành công")
            },
            "Xin chào",
            format!(
                "{program} đã ngừng gửi {} ({}) đến {} sau 12 lần thử trong khoảng một ngày.",
                if webhook { "một sự kiện webhook" } else { "một postback" },
                n.event,
                n.url
            ),
            "Lần thử cuối",
            "Các lần gửi khác đến địa chỉ này bị ngừng trong 24 giờ tới sẽ không có email riêng.",
            "Khi địa chỉ hoạt động trở lại, hãy gửi lại tại",
        ),
        "th" => (
            if webhook {
                "อีเวนต์เว็บฮุกส่งไม่สำเร็จ".to_owned()
            } else {
                format!("โพสต์แบ็กของ {who} ส่งไม่สำเร็จ")
            },
            "สวัสดี",
            format!(
                "{program} หยุดส่ง{} ({}) ไปยัง {} หลังจากลองส่ง 12 ครั้งในราวหนึ่งวัน",
                if webhook { "อีเวนต์เว็บฮุก" } else { "โพสต์แบ็ก" },
                n.event,
                n.url
            ),
            "ผลการส่งครั้งสุดท้าย",
            "การส่งอื่นไปยังที่อยู่นี้ที่หยุดในอีก 24 ชั่วโมงจะไม่มีอีเมลแจ้งแยก",
            "เมื่อที่อยู่นี้ใช้งานได้แล้ว ส่งอีกครั้งได้ที่",
        ),
        _ => (
            if webhook {
                "Webhook events are failing".to_owned()
            } else {
                format!("Postbacks of {who} are failing")
            },
            "Hello",
            format!(
                "{program} gave up sending {} ({}) to {} after 12 attempts over about a day.",
                if webhook { "a webhook event" } else { "a postback" },
                n.event,
                n.url
            ),
            "The last attempt",
            "Other requests to this address given up in the next 24 hours make no email of their own.",
            "Once the address works, send them again at",
        ),
    };
    Text {
        subject,
        body: format!(
            "{hello} {name},\n\n{said}\n\n{last}: {}\n\n{then}\n\n{act} {link}\n\n{}\n",
            n.error,
            why_you(locale, program, dashboard)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_lists_are_checked_and_kept_in_order() {
        let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            check_notify(&list(&["referral.flagged", "affiliate.applied"])).expect("ok"),
            list(&["affiliate.applied", "referral.flagged"])
        );
        assert_eq!(check_notify(&[]).expect("ok"), Vec::<String>::new());
        for bad in [
            list(&["referral.created"]),
            list(&["affiliate.applied", "affiliate.applied"]),
            list(&[""]),
        ] {
            assert!(check_notify(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_stored(&stored(&list(&["affiliate.applied", "referral.flagged"]))),
            list(&["affiliate.applied", "referral.flagged"])
        );
        assert_eq!(parse_stored(""), Vec::<String>::new());
        assert_eq!(
            default_notify(Role::Manager),
            list(&[
                "affiliate.applied",
                "referral.flagged",
                "delivery.failed",
                "payout.requested"
            ])
        );
        assert!(default_notify(Role::Viewer).is_empty());
    }

    #[test]
    fn a_delivery_given_up_and_a_payout_request_say_what_and_where() {
        let d = "https://t.shop.test/dashboard/";
        let hook = DeliveryFailedNotice {
            kind: "webhook".into(),
            event: "referral.created".into(),
            url: "https://erp.shop.test/in".into(),
            affiliate: None,
            error: "HTTP 502".into(),
        };
        let en = delivery_failed_text("en", "Shoe Shop", "An", &hook, d);
        assert_eq!(en.subject, "Webhook events are failing");
        assert!(en.body.contains("Shoe Shop gave up sending a webhook event (referral.created) to https://erp.shop.test/in after 12 attempts"), "{}", en.body);
        assert!(
            en.body.contains("The last attempt: HTTP 502\n"),
            "{}",
            en.body
        );
        assert!(en
            .body
            .contains("https://t.shop.test/dashboard/#/deliveries?status=failed"));
        let postback = DeliveryFailedNotice {
            kind: "postback".into(),
            affiliate: Some("cashback-vn".into()),
            ..hook
        };
        let th = delivery_failed_text("th", "ร้านรองเท้า", "สมชาย", &postback, d);
        assert_eq!(th.subject, "โพสต์แบ็กของ cashback-vn ส่งไม่สำเร็จ");
        assert!(th.body.starts_with("สวัสดี สมชาย,"), "{}", th.body);

        let asked = PayoutRequestedNotice {
            affiliate: "alice".into(),
            currency: "THB".into(),
            amount: 125_050,
        };
        let en = payout_requested_text("en", "Shoe Shop", "An", &asked, d);
        assert_eq!(en.subject, "alice asks to be paid");
        assert!(
            en.body
                .contains("alice asks to be paid their approved balance of 1,250.50 THB."),
            "{}",
            en.body
        );
        assert!(en
            .body
            .contains("Pay or decline it at https://t.shop.test/dashboard/#/payouts\n"));
    }

    fn notice(status: &str) -> AppliedNotice {
        AppliedNotice {
            affiliate: "minh-anh".into(),
            name: "Minh Anh".into(),
            email: "minh@example.com".into(),
            status: status.into(),
            website: Some("https://tiktok.com/@minhanh".into()),
            message: None,
        }
    }

    #[test]
    fn an_application_tells_who_and_where_to_review_it() {
        let d = "https://t.shop.test/dashboard/";
        let en = applied_text("en", "Shoe Shop", "Lan", &notice("pending"), d);
        assert_eq!(en.subject, "New affiliate application: Minh Anh");
        assert!(en
            .body
            .starts_with("Hello Lan,\n\nMinh Anh (minh@example.com) applied to Shoe Shop's"));
        assert!(en
            .body
            .contains("Website or channel: https://tiktok.com/@minhanh\n"));
        assert!(!en.body.contains("How they will promote"));
        assert!(en.body.contains(
            "Approve or decline it at https://t.shop.test/dashboard/#/affiliates?id=minh-anh\n"
        ));
        assert!(en.body.contains("#/account"));
        let vi = applied_text("vi", "Giày", "Lan", &notice("approved"), d);
        assert_eq!(vi.subject, "Cộng tác viên mới: Minh Anh");
        assert!(vi.body.contains("(được duyệt ngay)"));
        let th = applied_text("th", "ร้าน", "สมชาย", &notice("pending"), d);
        assert!(th.body.contains("รอให้คุณพิจารณา"));
    }

    #[test]
    fn unknown_payloads_render_nothing() {
        let program = Program::default();
        assert!(render(&program, "affiliate.applied", "{}", "Lan", "d/").is_none());
        assert!(render(&program, "referral.created", "{}", "Lan", "d/").is_none());
        let ok = serde_json::to_string(&notice("pending")).expect("json");
        assert!(render(&program, "affiliate.applied", &ok, "Lan", "d/").is_some());
    }
}
