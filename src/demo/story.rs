//! The demo: two incidents played through the real dispatch core on a simulated clock, printed
//! as the timeline an investigator would read.
//!
//! Story 1: a passenger trapped between floors calls from the cabin phone; the lift's IoT
//! terminal reports the same entrapment; the nearest contracted maintainer does not answer in 3
//! minutes, the next one accepts, arrives, releases; the operator confirms by callback; the fault
//! cause is filed; the incident is closed.
//! Story 2: a hotline caller reports a child alone in a car: fire/rescue is paged at once, in
//! parallel with the maintainer and the property staff.
//! Story 3: a cabin phone nobody registered calls; the incident asks the operator, who attaches
//! the lift from the rescue code the passenger reads out, and the city's chain pages.

use super::{RegionSpec, region};
use crate::dispatch::{Command, CrewAction, DeskState, OperatorAction, apply, decide};
use crate::domain::*;
use crate::rules::RuleSet;
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt::Write;
use std::sync::Arc;

/// Plays the demo on a region of `spec` with `rules` and returns the printed timeline.
pub fn run(rules: RuleSet, spec: &RegionSpec, start: DateTime<Utc>) -> anyhow::Result<String> {
    let r = region(spec, start);
    let mut out = String::new();
    writeln!(
        out,
        "liftrescue demo: {} lifts, {} units around {:.3} N {:.3} E; rules {}",
        r.lifts.len(),
        r.units.len(),
        r.centre.lat,
        r.centre.lon,
        rules.version.short()
    )?;
    let mut sim = Sim {
        state: DeskState::new(Arc::new(rules), r.centre),
        now: start,
        start,
        out,
        next_alarm: 1,
    };
    for u in r.units.iter().cloned() {
        sim.state.add_unit(u);
    }
    let lift = r
        .lifts
        .iter()
        .find(|l| l.maintainer.is_some() && l.use_unit.is_some())
        .ok_or_else(|| anyhow::anyhow!("the region has no maintained lift"))?;
    story_one(&mut sim, lift)?;
    let other = r
        .lifts
        .iter()
        .rev()
        .find(|l| l.maintainer.is_some())
        .unwrap_or(lift);
    story_two(&mut sim, other)?;
    let third = r
        .lifts
        .iter()
        .filter(|l| l.maintainer.is_some() && l.use_unit.is_some())
        .nth(1)
        .unwrap_or(lift);
    story_three(&mut sim, third)?;
    Ok(sim.out)
}

struct Sim {
    state: DeskState,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    out: String,
    next_alarm: i64,
}

impl Sim {
    fn run(&mut self, cmd: Command) -> anyhow::Result<Vec<Event>> {
        let events = decide(&self.state, cmd, self.now)?;
        for e in &events {
            apply(&mut self.state, e);
            let t = (e.at - self.start).num_seconds();
            let step = e.step.as_deref().unwrap_or("-");
            let inc = e.incident.map(|i| format!("#{}", i.0)).unwrap_or_default();
            writeln!(
                self.out,
                "+{:02}:{:02}  {inc:<4} {:<18} {step:<12} {}",
                t / 60,
                t % 60,
                e.kind.name(),
                e.reason
            )?;
        }
        Ok(events)
    }

    /// Lets `secs` pass, firing each deadline at the moment it falls due, as the desk would.
    fn wait(&mut self, secs: i64) -> anyhow::Result<Vec<Event>> {
        let until = self.now + TimeDelta::seconds(secs);
        let mut events = Vec::new();
        while let Some(due) = self.state.next_due().filter(|d| *d <= until) {
            events.extend(self.tick_at(due.max(self.now))?);
        }
        events.extend(self.tick_at(until)?);
        Ok(events)
    }

    fn tick_at(&mut self, at: DateTime<Utc>) -> anyhow::Result<Vec<Event>> {
        self.now = at;
        // Crews keep reporting their positions while the clock runs.
        let fixes: Vec<(UnitId, Fix)> = self
            .state
            .units
            .values()
            .filter_map(|u| {
                u.unit.fix.map(|f| {
                    (
                        u.unit.id,
                        Fix {
                            at: f.at,
                            taken: at,
                        },
                    )
                })
            })
            .collect();
        for (id, fix) in fixes {
            self.state.update_position(id, fix);
        }
        self.run(Command::Tick)
    }

    fn alarm(
        &mut self,
        channel: AlarmSource,
        lift: &Lift,
        kind: AlarmKind,
        flags: AlarmFlags,
    ) -> anyhow::Result<Vec<Event>> {
        let by = LiftRef::RescueCode(lift.rescue_code.clone());
        self.alarm_from(channel, by, Some(lift), kind, flags)
    }

    /// An alarm naming its lift by `lift_ref`, resolved to `lift` (`None`: nobody knows it).
    fn alarm_from(
        &mut self,
        channel: AlarmSource,
        lift_ref: LiftRef,
        lift: Option<&Lift>,
        kind: AlarmKind,
        flags: AlarmFlags,
    ) -> anyhow::Result<Vec<Event>> {
        let n = self.next_alarm;
        self.next_alarm += 1;
        let alarm = Alarm {
            id: AlarmId(n),
            channel,
            source_alarm_id: format!("demo-{n}"),
            lift_ref,
            kind,
            status: AlarmStatus::New,
            flags,
            trapped: None,
            floor: Some("12".into()),
            description: String::new(),
            occurred_at: self.now,
            received_at: self.now,
        };
        self.run(Command::Alarm {
            alarm,
            lift: lift.map(|l| Box::new(l.clone())),
        })
    }

    fn crew(
        &mut self,
        unit: UnitId,
        incident: IncidentId,
        action: CrewAction,
    ) -> anyhow::Result<Vec<Event>> {
        self.run(Command::Crew {
            unit,
            incident,
            action,
        })
    }

