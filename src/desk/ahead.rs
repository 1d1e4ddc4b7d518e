//! Deciding ahead: in a burst, the desk decides the next batch of alarms while the batch before
//! it is being appended, so its own work (deciding, applying, the console's rows) overlaps the
//! database's instead of following it.
//!
//! The log's order stays the order of decisions: a batch is appended only once the one before
//! it has committed. To decide batch n + 1 during batch n's append, the desk applies n's events
//! to its state before n commits. If that append then fails, the state is ahead of the log:
//! both batches are refused (nothing of them counts, as when a lone append fails) and the state
//! is rebuilt from the log ([`EventSink::recover`]) before anything else is decided. A sink
//! that cannot rebuild never decides ahead.
//!
//! Only a batch of alarms is decided ahead; a live position that comes meanwhile is taken as
//! usual. Any other input (a crew's tap, a read of the board, a rule swap) ends the overlap and
//! is taken once the append has committed, so reads see committed state only. So does a
//! deadline falling due: it is fired next, never held up behind a burst.

use super::{Desk, DeskError, EventSink, Input, live::live_rows, sleep_until};
use crate::dispatch::{Command, IncidentView, apply, decide};
use crate::domain::Event;
use std::ops::Range;
use tokio::sync::{mpsc, oneshot};

/// Where a batch's outcome goes.
type Reply = oneshot::Sender<Result<Vec<Event>, DeskError>>;

/// Board rows for the console feed, one per event (see [`live_rows`]); `None` while no console
/// watches.
type Rows = Option<Vec<Option<IncidentView>>>;

/// Events decided after those being appended take at most this many before the desk stops
/// taking batches and waits for the append (about two full batches of a burst).
const AHEAD_MAX_EVENTS: usize = 8_192;

/// Batches decided and not yet in the log, appended as one.
#[derive(Default)]
struct Step {
    events: Vec<Event>,
    /// Each batch's reply and its events (a range of `events`), or its refusal.
    replies: Vec<(Reply, Result<Range<usize>, DeskError>)>,
    /// The board rows of `events` once they are applied to the state ahead of their commit
    /// (`None`: not applied yet).
    ahead: Option<Rows>,
}

impl Step {
    /// One batch's decision: its events, or why it was refused.
    fn add(&mut self, reply: Reply, outcome: Result<Vec<Event>, DeskError>, rows: Rows) {
        let outcome = outcome.map(|events| {
            let start = self.events.len();
            let held = self.ahead.get_or_insert(None);
            match (held, rows) {
                (Some(all), Some(rows)) => all.extend(rows),
                (Some(all), None) => all.extend(events.iter().map(|_| None)),
                (held @ None, Some(rows)) if start > 0 => {
                    let mut all: Vec<Option<IncidentView>> = vec![None; start];
                    all.extend(rows);
                    *held = Some(all);
                }
                (held, rows) => {
                    if start == 0 {
                        *held = rows;
                    }
                }
            }
            self.events.extend(events);
            start..self.events.len()
        });
        self.replies.push((reply, outcome));
    }

    /// Answers every batch once the events are in the log.
    fn answer(mut self) {
        if let [(_, Ok(range))] = self.replies.as_slice()
            && *range == (0..self.events.len())
        {
            let (reply, _) = self.replies.pop().expect("one reply");
            let _ = reply.send(Ok(self.events));
            return;
        }
        for (reply, outcome) in self.replies {
            let _ = reply.send(outcome.map(|range| self.events[range].to_vec()));
        }
    }

    /// Refuses every batch: nothing of them counts.
    fn refuse(self, why: &str) {
        for (reply, _) in self.replies {
            let _ = reply.send(Err(DeskError::Log(why.to_owned())));
        }
    }
}

