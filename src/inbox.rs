//! The durable inbox between intake and the desk.
//!
//! Intake commits an alarm ([`Inbox::accept`]) and only then answers its sender. A single pump
//! ([`pump`]) feeds unprocessed alarms to the desk; the desk's append marks each one processed
//! in the same transaction as its events, so after a crash every accepted alarm that has no
//! incident yet is still pending and is fed again. The same (channel, source id) twice is one
//! alarm: the inbox finds the first copy.
//!
//! Two ways lead from a commit to the pump. Intake commits the alarm with its lift resolved in
//! the same statement ([`Inbox::accept`], [`Inbox::commit`], whose source waits for the commit
//! alone; [`Inbox::accept_for_lift`] commits only if the lift is registered) and hands the
//! committed alarm with its lift straight over (no read of the inbox, no lookup on the way);
//! the pump also reads the inbox for pending rows at start, every idle second and whenever a
//! handover could not be made (the queue is full, the desk refused a batch), which covers
//! alarms committed by another node and anything not handed over. An alarm that arrives both
//! ways is fed once. The pump takes urgent alarms (a person ill, a child alone, smoke or
//! water) ahead of the handover queue, with their lift's earlier alarms ([`handover`]).

mod answers;
mod group;
mod handover;
mod routes;

pub use routes::Routes;

use crate::desk::{DeskError, DeskHandle};
use crate::dispatch::Command;
use crate::domain::{Alarm, AlarmId, EventKind, Lift, LiftRef};
use crate::store::{InboxReceipt, NewAlarm, Store, StoreError};
use answers::Answers;
use chrono::{DateTime, Utc};
use handover::{Handed, Handover};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Most alarms waiting in the handover queue; past it, intake leaves them to the inbox read
/// (which takes them in commit order only). A burst of 5,000 a second fits for seconds.
const HANDOVER_CAP: usize = 32_768;

/// Intake's side of the inbox.
#[derive(Clone)]
pub struct Inbox {
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
    answers: Arc<Answers>,
    wait: Duration,
    handed: Arc<Mutex<Handover>>,
    /// Something was committed that was not handed over: the pump reads the inbox.
    read: Arc<AtomicBool>,
    /// The pump is reading a backlog from the inbox (a full batch came back).
    draining: Arc<AtomicBool>,
    /// The group committer's queue ([`group`]).
    group: group::Queue,
    /// Another node holds the desk: committed alarms are left to its pump (which reads the
    /// inbox), and a caller's wait for the incident reads the store.
    standby: Arc<AtomicBool>,
    /// Told after a standby commits alarms, so the holder reads the inbox at once.
    committed_elsewhere: Arc<std::sync::OnceLock<Arc<dyn Fn() + Send + Sync>>>,
    /// Other regions' inboxes, for alarms of their districts ([`routes`]).
    routes: Arc<Mutex<Option<Arc<Routes>>>>,
}

impl Inbox {
    /// An inbox over `store`; `accept` waits up to `wait` for the incident id.
    pub fn new(store: Arc<dyn Store>, wait: Duration) -> Self {
        Inbox {
            store,
            wake: Arc::new(Notify::new()),
            answers: Arc::default(),
            wait,
            handed: Arc::default(),
            read: Arc::new(AtomicBool::new(true)),
            draining: Arc::default(),
            group: group::Queue::default(),
            standby: Arc::default(),
            committed_elsewhere: Arc::default(),
            routes: Arc::default(),
        }
    }

    /// Switches between holding the desk (`false`: alarms are handed to this node's pump) and
    /// standing by (`true`). On taking the desk the pump starts from the inbox's pending rows:
    /// whatever was handed over before may have been dispatched by the previous holder.
    pub fn set_standby(&self, standby: bool) {
        self.standby.store(standby, Ordering::Release);
        if !standby {
            let mut q = self.handed.lock().unwrap_or_else(|p| p.into_inner());
            q.take(usize::MAX);
            self.read.store(true, Ordering::Release);
            self.wake.notify_one();
        }
    }

    /// Whether the desk is behind: a full step's worth of alarms is handed over and waiting,
    /// or the pump is reading a backlog from the inbox (after a restart or a takeover, or past
    /// the handover queue's cap). Work that can wait (the review index) gives way while it is.
    pub fn backlogged(&self) -> bool {
        let handed = self.handed.lock().unwrap_or_else(|p| p.into_inner()).len();
        handed >= BATCH as usize || self.draining.load(Ordering::Acquire)
    }

    /// What a standby calls after committing alarms (to wake the holder's pump).
    pub fn on_standby_commit(&self, hook: Arc<dyn Fn() + Send + Sync>) {
        let _ = self.committed_elsewhere.set(hook);
    }

