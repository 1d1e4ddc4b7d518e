//! The running service, measured end to end (not criterion: each figure is one run of a load).
//!
//! 1. `recovery`: start-up recovery time with 1,000,000 events in the log (goal ≤ 5 s). The log
//!    is filled with ~83,000 complete rescues (12 events each) and 500 incidents still open; a
//!    restart rebuilds the desk from the registry and the events of the open incidents only.
//! 2. `latency`: alarm accepted → page decided at 200 alarms/s for 10 s, against the server on
//!    PostgreSQL with the Yuzhong demo region, p50 and p99, printed beside the bare commit
//!    latency of the same database measured in the same run. "Accepted → page decided" is
//!    read from the log: the inbox's received_at of each alarm to the time of the first page
//!    event of its incident (both stamped by the server's clock).
//!
//! Needs PostgreSQL: `LIFTRESCUE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! cargo bench --bench service` (SQLite is measured too for recovery). Skips with a notice
//! without it.

#[path = "support/db.rs"]
mod db;
#[path = "support/load.rs"]
mod load;
use chrono::{DateTime, Utc};
use db::fresh_pg;
use liftrescue::config::Settings;
use liftrescue::demo::{RegionSpec, region};
use liftrescue::dispatch::{Command, CrewAction, DeskState, OperatorAction, apply, decide};
use liftrescue::domain::*;
use liftrescue::rules::RuleSet;
use liftrescue::store::Store;
use load::{bare_commit_latencies, pct, post_alarms, seeded_region};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rules() -> RuleSet {
    RuleSet::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/dispatch-rules"))
        .unwrap_or_else(|e| panic!("{e:?}"))
}

fn step(state: &mut DeskState, out: &mut Vec<Event>, cmd: Command, at: DateTime<Utc>) {
    if let Ok(events) = decide(state, cmd, at) {
        for e in &events {
            apply(state, e);
        }
        out.extend(events);
    }
}

/// One complete rescue through the core: about 12 events.
fn rescue(
    state: &mut DeskState,
    lift: &Lift,
    n: i64,
    at: DateTime<Utc>,
    close: bool,
) -> Vec<Event> {
    let mut out = Vec::new();
    let alarm = Alarm {
        id: AlarmId(n),
        channel: AlarmSource::Iot,
        source_alarm_id: format!("fill-{n}"),
        lift_ref: LiftRef::Id(lift.id),
        kind: AlarmKind::EntrapmentAtLanding,
        status: AlarmStatus::New,
        flags: AlarmFlags::default(),
        trapped: None,
        floor: None,
        description: String::new(),
        occurred_at: at,
        received_at: at,
    };
    step(
        state,
        &mut out,
        Command::Alarm {
            alarm,
            lift: Some(Box::new(lift.clone())),
        },
        at,
    );
    let Some(id) = out.first().and_then(|e| e.incident) else {
        return out;
    };
    let unit = state
        .incidents
        .get(&id)
        .and_then(|i| i.tracks.values().next())
        .and_then(|t| t.pages.first())
        .map(|p| p.unit);
    if let (Some(unit), true) = (unit, close) {
        for action in [
            CrewAction::Accept {
                eta_secs: Some(600),
            },
            CrewAction::EnRoute,
            CrewAction::OnScene,
            CrewAction::Released,
        ] {
            step(
                state,
                &mut out,
                Command::Crew {
                    unit,
                    incident: id,
                    action,
                },
                at,
            );
        }
        for action in [
            OperatorAction::ConfirmRelease { note: "ok".into() },
            OperatorAction::Close,
        ] {
            step(
                state,
                &mut out,
                Command::Operator {
                    user: "bench".into(),
                    incident: id,
                    action,
                },
                at,
            );
        }
        state.prune_ended(at + chrono::TimeDelta::days(1));
    }
    out
}

