//! The live feed on a standby: a console connected to a standby node sees what the holder
//! decided. Two `liftrescue serve` nodes on one PostgreSQL; a console (the benchmarks' feed
//! client) on the standby; alarms posted to the holder at a steady rate. For each incident,
//! from its `incident_opened` event's time (the holder's decision, just before its append)
//! to that frame's arrival on the standby's console. Measured in the same run with the feed
//! carried by Redis (`redis_url` set: the holder publishes each commit to a Redis Stream, the
//! standby follows it) and without (the standby reads the log every 100 ms).
//!
//! Goal (issue 19): p99 ≤ 250 ms.
//!
//! `LIFTRESCUE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! LIFTRESCUE_BENCH_REDIS_URL=redis://127.0.0.1:6379 cargo bench --bench standby_feed`
//! (without the Redis variable only the log is measured); `LIFTRESCUE_BENCH_FEED_ALARMS`
//! (300) alarms at `LIFTRESCUE_BENCH_FEED_RATE` (50) a second.

#[path = "support/console.rs"]
mod console;
#[path = "support/db.rs"]
mod db;
#[path = "support/load.rs"]
mod load;
#[path = "support/nodes.rs"]
mod nodes;

use liftrescue::domain::EventKind;
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let Ok(admin) = std::env::var("LIFTRESCUE_BENCH_DATABASE_URL") else {
        println!("standby_feed: LIFTRESCUE_BENCH_DATABASE_URL is not set; skipped");
        return;
    };
    let alarms = nodes::env_count("LIFTRESCUE_BENCH_FEED_ALARMS", 300);
    let rate = nodes::env_count("LIFTRESCUE_BENCH_FEED_RATE", 50).max(1);
    let mut modes = vec![("log", None)];
    if let Ok(redis) = std::env::var("LIFTRESCUE_BENCH_REDIS_URL") {
        modes.push(("redis", Some(redis)));
    }
    let dir = std::env::temp_dir().join("lr-bench-standby-feed");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("nodes.log");
    let _ = std::fs::remove_file(&log);
    let http = reqwest::Client::new();
    let mut rows = Vec::new();
    for (mode, redis) in modes {
        let db = db::fresh_pg(&admin, "lr_bench_standby_feed").await;
        let store = load::seeded_region(&db).await;
        console::operator_token(store.as_ref()).await;
        let mut env = vec![];
        if let Some(r) = &redis {
            env.push(("LIFTRESCUE_REDIS_URL", r.as_str()));
        }
        let holder = nodes::start("a", &db, &env, &log);
        nodes::wait_role(&http, &holder.base, "holder").await;
        let standby = nodes::start("b", &db, &env, &log);
        nodes::wait_role(&http, &standby.base, "standby").await;
        let console = console::Console::connect(&standby.base).await;
        let lifts = store.lifts(None, alarms as i64).await.unwrap();
        let gap = Duration::from_secs_f64(1.0 / rate as f64);
        let t0 = Instant::now();
        for (n, lift) in lifts.iter().enumerate() {
            let at = t0 + gap * n as u32;
            tokio::time::sleep_until(at.into()).await;
            let r = http
                .post(format!("{}/api/v1/alarms", holder.base))
                .bearer_auth(load::TOKEN)
                .json(&serde_json::json!({"source_alarm_id": format!("{mode}-{n}"), "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"}))
                .send()
                .await
                .expect("post an alarm");
            assert_eq!(r.status().as_u16(), 202);
        }
        // Every incident's opening on the standby's console (at most 30 s more).
        let opened_at: HashMap<i64, chrono::DateTime<chrono::Utc>> =
            load::whole_log(store.as_ref())
                .await
                .into_iter()
                .filter(|e| matches!(e.kind, EventKind::IncidentOpened { .. }))
                .filter_map(|e| e.incident.map(|i| (i.0, e.at)))
                .collect();
        let until = Instant::now() + Duration::from_secs(30);
        while console::lock(&console.seen).opened.len() < opened_at.len() && Instant::now() < until
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seen = console::lock(&console.seen);
        let lat: Vec<f64> = opened_at
            .iter()
            .filter_map(|(id, at)| {
                seen.opened.get(id).map(|(_, arrived)| {
                    (*arrived - *at).num_microseconds().unwrap_or(0) as f64 / 1000.0
                })
            })
            .collect();
        let missing = opened_at.len() - lat.len();
        drop(seen);
        rows.push(format!(
            "| {mode} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {missing} |",
            lat.len(),
            nodes::pct(&lat, 0.5),
            nodes::pct(&lat, 0.99),
            nodes::pct(&lat, 1.0)
        ));
        drop(console);
        standby.stop();
        holder.stop();
    }
    println!(
        "\nholder decides → standby's console, {alarms} incidents at {rate}/s, 2 nodes (node logs: {})",
        log.display()
    );
    println!(
        "| feed carried by | incidents | p50 | p99 | max | never seen |\n|---|---|---|---|---|---|"
    );
    for r in rows {
        println!("{r}");
    }
}
