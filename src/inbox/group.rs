//! Group commit: alarms that arrive while earlier ones are being committed are committed
//! together, in one transaction ([`Store::insert_alarms`]).
//!
//! One task takes the alarms intake queues. While fewer than [`in_flight`] batches are being
//! committed, it commits whatever is queued at once (a lone alarm alone, through the
//! one-statement path it always had), so a quiet inbox adds no wait; when they all are, the
//! queue grows meanwhile and the next batch takes all of it. A burst is then a commit (a log
//! flush) per batch, not per alarm. Every caller is answered only after its alarm committed
//! (an MQTT message is acknowledged, an HTTP request answered, only then), and each committed
//! alarm is handed to the pump in the batch's order.
//!
//! When a batch fails, its alarms are committed one by one, at the same time, so each gets its
//! own answer and one alarm the database refuses does not take the others with it.

use super::Inbox;
use crate::domain::Lift;
use crate::store::{InboxReceipt, NewAlarm, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// What committing one alarm gives: its receipt and lift, or `None` when its lift was
/// required and is not registered (nothing written).
pub(super) type Committed = Option<(InboxReceipt, Option<Lift>)>;

/// Most alarms in one batch.
const MAX_BATCH: usize = 512;

/// Batches committed at the same time: SQLite has one writer; PostgreSQL flushes several
/// transactions' commits together, and a second batch keeps the connection busy while the
/// first waits for its flush.
fn in_flight(engine: &str) -> usize {
    if engine == "sqlite" { 1 } else { 4 }
}

/// One alarm waiting to be committed.
pub(super) struct Pending {
    alarm: NewAlarm,
    at: DateTime<Utc>,
    required: bool,
    reply: oneshot::Sender<Result<Committed, StoreError>>,
}

/// The committer's queue, started with the first alarm.
pub(super) type Queue = Arc<std::sync::OnceLock<mpsc::UnboundedSender<Pending>>>;

impl Inbox {
    /// Commits an alarm with the others queued meanwhile and hands it to the pump;
    /// `required`: only if its lift is registered.
    pub(super) async fn commit_grouped(
        &self,
        alarm: &NewAlarm,
        at: DateTime<Utc>,
        required: bool,
    ) -> Result<Committed, StoreError> {
        let queue = self.group.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            // The committer's own inbox has no queue of its own: it commits directly.
            let committer = Inbox {
                group: Queue::default(),
                ..self.clone()
            };
            tokio::spawn(committer.run_group(rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            alarm: alarm.clone(),
            at,
            required,
            reply,
        };
        if queue.send(pending).is_ok()
            && let Ok(done) = answer.await
        {
            return done;
        }
        // The committer is gone (the runtime is stopping): commit it here.
        let result = self.commit_one(alarm, at, required).await;
        self.hand_on(&result);
        result
    }

    /// Hands a newly committed alarm to the pump.
    fn hand_on(&self, result: &Result<Committed, StoreError>) {
        if let Ok(Some((receipt, lift))) = result
            && self.first_copy(receipt)
        {
            self.hand_over(receipt.alarm.clone(), lift.clone());
        }
    }

    /// The committer: takes what is queued, as much as is there, whenever a batch may start.
    async fn run_group(self, mut rx: mpsc::UnboundedReceiver<Pending>) {
        let slots = Arc::new(Semaphore::new(in_flight(self.store.engine())));
        loop {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            let inbox = self.clone();
            tokio::spawn(async move {
                inbox.commit_batch(batch).await;
                drop(slot);
            });
        }
    }

    /// Commits one batch, hands its new alarms to the pump in order, then answers each caller.
    async fn commit_batch(&self, batch: Vec<Pending>) {
        let started = std::time::Instant::now();
        let results: Vec<Result<Committed, StoreError>> = if batch.len() == 1 {
            let p = &batch[0];
            vec![self.commit_one(&p.alarm, p.at, p.required).await]
        } else {
            let rows: Vec<_> = batch.iter().map(|p| (&p.alarm, p.at, p.required)).collect();
            match self.store.insert_alarms(&rows).await {
                Ok(done) if done.len() == batch.len() => done.into_iter().map(Ok).collect(),
                Ok(_) | Err(_) => self.commit_each(&batch).await,
            }
        };
        tracing::debug!(
            alarms = batch.len(),
            took_us = started.elapsed().as_micros() as u64,
            "inbox: a group committed"
        );
        for (p, result) in batch.into_iter().zip(results) {
            self.hand_on(&result);
            let _ = p.reply.send(result);
        }
    }

    /// A failed batch's alarms, each on its own and all at once.
    async fn commit_each(&self, batch: &[Pending]) -> Vec<Result<Committed, StoreError>> {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, p) in batch.iter().enumerate() {
            let (inbox, alarm, at, required) = (self.clone(), p.alarm.clone(), p.at, p.required);
            tasks.spawn(async move { (i, inbox.commit_one(&alarm, at, required).await) });
        }
        let mut results: Vec<Option<Result<Committed, StoreError>>> =
            (0..batch.len()).map(|_| None).collect();
        while let Some(done) = tasks.join_next().await {
            if let Ok((i, result)) = done {
                results[i] = Some(result);
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(StoreError::Conflict("the commit task failed".into())))
            })
            .collect()
    }

    /// One alarm in its own statement: with its lift resolved as it commits (one statement on
    /// PostgreSQL) when the lift is registered; else, unless `required`, unresolved.
    pub(super) async fn commit_one(
        &self,
        alarm: &NewAlarm,
        at: DateTime<Utc>,
        required: bool,
    ) -> Result<Committed, StoreError> {
        if let Some((receipt, lift)) = self.store.insert_alarm_for_lift(alarm, at).await? {
            return Ok(Some((receipt, Some(lift))));
        }
        if required {
            return Ok(None);
        }
        Ok(Some((self.store.insert_alarm(alarm, at).await?, None)))
    }
}
