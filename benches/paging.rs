//! Paging under load (not criterion: each figure is one run of a load), against the server
//! (`service::start` + the HTTP server, in-process) on PostgreSQL with the Yuzhong demo region
//! (15,000 lifts), paging through an SMS gateway stand-in on loopback (real HTTP).
//!
//! 1. `wire`: alarm → page on the wire. 200 alarms/s for 10 s over `POST /api/v1/alarms`, each
//!    for a different lift, after one second at the same rate on other lifts that is not
//!    counted (the server warm: connections open, statements prepared). The latency of one is
//!    from just before its intake request is sent to the stand-in receiving the first SMS of
//!    its incident (one process, one monotonic clock). Printed beside the floor measured in the same run: two database commits (bare
//!    one-row INSERTs on the same database, p50) plus two loopback HTTP round trips (POSTs to
//!    the stand-in, p50) — the least any design that commits the alarm, commits the page and
//!    calls a gateway could take. Goal: p50 ≤ 2 × floor, p99 ≤ 10 × floor. Also printed: the
//!    paced floor, the same two commits and two round trips chained one after the other at
//!    the alarms' rate (what the least design costs at 200 alarms a second, not back to back),
//!    and the ratios to it.
//! 2. `storm`: a district blackout. 10,000 entrapment alarms over 60 s, alternately over HTTP
//!    and MQTT (terminals publishing to the local broker), for random lifts (several alarms of
//!    one lift join its incident). Shown: alarms sent, committed and in the log (lost = sent −
//!    logged), incidents and whether every one has a logged decision (a page, or "no
//!    candidate" / "needs the operator" with the reason), decision latency p50/p99 (inbox
//!    commit → first decision, server clock), SMS on the wire, and what the operator sees.
//! 3. `feed` (not run by default; `benches/paging/feed.rs`): the console's live feed. Alarm →
//!    visible on a connected console at 10 and 200 alarms/s beside alarm → first SMS, and the
//!    storm twice, with no console and with 50 consoles (boards checked against the server's).
//!
//! `LIFTRESCUE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! LIFTRESCUE_BENCH_MQTT_URL=mqtt://127.0.0.1:1883 cargo bench --bench paging`;
//! `LIFTRESCUE_BENCH_PARTS=wire` (or `storm`, or `feed`) runs one part (default `wire,storm`).
//! Skips with a notice without PostgreSQL; the storms need the broker too.

#[path = "support/console.rs"]
mod console;
#[path = "support/db.rs"]
mod db;
#[path = "paging/feed.rs"]
mod feed;
#[path = "support/load.rs"]
mod load;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use db::fresh_pg;
use liftrescue::config::Settings;
use liftrescue::domain::{EventKind, IncidentId};
use liftrescue::paging::settings::HttpGatewaySettings;
use liftrescue::store::{IncidentFilter, Store};
use load::{
    TOKEN, bare_commit_latencies, pct, post_alarms, publisher, seeded_region, sorted, whole_log,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PAGED: &str = "a unit paged";

/// The SMS gateway stand-in: when the first message of each incident arrived, and how many.
#[derive(Default)]
struct Arrivals {
    first: Mutex<HashMap<i64, (Instant, DateTime<Utc>)>>,
    total: std::sync::atomic::AtomicU64,
}

async fn sms(req: HttpRequest, _body: web::Bytes, a: web::Data<Arrivals>) -> HttpResponse {
    let now = Instant::now();
    a.total.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let incident = req
        .headers()
        .get("x-liftrescue-message")
        .and_then(|v| v.to_str().ok())
        .and_then(liftrescue::paging::policy::AttemptKey::parse)
        .map(|k| k.page.incident.0);
    if let Some(i) = incident {
        a.first
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(i)
            .or_insert((now, Utc::now()));
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"code":"OK"}"#)
}

async fn probe(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"code":"OK"}"#)
}

