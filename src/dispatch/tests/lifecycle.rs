//! From the alarm to the closed incident, and the actions that do not fit.

use super::*;

#[test]
fn a_full_rescue_runs_from_alarm_to_close() {
    let mut w = World::new();
    let id = w.entrapment();
    w.accept(M_NEAR, id, 420);
    w.now += TimeDelta::minutes(2);
    w.crew(M_NEAR, id, CrewAction::EnRoute).unwrap();
    assert_eq!(w.incident(id).status, IncidentStatus::EnRoute);
    w.now += TimeDelta::minutes(8);
    w.crew(M_NEAR, id, CrewAction::OnScene).unwrap();
    assert_eq!(w.incident(id).status, IncidentStatus::OnScene);
    w.now += TimeDelta::minutes(4);
    let released = w.crew(M_NEAR, id, CrewAction::Released).unwrap();
    // The property page still pending is stood down.
    assert_eq!(kinds(&released), ["crew_progress", "page_cancelled"]);
    assert_eq!(w.incident(id).released_at, Some(w.now));
    assert!(
        w.state.units[&M_NEAR].held_by.is_empty(),
        "released units are free again"
    );
    assert!(w.state.index.get(M_NEAR).unwrap().available);
    w.crew(
        M_NEAR,
        id,
        CrewAction::FaultCause {
            code: "door-lock".into(),
            text: "landing door lock contact worn".into(),
        },
    )
    .unwrap();
    w.operator(
        id,
        OperatorAction::ConfirmRelease {
            note: "caller confirms all 3 out".into(),
        },
    )
    .unwrap();
    let closed = w.operator(id, OperatorAction::Close).unwrap();
    assert_eq!(
        closed[0].kind,
        EventKind::Closed {
            fault_cause_filed: true
        }
    );
    assert_eq!(w.incident(id).status, IncidentStatus::Closed);
    assert_eq!(
        w.state.next_due(),
        None,
        "a closed incident has no deadlines"
    );
    assert!(
        w.log
            .iter()
            .filter(|e| e.incident == Some(id))
            .all(|e| e.rules_version.is_some())
    );
}

#[test]
fn the_release_confirmation_callback_warns_then_breaches() {
    let mut w = World::new();
    let id = w.entrapment();
    w.crew(M_NEAR, id, CrewAction::Accept { eta_secs: None })
        .unwrap();
    w.crew(M_NEAR, id, CrewAction::OnScene).unwrap();
    w.crew(M_NEAR, id, CrewAction::Released).unwrap();
    assert_eq!(kinds(&w.advance(300)), ["deadline_warning"]);
    let breach = w.advance(300);
    assert_eq!(
        breach[0].kind,
        EventKind::DeadlineBreached {
            deadline: DeadlineKind::Confirm,
            due: t0() + TimeDelta::minutes(10)
        }
    );
}

#[test]
fn a_cabin_phone_call_and_an_iot_alarm_for_one_lift_are_one_incident_and_cleared_does_not_close_it()
{
    let mut w = World::new();
    let id = w.entrapment();
    let joined = w.alarm_with(
        AlarmSource::Iot,
        Some(lift(1, Some(1))),
        AlarmFlags::default(),
        AlarmStatus::New,
    );
    assert_eq!(kinds(&joined), ["alarm_joined"]);
    assert_eq!(joined[0].incident, Some(id));
    let cleared = w.alarm_with(
        AlarmSource::Iot,
        Some(lift(1, Some(1))),
        AlarmFlags::default(),
        AlarmStatus::Cleared,
    );
    assert_eq!(kinds(&cleared), ["alarm_joined"]);
    assert!(cleared[0].reason.contains("cleared"));
    assert_eq!(w.incident(id).status, IncidentStatus::Dispatched);
    assert_eq!(w.incident(id).alarms.len(), 3);
}

