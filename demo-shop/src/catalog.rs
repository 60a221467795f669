//! The shop's catalogue (`www/store/catalog.json`, read by the pages too) and the checkout's
//! input check: the backend prices the order from its own catalogue, never from the browser.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The most lines in one order.
pub const MAX_LINES: usize = 20;
/// The most units of one product in one order.
pub const MAX_QUANTITY: i64 = 99;

/// The catalogue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// ISO 4217 code of every price.
    pub currency: String,
    /// The products.
    pub products: Vec<Product>,
}

/// A product.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Stock keeping unit.
    pub sku: String,
    /// Category (the commission rules may override by it).
    pub category: String,
    /// Unit price, minor units.
    pub price: i64,
    /// Name by locale.
    pub name: BTreeMap<String, String>,
    /// Description by locale.
    #[serde(default)]
    pub description: BTreeMap<String, String>,
    /// Colour of the product's tile.
    #[serde(default)]
    pub colour: String,
}

impl Catalog {
    /// Parses and checks the catalogue.
    pub fn parse(json: &str) -> Result<Catalog, String> {
        let c: Catalog = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if c.currency.len() != 3 || !c.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("currency {:?} is not an ISO 4217 code", c.currency));
        }
        if c.products.is_empty() {
            return Err("no products".into());
        }
        for p in &c.products {
            let named = p.name.get("en").is_some_and(|n| !n.is_empty());
            let colour_ok = p.colour.is_empty()
                || (p.colour.len() == 7
                    && p.colour.starts_with('#')
                    && p.colour[1..].bytes().all(|b| b.is_ascii_hexdigit()));
            let texts_ok = p
                .name
                .values()
                .chain(p.description.values())
                .all(|t| t.len() <= 500);
            if !sku_ok(&p.sku)
                || p.price <= 0
                || p.category.is_empty()
                || !named
                || !colour_ok
                || !texts_ok
            {
                return Err(format!("product {:?} is invalid (sku, price, category, an English name, #rrggbb colour, texts up to 500 bytes)", p.sku));
            }
        }
        Ok(c)
    }

    /// The product with `sku`.
    pub fn product(&self, sku: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.sku == sku)
    }
}

fn sku_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The body of `POST /api/checkout`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    /// What is bought.
    pub items: Vec<LineInput>,
    /// The customer's email (optional; hashed by the tracking server for self-referral checks).
    #[serde(default)]
    pub email: Option<String>,
    /// A coupon code.
    #[serde(default)]
    pub coupon: Option<String>,
    /// The click id the page read from `reftrail('attribution')` (a hidden checkout field).
    #[serde(default)]
    pub click_id: Option<String>,
}

/// One line of the cart.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// The product.
    pub sku: String,
    /// Units.
    pub quantity: i64,
}

/// A priced order line.
#[derive(Debug, PartialEq, Eq)]
pub struct Line {
    /// Product.
    pub sku: String,
    /// Category.
    pub category: String,
    /// Units.
    pub quantity: i64,
    /// Unit price, minor units.
    pub unit: i64,
    /// Line total, minor units.
    pub amount: i64,
}

/// A checked order.
#[derive(Debug, PartialEq, Eq)]
pub struct Order {
    /// Lines with their totals.
    pub lines: Vec<Line>,
    /// Order total, minor units.
    pub amount: i64,
    /// Email, trimmed.
    pub email: Option<String>,
    /// Coupon, upper-cased.
    pub coupon: Option<String>,
    /// Click id.
    pub click_id: Option<String>,
}

