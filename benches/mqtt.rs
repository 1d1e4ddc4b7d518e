//! MQTT intake end to end (not criterion: the figure is one run of a load): publish → incident
//! opened (or alarm joined) latency, p50 and p99, at 1,000 messages/s for 10 s against the
//! local broker, with the server's desk, inbox pump and MQTT intake running in-process on the
//! Yuzhong demo region (15,000 lifts, ~60 % of them with a `CQ-IOT-nnnnnn` terminal).
//!
//! Each message is a new alarm (unique alarm id) from a random terminal. The latency of one is
//! the time it was handed to the publisher to the `at` of the IncidentOpened / AlarmJoined
//! event that carries its alarm id in the log (read back with `log_page`; same machine, same
//! clock). Alarms that never reach the log within the wait are counted, not timed.
//!
//! `LIFTRESCUE_BENCH_MQTT_RATE` changes the rate. `LIFTRESCUE_BENCH_MQTT_URL` (or `LIFTRESCUE_TEST_MQTT_URL`) names the broker, e.g.
//! `mqtt://127.0.0.1:1883`; without it the bench skips with a notice. SQLite always;
//! PostgreSQL too when `LIFTRESCUE_BENCH_DATABASE_URL` is set.

#[path = "support/db.rs"]
mod db;
#[path = "support/load.rs"]
mod load;
use chrono::{DateTime, Utc};
use db::fresh_pg;
use liftrescue::config::Settings;
use liftrescue::demo::RegionSpec;
use liftrescue::domain::{AlarmSource, EventKind};
use liftrescue::store::Store;
use load::{pct, publisher};
use rumqttc::QoS;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const SECS: u64 = 10;

/// Messages per second: `LIFTRESCUE_BENCH_MQTT_RATE`, default 1,000.
fn rate() -> u64 {
    std::env::var("LIFTRESCUE_BENCH_MQTT_RATE")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1_000)
}

fn event(alarm_id: &str) -> Vec<u8> {
    format!(
        r#"{{"alarm_id":"{alarm_id}","code":8,"status":0,"occurred_at":"{}"}}"#,
        Utc::now().to_rfc3339()
    )
    .into_bytes()
}

/// When an alarm was committed to the inbox and when it reached the log.
#[derive(Clone, Copy)]
struct Seen {
    received: DateTime<Utc>,
    logged: DateTime<Utc>,
}

/// When an alarm was handed to the publisher, and what became of it.
type Timed = (DateTime<Utc>, Seen);

/// Every IoT alarm that reached the log, by source alarm id.
async fn logged(store: &dyn Store) -> HashMap<String, Seen> {
    let mut seen = HashMap::new();
    for event in load::whole_log(store).await {
        if let EventKind::IncidentOpened { alarm, .. } | EventKind::AlarmJoined { alarm } =
            event.kind
            && alarm.channel == AlarmSource::Iot
        {
            let (received, logged) = (alarm.received_at, event.at);
            // Logged as `device/alarm_id`; the publisher knows the alarm id.
            let own = alarm
                .source_alarm_id
                .split_once('/')
                .map(|(_, a)| a.to_owned());
            seen.insert(
                own.unwrap_or(alarm.source_alarm_id),
                Seen { received, logged },
            );
        }
    }
    seen
}

/// Waits until `want` alarms are in the log, or the log stops growing for 15 s.
async fn wait_for(store: &dyn Store, want: usize) -> HashMap<String, Seen> {
    let (mut last, mut still) = (0, Instant::now());
    loop {
        let seen = logged(store).await;
        if seen.len() >= want || still.elapsed() > Duration::from_secs(15) {
            return seen;
        }
        if seen.len() > last {
            (last, still) = (seen.len(), Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn run(engine: &str, db: &str, broker: &str) {
    let store = liftrescue::store::open(db)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    liftrescue::registry::seed_demo(store.as_ref(), &RegionSpec::default(), Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let lifts = store
        .lifts(None, 20_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let devices: Vec<String> = lifts
        .iter()
        .filter_map(|l| l.device_id.as_ref().map(ToString::to_string))
        .collect();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let prefix = format!("lr-bench/{id}");
    let mut settings = Settings {
        database_url: db.into(),
        seed_demo: false,
        ..Settings::default()
    };
    settings.intake.mqtt_url = Some(broker.into());
    settings.intake.mqtt_topic_prefix = prefix.clone();
    settings.intake.mqtt_client_id = format!("lr-bench-{id}");
    let service = liftrescue::service::start(settings)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let client = publisher(broker, &id);
    let topic = |device: &str| format!("{prefix}/{device}/events");
    // The intake subscribes once connected: publish one alarm until it is in the log.
    let warm = topic(&devices[0]);
    while logged(store.as_ref()).await.is_empty() {
        let _ = client
            .publish(&warm, QoS::AtLeastOnce, false, event("warm-up"))
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut sent: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate()));
    let started = Instant::now();
    for n in 0..rate() * SECS {
        tick.tick().await;
        let alarm_id = format!("bench-{n}");
        let device = &devices[fastrand::usize(..devices.len())];
        sent.insert(alarm_id.clone(), Utc::now());
        client
            .publish(topic(device), QoS::AtLeastOnce, false, event(&alarm_id))
            .await
            .unwrap_or_else(|e| panic!("publish: {e}"));
    }
    let rate = sent.len() as f64 / started.elapsed().as_secs_f64();
    let seen = wait_for(store.as_ref(), sent.len() + 1).await;
    let timed: Vec<Timed> = sent
        .iter()
        .filter_map(|(alarm, at)| seen.get(alarm).map(|s| (*at, *s)))
        .collect();
    let ms = |f: &dyn Fn(&Timed) -> chrono::TimeDelta| {
        let mut v: Vec<f64> = timed
            .iter()
            .map(|t| f(t).num_microseconds().unwrap_or_default() as f64 / 1000.0)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let total = ms(&|(at, s)| s.logged - *at);
    let intake = ms(&|(at, s)| s.received - *at);
    let desk = ms(&|(_, s)| s.logged - s.received);
    drop(client);
    let _ = service.drain().await;
    println!(
        "mqtt/{engine}: {} published at {rate:.0} msg/s over {SECS} s to {} terminals; {} alarms received",
        sent.len(),
        devices.len(),
        total.len()
    );
    for (what, v) in [
        ("publish → incident opened / alarm joined", &total),
        ("  of which publish → committed to the inbox", &intake),
        ("  and committed → in the log", &desk),
    ] {
        println!(
            "  {what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            pct(v, 0.5),
            pct(v, 0.99),
            v.last().copied().unwrap_or(f64::NAN)
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench` asks benches to list themselves; this one has no list.
    }
    let broker = std::env::var("LIFTRESCUE_BENCH_MQTT_URL")
        .or_else(|_| std::env::var("LIFTRESCUE_TEST_MQTT_URL"));
    let Ok(broker) = broker else {
        println!(
            "skipping MQTT bench: LIFTRESCUE_BENCH_MQTT_URL / LIFTRESCUE_TEST_MQTT_URL is unset"
        );
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("lr-bench-mqtt-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let sqlite = format!("sqlite:{}", dir.join("mqtt.db").display());
        run("sqlite", &sqlite, &broker).await;
        match std::env::var("LIFTRESCUE_BENCH_DATABASE_URL") {
            Ok(admin) => {
                run(
                    "postgres",
                    &fresh_pg(&admin, "lr_bench_mqtt").await,
                    &broker,
                )
                .await
            }
            Err(_) => println!("PostgreSQL skipped: set LIFTRESCUE_BENCH_DATABASE_URL"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
