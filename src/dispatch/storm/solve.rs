//! The storm solve: which free unit takes which waiting job, all at once.
//!
//! [`solve`] is pure and deterministic: the same wants and horizon give the same assignments,
//! whatever the order of each want's candidates (they are read sorted by unit id, rows and
//! columns by want index and unit id, so ties are broken by those).
//!
//! # The objective
//!
//! Each unit takes at most one want and each want at most one of its offered units. Tiers are
//! strict and compared lexicographically, tier 0 first: for each tier in turn,
//! 1. serve as many of its wants as possible, then
//! 2. minimise its priority-weighted waiting: Σ weight × secs over its served wants, plus
//!    weight × horizon for each of its wants left waiting (it waits at least until the next
//!    solve, the horizon). Counting the unserved is what makes a heavy want win a unit over a
//!    light one when only one can be served; Σ weight × secs over served pairs alone would
//!    prefer to serve the light one, as it costs less.
//!
//! So a special case never waits behind an ordinary one for a unit it could have had, and
//! among the tier-0 solutions that are equally good the one that serves the later tiers best
//! is chosen. Minimising item 2 is maximising Σ weight × (horizon − secs) over served wants.
//! An offer at or beyond the horizon has a value ≤ 0 there: it is still taken when it serves
//! one more want (item 1), and otherwise ranked last.
//!
//! # As one Kuhn–Munkres assignment
//!
//! `pathfinding::kuhn_munkres` maximises over a dense matrix and assigns every row. An offer
//! of want `i` (tier `t`) with value `v = weight × (horizon − secs)` gets the entry
//! `P_t × (B_t + v)`, every other cell 0. With `R_t` the sum over tier `t`'s wants of their
//! largest `|v|`, `B_t = 2 R_t + 1` makes one more served want worth more than any change of
//! Σ v (item 1 before item 2), and every offer's entry positive, so a non-offer (0) never
//! displaces an offer: any matching of offers extends to a full matrix assignment with zeros.
//! A tier's part `f_t = served × B_t + Σ v` lies in `[0, F_t]` with `F_t = n_t B_t + R_t`;
//! `P_t` is the product of `F + 1` over the later tiers, so the tiers add up as digits of a
//! mixed-radix number: lexicographic. The pairs on zero cells are dropped after solving.
//!
//! The entries are exact integers: `i64` when they fit with room for the algorithm's labels,
//! else `i128`. When even `i128` is too small (several tiers of huge weights), the tiers are
//! solved one after the other over the units left, which keeps items 1 and 2 per tier but may
//! lose a tie that a later tier needed.
//!
//! # Components
//!
//! Wants that share no unit, directly or through other wants, do not interact: the offer graph
//! is split into its connected components and each is solved on its own. That is exact, and
//! faster when a storm spans separate areas or companies (Kuhn–Munkres is cubic); a single
//! city-wide blackout is mostly one component, and the split then costs nothing measurable
//! (`cargo bench --bench storm`: 1,000 wants × 400 units in ~13 ms either way). Only the units
//! offered to a component make its columns (or rows, when they are fewer than the wants).

use crate::domain::UnitId;
use pathfinding::num_traits::{Bounded, Signed, Zero};
use pathfinding::prelude::{Matrix, kuhn_munkres};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::iter::Sum;

/// One job waiting for a crew: one incident, or a batch of cars in one building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Want {
    /// 0 = special case; higher = later. Every want of a tier is served before any of the next.
    pub tier: u8,
    /// Priority points (≥ 1): the weight of each second it waits.
    pub weight: u32,
    /// The units that may take it (a unit listed twice counts at its shortest time).
    pub candidates: Vec<Offer>,
}

/// A unit that may take a want, and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The unit.
    pub unit: UnitId,
    /// Seconds until it arrives (travel plus the work queued before it).
    pub secs: u32,
}

