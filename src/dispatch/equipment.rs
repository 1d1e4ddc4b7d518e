//! Supervision of lifts' alarm equipment: IoT terminals that go silent, cabin-phone alarm lines
//! that stop testing or send garbage. These are facts about the equipment, never entrapments:
//! they open no incident, they go on the record and on the operator's list of faults.
//!
//! A report only becomes an event when it changes something an operator must know: a terminal
//! going offline is logged once, not at every missed check; a test call always is (it is the
//! record the 72-hour line clock reads).

use super::EquipmentReport;
use super::ctx::Ctx;
use crate::domain::{Actor, AlarmSource, Equipment, EventKind, LiftId};

/// How a fault reported by a cabin phone's own test call starts.
pub const TEST_CALL_FAULT: &str = "test call reports";
/// How a terminal's offline fault starts.
const OFFLINE: &str = "offline";
/// How a missing test call starts.
const NO_TEST_CALL: &str = "alarm line fault: no test call";

fn actor(equipment: &Equipment) -> Actor {
    match equipment {
        Equipment::Terminal(_) => Actor::Source(AlarmSource::Iot),
        Equipment::Phone(_) => Actor::Source(AlarmSource::CabinPhone),
    }
}

fn current_fault<'a>(ctx: &'a Ctx<'_>, equipment: &Equipment) -> Option<&'a str> {
    ctx.state
        .equipment
        .get(equipment)
        .and_then(|s| s.fault.as_deref())
}

pub(crate) fn on_report(
    ctx: &mut Ctx<'_>,
    lift: Option<LiftId>,
    equipment: Equipment,
    report: EquipmentReport,
) {
    let fault_now = current_fault(ctx, &equipment).map(str::to_owned);
    let (reason, kind) = match report {
        EquipmentReport::Offline { last_seen } => {
            if fault_now.as_deref().is_some_and(|f| f.starts_with(OFFLINE)) {
                return; // already on the record
            }
            let fault = match last_seen {
                Some(t) => format!(
                    "{OFFLINE}: no heartbeat since {}",
                    t.format("%Y-%m-%d %H:%M:%SZ")
                ),
                None => format!("{OFFLINE}: no heartbeat seen"),
            };
            let reason =
                format!("{equipment} {fault}: it cannot report an entrapment until it is back");
            (
                reason,
                EventKind::EquipmentFault {
                    lift,
                    equipment: equipment.clone(),
                    fault,
                },
            )
        }
        EquipmentReport::Online => {
            if !fault_now.as_deref().is_some_and(|f| f.starts_with(OFFLINE)) {
                return; // it was not offline
            }
            let reason = format!("{equipment} back online");
            (
                reason,
                EventKind::EquipmentOk {
                    lift,
                    equipment: equipment.clone(),
                    tested: false,
                },
            )
        }
        EquipmentReport::TestCall { faults } if faults.is_empty() => {
            let reason = format!("{equipment} test call: the alarm line works");
            (
                reason,
                EventKind::EquipmentOk {
                    lift,
                    equipment: equipment.clone(),
                    tested: true,
                },
            )
        }
        EquipmentReport::TestCall { faults } => {
            let fault = format!("{TEST_CALL_FAULT}: {}", faults.join(", "));
            let reason = format!("{equipment} {fault}");
            (
                reason,
                EventKind::EquipmentFault {
                    lift,
                    equipment: equipment.clone(),
                    fault,
                },
            )
        }
        EquipmentReport::BadPacket { fault } => {
            let fault = format!("alarm line fault: garbled packet ({fault})");
            let reason = format!("{equipment} {fault}");
            (
                reason,
                EventKind::EquipmentFault {
                    lift,
                    equipment: equipment.clone(),
                    fault,
                },
            )
        }
    };
    ctx.emit(None, actor(&equipment), None, reason, kind);
}

