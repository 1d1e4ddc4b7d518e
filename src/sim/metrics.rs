//! The figures of a run, read from the desk's log alone. Pure.
//!
//! Times are from the incident's opening (the alarm's commit) to the first maintainer or
//! fire/rescue crew on scene ("arrival": property staff reassure, they do not free anyone) and
//! to the release. A case "got a unit" when the desk paged (or the operator assigned) the first
//! rescuer that accepted it: the desk's decision, not the crew's speed of answering. A special case (a
//! person ill or a child alone) "waited behind an ordinary one" when an ordinary case of the
//! same area that opened after it got a rescuer before it did (or got one while it never did)
//! at a moment the special case held no rescuer's page: the desk had left it waiting. A special
//! case whose crew was paged first and then declined was not left behind by the desk, even if
//! an ordinary case paged meanwhile kept its crew.

use super::scenario::area_of;
use crate::domain::{CrewStatus, Event, EventKind, IncidentId, UnitId, UnitKind};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// The arrival limit in a municipality (TSG T5002-2017 Art. 5(4)), minutes.
pub const ARRIVAL_LIMIT_MIN: f64 = 30.0;

/// One incident's times, as the log has them.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The incident.
    pub id: IncidentId,
    /// When it opened.
    pub opened: DateTime<Utc>,
    /// Its street (else district).
    pub area: String,
    /// A person ill or a child alone.
    pub special: bool,
    /// When the first rescuer that accepted was paged.
    pub got_unit: Option<DateTime<Utc>>,
    /// When a rescuer's page on it was live: from the page to its decline, missed
    /// acknowledgement or stand-down (`None`: never ended).
    pub held: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// The first rescuer on scene.
    pub arrived: Option<DateTime<Utc>>,
    /// The passengers out.
    pub released: Option<DateTime<Utc>>,
}

/// Every incident of `events`, by id; `kinds` says which units are rescuers.
pub fn cases(events: &[Event], kinds: &HashMap<UnitId, UnitKind>) -> Vec<Case> {
    let rescuer = |u: &UnitId| kinds.get(u).is_some_and(|k| *k != UnitKind::PropertyStaff);
    let mut by: BTreeMap<IncidentId, Case> = BTreeMap::new();
    let mut paged: HashMap<(IncidentId, UnitId), DateTime<Utc>> = HashMap::new();
    // The live page of each (incident, rescuer): its index in the incident's `held`.
    let mut live: HashMap<(IncidentId, UnitId), usize> = HashMap::new();
    for e in events {
        let Some(id) = e.incident else { continue };
        if let EventKind::IncidentOpened { alarm, lift, .. } = &e.kind {
            by.insert(
                id,
                Case {
                    id,
                    opened: e.at,
                    area: lift.as_deref().map(area_of).unwrap_or_default(),
                    special: alarm.flags.person_ill || alarm.flags.child_alone,
                    got_unit: None,
                    held: Vec::new(),
                    arrived: None,
                    released: None,
                },
            );
            continue;
        }
        let Some(c) = by.get_mut(&id) else { continue };
        match &e.kind {
            EventKind::UnitPaged { candidate, .. } => {
                paged.insert((id, candidate.unit), e.at);
                if rescuer(&candidate.unit) {
                    c.held.push((e.at, None));
                    live.insert((id, candidate.unit), c.held.len() - 1);
                }
            }
            EventKind::Declined { unit }
            | EventKind::AckMissed { unit, .. }
            | EventKind::PageCancelled { unit } => {
                if let Some(n) = live.remove(&(id, *unit)) {
                    c.held[n].1 = Some(e.at);
                }
            }
            EventKind::Accepted { unit, .. } if rescuer(unit) => {
                let at = paged.get(&(id, *unit)).copied().unwrap_or(e.at);
                c.got_unit = Some(c.got_unit.map_or(at, |g| g.min(at)));
            }
            EventKind::CrewProgress { unit, status } if rescuer(unit) => match status {
                CrewStatus::OnScene => c.arrived = c.arrived.or(Some(e.at)),
                CrewStatus::Released => c.released = c.released.or(Some(e.at)),
                _ => {}
            },
            _ => {}
        }
    }
    by.into_values().collect()
}

