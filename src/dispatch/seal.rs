//! The daily seal of the event log: when it is due, and the event that records it.
//!
//! Once a day, at a set local time (`review.seal_at`, default 00:05 China time), the desk writes
//! a `log_sealed` row naming the log's head just before it (seq and hash), so the bureau can keep
//! that hash outside the system: a chain rewritten later, however consistently, no longer leads
//! to the kept hash. The decision is pure: [`Sealing::due`] takes `now` and what the log says
//! (the last day sealed, when the log began), so a node that was down at the seal time seals
//! when it comes back (late, saying how late), and never seals one day twice: the day sealed is
//! read back from the log at start.

use crate::domain::{Actor, Event, EventKind};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};

/// When the seal falls each day: a local time of day at a fixed UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealSchedule {
    /// The local time of day.
    pub at: NaiveTime,
    /// The offset the time and the day are read in (China: +08:00, no daylight saving).
    pub offset: FixedOffset,
}

impl SealSchedule {
    /// The seal time of local day `day`, in UTC.
    pub fn instant(&self, day: NaiveDate) -> DateTime<Utc> {
        let local = day.and_time(self.at);
        (local - chrono::TimeDelta::seconds(self.offset.local_minus_utc().into())).and_utc()
    }

    /// The latest seal time at or before `now`, with its local day.
    pub fn last_at_or_before(&self, now: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>) {
        let today = now.with_timezone(&self.offset).date_naive();
        let t = self.instant(today);
        if t <= now {
            return (today, t);
        }
        let yesterday = today.pred_opt().unwrap_or(today);
        (yesterday, self.instant(yesterday))
    }
}

/// A seal that is owed: the day, and when it was due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealDue {
    /// The local day whose seal time has passed.
    pub day: NaiveDate,
    /// That seal time.
    pub due: DateTime<Utc>,
}

/// What the desk knows of sealing: the schedule, and what the log says so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealing {
    /// When seals fall.
    pub schedule: SealSchedule,
    /// The last day sealed (from the newest `log_sealed` row).
    pub last_day: Option<NaiveDate>,
    /// When the log's first row was written (`None`: the log is empty).
    pub log_since: Option<DateTime<Utc>>,
}

impl Sealing {
    /// The seal owed at `now`, if any: the latest seal time has passed, its day is not sealed
    /// yet, and the log had rows at that time (an empty log has nothing to seal). Only the
    /// latest day is owed: after days of downtime one seal covers them, as nothing was written
    /// meanwhile.
    pub fn due(&self, now: DateTime<Utc>) -> Option<SealDue> {
        let (day, due) = self.schedule.last_at_or_before(now);
        if self.last_day.is_some_and(|d| d >= day) {
            return None;
        }
        if self.log_since.is_none_or(|t| t > due) {
            return None;
        }
        Some(SealDue { day, due })
    }

    /// When to look again: `now` when a seal is owed, else the next seal time.
    pub fn next_check(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        if self.due(now).is_some() {
            return now;
        }
        let (day, _) = self.schedule.last_at_or_before(now);
        match day.succ_opt() {
            Some(next) => self.schedule.instant(next),
            None => DateTime::<Utc>::MAX_UTC,
        }
    }

    /// Takes note of an event appended to the log.
    pub fn saw(&mut self, e: &Event) {
        self.log_since.get_or_insert(e.at);
        if let EventKind::LogSealed { day, .. } = &e.kind
            && self.last_day.is_none_or(|d| d < *day)
        {
            self.last_day = Some(*day);
        }
    }
}

/// The `log_sealed` event sealing the row `sealed_seq` (hash `sealed_hash`) for `owed`, at
/// `now`.
pub fn log_sealed(owed: &SealDue, sealed_seq: i64, sealed_hash: &str, now: DateTime<Utc>) -> Event {
    let late_secs = (now - owed.due).num_seconds().max(0);
    let late = if late_secs > 60 {
        format!(", {late_secs} s late (the desk was not running at the seal time)")
    } else {
        String::new()
    };
    Event {
        incident: None,
        at: now,
        actor: Actor::System,
        step: None,
        rules_version: None,
        reason: format!(
            "daily seal of {}: the log's head is row {sealed_seq}, hash {sealed_hash}{late}",
            owed.day
        ),
        kind: EventKind::LogSealed {
            day: owed.day,
            sealed_seq,
            sealed_hash: sealed_hash.to_owned(),
            due: owed.due,
            late_secs,
        },
    }
}

#[cfg(test)]
#[path = "seal_tests.rs"]
mod tests;
