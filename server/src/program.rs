//! The program's settings: what the merchant configures with `GET/PUT /v1/program`.
//!
//! Stored as one JSON document in `settings` under `program`; every field has a default, so an
//! empty store is a working program.

use crate::db::Db;
use crate::error::AppError;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// The longest allowed-origins list.
pub const MAX_ORIGINS: usize = 50;
/// The largest recruiter rate: half of the recruit's commission.
pub const MAX_RECRUITER_RATE_BPS: i64 = 5_000;
/// The most webhook endpoints.
pub const MAX_WEBHOOKS: usize = 10;

/// The program settings.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Program {
    /// The program's name, shown to affiliates.
    pub name: String,
    /// Query parameter names that carry an affiliate id (the browser's `data-params`).
    pub params: Vec<String>,
    /// Attribution window, days: a click or touch older than this credits nobody.
    pub window_days: i64,
    /// `last` or `first` click: who is credited with a sale's commission.
    pub model: String,
    /// The multi-touch model that reports and credit-split views use over the touch trail
    /// (the serde form of `reftrail::models::MultiTouch`): `{"kind": "first" | "last" |
    /// "linear" | "position_based"}` or `{"kind": "time_decay", "half_life_days": 1..=365}`.
    /// It does not change who is credited with the commission (`model` does).
    pub multi_touch: MultiTouchSetting,
    /// Cross-device attribution: a sale or lead that no coupon, click or browser touch credits
    /// goes to the affiliate whose visit brought the same customer (same email hash or the
    /// shop's customer id) in a verified conversion credited through that visit inside the
    /// window (`attributed_by: "customer"`). Off by default.
    pub match_customers: bool,
    /// Days a click keeps the visitor's details (the address hash, the user agent and the
    /// referring page) before they are removed; the click itself stays. 1 to 3650; null keeps
    /// them. Default 90: the fraud checks that use them look back an hour.
    pub click_details_days: Option<i64>,
    /// Hold period (the refund window), days: a referral is approved automatically after it.
    pub hold_days: i64,
    /// Whether referrals that are verified and unflagged are approved when the hold ends.
    pub auto_approve: bool,
    /// Browser origins allowed to post clicks, leads and sales (`https://shop.example`).
    /// Empty: no browser origin is allowed; requests without an `Origin` header still are.
    pub allowed_origins: Vec<String>,
    /// Commission rules: `reftrail::commission::Rules` (`sale`, `lead`, `include_shipping`,
    /// `include_tax`, `affiliates`, `categories`, `products`, `recurring`, `caps`).
    #[schema(value_type = Object)]
    pub commission: reftrail::commission::Rules,
    /// Fraud thresholds.
    pub fraud: Fraud,
    /// What makes an affiliate active in a period for the active-affiliate rate: `click`,
    /// `lead` or `sale`.
    pub active_by: String,
    /// Store revenue per day before the program began, minor units, for incremental revenue;
    /// `None`: the same-length period before the program's first order is the baseline.
    pub baseline_daily_revenue: Option<i64>,
    /// Default currency for reports.
    pub currency: String,
    /// The language of the dashboard, the affiliate portal and the store: `en`, `vi` or `th`
    /// (a person's own pick still wins in their browser). Left out or null on `PUT`: from the
    /// currency (VND: `vi`, THB: `th`, otherwise `en`). Always set in answers.
    pub locale: Option<String>,
    /// Smallest payout per affiliate in the program's `currency`, minor units (the settings
    /// show it in that currency). A balance in another currency is paid from its first minor
    /// unit: a number of dong says nothing about dollars.
    pub min_payout: i64,
    /// The share of each commission a recruit earns that their recruiter earns on top, in basis
    /// points (0 to 5,000; 0: no recruiter commissions).
    pub recruiter_rate_bps: i64,
    /// Tax withheld from payout lines, one rule per currency (`reftrail::withholding::Rule`):
    /// `{"currency": "VND", "rate_bps": 1000, "threshold": 2000000}` keeps 10 % of each line of
    /// 2,000,000 VND or more (Vietnam's personal income tax on such payments). Affiliates marked
    /// `withholding_exempt` are paid in full. Empty: nothing is withheld.
    #[schema(value_type = Vec<Object>)]
    pub withholding: Vec<reftrail::withholding::Rule>,
    /// The shop as withholding tax certificates name the payer; `null` until set.
    pub payer: Option<Payer>,
    /// What affiliates are emailed about (when the server has SMTP settings):
    /// `referral.created` (a referral that earned a commission), `payout.created`,
    /// `affiliate.approved` (their application, status `pending`, was approved), `bonus.created`
    /// (the merchant gave them a bonus).
    pub affiliate_emails: Vec<String>,
    /// How the public application form (`POST /v1/portal/applications`) takes applications:
    /// `closed` (no form), `review` (a `pending` affiliate the merchant approves or declines) or
    /// `auto` (approved at once).
    pub applications: String,
    /// The program's terms for affiliates (an http(s) URL); applicants must accept them.
    pub terms_url: Option<String>,
    /// The shop's logo (an http(s) URL of an image), shown in the affiliate portal's header.
    pub logo_url: Option<String>,
    /// The shop's colour (`#rrggbb`) for the portal's buttons and links: dark enough for
    /// white text on it and to read on white (a contrast of at least 3:1).
    pub accent_color: Option<String>,
    /// Webhook endpoints.
    pub webhooks: Vec<Webhook>,
    /// The secret that signs webhook deliveries (read-only: ignored on `PUT`; empty for a
    /// team member who is not an owner).
    pub webhook_secret: String,
}

