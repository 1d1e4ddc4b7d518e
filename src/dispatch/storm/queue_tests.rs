//! Storm scenarios about crews' queues and special cases: a special case never waits while an
//! ordinary case of a later alarm is given a unit that could have served it. Each reads as a
//! story, with a controlled clock and no Tokio.

use super::tests::{alarm, declare, ill, off_duty, on_duty, paged_for, storm_world, street_lift};
use crate::dispatch::CrewAction;
use crate::dispatch::tests::{M_FAR, M_NEAR, M_OTHER_CO, M_STALE};
use crate::domain::*;

fn child() -> AlarmFlags {
    AlarmFlags {
        child_alone: true,
        ..AlarmFlags::default()
    }
}

/// Lets `secs` pass, ten seconds at a time.
fn wait(w: &mut crate::dispatch::tests::World, secs: i64) {
    for _ in 0..secs / 10 {
        w.advance(10);
    }
    w.advance(secs % 10);
}

#[test]
fn an_ordinary_car_next_door_does_not_ride_on_a_crew_while_another_special_case_waits_for_it() {
    let mut w = storm_world();
    off_duty(&mut w, &[M_NEAR, M_FAR, M_OTHER_CO, M_STALE]);
    declare(&mut w);
    // A child is alone in a car 3 km west. A minute later a passenger falls ill in a car
    // 100 m from M_NEAR's depot, and a car of the same building traps ordinary passengers.
    let (_, child) = alarm(&mut w, street_lift(101, -3000.0, 0.0), child());
    w.advance(60);
    let (_, sick) = alarm(&mut w, street_lift(102, 0.0, 400.0), ill());
    w.advance(10);
    let (_, ordinary) = alarm(&mut w, street_lift(103, 10.0, 400.0), AlarmFlags::default());
    // Three minutes on, the ordinary car may take any company's maintainer (mutual aid), as
    // the special cases could at once: it could ride on the sick passenger's crew's queue.
    wait(&mut w, 190);
    // M_NEAR comes back: the only maintainer free. It goes to the passenger taken ill next
    // door, but the ordinary car does not ride on its queue: the child still waits, and M_NEAR
    // could have gone to the child.
    let events = [on_duty(&mut w, M_NEAR), w.advance(1)].concat();
    assert_eq!(paged_for(&events, sick), vec![M_NEAR]);
    assert!(paged_for(&events, child).is_empty());
    assert!(
        paged_for(&events, ordinary).is_empty(),
        "no ride while the child waits"
    );
    let solved = events
        .iter()
        .find(|e| e.kind.name() == "storm_solved")
        .expect("the solve ran");
    let why = format!("incident {} not queued on {M_NEAR}", ordinary.0);
    assert!(solved.reason.contains(&why), "{}", solved.reason);
    let page = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::UnitPaged { queue, .. } if e.incident == Some(sick) => Some(queue),
            _ => None,
        })
        .expect("paged");
    assert!(page.is_empty(), "a queue of one: {page:?}");
    // M_FAR comes back: the child, not the ordinary car, gets it.
    let events = [on_duty(&mut w, M_FAR), w.advance(1)].concat();
    assert_eq!(paged_for(&events, child), vec![M_FAR]);
    assert!(paged_for(&events, ordinary).is_empty());
    // M_NEAR frees the sick passenger; nobody special waits now, and the next solve sends it to
    // the ordinary car in the same building.
    for action in [
        CrewAction::Accept { eta_secs: None },
        CrewAction::EnRoute,
        CrewAction::OnScene,
        CrewAction::Released,
    ] {
        w.crew(M_NEAR, sick, action).unwrap();
    }
    let next = w.advance(1);
    assert_eq!(paged_for(&next, ordinary), vec![M_NEAR]);
}

#[test]
fn ordinary_cars_next_door_do_not_let_a_special_case_outbid_one_that_waited_longer() {
    let mut w = storm_world();
    off_duty(&mut w, &[M_NEAR, M_FAR, M_OTHER_CO, M_STALE]);
    declare(&mut w);
    // A child alone 600 m west of M_NEAR's depot; a minute later a passenger ill 600 m east,
    // with two ordinary cars in the same building.
    let (_, child) = alarm(&mut w, street_lift(111, -600.0, 500.0), child());
    w.advance(60);
    let (_, sick) = alarm(&mut w, street_lift(112, 600.0, 500.0), ill());
    w.advance(5);
    let (_, a) = alarm(
        &mut w,
        street_lift(113, 610.0, 500.0),
        AlarmFlags::default(),
    );
    let (_, b) = alarm(
        &mut w,
        street_lift(114, 600.0, 510.0),
        AlarmFlags::default(),
    );
    // Past the mutual-aid delay, the two cars are batched behind the sick passenger.
    wait(&mut w, 181);
    // M_NEAR comes back, as near the one as the other: the child, trapped a minute longer,
    // comes first. The two cars behind the sick passenger add nothing to its claim.
    let events = [on_duty(&mut w, M_NEAR), w.advance(1)].concat();
    assert_eq!(paged_for(&events, child), vec![M_NEAR]);
    for id in [sick, a, b] {
        assert!(paged_for(&events, id).is_empty(), "{id} waits");
    }
    let job = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::StormSolved { jobs, .. } => jobs
                .iter()
                .find(|j| j.incidents.first() == Some(&sick) && j.kind == UnitKind::Maintainer)
                .cloned(),
            _ => None,
        })
        .expect("the sick passenger's job was solved");
    assert_eq!(job.incidents, vec![sick, a, b], "one crew's queue");
    assert_eq!(
        job.weight, 43,
        "the sick passenger's weight alone: 10 + 30 between floors + 3 minutes trapped"
    );
}