/// Every watched cabin phone whose last test call (or, never tested, the start of its
/// supervision) is older than `max_silence_secs` gets an alarm line fault, once.
pub(crate) fn check_lines(ctx: &mut Ctx<'_>, max_silence_secs: u64) {
    let max = chrono::TimeDelta::seconds(max_silence_secs.min(i64::MAX as u64) as i64);
    let hours = max_silence_secs / 3600;
    let mut silent: Vec<(Equipment, Option<LiftId>)> = ctx
        .state
        .equipment
        .iter()
        .filter(|(e, _)| matches!(e, Equipment::Phone(_)))
        .filter(|(_, s)| ctx.now - s.last_test.unwrap_or(s.since) > max)
        .filter(|(_, s)| {
            !s.fault
                .as_deref()
                .is_some_and(|f| f.starts_with(NO_TEST_CALL))
        })
        .map(|(e, s)| (e.clone(), s.lift))
        .collect();
    silent.sort_by_key(|(e, _)| e.to_string());
    for (equipment, lift) in silent {
        let fault = format!("{NO_TEST_CALL} for {hours} h");
        let reason = format!("{equipment} {fault}: the passengers' alarm may not reach anyone");
        let kind = EventKind::EquipmentFault {
            lift,
            equipment,
            fault,
        };
        ctx.emit(None, Actor::System, None, reason, kind);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{World, t0};
    use super::super::{Command, EquipmentReport};
    use crate::domain::{DeviceId, Equipment, EventKind, LiftId, PhoneNumber};
    use chrono::TimeDelta;

    fn terminal() -> Equipment {
        Equipment::Terminal(DeviceId::parse("CQ-IOT-000001").unwrap())
    }

    fn phone() -> Equipment {
        Equipment::Phone(PhoneNumber::parse("02360000001").unwrap())
    }

    fn report(w: &mut World, equipment: Equipment, report: EquipmentReport) -> Vec<&'static str> {
        let events = w.run(Command::Equipment {
            lift: Some(LiftId(1)),
            equipment,
            report,
        });
        events.iter().map(|e| e.kind.name()).collect()
    }

    #[test]
    fn a_silent_terminal_is_recorded_offline_once_and_back_online_once() {
        let mut w = World::new();
        let offline = EquipmentReport::Offline {
            last_seen: Some(t0()),
        };
        assert_eq!(
            report(&mut w, terminal(), offline.clone()),
            ["equipment_fault"]
        );
        assert!(
            report(&mut w, terminal(), offline).is_empty(),
            "already on the record"
        );
        assert_eq!(w.state.equipment_faults().len(), 1);
        assert!(w.state.incidents.is_empty(), "never an entrapment");
        assert_eq!(
            report(&mut w, terminal(), EquipmentReport::Online),
            ["equipment_ok"]
        );
        assert!(report(&mut w, terminal(), EquipmentReport::Online).is_empty());
        assert!(w.state.equipment_faults().is_empty());
    }

    #[test]
    fn a_test_call_records_the_phone_healthy_or_with_the_faults_it_reported() {
        let mut w = World::new();
        let faulty = EquipmentReport::TestCall {
            faults: vec!["battery".into()],
        };
        assert_eq!(report(&mut w, phone(), faulty), ["equipment_fault"]);
        let fault = w.state.equipment[&phone()].fault.clone().unwrap();
        assert!(fault.contains("battery"), "{fault}");
        assert_eq!(w.state.equipment[&phone()].last_test, Some(t0()));
        w.now += TimeDelta::hours(1);
        assert_eq!(
            report(
                &mut w,
                phone(),
                EquipmentReport::TestCall { faults: vec![] }
            ),
            ["equipment_ok"]
        );
        assert_eq!(w.state.equipment[&phone()].last_test, Some(w.now));
        assert!(w.state.equipment_faults().is_empty());
    }

    #[test]
    fn a_phone_silent_for_72_hours_gets_one_line_fault_and_a_test_call_clears_it() {
        let mut w = World::new();
        w.state.watch(phone(), Some(LiftId(1)), t0());
        let check = Command::CheckLines {
            max_silence_secs: 72 * 3600,
        };
        w.now = t0() + TimeDelta::hours(72);
        assert!(
            w.run(check.clone()).is_empty(),
            "exactly 72 h is not late yet"
        );
        w.now += TimeDelta::seconds(1);
        let events = w.run(check.clone());
        assert_eq!(events.len(), 1);
        let EventKind::EquipmentFault { fault, lift, .. } = &events[0].kind else {
            panic!("{events:?}")
        };
        assert!(fault.contains("no test call for 72 h"), "{fault}");
        assert_eq!((*lift, events[0].incident), (Some(LiftId(1)), None));
        assert!(
            w.run(check.clone()).is_empty(),
            "one fault, not one per check"
        );
        assert_eq!(
            report(
                &mut w,
                phone(),
                EquipmentReport::TestCall { faults: vec![] }
            ),
            ["equipment_ok"]
        );
        w.now += TimeDelta::hours(71);
        assert!(
            w.run(check).is_empty(),
            "the clock restarted at the test call"
        );
    }

    #[test]
    fn a_garbled_packet_is_a_line_fault_on_the_record_every_time() {
        let mut w = World::new();
        let bad = EquipmentReport::BadPacket {
            fault: "bad checksum: expected 2D, found 2E".into(),
        };
        assert_eq!(report(&mut w, phone(), bad.clone()), ["equipment_fault"]);
        assert_eq!(report(&mut w, phone(), bad), ["equipment_fault"]);
        assert!(
            w.log
                .iter()
                .all(|e| e.incident.is_none() && e.reason.contains("bad checksum"))
        );
    }

    #[test]
    fn equipment_state_comes_back_from_the_log() {
        let mut w = World::new();
        report(
            &mut w,
            terminal(),
            EquipmentReport::Offline { last_seen: None },
        );
        report(
            &mut w,
            phone(),
            EquipmentReport::TestCall { faults: vec![] },
        );
        let mut rebuilt = World::new();
        for e in &w.log {
            super::super::apply(&mut rebuilt.state, e);
        }
        assert_eq!(rebuilt.state.equipment, w.state.equipment);
    }
}
