//! Storm scenarios: each reads as a story, with a controlled clock and no Tokio.

use crate::demo::{YUZHONG, offset};
use crate::dispatch::tests::{
    FIRE_FAR, FIRE_NEAR, M_FAR, M_NEAR, M_OTHER_CO, M_STALE, PROPERTY, RULES, World, kinds, lift,
    paged,
};
use crate::dispatch::{Command, CrewAction, Rejection, apply};
use crate::domain::storm::{StormArea, StormTrigger};
use crate::domain::*;
use crate::rules::RuleSet;
use std::sync::Arc;

/// Storm rules with a small count, so three entrapments in one street declare a storm.
const STORM: &str = r#"
description = "test storm rules"
[detect]
entrapments = 3
within = "2m"
quiet = "10m"
[solve]
every = "5s"
candidates = 4
mutual_aid_after = "3m"
on_site = "5m"
horizon = "2h"
[batch]
walk_m = 100
max_queue = 3
[triage]
special = ["person_ill", "child_alone", "smoke_or_water"]
between_floors = 30
per_minute_trapped = 1
[[triage.place]]
name = "hospital"
words = ["医院", "hospital"]
points = 20
"#;

pub(super) fn storm_world() -> World {
    let files = [
        ("test.toml".to_owned(), RULES.to_owned()),
        ("storm.toml".to_owned(), STORM.to_owned()),
    ];
    World::with_rules(Arc::new(RuleSet::parse_files(&files).expect("rules parse")))
}

/// A lift of company 1 on Jiefangbei street, `east`/`north` metres from the centre.
pub(super) fn street_lift(id: i64, east: f64, north: f64) -> Lift {
    let mut l = lift(id, Some(1));
    l.street = Some("Jiefangbei".into());
    l.position = offset(YUZHONG, east, north);
    l.address = format!("{id} Minzu Road");
    l
}

fn jiefangbei() -> StormArea {
    StormArea::Street {
        district: AdminCode::parse("500103").unwrap(),
        street: "Jiefangbei".into(),
    }
}

pub(super) fn alarm(w: &mut World, l: Lift, flags: AlarmFlags) -> (Vec<Event>, IncidentId) {
    let events = w.alarm_with(AlarmSource::Iot, Some(l), flags, AlarmStatus::New);
    let id = events.iter().find_map(|e| e.incident).expect("an incident");
    (events, id)
}

pub(super) fn ill() -> AlarmFlags {
    AlarmFlags {
        person_ill: true,
        ..AlarmFlags::default()
    }
}

pub(super) fn off_duty(w: &mut World, units: &[UnitId]) {
    for u in units {
        w.run(Command::UnitDuty {
            unit: *u,
            on_duty: false,
            why: "busy elsewhere in the blackout".into(),
        });
    }
}

pub(super) fn on_duty(w: &mut World, u: UnitId) -> Vec<Event> {
    w.run(Command::UnitDuty {
        unit: u,
        on_duty: true,
        why: "back on duty".into(),
    })
}

pub(super) fn declare(w: &mut World) -> u32 {
    let events = w.run(Command::DeclareStorm {
        user: "op1".into(),
        area: jiefangbei(),
        reason: "State Grid reports a feeder down on Jiefangbei".into(),
    });
    match &events[0].kind {
        EventKind::StormDeclared { storm, .. } => *storm,
        k => panic!("expected storm_declared, got {}", k.name()),
    }
}

/// Units paged for one incident in these events.
pub(super) fn paged_for(events: &[Event], id: IncidentId) -> Vec<UnitId> {
    let mine: Vec<Event> = events
        .iter()
        .filter(|e| e.incident == Some(id))
        .cloned()
        .collect();
    paged(&mine)
}

/// A declared storm with one maintainer free: `M_NEAR` (the others off duty or stale).
fn one_crew_storm() -> World {
    let mut w = storm_world();
    off_duty(&mut w, &[M_FAR, M_OTHER_CO, M_STALE]);
    declare(&mut w);
    w
}

