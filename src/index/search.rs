//! The query: walk one partition's tree in projected order until the projection's lower bound
//! proves nothing unseen can change the answer, then rank what was seen exactly.

use super::partition::{Leaf, Spot, Tree};
use super::projection::Projection;
use super::{Candidate, MAX_PASSED_OVER, PassReason, PassedOver, Query, Ranking};
use crate::domain::{CompanyId, UnitId};
use chrono::{DateTime, Timelike, Utc};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt::Write;

/// A unit seen during the walk.
pub(super) struct Looked {
    distance_m: f64,
    unit: UnitId,
    company: CompanyId,
    /// When its live fix was taken, if it has one.
    taken: Option<DateTime<Utc>>,
    /// Looked at at its base (no fresh fix).
    from_base: bool,
    verdict: Verdict,
}

/// What the filters say about a unit seen, checked in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    BeyondRadius,
    Stale,
    Excluded,
    Eligible,
}

/// Walks `tree` nearest first (projected) and returns every unit that could rank before the
/// `q.k`-th chosen one, plus the nearest one beyond the radius when fewer than `q.k` are inside.
/// `q.k` must be at least 1.
pub(super) fn walk(tree: &Tree, projection: &Projection, q: &Query<'_>) -> Vec<Looked> {
    let at = projection.project(q.at);
    let norm = at[0].hypot(at[1]);
    let mut kth = KthBest::new(q.k);
    let mut nearest_beyond = f64::INFINITY;
    let mut looked = Vec::with_capacity(q.k.saturating_add(8).min(64));
    for (point, d2) in tree.nearest_neighbor_iter_with_distance_2(at) {
        // With k eligible units in hand, nothing farther than the k-th can matter; with fewer,
        // the walk must go on until it has the nearest unit beyond the radius (or everything).
        let enough = match (kth.value(), q.max_distance_m) {
            (Some(kth), _) => kth,
            (None, Some(_)) => nearest_beyond,
            (None, None) => f64::INFINITY,
        };
        if Projection::lower_bound_m(norm, d2.sqrt()) > enough {
            break;
        }
        let Leaf {
            unit,
            company,
            spot,
        } = point.data;
        // A unit with a base has two elements; exactly one of them speaks for it.
        let (at, taken, from_base) = match spot {
            Spot::Live { fix, based } if !(based && stale(q, fix.taken)) => {
                (fix.at, Some(fix.taken), false)
            }
            Spot::Base { at, live } if live.is_none_or(|t| stale(q, t)) => (at, live, true),
            Spot::Live { .. } | Spot::Base { .. } => continue,
        };
        let distance_m = q.at.distance_m(at);
        let verdict = judge(q, unit, distance_m, taken.filter(|_| !from_base));
        match verdict {
            Verdict::Eligible => kth.offer(distance_m),
            Verdict::BeyondRadius => nearest_beyond = nearest_beyond.min(distance_m),
            Verdict::Stale | Verdict::Excluded => {}
        }
        looked.push(Looked {
            distance_m,
            unit,
            company,
            taken,
            from_base,
            verdict,
        });
    }
    looked
}

/// Whether a fix taken at `taken` is too old for the query.
fn stale(q: &Query<'_>, taken: DateTime<Utc>) -> bool {
    q.fresh_since.is_some_and(|t| taken < t)
}

/// The filters in order; `live` is the fix time of a unit judged at its live fix (`None` at
/// its base, which is never stale).
fn judge(q: &Query<'_>, unit: UnitId, distance_m: f64, live: Option<DateTime<Utc>>) -> Verdict {
    if q.max_distance_m.is_some_and(|m| distance_m > m) {
        Verdict::BeyondRadius
    } else if live.is_some_and(|t| stale(q, t)) {
        Verdict::Stale
    } else if (q.exclude)(unit) {
        Verdict::Excluded
    } else {
        Verdict::Eligible
    }
}

/// Sorts what the walk saw by (distance, unit id) and picks the first `q.k` eligible units,
/// reporting those passed over before them (and the first beyond the radius, which ends it).
pub(super) fn rank(mut looked: Vec<Looked>, q: &Query<'_>, unavailable: usize) -> Ranking {
    looked.sort_unstable_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.unit.cmp(&b.unit))
    });
    let mut r = Ranking {
        chosen: Vec::with_capacity(q.k.min(looked.len())),
        unavailable,
        ..Ranking::default()
    };
    let mut passed = 0;
    for l in looked {
        if r.chosen.len() >= q.k {
            break;
        }
        let why = match l.verdict {
            Verdict::Eligible => {
                r.chosen.push(candidate(q, &l, r.chosen.len() + 1, passed));
                continue;
            }
            Verdict::BeyondRadius => PassReason::BeyondRadius,
            // Only a unit judged at its live fix is stale, and a live fix has a time.
            Verdict::Stale => PassReason::StalePosition {
                fix_taken: l.taken.unwrap_or(DateTime::<Utc>::MIN_UTC),
            },
            Verdict::Excluded => PassReason::Excluded,
        };
        passed += 1;
        if r.passed_over.len() < MAX_PASSED_OVER {
            r.passed_over.push(PassedOver {
                unit: l.unit,
                distance_m: l.distance_m,
                from_base: l.from_base,
                why,
            });
        }
        if l.verdict == Verdict::BeyondRadius {
            break;
        }
    }
    r.unlisted = passed - r.passed_over.len();
    r
}

