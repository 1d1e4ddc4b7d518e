//! The world around the desk in a storm: simulated actions in time order, each submitted to the
//! real desk ([`crate::desk::spawn`] on a [`Clock::simulated`]) at its moment, and the desk's
//! own deadlines (escalations, breaches, storm solves) fired as they fall due, by the shared
//! [`driver`].
//!
//! The world keeps a mirror of the desk's state, folding in every event the desk answers with
//! ([`apply`], as the desk itself does after its append), so the simulated operator sees what
//! the console would (who is free, who waits) without asking the desk between decisions.

use super::crew::Crew;
use super::driver::{self, Driver, World as _};
use super::metrics::{self, Metrics};
use super::report::RunFacts;
use super::scenario::Scenario;
use super::{SimSpec, operator};

mod respond;
use crate::demo::Region;
use crate::desk::{self, Clock, ClockHand, DeskHandle, MemoryLog};
use crate::dispatch::{Command, CrewAction, DeskState, OperatorAction};
use crate::domain::{
    Alarm, AlarmId, AlarmSource, AlarmStatus, Event, Fix, IncidentId, LiftRef, UnitId,
};
use crate::rules::RuleSet;
use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The user name the simulated operator acts under.
const OPERATOR: &str = "sim-operator";

/// How often crews on the move report their position (others every [`REPORT_IDLE_SECS`], so
/// their fixes stay within the rules' 5 minutes of freshness).
const REPORT_SECS: i64 = 60;
const REPORT_IDLE_SECS: i64 = 240;

/// A run that has not finished a day after the storm began is stopped and reported as is.
const LIMIT_HOURS: i64 = 24;

/// A simulated action.
#[derive(Debug)]
pub(super) enum Act {
    /// The alarm of planned entrapment `n`.
    Alarm(usize),
    /// A crew answering or reporting.
    Crew(IncidentId, UnitId, CrewAction),
    /// A crew reaching the lift of its trip `seq`.
    Arrive(UnitId, u64),
    /// A crew freeing the passengers at the end of its trip `seq`.
    Release(UnitId, u64),
    /// The operator acting.
    Operator(IncidentId, OperatorAction),
    /// Crews report their positions.
    Positions,
}

/// What a run gives back.
pub(super) struct Played {
    pub metrics: Metrics,
    pub facts: RunFacts,
}

/// Plays `scenario` on `region` through a desk running `rules`, and measures it.
pub(super) async fn play(
    region: &Region,
    scenario: &Scenario,
    spec: &SimSpec,
    rules: RuleSet,
) -> anyhow::Result<Played> {
    let rules = Arc::new(rules);
    let mut state = DeskState::new(rules.clone(), region.centre);
    let mut mirror = DeskState::new(rules, region.centre);
    for u in &region.units {
        state.add_unit(u.clone());
        mirror.add_unit(u.clone());
    }
    let (clock, hand) = Clock::simulated(spec.start);
    let (handle, task) = desk::spawn(state, MemoryLog::default(), clock);
    let mut world = World::new(handle, hand, mirror, region, scenario, spec);
    let played = world.run().await;
    let (km, mut facts) = world.finish();
    let (_, log) = task.await.context("the dispatch desk stopped")?;
    played?;
    let kinds = region.units.iter().map(|u| (u.id, u.kind)).collect();
    let cases = metrics::cases(&log.events, &kinds);
    facts.storms_declared = count(&log.events, "storm_declared");
    facts.storm_solves = count(&log.events, "storm_solved");
    facts.simulated_minutes = log
        .events
        .last()
        .map(|e| (e.at - spec.start).num_seconds() as f64 / 60.0)
        .unwrap_or(0.0);
    Ok(Played {
        metrics: metrics::metrics(&cases, km),
        facts,
    })
}

fn count(events: &[Event], kind: &str) -> usize {
    events.iter().filter(|e| e.kind.name() == kind).count()
}

/// A crew's answer to a storm queue: the cars, when it answers, and whether it accepts.
struct Batch {
    queue: Vec<IncidentId>,
    at: DateTime<Utc>,
    accept: bool,
}

