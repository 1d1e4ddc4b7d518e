//! A fixed-bucket histogram on atomics, rendered as Prometheus's `_bucket{le=…}`, `_sum` and
//! `_count` series.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Upper bounds of the deadline lateness buckets, seconds. A deadline normally fires within a
/// tick of being due (the sub-second buckets); a standby that takes the desk fires the overdue
/// ones late by the failover time (goal ≤ 3 s, limit 10 s); past a minute something was stuck.
pub const LATENESS_BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// Observations in milliseconds, counted per bucket (not cumulated until rendered).
#[derive(Debug, Default)]
pub struct Histogram {
    /// One counter per bound of [`LATENESS_BUCKETS`], then one for above them all.
    buckets: [AtomicU64; LATENESS_BUCKETS.len() + 1],
    sum_ms: AtomicU64,
}

impl Histogram {
    /// Counts one observation of `ms` milliseconds.
    pub fn observe_ms(&self, ms: u64) {
        let secs = ms as f64 / 1000.0;
        let i = LATENESS_BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(LATENESS_BUCKETS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum_ms.fetch_add(ms, Relaxed);
    }

    /// Writes the family `name`: its HELP and TYPE lines, the cumulative buckets (`+Inf` last),
    /// the sum in seconds and the count.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, le) in LATENESS_BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        cumulative += self.buckets[LATENESS_BUCKETS.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_ms.load(Relaxed) as f64 / 1000.0;
        let _ = writeln!(out, "{name}_sum {sum}");
        // The count is the +Inf bucket's, so the two always agree within a scrape.
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}
