//! What a decision reads from outside its incidents, and how it keeps it for replay.
//!
//! A decision reads two things that are not in its incident's record: the chain the rules
//! select for a new incident (or an attached lift), and where units stand (the nearest-unit
//! index, or, for an operator's assignment, the unit as the desk knows it). The chain goes on
//! the record as the incident's snapshot. For positions, every search puts what it saw on the
//! first event it leads to ([`Seen`]: the units its answer names, each with its kind, company,
//! fix and base, and the count of units that were unavailable): that is enough to ask the
//! same question again of an index holding only those units and get the same answer, because
//! the answer is decided by the units it names alone (the index walks in order of distance
//! and stops once nothing unseen can rank earlier; units it did not name are either farther
//! than the last one chosen, or unavailable, which the count keeps).
//!
//! [`Source::Live`] is the running desk; [`Source::Recorded`] is a replay
//! ([`super::replay`]), which answers from the record and never from today's registry.

use super::incident::{Incident, Track};
use super::state::DeskState;
use crate::domain::chain::ChainSnapshot;
use crate::domain::{CompanyId, Fix, IncidentId, LatLon, Seen, SeenUnit, UnitId, UnitKind};
use crate::index::{Entry, Query, Ranking, UnitIndex};
use crate::rules::Target;
use chrono::{DateTime, Utc};
use std::collections::{HashSet, VecDeque};

/// Where a decision reads the world outside its incidents.
pub(crate) enum Source<'a> {
    /// The desk's rules and index: the running dispatcher.
    Live,
    /// An incident's recorded inputs: a replay.
    Recorded(&'a mut Record),
}

/// A replay's recorded inputs, handed out in the order the decisions read them.
#[derive(Debug, Default)]
pub(crate) struct Record {
    /// The chain snapshot the next incident opening or lift attachment runs (from its event).
    pub chain: Option<ChainSnapshot>,
    /// What each search or assignment saw, in log order.
    pub seen: VecDeque<Seen>,
}

/// A unit an operator assigns, as the decision sees it.
pub(crate) struct UnitFacts {
    pub kind: UnitKind,
    pub company: CompanyId,
    pub on_duty: bool,
    pub fix: Option<Fix>,
    pub base: Option<LatLon>,
    /// Other incidents holding it.
    pub busy: Vec<IncidentId>,
}

impl UnitFacts {
    /// From the desk's state.
    pub fn live(state: &DeskState, unit: UnitId, incident: IncidentId) -> Option<Self> {
        let us = state.units.get(&unit)?;
        Some(UnitFacts {
            kind: us.unit.kind,
            company: us.unit.company,
            on_duty: us.unit.on_duty,
            fix: us.unit.fix,
            base: us.unit.base,
            busy: us
                .held_by
                .iter()
                .filter(|h| **h != incident)
                .copied()
                .collect(),
        })
    }

    /// From the record: the unit as the page recorded it (on duty, since it was paged).
    pub fn recorded(record: &mut Record, unit: UnitId) -> Option<Self> {
        let seen = record.seen.pop_front()?;
        let u = seen.units.into_iter().find(|u| u.unit == unit)?;
        Some(UnitFacts {
            kind: u.kind,
            company: u.company,
            on_duty: true,
            fix: u.fix,
            base: u.base,
            busy: u.busy,
        })
    }

    /// What goes on the record of the assignment.
    pub fn seen(&self, unit: UnitId) -> Seen {
        Seen {
            units: vec![SeenUnit {
                unit,
                kind: self.kind,
                company: self.company,
                fix: self.fix,
                base: self.base,
                taken_elsewhere: false,
                busy: self.busy.clone(),
            }],
            unavailable: 0,
            unlisted: 0,
        }
    }
}

