//! The service's side of a cluster ([`crate::cluster`]): connecting as a node, the tasks only
//! the desk's holder runs, and what promotion and standing down do to the running service.

use super::recover;
use crate::cluster::forward::{self, Forwarder, Wakes};
use crate::cluster::lease::Lease;
use crate::cluster::role::Roles;
use crate::cluster::{Node, Role};
use crate::config::Settings;
use crate::desk::{DeskHandle, Follower};
use crate::inbox::{self, Inbox};
use crate::rules::RulesSource;
use crate::store::Store;
use anyhow::Context;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// A node of a cluster: who it is, its lease, and its own small pool (lease renewals,
/// notifications, forwarded commands), apart from the store's so a busy store never holds up a
/// renewal.
pub struct Cluster {
    /// This process.
    pub node: Node,
    /// The pool of the lease and the forwarding.
    pub pool: PgPool,
    /// The region's desk lease.
    pub lease: Lease,
    /// Notifications of forwarded commands, answers and standbys' alarms.
    pub wakes: Arc<Wakes>,
    /// Where a standby's desk sends commands.
    pub forwarder: Forwarder,
}

impl Cluster {
    /// Connects `node` to the PostgreSQL `url` names: the store (migrated, fenced as `node`)
    /// and the cluster's own pool.
    pub async fn connect(
        settings: &Settings,
        url: &str,
        share: Option<Arc<crate::cluster::share::Share>>,
    ) -> anyhow::Result<(Cluster, crate::store::postgres::PgStore)> {
        let node = Node::new(&settings.cluster);
        let store = crate::store::postgres::PgStore::connect_node(url, &node)
            .await
            .context("open the PostgreSQL store")?;
        let ttl = settings.cluster.lease_ttl;
        let options: sqlx::postgres::PgConnectOptions = url.parse()?;
        // A statement that outlasts half a lease is abandoned and tried again, so a renewal
        // never waits past the lease it renews. The lease has a pool of its own: a busy
        // forwarding or a storm of waiting callers never holds up a renewal or a takeover.
        let timeout = format!("{}ms", (ttl.as_millis() / 2).max(100));
        let pool_of = |what: &str, size: u32| {
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(ttl / 2)
                .connect_with(
                    options
                        .clone()
                        .application_name(&format!("{} ({what})", node.instance))
                        .options([("statement_timeout", timeout.as_str())]),
                )
        };
        let lease_pool = pool_of("lease", 2)
            .await
            .context("connect the lease's pool")?;
        let pool = pool_of("forwarding", 8)
            .await
            .context("connect the cluster's pool")?;
        let wakes = Wakes::listen(pool.clone(), node.region.clone());
        let forwarder = Forwarder::new(
            pool.clone(),
            node.clone(),
            wakes.clone(),
            settings.store.request_timeout,
        );
        let mut lease = Lease::new(lease_pool, node.clone(), ttl);
        if let Some(share) = share {
            lease = lease.sharing(share);
        }
        Ok((
            Cluster {
                node,
                pool,
                lease,
                wakes,
                forwarder,
            },
            store,
        ))
    }

    /// What a standby's desk follows (the committed events after `after`, from `fanout`) and
    /// where it forwards.
    pub fn follower(&self, fanout: &crate::fanout::Fanout, after: i64) -> Follower {
        Follower {
            events: fanout.follow(after),
            forward: Arc::new(self.forwarder.clone()),
        }
    }
}

/// How many times a standby's mirror is rebuilt while the log moves under it.
const MIRROR_TRIES: usize = 10;

/// A mirror of the holder's desk, for a standby: [`recover`] reads the log's head, then the
/// events; the holder appending in between would give the mirror events that its follow
/// delivers again. So it is rebuilt until the head stood still across it.
pub async fn mirror(
    store: &dyn Store,
    rules: &RulesSource,
    settings: &Settings,
) -> anyhow::Result<crate::dispatch::DeskState> {
    for _ in 0..MIRROR_TRIES {
        let state = recover(store, crate::desk::reload::load_at_start(rules)?, settings).await?;
        if store.log_head().await? == state.log_seq {
            return Ok(state);
        }
    }
    tracing::warn!(
        "the log kept moving while the mirror was rebuilt; it may show some events twice until this node holds the desk"
    );
    recover(store, crate::desk::reload::load_at_start(rules)?, settings).await
}

/// What the holder's tasks are made of.
#[derive(Clone)]
pub struct Parts {
    /// The store as the desk uses it.
    pub store: Arc<dyn Store>,
    /// The desk.
    pub desk: DeskHandle,
    /// The inbox.
    pub inbox: Inbox,
    /// The settings.
    pub settings: Arc<Settings>,
    /// The cluster, if any.
    pub cluster: Option<Arc<Cluster>>,
    /// How the cluster's nodes share committed events (with a cluster).
    pub fanout: Option<crate::fanout::Fanout>,
}

