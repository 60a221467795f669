//! Fraud signals. A signal flags a referral with its reason for the merchant to review; it
//! never drops the referral, and a flagged referral is never approved automatically.

use crate::db::Tx;
use crate::error::AppError;
use crate::program::Fraud;
use crate::times::{now, DAY};
use sqlx::Row;

/// The customer's email hash equals the affiliate's own.
pub const SELF_REFERRAL: &str = "self_referral";
/// The conversion came from a known bot user agent.
pub const BOT: &str = "bot_user_agent";
/// The crediting click's IP address sent more clicks in an hour than the program expects.
pub const CLICK_VELOCITY: &str = "click_velocity";
/// The affiliate's conversion rate over 30 days is outside the program's band.
pub const CONVERSION_RATE: &str = "conversion_rate";
/// The crediting click came from a paid ad (the program flags those).
pub const PAID_ADS: &str = "paid_ads";

/// The click ids that only an ad click carries: Google (search, app and web-to-app, display),
/// Microsoft, TikTok, X, LinkedIn, Pinterest and Reddit ads. Not `fbclid`, which Facebook adds to
/// every outbound link, and not the affiliate networks' or the affiliate's own ids.
pub const AD_CLICK_IDS: [&str; 10] = [
    "gclid",
    "gbraid",
    "wbraid",
    "dclid",
    "msclkid",
    "ttclid",
    "twclid",
    "li_fat_id",
    "epik",
    "rdt_cid",
];

/// Whether a click's stored click ids (a JSON object, as `clicks.click_ids` keeps them) name
/// an ad click.
pub fn from_an_ad(click_ids: &str) -> bool {
    serde_json::from_str::<std::collections::BTreeMap<String, String>>(click_ids)
        .is_ok_and(|ids| ids.keys().any(|k| AD_CLICK_IDS.contains(&k.as_str())))
}

/// Whether click `click_id` came from a paid ad.
pub async fn paid_ads(tx: &mut Tx, click_id: &str) -> Result<bool, AppError> {
    let ids: Option<Option<String>> = sqlx::query("SELECT click_ids FROM clicks WHERE id = $1")
        .bind(click_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    Ok(ids.flatten().is_some_and(|j| from_an_ad(&j)))
}

/// Whether the click's IP address sent more than the threshold of clicks in the hour before it.
/// A click whose details are gone (retention, erasure) has no address to count by: its empty
/// hash would otherwise match every other such click.
pub async fn click_velocity(tx: &mut Tx, fraud: &Fraud, click_id: &str) -> Result<bool, AppError> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM clicks c JOIN clicks k ON k.ip_hash = c.ip_hash \
         WHERE c.id = $1 AND c.ip_hash <> '' AND k.at > c.at - 3600 AND k.at <= c.at",
    )
    .bind(click_id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>(0)? > fraud.clicks_per_ip_per_hour)
}

/// Whether the affiliate's sales per click over the last 30 days (this sale included) is
/// outside the band, once they have enough clicks for the rate to mean something.
pub async fn conversion_rate_out_of_band(
    tx: &mut Tx,
    fraud: &Fraud,
    affiliate: &str,
) -> Result<bool, AppError> {
    let since = now() - 30 * DAY;
    let clicks: i64 = sqlx::query(
        "SELECT COUNT(*) FROM clicks WHERE affiliate_id = $1 AND at >= $2 AND is_bot = 0",
    )
    .bind(affiliate)
    .bind(since)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    if clicks < fraud.conversion_rate_min_clicks.max(1) {
        return Ok(false);
    }
    let sales: i64 = sqlx::query(
        "SELECT COUNT(*) FROM referrals WHERE affiliate_id = $1 AND kind = 'sale' AND at >= $2",
    )
    .bind(affiliate)
    .bind(since)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let permille = (sales + 1) * 1000 / clicks;
    Ok(permille < fraud.conversion_rate_min_permille
        || permille > fraud.conversion_rate_max_permille)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ad_clicks() {
        assert!(from_an_ad(r#"{"gclid":"Cj0"}"#));
        assert!(from_an_ad(r#"{"sub1":"x","msclkid":"m"}"#));
        assert!(from_an_ad(r#"{"ttclid":"t"}"#));
        assert!(
            !from_an_ad(r#"{"fbclid":"IwAR"}"#),
            "every Facebook link has one"
        );
        assert!(!from_an_ad(r#"{"irclickid":"i","sub1":"u"}"#));
        assert!(!from_an_ad("{}"));
        assert!(!from_an_ad("not json"));
        for id in AD_CLICK_IDS {
            assert!(
                reftrail::touch::CLICK_ID_PARAMS.contains(&id),
                "{id} is captured"
            );
        }
    }
}
