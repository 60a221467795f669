//! The bodies the browser sends to `POST /v1/clicks`, `/v1/leads` and `/v1/sales`.
//!
//! Shapes follow the HTTP contract (DESIGN.md, "The HTTP contract (v1)"). Sale and lead input
//! comes from a page's own code, so it is validated here first: a bad call gets a clear error
//! name in the browser console instead of a 400 later, and nothing malformed is queued.

use crate::consent::Consent;
use crate::json::Object;
use crate::state::Referral;
use crate::time::rfc3339;
use crate::touch::{Tag, Touch};
use alloc::string::String;
use alloc::vec::Vec;

/// The longest text field accepted (order ids, SKUs, categories, coupons, events, customer ids).
pub const MAX_TEXT_LEN: usize = 128;
/// The most items one sale may list.
pub const MAX_ITEMS: usize = 100;
/// The longest URL or referrer reported; longer ones are cut at a character boundary.
pub const MAX_URL_LEN: usize = 2048;
/// The largest amount accepted, in minor units: JavaScript numbers are exact up to 2^53.
pub const MAX_AMOUNT: i64 = (1 << 53) - 1;

/// Why a lead or sale call was refused before sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportError {
    /// `order_id` is missing, empty, too long or has control characters.
    OrderId,
    /// `amount` is not a whole number of minor units between 0 and 2^53 − 1.
    Amount,
    /// `currency` is not three upper-case ASCII letters.
    Currency,
    /// `coupon` is empty, too long or has control characters.
    Coupon,
    /// An item is malformed, or there are more than [`MAX_ITEMS`].
    Item,
    /// `event` is empty, too long or has control characters.
    Event,
    /// `customer_id` is empty, too long or has control characters.
    Customer,
}

impl ReportError {
    /// A stable, snake_case name for the error.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportError::OrderId => "invalid_order_id",
            ReportError::Amount => "invalid_amount",
            ReportError::Currency => "invalid_currency",
            ReportError::Coupon => "invalid_coupon",
            ReportError::Item => "invalid_items",
            ReportError::Event => "invalid_event",
            ReportError::Customer => "invalid_customer_id",
        }
    }
}

/// One line of a sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Product SKU or id.
    pub sku: String,
    /// Product category, for per-category commission rates.
    pub category: Option<String>,
    /// Unit price, minor units.
    pub amount: i64,
    /// Quantity, at least 1.
    pub quantity: i64,
}

/// A sale reported from the browser (`reftrail('conversion', {...})`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sale {
    /// The shop's order id: the idempotency key of the sale.
    pub order_id: String,
    /// Order total, minor units of `currency`.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The coupon code used, if any (credits its affiliate).
    pub coupon: Option<String>,
    /// Order lines.
    pub items: Vec<Item>,
    /// Shipping included in `amount`, minor units.
    pub shipping: Option<i64>,
    /// Tax included in `amount`, minor units.
    pub tax: Option<i64>,
    /// [`crate::email::hash`] of the customer's email.
    pub email_hash: Option<String>,
}

/// A lead reported from the browser (`reftrail('lead', {...})`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lead {
    /// What happened (`signup` by default).
    pub event: String,
    /// [`crate::email::hash`] of the lead's email.
    pub email_hash: Option<String>,
    /// The shop's id for the customer.
    pub customer_id: Option<String>,
}

/// What the browser knows beside the call itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// The live referral, if any.
    pub referral: Option<&'a Referral>,
    /// The visitor id, if consent allowed one.
    pub visitor: Option<&'a str>,
    /// The publishable key, sent in the body: browser reports carry no custom headers, so
    /// they stay CORS simple requests (see `browser/net.rs`).
    pub key: Option<&'a str>,
    /// The idempotency key of this report, kept across retries.
    pub idempotency_key: Option<&'a str>,
}

/// Whether `s` is a text field the contract accepts: 1 to [`MAX_TEXT_LEN`] bytes, no controls.
pub fn valid_text(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_TEXT_LEN && !crate::text::has_control(s)
}

fn valid_amount(n: i64) -> bool {
    (0..=MAX_AMOUNT).contains(&n)
}

