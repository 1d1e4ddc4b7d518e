//! Tests of the index: each filter, live updates, and a property test against a brute-force
//! haversine scan. Shared helpers and the brute-force reference live here.

mod bases;
mod filters;
mod property;
mod updates;

use super::*;
use crate::domain::UnitKind::{FireRescue, Maintainer, PropertyStaff};
use chrono::TimeZone;
use std::collections::BTreeMap;

/// Yuzhong District's centre, the origin used throughout.
const YUZHONG: LatLon = LatLon {
    lat: 29.556,
    lon: 106.568,
};

/// Metres per degree of latitude on the haversine sphere.
const M_PER_DEG: f64 = 111_194.93;

/// A point `north_m` metres north and `east_m` metres east of Yuzhong's centre (approximately;
/// tests measure with `distance_m`).
fn at(north_m: f64, east_m: f64) -> LatLon {
    LatLon {
        lat: YUZHONG.lat + north_m / M_PER_DEG,
        lon: YUZHONG.lon + east_m / (M_PER_DEG * YUZHONG.lat.to_radians().cos()),
    }
}

/// A fixed instant plus `secs` seconds.
fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_767_225_600 + secs, 0).unwrap()
}

fn fix(at: LatLon, secs: i64) -> Fix {
    Fix { at, taken: t(secs) }
}

/// An available unit of `kind` and `company` at `place`, fix taken at `t(0)`.
fn unit(kind: UnitKind, company: i64, place: LatLon) -> Entry {
    Entry {
        kind,
        company: CompanyId(company),
        available: true,
        fix: Some(fix(place, 0)),
        base: None,
    }
}

fn travel() -> TravelModel {
    TravelModel {
        detour_factor: 1.4,
        speed_kmh: [(Maintainer, 25.0), (PropertyStaff, 5.0), (FireRescue, 35.0)].into(),
        base_turnout_secs: 60,
    }
}

fn nobody(_: UnitId) -> bool {
    false
}

/// The 5 nearest maintainers of any company to the centre, no other filter.
fn query<'a>(travel: &'a TravelModel, exclude: &'a dyn Fn(UnitId) -> bool) -> Query<'a> {
    Query {
        at: YUZHONG,
        kind: Maintainer,
        company: None,
        k: 5,
        max_distance_m: None,
        fresh_since: None,
        exclude,
        travel,
    }
}

fn ids(r: &Ranking) -> Vec<i64> {
    r.chosen.iter().map(|c| c.unit.0).collect()
}

fn passed(r: &Ranking) -> Vec<(i64, PassReason)> {
    r.passed_over
        .iter()
        .map(|p| (p.unit.0, p.why.clone()))
        .collect()
}

/// An index holding `units`, with ids 1, 2, 3, … in order.
fn index_of(units: Vec<Entry>) -> UnitIndex {
    let mut index = UnitIndex::new(YUZHONG);
    for (i, e) in units.into_iter().enumerate() {
        index.upsert(UnitId(i as i64 + 1), e);
    }
    index
}

/// The reference: place every matching unit at its fresh fix, else at its base, else at its
/// stale fix; sort by (haversine distance, id) and apply the filters in order, as the first
/// brute-force version of the index did; `passed_over` capped.
fn brute_force(units: &BTreeMap<UnitId, Entry>, q: &Query<'_>) -> Ranking {
    let mut r = Ranking::default();
    let mut all = Vec::new();
    for (id, e) in units {
        if e.kind != q.kind || q.company.is_some_and(|c| c != e.company) {
            continue;
        }
        let stale = |f: &Fix| q.fresh_since.is_some_and(|t| f.taken < t);
        let taken = e.fix.map(|f| f.taken);
        let at = match (e.available, e.fix, e.base) {
            (false, _, _) | (true, None, None) => None,
            (true, Some(f), _) if !stale(&f) => Some((f.at, false)),
            (true, _, Some(base)) => Some((base, true)),
            (true, Some(f), None) => Some((f.at, false)),
        };
        match at {
            Some((at, from_base)) => all.push((q.at.distance_m(at), *id, taken, from_base)),
            None => r.unavailable += 1,
        }
    }
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (d, unit, taken, from_base) in all {
        if r.chosen.len() >= q.k {
            break;
        }
        let stale = taken
            .filter(|_| !from_base)
            .filter(|t| q.fresh_since.is_some_and(|s| *t < s));
        let why = if q.max_distance_m.is_some_and(|m| d > m) {
            Some(PassReason::BeyondRadius)
        } else if let Some(fix_taken) = stale {
            Some(PassReason::StalePosition { fix_taken })
        } else if (q.exclude)(unit) {
            Some(PassReason::Excluded)
        } else {
            None
        };
        let Some(why) = why else {
            let turnout = if from_base {
                q.travel.base_turnout_secs
            } else {
                0
            };
            let eta_secs = q.travel.eta_secs(q.kind, d) + turnout;
            r.chosen.push(Candidate {
                unit,
                distance_m: d,
                eta_secs,
                fix_taken: taken,
                from_base,
                why: String::new(),
            });
            continue;
        };
        let beyond = why == PassReason::BeyondRadius;
        r.passed_over.push(PassedOver {
            unit,
            distance_m: d,
            from_base,
            why,
        });
        if beyond {
            break;
        }
    }
    r.unlisted = r.passed_over.len().saturating_sub(MAX_PASSED_OVER);
    r.passed_over.truncate(MAX_PASSED_OVER);
    r
}

/// `r` with the `why` texts blanked, to compare with [`brute_force`].
fn without_why(mut r: Ranking) -> Ranking {
    r.chosen.iter_mut().for_each(|c| c.why.clear());
    r
}
