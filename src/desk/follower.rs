//! A standby's desk: a mirror of the holder's, kept current by applying the log's committed
//! events as they come, answering reads and feeding the consoles; commands go to the holder
//! ([`Forward`]), never decided here. A holder whose append was fenced stands down at once
//! (it refuses commands and fires nothing) until the service makes it a mirror.

use super::{Desk, DeskError, EventSink};
use crate::dispatch::{Command, DeskState, Rejection};
use crate::domain::{Event, Fix, Unit, UnitId};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A command's outcome on the way back from another node.
pub type Forwarded = Pin<Box<dyn Future<Output = Result<Vec<Event>, DeskError>> + Send>>;

/// Where a standby sends what only the holder may decide.
pub trait Forward: Send + Sync + 'static {
    /// A command, answered with the holder's outcome.
    fn command(&self, command: Command) -> Forwarded;
    /// A live position (not answered).
    fn position(&self, unit: UnitId, fix: Fix);
    /// Registry edits of units (not answered).
    fn units(&self, units: Vec<Unit>);
}

/// What a desk needs to stand by.
pub struct Follower {
    /// The committed events after the mirror's log sequence, in log order.
    pub events: mpsc::Receiver<(i64, Event)>,
    /// The holder's door.
    pub forward: Arc<dyn Forward>,
}

/// A refusal as it crosses between nodes: enough to answer the caller as the holder would.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct RemoteRejection {
    /// Which refusal (`unknown_incident`, `ended`, `not_paged`, `out_of_order`, …).
    pub kind: String,
    /// What it is about (an incident or unit id, a field).
    pub subject: String,
    /// The refusal in words.
    pub message: String,
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follower").finish_non_exhaustive()
    }
}

impl From<&Rejection> for RemoteRejection {
    fn from(r: &Rejection) -> Self {
        let (kind, subject) = match r {
            Rejection::UnknownIncident(id) => ("unknown_incident", id.to_string()),
            Rejection::Ended(id, _) => ("ended", id.to_string()),
            Rejection::UnknownUnit(u) => ("unknown_unit", u.to_string()),
            Rejection::NotPaged(_, id) => ("not_paged", id.to_string()),
            Rejection::OutOfOrder { action, .. } => ("out_of_order", (*action).to_owned()),
            Rejection::UnknownStorm(n) => ("unknown_storm", format!("storm {n}")),
            Rejection::NoStormRules => ("no_storm_rules", String::new()),
            Rejection::StormCovers(n) => ("storm_covers", format!("storm {n}")),
            Rejection::Empty(field) => ("empty", (*field).to_owned()),
        };
        RemoteRejection {
            kind: kind.into(),
            subject,
            message: r.to_string(),
        }
    }
}

impl<S: EventSink> Desk<S> {
    /// Whether this desk decides (holds the lease and was not fenced).
    pub(super) fn decides(&self) -> bool {
        self.follower.is_none() && !self.fenced
    }

    /// The next committed event a standby follows (never, while it decides).
    pub(super) async fn next_followed(&mut self) -> Option<(i64, Event)> {
        match self.follower.as_mut() {
            Some(f) => match f.events.recv().await {
                Some(e) => Some(e),
                None => {
                    tracing::error!("the standby's follow of the log ended");
                    std::future::pending().await
                }
            },
            None => std::future::pending().await,
        }
    }

    /// Applies followed events (the first, and whatever else is waiting) to the mirror and
    /// shows them on the console feed; events at or before the mirror's sequence are skipped.
    pub(super) fn follow(&mut self, first: (i64, Event)) {
        let mut batch = vec![first];
        if let Some(f) = self.follower.as_mut() {
            while batch.len() < 1_000 {
                match f.events.try_recv() {
                    Ok(e) => batch.push(e),
                    Err(_) => break,
                }
            }
        }
        let (seqs, events): (Vec<i64>, Vec<Event>) = batch
            .into_iter()
            .filter(|(seq, _)| *seq > self.state.log_seq)
            .unzip();
        if !events.is_empty() {
            self.publish(&events, seqs, false);
        }
    }

    /// A command on a desk that does not decide: to the holder, answered from a task of its
    /// own so the mirror keeps following meanwhile.
    pub(super) fn forward(
        &self,
        command: Command,
        reply: tokio::sync::oneshot::Sender<Result<Vec<Event>, DeskError>>,
    ) {
        match &self.follower {
            Some(f) => {
                let answer = f.forward.command(command);
                tokio::spawn(async move {
                    let _ = reply.send(answer.await);
                });
            }
            None => {
                let _ = reply.send(Err(DeskError::Standby));
            }
        }
    }

    /// Becomes the holder's desk with `state` (rebuilt from the log after taking the lease).
    pub(super) fn promote(&mut self, state: DeskState) {
        self.state = state;
        self.follower = None;
        self.fenced = false;
        self.persisted.clear();
        self.retry_at = tokio::time::Instant::now();
        self.seal_retry_at = tokio::time::Instant::now();
    }

    /// Becomes a mirror with `state` (rebuilt from the log), following from its sequence.
    pub(super) fn demote(&mut self, state: DeskState, follower: Follower) {
        self.state = state;
        self.follower = Some(follower);
        self.fenced = false;
        self.persisted.clear();
    }
}
