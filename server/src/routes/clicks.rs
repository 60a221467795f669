//! `POST /v1/clicks`: the browser reports a visit through an affiliate link.

use super::{client, valid_text};
use crate::click_cookie;
use crate::error::{AppError, AppJson};
use crate::ids::{new_id, sha256_hex};
use crate::metrics::inc;
use crate::times::{now, DAY};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use reftrail::affiliate::AffiliateId;
use reftrail::consent::Consent;
use reftrail::touch::{CAMPAIGN_PARAMS, CLICK_ID_PARAMS, MAX_LANDING_LEN, MAX_TAG_VALUE_LEN};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A dedupe window: a visitor's clicks on one affiliate within it count once as unique.
pub const UNIQUE_WINDOW: i64 = 3600;

/// The body of `POST /v1/clicks`, as the browser core sends it.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct CreateClick {
    /// The affiliate id from the link (letters, digits, `-`, `_`, `.`; at most 64 bytes).
    pub affiliate: Option<String>,
    /// The landing URL (http or https, at most 2048 bytes).
    pub url: String,
    /// The referring page, or empty.
    #[serde(default)]
    pub referrer: String,
    /// `granted`, `denied` or `pending`; the cookie is set only when `granted`.
    pub consent: String,
    /// Where the id was found: `query`, `fragment`, `path`, `decorated`.
    pub via: Option<String>,
    /// The landing path (`/shoes`), at most 512 bytes.
    pub landing: Option<String>,
    /// The browser's random visitor id (16 to 32 letters and digits).
    pub visitor: Option<String>,
    /// Campaign parameters (`utm_source`, `utm_medium`, `utm_campaign`, `utm_term`,
    /// `utm_content`, `campaign`).
    #[serde(default)]
    pub campaign: BTreeMap<String, String>,
    /// Ad-network click ids (`gclid`, `fbclid`, `msclkid`, …).
    #[serde(default)]
    pub click_ids: BTreeMap<String, String>,
    /// The publishable key, accepted and not required.
    pub key: Option<String>,
}

/// The answer to a click.
#[derive(Serialize, ToSchema)]
pub struct ClickCreated {
    /// The click id: the affiliate-id charset, at most 64 bytes, for the browser's cookie.
    pub click_id: String,
    /// The credited affiliate, if any.
    pub affiliate: Option<String>,
    /// Whether this is the visitor's first click on the affiliate within an hour.
    pub unique: bool,
    /// Whether the user agent is a known bot (the click is counted apart, never credited).
    pub bot: bool,
}

fn check_tags(
    tags: &BTreeMap<String, String>,
    known: &[&str],
    unknown_code: &'static str,
    bad_code: &'static str,
) -> Result<Option<String>, AppError> {
    if tags.len() > known.len() {
        return Err(AppError::bad(unknown_code, "too many parameters"));
    }
    for (k, v) in tags {
        if !known.contains(&k.as_str()) {
            return Err(AppError::bad(
                unknown_code,
                format!(
                    "unknown parameter {:?}; known: {}",
                    crate::error::clip(k, 40),
                    known.join(", ")
                ),
            ));
        }
        if !valid_text(v, MAX_TAG_VALUE_LEN) {
            return Err(AppError::bad(
                bad_code,
                format!("{k} must be 1 to 256 bytes without control characters"),
            ));
        }
    }
    Ok((!tags.is_empty())
        .then(|| serde_json::to_string(tags))
        .transpose()?)
}

/// Validates a click body; returns the affiliate id and the consent.
fn validate(b: &CreateClick) -> Result<(Option<AffiliateId>, Consent), AppError> {
    let affiliate = match &b.affiliate {
        None => None,
        Some(a) => Some(AffiliateId::parse(a).ok_or_else(|| {
            AppError::bad(
                "invalid_affiliate",
                "affiliate must be 1 to 64 letters, digits, '-', '_' or '.'",
            )
        })?),
    };
    let http = b.url.starts_with("https://") || b.url.starts_with("http://");
    if !http || !valid_text(&b.url, reftrail::report::MAX_URL_LEN) || b.url.contains(' ') {
        return Err(AppError::bad(
            "invalid_url",
            "url must be an http(s) URL of at most 2048 bytes",
        ));
    }
    if b.referrer.len() > reftrail::report::MAX_URL_LEN || super::has_control(&b.referrer) {
        return Err(AppError::bad(
            "invalid_referrer",
            "referrer must be at most 2048 bytes without control characters",
        ));
    }
    let consent = Consent::parse(&b.consent).ok_or_else(|| {
        AppError::bad(
            "invalid_consent",
            "consent must be granted, denied or pending",
        )
    })?;
    if let Some(v) = &b.via {
        if !matches!(v.as_str(), "query" | "fragment" | "path" | "decorated") {
            return Err(AppError::bad(
                "invalid_via",
                "via must be query, fragment, path or decorated",
            ));
        }
    }
    if let Some(l) = &b.landing {
        if !l.starts_with('/') || !valid_text(l, MAX_LANDING_LEN) {
            return Err(AppError::bad(
                "invalid_landing",
                "landing must be a path starting with '/', at most 512 bytes",
            ));
        }
    }
    if let Some(v) = &b.visitor {
        if !reftrail::state::is_valid_visitor(v) {
            return Err(AppError::bad(
                "invalid_visitor",
                "visitor must be 16 to 32 ASCII letters and digits",
            ));
        }
    }
    Ok((affiliate, consent))
}

