//! The real desk on a simulated clock: one driver for every world that plays one, the storm of
//! `simulate storm` (`sim::world`) and the history of `seed-demo --history`
//! ([`crate::registry::history`]).
//!
//! A world keeps an agenda of its own actions (alarms, crews answering and moving, the
//! operator), each due at a simulated moment; the desk ([`crate::desk::spawn`] on a
//! [`crate::desk::Clock::simulated`]) keeps its deadlines and never fires them by itself.
//! [`World::step`] plays whichever comes first, moving the clock's hand to its moment: a
//! deadline before an action due at the same moment, actions due together in the order they
//! were put on the agenda. What a world does for an action and in answer to the desk's events
//! is its own ([`World`]); what it does between steps (a simulated operator, a progress line, a
//! time limit) is its loop around the step.

use crate::desk::{ClockHand, DeskError, DeskHandle};
use crate::dispatch::Command;
use crate::domain::{Event, Fix, UnitId};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;

/// The clock, the agenda and the desk of one run, with the run's random draws and counts.
pub(crate) struct Driver<A> {
    desk: DeskHandle,
    hand: ClockHand,
    now: DateTime<Utc>,
    /// The world's random draws, and the jitter of [`Driver::after`].
    pub rng: fastrand::Rng,
    /// Actions by due moment, then by the order they were put on it.
    agenda: BTreeMap<(DateTime<Utc>, u64), A>,
    next: u64,
    /// Events the desk answered with.
    pub events: usize,
    /// Commands the desk refused (a simulated actor overtaken by events).
    pub refused: usize,
}

impl<A> Driver<A> {
    /// A run of `desk`, whose simulated clock `hand` moves, starting at `start`; `rng` draws.
    pub(crate) fn new(
        desk: DeskHandle,
        hand: ClockHand,
        start: DateTime<Utc>,
        rng: fastrand::Rng,
    ) -> Self {
        Driver {
            desk,
            hand,
            now: start,
            rng,
            agenda: BTreeMap::new(),
            next: 0,
            events: 0,
            refused: 0,
        }
    }

    /// The simulated time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The desk, for what is not a command (position reports, its figures).
    pub(crate) fn desk(&self) -> &DeskHandle {
        &self.desk
    }

    /// Puts `act` on the agenda at `at`.
    pub(crate) fn at(&mut self, at: DateTime<Utc>, act: A) {
        self.next += 1;
        self.agenda.insert((at, self.next), act);
    }

    /// Puts `act` on the agenda `secs` (and a fraction of a second) from now.
    pub(crate) fn after(&mut self, secs: i64, act: A) {
        let jitter = TimeDelta::milliseconds(self.rng.i64(0..1000));
        self.at(self.now + TimeDelta::seconds(secs) + jitter, act);
    }

    /// Reports a crew's position to the desk.
    pub(crate) async fn position(&self, unit: UnitId, fix: Fix) -> anyhow::Result<()> {
        self.desk.position(unit, fix).await.map_err(desk_error)
    }

    /// Moves the clock to `t`; it never goes back.
    fn set(&mut self, t: DateTime<Utc>) {
        self.now = t.max(self.now);
        self.hand.set(self.now);
    }
}

/// A world around the desk: what it does for each of its actions and in answer to what the
/// desk decides. Its [`Driver`] plays both in time order.
pub(crate) trait World {
    /// A simulated action.
    type Act;

    /// The run's driver.
    fn driver(&mut self) -> &mut Driver<Self::Act>;

    /// When the desk's next deadline falls due.
    async fn next_due(&mut self) -> anyhow::Result<Option<DateTime<Utc>>>;

    /// Plays one action, due now.
    async fn act(&mut self, act: Self::Act) -> anyhow::Result<()>;

    /// Takes in the events the desk answered a command with, scheduling what follows.
    fn react(&mut self, events: &[Event]);

    /// Submits a command; the desk's refusal is counted and answers no events.
    async fn submit(&mut self, command: Command) -> anyhow::Result<Vec<Event>> {
        let driver = self.driver();
        match driver.desk.submit(command).await {
            Ok(events) => {
                driver.events += events.len();
                self.react(&events);
                Ok(events)
            }
            Err(DeskError::Rejected(_)) => {
                driver.refused += 1;
                Ok(Vec::new())
            }
            Err(e) => Err(desk_error(e)),
        }
    }

    /// Plays the next deadline or action at its moment (a deadline before an action due at
    /// the same moment); `false` when neither is left.
    async fn step(&mut self) -> anyhow::Result<bool> {
        let due = self.next_due().await?;
        let next = self.driver().agenda.first_key_value().map(|((t, _), _)| *t);
        match (due, next) {
            (Some(d), n) if n.is_none_or(|n| d <= n) => {
                self.driver().set(d);
                let events = self.submit(Command::Tick).await?;
                if events.is_empty() && self.next_due().await? == Some(d) {
                    anyhow::bail!("the deadline due at {d} did not fire");
                }
            }
            _ => {
                let Some(((t, _), act)) = self.driver().agenda.pop_first() else {
                    return Ok(false);
                };
                self.driver().set(t);
                self.act(act).await?;
            }
        }
        Ok(true)
    }
}

/// The desk's failure, as the worlds report it.
pub(crate) fn desk_error(e: DeskError) -> anyhow::Error {
    anyhow::anyhow!("the dispatch desk: {e}")
}
