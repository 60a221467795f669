//! The arguments of `reftrail(...)` calls as the JS runtime hands them over: an object
//! flattened to `name US value` records separated by `RS` (see [`crate::effects`]), with nested
//! names dotted (`items.0.sku`). Strings need no JSON parser in the wasm this way; JavaScript
//! turns every value into text with `String(v)`, so numbers arrive as their shortest decimal.

use crate::effects::{RS, US};
use crate::json::{self, Object};
use crate::report::{self, Context, Item, Lead, ReportError, Sale, MAX_ITEMS};
use crate::text;
use alloc::string::String;
use alloc::vec::Vec;

/// Flattened fields, in the order given.
pub struct Fields<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Fields<'a> {
    /// Splits `s`; `None` when a name repeats (a value that smuggled separators in would
    /// otherwise shadow a real field) or a record has no separator.
    pub fn parse(s: &'a str) -> Option<Self> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for rec in text::split(s, RS as u8).filter(|r| !r.is_empty()) {
            let (name, value) = text::split_once(rec, US as u8)?;
            if out.iter().any(|(n, _)| *n == name) {
                return None;
            }
            out.push((name, value));
        }
        Some(Self(out))
    }

    /// The value of `name`; JavaScript's `undefined` and `null` count as absent.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .filter(|v| *v != "undefined" && *v != "null")
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.0.iter().copied()
    }
}

/// A whole number of minor units written by `String(n)`: digits with an optional `-`.
pub fn int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.len() > 18 {
        return None;
    }
    // At most 18 digits: below 10^18, which fits in an i64.
    let n = text::parse_num(digits.as_bytes(), 10)? as i64;
    Some(if neg { -n } else { n })
}

fn opt_int(f: &Fields, name: &str) -> Result<Option<i64>, ()> {
    f.get(name).map(|v| int(v).ok_or(())).transpose()
}

fn item_field(name: &str) -> Option<(usize, &str)> {
    let rest = name.strip_prefix("items.")?;
    let (index, field) = text::split_once(rest, b'.')?;
    let i = int(index).filter(|i| (0..MAX_ITEMS as i64 + 1).contains(i))?;
    Some((i as usize, field))
}

/// The sale of `reftrail('conversion', {order_id, amount, currency, coupon, items, shipping,
/// tax, email})`; the email is hashed here and never kept as given.
pub fn sale(f: &Fields) -> Result<Sale, ReportError> {
    let order_id = f.get("order_id").ok_or(ReportError::OrderId)?;
    let amount = f.get("amount").and_then(int).ok_or(ReportError::Amount)?;
    let currency = f.get("currency").ok_or(ReportError::Currency)?;
    let shipping = opt_int(f, "shipping").map_err(|_| ReportError::Amount)?;
    let tax = opt_int(f, "tax").map_err(|_| ReportError::Amount)?;
    let mut items: Vec<Item> = Vec::new();
    for (name, value) in f.iter() {
        if name == "items" {
            return Err(ReportError::Item);
        }
        let Some((i, field)) = item_field(name) else {
            if name.starts_with("items.") {
                return Err(ReportError::Item);
            }
            continue;
        };
        while items.len() <= i {
            items.push(Item {
                sku: String::new(),
                category: None,
                amount: -1,
                quantity: 1,
            });
        }
        let Some(item) = items.get_mut(i) else {
            return Err(ReportError::Item);
        };
        match field {
            "sku" => item.sku = value.into(),
            "category" => item.category = Some(value.into()),
            "amount" => item.amount = int(value).ok_or(ReportError::Item)?,
            "quantity" => item.quantity = int(value).ok_or(ReportError::Item)?,
            _ => {}
        }
    }
    Ok(Sale {
        order_id: order_id.into(),
        amount,
        currency: currency.into(),
        coupon: f.get("coupon").map(String::from),
        items,
        shipping,
        tax,
        email_hash: f.get("email").and_then(crate::email::hash),
    })
}

/// The lead of `reftrail('lead', {event, email, customer_id})`.
pub fn lead(f: &Fields) -> Lead {
    Lead {
        event: f.get("event").unwrap_or("signup").into(),
        email_hash: f.get("email").and_then(crate::email::hash),
        customer_id: f.get("customer_id").map(String::from),
    }
}

