//! The SQLite adapter: the embedded default, so `cargo run` works with nothing installed.
//!
//! The database file is created if missing and opened in WAL mode (readers do not block the
//! writer) with foreign keys on, `synchronous = FULL` (an accepted alarm survives a power cut)
//! and a busy timeout, so a writer waits for another instead of failing. Every write
//! transaction starts with `BEGIN IMMEDIATE`, which takes the write lock at once: the append's
//! read of the log head and its inserts are never interleaved with another writer's (see
//! `store::engine`). Timestamps are fixed-format TEXT (see `store::types`). Triggers refuse
//! `UPDATE` and `DELETE` on `events` (`migrations/sqlite/0002_log.sql`).
//!
//! An in-memory database (`sqlite::memory:`) lives as long as a connection to it is open, so it
//! gets a pool of exactly one connection that never expires.

use super::StoreError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// How long a writer waits for another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The store on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Tokens lately found (see `store::cache`).
    pub(crate) tokens: std::sync::Arc<super::cache::Tokens>,
    /// This process's writers, in line (see [`SqliteStore::write_gate`]).
    gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database `url` names (`sqlite:path/to/file.db`,
    /// `sqlite::memory:`) and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_synchronous(url, SqliteSynchronous::Full).await
    }

    /// [`Self::connect`] for a bulk load (`seed-demo --history`): `synchronous = NORMAL`, so a
    /// commit does not wait for the disk. In WAL mode the file stays consistent; a power cut
    /// may lose the last commits, which a seeding run would be repeated for anyway.
    pub async fn connect_for_bulk_load(url: &str) -> Result<Self, StoreError> {
        Self::connect_synchronous(url, SqliteSynchronous::Normal).await
    }

    async fn connect_synchronous(
        url: &str,
        synchronous: SqliteSynchronous,
    ) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = if url.contains(":memory:") || url.contains("mode=memory") {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(8)
        };
        let pool = pool.connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(sqlx::Error::Migrate(Box::new(e))))?;
        Ok(SqliteStore {
            pool,
            tokens: Default::default(),
            gate: Default::default(),
        })
    }

    /// Opens an existing database file read-only (`mode=ro`), as a verifier does: nothing is
    /// created, migrated or written, and a file its user may only read is enough. `Ok(None)`
    /// when the file has no event log (it was never migrated).
    pub async fn connect_read_only(url: &str) -> Result<Option<Self>, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .read_only(true)
            .create_if_missing(false)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        let migrated: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events')",
        )
        .fetch_one(&pool)
        .await?;
        if !migrated {
            pool.close().await;
            return Ok(None);
        }
        Ok(Some(SqliteStore {
            pool,
            tokens: Default::default(),
            gate: Default::default(),
        }))
    }

    /// The connection pool (for operations tooling and tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl SqliteStore {
    /// SQLite appends in process, where round trips cost little: always the locked path.
    pub(crate) async fn append_opening(
        &self,
        _: &[crate::domain::Event],
        _: &[super::outbox::PageMessage],
    ) -> Result<Option<(Vec<super::StoredEvent>, Vec<super::outbox::Message>)>, StoreError> {
        Ok(None)
    }

    /// Looks the lift up, then commits the alarm: in process, two statements cost little.
    pub(crate) async fn insert_resolved(
        &self,
        alarm: &super::NewAlarm,
        received_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(super::InboxReceipt, crate::domain::Lift)>, StoreError> {
        let Some(lift) = self.find_lift_row(&alarm.lift_ref).await? else {
            return Ok(None);
        };
        let receipt = self.insert_alarm_row(alarm, received_at).await?;
        Ok(Some((receipt, lift)))
    }

    /// Held by every write transaction of the alarm path (inbox, log, deadlines, outbox, review
    /// index). SQLite has one writer; one that finds the database locked waits in its busy
    /// handler, which sleeps and tries again (up to 100 ms a sleep), so under load writers
    /// lost tens of milliseconds after the lock was free. In this line the next writer starts
    /// as soon as the one before commits, in the order they came.
    pub(crate) async fn write_gate(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        Some(self.gate.clone().lock_owned().await)
    }

    /// Nothing to forget (see [`Self::append_opening`]).
    pub(crate) fn forget_head(&self) {}

    /// Nothing to forget: one node, one writer.
    pub(crate) fn forget_writes(&self) {}

    /// Nothing to remember (see [`Self::append_opening`]).
    pub(crate) fn remember_append(&self, _: Option<(i64, String)>, _: &super::projection::Writes) {}
}

super::engine::impl_store!(
    SqliteStore,
    sqlx::Sqlite,
    engine: "sqlite",
    begin: "BEGIN IMMEDIATE",
    begin_append: "BEGIN IMMEDIATE"
);
