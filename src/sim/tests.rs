use super::metrics::{self, Case};
use super::scenario::{self, Area};
use super::*;
use crate::domain::{
    Alarm, AlarmFlags, AlarmId, AlarmKind, AlarmSource, AlarmStatus, CrewStatus, Event, EventKind,
    IncidentId, LiftRef, UnitId, UnitKind,
};
use chrono::TimeDelta;
use std::collections::HashMap;

fn small() -> SimSpec {
    SimSpec {
        region: RegionSpec {
            lifts: 2_000,
            ..RegionSpec::default()
        },
        entrapments: 30,
        minutes: 2.0,
        seed: 5,
        special_share: 0.2,
        ..SimSpec::default()
    }
}

#[tokio::test]
async fn the_same_seed_plays_the_same_storm_and_every_entrapment_is_released() {
    let spec = small();
    let a = simulate(&spec, &[Mode::Greedy, Mode::Storm]).await.unwrap();
    let b = simulate(&spec, &[Mode::Greedy, Mode::Storm]).await.unwrap();
    assert_eq!(a, b);
    let m = a.runs[0]
        .metrics()
        .expect("greedy runs on the built-in rules");
    assert_eq!(m.entrapments, 30);
    assert_eq!(m.released, 30, "{m:?}");
    assert_eq!(m.not_arrived, 0);
    assert!(m.crew_km > 0.0);
    assert!(m.arrival_mean_min <= m.release_mean_min);
    let other = simulate(&SimSpec { seed: 6, ..small() }, &[Mode::Greedy])
        .await
        .unwrap();
    assert_ne!(other.runs[0], a.runs[0], "another seed, another storm");
}

#[test]
fn a_storm_is_planned_on_distinct_lifts_of_its_area_within_its_minutes() {
    let spec = SimSpec {
        entrapments: 200,
        special_share: 0.5,
        ..small()
    };
    let region = crate::demo::region(&spec.region, spec.start);
    let s = scenario::plan(&region, &spec).unwrap();
    assert_eq!(s.area, scenario::densest(&region));
    let Area::Street(street) = &s.area else {
        panic!("{:?}", s.area)
    };
    assert_eq!(
        street, "解放碑街道",
        "two of the demo's eight roads lie in it"
    );
    let mut lifts: Vec<usize> = s.entrapments.iter().map(|e| e.lift).collect();
    lifts.sort_unstable();
    lifts.dedup();
    assert_eq!(lifts.len(), 200);
    assert!(
        s.entrapments
            .iter()
            .all(|e| s.area.holds(&region.lifts[e.lift]))
    );
    assert!(s.entrapments.windows(2).all(|w| w[0].at <= w[1].at));
    let end = spec.start + TimeDelta::minutes(2);
    assert!(
        s.entrapments
            .iter()
            .all(|e| e.at >= spec.start && e.at <= end)
    );
    let special = s.entrapments.iter().filter(|e| e.flags.any()).count();
    assert!((70..130).contains(&special), "{special}");

    let too_many = SimSpec {
        entrapments: 2_000,
        ..small()
    };
    assert!(
        scenario::plan(&region, &too_many)
            .unwrap_err()
            .contains("lifts")
    );
    let err = scenario::parse_area(&region, "Atlantis").unwrap_err();
    assert!(
        err.contains("解放碑街道") && err.contains("500103"),
        "{err}"
    );
    assert_eq!(
        scenario::parse_area(&region, "500103"),
        Ok(Area::District("500103".into()))
    );
}

#[test]
fn greedy_rules_have_no_storm_mode_and_the_shipped_rules_have_one() {
    let greedy = rules_for(Mode::Greedy).unwrap().unwrap();
    assert!(greedy.storm.is_none());
    let storm = rules_for(Mode::Storm).unwrap().unwrap();
    assert!(storm.storm.is_some());
    assert_ne!(greedy.version, storm.version);
}

fn at(min: f64) -> chrono::DateTime<chrono::Utc> {
    SimSpec::default().start + TimeDelta::milliseconds((min * 60_000.0) as i64)
}

fn case(id: i64, opened: f64, special: bool, got: f64, arrived: f64, released: f64) -> Case {
    Case {
        id: IncidentId(id),
        opened: at(opened),
        area: "解放碑街道".into(),
        special,
        got_unit: Some(at(got)),
        held: vec![(at(got), None)],
        arrived: Some(at(arrived)),
        released: Some(at(released)),
    }
}

