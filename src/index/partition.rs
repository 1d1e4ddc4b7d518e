//! The partitions: one R-tree of available, positioned units per kind and one per
//! (kind, company), each with a count of the matching units that are not in its tree.

use crate::domain::{CompanyId, UnitId, UnitKind};
use rstar::primitives::GeomWithData;
use rstar::{RStarInsertionStrategy, RTree, RTreeParams};
use std::collections::HashMap;

/// A projected position (metres on the local plane) tagged with its unit.
pub(crate) type PlanePoint = GeomWithData<[f64; 2], UnitId>;

/// Node sizes for the trees. Smaller nodes than rstar's default would make queries a little
/// faster and live updates slower; these were measured with `benches/index.rs`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params;

impl RTreeParams for Params {
    const MIN_SIZE: usize = 3;
    const MAX_SIZE: usize = 6;
    const REINSERTION_COUNT: usize = 2;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// Which units a partition holds: all of a kind (`None`) or one company's units of a kind.
pub(crate) type Key = (UnitKind, Option<CompanyId>);

/// The units of one key.
#[derive(Debug, Clone, Default)]
pub(crate) struct Partition {
    /// The available units with a position.
    pub(crate) tree: RTree<PlanePoint, Params>,
    /// The others: off duty, busy or without a position.
    pub(crate) unavailable: usize,
}

impl Partition {
    fn is_empty(&self) -> bool {
        self.tree.size() == 0 && self.unavailable == 0
    }
}

/// All partitions. A unit lives in exactly two: its kind's and its (kind, company)'s.
#[derive(Debug, Clone, Default)]
pub(crate) struct Partitions {
    parts: HashMap<Key, Partition>,
}

impl Partitions {
    /// Builds the partitions at once from every unit's keys and projected point (`None` when
    /// the unit is unavailable), bulk-loading each tree.
    pub(crate) fn bulk_load(
        units: impl IntoIterator<Item = (UnitId, UnitKind, CompanyId, Option<[f64; 2]>)>,
    ) -> Self {
        let mut points: HashMap<Key, (Vec<PlanePoint>, usize)> = HashMap::new();
        for (id, kind, company, point) in units {
            for key in keys(kind, company) {
                let (tree, unavailable) = points.entry(key).or_default();
                match point {
                    Some(p) => tree.push(PlanePoint::new(p, id)),
                    None => *unavailable += 1,
                }
            }
        }
        let parts = points
            .into_iter()
            .map(|(key, (points, unavailable))| {
                let tree = RTree::bulk_load_with_params(points);
                (key, Partition { tree, unavailable })
            })
            .collect();
        Self { parts }
    }

    /// The partition for a query's kind and optional company.
    pub(crate) fn get(&self, key: Key) -> Option<&Partition> {
        self.parts.get(&key)
    }

    /// Adds a unit to both of its partitions: into the trees at `point`, or to the
    /// unavailable counts when `point` is `None`.
    pub(crate) fn add(
        &mut self,
        id: UnitId,
        kind: UnitKind,
        company: CompanyId,
        point: Option<[f64; 2]>,
    ) {
        for key in keys(kind, company) {
            let part = self.parts.entry(key).or_default();
            match point {
                Some(p) => part.tree.insert(PlanePoint::new(p, id)),
                None => part.unavailable += 1,
            }
        }
    }

    /// Undoes [`Partitions::add`] with the same arguments; drops a company partition that
    /// becomes empty.
    pub(crate) fn take(
        &mut self,
        id: UnitId,
        kind: UnitKind,
        company: CompanyId,
        point: Option<[f64; 2]>,
    ) {
        for key in keys(kind, company) {
            let Some(part) = self.parts.get_mut(&key) else {
                debug_assert!(false, "unit {id} missing from partition {key:?}");
                continue;
            };
            match point {
                Some(p) => {
                    let removed = part.tree.remove(&PlanePoint::new(p, id));
                    debug_assert!(removed.is_some(), "unit {id} missing from its tree");
                }
                None => part.unavailable = part.unavailable.saturating_sub(1),
            }
            if key.1.is_some() && part.is_empty() {
                self.parts.remove(&key);
            }
        }
    }
}

/// The two partitions a unit belongs to.
fn keys(kind: UnitKind, company: CompanyId) -> [Key; 2] {
    [(kind, None), (kind, Some(company))]
}
