//! A database that goes silent (connection open, no answer) does not hang intake: a request
//! gets 503 with `Retry-After` within `store.request_timeout`, an MQTT alarm is not taken
//! until the database answers again, and the alarm sent again afterwards is one alarm, one
//! incident.

use super::proxy::{Proxy, address_of};
use crate::support::{Server, eventually, fresh_database, seeded, settings, token};
use liftrescue::config::Settings;
use liftrescue::domain::Lift;
use liftrescue::store::{IncidentFilter, Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The deadline the tests run with.
const DEADLINE: Duration = Duration::from_secs(1);

/// A fresh seeded PostgreSQL database, a proxy in front of it, and settings for a server that
/// reaches the database only through the proxy; `None` without PostgreSQL.
async fn behind_proxy() -> Option<(Arc<dyn Store>, String, Proxy, Settings)> {
    let Ok(admin) = std::env::var("LIFTRESCUE_TEST_DATABASE_URL") else {
        println!("skipping: LIFTRESCUE_TEST_DATABASE_URL is unset");
        return None;
    };
    let url = fresh_database("postgres").await;
    let store = seeded(&url).await;
    let proxy = Proxy::start(address_of(&admin)).await;
    let mut s = settings(&proxy.url(&url), "dispatch-rules");
    s.store.request_timeout = DEADLINE;
    Some((store, url, proxy, s))
}

/// Two lifts with a contracted maintenance company.
async fn two_lifts(store: &dyn Store) -> (Lift, Lift) {
    let mut lifts = store
        .lifts(None, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.maintainer.is_some());
    (lifts.next().unwrap(), lifts.next().unwrap())
}

fn alarm(id: &str, lift: &Lift) -> Value {
    json!({"source_alarm_id": id, "lift": {"rescue_code": lift.rescue_code.as_str()}, "kind": "entrapment_between_floors"})
}

/// Inbox rows with this source alarm id, read past the proxy.
async fn alarms_with_source(url: &str, source: &str) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar("SELECT count(*) FROM alarms WHERE source_alarm_id = $1")
        .bind(source)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

async fn incidents_of(store: &dyn Store, lift: &Lift) -> usize {
    let filter = IncidentFilter {
        lift: Some(lift.id),
        ..IncidentFilter::default()
    };
    store.incidents(&filter).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_posted_while_the_database_is_silent_gets_503_in_time_and_counts_once_after() {
    let Some((store, url, proxy, settings)) = behind_proxy().await else {
        return;
    };
    let (warm, lift) = two_lifts(store.as_ref()).await;
    let server = Server::start(settings).await;
    let secret = token(store.as_ref(), Role::Integration, None).await;
    let client = reqwest::Client::new();
    let post = |body: Value| {
        client
            .post(format!("{}/api/v1/alarms", server.base))
            .bearer_auth(&secret)
            .json(&body)
            .send()
    };
    // The tokens are found (and kept) while the database answers.
    let r = post(alarm("warm-1", &warm)).await.unwrap();
    assert_eq!(r.status(), 202);
    let warm_incident = r.json::<Value>().await.unwrap()["incident_id"]
        .as_i64()
        .unwrap();
    let operator = token(store.as_ref(), Role::Operator, None).await;
    let note = || {
        client
            .post(format!(
                "{}/api/v1/incidents/{warm_incident}/notes",
                server.base
            ))
            .bearer_auth(&operator)
            .json(&json!({"text": "caller says the light is out"}))
            .send()
    };
    assert_eq!(note().await.unwrap().status(), 200);

    proxy.hold();
    let started = Instant::now();
    let r = post(alarm("silent-1", &lift)).await.unwrap();
    let took = started.elapsed();
    let status = r.status().as_u16();
    let retry_after = r.headers().get("retry-after").cloned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "database_timeout", "{body}");
    assert_eq!(retry_after.unwrap().to_str().unwrap(), "1");
    assert!(took >= DEADLINE, "answered before the deadline: {took:?}");
    assert!(took < DEADLINE + Duration::from_secs(2), "took {took:?}");
    // An operator's action waits for the desk, whose append now hangs: 503 in time too.
    let started = Instant::now();
    let r = note().await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert!(took < DEADLINE + Duration::from_secs(2), "took {took:?}");

    proxy.resume();
    // The sender retries; once the database answers, the alarm is accepted, and the insert
    // cut short (if it landed after all) is the same alarm, not a second one.
    let accepted: Value = eventually(30, || async {
        let r = post(alarm("silent-1", &lift)).await.ok()?;
        (r.status() == 202).then_some(r.json().await.ok()?)
    })
    .await;
    assert!(accepted["alarm_id"].is_i64(), "{accepted}");
    eventually(15, || async {
        (incidents_of(store.as_ref(), &lift).await == 1).then_some(())
    })
    .await;
    assert_eq!(alarms_with_source(&url, "silent-1").await, 1);
    let r = post(alarm("silent-1", &lift)).await.unwrap();
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["alarm_id"], accepted["alarm_id"]);
    assert_eq!(incidents_of(store.as_ref(), &lift).await, 1);
    server.stop().await;
}