    /// Has the pump read the inbox (alarms committed by another node, as its notice says).
    pub fn read_soon(&self) {
        self.read.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// Commits an alarm and hands it to the pump, without waiting for the desk: for sources
    /// that only need to know the alarm is durable (an MQTT acknowledgement), so a busy desk
    /// never holds up intake.
    pub async fn commit(
        &self,
        alarm: &NewAlarm,
        now: DateTime<Utc>,
    ) -> Result<InboxReceipt, StoreError> {
        if let Some(other) = self.elsewhere(alarm) {
            return Box::pin(other.commit(alarm, now)).await;
        }
        Ok(self.insert(alarm, now).await?.0)
    }

    /// Commits the alarm with its lift resolved (in a group commit with the alarms arriving
    /// meanwhile, see [`group`]), then hands both to the pump; whether the lift was found. An
    /// alarm whose lift is not registered is committed all the same, unresolved (the operator
    /// identifies the lift).
    async fn insert(
        &self,
        alarm: &NewAlarm,
        now: DateTime<Utc>,
    ) -> Result<(InboxReceipt, bool), StoreError> {
        match self.commit_grouped(alarm, now, false).await? {
            Some((receipt, lift)) => Ok((receipt, lift.is_some())),
            None => Err(StoreError::Conflict(
                "the inbox refused an alarm it must take".into(),
            )),
        }
    }

    /// Commits the alarm only if its lift is registered, and hands both to the pump; `None`,
    /// with nothing written, when the reference names no lift.
    async fn insert_for_lift(
        &self,
        alarm: &NewAlarm,
        now: DateTime<Utc>,
    ) -> Result<Option<InboxReceipt>, StoreError> {
        Ok(self
            .commit_grouped(alarm, now, true)
            .await?
            .map(|(receipt, _)| receipt))
    }

    /// Whether `receipt` is a new alarm, to hand over; a copy of one not yet processed wakes
    /// the pump (the first copy was handed over, or is read).
    fn first_copy(&self, receipt: &InboxReceipt) -> bool {
        if receipt.incident.is_some() {
            return false;
        }
        if receipt.duplicate {
            self.wake.notify_one();
            return false;
        }
        true
    }

    /// Queues a committed alarm with its lift for the pump, or, when the queue is full, has the
    /// pump read the inbox.
    fn hand_over(&self, alarm: Alarm, lift: Option<Lift>) {
        if self.standby.load(Ordering::Acquire) {
            if let Some(hook) = self.committed_elsewhere.get() {
                hook();
            }
            return;
        }
        let handed = {
            let mut q = self.handed.lock().unwrap_or_else(|p| p.into_inner());
            q.push((alarm, lift), HANDOVER_CAP)
        };
        if !handed {
            self.read.store(true, Ordering::Release);
        }
        self.wake.notify_one();
    }

    /// Commits an alarm, hands it to the pump, and waits a little for the incident it opens or
    /// joins. `Ok` means committed: the alarm will be dispatched even if the answer has no
    /// incident.
    pub async fn accept(
        &self,
        alarm: &NewAlarm,
        now: DateTime<Utc>,
    ) -> Result<InboxReceipt, StoreError> {
        Ok(self.accept_resolving(alarm, now).await?.0)
    }

    /// [`Self::accept`], also telling whether the alarm's lift was found in the registry (an
    /// alarm whose lift is not is committed all the same, its incident marked unresolved).
    pub async fn accept_resolving(
        &self,
        alarm: &NewAlarm,
        now: DateTime<Utc>,
    ) -> Result<(InboxReceipt, bool), StoreError> {
        if let Some(other) = self.elsewhere(alarm) {
            return Box::pin(other.accept_resolving(alarm, now)).await;
        }
        let (receipt, found) = self.insert(alarm, now).await?;
        Ok((self.incident_of(receipt).await?, found))
    }

    /// [`Self::accept`] for an alarm whose lift must be in the registry, found as the alarm
    /// commits ([`Store::insert_alarm_for_lift`]): `None`, with nothing written, when its
    /// reference names no lift.
    pub async fn accept_for_lift(
        &self,
        alarm: &NewAlarm,
        now: DateTime<Utc>,
    ) -> Result<Option<InboxReceipt>, StoreError> {
        if let Some(other) = self.elsewhere(alarm) {
            return Box::pin(other.accept_for_lift(alarm, now)).await;
        }
        let Some(receipt) = self.insert_for_lift(alarm, now).await? else {
            return Ok(None);
        };
        self.incident_of(receipt).await.map(Some)
    }

    /// Waits a little for the incident a committed alarm opens or joins (an answer that came
    /// before the wait began is kept for it, see [`answers`]).
    async fn incident_of(&self, mut receipt: InboxReceipt) -> Result<InboxReceipt, StoreError> {
        if receipt.incident.is_some() {
            return Ok(receipt);
        }
        let id = receipt.alarm.id;
        if self.standby.load(Ordering::Acquire) {
            receipt.incident = self.incident_from_store(id).await;
            return Ok(receipt);
        }
        receipt.incident = match self.answers.wait(id, self.wait).await {
            Some(incident) => Some(incident),
            // Answered to another request for the same alarm, or still queued: ask the store.
            // The alarm is committed whatever this read says: a failed read answers without
            // the incident rather than turning an accepted alarm into an error.
            _ => match self.store.alarm_incident(id).await {
                Ok(incident) => incident,
                Err(e) => {
                    tracing::warn!(error = %e, alarm = id.0, "alarm committed; its incident could not be read");
                    None
                }
            },
        };
        Ok(receipt)
    }
}

impl Inbox {
    /// A standby's wait for the incident its committed alarm opens or joins on the holder:
    /// the store, read every [`STANDBY_LOOK`] up to the wait.
    async fn incident_from_store(&self, id: AlarmId) -> Option<crate::domain::IncidentId> {
        let until = tokio::time::Instant::now() + self.wait;
        loop {
            match self.store.alarm_incident(id).await {
                Ok(Some(incident)) => return Some(incident),
                Ok(None) if tokio::time::Instant::now() < until => {}
                Ok(None) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, alarm = id.0, "alarm committed; its incident could not be read");
                    return None;
                }
            }
            tokio::time::sleep(STANDBY_LOOK).await;
        }
    }
}

