//! The durable inbox between intake and the desk.
//!
//! Intake commits an alarm ([`Inbox::accept`]) and only then answers its sender. A single pump
//! ([`pump`]) feeds unprocessed alarms to the desk in inbox order; the desk's append marks each
//! one processed in the same transaction as its events, so after a crash every accepted alarm
//! that has no incident yet is still pending and is fed again. The same (channel, source id)
//! twice is one alarm: the inbox finds the first copy.

use crate::desk::{DeskError, DeskHandle};
use crate::dispatch::Command;
use crate::domain::{AlarmId, EventKind, IncidentId, Lift, LiftRef};
use crate::store::{InboxReceipt, NewAlarm, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

/// Intake's side of the inbox.
#[derive(Clone)]
pub struct Inbox {
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
    processed: broadcast::Sender<(AlarmId, IncidentId)>,
    wait: Duration,
}

impl Inbox {
    /// An inbox over `store`; `accept` waits up to `wait` for the incident id.
    pub fn new(store: Arc<dyn Store>, wait: Duration) -> Self {
        let (processed, _) = broadcast::channel(1024);
        Inbox {
            store,
            wake: Arc::new(Notify::new()),
            processed,
            wait,
        }
    }

    /// Commits an alarm and wakes the pump, without waiting for the desk: for sources that only
    /// need to know the alarm is durable (an MQTT acknowledgement), so a busy desk never holds
    /// up intake.
    pub async fn commit(
        &self,
        alarm: &NewAlarm,
        now: DateTime<Utc>,
    ) -> Result<InboxReceipt, StoreError> {
        let receipt = self.store.insert_alarm(alarm, now).await?;
        if receipt.incident.is_none() {
            self.wake.notify_one();
        }
        Ok(receipt)
    }

    /// Commits an alarm, wakes the pump, and waits a little for the incident it opens or joins.
    /// `Ok` means committed: the alarm will be dispatched even if the answer has no incident.
    pub async fn accept(
        &self,
        alarm: &NewAlarm,
        now: DateTime<Utc>,
    ) -> Result<InboxReceipt, StoreError> {
        let mut done = self.processed.subscribe();
        let mut receipt = self.store.insert_alarm(alarm, now).await?;
        if receipt.incident.is_some() {
            return Ok(receipt);
        }
        self.wake.notify_one();
        let id = receipt.alarm.id;
        let waited = tokio::time::timeout(self.wait, async {
            loop {
                match done.recv().await {
                    Ok((a, incident)) if a == id => return Some(incident),
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .await;
        receipt.incident = match waited {
            Ok(Some(incident)) => Some(incident),
            // Processed before we subscribed, or still queued: ask the store.
            _ => self.store.alarm_incident(id).await?,
        };
        Ok(receipt)
    }
}

/// How many inbox rows the pump takes per round.
const BATCH: i64 = 256;

/// Feeds pending alarms to the desk, oldest first, until the desk stops. Wakes on `accept`,
/// and at least every second (so alarms committed by another node are picked up too).
pub async fn pump(inbox: Inbox, desk: DeskHandle) {
    loop {
        match pump_once(&inbox, &desk).await {
            Ok(n) if n as i64 == BATCH => continue, // more waiting
            Ok(_) => {}
            Err(PumpError::Stopped) => return,
            Err(PumpError::Retry(e)) => tracing::warn!(error = %e, "inbox pump: will retry"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), inbox.wake.notified()).await;
    }
}

enum PumpError {
    Stopped,
    Retry(String),
}

/// One round: feeds up to [`BATCH`] pending alarms to the desk as one command, so they are
/// decided in inbox order and appended in one transaction (one commit for a whole burst rather
/// than one per alarm); returns how many were fed.
async fn pump_once(inbox: &Inbox, desk: &DeskHandle) -> Result<usize, PumpError> {
    let retry = |e: StoreError| PumpError::Retry(e.to_string());
    let pending = inbox.store.pending_alarms(BATCH).await.map_err(retry)?;
    let n = pending.len();
    if n == 0 {
        return Ok(0);
    }
    // Resolve the batch's lifts concurrently (each distinct reference once): on PostgreSQL a
    // lookup is a network round trip, and one after another they would hold the desk up.
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
    let mut alarms = Vec::with_capacity(n);
    for alarm in pending {
        let lift = lifts.get(&alarm.lift_ref).cloned().flatten();
        alarms.push((alarm, lift.map(Box::new)));
    }
    let events = match desk.submit(Command::Alarms { alarms }).await {
        Ok(events) => events,
        Err(DeskError::Stopped) => return Err(PumpError::Stopped),
        // The log refused: the alarms stay pending and are fed again next round.
        Err(e) => return Err(PumpError::Retry(e.to_string())),
    };
    for e in &events {
        if let (
            EventKind::IncidentOpened { alarm, .. } | EventKind::AlarmJoined { alarm },
            Some(incident),
        ) = (&e.kind, e.incident)
        {
            let _ = inbox.processed.send((alarm.id, incident));
        }
    }
    Ok(n)
}
