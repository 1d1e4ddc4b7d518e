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
use tokio::sync::{mpsc, oneshot};

/// Where a step's outcome goes.
type Reply = oneshot::Sender<Result<Vec<Event>, DeskError>>;

/// A batch decided, not yet in the log.
struct Decided {
    events: Vec<Event>,
    reply: Reply,
}

/// The batch taken during an append: decided (to append next), or answered without events (a
/// refusal, or nothing to log), which holds only if the append before it commits.
enum Next {
    Decided(Decided),
    Answered(Reply, Result<Vec<Event>, DeskError>),
}

impl<S: EventSink> Desk<S> {
    /// Takes a batch of alarms, and while its append runs, the next batch if one comes. Answers
    /// each batch once its append is decided; returns an input it took but left for the run
    /// loop.
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
            Ok(events) if !events.is_empty() => Decided { events, reply },
            outcome => {
                let _ = reply.send(outcome.map_err(DeskError::from));
                return None;
            }
        };
        loop {
            let wake = self.due_wake();
            let mut listening = self.sink.recovers();
            let mut stashed = None;
            let mut next: Option<Next> = None;
            // The board rows of `current`, when it was applied ahead of its commit.
            let mut ahead: Option<Option<Vec<Option<IncidentView>>>> = None;
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
                                listening = false;
                                for e in &current.events {
                                    apply(&mut self.state, e);
                                }
                                let now = self.clock.now();
                                ahead = Some(live_rows(&self.state, &self.live, &current.events, now));
                                next = Some(match decide(&self.state, cmd, now) {
                                    Ok(events) if !events.is_empty() => {
                                        Next::Decided(Decided { events, reply })
                                    }
                                    outcome => Next::Answered(reply, outcome.map_err(DeskError::from)),
                                });
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
                ahead = next.is_some(),
                "desk batch appended"
            );
            match appended {
                Ok(seqs) => {
                    match ahead {
                        Some(rows) => self.announce(&current.events, seqs, rows, true),
                        None => self.publish(&current.events, seqs, true),
                    }
                    self.persist_due(&current.events).await;
                    let _ = current.reply.send(Ok(current.events));
                }
                Err(e) => {
                    let _ = current.reply.send(Err(e));
                    if ahead.is_some() {
                        self.stale = true;
                        if let Some(
                            Next::Decided(Decided { reply, .. }) | Next::Answered(reply, _),
                        ) = next.take()
                        {
                            let _ = reply.send(Err(DeskError::Log(
                                "the batch before this one was not appended, and this one was decided after it: nothing of it counts"
                                    .into(),
                            )));
                        }
                        if let Err(e) = self.recovered().await {
                            tracing::error!(error = %e, "the desk is ahead of the log and could not rebuild yet");
                        }
                    }
                }
            }
            match next {
                Some(Next::Decided(n)) => current = n,
                Some(Next::Answered(reply, outcome)) => {
                    let _ = reply.send(outcome);
                    return stashed;
                }
                None => return stashed,
            }
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
