//! The database: one [`sqlx::AnyPool`] over SQLite or PostgreSQL, and the migrations.
//!
//! The same SQL runs on both: `$1` placeholders, TEXT and BIGINT columns, `CAST(SUM(..) AS
//! BIGINT)` where PostgreSQL would answer NUMERIC. SQLite runs in WAL mode with
//! `synchronous=FULL`, so a committed write survives a crash of the process or the machine;
//! write transactions there start with `BEGIN IMMEDIATE` so concurrent writers queue on the
//! busy timeout instead of failing on a read-to-write upgrade.

use anyhow::Context as _;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::time::Duration;

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// The pool and what it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    /// The connection pool.
    pub pool: AnyPool,
    /// The database kind.
    pub backend: Backend,
    /// The SQLite file, for the click writer's own connection (`None` on PostgreSQL and for
    /// an in-memory database, which only the pool can see).
    pub sqlite_path: Option<std::path::PathBuf>,
    /// On an SQLite file, one connection for write transactions: SQLite runs one writer at a
    /// time, and writers that wait in this pool's queue take turns in order, where writers on
    /// several connections would sleep in SQLite's busy handler and wake late (a sale's p99
    /// went past a second under 32 concurrent sales).
    write_pool: Option<AnyPool>,
}

/// A write transaction.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The migrations, in order: (version, name, SQL).
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (
        2,
        "report_rollups",
        include_str!("../migrations/0002_report_rollups.sql"),
    ),
    (
        3,
        "login_failures_by_address",
        include_str!("../migrations/0003_login_failures_by_address.sql"),
    ),
    (
        4,
        "money_and_visitor_rollups",
        include_str!("../migrations/0004_money_and_visitor_rollups.sql"),
    ),
    (
        5,
        "cost_of_goods",
        include_str!("../migrations/0005_cost_of_goods.sql"),
    ),
    (
        6,
        "referral_credit",
        include_str!("../migrations/0006_referral_credit.sql"),
    ),
    (
        7,
        "portal_sign_in",
        include_str!("../migrations/0007_portal_sign_in.sql"),
    ),
    (
        8,
        "customer_matching",
        include_str!("../migrations/0008_customer_matching.sql"),
    ),
    (
        9,
        "affiliate_mail",
        include_str!("../migrations/0009_affiliate_mail.sql"),
    ),
    (
        10,
        "affiliate_referral_emails",
        include_str!("../migrations/0010_affiliate_referral_emails.sql"),
    ),
    (
        11,
        "bank_payouts",
        include_str!("../migrations/0011_bank_payouts.sql"),
    ),
    (
        12,
        "payout_line_sent",
        include_str!("../migrations/0012_payout_line_sent.sql"),
    ),
    (
        13,
        "withholding",
        include_str!("../migrations/0013_withholding.sql"),
    ),
    (
        14,
        "certificates",
        include_str!("../migrations/0014_certificates.sql"),
    ),
    (
        15,
        "program_changes",
        include_str!("../migrations/0015_program_changes.sql"),
    ),
    (
        16,
        "creatives",
        include_str!("../migrations/0016_creatives.sql"),
    ),
    (
        17,
        "activity",
        include_str!("../migrations/0017_activity.sql"),
    ),
    (
        18,
        "payee_type",
        include_str!("../migrations/0018_payee_type.sql"),
    ),
    (
        19,
        "bonuses",
        include_str!("../migrations/0019_bonuses.sql"),
    ),
    (
        20,
        "applications",
        include_str!("../migrations/0020_applications.sql"),
    ),
    (
        21,
        "recruiters",
        include_str!("../migrations/0021_recruiters.sql"),
    ),
    (
        22,
        "campaigns",
        include_str!("../migrations/0022_campaigns.sql"),
    ),
    (
        23,
        "creative_clicks",
        include_str!("../migrations/0023_creative_clicks.sql"),
    ),
    (24, "team", include_str!("../migrations/0024_team.sql")),
    (
        25,
        "team_mail",
        include_str!("../migrations/0025_team_mail.sql"),
    ),
    (
        26,
        "short_links",
        include_str!("../migrations/0026_short_links.sql"),
    ),
    (
        27,
        "two_factor",
        include_str!("../migrations/0027_two_factor.sql"),
    ),
    (
        28,
        "recovery_codes",
        include_str!("../migrations/0028_recovery_codes.sql"),
    ),
    (
        29,
        "activity_seq",
        include_str!("../migrations/0029_activity_seq.sql"),
    ),
    (
        30,
        "affiliate_id_any_case",
        include_str!("../migrations/0030_affiliate_id_any_case.sql"),
    ),
    (
        31,
        "postbacks",
        include_str!("../migrations/0031_postbacks.sql"),
    ),
    (
        32,
        "deliveries_by_time",
        include_str!("../migrations/0032_deliveries_by_time.sql"),
    ),
    (
        33,
        "payout_requests",
        include_str!("../migrations/0033_payout_requests.sql"),
    ),
];

/// A pool of `max_connections` to `backend`, with SQLite's settings on each connection.
fn pool_options(backend: Backend, max_connections: u32) -> AnyPoolOptions {
    let opts = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10));
    if backend != Backend::Sqlite {
        return opts;
    }
    opts.after_connect(|conn, _meta| {
        Box::pin(async move {
            conn.execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                 PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768; \
                 PRAGMA temp_store = MEMORY;",
            )
            .await?;
            Ok(())
        })
    })
}