fn candidate(q: &Query<'_>, l: &Looked, rank: usize, passed: usize) -> Candidate {
    let travel = q.travel.eta_secs(q.kind, l.distance_m);
    let eta_secs = match l.from_base {
        true => travel.saturating_add(q.travel.base_turnout_secs),
        false => travel,
    };
    Candidate {
        unit: l.unit,
        distance_m: l.distance_m,
        eta_secs,
        fix_taken: l.taken,
        from_base: l.from_base,
        why: why(q, l, rank, eta_secs, passed),
    }
}

/// "2nd nearest available maintainer of company 17: 1.24 km, ETA 4 min, fix taken 08:15:02Z;
/// 1 nearer passed over", or from a base: "nearest available fire_rescue (company 9001):
/// 1.24 km from its base, no fresh position (last fix 08:15:02Z), ETA 5 min". One
/// allocation; writing to a `String` cannot fail, so the `fmt::Result`s are ignored.
fn why(q: &Query<'_>, l: &Looked, rank: usize, eta_secs: u32, passed: usize) -> String {
    let mut s = String::with_capacity(112);
    if rank > 1 {
        let _ = write!(s, "{rank}{} ", ordinal_suffix(rank));
    }
    let _ = write!(s, "nearest available {}", q.kind.as_str());
    let _ = match q.company {
        Some(_) => write!(s, " of company {}: ", l.company.0),
        None => write!(s, " (company {}): ", l.company.0),
    };
    // Integers format several times faster than floats; `as` saturates.
    let metres = l.distance_m.round() as u64;
    let _ = if metres < 1000 {
        write!(s, "{metres} m")
    } else {
        let dam = (l.distance_m / 10.0).round() as u64;
        write!(s, "{}.{:02} km", dam / 100, dam % 100)
    };
    if l.from_base {
        s.push_str(" from its base, no fresh position (");
        match l.taken {
            Some(t) => {
                s.push_str("last fix");
                clock(&mut s, t);
            }
            None => s.push_str("none reported"),
        }
        s.push(')');
    }
    let _ = if eta_secs < 60 {
        write!(s, ", ETA {eta_secs} s")
    } else {
        write!(s, ", ETA {} min", (eta_secs + 30) / 60)
    };
    if let (false, Some(t)) = (l.from_base, l.taken) {
        s.push_str(", fix taken");
        clock(&mut s, t);
    }
    if passed > 0 {
        let _ = write!(s, "; {passed} nearer passed over");
    }
    s
}

/// Appends " 08:15:02Z" (integers format several times faster than a time).
fn clock(s: &mut String, t: DateTime<Utc>) {
    let t = t.time();
    for (i, n) in [t.hour(), t.minute(), t.second()].into_iter().enumerate() {
        s.push(if i == 0 { ' ' } else { ':' });
        s.push(char::from(b'0' + (n / 10) as u8));
        s.push(char::from(b'0' + (n % 10) as u8));
    }
    s.push('Z');
}

fn ordinal_suffix(n: usize) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// The `k` smallest eligible distances seen so far, largest on top.
struct KthBest {
    k: usize,
    heap: BinaryHeap<Metres>,
}

impl KthBest {
    fn new(k: usize) -> Self {
        Self {
            k,
            heap: BinaryHeap::with_capacity(k.min(64)),
        }
    }

    fn offer(&mut self, d: f64) {
        if self.heap.len() < self.k {
            self.heap.push(Metres(d));
        } else if self.heap.peek().is_some_and(|top| d < top.0) {
            self.heap.pop();
            self.heap.push(Metres(d));
        }
    }

    /// The `k`-th smallest distance, once `k` have been offered.
    fn value(&self) -> Option<f64> {
        self.heap
            .peek()
            .filter(|_| self.heap.len() >= self.k)
            .map(|m| m.0)
    }
}

/// A distance ordered with `total_cmp`.
struct Metres(f64);

impl PartialEq for Metres {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Metres {}

impl PartialOrd for Metres {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Metres {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