/// The page of `unit` for incident `id` in these events.
pub(super) fn page_to(events: &[Event], id: IncidentId, unit: UnitId) -> &Event {
    events
        .iter()
        .filter(|e| e.incident == Some(id) && e.kind.name() == "unit_paged")
        .find(|e| paged(std::slice::from_ref(e)) == vec![unit])
        .unwrap_or_else(|| panic!("no page of {unit} for {id}: {:?}", kinds(events)))
}

#[test]
fn the_third_entrapment_in_a_street_within_two_minutes_declares_a_storm_and_triages_all_three() {
    let mut w = storm_world();
    off_duty(&mut w, &[M_OTHER_CO]);
    let (e1, a) = alarm(&mut w, street_lift(11, 0.0, 0.0), AlarmFlags::default());
    assert!(
        paged(&e1).contains(&M_NEAR),
        "before the storm: paged at once"
    );
    w.advance(30);
    let (_, b) = alarm(&mut w, street_lift(12, 400.0, 0.0), AlarmFlags::default());
    w.advance(30);
    let (e3, c) = alarm(&mut w, street_lift(13, -400.0, 0.0), AlarmFlags::default());
    let declared = e3
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::StormDeclared {
                storm,
                area,
                trigger,
            } => Some((*storm, area.clone(), trigger.clone())),
            _ => None,
        })
        .expect("a storm is declared");
    assert_eq!(declared.0, 1);
    assert_eq!(declared.1, jiefangbei());
    assert_eq!(
        declared.2,
        StormTrigger::Rule {
            entrapments: 3,
            within_secs: 120
        }
    );
    for id in [a, b, c] {
        let (storm, t) = w.incident(id).storm.clone().expect("triaged");
        assert_eq!((storm, t.tier), (1, 1));
    }
    // The first two kept their pages (M_NEAR, M_FAR); the third waits for the solve, which
    // found nobody free (M_STALE's position is stale, M_OTHER_CO is off duty).
    assert!(kinds(&e3).contains(&"storm_solved"));
    assert!(paged_for(&e3, c).is_empty(), "{:?}", paged_for(&e3, c));
    assert!(w.state.storm.waiting.iter().any(|(_, id)| *id == c));
    // M_NEAR accepts the first lift: the next solve gives it the third as its next car, at
    // the time the first should take on site plus the drive on.
    w.accept(M_NEAR, a, 300);
    let next = w.advance(5);
    assert_eq!(paged_for(&next, c), vec![M_NEAR]);
    let page = page_to(&next, c, M_NEAR);
    assert!(
        page.reason.contains(&format!("busy on incident {}", a.0)),
        "{}",
        page.reason
    );
    assert!(w.state.storm.waiting.is_empty());
    let held = &w.state.units[&M_NEAR].held_by;
    assert!(held.contains(&a) && held.contains(&c), "{held:?}");
}

#[test]
fn a_person_ill_gets_the_one_free_maintainer_before_an_earlier_ordinary_call() {
    let mut w = storm_world();
    off_duty(&mut w, &[M_NEAR, M_FAR, M_OTHER_CO, M_STALE]);
    declare(&mut w);
    let (e1, ordinary) = alarm(&mut w, street_lift(21, 0.0, 50.0), AlarmFlags::default());
    assert_eq!(
        paged_for(&e1, ordinary),
        vec![PROPERTY],
        "no maintainer free yet"
    );
    w.advance(60);
    let (_, sick) = alarm(&mut w, street_lift(22, 3000.0, 0.0), ill());
    assert_eq!(w.incident(sick).storm.as_ref().unwrap().1.tier, 0);
    assert_eq!(w.incident(ordinary).storm.as_ref().unwrap().1.tier, 1);
    // M_NEAR is nearer the ordinary call, but the ill passenger comes first.
    let back = on_duty(&mut w, M_NEAR);
    let events = [back, w.advance(1)].concat();
    assert_eq!(paged_for(&events, sick).first(), Some(&M_NEAR));
    assert!(!paged_for(&events, ordinary).contains(&M_NEAR));
    let solved = events
        .iter()
        .find(|e| e.kind.name() == "storm_solved")
        .expect("the solve ran");
    assert!(solved.reason.contains("assigned"), "{}", solved.reason);
}

