//! A reader: one task following the region's committed events for one receiver, a loop around
//! [`Follower::step`].
//!
//! The one invariant: `last` is the last sequence delivered, and the next one delivered is
//! `last + 1`, whatever it is read from. A stream entry at or below `last` is skipped (it was
//! read from the log already, or published twice); one above `last + 1` makes the reader fill
//! the hole from the log before delivering it; the log itself has no holes. So switching
//! sources at any point can neither lose nor repeat an event.

use super::{BLOCK, FIELD, HEAD_CHECK, LOG_POLL, Link, PAGE, RedisTarget, closed};
use crate::domain::Event;
use crate::store::{Store, StoreError};
use crate::telemetry::metrics::Metrics;
use redis::streams::StreamReadReply;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// How many events one reader delivered from each source (for tests and benchmarks).
#[derive(Debug, Default)]
pub(crate) struct Sources {
    /// Delivered from the Redis stream.
    pub stream: AtomicU64,
    /// Delivered from the log.
    pub log: AtomicU64,
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Delivered this many events (at least one).
    Delivered(usize),
    /// The stream had nothing new within its blocking read (which did the waiting).
    StreamIdle,
    /// Read the log (Redis away or not configured) and found nothing new: wait before the next.
    LogIdle,
}

/// Why a step stopped short.
#[derive(Debug)]
pub(super) enum Failure {
    /// The receiver was dropped: the reader is done.
    Gone,
    /// The log could not be read; the step is tried again.
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

/// One reader of the region's committed events.
pub(super) struct Follower {
    link: Option<Link>,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    tx: mpsc::Sender<(i64, Event)>,
    last: i64,
    head_checked: Instant,
    sources: Arc<Sources>,
    store_failing: bool,
    warned_ahead: bool,
}

impl Follower {
    /// A reader that will deliver what comes after `after` into `tx`.
    pub(super) fn new(
        redis: Option<RedisTarget>,
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        after: i64,
        tx: mpsc::Sender<(i64, Event)>,
    ) -> Self {
        Follower {
            link: redis.map(Link::new),
            store,
            metrics,
            tx,
            last: after,
            head_checked: Instant::now(),
            sources: Arc::default(),
            store_failing: false,
            warned_ahead: false,
        }
    }

    /// Its counts of what it delivered from where.
    pub(super) fn sources(&self) -> Arc<Sources> {
        self.sources.clone()
    }

    /// Steps until the fan-out closes or the receiver is dropped.
    pub(super) async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let receiver = self.tx.clone();
        tokio::select! {
            () = closed(&mut shutdown) => {}
            () = receiver.closed() => {}
            () = self.follow() => {}
        }
    }

    async fn follow(&mut self) {
        loop {
            let outcome = self.step().await;
            if let Err(Failure::Store(error)) = &outcome {
                if !self.store_failing {
                    tracing::warn!(%error, "the live feed cannot read the event log");
                }
            } else if self.store_failing {
                tracing::info!("the live feed reads the event log again");
            }
            self.store_failing = matches!(outcome, Err(Failure::Store(_)));
            match outcome {
                Err(Failure::Gone) => return,
                Err(Failure::Store(_)) | Ok(Step::LogIdle) => tokio::time::sleep(LOG_POLL).await,
                Ok(Step::Delivered(_) | Step::StreamIdle) => {}
            }
        }
    }

    /// One round: a blocking read of the stream while Redis answers (holes and what was never
    /// published filled from the log), else one read of the log.
    pub(super) async fn step(&mut self) -> Result<Step, Failure> {
        if let Some(entries) = self.read_stream().await {
            return self.deliver_stream(entries).await;
        }
        match self.read_log(i64::MAX).await? {
            0 => Ok(Step::LogIdle),
            n => Ok(Step::Delivered(n)),
        }
    }

