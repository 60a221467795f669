//! The public "become an affiliate" form: `GET /v1/portal/program` tells the portal how the
//! program takes applications, `POST /v1/portal/applications` takes one.
//!
//! The answer is the same whether or not the address is already in the program: a known address
//! creates nothing and is told by email that it has an account. A taken link name is refused
//! before the address is looked at, so that refusal says nothing about the address either.

use super::affiliates::{check_email, CATEGORIES};
use super::{has_control, valid_text};
use crate::activity;
use crate::credentials;
use crate::db::Tx;
use crate::error::{is_unique_violation, AppError, AppJson};
use crate::ids::{new_id, random_base62, sha256_hex};
use crate::program::{is_page_url, Program};
use crate::times::now;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::Row;
use utoipa::ToSchema;

/// The longest message an applicant may write, in bytes.
pub const MAX_MESSAGE_LEN: usize = 2000;

/// What the portal shows before anyone signs in.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PublicProgram {
    /// The program's name.
    pub name: String,
    /// `en`, `vi` or `th`.
    pub locale: String,
    /// The program's currency.
    pub currency: String,
    /// `closed`, `review` or `auto`.
    pub applications: String,
    /// The terms applicants accept, if any.
    pub terms_url: Option<String>,
    /// The shop's logo for the portal's header, if any.
    pub logo_url: Option<String>,
    /// The shop's colour (`#rrggbb`) for the portal's buttons and links, if any.
    pub accent_color: Option<String>,
}

/// The body of `POST /v1/portal/applications`. Fields are read as JSON values so that a wrong
/// type gets the field's own error code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// Their name: 1 to 200 bytes.
    #[schema(value_type = String)]
    pub name: Option<Value>,
    /// Their email address.
    #[schema(value_type = String)]
    pub email: Option<Value>,
    /// The link name they want (`?ref=<id>`); made from the name when absent.
    #[schema(value_type = Option<String>)]
    pub id: Option<Value>,
    /// Their website or channel: an http(s) URL.
    #[schema(value_type = Option<String>)]
    pub website: Option<Value>,
    /// How they will promote the shop: at most 2,000 bytes, line breaks allowed.
    #[schema(value_type = Option<String>)]
    pub message: Option<Value>,
    /// One of the affiliate categories (default `other`).
    #[schema(value_type = Option<String>)]
    pub category: Option<Value>,
    /// Whether they accept the program's `terms_url`; required when it has one.
    #[schema(value_type = Option<bool>)]
    pub terms_accepted: Option<Value>,
    /// The affiliate whose recruiting link brought them (the portal's `?recruiter=`). It comes
    /// from a link anyone can write, so one that is not an approved affiliate is left out, not
    /// refused.
    #[schema(value_type = Option<String>)]
    pub recruiter: Option<Value>,
}

/// The answer: what happens next, the same for every address.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ApplicationReceived {
    /// `pending` (the merchant reviews applications) or `approved` (the program approves them
    /// at once).
    pub status: String,
}

/// A checked application.
struct Checked {
    name: String,
    email: String,
    id: Option<String>,
    website: Option<String>,
    message: Option<String>,
    category: String,
    terms_accepted: bool,
    recruiter: Option<String>,
}

/// The string in `value` (absent and `null` are `None`), or `code` when it is another type or
/// fails `ok`.
fn string_field(
    value: &Option<Value>,
    ok: impl Fn(&str) -> bool,
    code: &'static str,
    message: &'static str,
) -> Result<Option<String>, AppError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if ok(s) => Ok(Some(s.clone())),
        Some(_) => Err(AppError::bad(code, message)),
    }
}

/// A message: line breaks allowed, no other control characters.
fn valid_message(m: &str) -> bool {
    m.len() <= MAX_MESSAGE_LEN && !has_control(&m.replace(['\r', '\n'], ""))
}