/// Publishes one QoS 1 event from `device` under `prefix`.
async fn publish(client: &rumqttc::AsyncClient, prefix: &str, device: &str, alarm_id: &str) {
    let payload = format!(
        r#"{{"alarm_id":"{alarm_id}","code":8,"status":0,"occurred_at":"{}"}}"#,
        chrono::Utc::now().to_rfc3339()
    );
    client
        .publish(
            format!("{prefix}/{device}/events"),
            rumqttc::QoS::AtLeastOnce,
            false,
            payload,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mqtt_alarm_sent_while_the_database_is_silent_is_taken_once_it_answers() {
    let Ok(broker) = std::env::var("LIFTRESCUE_TEST_MQTT_URL") else {
        println!("skipping: LIFTRESCUE_TEST_MQTT_URL is unset");
        return;
    };
    let Some((store, url, proxy, mut settings)) = behind_proxy().await else {
        return;
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (mut warm, mut lift) = two_lifts(store.as_ref()).await;
    for (n, l) in [&mut warm, &mut lift].into_iter().enumerate() {
        l.device_id =
            Some(liftrescue::domain::DeviceId::parse(&format!("HD-{}-{n}", &id[..12])).unwrap());
    }
    store
        .put_lifts(&[warm.clone(), lift.clone()])
        .await
        .unwrap();
    let prefix = format!("lr-it/{id}");
    settings.intake.mqtt_url = Some(broker.clone());
    settings.intake.mqtt_topic_prefix = prefix.clone();
    settings.intake.mqtt_client_id = format!("lr-it-{id}");
    let server = Server::start(settings).await;
    let address = broker.trim_start_matches("mqtt://").trim_end_matches('/');
    let (host, port) = address.rsplit_once(':').unwrap_or((address, "1883"));
    let options = rumqttc::MqttOptions::new(format!("lr-it-pub-{id}"), host, port.parse().unwrap());
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 100);
    tokio::spawn(async move {
        loop {
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let device = |l: &Lift| l.device_id.as_ref().unwrap().to_string();
    // The server has subscribed once a warm-up alarm opens its incident.
    eventually(15, || async {
        publish(&client, &prefix, &device(&warm), "warm").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        (incidents_of(store.as_ref(), &warm).await == 1).then_some(())
    })
    .await;

    proxy.hold();
    publish(&client, &prefix, &device(&lift), "silent-1").await;
    // Three deadlines pass with the database silent: nothing is committed (and so nothing was
    // acknowledged to the broker).
    tokio::time::sleep(DEADLINE * 3).await;
    let source = format!("{}/silent-1", device(&lift));
    assert_eq!(alarms_with_source(&url, &source).await, 0);

    proxy.resume();
    eventually(30, || async {
        (incidents_of(store.as_ref(), &lift).await == 1).then_some(())
    })
    .await;
    assert_eq!(alarms_with_source(&url, &source).await, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_posted_while_sqlite_is_locked_by_another_writer_gets_503_in_time() {
    use sqlx::Connection;
    let url = fresh_database("sqlite").await;
    let store = seeded(&url).await;
    let (warm, lift) = two_lifts(store.as_ref()).await;
    let mut s = settings(&url, "dispatch-rules");
    s.store.request_timeout = DEADLINE;
    let server = Server::start(s).await;
    let secret = token(store.as_ref(), Role::Integration, None).await;
    let client = reqwest::Client::new();
    let post = |body: Value| {
        client
            .post(format!("{}/api/v1/alarms", server.base))
            .bearer_auth(&secret)
            .json(&body)
            .send()
    };
    assert_eq!(post(alarm("warm-1", &warm)).await.unwrap().status(), 202);

    // Another process holds the write lock: the insert waits on SQLite's busy timeout (10 s),
    // the request only as long as its deadline.
    let mut locker = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut locker)
        .await
        .unwrap();
    let started = Instant::now();
    let r = post(alarm("locked-1", &lift)).await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert!(took < DEADLINE + Duration::from_secs(2), "took {took:?}");
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut locker)
        .await
        .unwrap();

    eventually(15, || async {
        let r = post(alarm("locked-1", &lift)).await.ok()?;
        (r.status() == 202).then_some(())
    })
    .await;
    eventually(15, || async {
        (incidents_of(store.as_ref(), &lift).await == 1).then_some(())
    })
    .await;
    let again: Value = post(alarm("locked-1", &lift))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(incidents_of(store.as_ref(), &lift).await, 1);
    server.stop().await;
}
