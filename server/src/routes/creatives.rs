//! Creatives: the text links and image banners a merchant gives affiliates to post.
//! `GET/POST /v1/creatives`, `PATCH/DELETE /v1/creatives/{id}` (merchant) and
//! `GET /v1/me/creatives` (an affiliate: the active ones). The affiliate's own link goes on each
//! in the portal, which knows the shop's address and the affiliate's parameter.

use super::affiliates::double_option;
use super::valid_text;
use crate::activity::{self, CREATIVE_FIELDS};
use crate::auth::{AffiliateCaller, Merchant};
use crate::error::{AppError, AppJson, AppQuery};
use crate::ids::new_id;
use crate::times;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;

/// The longest name, in bytes.
const MAX_NAME_LEN: usize = 120;
/// The longest link or alt text, in bytes.
const MAX_TEXT_LEN: usize = 500;
/// The longest image or landing address, in bytes.
const MAX_URL_LEN: usize = 2000;

/// A creative, as the merchant sees it.
#[derive(Serialize, ToSchema)]
pub struct Creative {
    /// Id.
    pub id: String,
    /// What the merchant calls it (affiliates see it too).
    pub name: String,
    /// `link` (a text link) or `image` (a banner).
    pub kind: String,
    /// The link's text, or the image's alt text.
    pub text: String,
    /// The banner's image (http or https); `null` for a text link.
    pub image_url: Option<String>,
    /// The shop page it links to; `null` for the shop's home page.
    pub landing_url: Option<String>,
    /// `active` (affiliates see it) or `archived`.
    pub status: String,
    /// Created.
    pub created_at: String,
    /// Last changed.
    pub updated_at: String,
}

/// A creative, as an affiliate sees it.
#[derive(Serialize, ToSchema)]
pub struct MyCreative {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `link` or `image`.
    pub kind: String,
    /// The link's text, or the image's alt text.
    pub text: String,
    /// The banner's image; `null` for a text link.
    pub image_url: Option<String>,
    /// The shop page it links to; `null` for the shop's home page.
    pub landing_url: Option<String>,
    /// Last changed.
    pub updated_at: String,
}

/// Creatives, newest first.
#[derive(Serialize, ToSchema)]
pub struct Creatives {
    /// Newest first.
    pub creatives: Vec<Creative>,
}

/// The active creatives, newest first.
#[derive(Serialize, ToSchema)]
pub struct MyCreatives {
    /// Newest first.
    pub creatives: Vec<MyCreative>,
}

/// The body of `POST /v1/creatives`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCreative {
    /// 1 to 120 bytes, one line.
    pub name: String,
    /// `link` or `image`.
    pub kind: String,
    /// 1 to 500 bytes, one line: the link's text or the image's alt text.
    pub text: String,
    /// Required for an image, absent for a link: an http(s) address of at most 2,000 bytes.
    pub image_url: Option<String>,
    /// The shop page to link to (http or https); absent for the home page.
    pub landing_url: Option<String>,
    /// `active` (default) or `archived`.
    pub status: Option<String>,
}

/// The body of `PATCH /v1/creatives/{id}`: only the fields given change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreativeChange {
    /// Name.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    /// `link` or `image`; a banner needs an `image_url`, a text link has none.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<Option<String>>,
    /// Text.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub text: Option<Option<String>>,
    /// Image; `null` removes it.
    #[serde(default, with = "double_option")]
    pub image_url: Option<Option<String>>,
    /// Landing page; `null` goes back to the home page.
    #[serde(default, with = "double_option")]
    pub landing_url: Option<Option<String>>,
    /// `active` or `archived`.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub status: Option<Option<String>>,
}

/// A page of creatives.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct CreativesQuery {
    /// Only `active` or only `archived` ones; all when absent.
    pub status: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// A page of the affiliate's creatives.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct MyCreativesQuery {
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// The fields of a creative, checked together: what `POST` makes and what a `PATCH` leaves.
#[derive(Clone, Debug, PartialEq)]
struct Fields {
    name: String,
    kind: String,
    text: String,
    image_url: Option<String>,
    landing_url: Option<String>,
    status: String,
}

