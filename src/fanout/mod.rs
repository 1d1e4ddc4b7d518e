//! The Redis fan-out of the committed event log: how every node of a cluster follows, with low
//! latency, the events another node committed.
//!
//! # Design
//!
//! The event log in the store is the truth; Redis only carries it faster. The node that
//! committed an event publishes it once, after the commit, to one Redis Stream per region
//! (`liftrescue:{region}:events`, [`stream_key`]). Each entry's id is `{seq}-0`, the event's log
//! sequence given explicitly, and its one field ([`FIELD`]) holds the event's JSON. That choice
//! buys three things:
//!
//! - a reader resumes exactly: `XREAD … STREAMS key {last}-0` answers the entries after the last
//!   sequence it delivered, whatever it read them from;
//! - a sequence published twice (a retry, or a deposed holder waking up late) is refused by
//!   Redis, which only takes ids above its last one: a harmless error, ignored;
//! - a reader sees a gap at once: an entry whose sequence is not `last + 1`.
//!
//! The stream is capped with `XADD … MAXLEN ~ 100000` ([`MAXLEN`]), so a reader that falls
//! further behind than the stream holds finds its first entry beyond `last + 1`.
//!
//! **Publishing** ([`Fanout::publish`]) never blocks the desk: events go into a bounded queue
//! that one task drains into pipelined `XADD`s, in log order. When Redis is away or the queue is
//! full the events are dropped and counted (`liftrescue_redis_publish_failures_total`); readers
//! take them from the log.
//!
//! **Following** ([`Fanout::follow`]) is one task per reader, a loop around one step
//! (`follower.rs`): while Redis answers, a blocking `XREAD` of the stream; a gap in what it
//! answers (trimmed, dropped while Redis was away, or a holder killed between commit and
//! publish) is filled from the log first; while the stream is idle the step compares with the
//! log's head every second, to find what was committed and never published. When Redis does not
//! answer, the reader polls the log every [`LOG_POLL`] and tries Redis again every [`RETRY`];
//! without Redis configured it only polls the log. Whatever the source, a reader delivers each
//! sequence once, in order, with no gap: it never delivers a sequence at or below the last one,
//! and fills every hole from the log before going on.
//!
//! A dead Redis is noticed at once (the connection breaks); a hung one after the response
//! timeout (2 s), a connect that does not answer after 500 ms: a reader never waits on Redis
//! longer than that before it reads the log.
//!
//! The stream must be this log's: after restoring the database from a backup, delete the
//! region's key (or flush Redis), or readers would take the old log's entries for the new
//! one's. A reader that meets an entry beyond the log's head (the clearest sign of that) does
//! not deliver it: it warns once and follows the log meanwhile.
//!
//! Redis going away is reported once (a warning and `liftrescue_redis_up 0`), and once again
//! when it answers (`liftrescue_redis_up 1`), not per event.
//!
//! Everything here runs on the Tokio runtime it is started from: [`Fanout::start`] and
//! [`Fanout::follow`] spawn tasks and must be called inside one.

mod follower;
mod publisher;
#[cfg(test)]
mod tests;

use crate::domain::Event;
use crate::store::Store;
use crate::telemetry::metrics::Metrics;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The stream's approximate cap (`XADD … MAXLEN ~`): about a day of a busy city's events.
pub const MAXLEN: usize = 100_000;
/// The one field of a stream entry: the event's JSON.
pub const FIELD: &str = "event";
/// Events waiting to be published at most; more are dropped (and counted).
pub const PUBLISH_QUEUE: usize = 10_000;
/// How long one `XREAD` blocks waiting for new entries.
pub const BLOCK: Duration = Duration::from_millis(500);
/// How often a reader polls the log while Redis is away or not configured.
pub const LOG_POLL: Duration = Duration::from_millis(150);
/// How often an unreachable Redis is tried again.
pub const RETRY: Duration = Duration::from_secs(1);
/// How often an idle reader compares with the log's head.
pub const HEAD_CHECK: Duration = Duration::from_secs(1);
/// How long connecting to Redis may take (it is on the same network: a slow connect is a
/// dead or unreachable server, and a reader polls the log meanwhile).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a command may wait for its answer: a blocking `XREAD` and then some. A server that
/// hangs (stopped, not dead) is given up after this long.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(2_000);
/// Entries asked for in one `XREAD`, and rows in one log page.
const PAGE: usize = 1_000;
/// Events a reader may have delivered that its receiver has not taken yet.
const FOLLOW_BUFFER: usize = 1_024;

