//! A burst of alarms against the real service (not criterion: each figure is one run of a
//! load): `rate` alarms a second for 10 s, half `POST /api/v1/alarms` and half MQTT terminal
//! events, for random lifts of the Yuzhong demo region (15,000 lifts; several alarms of one
//! lift join its incident), and at the end of every second one "person ill" alarm behind that
//! second's bulk, for a lift of its own.
//!
//! The service is the `liftrescue` binary in its own process (`burst/server.rs`) on a fresh
//! database; the load generator is this process. Measured from the inbox and the log, on the
//! server's clock: alarms committed and logged against alarms sent (must be equal), commit →
//! decided (incident opened or alarm joined) for every alarm, and for the urgent ones commit →
//! their incident's first decision and first page, and how many earlier bulk alarms were
//! decided after them. Also the desk's steps (alarms per step), the load average and the CPU
//! the server, the generator and PostgreSQL used.
//!
//! Goals (issue 20): 5,000 alarms/s on PostgreSQL and 2,000/s on SQLite, nothing lost, p99
//! commit → decided ≤ 1 s, urgent commit → decided and paged p99 ≤ 1 s.
//!
//! `LIFTRESCUE_BENCH_MQTT_URL=mqtt://127.0.0.1:1883
//! LIFTRESCUE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! cargo bench --bench burst`; SQLite always (in a temp dir), PostgreSQL when its variable is
//! set. `LIFTRESCUE_BENCH_BURST_ENGINES=sqlite` (or `postgres`) runs one engine,
//! `LIFTRESCUE_BENCH_BURST_RATE_SQLITE` / `…_RATE_POSTGRES` change the rates (2,000 / 5,000),
//! `LIFTRESCUE_BENCH_BURST_SECS` the length (10), `LIFTRESCUE_BENCH_SERVER_LOG` the server's
//! log filter (`warn`; its lines go to a file named at the end), `LIFTRESCUE_BENCH_SERVER_BIN`
//! another build of the server to measure (e.g. a copy of `target/release/liftrescue` from
//! before a change).

#[path = "support/db.rs"]
mod db;
#[path = "support/load.rs"]
mod load;
#[path = "burst/record.rs"]
mod record;
#[path = "burst/send.rs"]
mod send;
#[path = "burst/server.rs"]
mod server;

use chrono::Utc;
use liftrescue::store::Store;
use load::{pct, publisher, sorted};
use record::{committed, ms, summary};
use server::{Server, loadavg};
use std::time::{Duration, Instant};

