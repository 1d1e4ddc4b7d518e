//! The operator's unresolved-lift path: an alarm nobody could place asks the operator, who
//! attaches the lift once the caller has said which it is; and the words on the record.

use super::*;
use crate::dispatch::deadline::{DueWhat, due_items};

/// The shipped rules: Chongqing lifts run `districted-city.toml` (30 min arrival); an
/// incident whose lift is unknown runs the default `other-areas.toml` (1 h).
fn shipped() -> World {
    let rules = RuleSet::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/dispatch-rules"))
        .expect("the shipped rules load");
    World::with_rules(Arc::new(rules))
}

const UNKNOWN_PHONE: &str = "02363001234";

/// A passenger alarm from a cabin phone nobody registered; returns the incident.
fn unknown_phone_alarm(w: &mut World, source_id: &str) -> Vec<Event> {
    let alarm = Alarm {
        id: AlarmId(w.log.len() as i64 + 100),
        channel: AlarmSource::CabinPhone,
        source_alarm_id: source_id.into(),
        lift_ref: LiftRef::Phone(PhoneNumber::parse(UNKNOWN_PHONE).unwrap()),
        kind: AlarmKind::PassengerAlarm,
        status: AlarmStatus::New,
        flags: AlarmFlags::default(),
        trapped: None,
        floor: None,
        description: String::new(),
        occurred_at: w.now,
        received_at: w.now,
    };
    w.run(Command::Alarm { alarm, lift: None })
}

fn attach(w: &mut World, id: IncidentId, l: &Lift) -> Result<Vec<Event>, Rejection> {
    w.operator(
        id,
        OperatorAction::AttachLift {
            lift: Box::new(l.clone()),
            by: LiftRef::RescueCode(l.rescue_code.clone()),
        },
    )
}

#[test]
fn an_unknown_cabin_phone_alarm_gets_its_lift_from_the_operator_and_runs_the_citys_chain() {
    let mut w = shipped();
    let opened = unknown_phone_alarm(&mut w, "call-1");
    assert_eq!(kinds(&opened), ["incident_opened", "needs_operator"]);
    let id = opened[0].incident.unwrap();
    assert_eq!(w.incident(id).chain.file, "other-areas");
    assert!(
        opened[1]
            .reason
            .starts_with("lift unresolved (received cabin phone 02363001234)"),
        "{}",
        opened[1].reason
    );
    assert!(
        opened[0]
            .reason
            .starts_with("cabin phone alarm (source id call-1)")
    );

    // Two minutes later the caller reads out the rescue code.
    w.now += TimeDelta::minutes(2);
    let l = lift(1, Some(1));
    let events = attach(&mut w, id, &l).unwrap();
    assert_eq!(
        kinds(&events),
        [
            "lift_attached",
            "step_started",
            "unit_paged",
            "step_started",
            "unit_paged"
        ]
    );
    let reason = &events[0].reason;
    for needle in [
        "operator op1 identified the lift from rescue code 035301",
        "lift 1 (rescue code 035301, 1 Minzu Road, Block 1, Car A)",
        "[passenger_alarm, district 500103]",
        "chain `entrapment` of rules `districted-city`",
    ] {
        assert!(reason.contains(needle), "`{needle}` missing from: {reason}");
    }
    assert_eq!(events[0].actor, Actor::Operator("op1".into()));
    let EventKind::LiftAttached { chain, .. } = &events[0].kind else {
        unreachable!()
    };
    assert_eq!(chain.file, "districted-city");

    // The contracted maintainer is paged with a real distance and ETA.
    assert_eq!(paged(&events), [M_NEAR, PROPERTY]);
    let EventKind::UnitPaged { candidate, .. } = &events[2].kind else {
        unreachable!()
    };
    assert!(
        (450.0..550.0).contains(&candidate.distance_m),
        "{candidate:?}"
    );
    assert!(candidate.eta_secs > 60, "{candidate:?}");

    let i = w.incident(id);
    assert_eq!(i.lift.as_ref().map(|l| l.id), Some(LiftId(1)));
    assert_eq!(i.chain.file, "districted-city");
    assert_eq!(i.needs_operator, None);
    // The city's arrival clock runs: breach 30 minutes after the page, not the default 1 h.
    let arrive = due_items(i).into_iter().find(|d| {
        matches!(&d.what, DueWhat::Deadline { kind: DeadlineKind::Arrive(s), breach: true, .. } if s == "contracted")
    });
    assert_eq!(arrive.map(|d| d.at), Some(w.now + TimeDelta::minutes(30)));

    // Alarms for that lift join it now, and so do further calls from the unknown phone.
    let iot = w.alarm_with(
        AlarmSource::Iot,
        Some(l.clone()),
        AlarmFlags::default(),
        AlarmStatus::New,
    );
    assert_eq!(kinds(&iot), ["alarm_joined"]);
    assert!(
        iot[0].reason.starts_with("IoT terminal alarm (source id"),
        "{}",
        iot[0].reason
    );
    let again = unknown_phone_alarm(&mut w, "call-2");
    assert_eq!(
        (kinds(&again), again[0].incident),
        (vec!["alarm_joined"], Some(id))
    );

    // The record rebuilds the same incident.
    let mut rebuilt = shipped();
    for e in &w.log {
        apply(&mut rebuilt.state, e);
    }
    assert_eq!(rebuilt.state.incidents, w.state.incidents);
    for e in &w.log {
        assert_in_words(&e.reason);
    }
}

