//! The world around the history's desk: simulated actions in time order, each submitted to the
//! desk at its moment, and the desk's own deadlines fired as they fall due, by the driver the
//! storm simulation plays its world with ([`crate::sim::driver`]).

mod respond;

use super::{HistoryReport, Progress};
use crate::demo::Region;
use crate::demo::history::{Outcome, Plan};
use crate::desk::{ClockHand, DeskHandle};
use crate::dispatch::{Command, CrewAction, EquipmentReport, OperatorAction};
use crate::domain::{
    AlarmSource, AlarmStatus, CrewStatus, Equipment, Event, EventKind, Fix, IncidentId, LiftRef,
    NewAlarm, UnitId, UnitKind,
};
use crate::sim::driver::{self, Driver, World as _, desk_error};
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// The operator the history's console actions are recorded under.
const OPERATOR: &str = "demo-operator";

/// Live fixes older than this are refreshed before an alarm (crews keep reporting; the rules
/// take fixes up to 5 minutes old as fresh, so the pages that follow in the next minutes are
/// from fresh fixes too).
const FIX_EVERY_SECS: i64 = 240;

/// A simulated action.
#[derive(Debug)]
pub(super) enum Act {
    /// The first alarm of planned incident `n`.
    Alarm(usize),
    /// The second channel of planned incident `n` reporting the same entrapment.
    Second(usize),
    /// A crew acting.
    Crew(IncidentId, UnitId, CrewAction),
    /// The operator acting.
    Operator(IncidentId, OperatorAction),
    /// Planned equipment fault `n` reported (`false`) or cleared (`true`).
    Fault(usize, bool),
    /// Makes sure an incident has ended hours after it opened.
    Watchdog(IncidentId),
}

/// What the world knows of one incident.
#[derive(Debug)]
struct Case {
    plan: usize,
    releaser: Option<UnitId>,
    travel: HashMap<UnitId, i64>,
    ended: bool,
}

pub(super) struct Player<'a> {
    store: Arc<dyn Store>,
    drive: Driver<Act>,
    region: &'a Region,
    plan: &'a Plan,
    cases: HashMap<IncidentId, Case>,
    kinds: HashMap<UnitId, UnitKind>,
    fixed_at: Option<DateTime<Utc>>,
    report: HistoryReport,
}

impl<'a> Player<'a> {
    pub(super) fn new(
        store: Arc<dyn Store>,
        desk: DeskHandle,
        hand: ClockHand,
        region: &'a Region,
        plan: &'a Plan,
        seed: u64,
    ) -> Self {
        // Not the planning generator's sequence: the plan stays the same whatever the crews
        // draw.
        let rng = fastrand::Rng::with_seed(seed ^ 0x5EED_C4E5);
        let mut p = Player {
            store,
            drive: Driver::new(desk, hand, plan.start, rng),
            region,
            plan,
            cases: HashMap::new(),
            kinds: region.units.iter().map(|u| (u.id, u.kind)).collect(),
            fixed_at: None,
            report: HistoryReport::default(),
        };
        for (n, i) in plan.incidents.iter().enumerate() {
            p.drive.at(i.at, Act::Alarm(n));
        }
        for (n, f) in plan.faults.iter().enumerate() {
            p.drive.at(f.at, Act::Fault(n, false));
            if let Some(c) = f.cleared {
                p.drive.at(c, Act::Fault(n, true));
            }
        }
        p
    }

    /// The report, with what is still open; dropping the player stops the desk.
    pub(super) fn finish(self) -> HistoryReport {
        HistoryReport {
            events: self.drive.events,
            refused: self.drive.refused,
            open_at_end: self.cases.values().filter(|c| !c.ended).count(),
            ..self.report
        }
    }

    /// Plays everything: each action and each deadline at its moment, in time order, calling
    /// `progress` as each simulated day ends.
    pub(super) async fn run(&mut self, mut progress: impl FnMut(Progress)) -> anyhow::Result<()> {
        let days = ((self.plan.end - self.plan.start).num_days()).max(0) as u32;
        let mut day = 0;
        while self.step().await? {
            let since = self.drive.now() - self.plan.start;
            let done = since.num_days().clamp(0, i64::from(days)) as u32;
            if done > day {
                day = done;
                progress(Progress {
                    day,
                    days,
                    incidents: self.report.incidents,
                    events: self.drive.events,
                });
            }
        }
        Ok(())
    }
}

