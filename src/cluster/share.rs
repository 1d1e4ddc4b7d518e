//! How a node that serves several regions ([`crate::config::regions`]) spreads their desk
//! leases over the nodes: each node aims at its share, `ceil(regions / live nodes)`.
//!
//! - **Taking**: a node under its share takes a lapsed lease at once; one at or over its share
//!   waits [`Share::grace`] more, so a node under its share gets it first, and a region is
//!   never left without a holder when the others are missing or full.
//! - **Giving back**: a node over its share for a while (another node joined or came back)
//!   hands one region over on purpose (drain, release), at most one per TTL, until it is at its
//!   share, and only to a node that reports itself
//!   standing by for that region and holds at least two regions fewer (a node still starting
//!   its regions is not handed one it does not run yet, and a node that cannot take more, e.g.
//!   one serving fewer regions, never makes the others hand one round in a circle). The node standing by takes it at its next try (an eighth of the TTL);
//!   the node that gave it back leaves it a whole TTL before taking it again.
//! - **Live nodes**: the distinct node names that reported themselves in `cluster_nodes` in
//!   the last [`LIVE_WITHIN`] TTLs, this node included. Any node's count may lag a join or a
//!   death by that long; a lease only changes hands when it lapses or is given back, so a stale
//!   count at worst delays the balance, never splits a desk.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// How many TTLs a node's last report counts as alive.
pub const LIVE_WITHIN: u32 = 3;

/// The node's regions and what it holds of them.
#[derive(Debug)]
pub struct Share {
    regions: usize,
    ttl: Duration,
    live: AtomicUsize,
    held: Mutex<Held>,
    /// How many regions each node holds, as last read from every region's lease (`None`
    /// until read once).
    holdings: Mutex<Option<std::collections::HashMap<String, usize>>>,
}

#[derive(Debug, Default)]
struct Held {
    regions: BTreeSet<String>,
    /// Since when it has held more than its share.
    over_since: Option<Instant>,
    /// The region it last gave back, and when.
    gave_back: Option<(String, Instant)>,
}

