//! Webhooks: `referral.created`, `referral.approved`, `referral.reversed`, `payout.created`,
//! `bonus.created`, `bonus.cancelled`.
//!
//! An event is written to the `outbox` table in the same transaction as the change it reports,
//! one row per subscribed endpoint, so it is sent if and only if the change happened. A worker
//! in every server process claims due rows with a lease (safe with several processes), POSTs
//! them with `Reftrail-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
//! program's webhook secret, and retries failures with exponential backoff (30 s doubling, at
//! most 6 h apart) for 12 attempts before marking the row failed.

use crate::db::Tx;
use crate::error::AppError;
use crate::ids::new_id;
use crate::outbox::Outcome;
use crate::program::Program;
use crate::times::now;
use crate::AppState;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::Row;
use std::time::Duration;

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 12;

/// Queues `event` with `data` (serialized as the event's `data`) for every endpoint subscribed
/// to it.
pub async fn enqueue(
    tx: &mut Tx,
    program: &Program,
    event: &str,
    data: &impl serde::Serialize,
) -> Result<(), AppError> {
    let targets: Vec<&str> = program
        .webhooks
        .iter()
        .filter(|w| w.events.is_empty() || w.events.iter().any(|e| e == event))
        .map(|w| w.url.as_str())
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let data = serde_json::to_value(data)?;
    let at = now();
    for url in targets {
        let id = new_id("evt");
        let payload = serde_json::json!({
            "id": id, "type": event, "created_at": crate::times::format(at), "data": data,
        });
        sqlx::query(
            "INSERT INTO outbox (id, event, url, payload, at, attempts, next_at) VALUES ($1, $2, $3, $4, $5, 0, $5)",
        )
        .bind(&id)
        .bind(event)
        .bind(url)
        .bind(payload.to_string())
        .bind(at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The signature header value for `body` at time `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    // HMAC accepts keys of any length, so this never fails.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    m.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

/// The client deliveries go through: https endpoints are verified against the web PKI roots
/// built in, plus the certificates of `extra_roots` (a PEM file, e.g. a company's internal CA
/// for an endpoint on its own network). Redirects are not followed: an endpoint answers itself.
pub fn client(extra_roots: Option<&std::path::Path>) -> anyhow::Result<reqwest::Client> {
    use anyhow::Context as _;
    #[cfg_attr(not(feature = "tls"), allow(unused_mut))]
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none());
    #[cfg(not(feature = "tls"))]
    if let Some(path) = extra_roots {
        anyhow::bail!(
            "{}: this build has no TLS (the `tls` feature is off)",
            path.display()
        );
    }
    #[cfg(feature = "tls")]
    if let Some(path) = extra_roots {
        let pem = std::fs::read(path)
            .with_context(|| format!("reading the webhook CA file {}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("{} holds no PEM certificate", path.display()))?;
        anyhow::ensure!(
            !certs.is_empty(),
            "{} holds no PEM certificate",
            path.display()
        );
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().context("starting the webhook client")
}

/// Delivers due events through `client` until `shutdown` fires.
pub async fn run_worker(
    state: AppState,
    client: reqwest::Client,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    // Finished outbox rows are removed once an hour, not every round.
    let mut pruned_at = i64::MIN;
    loop {
        if let Err(e) = deliver_due(&state, &client).await {
            tracing::warn!(error = %e, "webhook delivery round failed");
        }
        if let Err(e) = crate::routes::referrals::approve_due(&state).await {
            tracing::warn!(error = %e, "automatic approval round failed");
        }
        if let Err(e) = crate::postbacks::deliver_due(&state).await {
            tracing::warn!(error = %e, "postback round failed");
        }
        if let Err(e) = crate::affiliate_mail::send_due(&state).await {
            tracing::warn!(error = %e, "affiliate email round failed");
        }
        if let Err(e) = crate::retention::forget_click_details(&state, now()).await {
            tracing::warn!(error = %e, "click retention round failed");
        }
        if now().saturating_sub(pruned_at) >= 3600 {
            pruned_at = now();
            if let Err(e) = crate::outbox::prune_finished(&state.db.pool, pruned_at).await {
                tracing::warn!(error = %e, "outbox pruning failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// One round: claims up to 20 due events and sends them.
pub async fn deliver_due(state: &AppState, client: &reqwest::Client) -> Result<usize, AppError> {
    let t = now();
    let rows = sqlx::query(
        "SELECT id, url, payload, attempts, next_at, event FROM outbox \
         WHERE delivered_at IS NULL AND failed_at IS NULL AND next_at <= $1 ORDER BY next_at LIMIT 20",
    )
    .bind(t)
    .fetch_all(&state.db.pool)
    .await?;
    let secret = webhook_secret(state).await?;
    let mut sent = 0;
    for r in rows {
        let id: String = r.try_get(0)?;
        let url: String = r.try_get(1)?;
        let payload: String = r.try_get(2)?;
        let attempts: i64 = r.try_get(3)?;
        let next_at: i64 = r.try_get(4)?;
        let event: String = r.try_get(5)?;
        // A lease of 60 s covers the request.
        if !crate::outbox::claim(&state.db.pool, "outbox", &id, next_at, t + 60).await? {
            continue;
        }
        match post(client, &secret, &url, payload).await.error {
            None => {
                sqlx::query("UPDATE outbox SET delivered_at = $1, attempts = $2, last_error = NULL WHERE id = $3")
                    .bind(now())
                    .bind(attempts + 1)
                    .bind(&id)
                    .execute(&state.db.pool)
                    .await?;
                crate::metrics::inc(&state.metrics.webhooks_delivered);
                sent += 1;
            }
            Some(err) => {
                let attempts = attempts + 1;
                if attempts >= MAX_ATTEMPTS {
                    let notice = crate::team_mail::DeliveryFailedNotice {
                        kind: "webhook".into(),
                        event,
                        url: url.clone(),
                        affiliate: None,
                        error: err.clone(),
                    };
                    crate::outbox::give_up(state, "outbox", &id, attempts, &err, &notice).await?;
                } else {
                    crate::outbox::failed(&state.db.pool, "outbox", &id, attempts, false, &err)
                        .await?;
                }
                crate::metrics::inc(&state.metrics.webhooks_failed);
            }
        }
    }
    Ok(sent)
}

/// POSTs `payload` to `url`, signed with `secret` at this moment.
pub async fn post(client: &reqwest::Client, secret: &str, url: &str, payload: String) -> Outcome {
    let result = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "reftrail-webhooks/1")
        .header("reftrail-signature", signature(secret, now(), &payload))
        .body(payload)
        .send()
        .await;
    Outcome::of(result)
}

/// The body of a `ping`: an event with no data, which a test sends so that an endpoint's
/// address, signature check and answer can be tried before any real event.
pub fn ping_payload(at: i64) -> String {
    serde_json::json!({
        "id": new_id("evt"), "type": "ping", "created_at": crate::times::format(at), "data": {},
    })
    .to_string()
}

/// The webhook signing secret.
pub async fn webhook_secret(state: &AppState) -> Result<String, AppError> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'webhook_secret'")
        .fetch_optional(&state.db.pool)
        .await?;
    match row {
        Some(r) => Ok(r.try_get(0)?),
        None => Err(AppError::Internal(
            "no webhook secret; run migrate first".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let s = signature("whsec", 1_700_000_000, "{}");
        assert!(s.starts_with("t=1700000000,v1="));
        assert_eq!(s.len(), "t=1700000000,v1=".len() + 64);
    }
}
