//! The nearest-unit index at city scale: 100,000 maintainers spread uniformly over a
//! 20 km × 20 km box around Yuzhong (29.556 N, 106.568 E), deterministic.
//!
//! - `nearest5/{100%,10%,1%,0.1%}`: the 5 nearest available maintainers, with a company filter
//!   that passes that share of the units (no company; companies of 10,000, 1,000 and 100 units).
//!   Goal: median ≤ 5 µs each.
//! - `bruteforce5/{same}`: the same question answered by a haversine scan of every unit, in the
//!   same run, for scale.
//! - `set_position`: a random unit moves a few metres. Goal: median ≤ 3 µs.
//!
//! Before measuring, the index's answers are checked against the scan for a few hundred queries.
//! Run with `cargo bench --bench index`; medians are in `target/criterion/*/new/estimates.json`.

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use liftrescue::domain::{CompanyId, Fix, LatLon, UnitId, UnitKind};
use liftrescue::index::{Entry, Query, UnitIndex};
use liftrescue::rules::TravelModel;
use std::hint::black_box;
use std::time::Duration;

const UNITS: i64 = 100_000;
const ORIGIN: LatLon = LatLon {
    lat: 29.556,
    lon: 106.568,
};
/// Half the box side in degrees: 10 km north-south and east-west.
const HALF_LAT: f64 = 10_000.0 / 111_195.0;
const HALF_LON: f64 = 10_000.0 / (111_195.0 * 0.8699); // cos 29.556°

/// The selectivities measured: the share of units the company filter passes, and the company.
const SHARES: [(&str, Option<CompanyId>); 4] = [
    ("100%", None),
    ("10%", Some(CompanyId(1))),
    ("1%", Some(CompanyId(2))),
    ("0.1%", Some(CompanyId(3))),
];

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

/// Company 1 has 10,000 units, company 2 1,000, company 3 100; the other 88,900 belong to
/// companies of 100 units each.
fn company_of(i: i64) -> CompanyId {
    match i {
        0..10_000 => CompanyId(1),
        10_000..11_000 => CompanyId(2),
        11_000..11_100 => CompanyId(3),
        _ => CompanyId(100 + (i - 11_100) / 100),
    }
}

fn random_point(rng: &mut fastrand::Rng) -> LatLon {
    LatLon {
        lat: ORIGIN.lat + (rng.f64() * 2.0 - 1.0) * HALF_LAT,
        lon: ORIGIN.lon + (rng.f64() * 2.0 - 1.0) * HALF_LON,
    }
}

fn region() -> Vec<(UnitId, Entry)> {
    let mut rng = fastrand::Rng::with_seed(2019);
    (0..UNITS)
        .map(|i| {
            let taken = now() - TimeDelta::seconds(rng.i64(0..300));
            let fix = Fix {
                at: random_point(&mut rng),
                taken,
            };
            let kind = UnitKind::Maintainer;
            let entry = Entry {
                kind,
                company: company_of(i),
                available: true,
                fix: Some(fix),
                base: None,
            };
            (UnitId(i), entry)
        })
        .collect()
}

fn travel() -> TravelModel {
    TravelModel {
        detour_factor: 1.4,
        speed_kmh: [(UnitKind::Maintainer, 25.0)].into(),
        base_turnout_secs: 60,
    }
}

fn nobody(_: UnitId) -> bool {
    false
}

fn query<'a>(at: LatLon, company: Option<CompanyId>, travel: &'a TravelModel) -> Query<'a> {
    Query {
        at,
        kind: UnitKind::Maintainer,
        company,
        k: 5,
        max_distance_m: None,
        fresh_since: Some(now() - TimeDelta::minutes(10)),
        exclude: &nobody,
        travel,
    }
}

/// The same question as `UnitIndex::nearest`, by a scan of every unit.
fn brute_force(units: &[(UnitId, Entry)], q: &Query<'_>) -> Vec<(f64, UnitId)> {
    let mut best: Vec<(f64, UnitId)> = Vec::with_capacity(q.k + 1);
    for (id, e) in units {
        let Some(fix) = e.fix.filter(|_| e.available && e.kind == q.kind) else {
            continue;
        };
        let fresh = q.fresh_since.is_none_or(|t| fix.taken >= t);
        if q.company.is_some_and(|c| c != e.company) || !fresh || (q.exclude)(*id) {
            continue;
        }
        let d = q.at.distance_m(fix.at);
        if best.len() == q.k && best.last().is_some_and(|&(w, wid)| (d, *id) >= (w, wid)) {
            continue;
        }
        let at = best.partition_point(|&(b, bid)| (b, bid) < (d, *id));
        best.insert(at, (d, *id));
        best.truncate(q.k);
    }
    best
}

fn check_answers(index: &UnitIndex, units: &[(UnitId, Entry)], queries: &[LatLon]) {
    let travel = travel();
    for (_, company) in SHARES {
        for &at in queries.iter().take(100) {
            let q = query(at, company, &travel);
            let got: Vec<_> = index
                .nearest(&q)
                .chosen
                .iter()
                .map(|c| (c.distance_m, c.unit))
                .collect();
            assert_eq!(
                got,
                brute_force(units, &q),
                "index and scan disagree at {at:?}"
            );
        }
    }
}

fn nearest(c: &mut Criterion) {
    let units = region();
    let index = UnitIndex::from_entries(ORIGIN, units.clone());
    let mut rng = fastrand::Rng::with_seed(96333);
    let queries: Vec<LatLon> = (0..1024).map(|_| random_point(&mut rng)).collect();
    check_answers(&index, &units, &queries);
    let travel = travel();
    let mut group = c.benchmark_group("nearest5");
    for (share, company) in SHARES {
        let mut next = queries.iter().cycle();
        group.bench_function(share, |b| {
            b.iter(|| {
                let at = *next.next().unwrap_or(&ORIGIN);
                black_box(index.nearest(&query(at, company, &travel)))
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("bruteforce5");
    group.sampling_mode(SamplingMode::Flat).sample_size(20);
    for (share, company) in SHARES {
        let mut next = queries.iter().cycle();
        group.bench_function(share, |b| {
            b.iter(|| {
                let at = *next.next().unwrap_or(&ORIGIN);
                black_box(brute_force(&units, &query(at, company, &travel)))
            })
        });
    }
    group.finish();
}

fn set_position(c: &mut Criterion) {
    let units = region();
    let mut places: Vec<LatLon> = units
        .iter()
        .filter_map(|(_, e)| e.fix.map(|f| f.at))
        .collect();
    let mut index = UnitIndex::from_entries(ORIGIN, units);
    let mut rng = fastrand::Rng::with_seed(5);
    let mut taken = now();
    c.bench_function("set_position", |b| {
        b.iter(|| {
            // A random unit moves up to ~5 m in each direction.
            let i = rng.usize(..places.len());
            let p = &mut places[i];
            p.lat += (rng.f64() - 0.5) * 1e-4;
            p.lon += (rng.f64() - 0.5) * 1e-4;
            taken += TimeDelta::milliseconds(1);
            black_box(index.set_position(UnitId(i as i64), Fix { at: *p, taken }))
        })
    });
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = nearest, set_position
}
criterion_main!(benches);