/// The figures of one run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Metrics {
    /// Incidents opened.
    pub entrapments: usize,
    /// Incidents whose passengers were freed.
    pub released: usize,
    /// Incidents no rescuer reached.
    pub not_arrived: usize,
    /// Minutes from the alarm to the first rescuer on scene: mean and 90th percentile.
    pub arrival_mean_min: Option<f64>,
    /// See `arrival_mean_min`.
    pub arrival_p90_min: Option<f64>,
    /// Minutes from the alarm to the release: mean, 90th percentile and longest.
    pub release_mean_min: Option<f64>,
    /// See `release_mean_min`.
    pub release_p90_min: Option<f64>,
    /// See `release_mean_min`.
    pub release_max_min: Option<f64>,
    /// Special cases (a person ill, a child alone).
    pub special: usize,
    /// Minutes from a special case's alarm to arrival: 90th percentile and longest.
    pub special_arrival_p90_min: Option<f64>,
    /// See `special_arrival_p90_min`.
    pub special_arrival_max_min: Option<f64>,
    /// Kilometres all crews drove.
    pub crew_km: f64,
    /// Incidents reached after the 30-minute limit, or never.
    pub over_30_min: usize,
    /// Special cases that got a rescuer after an ordinary case of their area that opened
    /// after them.
    pub special_behind_ordinary: usize,
    /// Those special cases, each with the first ordinary case that overtook it.
    pub special_behind: Vec<Behind>,
}

/// The figures of `cases`, with `crew_km` driven.
pub fn metrics(cases: &[Case], crew_km: f64) -> Metrics {
    let mins =
        |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).num_milliseconds() as f64 / 60_000.0;
    let arrival: Vec<f64> = cases
        .iter()
        .filter_map(|c| c.arrived.map(|a| mins(c.opened, a)))
        .collect();
    let release: Vec<f64> = cases
        .iter()
        .filter_map(|c| c.released.map(|r| mins(c.opened, r)))
        .collect();
    let special: Vec<f64> = cases
        .iter()
        .filter(|c| c.special)
        .filter_map(|c| c.arrived.map(|a| mins(c.opened, a)))
        .collect();
    let not_arrived = cases.len() - arrival.len();
    Metrics {
        entrapments: cases.len(),
        released: release.len(),
        not_arrived,
        arrival_mean_min: mean(&arrival),
        arrival_p90_min: percentile(&arrival, 0.9),
        release_mean_min: mean(&release),
        release_p90_min: percentile(&release, 0.9),
        release_max_min: percentile(&release, 1.0),
        special: cases.iter().filter(|c| c.special).count(),
        special_arrival_p90_min: percentile(&special, 0.9),
        special_arrival_max_min: percentile(&special, 1.0),
        crew_km,
        over_30_min: not_arrived + arrival.iter().filter(|m| **m > ARRIVAL_LIMIT_MIN).count(),
        special_behind_ordinary: special_behind_ordinary(cases),
        special_behind: special_behind(cases),
    }
}

/// The mean; `None` for no values.
pub fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The nearest-rank percentile `p` (0–1] (1.0: the largest); `None` for no values.
pub fn percentile(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = (p * s.len() as f64).ceil() as usize;
    Some(s[rank.clamp(1, s.len()) - 1])
}

/// Special cases that got a rescuer later than an ordinary case of the same area that opened
/// after them (a case that never got one counts as getting one last), when the ordinary case's
/// rescuer was paged while the special case held no rescuer's page.
pub fn special_behind_ordinary(cases: &[Case]) -> usize {
    special_behind(cases).len()
}

/// A special case that got its rescuer after an ordinary case of its area that opened after it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Behind {
    /// The special case.
    pub special: IncidentId,
    /// When it opened.
    pub opened: DateTime<Utc>,
    /// When its first accepting rescuer was paged (`None`: never).
    pub got_unit: Option<DateTime<Utc>>,
    /// The ordinary case that overtook it first (the earliest to get a rescuer).
    pub ordinary: IncidentId,
    /// When that one opened.
    pub ordinary_opened: DateTime<Utc>,
    /// When it got its rescuer.
    pub ordinary_got_unit: DateTime<Utc>,
}

/// Each special case behind an ordinary one (see [`special_behind_ordinary`]), with the
/// ordinary case that got a rescuer first, so a run's log can be followed case by case.
pub fn special_behind(cases: &[Case]) -> Vec<Behind> {
    let later = |a: Option<DateTime<Utc>>, b: DateTime<Utc>| a.is_none_or(|a| a > b);
    cases
        .iter()
        .filter(|s| s.special)
        .filter_map(|s| {
            let o = cases
                .iter()
                .filter(|o| !o.special && o.area == s.area && o.opened > s.opened)
                .filter_map(|o| o.got_unit.map(|g| (g, o)))
                .filter(|(g, _)| later(s.got_unit, *g) && !held_at(s, *g))
                .min_by_key(|(g, o)| (*g, o.id))?
                .1;
            Some(Behind {
                special: s.id,
                opened: s.opened,
                got_unit: s.got_unit,
                ordinary: o.id,
                ordinary_opened: o.opened,
                ordinary_got_unit: o.got_unit?,
            })
        })
        .collect()
}

/// Whether a rescuer's page on `c` was live at `t` (paged at or before it, not yet ended).
fn held_at(c: &Case, t: DateTime<Utc>) -> bool {
    c.held
        .iter()
        .any(|(from, to)| *from <= t && to.is_none_or(|to| t < to))
}