    /// The entries after `last` (waiting up to [`BLOCK`] for some), or `None` when there is no
    /// Redis or it does not answer.
    async fn read_stream(&mut self) -> Option<Vec<(i64, Option<Event>)>> {
        let link = self.link.as_mut()?;
        let mut read = redis::cmd("XREAD");
        read.arg("COUNT")
            .arg(PAGE)
            .arg("BLOCK")
            .arg(BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(link.key())
            .arg(format!("{}-0", self.last));
        let conn = link.connection().await?;
        match read.query_async::<Option<StreamReadReply>>(conn).await {
            Ok(reply) => Some(entries(reply)),
            Err(error) => {
                link.lost(&error);
                None
            }
        }
    }

    /// Delivers what the stream answered, filling holes from the log; when it answered
    /// nothing, looks for what was committed and never published (at most every
    /// [`HEAD_CHECK`]).
    async fn deliver_stream(
        &mut self,
        entries: Vec<(i64, Option<Event>)>,
    ) -> Result<Step, Failure> {
        if entries.is_empty() {
            return self.check_head().await;
        }
        let mut n = 0;
        for (seq, event) in entries {
            if seq <= self.last {
                continue;
            }
            // The log gives what the stream lacks before this entry, and the entry itself when
            // it would not parse (skipping it would only make the next read answer it again).
            let from_log = if event.is_some() { seq - 1 } else { seq };
            if from_log > self.last {
                n += self.read_log(from_log).await?;
                if self.last < from_log {
                    self.stream_ahead(seq);
                    break;
                }
            }
            if let Some(event) = event {
                self.deliver(seq, event, false).await?;
                n += 1;
            }
        }
        Ok(if n == 0 {
            Step::StreamIdle
        } else {
            Step::Delivered(n)
        })
    }

    /// The stream is idle: read from the log what it holds beyond `last`, if a second has
    /// passed since the last look.
    async fn check_head(&mut self) -> Result<Step, Failure> {
        if self.head_checked.elapsed() < HEAD_CHECK {
            return Ok(Step::StreamIdle);
        }
        self.head_checked = Instant::now();
        let head = self.store.log_head().await?;
        if head <= self.last {
            return Ok(Step::StreamIdle);
        }
        match self.read_log(head).await? {
            0 => Ok(Step::StreamIdle),
            n => Ok(Step::Delivered(n)),
        }
    }

    /// The stream holds `seq` but the log ends before it: the stream is not this log's (a
    /// database restored or replaced under a Redis that kept its stream). Follow the log for a
    /// while; the stream is tried again in a second.
    fn stream_ahead(&mut self, seq: i64) {
        if !self.warned_ahead {
            self.warned_ahead = true;
            tracing::warn!(
                seq,
                last = self.last,
                "the Redis stream holds events the log does not: reading the log meanwhile"
            );
        }
        if let Some(link) = self.link.as_mut() {
            link.pause();
        }
    }

    /// Delivers the log's rows after `last` up to `upto`, a page at a time; how many.
    async fn read_log(&mut self, upto: i64) -> Result<usize, Failure> {
        let mut n = 0;
        while self.last < upto {
            let limit = upto.saturating_sub(self.last).min(PAGE as i64);
            let rows = self.store.log_page(self.last, limit).await?;
            if rows.is_empty() {
                break;
            }
            self.metrics.feed_read_log();
            let full = rows.len() as i64 == limit;
            for row in rows {
                self.deliver(row.seq, row.event, true).await?;
                n += 1;
            }
            if !full {
                break;
            }
        }
        Ok(n)
    }

    /// Hands one event to the receiver (waiting while it is full) and moves `last` on.
    async fn deliver(&mut self, seq: i64, event: Event, from_log: bool) -> Result<(), Failure> {
        if seq <= self.last {
            return Ok(());
        }
        self.tx
            .send((seq, event))
            .await
            .map_err(|_| Failure::Gone)?;
        self.last = seq;
        let counter = if from_log {
            &self.sources.log
        } else {
            &self.sources.stream
        };
        counter.fetch_add(1, Relaxed);
        Ok(())
    }
}

/// The stream's entries as (sequence, event); an entry whose event would not parse is kept as
/// `None` (the reader takes that sequence from the log), one whose id is not `{seq}-…` is
/// dropped.
fn entries(reply: Option<StreamReadReply>) -> Vec<(i64, Option<Event>)> {
    let ids = reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids);
    ids.filter_map(|entry| {
        let seq = entry.id.split_once('-')?.0.parse::<i64>().ok()?;
        let event = entry
            .map
            .get(FIELD)
            .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
            .and_then(|body| serde_json::from_str::<Event>(&body).ok());
        if event.is_none() {
            tracing::warn!(
                seq,
                "a stream entry would not parse: reading it from the log"
            );
        }
        Some((seq, event))
    })
    .collect()
}