/// A unit given to a want.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// Index into the wants.
    pub want: usize,
    /// The unit.
    pub unit: UnitId,
    /// Its seconds to arrival, as offered.
    pub secs: u32,
    /// weight × secs (saturating at `i64::MAX`).
    pub cost: i64,
}

/// Assigns units to wants: strict tiers, then as many served as possible, then the least
/// priority-weighted waiting (see the module docs). Sorted by want index.
pub fn solve(wants: &[Want], horizon_secs: u32) -> Vec<Assignment> {
    let offers: Vec<Vec<Offer>> = wants
        .iter()
        .map(|w| nearest_per_unit(&w.candidates))
        .collect();
    let problem = Problem {
        wants,
        offers: &offers,
        horizon: i128::from(horizon_secs),
    };
    let mut chosen: Vec<Option<Offer>> = vec![None; wants.len()];
    let all: Vec<usize> = (0..wants.len()).collect();
    for comp in components(&problem, &all, &chosen) {
        if !problem.assign(&comp, &mut chosen) {
            problem.tier_by_tier(&comp, &mut chosen);
        }
    }
    chosen
        .iter()
        .enumerate()
        .filter_map(|(want, o)| {
            o.map(|o| Assignment {
                want,
                unit: o.unit,
                secs: o.secs,
                cost: cost(wants[want].weight, o.secs),
            })
        })
        .collect()
}

/// weight × secs, saturating.
fn cost(weight: u32, secs: u32) -> i64 {
    i64::try_from(u64::from(weight) * u64::from(secs)).unwrap_or(i64::MAX)
}

/// The candidates sorted by unit id, each unit once at its shortest time.
fn nearest_per_unit(candidates: &[Offer]) -> Vec<Offer> {
    let mut v = candidates.to_vec();
    v.sort_by_key(|o| (o.unit, o.secs));
    v.dedup_by_key(|o| o.unit);
    v
}

/// Wants that share units, directly or through other wants, with the units they share.
#[derive(Debug)]
struct Component {
    /// Want indices, ascending.
    wants: Vec<usize>,
    /// Free units offered to them, ascending.
    units: Vec<UnitId>,
}

struct Problem<'a> {
    wants: &'a [Want],
    offers: &'a [Vec<Offer>],
    horizon: i128,
}

/// The connected components of the offer graph over `wants` and the units not yet chosen.
fn components(p: &Problem<'_>, wants: &[usize], chosen: &[Option<Offer>]) -> Vec<Component> {
    let mut taken: Vec<UnitId> = chosen.iter().flatten().map(|o| o.unit).collect();
    taken.sort_unstable();
    let free = |o: &&Offer| taken.binary_search(&o.unit).is_err();
    let mut units: Vec<UnitId> = wants
        .iter()
        .flat_map(|&i| p.offers[i].iter().filter(free).map(|o| o.unit))
        .collect();
    units.sort_unstable();
    units.dedup();
    // Union-find over the wants (0..n) and the units (n..).
    let n = wants.len();
    let mut parent: Vec<usize> = (0..n + units.len()).collect();
    for (k, &i) in wants.iter().enumerate() {
        for o in p.offers[i].iter().filter(free) {
            if let Ok(u) = units.binary_search(&o.unit) {
                union(&mut parent, k, n + u);
            }
        }
    }
    let mut by_root: BTreeMap<usize, Component> = BTreeMap::new();
    for (k, &i) in wants.iter().enumerate() {
        if p.offers[i].iter().any(|o| free(&o)) {
            let root = find(&mut parent, k);
            let c = by_root.entry(root).or_insert_with(|| Component {
                wants: Vec::new(),
                units: Vec::new(),
            });
            c.wants.push(i);
        }
    }
    for (u, &unit) in units.iter().enumerate() {
        let root = find(&mut parent, n + u);
        if let Some(c) = by_root.get_mut(&root) {
            c.units.push(unit);
        }
    }
    by_root.into_values().collect()
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    // The smaller root wins, so the result does not depend on the order of unions.
    parent[ra.max(rb)] = ra.min(rb);
}