/// A checkout input that was refused: `(code, message)`.
pub type Refusal = (&'static str, String);

/// Checks a checkout and prices it from the catalogue.
pub fn check(c: &Catalog, input: &CheckoutInput) -> Result<Order, Refusal> {
    if input.items.is_empty() || input.items.len() > MAX_LINES {
        return Err((
            "invalid_items",
            format!("an order has 1 to {MAX_LINES} lines"),
        ));
    }
    let mut lines: Vec<Line> = Vec::new();
    for it in &input.items {
        let p = c
            .product(&it.sku)
            .ok_or_else(|| ("unknown_product", format!("no product {:?}", cut(&it.sku))))?;
        if !(1..=MAX_QUANTITY).contains(&it.quantity) {
            return Err((
                "invalid_quantity",
                format!("quantity must be 1 to {MAX_QUANTITY}"),
            ));
        }
        if lines.iter().any(|l| l.sku == p.sku) {
            return Err(("duplicate_product", format!("{} is listed twice", p.sku)));
        }
        lines.push(Line {
            sku: p.sku.clone(),
            category: p.category.clone(),
            quantity: it.quantity,
            unit: p.price,
            amount: p.price * it.quantity,
        });
    }
    let email = match input.email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(e) => {
            let ok = e.len() <= 254
                && !e.chars().any(|c| c.is_control() || c.is_whitespace())
                && e.split_once('@')
                    .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.contains('@'));
            if !ok {
                return Err(("invalid_email", "not an email address".into()));
            }
            Some(e.to_owned())
        }
    };
    let coupon = match input.coupon.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(k) => {
            if k.len() > 32
                || !k
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err((
                    "invalid_coupon",
                    "a coupon is 1 to 32 letters, digits, - or _".into(),
                ));
            }
            Some(k.to_ascii_uppercase())
        }
    };
    let click_id = match input.click_id.as_deref() {
        None | Some("") => None,
        Some(id) => {
            if id.len() > 64
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return Err(("invalid_click_id", "not a click id".into()));
            }
            Some(id.to_owned())
        }
    };
    let amount = lines.iter().map(|l| l.amount).sum();
    Ok(Order {
        lines,
        amount,
        email,
        coupon,
        click_id,
    })
}

fn cut(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::parse(
            r#"{"currency":"VND","products":[
            {"sku":"TEE-BASIC","category":"apparel","price":199000,"name":{"en":"Tee"}},
            {"sku":"GIFT-CARD","category":"gift","price":500000,"name":{"en":"Gift"}}]}"#,
        )
        .unwrap()
    }

    fn input(json: &str) -> CheckoutInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn check_prices_from_the_catalogue() {
        let o = check(
            &catalog(),
            &input(r#"{"items":[{"sku":"TEE-BASIC","quantity":2},{"sku":"GIFT-CARD","quantity":1}],"coupon":" bob10 ","email":"a@b.co"}"#),
        )
        .unwrap();
        assert_eq!(o.amount, 898_000);
        assert_eq!(o.lines[0].amount, 398_000);
        assert_eq!(o.coupon.as_deref(), Some("BOB10"));
        assert_eq!(o.email.as_deref(), Some("a@b.co"));
    }

    #[test]
    fn check_refuses_bad_input() {
        let c = catalog();
        for (body, code) in [
            (r#"{"items":[]}"#, "invalid_items"),
            (
                r#"{"items":[{"sku":"NOPE","quantity":1}]}"#,
                "unknown_product",
            ),
            (
                r#"{"items":[{"sku":"TEE-BASIC","quantity":0}]}"#,
                "invalid_quantity",
            ),
            (
                r#"{"items":[{"sku":"TEE-BASIC","quantity":100}]}"#,
                "invalid_quantity",
            ),
            (
                r#"{"items":[{"sku":"TEE-BASIC","quantity":-1}]}"#,
                "invalid_quantity",
            ),
            (
                r#"{"items":[{"sku":"TEE-BASIC","quantity":1},{"sku":"TEE-BASIC","quantity":1}]}"#,
                "duplicate_product",
            ),
            (
                r#"{"items":[{"sku":"TEE-BASIC","quantity":1}],"email":"x"}"#,
                "invalid_email",
            ),
            (
                r#"{"items":[{"sku":"TEE-BASIC","quantity":1}],"email":"a@b.co\r\nBcc: c"}"#,
                "invalid_email",
            ),
            (
                r#"{"items":[{"sku":"TEE-BASIC","quantity":1}],"coupon":"<script>"}"#,
                "invalid_coupon",
            ),
            (
                r#"{"items":[{"sku":"TEE-BASIC","quantity":1}],"click_id":"a b"}"#,
                "invalid_click_id",
            ),
        ] {
            assert_eq!(check(&c, &input(body)).unwrap_err().0, code, "{body}");
        }
        assert!(serde_json::from_str::<CheckoutInput>(r#"{"items":[],"price":1}"#).is_err());
    }

    #[test]
    fn parse_refuses_a_bad_catalogue() {
        assert!(Catalog::parse(r#"{"currency":"vnd","products":[]}"#).is_err());
        assert!(Catalog::parse(
            r#"{"currency":"VND","products":[{"sku":"A B","category":"x","price":1,"name":{}}]}"#
        )
        .is_err());
    }
}
