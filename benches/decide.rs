//! `decide` for a new entrapment alarm, ranking included, at city scale.
//!
//! 100,000 units in a 20 km × 20 km box around Yuzhong (the demo generator with 95,000
//! maintainers in 500 companies, 2,000 property companies × 2 staff, 1,000 fire/rescue units),
//! the shipped `dispatch-rules/`. Each iteration decides a fresh alarm on a random lift: the
//! chain is selected and snapshotted, and the contracted maintainer and the property staff are
//! ranked and paged. Goal: median ≤ 50 µs.
//!
//! `decide/bruteforce_ranking` answers the same two ranking questions by a haversine scan of
//! every unit, measured in the same run, for scale.
//!
//! Run with `cargo bench --bench decide`.

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use liftrescue::demo::{RegionSpec, region};
use liftrescue::dispatch::{Command, DeskState, decide};
use liftrescue::domain::*;
use liftrescue::rules::RuleSet;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_939_200, 0).unwrap_or_default()
}

fn alarm(lift: &Lift, n: i64) -> Command {
    let alarm = Alarm {
        id: AlarmId(n),
        channel: AlarmSource::Iot,
        source_alarm_id: format!("bench-{n}"),
        lift_ref: LiftRef::Id(lift.id),
        kind: AlarmKind::EntrapmentBetweenFloors,
        status: AlarmStatus::New,
        flags: AlarmFlags::default(),
        trapped: None,
        floor: None,
        description: String::new(),
        occurred_at: now(),
        received_at: now(),
    };
    Command::Alarm {
        alarm,
        lift: Some(Box::new(lift.clone())),
    }
}

/// The 5 nearest on-duty units of a kind and company by scanning every unit.
fn scan(
    units: &[Unit],
    at: LatLon,
    kind: UnitKind,
    company: Option<CompanyId>,
) -> Vec<(f64, UnitId)> {
    let mut v: Vec<(f64, UnitId)> = units
        .iter()
        .filter(|u| u.kind == kind && u.on_duty && company.is_none_or(|c| c == u.company))
        .filter_map(|u| u.fix.map(|f| (at.distance_m(f.at), u.id)))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v.truncate(5);
    v
}

fn bench(c: &mut Criterion) {
    let rules = RuleSet::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/dispatch-rules"))
        .unwrap_or_else(|e| panic!("shipped rules: {e:?}"));
    let spec = RegionSpec {
        lifts: 15_000,
        maintenance_companies: 500,
        maintainers: 95_000,
        property_companies: 2_000,
        staff_per_property_company: 2,
        fire_stations: 1_000,
        half_side_m: 10_000.0,
        ..RegionSpec::default()
    };
    let r = region(&spec, now());
    assert_eq!(r.units.len(), 100_000);
    let mut state = DeskState::new(Arc::new(rules), r.centre);
    for u in r.units.iter().cloned() {
        state.add_unit(u);
    }
    let lifts: Vec<&Lift> = r
        .lifts
        .iter()
        .filter(|l| l.maintainer.is_some() && l.use_unit.is_some())
        .collect();
    let mut g = c.benchmark_group("decide");
    g.measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    let mut n = 0i64;
    g.bench_function("new_alarm", |b| {
        b.iter(|| {
            n += 1;
            let lift = lifts[(n as usize * 7919) % lifts.len()];
            let events = decide(&state, alarm(lift, n), now()).unwrap_or_default();
            assert!(events.len() >= 4, "opened, 2 steps, pages");
            black_box(events)
        })
    });
    g.bench_function("bruteforce_ranking", |b| {
        b.iter(|| {
            n += 1;
            let lift = lifts[(n as usize * 7919) % lifts.len()];
            let m = scan(
                &r.units,
                lift.position,
                UnitKind::Maintainer,
                lift.maintainer,
            );
            let p = scan(
                &r.units,
                lift.position,
                UnitKind::PropertyStaff,
                lift.use_unit,
            );
            black_box((m, p))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
