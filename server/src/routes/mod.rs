//! The routes, one module per resource; handlers are named `resource_action`.

pub mod activity;
pub mod affiliates;
pub mod affiliates_csv;
pub mod applications;
pub mod bonuses;
pub mod campaigns;
pub mod certificates;
pub mod clicks;
pub mod conversions;
pub mod creative_report;
pub mod creatives;
pub mod deliveries;
pub mod health;
pub mod idempotency;
pub mod keys;
pub mod me;
pub mod me_daily;
pub mod payout_requests;
pub mod payouts;
pub mod portal_sign_in;
pub mod postbacks;
pub mod privacy;
pub mod program;
pub mod recruiters;
pub mod referrals;
pub mod refunds;
pub mod reports;
pub mod session;
pub mod short_links;
pub mod static_files;
pub mod team;
pub mod team_account;

use crate::AppState;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use std::net::{IpAddr, SocketAddr};

/// Routes the browser calls (behind the CORS layer).
pub fn browser_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/clicks", post(clicks::clicks_create).options(preflight))
        .route(
            "/v1/leads",
            post(conversions::leads_create).options(preflight),
        )
        .route(
            "/v1/sales",
            post(conversions::sales_create)
                .get(conversions::sales_index)
                .options(preflight),
        )
        .route(
            "/v1/me",
            get(me::me_show).patch(me::me_update).options(preflight),
        )
        .route("/v1/me/report", get(me::me_report).options(preflight))
        .route("/v1/me/daily", get(me_daily::me_daily).options(preflight))
        .route("/v1/me/payouts", get(me::me_payouts).options(preflight))
        .route(
            "/v1/me/payout-requests",
            get(payout_requests::me_payout_requests)
                .post(payout_requests::me_payout_requests_create)
                .options(preflight),
        )
        .route(
            "/v1/me/payout-requests/{id}",
            axum::routing::delete(payout_requests::me_payout_requests_cancel).options(preflight),
        )
        .route(
            "/v1/me/creatives",
            get(creatives::me_creatives).options(preflight),
        )
        .route(
            "/v1/me/reports/creatives",
            get(creative_report::me_reports_creatives).options(preflight),
        )
        .route(
            "/v1/me/bonuses",
            get(bonuses::me_bonuses).options(preflight),
        )
        .route(
            "/v1/me/campaigns",
            get(campaigns::me_campaigns).options(preflight),
        )
        .route(
            "/v1/me/recruits",
            get(recruiters::me_recruits).options(preflight),
        )
        .route(
            "/v1/me/withholding/certificates",
            get(certificates::me_certificates).options(preflight),
        )
        .route(
            "/v1/me/postback",
            get(postbacks::me_postback_show)
                .put(postbacks::me_postback_update)
                .options(preflight),
        )
        .route(
            "/v1/me/postback/test",
            post(postbacks::me_postback_test).options(preflight),
        )
        .route(
            "/v1/me/links",
            get(short_links::me_links_index)
                .post(short_links::me_links_create)
                .options(preflight),
        )
        .route(
            "/v1/me/links/{code}",
            axum::routing::delete(short_links::me_links_delete).options(preflight),
        )
        // A short link opened from anywhere: a top-level navigation, which sends no `Origin`.
        .route("/go/{code}", get(short_links::go))
}

/// The portal's sign-in by email and its application form, for the portal pages this server serves (same origin: no
/// CORS, so no other site can ask for links or exchange codes from a visitor's browser).
pub fn portal_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/portal/sign-in-link",
            post(portal_sign_in::portal_sign_in_link),
        )
        .route(
            "/v1/portal/session",
            post(portal_sign_in::portal_session_create),
        )
        .route("/v1/portal/program", get(applications::portal_program))
        .route(
            "/v1/portal/applications",
            post(applications::portal_applications_create),
        )
}