/// The tasks only the desk's holder runs: the inbox pump, line supervision, the review
/// indexer, and (in a cluster) the forwarded commands and standbys' inbox notices.
pub struct HolderTasks {
    tasks: Vec<JoinHandle<()>>,
}

impl HolderTasks {
    /// Starts them.
    pub fn start(parts: &Parts) -> Self {
        parts.inbox.set_standby(false);
        let mut tasks = vec![
            tokio::spawn(inbox::pump(parts.inbox.clone(), parts.desk.clone())),
            tokio::spawn(super::supervise_lines(
                parts.store.clone(),
                parts.desk.clone(),
                parts.settings.intake.phone_test_interval_hours,
            )),
            // The review index follows the log behind the desk, giving way while alarms wait
            // for it (investigators' reads catch it up).
            tokio::spawn(crate::review::indexer::run(parts.store.clone(), {
                let inbox = parts.inbox.clone();
                move || inbox.backlogged()
            })),
        ];
        if let Some(c) = &parts.cluster {
            tasks.push(tokio::spawn(forward::serve(
                c.pool.clone(),
                c.node.clone(),
                parts.desk.clone(),
                c.wakes.clone(),
            )));
            let (wakes, inbox) = (c.wakes.clone(), parts.inbox.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    wakes.inbox.notified().await;
                    inbox.read_soon();
                }
            }));
        }
        HolderTasks { tasks }
    }

    /// Stops them (the pump between two batches or mid-way: what it fed is committed or not,
    /// and an alarm not yet processed stays pending in the inbox).
    pub async fn stop(self) {
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Promotion and standing down, for the role loop.
pub struct ServiceRoles {
    /// What the tasks are made of.
    pub parts: Parts,
    /// Where the rules are read when the desk is rebuilt.
    pub rules: RulesSource,
    /// The holder's tasks while this node holds the desk.
    pub tasks: tokio::sync::Mutex<Option<HolderTasks>>,
    /// When the node started.
    pub started: chrono::DateTime<chrono::Utc>,
    /// The log sequence the desk stood at when last asked (for the heartbeat).
    pub seq: Mutex<i64>,
}

impl ServiceRoles {
    fn cluster(&self) -> &Arc<Cluster> {
        self.parts
            .cluster
            .as_ref()
            .expect("roles change only in a cluster")
    }

    async fn rebuilt(&self) -> anyhow::Result<crate::dispatch::DeskState> {
        let rules = crate::desk::reload::load_at_start(&self.rules)?;
        recover(self.parts.store.as_ref(), rules, &self.parts.settings).await
    }

    async fn mirrored(&self) -> anyhow::Result<crate::dispatch::DeskState> {
        mirror(self.parts.store.as_ref(), &self.rules, &self.parts.settings).await
    }
}

#[async_trait::async_trait]
impl Roles for ServiceRoles {
    async fn promote(&self) -> anyhow::Result<()> {
        // Another node may have appended since this store last did.
        self.parts.store.writer_changed();
        let state = self.rebuilt().await?;
        self.parts.desk.promote(state).await?;
        let mut tasks = self.tasks.lock().await;
        if tasks.is_none() {
            *tasks = Some(HolderTasks::start(&self.parts));
        }
        Ok(())
    }

    async fn stand_down(&self) {
        let _ = self.parts.desk.stand_down().await;
        if let Some(tasks) = self.tasks.lock().await.take() {
            tasks.stop().await;
        }
        self.parts.inbox.set_standby(true);
    }

    async fn demote(&self) -> anyhow::Result<()> {
        self.stand_down().await;
        let state = self.mirrored().await?;
        let fanout = self
            .parts
            .fanout
            .as_ref()
            .context("a cluster's node has a fan-out")?;
        let follower = self.cluster().follower(fanout, state.log_seq);
        self.parts.desk.demote(state, follower).await?;
        Ok(())
    }

    async fn heartbeat(&self, role: Role) {
        if let Ok(board) = self.parts.desk.board(Some(Vec::new())).await {
            *self.seq.lock().unwrap_or_else(|p| p.into_inner()) = board.seq;
        }
        let seq = *self.seq.lock().unwrap_or_else(|p| p.into_inner());
        let c = self.cluster();
        let r = sqlx::query(
            "INSERT INTO cluster_nodes (instance, node, region, role, listen, log_seq, \
               started_at, seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now()) \
             ON CONFLICT (instance) DO UPDATE SET role = EXCLUDED.role, \
               log_seq = EXCLUDED.log_seq, seen_at = now()",
        )
        .bind(&c.node.instance)
        .bind(&c.node.name)
        .bind(&c.node.region)
        .bind(role.as_str())
        .bind(&self.parts.settings.listen)
        .bind(seq)
        .bind(self.started)
        .execute(&c.pool)
        .await;
        if let Err(e) = r {
            tracing::debug!(error = %e, "the node's heartbeat was not written");
        }
    }
}