impl NewApplication {
    fn checked(&self) -> Result<Checked, AppError> {
        let name = string_field(
            &self.name,
            |n| valid_text(n.trim(), 200),
            "invalid_name",
            "name must be 1 to 200 bytes without control characters",
        )?
        .map(|n| n.trim().to_owned())
        .ok_or_else(|| AppError::bad("invalid_name", "name is required"))?;
        let email = string_field(
            &self.email,
            |e| check_email(&Some(e.trim().to_owned()), "invalid_email").is_ok(),
            "invalid_email",
            "email must be an address like name@example.com",
        )?
        .map(|e| e.trim().to_owned())
        .ok_or_else(|| AppError::bad("invalid_email", "email is required"))?;
        let id = string_field(
            &self.id,
            reftrail::affiliate::is_valid,
            "invalid_affiliate",
            "id must be 1 to 64 letters, digits, '-', '_' or '.'",
        )?;
        let website = string_field(
            &self.website,
            is_page_url,
            "invalid_website",
            "website must be an http(s) URL of at most 500 bytes without spaces",
        )?;
        let message = string_field(
            &self.message,
            valid_message,
            "invalid_message",
            "message must be at most 2000 bytes, without control characters other than line breaks",
        )?
        .filter(|m| !m.trim().is_empty());
        let category = string_field(
            &self.category,
            |c| CATEGORIES.contains(&c),
            "invalid_category",
            "category must be content, coupon, cashback, influencer, search, email, comparison or other",
        )?
        .unwrap_or_else(|| "other".into());
        let terms_accepted = match &self.terms_accepted {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(AppError::bad(
                    "invalid_terms_accepted",
                    "terms_accepted must be true or false",
                ))
            }
        };
        let recruiter = self
            .recruiter
            .as_ref()
            .and_then(Value::as_str)
            .filter(|r| reftrail::affiliate::is_valid(r))
            .map(str::to_owned);
        Ok(Checked {
            name,
            email,
            id,
            website,
            message,
            category,
            terms_accepted,
            recruiter,
        })
    }
}

/// How the program takes applications, for the portal's pages.
#[utoipa::path(get, path = "/v1/portal/program", tag = "affiliate",
    responses((status = 200, body = PublicProgram)))]
pub async fn portal_program(
    State(state): State<AppState>,
) -> Result<Json<PublicProgram>, AppError> {
    let p = state.program().await?;
    Ok(Json(PublicProgram {
        name: p.name.clone(),
        locale: p.locale().to_owned(),
        currency: p.currency.clone(),
        applications: p.applications.clone(),
        terms_url: p.terms_url.clone(),
        logo_url: p.logo_url.clone(),
        accent_color: p.accent_color.clone(),
    }))
}

/// Takes an application.
#[utoipa::path(post, path = "/v1/portal/applications", tag = "affiliate",
    request_body(content = NewApplication, content_type = "application/json"),
    responses((status = 202, body = ApplicationReceived, description = "The same answer whether or not the address is known"),
        (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody, description = "`applications_closed`"),
        (status = 409, body = crate::error::ErrorBody, description = "`affiliate_exists`: the link name is taken"),
        (status = 422, body = crate::error::ErrorBody, description = "`terms_not_accepted`"),
        (status = 429, body = crate::error::ErrorBody)))]
pub async fn portal_applications_create(
    State(state): State<AppState>,
    crate::routes::PeerAddr(addr): crate::routes::PeerAddr,
    headers: HeaderMap,
    AppJson(body): AppJson<NewApplication>,
) -> Result<(StatusCode, Json<ApplicationReceived>), AppError> {
    let program = state.program().await?;
    if program.applications == "closed" {
        return Err(AppError::forbidden(
            "applications_closed",
            "this program takes no applications",
        ));
    }
    let a = body.checked()?;
    if program.terms_url.is_some() && !a.terms_accepted {
        return Err(AppError::unprocessable(
            "terms_not_accepted",
            "accept the program's terms to apply",
        ));
    }
    let client = crate::routes::client(&headers, addr, state.http.trusted_proxies);
    let ip_hash = sha256_hex(&format!("application|{}", client.ip));
    let t = now();
    let mut tx = state.db.begin_write().await?;
    let recent: i64 =
        sqlx::query("SELECT COUNT(*) FROM application_attempts WHERE ip_hash = $1 AND at > $2")
            .bind(&ip_hash)
            .bind(t - 3600)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    if recent >= program.fraud.applications_per_ip_per_hour {
        return Err(AppError::TooManyRequests(
            "too many applications from this address; try again in an hour".into(),
        ));
    }
    if let Some(id) = &a.id {
        if id_taken(&mut tx, id).await? {
            return Err(AppError::conflict(
                "affiliate_exists",
                "this link name is taken; choose another",
            ));
        }
    }
    sqlx::query("DELETE FROM application_attempts WHERE at < $1")
        .bind(t - 86_400)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO application_attempts (id, at, ip_hash) VALUES ($1, $2, $3)")
        .bind(new_id("apa"))
        .bind(t)
        .bind(&ip_hash)
        .execute(&mut *tx)
        .await?;
    match known_affiliate(&mut tx, &a.email).await? {
        Some(Some(existing)) => {
            crate::affiliate_mail::application_exists(&mut tx, &state, &existing).await?;
        }
        // Only suspended affiliates have the address: nothing to create, nobody to tell.
        Some(None) => {}
        None => create(&mut tx, &state, &program, &a, t).await?,
    }
    tx.commit().await?;
    let status = if program.applications == "auto" {
        "approved"
    } else {
        "pending"
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(ApplicationReceived {
            status: status.into(),
        }),
    ))
}

