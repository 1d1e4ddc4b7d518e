//! Failover of the dispatch desk between two `liftrescue serve` processes on one PostgreSQL
//! (not criterion: each figure is a count of real kills). Each round posts a few alarms to the
//! holder (pages out, 2-second acknowledgement deadlines from the test rules, so deadlines
//! keep falling due), SIGKILLs it, and measures on the standby:
//!
//! - **takeover**: from the kill until the standby's `/readyz` says `holder` (it holds the
//!   lease and has rebuilt its desk from the log);
//! - **overdue fired**: from the kill until every deadline that fell due meanwhile is in the
//!   log (the new holder fires them at once, each recording how late), and the largest
//!   lateness among them.
//!
//! The killed node is started again (a standby now) before the next round. Then a few planned
//! stops (SIGTERM): from the signal until the standby holds the desk (the holder drains, then
//! releases the lease).
//!
//! Goal (issue 19): every overdue deadline fired within 10 s of the kill, p99 ≤ 3 s over 20
//! kills; a planned handover within 1 s.
//!
//! `LIFTRESCUE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! cargo bench --bench failover`; `LIFTRESCUE_BENCH_FAILOVER_KILLS` (20),
//! `LIFTRESCUE_BENCH_FAILOVER_STOPS` (5), `LIFTRESCUE_BENCH_FAILOVER_TTL` (the lease, `2s`).

#[path = "support/db.rs"]
mod db;

#[path = "support/nodes.rs"]
mod nodes;

use liftrescue::domain::EventKind;
use liftrescue::store::Store;
use nodes::{Node, pct, wait_role};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn start(name: &'static str, db: &str, rules: &str, ttl: &str, log: &std::path::Path) -> Node {
    nodes::start(
        name,
        db,
        &[
            ("LIFTRESCUE_RULES_DIR", rules),
            ("LIFTRESCUE_CLUSTER__LEASE_TTL", ttl),
        ],
        log,
    )
}

/// Deadlines that fell due in `(from, until]` and whether each has fired (its lateness).
async fn overdue(
    store: &dyn Store,
    after_seq: i64,
    pending: &[chrono::DateTime<chrono::Utc>],
    until: chrono::DateTime<chrono::Utc>,
) -> Option<f64> {
    let mut fired = Vec::new();
    let mut after = after_seq;
    loop {
        let page = store.log_page(after, 5_000).await.ok()?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in page {
            if let EventKind::AckMissed { due, .. } = e.event.kind {
                fired.push((due, (e.event.at - due).num_milliseconds() as f64 / 1000.0));
            }
        }
    }
    let mut worst: f64 = 0.0;
    for due in pending.iter().filter(|d| **d <= until) {
        let late = fired.iter().find(|(d, _)| d == due)?.1;
        worst = worst.max(late);
    }
    Some(worst)
}

