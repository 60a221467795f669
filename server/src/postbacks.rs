//! Affiliates' postbacks: a `GET` to the affiliate's own tracker (a cashback site, a network, a
//! media buyer's tracker) for each event of their referrals: `created`, `approved`, `reversed`.
//!
//! As with webhooks, the request is written to the `postbacks` table in the transaction of the
//! change it reports (the address filled in then, so it says what was true at that moment), and
//! the worker sends due rows with a lease, retrying failures with the outbox's backoff for
//! [`crate::webhooks::MAX_ATTEMPTS`] attempts.
//!
//! The address comes from an affiliate and its sub ids from visitors' links, so the server calls
//! only public hosts: a template naming a private one is refused when saved, and at send time
//! the resolver drops every loopback, private or link-local address a name resolves to (so a
//! name that later points inside the network reaches nothing). `--postbacks-to-private-networks`
//! lifts both, for trackers on the shop's own network and for tests.

use crate::db::Tx;
use crate::error::AppError;
use crate::ids::new_id;
pub use crate::outbox::Outcome;
use crate::postback_url::{decimal, is_public, Template};
use crate::times::now;
use crate::AppState;
use reftrail::money::Currency;
use sqlx::Row;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// Test postbacks an affiliate may send in a minute.
pub const TESTS_PER_MINUTE: u32 = 10;

/// The user agent of postback requests.
const USER_AGENT: &str = "reftrail-postbacks/1";

/// What one postback reports: a referral event with the click that led to it.
#[derive(Debug, Clone, Default)]
pub struct Occurrence {
    /// `created`, `approved`, `reversed` (or `test`).
    pub event: String,
    /// The referral's status after it: `pending`, `approved`, `paid`, `rejected`, `reversed`.
    pub status: String,
    /// `sale` or `lead`.
    pub kind: String,
    /// The referral's id.
    pub referral_id: String,
    /// The order amount, minor units.
    pub amount: i64,
    /// The commission now owed, minor units.
    pub commission: i64,
    /// ISO 4217 code of both.
    pub currency: String,
    /// The campaign the referral is counted under.
    pub campaign: Option<String>,
    /// The click that led to it.
    pub click_id: Option<String>,
    /// That click's click ids and sub ids (`sub1`…), by name.
    pub click_ids: BTreeMap<String, String>,
    /// When the conversion happened, Unix seconds.
    pub at: i64,
}

impl Occurrence {
    /// The value of each macro.
    pub fn values(&self) -> Vec<(&'static str, String)> {
        let currency = Currency::parse(&self.currency).unwrap_or(Currency::USD);
        let mut v = vec![
            ("event", self.event.clone()),
            ("status", self.status.clone()),
            ("kind", self.kind.clone()),
            ("referral_id", self.referral_id.clone()),
            ("amount", decimal(self.amount, currency)),
            ("amount_minor", self.amount.to_string()),
            ("commission", decimal(self.commission, currency)),
            ("commission_minor", self.commission.to_string()),
            ("currency", self.currency.clone()),
            ("timestamp", self.at.to_string()),
        ];
        v.extend(self.campaign.clone().map(|c| ("campaign", c)));
        v.extend(self.click_id.clone().map(|c| ("click_id", c)));
        for sub in ["sub1", "sub2", "sub3", "sub4", "sub5"] {
            v.extend(self.click_ids.get(sub).map(|s| (sub, s.clone())));
        }
        v
    }

    /// `template` filled in with this occurrence.
    pub fn fill(&self, template: &Template) -> String {
        let values = self.values();
        template.expand(|m| {
            values
                .iter()
                .find(|(k, _)| *k == m)
                .map(|(_, v)| v.as_str())
        })
    }
}

