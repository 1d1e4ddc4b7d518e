//! The investigators' search and statistics on a city's year: 100,000 incidents' facts in the
//! review index on PostgreSQL (and SQLite, for comparison), searched the ways an investigator
//! does. Each search is what `GET /api/v1/review/incidents` runs: the indexer's catch-up, the
//! count and the page. The goal: p99 ≤ 200 ms on PostgreSQL.
//!
//! The facts rows are written straight into the index (the log behind them is not needed to
//! search it); they are shaped like a year of a 200,000-lift city: 40 maintenance companies,
//! 11 streets in 2 districts, 2,000 units, mostly cabin-phone and IoT alarms, 5 % breaches.
//!
//! Run with `LIFTRESCUE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! cargo bench --bench review` (`LIFTRESCUE_BENCH_INCIDENTS` changes the 100,000).

#[path = "support/db.rs"]
mod db;
use chrono::{DateTime, TimeDelta, Utc};
use liftrescue::domain::{CompanyId, IncidentId, IncidentStatus, LiftId, UnitId};
use liftrescue::review::search::{LiftFilter, SearchParams};
use liftrescue::review::{BreachKind, IncidentFacts, Outcome, PagedUnit, indexer, stats};
use liftrescue::store::Store;
use liftrescue::store::review::FactsFilter;
use std::sync::Arc;
use std::time::Instant;

const STREETS: [&str; 11] = [
    "解放碑街道",
    "七星岗街道",
    "两路口街道",
    "上清寺街道",
    "菜园坝街道",
    "南纪门街道",
    "大坪街道",
    "化龙桥街道",
    "石油路街道",
    "朝天门街道",
    "大溪沟街道",
];

fn facts(i: i64, end: DateTime<Utc>, rng: &mut fastrand::Rng) -> IncidentFacts {
    let opened = end - TimeDelta::seconds(rng.i64(0..365 * 86_400));
    let outcome = match rng.u32(0..100) {
        0..8 => Outcome::FalseAlarm,
        8..10 => Outcome::Cancelled,
        10..11 => Outcome::Open,
        _ => Outcome::Released,
    };
    let released = outcome == Outcome::Released;
    let response = rng.i64(20..400);
    let arrival = response + rng.i64(300..1500);
    let street = rng.usize(0..STREETS.len());
    let unit = UnitId(rng.i64(1..2001));
    let mut breaches = vec![];
    if rng.u32(0..100) < 5 {
        breaches.push([BreachKind::Acknowledge, BreachKind::Arrive][rng.usize(0..2)]);
    }
    IncidentFacts {
        id: IncidentId(i),
        opened_at: opened,
        alarm_at: opened,
        ended_at: released.then(|| opened + TimeDelta::seconds(arrival + 900)),
        status: IncidentStatus::Closed,
        outcome,
        lift: Some(LiftId(rng.i64(1..200_001))),
        rescue_code: Some(format!("{:06}", rng.u32(0..1_000_000))),
        registration_code: None,
        district: Some(["500103", "500104"][street % 2].to_owned()),
        street: Some(STREETS[street].to_owned()),
        address: Some("1 Minzu Road".to_owned()),
        company: Some(CompanyId(rng.i64(1..41))),
        use_unit: None,
        commissioned: None,
        channel: ["cabin_phone", "iot", "iot", "hotline"][rng.usize(0..4)].to_owned(),
        channels: vec![],
        alarm_kind: "entrapment_between_floors".to_owned(),
        entrapment: outcome != Outcome::FalseAlarm,
        alarms: 1,
        trapped: None,
        flags: vec![],
        level: [1, 1, 1, 2, 3][rng.usize(0..5)],
        units: vec![PagedUnit {
            unit,
            kind: "maintainer".to_owned(),
            level: 1,
            paged_at: opened,
            distance_m: 800.0,
            accepted_at: Some(opened + TimeDelta::seconds(response)),
            on_scene_at: released.then(|| opened + TimeDelta::seconds(arrival)),
        }],
        accepted_at: Some(opened + TimeDelta::seconds(response)),
        accepted_kind: Some("maintainer".to_owned()),
        on_scene_at: released.then(|| opened + TimeDelta::seconds(arrival)),
        released_at: released.then(|| opened + TimeDelta::seconds(arrival + 300)),
        confirmed_at: None,
        response_secs: Some(response),
        arrival_secs: released.then_some(arrival),
        rescue_secs: released.then_some(300),
        arrive_limit_secs: Some(1800),
        acks_missed: 0,
        breaches,
        fire_rescue: false,
        fault_cause: None,
        fault_text: None,
        needs_operator: false,
        notes: 0,
        rules_version: "sha256:bench".to_owned(),
        chain: "entrapment".to_owned(),
        events: 12,
        last_seq: i * 12,
        last_hash: "0".repeat(64),
        steps: Default::default(),
    }
}

