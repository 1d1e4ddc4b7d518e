//! The fan-out against real things: events committed to a real store (each scenario on both
//! engines, PostgreSQL when `LIFTRESCUE_TEST_DATABASE_URL` is set), the machine's Redis
//! (`LIFTRESCUE_TEST_REDIS_URL`, skipped with a notice when unset) and, for outages, a
//! `redis-server` of the test's own that it kills and starts again.
//!
//! Every test waits on conditions (an event received, a counter reached) with generous
//! deadlines, never on fixed sleeps.

mod outage;
mod stream;

use super::follower::Sources;
use super::{Fanout, PUBLISH_QUEUE, stream_key};
use crate::domain::Event;
use crate::store::Store;
use crate::store::tests::{TestDb, conformance};
use crate::telemetry::metrics::Metrics;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::mpsc;

/// The variable naming the Redis the tests may use.
const REDIS_URL_VAR: &str = "LIFTRESCUE_TEST_REDIS_URL";
/// How long any one awaited condition may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(15);

/// The test Redis's URL, or `None` (and a notice) when there is none.
fn test_redis() -> Option<String> {
    crate::telemetry::test_service("Redis", REDIS_URL_VAR)
}

/// A region of its own, so tests sharing a Redis never read each other's stream.
fn region() -> String {
    format!("test-{}", uuid::Uuid::new_v4().simple())
}

/// A unit going on duty: an event outside any incident, appendable to an empty log.
fn duty(unit: i64) -> Event {
    crate::store::tests::log::duty(unit, true)
}

/// Commits `n` events, one append each, as a desk would; (sequence, event) as committed.
async fn commit(store: &dyn Store, n: usize) -> Vec<(i64, Event)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let rows = store.append(&[duty(i as i64 + 1)]).await.unwrap();
        out.extend(rows.into_iter().map(|r| (r.seq, r.event)));
    }
    out
}

/// A store of its own on the test's database (another connection pool, as another node has).
async fn node_store(db: &TestDb) -> Arc<dyn Store> {
    Arc::from(db.second_store().await)
}

/// The next `n` events, each within [`PATIENCE`].
async fn take(rx: &mut mpsc::Receiver<(i64, Event)>, n: usize) -> Vec<(i64, Event)> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let next = tokio::time::timeout(PATIENCE, rx.recv()).await;
        let got = next.unwrap_or_else(|_| panic!("no event after {:?}; had {out:?}", PATIENCE));
        out.push(got.expect("the receiver ended early"));
    }
    out
}

/// Whatever is left once the fan-out has closed (the receiver must end).
async fn rest(mut rx: mpsc::Receiver<(i64, Event)>) -> Vec<i64> {
    let mut out = Vec::new();
    loop {
        match tokio::time::timeout(PATIENCE, rx.recv()).await {
            Ok(Some((seq, _))) => out.push(seq),
            Ok(None) => return out,
            Err(_) => panic!("the receiver did not end with the fan-out"),
        }
    }
}

/// One sample of the metrics as the server renders them (`None`: not rendered).
fn metric(metrics: &Metrics, name: &str) -> Option<f64> {
    metrics.render(None, None).lines().find_map(|line| {
        let (key, value) = line.split_once(' ')?;
        (key == name).then(|| value.parse().unwrap())
    })
}

/// Polls `done` until it holds, failing the test after [`PATIENCE`].
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Counts read once.
fn counts(sources: &Sources) -> (u64, u64) {
    (sources.stream.load(Relaxed), sources.log.load(Relaxed))
}

conformance!(without_redis_a_reader_follows_the_log, |db| {
    let store = node_store(db).await;
    let metrics = Arc::new(Metrics::default());
    let first = commit(&*store, 5).await;
    let fanout = Fanout::start(None, &region(), store.clone(), metrics.clone()).unwrap();
    fanout.publish(&first); // nothing to publish to: a no-op
    let (mut rx, sources) = fanout.follow_counted(0);
    assert_eq!(take(&mut rx, 5).await, first);
    let more = commit(&*store, 3).await;
    assert_eq!(
        take(&mut rx, 3).await,
        more,
        "committed later, read by polling"
    );
    let mut late = fanout.follow(6);
    assert_eq!(
        take(&mut late, 2).await,
        more[1..],
        "a reader starts after `after`"
    );
    assert_eq!(counts(&sources), (0, 8));
    assert!(metric(&metrics, "liftrescue_feed_log_reads_total").unwrap() >= 2.0);
    assert_eq!(
        metric(&metrics, "liftrescue_redis_up"),
        None,
        "no Redis, no gauge"
    );
    drop(fanout);
    assert_eq!(rest(rx).await, [] as [i64; 0], "nothing twice, and it ends");
    assert_eq!(rest(late).await, [] as [i64; 0]);
});

#[tokio::test]
async fn only_a_malformed_redis_url_keeps_the_fanout_from_starting() {
    let db = TestDb::sqlite().await;
    let store = node_store(&db).await;
    let metrics = Arc::new(Metrics::default());
    let start = |url| Fanout::start(Some(url), "north", store.clone(), metrics.clone());
    assert!(start("no scheme at all").is_err());
    assert!(
        start("redis://127.0.0.1:1").is_ok(),
        "nothing listens there: fine"
    );
    assert_eq!(stream_key("north"), "liftrescue:north:events");
}

#[tokio::test]
async fn publishing_never_blocks_when_redis_is_unreachable_and_readers_use_the_log() {
    let db = TestDb::sqlite().await;
    let store = node_store(&db).await;
    let metrics = Arc::new(Metrics::default());
    let url = format!("redis://127.0.0.1:{}", outage::free_port());
    let fanout = Fanout::start(Some(&url), &region(), store.clone(), metrics.clone()).unwrap();
    let committed = commit(&*store, 3).await;
    let flood: Vec<(i64, Event)> = (1..=3 * PUBLISH_QUEUE as i64)
        .map(|seq| (seq, duty(1)))
        .collect();
    let started = std::time::Instant::now();
    fanout.publish(&flood);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "publish took {took:?}");
    let failures = || metric(&metrics, "liftrescue_redis_publish_failures_total").unwrap();
    assert!(
        failures() >= (2 * PUBLISH_QUEUE) as f64,
        "what the queue cannot hold is dropped at once, not waited for: {}",
        failures()
    );
    let (mut rx, sources) = fanout.follow_counted(0);
    assert_eq!(take(&mut rx, 3).await, committed, "read from the log");
    assert_eq!(counts(&sources), (0, 3));
    until(
        "every event of the flood is counted as not published",
        || failures() == (3 * PUBLISH_QUEUE) as f64,
    )
    .await;
    assert_eq!(metric(&metrics, "liftrescue_redis_up"), Some(0.0));
    fanout.close();
    assert_eq!(rest(rx).await, [] as [i64; 0]);
}
