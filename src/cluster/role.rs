//! The node's part in its region: a standby tries for the lease every eighth of its TTL and,
//! once it has it, is promoted (its desk rebuilt from the log, the holder's tasks started); a
//! holder renews every quarter of the TTL and stands down when the lease is gone, when it could
//! not renew for a whole TTL (the database is out of reach: another node may hold the desk by
//! now), or at once when the log fences its desk.

use super::lease::Lease;
use super::{Role, RoleState};
use crate::telemetry::Metrics;
use chrono::Utc;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::time::Instant;

/// What changes when the node's role does (the service's side).
#[async_trait::async_trait]
pub trait Roles: Send + Sync {
    /// The lease was taken: rebuild the desk from the log and decide.
    async fn promote(&self) -> anyhow::Result<()>;
    /// The lease is gone: stop deciding at once (nothing that needs the database).
    async fn stand_down(&self);
    /// Then mirror the holder (rebuilt from the log).
    async fn demote(&self) -> anyhow::Result<()>;
    /// Reports the node in `cluster_nodes` (for `liftrescue status`).
    async fn heartbeat(&self, role: Role);
}

/// Runs the node's role until `stop` turns true; whether it holds the lease then (the caller
/// releases it once the desk has drained).
pub async fn run(
    lease: Lease,
    roles: Arc<dyn Roles>,
    mut holding: bool,
    mut fenced: watch::Receiver<u64>,
    state: watch::Sender<RoleState>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) -> bool {
    let ttl = lease.ttl();
    let region = lease.node().region.clone();
    let mut renewed = Instant::now();
    let mut beat = Instant::now() - ttl;
    loop {
        if *stop.borrow() {
            return holding;
        }
        if beat.elapsed() >= ttl {
            beat = Instant::now();
            heartbeat(&roles, holding, ttl);
        }
        let wait = if holding {
            let lost = tokio::select! {
                Ok(()) = fenced.changed() => Some("the log fenced the desk"),
                // A database out of reach may not even answer with an error: a renewal is given
                // half a lease.
                _ = tokio::time::sleep(ttl / 4) => match within(ttl / 2, lease.renew()).await {
                    Ok(true) => {
                        renewed = Instant::now();
                        // Bounded so the next renewal is never late for it.
                        within(ttl / 8, async { Ok(lease.give_back_now().await) })
                            .await
                            .unwrap_or(false)
                            .then_some(GIVE_BACK)
                    }
                    Ok(false) => Some("another node took the lease"),
                    Err(e) if renewed.elapsed() >= ttl => {
                        tracing::error!(error = %e, "the lease could not be renewed for a whole TTL");
                        Some("the lease could not be renewed")
                    }
                    Err(e) => { tracing::warn!(error = %e, "lease renewal failed; retrying"); None }
                },
                _ = stop.changed() => None,
            };
            if let Some(why) = lost {
                tracing::warn!(why, region, "standing down from the desk");
                metrics.lease_changed(false);
                metrics.desk_role(&region, false);
                holding = false;
                roles.stand_down().await;
                if let Some(share) = lease.share() {
                    share.lost(&region);
                }
                // Given back on purpose: the desk stood down with its last append committed,
                // so the lease is let go now rather than left to lapse.
                if why == GIVE_BACK
                    && let Err(e) = within(ttl / 2, lease.release()).await
                {
                    tracing::warn!(error = %e, region, "the lease given back was not released; it lapses");
                }
                while let Err(e) = roles.demote().await {
                    tracing::error!(error = %format!("{e:#}"), "could not stand by yet; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(ttl / 4) => {}
                        _ = stop.changed() => return false,
                    }
                }
                state.send_replace(RoleState {
                    role: Role::Standby,
                    since: Utc::now(),
                    region: region.clone(),
                    instance: lease.node().instance.clone(),
                });
                heartbeat(&roles, false, ttl);
            }
            continue;
        } else {
            match within(ttl / 2, lease.try_acquire()).await {
                Ok(Some(epoch)) => match promote(&lease, &roles, &mut fenced).await {
                    Ok(()) => {
                        tracing::info!(epoch, region, "took the desk lease: holding the desk");
                        metrics.lease_changed(true);
                        metrics.desk_role(&region, true);
                        holding = true;
                        renewed = Instant::now();
                        state.send_replace(RoleState {
                            role: Role::Holder,
                            since: Utc::now(),
                            region: region.clone(),
                            instance: lease.node().instance.clone(),
                        });
                        heartbeat(&roles, true, ttl);
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), "took the lease but could not rebuild the desk; letting it go");
                        let _ = lease.release().await;
                        let _ = roles.demote().await;
                    }
                },
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not try for the desk lease"),
            }
            ttl / 8
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Why a holder over its share stands down (see [`super::share`]).
const GIVE_BACK: &str = "this node holds more than its share of the regions";

/// Promotes the node that took the lease, renewing the lease while the desk is rebuilt. A
/// refusal from before (the desk stood down then) is not about this holding.
async fn promote(
    lease: &Lease,
    roles: &Arc<dyn Roles>,
    fenced: &mut watch::Receiver<u64>,
) -> anyhow::Result<()> {
    fenced.borrow_and_update();
    let _keeper = lease.keep();
    roles.promote().await
}

/// Reports the node without holding up the lease: on a task of its own, for at most a TTL.
fn heartbeat(roles: &Arc<dyn Roles>, holding: bool, ttl: std::time::Duration) {
    let (roles, role) = (
        roles.clone(),
        if holding { Role::Holder } else { Role::Standby },
    );
    tokio::spawn(async move {
        let _ = tokio::time::timeout(ttl, roles.heartbeat(role)).await;
    });
}

/// `op`, or an error once `limit` has passed.
async fn within<T>(
    limit: std::time::Duration,
    op: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    tokio::time::timeout(limit, op)
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut))
}
