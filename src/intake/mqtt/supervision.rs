//! Terminal supervision: which IoT terminals have stopped sending heartbeats.
//!
//! A terminal sends a heartbeat every `heartbeat_interval_secs`; one that has been silent for
//! longer than `heartbeat_misses` intervals is offline. Supervision keeps the last heartbeat
//! of each terminal in memory (after a restart every terminal starts unknown, not offline, so a
//! restart never raises a burst of false "offline" reports) and reports each transition once.
//!
//! Each transition goes on the lift's record through the desk (`Command::Equipment`: an
//! `equipment_fault` / `equipment_ok` event), and is logged. It is never an entrapment.

use crate::domain::DeviceId;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, HashSet};

/// The terminals in `last_seen` silent for more than `misses` × `interval` at `now`, sorted by
/// id. Pure: the caller owns the map and the clock.
pub fn offline_devices(
    last_seen: &HashMap<DeviceId, DateTime<Utc>>,
    now: DateTime<Utc>,
    interval: TimeDelta,
    misses: u32,
) -> Vec<DeviceId> {
    let limit = interval * i32::try_from(misses).unwrap_or(i32::MAX);
    let mut offline: Vec<DeviceId> = last_seen
        .iter()
        .filter(|(_, seen)| now - **seen > limit)
        .map(|(device, _)| device.clone())
        .collect();
    offline.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    offline
}

/// The last heartbeat of every terminal heard from, and which of them are offline now.
#[derive(Debug, Clone)]
pub struct Supervision {
    last_seen: HashMap<DeviceId, DateTime<Utc>>,
    offline: HashSet<DeviceId>,
    interval: TimeDelta,
    misses: u32,
}

impl Supervision {
    /// Heartbeats every `interval`; `misses` missed ones make a terminal offline.
    pub fn new(interval: TimeDelta, misses: u32) -> Self {
        Supervision {
            last_seen: HashMap::new(),
            offline: HashSet::new(),
            interval,
            misses,
        }
    }

    /// Records a heartbeat received at `at` (a later one never moves the time back). True when
    /// the terminal was offline and is back online: the caller logs that transition once.
    pub fn heartbeat(&mut self, device: DeviceId, at: DateTime<Utc>) -> bool {
        let seen = self.last_seen.entry(device.clone()).or_insert(at);
        *seen = (*seen).max(at);
        self.offline.remove(&device)
    }

    /// The terminals that went offline since the last check, sorted by id: each transition is
    /// reported once, however many checks it stays offline for.
    pub fn check(&mut self, now: DateTime<Utc>) -> Vec<DeviceId> {
        offline_devices(&self.last_seen, now, self.interval, self.misses)
            .into_iter()
            .filter(|device| self.offline.insert(device.clone()))
            .collect()
    }

    /// The last heartbeat of a terminal, if it was heard from since start.
    pub fn last_seen(&self, device: &DeviceId) -> Option<DateTime<Utc>> {
        self.last_seen.get(device).copied()
    }

    /// Terminals heard from since start.
    pub fn known(&self) -> usize {
        self.last_seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + secs, 0).unwrap()
    }

    fn dev(s: &str) -> DeviceId {
        DeviceId::parse(s).unwrap()
    }

    #[test]
    fn a_terminal_is_offline_only_after_more_than_misses_intervals_of_silence() {
        let seen = HashMap::from([(dev("b"), t(0)), (dev("a"), t(0)), (dev("c"), t(100))]);
        let minute = TimeDelta::seconds(60);
        assert!(offline_devices(&seen, t(180), minute, 3).is_empty());
        assert_eq!(
            offline_devices(&seen, t(181), minute, 3),
            vec![dev("a"), dev("b")]
        );
        assert_eq!(offline_devices(&seen, t(281), minute, 3).len(), 3);
        assert!(offline_devices(&HashMap::new(), t(999), minute, 3).is_empty());
    }

    #[test]
    fn each_transition_is_reported_once_and_a_heartbeat_brings_a_terminal_back() {
        let mut s = Supervision::new(TimeDelta::seconds(60), 3);
        assert!(!s.heartbeat(dev("a"), t(0)));
        assert!(s.check(t(100)).is_empty());
        assert_eq!(s.check(t(200)), vec![dev("a")]);
        assert!(
            s.check(t(260)).is_empty(),
            "still offline: not reported again"
        );
        assert!(s.heartbeat(dev("a"), t(270)), "back online");
        assert!(!s.heartbeat(dev("a"), t(280)));
        assert!(s.check(t(300)).is_empty());
        assert_eq!(s.check(t(500)), vec![dev("a")]);
        assert_eq!(s.known(), 1);
    }

    #[test]
    fn a_late_heartbeat_never_moves_the_last_seen_time_back() {
        let mut s = Supervision::new(TimeDelta::seconds(60), 3);
        s.heartbeat(dev("a"), t(100));
        s.heartbeat(dev("a"), t(0));
        assert!(s.check(t(250)).is_empty());
    }
}