/// Lifts kept apart for the urgent alarms.
const URGENT_LIFTS: usize = 60;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sends alarms `warm-N` both ways until one of each is in the log (the intake has subscribed,
/// connections are open).
async fn warm_up(
    store: &dyn Store,
    server: &Server,
    mqtt: &rumqttc::AsyncClient,
    lift: (i64, &str),
) {
    let client = reqwest::Client::new();
    for n in 0..100 {
        let id = format!("warm-{n}");
        let body = serde_json::json!({"source_alarm_id": id, "lift": {"id": lift.0},
            "kind": "entrapment_at_landing"});
        let _ = client
            .post(format!("{}/api/v1/alarms", server.base))
            .bearer_auth(load::TOKEN)
            .json(&body)
            .send()
            .await;
        let payload = format!(
            r#"{{"alarm_id":"{id}m","code":8,"status":0,"occurred_at":"{}"}}"#,
            Utc::now().to_rfc3339()
        );
        let topic = format!("{}/{}/events", server.prefix, lift.1);
        let _ = mqtt
            .publish(
                topic,
                rumqttc::QoS::AtLeastOnce,
                false,
                payload.into_bytes(),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rec = record::read(store).await;
        if rec.alarms.keys().any(|k| k.ends_with('m')) && rec.alarms.len() >= 2 {
            return;
        }
    }
    panic!(
        "the server took no warm-up alarm; see {}",
        server.log.display()
    );
}

/// Waits until the inbox holds `sent` burst alarms and none is pending, or nothing changes
/// for 20 s; seconds until the last change.
async fn drain(store: &dyn Store, db: &str, sent: usize) -> f64 {
    let started = Instant::now();
    let (mut last, mut still) = ((0, -1), Instant::now());
    loop {
        // The inbox's depth alone while the desk drains: counting the alarms by source id is a
        // scan of the whole inbox that would take PostgreSQL's time from the server it measures.
        let depth = store.inbox_depth().await.unwrap_or(-1);
        let n = match depth {
            0 => committed(db, "%burst-%").await + committed(db, "%ill-%").await,
            _ => last.0,
        };
        if n as usize >= sent && depth == 0 {
            return started.elapsed().as_secs_f64();
        }
        if still.elapsed() > Duration::from_secs(20) {
            return (still - started).as_secs_f64();
        }
        if (n, depth) != last {
            (last, still) = ((n, depth), Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn run(engine: &str, db: &str, broker: &str, rate: u64, secs: u64, dir: &std::path::Path) {
    let store = load::seeded_region(db).await;
    let lifts: Vec<(i64, String)> = store
        .lifts(None, 20_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter_map(|l| Some((l.id.0, l.device_id?.to_string())))
        .collect();
    let (urgent, bulk) = lifts.split_at(URGENT_LIFTS);
    let server = Server::start(db, broker, dir).await;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mqtt = publisher(broker, &id);
    warm_up(store.as_ref(), &server, &mqtt, (bulk[0].0, &bulk[0].1)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let target = send::Target {
        base: &server.base,
        prefix: &server.prefix,
        bulk,
        urgent,
    };
    let (load_before, cpu0, own0, pg0) = (
        loadavg(),
        server.cpu_secs(),
        server::cpu_secs_of("/proc/self/stat"),
        server::postgres_cpu_secs(),
    );
    let sent = send::burst(&target, &mqtt, rate, secs).await;
    let load_after = loadavg();
    let drained = drain(store.as_ref(), db, sent.total()).await;
    let cpu = server.cpu_secs() - cpu0;
    let own = server::cpu_secs_of("/proc/self/stat") - own0;
    let pg = server::postgres_cpu_secs() - pg0;
    let in_inbox = committed(db, "%burst-%").await + committed(db, "%ill-%").await;
    let log = server.log.clone();
    drop(mqtt);
    server.stop().await;
    let rec = record::read(store.as_ref()).await;
    let ours = |k: &&String| k.starts_with("burst-") || k.starts_with("ill-");
    let logged = rec.alarms.keys().filter(ours).count();
    let wall = sent.secs + drained;
    println!(
        "burst/{engine}: {} alarms/s for {secs} s: {} sent in {:.1} s ({} HTTP, {} MQTT, {} urgent); load average {load_before} before, {load_after} after the sending",
        rate,
        sent.total(),
        sent.secs,
        sent.http,
        sent.mqtt,
        sent.urgent.len()
    );
    println!(
        "  HTTP 202: {} of {}; committed to the inbox: {in_inbox}; in the log: {logged}; lost: {}; the log complete {drained:.1} s after the last alarm",
        sent.accepted,
        sent.http + sent.urgent.len().div_ceil(2),
        sent.total() as i64 - logged as i64
    );
    if !sent.refused.is_empty() {
        println!("  HTTP not 202: {:?}", sent.refused);
    }
    println!(
        "  CPU over {wall:.1} s: server {cpu:.1} s ({:.0} % of a core), load generator {own:.1} s, PostgreSQL (every backend on the machine) {pg:.1} s",
        100.0 * cpu / wall
    );
    let decided: Vec<f64> = rec
        .alarms
        .iter()
        .filter(|(k, _)| ours(k))
        .map(|(_, a)| ms(a.committed, a.decided))
        .collect();
    let late = decided.iter().filter(|&&d| d > 1000.0).count();
    println!(
        "  every alarm, commit → decided (opened or joined): {}; over 1 s: {late}",
        summary(decided)
    );
    let steps = sorted(rec.steps.iter().map(|&n| n as f64).collect());
    println!(
        "  desk steps taking alarms: {}; alarms per step p50 {:.0}, p99 {:.0}, max {:.0}",
        steps.len(),
        pct(&steps, 0.5),
        pct(&steps, 0.99),
        steps.last().copied().unwrap_or(f64::NAN)
    );
    urgent_report(&rec, &sent.urgent);
    println!("  server log: {}", log.display());
}

/// The urgent alarms: decided, first decision, first page, and the bulk alarms committed
/// before them but decided after.
fn urgent_report(rec: &record::Record, urgent: &[String]) {
    let found: Vec<record::Logged> = urgent
        .iter()
        .filter_map(|k| rec.alarms.get(k).copied())
        .collect();
    let of = |f: &dyn Fn(&record::Logged) -> Option<f64>| found.iter().filter_map(f).collect();
    let decided = of(&|a| Some(ms(a.committed, a.decided)));
    let first = of(&|a| Some(ms(a.committed, *rec.first_decision.get(&a.incident)?)));
    let paged = of(&|a| Some(ms(a.committed, *rec.first_page.get(&a.incident)?)));
    let overtook: Vec<f64> = found
        .iter()
        .map(|u| {
            rec.alarms
                .iter()
                .filter(|(k, a)| {
                    k.starts_with("burst-") && a.committed < u.committed && a.decided > u.decided
                })
                .count() as f64
        })
        .collect();
    let overtook = sorted(overtook);
    println!(
        "  urgent (person ill), {} of {} in the log: commit → decided {}",
        found.len(),
        urgent.len(),
        summary(decided)
    );
    println!(
        "    commit → first decision of its incident: {}",
        summary(first)
    );
    println!("    commit → a unit paged: {}", summary(paged));
    println!(
        "    bulk alarms committed before an urgent one and decided after it: p50 {:.0}, max {:.0}",
        pct(&overtook, 0.5),
        overtook.last().copied().unwrap_or(f64::NAN)
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench` asks benches to list themselves; this one has no list.
    }
    let broker = std::env::var("LIFTRESCUE_BENCH_MQTT_URL")
        .or_else(|_| std::env::var("LIFTRESCUE_TEST_MQTT_URL"));
    let Ok(broker) = broker else {
        println!("burst bench skipped: set LIFTRESCUE_BENCH_MQTT_URL");
        return;
    };
    let engines = std::env::var("LIFTRESCUE_BENCH_BURST_ENGINES")
        .unwrap_or_else(|_| "sqlite,postgres".into());
    let secs = env_num("LIFTRESCUE_BENCH_BURST_SECS", 10);
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("lr-bench-burst-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        println!("burst: started {}", Utc::now().to_rfc3339());
        if engines.contains("sqlite") {
            let db = format!("sqlite:{}", dir.join("burst.db").display());
            let rate = env_num("LIFTRESCUE_BENCH_BURST_RATE_SQLITE", 2_000);
            run("sqlite", &db, &broker, rate, secs, &dir).await;
        }
        if engines.contains("postgres") {
            match std::env::var("LIFTRESCUE_BENCH_DATABASE_URL") {
                Ok(admin) => {
                    let db = db::fresh_pg(&admin, "lr_bench_burst").await;
                    let rate = env_num("LIFTRESCUE_BENCH_BURST_RATE_POSTGRES", 5_000);
                    run("postgres", &db, &broker, rate, secs, &dir).await;
                }
                Err(_) => println!("PostgreSQL skipped: set LIFTRESCUE_BENCH_DATABASE_URL"),
            }
        }
        // The server logs stay for reading; the database files go.
        for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if f.file_name().to_string_lossy().starts_with("burst.db") {
                let _ = std::fs::remove_file(f.path());
            }
        }
    });
}
