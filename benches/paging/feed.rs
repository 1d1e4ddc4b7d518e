//! The `feed` part of the paging benchmark: the console's live feed (`GET /api/v1/feed`).
//!
//! 1. Alarm → visible on a connected console, at 10 and at 200 alarms/s (10 s each, after
//!    one uncounted second at the same rate on other lifts), on one server with the SMS
//!    stand-in: a console (`benches/support/console.rs`) connected before the run notes when
//!    each incident's `incident_opened` frame arrives. Shown from the intake request's start,
//!    from its 202 (the alarm committed to the inbox; the intake waits a little for the desk
//!    to take it, so the frame may come first), and on the server's clock from the alarm's
//!    receipt and from the desk's decision; beside the alarm → first SMS of the same run
//!    (measured as the `wire` part does). Goal (issue 17): p99 ≤ 250 ms at 200/s.
//! 2. The storm (`storm`, 10,000 alarms over 60 s) twice, each on a fresh database: with no
//!    console, then with 50 consoles each on its own connection, reading every frame and
//!    keeping a board. Shown: the desk's decision latency both times (goal: p99 with consoles
//!    within 10 % of without), and whether every console ends with the board of
//!    `GET /api/v1/board` at the same log sequence (mismatches printed).
//!
//! `LIFTRESCUE_BENCH_CONSOLES` (default 50), `LIFTRESCUE_BENCH_STORM_ALARMS` (10,000) and
//! `LIFTRESCUE_BENCH_STORM_SECS` (60) size the second part.

use super::console::{self, BoardCheck, Console, lock};
use super::load::{Posted, pct, post_alarms, sorted, whole_log};
use super::{Arrivals, StormRun, db::fresh_pg};
use chrono::{DateTime, Utc};
use liftrescue::domain::{EventKind, IncidentId};
use liftrescue::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The load average (1, 5, 15 minutes).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// CPU seconds this process has used (user + system).
pub fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, a)| a);
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // After the command: state is field 3, utime 14 and stime 15; clock ticks of 1/100 s.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n` consoles connected to the server at `base` (an operator token stored first).
pub async fn consoles(store: &dyn Store, base: &str, n: usize) -> Vec<Console> {
    if n == 0 {
        return vec![];
    }
    console::operator_token(store).await;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(Console::connect(base).await);
    }
    v
}

/// What the consoles saw of a storm.
pub struct Watched {
    consoles: usize,
    check: BoardCheck,
    /// Alarm received (server clock) → its `incident_opened` frame at a console, every console.
    visible: Vec<f64>,
    /// Incidents some console never saw open.
    unseen: usize,
    frames: u64,
    bytes: u64,
    replays: u64,
    resets: u64,
}

/// Checks the consoles' boards and gathers what they saw (`None` without consoles).
pub async fn watched(
    base: &str,
    consoles: &[Console],
    opened: &HashMap<IncidentId, DateTime<Utc>>,
) -> Option<Watched> {
    if consoles.is_empty() {
        return None;
    }
    let check = console::check_boards(base, consoles, Duration::from_secs(60)).await;
    let mut w = Watched {
        consoles: consoles.len(),
        check,
        visible: vec![],
        unseen: 0,
        frames: 0,
        bytes: 0,
        replays: 0,
        resets: 0,
    };
    for c in consoles {
        let s = lock(&c.seen);
        (w.frames, w.bytes) = (w.frames + s.frames, w.bytes + s.bytes);
        (w.replays, w.resets) = (w.replays + s.replays, w.resets + s.resets);
        for (id, received) in opened {
            match s.opened.get(&id.0) {
                Some((_, at)) => w.visible.push(ms(*at - *received)),
                None => w.unseen += 1,
            }
        }
    }
    w.visible = sorted(w.visible);
    Some(w)
}

impl Watched {
    pub fn print(&self) {
        let n = self.consoles as u64;
        println!(
            "  {} consoles: {} log frames each on average ({:.1} MB), {} replays from the log, {} board reloads; alarm received → incident visible on a console: p50 {:.1} ms, p99 {:.1} ms ({} incident × console pairs never seen open)",
            self.consoles,
            self.frames / n.max(1),
            self.bytes as f64 / n.max(1) as f64 / 1e6,
            self.replays,
            self.resets,
            pct(&self.visible, 0.5),
            pct(&self.visible, 0.99),
            self.unseen
        );
        println!(
            "  boards: {} of {} consoles end with the board of GET /api/v1/board at sequence {} ({} open incidents)",
            self.check.same, self.consoles, self.check.seq, self.check.rows
        );
        for m in &self.check.mismatches {
            println!("    MISMATCH {m}");
        }
    }
}

fn ms(d: chrono::TimeDelta) -> f64 {
    d.num_microseconds().unwrap_or_default() as f64 / 1000.0
}

/// Each incident opened in the log: the alarm's receipt (the intake's clock) and the desk's
/// decision time.
async fn opened_times(store: &dyn Store) -> HashMap<i64, (DateTime<Utc>, DateTime<Utc>)> {
    let mut out = HashMap::new();
    for event in whole_log(store).await {
        if let (Some(id), EventKind::IncidentOpened { alarm, .. }) = (event.incident, &event.kind) {
            out.insert(id.0, (alarm.received_at, event.at));
        }
    }
    out
}