/// Starts the stand-in; its base URL.
fn gateway(arrivals: Arc<Arrivals>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let data = web::Data::from(arrivals);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/sms", web::post().to(sms))
            .route("/probe", web::post().to(probe))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap_or_else(|e| panic!("{e}"))
    .run();
    tokio::spawn(server);
    base
}

/// A seeded database with an integration token; the store and the lifts.
async fn region(url: &str) -> (Arc<dyn Store>, Vec<liftrescue::domain::Lift>) {
    let store = seeded_region(url).await;
    let lifts = store
        .lifts(None, 20_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (store, lifts)
}

fn paging_settings(url: &str, gw: &str, per_second: f64) -> Settings {
    let mut s = Settings {
        database_url: url.into(),
        seed_demo: false,
        ..Settings::default()
    };
    s.notify.plan = "sms:0s,repeat:60s".into();
    s.notify.sms = Some(HttpGatewaySettings {
        per_second,
        ..HttpGatewaySettings::new(format!("{gw}/sms"))
    });
    s
}

/// Runs the HTTP server on `service`; its base URL and a stop handle.
fn serve(service: &liftrescue::service::Service) -> (String, actix_web::dev::ServerHandle) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let server = liftrescue::http::server(listener, service.state.clone())
        .unwrap_or_else(|e| panic!("{e:#}"));
    let handle = server.handle();
    tokio::spawn(server);
    (base, handle)
}

/// One loopback round trip to the stand-in, with a body the size of an SMS request.
async fn round_trip(client: &reqwest::Client, gw: &str) {
    let body = serde_json::json!({"to": "13900000001", "text": "x".repeat(120), "id": "probe"});
    let _ = client
        .post(format!("{gw}/probe"))
        .json(&body)
        .send()
        .await
        .map(|r| r.status());
}

async fn round_trips(client: &reqwest::Client, gw: &str, n: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        round_trip(client, gw).await;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    sorted(v)
}

/// The floor as the alarms meet it: at `rate` a second for `n` ticks, one chain of what the
/// least design does per alarm, one step after the other (a loopback round trip for the
/// alarm, a commit for it, a commit for the page, a round trip for the page); each chain's
/// time, milliseconds, sorted. Between alarms the machine idles, and every step pays for
/// waking it (ops/BENCHMARKS.md gives the `pgbench` runs that show it for a lone commit); the
/// back-to-back floor does not.
async fn paced_floor(
    url: &str,
    client: &reqwest::Client,
    gw: &str,
    rate: u64,
    n: usize,
) -> Vec<f64> {
    let mut c = load::probe_connection(url).await;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        tick.tick().await;
        let t = Instant::now();
        round_trip(client, gw).await;
        sqlx::query(load::PROBE_INSERT).execute(&mut c).await.ok();
        sqlx::query(load::PROBE_INSERT).execute(&mut c).await.ok();
        round_trip(client, gw).await;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    sorted(v)
}

/// Waits until the stand-in's first SMS for the `started` incidents stop arriving and returns
/// when each arrived. Most incidents of a surge find every unit busy and page nobody, so
/// "every incident's SMS arrived" never comes: waits until the arrivals stop (two quiet
/// seconds; the stand-in answers at once, so a first SMS is never held back longer), at most
/// 30 s. A paged incident whose SMS never arrived shows in the printout ("N of them paged on
/// the wire").
async fn settle(
    arrivals: &Arrivals,
    started: &HashMap<i64, Instant>,
) -> HashMap<i64, (Instant, DateTime<Utc>)> {
    let arrived = |a: &Arrivals| {
        a.first
            .lock()
            .map(|f| started.keys().filter(|i| f.contains_key(i)).count())
            .unwrap_or(0)
    };
    let (wait_until, quiet) = (
        Instant::now() + Duration::from_secs(30),
        Duration::from_secs(2),
    );
    let (mut seen, mut since) = (arrived(arrivals), Instant::now());
    while seen < started.len() && since.elapsed() < quiet && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = arrived(arrivals);
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
    }
    arrivals.first.lock().map(|f| f.clone()).unwrap_or_default()
}