/// The shop as the payer on withholding tax certificates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payer {
    /// The registered name: 1 to 200 bytes.
    pub name: String,
    /// The tax id: 1 to 20 letters, digits or `-` (Thailand: 13 digits).
    pub tax_id: String,
    /// The registered address: one line of 1 to 600 bytes.
    pub address: String,
}

/// Fraud thresholds.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Fraud {
    /// Clicks from one IP address within an hour above which its clicks are suspect.
    pub clicks_per_ip_per_hour: i64,
    /// Lowest expected conversion rate (sales per click), per mille.
    pub conversion_rate_min_permille: i64,
    /// Highest expected conversion rate (sales per click), per mille.
    pub conversion_rate_max_permille: i64,
    /// Clicks an affiliate needs in the last 30 days before the band is applied.
    pub conversion_rate_min_clicks: i64,
    /// Applications one client address may make in an hour (1 to 100,000).
    pub applications_per_ip_per_hour: i64,
    /// Whether a conversion whose click came from a paid ad (a Google, Microsoft, TikTok, X,
    /// LinkedIn, Pinterest or Reddit ad click id on the landing address) is flagged `paid_ads`:
    /// for programs whose terms forbid bidding on the shop's name. Default off.
    pub flag_paid_ads: bool,
}

/// The multi-touch model of the program (the serde form of `reftrail::models::MultiTouch`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MultiTouchSetting {
    /// `first`, `last`, `linear`, `time_decay` or `position_based`.
    pub kind: String,
    /// `time_decay` only (and required there): credit halves every this many days, 1 to 365.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_days: Option<i64>,
}

/// The multi-touch model names.
pub const MULTI_TOUCH_KINDS: [&str; 5] =
    ["first", "last", "linear", "time_decay", "position_based"];

/// The UI languages.
pub const LOCALES: [&str; 3] = ["en", "vi", "th"];

/// How a program may take applications (`applications`).
pub const APPLICATIONS: [&str; 3] = ["closed", "review", "auto"];

/// A web page's address as a setting or an applicant gives it: `http://` or `https://` and
/// something after it, at most 500 bytes, no whitespace or control characters.
pub fn is_page_url(u: &str) -> bool {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty())
        && u.len() <= 500
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The WCAG contrast ratio of the colour `#rrggbb` against white (1 to 21); `None` when `hex`
/// is not such a colour. Colours are not money: floating point is what the formula takes.
pub fn contrast_with_white(hex: &str) -> Option<f64> {
    // `from_str_radix` would take a sign: the six digits are checked first.
    let digits = hex
        .strip_prefix('#')
        .filter(|d| d.len() == 6 && d.bytes().all(|b| b.is_ascii_hexdigit()))?;
    let channel = |i: usize| -> Option<f64> {
        let v = f64::from(u8::from_str_radix(digits.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        })
    };
    let luminance = 0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?;
    Some(1.05 / (luminance + 0.05))
}