#[test]
fn an_alarm_long_after_the_release_opens_a_new_incident_but_a_late_duplicate_joins() {
    let mut w = World::new();
    let id = w.entrapment();
    w.crew(M_NEAR, id, CrewAction::Accept { eta_secs: None })
        .unwrap();
    w.crew(M_NEAR, id, CrewAction::OnScene).unwrap();
    w.crew(M_NEAR, id, CrewAction::Released).unwrap();
    w.now += TimeDelta::minutes(9);
    let late = w.alarm_with(
        AlarmSource::Iot,
        Some(lift(1, Some(1))),
        AlarmFlags::default(),
        AlarmStatus::New,
    );
    assert_eq!(
        late[0].incident,
        Some(id),
        "within the 10-minute correlation window"
    );
    w.now += TimeDelta::minutes(2);
    let again = w.alarm_with(
        AlarmSource::CabinPhone,
        Some(lift(1, Some(1))),
        AlarmFlags::default(),
        AlarmStatus::New,
    );
    assert_eq!(kinds(&again)[0], "incident_opened");
    assert_ne!(again[0].incident, Some(id));
}

#[test]
fn a_joining_alarm_reporting_a_child_alone_starts_fire_rescue_at_once() {
    let mut w = World::new();
    let id = w.entrapment();
    let flags = AlarmFlags {
        child_alone: true,
        ..AlarmFlags::default()
    };
    let events = w.alarm_with(
        AlarmSource::Hotline,
        Some(lift(1, Some(1))),
        flags,
        AlarmStatus::New,
    );
    assert_eq!(started(&events), vec!["fire"]);
    assert_eq!(paged(&events), vec![FIRE_NEAR]);
    assert!(events[1].reason.contains("child_alone"));
    // The same flag again starts nothing more.
    let again = w.alarm_with(
        AlarmSource::Iot,
        Some(lift(1, Some(1))),
        flags,
        AlarmStatus::New,
    );
    assert_eq!(kinds(&again), ["alarm_joined"]);
    assert_eq!(w.incident(id).flags, flags);
}

#[test]
fn an_alarm_for_an_unknown_lift_is_kept_and_asks_the_operator() {
    let mut w = World::new();
    let events = w.alarm_with(
        AlarmSource::CabinPhone,
        None,
        AlarmFlags::default(),
        AlarmStatus::New,
    );
    assert_eq!(kinds(&events), ["incident_opened", "needs_operator"]);
    let id = events[0].incident.unwrap();
    assert!(
        w.incident(id)
            .needs_operator
            .as_deref()
            .unwrap()
            .contains("999999")
    );
    // A second call from the same unknown reference joins it rather than opening another.
    let again = w.alarm_with(
        AlarmSource::CabinPhone,
        None,
        AlarmFlags::default(),
        AlarmStatus::New,
    );
    assert_eq!(kinds(&again), ["alarm_joined"]);
    // The operator can still send someone by hand.
    let assigned = w
        .operator(
            id,
            OperatorAction::Assign {
                unit: FIRE_FAR,
                reason: "caller says Jiefangbei".into(),
            },
        )
        .unwrap();
    assert_eq!(paged(&assigned), vec![FIRE_FAR]);
}

#[test]
fn out_of_order_crew_actions_are_refused_and_change_nothing() {
    let mut w = World::new();
    let id = w.entrapment();
    let before = w.log.len();
    assert!(matches!(
        w.crew(M_NEAR, id, CrewAction::EnRoute),
        Err(Rejection::OutOfOrder { .. })
    ));
    assert!(matches!(
        w.crew(M_FAR, id, CrewAction::Accept { eta_secs: None }),
        Err(Rejection::NotPaged(..))
    ));
    assert!(matches!(
        w.crew(M_NEAR, IncidentId(99), CrewAction::OnScene),
        Err(Rejection::UnknownIncident(_))
    ));
    w.crew(M_NEAR, id, CrewAction::Accept { eta_secs: None })
        .unwrap();
    assert!(matches!(
        w.crew(M_NEAR, id, CrewAction::Released),
        Err(Rejection::OutOfOrder { .. })
    ));
    let again = w.crew(M_NEAR, id, CrewAction::Accept { eta_secs: None });
    assert!(
        matches!(&again, Err(Rejection::OutOfOrder { why, .. }) if why == "the page is accepted"),
        "{again:?}"
    );
    w.crew(M_NEAR, id, CrewAction::OnScene).unwrap();
    let late = w.crew(M_NEAR, id, CrewAction::Accept { eta_secs: None });
    assert!(
        matches!(&late, Err(Rejection::OutOfOrder { why, .. }) if why == "the page is accepted (on_scene)"),
        "{late:?}"
    );
    assert!(matches!(
        w.crew(M_NEAR, id, CrewAction::EnRoute),
        Err(Rejection::OutOfOrder { .. })
    ));
    assert!(matches!(
        w.operator(id, OperatorAction::Close),
        Err(Rejection::OutOfOrder { .. })
    ));
    assert!(matches!(
        w.operator(
            id,
            OperatorAction::ConfirmRelease {
                note: String::new()
            }
        ),
        Err(Rejection::OutOfOrder { .. })
    ));
    assert_eq!(
        w.log.len(),
        before + 2,
        "only the accept and on-scene were recorded"
    );
}