pub(super) struct World<'a> {
    drive: Driver<Act>,
    limit: DateTime<Utc>,
    mirror: DeskState,
    crews: BTreeMap<UnitId, Crew>,
    region: &'a Region,
    scenario: &'a Scenario,
    decline_share: f64,
    /// The operator's list: incidents that asked for a decision, oldest first.
    waiting: Vec<IncidentId>,
    /// The crew freeing each incident's passengers.
    releaser: HashMap<IncidentId, UnitId>,
    /// Each crew's last storm queue and its answer to it.
    batches: HashMap<UnitId, Batch>,
    alarms_left: usize,
    facts: RunFacts,
    /// The run's seed, for the draws of each car and crew.
    seed: u64,
}

impl<'a> World<'a> {
    fn new(
        desk: DeskHandle,
        hand: ClockHand,
        mirror: DeskState,
        region: &'a Region,
        scenario: &'a Scenario,
        spec: &SimSpec,
    ) -> Self {
        let crews = region
            .units
            .iter()
            .filter_map(|u| {
                let at = u.base.or(u.fix.map(|f| f.at))?;
                let mut c = Crew::at_base(u.kind, at);
                c.reported = u.fix.map(|f| f.taken);
                Some((u.id, c))
            })
            .collect();
        // Not the planning generator's sequence: the storm stays the same whatever the crews
        // draw.
        let rng = fastrand::Rng::with_seed(spec.seed ^ 0x5107_C4E5);
        let mut w = World {
            drive: Driver::new(desk, hand, spec.start, rng),
            limit: spec.start + TimeDelta::hours(LIMIT_HOURS),
            mirror,
            crews,
            region,
            scenario,
            decline_share: spec.decline_share,
            waiting: Vec::new(),
            releaser: HashMap::new(),
            batches: HashMap::new(),
            alarms_left: scenario.entrapments.len(),
            facts: RunFacts::default(),
            seed: spec.seed,
        };
        for (n, e) in scenario.entrapments.iter().enumerate() {
            w.drive.at(e.at, Act::Alarm(n));
        }
        let first = spec.start + TimeDelta::seconds(REPORT_SECS);
        w.drive.at(first, Act::Positions);
        w
    }

    /// Kilometres driven and the run's facts; stops the desk.
    fn finish(self) -> (f64, RunFacts) {
        let m: f64 = self.crews.values().map(|c| c.road_m).sum();
        let facts = RunFacts {
            events: self.drive.events,
            refused: self.drive.refused,
            ..self.facts
        };
        (m / 1000.0, facts)
    }

    /// Plays everything: each action and each deadline at its moment, in time order, the
    /// operator acting after each, until nothing is left or the time limit has passed.
    async fn run(&mut self) -> anyhow::Result<()> {
        while self.step().await? {
            self.operate().await?;
            if self.drive.now() > self.limit {
                self.facts.stopped_at_limit = true;
                break;
            }
        }
        Ok(())
    }
}

impl driver::World for World<'_> {
    type Act = Act;

    fn driver(&mut self) -> &mut Driver<Act> {
        &mut self.drive
    }

    async fn next_due(&mut self) -> anyhow::Result<Option<DateTime<Utc>>> {
        Ok(self.mirror.next_due())
    }

    fn react(&mut self, events: &[Event]) {
        self.respond(events);
    }

    async fn act(&mut self, act: Act) -> anyhow::Result<()> {
        match act {
            Act::Alarm(n) => self.alarm(n).await,
            Act::Crew(incident, unit, action) => {
                let command = Command::Crew {
                    unit,
                    incident,
                    action,
                };
                self.submit(command).await.map(drop)
            }
            Act::Arrive(unit, seq) => self.arrive(unit, seq).await,
            Act::Release(unit, seq) => self.release(unit, seq).await,
            Act::Operator(incident, action) => {
                let command = Command::Operator {
                    user: OPERATOR.into(),
                    incident,
                    action,
                };
                self.submit(command).await.map(drop)
            }
            Act::Positions => self.positions().await,
        }
    }
}