async fn fill(store: &dyn Store, n: i64, end: DateTime<Utc>) {
    let mut rng = fastrand::Rng::with_seed(18);
    let started = Instant::now();
    let mut i = 1;
    while i <= n {
        let batch: Vec<_> = (i..(i + 5_000).min(n + 1))
            .map(|k| facts(k, end, &mut rng))
            .collect();
        i += batch.len() as i64;
        store.review().put_review(&batch, &[], 0, 0).await.unwrap();
    }
    println!(
        "filled {n} incidents' facts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn p(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Runs each search `runs` times; prints p50 / p99 / max in ms.
async fn searches(engine: &str, store: &dyn Store, end: DateTime<Utc>, runs: usize) {
    let q = |s: &str| -> SearchParams { serde_urlencoded_like(s) };
    let cases = [
        ("the last year, newest first", q("")),
        ("one lift (by code)", q("lift=x")),
        (
            "a company, one month",
            q("company=7&from=2026-06-01&to=2026-06-30"),
        ),
        (
            "a street, released, by arrival",
            q("street=大坪街道&outcome=released&sort=arrival"),
        ),
        (
            "arrival breaches, a quarter",
            q("breached=arrive&from=2026-04-01&to=2026-06-30"),
        ),
        ("one unit", q("unit=77")),
        ("level 3, hotline", q("level=3&channel=hotline")),
        ("page 100 of the year", q("page=100")),
    ];
    let mut all = vec![];
    println!("\n{engine}: search (catch-up + count + page of 50), {runs} runs each");
    println!("| search | p50 ms | p99 ms | max ms | matches |");
    println!("|---|---:|---:|---:|---:|");
    for (name, params) in &cases {
        let lift = if params.lift.is_some() {
            LiftFilter::Id(LiftId(4242))
        } else {
            LiftFilter::Any
        };
        let s = params.check(end, lift).unwrap();
        let mut times = vec![];
        let mut total = 0;
        for _ in 0..runs {
            let t = Instant::now();
            indexer::catch_up(store).await.unwrap();
            total = store.review().search_facts(&s).await.unwrap().total;
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        all.extend(times.iter().copied());
        times.sort_by(f64::total_cmp);
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {total} |",
            p(&times, 0.5),
            p(&times, 0.99),
            times[times.len() - 1]
        );
    }
    all.sort_by(f64::total_cmp);
    println!(
        "| **all searches** | {:.1} | {:.1} | {:.1} | |",
        p(&all, 0.5),
        p(&all, 0.99),
        all[all.len() - 1]
    );
    for (name, days, by) in [
        ("a month by company", 30, stats::GroupBy::Company),
        ("the year by month", 365, stats::GroupBy::Month),
    ] {
        let period = liftrescue::review::search::Period {
            from: end - TimeDelta::days(days),
            to: end,
        };
        let t = Instant::now();
        let f = store
            .review()
            .facts_in(period, &FactsFilter::default())
            .await
            .unwrap();
        let (groups, _) = stats::compute(&f, by);
        println!(
            "statistics, {name}: {} incidents, {} groups in {:.0} ms",
            f.len(),
            groups.len(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// Parses `a=b&c=d` into the search's parameters (as actix would).
fn serde_urlencoded_like(s: &str) -> SearchParams {
    let mut map = serde_json::Map::new();
    for pair in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap();
        let v = match v.parse::<i64>() {
            Ok(n) if k != "lift" && k != "street" => serde_json::json!(n),
            _ => serde_json::json!(v),
        };
        map.insert(k.to_owned(), v);
    }
    serde_json::from_value(serde_json::Value::Object(map)).unwrap()
}

fn main() {
    let n: i64 = std::env::var("LIFTRESCUE_BENCH_INCIDENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let end: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        if let Ok(admin) = std::env::var("LIFTRESCUE_BENCH_DATABASE_URL")
            .or_else(|_| std::env::var("LIFTRESCUE_TEST_DATABASE_URL"))
        {
            let url = db::fresh_pg(&admin, "liftrescue_bench_review").await;
            let store: Arc<dyn Store> = liftrescue::store::open(&url).await.unwrap();
            fill(store.as_ref(), n, end).await;
            searches("PostgreSQL", store.as_ref(), end, 200).await;
        } else {
            println!("PostgreSQL skipped: set LIFTRESCUE_BENCH_DATABASE_URL");
        }
        let dir =
            std::env::temp_dir().join(format!("liftrescue-bench-review-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("review.db").display());
        let store: Arc<dyn Store> = liftrescue::store::open(&url).await.unwrap();
        fill(store.as_ref(), n, end).await;
        searches("SQLite", store.as_ref(), end, 50).await;
        let _ = std::fs::remove_dir_all(&dir);
    });
}
