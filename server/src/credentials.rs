//! Credentials: API keys, the admin password, the click-cookie signing keys, affiliate tokens.
//!
//! Keys and tokens are stored as SHA-256 hashes (they are long random strings, so a fast hash
//! is enough); the admin password as an argon2id hash. At first start whatever is missing is
//! generated, stored and printed once; `REFTRAIL_SECRET_KEY`, `REFTRAIL_PUBLISHABLE_KEY`,
//! `REFTRAIL_ADMIN_PASSWORD` and `REFTRAIL_COOKIE_SECRET` pin them instead.

use crate::db::{Backend, Db, Tx};
use crate::error::AppError;
use crate::ids::{new_id, new_token, random_base62, sha256_hex};
use crate::times::now;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sqlx::Row;

/// The kinds of API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// `sk_…`: a backend; may call every route except the affiliate's.
    Secret,
    /// `pk_…`: the browser; may post leads and sales (unverified) from allowed origins.
    Publishable,
}

impl KeyKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::Publishable => "publishable",
        }
    }

    /// The prefix keys of this kind start with.
    pub fn prefix(self) -> &'static str {
        match self {
            KeyKind::Secret => "sk_",
            KeyKind::Publishable => "pk_",
        }
    }

    /// Parses a stored or CLI name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "secret" => Some(KeyKind::Secret),
            "publishable" => Some(KeyKind::Publishable),
            _ => None,
        }
    }
}

/// Pinned credentials, from the environment.
#[derive(Clone, Debug, Default)]
pub struct Pinned {
    /// `REFTRAIL_SECRET_KEY`.
    pub secret_key: Option<String>,
    /// `REFTRAIL_PUBLISHABLE_KEY`.
    pub publishable_key: Option<String>,
    /// `REFTRAIL_ADMIN_PASSWORD`.
    pub admin_password: Option<String>,
    /// `REFTRAIL_COOKIE_SECRET`.
    pub cookie_secret: Option<String>,
}

