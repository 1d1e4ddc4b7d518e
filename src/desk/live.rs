//! What the desk publishes once the log has taken a step's events: each event for the desk's own
//! followers (paging, metrics), and for the console feed each event with its log sequence and,
//! while a console watches, its incident's board row after the step — made once here and shared
//! by every console, so a console never asks the desk per event.

use super::{Desk, DeskError, EventSink};
use crate::dispatch::{IncidentView, apply, board_row};
use crate::domain::{Event, IncidentId};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// How many committed events the console feed holds for a slow console before it must catch up
/// from the log.
pub const LIVE_CAPACITY: usize = 8192;

/// One committed event as the console feed carries it.
#[derive(Debug, Clone)]
pub struct Committed {
    /// Its position in the log.
    pub seq: i64,
    /// The event.
    pub event: Event,
    /// Its incident's board row after the step, on the step's last event of that incident
    /// (`None` on the others, and for events without an incident).
    pub row: Option<IncidentView>,
    /// Its frame on the wire, made by the first console stream that sends it and shared by
    /// every other (serializing per console was most of the feed's cost with 50 consoles).
    pub wire: std::sync::OnceLock<bytes::Bytes>,
}

impl Committed {
    /// An event at `seq`, with its row when there is one.
    pub fn new(seq: i64, event: Event, row: Option<IncidentView>) -> Self {
        Committed {
            seq,
            event,
            row,
            wire: std::sync::OnceLock::new(),
        }
    }
}

/// The console's board at one log position.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Board {
    /// The log sequence of the last event the rows include.
    pub seq: i64,
    /// The desk's time when it answered.
    pub at: DateTime<Utc>,
    /// The rows, most recently opened first.
    pub incidents: Vec<IncidentView>,
}

impl<S: EventSink> Desk<S> {
    /// Appends a step's events to the log; nothing of them counts until this succeeds.
    pub(super) async fn append(&mut self, events: &[Event]) -> Result<Vec<i64>, DeskError> {
        let appended = match self.answering.take() {
            Some(row) => self.sink.append_answering(events, row).await,
            None => self.sink.append(events).await,
        };
        let seqs = match appended {
            Ok(seqs) => seqs,
            Err(e) => {
                let fenced = e.chain().any(|c| {
                    c.downcast_ref::<crate::store::StoreError>()
                        .is_some_and(|s| s.fenced())
                });
                if fenced && !self.fenced {
                    // Another node holds the lease: stand down now, before anything else is
                    // decided here, and have the service make this desk a standby.
                    tracing::error!(error = %format!("{e:#}"), "the log fenced this desk: standing down");
                    self.fenced = true;
                    self.fence_alarm.send_modify(|n| *n += 1);
                }
                return Err(DeskError::Log(format!("{e:#}")));
            }
        };
        if seqs.len() != events.len() {
            return Err(DeskError::Log(format!(
                "the log answered {} sequences for {} events",
                seqs.len(),
                events.len()
            )));
        }
        Ok(seqs)
    }

    /// Applies committed events to the state and publishes them: on the console feed, and
    /// (`own`: this desk appended them) to the desk's own followers (paging, metrics); a
    /// standby's mirror leaves those to the holder.
    pub(super) fn publish(&mut self, events: &[Event], seqs: Vec<i64>, own: bool) {
        for e in events {
            apply(&mut self.state, e);
            if own {
                let _ = self.feed.send(e.clone());
            }
        }
        if let Some(&last) = seqs.last() {
            self.state.log_seq = last;
        }
        if self.live.receiver_count() == 0 {
            return;
        }
        let now = self.clock.now();
        for (n, (e, seq)) in events.iter().zip(seqs).enumerate() {
            // The row goes with the last event of its incident in this step.
            let last_of_incident = e.incident.is_some()
                && !events[n + 1..]
                    .iter()
                    .any(|later| later.incident == e.incident);
            let row = e
                .incident
                .filter(|_| last_of_incident)
                .and_then(|id| board_row(&self.state, id, now));
            let _ = self
                .live
                .send(Arc::new(Committed::new(seq, e.clone(), row)));
        }
    }

    /// The open incidents (or the named ones, in any state) as board rows.
    pub(super) fn board(&self, ids: Option<Vec<IncidentId>>) -> Board {
        let now = self.clock.now();
        let mut incidents: Vec<IncidentView> = match ids {
            Some(ids) => ids
                .into_iter()
                .filter_map(|id| board_row(&self.state, id, now))
                .collect(),
            None => self
                .state
                .incidents
                .values()
                .filter(|i| !i.status.is_terminal())
                .filter_map(|i| board_row(&self.state, i.id, now))
                .collect(),
        };
        incidents.sort_by_key(|i| std::cmp::Reverse(i.id));
        Board {
            seq: self.state.log_seq,
            at: now,
            incidents,
        }
    }
}
