//! What the desk keeps of storms, changed only by applying events: the storms and their
//! areas, the recent entrapments each area counts for detection, which incidents wait for the
//! solve, and when the solve last ran.

use crate::domain::storm::{StormArea, StormRules, StormTrigger, Triage};
use crate::domain::{Event, EventKind, IncidentId, Lift};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// The shortest gap between two solves when something changed (a new incident waits, a unit
/// came free, a special case waits): a burst of alarms is solved in batches, not one by one,
/// and a special case is still assigned well within a second of its decision.
pub const CHANGED_GAP: TimeDelta = TimeDelta::milliseconds(500);

/// One storm.
#[derive(Debug, Clone, PartialEq)]
pub struct Storm {
    /// Its number.
    pub id: u32,
    /// Where.
    pub area: StormArea,
    /// What declared it.
    pub trigger: StormTrigger,
    /// When.
    pub declared_at: DateTime<Utc>,
    /// The last entrapment that opened in its area (the declaration, before the first).
    pub last_entrapment: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// The storms and what detection and the solve need between decisions.
#[derive(Debug, Default)]
pub struct StormBook {
    /// Every storm of the log, by number.
    pub storms: BTreeMap<u32, Storm>,
    /// Entrapments opened recently, by area key, oldest first.
    recent: HashMap<String, VecDeque<DateTime<Utc>>>,
    /// Incidents of active storms that wait for a unit, by tier.
    pub waiting: BTreeSet<(u8, IncidentId)>,
    tier_of: HashMap<IncidentId, u8>,
    /// Waiting incidents by storm.
    waiting_in: HashMap<u32, usize>,
    storm_of: HashMap<IncidentId, u32>,
    /// When the solve last ran.
    pub last_solve: Option<DateTime<Utc>>,
    /// Something changed since the last solve (a new waiting incident, a unit freed).
    pub changed: bool,
}

/// The detection key of an area a lift counts in.
pub fn area_key(lift: &Lift) -> String {
    match &lift.street {
        Some(s) => format!("{}/{s}", lift.district),
        None => lift.district.to_string(),
    }
}

/// Whether an alarm kind (by rule name) is an entrapment.
pub fn is_entrapment(kind: &crate::domain::AlarmKind) -> bool {
    !matches!(kind, crate::domain::AlarmKind::Fault(_))
}

impl StormBook {
    /// The active storm whose area holds the lift (the earliest declared, if several).
    pub fn covering(&self, lift: &Lift) -> Option<&Storm> {
        self.active().find(|s| s.area.contains(lift))
    }

    /// Storms not ended.
    pub fn active(&self) -> impl Iterator<Item = &Storm> {
        self.storms.values().filter(|s| s.ended_at.is_none())
    }

    /// The number the next storm gets.
    pub fn next_id(&self) -> u32 {
        self.storms.keys().next_back().map_or(1, |n| n + 1)
    }

    /// Entrapments opened in `key`'s area within `within` of `now`.
    pub fn recent(&self, key: &str, now: DateTime<Utc>, within: TimeDelta) -> usize {
        self.recent
            .get(key)
            .map_or(0, |q| q.iter().filter(|t| **t > now - within).count())
    }

    /// When the desk must next act for storms: a storm falls quiet, or the solve is due.
    pub fn next_due(&self, rules: Option<&StormRules>) -> Option<DateTime<Utc>> {
        let rules = rules?;
        let quiet = self
            .active()
            .filter(|s| !self.has_waiting(s.id))
            .map(|s| s.last_entrapment + rules.quiet.delta())
            .min();
        [quiet, self.solve_due(rules)].into_iter().flatten().min()
    }

    /// Whether any incident of the storm waits for a unit (a storm does not end then).
    pub fn has_waiting(&self, storm: u32) -> bool {
        self.waiting_in.get(&storm).is_some_and(|n| *n > 0)
    }

    /// When the solve is next due: never while nobody waits; at once (after the short gap)
    /// when something changed or a special case waits; else every `solve.every`.
    pub fn solve_due(&self, rules: &StormRules) -> Option<DateTime<Utc>> {
        let first = self.waiting.first()?;
        let Some(last) = self.last_solve else {
            return Some(DateTime::<Utc>::MIN_UTC);
        };
        let gap = if self.changed || first.0 == 0 {
            CHANGED_GAP
        } else {
            rules.every.delta()
        };
        Some(last + gap)
    }

    /// Applies an event to the book; `lift` is the incident's lift, when it has one.
    pub fn apply(&mut self, e: &Event, rules: Option<&StormRules>) {
        match &e.kind {
            EventKind::StormDeclared {
                storm,
                area,
                trigger,
            } => {
                let s = Storm {
                    id: *storm,
                    area: area.clone(),
                    trigger: trigger.clone(),
                    declared_at: e.at,
                    last_entrapment: e.at,
                    ended_at: None,
                };
                self.storms.insert(*storm, s);
            }
            EventKind::StormEnded { storm, .. } => {
                if let Some(s) = self.storms.get_mut(storm) {
                    s.ended_at = Some(e.at);
                }
            }
            EventKind::StormSolved { .. } => {
                self.last_solve = Some(e.at);
                self.changed = false;
            }
            EventKind::IncidentOpened {
                alarm,
                lift: Some(lift),
                ..
            } if is_entrapment(&alarm.kind) => {
                let Some(rules) = rules else { return };
                let q = self.recent.entry(area_key(lift)).or_default();
                q.push_back(e.at);
                let horizon = e.at - rules.within.delta();
                while q.front().is_some_and(|t| *t <= horizon) {
                    q.pop_front();
                }
                for s in self.storms.values_mut() {
                    if s.ended_at.is_none() && s.area.contains(lift) {
                        s.last_entrapment = s.last_entrapment.max(e.at);
                    }
                }
            }
            _ => {}
        }
    }

    /// Records whether an incident waits for the solve (after each of its events).
    pub fn set_waiting(&mut self, id: IncidentId, waiting: Option<(u32, &Triage)>) {
        let had = self.tier_of.get(&id).map(|t| (*t, id));
        let now = waiting.map(|(_, t)| (t.tier, id));
        if had != now {
            if let Some(h) = had {
                self.waiting.remove(&h);
                self.tier_of.remove(&id);
                if let Some(s) = self.storm_of.remove(&id)
                    && let Some(n) = self.waiting_in.get_mut(&s)
                {
                    *n = n.saturating_sub(1);
                }
            }
            if let (Some(n), Some((storm, _))) = (now, waiting) {
                self.waiting.insert(n);
                self.tier_of.insert(id, n.0);
                self.storm_of.insert(id, storm);
                *self.waiting_in.entry(storm).or_default() += 1;
                self.changed = true;
            }
        }
    }
}