    fn operator(
        &mut self,
        incident: IncidentId,
        action: OperatorAction,
    ) -> anyhow::Result<Vec<Event>> {
        self.run(Command::Operator {
            user: "operator-1".into(),
            incident,
            action,
        })
    }
}

fn paged_units(events: &[Event]) -> Vec<UnitId> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::UnitPaged { candidate, .. } => Some(candidate.unit),
            _ => None,
        })
        .collect()
}

fn story_one(sim: &mut Sim, lift: &Lift) -> anyhow::Result<()> {
    writeln!(
        sim.out,
        "\n== 1. trapped between floors: rescue code {}, {} {}",
        lift.rescue_code, lift.address, lift.building
    )?;
    let opened = sim.alarm(
        AlarmSource::CabinPhone,
        lift,
        AlarmKind::EntrapmentBetweenFloors,
        AlarmFlags::default(),
    )?;
    let id = opened
        .first()
        .and_then(|e| e.incident)
        .ok_or_else(|| anyhow::anyhow!("no incident opened"))?;
    sim.now += TimeDelta::seconds(20);
    sim.alarm(
        AlarmSource::Iot,
        lift,
        AlarmKind::EntrapmentBetweenFloors,
        AlarmFlags::default(),
    )?;
    let escalated = sim.wait(160)?; // the first maintainer does not answer within 3 minutes
    let second = *paged_units(&escalated)
        .first()
        .ok_or_else(|| anyhow::anyhow!("nobody paged after the missed acknowledgement"))?;
    sim.now += TimeDelta::seconds(40);
    sim.crew(
        second,
        id,
        CrewAction::Accept {
            eta_secs: Some(9 * 60),
        },
    )?;
    sim.now += TimeDelta::seconds(30);
    sim.crew(second, id, CrewAction::EnRoute)?;
    sim.wait(9 * 60)?;
    sim.crew(second, id, CrewAction::OnScene)?;
    sim.wait(4 * 60)?;
    sim.crew(second, id, CrewAction::Released)?;
    sim.wait(2 * 60)?;
    sim.operator(
        id,
        OperatorAction::ConfirmRelease {
            note: "called the cabin: both passengers out, unhurt".into(),
        },
    )?;
    sim.crew(
        second,
        id,
        CrewAction::FaultCause {
            code: "door-lock".into(),
            text: "landing door lock contact worn; replaced".into(),
        },
    )?;
    sim.operator(id, OperatorAction::Close)?;
    Ok(())
}

fn story_two(sim: &mut Sim, lift: &Lift) -> anyhow::Result<()> {
    writeln!(
        sim.out,
        "\n== 2. a child alone in the car: rescue code {}, {} {}",
        lift.rescue_code, lift.address, lift.building
    )?;
    let flags = AlarmFlags {
        child_alone: true,
        ..AlarmFlags::default()
    };
    let opened = sim.alarm(
        AlarmSource::Hotline,
        lift,
        AlarmKind::EntrapmentAtLanding,
        flags,
    )?;
    let id = opened
        .first()
        .and_then(|e| e.incident)
        .ok_or_else(|| anyhow::anyhow!("no incident opened"))?;
    sim.operator(
        id,
        OperatorAction::Note {
            text: "caller is the child's mother, on the landing".into(),
        },
    )?;
    Ok(())
}

fn story_three(sim: &mut Sim, lift: &Lift) -> anyhow::Result<()> {
    writeln!(
        sim.out,
        "\n== 3. a cabin phone nobody registered: the passenger reads out rescue code {}",
        lift.rescue_code
    )?;
    let phone = LiftRef::Phone(PhoneNumber::parse("02399990000")?);
    let kind = AlarmKind::PassengerAlarm;
    let opened = sim.alarm_from(
        AlarmSource::CabinPhone,
        phone,
        None,
        kind,
        AlarmFlags::default(),
    )?;
    let id = opened
        .first()
        .and_then(|e| e.incident)
        .ok_or_else(|| anyhow::anyhow!("no incident opened"))?;
    sim.now += TimeDelta::seconds(90);
    let attached = sim.operator(
        id,
        OperatorAction::AttachLift {
            lift: Box::new(lift.clone()),
            by: LiftRef::RescueCode(lift.rescue_code.clone()),
        },
    )?;
    let first = *paged_units(&attached)
        .first()
        .ok_or_else(|| anyhow::anyhow!("nobody paged once the lift was attached"))?;
    sim.now += TimeDelta::seconds(50);
    sim.crew(
        first,
        id,
        CrewAction::Accept {
            eta_secs: Some(6 * 60),
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_tells_both_stories_with_the_shipped_rules() {
        let rules =
            RuleSet::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/dispatch-rules")).unwrap();
        let start = DateTime::parse_from_rfc3339("2026-11-29T08:00:00Z")
            .unwrap()
            .to_utc();
        let out = run(rules, &RegionSpec::default(), start).unwrap();
        for needle in [
            "incident_opened",
            "alarm_joined",
            "ack_missed",
            "accepted",
            "released",
            "release_confirmed",
            "fault_cause_filed",
            "closed",
            "child_alone",
            "lift unresolved (received cabin phone 02399990000)",
            "lift_attached",
        ] {
            assert!(out.contains(needle), "missing {needle}:\n{out}");
        }
        // Every reason is written for an investigator, not in Rust's Debug notation.
        for line in out.lines().skip(1) {
            crate::dispatch::tests::assert_in_words(line);
        }
        // Story 2 pages fire/rescue in the very first second.
        assert!(
            out.lines()
                .any(|l| l.contains("unit_paged") && l.contains(" fire ")),
            "{out}"
        );
    }
}