#[test]
fn two_cars_in_one_building_go_to_one_crew_as_a_queue_in_priority_order() {
    let mut w = storm_world();
    off_duty(&mut w, &[M_NEAR, M_FAR, M_OTHER_CO, M_STALE]);
    declare(&mut w);
    let (_, first) = alarm(&mut w, street_lift(31, 0.0, 0.0), AlarmFlags::default());
    w.advance(60);
    let mut hospital = street_lift(32, 10.0, 0.0);
    hospital.building = "Chongqing No. 5 Hospital, Car B".into();
    let (_, second) = alarm(&mut w, hospital, AlarmFlags::default());
    let events = [on_duty(&mut w, M_NEAR), w.advance(1)].concat();
    let pages: Vec<(IncidentId, Vec<IncidentId>)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::UnitPaged {
                candidate, queue, ..
            } if candidate.unit == M_NEAR => Some((e.incident.unwrap(), queue.clone())),
            _ => None,
        })
        .collect();
    // The hospital's car (+20) outranks the one trapped a minute longer (+1).
    assert_eq!(
        pages,
        vec![(second, vec![second, first]), (first, vec![second, first])]
    );
    // One page, one answer: accepting the first car accepts the queue.
    let accepted = w
        .crew(M_NEAR, second, CrewAction::Accept { eta_secs: None })
        .unwrap();
    let on: Vec<Option<IncidentId>> = accepted
        .iter()
        .filter(|e| e.kind.name() == "accepted")
        .map(|e| e.incident)
        .collect();
    assert_eq!(on, vec![Some(second), Some(first)]);
    // It releases the first car and is still held by the second.

    for a in [
        CrewAction::EnRoute,
        CrewAction::OnScene,
        CrewAction::Released,
    ] {
        w.crew(M_NEAR, second, a).unwrap();
    }
    assert!(w.state.units[&M_NEAR].held_by.contains(&first));
}

#[test]
fn a_declined_assignment_waits_for_the_next_solve_which_never_offers_that_unit_again() {
    let mut w = one_crew_storm();
    let (e, id) = alarm(&mut w, street_lift(41, 0.0, 0.0), AlarmFlags::default());
    assert!(paged_for(&e, id).contains(&M_NEAR));
    let declined = w.decline(M_NEAR, id, "no tools for this model");
    assert!(!paged_for(&declined, id).contains(&M_NEAR));
    let events = [on_duty(&mut w, M_FAR), w.advance(1), w.advance(10)].concat();
    let again = paged_for(&events, id);
    assert_eq!(
        again,
        vec![M_FAR],
        "the next solve sends M_FAR, never M_NEAR"
    );
}

#[test]
fn the_own_company_comes_first_while_it_has_a_crew_free_and_another_company_at_once_when_not() {
    let mut w = storm_world();
    off_duty(&mut w, &[M_NEAR, M_STALE]);
    declare(&mut w);
    // M_OTHER_CO is 300 m away, but the own company has M_FAR free (1 km): it goes.
    let (e, first) = alarm(&mut w, street_lift(51, 0.0, 0.0), AlarmFlags::default());
    assert_eq!(paged_for(&e, first), vec![PROPERTY, M_FAR]);
    // The own company has nobody free now: the next car gets the other company at once, on
    // the chain's mutual-aid step, without waiting out the rules' delay.
    w.advance(10);
    let (opened, second) = alarm(&mut w, street_lift(52, 50.0, 0.0), AlarmFlags::default());
    let events = [opened, w.advance(1)].concat();
    let page = page_to(&events, second, M_OTHER_CO); // mutual aid at once
    assert_eq!(page.step.as_deref(), Some("mutual_aid"));
    let started = events
        .iter()
        .find(|e| e.incident == Some(second) && e.step.as_deref() == Some("mutual_aid"))
        .expect("the mutual-aid step starts");
    assert!(
        started.reason.contains("no crew free"),
        "{}",
        started.reason
    );
}

