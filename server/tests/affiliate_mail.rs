//! Emails to affiliates, end to end on loopback: a sale's referral and a payout queue a message
//! in the same transaction, the worker's round sends it through a real SMTP exchange (a small
//! receiver in the tests), in the program's language with its money written as that language
//! writes it; nothing is queued for what earned nothing or what the program does not want, and
//! a failing SMTP server gets the message again later.

use axum::http::StatusCode;
use reftrail_server::affiliate_mail::send_due;
use reftrail_server::mail::Mailer;
use reftrail_server::{AppState, HttpOptions};
use serde_json::{json, Value};
use sqlx::Row;

mod support;

use support::{body_of, call, smtp_sink};

/// A server mailing through `smtp_port`, whose program is the Vietnamese shop of these tests
/// (VND, hold 0 days, 10 % per sale) with `program` changes; alice has an email, bob none.
async fn shop(smtp_port: u16, program: &[(&str, Value)]) -> AppState {
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{smtp_port}"),
        "Giày Sài Gòn <affiliates@shop.test>",
        "https://t.shop.test",
    )
    .expect("mailer");
    let state = support::fresh_state(HttpOptions {
        mail: Some(mailer),
        ..HttpOptions::default()
    })
    .await;
    let (_, mut p) = call(&state, "GET", "/v1/program", json!(null)).await;
    p["name"] = json!("Giày Sài Gòn");
    p["currency"] = json!("VND");
    p["locale"] = json!("vi");
    p["hold_days"] = json!(0);
    for (field, value) in program {
        p[*field] = value.clone();
    }
    let (s, body) = call(&state, "PUT", "/v1/program", p).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    for (id, extra) in [
        (
            "alice",
            json!({"email": "alice@aff.test", "payout_email": "alice@pay.test", "coupons": ["ALICE"]}),
        ),
        ("bob", json!({"coupons": ["BOB"]})),
    ] {
        let mut a = json!({"id": id, "name": format!("{id} Nguyễn")});
        if let (Some(a), Some(x)) = (a.as_object_mut(), extra.as_object()) {
            a.extend(x.clone());
        }
        let (s, body) = call(&state, "POST", "/v1/affiliates", a).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    state
}

/// Posts a sale with `coupon`; returns the status (201, or 200 for a replay).
async fn sale(state: &AppState, order: &str, coupon: &str) -> StatusCode {
    let body = json!({"order_id": order, "amount": 1_250_000, "currency": "VND", "coupon": coupon});
    let (s, body) = call(state, "POST", "/v1/sales", body).await;
    assert!(s.is_success(), "{body}");
    s
}