impl Db {
    /// Connects to `url` (`sqlite://path` or `postgres://…`), creating an SQLite file and its
    /// directory if missing.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            anyhow::bail!("unsupported database URL (use sqlite://PATH or postgres://…): {url}");
        };
        let mut url = url.to_owned();
        let sqlite_path = sqlite_file(&url);
        if backend == Backend::Sqlite {
            if let Some(dir) = sqlite_path.as_deref().and_then(std::path::Path::parent) {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("creating the data directory {}", dir.display())
                    })?;
                }
            }
            if !url.contains("mode=") {
                url.push_str(if url.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
        }
        let pool = pool_options(backend, max_connections)
            .connect(&url)
            .await
            .with_context(|| format!("connecting to {}", redact(&url)))?;
        let write_pool = match &sqlite_path {
            Some(_) => Some(pool_options(backend, 1).connect(&url).await?),
            None => None,
        };
        Ok(Db {
            pool,
            backend,
            sqlite_path,
            write_pool,
        })
    }

    /// Starts a write transaction.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let pool = self.write_pool.as_ref().unwrap_or(&self.pool);
                pool.begin_with("BEGIN IMMEDIATE").await
            }
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Applies the migrations not yet applied; returns how many ran. Safe to run from several
    /// processes at once (an advisory lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite).
    pub async fn migrate(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            conn.execute("SELECT pg_advisory_lock(7406201)").await?;
        }
        let result = self.migrate_locked(&mut conn).await;
        if self.backend == Backend::Postgres {
            conn.execute("SELECT pg_advisory_unlock(7406201)").await?;
        }
        result
    }

    async fn migrate_locked(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
    ) -> anyhow::Result<usize> {
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await?;
        let mut ran = 0;
        for (version, name, sql) in MIGRATIONS {
            let mut tx = match self.backend {
                Backend::Sqlite => {
                    sqlx::Connection::begin_with(&mut **conn, "BEGIN IMMEDIATE").await?
                }
                Backend::Postgres => sqlx::Connection::begin(&mut **conn).await?,
            };
            let done: Option<AnyRow> =
                sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                tx.rollback().await?;
                continue;
            }
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&mut *tx)
                .await
                .with_context(|| format!("migration {version} ({name})"))?;
            // What the SQL cannot say alike on both databases: reading the stored JSON.
            match *version {
                22 => crate::campaigns::backfill(&mut tx, self.backend).await,
                23 => crate::creative_clicks::backfill(&mut tx, self.backend).await,
                _ => Ok(()),
            }
            .with_context(|| format!("migration {version} ({name}): backfill"))?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(*version)
            .bind(*name)
            .bind(crate::times::now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::info!(version, name, "migration applied");
            ran += 1;
        }
        Ok(ran)
    }

    /// The latest applied migration version.
    pub async fn schema_version(&self) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            .fetch_one(&self.pool)
            .await?;
        row.try_get::<i64, _>(0)
    }
}

/// The file of an SQLite database URL (`sqlite://data/reftrail.db?mode=rwc`); `None` for an
/// in-memory database or another kind of URL.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (path != ":memory:" && !path.is_empty() && !url.contains("mode=memory"))
        .then(|| std::path::PathBuf::from(path))
}

/// `url` without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The row counts of multi-row statements, largest first: rows are written in chunks of these
/// sizes so that a statement takes one of three shapes and stays in the connection's
/// prepared-statement cache.
pub const STATEMENT_CHUNKS: [usize; 3] = [64, 8, 1];

/// `rows` in chunks of [`STATEMENT_CHUNKS`] sizes, each the largest that fits.
pub fn statement_chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        let n = STATEMENT_CHUNKS
            .iter()
            .copied()
            .find(|n| *n <= rest.len())?;
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::{sqlite_file, statement_chunks};
    use std::path::PathBuf;

    #[test]
    fn the_file_of_an_sqlite_url() {
        for (url, file) in [
            ("sqlite://data/reftrail.db", Some("data/reftrail.db")),
            (
                "sqlite:///var/lib/reftrail/db.sqlite?mode=rwc",
                Some("/var/lib/reftrail/db.sqlite"),
            ),
            ("sqlite:reftrail.db", Some("reftrail.db")),
            ("sqlite::memory:", None),
            ("sqlite://shared?mode=memory&cache=shared", None),
            ("sqlite://", None),
            ("postgres://u:p@127.0.0.1/reftrail", None),
        ] {
            assert_eq!(sqlite_file(url), file.map(PathBuf::from), "{url}");
        }
    }

    #[test]
    fn rows_go_in_the_largest_chunks_that_fit() {
        let sizes = |n: usize| {
            let rows: Vec<usize> = (0..n).collect();
            let chunks: Vec<&[usize]> = statement_chunks(&rows).collect();
            // Every row once, in order.
            assert_eq!(chunks.concat(), rows);
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(7), [1; 7]);
        assert_eq!(sizes(8), [8]);
        assert_eq!(sizes(75), [64, 8, 1, 1, 1]);
        assert_eq!(sizes(130), [64, 64, 1, 1]);
    }
}