#[tokio::main]
async fn main() {
    let Ok(admin) = std::env::var("LIFTRESCUE_BENCH_DATABASE_URL") else {
        println!("failover: LIFTRESCUE_BENCH_DATABASE_URL is not set; skipped");
        return;
    };
    let kills = nodes::env_count("LIFTRESCUE_BENCH_FAILOVER_KILLS", 20);
    let stops = nodes::env_count("LIFTRESCUE_BENCH_FAILOVER_STOPS", 5);
    let ttl = std::env::var("LIFTRESCUE_BENCH_FAILOVER_TTL").unwrap_or_else(|_| "2s".into());
    let db = db::fresh_pg(&admin, "lr_bench_failover").await;
    let store: Arc<dyn Store> = liftrescue::store::open(&db).await.expect("open the store");
    let spec = liftrescue::demo::RegionSpec {
        lifts: 2_000,
        ..Default::default()
    };
    liftrescue::registry::seed_demo(store.as_ref(), &spec, chrono::Utc::now())
        .await
        .expect("seed");
    let secret = nodes::integration_token(store.as_ref()).await;
    let rules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/integration-tests/fixtures/fast-rules"
    );
    let dir = std::env::temp_dir().join("lr-bench-failover");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("nodes.log");
    let _ = std::fs::remove_file(&log);
    let http = reqwest::Client::new();
    let mut holder = start("a", &db, rules, &ttl, &log);
    wait_role(&http, &holder.base, "holder").await;
    let mut standby = start("b", &db, rules, &ttl, &log);
    wait_role(&http, &standby.base, "standby").await;
    let lifts: Vec<_> = store.lifts(None, 2_000).await.unwrap();
    let (mut takeover, mut fired, mut late) = (Vec::new(), Vec::new(), Vec::new());
    let mut n = 0;
    for round in 0..kills {
        // Pages out to a few crews, their acknowledgements falling due in 2 s.
        for _ in 0..3 {
            let lift = &lifts[n % lifts.len()];
            n += 1;
            let r = http
                .post(format!("{}/api/v1/alarms", holder.base))
                .bearer_auth(&secret)
                .json(&serde_json::json!({"source_alarm_id": format!("f{n}"), "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"}))
                .send()
                .await
                .expect("post an alarm");
            assert_eq!(r.status().as_u16(), 202);
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        let head = store.log_head().await.unwrap();
        let pending = pending_acks(store.as_ref()).await;
        let killed_at = chrono::Utc::now();
        let t0 = Instant::now();
        holder.signal("-KILL");
        let _ = holder.child.wait();
        wait_role(&http, &standby.base, "holder").await;
        let took = t0.elapsed().as_secs_f64();
        // Every deadline that fell due while nobody held the desk, in the log.
        let taken_at = killed_at + chrono::TimeDelta::milliseconds((took * 1000.0) as i64);
        let worst = loop {
            if let Some(w) = overdue(store.as_ref(), head, &pending, taken_at).await {
                break w;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "overdue deadlines never fired"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let all_fired = t0.elapsed().as_secs_f64();
        println!(
            "kill {:>2}: {} → {}: takeover {:.2} s, overdue fired by {:.2} s (worst lateness {:.2} s)",
            round + 1,
            holder.name,
            standby.name,
            took,
            all_fired,
            worst
        );
        takeover.push(took);
        fired.push(all_fired);
        late.push(worst);
        let name = holder.name;
        holder = start(name, &db, rules, &ttl, &log);
        wait_role(&http, &holder.base, "standby").await;
        std::mem::swap(&mut holder, &mut standby);
    }
    let mut handover = Vec::new();
    for round in 0..stops {
        let t0 = Instant::now();
        holder.signal("-TERM");
        wait_role(&http, &standby.base, "holder").await;
        let gap = t0.elapsed().as_secs_f64();
        let _ = holder.child.wait();
        println!(
            "stop {:>2}: {} → {}: handover {:.2} s",
            round + 1,
            holder.name,
            standby.name,
            gap
        );
        handover.push(gap);
        let name = holder.name;
        holder = start(name, &db, rules, &ttl, &log);
        wait_role(&http, &holder.base, "standby").await;
        std::mem::swap(&mut holder, &mut standby);
    }
    let show = |what: &str, v: &[f64]| {
        if !v.is_empty() {
            println!(
                "| {what} | {} | {:.2} s | {:.2} s | {:.2} s |",
                v.len(),
                pct(v, 0.5),
                pct(v, 0.99),
                pct(v, 1.0)
            );
        }
    };
    println!(
        "\nfailover, lease TTL {ttl}, 2 nodes on PostgreSQL (node logs: {})",
        log.display()
    );
    println!("| measure | n | p50 | p99 | max |\n|---|---|---|---|---|");
    show("SIGKILL → standby holds the desk", &takeover);
    show("SIGKILL → every overdue deadline fired", &fired);
    show("lateness of those deadlines", &late);
    show("SIGTERM → standby holds the desk", &handover);
    holder.stop();
    standby.stop();
}

/// The acknowledgement deadlines of pages still ringing.
async fn pending_acks(store: &dyn Store) -> Vec<chrono::DateTime<chrono::Utc>> {
    let mut open = std::collections::HashMap::new();
    let mut after = 0;
    loop {
        let page = store.log_page(after, 10_000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in page {
            let i = e.event.incident;
            match &e.event.kind {
                EventKind::UnitPaged {
                    candidate, ack_due, ..
                } => {
                    open.insert((i, candidate.unit), *ack_due);
                }
                EventKind::Accepted { unit, .. }
                | EventKind::Declined { unit }
                | EventKind::AckMissed { unit, .. }
                | EventKind::PageCancelled { unit } => {
                    open.remove(&(i, *unit));
                }
                _ => {}
            }
        }
    }
    open.into_values().collect()
}