/// A preflight without an `Origin` (the CORS layer answers those with one).
async fn preflight() -> axum::http::StatusCode {
    axum::http::StatusCode::NO_CONTENT
}

/// Routes of the merchant (secret key or dashboard session).
pub fn merchant_routes() -> Router<AppState> {
    Router::new()
        .route("/v1/refunds", post(refunds::refunds_create))
        .route("/v1/privacy/export", post(privacy::privacy_export))
        .route("/v1/privacy/erase", post(privacy::privacy_erase))
        .route(
            "/v1/affiliates",
            get(affiliates::affiliates_index).post(affiliates::affiliates_create),
        )
        .route(
            "/v1/affiliates/{id}",
            get(affiliates::affiliates_show).patch(affiliates::affiliates_update),
        )
        .route(
            "/v1/affiliates/{id}/token",
            post(affiliates::affiliates_token),
        )
        .route("/v1/affiliates/{id}/daily", get(me_daily::affiliate_daily))
        .route(
            "/v1/affiliates/{id}/postback",
            get(postbacks::affiliate_postback_show).put(postbacks::affiliate_postback_update),
        )
        .route(
            "/v1/affiliates/{id}/postback/test",
            post(postbacks::affiliate_postback_test),
        )
        .route(
            "/v1/affiliates.csv",
            get(affiliates_csv::affiliates_csv)
                .post(affiliates_csv::affiliates_import)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::affiliate_csv::MAX_BYTES,
                )),
        )
        .route("/v1/referrals", get(referrals::referrals_index))
        .route("/v1/referrals.csv", get(referrals::referrals_csv))
        .route("/v1/referrals/{id}", get(referrals::referrals_show))
        .route(
            "/v1/referrals/{id}/approve",
            post(referrals::referrals_approve),
        )
        .route(
            "/v1/referrals/{id}/reject",
            post(referrals::referrals_reject),
        )
        .route("/v1/balances", get(payouts::balances_index))
        .route(
            "/v1/payouts",
            get(payouts::payouts_index).post(payouts::payouts_create),
        )
        .route(
            "/v1/payout-requests",
            get(payout_requests::payout_requests_index),
        )
        .route(
            "/v1/payout-requests/{id}/decline",
            post(payout_requests::payout_requests_decline),
        )
        .route("/v1/payouts/{id}", get(payouts::payouts_show))
        .route("/v1/payouts/{id}/sent", post(payouts::payouts_sent))
        .route(
            "/v1/bonuses",
            get(bonuses::bonuses_index).post(bonuses::bonuses_create),
        )
        .route("/v1/bonuses/{id}/cancel", post(bonuses::bonuses_cancel))
        .route(
            "/v1/recruiter-commissions",
            get(recruiters::recruiter_commissions_index),
        )
        .route("/v1/reports/withholding.csv", get(payouts::withholding_csv))
        .route(
            "/v1/reports/withholding/certificates",
            get(certificates::certificates_index),
        )
        .route(
            "/v1/program",
            get(program::program_show).put(program::program_update),
        )
        .route("/v1/program/changes", get(program::program_changes))
        .route("/v1/activity", get(activity::activity_index))
        .route(
            "/v1/creatives",
            get(creatives::creatives_index).post(creatives::creatives_create),
        )
        .route(
            "/v1/creatives/{id}",
            axum::routing::patch(creatives::creatives_update).delete(creatives::creatives_delete),
        )
        .route("/v1/deliveries", get(deliveries::deliveries_index))
        .route(
            "/v1/deliveries/{id}/retry",
            post(deliveries::deliveries_retry),
        )
        .route("/v1/webhooks/test", post(deliveries::webhooks_test))
        .route("/v1/keys", get(keys::keys_index).post(keys::keys_create))
        .route("/v1/keys/{id}", axum::routing::delete(keys::keys_revoke))
        .route("/v1/reports/summary", get(reports::reports_summary))
        .route("/v1/reports/timeseries", get(reports::reports_timeseries))
        .route("/v1/reports/affiliates", get(reports::reports_affiliates))
        .route("/v1/reports/categories", get(reports::reports_categories))
        .route(
            "/v1/reports/creatives",
            get(creative_report::reports_creatives),
        )
        .route("/v1/reports/campaigns", get(campaigns::reports_campaigns))
        .route("/v1/links", get(short_links::links_index))
        .route(
            "/v1/links/{code}",
            axum::routing::delete(short_links::links_delete),
        )
        .route("/v1/team", get(team::team_index).post(team::team_create))
        .route(
            "/v1/team/{id}",
            axum::routing::patch(team::team_update).delete(team::team_delete),
        )
        .route("/v1/team/{id}/invite", post(team::team_invite))
        .route("/v1/team/accept", post(team::team_accept))
        .route(
            "/v1/team/policy",
            axum::routing::put(team::team_policy_update),
        )
        .route(
            "/v1/team/me",
            get(team_account::team_me).patch(team_account::team_me_update),
        )
        .route(
            "/v1/team/me/two-factor",
            post(team_account::two_factor_start).delete(team_account::two_factor_stop),
        )
        .route(
            "/v1/team/me/two-factor/confirm",
            post(team_account::two_factor_confirm),
        )
        .route(
            "/v1/team/me/two-factor/recovery-codes",
            post(team_account::recovery_codes_renew),
        )
        .route(
            "/v1/team/{id}/two-factor",
            axum::routing::delete(team::team_two_factor_reset),
        )
        .route(
            "/v1/session",
            post(session::session_create)
                .get(session::session_show)
                .delete(session::session_delete),
        )
}