impl Fields {
    /// The fields trimmed, or the first rule they break (in the order the contract names them).
    fn checked(mut self) -> Result<Fields, AppError> {
        // Spaces only: any other white space left at either end is a control character or
        // deliberate, and both backends must store the same text.
        self.name = self.name.trim_matches(' ').to_owned();
        self.text = self.text.trim_matches(' ').to_owned();
        if !valid_text(&self.name, MAX_NAME_LEN) {
            return Err(AppError::bad(
                "invalid_name",
                "name must be one line of 1 to 120 bytes",
            ));
        }
        if !matches!(self.kind.as_str(), "link" | "image") {
            return Err(AppError::bad("invalid_kind", "kind must be link or image"));
        }
        if !valid_text(&self.text, MAX_TEXT_LEN) {
            return Err(AppError::bad(
                "invalid_text",
                "text (the link's text, or the image's alt text) must be one line of 1 to 500 bytes",
            ));
        }
        match (self.kind.as_str(), &self.image_url) {
            ("image", Some(u)) if valid_url(u) => {}
            ("image", _) => {
                return Err(AppError::bad(
                    "invalid_image_url",
                    "an image needs image_url: an http(s) address of at most 2000 bytes, without spaces, quotes or a user name",
                ))
            }
            (_, Some(_)) => {
                return Err(AppError::bad(
                    "invalid_image_url",
                    "a text link has no image_url (make it an image, or leave image_url out)",
                ))
            }
            _ => {}
        }
        if self.landing_url.as_deref().is_some_and(|u| !valid_url(u)) {
            return Err(AppError::bad(
                "invalid_landing_url",
                "landing_url must be an http(s) address of the shop of at most 2000 bytes, without spaces, quotes or a user name",
            ));
        }
        if !matches!(self.status.as_str(), "active" | "archived") {
            return Err(AppError::bad(
                "invalid_status",
                "status must be active or archived",
            ));
        }
        Ok(self)
    }

    /// These fields with `change` applied; an explicit `null` where a value is needed takes
    /// the value `""`, which the checks then refuse under that field's code.
    fn changed(&self, change: CreativeChange) -> Fields {
        let required = |new: Option<Option<String>>, old: &String| match new {
            Some(v) => v.unwrap_or_default(),
            None => old.clone(),
        };
        Fields {
            name: required(change.name, &self.name),
            kind: required(change.kind, &self.kind),
            text: required(change.text, &self.text),
            image_url: change.image_url.unwrap_or_else(|| self.image_url.clone()),
            landing_url: change
                .landing_url
                .unwrap_or_else(|| self.landing_url.clone()),
            status: required(change.status, &self.status),
        }
    }
}

/// Whether `s` is an address a page can link to or show as an image: an absolute http(s) URL
/// with a host and no credentials, at most 2,000 bytes, written without spaces, controls or the
/// characters that end an HTML attribute or tag (it goes into `href` and `src` as given).
pub(crate) fn valid_url(s: &str) -> bool {
    let plain = s
        .bytes()
        .all(|b| b > b' ' && b != 0x7f && !b"\"'<>\\`".contains(&b));
    // The authority right after `//`: browsers read `https:///x` as the host `x`, which is
    // surely not what was meant.
    let authority = match s.find("://") {
        Some(i) if s[..i].eq_ignore_ascii_case("https") || s[..i].eq_ignore_ascii_case("http") => {
            !s[i + 3..].starts_with('/')
        }
        _ => false,
    };
    if s.len() > MAX_URL_LEN || !plain || !authority {
        return false;
    }
    url::Url::parse(s).is_ok_and(|u| {
        u.host_str().is_some_and(|h| !h.is_empty())
            && u.username().is_empty()
            && u.password().is_none()
    })
}

/// The columns [`from_row`] reads, in its order (a macro: sqlx takes only literal SQL).
macro_rules! columns {
    () => {
        "id, name, kind, text, image_url, landing_url, status, created_at, updated_at"
    };
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Creative, sqlx::Error> {
    Ok(Creative {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        kind: r.try_get(2)?,
        text: r.try_get(3)?,
        image_url: r.try_get(4)?,
        landing_url: r.try_get(5)?,
        status: r.try_get(6)?,
        created_at: times::format(r.try_get(7)?),
        updated_at: times::format(r.try_get(8)?),
    })
}

/// One page of creatives, newest first; only those of `status` when given.
async fn page_of(
    state: &AppState,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Creative>, AppError> {
    let rows = match status {
        Some(s) => {
            sqlx::query(concat!(
                "SELECT ",
                columns!(),
                " FROM creatives WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
            ))
            .bind(s)
            .bind(limit)
            .bind(offset)
            .fetch_all(&state.db.pool)
            .await?
        }
        None => {
            sqlx::query(concat!(
                "SELECT ",
                columns!(),
                " FROM creatives ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
            ))
            .bind(limit)
            .bind(offset)
            .fetch_all(&state.db.pool)
            .await?
        }
    };
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

async fn load(tx: &mut crate::db::Tx, id: &str) -> Result<Creative, AppError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM creatives WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| AppError::not_found("creative_not_found", "no creative has this id"))?;
    Ok(from_row(&row)?)
}

/// Lists the creatives.
#[utoipa::path(get, path = "/v1/creatives", tag = "merchant", params(CreativesQuery), security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Creatives), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn creatives_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<CreativesQuery>,
) -> Result<Json<Creatives>, AppError> {
    if q.status
        .as_deref()
        .is_some_and(|s| !matches!(s, "active" | "archived"))
    {
        return Err(AppError::bad(
            "invalid_status",
            "status must be active or archived",
        ));
    }
    let (limit, offset) = super::page(q.limit, q.offset)?;
    let creatives = page_of(&state, q.status.as_deref(), limit, offset).await?;
    Ok(Json(Creatives { creatives }))
}