/// The first part: alarm → visible on a console at each rate.
async fn visible(url: &str) {
    let (store, lifts) = super::region(url).await;
    console::operator_token(store.as_ref()).await;
    let arrivals = Arc::new(Arrivals::default());
    let gw = super::gateway(arrivals.clone());
    let service = liftrescue::service::start(super::paging_settings(url, &gw, 1_000.0))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let (base, http) = super::serve(&service);
    let watcher = Console::connect(&base).await;
    let ids: Vec<i64> = lifts.iter().map(|l| l.id.0).collect();
    let (measured, spare) = ids.split_at(ids.len() * 2 / 3);
    let (slow, fast) = measured.split_at(500);
    let (warm_slow, warm_fast) = spare.split_at(100);
    let secs = 10;
    for (rate, lifts, warm) in [(10u64, slow, warm_slow), (200, fast, warm_fast)] {
        let load = loadavg();
        post_alarms(&base, warm, &format!("warm{rate}"), rate, 1).await;
        let posted = post_alarms(&base, lifts, &format!("feed{rate}"), rate, secs).await;
        // Each incident's first alarm: when its request started and when the 202 came.
        let mut first: HashMap<i64, &Posted> = HashMap::new();
        let failed = posted.iter().filter(|p| p.incident.is_none()).count();
        for p in &posted {
            if let Some(i) = p.incident {
                first.entry(i).or_insert(p);
            }
        }
        let started: HashMap<i64, Instant> = first.iter().map(|(i, p)| (*i, p.started)).collect();
        let sms = super::sms_latency(&super::settle(&arrivals, &started).await, &started);
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until && {
            let s = lock(&watcher.seen);
            started.keys().any(|i| !s.opened.contains_key(i))
        } {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let times = opened_times(store.as_ref()).await;
        let s = lock(&watcher.seen);
        let (mut from_start, mut from_202, mut from_receipt, mut from_decision) =
            (vec![], vec![], vec![], vec![]);
        let mut before_202 = 0;
        for (i, p) in &first {
            let Some((at, utc)) = s.opened.get(i) else {
                continue;
            };
            let since_start = at.duration_since(p.started).as_secs_f64() * 1000.0;
            from_start.push(since_start);
            from_202.push(since_start - p.took_ms);
            before_202 += usize::from(since_start < p.took_ms);
            if let Some((received, decided)) = times.get(i) {
                from_receipt.push(ms(*utc - *received));
                from_decision.push(ms(*utc - *decided));
            }
        }
        let seen = from_start.len();
        drop(s);
        let [from_start, from_202, from_receipt, from_decision] =
            [from_start, from_202, from_receipt, from_decision].map(sorted);
        let answered = sorted(first.values().map(|p| p.took_ms).collect());
        let f = |v: &[f64]| format!("p50 {:.2} ms, p99 {:.2} ms", pct(v, 0.5), pct(v, 0.99));
        println!(
            "feed/postgres at {rate} alarms/s for {secs} s (load average {load} before): {} incidents, {seen} seen opening on the console, {failed} intake failures",
            first.len()
        );
        println!("  intake request → 202: {}", f(&answered));
        println!(
            "  alarm request → visible on the console: {}",
            f(&from_start)
        );
        println!(
            "  202 (alarm committed) → visible: {} ({before_202} of {seen} frames came before the 202, which waits for the desk)",
            f(&from_202)
        );
        println!(
            "  server clock: alarm received → visible {}; incident opened by the desk → visible {}",
            f(&from_receipt),
            f(&from_decision)
        );
        println!(
            "  alarm request → first SMS at the gateway (same run): {} ({} incidents paged on the wire)",
            f(&sms),
            sms.len()
        );
        if rate == 200 {
            println!(
                "  goal p99 ≤ 250 ms at 200/s: from the 202 {:.1} ms, from the request {:.1} ms",
                pct(&from_202, 0.99),
                pct(&from_start, 0.99)
            );
        }
    }
    drop(watcher);
    http.stop(true).await;
    let _ = service.drain().await;
}

/// The `feed` part: both measurements.
pub async fn part(admin: &str) {
    visible(&fresh_pg(admin, "lr_bench_feed").await).await;
    let Ok(broker) = std::env::var("LIFTRESCUE_BENCH_MQTT_URL")
        .or_else(|_| std::env::var("LIFTRESCUE_TEST_MQTT_URL"))
    else {
        println!("feed storm skipped: set LIFTRESCUE_BENCH_MQTT_URL");
        return;
    };
    let run = StormRun {
        total: env_num("LIFTRESCUE_BENCH_STORM_ALARMS", 10_000),
        secs: env_num("LIFTRESCUE_BENCH_STORM_SECS", 60),
        consoles: 0,
    };
    let n = env_num("LIFTRESCUE_BENCH_CONSOLES", 50) as usize;
    let url = fresh_pg(admin, "lr_bench_feed_storm").await;
    let (a50, a99) = super::storm(&url, &broker, &run).await;
    let url = fresh_pg(admin, "lr_bench_feed_storm").await;
    let with = StormRun { consoles: n, ..run };
    let (b50, b99) = super::storm(&url, &broker, &with).await;
    println!(
        "feed/storm: decision latency without consoles p50 {a50:.1} ms, p99 {a99:.1} ms; with {n} consoles p50 {b50:.1} ms, p99 {b99:.1} ms (p99 {:+.0} %, goal within 10 %)",
        100.0 * (b99 - a99) / a99
    );
}