/// The language a program in `currency` speaks when it names none.
pub fn locale_of_currency(currency: &str) -> &'static str {
    match currency {
        "VND" => "vi",
        "THB" => "th",
        _ => "en",
    }
}

impl Default for MultiTouchSetting {
    fn default() -> Self {
        MultiTouchSetting {
            kind: "last".into(),
            half_life_days: None,
        }
    }
}

impl MultiTouchSetting {
    /// The core's model, when the setting is valid.
    pub fn model(&self) -> Option<reftrail::models::MultiTouch> {
        use reftrail::models::MultiTouch;
        Some(match (self.kind.as_str(), self.half_life_days) {
            ("first", None) => MultiTouch::First,
            ("last", None) => MultiTouch::Last,
            ("linear", None) => MultiTouch::Linear,
            ("position_based", None) => MultiTouch::PositionBased,
            ("time_decay", Some(d)) if (1..=365).contains(&d) => MultiTouch::TimeDecay {
                half_life_days: u16::try_from(d).ok()?,
            },
            _ => return None,
        })
    }
}

/// A webhook endpoint.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Where to POST (http or https).
    pub url: String,
    /// Events to send; empty for all (`affiliate.applied`, `referral.created`,
    /// `referral.approved`, `referral.reversed`, `recruiter_commission.created`,
    /// `payout.created`, `bonus.created`, `bonus.cancelled`).
    #[serde(default)]
    pub events: Vec<String>,
}

/// Whether `url` may be a webhook endpoint: an `http://` or `https://` URL with a host, at most
/// 2,048 bytes, without spaces or control characters.
pub fn webhook_url_ok(url: &str) -> bool {
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    scheme_ok
        && text_ok(url, 2048)
        && !url.contains(char::is_whitespace)
        && url::Url::parse(url).is_ok_and(|u| u.host().is_some())
}

/// The webhook events.
pub const WEBHOOK_EVENTS: [&str; 8] = [
    "affiliate.applied",
    "referral.created",
    "referral.approved",
    "referral.reversed",
    "recruiter_commission.created",
    "payout.created",
    "bonus.created",
    "bonus.cancelled",
];

impl Default for Program {
    fn default() -> Self {
        Program {
            name: "Affiliate program".into(),
            params: vec!["ref".into(), "aff".into(), "via".into(), "affiliate".into()],
            window_days: 30,
            model: "last".into(),
            multi_touch: MultiTouchSetting::default(),
            match_customers: false,
            click_details_days: Some(90),
            hold_days: 30,
            auto_approve: true,
            allowed_origins: Vec::new(),
            commission: reftrail::commission::Rules {
                sale: Some(reftrail::commission::Rate::Percent { rate_bps: 1000 }),
                ..Default::default()
            },
            fraud: Fraud::default(),
            active_by: "click".into(),
            baseline_daily_revenue: None,
            currency: "USD".into(),
            locale: None,
            min_payout: 0,
            recruiter_rate_bps: 0,
            withholding: Vec::new(),
            payer: None,
            affiliate_emails: crate::affiliate_mail::EVENTS
                .iter()
                .map(|e| (*e).to_owned())
                .collect(),
            applications: "closed".into(),
            terms_url: None,
            logo_url: None,
            accent_color: None,
            webhooks: Vec::new(),
            webhook_secret: String::new(),
        }
    }
}

impl Default for Fraud {
    fn default() -> Self {
        Fraud {
            clicks_per_ip_per_hour: 120,
            conversion_rate_min_permille: 0,
            conversion_rate_max_permille: 300,
            conversion_rate_min_clicks: 50,
            applications_per_ip_per_hour: 10,
            flag_paid_ads: false,
        }
    }
}

