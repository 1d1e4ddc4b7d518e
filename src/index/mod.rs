//! The nearest-unit index: which available units are closest to a lift.
//!
//! # Design
//!
//! - **Projection.** Positions are projected once, when they arrive, onto a local metric plane:
//!   a spherical azimuthal-equidistant projection centred on the region's origin (the `origin`
//!   given to [`UnitIndex::new`]); see `projection.rs`. Never raw degrees: a degree of longitude
//!   is 97 km here and 111 km of latitude, so degree-space neighbours are not the nearest ones.
//! - **Partitioning.** There is one `rstar` R-tree per unit kind and one per (kind, company); a
//!   unit lives in both. Only available units with a position are in the trees; the others stay
//!   in the `HashMap` and are counted per partition ([`Ranking::unavailable`]). So "the nearest
//!   on-duty maintainers of company 17" walks only company 17's free maintainers, however
//!   selective that is, and never the whole region.
//! - **Exactness.** Projected distance is not haversine distance, so a query walks its tree in
//!   projected order (`nearest_neighbor_iter_with_distance_2`), computes each unit's haversine
//!   distance with [`LatLon::distance_m`], and stops only when a *proven lower bound* on the
//!   haversine distance of every unit not yet seen (derived from the next projected distance,
//!   see `projection.rs`; inside the region it is within 1e-6 of the projected distance) is
//!   strictly greater than the current `k`-th best eligible distance, or, with fewer than `k`
//!   found, than the nearest unit seen beyond `max_distance_m`. Everything that can rank before
//!   the last chosen unit has then been seen; sorting what was seen by (haversine distance, unit
//!   id) gives exactly the brute-force answer, ties broken by id. The property test in
//!   `tests/property.rs` checks this against a brute-force scan.
//! - **Filters.** Kind and company pick the tree; availability is membership in it; stale
//!   fixes, excluded units and units beyond the radius are seen while walking and reported in
//!   [`Ranking::passed_over`] (capped at [`MAX_PASSED_OVER`]). Filters that are not partitioned
//!   (freshness, `exclude`) still cost a walk over what they reject.
//! - **Bases.** A unit with a base (a fire station, property staff's building, a depot) has a
//!   second element in its trees, at the base. A query judges each unit at exactly one place:
//!   its fix when that is fresh enough (the base element is skipped), else its base (the stale
//!   fix element is skipped, not reported), so a based unit is never passed over as stale and
//!   the walk's bound stays exact: each element carries what decides which one speaks
//!   (`partition::Spot`), so no lookup is needed. Chosen at its base, a unit's ETA gets
//!   the travel model's `base_turnout_secs` added and its reason says "from its base, no fresh position".
//! - **Updates.** Each unit keeps its projected point beside its entry, from which its tree
//!   elements (point, unit, company, spot) are rebuilt exactly, so a move removes precisely its
//!   changed elements from its two trees and inserts the new ones (O(log n) each; a based
//!   unit's base element changes too, since it carries the fix time); availability changes
//!   move a unit between the trees and the counters; [`UnitIndex::upsert`] takes a unit out of
//!   its old partitions (kind and company may change) before placing it again. A fix with
//!   non-finite coordinates counts as no position.
//! - **Cost**: a query and a move are O(log n) in the units of their partition whatever the
//!   filter's selectivity; `benches/index.rs` measures both beside a brute-force scan
//!   (figures in `ops/BENCHMARKS.md`).

mod partition;
mod projection;
mod search;
#[cfg(test)]
mod tests;

pub use crate::domain::candidate::{Candidate, PassReason, PassedOver, Seen, SeenUnit};
use crate::domain::{CompanyId, Fix, LatLon, UnitId, UnitKind};
use crate::rules::TravelModel;
use chrono::{DateTime, Utc};
use partition::{Leaf, Partitions, Placed, PlanePoint, Spot};
use projection::Projection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The most [`PassedOver`] entries a [`Ranking`] carries (the nearest ones).
pub const MAX_PASSED_OVER: usize = 32;

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
    /// Where it is paged from when its fix is not fresh enough (see [`Candidate::from_base`]).
    pub base: Option<LatLon>,
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

