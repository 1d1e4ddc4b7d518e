//! Placeholder until the Kuhn–Munkres solver lands: greedy by tier, then weight.

use crate::domain::UnitId;
use std::collections::HashSet;

/// One job waiting for a crew: one incident, or a batch of cars in one building.
#[derive(Debug, Clone, PartialEq)]
pub struct Want {
    /// 0 = special case, higher = later.
    pub tier: u8,
    /// Priority points ≥ 1.
    pub weight: u32,
    /// Units that may take it.
    pub candidates: Vec<Offer>,
}

/// A unit that may take a want, and what it costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offer {
    /// The unit.
    pub unit: UnitId,
    /// Time to arrival (travel + queue), seconds.
    pub secs: u32,
}

/// A want given a unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assignment {
    /// Index into the wants.
    pub want: usize,
    /// The unit.
    pub unit: UnitId,
    /// Its seconds to arrival.
    pub secs: u32,
    /// weight × secs.
    pub cost: i64,
}

/// Assigns units to wants.
pub fn solve(wants: &[Want], _horizon_secs: u32) -> Vec<Assignment> {
    let mut order: Vec<usize> = (0..wants.len()).collect();
    order.sort_by_key(|w| (wants[*w].tier, std::cmp::Reverse(wants[*w].weight), *w));
    let mut used = HashSet::new();
    let mut out = Vec::new();
    for w in order {
        let best = wants[w]
            .candidates
            .iter()
            .filter(|o| !used.contains(&o.unit))
            .min_by_key(|o| (o.secs, o.unit));
        if let Some(o) = best {
            used.insert(o.unit);
            out.push(Assignment {
                want: w,
                unit: o.unit,
                secs: o.secs,
                cost: i64::from(wants[w].weight) * i64::from(o.secs),
            });
        }
    }
    out.sort_by_key(|a| a.want);
    out
}

/// A one-line reason for the record.
pub fn explain(wants: &[Want], assignments: &[Assignment], want: usize) -> String {
    match assignments.iter().find(|a| a.want == want) {
        Some(a) => format!("{} at cost {} ({} s)", a.unit, a.cost, a.secs),
        None => format!("no unit among {} offered", wants[want].candidates.len()),
    }
}
