//! The partitions: one R-tree of available, positioned units per kind and one per
//! (kind, company), each with a count of the matching units that are not in its tree.

use crate::domain::{CompanyId, Fix, UnitId, UnitKind};
use rstar::primitives::GeomWithData;
use rstar::{RStarInsertionStrategy, RTree, RTreeParams};
use std::collections::HashMap;

/// What a tree element carries besides its projected position: the unit, its company and the
/// fix it was projected from, so a query needs no map lookup (a likely cache miss at 100,000
/// units) per unit it looks at. A tree node is 72 bytes with this, 64 without: measured, the
/// lookups cost more than the larger nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Leaf {
    /// Which unit.
    pub(crate) unit: UnitId,
    /// Its company.
    pub(crate) company: CompanyId,
    /// Its fix when it was placed.
    pub(crate) fix: Fix,
}

/// A projected position (metres on the local plane) with its unit, company and fix. Elements
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
    /// The available units with a position.
    pub(crate) tree: Tree,
    /// The others: off duty, busy or without a position.
    pub(crate) unavailable: usize,
}

impl Partition {
    fn add(&mut self, placed: Option<PlanePoint>) {
        match placed {
            Some(p) => self.tree.insert(p),
            None => self.unavailable += 1,
        }
    }

    fn take(&mut self, placed: Option<&PlanePoint>) {
        match placed {
            Some(p) => {
                let removed = self.tree.remove(p);
                debug_assert!(removed.is_some(), "{p:?} is missing from its tree");
            }
            None => self.unavailable = self.unavailable.saturating_sub(1),
        }
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
    /// Builds the partitions at once from every unit's kind, company and tree element (`None`
    /// when the unit is unavailable), bulk-loading each tree.
    pub(crate) fn bulk_load(
        units: impl IntoIterator<Item = (UnitKind, CompanyId, Option<PlanePoint>)>,
    ) -> Self {
        let mut kinds: [(Vec<PlanePoint>, usize); 3] = Default::default();
        let mut companies: HashMap<_, (Vec<PlanePoint>, usize)> = HashMap::new();
        for (kind, company, placed) in units {
            let company = companies.entry((kind, company)).or_default();
            for (points, unavailable) in [&mut kinds[kind_slot(kind)], company] {
                match placed {
                    Some(p) => points.push(p),
                    None => *unavailable += 1,
                }
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

    /// Adds a unit to both of its partitions: `placed` into the trees, or to the unavailable
    /// counts when it is `None`.
    pub(crate) fn add(&mut self, kind: UnitKind, company: CompanyId, placed: Option<PlanePoint>) {
        self.kinds[kind_slot(kind)].add(placed);
        self.companies
            .entry((kind, company))
            .or_default()
            .add(placed);
    }

    /// Undoes [`Partitions::add`] with the same arguments; drops a company partition that
    /// becomes empty.
    pub(crate) fn take(&mut self, kind: UnitKind, company: CompanyId, placed: Option<&PlanePoint>) {
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
        old: Option<&PlanePoint>,
        new: Option<PlanePoint>,
    ) {
        let kind_part = &mut self.kinds[kind_slot(kind)];
        kind_part.take(old);
        kind_part.add(new);
        // The company partition holds this unit, so it exists; it is created if not.
        let company_part = self.companies.entry((kind, company)).or_default();
        company_part.take(old);
        company_part.add(new);
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
