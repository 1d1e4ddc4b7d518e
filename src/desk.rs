//! The dispatch desk: the single writer of dispatch state for one region.
//!
//! One tokio task owns the [`DeskState`]. It takes [`Input`]s one at a time from a channel and
//! wakes itself when the earliest deadline falls due. For each command it calls the pure
//! [`decide`] with `now` from its [`Clock`], appends the events to the [`EventSink`] (the log),
//! and only after the append succeeded [`apply`]s them and publishes them on the live feed. A
//! failed append changes nothing and is reported to the caller. When every handle is dropped
//! the desk finishes what it took and returns its state.
//!
//! On a standby node the same task mirrors the holder's desk instead (see [`follower`]): it
//! applies the committed events it follows, answers reads, and forwards commands.

use crate::dispatch::{Command, DeskState, IncidentView, Rejection, decide, incident_view};
use crate::domain::{Equipment, Event, Fix, IncidentId, LiftId, Unit, UnitId};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::Instant;

/// Events the desk's own followers (paging, metrics) may fall behind by.
const FEED_CAPACITY: usize = 32_768;

/// How long the desk waits before retrying deadlines whose tick failed.
const RETRY: std::time::Duration = std::time::Duration::from_secs(1);

/// Where decided events go before they count: the event log.
pub trait EventSink: Send {
    /// Appends events durably, in order, and answers their log sequences; `Err` means none of
    /// them count.
    fn append(&mut self, events: &[Event])
    -> impl Future<Output = anyhow::Result<Vec<i64>>> + Send;

    /// [`append`](Self::append), also answering the command a standby forwarded (row `command`
    /// of `desk_commands`) with these events, in the same transaction where the log can.
    fn append_answering(
        &mut self,
        events: &[Event],
        _command: i64,
    ) -> impl Future<Output = anyhow::Result<Vec<i64>>> + Send {
        self.append(events)
    }

    /// Persists the next pending deadline of each incident the last append touched (`None`:
    /// none pending). Deadlines are derived from the log, so these rows are a durable,
    /// queryable copy; a failure here is logged, not fatal.
    fn deadlines(
        &mut self,
        _due: &[(IncidentId, Option<DateTime<Utc>>)],
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        async { Ok(()) }
    }

    /// The log's head: its last row's seq and hash (`None`: empty, or a log that cannot say),
    /// for the daily seal.
    fn head(&mut self) -> impl Future<Output = anyhow::Result<Option<(i64, String)>>> + Send {
        async { Ok(None) }
    }

    /// Keeps a live fix the desk took (newer than the one it held), so a restart pages from
    /// it. Must not wait: positions arrive every few seconds per crew.
    fn position(&mut self, _unit: UnitId, _fix: Fix) {}
}

/// An in-memory log, for the demo and tests.
#[derive(Debug, Default)]
pub struct MemoryLog {
    /// Every event appended, in order.
    pub events: Vec<Event>,
}

impl EventSink for MemoryLog {
    async fn append(&mut self, events: &[Event]) -> anyhow::Result<Vec<i64>> {
        let first = self.events.len() as i64 + 1;
        self.events.extend_from_slice(events);
        Ok((first..first + events.len() as i64).collect())
    }
}

/// Why the desk did not take a command.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The core refused it; nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The log did not take the events; nothing changed.
    #[error("the event log refused the append: {0}")]
    Log(String),
    /// The desk has stopped.
    #[error("the dispatch desk is not running")]
    Stopped,
    /// This node does not hold the desk (it lost the lease) and cannot forward the command.
    #[error("this node does not hold the dispatch desk")]
    Standby,
    /// The holder, on another node, refused the command; nothing changed.
    #[error(transparent)]
    Remote(#[from] RemoteRejection),
}

