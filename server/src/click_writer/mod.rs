//! Group commit for clicks: one writer per process takes the clicks that arrived while the
//! previous batch was being written and stores them in one transaction, so a burst of clicks
//! costs one `fsync` instead of one each. A click is answered only after its batch committed:
//! a 201 still means the click is durable. If a batch fails, its clicks are written one by
//! one, so one bad row cannot fail the others.
//!
//! On an SQLite file the writer is a thread with its own native connection ([`sqlite`]):
//! SQLite takes one writer at a time anyway, and prepared statements on a plain connection
//! cost a fraction of a pooled driver's per-statement work. On PostgreSQL (and an in-memory
//! SQLite, which only the pool can see) it is a task on the pool ([`pooled`]). What the batch
//! means — which clicks are unique, the per-day counts, each visitor's last day — is decided
//! once, in [`batch`].

mod batch;
mod pooled;
mod sqlite;

use crate::db::Db;
use crate::error::AppError;
use tokio::sync::{mpsc, oneshot};

pub use pooled::rebuild_click_daily;

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
    /// The campaign's name (`campaigns::name_of`).
    pub campaign_name: Option<String>,
    /// Its `utm_content` (`creative_clicks::name_of`).
    pub content_name: Option<String>,
    /// Network click ids (JSON).
    pub click_ids: Option<String>,
    /// User agent.
    pub user_agent: String,
    /// Start of the dedupe window.
    pub unique_since: i64,
}

/// A click and where its answer goes: whether it is unique, or why it was not stored.
type Job = (NewClick, oneshot::Sender<Result<bool, String>>);

/// The handle handlers send clicks to.
#[derive(Clone)]
pub struct ClickWriter {
    tx: mpsc::Sender<Job>,
}

impl ClickWriter {
    /// Starts the writer: a thread with its own connection on an SQLite file, otherwise a
    /// task on the current runtime.
    pub fn start(db: Db) -> Self {
        let (tx, rx) = mpsc::channel(8 * MAX_BATCH);
        match db.sqlite_path.clone() {
            Some(path) => sqlite::start(path, rx),
            None => {
                tokio::spawn(pooled::run(db, rx));
            }
        }
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

/// `first` and whatever else is already waiting, up to [`MAX_BATCH`].
fn gather(first: Job, rx: &mut mpsc::Receiver<Job>) -> Vec<Job> {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    batch
}

/// Answers a batch from its write: each click whether it is unique. If the write failed, a
/// lone click answers the error, and a larger batch is handed back to be written one click at
/// a time.
fn answer<E: std::fmt::Display>(batch: Vec<Job>, written: Result<Vec<bool>, E>) -> Vec<Job> {
    match written {
        Ok(uniques) => {
            for ((_, reply), unique) in batch.into_iter().zip(uniques) {
                // A handler that gave up (its client went away) no longer listens.
                let _ = reply.send(Ok(unique));
            }
            Vec::new()
        }
        Err(e) if batch.len() == 1 => {
            for (_, reply) in batch {
                let _ = reply.send(Err(e.to_string()));
            }
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(error = %e, size = batch.len(), "click batch failed; writing one by one");
            batch
        }
    }
}
