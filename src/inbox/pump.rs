//! The pump: feeds the desk the alarms the inbox took, in batches, and answers the requests
//! waiting for them.

use super::{BATCH, Handed, Inbox};
use crate::desk::{DeskError, DeskHandle};
use crate::dispatch::Command;
use crate::domain::{Alarm, AlarmId, Event, EventKind, Lift, LiftRef};
use crate::store::StoreError;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Feeds alarms to the desk until it stops: those handed over as they come, and pending rows
/// of the inbox at start, every idle second and when a handover was missed.
pub async fn pump(inbox: Inbox, desk: DeskHandle) {
    let mut fed = Fed::default();
    let mut sent: Option<Sent> = None;
    loop {
        let handed: Vec<Handed> = {
            let mut q = inbox.handed.lock().unwrap_or_else(|p| p.into_inner());
            q.take(BATCH as usize)
        };
        let round = if !handed.is_empty() {
            feed(&inbox, &desk, &mut fed, &mut sent, handed).await
        } else if let Some(batch) = sent.take() {
            settle(&inbox, &mut fed, batch).await
        } else if inbox.read.swap(false, Ordering::AcqRel) {
            read_inbox(&inbox, &desk, &mut fed, &mut sent).await
        } else {
            match tokio::time::timeout(Duration::from_secs(1), inbox.wake.notified()).await {
                Ok(()) => {}
                Err(_) => inbox.read.store(true, Ordering::Release),
            }
            continue;
        };
        match round {
            Ok(()) => {}
            Err(PumpError::Stopped) => return,
            Err(PumpError::Retry(e)) => {
                tracing::warn!(error = %e, "inbox pump: will retry");
                inbox.read.store(true, Ordering::Release);
                let _ = tokio::time::timeout(Duration::from_secs(1), inbox.wake.notified()).await;
            }
        }
    }
}

enum PumpError {
    Stopped,
    Retry(String),
}

/// A batch sent to the desk whose outcome the pump has not taken yet. The pump sends the next
/// batch before taking it, so the desk can decide that one while this one is appended.
struct Sent {
    ids: Vec<AlarmId>,
    outcome: tokio::sync::oneshot::Receiver<Result<Vec<Event>, DeskError>>,
    at: std::time::Instant,
}

/// The alarms fed lately (bounded): one that comes both handed over and read is fed once.
#[derive(Default)]
struct Fed {
    ids: HashSet<AlarmId>,
    order: VecDeque<AlarmId>,
}

impl Fed {
    const CAP: usize = 65_536;

    /// Takes `id` unless it was fed already.
    fn take(&mut self, id: AlarmId) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > Self::CAP
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        true
    }

    /// Forgets `ids` (the desk refused them: they are read again).
    fn forget(&mut self, ids: &[AlarmId]) {
        for id in ids {
            self.ids.remove(id);
        }
    }
}

/// Reads up to [`BATCH`] pending alarms from the inbox, resolves their lifts and feeds them;
/// reads on while full batches come back.
async fn read_inbox(
    inbox: &Inbox,
    desk: &DeskHandle,
    fed: &mut Fed,
    sent: &mut Option<Sent>,
) -> Result<(), PumpError> {
    /// Says the pump is draining a backlog from the first full batch until it returns.
    struct Draining<'a>(&'a AtomicBool);
    impl Drop for Draining<'_> {
        fn drop(&mut self) {
            self.0.store(false, Ordering::Release);
        }
    }
    let draining = Draining(&inbox.draining);
    let retry = |e: StoreError| PumpError::Retry(e.to_string());
    loop {
        let pending = inbox.store.pending_alarms(BATCH).await.map_err(retry)?;
        let n = pending.len();
        if n == BATCH as usize {
            draining.0.store(true, Ordering::Release);
        }
        let pending: Vec<Alarm> = pending
            .into_iter()
            .filter(|a| !fed.ids.contains(&a.id))
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        // Resolve the batch's lifts concurrently (each distinct reference once): on PostgreSQL
        // a lookup is a network round trip, and one after another they would hold the desk up.
        let refs: HashSet<LiftRef> = pending.iter().map(|a| a.lift_ref.clone()).collect();
        let mut lookups = tokio::task::JoinSet::new();
        for r in refs {
            let store = inbox.store.clone();
            lookups.spawn(async move {
                let lift = store.find_lift(&r).await;
                (r, lift)
            });
        }
        let mut lifts: HashMap<LiftRef, Option<Lift>> = HashMap::with_capacity(lookups.len());
        while let Some(done) = lookups.join_next().await {
            let (r, lift) = done.map_err(|e| PumpError::Retry(e.to_string()))?;
            lifts.insert(r, lift.map_err(retry)?);
        }
        let alarms = pending
            .into_iter()
            .map(|a| {
                let lift = lifts.get(&a.lift_ref).cloned().flatten();
                (a, lift)
            })
            .collect();
        feed(inbox, desk, fed, sent, alarms).await?;
        if n < BATCH as usize {
            return Ok(());
        }
    }
}

/// Feeds one batch to the desk as one command, so its alarms are decided in order and appended
/// in one transaction (one commit for a whole burst rather than one per alarm). Takes the
/// outcome of the batch sent before it once this one is on its way.
async fn feed(
    inbox: &Inbox,
    desk: &DeskHandle,
    fed: &mut Fed,
    sent: &mut Option<Sent>,
    alarms: Vec<Handed>,
) -> Result<(), PumpError> {
    let alarms: Vec<_> = alarms
        .into_iter()
        .filter(|(a, _)| fed.take(a.id))
        .map(|(a, lift)| (a, lift.map(Box::new)))
        .collect();
    if alarms.is_empty() {
        return Ok(());
    }
    let ids: Vec<AlarmId> = alarms.iter().map(|(a, _)| a.id).collect();
    let at = std::time::Instant::now();
    let outcome = match desk.send(Command::Alarms { alarms }).await {
        Ok(outcome) => outcome,
        Err(_) => return Err(PumpError::Stopped),
    };
    match sent.replace(Sent { ids, outcome, at }) {
        Some(before) => settle(inbox, fed, before).await,
        None => Ok(()),
    }
}

/// Takes a sent batch's outcome: answers its alarms' requests, or forgets the alarms when the
/// desk refused the batch (they stay pending and are read again).
async fn settle(inbox: &Inbox, fed: &mut Fed, batch: Sent) -> Result<(), PumpError> {
    let outcome = batch.outcome.await.unwrap_or(Err(DeskError::Stopped));
    tracing::debug!(
        alarms = batch.ids.len(),
        took_us = batch.at.elapsed().as_micros() as u64,
        "inbox pump: a batch decided"
    );
    let events = match outcome {
        Ok(events) => events,
        Err(DeskError::Stopped) => return Err(PumpError::Stopped),
        // The log refused: the alarms stay pending and are read again.
        Err(e) => {
            fed.forget(&batch.ids);
            return Err(PumpError::Retry(e.to_string()));
        }
    };
    inbox
        .answers
        .answer(events.iter().filter_map(|e| match (&e.kind, e.incident) {
            (
                EventKind::IncidentOpened { alarm, .. } | EventKind::AlarmJoined { alarm },
                Some(incident),
            ) => Some((alarm.id, incident)),
            _ => None,
        }));
    Ok(())
}