/// The `k` nearest units `step_id` may page for incident `i`, and what the search saw. An
/// error says why there is nothing to search (no lift, no company on record).
pub(crate) fn search(
    i: &Incident,
    step_id: &str,
    k: usize,
    taken: &HashSet<UnitId>,
    now: DateTime<Utc>,
    state: &DeskState,
    source: &mut Source<'_>,
) -> Result<(Ranking, Seen), String> {
    let q = question(i, step_id)?;
    let held_here: HashSet<UnitId> = i.held_units().collect();
    // Paged for another incident earlier in this decision: only the live desk knows that, so
    // the record says it.
    let elsewhere = |u: UnitId| taken.contains(&u) && !held_here.contains(&u);
    let (held, track) = (&held_here, q.track);
    let ask = |index: &UnitIndex, extra: &dyn Fn(UnitId) -> bool| {
        let exclude = |repeat: bool| {
            move |u: UnitId| {
                taken.contains(&u)
                    || held.contains(&u)
                    || extra(u)
                    || (!repeat && track.page_of(u).is_some())
            }
        };
        let query = |exclude: &dyn Fn(UnitId) -> bool| {
            index.nearest(&Query {
                at: q.at,
                kind: q.track.step.page.unit_kind(),
                company: q.company,
                k,
                max_distance_m: q.track.step.radius_m,
                fresh_since: Some(now - i.chain.position_max_age.delta()),
                exclude,
                travel: &i.chain.travel,
            })
        };
        let first = query(&exclude(false));
        if first.chosen.is_empty() && q.track.step.repeat && !q.track.pages.is_empty() {
            return query(&exclude(true));
        }
        first
    };
    match source {
        Source::Live => {
            let r = ask(&state.index, &|_| false);
            let seen = seen_of(&r, &state.index, &elsewhere);
            Ok((r, seen))
        }
        Source::Recorded(record) => {
            let kept = record.seen.pop_front().unwrap_or_default();
            let flagged: HashSet<UnitId> = kept
                .units
                .iter()
                .filter(|u| u.taken_elsewhere)
                .map(|u| u.unit)
                .collect();
            let index = UnitIndex::from_entries(q.at, kept.units.iter().map(entry));
            let mut r = ask(&index, &|u| flagged.contains(&u));
            r.unavailable = kept.unavailable as usize;
            r.unlisted = kept.unlisted as usize;
            let seen = seen_of(&r, &index, &|u| elsewhere(u) || flagged.contains(&u));
            Ok((r, seen))
        }
    }
}

/// What a step's search asks, or why there is nothing to ask.
struct Question<'i> {
    track: &'i Track,
    at: LatLon,
    company: Option<CompanyId>,
}

fn question<'i>(i: &'i Incident, step_id: &str) -> Result<Question<'i>, String> {
    let lift = i
        .lift
        .as_ref()
        .ok_or("the lift is unresolved, so there is no position to rank from")?;
    let track: &Track = i.tracks.get(step_id).ok_or("step not running")?;
    let company = match track.step.page {
        Target::ContractedMaintainer => Some(
            lift.maintainer
                .ok_or("the lift has no contracted maintenance company")?,
        ),
        Target::PropertyStaff => Some(
            lift.use_unit
                .ok_or("the lift has no use unit (property company) on record")?,
        ),
        Target::AnyMaintainer | Target::FireRescue => None,
    };
    Ok(Question {
        track,
        at: lift.position,
        company,
    })
}

/// A recorded unit as an index entry (it was in the index's trees, so available).
fn entry(u: &SeenUnit) -> (UnitId, Entry) {
    let e = Entry {
        kind: u.kind,
        company: u.company,
        available: true,
        fix: u.fix,
        base: u.base,
    };
    (u.unit, e)
}

/// The units an answer names, as `index` holds them.
fn seen_of(r: &Ranking, index: &UnitIndex, elsewhere: &dyn Fn(UnitId) -> bool) -> Seen {
    let named = r.chosen.iter().map(|c| c.unit);
    let named = named.chain(r.passed_over.iter().map(|p| p.unit));
    let units = named
        .filter_map(|unit| {
            let e = index.get(unit)?;
            Some(SeenUnit {
                unit,
                kind: e.kind,
                company: e.company,
                fix: e.fix,
                base: e.base,
                taken_elsewhere: elsewhere(unit),
                busy: vec![],
            })
        })
        .collect();
    Seen {
        units,
        unavailable: u32::try_from(r.unavailable).unwrap_or(u32::MAX),
        unlisted: u32::try_from(r.unlisted).unwrap_or(u32::MAX),
    }
}

/// Why a search chose nobody, with counts.
pub(crate) fn explain_empty(i: Option<&Incident>, step_id: &str, r: &Ranking) -> String {
    use crate::index::PassReason::*;
    let count = |f: fn(&crate::index::PassReason) -> bool| {
        r.passed_over.iter().filter(|p| f(&p.why)).count()
    };
    let target = i
        .and_then(|i| i.tracks.get(step_id))
        .map(|t| t.step.page.as_str())
        .unwrap_or_default();
    format!(
        "no candidate for step `{step_id}` ({target}): {} unavailable (off duty, busy or no position), {} with a stale position, {} already paged, {} beyond the radius",
        r.unavailable,
        count(|w| matches!(w, StalePosition { .. })),
        count(|w| matches!(w, Excluded)),
        count(|w| matches!(w, BeyondRadius)),
    )
}