impl<S: EventSink> Desk<S> {
    /// Takes a batch of alarms, and while its append runs, the batches that come meanwhile
    /// (appended together next). Answers each batch once its append is decided; returns an
    /// input it took but left for the run loop.
    pub(super) async fn batches(
        &mut self,
        cmd: Command,
        reply: Reply,
        rx: &mut mpsc::Receiver<Input>,
    ) -> Option<Input> {
        if let Err(e) = self.recovered().await {
            let _ = reply.send(Err(e));
            return None;
        }
        let mut current = match decide(&self.state, cmd, self.clock.now()) {
            Ok(events) if !events.is_empty() => {
                let mut step = Step::default();
                step.add(reply, Ok(events), None);
                step.ahead = None;
                step
            }
            outcome => {
                let _ = reply.send(outcome.map_err(DeskError::from));
                return None;
            }
        };
        loop {
            let wake = self.due_wake();
            let mut listening = self.sink.recovers();
            let mut stashed = None;
            let mut next = Step::default();
            let mut fixes = Vec::new();
            let started = std::time::Instant::now();
            let appended = {
                let append = self.sink.append(&current.events);
                tokio::pin!(append);
                loop {
                    tokio::select! {
                        biased;
                        appended = &mut append => break appended,
                        _ = sleep_until(wake), if listening => listening = false,
                        input = rx.recv(), if listening => match input {
                            Some(Input::Position(unit, fix)) => {
                                if self.state.update_position(unit, fix) {
                                    fixes.push((unit, fix));
                                }
                            }
                            Some(Input::Command(cmd @ Command::Alarms { .. }, reply)) => {
                                let now = self.clock.now();
                                if current.ahead.is_none() {
                                    for e in &current.events {
                                        apply(&mut self.state, e);
                                    }
                                    current.ahead =
                                        Some(live_rows(&self.state, &self.live, &current.events, now));
                                }
                                let outcome = decide(&self.state, cmd, now).map_err(DeskError::from);
                                let rows = match &outcome {
                                    Ok(events) => {
                                        for e in events {
                                            apply(&mut self.state, e);
                                        }
                                        live_rows(&self.state, &self.live, events, now)
                                    }
                                    Err(_) => None,
                                };
                                next.add(reply, outcome, rows);
                                listening = next.events.len() < AHEAD_MAX_EVENTS;
                            }
                            other => {
                                listening = false;
                                stashed = other;
                            }
                        },
                    }
                }
            };
            for (unit, fix) in fixes {
                self.sink.position(unit, fix);
            }
            let appended = self.appended(appended, current.events.len());
            tracing::debug!(
                events = current.events.len(),
                append_us = started.elapsed().as_micros() as u64,
                batches_ahead = next.replies.len(),
                events_ahead = next.events.len(),
                "desk batches appended"
            );
            match appended {
                Ok(seqs) => {
                    match current.ahead.take() {
                        Some(rows) => self.announce(&current.events, seqs, rows, true),
                        None => self.publish(&current.events, seqs, true),
                    }
                    self.persist_due(&current.events).await;
                    current.answer();
                }
                Err(e) => {
                    let ahead = current.ahead.is_some();
                    current.refuse(&e.to_string());
                    if ahead {
                        self.stale = true;
                        next.refuse(
                            "the batches before this one were not appended, and this one was decided after them: nothing of it counts",
                        );
                        if let Err(e) = self.recovered().await {
                            tracing::error!(error = %e, "the desk is ahead of the log and could not rebuild yet");
                        }
                        return stashed;
                    }
                }
            }
            if next.events.is_empty() {
                next.answer();
                return stashed;
            }
            current = next;
        }
    }

    /// Rebuilds the state from the log if an append failed after a later batch was decided
    /// from it; until that succeeds nothing is decided.
    pub(super) async fn recovered(&mut self) -> Result<(), DeskError> {
        if !self.stale || self.fenced {
            return Ok(());
        }
        let rules = self.state.rules.clone();
        match self.sink.recover(rules).await {
            Ok(mut state) => {
                // Live fixes are not on the log: the rebuilt desk keeps those it took.
                for (unit, fix) in self.state.fixes(None) {
                    state.update_position(unit, fix);
                }
                tracing::warn!(
                    log_seq = state.log_seq,
                    "the desk's state was rebuilt from the log after a failed append"
                );
                self.state = state;
                self.persisted.clear();
                self.stale = false;
                Ok(())
            }
            Err(e) => Err(DeskError::Log(format!(
                "the desk is rebuilding from the log after a failed append: {e:#}"
            ))),
        }
    }
}