#[test]
fn attaching_is_refused_with_a_reason_and_changes_nothing() {
    let mut w = shipped();
    let resolved = w.entrapment();
    let open = unknown_phone_alarm(&mut w, "call-1")[0].incident.unwrap();
    let before = (w.log.len(), w.state.incidents.clone());
    let unchanged = |w: &World| assert_eq!((w.log.len(), w.state.incidents.clone()), before);

    let r = attach(&mut w, IncidentId(99), &lift(2, Some(2)));
    assert!(
        matches!(r, Err(Rejection::UnknownIncident(IncidentId(99)))),
        "{r:?}"
    );
    unchanged(&w);
    let r = attach(&mut w, resolved, &lift(2, Some(2))).unwrap_err();
    assert!(r.to_string().contains("already has lift 1"), "{r}");
    unchanged(&w);
    // Lift 1 is held by the first incident: alarms for it join that one, so the operator is
    // told its number.
    let r = attach(&mut w, open, &lift(1, Some(1))).unwrap_err();
    assert!(matches!(r, Rejection::OutOfOrder { .. }), "{r:?}");
    assert!(
        r.to_string()
            .contains("incident 1 is already open for lift 1"),
        "{r}"
    );
    unchanged(&w);

    w.operator(
        open,
        OperatorAction::Cancel {
            reason: "test call".into(),
        },
    )
    .unwrap();
    let before = w.log.len();
    let r = attach(&mut w, open, &lift(2, Some(2)));
    assert!(
        matches!(r, Err(Rejection::Ended(_, IncidentStatus::Cancelled))),
        "{r:?}"
    );
    assert_eq!(w.log.len(), before);
}

#[test]
fn a_hand_assigned_unit_gets_its_distance_and_the_chains_arrival_clock() {
    let mut w = shipped();
    // Resolved: the real distance, and the chain's 30 min for a maintainer.
    let id = w.entrapment();
    let events = w
        .operator(
            id,
            OperatorAction::Assign {
                unit: M_OTHER_CO,
                reason: "knows the building".into(),
            },
        )
        .unwrap();
    let EventKind::UnitPaged { candidate, .. } = &events[1].kind else {
        unreachable!()
    };
    assert!(
        (250.0..350.0).contains(&candidate.distance_m),
        "{candidate:?}"
    );
    assert!(candidate.eta_secs > 0);
    let track = &w.incident(id).tracks["operator:3"];
    assert_eq!(track.step.arrive.map(|d| d.limit.0.as_secs()), Some(1800));
    assert_eq!(track.step.on_arrive_breach.as_deref(), Some("fire"));

    // Unresolved: no distance to tell, the default chain's clock until the lift is attached,
    // then the city's.
    let open = unknown_phone_alarm(&mut w, "call-1")[0].incident.unwrap();
    let events = w
        .operator(
            open,
            OperatorAction::Assign {
                unit: M_FAR,
                reason: "caller says Minzu Road".into(),
            },
        )
        .unwrap();
    assert!(
        events[1]
            .reason
            .contains("distance unknown: the lift is unresolved")
    );
    let hour = |w: &World| {
        w.incident(open).tracks["operator:2"]
            .step
            .arrive
            .map(|d| d.limit.0.as_secs())
    };
    assert_eq!(hour(&w), Some(3600));
    let events = attach(&mut w, open, &lift(2, Some(2))).unwrap();
    assert_eq!(hour(&w), Some(1800));
    assert_eq!(
        w.incident(open).page_of(M_FAR).map(|p| p.distance_m),
        Some(0.0)
    );
    // The chain pages the contracted maintainer too; the hand-assigned one is not paged twice.
    assert!(!paged(&events).contains(&M_FAR), "{:?}", paged(&events));
}

#[test]
fn a_lift_attached_after_the_release_goes_on_the_record_and_pages_nobody() {
    let mut w = shipped();
    let id = unknown_phone_alarm(&mut w, "call-1")[0].incident.unwrap();
    let assign = OperatorAction::Assign {
        unit: M_FAR,
        reason: "caller says Minzu Road".into(),
    };
    w.operator(id, assign).unwrap();
    for action in [
        CrewAction::Accept { eta_secs: None },
        CrewAction::OnScene,
        CrewAction::Released,
    ] {
        w.crew(M_FAR, id, action).unwrap();
    }
    let events = attach(&mut w, id, &lift(1, Some(1))).unwrap();
    assert_eq!(kinds(&events), ["lift_attached"]);
    assert!(
        events[0]
            .reason
            .ends_with("the passengers are already out, so nobody is paged")
    );
    assert_eq!(w.incident(id).lift.as_ref().map(|l| l.id), Some(LiftId(1)));
    assert_eq!(w.incident(id).status, IncidentStatus::Released);
}
