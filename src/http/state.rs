//! What every request handler gets: the handles of the running service, built once at start
//! by `service` and cloned into each HTTP worker.

use crate::config::Settings;
use crate::desk::{Clock, DeskHandle};
use crate::inbox::Inbox;
use crate::store::Store;
use crate::telemetry::Metrics;
use std::sync::Arc;

/// What every request handler gets.
#[derive(Clone)]
pub struct AppState {
    /// The durable store.
    pub store: Arc<dyn Store>,
    /// The dispatch desk.
    pub desk: DeskHandle,
    /// Alarm intake's way into the inbox.
    pub inbox: Inbox,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The settings in force.
    pub settings: Arc<Settings>,
    /// The desk's clock (request handlers stamp receipts with it).
    pub clock: Clock,
    /// Machine intake's rate-limit buckets and code maps, shared by every HTTP worker.
    pub machine: Arc<crate::http::machine::MachineIntake>,
    /// Paging delivery (receipts, push keys).
    pub paging: crate::paging::Paging,
    /// Where the rules are read at start and on a reload ([`crate::desk::reload`]).
    pub rules: crate::rules::RulesSource,
    /// What the consoles' live feed follows.
    pub feed: Arc<dyn crate::feed::FeedSource>,
    /// This node's part in its region's desk (holder, standby, or the single node).
    pub role: tokio::sync::watch::Receiver<crate::cluster::RoleState>,
}