/// Routes of the operator.
pub fn operator_routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(health::metrics))
        .route("/v1/openapi.json", get(health::openapi))
}

/// What the request says about the client.
pub struct Client {
    /// The client's address.
    pub ip: String,
    /// The `User-Agent`, cut to 512 bytes.
    pub user_agent: String,
    /// Whether the page was served over https (for the cookie's `Secure`).
    pub https: bool,
}

/// The client's address behind `proxies` trusted proxies: each proxy appends to
/// `X-Forwarded-For` the address it was reached from, so the client is the `proxies`-th entry
/// from the right (what the outermost trusted proxy saw). Entries further left were written by
/// the client itself and are never believed. With fewer entries than proxies, the leftmost one;
/// with none, or an entry that is not an address, the peer.
pub fn client_ip(forwarded_for: Option<&str>, peer: Option<IpAddr>, proxies: u8) -> Option<IpAddr> {
    if proxies == 0 {
        return peer;
    }
    let entries: Vec<&str> = forwarded_for
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let Some(last) = entries.len().checked_sub(1) else {
        return peer;
    };
    let pick = entries[last.saturating_sub(usize::from(proxies) - 1)];
    pick.parse::<IpAddr>().ok().or(peer)
}

/// Reads the client's address (from `X-Forwarded-For` behind `proxies` trusted proxies), user
/// agent and scheme.
pub fn client(headers: &HeaderMap, addr: Option<SocketAddr>, proxies: u8) -> Client {
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = client_ip(forwarded, addr.map(|a| a.ip()), proxies)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into());
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let user_agent = reftrail::report::truncate(header("user-agent"), 512).to_owned();
    let https = header("x-forwarded-proto").eq_ignore_ascii_case("https")
        || header("origin").starts_with("https://")
        || (header("origin").is_empty() && header("referer").starts_with("https://"));
    Client {
        ip,
        user_agent,
        https,
    }
}

/// Whether `s` has a control character (including CR and LF).
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A text field: 1 to `max` bytes, no control characters.
pub fn valid_text(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && !has_control(s)
}

/// The longest free-text note a merchant may attach (a payout's note, a refund's or a
/// rejection's reason), in bytes.
pub const MAX_NOTE_LEN: usize = 500;

