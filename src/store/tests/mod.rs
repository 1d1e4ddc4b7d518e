//! The conformance suite: every behaviour of the store, run on both engines.
//!
//! Each `conformance!` test runs twice: `on_sqlite`, against a fresh database file, always; and
//! `on_postgres`, against a fresh uuid-named database created through the admin URL in
//! `LIFTRESCUE_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), when that
//! is set — otherwise it says it skipped and passes. Databases and files are removed when the
//! test ends, passed or failed.

mod access;
mod fixes;
pub(crate) mod inbox;
pub(crate) mod log;
mod open;
mod outbox;
mod pool;
mod projection;
mod registry;
pub(crate) mod scenarios;

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::{Store, StoreError, StoredEvent};
use crate::domain::Event;
use sqlx::AssertSqlSafe;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::path::PathBuf;
use std::str::FromStr;

/// The variable naming the PostgreSQL admin URL for the suite.
pub const PG_URL_VAR: &str = "LIFTRESCUE_TEST_DATABASE_URL";

/// Stamps a scenario out as `on_sqlite` and `on_postgres` tests in a module named `$name`.
macro_rules! conformance {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn scenario($db: &$crate::store::tests::TestDb) $body

            #[tokio::test]
            async fn on_sqlite() {
                scenario(&$crate::store::tests::TestDb::sqlite().await).await
            }

            #[tokio::test]
            async fn on_postgres() {
                if let Some(db) = $crate::store::tests::TestDb::postgres().await {
                    scenario(&db).await
                }
            }
        }
    };
}
pub(crate) use conformance;

/// A store on a fresh database, removed when dropped.
pub struct TestDb {
    engine: Engine,
    cleanup: Cleanup,
}

enum Engine {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

enum Cleanup {
    Files(PathBuf),
    Database { admin: String, name: String },
}

impl TestDb {
    /// A store on a new SQLite file in the temp directory.
    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("liftrescue-{}.db", uuid::Uuid::new_v4()));
        let store = SqliteStore::connect(&format!("sqlite:{}", path.display()))
            .await
            .expect("open a fresh SQLite store");
        TestDb {
            engine: Engine::Sqlite(store),
            cleanup: Cleanup::Files(path),
        }
    }

    /// A store on a new PostgreSQL database, or `None` when the suite has no server.
    pub async fn postgres() -> Option<TestDb> {
        let admin = crate::telemetry::test_service("PostgreSQL", PG_URL_VAR)?;
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin)
            .await
            .expect("connect as admin");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        let _ = conn.close().await;
        let options = PgConnectOptions::from_str(&admin)
            .expect("admin URL")
            .database(&name);
        let store = PgStore::connect_with(options)
            .await
            .expect("open a fresh PostgreSQL store");
        Some(TestDb {
            engine: Engine::Postgres(store),
            cleanup: Cleanup::Database { admin, name },
        })
    }

    /// The store under test.
    pub fn store(&self) -> &dyn Store {
        match &self.engine {
            Engine::Sqlite(s) => s,
            Engine::Postgres(s) => s,
        }
    }

    /// The PostgreSQL store itself, for what only that adapter has.
    pub fn postgres_store(&self) -> Option<&PgStore> {
        match &self.engine {
            Engine::Postgres(s) => Some(s),
            Engine::Sqlite(_) => None,
        }
    }

    /// Which engine ("sqlite", "postgres").
    pub fn engine(&self) -> &'static str {
        self.store().engine()
    }

    /// A second store on the same database (another writer).
    pub async fn second_store(&self) -> Box<dyn Store> {
        match (&self.engine, &self.cleanup) {
            (Engine::Sqlite(_), Cleanup::Files(path)) => Box::new(
                SqliteStore::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .unwrap(),
            ),
            (_, Cleanup::Database { admin, name }) => {
                let options = PgConnectOptions::from_str(admin).unwrap().database(name);
                Box::new(PgStore::connect_with(options).await.unwrap())
            }
            _ => unreachable!(),
        }
    }

    /// Runs SQL behind the store's back, as any client could.
    pub async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        match &self.engine {
            Engine::Sqlite(s) => sqlx::query(sql)
                .execute(s.pool())
                .await
                .map(|r| r.rows_affected()),
            Engine::Postgres(s) => sqlx::query(sql)
                .execute(s.pool())
                .await
                .map(|r| r.rows_affected()),
        }
    }

    /// The single integer a query answers, read behind the store's back.
    pub async fn count(&self, sql: &str) -> i64 {
        let sql = AssertSqlSafe(sql.to_owned());
        match &self.engine {
            Engine::Sqlite(s) => sqlx::query_scalar(sql).fetch_one(s.pool()).await.unwrap(),
            Engine::Postgres(s) => sqlx::query_scalar(sql).fetch_one(s.pool()).await.unwrap(),
        }
    }

    /// Runs SQL with the log's append-only triggers out of the way, as a superuser could: on
    /// PostgreSQL with `session_replication_role = replica` (triggers do not fire), on SQLite by
    /// dropping the triggers.
    pub async fn tamper(&self, sql: &str) -> u64 {
        let sql = AssertSqlSafe(sql.to_owned());
        match &self.engine {
            Engine::Sqlite(s) => {
                for drop in [
                    "DROP TRIGGER IF EXISTS events_no_update",
                    "DROP TRIGGER IF EXISTS events_no_delete",
                ] {
                    sqlx::query(drop).execute(s.pool()).await.unwrap();
                }
                sqlx::query(sql)
                    .execute(s.pool())
                    .await
                    .unwrap()
                    .rows_affected()
            }
            Engine::Postgres(s) => {
                let mut tx = s.pool().begin().await.unwrap();
                sqlx::query("SET LOCAL session_replication_role = replica")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                let n = sqlx::query(sql)
                    .execute(&mut *tx)
                    .await
                    .unwrap()
                    .rows_affected();
                tx.commit().await.unwrap();
                n
            }
        }
    }

    /// Closes every connection to this PostgreSQL database from the server's side, as a restart
    /// or an idle timeout would; how many it closed (`None` on SQLite).
    pub async fn close_connections_server_side(&self) -> Option<i64> {
        let Cleanup::Database { admin, name } = &self.cleanup else {
            return None;
        };
        let mut conn = PgConnection::connect(admin)
            .await
            .expect("connect as admin");
        let closed = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
        )
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .expect("terminate the store's connections");
        let _ = conn.close().await;
        Some(closed)
    }

    /// Appends `events` chained from `head` however far the log has moved since: what a second
    /// writer that read the head earlier (and skipped the lock) would do.
    pub async fn append_after(
        &self,
        head: Option<(i64, String)>,
        events: &[Event],
    ) -> Result<Vec<StoredEvent>, StoreError> {
        match &self.engine {
            Engine::Sqlite(s) => {
                let mut tx = s.pool().begin().await?;
                let rows = SqliteStore::append_after(&mut tx, head, events).await?;
                tx.commit().await?;
                Ok(rows)
            }
            Engine::Postgres(s) => {
                let mut tx = s.pool().begin().await?;
                let rows = PgStore::append_after(&mut tx, head, events).await?;
                tx.commit().await?;
                Ok(rows)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Files(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Database { admin, name } => {
                let (admin, name) = (admin.clone(), name.clone());
                // Best effort, on a thread of its own: Drop cannot await.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    rt.map(|rt| {
                        rt.block_on(async {
                            let mut conn = PgConnection::connect(&admin).await.ok()?;
                            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            sqlx::query(AssertSqlSafe(sql))
                                .execute(&mut conn)
                                .await
                                .ok()
                        })
                    })
                })
                .join();
            }
        }
    }
}