/// Per tier of a component: the `P_t` and `B_t` of the module docs.
struct Scale {
    /// tier → (P, B).
    tiers: HashMap<u8, (i128, i128)>,
    /// A bound on the total of any assignment: P × (F + 1) of the first tier.
    top: i128,
}

impl Problem<'_> {
    /// weight × (horizon − secs).
    fn value(&self, want: usize, secs: u32) -> i128 {
        i128::from(self.wants[want].weight) * (self.horizon - i128::from(secs))
    }

    /// The free offers of a want: (column or row index in `units`, offer).
    fn free_offers<'b>(
        &'b self,
        want: usize,
        units: &'b [UnitId],
    ) -> impl Iterator<Item = (usize, Offer)> + 'b {
        self.offers[want]
            .iter()
            .filter_map(move |o| units.binary_search(&o.unit).ok().map(|u| (u, *o)))
    }

    /// The scale that makes one assignment lexicographic over the tiers of `wants`; `None`
    /// when it overflows `i128`.
    fn scale(&self, comp: &Component) -> Option<Scale> {
        // tier → (n, R)
        let mut sums: BTreeMap<u8, (i128, i128)> = BTreeMap::new();
        for &i in &comp.wants {
            let largest = self
                .free_offers(i, &comp.units)
                .map(|(_, o)| self.value(i, o.secs).abs())
                .max()
                .unwrap_or(0);
            let (n, r) = sums.entry(self.wants[i].tier).or_insert((0, 0));
            *n += 1;
            *r = r.checked_add(largest)?;
        }
        let mut tiers = HashMap::new();
        let mut p: i128 = 1;
        for (&tier, &(n, r)) in sums.iter().rev() {
            let b = r.checked_mul(2)?.checked_add(1)?;
            let f = n.checked_mul(b)?.checked_add(r)?;
            tiers.insert(tier, (p, b));
            p = p.checked_mul(f.checked_add(1)?)?;
        }
        Some(Scale { tiers, top: p })
    }

    /// Solves one component exactly into `chosen`; false (nothing done) when its scale does
    /// not fit in `i128`.
    fn assign(&self, comp: &Component, chosen: &mut [Option<Offer>]) -> bool {
        let Some(scale) = self.scale(comp) else {
            return false;
        };
        let side = comp.wants.len() + comp.units.len() + 1;
        // Every label stays in [0, largest entry] (a column never matched keeps label 0 and
        // bounds the row labels from below; a matched column's label is its tight edge's
        // entry less its row's label), so sums over rows and columns fit: 4 × for headroom.
        let Some(bound) = i128::try_from(side)
            .ok()
            .and_then(|s| scale.top.checked_mul(s)?.checked_mul(4))
        else {
            return false;
        };
        let pairs = if bound <= i128::from(i64::MAX) {
            self.kuhn_munkres::<i64>(comp, &scale)
        } else {
            self.kuhn_munkres::<i128>(comp, &scale)
        };
        for (want, offer) in pairs {
            chosen[want] = Some(offer);
        }
        true
    }

    /// The fallback when a component's tiers do not fit one matrix: each tier alone, in
    /// order, over the units the earlier ones left. One tier fits `i128` for any weights and
    /// times whenever wants² × (wants + units) < 2^58 in the component (e.g. 100,000 wants
    /// and a million units), far beyond any matrix that memory could hold.
    fn tier_by_tier(&self, comp: &Component, chosen: &mut [Option<Offer>]) {
        let mut tiers: Vec<u8> = comp.wants.iter().map(|&i| self.wants[i].tier).collect();
        tiers.sort_unstable();
        tiers.dedup();
        for tier in tiers {
            let wants: Vec<usize> = comp
                .wants
                .iter()
                .copied()
                .filter(|&i| self.wants[i].tier == tier)
                .collect();
            for sub in components(self, &wants, chosen) {
                self.assign(&sub, chosen);
            }
        }
    }

    /// Kuhn–Munkres over the component's dense matrix (the smaller side as rows); the
    /// offered pairs it chose.
    fn kuhn_munkres<C>(&self, comp: &Component, scale: &Scale) -> Vec<(usize, Offer)>
    where
        C: Bounded + Sum<C> + Signed + Zero + Ord + Copy + TryFrom<i128>,
    {
        let (nw, nu) = (comp.wants.len(), comp.units.len());
        let wants_are_rows = nw <= nu;
        let (rows, cols) = if wants_are_rows { (nw, nu) } else { (nu, nw) };
        let mut m = Matrix::new(rows, cols, C::zero());
        let mut offer_at: HashMap<(usize, usize), Offer> = HashMap::new();
        for (w, &i) in comp.wants.iter().enumerate() {
            let (p, b) = scale.tiers[&self.wants[i].tier];
            for (u, o) in self.free_offers(i, &comp.units) {
                // Within `top` by construction, and `top` fits `C` (checked by the caller).
                let Ok(entry) = C::try_from(p * (b + self.value(i, o.secs))) else {
                    continue;
                };
                let cell = if wants_are_rows { (w, u) } else { (u, w) };
                m[cell] = entry;
                offer_at.insert(cell, o);
            }
        }
        let (_, assigned) = kuhn_munkres(&m);
        assigned
            .into_iter()
            .enumerate()
            .filter_map(|(r, c)| {
                let offer = offer_at.get(&(r, c))?;
                let w = if wants_are_rows { r } else { c };
                Some((comp.wants[w], *offer))
            })
            .collect()
    }
}