/// The stream that carries a region's committed events.
pub fn stream_key(region: &str) -> String {
    format!("liftrescue:{region}:events")
}

/// The fan-out of one region's committed events: publishing this node's commits to Redis and
/// following everyone's. Cheap to clone; every clone is the same fan-out, which closes (and
/// every receiver [`follow`](Self::follow) gave ends) when the last clone is dropped or
/// [`close`](Self::close) is called.
#[derive(Clone)]
pub struct Fanout {
    inner: Arc<Inner>,
}

struct Inner {
    redis: Option<RedisTarget>,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    queue: Option<mpsc::Sender<(i64, Event)>>,
    shutdown: watch::Sender<bool>,
}

impl Fanout {
    /// Starts the fan-out of `region`'s events. `redis_url` `None`: no Redis, and
    /// [`follow`](Self::follow) reads the log only. Never fails because Redis is down: it
    /// connects lazily and retries every second.
    ///
    /// # Errors
    /// Only a malformed `redis_url`.
    ///
    /// # Panics
    /// Outside a Tokio runtime (the publisher is a task).
    pub fn start(
        redis_url: Option<&str>,
        region: &str,
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Fanout> {
        use anyhow::Context;
        let (shutdown, _) = watch::channel(false);
        let redis = redis_url
            .map(|url| {
                let client = redis::Client::open(url).context("parse the Redis URL")?;
                anyhow::Ok(RedisTarget {
                    client,
                    key: stream_key(region),
                    health: Arc::new(Health::new(metrics.clone(), region)),
                })
            })
            .transpose()?;
        let queue = redis.clone().map(|target| {
            let (tx, rx) = mpsc::channel(PUBLISH_QUEUE);
            let publisher = publisher::Publisher::new(target, metrics.clone());
            tokio::spawn(publisher.run(rx, shutdown.subscribe()));
            tx
        });
        Ok(Fanout {
            inner: Arc::new(Inner {
                redis,
                store,
                metrics,
                queue,
                shutdown,
            }),
        })
    }

    /// Queues this node's committed events (log sequence, event) for publishing; call it in log
    /// order, after the commit. Never blocks or awaits: when the queue is full, or Redis is
    /// away, events are dropped and counted (`liftrescue_redis_publish_failures_total`) — readers
    /// take missed ones from the log. Without Redis it does nothing.
    pub fn publish(&self, events: &[(i64, Event)]) {
        let Some(queue) = &self.inner.queue else {
            return;
        };
        for item in events {
            if queue.try_send(item.clone()).is_err() {
                self.inner.metrics.redis_publish_failed();
            }
        }
    }

    /// Every committed event after log sequence `after`, in log order, each exactly once, with
    /// no gaps: from the stream while Redis answers and still holds them, from the log
    /// (`Store::log_page`) otherwise, and back to the stream when Redis returns. The receiver
    /// ends when the fan-out is closed or dropped; dropping the receiver stops the reader.
    ///
    /// # Panics
    /// Outside a Tokio runtime (the reader is a task).
    pub fn follow(&self, after: i64) -> mpsc::Receiver<(i64, Event)> {
        self.follow_counted(after).0
    }

    /// [`follow`](Self::follow), with the reader's counts of what it delivered from where.
    pub(crate) fn follow_counted(
        &self,
        after: i64,
    ) -> (mpsc::Receiver<(i64, Event)>, Arc<follower::Sources>) {
        let (tx, rx) = mpsc::channel(FOLLOW_BUFFER);
        let inner = &self.inner;
        let reader = follower::Follower::new(
            inner.redis.clone(),
            inner.store.clone(),
            inner.metrics.clone(),
            after,
            tx,
        );
        let sources = reader.sources();
        tokio::spawn(reader.run(inner.shutdown.subscribe()));
        (rx, sources)
    }

    /// Closes the fan-out now rather than when the last clone is dropped: the publisher stops
    /// (what is still queued is left to the log) and every receiver ends.
    pub fn close(&self) {
        self.inner.shutdown.send_replace(true);
    }
}

/// Resolves once the fan-out is closed or dropped.
async fn closed(shutdown: &mut watch::Receiver<bool>) {
    // `wait_for` fails only when the sender is gone: closed as well.
    let _ = shutdown.wait_for(|closed| *closed).await;
}

/// Where a region's stream lives, and what this node last knew of Redis's health.
#[derive(Clone)]
struct RedisTarget {
    client: redis::Client,
    key: String,
    health: Arc<Health>,
}

impl RedisTarget {
    /// A new connection; every call fails within a bounded time (a dead server does not hang a
    /// reader or the publisher: the response timeout outlasts a blocking `XREAD`).
    async fn connect(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let mut conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        redis::cmd("PING").query_async::<()>(&mut conn).await?;
        Ok(conn)
    }
}

/// One connection to a region's stream, made again after a failure at most once every
/// [`RETRY`]: the publisher has one, and so has each reader (a blocking `XREAD` holds its
/// connection).
struct Link {
    target: RedisTarget,
    conn: Option<redis::aio::MultiplexedConnection>,
    retry_at: tokio::time::Instant,
}

impl Link {
    fn new(target: RedisTarget) -> Self {
        Link {
            target,
            conn: None,
            retry_at: tokio::time::Instant::now(),
        }
    }

