//! The exposition text: every family with its HELP and TYPE lines, counters and histograms
//! always (zeros included, so a dashboard's query has a series from the first scrape), the
//! desk's counts and the inbox depth when they answered, Redis once it was tried.

use super::{CHANNELS, DEADLINES, Metrics, channel_name};
use crate::desk::DeskStats;
use crate::paging::policy::Channel;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// One family's lines.
fn family(out: &mut String, help: &str, name: &str, kind: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, v) in samples {
        let _ = writeln!(out, "{name}{labels} {v}");
    }
}

/// A label value as the text format writes it (a region's name comes from the settings).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A sample without labels.
fn one(v: f64) -> [(String, f64); 1] {
    [(String::new(), v)]
}

fn count(c: &AtomicU64) -> [(String, f64); 1] {
    one(c.load(Relaxed) as f64)
}

/// Samples labelled `label="name"`, one per counter.
fn by<'a>(
    label: &str,
    names: impl IntoIterator<Item = &'a str>,
    counters: &[AtomicU64],
) -> Vec<(String, f64)> {
    names
        .into_iter()
        .zip(counters)
        .map(|(n, c)| (format!("{{{label}=\"{n}\"}}"), c.load(Relaxed) as f64))
        .collect()
}

impl Metrics {
    /// The exposition text, with the desk's counts and the inbox depth.
    pub fn render(&self, desk: Option<&DeskStats>, inbox_depth: Option<i64>) -> String {
        let mut out = String::new();
        self.render_dispatch(&mut out);
        self.render_messages(&mut out);
        self.render_cluster(&mut out);
        if let Some(d) = desk {
            let by_status: Vec<(String, f64)> = d
                .by_status
                .iter()
                .map(|(s, n)| (format!("{{status=\"{}\"}}", s.as_str()), *n as f64))
                .collect();
            let o = &mut out;
            family(
                o,
                "Incidents held by the desk, by status.",
                "liftrescue_incidents",
                "gauge",
                &by_status,
            );
            family(
                o,
                "Units on duty and free.",
                "liftrescue_units_available",
                "gauge",
                &one(d.units_available as f64),
            );
            family(
                o,
                "Supervised alarm equipment (terminals, cabin-phone lines) with a fault.",
                "liftrescue_equipment_faults",
                "gauge",
                &one(d.equipment_faults as f64),
            );
        }
        if let Some(depth) = inbox_depth {
            family(
                &mut out,
                "Alarms committed but not yet dispatched.",
                "liftrescue_inbox_depth",
                "gauge",
                &one(depth as f64),
            );
        }
        out
    }

    fn render_dispatch(&self, o: &mut String) {
        let names = CHANNELS.iter().map(|c| channel_name(*c));
        family(
            o,
            "Alarms committed to the inbox, by channel.",
            "liftrescue_alarms_total",
            "counter",
            &by("channel", names, &self.alarms),
        );
        family(
            o,
            "Alarms received again with a known (channel, source id).",
            "liftrescue_alarm_duplicates_total",
            "counter",
            &count(&self.duplicates),
        );
        family(
            o,
            "Incidents opened.",
            "liftrescue_incidents_opened_total",
            "counter",
            &count(&self.incidents_opened),
        );
        family(
            o,
            "Pages decided.",
            "liftrescue_pages_total",
            "counter",
            &count(&self.pages),
        );
        family(
            o,
            "Commands refused by the dispatch core.",
            "liftrescue_commands_rejected_total",
            "counter",
            &count(&self.rejected_commands),
        );
        family(
            o,
            "Deadlines fired (missed acknowledgements, warnings, breaches).",
            "liftrescue_deadlines_fired_total",
            "counter",
            &count(&self.deadlines_fired),
        );
        self.lateness.render(
            o,
            "liftrescue_deadline_lateness_seconds",
            "How late deadlines fired after they were due (missed acknowledgements, warnings, breaches), seconds.",
        );
        family(
            o,
            "Deadlines breached (an incident past its SLA), by kind of deadline.",
            "liftrescue_deadline_breaches_total",
            "counter",
            &by("deadline", DEADLINES, &self.breaches),
        );
    }

    fn render_messages(&self, o: &mut String) {
        let names = || Channel::ALL.iter().map(|c| c.as_str());
        family(
            o,
            "Paging messages a gateway took, by channel.",
            "liftrescue_messages_sent_total",
            "counter",
            &by("channel", names(), &self.messages.sent),
        );
        family(
            o,
            "Paging message sends that failed (retried, given up, or interrupted), by channel.",
            "liftrescue_messages_failed_total",
            "counter",
            &by("channel", names(), &self.messages.failed),
        );
    }

    fn render_cluster(&self, o: &mut String) {
        let c = &self.cluster;
        let roles: Vec<(String, f64)> = c
            .holder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(r, h)| {
                let r = escape(r);
                (format!("{{region=\"{r}\"}}"), if *h { 1.0 } else { 0.0 })
            })
            .collect();
        family(
            o,
            "1 while this node holds the region's dispatch desk, 0 while it stands by.",
            "liftrescue_desk_holder",
            "gauge",
            &roles,
        );
        family(
            o,
            "Desk leases this node took.",
            "liftrescue_lease_acquired_total",
            "counter",
            &count(&c.lease_acquired),
        );
        family(
            o,
            "Desk leases this node lost (fenced, expired, or handed over).",
            "liftrescue_lease_lost_total",
            "counter",
            &count(&c.lease_lost),
        );
        let redis = c.redis.load(Relaxed);
        if redis != 0 {
            family(
                o,
                "1 while Redis answers, 0 while it does not (the feed reads the log meanwhile).",
                "liftrescue_redis_up",
                "gauge",
                &one(if redis == 1 { 1.0 } else { 0.0 }),
            );
        }
        family(
            o,
            "Committed events that could not be published to Redis.",
            "liftrescue_redis_publish_failures_total",
            "counter",
            &count(&c.redis_publish_failures),
        );
        family(
            o,
            "Times the live feed read committed events from the log instead of Redis.",
            "liftrescue_feed_log_reads_total",
            "counter",
            &count(&c.feed_log_reads),
        );
    }
}
