//! The Redis fan-out's latency: how soon a standby's reader has an event the holder committed.
//!
//! Two nodes on one database and one Redis: the holder commits events one append at a time at a
//! steady rate and publishes each after its commit; the standby follows the region from the
//! start. Per event, two latencies are reported:
//!
//! - `publish → follow`: from the holder's `publish` call to the standby's receiver having it
//!   (Redis, the reader and the channel);
//! - `commit → follow`: from the start of the holder's append to the standby having it (what a
//!   console on the standby sees of an event the holder decided).
//!
//! Needs Redis (`LIFTRESCUE_BENCH_REDIS_URL`, or `LIFTRESCUE_TEST_REDIS_URL`); the store is
//! PostgreSQL when `LIFTRESCUE_BENCH_DATABASE_URL` (or `LIFTRESCUE_TEST_DATABASE_URL`) names a
//! server where it may create a database, else SQLite on a temp file. `LIFTRESCUE_BENCH_EVENTS`
//! (default 2,000) and `LIFTRESCUE_BENCH_RATE` (events a second, default 200) shape the run.
//! Run with `cargo bench --bench fanout`.

#[path = "support/db.rs"]
mod db;
use liftrescue::domain::{Actor, Event, EventKind, UnitId};
use liftrescue::fanout::Fanout;
use liftrescue::store::Store;
use liftrescue::telemetry::metrics::Metrics;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn duty(unit: i64) -> Event {
    Event {
        incident: None,
        at: chrono::Utc::now(),
        actor: Actor::Unit(UnitId(unit)),
        step: None,
        rules_version: None,
        reason: "shift change".into(),
        kind: EventKind::UnitDuty {
            unit: UnitId(unit),
            on_duty: unit % 2 == 0,
        },
    }
}

/// The store's URL: a fresh PostgreSQL database, or a new SQLite file.
async fn store_url() -> (&'static str, String) {
    let admin = std::env::var("LIFTRESCUE_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("LIFTRESCUE_TEST_DATABASE_URL"));
    match admin {
        Ok(admin) => ("postgres", db::fresh_pg(&admin, "lr_bench_fanout").await),
        Err(_) => {
            let dir = std::env::temp_dir().join(format!("lr-bench-fanout-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            (
                "sqlite",
                format!("sqlite:{}", dir.join("fanout.db").display()),
            )
        }
    }
}

/// The `q` quantile of sorted milliseconds.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i]
}

fn report(what: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "fanout/{what:<18} n={:<5} p50 {:>7.3} ms  p90 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
        ms.len(),
        quantile(&ms, 0.50),
        quantile(&ms, 0.90),
        quantile(&ms, 0.99),
        ms[ms.len() - 1],
    );
}

async fn run(redis: &str) {
    let events = env_or("LIFTRESCUE_BENCH_EVENTS", 2_000) as usize;
    let rate = env_or("LIFTRESCUE_BENCH_RATE", 200).max(1);
    let (engine, url) = store_url().await;
    let open = |url: String| async move { liftrescue::store::open(&url).await.unwrap() };
    let holder_store: Arc<dyn Store> = open(url.clone()).await;
    let standby_store = open(url).await;
    let region = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let metrics = (Arc::new(Metrics::default()), Arc::new(Metrics::default()));
    let holder = Fanout::start(
        Some(redis),
        &region,
        holder_store.clone(),
        metrics.0.clone(),
    );
    let standby = Fanout::start(Some(redis), &region, standby_store, metrics.1.clone());
    let (holder, standby) = (holder.unwrap(), standby.unwrap());
    let mut rx = standby.follow(holder_store.log_head().await.unwrap());

    let reader = tokio::spawn(async move {
        let mut got = Vec::with_capacity(events);
        while got.len() < events {
            match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                Ok(Some((seq, _))) => got.push((seq, Instant::now())),
                _ => break,
            }
        }
        got
    });
    let mut sent = Vec::with_capacity(events);
    let mut pace = tokio::time::interval(Duration::from_secs(1) / rate as u32);
    let started = Instant::now();
    for i in 0..events {
        pace.tick().await;
        let before_commit = Instant::now();
        let rows = holder_store.append(&[duty(i as i64)]).await.unwrap();
        let before_publish = Instant::now();
        let row = &rows[0];
        holder.publish(&[(row.seq, row.event.clone())]);
        sent.push((row.seq, before_commit, before_publish));
    }
    let got = reader.await.unwrap();
    let took = started.elapsed();
    assert_eq!(got.len(), events, "the standby missed events");
    let (mut publish, mut commit) = (Vec::new(), Vec::new());
    for ((seq, committing, publishing), (got_seq, at)) in sent.iter().zip(&got) {
        assert_eq!(seq, got_seq, "out of order");
        publish.push(at.duration_since(*publishing).as_secs_f64() * 1e3);
        commit.push(at.duration_since(*committing).as_secs_f64() * 1e3);
    }
    println!(
        "fanout: {events} events at {rate}/s on {engine} + Redis in {:.1} s",
        took.as_secs_f64()
    );
    report("publish → follow", publish);
    report("commit → follow", commit);
    let render = metrics.1.render(None, None);
    let reads = render
        .lines()
        .find(|l| l.starts_with("liftrescue_feed_log_reads_total "))
        .unwrap_or("liftrescue_feed_log_reads_total ?");
    println!("fanout: the standby's {reads} (0: every event came from the stream)");
    holder.close();
    standby.close();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench` asks benches to list themselves; this one has no list.
    }
    let redis = std::env::var("LIFTRESCUE_BENCH_REDIS_URL")
        .or_else(|_| std::env::var("LIFTRESCUE_TEST_REDIS_URL"));
    let Ok(redis) = redis else {
        println!("fanout skipped: set LIFTRESCUE_BENCH_REDIS_URL");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(run(&redis));
}
