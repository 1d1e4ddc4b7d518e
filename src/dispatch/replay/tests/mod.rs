//! Replays of stories told on the pure core: identical when nothing was touched, and the
//! first touched decision named when something was.

mod property;

use super::{Logged, Replay, replay};
use crate::dispatch::tests::*;
use crate::dispatch::{Command, CrewAction, OperatorAction};
use crate::domain::*;

/// The world's log as the store would number it.
pub(super) fn logged(w: &World) -> Vec<Logged> {
    w.log
        .iter()
        .enumerate()
        .map(|(i, e)| Logged {
            seq: i as i64 + 1,
            event: e.clone(),
        })
        .collect()
}

/// Every incident in the log, replayed.
pub(super) fn replay_all(log: &[Logged]) -> Vec<Replay> {
    let mut ids: Vec<IncidentId> = log.iter().filter_map(|l| l.event.incident).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter().map(|id| replay(id, log)).collect()
}

fn accept(w: &mut World, unit: UnitId, id: IncidentId) {
    let eta = CrewAction::Accept {
        eta_secs: Some(420),
    };
    w.crew(unit, id, eta).expect("accepted");
}

/// A rescue with a decline, a missed acknowledgement, an arrival warning, a note and the
/// whole crew progress to a closed incident.
fn full_rescue() -> (World, IncidentId) {
    let mut w = World::new();
    let id = w.entrapment();
    let decline = CrewAction::Decline {
        reason: "stuck in traffic".into(),
    };
    w.crew(M_NEAR, id, decline).unwrap();
    w.advance(181); // M_FAR misses its acknowledgement: mutual aid pages on
    let paged_now = w.incident(id).held_units().collect::<Vec<_>>();
    for u in paged_now {
        let _ = w.crew(u, id, CrewAction::Accept { eta_secs: None });
    }
    w.advance(15 * 60);
    let note = OperatorAction::Note {
        text: "caller says two people inside".into(),
    };
    w.operator(id, note).unwrap();
    let accepted: Vec<UnitId> = w.incident(id).held_units().collect();
    for u in &accepted {
        let _ = w.crew(*u, id, CrewAction::EnRoute);
        let _ = w.crew(*u, id, CrewAction::OnScene);
    }
    let _ = w.crew(accepted[0], id, CrewAction::Released);
    let confirm = OperatorAction::ConfirmRelease {
        note: "called back: all out".into(),
    };
    w.operator(id, confirm).unwrap();
    w.operator(id, OperatorAction::Close).unwrap();
    (w, id)
}

#[test]
fn a_full_rescue_replays_identical() {
    let (w, id) = full_rescue();
    let log = logged(&w);
    let r = replay(id, &log);
    assert!(r.identical, "{}", r.words());
    let events = log.iter().filter(|l| l.event.incident == Some(id)).count();
    assert_eq!(r.decisions, events);
    assert!(r.inputs >= 10 && r.inputs < events, "{r:?}");
    assert_eq!(
        r.words(),
        format!(
            "{id}: replayed {events} decisions from {} inputs, identical",
            r.inputs
        )
    );
}

#[test]
fn an_edited_candidate_distance_names_that_decision_and_the_field() {
    let (w, id) = full_rescue();
    let mut log = logged(&w);
    // The second page of the incident: someone makes the unit look nearer than it was.
    let (seq, was) = log
        .iter_mut()
        .filter(|l| l.event.incident == Some(id))
        .filter_map(|l| match &mut l.event.kind {
            EventKind::UnitPaged { candidate, .. } => Some((l.seq, candidate)),
            _ => None,
        })
        .nth(1)
        .map(|(seq, c)| {
            let was = c.distance_m;
            c.distance_m = 120.0;
            (seq, was)
        })
        .unwrap();
    let r = replay(id, &log);
    assert!(!r.identical);
    let d = r.difference.clone().unwrap();
    assert_eq!((d.seq, d.kind.as_deref()), (Some(seq), Some("unit_paged")));
    assert_eq!(d.fields.len(), 1, "{d:?}");
    assert_eq!(d.fields[0].field, "kind.candidate.distance_m");
    assert_eq!(d.fields[0].recorded, serde_json::json!(120.0));
    assert_eq!(d.fields[0].replayed, serde_json::json!(was));
    assert!(
        r.words().contains(&format!("seq {seq} (unit_paged)")),
        "{}",
        r.words()
    );
}

#[test]
fn an_edited_paged_unit_names_that_decision() {
    let (w, id) = full_rescue();
    let mut log = logged(&w);
    let first_page = log
        .iter_mut()
        .find(|l| matches!(l.event.kind, EventKind::UnitPaged { .. }))
        .unwrap();
    let seq = first_page.seq;
    if let EventKind::UnitPaged { candidate, .. } = &mut first_page.event.kind {
        candidate.unit = M_FAR;
    }
    let r = replay(id, &log);
    let d = r.difference.unwrap();
    assert_eq!(d.seq, Some(seq));
    assert_eq!(d.fields[0].field, "kind.candidate.unit");
    assert_eq!(d.fields[0].recorded, serde_json::json!(M_FAR.0));
    assert_eq!(d.fields[0].replayed, serde_json::json!(M_NEAR.0));
    assert_eq!(
        r.decisions as i64,
        seq - 1,
        "opened and step_started before it"
    );
}

