//! The event log: append latency and throughput on both engines, each beside the bare commit
//! latency of the same database measured in the same run.
//!
//! - `append/{sqlite,postgres}/decision`: one decision's events (a new entrapment alarm:
//!   incident opened, two steps started, two pages: 5 events) appended in one transaction,
//!   hash-chained, with the projections and outbox rows.
//! - `append/{…}/batch100`: 100 decisions' events (500) in one append: throughput.
//! - `commit/{…}`: a one-row INSERT and COMMIT on the same database, the floor.
//!
//! SQLite runs on a temp file; PostgreSQL when `LIFTRESCUE_BENCH_DATABASE_URL` (or
//! `LIFTRESCUE_TEST_DATABASE_URL`) names a server where it may create a database.
//! Run with `cargo bench --bench store`.

#[path = "support/db.rs"]
mod db;
#[path = "support/load.rs"]
mod load;
use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liftrescue::demo::{RegionSpec, region};
use liftrescue::dispatch::{Command, DeskState, apply, decide};
use liftrescue::domain::*;
use liftrescue::rules::RuleSet;
use liftrescue::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Produces real decisions: a desk on a small region, deciding fresh alarms.
struct Decisions {
    state: DeskState,
    lifts: Vec<Lift>,
    n: i64,
}

impl Decisions {
    fn new() -> Self {
        let rules = RuleSet::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/dispatch-rules"))
            .unwrap_or_else(|e| panic!("{e:?}"));
        let spec = RegionSpec {
            lifts: 2_000,
            maintainers: 2_000,
            ..RegionSpec::default()
        };
        let r = region(&spec, now());
        let mut state = DeskState::new(Arc::new(rules), r.centre);
        for u in r.units {
            state.add_unit(u);
        }
        Decisions {
            state,
            lifts: r.lifts,
            n: 0,
        }
    }

    /// The events of one new-alarm decision (applied, so the next one is a new incident).
    fn next(&mut self) -> Vec<Event> {
        self.n += 1;
        let lift = self.lifts[self.n as usize % self.lifts.len()].clone();
        let alarm = Alarm {
            id: AlarmId(self.n),
            channel: AlarmSource::Iot,
            source_alarm_id: format!("bench-{}", self.n),
            lift_ref: LiftRef::Id(lift.id),
            kind: AlarmKind::EntrapmentBetweenFloors,
            status: AlarmStatus::New,
            flags: AlarmFlags::default(),
            trapped: None,
            floor: None,
            description: String::new(),
            occurred_at: now(),
            received_at: now(),
        };
        let events = decide(
            &self.state,
            Command::Alarm {
                alarm,
                lift: Some(Box::new(lift)),
            },
            now(),
        )
        .unwrap_or_default();
        for e in &events {
            apply(&mut self.state, e);
        }
        // End the incident in memory so its units are free for the next decision.
        if let Some(id) = events.first().and_then(|e| e.incident) {
            let end = Event {
                incident: Some(id),
                at: now(),
                actor: Actor::System,
                step: None,
                rules_version: None,
                reason: "bench: end in memory".into(),
                kind: EventKind::Cancelled,
            };
            apply(&mut self.state, &end);
            self.state.prune_ended(now() + chrono::TimeDelta::days(1));
        }
        events
    }
}

async fn databases() -> Vec<(&'static str, String)> {
    let dir = std::env::temp_dir().join(format!("lr-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut v = vec![(
        "sqlite",
        format!("sqlite:{}", dir.join("store.db").display()),
    )];
    let admin = std::env::var("LIFTRESCUE_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("LIFTRESCUE_TEST_DATABASE_URL"));
    match admin {
        Ok(admin) => {
            let name = format!("lr_bench_{}", std::process::id());
            v.push(("postgres", db::fresh_pg(&admin, &name).await));
        }
        Err(_) => eprintln!("PostgreSQL skipped: set LIFTRESCUE_BENCH_DATABASE_URL"),
    }
    v
}

/// `iters` one-row INSERTs, each its own transaction, on one connection: the floor every
/// append stands on.
async fn bare_commits(url: &str, iters: u64) -> Duration {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut c = load::probe_connection(url).await;
        let start = Instant::now();
        for _ in 0..iters {
            sqlx::query(load::PROBE_INSERT).execute(&mut c).await.ok();
        }
        return start.elapsed();
    }
    let mut c = sqlx::SqliteConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("PRAGMA journal_mode=WAL")
        .execute(&mut c)
        .await
        .ok();
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_probe (id INTEGER PRIMARY KEY, v INTEGER)")
        .execute(&mut c)
        .await
        .ok();
    let start = Instant::now();
    for _ in 0..iters {
        sqlx::query(load::PROBE_INSERT).execute(&mut c).await.ok();
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    for (engine, url) in rt.block_on(databases()) {
        let store: Arc<dyn Store> = rt
            .block_on(liftrescue::store::open(&url))
            .unwrap_or_else(|e| panic!("{e:#}"));
        let mut decisions = Decisions::new();
        let mut g = c.benchmark_group(format!("append/{engine}"));
        g.measurement_time(Duration::from_secs(5))
            .warm_up_time(Duration::from_secs(1))
            .sample_size(30);
        g.throughput(Throughput::Elements(5));
        g.bench_function("decision", |b| {
            b.iter_custom(|iters| {
                let batches: Vec<Vec<Event>> = (0..iters).map(|_| decisions.next()).collect();
                let start = Instant::now();
                for batch in &batches {
                    rt.block_on(store.append(batch))
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                start.elapsed()
            })
        });
        g.throughput(Throughput::Elements(500));
        g.bench_function("batch100", |b| {
            b.iter_custom(|iters| {
                let batches: Vec<Vec<Event>> = (0..iters)
                    .map(|_| (0..100).flat_map(|_| decisions.next()).collect())
                    .collect();
                let start = Instant::now();
                for batch in &batches {
                    rt.block_on(store.append(batch))
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                start.elapsed()
            })
        });
        g.finish();
        let mut g = c.benchmark_group("commit");
        g.measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1))
            .sample_size(30);
        g.bench_function(engine, |b| {
            b.iter_custom(|iters| rt.block_on(bare_commits(&url, iters)))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