/// Records a click; with consent, sets the signed `rt_click` cookie.
#[utoipa::path(post, path = "/v1/clicks", tag = "tracking",
    request_body(content = CreateClick, content_type = "application/json"),
    responses(
        (status = 201, body = ClickCreated, description = "Recorded; with consent, `Set-Cookie: rt_click=…`"),
        (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 415, body = crate::error::ErrorBody)))]
pub async fn clicks_create(
    State(state): State<AppState>,
    headers: HeaderMap,
    super::PeerAddr(addr): super::PeerAddr,
    AppJson(body): AppJson<CreateClick>,
) -> Result<Response, AppError> {
    let (affiliate, consent) = validate(&body)?;
    let campaign = check_tags(
        &body.campaign,
        &CAMPAIGN_PARAMS,
        "unknown_campaign_param",
        "invalid_campaign",
    )?;
    let click_ids = check_tags(
        &body.click_ids,
        &CLICK_ID_PARAMS,
        "unknown_click_id_param",
        "invalid_click_ids",
    )?;
    let program = state.program().await?;
    // The id as stored: a link may carry it in another case.
    let affiliate = match &affiliate {
        Some(a) => Some(state.approved_affiliate(a.as_str()).await?.ok_or_else(|| {
            AppError::not_found("unknown_affiliate", "no approved affiliate has this id")
        })?),
        None => None,
    };
    let c = client(&headers, addr, state.http.trusted_proxies);
    let bot = crate::bots::is_bot(&c.user_agent);
    let keys = state.cookie_keys().await?;
    let salt = keys.secret(&keys.current).unwrap_or("");
    let ip_hash = sha256_hex(&format!("{salt}|ip|{}", c.ip))[..32].to_owned();
    let at = now();
    let visitor_key = match &body.visitor {
        Some(v) => format!("v:{v}"),
        None => format!(
            "h:{}",
            &sha256_hex(&format!("{salt}|{}|{}|{}", c.ip, c.user_agent, at / DAY))[..32]
        ),
    };
    let id = new_id("c");

    let unique = state
        .click_writer()
        .write(crate::click_writer::NewClick {
            id: id.clone(),
            affiliate: affiliate.as_deref().map(str::to_owned),
            at,
            visitor_key,
            bot,
            ip_hash,
            consent: consent.as_str(),
            via: body.via.clone(),
            url: body.url.clone(),
            referrer: body.referrer.clone(),
            landing: body.landing.clone(),
            campaign,
            campaign_name: crate::campaigns::name_of(&body.campaign).map(str::to_owned),
            content_name: crate::creative_clicks::name_of(&body.campaign).map(str::to_owned),
            click_ids,
            user_agent: c.user_agent.clone(),
            unique_since: at - UNIQUE_WINDOW,
        })
        .await?;
    inc(&state.metrics.clicks);
    if bot {
        inc(&state.metrics.bot_clicks);
    }

    let mut res = (
        StatusCode::CREATED,
        axum::Json(ClickCreated {
            click_id: id.clone(),
            affiliate: affiliate.as_deref().map(str::to_owned),
            unique,
            bot,
        }),
    )
        .into_response();
    if consent == Consent::Granted && !bot && affiliate.is_some() {
        if let Some(value) = click_cookie::sign(&keys, &id) {
            let cookie = click_cookie::set_cookie(
                &value,
                program.window_days * DAY,
                c.https,
                state.http.cookie_domain.as_deref(),
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
    }
    Ok(res)
}