/// Whether `s` is three upper-case ASCII letters.
pub fn valid_currency(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// The `click_id` of a `POST /v1/clicks` answer (`{"click_id":"…",…}`), if it is a valid id.
/// A plain scan rather than a JSON parser: the browser bundle has none, and an id has no
/// characters that JSON escapes.
pub fn click_id_from_answer(text: &str) -> Option<String> {
    const FIELD: &str = "\"click_id\":\"";
    // Byte windows rather than `str::find`: the substring searcher costs kilobytes of wasm.
    let start = text
        .as_bytes()
        .windows(FIELD.len())
        .position(|w| w == FIELD.as_bytes())?
        + FIELD.len();
    let rest = text.get(start..)?;
    let (id, _) = crate::text::split_once(rest, b'"')?;
    crate::affiliate::is_valid(id).then(|| String::from(id))
}

/// `s` cut to at most `max` bytes at a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

fn tags_object(tags: &[Tag]) -> String {
    let mut o = Object::new();
    for t in tags {
        o.str(t.name, &t.value);
    }
    o.finish()
}

/// The body of `POST /v1/clicks`.
pub fn click_body(
    touch: &Touch,
    url: &str,
    referrer: &str,
    consent: Consent,
    visitor: Option<&str>,
) -> String {
    let mut o = Object::new();
    o.opt_str("affiliate", touch.affiliate.as_deref())
        .str("url", truncate(url, MAX_URL_LEN))
        .str("referrer", truncate(referrer, MAX_URL_LEN))
        .str("consent", consent.as_str())
        .opt_str("via", touch.via.map(|v| v.as_str()))
        .str("landing", &touch.landing)
        .opt_str("visitor", visitor);
    if !touch.campaign.is_empty() {
        o.raw("campaign", &tags_object(&touch.campaign));
    }
    if !touch.click_ids.is_empty() {
        o.raw("click_ids", &tags_object(&touch.click_ids));
    }
    o.finish()
}

/// Adds the browser-reported touch, the server's click id and the key.
pub fn context_fields(o: &mut Object, ctx: &Context) {
    if let Some(r) = ctx.referral {
        o.opt_str("click_id", r.click_id.as_deref());
        let mut t = Object::new();
        t.str("affiliate", &r.affiliate)
            .str("via", r.via.as_str())
            .str("at", &rfc3339(r.at))
            .opt_str("campaign", r.campaign.as_deref())
            .opt_str("visitor", ctx.visitor);
        o.raw("touch", &t.finish());
    }
    o.opt_str("key", ctx.key)
        .opt_str("idempotency_key", ctx.idempotency_key);
}

/// Checks a sale and builds the body of `POST /v1/sales`.
pub fn sale_body(sale: &Sale, ctx: &Context) -> Result<String, ReportError> {
    if !valid_text(&sale.order_id) {
        return Err(ReportError::OrderId);
    }
    let amounts_ok = valid_amount(sale.amount)
        && sale.shipping.is_none_or(valid_amount)
        && sale.tax.is_none_or(valid_amount);
    if !amounts_ok {
        return Err(ReportError::Amount);
    }
    if !valid_currency(&sale.currency) {
        return Err(ReportError::Currency);
    }
    if sale.coupon.as_deref().is_some_and(|c| !valid_text(c)) {
        return Err(ReportError::Coupon);
    }
    if sale.items.len() > MAX_ITEMS {
        return Err(ReportError::Item);
    }
    let mut items = String::from("[");
    for (i, it) in sale.items.iter().enumerate() {
        let ok = valid_text(&it.sku)
            && it.category.as_deref().is_none_or(valid_text)
            && valid_amount(it.amount)
            && (1..=1_000_000).contains(&it.quantity);
        if !ok {
            return Err(ReportError::Item);
        }
        if i > 0 {
            items.push(',');
        }
        let mut o = Object::new();
        o.str("sku", &it.sku)
            .opt_str("category", it.category.as_deref())
            .int("amount", it.amount)
            .int("quantity", it.quantity);
        items.push_str(&o.finish());
    }
    items.push(']');

    let mut o = Object::new();
    o.str("order_id", &sale.order_id)
        .int("amount", sale.amount)
        .str("currency", &sale.currency)
        .opt_str("coupon", sale.coupon.as_deref());
    if let Some(s) = sale.shipping {
        o.int("shipping", s);
    }
    if let Some(t) = sale.tax {
        o.int("tax", t);
    }
    if !sale.items.is_empty() {
        o.raw("items", &items);
    }
    if let Some(h) = &sale.email_hash {
        let mut c = Object::new();
        c.str("email_hash", h);
        o.raw("customer", &c.finish());
    }
    context_fields(&mut o, ctx);
    Ok(o.finish())
}

/// Checks a lead and builds the body of `POST /v1/leads`.
pub fn lead_body(lead: &Lead, ctx: &Context) -> Result<String, ReportError> {
    if !valid_text(&lead.event) {
        return Err(ReportError::Event);
    }
    if lead.customer_id.as_deref().is_some_and(|c| !valid_text(c)) {
        return Err(ReportError::Customer);
    }
    let mut o = Object::new();
    o.str("event", &lead.event)
        .opt_str("email_hash", lead.email_hash.as_deref())
        .opt_str("customer_id", lead.customer_id.as_deref());
    context_fields(&mut o, ctx);
    Ok(o.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affiliate::AffiliateId;
    use crate::touch::Via;
    use alloc::vec;
    use serde_json::{json, Value};

    fn referral() -> Referral {
        Referral {
            affiliate: AffiliateId::parse("alice").unwrap(),
            via: Via::Query,
            at: 1_795_392_000,
            expires: 1_795_392_000 + 30 * 86_400,
            click_id: Some("c_123".into()),
            campaign: Some("spring".into()),
        }
    }

    fn sale() -> Sale {
        Sale {
            order_id: "WC-1001".into(),
            amount: 1_250_000,
            currency: "VND".into(),
            coupon: Some("ALICE10".into()),
            items: vec![Item {
                sku: "SHOE-1".into(),
                category: Some("shoes".into()),
                amount: 625_000,
                quantity: 2,
            }],
            shipping: Some(0),
            tax: None,
            email_hash: Some("ab".repeat(32)),
        }
    }

    #[test]
    fn sale_body_has_the_contract_shape() {
        let r = referral();
        let ctx = Context {
            referral: Some(&r),
            visitor: Some("v1234567890abcdef"),
            key: Some("pk_test_1"),
            idempotency_key: Some("k1"),
        };
        let body: Value = serde_json::from_str(&sale_body(&sale(), &ctx).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({
                "order_id": "WC-1001", "amount": 1_250_000, "currency": "VND", "coupon": "ALICE10",
                "shipping": 0,
                "items": [{"sku": "SHOE-1", "category": "shoes", "amount": 625_000, "quantity": 2}],
                "customer": {"email_hash": "ab".repeat(32)},
                "click_id": "c_123",
                "touch": {"affiliate": "alice", "via": "query", "at": "2026-11-23T00:00:00Z",
                          "campaign": "spring", "visitor": "v1234567890abcdef"},
                "key": "pk_test_1",
                "idempotency_key": "k1"
            })
        );
    }

    #[test]
    fn sale_without_referral_has_no_touch() {
        let body: Value =
            serde_json::from_str(&sale_body(&sale(), &Context::default()).unwrap()).unwrap();
        assert!(
            body.get("touch").is_none()
                && body.get("click_id").is_none()
                && body.get("key").is_none()
        );
    }

    #[test]
    fn bad_sales_are_refused_with_their_reason() {
        type Edit = fn(&mut Sale);
        let cases: Vec<(Edit, ReportError)> = vec![
            (|s| s.order_id.clear(), ReportError::OrderId),
            (|s| s.order_id = "x".repeat(129), ReportError::OrderId),
            (|s| s.order_id = "a\nb".into(), ReportError::OrderId),
            (|s| s.amount = -1, ReportError::Amount),
            (|s| s.amount = MAX_AMOUNT + 1, ReportError::Amount),
            (|s| s.shipping = Some(-5), ReportError::Amount),
            (|s| s.currency = "vnd".into(), ReportError::Currency),
            (|s| s.currency = "VNDX".into(), ReportError::Currency),
            (|s| s.currency = "".into(), ReportError::Currency),
            (|s| s.coupon = Some(String::new()), ReportError::Coupon),
            (|s| s.items[0].quantity = 0, ReportError::Item),
            (|s| s.items[0].sku.clear(), ReportError::Item),
            (|s| s.items[0].amount = -1, ReportError::Item),
            (
                |s| s.items = vec![s.items[0].clone(); MAX_ITEMS + 1],
                ReportError::Item,
            ),
        ];
        for (edit, want) in cases {
            let mut s = sale();
            edit(&mut s);
            assert_eq!(sale_body(&s, &Context::default()), Err(want));
        }
        let mut s = sale();
        s.amount = MAX_AMOUNT;
        assert!(sale_body(&s, &Context::default()).is_ok());
    }

    #[test]
    fn hostile_text_stays_inside_its_string() {
        let mut s = sale();
        s.order_id = "\"},\"amount\":0,\"x\":{\"".into();
        s.coupon = Some("</script><script>alert(1)</script>".into());
        let text = sale_body(&s, &Context::default()).unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["order_id"], s.order_id);
        assert_eq!(body["amount"], 1_250_000);
        assert!(!text.contains("</script>"));
    }

    #[test]
    fn click_body_carries_the_touch() {
        let touch = Touch {
            affiliate: AffiliateId::parse("alice"),
            via: Some(Via::Path),
            at: 0,
            landing: "/shoes".into(),
            referrer_host: Some("blog.example".into()),
            campaign: vec![Tag {
                name: "utm_campaign",
                value: "spring sale".into(),
            }],
            click_ids: vec![Tag {
                name: "gclid",
                value: "Cj0K".into(),
            }],
            click_id: None,
        };
        let long = alloc::string::String::from("https://shop.test/?") + &"é".repeat(2000);
        let body: Value = serde_json::from_str(&click_body(
            &touch,
            &long,
            "https://blog.example/p",
            Consent::Pending,
            None,
        ))
        .unwrap();
        assert_eq!(body["affiliate"], "alice");
        assert_eq!(body["via"], "path");
        assert_eq!(body["consent"], "pending");
        assert_eq!(body["landing"], "/shoes");
        assert_eq!(body["campaign"], json!({"utm_campaign": "spring sale"}));
        assert_eq!(body["click_ids"], json!({"gclid": "Cj0K"}));
        assert!(body["url"].as_str().unwrap().len() <= MAX_URL_LEN);
        assert!(body.get("visitor").is_none());
    }

    #[test]
    fn lead_body_checks_its_fields() {
        let lead = Lead {
            event: "signup".into(),
            email_hash: None,
            customer_id: Some("42".into()),
        };
        let body: Value =
            serde_json::from_str(&lead_body(&lead, &Context::default()).unwrap()).unwrap();
        assert_eq!(body, json!({"event": "signup", "customer_id": "42"}));
        let bad = Lead {
            event: String::new(),
            ..lead.clone()
        };
        assert_eq!(
            lead_body(&bad, &Context::default()),
            Err(ReportError::Event)
        );
        let bad = Lead {
            customer_id: Some("\u{0}".into()),
            ..lead
        };
        assert_eq!(
            lead_body(&bad, &Context::default()),
            Err(ReportError::Customer)
        );
    }

    #[test]
    fn click_id_is_read_from_the_answer() {
        assert_eq!(
            click_id_from_answer(r#"{"click_id":"c_9f2A","affiliate":"alice"}"#).as_deref(),
            Some("c_9f2A")
        );
        assert_eq!(
            click_id_from_answer(r#"{"affiliate":"alice","click_id":"x"}"#).as_deref(),
            Some("x")
        );
        for bad in [
            "",
            "{}",
            r#"{"click_id":""}"#,
            r#"{"click_id":"a b"}"#,
            r#"{"click_id":"<x>"}"#,
            r#"{"click_id":"abc"#,
            r#"{"click_id":12}"#,
        ] {
            assert_eq!(click_id_from_answer(bad), None, "{bad}");
        }
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("abc", 2), "ab");
        assert_eq!(truncate("aé", 2), "a");
        assert_eq!(truncate("ส", 1), "");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