/// Each started incident's request → first SMS at the stand-in, milliseconds, sorted.
fn sms_latency(
    first: &HashMap<i64, (Instant, DateTime<Utc>)>,
    started: &HashMap<i64, Instant>,
) -> Vec<f64> {
    sorted(
        started
            .iter()
            .filter_map(|(i, t)| {
                first
                    .get(i)
                    .map(|a| a.0.duration_since(*t).as_secs_f64() * 1000.0)
            })
            .collect(),
    )
}

async fn wire(url: &str) {
    let (store, lifts) = region(url).await;
    let arrivals = Arc::new(Arrivals::default());
    let gw = gateway(arrivals.clone());
    let service = liftrescue::service::start(paging_settings(url, &gw, 1_000.0))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let (base, http) = serve(&service);
    let client = reqwest::Client::new();
    let (rate, secs) = (200u64, 10u64);
    let ids: Vec<i64> = lifts.iter().map(|l| l.id.0).collect();
    let (measured, spare) = ids.split_at(ids.len() * 2 / 3);
    // Warm-up: one second at the same rate on other lifts, not counted, so the figures are
    // the running server's (connections open, statements prepared, caches filled).
    post_alarms(&base, spare, "warm", rate, 1).await;
    let posted = post_alarms(&base, measured, "wire", rate, secs).await;
    let mut started: HashMap<i64, Instant> = HashMap::new();
    let mut failed = 0;
    for p in &posted {
        match p.incident {
            Some(i) => {
                started.entry(i).or_insert(p.started);
            }
            None => failed += 1,
        }
    }
    let first = settle(&arrivals, &started).await;
    let latency = sms_latency(&first, &started);
    let mut rec = record(store.as_ref()).await;
    rec.opened.retain(|i, _| started.contains_key(&i.0));
    rec.first_page.retain(|i, _| started.contains_key(&i.0));
    let split = |from: &dyn Fn(&IncidentId) -> Option<DateTime<Utc>>,
                 to: &dyn Fn(&IncidentId) -> Option<DateTime<Utc>>| {
        sorted(
            rec.opened
                .keys()
                .filter_map(|i| Some((to(i)? - from(i)?).num_microseconds()? as f64 / 1000.0))
                .collect(),
        )
    };
    let paged_at = |i: &IncidentId| rec.first_page.get(i).copied();
    let decided = split(&|i| rec.opened.get(i).copied(), &paged_at);
    let on_wire = split(&paged_at, &|i| first.get(&i.0).map(|a| a.1));
    let paged_incidents = rec.first_page.len();
    let commits = bare_commit_latencies(url, 1_000).await;
    let trips = round_trips(&client, &gw, 1_000).await;
    let floor = 2.0 * pct(&commits, 0.5) + 2.0 * pct(&trips, 0.5);
    let paced = paced_floor(url, &client, &gw, rate, 1_000).await;
    let paced_floor = pct(&paced, 0.5);
    http.stop(true).await;
    let _ = service.drain().await;
    drop(store);
    let (p50, p99) = (pct(&latency, 0.5), pct(&latency, 0.99));
    println!(
        "wire/postgres at {rate} alarms/s for {secs} s: {} incidents, {paged_incidents} with a unit paged (the rest found every unit of their kind busy), {} of them paged on the wire, {failed} intake failures",
        started.len(),
        latency.len()
    );
    println!(
        "  of which inbox commit → page decided (server clock): p50 {:.2} ms, p99 {:.2} ms; page decided → SMS at the gateway: p50 {:.2} ms, p99 {:.2} ms",
        pct(&decided, 0.5),
        pct(&decided, 0.99),
        pct(&on_wire, 0.5),
        pct(&on_wire, 0.99)
    );
    println!("  alarm request → first SMS at the gateway: p50 {p50:.2} ms, p99 {p99:.2} ms");
    println!(
        "  floor: 2 × bare commit (p50 {:.2} ms) + 2 × loopback HTTP round trip (p50 {:.2} ms) = {floor:.2} ms",
        pct(&commits, 0.5),
        pct(&trips, 0.5)
    );
    println!(
        "  p50 = {:.1} × floor (goal ≤ 2), p99 = {:.1} × floor (goal ≤ 10)",
        p50 / floor,
        p99 / floor
    );
    println!(
        "  paced floor: the same two commits and two round trips one after the other, {rate} chains/s: p50 {paced_floor:.2} ms (p99 {:.2} ms)",
        pct(&paced, 0.99)
    );
    println!(
        "  p50 = {:.1} × paced floor (goal ≤ 2), p99 = {:.1} × paced floor (goal ≤ 10)",
        p50 / paced_floor,
        p99 / paced_floor
    );
}