#[test]
fn an_edited_recorded_position_moves_the_replayed_distance() {
    let (w, id) = full_rescue();
    let mut log = logged(&w);
    let first_page = log
        .iter_mut()
        .find(|l| matches!(l.event.kind, EventKind::UnitPaged { .. }))
        .unwrap();
    let seq = first_page.seq;
    if let EventKind::UnitPaged { seen: Some(s), .. } = &mut first_page.event.kind {
        let fix = s.units[0].fix.as_mut().unwrap();
        fix.at.lat += 0.001;
    }
    let d = replay(id, &log).difference.unwrap();
    assert_eq!(d.seq, Some(seq));
    assert!(
        d.fields
            .iter()
            .any(|f| f.field == "kind.candidate.distance_m"),
        "{d:?}"
    );
}

#[test]
fn an_incident_recorded_before_inputs_were_kept_is_not_replayable_rather_than_different() {
    let (w, id) = full_rescue();
    let mut log = logged(&w);
    for l in &mut log {
        match &mut l.event.kind {
            EventKind::IncidentOpened { replay_format, .. } => *replay_format = 0,
            EventKind::UnitPaged { seen, .. } => *seen = None,
            _ => {}
        }
    }
    let r = replay(id, &log);
    assert!(!r.identical && r.difference.is_none());
    assert!(
        r.words()
            .contains("not replayable: recorded before inputs were kept"),
        "{}",
        r.words()
    );
}

#[test]
fn a_unit_going_off_duty_mid_page_is_replaced_identically_from_its_duty_event() {
    let mut w = World::new();
    let id = w.entrapment();
    w.run(Command::UnitDuty {
        unit: M_NEAR,
        on_duty: false,
        why: "phone offline".into(),
    });
    w.advance(60);
    w.run(Command::UnitDuty {
        unit: M_NEAR,
        on_duty: true,
        why: "back".into(),
    });
    accept(&mut w, M_FAR, id);
    let r = replay(id, &logged(&w));
    assert!(r.identical, "{}", r.words());
    assert!(paged(&w.log).contains(&M_FAR));
}

#[test]
fn a_batch_where_another_incident_took_the_nearest_unit_replays_identical() {
    let mut w = World::new();
    let alarm = |n: i64, l: &Lift| Alarm {
        id: AlarmId(n),
        channel: AlarmSource::Iot,
        source_alarm_id: format!("b-{n}"),
        lift_ref: LiftRef::RescueCode(l.rescue_code.clone()),
        kind: AlarmKind::EntrapmentBetweenFloors,
        status: AlarmStatus::New,
        flags: AlarmFlags::default(),
        floor: None,
        description: String::new(),
        trapped: None,
        occurred_at: w.now,
        received_at: w.now,
    };
    // Two lifts of company 1 at the same spot, in one batch: the first takes M_NEAR, so the
    // second passes it over as already paged, which only the desk knew.
    let (a, b) = (lift(1, Some(1)), lift(2, Some(1)));
    let alarms = vec![
        (alarm(1, &a), Some(Box::new(a))),
        (alarm(2, &b), Some(Box::new(b))),
    ];
    w.run(Command::Alarms { alarms });
    let log = logged(&w);
    let second = log.iter().filter_map(|l| l.event.incident).max().unwrap();
    let taken = log.iter().any(|l| match &l.event.kind {
        EventKind::UnitPaged { seen: Some(s), .. } if l.event.incident == Some(second) => s
            .units
            .iter()
            .any(|u| u.taken_elsewhere && u.unit == M_NEAR),
        _ => false,
    });
    assert!(
        taken,
        "the second incident's search records M_NEAR as taken elsewhere"
    );
    for r in replay_all(&log) {
        assert!(r.identical, "{}", r.words());
    }
}

#[test]
fn an_operator_assignment_and_an_attached_lift_replay_identical() {
    let mut w = World::new();
    let id = w.entrapment();
    let assign = OperatorAction::Assign {
        unit: FIRE_FAR,
        reason: "the crew knows the building".into(),
    };
    w.operator(id, assign).unwrap();
    // An unknown lift, attached by the operator.
    let alarm = Alarm {
        id: AlarmId(50),
        channel: AlarmSource::Hotline,
        source_alarm_id: "hot-50".into(),
        lift_ref: LiftRef::Unparsed("near the bridge".into()),
        kind: AlarmKind::PassengerAlarm,
        status: AlarmStatus::New,
        flags: AlarmFlags::default(),
        floor: None,
        description: String::new(),
        trapped: None,
        occurred_at: w.now,
        received_at: w.now,
    };
    w.run(Command::Alarm { alarm, lift: None });
    let unknown = w.incident_of_last();
    let l = lift(3, Some(2));
    let attach = OperatorAction::AttachLift {
        lift: Box::new(l.clone()),
        by: LiftRef::RescueCode(l.rescue_code.clone()),
    };
    w.operator(unknown, attach).unwrap();
    w.advance(200);
    let cancel = OperatorAction::Cancel {
        reason: "duplicate of a call already handled".into(),
    };
    w.operator(unknown, cancel).unwrap();
    for r in replay_all(&logged(&w)) {
        assert!(r.identical, "{}", r.words());
    }
}