/// Queues the postback of the webhook event `event` (`referral.created`, `referral.approved`,
/// `referral.reversed`) for referral `referral_id` when its affiliate has a postback URL.
pub async fn enqueue(tx: &mut Tx, event: &str, referral_id: &str) -> Result<(), AppError> {
    let short = event.strip_prefix("referral.").unwrap_or(event);
    let row = sqlx::query(
        "SELECT a.postback_url, r.affiliate_id, r.status, r.kind, r.amount, r.currency, r.campaign, r.at, \
         CAST(COALESCE((SELECT SUM(g.amount) FROM ledger g WHERE g.referral_id = r.id), 0) AS BIGINT), \
         c.id, c.click_ids \
         FROM referrals r JOIN affiliates a ON a.id = r.affiliate_id \
         LEFT JOIN orders o ON r.kind = 'sale' AND o.id = r.source_id \
         LEFT JOIN leads l ON r.kind = 'lead' AND l.id = r.source_id \
         LEFT JOIN clicks c ON c.id = COALESCE(o.click_id, l.click_id) \
         WHERE r.id = $1",
    )
    .bind(referral_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let Some(text) = row.try_get::<Option<String>, _>(0)? else {
        return Ok(());
    };
    // Stored templates were checked when saved; the host policy applies when sending.
    let Ok(template) = Template::parse(&text, true) else {
        return Ok(());
    };
    let affiliate: String = row.try_get(1)?;
    let click_ids: Option<String> = row.try_get(10)?;
    let occurrence = Occurrence {
        event: short.to_owned(),
        status: row.try_get(2)?,
        kind: row.try_get(3)?,
        referral_id: referral_id.to_owned(),
        amount: row.try_get(4)?,
        currency: row.try_get(5)?,
        campaign: row.try_get(6)?,
        at: row.try_get(7)?,
        commission: row.try_get(8)?,
        click_id: row.try_get(9)?,
        click_ids: click_ids
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default(),
    };
    let at = now();
    sqlx::query(
        "INSERT INTO postbacks (id, affiliate_id, referral_id, event, url, at, attempts, next_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $6)",
    )
    .bind(new_id("pb"))
    .bind(&affiliate)
    .bind(referral_id)
    .bind(short)
    .bind(occurrence.fill(&template))
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The client postbacks go through: 10 s, no redirects (a tracker answers itself) and, unless
/// `allow_private`, a resolver that keeps public addresses only.
pub fn client(allow_private: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT);
    if !allow_private {
        builder = builder.dns_resolver(std::sync::Arc::new(PublicOnly));
    }
    // Only a TLS backend failing to start could fail here; the plain client is the fallback.
    builder.build().unwrap_or_default()
}

/// A resolver that answers a name's public addresses only.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{} has no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Requests `url` with `state`'s postback client.
pub async fn send(state: &AppState, url: &str) -> Outcome {
    let Ok(parsed) = url::Url::parse(url) else {
        return Outcome::failed("not a valid address once filled in".into());
    };
    // An address written as an IP skips the resolver.
    if !state.http.postbacks_to_private {
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(a)) => Some(std::net::IpAddr::V4(a)),
            Some(url::Host::Ipv6(a)) => Some(std::net::IpAddr::V6(a)),
            _ => None,
        };
        if literal.is_some_and(|ip| !is_public(ip)) {
            return Outcome::failed("the address is in a private network".into());
        }
    }
    Outcome::of(state.postback_client().get(parsed).send().await)
}

/// One round: claims up to 20 due postbacks and sends them.
pub async fn deliver_due(state: &AppState) -> Result<usize, AppError> {
    let t = now();
    let rows = sqlx::query(
        "SELECT id, url, attempts, next_at, event, affiliate_id FROM postbacks \
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= $1 ORDER BY next_at LIMIT 20",
    )
    .bind(t)
    .fetch_all(&state.db.pool)
    .await?;
    let mut sent = 0;
    for r in rows {
        let id: String = r.try_get(0)?;
        let url: String = r.try_get(1)?;
        let attempts: i64 = r.try_get::<i64, _>(2)? + 1;
        let next_at: i64 = r.try_get(3)?;
        let event: String = r.try_get(4)?;
        let affiliate: String = r.try_get(5)?;
        if !crate::outbox::claim(&state.db.pool, "postbacks", &id, next_at, t + 60).await? {
            continue;
        }
        match send(state, &url).await.error {
            None => {
                sqlx::query(
                    "UPDATE postbacks SET delivered_at = $1, attempts = $2, last_error = NULL WHERE id = $3",
                )
                .bind(now())
                .bind(attempts)
                .bind(&id)
                .execute(&state.db.pool)
                .await?;
                crate::metrics::inc(&state.metrics.postbacks_delivered);
                sent += 1;
            }
            Some(err) => {
                if attempts >= crate::webhooks::MAX_ATTEMPTS {
                    let notice = crate::team_mail::DeliveryFailedNotice {
                        kind: "postback".into(),
                        event,
                        url: url.clone(),
                        affiliate: Some(affiliate),
                        error: err.clone(),
                    };
                    crate::outbox::give_up(state, "postbacks", &id, attempts, &err, &notice)
                        .await?;
                } else {
                    crate::outbox::failed(&state.db.pool, "postbacks", &id, attempts, false, &err)
                        .await?;
                }
                crate::metrics::inc(&state.metrics.postbacks_failed);
            }
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_occurrence_fills_every_macro() {
        let o = Occurrence {
            event: "approved".into(),
            status: "approved".into(),
            kind: "sale".into(),
            referral_id: "r_1".into(),
            amount: 1_250,
            commission: 125,
            currency: "THB".into(),
            campaign: Some("songkran".into()),
            click_id: Some("c_9".into()),
            click_ids: [
                ("sub1".to_owned(), "u 7".to_owned()),
                ("gclid".to_owned(), "g".to_owned()),
            ]
            .into_iter()
            .collect(),
            at: 1_795_000_000,
        };
        let all = crate::postback_url::MACROS
            .map(|m| format!("{m}={{{m}}}"))
            .join("&");
        let t = Template::parse(&format!("https://t.example/?{all}"), false).unwrap();
        assert_eq!(
            o.fill(&t),
            "https://t.example/?event=approved&status=approved&kind=sale&referral_id=r_1\
             &amount=12.50&amount_minor=1250&commission=1.25&commission_minor=125&currency=THB\
             &campaign=songkran&click_id=c_9&sub1=u%207&sub2=&sub3=&sub4=&sub5=&timestamp=1795000000"
        );
    }
}
