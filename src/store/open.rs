//! Opening the store a database URL names: for the service and the commands that write
//! ([`open`]: created if missing, migrated), and for verifiers ([`open_read_only`]: never
//! created, never migrated, never written).

use super::{Store, postgres, sqlite};
use std::sync::Arc;

/// Opens the store a database URL names for reading only, as `verify-log` does: never
/// created, never migrated, read-only sessions (PostgreSQL) or a read-only file (SQLite), so a
/// role or a file that may only be read is enough. A database without an event log is an error
/// saying so.
pub async fn open_read_only(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    use anyhow::Context;
    let never = || {
        anyhow::anyhow!(
            "{} has no event log: the database was never migrated (verifying never migrates; \
             run `liftrescue migrate` on it first if it is the right one)",
            crate::config::redact(url)
        )
    };
    if is_postgres(url) {
        let s = postgres::PgStore::connect_read_only(url)
            .await
            .context("open the PostgreSQL store read-only")?;
        Ok(Arc::new(s.ok_or_else(never)?))
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest
            .trim_start_matches("//")
            .split('?')
            .next()
            .unwrap_or_default();
        if !std::path::Path::new(path).exists() {
            anyhow::bail!("{path} does not exist (verifying never creates a database)");
        }
        let s = sqlite::SqliteStore::connect_read_only(url)
            .await
            .context("open the SQLite store read-only (an existing file; none is created)")?;
        Ok(Arc::new(s.ok_or_else(never)?))
    } else {
        anyhow::bail!("database URL must start with postgres:// or sqlite: (got {url:?})")
    }
}

/// Opens the store a database URL names (`postgres://…` or `sqlite:…`), creating the database
/// file for SQLite, and applies the migrations.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    use anyhow::Context;
    if is_postgres(url) {
        let s = postgres::PgStore::connect(url)
            .await
            .context("open the PostgreSQL store")?;
        Ok(Arc::new(s))
    } else if url.starts_with("sqlite:") {
        let s = sqlite::SqliteStore::connect(url)
            .await
            .context("open the SQLite store")?;
        Ok(Arc::new(s))
    } else {
        anyhow::bail!("database URL must start with postgres:// or sqlite: (got {url:?})")
    }
}

/// [`open`] for a bulk load that may be repeated if it is cut short (`seed-demo --history`):
/// on SQLite commits do not wait for the disk (`synchronous = NORMAL`); PostgreSQL is opened
/// as usual.
pub async fn open_for_bulk_load(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    use anyhow::Context;
    if url.starts_with("sqlite:") {
        let s = sqlite::SqliteStore::connect_for_bulk_load(url)
            .await
            .context("open the SQLite store")?;
        return Ok(Arc::new(s));
    }
    open(url).await
}

/// Whether `url` names PostgreSQL (`postgres:` or `postgresql:`); anything else is SQLite.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}