/// `"key":n` when `value` is a whole number, else `"key":"value"` as given (the server refuses
/// it with its own message).
fn int_or_str(o: &mut Object, key: &str, value: &str) {
    match int(value) {
        Some(n) => o.int(key, n),
        None => o.str(key, value),
    };
}

/// The body of `POST /v1/sales` for `reftrail('conversion', …)` in the browser, written straight
/// from the flattened arguments. Only what a storefront developer most needs to hear about at
/// once is checked here: `order_id`, `amount` and `currency`. The server validates every report
/// again, and its refusal reaches the console as `refused` with its message, so the other fields
/// (coupon, shipping, tax, items) pass through as given; [`sale`] and [`report::sale_body`]
/// are the full check.
pub fn sale_body(f: &Fields, ctx: &Context) -> Result<String, ReportError> {
    let order_id = f
        .get("order_id")
        .filter(|s| report::valid_text(s))
        .ok_or(ReportError::OrderId)?;
    let amount = f
        .get("amount")
        .and_then(int)
        .filter(|n| (0..=report::MAX_AMOUNT).contains(n))
        .ok_or(ReportError::Amount)?;
    let currency = f
        .get("currency")
        .filter(|s| report::valid_currency(s))
        .ok_or(ReportError::Currency)?;
    let mut o = Object::new();
    o.str("order_id", order_id)
        .int("amount", amount)
        .str("currency", currency)
        .opt_str("coupon", f.get("coupon"));
    for key in ["shipping", "tax"] {
        if let Some(v) = f.get(key) {
            int_or_str(&mut o, key, v);
        }
    }
    // `items.<i>.<field>` records come item by item, as the runtime flattens the array.
    let mut items = String::new();
    let mut prev = "";
    for (name, value) in f.iter() {
        let Some((index, field)) = name
            .strip_prefix("items.")
            .and_then(|rest| text::split_once(rest, b'.'))
        else {
            continue;
        };
        let number = match field {
            "amount" | "quantity" => int(value),
            "sku" | "category" => None,
            _ => continue,
        };
        items.push_str(match (items.is_empty(), index == prev) {
            (true, _) => "[{",
            (false, true) => ",",
            (false, false) => "},{",
        });
        prev = index;
        json::push_str(&mut items, field);
        items.push(':');
        match number {
            Some(n) => json::push_i64(&mut items, n),
            None => json::push_str(&mut items, value),
        }
    }
    if !items.is_empty() {
        items.push_str("}]");
        o.raw("items", &items);
    }
    if let Some(h) = f.get("email").and_then(crate::email::hash) {
        let mut c = Object::new();
        c.str("email_hash", &h);
        o.raw("customer", &c.finish());
    }
    report::context_fields(&mut o, ctx);
    Ok(o.finish())
}

