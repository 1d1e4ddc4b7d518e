//! The publisher: one task draining this node's queue of committed events into the region's
//! stream, a pipeline of `XADD`s per batch, in the order they were queued.
//!
//! It holds one connection and makes a new one when that fails, at most once every
//! [`RETRY`](super::RETRY); in between, batches are dropped and counted. An `XADD` Redis refuses (the
//! sequence is already there, or below the stream's last id) is not a failure: the entry a
//! reader needs is in the stream already, or behind it in the log.

use super::{FIELD, Link, MAXLEN, PAGE, RedisTarget, closed};
use crate::domain::Event;
use crate::telemetry::metrics::Metrics;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// What one batch came to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Published {
    /// Entries Redis took.
    pub added: usize,
    /// Entries Redis refused as already there (harmless).
    pub refused: usize,
    /// Events dropped: Redis away, or an event that would not serialize.
    pub dropped: usize,
}

/// The publishing end of one region's stream.
pub(super) struct Publisher {
    link: Link,
    metrics: Arc<Metrics>,
}

impl Publisher {
    pub(super) fn new(target: RedisTarget, metrics: Arc<Metrics>) -> Self {
        Publisher {
            link: Link::new(target),
            metrics,
        }
    }

    /// Publishes what the queue gives until the queue's senders are gone or the fan-out closes.
    pub(super) async fn run(
        mut self,
        mut queue: mpsc::Receiver<(i64, Event)>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut batch = Vec::with_capacity(PAGE);
        loop {
            tokio::select! {
                n = queue.recv_many(&mut batch, PAGE) => if n == 0 { return },
                () = closed(&mut shutdown) => return,
            }
            self.publish(&batch).await;
            batch.clear();
        }
    }

    /// Publishes one batch, in order; what it came to.
    pub(super) async fn publish(&mut self, batch: &[(i64, Event)]) -> Published {
        let mut outcome = Published::default();
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for (seq, event) in batch {
            match serde_json::to_string(event) {
                Ok(body) => {
                    pipe.cmd("XADD")
                        .arg(self.link.key())
                        .arg("MAXLEN")
                        .arg("~")
                        .arg(MAXLEN)
                        .arg(format!("{seq}-0"))
                        .arg(FIELD)
                        .arg(body);
                }
                Err(error) => {
                    tracing::error!(seq, %error, "an event would not serialize for Redis");
                    outcome.dropped += 1;
                }
            }
        }
        let sent = batch.len() - outcome.dropped;
        if sent > 0 {
            match self.send(&pipe).await {
                Some(results) => {
                    outcome.refused = results.iter().filter(|r| r.is_err()).count();
                    outcome.added = sent - outcome.refused;
                }
                None => outcome.dropped += sent,
            }
        }
        for _ in 0..outcome.dropped {
            self.metrics.redis_publish_failed();
        }
        outcome
    }

    /// Sends the pipeline; each command's answer, or `None` when Redis is away.
    async fn send(
        &mut self,
        pipe: &redis::Pipeline,
    ) -> Option<Vec<redis::RedisResult<redis::Value>>> {
        let conn = self.link.connection().await?;
        match pipe.query_async(conn).await {
            Ok(results) => Some(results),
            Err(error) => {
                self.link.lost(&error);
                None
            }
        }
    }
}
