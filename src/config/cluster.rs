//! `[cluster]`: several nodes on one PostgreSQL (`LIFTRESCUE_CLUSTER__NODE=b`). SQLite is one
//! node and ignores it.

use serde::{Deserialize, Serialize};

/// How this node takes part in a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSettings {
    /// This node's name, for `liftrescue status` and the logs (empty: the host's name). Each
    /// process also gets a random suffix: two processes never pass for one.
    pub node: String,
    /// The region whose desk this node holds or stands by for.
    pub region: String,
    /// How long the desk lease lasts without renewal, e.g. `"2s"`: how long a standby waits
    /// for a silent holder before taking the desk. The holder renews it every quarter of this.
    #[serde(with = "super::duration_text")]
    pub lease_ttl: std::time::Duration,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            node: String::new(),
            region: "default".into(),
            lease_ttl: std::time::Duration::from_secs(2),
        }
    }
}

impl ClusterSettings {
    /// The node's name: the configured one, else the host's.
    pub fn node_name(&self) -> String {
        if !self.node.trim().is_empty() {
            return self.node.trim().to_owned();
        }
        std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "liftrescue".into())
    }
}