/// The body of `POST /v1/leads` for `reftrail('lead', …)` in the browser: the event
/// (`signup` by default), the hashed email and the customer id as given; the server checks them.
pub fn lead_body(f: &Fields, ctx: &Context) -> String {
    let mut o = Object::new();
    o.str("event", f.get("event").unwrap_or("signup"))
        .opt_str(
            "email_hash",
            f.get("email").and_then(crate::email::hash).as_deref(),
        )
        .opt_str("customer_id", f.get("customer_id"));
    report::context_fields(&mut o, ctx);
    o.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    fn flat(pairs: &[(&str, &str)]) -> String {
        pairs
            .iter()
            .map(|(n, v)| format!("{n}{US}{v}"))
            .collect::<Vec<_>>()
            .join(&RS.to_string())
    }

    #[test]
    fn a_sale_with_items() {
        let text = flat(&[
            ("order_id", "A-1"),
            ("amount", "125000"),
            ("currency", "VND"),
            ("items.0.sku", "SHOE"),
            ("items.0.category", "shoes"),
            ("items.0.amount", "100000"),
            ("items.1.sku", "SOCK"),
            ("items.1.amount", "12500"),
            ("items.1.quantity", "2"),
            ("email", "A@B.co"),
            ("coupon", "undefined"),
        ]);
        let s = sale(&Fields::parse(&text).unwrap()).unwrap();
        assert_eq!(
            (s.order_id.as_str(), s.amount, s.currency.as_str()),
            ("A-1", 125_000, "VND")
        );
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[1].quantity, 2);
        assert_eq!(s.items[0].category.as_deref(), Some("shoes"));
        assert_eq!(s.coupon, None, "undefined is absent");
        assert_eq!(s.email_hash, crate::email::hash("a@b.co"));
    }

    #[test]
    fn bad_sales() {
        for (pairs, want) in [
            (
                &[("amount", "1"), ("currency", "USD")][..],
                ReportError::OrderId,
            ),
            (
                &[("order_id", "A"), ("amount", "1.5"), ("currency", "USD")][..],
                ReportError::Amount,
            ),
            (
                &[("order_id", "A"), ("amount", "1e+21"), ("currency", "USD")][..],
                ReportError::Amount,
            ),
            (
                &[("order_id", "A"), ("amount", "")][..],
                ReportError::Amount,
            ),
            (
                &[("order_id", "A"), ("amount", "1")][..],
                ReportError::Currency,
            ),
            (
                &[
                    ("order_id", "A"),
                    ("amount", "1"),
                    ("currency", "USD"),
                    ("items.0.amount", "x"),
                ][..],
                ReportError::Item,
            ),
            (
                &[
                    ("order_id", "A"),
                    ("amount", "1"),
                    ("currency", "USD"),
                    ("items.999.sku", "x"),
                ][..],
                ReportError::Item,
            ),
            (
                &[
                    ("order_id", "A"),
                    ("amount", "1"),
                    ("currency", "USD"),
                    ("items", "[object Object]"),
                ][..],
                ReportError::Item,
            ),
        ] {
            assert_eq!(
                sale(&Fields::parse(&flat(pairs)).unwrap()).err(),
                Some(want),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn the_browser_body_checks_the_keys_and_passes_the_rest_through() {
        let text = flat(&[
            ("order_id", "A-1"),
            ("amount", "125000"),
            ("currency", "VND"),
            ("shipping", "0"),
            ("tax", "1.5"),
            ("items.0.sku", "SHOE"),
            ("items.0.category", "shoes"),
            ("items.0.amount", "100000"),
            ("items.0.colour", "red"),
            ("items.1.sku", "SOCK"),
            ("items.1.amount", "12500"),
            ("items.1.quantity", "x"),
            ("email", "A@B.co"),
            ("coupon", "undefined"),
        ]);
        let body = sale_body(&Fields::parse(&text).unwrap(), &Context::default()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "order_id": "A-1", "amount": 125000, "currency": "VND",
                "shipping": 0, "tax": "1.5",
                "items": [
                    {"sku": "SHOE", "category": "shoes", "amount": 100000},
                    {"sku": "SOCK", "amount": 12500, "quantity": "x"},
                ],
                "customer": {"email_hash": crate::email::hash("a@b.co").unwrap()},
            })
        );
        for (pairs, want) in [
            (
                &[("amount", "1"), ("currency", "USD")][..],
                ReportError::OrderId,
            ),
            (
                &[("order_id", "A\n"), ("amount", "1"), ("currency", "USD")][..],
                ReportError::OrderId,
            ),
            (
                &[("order_id", "A"), ("amount", "1.5"), ("currency", "USD")][..],
                ReportError::Amount,
            ),
            (
                &[("order_id", "A"), ("amount", "-1"), ("currency", "USD")][..],
                ReportError::Amount,
            ),
            (
                &[("order_id", "A"), ("amount", "1"), ("currency", "usd")][..],
                ReportError::Currency,
            ),
        ] {
            assert_eq!(
                sale_body(&Fields::parse(&flat(pairs)).unwrap(), &Context::default()).err(),
                Some(want),
                "{pairs:?}"
            );
        }
        let lead = lead_body(&Fields::parse("").unwrap(), &Context::default());
        assert_eq!(lead, r#"{"event":"signup"}"#);
    }

    #[test]
    fn repeated_names_are_refused() {
        let smuggled = format!("order_id{US}A{RS}amount{US}0{RS}amount{US}100");
        assert!(Fields::parse(&smuggled).is_none());
        assert!(Fields::parse("no separator").is_none());
        assert!(Fields::parse("").unwrap().get("x").is_none());
    }

    #[test]
    fn integers() {
        for (s, want) in [
            ("0", Some(0)),
            ("-5", Some(-5)),
            ("125000", Some(125_000)),
            ("", None),
            ("-", None),
            ("1.0", None),
            ("0x10", None),
            ("9999999999999999999", None),
            (" 1", None),
        ] {
            assert_eq!(int(s), want, "{s:?}");
        }
    }
}
