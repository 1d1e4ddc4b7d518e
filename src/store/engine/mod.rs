//! The one implementation of [`Store`](super::Store), stamped out for each engine.
//!
//! sqlx code generic over the database drowns in trait bounds, and two hand-written copies
//! would drift apart, so the implementation is written once as macros that each adapter
//! instantiates with its pool type. The SQL is shared (`store::sql`), rows are shared
//! (`store::rows`), and the decisions — hash chain, projection, outbox keys — are pure functions
//! (`store::chain`, `store::projection`). What differs between the engines is passed in:
//!
//! - `begin`: the statement that opens a write transaction. SQLite needs `BEGIN IMMEDIATE`, so
//!   a transaction that reads and then writes takes the write lock up front instead of failing
//!   to upgrade when another writer got in between; PostgreSQL uses a plain `BEGIN`.
//! - `begin_append`: what opens an append's transaction and takes the log. On PostgreSQL,
//!   `BEGIN` then `LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE`, sent as one simple query
//!   (one round trip): the mode conflicts with itself and with row writes but not with reads,
//!   so appends queue one behind another while readers and verifiers go on; the head read
//!   after the lock is the committed head (READ COMMITTED takes a fresh snapshot per
//!   statement). SQLite's `BEGIN IMMEDIATE` already is that lock.
//!
//! Either way the `UNIQUE (prev_hash)` and primary key constraints on `events` stay as the last
//! line: a writer that chained from a stale head (one that bypassed the lock) cannot commit,
//! and its violation is reported as [`StoreError::ChainForked`](super::StoreError::ChainForked).

mod append;
mod inbox;
mod outbox;
mod proof;
mod queries;
mod registry;
mod review;
mod store_trait;

pub(crate) use append::append_ops;
pub(crate) use inbox::inbox_ops;
pub(crate) use outbox::outbox_ops;
pub(crate) use proof::proof_ops;
pub(crate) use queries::query_ops;
pub(crate) use registry::registry_ops;
pub(crate) use review::review_ops;
pub(crate) use store_trait::store_trait;

use super::StoreError;
use super::rows::LiftRow;
use std::collections::HashMap;

/// Rows per multi-row INSERT: lifts have 17 columns, so 1,000 rows bind 17,000 values, under
/// SQLite's 32,766 and PostgreSQL's 65,535.
pub const CHUNK: usize = 1_000;

/// Maps a database error: a uniqueness violation on the event log means another writer
/// appended from the same head.
pub fn classify(e: sqlx::Error) -> StoreError {
    match unique_violation(&e) {
        Some(what) if what.contains("events") => StoreError::ChainForked,
        _ => StoreError::Database(e),
    }
}

/// The constraint (PostgreSQL) or `table.column` (SQLite) a uniqueness violation names.
pub fn unique_violation(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Some(
            d.constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| d.message().to_owned()),
        ),
        _ => None,
    }
}

/// How many times in all an alarm's inbox insert is tried while it meets connections the
/// server closed: one more than the PostgreSQL pool holds, so after a restart it gets through
/// every pooled connection (each fails once and is dropped) to a new one.
pub const INBOX_ATTEMPTS: u32 = super::postgres::POOL_SIZE + 1;

/// Runs `op` again, `attempts` times in all at most, while it fails on a connection the
/// database server closed (it restarted or was shut down: the pool pings only connections
/// idle a second or longer, so one used just before fails its next statement). For the
/// inbox inserts, which are safe to repeat (a copy that did commit is found, not doubled): an
/// alarm arriving just after a restart is committed rather than refused.
pub async fn again_if_connection_lost<T, F, Fut>(attempts: u32, mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut left = attempts.max(1);
    loop {
        match op().await {
            Err(e) if left > 1 && connection_lost(&e) => {
                left -= 1;
                tracing::warn!(error = %e, "database connection closed by the server; trying another");
            }
            done => return done,
        }
    }
}

/// Whether `e` says the server closed the connection (not that the statement was refused).
fn connection_lost(e: &StoreError) -> bool {
    use std::io::ErrorKind;
    match e {
        StoreError::Database(sqlx::Error::Io(io)) => matches!(
            io.kind(),
            ErrorKind::BrokenPipe
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::UnexpectedEof
        ),
        // admin_shutdown, crash_shutdown: the server is ending this connection.
        StoreError::Database(sqlx::Error::Database(d)) => {
            matches!(d.code().as_deref(), Some("57P01" | "57P02"))
        }
        _ => false,
    }
}

/// Two lifts of one put that would hold the same rescue or registration code.
pub fn clash_within(rows: &[LiftRow]) -> Option<String> {
    let (mut rescue, mut registration) = (HashMap::new(), HashMap::new());
    for r in rows {
        for (what, seen, code) in [
            ("rescue code", &mut rescue, &r.rescue_code),
            ("registration code", &mut registration, &r.registration_code),
        ] {
            if let Some(other) = seen.insert(code.as_str(), r.id) {
                return Some(format!(
                    "{what} {code} is given to lifts {other} and {}",
                    r.id
                ));
            }
        }
    }
    None
}

/// Implements [`Store`](super::Store) for an adapter holding `pool: sqlx::Pool<$db>`.
macro_rules! impl_store {
    ($store:ty, $db:ty, engine: $engine:literal, begin: $begin:literal, begin_append: $begin_append:literal) => {
        $crate::store::engine::append_ops!($store, $db, $begin, $begin_append);
        $crate::store::engine::registry_ops!($store, $db, $begin);
        $crate::store::engine::query_ops!($store, $db, $begin);
        $crate::store::engine::inbox_ops!($store, $db, $begin);
        $crate::store::engine::review_ops!($store, $db, $begin);
        $crate::store::engine::proof_ops!($store, $db);
        $crate::store::engine::outbox_ops!($store, $db, $engine, $begin);
        $crate::store::engine::store_trait!($store, $db, $engine, $begin);
    };
}
pub(crate) use impl_store;
