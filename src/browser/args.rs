//! Reading the JavaScript objects passed to `reftrail(...)` without serde: each field is read
//! with `Reflect.get`, which keeps the bundle small (serde-wasm-bindgen costs ~21 KB gzip).

use crate::email;
use crate::report::{Item, Lead, ReportError, Sale};
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `obj[name]`, or `undefined`.
pub fn get(obj: &JsValue, name: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A setting as text: strings as they are, numbers in decimal, arrays joined by commas,
/// booleans as `true`/`false`; `None` for anything else.
pub fn text(v: &JsValue) -> Option<String> {
    if let Some(s) = v.as_string() {
        return Some(s);
    }
    if let Some(b) = v.as_bool() {
        return Some(String::from(if b { "true" } else { "false" }));
    }
    if let Some(n) = v.as_f64() {
        let i = whole(n)?;
        let mut s = String::new();
        crate::json::push_i64(&mut s, i);
        return Some(s);
    }
    let array = v.dyn_ref::<Array>()?;
    let parts: Option<Vec<String>> = array.iter().map(|x| x.as_string()).collect();
    Some(parts?.join(","))
}

/// An optional string field: `None` when absent, `Err` when present but not a string.
fn opt_string(obj: &JsValue, name: &str) -> Result<Option<String>, ()> {
    let v = get(obj, name);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or(())
}

/// A JS number that is a whole number exactly representable (|n| < 2^53).
fn whole(n: f64) -> Option<i64> {
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    (n.is_finite() && n == libm_trunc(n) && n.abs() < LIMIT).then_some(n as i64)
}

/// `f64::trunc` is a std method; this is the same for |n| < 2^53.
fn libm_trunc(n: f64) -> f64 {
    (n as i64) as f64
}

/// An integer field (minor units); strings of digits are accepted too, because some shops
/// print amounts into templates as text.
fn int(obj: &JsValue, name: &str) -> Result<Option<i64>, ()> {
    let v = get(obj, name);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    if let Some(n) = v.as_f64() {
        return whole(n).map(Some).ok_or(());
    }
    let s = v.as_string().ok_or(())?;
    s.parse::<i64>().map(Some).map_err(|_| ())
}

/// The `{order_id, amount, currency, coupon, items, shipping, tax, email}` of a conversion.
pub fn sale(obj: &JsValue) -> Result<Sale, ReportError> {
    let order_id = match get(obj, "order_id") {
        v if v.as_f64().is_some() => text(&v).ok_or(ReportError::OrderId)?,
        v => v.as_string().ok_or(ReportError::OrderId)?,
    };
    let amount = int(obj, "amount")
        .ok()
        .flatten()
        .ok_or(ReportError::Amount)?;
    let currency = opt_string(obj, "currency")
        .ok()
        .flatten()
        .ok_or(ReportError::Currency)?;
    let coupon = opt_string(obj, "coupon").map_err(|_| ReportError::Coupon)?;
    let shipping = int(obj, "shipping").map_err(|_| ReportError::Amount)?;
    let tax = int(obj, "tax").map_err(|_| ReportError::Amount)?;
    let email_hash = opt_string(obj, "email")
        .map_err(|_| ReportError::Customer)?
        .and_then(|e| email::hash(&e));
    let mut items = Vec::new();
    let list = get(obj, "items");
    if !list.is_undefined() && !list.is_null() {
        let array = list.dyn_ref::<Array>().ok_or(ReportError::Item)?;
        for it in array.iter() {
            let sku = match get(&it, "sku") {
                v if v.as_f64().is_some() => text(&v),
                v => v.as_string(),
            };
            items.push(Item {
                sku: sku.ok_or(ReportError::Item)?,
                category: opt_string(&it, "category").map_err(|_| ReportError::Item)?,
                amount: int(&it, "amount").ok().flatten().ok_or(ReportError::Item)?,
                quantity: int(&it, "quantity")
                    .map_err(|_| ReportError::Item)?
                    .unwrap_or(1),
            });
        }
    }
    Ok(Sale {
        order_id,
        amount,
        currency,
        coupon,
        items,
        shipping,
        tax,
        email_hash,
    })
}

/// The `{event, email, customer_id}` of a lead.
pub fn lead(obj: &JsValue) -> Result<Lead, ReportError> {
    let event = opt_string(obj, "event")
        .map_err(|_| ReportError::Event)?
        .unwrap_or_else(|| String::from("signup"));
    let email_hash = opt_string(obj, "email")
        .map_err(|_| ReportError::Customer)?
        .and_then(|e| email::hash(&e));
    let customer_id = match get(obj, "customer_id") {
        v if v.is_undefined() || v.is_null() => None,
        v => Some(text(&v).ok_or(ReportError::Customer)?),
    };
    Ok(Lead {
        event,
        email_hash,
        customer_id,
    })
}