/// Whether `key` looks like a key of `kind`: its prefix, then 16 to 100 letters, digits or `_`.
pub fn well_formed(kind: KeyKind, key: &str) -> bool {
    key.strip_prefix(kind.prefix()).is_some_and(|rest| {
        (16..=100).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

async fn lock(tx: &mut Tx, db: &Db) -> Result<(), sqlx::Error> {
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7406202)")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Makes sure every credential exists; returns the lines to print for those generated now.
pub async fn bootstrap(db: &Db, pinned: &Pinned) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut tx = db.begin_write().await?;
    lock(&mut tx, db).await?;
    for (kind, pin, var) in [
        (KeyKind::Secret, &pinned.secret_key, "REFTRAIL_SECRET_KEY"),
        (
            KeyKind::Publishable,
            &pinned.publishable_key,
            "REFTRAIL_PUBLISHABLE_KEY",
        ),
    ] {
        if let Some(key) = pin {
            anyhow::ensure!(
                well_formed(kind, key),
                "{var} must be {}<16 to 100 letters, digits or _>",
                kind.prefix()
            );
            let hash = sha256_hex(key);
            let exists = sqlx::query("SELECT id FROM api_keys WHERE key_hash = $1")
                .bind(&hash)
                .fetch_optional(&mut *tx)
                .await?;
            match exists {
                Some(row) => {
                    let id: String = row.try_get(0)?;
                    sqlx::query("UPDATE api_keys SET revoked_at = NULL WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                None => {
                    insert_key(&mut tx, kind, key).await?;
                }
            }
        } else {
            let active: i64 =
                sqlx::query("SELECT COUNT(*) FROM api_keys WHERE kind = $1 AND revoked_at IS NULL")
                    .bind(kind.as_str())
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            if active == 0 {
                let key = new_token(kind.prefix());
                insert_key(&mut tx, kind, &key).await?;
                out.push(format!("{} key (shown once): {key}", kind.as_str()));
            }
        }
    }

    let stored: Option<String> =
        sqlx::query("SELECT value FROM settings WHERE name = 'admin_password'")
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    match (&pinned.admin_password, stored) {
        (Some(pw), stored) => {
            anyhow::ensure!(
                pw.len() >= 8 && pw.len() <= 200,
                "REFTRAIL_ADMIN_PASSWORD must be 8 to 200 bytes"
            );
            let current = stored.as_deref().is_some_and(|h| verify_password(pw, h));
            if !current {
                set_setting(&mut tx, "admin_password", &hash_password(pw)?).await?;
            }
        }
        (None, None) => {
            let pw = random_base62(20);
            set_setting(&mut tx, "admin_password", &hash_password(&pw)?).await?;
            out.push(format!("admin password (shown once): {pw}"));
        }
        (None, Some(_)) => {}
    }

    match &pinned.cookie_secret {
        Some(secret) => {
            anyhow::ensure!(
                secret.len() >= 32,
                "REFTRAIL_COOKIE_SECRET must be at least 32 bytes"
            );
            let id = format!("k{}", &sha256_hex(secret)[..8]);
            sqlx::query(
                "INSERT INTO cookie_keys (id, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&id)
            .bind(secret)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            set_setting(&mut tx, "cookie_key", &id).await?;
        }
        None => {
            let current = sqlx::query("SELECT value FROM settings WHERE name = 'cookie_key'")
                .fetch_optional(&mut *tx)
                .await?;
            if current.is_none() {
                new_cookie_key(&mut tx).await?;
            }
        }
    }
    let whsec = sqlx::query("SELECT value FROM settings WHERE name = 'webhook_secret'")
        .fetch_optional(&mut *tx)
        .await?;
    if whsec.is_none() {
        set_setting(&mut tx, "webhook_secret", &new_token("whsec_")).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Creates a new cookie-signing key and makes it current; older keys still verify.
pub async fn new_cookie_key(tx: &mut Tx) -> Result<String, sqlx::Error> {
    let id = format!("k{}", random_base62(8));
    sqlx::query("INSERT INTO cookie_keys (id, secret, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(random_base62(43))
        .bind(now())
        .execute(&mut **tx)
        .await?;
    set_setting(tx, "cookie_key", &id).await?;
    Ok(id)
}

/// Stores a setting.
pub async fn set_setting(tx: &mut Tx, name: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(value)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts a key; returns its id.
pub async fn insert_key(tx: &mut Tx, kind: KeyKind, key: &str) -> Result<String, sqlx::Error> {
    let id = new_id("key");
    sqlx::query(
        "INSERT INTO api_keys (id, kind, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(kind.as_str())
    .bind(&key[..key.len().min(10)])
    .bind(sha256_hex(key))
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// The kind of an active key, or `None`.
pub async fn lookup_key(db: &Db, key: &str) -> Result<Option<KeyKind>, AppError> {
    let row = sqlx::query("SELECT kind FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(sha256_hex(key))
        .fetch_optional(&db.pool)
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<String, _>(0).ok())
        .and_then(|k| KeyKind::parse(&k)))
}

/// An argon2id hash of `password`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&crate::ids::random_bytes::<16>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

/// Whether `password` matches the stored argon2 `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The signing keys: the current one's id, and every key that still verifies.
#[derive(Clone, Debug)]
pub struct CookieKeys {
    /// The id of the key that signs new cookies.
    pub current: String,
    /// (id, secret) of every unretired key.
    pub keys: Vec<(String, String)>,
}

impl CookieKeys {
    /// The secret of key `id`.
    pub fn secret(&self, id: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, s)| s.as_str())
    }
}

/// Loads the cookie-signing keys.
pub async fn cookie_keys(db: &Db) -> Result<CookieKeys, AppError> {
    let current: String = sqlx::query("SELECT value FROM settings WHERE name = 'cookie_key'")
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or_else(|| AppError::Internal("no cookie key; run migrate first".into()))?;
    let rows = sqlx::query("SELECT id, secret FROM cookie_keys WHERE retired_at IS NULL")
        .fetch_all(&db.pool)
        .await?;
    let keys = rows
        .iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(CookieKeys { current, keys })
}

/// A new affiliate token (`at_…`): stored hashed on the affiliate, returned once.
pub async fn new_affiliate_token(tx: &mut Tx, affiliate: &str) -> Result<String, sqlx::Error> {
    let token = new_token("at_");
    sqlx::query("UPDATE affiliates SET token_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(sha256_hex(&token))
        .bind(now())
        .bind(affiliate)
        .execute(&mut **tx)
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shapes() {
        assert!(well_formed(KeyKind::Secret, "sk_test_0123456789abcdef"));
        assert!(!well_formed(KeyKind::Secret, "pk_test_0123456789abcdef"));
        assert!(!well_formed(KeyKind::Publishable, "pk_short"));
        assert!(!well_formed(
            KeyKind::Publishable,
            "pk_0123456789abcdef\r\n"
        ));
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
