//! Prometheus metrics, in the text exposition format. A handful of counters and one histogram
//! do not need a metrics framework: atomics here, rendered on scrape ([`render`]) together with
//! the desk's live counts.
//!
//! Conventions (Prometheus's): counters end in `_total`; durations are `_seconds`, and the one
//! whose distribution matters (deadline lateness) is a histogram with buckets that fit the
//! SLAs ([`histogram::LATENESS_BUCKETS`]); labels take only bounded values (alarm channels,
//! message channels, deadline kinds, incident statuses, the configured regions). Most counts
//! come from the events the desk applies ([`Metrics::observe`]), so what the log says and what
//! the metrics say cannot drift apart.

pub mod histogram;
mod render;
#[cfg(test)]
mod tests;

use crate::domain::{AlarmSource, DeadlineKind, Event, EventKind};
use crate::paging::policy::Channel;
use histogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const CHANNELS: [AlarmSource; 5] = [
    AlarmSource::CabinPhone,
    AlarmSource::Iot,
    AlarmSource::Hotline,
    AlarmSource::Operator,
    AlarmSource::App,
];

fn channel_name(c: AlarmSource) -> &'static str {
    match c {
        AlarmSource::CabinPhone => "cabin_phone",
        AlarmSource::Iot => "iot",
        AlarmSource::Hotline => "hotline",
        AlarmSource::Operator => "operator",
        AlarmSource::App => "app",
    }
}

/// The kinds of deadline, as the `deadline` label names them (a step's name is left out: it
/// comes from the rules and would make the label unbounded).
const DEADLINES: [&str; 3] = ["arrive", "release", "confirm"];

fn deadline_index(d: &DeadlineKind) -> usize {
    match d {
        DeadlineKind::Arrive(_) => 0,
        DeadlineKind::Release(_) => 1,
        DeadlineKind::Confirm => 2,
    }
}

/// Counters since start.
#[derive(Debug, Default)]
pub struct Metrics {
    alarms: [AtomicU64; 5],
    duplicates: AtomicU64,
    incidents_opened: AtomicU64,
    pages: AtomicU64,
    deadlines_fired: AtomicU64,
    lateness: Histogram,
    breaches: [AtomicU64; DEADLINES.len()],
    rejected_commands: AtomicU64,
    messages: Messages,
    cluster: Cluster,
}

/// Paging messages by channel (indexed as [`Channel::ALL`]): what the gateways answered.
#[derive(Debug, Default)]
struct Messages {
    sent: [AtomicU64; Channel::ALL.len()],
    failed: [AtomicU64; Channel::ALL.len()],
}

/// What a node of a cluster reports: its desk role per region, lease changes, Redis.
#[derive(Debug, Default)]
struct Cluster {
    holder: std::sync::Mutex<std::collections::BTreeMap<String, bool>>,
    lease_acquired: AtomicU64,
    lease_lost: AtomicU64,
    /// 0: no Redis configured; 1: up; 2: down.
    redis: std::sync::atomic::AtomicU8,
    redis_publish_failures: AtomicU64,
    feed_log_reads: AtomicU64,
}

impl Metrics {
    /// An alarm was committed to the inbox (`duplicate`: it was already there).
    pub fn alarm_received(&self, channel: AlarmSource, duplicate: bool) {
        if duplicate {
            self.duplicates.fetch_add(1, Relaxed);
        } else if let Some(i) = CHANNELS.iter().position(|c| *c == channel) {
            self.alarms[i].fetch_add(1, Relaxed);
        }
    }

    /// This node now holds (`true`) or stands by for (`false`) the desk of `region`.
    pub fn desk_role(&self, region: &str, holder: bool) {
        let mut h = self
            .cluster
            .holder
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        h.insert(region.to_owned(), holder);
    }

    /// The desk lease was taken (`true`) or lost (`false`) by this node.
    pub fn lease_changed(&self, acquired: bool) {
        let c = if acquired {
            &self.cluster.lease_acquired
        } else {
            &self.cluster.lease_lost
        };
        c.fetch_add(1, Relaxed);
    }

    /// Redis answered (`true`) or did not (`false`).
    pub fn redis_up(&self, up: bool) {
        self.cluster.redis.store(if up { 1 } else { 2 }, Relaxed);
    }

    /// A committed event could not be published to Redis (the feed reads the log instead).
    pub fn redis_publish_failed(&self) {
        self.cluster.redis_publish_failures.fetch_add(1, Relaxed);
    }

    /// The live feed read committed events from the log (Redis down, or the reader further
    /// behind than the stream holds).
    pub fn feed_read_log(&self) {
        self.cluster.feed_log_reads.fetch_add(1, Relaxed);
    }

    /// A command was refused by the dispatch core.
    pub fn command_rejected(&self) {
        self.rejected_commands.fetch_add(1, Relaxed);
    }

    /// A gateway's answer to one paging message on `channel` (`push`, `sms`, `voice`,
    /// `webhook`): `sent` counts as sent; `retrying`, `failed` (given up) and `unknown`
    /// (interrupted mid-send) count as failed; receipts (`delivered`, `read`) as neither. An
    /// unknown channel is ignored (labels stay bounded).
    pub fn message_outcome(&self, channel: &str, status: &str) {
        let Some(i) = Channel::ALL.iter().position(|c| c.as_str() == channel) else {
            return;
        };
        match status {
            "sent" => self.messages.sent[i].fetch_add(1, Relaxed),
            "retrying" | "failed" | "unknown" => self.messages.failed[i].fetch_add(1, Relaxed),
            _ => 0,
        };
    }

    /// Counts what an applied event means: incidents, pages, deadline lateness and breaches,
    /// the gateways' answers (the `delivery` events paging records for every send).
    pub fn observe(&self, e: &Event) {
        let due = match &e.kind {
            EventKind::IncidentOpened { .. } => {
                self.incidents_opened.fetch_add(1, Relaxed);
                None
            }
            EventKind::UnitPaged { .. } => {
                self.pages.fetch_add(1, Relaxed);
                None
            }
            EventKind::Delivery {
                channel, status, ..
            } => {
                self.message_outcome(channel, status);
                None
            }
            EventKind::DeadlineBreached { deadline, due } => {
                self.breaches[deadline_index(deadline)].fetch_add(1, Relaxed);
                Some(*due)
            }
            EventKind::AckMissed { due, .. } | EventKind::DeadlineWarning { due, .. } => Some(*due),
            _ => None,
        };
        if let Some(due) = due {
            let late = (e.at - due).num_milliseconds().max(0) as u64;
            self.deadlines_fired.fetch_add(1, Relaxed);
            self.lateness.observe_ms(late);
        }
    }
}
