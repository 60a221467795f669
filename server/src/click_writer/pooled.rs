//! The click writer on the connection pool: PostgreSQL, and an in-memory SQLite.

use super::batch::{self, Pair};
use super::{answer, gather, Job, NewClick, MAX_BATCH};
use crate::db::Db;
use crate::error::AppError;
use std::collections::HashMap;
use tokio::sync::mpsc;

/// Writes batches until every handle is dropped.
pub async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let batch = gather(first, &mut rx);
        let clicks: Vec<&NewClick> = batch.iter().map(|(c, _)| c).collect();
        let written = write_batch(&db, &clicks).await;
        for (click, reply) in answer(batch, written) {
            let r = write_batch(&db, &[&click])
                .await
                .map(|u| u.first().copied().unwrap_or(false));
            let _ = reply.send(r.map_err(|e| e.to_string()));
        }
    }
}

/// Columns of one click row, in insert order.
const COLUMNS: &str =
    "id, affiliate_id, at, visitor_key, is_unique, is_bot, ip_hash, consent, via, url, referrer, \
     landing, campaign, click_ids, user_agent, campaign_name, content_name";
const PER_ROW: usize = 17;

// A batch is written in chunks of `db::STATEMENT_CHUNKS` rows.
const _: () = assert!(crate::db::STATEMENT_CHUNKS[0] <= MAX_BATCH);

/// Writes a batch in one transaction, two statements per chunk: one query for the visitors'
/// recent clicks (the dedupe window), one multi-row insert. The SQL text holds only numbered
/// placeholders.
async fn write_batch(db: &Db, clicks: &[&NewClick]) -> Result<Vec<bool>, AppError> {
    let mut tx = db.begin_write().await?;
    let mut uniques = Vec::with_capacity(clicks.len());
    let mut last_seen: HashMap<Pair, i64> = HashMap::new();
    for chunk in crate::db::statement_chunks(clicks) {
        let n = chunk.len();
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
        let chunk_uniques = batch::uniques(chunk, &mut last_seen);
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
        for (c, unique) in chunk.iter().zip(&chunk_uniques) {
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
                .bind(c.user_agent.as_str())
                .bind(c.campaign_name.as_deref())
                .bind(c.content_name.as_deref());
        }
        q.execute(&mut *tx).await?;
        uniques.extend(chunk_uniques);
    }
    for d in batch::daily(clicks, &uniques) {
        sqlx::query(
            "INSERT INTO click_daily (day, affiliate_id, clicks, unique_clicks, bot_clicks) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (day, affiliate_id) DO UPDATE SET clicks = click_daily.clicks + excluded.clicks, \
             unique_clicks = click_daily.unique_clicks + excluded.unique_clicks, \
             bot_clicks = click_daily.bot_clicks + excluded.bot_clicks",
        )
        .bind(d.day)
        .bind(d.affiliate)
        .bind(d.clicks)
        .bind(d.unique)
        .bind(d.bots)
        .execute(&mut *tx)
        .await?;
    }
    for d in batch::campaign_daily(clicks, &uniques) {
        sqlx::query(
            "INSERT INTO campaign_daily (day, affiliate_id, campaign, clicks, unique_clicks) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (day, affiliate_id, campaign) DO UPDATE SET clicks = campaign_daily.clicks + excluded.clicks, \
             unique_clicks = campaign_daily.unique_clicks + excluded.unique_clicks",
        )
        .bind(d.day)
        .bind(d.affiliate)
        .bind(d.campaign)
        .bind(d.clicks)
        .bind(d.unique)
        .execute(&mut *tx)
        .await?;
    }
    for ((day, affiliate, content), n) in batch::content_daily(clicks) {
        sqlx::query(
            "INSERT INTO content_daily (day, affiliate_id, content, clicks) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (day, affiliate_id, content) DO UPDATE SET clicks = content_daily.clicks + excluded.clicks",
        )
        .bind(day)
        .bind(affiliate)
        .bind(content)
        .bind(n)
        .execute(&mut *tx)
        .await?;
    }
    crate::rollups::visitors_seen(&mut tx, &batch::visitor_days(clicks)).await?;
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