impl driver::World for Player<'_> {
    type Act = Act;

    fn driver(&mut self) -> &mut Driver<Act> {
        &mut self.drive
    }

    async fn next_due(&mut self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let stats = self.drive.desk().stats().await.map_err(desk_error)?;
        Ok(stats.next_due)
    }

    fn react(&mut self, events: &[Event]) {
        self.respond(events);
    }

    async fn act(&mut self, act: Act) -> anyhow::Result<()> {
        match act {
            Act::Alarm(n) => self.alarm(n, false).await,
            Act::Second(n) => self.alarm(n, true).await,
            Act::Crew(id, unit, action) => self.crew(id, unit, action).await,
            Act::Operator(id, action) => {
                let user = OPERATOR.to_owned();
                self.submit(Command::Operator {
                    user,
                    incident: id,
                    action,
                })
                .await
                .map(drop)
            }
            Act::Fault(n, cleared) => self.fault(n, cleared).await,
            Act::Watchdog(id) => self.watchdog(id),
        }
    }
}

impl Player<'_> {
    /// Commits an alarm to the inbox as intake does, with its lift resolved, and submits it.
    async fn alarm(&mut self, n: usize, second: bool) -> anyhow::Result<()> {
        let p = &self.plan.incidents[n];
        let lift = &self.region.lifts[p.lift];
        let channel = match (second, p.second) {
            (true, Some((c, _))) => c,
            _ => p.channel,
        };
        let lift_ref = match (channel, &lift.device_id, &lift.cabin_phone) {
            (AlarmSource::Iot, Some(d), _) => LiftRef::Device(d.clone()),
            (AlarmSource::CabinPhone, _, Some(phone)) => LiftRef::Phone(phone.clone()),
            _ => LiftRef::RescueCode(lift.rescue_code.clone()),
        };
        let new = NewAlarm {
            channel,
            source_alarm_id: format!(
                "history-{}-{n}{}",
                p.at.timestamp(),
                if second { "b" } else { "" }
            ),
            lift_ref,
            kind: p.kind.clone(),
            status: AlarmStatus::New,
            flags: p.flags,
            trapped: p.trapped,
            floor: Some(p.floor.clone()),
            description: description(p.trapped),
            occurred_at: self.drive.now() - TimeDelta::seconds(self.drive.rng.i64(2..40)),
        };
        let outcome = p.outcome;
        let follow = p.second.filter(|_| !second);
        self.refresh_fixes().await?;
        let Some((receipt, lift)) = self
            .store
            .insert_alarm_for_lift(&new, self.drive.now())
            .await
            .context("commit an alarm to the inbox")?
        else {
            anyhow::bail!("lift {} of the plan is not in the registry", lift.id.0);
        };
        self.report.alarms += 1;
        let events = self
            .submit(Command::Alarm {
                alarm: receipt.alarm,
                lift: Some(Box::new(lift)),
            })
            .await?;
        if second {
            return Ok(());
        }
        let Some(id) = events.iter().find_map(|e| match e.kind {
            EventKind::IncidentOpened { .. } => e.incident,
            _ => None,
        }) else {
            return Ok(()); // joined an incident still open on the lift
        };
        self.report.incidents += 1;
        self.cases.entry(id).or_insert_with(|| Case {
            plan: n,
            releaser: None,
            travel: HashMap::new(),
            ended: false,
        });
        // Pages were answered in `react` before the case existed: answer them now.
        self.answer_pages(&events);
        match outcome {
            Outcome::Rescue => {}
            Outcome::FalseAlarm => {
                let reason =
                    "callback: nobody in the car; the alarm was a misreading or a press by mistake";
                let secs = self.drive.rng.i64(60..300);
                self.drive.after(
                    secs,
                    Act::Operator(
                        id,
                        OperatorAction::FalseAlarm {
                            reason: reason.into(),
                        },
                    ),
                );
            }
            Outcome::Cancelled => {
                let reason = "the caller rang back: the door opened and everyone got out";
                let secs = self.drive.rng.i64(150..600);
                self.drive.after(
                    secs,
                    Act::Operator(
                        id,
                        OperatorAction::Cancel {
                            reason: reason.into(),
                        },
                    ),
                );
            }
        }
        if let Some((_, secs)) = follow {
            self.drive.after(secs, Act::Second(n));
        }
        self.drive.after(4 * 3600, Act::Watchdog(id));
        Ok(())
    }

    async fn crew(
        &mut self,
        id: IncidentId,
        unit: UnitId,
        action: CrewAction,
    ) -> anyhow::Result<()> {
        let next = match &action {
            CrewAction::Accept { .. } => Some(CrewStatus::Accepted),
            CrewAction::OnScene => Some(CrewStatus::OnScene),
            _ => None,
        };
        let events = self
            .submit(Command::Crew {
                unit,
                incident: id,
                action,
            })
            .await?;
        if events.is_empty() {
            return Ok(());
        }
        match next {
            Some(CrewStatus::Accepted) => {
                let travel = self
                    .cases
                    .get(&id)
                    .and_then(|c| c.travel.get(&unit).copied())
                    .unwrap_or(600);
                if travel > 120 {
                    let secs = self.drive.rng.i64(20..60);
                    self.drive
                        .after(secs, Act::Crew(id, unit, CrewAction::EnRoute));
                }
                self.drive
                    .after(travel, Act::Crew(id, unit, CrewAction::OnScene));
            }
            Some(CrewStatus::OnScene) => self.on_scene(id, unit),
            _ => {}
        }
        Ok(())
    }

    async fn fault(&mut self, n: usize, cleared: bool) -> anyhow::Result<()> {
        let f = &self.plan.faults[n];
        let lift = &self.region.lifts[f.lift];
        let (equipment, report) = match (f.terminal, &lift.device_id, &lift.cabin_phone) {
            (true, Some(d), _) => {
                let report = if cleared {
                    EquipmentReport::Online
                } else {
                    EquipmentReport::Offline {
                        last_seen: Some(self.drive.now() - TimeDelta::seconds(90)),
                    }
                };
                (Equipment::Terminal(d.clone()), report)
            }
            (false, _, Some(phone)) => {
                let faults = if cleared {
                    vec![]
                } else {
                    vec![f.fault.to_owned()]
                };
                (
                    Equipment::Phone(phone.clone()),
                    EquipmentReport::TestCall { faults },
                )
            }
            _ => return Ok(()),
        };
        self.report.equipment_reports += 1;
        let lift = Some(lift.id);
        self.submit(Command::Equipment {
            lift,
            equipment,
            report,
        })
        .await
        .map(drop)
    }

    /// An incident nobody ended in four hours: the operator ends it as the crews left it.
    fn watchdog(&mut self, id: IncidentId) -> anyhow::Result<()> {
        if self.cases.get(&id).is_some_and(|c| !c.ended) {
            let reason = "ended by the operator: no crew report for hours".to_owned();
            self.drive
                .after(1, Act::Operator(id, OperatorAction::Cancel { reason }));
        }
        Ok(())
    }

    /// Crews keep reporting their positions (here: at their bases) while the clock runs.
    async fn refresh_fixes(&mut self) -> anyhow::Result<()> {
        if self
            .fixed_at
            .is_some_and(|t| (self.drive.now() - t).num_seconds() < FIX_EVERY_SECS)
        {
            return Ok(());
        }
        self.fixed_at = Some(self.drive.now());
        for u in &self.region.units {
            if let Some(at) = u.base {
                let fix = Fix {
                    at,
                    taken: self.drive.now(),
                };
                self.drive.position(u.id, fix).await?;
            }
        }
        Ok(())
    }
}

fn description(trapped: Option<u16>) -> String {
    match trapped {
        Some(1) => "one person inside".into(),
        Some(n) => format!("{n} people inside"),
        None => String::new(),
    }
}