#[test]
fn a_special_case_starts_fire_rescue_in_the_same_solve() {
    let mut w = storm_world();
    declare(&mut w);
    let (e, id) = alarm(&mut w, street_lift(61, 0.0, 0.0), ill());
    let units = paged_for(&e, id);
    // The nearest maintainer of any company (a special case does not wait for its own).
    assert!(units.contains(&M_OTHER_CO), "{units:?}");
    assert!(units.contains(&FIRE_NEAR), "{units:?}");
    assert!(!units.contains(&FIRE_FAR));
}

#[test]
fn a_storm_ends_by_rule_once_quiet_and_nobody_in_it_waits_then_alarms_are_paged_one_at_a_time() {
    let mut w = storm_world();
    off_duty(&mut w, &[M_NEAR, M_FAR, M_OTHER_CO, M_STALE]);
    let storm = declare(&mut w);
    let (_, id) = alarm(&mut w, street_lift(71, 0.0, 0.0), AlarmFlags::default());
    // Ten quiet minutes pass, but the incident still waits: the storm goes on.
    let mut events = vec![];
    for _ in 0..66 {
        events.extend(w.advance(10));
    }
    assert!(!kinds(&events).contains(&"storm_ended"));
    assert!(w.state.storm.has_waiting(storm));
    // A crew comes back; the solve sends it, nobody waits, and the storm ends.
    let back = [on_duty(&mut w, M_NEAR), w.advance(1), w.advance(1)].concat();
    assert_eq!(paged_for(&back, id), vec![M_NEAR]);
    let end = back
        .iter()
        .find(|e| e.kind.name() == "storm_ended")
        .expect("ends once nobody waits");
    assert!(
        end.reason.contains("none of its incidents waits"),
        "{}",
        end.reason
    );
    // A new entrapment in the street is paged at once again, without triage.
    let (e, next) = alarm(&mut w, street_lift(72, 10.0, 0.0), AlarmFlags::default());
    assert!(!kinds(&e).contains(&"incident_triaged"));
    assert!(w.incident(next).storm.is_none());
}

#[test]
fn a_special_case_may_take_another_companys_maintainer_at_once() {
    let mut w = storm_world();
    off_duty(&mut w, &[M_NEAR, M_FAR, M_STALE]);
    declare(&mut w);
    let (e, id) = alarm(&mut w, street_lift(73, 0.0, 0.0), ill());
    assert!(
        paged_for(&e, id).contains(&M_OTHER_CO),
        "{:?}",
        paged_for(&e, id)
    );
}

#[test]
fn operator_commands_are_checked_and_change_nothing_when_refused() {
    let mut w = storm_world();
    let empty = w.try_run(Command::DeclareStorm {
        user: "op1".into(),
        area: jiefangbei(),
        reason: " ".into(),
    });
    assert_eq!(empty, Err(Rejection::Empty("reason")));
    let storm = declare(&mut w);
    let twice = w.try_run(Command::DeclareStorm {
        user: "op1".into(),
        area: jiefangbei(),
        reason: "again".into(),
    });
    assert_eq!(twice, Err(Rejection::StormCovers(storm)));
    let unknown = w.try_run(Command::EndStorm {
        user: "op1".into(),
        storm: 99,
        reason: "power back".into(),
    });
    assert_eq!(unknown, Err(Rejection::UnknownStorm(99)));
    let ended = w.run(Command::EndStorm {
        user: "op1".into(),
        storm,
        reason: "power back on Jiefangbei".into(),
    });
    assert_eq!(kinds(&ended), vec!["storm_ended"]);
    let mut plain = World::new();
    let off = plain.try_run(Command::DeclareStorm {
        user: "op1".into(),
        area: jiefangbei(),
        reason: "blackout".into(),
    });
    assert_eq!(off, Err(Rejection::NoStormRules));
}

