//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Reftrail", description = "First-party affiliate attribution: clicks, conversions, commissions, the referral ledger and KPIs. \
Errors are `{\"error\": {\"code\", \"message\"}}` with a 4xx status. Money is integer minor units of an ISO 4217 currency; times are RFC 3339 UTC. \
The merchant dashboard signs in with `POST /v1/session` (the admin password, or a team member's email and password; a member's role limits what the session may do: a viewer changes nothing, and only an owner reaches the settings, the keys, the team and privacy requests): the answer sets the HttpOnly `rt_session` cookie and carries `csrf_token`, \
which must be sent as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE made with the session."),
    paths(
        crate::routes::clicks::clicks_create,
        crate::routes::conversions::leads_create,
        crate::routes::conversions::sales_create,
        crate::routes::conversions::sales_index,
        crate::routes::refunds::refunds_create,
        crate::routes::privacy::privacy_export,
        crate::routes::privacy::privacy_erase,
        crate::routes::affiliates::affiliates_index,
        crate::routes::affiliates::affiliates_create,
        crate::routes::affiliates::affiliates_show,
        crate::routes::affiliates::affiliates_update,
        crate::routes::affiliates::affiliates_token,
        crate::routes::affiliates_csv::affiliates_csv,
        crate::routes::affiliates_csv::affiliates_import,
        crate::routes::referrals::referrals_index,
        crate::routes::referrals::referrals_csv,
        crate::routes::referrals::referrals_show,
        crate::routes::referrals::referrals_approve,
        crate::routes::referrals::referrals_reject,
        crate::routes::payouts::balances_index,
        crate::routes::payouts::payouts_index,
        crate::routes::payouts::payouts_create,
        crate::routes::payouts::payouts_show,
        crate::routes::payouts::payouts_sent,
        crate::routes::bonuses::bonuses_index,
        crate::routes::bonuses::bonuses_create,
        crate::routes::bonuses::bonuses_cancel,
        crate::routes::payouts::withholding_csv,
        crate::routes::certificates::certificates_index,
        crate::routes::program::program_show,
        crate::routes::program::program_update,
        crate::routes::program::program_changes,
        crate::routes::activity::activity_index,
        crate::routes::creatives::creatives_index,
        crate::routes::creatives::creatives_create,
        crate::routes::creatives::creatives_update,
        crate::routes::creatives::creatives_delete,
        crate::routes::keys::keys_index,
        crate::routes::keys::keys_create,
        crate::routes::keys::keys_revoke,
        crate::routes::reports::reports_summary,
        crate::routes::reports::reports_timeseries,
        crate::routes::reports::reports_affiliates,
        crate::routes::reports::reports_categories,
        crate::routes::creative_report::reports_creatives,
        crate::routes::campaigns::reports_campaigns,
        crate::routes::me::me_show,
        crate::routes::me::me_update,
        crate::routes::me::me_report,
        crate::routes::me::me_payouts,
        crate::routes::postbacks::me_postback_show,
        crate::routes::postbacks::me_postback_update,
        crate::routes::postbacks::me_postback_test,
        crate::routes::certificates::me_certificates,
        crate::routes::creatives::me_creatives,
        crate::routes::bonuses::me_bonuses,
        crate::routes::recruiters::me_recruits,
        crate::routes::recruiters::recruiter_commissions_index,
        crate::routes::creative_report::me_reports_creatives,
        crate::routes::campaigns::me_campaigns,
        crate::routes::portal_sign_in::portal_sign_in_link,
        crate::routes::portal_sign_in::portal_session_create,
        crate::routes::applications::portal_program,
        crate::routes::applications::portal_applications_create,
        crate::routes::session::session_create,
        crate::routes::session::session_show,
        crate::routes::session::session_delete,
        crate::routes::team::team_index,
        crate::routes::team::team_create,
        crate::routes::team::team_update,
        crate::routes::team::team_delete,
        crate::routes::team::team_invite,
        crate::routes::team::team_accept,
        crate::routes::team_account::team_me,
        crate::routes::team_account::team_me_update,
        crate::routes::team_account::two_factor_start,
        crate::routes::team_account::two_factor_confirm,
        crate::routes::team_account::two_factor_stop,
        crate::routes::team_account::recovery_codes_renew,
        crate::routes::team::team_two_factor_reset,
        crate::routes::team::team_policy_update,
        crate::routes::short_links::me_links_index,
        crate::routes::short_links::me_links_create,
        crate::routes::short_links::me_links_delete,
        crate::routes::short_links::links_index,
        crate::routes::short_links::links_delete,
        crate::routes::short_links::go,
        crate::routes::me_daily::me_daily,
        crate::routes::me_daily::affiliate_daily,
        crate::routes::postbacks::affiliate_postback_show,
        crate::routes::postbacks::affiliate_postback_update,
        crate::routes::postbacks::affiliate_postback_test,
        crate::routes::payout_requests::me_payout_requests,
        crate::routes::payout_requests::me_payout_requests_create,
        crate::routes::payout_requests::me_payout_requests_cancel,
        crate::routes::payout_requests::payout_requests_index,
        crate::routes::payout_requests::payout_requests_decline,
        crate::routes::deliveries::deliveries_index,
        crate::routes::deliveries::deliveries_retry,
        crate::routes::deliveries::webhooks_test,
        crate::routes::health::healthz,
        crate::routes::health::metrics,
        crate::routes::health::openapi,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorInner)),
    modifiers(&Security),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        let bearer = |desc: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(desc))
                    .build(),
            )
        };
        c.add_security_scheme(
            "secret_key",
            bearer("The secret key, sk_…: backends; every merchant route; verified conversions."),
        );
        c.add_security_scheme(
            "publishable_key",
            bearer("The publishable key, pk_… (or \"key\" in the body): the browser; unverified conversions from an allowed origin."),
        );
        c.add_security_scheme(
            "affiliate_token",
            bearer("An affiliate's token, at_…: only /v1/me*."),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "rt_session",
                "The merchant dashboard's session cookie from POST /v1/session; send X-CSRF-Token with the session's csrf_token on every change.",
            ))),
        );
    }
}

/// The document as JSON.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