async fn fill_log(store: &dyn Store, target: usize) -> usize {
    let r = region(&RegionSpec::default(), Utc::now());
    liftrescue::registry::seed_demo(store, &RegionSpec::default(), Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let mut state = DeskState::new(Arc::new(rules()), r.centre);
    for u in r.units {
        state.add_unit(u);
    }
    let (mut written, mut batch, mut n) = (0, Vec::new(), 0i64);
    let open_from = target.saturating_sub(500 * 6);
    while written + batch.len() < target {
        n += 1;
        let lift = &r.lifts[n as usize % r.lifts.len()];
        let close = written + batch.len() < open_from;
        batch.extend(rescue(&mut state, lift, n, Utc::now(), close));
        if batch.len() >= 2_000 {
            store.append(&batch).await.unwrap_or_else(|e| panic!("{e}"));
            written += batch.len();
            batch.clear();
        }
    }
    store.append(&batch).await.unwrap_or_else(|e| panic!("{e}"));
    written + batch.len()
}

async fn recovery(engine: &str, url: &str) {
    let store = liftrescue::store::open(url)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let t = Instant::now();
    let events = fill_log(store.as_ref(), 1_000_000).await;
    let filled = t.elapsed();
    let settings = Settings {
        database_url: url.into(),
        ..Settings::default()
    };
    let t = Instant::now();
    let state = liftrescue::service::recover(store.as_ref(), rules(), &settings)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let took = t.elapsed();
    println!(
        "recovery/{engine}: {events} events in the log ({} incidents open): rebuilt in {:.2} s (goal ≤ 5 s); filling took {:.0} s",
        state.incidents.len(),
        took.as_secs_f64(),
        filled.as_secs_f64()
    );
}

async fn latency(url: &str) {
    let store = seeded_region(url).await;
    let lifts = store
        .lifts(None, 15_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let settings = Settings {
        database_url: url.into(),
        seed_demo: false,
        ..Settings::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(liftrescue::service::run(settings, listener, async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    // Wait until the server answers /readyz (it seeds nothing: the region is already stored).
    for _ in 0..400 {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let (rate, secs) = (200u64, 10u64);
    let ids: Vec<i64> = lifts.iter().map(|l| l.id.0).collect();
    let posted = post_alarms(&base, &ids, "load", rate, secs).await;
    let mut http_ms: Vec<f64> = posted
        .iter()
        .filter(|p| p.accepted)
        .map(|p| p.took_ms)
        .collect();
    let failed = posted.len() - http_ms.len();
    http_ms.sort_by(f64::total_cmp);
    let decided = decided_latencies(store.as_ref()).await;
    let commits = bare_commit_latencies(url, 1_000).await;
    let _ = stop.send(());
    let _ = server.await;
    println!(
        "latency/postgres at {rate} alarms/s for {secs} s ({} accepted, {failed} failed):",
        http_ms.len()
    );
    println!(
        "  accepted → page decided (from the log): p50 {:.2} ms, p99 {:.2} ms",
        pct(&decided, 0.5),
        pct(&decided, 0.99)
    );
    println!(
        "  POST /api/v1/alarms → 202 with the incident id: p50 {:.2} ms, p99 {:.2} ms",
        pct(&http_ms, 0.5),
        pct(&http_ms, 0.99)
    );
    println!(
        "  bare commit on the same database (1,000 one-row INSERTs): p50 {:.2} ms, p99 {:.2} ms",
        pct(&commits, 0.5),
        pct(&commits, 0.99)
    );
}

/// For every incident: its first alarm's inbox time to its first page, milliseconds.
async fn decided_latencies(store: &dyn Store) -> Vec<f64> {
    let mut v = Vec::new();
    let mut opened: std::collections::HashMap<IncidentId, DateTime<Utc>> = Default::default();
    for event in load::whole_log(store).await {
        match (&event.kind, event.incident) {
            (EventKind::IncidentOpened { alarm, .. }, Some(id)) => {
                opened.insert(id, alarm.received_at);
            }
            (EventKind::UnitPaged { .. }, Some(id)) => {
                if let Some(received) = opened.remove(&id) {
                    let ms = (event.at - received).num_microseconds().unwrap_or_default();
                    v.push(ms as f64 / 1000.0);
                }
            }
            _ => {}
        }
    }
    v.sort_by(f64::total_cmp);
    v
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench` asks benches to list themselves; this one has no list.
    }
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let admin = std::env::var("LIFTRESCUE_BENCH_DATABASE_URL")
            .or_else(|_| std::env::var("LIFTRESCUE_TEST_DATABASE_URL"));
        let dir = std::env::temp_dir().join(format!("lr-bench-service-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        // LIFTRESCUE_BENCH_PARTS=latency (or recovery) runs one part only.
        let parts =
            std::env::var("LIFTRESCUE_BENCH_PARTS").unwrap_or_else(|_| "recovery,latency".into());
        if parts.contains("recovery") {
            recovery(
                "sqlite",
                &format!("sqlite:{}", dir.join("recovery.db").display()),
            )
            .await;
        }
        let Ok(admin) = admin else {
            println!("PostgreSQL parts skipped: set LIFTRESCUE_BENCH_DATABASE_URL");
            return;
        };
        if parts.contains("recovery") {
            recovery("postgres", &fresh_pg(&admin, "lr_bench_recovery").await).await;
        }
        if parts.contains("latency") {
            latency(&fresh_pg(&admin, "lr_bench_latency").await).await;
        }
    });
}