#[test]
fn the_figures_of_a_tiny_hand_made_run() {
    // Arrivals after 10, 20, 40 and 5 minutes; releases after 15, 25, 45 and 10.
    let cases = vec![
        case(1, 0.0, false, 1.0, 10.0, 15.0),
        case(2, 0.0, true, 8.0, 20.0, 25.0),
        case(3, 1.0, false, 2.0, 41.0, 46.0),
        case(4, 2.0, true, 3.0, 7.0, 12.0),
    ];
    let m = metrics::metrics(&cases, 12.5);
    assert_eq!((m.entrapments, m.released, m.not_arrived), (4, 4, 0));
    assert_eq!(m.arrival_mean_min, Some(18.75));
    assert_eq!(m.arrival_p90_min, Some(40.0));
    assert_eq!(m.release_mean_min, Some(23.75));
    assert_eq!(m.release_max_min, Some(45.0));
    assert_eq!(m.special, 2);
    assert_eq!(m.special_arrival_p90_min, Some(20.0));
    assert_eq!(m.special_arrival_max_min, Some(20.0));
    assert_eq!(m.over_30_min, 1);
    assert_eq!(m.crew_km, 12.5);
    // Case 2 (special, opened at 0) got its unit at 8; case 3 (ordinary, opened at 1) at 2.
    assert_eq!(m.special_behind_ordinary, 1);
    assert_eq!(
        m.special_behind,
        vec![metrics::Behind {
            special: IncidentId(2),
            opened: at(0.0),
            got_unit: Some(at(8.0)),
            ordinary: IncidentId(3),
            ordinary_opened: at(1.0),
            ordinary_got_unit: at(2.0),
        }],
        "listed with the ordinary case that overtook it"
    );
    let mut elsewhere = cases.clone();
    elsewhere[2].area = "七星岗街道".into();
    assert_eq!(metrics::special_behind_ordinary(&elsewhere), 0);
    // Had case 2's first crew been paged at 0.5 and declined only at 3, the desk had not left
    // it waiting when case 3 got its crew at 2: its crew had.
    let mut declined = cases.clone();
    declined[1].held.insert(0, (at(0.5), Some(at(3.0))));
    assert_eq!(metrics::special_behind_ordinary(&declined), 0);
    declined[1].held[0].1 = Some(at(1.5));
    assert_eq!(
        metrics::special_behind_ordinary(&declined),
        1,
        "declined at 1.5"
    );
    let mut never = cases;
    never[3].got_unit = None;
    never[3].held.clear();
    never[3].arrived = None;
    never[3].released = None;
    let m = metrics::metrics(&never, 0.0);
    assert_eq!((m.released, m.not_arrived, m.over_30_min), (3, 1, 2));
    assert_eq!(
        m.special_behind_ordinary, 1,
        "case 4 opened after every ordinary one"
    );
    assert_eq!(metrics::percentile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
    assert_eq!(metrics::percentile(&[], 0.9), None);
    assert_eq!(report::change(Some(20.0), Some(15.0)), "-25%");
    assert_eq!(report::change(Some(8.6), Some(8.5)), "-1.2%");
    assert_eq!(report::change(Some(0.0), Some(8.0)), "–");
}

#[test]
fn cases_are_read_from_the_log_and_property_staff_do_not_count_as_arrival() {
    let spec = small();
    let region = crate::demo::region(&spec.region, spec.start);
    let lift = region.lifts[0].clone();
    let rules = RuleSet::built_in().unwrap();
    let chain = rules.select(
        Some(lift.district),
        &AlarmKind::EntrapmentBetweenFloors,
        AlarmFlags::default(),
        lift.flags,
    );
    let alarm = Alarm {
        id: AlarmId(1),
        channel: AlarmSource::CabinPhone,
        source_alarm_id: "t-1".into(),
        lift_ref: LiftRef::RescueCode(lift.rescue_code.clone()),
        kind: AlarmKind::EntrapmentBetweenFloors,
        status: AlarmStatus::New,
        flags: AlarmFlags {
            child_alone: true,
            ..AlarmFlags::default()
        },
        trapped: Some(1),
        floor: None,
        description: String::new(),
        occurred_at: at(0.0),
        received_at: at(0.0),
    };
    let id = Some(IncidentId(1));
    let ev = |min: f64, kind: EventKind| Event {
        incident: id,
        at: at(min),
        actor: crate::domain::Actor::System,
        step: None,
        rules_version: None,
        reason: String::new(),
        kind,
    };
    let (staff, fitter) = (UnitId(500), UnitId(3));
    let progress = |unit, status| EventKind::CrewProgress { unit, status };
    let paged = |unit| EventKind::UnitPaged {
        candidate: crate::index::Candidate {
            unit,
            distance_m: 900.0,
            eta_secs: 180,
            fix_taken: None,
            from_base: true,
            why: String::new(),
        },
        passed_over: vec![],
        ack_due: at(3.5),
        seen: None,
        queue: vec![],
    };
    let events = vec![
        ev(
            0.0,
            EventKind::IncidentOpened {
                alarm,
                lift: Some(Box::new(lift)),
                chain: Box::new(chain),
                replay_format: 0,
            },
        ),
        ev(0.5, paged(fitter)),
        ev(
            1.0,
            EventKind::Accepted {
                unit: staff,
                eta_secs: None,
            },
        ),
        ev(
            2.0,
            EventKind::Accepted {
                unit: fitter,
                eta_secs: None,
            },
        ),
        ev(4.0, progress(staff, CrewStatus::OnScene)),
        ev(9.0, progress(fitter, CrewStatus::OnScene)),
        ev(14.0, progress(fitter, CrewStatus::Released)),
    ];
    let kinds = HashMap::from([
        (staff, UnitKind::PropertyStaff),
        (fitter, UnitKind::Maintainer),
    ]);
    let c = metrics::cases(&events, &kinds);
    assert_eq!(c.len(), 1);
    assert!(c[0].special);
    assert_eq!(c[0].area, "解放碑街道");
    assert_eq!(
        (c[0].got_unit, c[0].arrived, c[0].released),
        (Some(at(0.5)), Some(at(9.0)), Some(at(14.0))),
        "a unit is got when paged, not when its crew answers"
    );
    assert_eq!(c[0].held, vec![(at(0.5), None)], "the fitter's page, live");
}
