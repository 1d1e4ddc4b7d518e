//! Who gets paged, and what happens when they do not answer.

use super::*;
use crate::index::PassReason;

#[test]
fn a_new_entrapment_pages_the_nearest_fresh_on_duty_contracted_maintainer_and_the_property_staff() {
    let mut w = World::new();
    let id = w.entrapment();
    let events = w.log.clone();
    assert_eq!(kinds(&events)[..2], ["incident_opened", "step_started"]);
    // M_OFF_DUTY (100 m) is off duty, M_STALE (200 m) has a 20-minute-old fix, M_OTHER_CO
    // (300 m) works for another company: the nearest eligible contracted maintainer is M_NEAR.
    assert_eq!(paged(&events), vec![M_NEAR, PROPERTY]);
    let EventKind::UnitPaged {
        candidate,
        passed_over,
        ack_due,
        ..
    } = &events[2].kind
    else {
        panic!("{:?}", events[2])
    };
    assert!(
        (candidate.distance_m - 500.0).abs() < 1.0,
        "{}",
        candidate.distance_m
    );
    // 500 m × 1.4 detour at 24 km/h = 105 s.
    assert_eq!(candidate.eta_secs, 105);
    assert_eq!(*ack_due, w.now + TimeDelta::minutes(3));
    assert!(
        passed_over
            .iter()
            .any(|p| p.unit == M_STALE && matches!(p.why, PassReason::StalePosition { .. }))
    );
    assert_eq!(events[2].step.as_deref(), Some("contracted"));
    assert!(events[2].rules_version.is_some());
    assert_eq!(w.incident(id).status, IncidentStatus::Dispatched);
}

#[test]
fn an_unacknowledged_page_escalates_to_the_next_nearest_maintainer() {
    let mut w = World::new();
    let id = w.entrapment();
    assert!(w.advance(179).is_empty(), "nothing is due before 3 minutes");
    let events = w.advance(1);
    assert_eq!(
        kinds(&events),
        [
            "ack_missed",
            "unit_paged",
            "ack_missed",
            "step_exhausted",
            "needs_operator"
        ]
    );
    assert_eq!(paged(&events), vec![M_FAR]);
    // The property page missed too; its step has nowhere to go, so the console is asked.
    let EventKind::NeedsOperator { why } = &events[4].kind else {
        panic!()
    };
    assert!(why.contains("property"), "{why}");
    assert_eq!(w.incident(id).status, IncidentStatus::Dispatched);
}

#[test]
fn a_step_that_runs_out_of_pages_escalates_to_mutual_aid_and_never_pages_a_unit_twice() {
    let mut w = World::new();
    let id = w.entrapment();
    w.advance(180); // M_NEAR missed, M_FAR paged
    let events = w.advance(180); // M_FAR missed: max_pages 2 used
    assert_eq!(
        kinds(&events)[..4],
        ["ack_missed", "step_exhausted", "step_started", "unit_paged"]
    );
    assert_eq!(started(&events), vec!["mutual_aid"]);
    // Mutual aid pages any company's maintainer: M_OTHER_CO at 300 m is nearest.
    assert_eq!(paged(&events), vec![M_OTHER_CO]);
    let all_contracted: Vec<UnitId> = w
        .log
        .iter()
        .filter(|e| e.step.as_deref() == Some("contracted"))
        .flat_map(|e| paged(std::slice::from_ref(e)))
        .collect();
    assert_eq!(all_contracted, vec![M_NEAR, M_FAR]);
    assert!(w.incident(id).tracks["contracted"].exhausted);
}

#[test]
fn a_decline_pages_the_next_candidate_at_once() {
    let mut w = World::new();
    let id = w.entrapment();
    let events = w.decline(M_NEAR, id, "stuck in another lift");
    assert_eq!(kinds(&events), ["declined", "unit_paged"]);
    assert_eq!(paged(&events), vec![M_FAR]);
    assert!(events[0].reason.contains("stuck in another lift"));
    let empty = w.crew(M_FAR, id, CrewAction::Decline { reason: " ".into() });
    assert_eq!(empty, Err(Rejection::Empty("reason")));
}

