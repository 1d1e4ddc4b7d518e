//! The record: rebuilding from it, and rules edits that must not reach incidents in flight.

use super::*;

#[test]
fn rebuilding_from_the_log_gives_the_same_incidents_units_and_deadlines() {
    let mut w = World::new();
    let a = w.entrapment();
    w.accept(M_NEAR, a, 300);
    w.advance(200);
    let flags = AlarmFlags {
        person_ill: true,
        ..AlarmFlags::default()
    };
    w.alarm_with(
        AlarmSource::Hotline,
        Some(lift(2, Some(2))),
        flags,
        AlarmStatus::New,
    );
    w.run(Command::UnitDuty {
        unit: M_FAR,
        on_duty: false,
        why: "shift ended".into(),
    });

    let mut rebuilt = World::new();
    for e in &w.log {
        apply(&mut rebuilt.state, e);
    }
    assert_eq!(rebuilt.state.incidents, w.state.incidents);
    // Positions are live data, not events; duty and assignments come back from the log.
    let duty = |w: &World| -> std::collections::BTreeMap<UnitId, (bool, Vec<IncidentId>)> {
        w.state
            .units
            .values()
            .map(|u| {
                (
                    u.unit.id,
                    (u.unit.on_duty, u.held_by.iter().copied().collect()),
                )
            })
            .collect()
    };
    assert_eq!(duty(&rebuilt), duty(&w));
    assert!(duty(&w).values().any(|(_, held)| !held.is_empty()));
    assert_eq!(rebuilt.state.next_due(), w.state.next_due());
    assert_eq!(rebuilt.state.next_incident_id(), w.state.next_incident_id());
    // And it decides the same from here.
    rebuilt.now = w.now;
    assert_eq!(rebuilt.advance(3600), w.advance(3600));
}

#[test]
fn a_rules_edit_does_not_change_an_incident_in_flight() {
    let mut w = World::new();
    let id = w.entrapment();
    let version = w.incident(id).chain.rules_version.clone();
    // Someone lengthens every acknowledgement to 10 minutes.
    w.state.rules = rules(&RULES.replace("acknowledge = \"3m\"", "acknowledge = \"10m\""));
    assert_ne!(w.state.rules.version, version);
    let events = w.advance(180);
    assert_eq!(
        kinds(&events)[0],
        "ack_missed",
        "the incident keeps its 3-minute snapshot"
    );
    assert!(
        events
            .iter()
            .all(|e| e.rules_version.as_ref() == Some(&version))
    );
    // A new incident on another lift runs on the new rules.
    w.alarm_with(
        AlarmSource::Iot,
        Some(lift(2, Some(1))),
        AlarmFlags::default(),
        AlarmStatus::New,
    );
    let second = w.incident_of_last();
    assert_ne!(w.incident(second).chain.rules_version, version);
}

#[test]
fn a_step_may_repeat_a_unit_only_when_the_rules_say_so() {
    let repeat = RULES.replace(
        "[chains.entrapment.steps.contracted]\nlevel = 1\npage = \"contracted_maintainer\"\nmax_pages = 2",
        "[chains.entrapment.steps.contracted]\nlevel = 1\npage = \"contracted_maintainer\"\nmax_pages = 3\nrepeat = true",
    );
    assert_ne!(repeat, RULES);
    let mut w = World::with_rules(rules(&repeat));
    w.entrapment();
    w.advance(180); // M_NEAR missed → M_FAR
    let third = w.advance(180); // M_FAR missed → nobody new: repeat M_NEAR
    assert_eq!(paged(&third), vec![M_NEAR]);

    let mut strict = World::new();
    strict.entrapment();
    strict.advance(180);
    let events = strict.advance(180);
    assert!(!paged(&events).contains(&M_NEAR));
}

#[test]
fn every_event_names_its_actor_time_step_and_reason() {
    let mut w = World::new();
    let id = w.entrapment();
    w.crew(M_NEAR, id, CrewAction::Accept { eta_secs: None })
        .unwrap();
    w.advance(180);
    for e in w.log.iter().filter(|e| e.incident.is_some()) {
        assert!(!e.reason.is_empty(), "{e:?}");
        if matches!(
            e.kind,
            EventKind::UnitPaged { .. } | EventKind::AckMissed { .. } | EventKind::Accepted { .. }
        ) {
            assert!(e.step.is_some(), "{e:?}");
        }
    }
    let accepted = w
        .log
        .iter()
        .find(|e| matches!(e.kind, EventKind::Accepted { .. }))
        .unwrap();
    assert_eq!(accepted.actor, Actor::Unit(M_NEAR));
    // Events survive a JSON round trip (the log stores them so).
    for e in &w.log {
        let back: Event = serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap();
        assert_eq!(&back, e);
    }
}
