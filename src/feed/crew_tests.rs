use super::*;
use crate::domain::candidate::Candidate;
use crate::domain::{Actor, storm::Triage};

const ME: UnitId = UnitId(3);
const OTHER: UnitId = UnitId(4);

fn event(incident: Option<i64>, kind: EventKind) -> Event {
    Event {
        incident: incident.map(IncidentId),
        at: chrono::DateTime::UNIX_EPOCH,
        actor: Actor::System,
        step: None,
        rules_version: None,
        reason: String::new(),
        kind,
    }
}

fn paged(incident: i64, unit: UnitId, queue: &[i64]) -> Event {
    let candidate = Candidate {
        unit,
        distance_m: 100.0,
        eta_secs: 300,
        fix_taken: None,
        from_base: true,
        why: "nearest".into(),
    };
    let kind = EventKind::UnitPaged {
        candidate,
        passed_over: vec![],
        ack_due: chrono::DateTime::UNIX_EPOCH,
        seen: None,
        queue: queue.iter().copied().map(IncidentId).collect(),
    };
    event(Some(incident), kind)
}

fn triaged(incident: i64) -> Event {
    let triage = Triage {
        tier: 1,
        score: 5,
        reasons: vec![],
        why: vec![],
    };
    event(
        Some(incident),
        EventKind::IncidentTriaged { storm: 1, triage },
    )
}

#[test]
fn a_page_offered_to_the_unit_is_told_with_its_incident_and_type_only() {
    let mut scope = CrewScope::new(ME, []);
    let news = scope.admit(7, &paged(11, ME, &[11, 12]));
    let expected = CrewNews {
        seq: 7,
        incident: Some(IncidentId(11)),
        kind: "unit_paged",
    };
    assert_eq!(news, Some(expected));
    let json = serde_json::to_string(&news).unwrap_or_default();
    assert_eq!(json, r#"{"seq":7,"incident":11,"type":"unit_paged"}"#);
}

#[test]
fn another_units_events_are_not_told_but_its_acceptance_on_the_units_incident_is_news() {
    let mut scope = CrewScope::new(ME, [IncidentId(11)]);
    assert_eq!(scope.admit(1, &paged(11, OTHER, &[])), None);
    assert_eq!(scope.admit(2, &paged(12, OTHER, &[])), None);
    let accepted = || EventKind::Accepted {
        unit: OTHER,
        eta_secs: None,
    };
    // On this unit's incident the card's status moves: news, naming no unit.
    let news = scope.admit(3, &event(Some(11), accepted()));
    let expected = CrewNews {
        seq: 3,
        incident: Some(IncidentId(11)),
        kind: "accepted",
    };
    assert_eq!(news, Some(expected));
    // On another incident: nothing.
    assert_eq!(scope.admit(4, &event(Some(12), accepted())), None);
    let duty = EventKind::UnitDuty {
        unit: OTHER,
        on_duty: false,
    };
    assert_eq!(scope.admit(5, &event(None, duty)), None);
}

#[test]
fn the_units_own_answers_withdrawals_and_duty_are_told_but_not_deliveries() {
    let mut scope = CrewScope::new(ME, []);
    let own = [
        EventKind::Declined { unit: ME },
        EventKind::PageCancelled { unit: ME },
        EventKind::AckMissed {
            unit: ME,
            due: chrono::DateTime::UNIX_EPOCH,
        },
        EventKind::UnitDuty {
            unit: ME,
            on_duty: true,
        },
    ];
    for (n, kind) in own.into_iter().enumerate() {
        assert!(scope.admit(n as i64, &event(Some(11), kind)).is_some());
    }
    let delivery = EventKind::Delivery {
        unit: ME,
        message: "11:a:3:1:sms:1".into(),
        channel: "sms".into(),
        status: "delivered".into(),
        detail: String::new(),
    };
    assert_eq!(scope.admit(9, &event(Some(11), delivery)), None);
}

#[test]
fn an_incidents_own_changes_are_told_only_once_it_is_the_units() {
    let mut scope = CrewScope::new(ME, [IncidentId(5)]);
    assert!(
        scope.admit(1, &triaged(5)).is_some(),
        "held when the stream opened"
    );
    assert_eq!(scope.admit(2, &triaged(11)), None, "not yet the unit's");
    scope.admit(3, &paged(11, ME, &[]));
    assert!(scope.admit(4, &triaged(11)).is_some(), "paged since");
    let note = EventKind::Note { text: "x".into() };
    assert_eq!(scope.admit(5, &event(Some(11), note)), None, "notes stay");
    assert_eq!(scope.admit(6, &event(None, EventKind::Cancelled)), None);
}

#[test]
fn an_ended_incident_is_told_once_and_then_no_longer_the_units() {
    let mut scope = CrewScope::new(ME, [IncidentId(5)]);
    let told = scope.admit(1, &event(Some(5), EventKind::Cancelled));
    assert_eq!(told.map(|n| n.kind), Some("cancelled"));
    assert_eq!(scope.admit(2, &triaged(5)), None);
    assert_eq!(scope.unit(), ME);
}

#[test]
fn a_replay_asks_only_about_unknown_incidents_changes_once_each() {
    let mut scope = CrewScope::new(ME, [IncidentId(5)]);
    let events = [
        triaged(5),
        triaged(11),
        event(Some(12), EventKind::Cancelled),
        triaged(11),
        paged(13, OTHER, &[]),
        event(Some(14), EventKind::Note { text: "x".into() }),
    ];
    assert_eq!(scope.unknown(&events), [IncidentId(11), IncidentId(12)]);
    scope.hold(IncidentId(12));
    assert_eq!(scope.unknown(&events), [IncidentId(11)]);
    assert!(scope.admit(3, &events[2]).is_some(), "told once held");
}

#[test]
fn an_incident_the_unit_declined_is_its_own_no_longer_until_paged_again() {
    let mut scope = CrewScope::new(ME, []);
    assert!(scope.admit(1, &paged(11, ME, &[])).is_some());
    let released = || EventKind::ReleaseConfirmed;
    assert!(scope.admit(2, &event(Some(11), released())).is_some());
    let declined = EventKind::Declined { unit: ME };
    assert!(
        scope.admit(3, &event(Some(11), declined)).is_some(),
        "its own answer"
    );
    assert_eq!(scope.admit(4, &event(Some(11), released())), None);
    assert!(scope.admit(5, &paged(11, ME, &[])).is_some());
    assert!(scope.admit(6, &event(Some(11), released())).is_some());
    let missed = EventKind::AckMissed {
        unit: ME,
        due: chrono::DateTime::UNIX_EPOCH,
    };
    assert!(scope.admit(7, &event(Some(11), missed)).is_some());
    assert_eq!(scope.admit(8, &event(Some(11), released())), None);
    // A withdrawn page keeps the incident: its end still reaches the crew.
    assert!(scope.admit(9, &paged(11, ME, &[])).is_some());
    let withdrawn = EventKind::PageCancelled { unit: ME };
    assert!(scope.admit(10, &event(Some(11), withdrawn)).is_some());
    let ended = EventKind::Cancelled;
    assert!(scope.admit(11, &event(Some(11), ended)).is_some());
}
