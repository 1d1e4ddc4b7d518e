//! The desk lease of a region: one row of `desk_leases`, taken when free or lapsed, renewed by
//! its holder, released on a planned stop. Every time is PostgreSQL's `now()`, so the nodes'
//! clocks do not matter.

use super::Node;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;

/// A node's handle on its region's lease.
#[derive(Debug, Clone)]
pub struct Lease {
    pool: PgPool,
    node: Node,
    ttl: Duration,
    /// The node's share, when it serves several regions.
    share: Option<std::sync::Arc<super::share::Share>>,
}

/// A lease as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct LeaseRow {
    /// The region.
    pub region: String,
    /// The holding process.
    pub holder: String,
    /// Its node name.
    pub node: String,
    /// Takeovers so far.
    pub epoch: i64,
    /// When the holder took it.
    pub acquired_at: DateTime<Utc>,
    /// When the holder last renewed it.
    pub renewed_at: DateTime<Utc>,
    /// When it lapses without renewal.
    pub expires_at: DateTime<Utc>,
    /// Whether it had lapsed when read.
    pub expired: bool,
    /// How long the holder has held it, seconds (the database's clock).
    pub age_secs: f64,
    /// Seconds until it lapses without renewal (negative: lapsed).
    pub expires_in_secs: f64,
}

/// Takes the lease if it is free or lapsed at least `$5` ms ago, or still this process's (a try
/// whose answer was lost; one it let go or let lapse waits like anyone's).
const ACQUIRE: &str = "INSERT INTO desk_leases AS l \
     (region, holder, node, epoch, acquired_at, renewed_at, expires_at) \
     VALUES ($1, $2, $3, 1, now(), now(), now() + $4 * interval '1 millisecond') \
     ON CONFLICT (region) DO UPDATE SET holder = EXCLUDED.holder, node = EXCLUDED.node, \
       epoch = l.epoch + 1, acquired_at = now(), renewed_at = now(), \
       expires_at = EXCLUDED.expires_at \
     WHERE l.expires_at < now() - $5 * interval '1 millisecond' \
       OR (l.holder = EXCLUDED.holder AND l.expires_at >= now()) \
     RETURNING epoch";

const RENEW: &str = "UPDATE desk_leases SET renewed_at = now(), \
     expires_at = now() + $3 * interval '1 millisecond' \
     WHERE region = $1 AND holder = $2 RETURNING epoch";

const RELEASE: &str = "UPDATE desk_leases SET expires_at = now() - interval '1 millisecond' \
     WHERE region = $1 AND holder = $2";

/// The other nodes that reported themselves standing by for this region lately.
const STANDING_BY: &str = "SELECT DISTINCT node FROM cluster_nodes \
     WHERE node <> $1 AND role = 'standby' AND seen_at > now() - $2 * interval '1 second'";

const LEASES: &str = "SELECT region, holder, node, epoch, acquired_at, renewed_at, expires_at, \
     expires_at < now() AS expired, \
     extract(epoch FROM now() - acquired_at)::float8 AS age_secs, \
     extract(epoch FROM expires_at - now())::float8 AS expires_in_secs \
     FROM desk_leases ORDER BY region";

impl Lease {
    /// The lease of `node`'s region, on `pool` (a pool of its own: a busy store must not hold
    /// up a renewal).
    pub fn new(pool: PgPool, node: Node, ttl: Duration) -> Self {
        Lease {
            pool,
            node,
            ttl,
            share: None,
        }
    }

    /// The lease of a node that serves several regions: it takes and gives back by `share`.
    pub fn sharing(mut self, share: std::sync::Arc<super::share::Share>) -> Self {
        self.share = Some(share);
        self
    }

    /// The node's share, if it serves several regions.
    pub fn share(&self) -> Option<&super::share::Share> {
        self.share.as_deref()
    }

    /// The lease's time to live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The node this lease is for.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Takes the lease if it can: its epoch, or `None` while another process holds it (a
    /// restarted node waits for its previous process's lease to lapse like anyone: two live
    /// processes under one name must never take the desk from each other).
    pub async fn try_acquire(&self) -> Result<Option<i64>, sqlx::Error> {
        let now = tokio::time::Instant::now();
        let grace = self
            .share()
            .map_or(Duration::ZERO, |s| s.grace_for(&self.node.region, now));
        let epoch = sqlx::query_scalar(ACQUIRE)
            .bind(&self.node.region)
            .bind(&self.node.instance)
            .bind(&self.node.name)
            .bind(self.ttl.as_millis() as i64)
            .bind(grace.as_millis() as i64)
            .fetch_optional(&self.pool)
            .await?;
        if let (Some(_), Some(share)) = (epoch, self.share()) {
            share.took(&self.node.region);
        }
        Ok(epoch)
    }

    /// Extends the lease this process holds: `false` when it no longer holds it.
    pub async fn renew(&self) -> Result<bool, sqlx::Error> {
        let epoch: Option<i64> = sqlx::query_scalar(RENEW)
            .bind(&self.node.region)
            .bind(&self.node.instance)
            .bind(self.ttl.as_millis() as i64)
            .fetch_optional(&self.pool)
            .await?;
        Ok(epoch.is_some())
    }

    /// Whether this holder should hand its region over now: its node is over its share
    /// ([`super::share::Share::may_give_back`]) and a node standing by for this region holds
    /// two fewer ([`super::share::Share::evens_out`]). When it answers yes, the region counts
    /// as given back.
    pub async fn give_back_now(&self) -> bool {
        let Some(share) = self.share() else {
            return false;
        };
        let now = tokio::time::Instant::now();
        if !share.may_give_back(&self.node.region, now) {
            return false;
        }
        // Heartbeats come every TTL: a report older than one and a half is a node gone.
        let within = self.ttl.as_secs_f64() * 1.5;
        let standbys: Vec<String> = sqlx::query_scalar(STANDING_BY)
            .bind(&self.node.name)
            .bind(within)
            .fetch_all(&self.pool)
            .await
            .unwrap_or_default();
        share.evens_out(&standbys) && share.give_back(&self.node.region, now)
    }

    /// Lets the lease lapse now (a planned stop, after the desk drained), so a standby takes it
    /// at its next try.
    pub async fn release(&self) -> Result<(), sqlx::Error> {
        if let Some(share) = self.share() {
            share.lost(&self.node.region);
        }
        sqlx::query(RELEASE)
            .bind(&self.node.region)
            .bind(&self.node.instance)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Renews the lease every quarter of its TTL until dropped: while a new holder rebuilds its
/// desk, or a node starts up holding it, so the lease never lapses under a slow rebuild.
pub struct Keeper(tokio::task::JoinHandle<()>);

impl Lease {
    /// Keeps renewing this lease until the [`Keeper`] is dropped.
    pub fn keep(&self) -> Keeper {
        let lease = self.clone();
        Keeper(tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease.ttl / 4).await;
                let _ = tokio::time::timeout(lease.ttl / 2, lease.renew()).await;
            }
        }))
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every region's lease.
pub async fn leases(pool: &PgPool) -> Result<Vec<LeaseRow>, sqlx::Error> {
    sqlx::query_as(LEASES).fetch_all(pool).await
}
