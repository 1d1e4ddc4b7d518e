//! Random incident stories on the pure core, recorded and replayed: always identical.

use super::*;
use proptest::prelude::*;

/// One thing that happens in a story. Indexes pick among what exists when it happens.
#[derive(Debug, Clone)]
enum Act {
    /// An alarm for lift 1..=3 (lift 3 has no maintenance unit), possibly urgent.
    Alarm(i64, bool),
    /// Alarms for two lifts decided as one batch.
    Batch(i64, i64),
    /// An alarm whose lift nobody could resolve, then (if `Some`) the operator attaches lift
    /// 4 or 5 to the `n`-th incident.
    Unresolved,
    Attach(usize, i64),
    Accept(usize),
    Decline(usize),
    /// A crew's next step: en route, on scene, released.
    Progress(usize),
    /// The clock moves on (seconds) and due deadlines fire.
    Advance(i64),
    /// A unit goes off or on duty.
    Duty(usize, bool),
    /// A unit moves (a live position, not an event).
    Move(usize, f64, f64),
    Note(usize),
    Assign(usize, usize),
    Confirm(usize),
    Close(usize),
    Cancel(usize),
}

const UNITS: [UnitId; 8] = [
    M_NEAR, M_FAR, M_OTHER_CO, M_OFF_DUTY, PROPERTY, FIRE_NEAR, FIRE_FAR, M_STALE,
];

fn act() -> impl Strategy<Value = Act> {
    let i = 0..8usize;
    prop_oneof![
        3 => (1..=3i64, prop::bool::weighted(0.2)).prop_map(|(l, u)| Act::Alarm(l, u)),
        1 => (1..=3i64, 1..=3i64).prop_map(|(a, b)| Act::Batch(a, b)),
        1 => Just(Act::Unresolved),
        1 => (i.clone(), 4..=5i64).prop_map(|(n, l)| Act::Attach(n, l)),
        4 => i.clone().prop_map(Act::Accept),
        2 => i.clone().prop_map(Act::Decline),
        4 => i.clone().prop_map(Act::Progress),
        4 => (1..1200i64).prop_map(Act::Advance),
        2 => (i.clone(), prop::bool::ANY).prop_map(|(u, d)| Act::Duty(u, d)),
        2 => (i.clone(), -3000.0..3000.0f64, -3000.0..3000.0f64)
            .prop_map(|(u, e, n)| Act::Move(u, e, n)),
        1 => i.clone().prop_map(Act::Note),
        1 => (i.clone(), i.clone()).prop_map(|(a, b)| Act::Assign(a, b)),
        2 => i.clone().prop_map(Act::Confirm),
        1 => i.clone().prop_map(Act::Close),
        1 => i.prop_map(Act::Cancel),
    ]
}

/// The `n`-th (modulo) incident of the world, if any.
fn incident(w: &World, n: usize) -> Option<IncidentId> {
    let mut ids: Vec<IncidentId> = w.state.incidents.keys().copied().collect();
    ids.sort();
    (!ids.is_empty()).then(|| ids[n % ids.len()])
}

/// The `n`-th (modulo) unit holding some incident, with that incident.
fn holder(w: &World, n: usize) -> Option<(UnitId, IncidentId)> {
    let mut held: Vec<(UnitId, IncidentId)> = w
        .state
        .incidents
        .values()
        .flat_map(|i| i.held_units().map(move |u| (u, i.id)))
        .collect();
    held.sort();
    (!held.is_empty()).then(|| held[n % held.len()])
}

/// A fresh hotline alarm naming its lift by `lift_ref`.
fn alarm(w: &World, lift_ref: LiftRef, k: i64) -> Alarm {
    let n = 1000 * (w.log.len() as i64 + 1) + k;
    Alarm {
        id: AlarmId(n),
        channel: AlarmSource::Hotline,
        source_alarm_id: format!("p-{n}-{}", lift_ref.value()),
        lift_ref,
        kind: AlarmKind::PassengerAlarm,
        status: AlarmStatus::New,
        flags: AlarmFlags::default(),
        floor: None,
        description: String::new(),
        trapped: None,
        occurred_at: w.now,
        received_at: w.now,
    }
}