/// A one-line reason for the record: the unit a want got and its cost, and up to 3 other
/// candidates with their costs and why they were not taken.
pub fn explain(wants: &[Want], assignments: &[Assignment], want: usize) -> String {
    let Some(w) = wants.get(want) else {
        return format!("want #{want} does not exist");
    };
    let holder: HashMap<UnitId, usize> = assignments.iter().map(|a| (a.unit, a.want)).collect();
    let mine = assignments.iter().find(|a| a.want == want);
    let mut others = nearest_per_unit(&w.candidates);
    others.retain(|o| mine.is_none_or(|a| a.unit != o.unit));
    others.sort_by_key(|o| (o.secs, o.unit));
    let mut line = match mine {
        Some(a) => format!(
            "{} in {} s, cost {} (weight {} × {} s)",
            a.unit, a.secs, a.cost, w.weight, a.secs
        ),
        None if w.candidates.is_empty() => return "no unit: none was offered".to_string(),
        None => "no unit".to_string(),
    };
    let shown = others.len().min(3);
    for o in others.iter().take(shown) {
        let _ = write!(
            line,
            "; not {} ({} s, cost {}): ",
            o.unit,
            o.secs,
            cost(w.weight, o.secs)
        );
        let farther = mine.is_some_and(|a| o.secs > a.secs);
        let taken = holder
            .get(&o.unit)
            .and_then(|&j| Some((j, wants.get(j)?.tier)));
        let why = match (farther, taken) {
            (true, Some((j, t))) => format!("farther, and taken by want #{j} of tier {t}"),
            (true, None) => "farther".to_string(),
            (false, Some((j, t))) => format!("taken by want #{j} of tier {t}"),
            (false, None) if mine.is_some_and(|a| a.secs == o.secs) => {
                "as near, left free".to_string()
            }
            (false, None) => "left free".to_string(),
        };
        line.push_str(&why);
    }
    if others.len() > shown {
        let _ = write!(line, "; {} more offered", others.len() - shown);
    }
    line
}

#[cfg(test)]
#[path = "solve_tests.rs"]
mod tests;