async fn id_taken(tx: &mut Tx, id: &str) -> Result<bool, AppError> {
    Ok(super::affiliates::id_in_use(tx, id).await?.is_some())
}

/// The first affiliate (by id) with this address that is not suspended, if any has the address
/// at all: `Some(None)` when only suspended ones do.
async fn known_affiliate(tx: &mut Tx, email: &str) -> Result<Option<Option<String>>, AppError> {
    let rows =
        sqlx::query("SELECT id, status FROM affiliates WHERE LOWER(email) = LOWER($1) ORDER BY id")
            .bind(email)
            .fetch_all(&mut **tx)
            .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    for r in &rows {
        if r.try_get::<String, _>(1)? != "suspended" {
            return Ok(Some(Some(r.try_get(0)?)));
        }
    }
    Ok(Some(None))
}

/// The first free id of `base`, `base-2` … `base-99`, else `base-` and six random characters.
async fn free_id(tx: &mut Tx, base: &str) -> Result<String, AppError> {
    for n in 1..100 {
        let id = if n == 1 {
            base.to_owned()
        } else {
            format!("{base}-{n}")
        };
        if !id_taken(tx, &id).await? {
            return Ok(id);
        }
    }
    Ok(format!("{base}-{}", random_base62(6).to_ascii_lowercase()))
}

/// Creates the affiliate of a new address and keeps its application.
async fn create(
    tx: &mut Tx,
    state: &AppState,
    program: &Program,
    a: &Checked,
    t: i64,
) -> Result<(), AppError> {
    let id = match &a.id {
        Some(id) => id.clone(),
        None => free_id(tx, &crate::applicant_id::suggest_id(&a.name, &a.email)).await?,
    };
    let status = if program.applications == "auto" {
        "approved"
    } else {
        "pending"
    };
    let recruiter = match &a.recruiter {
        // The recruiting link's id as the recruiter's link reads it: in any case.
        Some(r) => sqlx::query(
            "SELECT id FROM affiliates WHERE LOWER(id) = LOWER($1) AND status = 'approved'",
        )
        .bind(r)
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| row.try_get::<String, _>(0))
        .transpose()?,
        None => None,
    };
    let r = sqlx::query(
        "INSERT INTO affiliates (id, name, email, email_hash, category, status, created_at, updated_at, withholding_exempt, recruiter_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 0, $8)",
    )
    .bind(&id)
    .bind(&a.name)
    .bind(&a.email)
    .bind(reftrail::email::hash(&a.email))
    .bind(&a.category)
    .bind(status)
    .bind(t)
    .bind(recruiter)
    .execute(&mut **tx)
    .await;
    if let Err(e) = r {
        if is_unique_violation(&e) {
            return Err(AppError::conflict(
                "affiliate_exists",
                "this link name is taken; choose another",
            ));
        }
        return Err(e.into());
    }
    sqlx::query(
        "INSERT INTO affiliate_applications (affiliate_id, website, message, terms_url, applied_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(a.website.as_deref())
    .bind(a.message.as_deref())
    .bind(program.terms_url.as_deref())
    .bind(t)
    .execute(&mut **tx)
    .await?;
    credentials::new_affiliate_token(tx, &id).await?;
    let by = activity::by_affiliate(&id);
    activity::record(tx, &by, "affiliate.applied", &id, Some(&id), json!({})).await?;
    // The merchant hears of it where their webhooks go (a chat, a CRM): the affiliate as
    // `GET /v1/affiliates/{id}` shows it, with the application.
    let view = super::affiliates::json_in(tx, &id).await?;
    crate::webhooks::enqueue(tx, program, "affiliate.applied", &view).await?;
    let notice = crate::team_mail::AppliedNotice {
        affiliate: id.clone(),
        name: a.name.clone(),
        email: a.email.clone(),
        status: status.to_owned(),
        website: a.website.clone(),
        message: a.message.clone(),
    };
    crate::team_mail::affiliate_applied(tx, state, &notice).await?;
    if status == "approved" {
        crate::affiliate_mail::affiliate_approved(tx, state, program, &id).await?;
    } else {
        crate::affiliate_mail::application_received(tx, state, &id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::valid_message;

    #[test]
    fn messages_keep_line_breaks_and_refuse_other_controls() {
        assert!(valid_message("one\r\ntwo\nthree"));
        assert!(valid_message(&"a".repeat(2000)));
        assert!(!valid_message(&"a".repeat(2001)));
        for bad in ["bell\u{7}", "tab\there", "nul\0", "esc\u{1b}[31m"] {
            assert!(!valid_message(bad), "{bad:?}");
        }
    }
}
