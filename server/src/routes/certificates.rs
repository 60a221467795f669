//! Withholding tax certificates: `GET /v1/reports/withholding/certificates` (every affiliate's,
//! for the merchant) and `GET /v1/me/withholding/certificates` (the affiliate's own).
//!
//! A shop that withholds tax from a payment owes the payee a certificate of what it paid and
//! withheld: Thailand's 50 Tawi (หนังสือรับรองการหักภาษี ณ ที่จ่าย), Vietnam's withholding
//! voucher. One certificate covers one affiliate and currency over a period: the payout lines
//! with tax withheld, the payer (the program's `payer`) and the payee. The dashboard and the
//! portal print them.

use crate::auth::{AffiliateCaller, Merchant};
use crate::error::{AppError, AppQuery};
use crate::program::Payer;
use crate::times;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use reftrail::affiliate::AffiliateId;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

/// The certificates of a period.
#[derive(Serialize, ToSchema)]
pub struct Certificates {
    /// The period's start (inclusive).
    pub from: String,
    /// The period's end (exclusive).
    pub to: String,
    /// The shop, as the program's `payer` names it; `null` until the merchant sets it.
    pub payer: Option<Payer>,
    /// One per affiliate and currency with tax withheld, by affiliate id and currency.
    pub certificates: Vec<Certificate>,
}

/// What one affiliate was paid in one currency, and the tax withheld from it.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct Certificate {
    /// The affiliate.
    pub affiliate: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Who was paid.
    pub payee: Payee,
    /// The payments with tax withheld, by date.
    pub payments: Vec<Payment>,
    /// Their gross, minor units.
    pub gross: i64,
    /// The tax withheld from them.
    pub withheld: i64,
    /// What the affiliate received: `gross` less `withheld`.
    pub paid: i64,
    /// THB: the tax withheld in Thai words, as the 50 Tawi certificate writes it; else `null`.
    pub withheld_words: Option<String>,
}

/// The payee of a certificate.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct Payee {
    /// The affiliate's name.
    pub name: String,
    /// The tax id on the latest payment (kept on the payout line), else the affiliate's.
    pub tax_id: Option<String>,
    /// The affiliate's postal address.
    pub address: Option<String>,
    /// `person` or `company` (the affiliate's `payee_type`): which form the tax was filed on,
    /// Thailand's ภ.ง.ด.3 or ภ.ง.ด.53; `null` when not set.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// One payout line with tax withheld.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct Payment {
    /// The payout batch.
    pub payout: String,
    /// When it was paid: when the merchant marked the transfer sent, else the payout's time.
    pub paid_at: String,
    /// What it settled of the balance, minor units.
    pub gross: i64,
    /// The tax withheld.
    pub withheld: i64,
    /// What the affiliate received.
    pub paid: i64,
}

/// The period of the merchant's certificates.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct CertificatesQuery {
    /// From (RFC 3339 or YYYY-MM-DD), inclusive; default 30 days before `to`.
    pub from: Option<String>,
    /// To (RFC 3339, exclusive, or YYYY-MM-DD, inclusive); default now.
    pub to: Option<String>,
    /// Only this affiliate's.
    pub affiliate: Option<String>,
}

/// The period of the affiliate's own certificates.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct MyCertificatesQuery {
    /// From (RFC 3339 or YYYY-MM-DD), inclusive; default 30 days before `to`.
    pub from: Option<String>,
    /// To (RFC 3339, exclusive, or YYYY-MM-DD, inclusive); default now.
    pub to: Option<String>,
}

