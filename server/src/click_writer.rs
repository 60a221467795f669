//! Group commit for clicks: one writer task per process takes the clicks that arrived while
//! the previous batch was being written and stores them in one transaction, so a burst of
//! clicks costs one `fsync` instead of one each. A click is answered only after its batch
//! committed: a 201 still means the click is durable. If a batch fails, its clicks are
//! written one by one, so one bad row cannot fail the others.

use crate::db::Db;
use crate::error::AppError;
use tokio::sync::{mpsc, oneshot};

/// The most clicks written in one transaction.
pub const MAX_BATCH: usize = 512;

/// A click to store.
pub struct NewClick {
    /// Id.
    pub id: String,
    /// Affiliate.
    pub affiliate: Option<String>,
    /// Unix seconds.
    pub at: i64,
    /// Visitor id or a daily hash of address and user agent.
    pub visitor_key: String,
    /// Known bot.
    pub bot: bool,
    /// Salted hash of the address.
    pub ip_hash: String,
    /// Consent state.
    pub consent: &'static str,
    /// Where the id was found.
    pub via: Option<String>,
    /// Landing URL.
    pub url: String,
    /// Referrer.
    pub referrer: String,
    /// Landing path.
    pub landing: Option<String>,
    /// Campaign parameters (JSON).
    pub campaign: Option<String>,
    /// Network click ids (JSON).
    pub click_ids: Option<String>,
    /// User agent.
    pub user_agent: String,
    /// Start of the dedupe window.
    pub unique_since: i64,
}

type Job = (NewClick, oneshot::Sender<Result<bool, String>>);

/// The handle handlers send clicks to.
#[derive(Clone)]
pub struct ClickWriter {
    tx: mpsc::Sender<Job>,
}

impl ClickWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db) -> Self {
        let (tx, rx) = mpsc::channel(8 * MAX_BATCH);
        tokio::spawn(run(db, rx));
        ClickWriter { tx }
    }

    /// Stores a click; answers whether it is the visitor's first on the affiliate within the
    /// dedupe window.
    pub async fn write(&self, click: NewClick) -> Result<bool, AppError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((click, reply))
            .await
            .map_err(|_| AppError::Internal("the click writer stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Internal("the click writer dropped a click".into()))?
            .map_err(AppError::Internal)
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let clicks: Vec<&NewClick> = batch.iter().map(|(c, _)| c).collect();
        match write_batch(&db, &clicks).await {
            Ok(uniques) => {
                for ((_, reply), unique) in batch.into_iter().zip(uniques) {
                    let _ = reply.send(Ok(unique));
                }
            }
            Err(e) if batch.len() == 1 => {
                for (_, reply) in batch {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = batch.len(), "click batch failed; writing one by one");
                for (click, reply) in batch {
                    let r = write_batch(&db, &[&click])
                        .await
                        .map(|u| u.first().copied().unwrap_or(false));
                    let _ = reply.send(r.map_err(|e| e.to_string()));
                }
            }
        }
    }
}

/// Columns of one click row, in insert order.
const COLUMNS: &str =
    "id, affiliate_id, at, visitor_key, is_unique, is_bot, ip_hash, consent, via, url, referrer, \
     landing, campaign, click_ids, user_agent";
const PER_ROW: usize = 15;

/// Statement sizes: a batch is written in chunks of these many rows, so the few distinct
/// statements stay in the connection's prepared-statement cache.
const CHUNKS: [usize; 3] = [64, 8, 1];

