//! The click writer on an SQLite file: a thread with its own connection, prepared statements
//! kept across batches, one `BEGIN IMMEDIATE` transaction per batch. The connection uses the
//! pool's settings (WAL, `synchronous=FULL`, the busy timeout), so a commit here is as durable
//! as one through the pool, and other writers queue behind it the same way.

use super::batch::{self, Pair};
use super::{answer, gather, Job, NewClick};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::sync::mpsc;

/// Starts the writer thread; it ends when every handle is dropped.
pub fn start(path: PathBuf, rx: mpsc::Receiver<Job>) {
    let spawned = std::thread::Builder::new()
        .name("click-writer".into())
        .spawn(move || run(&path, rx));
    if let Err(e) = spawned {
        // The handles' sends then fail, and each click answers a 500 instead of hanging.
        tracing::error!(error = %e, "could not start the click writer");
    }
}

fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; \
         PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;",
    )?;
    conn.set_prepared_statement_cache_capacity(16);
    Ok(conn)
}

fn run(path: &std::path::Path, mut rx: mpsc::Receiver<Job>) {
    let mut conn = match open(path) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!(error = %e, path = %path.display(), "click writer: cannot open the database");
            None
        }
    };
    while let Some(first) = rx.blocking_recv() {
        let batch = gather(first, &mut rx);
        let Some(conn) = conn.as_mut() else {
            for (_, reply) in batch {
                let _ = reply.send(Err("the click writer has no database connection".into()));
            }
            continue;
        };
        let clicks: Vec<&NewClick> = batch.iter().map(|(c, _)| c).collect();
        let written = write_batch(conn, &clicks);
        for (click, reply) in answer(batch, written) {
            let r = write_batch(conn, &[&click]).map(|u| u.first().copied().unwrap_or(false));
            let _ = reply.send(r.map_err(|e| e.to_string()));
        }
    }
}

/// Writes a batch in one transaction: per click a lookup of the pair's latest click within
/// the window (on the `clicks_visitor` index) and a row; then the rollups.
fn write_batch(conn: &mut Connection, clicks: &[&NewClick]) -> rusqlite::Result<Vec<bool>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut last_seen: HashMap<Pair, i64> = HashMap::new();
    {
        let mut latest = tx.prepare_cached(
            "SELECT MAX(at) FROM clicks WHERE visitor_key = ?1 AND affiliate_id IS ?2 AND at > ?3",
        )?;
        for c in clicks {
            let key = batch::pair(c);
            if last_seen.contains_key(&key) {
                continue;
            }
            let at: Option<i64> = latest
                .query_row(params![c.visitor_key, c.affiliate, c.unique_since], |r| {
                    r.get(0)
                })
                .optional()?
                .flatten();
            if let Some(at) = at {
                last_seen.insert(key, at);
            }
        }
    }
    let uniques = batch::uniques(clicks, &mut last_seen);
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO clicks (id, affiliate_id, at, visitor_key, is_unique, is_bot, ip_hash, \
             consent, via, url, referrer, landing, campaign, click_ids, user_agent, campaign_name, content_name) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?;
        for (c, unique) in clicks.iter().zip(&uniques) {
            insert.execute(params![
                c.id,
                c.affiliate,
                c.at,
                c.visitor_key,
                i64::from(*unique),
                i64::from(c.bot),
                c.ip_hash,
                c.consent,
                c.via,
                c.url,
                c.referrer,
                c.landing,
                c.campaign,
                c.click_ids,
                c.user_agent,
                c.campaign_name,
                c.content_name,
            ])?;
        }
        let mut daily = tx.prepare_cached(
            "INSERT INTO click_daily (day, affiliate_id, clicks, unique_clicks, bot_clicks) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (day, affiliate_id) DO UPDATE SET \
             clicks = clicks + excluded.clicks, unique_clicks = unique_clicks + excluded.unique_clicks, \
             bot_clicks = bot_clicks + excluded.bot_clicks",
        )?;
        for d in batch::daily(clicks, &uniques) {
            daily.execute(params![d.day, d.affiliate, d.clicks, d.unique, d.bots])?;
        }
        let mut by_campaign = tx.prepare_cached(
            "INSERT INTO campaign_daily (day, affiliate_id, campaign, clicks, unique_clicks) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (day, affiliate_id, campaign) DO UPDATE SET \
             clicks = clicks + excluded.clicks, unique_clicks = unique_clicks + excluded.unique_clicks",
        )?;
        for d in batch::campaign_daily(clicks, &uniques) {
            by_campaign.execute(params![d.day, d.affiliate, d.campaign, d.clicks, d.unique])?;
        }
        let mut by_content = tx.prepare_cached(
            "INSERT INTO content_daily (day, affiliate_id, content, clicks) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (day, affiliate_id, content) DO UPDATE SET clicks = clicks + excluded.clicks",
        )?;
        for ((day, affiliate, content), n) in batch::content_daily(clicks) {
            by_content.execute(params![day, affiliate, content, n])?;
        }
        let mut seen = tx.prepare_cached(
            "INSERT INTO visitor_last (visitor_key, day) VALUES (?1, ?2) ON CONFLICT (visitor_key) \
             DO UPDATE SET day = excluded.day WHERE excluded.day > visitor_last.day",
        )?;
        for (visitor, day) in batch::visitor_days(clicks) {
            seen.execute(params![visitor, day])?;
        }
    }
    tx.commit()?;
    Ok(uniques)
}
