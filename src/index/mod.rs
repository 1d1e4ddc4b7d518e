//! The nearest-unit index: which available units are closest to a lift.
//!
//! PLACEHOLDER IMPLEMENTATION (brute force) — the API is final, the internals are being replaced
//! by a partitioned rstar index.

use crate::domain::{CompanyId, Fix, LatLon, UnitId, UnitKind};
use crate::rules::TravelModel;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the index keeps of a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Kind of responder.
    pub kind: UnitKind,
    /// Employer.
    pub company: CompanyId,
    /// On duty and not busy: may be paged.
    pub available: bool,
    /// Last known position.
    pub fix: Option<Fix>,
}

/// A nearest-unit question.
pub struct Query<'a> {
    /// Where the lift is.
    pub at: LatLon,
    /// Kind of unit wanted.
    pub kind: UnitKind,
    /// Only this company's units, if set.
    pub company: Option<CompanyId>,
    /// How many to choose.
    pub k: usize,
    /// Only units within this straight-line distance (metres).
    pub max_distance_m: Option<f64>,
    /// Only positions taken at or after this instant.
    pub fresh_since: Option<DateTime<Utc>>,
    /// Units to pass over (e.g. already paged by this step).
    pub exclude: &'a dyn Fn(UnitId) -> bool,
    /// For the ETA of each candidate.
    pub travel: &'a TravelModel,
}

/// A chosen unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Which unit.
    pub unit: UnitId,
    /// Great-circle distance from the lift, metres.
    pub distance_m: f64,
    /// Estimated travel time, seconds.
    pub eta_secs: u32,
    /// When its position fix was taken.
    pub fix_taken: DateTime<Utc>,
    /// Why it was chosen, in words.
    pub why: String,
}

/// Why a unit that was looked at was not chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum PassReason {
    /// Its last fix is older than the freshness limit.
    StalePosition {
        /// When the fix was taken.
        fix_taken: DateTime<Utc>,
    },
    /// The query excluded it (e.g. this step already paged it).
    Excluded,
    /// Further than the step's radius.
    BeyondRadius,
}

/// A unit looked at and passed over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassedOver {
    /// Which unit.
    pub unit: UnitId,
    /// Its distance from the lift, metres.
    pub distance_m: f64,
    /// Why.
    pub why: PassReason,
}

/// The answer: the chosen units nearest first, those passed over, and how many units of the
/// wanted kind (and company) were not available at all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// Chosen, nearest first.
    pub chosen: Vec<Candidate>,
    /// Looked at and passed over, nearest first.
    pub passed_over: Vec<PassedOver>,
    /// Units matching kind and company that are off duty, busy or without a position.
    pub unavailable: usize,
}

/// The index of units and their live positions.
#[derive(Debug, Clone, Default)]
pub struct UnitIndex {
    units: HashMap<UnitId, Entry>,
}

impl UnitIndex {
    /// An empty index whose projection is centred on `origin` (the region's centre).
    pub fn new(_origin: LatLon) -> Self {
        Self::default()
    }

    /// Adds or replaces a unit.
    pub fn upsert(&mut self, id: UnitId, entry: Entry) {
        self.units.insert(id, entry);
    }

    /// Moves a unit; false if the unit is unknown.
    pub fn set_position(&mut self, id: UnitId, fix: Fix) -> bool {
        match self.units.get_mut(&id) {
            Some(e) => {
                e.fix = Some(fix);
                true
            }
            None => false,
        }
    }

    /// Marks a unit available (on duty and free) or not; false if unknown.
    pub fn set_available(&mut self, id: UnitId, available: bool) -> bool {
        match self.units.get_mut(&id) {
            Some(e) => {
                e.available = available;
                true
            }
            None => false,
        }
    }

    /// Removes a unit.
    pub fn remove(&mut self, id: UnitId) {
        self.units.remove(&id);
    }

    /// What the index knows of a unit.
    pub fn get(&self, id: UnitId) -> Option<&Entry> {
        self.units.get(&id)
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The `k` nearest units that pass the query's filters.
    pub fn nearest(&self, q: &Query<'_>) -> Ranking {
        let mut r = Ranking::default();
        let mut all: Vec<(f64, UnitId, &Entry)> = Vec::new();
        for (id, e) in &self.units {
            if e.kind != q.kind || q.company.is_some_and(|c| c != e.company) {
                continue;
            }
            match (e.available, e.fix) {
                (true, Some(f)) => all.push((q.at.distance_m(f.at), *id, e)),
                _ => r.unavailable += 1,
            }
        }
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (d, id, e) in all {
            if r.chosen.len() >= q.k {
                break;
            }
            let fix = e.fix.expect("filtered above");
            if q.max_distance_m.is_some_and(|m| d > m) {
                r.passed_over.push(PassedOver {
                    unit: id,
                    distance_m: d,
                    why: PassReason::BeyondRadius,
                });
                break;
            }
            if q.fresh_since.is_some_and(|t| fix.taken < t) {
                r.passed_over.push(PassedOver {
                    unit: id,
                    distance_m: d,
                    why: PassReason::StalePosition {
                        fix_taken: fix.taken,
                    },
                });
                continue;
            }
            if (q.exclude)(id) {
                r.passed_over.push(PassedOver {
                    unit: id,
                    distance_m: d,
                    why: PassReason::Excluded,
                });
                continue;
            }
            let eta = q.travel.eta_secs(q.kind, d);
            r.chosen.push(Candidate {
                unit: id,
                distance_m: d,
                eta_secs: eta,
                fix_taken: fix.taken,
                why: format!("nearest available {}", q.kind.as_str()),
            });
        }
        r
    }
}