/// Writes a batch in one transaction, two statements per chunk: one query for the visitors'
/// recent clicks (the dedupe window), one multi-row insert. Uniqueness inside the batch is
/// decided here, in arrival order. The SQL text holds only numbered placeholders.
async fn write_batch(db: &Db, clicks: &[&NewClick]) -> Result<Vec<bool>, AppError> {
    let mut tx = db.begin_write().await?;
    let mut uniques = Vec::with_capacity(clicks.len());
    let mut last_seen: std::collections::HashMap<(String, String), i64> =
        std::collections::HashMap::new();
    let mut rest = clicks;
    while !rest.is_empty() {
        let n = CHUNKS
            .iter()
            .copied()
            .find(|n| *n <= rest.len())
            .unwrap_or(1);
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        let since = chunk.iter().map(|c| c.unique_since).min().unwrap_or(0);
        let placeholders: Vec<String> = (0..n).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT visitor_key, COALESCE(affiliate_id, ''), MAX(at) FROM clicks WHERE at > $1 AND visitor_key IN ({}) \
             GROUP BY visitor_key, affiliate_id",
            placeholders.join(", ")
        );
        let mut q =
            sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(sql)).bind(since);
        for c in chunk {
            q = q.bind(c.visitor_key.as_str());
        }
        for (v, a, at) in q.fetch_all(&mut *tx).await? {
            let e = last_seen.entry((v, a)).or_insert(at);
            *e = (*e).max(at);
        }
        let first = uniques.len();
        for c in chunk {
            let key = (
                c.visitor_key.clone(),
                c.affiliate.clone().unwrap_or_default(),
            );
            let seen = last_seen.get(&key).is_some_and(|at| *at > c.unique_since);
            uniques.push(!c.bot && !seen);
            last_seen.insert(key, c.at);
        }
        let rows: Vec<String> = (0..n)
            .map(|r| {
                let cells: Vec<String> = (1..=PER_ROW)
                    .map(|i| format!("${}", r * PER_ROW + i))
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO clicks ({COLUMNS}) VALUES {}", rows.join(", "));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (c, unique) in chunk.iter().zip(&uniques[first..]) {
            q = q
                .bind(c.id.as_str())
                .bind(c.affiliate.as_deref())
                .bind(c.at)
                .bind(c.visitor_key.as_str())
                .bind(i64::from(*unique))
                .bind(i64::from(c.bot))
                .bind(c.ip_hash.as_str())
                .bind(c.consent)
                .bind(c.via.as_deref())
                .bind(c.url.as_str())
                .bind(c.referrer.as_str())
                .bind(c.landing.as_deref())
                .bind(c.campaign.as_deref())
                .bind(c.click_ids.as_deref())
                .bind(c.user_agent.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    // The per-day counts, in the same transaction.
    let mut daily: std::collections::BTreeMap<(i64, &str), (i64, i64, i64)> =
        std::collections::BTreeMap::new();
    for (c, unique) in clicks.iter().zip(&uniques) {
        if let Some(a) = c.affiliate.as_deref() {
            let e = daily.entry((c.at.div_euclid(86_400), a)).or_default();
            e.0 += i64::from(!c.bot);
            e.1 += i64::from(*unique);
            e.2 += i64::from(c.bot);
        }
    }
    for ((day, affiliate), (n, unique, bot)) in daily {
        sqlx::query(
            "INSERT INTO click_daily (day, affiliate_id, clicks, unique_clicks, bot_clicks) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (day, affiliate_id) DO UPDATE SET clicks = click_daily.clicks + excluded.clicks, \
             unique_clicks = click_daily.unique_clicks + excluded.unique_clicks, \
             bot_clicks = click_daily.bot_clicks + excluded.bot_clicks",
        )
        .bind(day)
        .bind(affiliate)
        .bind(n)
        .bind(unique)
        .bind(bot)
        .execute(&mut *tx)
        .await?;
    }
    // Each visitor's last click day, in the same transaction.
    let mut seen: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for c in clicks {
        if c.affiliate.is_some() && !c.bot {
            let day = seen.entry(c.visitor_key.as_str()).or_insert(i64::MIN);
            *day = (*day).max(c.at.div_euclid(86_400));
        }
    }
    let seen: Vec<(&str, i64)> = seen.into_iter().collect();
    crate::rollups::visitors_seen(&mut tx, &seen).await?;
    tx.commit().await?;
    Ok(uniques)
}

/// Recomputes `click_daily` from the clicks (after a bulk load that wrote clicks directly).
pub async fn rebuild_click_daily(tx: &mut crate::db::Tx) -> Result<(), AppError> {
    sqlx::query("DELETE FROM click_daily")
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO click_daily (day, affiliate_id, clicks, unique_clicks, bot_clicks) \
         SELECT at / 86400, affiliate_id, SUM(1 - is_bot), SUM(CASE WHEN is_bot = 0 THEN is_unique ELSE 0 END), SUM(is_bot) \
         FROM clicks WHERE affiliate_id IS NOT NULL GROUP BY at / 86400, affiliate_id",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