/// What the desk's channel carries.
#[derive(Debug)]
pub enum Input {
    /// A command and where to send its outcome.
    Command(Command, oneshot::Sender<Result<Vec<Event>, DeskError>>),
    /// A command a standby forwarded (its `desk_commands` row), answered with the events'
    /// append.
    Forwarded(Command, i64, oneshot::Sender<Result<Vec<Event>, DeskError>>),
    /// A live position (not logged; see [`DeskState::update_position`]).
    Position(UnitId, Fix),
    /// The console's view of an incident.
    View(IncidentId, oneshot::Sender<Option<IncidentView>>),
    /// Counts for the board and `/metrics`.
    Stats(oneshot::Sender<DeskStats>),
    /// The incidents holding a unit (pending pages and unreleased assignments).
    Assignments(UnitId, oneshot::Sender<Vec<IncidentView>>),
    /// Registry edits of units (see [`DeskState::register_unit`]).
    Units(Vec<Unit>),
    /// Supervised equipment with a fault.
    EquipmentFaults(oneshot::Sender<Vec<EquipmentFault>>),
    /// Put equipment under supervision (the registry's cabin phones), from now.
    Watch(Vec<(Equipment, Option<LiftId>)>),
    /// Replace the rules for incidents opened from now on (see [`DeskHandle::swap_rules`]).
    Rules(RulesSwap, oneshot::Sender<Result<Vec<Event>, DeskError>>),
    /// The live fixes the desk holds: one unit's, or every unit's.
    Fixes(Option<UnitId>, oneshot::Sender<Vec<(UnitId, Fix)>>),
    /// The console's board: the open incidents, or the named ones, and the log sequence they
    /// stand at.
    Board(Option<Vec<IncidentId>>, oneshot::Sender<Board>),
    /// The storms the desk holds, with their incidents in priority order.
    Storms(oneshot::Sender<crate::dispatch::storm::view::StormsView>),
    /// Decide from now on, with this state (rebuilt from the log after taking the lease).
    Promote(Box<DeskState>, oneshot::Sender<()>),
    /// Stop deciding now (the lease is gone); a [`Input::Demote`] follows.
    StandDown(oneshot::Sender<()>),
    /// Stand by from now on: mirror this state (rebuilt from the log) and follow the log.
    Demote(Box<DeskState>, Follower, oneshot::Sender<()>),
}

/// A cloneable handle for submitting to a running desk.
#[derive(Debug, Clone)]
pub struct DeskHandle {
    tx: mpsc::Sender<Input>,
    feed: broadcast::Sender<Event>,
    live: broadcast::Sender<Arc<Committed>>,
    fenced: tokio::sync::watch::Receiver<u64>,
}

/// Starts a desk on the current tokio runtime; the join handle yields the final state and sink.
pub fn spawn<S: EventSink + 'static>(
    state: DeskState,
    sink: S,
    clock: Clock,
) -> (DeskHandle, tokio::task::JoinHandle<(DeskState, S)>) {
    spawn_as(state, sink, clock, None)
}

/// [`spawn`], standing by (mirroring `state` and following the log) when `follower` is given.
pub fn spawn_as<S: EventSink + 'static>(
    state: DeskState,
    sink: S,
    clock: Clock,
    follower: Option<Follower>,
) -> (DeskHandle, tokio::task::JoinHandle<(DeskState, S)>) {
    let (tx, rx) = mpsc::channel(1024);
    // Room for the events of a few steps of a burst (a batch of alarms logs about a dozen
    // events per incident it opens), so paging and metrics do not fall behind.
    let (feed, _) = broadcast::channel(FEED_CAPACITY);
    let (live, _) = broadcast::channel(LIVE_CAPACITY);
    let desk = Desk {
        state,
        sink,
        clock,
        feed: feed.clone(),
        live: live.clone(),
        retry_at: Instant::now(),
        seal_retry_at: Instant::now(),
        persisted: Default::default(),
        follower,
        fenced: false,
        fence_alarm: tokio::sync::watch::Sender::new(0),
        answering: None,
    };
    let fenced = desk.fence_alarm.subscribe();
    let handle = DeskHandle {
        tx,
        feed,
        live,
        fenced,
    };
    (handle, tokio::spawn(desk.run(rx)))
}