/// A free-text note, if any: at most [`MAX_NOTE_LEN`] bytes, no control characters (a note is
/// logged and exported in CSV, where a line break would start a new line).
pub fn check_note(
    value: Option<&str>,
    code: &'static str,
    field: &'static str,
) -> Result<(), crate::error::AppError> {
    match value {
        Some(v) if v.len() > MAX_NOTE_LEN || has_control(v) => Err(crate::error::AppError::bad(
            code,
            format!("{field} must be at most {MAX_NOTE_LEN} bytes, without control characters"),
        )),
        _ => Ok(()),
    }
}

/// The `Idempotency-Key` header, if any: 1 to 128 visible ASCII characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, crate::error::AppError> {
    idempotency_key_or_body(headers, None)
}

/// The `Idempotency-Key` header, or else the body's `idempotency_key`: browser reports carry it
/// in the body because they send no custom headers (a CORS simple request needs no preflight
/// before the page unloads). Either must be 1 to 128 visible ASCII characters.
pub fn idempotency_key_or_body(
    headers: &HeaderMap,
    body: Option<&str>,
) -> Result<Option<String>, crate::error::AppError> {
    let value = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().unwrap_or("")),
        None => body,
    };
    match value {
        None => Ok(None),
        Some(s) if s.is_empty() || s.len() > 128 || !s.bytes().all(|b| b.is_ascii_graphic()) => {
            Err(crate::error::AppError::bad(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 128 visible ASCII characters",
            ))
        }
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// The `limit`/`offset` of a list: limit 1..=500 (default 100).
pub fn page(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), crate::error::AppError> {
    let limit = limit.unwrap_or(100);
    let offset = offset.unwrap_or(0);
    if !(1..=500).contains(&limit) || offset < 0 {
        return Err(crate::error::AppError::bad(
            "invalid_query",
            "limit must be 1 to 500 and offset at least 0",
        ));
    }
    Ok((limit, offset))
}

/// The peer's socket address, when the server was started with connect info (not in tests
/// that call the router directly).
pub struct PeerAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use std::net::IpAddr;

    #[test]
    fn the_client_is_what_the_outermost_trusted_proxy_saw() {
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        let cases: [(Option<&str>, u8, &str); 14] = [
            // No proxy trusted: the header is the client's own words.
            (Some("203.0.113.7"), 0, "10.0.0.5"),
            (None, 0, "10.0.0.5"),
            // One proxy (nginx appending $remote_addr): the last entry.
            (Some("203.0.113.7"), 1, "203.0.113.7"),
            (Some("1.2.3.4, 203.0.113.7"), 1, "203.0.113.7"),
            (Some("1.2.3.4,203.0.113.7"), 1, "203.0.113.7"),
            (Some(" 203.0.113.7 "), 1, "203.0.113.7"),
            (Some("2001:db8::1"), 1, "2001:db8::1"),
            // A CDN, then nginx: the CDN's entry is the last, the client's the one before.
            (Some("1.2.3.4, 203.0.113.7, 198.51.100.9"), 2, "203.0.113.7"),
            // Fewer entries than proxies: the leftmost there is.
            (Some("203.0.113.7"), 3, "203.0.113.7"),
            // Nothing usable: the peer.
            (None, 1, "10.0.0.5"),
            (Some(""), 1, "10.0.0.5"),
            (Some(" , "), 1, "10.0.0.5"),
            (Some("1.2.3.4, not-an-address"), 1, "10.0.0.5"),
            (Some("1.2.3.4, 203.0.113.7:8080"), 1, "10.0.0.5"),
        ];
        for (header, proxies, want) in cases {
            assert_eq!(
                client_ip(header, Some(peer), proxies),
                Some(want.parse().unwrap()),
                "{header:?} behind {proxies}"
            );
        }
        assert_eq!(client_ip(Some("203.0.113.7"), None, 0), None);
    }
}