#[test]
fn every_logged_solve_replays_to_the_same_choice_and_the_log_rebuilds_the_storm_book() {
    let mut w = one_crew_storm();
    for n in 0..6 {
        let flags = if n == 4 { ill() } else { AlarmFlags::default() };
        alarm(&mut w, street_lift(80 + n, 200.0 * n as f64, 0.0), flags);
        w.advance(20);
    }
    on_duty(&mut w, M_FAR);
    w.advance(2);
    let solves: Vec<&Event> = w
        .log
        .iter()
        .filter(|e| e.kind.name() == "storm_solved")
        .collect();
    assert!(solves.len() >= 2);
    for e in solves {
        assert_eq!(super::assign::replay_solve(e), Some(true));
    }
    let mut rebuilt = crate::dispatch::DeskState::new(w.state.rules.clone(), YUZHONG);
    for u in w.state.units.values() {
        rebuilt.add_unit(u.unit.clone());
    }
    for e in &w.log {
        apply(&mut rebuilt, e);
    }
    assert_eq!(rebuilt.storm.storms, w.state.storm.storms);
    assert_eq!(rebuilt.storm.waiting, w.state.storm.waiting);
    assert_eq!(rebuilt.storm.last_solve, w.state.storm.last_solve);
}

#[test]
fn a_special_case_takes_a_unit_not_yet_accepted_from_an_ordinary_call_but_never_accepted_work() {
    let mut w = one_crew_storm();
    let (e, ordinary) = alarm(&mut w, street_lift(91, 0.0, 0.0), AlarmFlags::default());
    assert_eq!(paged_for(&e, ordinary), vec![PROPERTY, M_NEAR]);
    w.advance(5);
    let (opened, sick) = alarm(&mut w, street_lift(92, 100.0, 0.0), ill());
    let events = [opened, w.advance(1)].concat();
    assert!(
        paged_for(&events, sick).contains(&M_NEAR),
        "{:?}",
        kinds(&events)
    );
    let stood_down = events
        .iter()
        .find(|e| e.incident == Some(ordinary) && e.kind.name() == "page_cancelled")
        .expect("the ordinary call's page is stood down");
    assert!(
        stood_down.reason.contains("special case"),
        "{}",
        stood_down.reason
    );
    assert!(w.state.storm.waiting.iter().any(|(_, id)| *id == ordinary));

    // Accepted work stays: once M_NEAR accepts the special case, a second one can have it
    // only as its next car, after the first.
    w.crew(M_NEAR, sick, CrewAction::Accept { eta_secs: None })
        .unwrap();
    let (opened, second) = alarm(&mut w, street_lift(93, -100.0, 0.0), ill());
    let later = [opened, w.advance(1), w.advance(5)].concat();
    assert!(
        !kinds(&later).contains(&"page_cancelled"),
        "{:?}",
        kinds(&later)
    );
    let next = page_to(&later, second, M_NEAR); // its next car
    assert!(
        next.reason
            .contains(&format!("busy on incident {}", sick.0)),
        "{}",
        next.reason
    );
    assert!(w.state.units[&M_NEAR].held_by.contains(&sick));
}

