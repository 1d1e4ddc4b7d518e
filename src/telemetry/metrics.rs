//! Prometheus metrics, in the text exposition format. A handful of counters do not need a
//! metrics framework: atomics here, rendered on scrape together with the desk's live counts.

use crate::desk::DeskStats;
use crate::domain::{AlarmSource, Event, EventKind};
use std::fmt::Write;
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

/// Counters since start.
#[derive(Debug, Default)]
pub struct Metrics {
    alarms: [AtomicU64; 5],
    duplicates: AtomicU64,
    incidents_opened: AtomicU64,
    pages: AtomicU64,
    deadlines_fired: AtomicU64,
    lateness_ms_sum: AtomicU64,
    lateness_ms_max: AtomicU64,
    rejected_commands: AtomicU64,
    cluster: Cluster,
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

    /// Counts what an applied event means: incidents, pages, deadline lateness.
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
            EventKind::AckMissed { due, .. }
            | EventKind::DeadlineWarning { due, .. }
            | EventKind::DeadlineBreached { due, .. } => Some(*due),
            _ => None,
        };
        if let Some(due) = due {
            let late = (e.at - due).num_milliseconds().max(0) as u64;
            self.deadlines_fired.fetch_add(1, Relaxed);
            self.lateness_ms_sum.fetch_add(late, Relaxed);
            self.lateness_ms_max.fetch_max(late, Relaxed);
        }
    }

    /// The exposition text, with the desk's counts and the inbox depth.
    pub fn render(&self, desk: Option<&DeskStats>, inbox_depth: Option<i64>) -> String {
        let mut out = String::new();
        let mut line = |help: &str, name: &str, kind: &str, samples: &[(String, f64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, v) in samples {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        let alarms: Vec<(String, f64)> = CHANNELS
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    format!("{{channel=\"{}\"}}", channel_name(*c)),
                    self.alarms[i].load(Relaxed) as f64,
                )
            })
            .collect();
        line(
            "Alarms committed to the inbox, by channel.",
            "liftrescue_alarms_total",
            "counter",
            &alarms,
        );
        line(
            "Alarms received again with a known (channel, source id).",
            "liftrescue_alarm_duplicates_total",
            "counter",
            &[(String::new(), self.duplicates.load(Relaxed) as f64)],
        );
        line(
            "Incidents opened.",
            "liftrescue_incidents_opened_total",
            "counter",
            &[(String::new(), self.incidents_opened.load(Relaxed) as f64)],
        );
        line(
            "Pages decided.",
            "liftrescue_pages_total",
            "counter",
            &[(String::new(), self.pages.load(Relaxed) as f64)],
        );
        line(
            "Commands refused by the dispatch core.",
            "liftrescue_commands_rejected_total",
            "counter",
            &[(String::new(), self.rejected_commands.load(Relaxed) as f64)],
        );
        line(
            "Deadlines fired (missed acknowledgements, warnings, breaches).",
            "liftrescue_deadlines_fired_total",
            "counter",
            &[(String::new(), self.deadlines_fired.load(Relaxed) as f64)],
        );
        line(
            "Total lateness of fired deadlines, seconds.",
            "liftrescue_deadline_lateness_seconds_sum",
            "counter",
            &[(
                String::new(),
                self.lateness_ms_sum.load(Relaxed) as f64 / 1000.0,
            )],
        );
        line(
            "Largest lateness of a fired deadline, seconds.",
            "liftrescue_deadline_lateness_seconds_max",
            "gauge",
            &[(
                String::new(),
                self.lateness_ms_max.load(Relaxed) as f64 / 1000.0,
            )],
        );
        let roles: Vec<(String, f64)> = self
            .cluster
            .holder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(r, h)| (format!("{{region=\"{r}\"}}"), if *h { 1.0 } else { 0.0 }))
            .collect();
        line(
            "1 while this node holds the region's dispatch desk, 0 while it stands by.",
            "liftrescue_desk_holder",
            "gauge",
            &roles,
        );
        line(
            "Desk leases this node took.",
            "liftrescue_lease_acquired_total",
            "counter",
            &[(
                String::new(),
                self.cluster.lease_acquired.load(Relaxed) as f64,
            )],
        );
        line(
            "Desk leases this node lost (fenced, expired, or handed over).",
            "liftrescue_lease_lost_total",
            "counter",
            &[(String::new(), self.cluster.lease_lost.load(Relaxed) as f64)],
        );
        let redis = self.cluster.redis.load(Relaxed);
        if redis != 0 {
            line(
                "1 while Redis answers, 0 while it does not (the feed reads the log meanwhile).",
                "liftrescue_redis_up",
                "gauge",
                &[(String::new(), if redis == 1 { 1.0 } else { 0.0 })],
            );
        }
        line(
            "Committed events that could not be published to Redis.",
            "liftrescue_redis_publish_failures_total",
            "counter",
            &[(
                String::new(),
                self.cluster.redis_publish_failures.load(Relaxed) as f64,
            )],
        );
        line(
            "Times the live feed read committed events from the log instead of Redis.",
            "liftrescue_feed_log_reads_total",
            "counter",
            &[(
                String::new(),
                self.cluster.feed_log_reads.load(Relaxed) as f64,
            )],
        );
        if let Some(d) = desk {
            let by: Vec<(String, f64)> = d
                .by_status
                .iter()
                .map(|(s, n)| (format!("{{status=\"{}\"}}", s.as_str()), *n as f64))
                .collect();
            line(
                "Incidents held by the desk, by status.",
                "liftrescue_incidents",
                "gauge",
                &by,
            );
            line(
                "Units on duty and free.",
                "liftrescue_units_available",
                "gauge",
                &[(String::new(), d.units_available as f64)],
            );
            line(
                "Supervised alarm equipment (terminals, cabin-phone lines) with a fault.",
                "liftrescue_equipment_faults",
                "gauge",
                &[(String::new(), d.equipment_faults as f64)],
            );
        }
        if let Some(depth) = inbox_depth {
            line(
                "Alarms committed but not yet dispatched.",
                "liftrescue_inbox_depth",
                "gauge",
                &[(String::new(), depth as f64)],
            );
        }
        out
    }
}