    /// The stream's key.
    fn key(&self) -> &str {
        &self.target.key
    }

    /// The connection, made now if there is none and it is time to try again; `None` while
    /// Redis is away.
    async fn connection(&mut self) -> Option<&mut redis::aio::MultiplexedConnection> {
        if self.conn.is_none() && tokio::time::Instant::now() >= self.retry_at {
            match self.target.connect().await {
                Ok(conn) => {
                    self.target.health.up();
                    self.conn = Some(conn);
                }
                Err(error) => self.lost(&error),
            }
        }
        self.conn.as_mut()
    }

    /// Redis did not answer: drop the connection and try again in [`RETRY`].
    fn lost(&mut self, error: &redis::RedisError) {
        self.target.health.down(error);
        self.pause();
    }

    /// Leave the stream alone for [`RETRY`] although Redis answers.
    fn pause(&mut self) {
        self.conn = None;
        self.retry_at = tokio::time::Instant::now() + RETRY;
    }
}

/// Whether Redis answers, as this node last saw it: reported on change only, so an outage is
/// one warning and one gauge flip however many events and readers it touches.
struct Health {
    /// 0 not known yet, 1 up, 2 down.
    state: AtomicU8,
    metrics: Arc<Metrics>,
    region: String,
}

impl Health {
    fn new(metrics: Arc<Metrics>, region: &str) -> Self {
        Health {
            state: AtomicU8::new(0),
            metrics,
            region: region.to_owned(),
        }
    }

    /// Redis answered.
    fn up(&self) {
        let was = self.state.swap(1, Ordering::Relaxed);
        if was != 1 {
            self.metrics.redis_up(true);
        }
        if was == 2 {
            tracing::info!(
                region = %self.region,
                "Redis answers again: the live feed follows the stream"
            );
        }
    }

    /// Redis did not answer.
    fn down(&self, error: &redis::RedisError) {
        if self.state.swap(2, Ordering::Relaxed) != 2 {
            self.metrics.redis_up(false);
            tracing::warn!(
                region = %self.region,
                %error,
                "Redis does not answer: the live feed reads the event log until it does"
            );
        }
    }
}
