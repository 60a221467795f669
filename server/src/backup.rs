//! `backup`: a consistent copy of the SQLite database, taken while the server runs.
//!
//! `VACUUM INTO` reads the database in one read transaction (writers go on, in WAL mode) and
//! writes a compact copy. The copy is written beside the destination under a temporary name,
//! checked (`PRAGMA integrity_check`, and the schema version of the source), flushed to disk,
//! and only then linked to the destination name: a backup file is whole or absent, and never
//! replaces an existing file. PostgreSQL has its own tool for this, `pg_dump`.

use anyhow::{bail, Context as _};
use sqlx::{ConnectOptions as _, Connection as _, Row as _};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

/// What a backup wrote.
#[derive(Debug)]
pub struct Backup {
    /// The backup file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// The schema version it holds (a server of at least this version opens it).
    pub schema_version: i64,
}

/// Copies the SQLite database of `database_url` to the new file `to`.
pub async fn sqlite(database_url: &str, to: &Path) -> anyhow::Result<Backup> {
    let Some(source) = crate::db::sqlite_file(database_url) else {
        if database_url.starts_with("postgres") {
            bail!("backup copies an SQLite database; back up PostgreSQL with pg_dump");
        }
        bail!("backup needs an SQLite database file (--database sqlite://PATH)");
    };
    if !source.is_file() {
        bail!("no database at {}", source.display());
    }
    if to.exists() {
        bail!("{} exists: a backup never replaces a file", to.display());
    }
    let dir = match to.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!("no directory {} for the backup", dir.display());
    }
    let name = to
        .file_name()
        .and_then(|n| n.to_str())
        .context("the backup needs a file name")?;
    let partial = dir.join(format!(".{name}.partial-{}", crate::ids::random_base62(8)));
    let result = copy(&source, &partial, to).await;
    // Whatever happened, no partial file is left behind.
    let _ = std::fs::remove_file(&partial);
    result
}

async fn copy(source: &Path, partial: &Path, to: &Path) -> anyhow::Result<Backup> {
    let mut db = open(source, "rw").await?;
    let version = schema_version(&mut db)
        .await
        .with_context(|| format!("{} is not a Reftrail database", source.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(path_text(partial)?)
        .execute(&mut db)
        .await
        .with_context(|| format!("copying {}", source.display()))?;
    db.close().await?;

    let mut copy = open(partial, "ro").await?;
    let check: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&mut copy)
        .await?
        .try_get(0)?;
    if check != "ok" {
        bail!("the copy failed its integrity check: {check}");
    }
    let copied = schema_version(&mut copy).await?;
    copy.close().await?;
    if copied != version {
        bail!("the copy holds schema version {copied}, the database {version}");
    }

    std::fs::File::open(partial)?.sync_all()?;
    // A hard link fails when the name exists: nothing that appeared meanwhile is replaced.
    std::fs::hard_link(partial, to)
        .with_context(|| format!("naming the backup {}", to.display()))?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(Backup {
        path: to.to_path_buf(),
        bytes: std::fs::metadata(to)?.len(),
        schema_version: version,
    })
}

/// One connection to the SQLite file `path` in `mode` (`rw` or `ro`: it is never created).
async fn open(path: &Path, mode: &str) -> anyhow::Result<sqlx::AnyConnection> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode={mode}", path_text(path)?);
    // Copying and checking a large database takes seconds by nature: not a slow statement to warn of.
    sqlx::any::AnyConnectOptions::from_str(&url)?
        .disable_statement_logging()
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))
}

async fn schema_version(db: &mut sqlx::AnyConnection) -> anyhow::Result<i64> {
    Ok(
        sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            .fetch_one(db)
            .await?
            .try_get(0)?,
    )
}

fn path_text(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not valid UTF-8", path.display()))
}