/// The answer: the chosen units nearest first, those passed over, and how many units of the
/// wanted kind (and company) were not available at all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// Chosen, nearest first.
    pub chosen: Vec<Candidate>,
    /// Looked at and passed over, nearest first: the stale and excluded units nearer than the
    /// last chosen one and, when fewer than `k` were found inside the radius, the nearest unit
    /// beyond it. At most [`MAX_PASSED_OVER`] entries (the nearest ones); the rest are dropped
    /// so a region full of stale positions cannot blow up the answer or the event log.
    pub passed_over: Vec<PassedOver>,
    /// Units matching kind and company that are off duty, busy or without a position or base.
    pub unavailable: usize,
    /// Units passed over beyond the [`MAX_PASSED_OVER`] listed (0 nearly always).
    #[serde(default)]
    pub unlisted: usize,
}

/// The index of units and their live positions.
///
/// `Default` centres the projection on 0° N 0° E: answers stay exact anywhere, but a query
/// far from the origin walks a few more units; prefer [`UnitIndex::new`] with the region's
/// centre.
#[derive(Debug, Clone)]
pub struct UnitIndex {
    projection: Projection,
    units: HashMap<UnitId, Slot>,
    parts: Partitions,
}

/// A unit and where it sits in the trees.
#[derive(Debug, Clone)]
struct Slot {
    entry: Entry,
    /// The projected position of its live fix in both its trees; `None` when that element is
    /// not in the trees (unavailable or no usable fix). Only the points are kept, not the whole
    /// elements (see [`Slot::placed`]), which keeps the map smaller.
    point: Option<[f64; 2]>,
    /// The projected position of its base, likewise.
    base_point: Option<[f64; 2]>,
}

impl Slot {
    fn new(projection: &Projection, id: UnitId, entry: Entry) -> Self {
        let placed = placement(projection, id, &entry);
        let (point, base_point) = points(&placed);
        Self {
            entry,
            point,
            base_point,
        }
    }

    /// Its elements in the trees, rebuilt exactly as [`placement`] made them: the entry only
    /// changes through [`UnitIndex::update`], which re-places the unit whenever they change.
    fn placed(&self, unit: UnitId) -> Placed {
        let company = self.entry.company;
        let fix = self.entry.fix.filter(|_| self.point.is_some());
        let live = fix.zip(self.point).map(|(fix, p)| {
            let based = self.base_point.is_some();
            let spot = Spot::Live { fix, based };
            PlanePoint::new(
                p,
                Leaf {
                    unit,
                    company,
                    spot,
                },
            )
        });
        let base = self.entry.base.zip(self.base_point).map(|(at, p)| {
            let live = fix.map(|f| f.taken);
            let spot = Spot::Base { at, live };
            PlanePoint::new(
                p,
                Leaf {
                    unit,
                    company,
                    spot,
                },
            )
        });
        Placed { live, base }
    }
}

fn points(placed: &Placed) -> (Option<[f64; 2]>, Option<[f64; 2]>) {
    (
        placed.live.map(|p| *p.geom()),
        placed.base.map(|p| *p.geom()),
    )
}

impl Default for UnitIndex {
    fn default() -> Self {
        Self::new(LatLon { lat: 0.0, lon: 0.0 })
    }
}

impl UnitIndex {
    /// An empty index whose projection is centred on `origin` (the region's centre).
    pub fn new(origin: LatLon) -> Self {
        Self {
            projection: Projection::new(origin),
            units: HashMap::new(),
            parts: Partitions::default(),
        }
    }