/// The queued messages: (event, affiliate, sent, failed, attempts, last error).
async fn outbox(state: &AppState) -> Vec<(String, String, bool, bool, i64, Option<String>)> {
    sqlx::query("SELECT event, affiliate_id, sent_at, failed_at, attempts, last_error FROM mail_outbox ORDER BY at, id")
        .fetch_all(&state.db.pool)
        .await
        .expect("outbox")
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                r.get::<Option<i64>, _>(2).is_some(),
                r.get::<Option<i64>, _>(3).is_some(),
                r.get(4),
                r.get(5),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_referral_and_a_payout_are_mailed_to_the_affiliate_in_the_programs_language() {
    let (port, inbox) = smtp_sink().await;
    let state = shop(port, &[]).await;
    sale(&state, "1001", "ALICE").await;
    // A lead that earns nothing (no lead commission) tells nobody; bob has no email.
    let (s, body) = call(
        &state,
        "POST",
        "/v1/leads",
        json!({"event": "signup", "customer_id": "c1", "coupon": "ALICE"}),
    )
    .await;
    assert!(s.is_success(), "{body}");
    sale(&state, "1002", "BOB").await;
    // A replay queues nothing more.
    assert_eq!(sale(&state, "1001", "ALICE").await, StatusCode::OK);
    assert_eq!(outbox(&state).await.len(), 2);

    assert_eq!(send_due(&state).await.expect("round"), 1);
    let mail = inbox.lock().expect("inbox").clone();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("To: alice@aff.test"), "{}", mail[0]);
    let text = body_of(&mail[0]);
    assert!(text.starts_with("Xin chào alice Nguyễn,"), "{text}");
    assert!(text.contains("Một đơn hàng 1.250.000 VND bạn giới thiệu đến Giày Sài Gòn đã mang lại cho bạn khoản hoa hồng 125.000 VND."), "{text}");
    assert!(
        text.contains("đã được duyệt"),
        "approved at once with no hold: {text}"
    );
    assert!(text.contains("https://t.shop.test/portal/"), "{text}");
    assert!(
        text.contains("Bạn có thể tắt các email này trong cổng cộng tác viên."),
        "{text}"
    );
    let rows = outbox(&state).await;
    assert_eq!(
        (rows[0].2, rows[1].3, rows[1].5.as_deref()),
        (true, true, Some("the affiliate has no email")),
        "{rows:?}"
    );
    assert_eq!(
        send_due(&state).await.expect("round"),
        0,
        "nothing is sent twice"
    );

    // The payout of alice's approved balance.
    let (s, body) = call(&state, "POST", "/v1/payouts", json!({"note": "Tháng 11"})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(send_due(&state).await.expect("round"), 1);
    let mail = inbox.lock().expect("inbox").clone();
    let text = body_of(&mail[1]);
    assert!(text.contains("Giày Sài Gòn đang thanh toán cho bạn 125.000 VND cho 1 lượt giới thiệu, vào tài khoản PayPal alice@pay.test."), "{text}");
    assert!(text.contains("Ghi chú: Tháng 11"), "{text}");
}

#[tokio::test]
async fn the_program_chooses_what_affiliates_hear_about() {
    let (port, inbox) = smtp_sink().await;
    let state = shop(port, &[("affiliate_emails", json!(["payout.created"]))]).await;
    sale(&state, "2001", "ALICE").await;
    assert_eq!(outbox(&state).await, vec![], "no referral emails");
    let (s, _) = call(&state, "POST", "/v1/payouts", json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(send_due(&state).await.expect("round"), 1);
    assert_eq!(inbox.lock().expect("inbox").len(), 1);

    // A server without SMTP settings queues nothing at all.
    let state = support::fresh_state(HttpOptions::default()).await;
    let (_, p) = call(&state, "GET", "/v1/program", json!(null)).await;
    assert_eq!(
        p["affiliate_emails"],
        json!([
            "referral.created",
            "payout.created",
            "affiliate.approved",
            "bonus.created"
        ])
    );
    let (s, _) = call(
        &state,
        "POST",
        "/v1/affiliates",
        json!({"id": "alice", "name": "A", "email": "a@aff.test", "coupons": ["A1"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let body = json!({"order_id": "3001", "amount": 10_000, "currency": "USD", "coupon": "A1"});
    assert_eq!(
        call(&state, "POST", "/v1/sales", body).await.0,
        StatusCode::CREATED
    );
    assert_eq!(outbox(&state).await, vec![]);
}

#[tokio::test]
async fn a_bonus_is_mailed_to_its_affiliate_and_its_payout_counts_it() {
    let (port, inbox) = smtp_sink().await;
    let state = shop(port, &[]).await;
    let bonus = json!({"affiliate": "alice", "amount": 500_000, "currency": "VND", "reason": "Bán chạy nhất tháng 11"});
    let (s, body) = call(&state, "POST", "/v1/bonuses", bonus).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(send_due(&state).await.expect("round"), 1);
    let mail = inbox.lock().expect("inbox").clone();
    assert!(mail[0].contains("To: alice@aff.test"), "{}", mail[0]);
    let text = body_of(&mail[0]);
    assert!(text.starts_with("Xin chào alice Nguyễn,"), "{text}");
    assert!(
        text.contains("Giày Sài Gòn đã tặng bạn khoản thưởng 500.000 VND: Bán chạy nhất tháng 11"),
        "{text}"
    );
    assert!(text.contains("lần thanh toán tới"), "{text}");
    // Paid with no referral beside it: the payout message names the bonus alone.
    let (s, body) = call(&state, "POST", "/v1/payouts", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(send_due(&state).await.expect("round"), 1);
    let mail = inbox.lock().expect("inbox").clone();
    let text = body_of(&mail[1]);
    assert!(
        text.contains("Giày Sài Gòn đang thanh toán cho bạn 500.000 VND cho 1 khoản thưởng, vào tài khoản PayPal alice@pay.test."),
        "{text}"
    );

    // A program that does not want bonus emails queues none.
    let state = shop(port, &[("affiliate_emails", json!(["payout.created"]))]).await;
    let bonus =
        json!({"affiliate": "alice", "amount": 1_000, "currency": "VND", "reason": "Thanks"});
    assert_eq!(
        call(&state, "POST", "/v1/bonuses", bonus).await.0,
        StatusCode::CREATED
    );
    assert_eq!(outbox(&state).await, vec![]);
}

#[tokio::test]
async fn a_message_the_smtp_server_refuses_is_sent_again_later() {
    // A port with nothing listening: the SMTP connection fails.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let state = shop(port, &[]).await;
    sale(&state, "4001", "ALICE").await;
    assert_eq!(send_due(&state).await.expect("round"), 0);
    let rows = outbox(&state).await;
    let (_, _, sent, failed, attempts, error) = &rows[0];
    assert_eq!((*sent, *failed, *attempts), (false, false, 1), "{rows:?}");
    assert!(
        error.as_deref().is_some_and(|e| e.contains("SMTP")),
        "{error:?}"
    );
    // Not due again until the backoff has passed.
    assert_eq!(send_due(&state).await.expect("round"), 0);
    assert_eq!(outbox(&state).await[0].4, 1, "waits for its next attempt");
}

#[tokio::test]
async fn an_approved_application_is_welcomed_once() {
    let (port, inbox) = smtp_sink().await;
    let state = shop(port, &[]).await;
    let carol = json!({"id": "carol", "name": "Carol Trần", "email": "carol@aff.test", "status": "pending"});
    let (s, body) = call(&state, "POST", "/v1/affiliates", carol).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // Approved, approved again, suspended and approved again: one welcome.
    for status in ["approved", "approved", "suspended", "approved"] {
        let (s, body) = call(
            &state,
            "PATCH",
            "/v1/affiliates/carol",
            json!({ "status": status }),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    assert_eq!(send_due(&state).await.expect("round"), 1);
    let mail = inbox.lock().expect("inbox").clone();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("To: carol@aff.test"), "{}", mail[0]);
    let text = body_of(&mail[0]).replace("\r\n", "\n");
    assert!(
        text.starts_with(
            "Xin chào Carol Trần,\n\nĐơn đăng ký của bạn tại Giày Sài Gòn đã được duyệt"
        ),
        "{text}"
    );
    assert!(text.contains("https://t.shop.test/portal/"), "{text}");
    // alice and bob, created approved by the merchant, got no welcome.
    assert_eq!(outbox(&state).await.len(), 1);
}

#[tokio::test]
async fn an_affiliate_who_turned_referral_emails_off_hears_only_of_payouts() {
    let (port, inbox) = smtp_sink().await;
    let state = shop(port, &[]).await;
    let (s, t) = call(&state, "POST", "/v1/affiliates/alice/token", json!(null)).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let token = t["token"].as_str().expect("token").to_owned();
    let set = |on: bool| {
        let (state, token) = (state.clone(), token.clone());
        async move {
            let body = json!({ "referral_emails": on });
            let (s, me) = support::call_as(&state, Some(&token), "PATCH", "/v1/me", body).await;
            assert_eq!(
                (s, &me["referral_emails"]),
                (StatusCode::OK, &json!(on)),
                "{me}"
            );
        }
    };
    set(false).await;
    sale(&state, "5001", "ALICE").await;
    assert_eq!(outbox(&state).await, vec![], "no referral email");
    let (s, _) = call(&state, "POST", "/v1/payouts", json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        send_due(&state).await.expect("round"),
        1,
        "the payout email still goes"
    );
    set(true).await;
    sale(&state, "5002", "ALICE").await;
    assert_eq!(send_due(&state).await.expect("round"), 1, "on again");
    assert_eq!(inbox.lock().expect("inbox").len(), 2);
}

#[tokio::test]
async fn a_change_of_payout_details_is_told_to_the_affiliate_whoever_made_it() {
    let (port, inbox) = smtp_sink().await;
    // Even a program that sends affiliates nothing else tells them this.
    let state = shop(port, &[("affiliate_emails", json!([]))]).await;
    let (s, t) = call(&state, "POST", "/v1/affiliates/alice/token", json!(null)).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let token = t["token"].as_str().expect("token").to_owned();

    // The affiliate in the portal: to a Vietcombank account.
    let vcb =
        json!({"payout": {"method": "vietqr", "bank": "970436", "account": "0011 0019 32418"}});
    let (s, me) = support::call_as(&state, Some(&token), "PATCH", "/v1/me", vcb.clone()).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    // The same details again change nothing and tell nothing; neither does a refused change.
    let (s, _) = support::call_as(&state, Some(&token), "PATCH", "/v1/me", vcb).await;
    assert_eq!(s, StatusCode::OK);
    let bad = json!({"payout": {"method": "promptpay", "account": "123"}});
    let (s, _) = support::call_as(&state, Some(&token), "PATCH", "/v1/me", bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The merchant, back to PayPal.
    let (s, body) = call(
        &state,
        "PATCH",
        "/v1/affiliates/alice",
        json!({"payout": null}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // Another change of the profile tells nothing.
    let (s, _) = call(
        &state,
        "PATCH",
        "/v1/affiliates/alice",
        json!({"category": "coupon"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    let rows = outbox(&state).await;
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["payout_details.changed", "payout_details.changed"],
        "{rows:?}"
    );
    assert_eq!(send_due(&state).await.expect("round"), 2);
    let mail = inbox.lock().expect("inbox").clone();
    assert!(mail[0].contains("To: alice@aff.test"), "{}", mail[0]);
    let first = body_of(&mail[0]);
    assert!(
        first.contains("Từ nay Giày Sài Gòn sẽ thanh toán cho bạn bằng chuyển khoản vào tài khoản ngân hàng có số cuối 2418."),
        "{first}"
    );
    assert!(
        !first.contains("0011001932418"),
        "only the last digits: {first}"
    );
    assert!(
        first.contains(
            "Nếu không phải bạn thay đổi, hãy trả lời email này hoặc báo ngay cho Giày Sài Gòn."
        ),
        "{first}"
    );
    let second = body_of(&mail[1]);
    assert!(
        second.contains("thanh toán cho bạn vào tài khoản PayPal alice@pay.test."),
        "{second}"
    );
}

#[tokio::test]
async fn an_applicant_hears_that_the_application_arrived_or_that_they_have_an_account() {
    let (port, inbox) = smtp_sink().await;
    let state = shop(port, &[("applications", json!("review"))]).await;
    let apply = |email: &'static str| {
        let state = state.clone();
        async move {
            let body = json!({"name": "Lan Phạm", "email": email, "website": "https://lan.test"});
            let (s, body) =
                support::call_as(&state, None, "POST", "/v1/portal/applications", body).await;
            assert_eq!(s, StatusCode::ACCEPTED, "{body}");
            body
        }
    };
    // A new address, and alice's (in another case): the same answer, different messages.
    let new = apply("lan@aff.test").await;
    let known = apply("ALICE@aff.test").await;
    assert_eq!(new, known);
    assert_eq!(send_due(&state).await.expect("round"), 2);
    let mail = inbox.lock().expect("inbox").clone();
    let to = |who: &str| {
        mail.iter()
            .find(|m| m.contains(&format!("To: {who}")))
            .map(|m| body_of(m).replace("\r\n", "\n"))
            .unwrap_or_else(|| panic!("no mail to {who}: {mail:?}"))
    };
    let received = to("lan@aff.test");
    assert!(
        received.starts_with("Xin chào Lan Phạm,\n\nChúng tôi đã nhận đơn đăng ký"),
        "{received}"
    );
    let exists = to("alice@aff.test");
    assert!(
        exists.starts_with("Xin chào alice Nguyễn,\n\nAi đó"),
        "{exists}"
    );
    assert!(exists.contains("https://t.shop.test/portal/"), "{exists}");
    assert!(
        !exists.contains("vẫn đang được xét duyệt"),
        "alice is approved: {exists}"
    );
    // Approving the new applicant sends the welcome, once.
    let (_, list) = call(
        &state,
        "GET",
        "/v1/affiliates?email=lan@aff.test",
        json!(null),
    )
    .await;
    let id = list["affiliates"][0]["id"].as_str().expect("id").to_owned();
    assert_eq!(id, "lan-pham");
    let (s, body) = call(
        &state,
        "PATCH",
        &format!("/v1/affiliates/{id}"),
        json!({"status": "approved"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(send_due(&state).await.expect("round"), 1);
    let welcome = inbox
        .lock()
        .expect("inbox")
        .last()
        .cloned()
        .expect("welcome");
    assert!(welcome.contains("To: lan@aff.test"), "{welcome}");
    assert!(body_of(&welcome).contains("đã được duyệt"), "{welcome}");
}

#[tokio::test]
async fn an_automatic_program_welcomes_the_applicant_at_once() {
    let (port, inbox) = smtp_sink().await;
    let state = shop(port, &[("applications", json!("auto"))]).await;
    let body = json!({"name": "Somchai", "email": "somchai@aff.test", "id": "somchai"});
    let (s, answer) = support::call_as(&state, None, "POST", "/v1/portal/applications", body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["status"], "approved");
    assert_eq!(send_due(&state).await.expect("round"), 1);
    let mail = inbox.lock().expect("inbox").clone();
    assert!(mail[0].contains("To: somchai@aff.test"), "{}", mail[0]);
    assert!(body_of(&mail[0]).contains("đã được duyệt"), "{}", mail[0]);
    // Without `affiliate.approved` in the program's emails, an automatic approval sends nothing.
    let state = shop(
        port,
        &[
            ("applications", json!("auto")),
            ("affiliate_emails", json!(["referral.created"])),
        ],
    )
    .await;
    let body = json!({"name": "Niran", "email": "niran@aff.test"});
    let (s, _) = support::call_as(&state, None, "POST", "/v1/portal/applications", body).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert!(outbox(&state).await.is_empty());
}

#[tokio::test]
async fn a_recruiter_hears_of_the_share_of_each_recruits_commission_unless_turned_off() {
    let (port, inbox) = smtp_sink().await;
    let state = shop(port, &[("recruiter_rate_bps", json!(1250))]).await;
    // carol was recruited by alice; dan by bob, who has no email.
    for (id, recruiter) in [("carol", "alice"), ("dan", "bob")] {
        let body = json!({"id": id, "name": format!("{id} Trần"), "coupons": [id.to_uppercase()], "recruiter": recruiter});
        let (s, body) = call(&state, "POST", "/v1/affiliates", body).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    sale(&state, "2001", "CAROL").await;
    sale(&state, "2002", "DAN").await;
    let mut events: Vec<(String, String)> = outbox(&state)
        .await
        .into_iter()
        .map(|r| (r.0, r.1))
        .collect();
    events.sort();
    // Each referral's message and its recruiter's (carol and dan have no email: theirs fail).
    assert_eq!(
        events,
        [
            ("recruiter_commission.created".into(), "alice".into()),
            ("recruiter_commission.created".into(), "bob".into()),
            ("referral.created".into(), "carol".into()),
            ("referral.created".into(), "dan".into()),
        ]
    );
    assert_eq!(send_due(&state).await.expect("round"), 1);
    let mail = inbox.lock().expect("inbox").clone();
    assert!(mail[0].contains("To: alice@aff.test"), "{}", mail[0]);
    let text = body_of(&mail[0]);
    // 12.5 % of carol's 125,000 VND.
    assert!(text.contains("carol, cộng tác viên bạn giới thiệu tham gia Giày Sài Gòn, vừa nhận được một khoản hoa hồng. Bạn nhận thêm 15.625 VND (12,5 % hoa hồng của họ)."), "{text}");
    assert!(text.contains("đã được duyệt"), "{text}");

    // alice turns referral emails off (in her portal): her next share tells nobody.
    sqlx::query("UPDATE affiliates SET referral_emails = 0 WHERE id = 'alice'")
        .execute(&state.db.pool)
        .await
        .expect("emails off");
    sale(&state, "2003", "CAROL").await;
    let queued = outbox(&state).await;
    assert_eq!(queued.len(), 5, "only carol's own: {queued:?}");
    assert!(!queued.iter().any(|r| r.1 == "alice" && !r.2), "{queued:?}");
}

/// Posts `file` to `POST /v1/affiliates.csv` with `query`, as the secret key.
async fn import(state: &AppState, query: &str, file: &str) -> (StatusCode, Value) {
    let req = axum::http::Request::builder()
        .method("POST")
        .uri(format!("/v1/affiliates.csv{query}"))
        .header("content-type", "text/csv")
        .header("authorization", format!("Bearer {}", support::SK))
        .body(axum::body::Body::from(file.to_owned()))
        .expect("request");
    support::send(state, req).await
}

#[tokio::test]
async fn imported_affiliates_are_told_their_account_moved_when_the_merchant_asks() {
    let (port, inbox) = smtp_sink().await;
    let state = shop(port, &[]).await;
    let file = "id,name,email,status\n\
                minh,Minh Nguyễn,minh@aff.test,\n\
                lan,Lan Trần,lan@aff.test,pending\n\
                thu,Thu Phạm,,approved\n\
                alice,alice again,alice@aff.test,\n";
    // Checked first: one would be told (approved, with an email); nothing is queued.
    let (s, dry) = import(&state, "?dry_run=true&welcome=true", file).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!((&dry["created"], &dry["emailed"]), (&json!(3), &json!(1)));
    assert!(outbox(&state).await.is_empty());

    let (s, done) = import(&state, "?welcome=true", file).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!((&done["created"], &done["emailed"]), (&json!(3), &json!(1)));
    assert_eq!(send_due(&state).await.expect("round"), 1);
    let mail = inbox.lock().expect("inbox").clone();
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("To: minh@aff.test"), "{}", mail[0]);
    let text = body_of(&mail[0]).replace("\r\n", "\n");
    assert!(
        text.starts_with("Xin chào Minh Nguyễn,\n\nGiày Sài Gòn giờ quản lý chương trình cộng tác viên tại đây. Các liên kết của bạn vẫn hoạt động như trước"),
        "{text}"
    );
    assert!(text.contains("https://t.shop.test/portal/"), "{text}");

    // Without asking, an import tells no one.
    let (s, quiet) = import(&state, "", "id,name,email\nhoa,Hoa,hoa@aff.test\n").await;
    assert_eq!(s, StatusCode::OK, "{quiet}");
    assert_eq!(
        (&quiet["created"], &quiet["emailed"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(outbox(&state).await.len(), 1);
}

#[tokio::test]
async fn a_server_without_email_settings_welcomes_no_one() {
    let state = support::fresh_state(HttpOptions::default()).await;
    let (s, done) = import(
        &state,
        "?welcome=true",
        "id,name,email\nminh,Minh,minh@aff.test\n",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!((&done["created"], &done["emailed"]), (&json!(1), &json!(0)));
    assert!(outbox(&state).await.is_empty());
}

#[tokio::test]
async fn a_declined_payout_request_is_mailed_with_its_reason_whatever_the_settings() {
    let (port, inbox) = smtp_sink().await;
    // Even a program that sends affiliates no other email tells them this: it answers them.
    let state = shop(port, &[("affiliate_emails", json!([]))]).await;
    sale(&state, "2001", "ALICE").await;
    let (_, alice) = call(&state, "POST", "/v1/affiliates/alice/token", json!(null)).await;
    let token = alice["token"].as_str().expect("token");
    let (s, asked) = support::call_as(
        &state,
        Some(token),
        "POST",
        "/v1/me/payout-requests",
        json!({"currency": "VND"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{asked}");
    let path = format!(
        "/v1/payout-requests/{}/decline",
        asked["id"].as_str().expect("id")
    );
    let (s, v) = call(
        &state,
        "POST",
        &path,
        json!({"reason": "Chờ đối soát cuối tháng"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(outbox(&state).await.len(), 1);
    assert_eq!(send_due(&state).await.expect("round"), 1);
    let mail = inbox.lock().expect("inbox").clone();
    assert!(mail[0].contains("To: alice@aff.test"), "{}", mail[0]);
    let text = body_of(&mail[0]);
    assert!(
        text.contains("Giày Sài Gòn đã từ chối yêu cầu thanh toán 125.000 VND của bạn."),
        "{text}"
    );
    assert!(text.contains("Lý do: Chờ đối soát cuối tháng"), "{text}");
    assert!(text.contains("https://t.shop.test/portal/"), "{text}");
}
