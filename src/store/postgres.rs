//! The PostgreSQL adapter: the production store.
//!
//! Timestamps are `TIMESTAMPTZ`, JSON documents `JSONB` (the event body stays `TEXT`: its exact
//! bytes are what the hash covers). Appends queue on `LOCK TABLE events IN SHARE ROW EXCLUSIVE
//! MODE`, which conflicts with itself and with row writes but not with reads (see
//! `store::engine`), except a batch that opens incidents or moves on incidents this store last
//! wrote, which is one statement chained from the head this store last committed
//! (`store::opening`). A trigger refuses `UPDATE`,
//! `DELETE` and `TRUNCATE` on `events` (`migrations/postgres/0002_log.sql`).

use super::StoreError;
use super::opening::{Head, Known};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// The store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    /// The log's head as this store last committed it (see `store::opening`).
    head: Arc<Mutex<Head>>,
    /// Open incidents as this store last committed them (see `store::opening`).
    pub(crate) known: Arc<Mutex<Known>>,
    /// Tokens lately found (see `store::cache`).
    pub(crate) tokens: Arc<super::cache::Tokens>,
}

/// Connections the pool holds at most.
pub(crate) const POOL_SIZE: u32 = 10;

/// How long a pooled connection may sit idle before it is pinged on its way out.
pub(crate) const PING_IF_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

impl PgStore {
    /// Connects to the database `url` names and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(PgConnectOptions::from_str(url)?).await
    }

    /// Connects as a node process of a cluster (see `crate::cluster`): every connection says
    /// which process it is and its region, so the log's fence knows whether it holds the desk
    /// lease; a transaction left idle (a paused process) is ended by the server after 2 s, so it
    /// cannot hold the lease row's lock and hold up a takeover for long.
    pub async fn connect_node(url: &str, node: &crate::cluster::Node) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?
            .application_name(&node.instance)
            .options([
                ("liftrescue.node", node.instance.as_str()),
                ("liftrescue.region", node.region.as_str()),
                ("idle_in_transaction_session_timeout", "2s"),
            ]);
        Self::connect_with(options).await
    }

    /// Connects with explicit options (tests point these at a fresh database) and applies the
    /// migrations.
    pub async fn connect_with(options: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = Self::pool_options().connect_with(options).await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(sqlx::Error::Migrate(Box::new(e))))?;
        Self::on(pool).await
    }

    /// Connects for reading only, as a verifier does: every session is read-only
    /// (`default_transaction_read_only`), nothing is migrated, and a role that may only
    /// `SELECT` is enough. `Ok(None)` when the database has no event log (it was never
    /// migrated).
    pub async fn connect_read_only(url: &str) -> Result<Option<Self>, StoreError> {
        let options =
            PgConnectOptions::from_str(url)?.options([("default_transaction_read_only", "on")]);
        let pool = Self::pool_options().connect_with(options).await?;
        let migrated: bool = sqlx::query_scalar("SELECT to_regclass('events') IS NOT NULL")
            .fetch_one(&pool)
            .await?;
        if !migrated {
            pool.close().await;
            return Ok(None);
        }
        Self::on(pool).await.map(Some)
    }

    /// The store on a connected (and migrated) pool.
    async fn on(pool: PgPool) -> Result<Self, StoreError> {
        let head: Option<(i64, String)> = sqlx::query_as(super::sql::LOG_HEAD)
            .fetch_optional(&pool)
            .await?;
        Ok(PgStore {
            pool,
            head: Arc::new(Mutex::new(Head::Known(head))),
            known: Arc::default(),
            tokens: Arc::default(),
        })
    }

    /// The pool every connection of this store comes from (writing or read-only alike).
    fn pool_options() -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            // sqlx pings every idle connection before handing it out: a round trip in front of
            // every statement on the alarm path. A connection used within the last second has
            // just shown it is alive; only one idle longer (where a server's or a firewall's
            // idle timeout may have closed it) is pinged. A connection that died meanwhile
            // fails its statement: the inbox inserts try the next connection
            // (`engine::again_if_connection_lost`); anything else fails as the database being
            // unavailable would (a 503, a desk append that changes nothing and is retried).
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
    }

    /// Takes the head this store knows, leaving it unknown until [`Self::remember_head`].
    pub(crate) fn take_head(&self) -> Head {
        std::mem::take(&mut *self.head.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Forgets the head (an append is under way that may not commit).
    pub(crate) fn forget_head(&self) {
        self.take_head();
    }

    /// Forgets the head and the open incidents this store last wrote (another writer may have
    /// appended since).
    pub(crate) fn forget_writes(&self) {
        self.forget_head();
        *self.known.lock().unwrap_or_else(|p| p.into_inner()) = Known::default();
    }

    /// Records the head an append committed.
    pub(crate) fn remember_head(&self, head: Option<(i64, String)>) {
        *self.head.lock().unwrap_or_else(|p| p.into_inner()) = Head::Known(head);
    }

    /// PostgreSQL queues writers itself (row locks, the log's table lock): no line in process.
    pub(crate) async fn write_gate(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        None
    }

    /// The connection pool (for operations tooling and tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Finds the lift and commits the alarm in one statement (`sql::ALARM_FOR_LIFT_BY_ID` and
    /// its kin): the alarm is inserted only if the lift is there.
    pub(crate) async fn insert_resolved(
        &self,
        a: &super::NewAlarm,
        received_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(super::InboxReceipt, crate::domain::Lift)>, StoreError> {
        use super::sql;
        use crate::domain::LiftRef;
        let q = match &a.lift_ref {
            LiftRef::Id(id) => sqlx::query_as(sql::ALARM_FOR_LIFT_BY_ID).bind(id.0),
            LiftRef::RescueCode(c) => {
                sqlx::query_as(sql::ALARM_FOR_LIFT_BY_RESCUE_CODE).bind(c.as_str())
            }
            LiftRef::RegistrationCode(c) => {
                sqlx::query_as(sql::ALARM_FOR_LIFT_BY_REGISTRATION_CODE).bind(c.as_str())
            }
            LiftRef::Phone(p) => sqlx::query_as(sql::ALARM_FOR_LIFT_BY_PHONE).bind(p.as_str()),
            LiftRef::Device(d) => sqlx::query_as(sql::ALARM_FOR_LIFT_BY_DEVICE).bind(d.as_str()),
            LiftRef::Unparsed(_) => return Ok(None),
        };
        let row: Option<LiftAndAlarm> = q
            .bind(super::rows::enum_name(&a.channel))
            .bind(&a.source_alarm_id)
            .bind(super::rows::to_json(a)?)
            .bind(super::types::Ts(received_at))
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let lift = row.lift.decode()?;
        let receipt = self.inbox_receipt(a, row.alarm_id, received_at).await?;
        Ok(Some((receipt, lift)))
    }
}

/// A lift found, and the id of the alarm inserted for it (`None`: a copy was there).
#[derive(sqlx::FromRow)]
struct LiftAndAlarm {
    #[sqlx(flatten)]
    lift: super::rows::LiftRow,
    alarm_id: Option<i64>,
}

super::engine::impl_store!(
    PgStore,
    sqlx::Postgres,
    engine: "postgres",
    begin: "BEGIN",
    begin_append: "BEGIN; LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE"
);
