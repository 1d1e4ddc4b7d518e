//! The partitions: one R-tree of available, positioned units per kind and one per
//! (kind, company), each with a count of the matching units that are not in its tree.

use crate::domain::{CompanyId, Fix, LatLon, UnitId, UnitKind};
use chrono::{DateTime, Utc};
use rstar::primitives::GeomWithData;
use rstar::{RStarInsertionStrategy, RTree, RTreeParams};
use std::collections::HashMap;

/// What a tree element carries besides its projected position: the unit, its company and the
/// position it was projected from, so a query needs no map lookup (a likely cache miss at
/// 100,000 units) per unit it looks at. Measured, the lookups cost more than larger nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Leaf {
    /// Which unit.
    pub(crate) unit: UnitId,
    /// Its company.
    pub(crate) company: CompanyId,
    /// Which of its positions this element stands for.
    pub(crate) spot: Spot,
}

/// The two places a unit can be in the trees. A unit with a base has an element at its live
/// fix and one at its base; a query judges it at exactly one of them (the fix when it is fresh
/// enough, else the base) and skips the other, so every unit still has one position per query
/// and the walk's bound stays exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Spot {
    /// Its live fix; `based`: it also has a base element to fall back on when the fix is stale.
    Live { fix: Fix, based: bool },
    /// Its base; `live`: when its live fix was taken, if it has one (a fresh one stands in for
    /// the base).
    Base {
        at: LatLon,
        live: Option<DateTime<Utc>>,
    },
}

/// A unit's elements: at its live fix and at its base, each if it is available and has that
/// position. Neither: it is counted as unavailable.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Placed {
    pub(crate) live: Option<PlanePoint>,
    pub(crate) base: Option<PlanePoint>,
}

impl Placed {
    fn is_empty(&self) -> bool {
        self.live.is_none() && self.base.is_none()
    }

    fn elements(&self) -> impl Iterator<Item = PlanePoint> {
        self.live.into_iter().chain(self.base)
    }
}

/// A projected position (metres on the local plane) with its unit, company and spot. Elements
/// are removed by equality, so the index must be able to rebuild each one exactly.
pub(crate) type PlanePoint = GeomWithData<[f64; 2], Leaf>;

/// The trees' node sizes. At 100,000 units a move is bound by cache misses along the
/// removal path, so nodes of 5 to 12 children (one or two levels fewer than rstar's default
/// 3 to 6) make `set_position` ~25 % faster; queries are as fast, and larger nodes made them
/// slower (`benches/index.rs`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeSize;

impl RTreeParams for NodeSize {
    const MIN_SIZE: usize = 5;
    const MAX_SIZE: usize = 12;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// A partition's tree.
pub(crate) type Tree = RTree<PlanePoint, NodeSize>;

/// The units of one kind, or of one company and kind.
#[derive(Debug, Clone, Default)]
pub(crate) struct Partition {
    /// The available units' elements (at their live fix and at their base).
    pub(crate) tree: Tree,
    /// The others: off duty, busy or without a position or base.
    pub(crate) unavailable: usize,
}

impl Partition {
    fn add(&mut self, placed: &Placed) {
        if placed.is_empty() {
            self.unavailable += 1;
        }
        for p in placed.elements() {
            self.tree.insert(p);
        }
    }

    fn take(&mut self, placed: &Placed) {
        if placed.is_empty() {
            self.unavailable = self.unavailable.saturating_sub(1);
        }
        for p in placed.elements() {
            self.remove(&p);
        }
    }

    /// `take(old)` then `add(new)`, touching only the elements that changed (a move of a unit
    /// without a base is one removal and one insertion, as before bases).
    fn replace(&mut self, old: &Placed, new: &Placed) {
        match (old.is_empty(), new.is_empty()) {
            (true, false) => self.unavailable = self.unavailable.saturating_sub(1),
            (false, true) => self.unavailable += 1,
            _ => {}
        }
        for (o, n) in [(old.live, new.live), (old.base, new.base)] {
            if o == n {
                continue;
            }
            if let Some(o) = o {
                self.remove(&o);
            }
            if let Some(n) = n {
                self.tree.insert(n);
            }
        }
    }

