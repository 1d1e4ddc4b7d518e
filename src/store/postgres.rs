//! The PostgreSQL adapter: the production store.
//!
//! Timestamps are `TIMESTAMPTZ`, JSON documents `JSONB` (the event body stays `TEXT`: its exact
//! bytes are what the hash covers). Appends queue on `LOCK TABLE events IN SHARE ROW EXCLUSIVE
//! MODE`, which conflicts with itself and with row writes but not with reads (see
//! `store::engine`). A trigger refuses `UPDATE`, `DELETE` and `TRUNCATE` on `events`
//! (`migrations/postgres/0002_log.sql`).

use super::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;

/// The store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database `url` names and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(PgConnectOptions::from_str(url)?).await
    }

    /// Connects with explicit options (tests point these at a fresh database) and applies the
    /// migrations.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(sqlx::Error::Migrate(Box::new(e))))?;
        Ok(PgStore { pool })
    }

    /// The connection pool (for operations tooling and tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

super::engine::impl_store!(
    PgStore,
    sqlx::Postgres,
    engine: "postgres",
    begin: "BEGIN",
    begin_append: "BEGIN; LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE"
);