fn play(w: &mut World, act: Act) {
    // Refusals change nothing and are not recorded: a story may try anything.
    let _ = match act {
        Act::Alarm(l, urgent) => {
            let flags = AlarmFlags {
                person_ill: urgent,
                ..AlarmFlags::default()
            };
            let maintainer = (l != 3).then_some(l.min(2));
            let lift = Some(lift(l, maintainer));
            w.alarm_with(AlarmSource::Iot, lift, flags, AlarmStatus::New);
            Ok(vec![])
        }
        Act::Batch(a, b) => {
            let alarms = [a, b]
                .into_iter()
                .enumerate()
                .map(|(k, l)| {
                    let lift = lift(l, (l != 3).then_some(l.min(2)));
                    (
                        alarm(w, LiftRef::RescueCode(lift.rescue_code.clone()), k as i64),
                        Some(Box::new(lift)),
                    )
                })
                .collect();
            w.try_run(Command::Alarms { alarms })
        }
        Act::Unresolved => {
            let alarm = alarm(w, LiftRef::Unparsed("somewhere on Minzu Road".into()), 0);
            w.try_run(Command::Alarm { alarm, lift: None })
        }
        Act::Attach(n, l) => match incident(w, n) {
            Some(id) => {
                let lift = lift(l, Some(1));
                let by = LiftRef::RescueCode(lift.rescue_code.clone());
                let lift = Box::new(lift);
                w.operator(id, OperatorAction::AttachLift { lift, by })
            }
            None => Ok(vec![]),
        },
        Act::Accept(n) => match holder(w, n) {
            Some((u, id)) => w.crew(
                u,
                id,
                CrewAction::Accept {
                    eta_secs: Some(600),
                },
            ),
            None => Ok(vec![]),
        },
        Act::Decline(n) => match holder(w, n) {
            Some((u, id)) => w.crew(
                u,
                id,
                CrewAction::Decline {
                    reason: "busy".into(),
                },
            ),
            None => Ok(vec![]),
        },
        Act::Progress(n) => match holder(w, n) {
            Some((u, id)) => [
                CrewAction::EnRoute,
                CrewAction::OnScene,
                CrewAction::Released,
            ]
            .into_iter()
            .map(|a| w.crew(u, id, a))
            .find(Result::is_ok)
            .unwrap_or(Ok(vec![])),
            None => Ok(vec![]),
        },
        Act::Advance(secs) => Ok(w.advance(secs)),
        Act::Duty(u, on_duty) => w.try_run(Command::UnitDuty {
            unit: UNITS[u],
            on_duty,
            why: "shift".into(),
        }),
        Act::Move(u, east, north) => {
            let fix = Fix {
                at: crate::demo::offset(crate::demo::YUZHONG, east, north),
                taken: w.now,
            };
            w.state.update_position(UNITS[u], fix);
            Ok(vec![])
        }
        Act::Note(n) => match incident(w, n) {
            Some(id) => w.operator(
                id,
                OperatorAction::Note {
                    text: "called".into(),
                },
            ),
            None => Ok(vec![]),
        },
        Act::Assign(n, u) => match incident(w, n) {
            Some(id) => {
                let reason = "by hand".into();
                w.operator(
                    id,
                    OperatorAction::Assign {
                        unit: UNITS[u],
                        reason,
                    },
                )
            }
            None => Ok(vec![]),
        },
        Act::Confirm(n) => match incident(w, n) {
            Some(id) => w.operator(id, OperatorAction::ConfirmRelease { note: "ok".into() }),
            None => Ok(vec![]),
        },
        Act::Close(n) => match incident(w, n) {
            Some(id) => w.operator(id, OperatorAction::Close),
            None => Ok(vec![]),
        },
        Act::Cancel(n) => match incident(w, n) {
            Some(id) => w.operator(
                id,
                OperatorAction::Cancel {
                    reason: "dup".into(),
                },
            ),
            None => Ok(vec![]),
        },
    };
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_incident_stories_replay_identical(acts in prop::collection::vec(act(), 1..60)) {
        let mut w = World::new();
        for a in acts {
            play(&mut w, a);
        }
        let log = logged(&w);
        for r in replay_all(&log) {
            prop_assert!(r.identical, "{}\n{:#?}", r.words(), r.difference);
            let events = log.iter().filter(|l| l.event.incident == Some(r.incident)).count();
            prop_assert_eq!(r.decisions, events);
        }
    }
}
