//! Several nodes on one PostgreSQL: the desk lease, standbys, and commands forwarded to the
//! holder.
//!
//! Every `serve` node on PostgreSQL runs a desk. For its region exactly one node holds the
//! **desk lease** ([`lease`]: a row in `desk_leases` renewed every quarter of its TTL, judged
//! by PostgreSQL's clock) and decides; its desk appends to the log. The others **stand by**:
//! their desk is a mirror that applies the log's committed events as they come (from Redis,
//! or the log: [`crate::fanout`]),
//! answers reads and feeds the consoles; commands taken by a standby go to the holder through
//! the `desk_commands` table ([`forward`]) and the caller gets the holder's answer.
//!
//! **Fencing**: each node's connections carry `liftrescue.node` (the process, `name/uuid`), and
//! a trigger on `events` refuses an insert from a process that is not its region's lease
//! holder, reading the lease row `FOR SHARE` so a takeover waits for an append in flight. A
//! holder paused past its lease (SIGSTOP, a long GC-like stall, a partition) finds its next
//! append refused, and steps down ([`role`]).
//!
//! Why a lease row and not an advisory lock: an advisory lock lives as long as its session, and
//! a paused process keeps its session open, so a standby could never take over from a holder
//! that is stopped but not dead. A lease row expires by the database's clock whatever the
//! holder's state, and the trigger makes the expiry binding.

pub mod forward;
pub mod lease;
pub mod role;
pub mod share;

use chrono::{DateTime, Utc};

/// This node process as the cluster knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The configured name (`[cluster] node`, else the host's).
    pub name: String,
    /// This process: `name/` and a random suffix, what the lease and the fence name.
    pub instance: String,
    /// The region whose desk it holds or stands by for.
    pub region: String,
}

impl Node {
    /// A new process of the node `settings` name.
    pub fn new(settings: &crate::config::ClusterSettings) -> Self {
        let name = settings.node_name();
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        Node {
            instance: format!("{name}/{}", &suffix[..12]),
            name,
            region: settings.region.clone(),
        }
    }
}

/// What this node does for its region's desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NodeRole)]
pub enum Role {
    /// The only node (SQLite): it holds the desk without a lease.
    Single,
    /// It holds the desk lease: it decides and appends.
    Holder,
    /// Another node holds the desk: this one mirrors it and forwards commands.
    Standby,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Single => "single",
            Role::Holder => "holder",
            Role::Standby => "standby",
        }
    }
}

/// The node's role as `/readyz` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleState {
    /// What it does now.
    pub role: Role,
    /// Since when (this node's clock).
    pub since: DateTime<Utc>,
    /// Its region.
    pub region: String,
    /// Its process name (`name/suffix`), empty for a single node.
    pub instance: String,
}

impl RoleState {
    /// A single node's state: it holds the desk from the start.
    pub fn single(region: &str) -> Self {
        RoleState {
            role: Role::Single,
            since: Utc::now(),
            region: region.to_owned(),
            instance: String::new(),
        }
    }
}