#[test]
fn an_acknowledgement_stops_paging_that_track_and_makes_the_unit_busy() {
    let mut w = World::new();
    let id = w.entrapment();
    let events = w
        .crew(
            M_NEAR,
            id,
            CrewAction::Accept {
                eta_secs: Some(300),
            },
        )
        .unwrap();
    assert_eq!(kinds(&events), ["accepted"]);
    assert_eq!(w.incident(id).status, IncidentStatus::Acknowledged);
    // No further acknowledgement deadline for that page: 3 minutes later only the property
    // page is missed.
    let later = w.advance(180);
    assert_eq!(
        kinds(&later),
        ["ack_missed", "step_exhausted", "needs_operator"]
    );
    assert_eq!(later[0].step.as_deref(), Some("property"));
    // A second incident on another lift of the same company cannot page the busy M_NEAR.
    w.alarm_with(
        AlarmSource::Iot,
        Some(lift(2, Some(1))),
        AlarmFlags::default(),
        AlarmStatus::New,
    );
    let second = w.incident_of_last();
    assert_ne!(second, id);
    let contracted: Vec<_> = w
        .log
        .iter()
        .filter(|e| e.incident == Some(second) && e.step.as_deref() == Some("contracted"))
        .flat_map(|e| paged(std::slice::from_ref(e)))
        .collect();
    assert_eq!(contracted, vec![M_FAR]);
}

/// The reason logged with `step`'s exhaustion.
fn exhausted_why(events: &[Event], step: &str) -> String {
    events
        .iter()
        .find(|e| {
            matches!(e.kind, EventKind::StepExhausted { .. }) && e.step.as_deref() == Some(step)
        })
        .map(|e| e.reason.clone())
        .unwrap_or_else(|| panic!("step `{step}` exhausted"))
}

#[test]
fn no_candidate_at_all_escalates_at_once_and_says_why() {
    let mut w = World::new();
    for u in [M_NEAR, M_FAR, M_OTHER_CO, M_STALE] {
        w.run(Command::UnitDuty {
            unit: u,
            on_duty: false,
            why: "storm".into(),
        });
    }
    w.entrapment();
    let events: Vec<Event> = w
        .log
        .iter()
        .filter(|e| e.incident.is_some())
        .cloned()
        .collect();
    // One event exhausts the step and says why; no separate no-candidate row repeats it.
    let why = exhausted_why(&events, "contracted");
    assert!(
        why.contains("contracted")
            && why.contains("unavailable")
            && why.contains("escalating to step `mutual_aid`"),
        "{why}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::NoCandidate { .. })),
        "no step had a page ringing, so none stayed open with a no-candidate event"
    );
    // contracted → mutual_aid (nobody) → fire, all in the same instant.
    assert_eq!(
        started(&events),
        vec!["contracted", "mutual_aid", "fire", "property"]
    );
    assert_eq!(paged(&events), vec![FIRE_NEAR, PROPERTY]);
    assert!(events.iter().all(|e| e.at == w.now));
    assert!(kinds(&events).contains(&"parties_notified"));
}

#[test]
fn a_paged_unit_going_off_duty_is_replaced() {
    let mut w = World::new();
    let id = w.entrapment();
    w.crew(M_NEAR, id, CrewAction::Accept { eta_secs: None })
        .unwrap();
    let events = w.run(Command::UnitDuty {
        unit: M_NEAR,
        on_duty: false,
        why: "phone offline".into(),
    });
    assert_eq!(
        kinds(&events),
        ["unit_duty", "page_cancelled", "unit_paged"]
    );
    assert_eq!(paged(&events), vec![M_FAR]);
    assert!(events[1].reason.contains("phone offline"));
    // Going off duty twice records nothing new.
    assert!(
        w.run(Command::UnitDuty {
            unit: M_NEAR,
            on_duty: false,
            why: "again".into()
        })
        .is_empty()
    );
}

#[test]
fn an_ill_passenger_sends_fire_rescue_at_once_in_parallel() {
    let mut w = World::new();
    let flags = AlarmFlags {
        person_ill: true,
        ..AlarmFlags::default()
    };
    let events = w.alarm_with(
        AlarmSource::Hotline,
        Some(lift(1, Some(1))),
        flags,
        AlarmStatus::New,
    );
    assert_eq!(started(&events), vec!["contracted", "property", "fire"]);
    assert_eq!(paged(&events), vec![M_NEAR, PROPERTY, FIRE_NEAR]);
    let opened = &events[0];
    assert!(
        opened.reason.contains("person_ill") && opened.reason.contains("urgent"),
        "{}",
        opened.reason
    );
}

#[test]
fn a_lift_with_no_maintenance_unit_goes_to_mutual_aid_and_fire_at_once() {
    let mut w = World::new();
    let events = w.alarm_with(
        AlarmSource::Iot,
        Some(lift(3, None)),
        AlarmFlags::default(),
        AlarmStatus::New,
    );
    assert_eq!(
        started(&events),
        vec!["contracted", "mutual_aid", "property", "fire"]
    );
    let why = exhausted_why(&events, "contracted");
    assert!(why.contains("no contracted maintenance company"), "{why}");
    assert_eq!(paged(&events), vec![M_OTHER_CO, PROPERTY, FIRE_NEAR]);
}