impl Share {
    /// The share of a node serving `regions` regions with leases of `ttl`; it counts itself
    /// alone until [`Self::set_live`].
    pub fn new(regions: usize, ttl: Duration) -> Self {
        Share {
            regions,
            ttl,
            live: AtomicUsize::new(1),
            held: Mutex::default(),
            holdings: Mutex::default(),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the number of live nodes (this one included).
    pub fn set_live(&self, nodes: usize) {
        self.live.store(nodes.max(1), Ordering::Relaxed);
    }

    /// Sets how many regions each node holds.
    pub fn set_holdings(&self, holdings: std::collections::HashMap<String, usize>) {
        *self.holdings.lock().unwrap_or_else(|p| p.into_inner()) = Some(holdings);
    }

    /// Whether handing a region to one of `standbys` (nodes standing by for it) makes the
    /// spread more even: one of them holds at least two fewer regions than this node. A node
    /// that cannot take more (it serves fewer regions, or the others are as full) is never
    /// handed one back and forth.
    pub fn evens_out(&self, standbys: &[String]) -> bool {
        let mine = self.held().regions.len();
        let holdings = self.holdings.lock().unwrap_or_else(|p| p.into_inner());
        // Not read yet (a region not migrated yet, the database away): nothing is known.
        let Some(holdings) = holdings.as_ref() else {
            return false;
        };
        standbys
            .iter()
            .any(|n| holdings.get(n).copied().unwrap_or(0) + 2 <= mine)
    }

    /// The live nodes as last counted.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// How many regions this node should hold: `ceil(regions / live nodes)`.
    pub fn target(&self) -> usize {
        self.regions.div_ceil(self.live())
    }

    /// The regions it holds now.
    pub fn holding(&self) -> Vec<String> {
        self.held().regions.iter().cloned().collect()
    }

    /// How long past its lapse this node leaves a lease to others before taking it: nothing
    /// under its share, an eighth of the TTL at or over it (a try of a node under its share).
    pub fn grace(&self) -> Duration {
        if self.held().regions.len() < self.target() {
            Duration::ZERO
        } else {
            self.ttl / 8
        }
    }

    /// It took `region`'s lease.
    pub fn took(&self, region: &str) {
        self.held().regions.insert(region.to_owned());
    }

    /// It no longer holds `region`'s lease.
    pub fn lost(&self, region: &str) {
        self.held().regions.remove(region);
    }

    /// Whether the holder of `region` may hand it over now (see the module's rules): it holds
    /// `region`, it has been over its share for a while, and it has handed none over within a
    /// TTL. The lease also asks whether a node standing by for the region can take it
    /// ([`Self::evens_out`]) before [`Self::give_back`].
    pub fn may_give_back(&self, region: &str, now: Instant) -> bool {
        let target = self.target();
        Self::ready(&mut self.held(), region, now, target, self.ttl)
    }

    fn ready(held: &mut Held, region: &str, now: Instant, target: usize, ttl: Duration) -> bool {
        if held.regions.len() <= target {
            held.over_since = None;
            return false;
        }
        let since = *held.over_since.get_or_insert(now);
        let settled = now.duration_since(since) >= ttl * LIVE_WITHIN;
        let spaced = held
            .gave_back
            .as_ref()
            .is_none_or(|(_, t)| now.duration_since(*t) >= ttl);
        settled && spaced && held.regions.contains(region)
    }

    /// Hands `region` over if [`Self::may_give_back`] still says so; whether it did. Of two
    /// regions asking at once, one does.
    pub fn give_back(&self, region: &str, now: Instant) -> bool {
        let target = self.target();
        let mut held = self.held();
        if !Self::ready(&mut held, region, now, target, self.ttl) {
            return false;
        }
        held.regions.remove(region);
        held.gave_back = Some((region.to_owned(), now));
        if held.regions.len() <= target {
            held.over_since = None;
        }
        true
    }

    /// How long past its lapse this node leaves `region`'s lease to others: [`Self::grace`],
    /// or a whole TTL for the region it handed over last, within [`LIVE_WITHIN`] TTLs of that
    /// (the node standing by for it takes it first).
    pub fn grace_for(&self, region: &str, now: Instant) -> Duration {
        let recent =
            self.held().gave_back.as_ref().is_some_and(|(r, t)| {
                r == region && now.duration_since(*t) < self.ttl * LIVE_WITHIN
            });
        if recent { self.ttl } else { self.grace() }
    }
}

/// Every half TTL until the pool closes: counts the live nodes from `cluster_nodes` on `pool`
/// (any region's: every node reports in each), and reads how many regions each node holds
/// from the leases in `schemas` (every region's).
pub async fn watch_nodes(
    share: std::sync::Arc<Share>,
    pool: sqlx::PgPool,
    me: String,
    schemas: Vec<String>,
) {
    let secs = share.ttl.as_secs_f64() * f64::from(LIVE_WITHIN);
    // Schema names are checked at start (`config::regions::check`): letters, digits and `_`.
    let leases: Vec<String> = schemas
        .iter()
        .map(|s| format!("SELECT node FROM {s}.desk_leases WHERE expires_at > now()"))
        .collect();
    let holdings = format!(
        "SELECT node, count(*) FROM ({}) l GROUP BY node",
        leases.join(" UNION ALL ")
    );
    loop {
        let others: Result<i64, _> = sqlx::query_scalar(
            "SELECT count(DISTINCT node) FROM cluster_nodes \
             WHERE node <> $1 AND seen_at > now() - $2 * interval '1 second'",
        )
        .bind(&me)
        .bind(secs)
        .fetch_one(&pool)
        .await;
        match others {
            Ok(n) => share.set_live(1 + usize::try_from(n).unwrap_or(0)),
            Err(_) if pool.is_closed() => return,
            Err(e) => tracing::debug!(error = %e, "could not count the live nodes"),
        }
        let held: Result<Vec<(String, i64)>, _> =
            sqlx::query_as(sqlx::AssertSqlSafe(holdings.clone()))
                .fetch_all(&pool)
                .await;
        match held {
            Ok(rows) => share.set_holdings(
                rows.into_iter()
                    .map(|(node, n)| (node, usize::try_from(n).unwrap_or(0)))
                    .collect(),
            ),
            // A region not migrated yet (its node is still starting): read again later.
            Err(e) => tracing::debug!(error = %e, "could not read the regions' leases"),
        }
        tokio::time::sleep(share.ttl / 2).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(2);

    #[test]
    fn the_share_is_the_regions_over_the_live_nodes_rounded_up() {
        let s = Share::new(12, TTL);
        assert_eq!(s.target(), 12);
        s.set_live(3);
        assert_eq!(s.target(), 4);
        s.set_live(2);
        assert_eq!(s.target(), 6);
        s.set_live(5);
        assert_eq!(s.target(), 3);
        s.set_live(0);
        assert_eq!(s.target(), 12, "a node always counts itself");
    }

    #[test]
    fn a_node_under_its_share_takes_a_lapsed_lease_at_once_and_one_at_it_waits() {
        let s = Share::new(4, TTL);
        s.set_live(2);
        s.took("a");
        assert_eq!(s.grace(), Duration::ZERO);
        s.took("b");
        assert_eq!(s.grace(), TTL / 8);
    }

    #[tokio::test(start_paused = true)]
    async fn a_node_over_its_share_for_a_while_gives_back_one_region_a_ttl_until_at_its_share() {
        let s = Share::new(4, TTL);
        for r in ["a", "b", "c", "d"] {
            s.took(r);
        }
        s.set_live(2);
        let t0 = Instant::now();
        assert!(!s.give_back("d", t0), "not before the count has settled");
        let settled = t0 + TTL * LIVE_WITHIN;
        assert!(!s.give_back("x", settled), "only a region it holds");
        assert!(s.give_back("d", settled));
        assert_eq!(s.holding(), ["a", "b", "c"]);
        assert!(
            !s.give_back("a", settled),
            "one per TTL: the other asking at once does not"
        );
        assert!(!s.give_back("c", settled + TTL / 2), "one per TTL");
        assert!(s.give_back("a", settled + TTL));
        assert_eq!(s.holding(), ["b", "c"]);
        assert!(
            !s.give_back("b", settled + TTL * 5),
            "at its share: keeps the rest"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_region_given_back_last_is_left_a_ttl_to_the_node_standing_by() {
        let s = Share::new(2, TTL);
        s.took("a");
        s.took("b");
        s.set_live(2);
        let t0 = Instant::now();
        assert!(!s.may_give_back("b", t0));
        let settled = t0 + TTL * LIVE_WITHIN;
        assert!(s.may_give_back("b", settled), "asking changes nothing");
        assert!(s.may_give_back("b", settled));
        assert!(s.give_back("b", settled));
        assert_eq!(s.grace_for("b", settled), TTL, "not taken straight back");
        assert_eq!(
            s.grace_for("c", settled),
            TTL / 8,
            "another region: at its share"
        );
        assert_eq!(s.grace_for("b", settled + TTL * LIVE_WITHIN), TTL / 8);
    }

    #[test]
    fn a_region_goes_only_to_a_node_standing_by_with_two_fewer() {
        let s = Share::new(12, TTL);
        for r in ["a", "b", "c", "d"] {
            s.took(r);
        }
        let holding = |pairs: &[(&str, usize)]| {
            pairs
                .iter()
                .map(|(n, k)| ((*n).to_owned(), *k))
                .collect::<std::collections::HashMap<_, _>>()
        };
        assert!(
            !s.evens_out(&["new".into()]),
            "holdings not read yet: nothing known"
        );
        s.set_holdings(holding(&[("me", 4), ("b", 3), ("c", 2)]));
        assert!(
            !s.evens_out(&["b".into()]),
            "4 and 3: handing one over only swaps"
        );
        assert!(s.evens_out(&["b".into(), "c".into()]));
        assert!(s.evens_out(&["new".into()]), "a node holding none");
        assert!(!s.evens_out(&[]), "nobody stands by");
    }

    #[tokio::test(start_paused = true)]
    async fn a_node_back_at_its_share_before_the_count_settles_gives_nothing_back() {
        let s = Share::new(4, TTL);
        for r in ["a", "b", "c"] {
            s.took(r);
        }
        s.set_live(2);
        let t0 = Instant::now();
        assert!(!s.give_back("c", t0));
        // The other node died before the count settled: the share is all four again.
        s.set_live(1);
        assert!(!s.give_back("c", t0 + TTL * 10));
        s.set_live(2);
        assert!(
            !s.give_back("c", t0 + TTL * 10),
            "over again: the wait starts anew"
        );
    }
}