    fn remove(&mut self, p: &PlanePoint) {
        let removed = self.tree.remove(p);
        debug_assert!(removed.is_some(), "{p:?} is missing from its tree");
    }

    fn is_empty(&self) -> bool {
        self.tree.size() == 0 && self.unavailable == 0
    }
}

/// All partitions. A unit lives in exactly two: its kind's and its (kind, company)'s.
#[derive(Debug, Clone, Default)]
pub(crate) struct Partitions {
    /// By kind, in [`kind_slot`] order; an array, so the hot paths hash only once.
    kinds: [Partition; 3],
    companies: HashMap<(UnitKind, CompanyId), Partition>,
}

impl Partitions {
    /// Builds the partitions at once from every unit's kind, company and tree elements (none
    /// when the unit is unavailable), bulk-loading each tree.
    pub(crate) fn bulk_load(
        units: impl IntoIterator<Item = (UnitKind, CompanyId, Placed)>,
    ) -> Self {
        let mut kinds: [(Vec<PlanePoint>, usize); 3] = Default::default();
        let mut companies: HashMap<_, (Vec<PlanePoint>, usize)> = HashMap::new();
        for (kind, company, placed) in units {
            let company = companies.entry((kind, company)).or_default();
            for (points, unavailable) in [&mut kinds[kind_slot(kind)], company] {
                if placed.is_empty() {
                    *unavailable += 1;
                }
                points.extend(placed.elements());
            }
        }
        let load = |(points, unavailable)| Partition {
            tree: Tree::bulk_load_with_params(points),
            unavailable,
        };
        Self {
            kinds: kinds.map(load),
            companies: companies.into_iter().map(|(k, v)| (k, load(v))).collect(),
        }
    }

    /// The partition for a query: all units of `kind`, or only `company`'s.
    pub(crate) fn get(&self, kind: UnitKind, company: Option<CompanyId>) -> Option<&Partition> {
        match company {
            None => Some(&self.kinds[kind_slot(kind)]),
            Some(c) => self.companies.get(&(kind, c)),
        }
    }

    /// Adds a unit to both of its partitions: its elements into the trees, or to the
    /// unavailable counts when it has none.
    pub(crate) fn add(&mut self, kind: UnitKind, company: CompanyId, placed: &Placed) {
        self.kinds[kind_slot(kind)].add(placed);
        self.companies
            .entry((kind, company))
            .or_default()
            .add(placed);
    }

    /// Undoes [`Partitions::add`] with the same arguments; drops a company partition that
    /// becomes empty.
    pub(crate) fn take(&mut self, kind: UnitKind, company: CompanyId, placed: &Placed) {
        self.kinds[kind_slot(kind)].take(placed);
        let key = (kind, company);
        let Some(part) = self.companies.get_mut(&key) else {
            debug_assert!(false, "a unit is missing from partition {key:?}");
            return;
        };
        part.take(placed);
        if part.is_empty() {
            self.companies.remove(&key);
        }
    }

    /// `take` then `add`, for a unit that stays in the same partitions.
    pub(crate) fn replace(
        &mut self,
        kind: UnitKind,
        company: CompanyId,
        old: &Placed,
        new: &Placed,
    ) {
        self.kinds[kind_slot(kind)].replace(old, new);
        // The company partition holds this unit, so it exists; it is created if not.
        let company_part = self.companies.entry((kind, company)).or_default();
        company_part.replace(old, new);
    }
}

/// A kind's place in [`Partitions::kinds`]. A new kind fails to compile here, not at run time.
fn kind_slot(kind: UnitKind) -> usize {
    match kind {
        UnitKind::Maintainer => 0,
        UnitKind::PropertyStaff => 1,
        UnitKind::FireRescue => 2,
    }
}
