//! `liftrescue status`: the cluster as the database knows it — who holds each region's desk
//! and for how long, every node seen lately with its role and how far its desk is behind the
//! log, and the inbox's depth. Read-only.

use crate::cluster::lease::{LeaseRow, leases};
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A node as it last reported itself.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct NodeRow {
    /// Its process (`name/suffix`).
    pub instance: String,
    /// Its name.
    pub node: String,
    /// Its region.
    pub region: String,
    /// `holder` or `standby`.
    pub role: String,
    /// Where it listens.
    pub listen: String,
    /// The log sequence its desk stood at.
    pub log_seq: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it last reported.
    pub seen_at: DateTime<Utc>,
    /// Seconds since then.
    pub seen_secs_ago: f64,
}

/// What `status` prints.
#[derive(Debug, Serialize)]
pub struct Status {
    /// `postgres` or `sqlite`.
    pub engine: &'static str,
    /// The log's last sequence.
    pub log_head: i64,
    /// Alarms committed and not yet dispatched.
    pub inbox_depth: i64,
    /// Each region's lease.
    pub leases: Vec<LeaseRow>,
    /// Nodes seen in the last minute.
    pub nodes: Vec<NodeRow>,
}

/// Nodes not seen for this long are left out.
const SEEN_WITHIN: &str = "1 minute";

/// Reads the status of the database `url` names.
pub async fn read(url: &str) -> anyhow::Result<Status> {
    let store = crate::store::open_read_only(url).await?;
    let log_head = store.log_head().await.context("read the log's head")?;
    let inbox_depth = store.inbox_depth().await.context("read the inbox")?;
    let (leases, nodes) = if store.engine() == "postgres" {
        let options: sqlx::postgres::PgConnectOptions = url.parse()?;
        let pool =
            sqlx::PgPool::connect_with(options.options([("default_transaction_read_only", "on")]))
                .await
                .context("connect to PostgreSQL")?;
        let nodes = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT instance, node, region, role, listen, log_seq, started_at, seen_at, \
               extract(epoch FROM now() - seen_at)::float8 AS seen_secs_ago \
             FROM cluster_nodes WHERE seen_at > now() - interval '{SEEN_WITHIN}' \
             ORDER BY region, role, node"
        )))
        .fetch_all(&pool)
        .await
        .context("read the cluster's nodes")?;
        (leases(&pool).await.context("read the desk leases")?, nodes)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Status {
        engine: store.engine(),
        log_head,
        inbox_depth,
        leases,
        nodes,
    })
}

/// The status as text for people (times by the database's clock).
pub fn render(s: &Status) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "log head {}   inbox: {} alarm(s) waiting",
        s.log_head, s.inbox_depth
    );
    if s.engine != "postgres" {
        let _ = writeln!(out, "one node (SQLite): it holds the desk without a lease");
        return out;
    }
    let _ = writeln!(out, "\ndesk leases");
    if s.leases.is_empty() {
        let _ = writeln!(out, "  none taken yet: no node has held a desk");
    }
    for l in &s.leases {
        let state = if l.expired {
            "LAPSED: no holder".to_owned()
        } else {
            format!("expires in {:.1} s", l.expires_in_secs)
        };
        let _ = writeln!(
            out,
            "  {:<12} held by {} (epoch {}, for {:.1} s), {}",
            l.region, l.holder, l.epoch, l.age_secs, state
        );
    }
    let _ = writeln!(out, "\nnodes seen in the last minute");
    if s.nodes.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for n in &s.nodes {
        let _ = writeln!(
            out,
            "  {:<20} {:<8} {:<12} {:<22} log {} (lag {}), seen {:.1} s ago",
            n.instance,
            n.role,
            n.region,
            n.listen,
            n.log_seq,
            (s.log_head - n.log_seq).max(0),
            n.seen_secs_ago
        );
    }
    out
}

/// One region's status, as `status --json` prints them with `[[regions]]`.
#[derive(Debug, Serialize)]
pub struct RegionStatus {
    /// The region.
    pub region: String,
    /// Its store's status.
    #[serde(flatten)]
    pub status: Status,
}

/// `liftrescue status`: the store of `settings`, or with `[[regions]]` each region's, with a
/// line per node naming the regions it holds. Exit 1 when a desk is not held.
pub async fn command(
    settings: &crate::config::Settings,
    json: bool,
) -> anyhow::Result<std::process::ExitCode> {
    use std::process::ExitCode;
    let exit = |ok: bool| {
        if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    };
    if settings.regions.is_empty() {
        let status = read(&settings.database_url).await?;
        if json {
            println!("{}", serde_json::to_string_pretty(&status)?);
        } else {
            print!("{}", render(&status));
        }
        return Ok(exit(healthy(&status)));
    }
    let mut all = Vec::new();
    for r in &settings.regions {
        let url = crate::config::regions::in_schema(&settings.database_url, &r.schema());
        let status = read(&url)
            .await
            .with_context(|| format!("read region {}", r.name))?;
        all.push(RegionStatus {
            region: r.name.clone(),
            status,
        });
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    } else {
        print!("{}", render_regions(&all));
    }
    Ok(exit(all.iter().all(|r| healthy(&r.status))))
}

/// Every region's status as text: who holds what, then each region.
pub fn render_regions(all: &[RegionStatus]) -> String {
    use std::fmt::Write;
    let mut holds: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for r in all {
        for l in r.status.leases.iter().filter(|l| !l.expired) {
            holds.entry(l.node.as_str()).or_default().push(&r.region);
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} region(s)", all.len());
    for (node, regions) in &holds {
        let _ = writeln!(
            out,
            "  node {node} holds {}: {}",
            regions.len(),
            regions.join(", ")
        );
    }
    for r in all {
        let _ = writeln!(out, "\n== region {} ==", r.region);
        out.push_str(&render(&r.status));
    }
    out
}

/// Whether the desk is held: on PostgreSQL, some lease is taken and none has lapsed.
pub fn healthy(s: &Status) -> bool {
    s.engine != "postgres" || (!s.leases.is_empty() && s.leases.iter().all(|l| !l.expired))
}