/// Every affiliate's withholding tax certificates for the payouts of a period.
#[utoipa::path(get, path = "/v1/reports/withholding/certificates", tag = "merchant", params(CertificatesQuery),
    security(("secret_key" = []), ("session" = [])),
    responses((status = 200, body = Certificates), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn certificates_index(
    State(state): State<AppState>,
    _m: Merchant,
    AppQuery(q): AppQuery<CertificatesQuery>,
) -> Result<Json<Certificates>, AppError> {
    let affiliate = match q.affiliate.as_deref() {
        Some(a) => AffiliateId::parse(a)
            .ok_or_else(|| {
                AppError::bad(
                    "invalid_affiliate",
                    "affiliate must be 1 to 64 letters, digits, '-', '_' or '.'",
                )
            })?
            .as_str()
            .to_owned(),
        None => String::new(),
    };
    certificates(&state, q.from.as_deref(), q.to.as_deref(), &affiliate).await
}

/// The calling affiliate's withholding tax certificates for the payouts of a period.
#[utoipa::path(get, path = "/v1/me/withholding/certificates", tag = "affiliate", params(MyCertificatesQuery),
    security(("affiliate_token" = [])),
    responses((status = 200, body = Certificates), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn me_certificates(
    State(state): State<AppState>,
    AffiliateCaller(id): AffiliateCaller,
    AppQuery(q): AppQuery<MyCertificatesQuery>,
) -> Result<Json<Certificates>, AppError> {
    certificates(&state, q.from.as_deref(), q.to.as_deref(), &id).await
}

/// The certificates of `affiliate` (every affiliate's when empty) for the period.
async fn certificates(
    state: &AppState,
    from: Option<&str>,
    to: Option<&str>,
    affiliate: &str,
) -> Result<Json<Certificates>, AppError> {
    let (from, to) = super::reports::range(from, to)?;
    let rows = sqlx::query(
        "SELECT l.affiliate_id, l.currency, p.id, COALESCE(l.sent_at, p.at), l.amount, l.withheld, \
           COALESCE(l.tax_id, a.tax_id), COALESCE(a.name, l.affiliate_id), a.address, a.payee_type \
         FROM payout_lines l JOIN payouts p ON p.id = l.payout_id LEFT JOIN affiliates a ON a.id = l.affiliate_id \
         WHERE p.at >= $1 AND p.at < $2 AND l.withheld > 0 AND ($3 = '' OR l.affiliate_id = $3) \
         ORDER BY l.affiliate_id, l.currency, COALESCE(l.sent_at, p.at), p.id",
    )
    .bind(from)
    .bind(to)
    .bind(affiliate)
    .fetch_all(&state.db.pool)
    .await?;
    let lines = rows
        .iter()
        .map(|r| {
            Ok(Line {
                affiliate: r.try_get(0)?,
                currency: r.try_get(1)?,
                payout: r.try_get(2)?,
                paid_at: r.try_get(3)?,
                amount: r.try_get(4)?,
                withheld: r.try_get(5)?,
                tax_id: r.try_get(6)?,
                name: r.try_get(7)?,
                address: r.try_get(8)?,
                payee_type: r.try_get(9)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(Certificates {
        from: times::format(from),
        to: times::format(to),
        payer: state.program().await?.payer.clone(),
        certificates: group(lines),
    }))
}

/// A payout line with tax withheld, as read: its payee's details with it.
struct Line {
    affiliate: String,
    currency: String,
    payout: String,
    paid_at: i64,
    amount: i64,
    withheld: i64,
    tax_id: Option<String>,
    name: String,
    address: Option<String>,
    payee_type: Option<String>,
}

/// One certificate per run of lines of the same affiliate and currency (`lines` sorted by
/// affiliate, currency and date).
fn group(lines: Vec<Line>) -> Vec<Certificate> {
    let mut out: Vec<Certificate> = Vec::new();
    for l in lines {
        let payment = Payment {
            payout: l.payout,
            paid_at: times::format(l.paid_at),
            gross: l.amount + l.withheld,
            withheld: l.withheld,
            paid: l.amount,
        };
        match out.last_mut() {
            Some(c) if c.affiliate == l.affiliate && c.currency == l.currency => {
                // The latest line's tax id is the one the payee has now given.
                if l.tax_id.is_some() {
                    c.payee.tax_id = l.tax_id;
                }
                c.payments.push(payment);
            }
            _ => out.push(Certificate {
                affiliate: l.affiliate,
                currency: l.currency,
                payee: Payee {
                    name: l.name,
                    tax_id: l.tax_id,
                    address: l.address,
                    kind: l.payee_type,
                },
                payments: vec![payment],
                gross: 0,
                withheld: 0,
                paid: 0,
                withheld_words: None,
            }),
        }
    }
    for c in &mut out {
        c.gross = c.payments.iter().map(|p| p.gross).sum();
        c.withheld = c.payments.iter().map(|p| p.withheld).sum();
        c.paid = c.payments.iter().map(|p| p.paid).sum();
        c.withheld_words = (c.currency == "THB").then(|| reftrail::bahttext::bahttext(c.withheld));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(affiliate: &str, currency: &str, at: i64, amount: i64, tax_id: Option<&str>) -> Line {
        Line {
            affiliate: affiliate.into(),
            currency: currency.into(),
            payout: format!("po_{at}"),
            paid_at: at,
            amount,
            withheld: amount / 10,
            tax_id: tax_id.map(Into::into),
            name: format!("Name of {affiliate}"),
            address: None,
            payee_type: None,
        }
    }

    #[test]
    fn one_certificate_per_affiliate_and_currency_with_the_latest_tax_id() {
        let certs = group(vec![
            line("a", "THB", 1, 90_000, Some("1101801234563")),
            line("a", "THB", 2, 10_000, None),
            line("a", "THB", 3, 9_000, Some("3101801234568")),
            line("a", "VND", 1, 2_700_000, None),
            line("b", "THB", 1, 50, None),
        ]);
        let keys: Vec<_> = certs
            .iter()
            .map(|c| (c.affiliate.as_str(), c.currency.as_str(), c.payments.len()))
            .collect();
        assert_eq!(keys, [("a", "THB", 3), ("a", "VND", 1), ("b", "THB", 1)]);
        let a = &certs[0];
        assert_eq!(
            (a.gross, a.withheld, a.paid),
            (109_000 + 10_900, 10_900, 109_000)
        );
        assert_eq!(a.payee.tax_id.as_deref(), Some("3101801234568"));
        assert_eq!(a.withheld_words.as_deref(), Some("หนึ่งร้อยเก้าบาทถ้วน"));
        assert_eq!(a.payments[1].paid_at, "1970-01-01T00:00:02Z");
        assert_eq!(certs[1].withheld_words, None, "words for baht only");
        assert_eq!(certs[2].withheld_words.as_deref(), Some("ห้าสตางค์"));
    }

    #[test]
    fn no_lines_no_certificates() {
        assert_eq!(group(Vec::new()), Vec::new());
    }
}