#[test]
fn arrival_warns_at_15_minutes_and_a_breach_at_30_calls_fire_rescue_and_notifies_the_bureaus() {
    let mut w = World::new();
    let id = w.entrapment();
    w.accept(M_NEAR, id, 600);
    w.accept(PROPERTY, id, 60);
    assert!(w.advance(15 * 60 - 1).is_empty());
    let warn = w.advance(1);
    assert_eq!(kinds(&warn), ["deadline_warning"]);
    assert_eq!(
        warn[0].kind,
        EventKind::DeadlineWarning {
            deadline: DeadlineKind::Arrive("contracted".into()),
            due: t0() + TimeDelta::minutes(15)
        }
    );
    let breach = w.advance(15 * 60);
    assert_eq!(
        kinds(&breach),
        [
            "deadline_breached",
            "parties_notified",
            "step_started",
            "parties_notified",
            "unit_paged"
        ]
    );
    assert_eq!(started(&breach), vec!["fire"]);
    assert_eq!(paged(&breach), vec![FIRE_NEAR]);
    let EventKind::PartiesNotified { parties } = &breach[1].kind else {
        panic!()
    };
    assert_eq!(parties.len(), 2);
    // The maintainer's assignment keeps going in parallel.
    assert!(
        w.incident(id).tracks["contracted"]
            .page_of(M_NEAR)
            .unwrap()
            .accepted()
    );
}

#[test]
fn a_late_deadline_fires_at_once_and_records_when_it_was_due() {
    let mut w = World::new();
    w.entrapment();
    // The desk was down for 10 minutes: the 3-minute deadlines fire now, once, saying so.
    let events = w.advance(600);
    let missed: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::AckMissed { due, .. } => Some((*due, e.at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        missed[0],
        (t0() + TimeDelta::minutes(3), t0() + TimeDelta::minutes(10))
    );
    assert!(w.advance(0).is_empty(), "nothing fires twice");
}

#[test]
fn a_replayed_older_position_does_not_move_a_unit_back() {
    let mut w = World::new();
    let newer = Fix {
        at: offset(YUZHONG, 0.0, 3000.0),
        taken: t0() + TimeDelta::seconds(30),
    };
    assert!(w.state.update_position(M_NEAR, newer));
    let older = Fix {
        at: offset(YUZHONG, 0.0, 10.0),
        taken: t0() + TimeDelta::seconds(10),
    };
    assert!(!w.state.update_position(M_NEAR, older));
    assert_eq!(w.state.units[&M_NEAR].unit.fix, Some(newer));
    assert_eq!(w.state.index.get(M_NEAR).and_then(|e| e.fix), Some(newer));
}

#[test]
fn a_batch_of_alarms_is_decided_in_order_as_if_one_by_one() {
    let mut w = World::new();
    let alarm = |n: i64, lift: &Lift, channel| Alarm {
        id: AlarmId(100 + n),
        channel,
        source_alarm_id: format!("batch-{n}"),
        lift_ref: LiftRef::Id(lift.id),
        kind: AlarmKind::EntrapmentAtLanding,
        status: AlarmStatus::New,
        flags: AlarmFlags::default(),
        trapped: None,
        floor: None,
        description: String::new(),
        occurred_at: t0(),
        received_at: t0(),
    };
    let (one, two) = (lift(1, Some(1)), lift(2, Some(1)));
    let alarms = vec![
        (
            alarm(1, &one, AlarmSource::CabinPhone),
            Some(Box::new(one.clone())),
        ),
        (
            alarm(2, &one, AlarmSource::Iot),
            Some(Box::new(one.clone())),
        ),
        (
            alarm(3, &two, AlarmSource::Iot),
            Some(Box::new(two.clone())),
        ),
    ];
    let events = w.run(Command::Alarms { alarms });
    let opened: Vec<_> = events
        .iter()
        .filter(|e| e.kind.name() == "incident_opened")
        .map(|e| e.incident)
        .collect();
    assert_eq!(
        opened,
        vec![Some(IncidentId(1)), Some(IncidentId(2))],
        "two lifts, two incidents"
    );
    let joined: Vec<_> = events
        .iter()
        .filter(|e| e.kind.name() == "alarm_joined")
        .map(|e| e.incident)
        .collect();
    assert_eq!(
        joined,
        vec![Some(IncidentId(1))],
        "the IoT alarm for lift 1 joins its new incident"
    );
    let contracted = |id| -> Vec<UnitId> {
        events
            .iter()
            .filter(|e| e.incident == Some(id) && e.step.as_deref() == Some("contracted"))
            .flat_map(|e| paged(std::slice::from_ref(e)))
            .collect()
    };
    assert_eq!(contracted(IncidentId(1)), vec![M_NEAR]);
    assert_eq!(
        contracted(IncidentId(2)),
        vec![M_FAR],
        "a unit paged earlier in the batch is not paged again"
    );
    assert_eq!(w.state.next_incident_id(), IncidentId(3));
}
