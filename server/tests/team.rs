//! The merchant's team through the router: an invitation sets a password once, members sign
//! in as themselves, their role limits what their session may do (at once when it changes),
//! the activity log names them, and removal or a new password ends their sessions.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use reftrail_server::credentials::Pinned;
use reftrail_server::mail::Mailer;
use reftrail_server::{app, AppState, HttpOptions};
use serde_json::{json, Value};
use tower::ServiceExt;

mod support;

use support::{body_of, smtp_sink, SK};

const ADMIN_PASSWORD: &str = "the-owner-password";

/// A dashboard in a browser: the session cookie and CSRF token it was given.
#[derive(Clone, Default)]
struct Dashboard {
    cookie: Option<String>,
    csrf: Option<String>,
}

/// `method path` with `body` as JSON; with the dashboard's cookie and CSRF token, or the
/// secret key when `dash` is none. A `Set-Cookie` of the session is kept in `dash`.
async fn send(
    state: &AppState,
    dash: Option<&mut Dashboard>,
    method: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    match &dash {
        Some(d) => {
            if let Some(c) = &d.cookie {
                req = req.header(header::COOKIE, format!("rt_session={c}"));
            }
            if let Some(t) = &d.csrf {
                req = req.header("x-csrf-token", t);
            }
        }
        None => req = req.header("authorization", format!("Bearer {SK}")),
    }
    let body = if body.is_null() {
        Body::empty()
    } else {
        Body::from(body.to_string())
    };
    let res = app(state.clone())
        .oneshot(req.body(body).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let set = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if let (Some(d), Some(set)) = (dash, set) {
        let value = set
            .strip_prefix("rt_session=")
            .and_then(|v| v.split(';').next())
            .unwrap_or("");
        d.cookie = (!value.is_empty()).then(|| value.to_owned());
        if let Some(csrf) = json["csrf_token"].as_str() {
            d.csrf = Some(csrf.to_owned());
        }
    }
    (status, json)
}

async fn server(mail: Option<Mailer>) -> AppState {
    let db = support::fresh_db(Pinned {
        admin_password: Some(ADMIN_PASSWORD.into()),
        ..Pinned::default()
    })
    .await;
    AppState::new(
        db,
        HttpOptions {
            mail,
            ..HttpOptions::default()
        },
    )
}

/// [`send`] for an answer expected to be refused: its status and error code.
async fn refusal(
    state: &AppState,
    dash: Option<&mut Dashboard>,
    method: &str,
    path: &str,
    body: Value,
) -> (StatusCode, String) {
    let (s, v) = send(state, dash, method, path, body).await;
    (s, v["error"]["code"].as_str().unwrap_or("").to_owned())
}

/// Invites `email` as `role` with the secret key; the invitation.
async fn invite(state: &AppState, email: &str, name: &str, role: &str) -> Value {
    let body = json!({ "email": email, "name": name, "role": role });
    let (s, inv) = send(state, None, "POST", "/v1/team", body).await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    inv
}

/// The token of an invitation's link.
fn token_of(invitation: &Value) -> String {
    let path = invitation["invite_path"].as_str().expect("invite_path");
    path.strip_prefix("/dashboard/#invite=")
        .expect("a dashboard link")
        .to_owned()
}

/// Opens the invitation's link and sets `password`: the signed-in dashboard.
async fn accept(state: &AppState, token: &str, password: &str) -> (StatusCode, Value, Dashboard) {
    let mut d = Dashboard::default();
    let body = json!({ "token": token, "password": password });
    let (s, v) = send(state, Some(&mut d), "POST", "/v1/team/accept", body).await;
    (s, v, d)
}

async fn sign_in(
    state: &AppState,
    email: Option<&str>,
    password: &str,
) -> (StatusCode, Value, Dashboard) {
    let mut d = Dashboard::default();
    let body = match email {
        Some(e) => json!({ "email": e, "password": password }),
        None => json!({ "password": password }),
    };
    let (s, v) = send(state, Some(&mut d), "POST", "/v1/session", body).await;
    (s, v, d)
}

/// Sets up two-factor sign-in for the dashboard's member and confirms it with the current
/// code: the base32 secret and the confirmation's answer.
async fn two_factor_on(state: &AppState, dash: &mut Dashboard) -> (String, Value) {
    let (s, setup) = send(
        state,
        Some(dash),
        "POST",
        "/v1/team/me/two-factor",
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{setup}");
    let secret = setup["secret"].as_str().expect("secret").to_owned();
    let body = json!({ "code": code(&secret, 0) });
    let (s, on) = send(
        state,
        Some(dash),
        "POST",
        "/v1/team/me/two-factor/confirm",
        body,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{on}");
    (secret, on)
}

/// The activity log's entries with `action`, newest first.
async fn activity(state: &AppState, action: &str) -> Vec<Value> {
    let (s, v) = send(
        state,
        None,
        "GET",
        &format!("/v1/activity?action={action}"),
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["activity"].as_array().expect("activity").clone()
}

async fn affiliate_count(state: &AppState) -> usize {
    let (_, v) = send(state, None, "GET", "/v1/affiliates", json!(null)).await;
    v["affiliates"].as_array().expect("affiliates").len()
}

#[tokio::test]
async fn an_invited_manager_sets_a_password_signs_in_and_is_named_in_the_log() {
    let state = server(None).await;
    let inv = invite(&state, " Lan@Shop.Example ", "Lan Nguyễn", "manager").await;
    assert_eq!(inv["member"]["email"], "lan@shop.example");
    assert_eq!(inv["member"]["status"], "invited");
    assert_eq!(inv["emailed"], false, "this server sends no mail");
    let token = token_of(&inv);

    let (s, v, _) = accept(&state, &token, "short").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("weak_password"))
    );
    let (s, v, mut lan) = accept(&state, &token, "a long enough password").await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["role"], "manager");
    assert_eq!(v["member"]["email"], "lan@shop.example");
    assert_eq!(v["member"]["name"], "Lan Nguyễn");
    assert_eq!(v["team"], true);
    let (s, _, _) = accept(&state, &token, "another long password").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the link works once");

    // She signs in again however she types her address; a wrong password or an unknown
    // address get the same answer.
    let (s, v, _) = sign_in(&state, Some("LAN@shop.example"), "a long enough password").await;
    assert_eq!(
        (s, v["role"].as_str()),
        (StatusCode::CREATED, Some("manager"))
    );
    let (s, wrong, _) = sign_in(&state, Some("lan@shop.example"), "not her password").await;
    let (s2, unknown, _) = sign_in(&state, Some("nobody@shop.example"), "not her password").await;
    assert_eq!(
        (s, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong, unknown);

    // A manager runs the program: the change is hers in the log.
    let (s, v) = send(
        &state,
        Some(&mut lan),
        "POST",
        "/v1/affiliates",
        json!({ "id": "minh", "name": "Minh", "email": "minh@example.com" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let created = activity(&state, "affiliate.created").await;
    assert_eq!(created[0]["by"], "user:lan@shop.example");

    // The owner's things are not hers: the keys, the settings, the team, privacy requests and
    // the webhook secret.
    for (method, path, body) in [
        ("GET", "/v1/keys", json!(null)),
        ("POST", "/v1/keys", json!({ "kind": "secret" })),
        ("GET", "/v1/team", json!(null)),
        (
            "POST",
            "/v1/team",
            json!({ "email": "x@shop.example", "name": "X", "role": "owner" }),
        ),
        (
            "POST",
            "/v1/privacy/export",
            json!({ "email": "a@example.com" }),
        ),
    ] {
        let (s, v) = send(&state, Some(&mut lan), method, path, body).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("role_forbidden")),
            "{method} {path}"
        );
    }
    let (s, mut program) = send(&state, Some(&mut lan), "GET", "/v1/program", json!(null)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(program["webhook_secret"], "");
    program["name"] = json!("Renamed by a manager");
    let (s, _) = send(&state, Some(&mut lan), "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, owner_view) = send(&state, None, "GET", "/v1/program", json!(null)).await;
    assert_ne!(owner_view["name"], "Renamed by a manager");
    assert!(owner_view["webhook_secret"]
        .as_str()
        .is_some_and(|w| !w.is_empty()));

    let (_, team) = send(&state, None, "GET", "/v1/team", json!(null)).await;
    let lan_row = &team["members"][0];
    assert_eq!(lan_row["status"], "active");
    assert!(lan_row["last_sign_in_at"].is_string());
    assert!(lan_row["invite_expires_at"].is_null());
    let invited = activity(&state, "member.invited").await;
    assert_eq!(invited[0]["by"], "secret_key");
    assert_eq!(
        invited[0]["details"],
        json!({ "email": "lan@shop.example", "name": "Lan Nguyễn", "role": "manager" })
    );
}

#[tokio::test]
async fn a_viewer_reads_everything_but_changes_nothing_until_promoted() {
    let state = server(None).await;
    let inv = invite(&state, "somchai@shop.example", "สมชาย", "viewer").await;
    let id = inv["member"]["id"].as_str().expect("id").to_owned();
    let (_, _, mut viewer) = accept(&state, &token_of(&inv), "รหัสผ่านยาวพอแล้ว").await;
    let (s, v) = send(&state, Some(&mut viewer), "GET", "/v1/session", json!(null)).await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("viewer")));

    for path in [
        "/v1/reports/summary",
        "/v1/affiliates",
        "/v1/referrals",
        "/v1/payouts",
        "/v1/activity",
        "/v1/program",
    ] {
        let (s, v) = send(&state, Some(&mut viewer), "GET", path, json!(null)).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
    }
    let before = affiliate_count(&state).await;
    assert_eq!(
        refusal(
            &state,
            Some(&mut viewer),
            "POST",
            "/v1/affiliates",
            json!({ "id": "som", "name": "Som", "email": "som@example.com" })
        )
        .await,
        (StatusCode::FORBIDDEN, "role_forbidden".into())
    );
    let (s, _) = send(
        &state,
        Some(&mut viewer),
        "POST",
        "/v1/sales",
        json!({ "order_id": "v-1", "amount": 1000, "currency": "THB" }),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a viewer records no sale");
    assert_eq!(affiliate_count(&state).await, before, "nothing was written");

    // Promoted, the same session may change things at once; the log keeps the change.
    let (s, v) = send(
        &state,
        None,
        "PATCH",
        &format!("/v1/team/{id}"),
        json!({ "role": "manager" }),
    )
    .await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("manager")));
    let (s, v) = send(
        &state,
        Some(&mut viewer),
        "POST",
        "/v1/affiliates",
        json!({ "id": "som", "name": "Som", "email": "som@example.com" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let updated = activity(&state, "member.updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(
        updated[0]["details"]["changes"],
        json!([{ "field": "role", "before": "viewer", "after": "manager" }])
    );
    // A PATCH that changes nothing records nothing.
    send(
        &state,
        None,
        "PATCH",
        &format!("/v1/team/{id}"),
        json!({ "role": "manager" }),
    )
    .await;
    assert_eq!(activity(&state, "member.updated").await.len(), 1);

    // Removed, their session ends and their password no longer signs in.
    let (s, _) = send(
        &state,
        None,
        "DELETE",
        &format!("/v1/team/{id}"),
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = send(&state, Some(&mut viewer), "GET", "/v1/session", json!(null)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = send(
        &state,
        Some(&mut viewer),
        "GET",
        "/v1/affiliates",
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = sign_in(&state, Some("somchai@shop.example"), "รหัสผ่านยาวพอแล้ว").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let removed = activity(&state, "member.removed").await;
    assert_eq!(removed[0]["subject"], id.as_str());
    assert_eq!(removed[0]["details"]["email"], "somchai@shop.example");
}

#[tokio::test]
async fn a_new_link_sets_a_new_password_and_ends_the_old_sessions() {
    let state = server(None).await;
    let inv = invite(&state, "an@shop.example", "An", "owner").await;
    let id = inv["member"]["id"].as_str().expect("id").to_owned();
    let (_, _, mut first) = accept(&state, &token_of(&inv), "the first password").await;

    let (s, again) = send(
        &state,
        None,
        "POST",
        &format!("/v1/team/{id}/invite"),
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(again["member"]["status"], "active");
    assert!(again["member"]["invite_expires_at"].is_string());
    // Until the new link is used, the old password works.
    let (s, _, _) = sign_in(&state, Some("an@shop.example"), "the first password").await;
    assert_eq!(s, StatusCode::CREATED);

    let (s, _, mut second) = accept(&state, &token_of(&again), "the second password").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = send(&state, Some(&mut first), "GET", "/v1/session", json!(null)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the old session ended");
    let (s, _, _) = sign_in(&state, Some("an@shop.example"), "the first password").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // An owner member keeps the team: their changes are theirs in the log.
    let (s, v) = send(
        &state,
        Some(&mut second),
        "POST",
        "/v1/team",
        json!({ "email": "binh@shop.example", "name": "Bình", "role": "viewer" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        activity(&state, "member.invited").await[0]["by"],
        "user:an@shop.example"
    );
    let (s, v) = send(&state, Some(&mut second), "GET", "/v1/keys", json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn the_admin_password_signs_in_as_an_owner() {
    let state = server(None).await;
    let (s, v, mut admin) = sign_in(&state, None, ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["role"].as_str(), v["team"].as_bool()),
        (Some("owner"), Some(true))
    );
    assert!(v["member"].is_null());
    let (s, v) = send(&state, Some(&mut admin), "GET", "/v1/session", json!(null)).await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::OK, Some("owner")));
    let (s, v) = send(
        &state,
        Some(&mut admin),
        "POST",
        "/v1/team",
        json!({ "email": "chi@shop.example", "name": "Chi", "role": "manager" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(activity(&state, "member.").await[0]["by"], "dashboard");
    // The admin password with an email is a member's sign-in, and Chi has no password yet.
    let (s, _, _) = sign_in(&state, Some("chi@shop.example"), ADMIN_PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let state = server(None).await;
    invite(&state, "lan@shop.example", "Lan", "manager").await;
    for (body, code) in [
        (
            json!({ "email": "not an address", "name": "X", "role": "viewer" }),
            "invalid_email",
        ),
        (
            json!({ "email": "x@shop.example", "name": " ", "role": "viewer" }),
            "invalid_name",
        ),
        (
            json!({ "email": "x@shop.example", "name": "X\u{0}", "role": "viewer" }),
            "invalid_name",
        ),
        (
            json!({ "email": "x@shop.example", "name": "X", "role": "admin" }),
            "invalid_role",
        ),
        (
            json!({ "email": "x@shop.example", "name": "X", "role": "viewer", "password": "p" }),
            "invalid_body",
        ),
    ] {
        let (s, v) = send(&state, None, "POST", "/v1/team", body.clone()).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{body}"
        );
    }
    assert_eq!(
        refusal(
            &state,
            None,
            "POST",
            "/v1/team",
            json!({ "email": "LAN@shop.example", "name": "Lan again", "role": "owner" })
        )
        .await,
        (StatusCode::CONFLICT, "email_taken".into())
    );
    let (_, team) = send(&state, None, "GET", "/v1/team", json!(null)).await;
    assert_eq!(team["members"].as_array().map(Vec::len), Some(1));

    for (method, path) in [
        ("PATCH", "/v1/team/tm_nobody"),
        ("DELETE", "/v1/team/tm_nobody"),
        ("POST", "/v1/team/tm_nobody/invite"),
    ] {
        let (s, v) = send(&state, None, method, path, json!({})).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("member_not_found")),
            "{method} {path}"
        );
    }
    let lan = team["members"][0]["id"].as_str().expect("id");
    assert_eq!(
        refusal(
            &state,
            None,
            "PATCH",
            &format!("/v1/team/{lan}"),
            json!({ "role": "boss" })
        )
        .await,
        (StatusCode::BAD_REQUEST, "invalid_role".into())
    );

    for token in [
        "",
        "abc",
        "ti_",
        "ti_<script>",
        &format!("ti_{}", "a".repeat(65)),
    ] {
        let (s, v, _) = accept(&state, token, "a long enough password").await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_token")),
            "{token:?}"
        );
    }
    let (s, _, _) = accept(&state, "ti_unknownunknownunknown", "a long enough password").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_invitation_sets_nothing() {
    let state = server(None).await;
    let inv = invite(&state, "lan@shop.example", "Lan", "manager").await;
    sqlx::query("UPDATE team_members SET invite_expires_at = 1")
        .execute(&state.db.pool)
        .await
        .expect("expire");
    let (s, _, _) = accept(&state, &token_of(&inv), "a long enough password").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, team) = send(&state, None, "GET", "/v1/team", json!(null)).await;
    assert_eq!(team["members"][0]["status"], "invited");
    assert!(
        team["members"][0]["invite_expires_at"].is_null(),
        "an expired link is not shown as open"
    );
}

#[tokio::test]
async fn invitations_go_out_by_email_in_the_programs_language() {
    let (port, inbox) = smtp_sink().await;
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Cửa hàng An <affiliates@shop.test>",
        "https://track.shop.test",
    )
    .expect("mailer");
    let state = server(Some(mailer)).await;
    let (_, mut program) = send(&state, None, "GET", "/v1/program", json!(null)).await;
    program["name"] = json!("Cửa hàng An");
    program["locale"] = json!("vi");
    let (s, v) = send(&state, None, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let inv = invite(&state, "lan@shop.example", "Lan", "manager").await;
    assert_eq!(inv["emailed"], true);
    let messages = inbox.lock().expect("inbox").clone();
    assert_eq!(messages.len(), 1);
    assert!(messages[0]
        .to_ascii_lowercase()
        .contains("to: lan@shop.example"));
    let text = body_of(&messages[0]);
    assert!(text.contains("Cửa hàng An với vai trò quản lý."), "{text}");
    let link = format!(
        "https://track.shop.test/dashboard/#invite={}",
        token_of(&inv)
    );
    assert!(text.contains(&link), "{text}");
    let (s, v, _) = accept(&state, &token_of(&inv), "mật khẩu đủ dài").await;
    assert_eq!(
        (s, v["role"].as_str()),
        (StatusCode::CREATED, Some("manager"))
    );

    // An affiliate asks to be paid: the manager hears of it, in Vietnamese, with the amount.
    let body = json!({"id": "minh", "name": "Minh", "email": "minh@aff.test", "coupons": ["MINH"]});
    let (s, a) = send(&state, None, "POST", "/v1/affiliates", body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let sale = json!({"order_id": "T-1", "amount": 1_000_000, "currency": "VND", "coupon": "MINH"});
    let (s, sold) = send(&state, None, "POST", "/v1/sales", sale).await;
    assert_eq!(s, StatusCode::CREATED, "{sold}");
    let referral = sold["referral"]["id"].as_str().expect("referral");
    let path = format!("/v1/referrals/{referral}/approve");
    let (s, v) = send(&state, None, "POST", &path, json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let token = a["token"].as_str().expect("token");
    let (s, v) = support::call_as(
        &state,
        Some(token),
        "POST",
        "/v1/me/payout-requests",
        json!({"currency": "VND"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    reftrail_server::affiliate_mail::send_due(&state)
        .await
        .expect("mail round");
    let messages = inbox.lock().expect("inbox").clone();
    let asked = messages
        .iter()
        .map(|m| body_of(m))
        .find(|b| b.contains("yêu cầu được thanh toán"))
        .expect("the payout request's email");
    assert!(
        asked.contains("minh yêu cầu được thanh toán số dư đã duyệt 100.000"),
        "{asked}"
    );
    assert!(
        asked.contains("https://track.shop.test/dashboard/#/payouts"),
        "{asked}"
    );
}

#[tokio::test]
async fn members_keep_their_own_name_emails_and_password() {
    let state = server(None).await;
    let inv = invite(&state, "lan@shop.example", "Lan", "manager").await;
    assert_eq!(
        inv["member"]["notify"],
        json!([
            "affiliate.applied",
            "referral.flagged",
            "delivery.failed",
            "payout.requested"
        ])
    );
    let viewer = invite(&state, "binh@shop.example", "Bình", "viewer").await;
    assert_eq!(viewer["member"]["notify"], json!([]));
    let (_, _, mut lan) = accept(&state, &token_of(&inv), "the first password").await;
    let (_, _, mut laptop) = sign_in(&state, Some("lan@shop.example"), "the first password").await;

    let (s, me) = send(&state, Some(&mut lan), "GET", "/v1/team/me", json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(
        (me["member"]["email"].as_str(), me["mail"].as_bool()),
        (Some("lan@shop.example"), Some(false))
    );

    let (s, me) = send(
        &state,
        Some(&mut lan),
        "PATCH",
        "/v1/team/me",
        json!({ "name": "Lan Trần", "notify": ["referral.flagged"] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["member"]["name"], "Lan Trần");
    assert_eq!(me["member"]["notify"], json!(["referral.flagged"]));
    let updated = activity(&state, "member.updated").await;
    assert_eq!(updated[0]["by"], "user:lan@shop.example");
    let fields: Vec<&str> = updated[0]["details"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "notify"]);

    for (body, code) in [
        (json!({ "notify": ["referral.created"] }), "invalid_notify"),
        (
            json!({ "notify": ["referral.flagged", "referral.flagged"] }),
            "invalid_notify",
        ),
        (
            json!({ "password": "a new long password" }),
            "missing_current_password",
        ),
        (
            json!({ "password": "a new long password", "current_password": "a guess" }),
            "wrong_password",
        ),
        (
            json!({ "password": "short", "current_password": "the first password" }),
            "weak_password",
        ),
        (json!({ "role": "owner" }), "invalid_body"),
    ] {
        let (s, v) = send(&state, Some(&mut lan), "PATCH", "/v1/team/me", body.clone()).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{body}"
        );
    }
    let (_, me) = send(&state, Some(&mut lan), "GET", "/v1/team/me", json!(null)).await;
    assert_eq!(
        me["member"]["notify"],
        json!(["referral.flagged"]),
        "a refused change changed nothing"
    );

    // A new password: this session goes on, the other ends, and only the new one signs in.
    let (s, v) = send(
        &state,
        Some(&mut lan),
        "PATCH",
        "/v1/team/me",
        json!({ "password": "the second password", "current_password": "the first password" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = send(&state, Some(&mut lan), "GET", "/v1/team/me", json!(null)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send(&state, Some(&mut laptop), "GET", "/v1/session", json!(null)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        sign_in(&state, Some("lan@shop.example"), "the first password")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&state, Some("lan@shop.example"), "the second password")
            .await
            .0,
        StatusCode::CREATED
    );

    // A viewer keeps their own account too; the owner's password and the secret key have none.
    let (_, _, mut binh) = accept(&state, &token_of(&viewer), "binh's long password").await;
    let (s, v) = send(
        &state,
        Some(&mut binh),
        "PATCH",
        "/v1/team/me",
        json!({ "notify": ["affiliate.applied"] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, _, mut admin) = sign_in(&state, None, ADMIN_PASSWORD).await;
    let (s, v) = send(&state, Some(&mut admin), "GET", "/v1/team/me", json!(null)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_member"))
    );
    let (s, _) = send(&state, None, "GET", "/v1/team/me", json!(null)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_team_hears_of_applications_and_flagged_referrals_as_each_chose() {
    use reftrail_server::affiliate_mail::send_due;
    let (port, inbox) = smtp_sink().await;
    let mailer = Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Shop <affiliates@shop.test>",
        "https://track.shop.test",
    )
    .expect("mailer");
    let state = server(Some(mailer)).await;
    let (_, mut program) = send(&state, None, "GET", "/v1/program", json!(null)).await;
    program["name"] = json!("Shoe Shop");
    program["applications"] = json!("review");
    program["affiliate_emails"] = json!([]);
    let (s, v) = send(&state, None, "PUT", "/v1/program", program).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Lan (manager) hears of both; Chi (manager) chose none; Binh (viewer) starts with none; Dung
    // (owner) never opened the invitation.
    let lan = invite(&state, "lan@shop.example", "Lan", "manager").await;
    accept(&state, &token_of(&lan), "lan's long password").await;
    let chi = invite(&state, "chi@shop.example", "Chi", "manager").await;
    let chi_id = chi["member"]["id"].as_str().expect("id").to_owned();
    send(
        &state,
        None,
        "PATCH",
        &format!("/v1/team/{chi_id}"),
        json!({ "notify": [] }),
    )
    .await;
    accept(&state, &token_of(&chi), "chi's long password").await;
    let binh = invite(&state, "binh@shop.example", "Binh", "viewer").await;
    accept(&state, &token_of(&binh), "binh's long password").await;
    invite(&state, "dung@shop.example", "Dung", "owner").await;
    inbox.lock().expect("inbox").clear(); // the invitations

    let (s, v) = send(
        &state,
        None,
        "POST",
        "/v1/portal/applications",
        json!({
            "name": "Minh Anh", "email": "minh@example.com", "id": "minh-anh",
            "website": "https://tiktok.com/@minhanh", "terms_accepted": true,
        }),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    // The applicant's acknowledgement, and Lan's message.
    assert_eq!(send_due(&state).await.expect("send"), 2);
    let sent = std::mem::take(&mut *inbox.lock().expect("inbox"));
    let to = |who: &str| {
        sent.iter()
            .filter(|m| m.to_ascii_lowercase().contains(&format!("to: {who}")))
            .count()
    };
    assert_eq!(
        [
            to("minh@example.com"),
            to("lan@shop.example"),
            to("chi@"),
            to("binh@"),
            to("dung@")
        ],
        [1, 1, 0, 0, 0]
    );
    let message = sent
        .iter()
        .find(|m| m.to_ascii_lowercase().contains("to: lan@"))
        .expect("lan's");
    let text = body_of(message);
    assert!(
        text.contains("Minh Anh (minh@example.com) applied to Shoe Shop's affiliate program"),
        "{text}"
    );
    assert!(
        text.contains("https://track.shop.test/dashboard/#/affiliates?id=minh-anh"),
        "{text}"
    );

    // A self-referral is flagged: Lan hears of it; an unflagged sale tells nobody.
    let body =
        json!({ "id": "thao", "name": "Thảo", "email": "thao@example.com", "coupons": ["THAO10"] });
    let (s, v) = send(&state, None, "POST", "/v1/affiliates", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let sale = |order: &str, email: &str| {
        json!({
            "order_id": order, "amount": 250_000, "currency": "VND", "coupon": "THAO10",
            "customer": { "email": email },
        })
    };
    let (s, v) = send(
        &state,
        None,
        "POST",
        "/v1/sales",
        sale("o-clean", "buyer@example.com"),
    )
    .await;
    assert_eq!(
        (s, v["referral"]["flags"].clone()),
        (StatusCode::CREATED, json!([]))
    );
    let (s, v) = send(
        &state,
        None,
        "POST",
        "/v1/sales",
        sale("o-self", "thao@example.com"),
    )
    .await;
    assert_eq!(
        (s, v["referral"]["flags"].clone()),
        (StatusCode::CREATED, json!(["self_referral"]))
    );
    assert_eq!(send_due(&state).await.expect("send"), 1);
    let message = inbox.lock().expect("inbox").pop().expect("a message");
    assert!(
        message
            .to_ascii_lowercase()
            .contains("to: lan@shop.example"),
        "{message}"
    );
    let text = body_of(&message);
    assert!(text.contains("A referral of thao (o-self,"), "{text}");
    assert!(
        text.contains("Why: the customer's email is the affiliate's own"),
        "{text}"
    );
    assert!(
        text.contains("#/referrals?flagged=true&affiliate=thao"),
        "{text}"
    );
    assert!(inbox.lock().expect("inbox").is_empty());
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs()
}

/// The code of the base32 `secret` `steps` steps from now.
fn code(secret: &str, steps: i64) -> String {
    use reftrail_server::two_factor::{code_at, from_base32};
    let at = unix_now().saturating_add_signed(steps * 30);
    code_at(&from_base32(secret).expect("base32"), at)
}

#[tokio::test]
async fn two_factor_sign_in_asks_for_a_code_used_once() {
    let state = server(None).await;
    let inv = invite(&state, "lan@shop.example", "Lan", "manager").await;
    let id = inv["member"]["id"].as_str().expect("id").to_owned();
    let (_, _, mut lan) = accept(&state, &token_of(&inv), "lan's long password").await;

    let (s, setup) = send(
        &state,
        Some(&mut lan),
        "POST",
        "/v1/team/me/two-factor",
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{setup}");
    let secret = setup["secret"].as_str().expect("secret").to_owned();
    let url = setup["otpauth_url"].as_str().expect("url");
    assert!(
        url.starts_with("otpauth://totp/") && url.contains(&format!("secret={secret}")),
        "{url}"
    );
    // Until confirmed, the password alone signs in.
    assert_eq!(
        sign_in(&state, Some("lan@shop.example"), "lan's long password")
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(
        refusal(
            &state,
            Some(&mut lan),
            "POST",
            "/v1/team/me/two-factor/confirm",
            json!({ "code": "000000" })
        )
        .await,
        (StatusCode::BAD_REQUEST, "wrong_code".into())
    );
    let (s, v) = send(
        &state,
        Some(&mut lan),
        "POST",
        "/v1/team/me/two-factor/confirm",
        json!({ "code": code(&secret, 0) }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["member"]["two_factor"], true);
    assert_eq!(
        refusal(
            &state,
            Some(&mut lan),
            "POST",
            "/v1/team/me/two-factor",
            json!(null)
        )
        .await,
        (StatusCode::CONFLICT, "two_factor_on".into())
    );

    // The password alone is not enough now; a wrong code counts as a failed sign-in.
    let body = |code: Option<String>| json!({ "email": "lan@shop.example", "password": "lan's long password", "code": code });
    let mut d = Dashboard::default();
    let (s, v) = send(&state, Some(&mut d), "POST", "/v1/session", body(None)).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("two_factor_required"))
    );
    let (s, v) = send(
        &state,
        Some(&mut d),
        "POST",
        "/v1/session",
        body(Some(code(&secret, 0))),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("two_factor_failed")),
        "the confirming code was used"
    );
    let (s, v) = send(
        &state,
        Some(&mut d),
        "POST",
        "/v1/session",
        body(Some(code(&secret, 1))),
    )
    .await;
    assert_eq!(
        (s, v["role"].as_str()),
        (StatusCode::CREATED, Some("manager")),
        "{v}"
    );
    let (s, _) = send(
        &state,
        Some(&mut Dashboard::default()),
        "POST",
        "/v1/session",
        body(Some(code(&secret, 1))),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a code signs in once");
    // A wrong password with a right code is a wrong password.
    let wrong = json!({ "email": "lan@shop.example", "password": "not it at all", "code": code(&secret, 1) });
    let (s, v) = send(
        &state,
        Some(&mut Dashboard::default()),
        "POST",
        "/v1/session",
        wrong,
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let failures: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_failures")
        .fetch_one(&state.db.pool)
        .await
        .expect("count");
    assert_eq!(
        failures, 3,
        "two used codes and a wrong password; the missing code is not one"
    );

    // The owner turns it off for a lost phone; the log says so.
    let (s, v) = send(
        &state,
        None,
        "DELETE",
        &format!("/v1/team/{id}/two-factor"),
        json!(null),
    )
    .await;
    assert_eq!(
        (s, v["two_factor"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{v}"
    );
    assert_eq!(
        sign_in(&state, Some("lan@shop.example"), "lan's long password")
            .await
            .0,
        StatusCode::CREATED
    );
    let changes = activity(&state, "member.updated").await;
    assert_eq!(changes[0]["by"], "secret_key");
    assert_eq!(
        changes[0]["details"]["changes"],
        json!([{ "field": "two_factor", "before": true, "after": false }])
    );
    assert_eq!(changes[1]["by"], "user:lan@shop.example");
    assert_eq!(
        changes[1]["details"]["changes"],
        json!([{ "field": "two_factor", "before": false, "after": true }])
    );
}

#[tokio::test]
async fn a_member_turns_two_factor_off_with_a_current_code() {
    let state = server(None).await;
    let inv = invite(&state, "an@shop.example", "An", "viewer").await;
    let (_, _, mut an) = accept(&state, &token_of(&inv), "an's long password").await;
    assert_eq!(
        refusal(
            &state,
            Some(&mut an),
            "DELETE",
            "/v1/team/me/two-factor",
            json!({ "code": "123456" })
        )
        .await,
        (StatusCode::CONFLICT, "two_factor_off".into())
    );
    assert_eq!(
        refusal(
            &state,
            Some(&mut an),
            "POST",
            "/v1/team/me/two-factor/confirm",
            json!({ "code": "123456" })
        )
        .await,
        (StatusCode::CONFLICT, "no_two_factor_setup".into())
    );
    let (secret, _) = two_factor_on(&state, &mut an).await;
    for (body, status, code_) in [
        (
            json!({ "code": code(&secret, 0) }),
            StatusCode::BAD_REQUEST,
            "wrong_code",
        ),
        (
            json!({ "code": "12345" }),
            StatusCode::BAD_REQUEST,
            "wrong_code",
        ),
        (json!({}), StatusCode::BAD_REQUEST, "invalid_body"),
    ] {
        let (s, v) = send(
            &state,
            Some(&mut an),
            "DELETE",
            "/v1/team/me/two-factor",
            body.clone(),
        )
        .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code_)),
            "{body}"
        );
    }
    let (s, v) = send(
        &state,
        Some(&mut an),
        "DELETE",
        "/v1/team/me/two-factor",
        json!({ "code": code(&secret, 1) }),
    )
    .await;
    assert_eq!(
        (s, v["member"]["two_factor"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{v}"
    );
    // The owner's password and the secret key have no second factor of their own to set up.
    let (s, _) = send(&state, None, "POST", "/v1/team/me/two-factor", json!(null)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_team_that_requires_two_factor_lets_a_member_only_set_it_up_first() {
    let state = server(None).await;
    let inv = invite(&state, "lan@shop.example", "Lan", "manager").await;
    let (_, _, mut lan) = accept(&state, &token_of(&inv), "lan's long password").await;
    assert_eq!(
        refusal(
            &state,
            Some(&mut lan),
            "PUT",
            "/v1/team/policy",
            json!({ "require_two_factor": true })
        )
        .await,
        (StatusCode::FORBIDDEN, "role_forbidden".into()),
        "the owner's to set"
    );
    for body in [
        json!({ "require_two_factor": "yes" }),
        json!({}),
        json!({ "require_two_factor": true, "x": 1 }),
    ] {
        assert_eq!(
            refusal(&state, None, "PUT", "/v1/team/policy", body.clone())
                .await
                .0,
            StatusCode::BAD_REQUEST,
            "{body}"
        );
    }
    for _ in 0..2 {
        let (s, v) = send(
            &state,
            None,
            "PUT",
            "/v1/team/policy",
            json!({ "require_two_factor": true }),
        )
        .await;
        assert_eq!(
            (s, v),
            (StatusCode::OK, json!({ "require_two_factor": true }))
        );
    }
    let logged = activity(&state, "team.").await;
    assert_eq!(logged.len(), 1, "a policy set twice changed once");
    assert_eq!(
        logged[0]["details"]["changes"],
        json!([{ "field": "require_two_factor", "before": false, "after": true }])
    );
    let (_, team) = send(&state, None, "GET", "/v1/team", json!(null)).await;
    assert_eq!(team["require_two_factor"], true);

    // Her open session, and a new one, reach only her own account.
    let (s, v) = send(&state, Some(&mut lan), "GET", "/v1/session", json!(null)).await;
    assert_eq!(
        (s, v["two_factor_setup_required"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (s, v, mut again) = sign_in(&state, Some("lan@shop.example"), "lan's long password").await;
    assert_eq!(
        (s, v["two_factor_setup_required"].as_bool()),
        (StatusCode::CREATED, Some(true))
    );
    for (method, path, body) in [
        ("GET", "/v1/affiliates", json!(null)),
        ("GET", "/v1/reports/summary", json!(null)),
        (
            "POST",
            "/v1/sales",
            json!({ "order_id": "due-1", "amount": 1000, "currency": "VND" }),
        ),
    ] {
        assert_eq!(
            refusal(&state, Some(&mut again), method, path, body).await,
            (StatusCode::FORBIDDEN, "two_factor_setup_required".into()),
            "{method} {path}"
        );
    }
    let (s, _) = send(&state, Some(&mut again), "GET", "/v1/team/me", json!(null)).await;
    assert_eq!(s, StatusCode::OK);

    // Set up, everything her role allows opens again, in the same session.
    two_factor_on(&state, &mut again).await;
    let (s, v) = send(&state, Some(&mut again), "GET", "/v1/session", json!(null)).await;
    assert_eq!(
        (s, v["two_factor_setup_required"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    let (s, _) = send(
        &state,
        Some(&mut again),
        "GET",
        "/v1/affiliates",
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // The admin password is the operator's: not held back.
    let (s, v, mut admin) = sign_in(&state, None, ADMIN_PASSWORD).await;
    assert_eq!(
        (s, v["two_factor_setup_required"].as_bool()),
        (StatusCode::CREATED, Some(false))
    );
    let (s, _) = send(
        &state,
        Some(&mut admin),
        "GET",
        "/v1/affiliates",
        json!(null),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn recovery_codes_sign_in_once_each_and_a_new_set_replaces_them() {
    let state = server(None).await;
    let inv = invite(&state, "lan@shop.example", "Lan", "owner").await;
    let id = inv["member"]["id"].as_str().expect("id").to_owned();
    let (_, _, mut lan) = accept(&state, &token_of(&inv), "lan's long password").await;
    let (secret, on) = two_factor_on(&state, &mut lan).await;
    let codes: Vec<String> = on["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 9 && c.as_bytes()[4] == b'-'),
        "{codes:?}"
    );
    assert_eq!(on["member"]["recovery_codes_left"], 10);
    let (_, me) = send(&state, Some(&mut lan), "GET", "/v1/team/me", json!(null)).await;
    assert!(me.get("recovery_codes").is_none(), "shown once: {me}");

    let with = |code: &str| json!({ "email": "lan@shop.example", "password": "lan's long password", "code": code });
    let (s, v) = send(
        &state,
        Some(&mut Dashboard::default()),
        "POST",
        "/v1/session",
        with(&format!(" {} ", codes[3].to_uppercase())),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "a recovery code in place of the app's: {v}"
    );
    assert_eq!(
        refusal(
            &state,
            Some(&mut Dashboard::default()),
            "POST",
            "/v1/session",
            with(&codes[3])
        )
        .await,
        (StatusCode::UNAUTHORIZED, "two_factor_failed".into()),
        "once"
    );
    assert_eq!(
        refusal(
            &state,
            Some(&mut Dashboard::default()),
            "POST",
            "/v1/session",
            with("zzzz-zzzz")
        )
        .await,
        (StatusCode::UNAUTHORIZED, "two_factor_failed".into())
    );
    let (_, me) = send(&state, Some(&mut lan), "GET", "/v1/team/me", json!(null)).await;
    assert_eq!(me["member"]["recovery_codes_left"], 9);

    // A new set, with a code of the app: the old ones stop working.
    assert_eq!(
        refusal(
            &state,
            Some(&mut lan),
            "POST",
            "/v1/team/me/two-factor/recovery-codes",
            json!({ "code": "000000" })
        )
        .await,
        (StatusCode::BAD_REQUEST, "wrong_code".into())
    );
    let (s, renewed) = send(
        &state,
        Some(&mut lan),
        "POST",
        "/v1/team/me/two-factor/recovery-codes",
        json!({ "code": code(&secret, 1) }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{renewed}");
    let fresh = renewed["recovery_codes"][0]
        .as_str()
        .expect("code")
        .to_owned();
    assert!(!codes.contains(&fresh));
    assert_eq!(
        refusal(
            &state,
            Some(&mut Dashboard::default()),
            "POST",
            "/v1/session",
            with(&codes[0])
        )
        .await,
        (StatusCode::UNAUTHORIZED, "two_factor_failed".into())
    );
    let (s, _) = send(
        &state,
        Some(&mut Dashboard::default()),
        "POST",
        "/v1/session",
        with(&fresh),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    // Turned off by the owner, two-factor takes its codes with it.
    let (s, v) = send(
        &state,
        None,
        "DELETE",
        &format!("/v1/team/{id}/two-factor"),
        json!(null),
    )
    .await;
    assert_eq!(
        (s, v["recovery_codes_left"].as_i64()),
        (StatusCode::OK, Some(0))
    );
}
