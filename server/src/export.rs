//! CSV exports (the PayPal payout file, the referral ledger): amounts as decimals in the
//! currency's units, cells a spreadsheet will not run as formulas, and the download answer.

use crate::error::AppError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// `amount` minor units as a decimal string in the currency's units (`1250` USD → `12.50`).
pub fn decimal(amount: i64, currency: &str) -> String {
    let exp = reftrail::money::Currency::parse(currency)
        .map(|c| c.exponent())
        .unwrap_or(2);
    if exp == 0 {
        return amount.to_string();
    }
    let unit = 10u64.pow(u32::from(exp));
    let sign = if amount < 0 { "-" } else { "" };
    let a = amount.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        a / unit,
        a % unit,
        width = usize::from(exp)
    )
}

/// `s` as a cell: one starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be a
/// formula in a spreadsheet (OWASP's CSV injection list), so it gets a leading `'`.
pub fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// `records` as CSV text (RFC 4180 quoting), with `header` first when given.
pub fn csv<I, R>(header: Option<&[&str]>, records: I) -> Result<String, AppError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = String>,
{
    let fail = |e: &dyn std::fmt::Display| AppError::Internal(format!("csv: {e}"));
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    if let Some(h) = header {
        w.write_record(h).map_err(|e| fail(&e))?;
    }
    for r in records {
        w.write_record(r.into_iter().collect::<Vec<_>>())
            .map_err(|e| fail(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| fail(&e))?;
    String::from_utf8(bytes).map_err(|e| fail(&e))
}

/// A CSV download called `filename`.
pub fn download(filename: &str, text: String) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(decimal(1250, "USD"), "12.50");
        assert_eq!(decimal(5, "USD"), "0.05");
        assert_eq!(decimal(1_250_000, "VND"), "1250000");
        assert_eq!(decimal(-150, "USD"), "-1.50");
        assert_eq!(decimal(1234, "KWD"), "1.234");
        assert_eq!(decimal(i64::MIN, "USD"), "-92233720368547758.08");
    }

    #[test]
    fn formulas_become_text_and_fields_are_quoted() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("order-1"), "order-1");
        assert_eq!(cell("\tcmd"), "'\tcmd");
        assert_eq!(cell("\r=1"), "'\r=1");
        let text = csv(
            Some(&["a", "b"]),
            [vec!["x,y".to_owned(), "say \"hi\"".to_owned()]],
        )
        .expect("csv");
        assert_eq!(text, "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n");
    }
}
