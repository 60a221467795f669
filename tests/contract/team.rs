//! The dashboard's people. A backend that keeps a team (`team: true` in the session) invites,
//! signs in and limits members by role; one whose team is kept elsewhere (WordPress: its users)
//! says so and serves no `/v1/team`.

use crate::harness::{login, req, session_of, uid, As};
use serde_json::json;

/// A member's sign-in: the session cookie and CSRF token.
async fn member_session(email: &str, password: &str) -> (String, String) {
    let r = req("POST", "/v1/session")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await;
    session_of(&r)
}

#[tokio::test]
async fn a_team_member_signs_in_as_themselves_within_their_role() {
    let (cookie, _) = login().await;
    let session = req("GET", "/v1/session")
        .who(As::Session(cookie, None))
        .send()
        .await;
    session.status(200);
    if session.json["team"] == false {
        req("GET", "/v1/team")
            .sk()
            .send()
            .await
            .error(404, "not_found");
        return;
    }
    assert_eq!(session.json["team"], true, "{}", session.text);

    let email = format!("{}@team.example", uid("m"));
    let body = json!({ "email": email.to_uppercase(), "name": "Người xem", "role": "viewer" });
    let invited = req("POST", "/v1/team").sk().json(&body).send().await;
    invited.status(201);
    let id = invited.json["member"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(invited.json["member"]["email"], email.as_str());
    assert_eq!(invited.json["member"]["status"], "invited");
    let path = invited.json["invite_path"].as_str().expect("invite_path");
    let token = path
        .strip_prefix("/dashboard/#invite=")
        .expect("a dashboard link");
    req("POST", "/v1/team")
        .sk()
        .json(&body)
        .send()
        .await
        .error(409, "email_taken");

    let password = "รหัสผ่านยาวพอแล้ว";
    let accepted = req("POST", "/v1/team/accept")
        .json(&json!({ "token": token, "password": password }))
        .send()
        .await;
    accepted.status(201);
    assert_eq!(accepted.json["role"], "viewer");
    assert_eq!(accepted.json["member"]["email"], email.as_str());
    req("POST", "/v1/team/accept")
        .json(&json!({ "token": token, "password": password }))
        .send()
        .await
        .error(401, "unauthorized");

    // A viewer reads, and changes nothing.
    let (cookie, csrf) = member_session(&email, password).await;
    let viewer = || As::Session(cookie.clone(), Some(csrf.clone()));
    req("GET", "/v1/affiliates")
        .who(viewer())
        .send()
        .await
        .status(200);
    req("POST", "/v1/affiliates")
        .who(viewer())
        .json(&json!({ "id": uid("v"), "name": "Not made" }))
        .send()
        .await
        .error(403, "role_forbidden");
    req("GET", "/v1/team")
        .who(viewer())
        .send()
        .await
        .error(403, "role_forbidden");

    // Made a manager, the same session may change the program's affiliates, and is named.
    let r = req("PATCH", &format!("/v1/team/{id}"))
        .sk()
        .json(&json!({ "role": "manager" }))
        .send()
        .await;
    r.status(200);
    assert_eq!(r.json["role"], "manager");
    let affiliate = uid("tm");
    req("POST", "/v1/affiliates")
        .who(viewer())
        .json(&json!({ "id": affiliate, "name": "Made by a manager" }))
        .send()
        .await
        .status(201);
    let log = req("GET", &format!("/v1/activity?affiliate={affiliate}"))
        .sk()
        .send()
        .await;
    log.status(200);
    assert_eq!(
        log.json["activity"][0]["by"],
        format!("user:{email}").as_str()
    );

    // Removed, the session ends.
    req("DELETE", &format!("/v1/team/{id}"))
        .sk()
        .send()
        .await
        .status(204);
    req("GET", "/v1/affiliates")
        .who(viewer())
        .send()
        .await
        .error(401, "unauthorized");
    let team = req("GET", "/v1/team").sk().send().await;
    team.status(200);
    assert!(
        !team.text.contains(&email),
        "the member is gone: {}",
        team.text
    );
}
