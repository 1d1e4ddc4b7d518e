//! Shared by the load benchmarks (included with `#[path]`): percentiles, the bare-commit
//! floor, a seeded region with an integration token, and an MQTT publisher.
#![allow(dead_code)] // each benchmark uses its own subset

use std::sync::Arc;
use std::time::{Duration, Instant};

/// The integration token the load benchmarks post alarms with.
pub const TOKEN: &str = "bench-integration-token";

/// The `p` quantile of sorted values.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The values, sorted.
pub fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// A PostgreSQL connection with the `bench_probe` table the bare-commit floor writes to.
pub async fn probe_connection(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_probe (id BIGSERIAL PRIMARY KEY, v BIGINT)")
        .execute(&mut c)
        .await
        .ok();
    c
}

/// The one-row INSERT of the bare-commit floor (its own transaction).
pub const PROBE_INSERT: &str = "INSERT INTO bench_probe (v) VALUES (1)";

/// `n` one-row INSERTs on PostgreSQL, each its own transaction on one connection: the
/// latency of each, milliseconds, sorted (the floor every append stands on).
pub async fn bare_commit_latencies(url: &str, n: usize) -> Vec<f64> {
    let mut c = probe_connection(url).await;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        sqlx::query(PROBE_INSERT).execute(&mut c).await.ok();
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    sorted(v)
}

/// Opens the store at `url`, seeds the Yuzhong demo region and stores [`TOKEN`].
pub async fn seeded_region(url: &str) -> Arc<dyn liftrescue::store::Store> {
    let store = liftrescue::store::open(url)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let spec = liftrescue::demo::RegionSpec::default();
    liftrescue::registry::seed_demo(store.as_ref(), &spec, chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(TOKEN.as_bytes()))
    };
    store
        .put_token(&hash, liftrescue::store::Role::Integration, None, "bench")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
}

/// A QoS 1 publisher with room for a second's worth of messages in flight.
pub fn publisher(broker: &str, id: &str) -> rumqttc::AsyncClient {
    let address = broker.trim_start_matches("mqtt://").trim_end_matches('/');
    let (host, port) = address.rsplit_once(':').unwrap_or((address, "1883"));
    let port = port.parse().unwrap_or_else(|e| panic!("broker port: {e}"));
    let mut options = rumqttc::MqttOptions::new(format!("lr-bench-pub-{id}"), host, port);
    options.set_inflight(1_000);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 20_000);
    tokio::spawn(async move {
        loop {
            if let Err(e) = eventloop.poll().await {
                eprintln!("publisher: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    client
}

/// One alarm the load posted.
pub struct Posted {
    /// Just before its request was sent.
    pub started: Instant,
    /// Until the answer's status line, milliseconds.
    pub took_ms: f64,
    /// Answered 202.
    pub accepted: bool,
    /// The incident the 202 named, if it did.
    pub incident: Option<i64>,
}

/// Posts `rate × secs` new alarms to `POST /api/v1/alarms` at a steady `rate`, alarm `n` for
/// lift `lifts[n × 7 mod len]` (consecutive alarms far apart, none for the same lift while
/// there are lifts enough), source ids `{prefix}-{n}`; one [`Posted`] each, in order.
pub async fn post_alarms(
    base: &str,
    lifts: &[i64],
    prefix: &str,
    rate: u64,
    secs: u64,
) -> Vec<Posted> {
    let client = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let mut tasks = Vec::new();
    for n in 0..rate * secs {
        tick.tick().await;
        let (client, base) = (client.clone(), base.to_owned());
        let lift = lifts[(n as usize * 7) % lifts.len()];
        let body = serde_json::json!({"source_alarm_id": format!("{prefix}-{n}"), "lift": {"id": lift}, "kind": "entrapment_at_landing"});
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let r = client
                .post(format!("{base}/api/v1/alarms"))
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
                .await;
            let took_ms = started.elapsed().as_secs_f64() * 1000.0;
            let (accepted, incident) = match r {
                Ok(r) if r.status().as_u16() == 202 => {
                    let body = r.json::<serde_json::Value>().await.ok();
                    (true, body.and_then(|b| b["incident_id"].as_i64()))
                }
                _ => (false, None),
            };
            Posted {
                started,
                took_ms,
                accepted,
                incident,
            }
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap_or_else(|e| panic!("{e}")));
    }
    out
}

/// Every event of the log, in order (read a page at a time).
pub async fn whole_log(store: &dyn liftrescue::store::Store) -> Vec<liftrescue::domain::Event> {
    let (mut after, mut events) = (0, Vec::new());
    loop {
        let page = store
            .log_page(after, 10_000)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let Some(last) = page.last() else {
            return events;
        };
        after = last.seq;
        events.extend(page.into_iter().map(|row| row.event));
    }
}