fn text_ok(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && !s.chars().any(char::is_control)
}

/// Whether `s` is a web origin: `http(s)://host[:port]`, no path, lower-case.
pub fn is_origin(s: &str) -> bool {
    let rest = match s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    {
        Some(r) => r,
        None => return false,
    };
    !rest.is_empty()
        && rest.len() <= 253
        && rest.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
        })
}

impl Program {
    /// The smallest payout of a balance in `currency`, minor units: `min_payout` in the
    /// program's own currency, else any positive balance.
    pub fn min_payout_in(&self, currency: &str) -> i64 {
        if currency == self.currency {
            self.min_payout.max(1)
        } else {
            1
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), AppError> {
        let bad = |code: &'static str, msg: &'static str| Err(AppError::bad(code, msg));
        if !text_ok(&self.name, 200) {
            return bad(
                "invalid_name",
                "name must be 1 to 200 characters without control characters",
            );
        }
        if self.params.is_empty()
            || self.params.len() > 10
            || !self
                .params
                .iter()
                .all(|p| reftrail::affiliate::is_valid(p) && p.len() <= 32)
        {
            return bad(
                "invalid_params",
                "params must be 1 to 10 names of letters, digits, '-', '_', '.'",
            );
        }
        if !(1..=3650).contains(&self.window_days) {
            return bad("invalid_window_days", "window_days must be 1 to 3650");
        }
        if self.model != "last" && self.model != "first" {
            return bad("invalid_model", "model must be 'last' or 'first'");
        }
        if !MULTI_TOUCH_KINDS.contains(&self.multi_touch.kind.as_str()) {
            return bad(
                "invalid_multi_touch",
                "multi_touch.kind must be first, last, linear, time_decay or position_based",
            );
        }
        if self.multi_touch.model().is_none() {
            return bad(
                "invalid_multi_touch",
                "multi_touch.half_life_days is required for time_decay (1 to 365 days) and not allowed for other kinds",
            );
        }
        if !(0..=3650).contains(&self.hold_days) {
            return bad("invalid_hold_days", "hold_days must be 0 to 3650");
        }
        if self
            .click_details_days
            .is_some_and(|d| !(1..=3650).contains(&d))
        {
            return bad(
                "invalid_click_details_days",
                "click_details_days must be 1 to 3650, or null to keep click details",
            );
        }
        if self.allowed_origins.len() > MAX_ORIGINS
            || !self.allowed_origins.iter().all(|o| is_origin(o))
        {
            return bad(
                "invalid_allowed_origins",
                "allowed_origins must be at most 50 lower-case origins like https://shop.example (no path)",
            );
        }
        if let Err(e) = self.commission.validate() {
            return Err(AppError::bad(
                "invalid_commission",
                format!("commission rules: {e}"),
            ));
        }
        let categories = &crate::routes::affiliates::CATEGORIES;
        if let Some(c) = self
            .commission
            .affiliate_categories
            .keys()
            .find(|c| !categories.contains(&c.as_str()))
        {
            return Err(AppError::bad(
                "invalid_commission",
                format!(
                    "commission rules: affiliate_categories has {c}, not one of {}",
                    categories.join(", ")
                ),
            ));
        }
        let f = &self.fraud;
        if f.clicks_per_ip_per_hour < 1
            || !(0..=1000).contains(&f.conversion_rate_min_permille)
            || !(f.conversion_rate_min_permille..=1000).contains(&f.conversion_rate_max_permille)
            || f.conversion_rate_min_clicks < 0
            || !(1..=100_000).contains(&f.applications_per_ip_per_hour)
        {
            return bad("invalid_fraud", "fraud thresholds are out of range");
        }
        if self.affiliate_emails.len() > crate::affiliate_mail::EVENTS.len()
            || !self.affiliate_emails.iter().enumerate().all(|(i, e)| {
                crate::affiliate_mail::EVENTS.contains(&e.as_str())
                    && !self.affiliate_emails[..i].contains(e)
            })
        {
            return bad(
                "invalid_affiliate_emails",
                "affiliate_emails lists each of referral.created, payout.created, affiliate.approved and bonus.created at most once",
            );
        }
        if self.withholding.len() > 20 {
            return bad("invalid_withholding", "withholding: at most 20 rules");
        }
        if let Err(e) = reftrail::withholding::validate(&self.withholding) {
            return bad("invalid_withholding", e.message());
        }
        if self
            .withholding
            .iter()
            .any(|r| r.threshold > reftrail::report::MAX_AMOUNT)
        {
            return bad("invalid_withholding", "withholding: threshold is too large");
        }
        if let Some(p) = &self.payer {
            if !text_ok(&p.name, 200)
                || !reftrail::withholding::valid_tax_id(&p.tax_id)
                || !text_ok(&p.address, crate::routes::affiliates::MAX_ADDRESS_LEN)
            {
                return bad(
                    "invalid_payer",
                    "payer: name (1 to 200 bytes), tax_id (1 to 20 letters, digits or '-') and address (one line of 1 to 600 bytes)",
                );
            }
        }
        if !matches!(self.active_by.as_str(), "click" | "lead" | "sale") {
            return bad(
                "invalid_active_by",
                "active_by must be 'click', 'lead' or 'sale'",
            );
        }
        if self
            .baseline_daily_revenue
            .is_some_and(|b| !(0..=reftrail::report::MAX_AMOUNT).contains(&b))
        {
            return bad(
                "invalid_baseline",
                "baseline_daily_revenue must be a non-negative integer",
            );
        }
        if !reftrail::report::valid_currency(&self.currency) {
            return bad(
                "invalid_currency",
                "currency must be an ISO 4217 code like USD",
            );
        }
        if self
            .locale
            .as_deref()
            .is_some_and(|l| !LOCALES.contains(&l))
        {
            return bad("invalid_locale", "locale must be 'en', 'vi' or 'th'");
        }
        if !(0..=reftrail::report::MAX_AMOUNT).contains(&self.min_payout) {
            return bad(
                "invalid_min_payout",
                "min_payout must be a non-negative integer",
            );
        }
        if !APPLICATIONS.contains(&self.applications.as_str()) {
            return bad(
                "invalid_applications",
                "applications must be 'closed', 'review' or 'auto'",
            );
        }
        if self.terms_url.as_deref().is_some_and(|u| !is_page_url(u)) {
            return bad(
                "invalid_terms_url",
                "terms_url must be an http(s) URL of at most 500 bytes without spaces, or null",
            );
        }
        if self.logo_url.as_deref().is_some_and(|u| !is_page_url(u)) {
            return bad(
                "invalid_logo_url",
                "logo_url must be an http(s) URL of at most 500 bytes without spaces, or null",
            );
        }
        if let Some(c) = &self.accent_color {
            match contrast_with_white(c) {
                None => {
                    return bad(
                        "invalid_accent_color",
                        "accent_color must be a colour as #rrggbb, or null",
                    )
                }
                Some(ratio) if ratio < 3.0 => {
                    return Err(AppError::bad(
                        "invalid_accent_color",
                        format!(
                            "accent_color {c} is too light for white text and to read on white \
                             (contrast {ratio:.1}:1; it needs 3:1): choose a darker shade"
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        if !(0..=MAX_RECRUITER_RATE_BPS).contains(&self.recruiter_rate_bps) {
            return bad(
                "invalid_recruiter_rate",
                "recruiter_rate_bps must be 0 to 5000 (50 % of the recruit's commission)",
            );
        }
        if self.webhooks.len() > MAX_WEBHOOKS {
            return bad("invalid_webhooks", "at most 10 webhooks");
        }
        for w in &self.webhooks {
            if !webhook_url_ok(&w.url) {
                return bad("invalid_webhooks", "a webhook url must be an http(s) URL");
            }
            if !w
                .events
                .iter()
                .all(|e| WEBHOOK_EVENTS.contains(&e.as_str()))
            {
                return bad("invalid_webhooks", "unknown webhook event");
            }
        }
        Ok(())
    }

    /// The program's UI language: its own, or the one of its currency.
    pub fn locale(&self) -> &str {
        self.locale
            .as_deref()
            .unwrap_or_else(|| locale_of_currency(&self.currency))
    }

    /// Sets `locale` to [`Program::locale`], so answers always name it.
    pub fn settle_locale(&mut self) {
        self.locale = Some(self.locale().to_owned());
    }

    /// Whether `origin` may call the browser routes.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
    }
}

/// Loads the program settings (defaults where nothing is stored).
pub async fn load(db: &Db) -> Result<Program, AppError> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'program'")
        .fetch_optional(&db.pool)
        .await?;
    parse(row.map(|r| r.try_get(0)).transpose()?)
}

/// The program settings as stored, read inside `tx` (the settings a change replaces).
pub async fn load_in(tx: &mut crate::db::Tx) -> Result<Program, AppError> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'program'")
        .fetch_optional(&mut **tx)
        .await?;
    parse(row.map(|r| r.try_get(0)).transpose()?)
}

/// The stored JSON of the settings (none: the defaults), with the locale settled.
fn parse(stored: Option<String>) -> Result<Program, AppError> {
    let mut p = match stored {
        Some(v) => serde_json::from_str(&v)?,
        None => Program::default(),
    };
    p.settle_locale();
    Ok(p)
}

/// One setting a change of the program changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SettingChange {
    /// The setting's name (`hold_days`, `commission`, …).
    pub setting: String,
    /// Its value before, as `GET /v1/program` showed it.
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    /// Its value after.
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

/// The settings that differ between `before` and `after`, by name; never the webhook secret.
pub fn changed_settings(before: &Program, after: &Program) -> Vec<SettingChange> {
    let as_map = |p: &Program| match serde_json::to_value(p) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let (b, a) = (as_map(before), as_map(after));
    let mut names: Vec<&String> = b.keys().chain(a.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| name.as_str() != "webhook_secret")
        .filter_map(|name| {
            let (was, now) = (
                b.get(name).cloned().unwrap_or_default(),
                a.get(name).cloned().unwrap_or_default(),
            );
            (was != now).then(|| SettingChange {
                setting: name.clone(),
                before: was,
                after: now,
            })
        })
        .collect()
}

/// Stores the program settings inside `tx`.
pub async fn store(tx: &mut crate::db::Tx, program: &Program) -> Result<(), AppError> {
    let v = serde_json::to_string(program)?;
    let now = crate::times::now();
    sqlx::query(
        "INSERT INTO settings (name, value, updated_at) VALUES ('program', $1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(v)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_smallest_payout_is_in_the_programs_currency_only() {
        let mut p = Program {
            currency: "VND".into(),
            min_payout: 200_000,
            ..Program::default()
        };
        assert_eq!(p.min_payout_in("VND"), 200_000);
        assert_eq!(p.min_payout_in("USD"), 1);
        assert_eq!(p.min_payout_in("THB"), 1);
        p.min_payout = 0;
        assert_eq!(p.min_payout_in("VND"), 1, "a payout is never of nothing");
    }
    use super::*;

    #[test]
    fn a_change_lists_each_setting_that_differs_by_name_never_the_webhook_secret() {
        let before = Program::default();
        assert_eq!(changed_settings(&before, &before.clone()), Vec::new());
        let mut after = before.clone();
        after.name = "Shop".into();
        after.hold_days = 14;
        after.commission.sale = Some(reftrail::commission::Rate::Percent { rate_bps: 1500 });
        after.webhook_secret = "whsec_changed".into();
        let changes = changed_settings(&before, &after);
        let names: Vec<&str> = changes.iter().map(|c| c.setting.as_str()).collect();
        assert_eq!(names, ["commission", "hold_days", "name"]);
        assert_eq!(
            (&changes[1].before, &changes[1].after),
            (&serde_json::json!(30), &serde_json::json!(14))
        );
        // A nested setting is shown whole, before and after.
        assert_eq!(changes[0].after["sale"]["rate_bps"], 1500);
        assert_eq!(changes[0].before["sale"]["rate_bps"], 1000);
        assert_eq!(
            changes[0].after["include_shipping"],
            changes[0].before["include_shipping"]
        );
    }

    fn with(f: impl FnOnce(&mut Program)) -> Result<(), &'static str> {
        let mut p = Program::default();
        f(&mut p);
        p.validate().map_err(|e| match e {
            AppError::BadRequest(code, _) => code,
            _ => "other",
        })
    }

    #[test]
    fn multi_touch_is_the_core_model_in_its_serde_form() {
        for text in [
            r#"{"kind":"first"}"#,
            r#"{"kind":"last"}"#,
            r#"{"kind":"linear"}"#,
            r#"{"kind":"position_based"}"#,
            r#"{"kind":"time_decay","half_life_days":7}"#,
        ] {
            let setting: MultiTouchSetting = serde_json::from_str(text).unwrap();
            let core: reftrail::models::MultiTouch = serde_json::from_str(text).unwrap();
            assert_eq!(setting.model(), Some(core), "{text}");
            assert_eq!(serde_json::to_string(&setting).unwrap(), text);
        }
    }

    #[test]
    fn multi_touch_and_locale_are_validated() {
        assert_eq!(with(|_| ()), Ok(()));
        let mt = |kind: &str, half: Option<i64>| MultiTouchSetting {
            kind: kind.into(),
            half_life_days: half,
        };
        assert_eq!(
            with(|p| p.multi_touch = mt("time_decay", Some(365))),
            Ok(())
        );
        for (kind, half) in [
            ("position", None),
            ("", None),
            ("time_decay", None),
            ("time_decay", Some(0)),
            ("time_decay", Some(366)),
            ("linear", Some(7)),
        ] {
            assert_eq!(
                with(|p| p.multi_touch = mt(kind, half)),
                Err("invalid_multi_touch"),
                "{kind} {half:?}"
            );
        }
        for l in ["en", "vi", "th"] {
            assert_eq!(with(|p| p.locale = Some(l.into())), Ok(()));
        }
        for l in ["", "EN", "fr", "vi-VN"] {
            assert_eq!(with(|p| p.locale = Some(l.into())), Err("invalid_locale"));
        }
    }

    #[test]
    fn locale_follows_the_currency_when_unset() {
        let mut p = Program::default();
        assert_eq!(p.locale(), "en");
        p.currency = "VND".into();
        assert_eq!(p.locale(), "vi");
        p.currency = "THB".into();
        assert_eq!(p.locale(), "th");
        p.locale = Some("en".into());
        assert_eq!(p.locale(), "en");
        let stored: Program = serde_json::from_str(r#"{"currency":"VND"}"#).unwrap();
        assert_eq!(stored.locale(), "vi");
        assert_eq!(stored.multi_touch, MultiTouchSetting::default());
    }

    #[test]
    fn accent_colours_read_on_white() {
        let ratio = |c: &str| contrast_with_white(c).map(|r| (r * 10.0).round() / 10.0);
        assert_eq!(ratio("#ffffff"), Some(1.0));
        assert_eq!(ratio("#000000"), Some(21.0));
        assert_eq!(ratio("#767676"), Some(4.5), "WCAG's grey at 4.5:1");
        assert_eq!(ratio("#2F5BD3"), ratio("#2f5bd3"));
        for bad in [
            "2f5bd3",
            "#2f5bd",
            "#2f5bd3ff",
            "#gg0000",
            "",
            "#",
            "#+f5bd3",
        ] {
            assert_eq!(contrast_with_white(bad), None, "{bad}");
        }
        let mut p = Program::default();
        for (colour, ok) in [
            ("#2f5bd3", true),
            ("#ee4d2d", true),
            ("#ffd400", false),
            ("#00b14f", false),
            ("#007a3d", true),
        ] {
            p.accent_color = Some(colour.into());
            assert_eq!(p.validate().is_ok(), ok, "{colour}");
        }
        p.accent_color = None;
        p.logo_url = Some("javascript:alert(1)".into());
        assert!(p.validate().is_err());
        p.logo_url = Some("https://cdn.shop.example/logo.svg".into());
        assert!(p.validate().is_ok());
    }
}