impl World<'_> {
    /// Submits entrapment `n`'s alarm as intake would, with its lift resolved.
    async fn alarm(&mut self, n: usize) -> anyhow::Result<()> {
        self.alarms_left = self.alarms_left.saturating_sub(1);
        let e = &self.scenario.entrapments[n];
        let lift = self.region.lifts[e.lift].clone();
        let alarm = Alarm {
            id: AlarmId(n as i64 + 1),
            channel: AlarmSource::CabinPhone,
            source_alarm_id: format!("sim-{n}"),
            lift_ref: LiftRef::RescueCode(lift.rescue_code.clone()),
            kind: e.kind.clone(),
            status: AlarmStatus::New,
            flags: e.flags,
            trapped: Some(e.trapped),
            floor: None,
            description: String::new(),
            occurred_at: self.drive.now(),
            received_at: self.drive.now(),
        };
        let lift = Some(Box::new(lift));
        self.submit(Command::Alarm { alarm, lift }).await.map(drop)
    }

    /// The crew reaches the lift; the first rescuer there frees the passengers.
    async fn arrive(&mut self, unit: UnitId, seq: u64) -> anyhow::Result<()> {
        let Some(crew) = self.crews.get_mut(&unit) else {
            return Ok(());
        };
        if !crew.arrive(seq) {
            return Ok(());
        }
        let Some(id) = crew.trip.as_ref().map(|t| t.incident) else {
            return Ok(());
        };
        let action = CrewAction::OnScene;
        let events = self.submit(Command::Crew {
            unit,
            incident: id,
            action,
        });
        if events.await?.is_empty() {
            self.stand_down(unit, id);
            self.start_next(unit);
            return Ok(());
        }
        self.appoint_releaser(id);
        Ok(())
    }

    /// The crew reports the passengers out and is free at the lift for its next job.
    async fn release(&mut self, unit: UnitId, seq: u64) -> anyhow::Result<()> {
        let trip = self.crews.get(&unit).and_then(|c| c.trip.clone());
        let Some(trip) = trip.filter(|t| t.seq == seq && t.on_scene) else {
            return Ok(());
        };
        let action = CrewAction::Released;
        self.submit(Command::Crew {
            unit,
            incident: trip.incident,
            action,
        })
        .await?;
        self.releaser.remove(&trip.incident);
        if let Some(c) = self.crews.get_mut(&unit) {
            c.stop(self.drive.now());
        }
        self.start_next(unit);
        Ok(())
    }

    /// Crews report where they are: those on the move every minute, the others often enough
    /// that the desk keeps ranking them from where they stand.
    async fn positions(&mut self) -> anyhow::Result<()> {
        let now = self.drive.now();
        let mut fixes = Vec::new();
        for (unit, c) in self.crews.iter_mut() {
            let stale = c
                .reported
                .is_none_or(|t| (now - t).num_seconds() >= REPORT_IDLE_SECS);
            if c.moving() || stale {
                c.reported = Some(now);
                fixes.push((
                    *unit,
                    Fix {
                        at: c.position(now),
                        taken: now,
                    },
                ));
            }
        }
        for (unit, fix) in fixes {
            self.mirror.update_position(unit, fix);
            self.drive.position(unit, fix).await?;
        }
        let open = self
            .mirror
            .incidents
            .values()
            .any(|i| !i.status.is_terminal());
        if open || self.alarms_left > 0 {
            self.drive
                .at(now + TimeDelta::seconds(REPORT_SECS), Act::Positions);
        }
        Ok(())
    }

    /// The operator hands free rescuers to incidents waiting for a person's decision (none in
    /// an active storm), first come first served, until nobody waits or nobody is free.
    async fn operate(&mut self) -> anyhow::Result<()> {
        while let Some((id, unit)) = operator::next(
            &mut self.waiting,
            &self.mirror,
            &self.crews,
            self.drive.now(),
        ) {
            let action = OperatorAction::Assign {
                unit,
                reason: operator::REASON.into(),
            };
            let command = Command::Operator {
                user: OPERATOR.into(),
                incident: id,
                action,
            };
            if self.submit(command).await?.is_empty() {
                self.waiting.retain(|w| *w != id); // refused: never loop on it
            } else {
                self.facts.operator_assignments += 1;
            }
        }
        Ok(())
    }
}