struct Desk<S> {
    state: DeskState,
    sink: S,
    clock: Clock,
    feed: broadcast::Sender<Event>,
    live: broadcast::Sender<Arc<Committed>>,
    retry_at: Instant,
    /// Not before this does the desk try a seal that failed again.
    seal_retry_at: Instant,
    /// The next deadline of each incident as last persisted since the start (`None`: none
    /// pending), so a command that moves no deadline (a delivery report, a note) writes none.
    persisted: std::collections::HashMap<IncidentId, Option<DateTime<Utc>>>,
    /// Standing by: what it follows and where commands go (`None`: it decides).
    follower: Option<Follower>,
    /// The log refused an append: another node holds the lease. Nothing more is decided here.
    fenced: bool,
    /// Counts the times the desk found itself fenced.
    fence_alarm: tokio::sync::watch::Sender<u64>,
    /// The forwarded command the step under way answers (its `desk_commands` row).
    answering: Option<i64>,
}

impl<S: EventSink> Desk<S> {
    async fn run(mut self, mut rx: mpsc::Receiver<Input>) -> (DeskState, S) {
        loop {
            let decides = self.decides();
            let due = (self.state.next_due())
                .filter(|_| decides)
                .and_then(|t| self.clock.instant_of(t));
            let wake = due.map(|d| d.max(self.retry_at));
            let seal_wake = self.seal_wake().filter(|_| decides);
            let input = tokio::select! {
                input = rx.recv() => input,
                Some(followed) = self.next_followed() => {
                    self.follow(followed);
                    continue;
                }
                _ = sleep_until(seal_wake) => {
                    self.seal().await;
                    continue;
                }
                _ = sleep_until(wake) => {
                    match self.step(Command::Tick).await {
                        Ok(events) if !events.is_empty() => {}
                        // Due but nothing fired would be a bug; never spin on it.
                        Ok(_) => self.retry_at = Instant::now() + RETRY,
                        Err(e) => {
                            // The log is refusing appends: the deadlines are still due, so
                            // none is lost; retry in a second rather than spin.
                            tracing::error!(error = %e, "deadline tick failed; retrying");
                            self.retry_at = Instant::now() + RETRY;
                        }
                    }
                    continue;
                }
            };
            match input {
                None => return (self.state, self.sink),
                Some(Input::Position(unit, fix)) => {
                    if let Some(f) = &self.follower {
                        f.forward.position(unit, fix);
                        self.state.update_position(unit, fix);
                    } else if self.state.update_position(unit, fix) {
                        self.sink.position(unit, fix);
                    }
                }
                Some(Input::Promote(state, reply)) => {
                    self.promote(*state);
                    let _ = reply.send(());
                }
                Some(Input::StandDown(reply)) => {
                    self.fenced = true;
                    let _ = reply.send(());
                }
                Some(Input::Demote(state, follower, reply)) => {
                    self.demote(*state, follower);
                    let _ = reply.send(());
                }
                Some(Input::Fixes(unit, reply)) => {
                    let _ = reply.send(self.state.fixes(unit));
                }
                Some(Input::Board(ids, reply)) => {
                    let _ = reply.send(self.board(ids));
                }
                Some(Input::Command(cmd, reply)) if self.decides() => {
                    let _ = reply.send(self.step(cmd).await);
                }
                Some(Input::Command(cmd, reply)) => self.forward(cmd, reply),
                Some(Input::Forwarded(cmd, row, reply)) if self.decides() => {
                    self.answering = Some(row);
                    let _ = reply.send(self.step(cmd).await);
                    self.answering = None;
                }
                // Forwarded to a desk that stood down: the next holder takes the row again.
                Some(Input::Forwarded(_, _, reply)) => {
                    let _ = reply.send(Err(DeskError::Standby));
                }
                Some(Input::View(id, reply)) => {
                    let _ = reply.send(incident_view(&self.state, id, self.clock.now()));
                }
                Some(Input::Stats(reply)) => {
                    let _ = reply.send(DeskStats::of(&self.state));
                }
                Some(Input::Storms(reply)) => {
                    let now = self.clock.now();
                    let _ = reply.send(crate::dispatch::storm::view::storms_view(&self.state, now));
                }
                Some(Input::EquipmentFaults(reply)) => {
                    let faults =
                        self.state
                            .equipment_faults()
                            .into_iter()
                            .map(|(e, s)| EquipmentFault {
                                equipment: e.clone(),
                                lift: s.lift,
                                fault: s.fault.clone().unwrap_or_default(),
                                since: s.since,
                                last_test: s.last_test,
                            });
                    let _ = reply.send(faults.collect());
                }
                Some(Input::Watch(equipment)) => {
                    let now = self.clock.now();
                    for (e, lift) in equipment {
                        self.state.watch(e, lift, now);
                    }
                }
                Some(Input::Rules(swap, reply)) if self.decides() => {
                    let _ = reply.send(self.swap_rules(swap).await);
                }
                // A standby reads the rules from their source when it takes the desk; a reload
                // is for the holder (which logs it).
                Some(Input::Rules(_, reply)) => {
                    let _ = reply.send(Err(DeskError::Standby));
                }
                Some(Input::Units(units)) => {
                    if let Some(f) = &self.follower {
                        f.forward.units(units.clone());
                    }
                    for unit in units {
                        self.state.register_unit(unit);
                    }
                }
                Some(Input::Assignments(unit, reply)) => {
                    let now = self.clock.now();
                    let held = self
                        .state
                        .units
                        .get(&unit)
                        .map(|u| u.held_by.clone())
                        .unwrap_or_default();
                    let views = held
                        .into_iter()
                        .filter_map(|id| incident_view(&self.state, id, now))
                        .collect();
                    let _ = reply.send(views);
                }
            }
        }
    }