/// How often a standby looks for the incident of an alarm it committed.
const STANDBY_LOOK: Duration = Duration::from_millis(50);

/// How many alarms the pump hands the desk at most in one command (and inbox rows it reads
/// per round). A step's time grows with its batch; this many keep a step within a few hundred
/// milliseconds, so an urgent alarm taken ahead of the queue waits for one step at most.
const BATCH: i64 = 1024;

/// Feeds alarms to the desk until it stops: those handed over as they come, and pending rows
/// of the inbox at start, every idle second and when a handover was missed.
pub async fn pump(inbox: Inbox, desk: DeskHandle) {
    let mut fed = Fed::default();
    loop {
        let handed: Vec<Handed> = {
            let mut q = inbox.handed.lock().unwrap_or_else(|p| p.into_inner());
            q.take(BATCH as usize)
        };
        let round = if !handed.is_empty() {
            feed(&inbox, &desk, &mut fed, handed).await
        } else if inbox.read.swap(false, Ordering::AcqRel) {
            read_inbox(&inbox, &desk, &mut fed).await
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
async fn read_inbox(inbox: &Inbox, desk: &DeskHandle, fed: &mut Fed) -> Result<(), PumpError> {
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
        feed(inbox, desk, fed, alarms).await?;
        if n < BATCH as usize {
            return Ok(());
        }
    }
}

/// Feeds one batch to the desk as one command, so its alarms are decided in order and appended
/// in one transaction (one commit for a whole burst rather than one per alarm).
async fn feed(
    inbox: &Inbox,
    desk: &DeskHandle,
    fed: &mut Fed,
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
    let started = std::time::Instant::now();
    let submitted = desk.submit(Command::Alarms { alarms }).await;
    tracing::debug!(
        alarms = ids.len(),
        took_us = started.elapsed().as_micros() as u64,
        "inbox pump: a batch decided"
    );
    let events = match submitted {
        Ok(events) => events,
        Err(DeskError::Stopped) => return Err(PumpError::Stopped),
        // The log refused: the alarms stay pending and are read again.
        Err(e) => {
            fed.forget(&ids);
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

#[cfg(test)]
mod tests {
    use super::{BATCH, Inbox};
    use crate::domain::AlarmSource;
    use crate::store::tests::inbox::{alarm, t};
    use std::time::Duration;

    #[tokio::test]
    async fn the_desk_is_behind_once_a_full_step_of_alarms_waits_for_it() {
        let store = crate::store::open("sqlite::memory:").await.unwrap();
        let inbox = Inbox::new(store, Duration::from_secs(1));
        assert!(!inbox.backlogged(), "nothing waits");
        // No pump runs: every alarm committed stays in the handover queue.
        for n in 1..BATCH {
            let a = alarm(AlarmSource::Iot, &format!("a-{n}"));
            inbox.commit(&a, t(0)).await.unwrap();
        }
        assert!(!inbox.backlogged(), "less than a step waits");
        let a = alarm(AlarmSource::Iot, "the last of a step");
        inbox.commit(&a, t(0)).await.unwrap();
        assert!(inbox.backlogged(), "a full step waits");
        let taken = inbox.handed.lock().unwrap().take(BATCH as usize).len();
        assert_eq!(taken, BATCH as usize);
        assert!(!inbox.backlogged(), "the pump took it");
    }
}
