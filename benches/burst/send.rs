//! The load: bulk entrapment alarms at a steady rate, half `POST /api/v1/alarms`, half MQTT
//! terminal events, and at the end of every second one "person ill" alarm behind that second's
//! bulk (alternately HTTP and MQTT) for a lift of its own.

use super::load::TOKEN;
use chrono::Utc;
use rumqttc::{AsyncClient, QoS};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Where the load goes and what it names.
pub struct Target<'a> {
    /// The server's base URL.
    pub base: &'a str,
    /// The MQTT topic prefix the server subscribes under.
    pub prefix: &'a str,
    /// Lifts for the bulk: (lift id, terminal id).
    pub bulk: &'a [(i64, String)],
    /// Lifts for the urgent alarms, one each.
    pub urgent: &'a [(i64, String)],
}

/// What was sent.
pub struct Sent {
    /// Bulk alarms sent over HTTP and MQTT.
    pub http: usize,
    /// Over MQTT.
    pub mqtt: usize,
    /// Urgent alarms sent (both ways), by source alarm id.
    pub urgent: Vec<String>,
    /// HTTP requests answered 202, of all HTTP requests (bulk and urgent).
    pub accepted: usize,
    /// The other HTTP outcomes (a status, or the client's error), each with its count.
    pub refused: std::collections::BTreeMap<String, usize>,
    /// Seconds the sending took.
    pub secs: f64,
}

impl Sent {
    /// Every alarm sent.
    pub fn total(&self) -> usize {
        self.http + self.mqtt + self.urgent.len()
    }
}

/// How many sends are spread over each second: one batch every 10 ms.
const SLICES: u64 = 100;

fn iot_payload(alarm_id: &str, ill: bool) -> Vec<u8> {
    format!(
        r#"{{"alarm_id":"{alarm_id}","code":8,"status":0,"occurred_at":"{}","flags":{{"person_ill":{ill}}}}}"#,
        Utc::now().to_rfc3339()
    )
    .into_bytes()
}

/// A request's outcome: `Ok(())` when answered 202, else the status or the client's error.
fn post(
    client: &reqwest::Client,
    base: &str,
    body: serde_json::Value,
) -> JoinHandle<Result<(), String>> {
    let request = client
        .post(format!("{base}/api/v1/alarms"))
        .bearer_auth(TOKEN)
        .json(&body);
    tokio::spawn(async move {
        match request.send().await {
            Ok(r) if r.status().as_u16() == 202 => Ok(()),
            Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
            Err(e) if e.is_timeout() => Err("timed out".into()),
            Err(e) if e.is_connect() => Err("could not connect".into()),
            Err(_) => Err("connection error".into()),
        }
    })
}

async fn publish(mqtt: &AsyncClient, prefix: &str, device: &str, payload: Vec<u8>) {
    mqtt.publish(
        format!("{prefix}/{device}/events"),
        QoS::AtLeastOnce,
        false,
        payload,
    )
    .await
    .unwrap_or_else(|e| panic!("publish: {e}"));
}

/// Sends `rate` bulk alarms a second for `secs` seconds (source ids `burst-N`), each second
/// followed by one urgent alarm (`ill-S`).
pub async fn burst(t: &Target<'_>, mqtt: &AsyncClient, rate: u64, secs: u64) -> Sent {
    let client = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / SLICES));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut posts = Vec::new();
    let (mut http, mut mqtt_n, mut urgent) = (0, 0, Vec::new());
    let mut n = 0u64;
    let started = Instant::now();
    for second in 0..secs {
        for slice in 0..SLICES {
            tick.tick().await;
            let until = rate * (second * SLICES + slice + 1) / SLICES;
            while n < until {
                let alarm_id = format!("burst-{n}");
                let (lift, device) = &t.bulk[fastrand::usize(..t.bulk.len())];
                if n.is_multiple_of(2) {
                    let body = serde_json::json!({"source_alarm_id": alarm_id, "channel": "iot",
                        "lift": {"id": lift}, "kind": "entrapment_between_floors"});
                    posts.push(post(&client, t.base, body));
                    http += 1;
                } else {
                    publish(mqtt, t.prefix, device, iot_payload(&alarm_id, false)).await;
                    mqtt_n += 1;
                }
                n += 1;
            }
        }
        // The second's urgent alarm, behind its bulk.
        let alarm_id = format!("ill-{second}");
        let (lift, device) = &t.urgent[second as usize % t.urgent.len()];
        if second.is_multiple_of(2) {
            let body = serde_json::json!({"source_alarm_id": alarm_id, "channel": "iot",
                "lift": {"id": lift}, "kind": "entrapment_between_floors",
                "flags": {"person_ill": true}});
            posts.push(post(&client, t.base, body));
        } else {
            publish(mqtt, t.prefix, device, iot_payload(&alarm_id, true)).await;
        }
        urgent.push(alarm_id);
    }
    let secs = started.elapsed().as_secs_f64();
    let mut accepted = 0;
    let mut refused = std::collections::BTreeMap::new();
    for p in posts {
        match p.await {
            Ok(Ok(())) => accepted += 1,
            Ok(Err(why)) => *refused.entry(why).or_insert(0) += 1,
            Err(_) => *refused.entry("sender task failed".into()).or_insert(0) += 1,
        }
    }
    Sent {
        http,
        mqtt: mqtt_n,
        urgent,
        accepted,
        refused,
        secs,
    }
}