/// Adds a creative.
#[utoipa::path(post, path = "/v1/creatives", tag = "merchant", request_body = NewCreative, security(("secret_key" = []), ("session" = [])),
    responses((status = 201, body = Creative), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn creatives_create(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    AppJson(b): AppJson<NewCreative>,
) -> Result<Response, AppError> {
    let f = Fields {
        name: b.name,
        kind: b.kind,
        text: b.text,
        image_url: b.image_url,
        landing_url: b.landing_url,
        status: b.status.unwrap_or_else(|| "active".into()),
    }
    .checked()?;
    let id = new_id("cr");
    let now = times::now();
    let mut tx = state.db.begin_write().await?;
    sqlx::query(concat!(
        "INSERT INTO creatives (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
    ))
    .bind(&id)
    .bind(&f.name)
    .bind(&f.kind)
    .bind(&f.text)
    .bind(&f.image_url)
    .bind(&f.landing_url)
    .bind(&f.status)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let made = load(&mut tx, &id).await?;
    let details = json!({"name": made.name, "kind": made.kind});
    activity::record(&mut tx, &via.by(), "creative.created", &id, None, details).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

/// Changes a creative.
#[utoipa::path(patch, path = "/v1/creatives/{id}", tag = "merchant", params(("id" = String, Path)), request_body = CreativeChange,
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Creative), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn creatives_update(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
    AppJson(change): AppJson<CreativeChange>,
) -> Result<Json<Creative>, AppError> {
    let mut tx = state.db.begin_write().await?;
    let c = load(&mut tx, &id).await?;
    let old = serde_json::to_value(&c)?;
    let before = Fields {
        name: c.name,
        kind: c.kind,
        text: c.text,
        image_url: c.image_url,
        landing_url: c.landing_url,
        status: c.status,
    };
    let after = before.changed(change).checked()?;
    if after != before {
        sqlx::query(
            "UPDATE creatives SET name = $1, kind = $2, text = $3, image_url = $4, landing_url = $5, \
             status = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&after.name)
        .bind(&after.kind)
        .bind(&after.text)
        .bind(&after.image_url)
        .bind(&after.landing_url)
        .bind(&after.status)
        .bind(times::now())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    }
    let changed = load(&mut tx, &id).await?;
    let list = activity::changes(&CREATIVE_FIELDS, &old, &serde_json::to_value(&changed)?);
    if !list.is_empty() {
        let details = json!({ "changes": list });
        activity::record(&mut tx, &via.by(), "creative.updated", &id, None, details).await?;
    }
    tx.commit().await?;
    Ok(Json(changed))
}

/// Deletes a creative (affiliates who pasted it keep their copy; its links still credit them).
#[utoipa::path(delete, path = "/v1/creatives/{id}", tag = "merchant", params(("id" = String, Path)), security(("secret_key" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn creatives_delete(
    State(state): State<AppState>,
    Merchant(via): Merchant,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let mut tx = state.db.begin_write().await?;
    let gone = load(&mut tx, &id).await?;
    sqlx::query("DELETE FROM creatives WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let details = json!({"name": gone.name, "kind": gone.kind});
    activity::record(&mut tx, &via.by(), "creative.deleted", &id, None, details).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The active creatives, for the calling affiliate to post with their link.
#[utoipa::path(get, path = "/v1/me/creatives", tag = "affiliate", params(MyCreativesQuery), security(("affiliate_token" = [])),
    responses((status = 200, body = MyCreatives), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_creatives(
    State(state): State<AppState>,
    _a: AffiliateCaller,
    AppQuery(q): AppQuery<MyCreativesQuery>,
) -> Result<Json<MyCreatives>, AppError> {
    let (limit, offset) = super::page(q.limit, q.offset)?;
    let creatives = page_of(&state, Some("active"), limit, offset)
        .await?
        .into_iter()
        .map(|c| MyCreative {
            id: c.id,
            name: c.name,
            kind: c.kind,
            text: c.text,
            image_url: c.image_url,
            landing_url: c.landing_url,
            updated_at: c.updated_at,
        })
        .collect();
    Ok(Json(MyCreatives { creatives }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_a_page_can_link_to() {
        let long = format!("https://cdn.shop.test/{}", "a".repeat(2000));
        for (url, ok) in [
            ("https://www.shop.test/", true),
            ("http://127.0.0.1:8000/store/?ref=x#top", true),
            ("HTTPS://CDN.SHOP.TEST/A.PNG", true),
            ("https://xn--gy-7ka.vn/gi%C3%A0y", true),
            ("https://giày.vn/sản-phẩm", true),
            ("https://www.shop.test:8443/sale/?season=spring&x=1", true),
            ("", false),
            ("https://", false),
            ("https:///path", false),
            ("https://user:pw@www.shop.test/", false),
            ("https://user@www.shop.test/", false),
            ("javascript:alert(1)", false),
            ("data:image/png;base64,AAAA", false),
            ("ftp://cdn.shop.test/a.png", false),
            ("//cdn.shop.test/a.png", false),
            ("/banners/a.png", false),
            ("www.shop.test", false),
            ("https://cdn.shop.test/a b.png", false),
            ("https://cdn.shop.test/a\tb.png", false),
            ("https://cdn.shop.test/a.png\"onerror=\"x", false),
            ("https://cdn.shop.test/a.png'x", false),
            ("https://cdn.shop.test/<script>", false),
            ("https://cdn.shop.test/a\\b", false),
            ("https://cdn.shop.test/a`b", false),
            ("https://cdn.shop.test/\u{7f}", false),
            (long.as_str(), false),
        ] {
            assert_eq!(valid_url(url), ok, "{url:?}");
        }
    }

    fn fields() -> Fields {
        Fields {
            name: "Banner".into(),
            kind: "image".into(),
            text: "Alt".into(),
            image_url: Some("https://cdn.shop.test/a.png".into()),
            landing_url: None,
            status: "active".into(),
        }
    }

    fn code(f: Fields) -> String {
        match f.checked() {
            Ok(_) => "ok".into(),
            Err(e) => e.parts().1.to_owned(),
        }
    }

    #[test]
    fn each_rule_has_its_code_and_the_first_broken_one_is_named() {
        let with = |edit: fn(&mut Fields)| {
            let mut f = fields();
            edit(&mut f);
            code(f)
        };
        assert_eq!(code(fields()), "ok");
        assert_eq!(with(|f| f.name = "  ".into()), "invalid_name");
        assert_eq!(with(|f| f.name = "a\u{85}b".into()), "invalid_name");
        assert_eq!(with(|f| f.name = "x".repeat(121)), "invalid_name");
        assert_eq!(with(|f| f.name = "ẞ".repeat(40)), "ok");
        assert_eq!(with(|f| f.kind = "Image".into()), "invalid_kind");
        assert_eq!(with(|f| f.text = "a\r\nb".into()), "invalid_text");
        assert_eq!(with(|f| f.image_url = None), "invalid_image_url");
        assert_eq!(
            with(|f| {
                f.kind = "link".into();
            }),
            "invalid_image_url"
        );
        assert_eq!(
            with(|f| {
                f.kind = "link".into();
                f.image_url = None;
            }),
            "ok"
        );
        assert_eq!(
            with(|f| f.landing_url = Some("shop.test".into())),
            "invalid_landing_url"
        );
        assert_eq!(with(|f| f.status = "draft".into()), "invalid_status");
        // Several broken: the first in the contract's order.
        assert_eq!(
            with(|f| {
                f.name = String::new();
                f.status = "x".into();
            }),
            "invalid_name"
        );
    }

    #[test]
    fn names_and_texts_are_kept_trimmed() {
        let mut f = fields();
        f.name = "  Tết banner ".into();
        f.text = "\u{3000}Giảm 20%  ".into();
        let f = f.checked().expect("valid");
        assert_eq!(f.name, "Tết banner");
        assert_eq!(f.text, "\u{3000}Giảm 20%", "spaces only");
        let mut tab = fields();
        tab.name = "\tBanner".into();
        assert_eq!(code(tab), "invalid_name");
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name_and_null_empties() {
        let c: CreativeChange =
            serde_json::from_str(r#"{"landing_url": "https://www.shop.test/x", "kind": null}"#)
                .expect("change");
        let after = fields().changed(c);
        assert_eq!(
            after.landing_url.as_deref(),
            Some("https://www.shop.test/x")
        );
        assert_eq!(after.kind, "");
        assert_eq!(after.name, "Banner");
        assert_eq!(after.image_url, fields().image_url);
        let c: CreativeChange = serde_json::from_str(r#"{"image_url": null}"#).expect("change");
        assert_eq!(fields().changed(c).image_url, None);
        assert!(serde_json::from_str::<CreativeChange>(r#"{"id": "cr_x"}"#).is_err());
    }
}