/// What the log says: alarms logged (by source id, device prefix stripped), each incident's
/// first alarm commit time and first decision (time, what).
#[derive(Default)]
struct Record {
    alarms: HashSet<String>,
    opened: HashMap<IncidentId, DateTime<Utc>>,
    decided: HashMap<IncidentId, (DateTime<Utc>, &'static str)>,
    first_page: HashMap<IncidentId, DateTime<Utc>>,
    pages: usize,
    deliveries: usize,
}

async fn record(store: &dyn Store) -> Record {
    let mut r = Record::default();
    for event in whole_log(store).await {
        let Some(id) = event.incident else {
            continue;
        };
        let at = event.at;
        let decision = match &event.kind {
            EventKind::IncidentOpened { alarm, .. } => {
                r.opened.insert(id, alarm.received_at);
                r.alarms.insert(own_id(&alarm.source_alarm_id));
                None
            }
            EventKind::AlarmJoined { alarm } => {
                r.alarms.insert(own_id(&alarm.source_alarm_id));
                None
            }
            EventKind::UnitPaged { .. } => {
                r.pages += 1;
                r.first_page.entry(id).or_insert(at);
                Some(PAGED)
            }
            EventKind::NoCandidate { .. } | EventKind::StepExhausted { .. } => {
                Some("no candidate (escalated, reason logged)")
            }
            EventKind::NeedsOperator { .. } => Some("handed to the operator (reason logged)"),
            EventKind::Delivery { .. } => {
                r.deliveries += 1;
                None
            }
            _ => None,
        };
        if let Some(what) = decision {
            r.decided.entry(id).or_insert((at, what));
        }
    }
    r
}

fn own_id(source: &str) -> String {
    source.split_once('/').map_or(source, |(_, a)| a).to_owned()
}

/// A storm's size and what watches it.
struct StormRun {
    /// Alarms, and the seconds they are sent over.
    total: u64,
    secs: u64,
    /// Consoles following the feed through it (0: none).
    consoles: usize,
}

impl Default for StormRun {
    fn default() -> Self {
        StormRun {
            total: 10_000,
            secs: 60,
            consoles: 0,
        }
    }
}

/// The storm's decision latency, p50 and p99, milliseconds.
async fn storm(url: &str, broker: &str, run: &StormRun) -> (f64, f64) {
    let (store, lifts) = region(url).await;
    let arrivals = Arc::new(Arrivals::default());
    let gw = gateway(arrivals.clone());
    let id = uuid::Uuid::new_v4().simple().to_string();
    let prefix = format!("lr-storm/{id}");
    let mut settings = paging_settings(url, &gw, 200.0);
    settings.intake.mqtt_url = Some(broker.into());
    settings.intake.mqtt_topic_prefix = prefix.clone();
    settings.intake.mqtt_client_id = format!("lr-storm-{id}");
    let service = liftrescue::service::start(settings)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let (base, http) = serve(&service);
    let client = reqwest::Client::new();
    let consoles = feed::consoles(store.as_ref(), &base, run.consoles).await;
    let mqtt = publisher(broker, &id);
    tokio::time::sleep(Duration::from_secs(1)).await; // the intake's subscription settles
    let with_device: Vec<_> = lifts.iter().filter(|l| l.device_id.is_some()).collect();
    let (total, secs) = (run.total, run.secs);
    let (load_before, cpu_before) = (feed::loadavg(), feed::cpu_secs());
    let consoles_before = console::console_cpu_secs();
    let mut tick = tokio::time::interval(Duration::from_micros(secs * 1_000_000 / total));
    let mut tasks = Vec::new();
    let mut published = 0usize;
    let started = Instant::now();
    for n in 0..total {
        tick.tick().await;
        let alarm_id = format!("storm-{n}");
        if n % 2 == 0 {
            let lift = lifts[fastrand::usize(..lifts.len())].id.0;
            let (client, base) = (client.clone(), base.clone());
            tasks.push(tokio::spawn(async move {
                let body = serde_json::json!({"source_alarm_id": alarm_id, "channel": "iot", "lift": {"id": lift}, "kind": "entrapment_between_floors"});
                client
                    .post(format!("{base}/api/v1/alarms"))
                    .bearer_auth(TOKEN)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16() == 202)
                    .unwrap_or(false)
            }));
        } else {
            let lift = with_device[fastrand::usize(..with_device.len())];
            let device = lift
                .device_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let payload = format!(
                r#"{{"alarm_id":"{alarm_id}","code":8,"status":0,"occurred_at":"{}"}}"#,
                Utc::now().to_rfc3339()
            );
            mqtt.publish(
                format!("{prefix}/{device}/events"),
                rumqttc::QoS::AtLeastOnce,
                false,
                payload.into_bytes(),
            )
            .await
            .unwrap_or_else(|e| panic!("publish: {e}"));
            published += 1;
        }
    }
    let sent_for = started.elapsed().as_secs_f64();
    let (load_after, cpu) = (feed::loadavg(), feed::cpu_secs() - cpu_before);
    let consoles_cpu = console::console_cpu_secs() - consoles_before;
    let mut accepted_http = 0usize;
    for t in tasks {
        if t.await.unwrap_or(false) {
            accepted_http += 1;
        }
    }
    // Wait for the log to hold every alarm (or stop growing for 20 s).
    let (mut last, mut still) = (0, Instant::now());
    let rec = loop {
        let rec = record(store.as_ref()).await;
        let n = rec.alarms.len();
        let depth = store.inbox_depth().await.unwrap_or(-1);
        if (n as u64 >= total && depth == 0) || still.elapsed() > Duration::from_secs(20) {
            break rec;
        }
        if n > last {
            (last, still) = (n, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let drained_after = started.elapsed().as_secs_f64();
    let committed = {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM alarms WHERE source_alarm_id LIKE '%storm-%'",
        )
        .fetch_one(&mut c)
        .await
        .unwrap_or(-1)
    };
    let stats = service.state.desk.stats().await.ok();
    let (needs_operator, breached, top) = {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let count = |q: &'static str| sqlx::query_scalar::<_, i64>(q);
        let needs =
            count("SELECT COUNT(*) FROM incidents WHERE ended_at IS NULL AND needs_operator")
                .fetch_one(&mut c)
                .await
                .unwrap_or(-1);
        let breached = count("SELECT COUNT(*) FROM incidents WHERE ended_at IS NULL AND breached")
            .fetch_one(&mut c)
            .await
            .unwrap_or(-1);
        drop(c);
        let top = store
            .incidents(&IncidentFilter {
                open: Some(true),
                limit: Some(3),
                ..IncidentFilter::default()
            })
            .await
            .unwrap_or_default();
        (needs, breached, top)
    };
    let sms_on_wire = arrivals.total.load(std::sync::atomic::Ordering::Relaxed);
    let watched = feed::watched(&base, &consoles, &rec.opened).await;
    drop(consoles); // their streams end, so the server stops at once
    http.stop(true).await;
    drop(mqtt);
    let _ = service.drain().await;

    let undecided = rec
        .opened
        .keys()
        .filter(|i| !rec.decided.contains_key(i))
        .count();
    let latency = sorted(
        rec.decided
            .iter()
            .filter_map(|(i, (at, _))| {
                let opened = rec.opened.get(i)?;
                Some((*at - *opened).num_microseconds().unwrap_or_default() as f64 / 1000.0)
            })
            .collect(),
    );
    let mut how: HashMap<&str, usize> = HashMap::new();
    for i in rec.decided.keys() {
        let what = if rec.first_page.contains_key(i) {
            "a unit paged"
        } else {
            "no unit free: logged why, escalated, handed to the operator"
        };
        *how.entry(what).or_default() += 1;
    }
    let logged_storm = rec
        .alarms
        .iter()
        .filter(|a| a.starts_with("storm-"))
        .count();
    println!(
        "storm/postgres{}: {total} alarms over {sent_for:.1} s ({} HTTP, {} MQTT), log complete after {drained_after:.1} s",
        match run.consoles {
            0 => String::new(),
            n => format!(" with {n} consoles on the feed"),
        },
        total.div_ceil(2),
        published
    );
    println!(
        "  load average {load_before} before, {load_after} after the sending; this process used {cpu:.1} s of CPU while sending ({:.0} % of one core), of which the consoles {consoles_cpu:.1} s",
        100.0 * cpu / sent_for
    );
    println!(
        "  HTTP 202: {accepted_http}; committed to the inbox: {committed}; in the log: {logged_storm}; lost: {}",
        total as usize - logged_storm
    );
    println!(
        "  incidents: {} (the rest joined an open incident of the same lift); without a logged decision: {undecided}",
        rec.opened.len()
    );
    let mut how: Vec<_> = how.into_iter().collect();
    how.sort();
    for (what, n) in how {
        println!("    {what}: {n}");
    }
    println!(
        "  decision latency (inbox commit → first decision): p50 {:.1} ms, p99 {:.1} ms",
        pct(&latency, 0.5),
        pct(&latency, 0.99)
    );
    println!(
        "  pages logged: {}; SMS on the wire: {sms_on_wire} (gateway limit 200/s); delivery events: {}",
        rec.pages, rec.deliveries
    );
    if let Some(s) = stats {
        let by: Vec<String> = s
            .by_status
            .iter()
            .map(|(k, v)| format!("{} {v}", k.as_str()))
            .collect();
        println!(
            "  the operator sees: {} ({needs_operator} flagged for a person, {breached} past a deadline), units available {} of {}",
            by.join(", "),
            s.units_available,
            s.units
        );
    }
    for t in &top {
        println!(
            "    list: incident {} ({}), lift {}, needs operator: {}",
            t.id.0,
            t.status.as_str(),
            t.rescue_code.as_deref().unwrap_or("unresolved"),
            t.needs_operator
        );
    }
    if let Some(w) = watched {
        w.print();
    }
    (pct(&latency, 0.5), pct(&latency, 0.99))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let Ok(admin) = std::env::var("LIFTRESCUE_BENCH_DATABASE_URL")
            .or_else(|_| std::env::var("LIFTRESCUE_TEST_DATABASE_URL"))
        else {
            println!("paging bench skipped: set LIFTRESCUE_BENCH_DATABASE_URL");
            return;
        };
        let parts = std::env::var("LIFTRESCUE_BENCH_PARTS").unwrap_or_else(|_| "wire,storm".into());
        if parts.contains("wire") {
            wire(&fresh_pg(&admin, "lr_bench_wire").await).await;
        }
        if parts.contains("storm") {
            match std::env::var("LIFTRESCUE_BENCH_MQTT_URL")
                .or_else(|_| std::env::var("LIFTRESCUE_TEST_MQTT_URL"))
            {
                Ok(broker) => {
                    let url = fresh_pg(&admin, "lr_bench_storm").await;
                    storm(&url, &broker, &StormRun::default()).await;
                }
                Err(_) => println!("storm skipped: set LIFTRESCUE_BENCH_MQTT_URL"),
            }
        }
        if parts.contains("feed") {
            feed::part(&admin).await;
        }
    });
}