    /// An index holding `entries`, built with `rstar`'s bulk loading (much faster than
    /// inserting one by one, and a better-shaped tree). A repeated id keeps its last entry.
    pub fn from_entries(
        origin: LatLon,
        entries: impl IntoIterator<Item = (UnitId, Entry)>,
    ) -> Self {
        let projection = Projection::new(origin);
        let units: HashMap<UnitId, Slot> = entries
            .into_iter()
            .map(|(id, entry)| (id, Slot::new(&projection, id, entry)))
            .collect();
        let parts = Partitions::bulk_load(
            units
                .iter()
                .map(|(id, s)| (s.entry.kind, s.entry.company, s.placed(*id))),
        );
        Self {
            projection,
            units,
            parts,
        }
    }

    /// The centre of the projection.
    pub fn origin(&self) -> LatLon {
        self.projection.origin()
    }

    /// Adds or replaces a unit.
    pub fn upsert(&mut self, id: UnitId, entry: Entry) {
        self.remove(id);
        let slot = Slot::new(&self.projection, id, entry);
        self.parts
            .add(slot.entry.kind, slot.entry.company, &slot.placed(id));
        self.units.insert(id, slot);
    }

    /// Moves a unit (its base stays); false if the unit is unknown.
    pub fn set_position(&mut self, id: UnitId, fix: Fix) -> bool {
        self.update(id, |e| e.fix = Some(fix))
    }

    /// Marks a unit available (on duty and free) or not; false if unknown.
    pub fn set_available(&mut self, id: UnitId, available: bool) -> bool {
        self.update(id, |e| e.available = available)
    }

    /// Removes a unit.
    pub fn remove(&mut self, id: UnitId) {
        if let Some(old) = self.units.remove(&id) {
            let e = &old.entry;
            self.parts.take(e.kind, e.company, &old.placed(id));
        }
    }

    /// What the index knows of a unit.
    pub fn get(&self, id: UnitId) -> Option<&Entry> {
        self.units.get(&id).map(|s| &s.entry)
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The `k` nearest units that pass the query's filters, by haversine distance, ties by
    /// unit id; see the module docs for how it stays exact.
    pub fn nearest(&self, q: &Query<'_>) -> Ranking {
        let Some(part) = self.parts.get(q.kind, q.company) else {
            return Ranking::default();
        };
        if q.k == 0 {
            return Ranking {
                unavailable: part.unavailable,
                ..Ranking::default()
            };
        }
        let looked = search::walk(&part.tree, &self.projection, q);
        search::rank(looked, q, part.unavailable)
    }

    /// Applies `change` to a unit's entry (not its kind or company) and moves it between trees
    /// and counters if its placement changed; false if the unit is unknown.
    fn update(&mut self, id: UnitId, change: impl FnOnce(&mut Entry)) -> bool {
        let Some(slot) = self.units.get_mut(&id) else {
            return false;
        };
        let old = slot.placed(id);
        change(&mut slot.entry);
        let new = placement(&self.projection, id, &slot.entry);
        if new != old {
            let (kind, company) = (slot.entry.kind, slot.entry.company);
            self.parts.replace(kind, company, &old, &new);
            (slot.point, slot.base_point) = points(&new);
        }
        true
    }
}

/// A unit's tree elements if it is available: at its live fix and at its base, each when it
/// projects to a finite point. None: it is counted as unavailable.
fn placement(projection: &Projection, unit: UnitId, entry: &Entry) -> Placed {
    if !entry.available {
        return Placed::default();
    }
    let finite = |at: LatLon| {
        let p = projection.project(at);
        (p[0].is_finite() && p[1].is_finite()).then_some(p)
    };
    let company = entry.company;
    let fix = entry.fix.and_then(|f| finite(f.at).map(|p| (f, p)));
    let base = entry.base.and_then(|at| finite(at).map(|p| (at, p)));
    let live = fix.map(|(fix, p)| {
        let spot = Spot::Live {
            fix,
            based: base.is_some(),
        };
        PlanePoint::new(
            p,
            Leaf {
                unit,
                company,
                spot,
            },
        )
    });
    let base = base.map(|(at, p)| {
        let live = fix.map(|(f, _)| f.taken);
        let spot = Spot::Base { at, live };
        PlanePoint::new(
            p,
            Leaf {
                unit,
                company,
                spot,
            },
        )
    });
    Placed { live, base }
}