#[test]
fn a_crew_on_scene_is_offered_its_next_car_for_what_is_left_of_its_rescue_plus_the_walk() {
    let mut w = one_crew_storm();
    let (_, first) = alarm(&mut w, street_lift(101, 0.0, 0.0), AlarmFlags::default());
    // The property staff are there first; the maintainer's time counts from its own arrival.
    w.accept(PROPERTY, first, 30);
    w.crew(PROPERTY, first, CrewAction::OnScene).unwrap();
    w.advance(60);
    w.accept(M_NEAR, first, 120);
    for action in [CrewAction::EnRoute, CrewAction::OnScene] {
        w.crew(M_NEAR, first, action).unwrap();
    }
    w.advance(120); // two of the rules' five minutes on site gone
    let (opened, next) = alarm(&mut w, street_lift(102, 0.0, 0.0), AlarmFlags::default());
    let events = [opened, w.advance(1)].concat();
    let page = page_to(&events, next, M_NEAR); // its next car
    assert!(
        page.reason.contains(&format!(
            "busy on incident {}, done there in about 180 s, then 0 m on: ETA 180 s",
            first.0
        )),
        "{}",
        page.reason
    );
    // Its phone shows the new car after the one it is on.
    assert!(
        page.reason.contains("car 2 of 2 for this crew"),
        "{}",
        page.reason
    );
    let EventKind::UnitPaged { queue, .. } = &page.kind else {
        unreachable!()
    };
    assert_eq!(queue, &vec![first, next]);
    // Released at the first lift, it goes on to the second: nothing else is paged.
    w.crew(M_NEAR, first, CrewAction::Released).unwrap();
    assert!(w.state.units[&M_NEAR].held_by.contains(&next));
}

#[test]
fn a_crew_signing_off_on_scene_keeps_its_car_and_is_given_no_next_one() {
    let mut w = one_crew_storm();
    let (_, first) = alarm(&mut w, street_lift(111, 0.0, 0.0), AlarmFlags::default());
    w.accept(M_NEAR, first, 60);
    for action in [CrewAction::EnRoute, CrewAction::OnScene] {
        w.crew(M_NEAR, first, action).unwrap();
    }
    // The next car comes within the solve's short gap: it waits for the next solve.
    let (opened, second) = alarm(&mut w, street_lift(112, 30.0, 0.0), AlarmFlags::default());
    assert!(!paged_for(&opened, second).contains(&M_NEAR));
    // M_NEAR signs off at the end of its shift; the solve that runs with that decision must
    // not give it the second car (the desk learns it is off duty only once it is applied).
    w.now += chrono::TimeDelta::seconds(1);
    let off = w.run(Command::UnitDuty {
        unit: M_NEAR,
        on_duty: false,
        why: "end of shift".into(),
    });
    assert!(kinds(&off).contains(&"storm_solved"), "{:?}", kinds(&off));
    assert!(
        !paged_for(&off, second).contains(&M_NEAR),
        "{:?}",
        kinds(&off)
    );
    assert!(w.state.units[&M_NEAR].held_by.contains(&first));
}

#[test]
fn the_own_companys_crew_beyond_the_rules_reach_gives_way_to_another_company_at_once() {
    let files = [
        ("test.toml".to_owned(), RULES.to_owned()),
        (
            "storm.toml".to_owned(),
            STORM.replace("on_site", "own_company_within = \"2m\"\non_site"),
        ),
    ];
    let rules = RuleSet::parse_files(&files).expect("rules parse");
    assert!(rules.storm.as_ref().unwrap().own_company_within.is_some());
    let mut w = World::with_rules(Arc::new(rules));
    off_duty(&mut w, &[M_NEAR, M_STALE]);
    declare(&mut w);
    // M_FAR (own company, 1 km: about 3.4 min) is beyond the 2 minutes; M_OTHER_CO (300 m)
    // goes at once, on the mutual-aid step.
    let (e, id) = alarm(&mut w, street_lift(121, 0.0, 0.0), AlarmFlags::default());
    assert_eq!(paged_for(&e, id), vec![PROPERTY, M_OTHER_CO]);
    assert_eq!(
        page_to(&e, id, M_OTHER_CO).step.as_deref(),
        Some("mutual_aid")
    );
    // When the crew beyond reach is the only one left, it still goes: better late than nobody.
    w.advance(1);
    let (opened, next) = alarm(&mut w, street_lift(122, 500.0, 0.0), AlarmFlags::default());
    let events = [opened, w.advance(1)].concat();
    assert!(
        page_to(&events, next, M_FAR)
            .reason
            .contains("storm 1 assignment")
    );
}