    /// One command: decide, append, apply, publish.
    async fn step(&mut self, cmd: Command) -> Result<Vec<Event>, DeskError> {
        let started = std::time::Instant::now();
        let events = decide(&self.state, cmd, self.clock.now())?;
        if events.is_empty() {
            return Ok(events);
        }
        let decided = started.elapsed();
        let seqs = self.append(&events).await?;
        let appended = started.elapsed();
        self.publish(&events, seqs, true);
        // Where a step's time goes, for load tests (`LIFTRESCUE_LOG=liftrescue::desk=debug`).
        tracing::debug!(
            events = events.len(),
            decide_us = decided.as_micros() as u64,
            append_us = (appended - decided).as_micros() as u64,
            apply_us = (started.elapsed() - appended).as_micros() as u64,
            "desk step"
        );
        let mut touched: Vec<IncidentId> = events.iter().filter_map(|e| e.incident).collect();
        touched.dedup();
        touched.sort();
        touched.dedup();
        let due: Vec<_> = touched
            .into_iter()
            .map(|id| (id, self.state.incident_next_due(id)))
            .filter(|(id, at)| self.persisted.get(id) != Some(at))
            .collect();
        if due.is_empty() {
            return Ok(events);
        }
        match self.sink.deadlines(&due).await {
            Ok(()) => {
                self.persisted.extend(due);
            }
            Err(e) => tracing::warn!(error = %e, "could not persist pending deadlines"),
        }
        Ok(events)
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

mod clock;
mod follower;
mod handle;
mod live;
pub mod reload;
mod rules;
mod seal;
mod stats;
pub use clock::{Clock, ClockHand};
pub use follower::{Follower, Forward, Forwarded, RemoteRejection};
pub use live::{Board, Committed, LIVE_CAPACITY};
pub use rules::RulesSwap;
pub use stats::{DeskStats, EquipmentFault};

#[cfg(test)]
mod seal_tests;
#[cfg(test)]
mod tests;