#[test]
fn an_expired_page_cannot_be_accepted() {
    let mut w = World::new();
    let id = w.entrapment();
    w.advance(180);
    let e = w
        .crew(M_NEAR, id, CrewAction::Accept { eta_secs: None })
        .unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");
}

#[test]
fn the_operator_can_assign_a_named_unit_note_and_cancel_with_a_reason() {
    let mut w = World::new();
    let id = w.entrapment();
    let assigned = w
        .operator(
            id,
            OperatorAction::Assign {
                unit: M_OTHER_CO,
                reason: "knows this building".into(),
            },
        )
        .unwrap();
    assert_eq!(paged(&assigned), vec![M_OTHER_CO]);
    assert_eq!(assigned[0].actor, Actor::Operator("op1".into()));
    assert!(matches!(
        w.operator(
            id,
            OperatorAction::Assign {
                unit: M_OFF_DUTY,
                reason: "x".into()
            }
        ),
        Err(Rejection::OutOfOrder { .. })
    ));
    assert!(matches!(
        w.operator(
            id,
            OperatorAction::Assign {
                unit: UnitId(404),
                reason: "x".into()
            }
        ),
        Err(Rejection::UnknownUnit(_))
    ));
    w.operator(
        id,
        OperatorAction::Note {
            text: "caller is calm, 2 adults".into(),
        },
    )
    .unwrap();
    assert_eq!(
        w.operator(id, OperatorAction::Cancel { reason: "".into() }),
        Err(Rejection::Empty("reason"))
    );
    let ended = w
        .operator(
            id,
            OperatorAction::FalseAlarm {
                reason: "children pressed the button".into(),
            },
        )
        .unwrap();
    assert_eq!(
        kinds(&ended),
        [
            "page_cancelled",
            "page_cancelled",
            "page_cancelled",
            "false_alarm"
        ]
    );
    assert_eq!(w.incident(id).status, IncidentStatus::FalseAlarm);
    assert!(w.state.units.values().all(|u| u.held_by.is_empty()));
    assert_eq!(w.state.next_due(), None);
    assert!(matches!(
        w.operator(
            id,
            OperatorAction::Note {
                text: "late".into()
            }
        ),
        Err(Rejection::Ended(..))
    ));
    // The lift has no open incident now: a new alarm opens a new one.
    let next = w.entrapment();
    assert_ne!(next, id);
}

#[test]
fn a_unit_the_operator_assigns_again_after_a_decline_gets_a_new_page() {
    let mut w = World::new();
    let id = w.entrapment();
    let assign = || OperatorAction::Assign {
        unit: M_OTHER_CO,
        reason: "closest crew".into(),
    };
    w.operator(id, assign()).unwrap();
    let declined = w.decline(M_OTHER_CO, id, "no ladder");
    // An operator page that is declined has nowhere to escalate: the console is asked.
    assert_eq!(
        kinds(&declined),
        ["declined", "step_exhausted", "needs_operator"]
    );
    let again = w.operator(id, assign()).unwrap();
    assert_eq!(started(&again), vec!["operator:3#2"]);
    w.crew(M_OTHER_CO, id, CrewAction::Accept { eta_secs: None })
        .unwrap();
    assert_eq!(w.incident(id).status, IncidentStatus::Acknowledged);
}
