//! The MQTT intake against the real broker (`LIFTRESCUE_TEST_MQTT_URL`, e.g.
//! `mqtt://127.0.0.1:1883`): the server runs in-process on a fresh SQLite database with the
//! small region, under a topic prefix and client id of its own, so tests never see each
//! other's messages.
//!
//! The server subscribes after it connects, a moment after it is ready; a test therefore
//! publishes its first alarm until the incident appears, which the inbox's dedupe makes
//! harmless (the same alarm id is one alarm).

use crate::support::{Server, eventually, fresh_database, seeded, settings, signed_post};
use liftrescue::config::Settings;
use liftrescue::domain::{Alarm, DeviceId, EventKind, Lift};
use liftrescue::store::{IncidentFilter, IncidentRow, Store};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use std::sync::Arc;
use std::time::Duration;

/// The broker, or `None` (and a notice) when the tests are not configured for one.
fn broker() -> Option<String> {
    liftrescue::telemetry::test_service("MQTT", "LIFTRESCUE_TEST_MQTT_URL")
}

struct Setup {
    store: Arc<dyn Store>,
    settings: Settings,
    lifts: Vec<Lift>,
    prefix: String,
    client: AsyncClient,
}

/// A fresh database with two lifts given unique device ids, the server running on it, and a
/// publisher connected to the broker.
async fn setup(broker: &str) -> (Setup, Server) {
    setup_with(broker, |_| {}).await
}

/// As [`setup`], with settings changed by `tweak` before the server starts.
async fn setup_with(broker: &str, tweak: impl FnOnce(&mut Settings)) -> (Setup, Server) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let db = fresh_database("sqlite").await;
    let store = seeded(&db).await;
    let mut lifts: Vec<Lift> = store.lifts(None, 2).await.unwrap();
    for (n, lift) in lifts.iter_mut().enumerate() {
        lift.device_id = Some(DeviceId::parse(&format!("IT-{}-{n}", &id[..12])).unwrap());
    }
    store.put_lifts(&lifts).await.unwrap();
    let prefix = format!("lr-it/{id}");
    let mut settings = settings(&db, "dispatch-rules");
    settings.intake.mqtt_url = Some(broker.to_owned());
    settings.intake.mqtt_topic_prefix = prefix.clone();
    settings.intake.mqtt_client_id = format!("lr-it-{id}");
    tweak(&mut settings);
    let server = Server::start(settings.clone()).await;
    let client = publisher(broker, &id);
    let setup = Setup {
        store,
        settings,
        lifts,
        prefix,
        client,
    };
    (setup, server)
}

/// A QoS 1 publisher on its own connection.
fn publisher(broker: &str, id: &str) -> AsyncClient {
    let address = broker.trim_start_matches("mqtt://").trim_end_matches('/');
    let (host, port) = address.rsplit_once(':').unwrap_or((address, "1883"));
    let options = MqttOptions::new(format!("lr-it-pub-{id}"), host, port.parse().unwrap());
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    tokio::spawn(async move {
        loop {
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    client
}

fn event(alarm_id: &str) -> String {
    format!(
        r#"{{"alarm_id":"{alarm_id}","code":8,"status":0,"occurred_at":"{}"}}"#,
        chrono::Utc::now().to_rfc3339()
    )
}

impl Setup {
    fn device(&self, n: usize) -> String {
        self.lifts[n].device_id.as_ref().unwrap().to_string()
    }

    async fn publish(&self, device: &str, payload: impl Into<Vec<u8>>) {
        let topic = format!("{}/{device}/events", self.prefix);
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.into())
            .await
            .unwrap();
    }

    /// Publishes `alarm_id` from `device` (again and again, until the server has subscribed)
    /// until `found` sees its incident.
    async fn publish_until<F>(&self, device: &str, alarm_id: &str, found: F) -> IncidentRow
    where
        F: Fn(&IncidentRow) -> bool,
    {
        let found = &found;
        eventually(15, || async move {
            self.publish(device, event(alarm_id)).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let all = self
                .store
                .incidents(&IncidentFilter::default())
                .await
                .ok()?;
            all.into_iter().find(found)
        })
        .await
    }

    /// Publishes an event for lift `n` until its incident opens.
    async fn incident_for(&self, n: usize, alarm_id: &str) -> IncidentRow {
        let lift = self.lifts[n].id;
        self.publish_until(&self.device(n), alarm_id, |i| i.lift == Some(lift))
            .await
    }

    /// The terminals' own alarm ids (the log scopes them as `device/alarm_id`) of every alarm
    /// that reached the log, in order.
    async fn logged_alarms(&self) -> Vec<String> {
        let page = self.store.log_page(0, 10_000).await.unwrap();
        page.into_iter()
            .filter_map(|row| match row.event.kind {
                EventKind::IncidentOpened { alarm, .. } | EventKind::AlarmJoined { alarm } => alarm
                    .source_alarm_id
                    .split_once('/')
                    .map(|(_, own)| own.to_owned()),
                _ => None,
            })
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mqtt_event_opens_an_incident_for_the_terminals_lift_and_a_repeat_is_one_alarm() {
    let Some(broker) = broker() else { return };
    let (t, server) = setup(&broker).await;
    let incident = t.incident_for(0, "e-1").await;
    assert!(!incident.lift_unresolved);
    for _ in 0..3 {
        t.publish(&t.device(0), event("e-1")).await;
    }
    // The next alarm for the same lift joins the incident; the repeats never became alarms.
    t.publish(&t.device(0), event("e-2")).await;
    let alarms = eventually(10, || async {
        let alarms = t.logged_alarms().await;
        (alarms.len() >= 2).then_some(alarms)
    })
    .await;
    assert_eq!(alarms, ["e-1", "e-2"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_truncated_payloads_are_refused_and_the_next_good_message_still_counts() {
    let Some(broker) = broker() else { return };
    let (t, server) = setup(&broker).await;
    t.incident_for(0, "warm-up").await;
    let device = t.device(1);
    t.publish(&device, "{this is not json").await;
    t.publish(&device, r#"{"alarm_id":"cut","code":8,"sta"#)
        .await;
    t.publish(
        &device,
        r#"{"alarm_id":"big","code":70000,"status":0,"occurred_at":1767225600000}"#,
    )
    .await;
    t.publish(&device, event("good")).await;
    let lift = t.lifts[1].id;
    eventually(10, || async {
        let filter = IncidentFilter {
            lift: Some(lift),
            ..IncidentFilter::default()
        };
        t.store.incidents(&filter).await.ok()?.pop()
    })
    .await;
    assert_eq!(t.logged_alarms().await, ["warm-up", "good"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_from_an_unknown_device_opens_an_incident_with_the_lift_unresolved() {
    let Some(broker) = broker() else { return };
    let (t, server) = setup(&broker).await;
    let incident = t
        .publish_until("NOBODY-KNOWS-ME", "stray-1", |i| i.lift_unresolved)
        .await;
    assert_eq!(incident.lift, None);
    assert_eq!(t.logged_alarms().await, ["stray-1"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_published_while_the_server_is_down_arrives_when_it_returns() {
    let Some(broker) = broker() else { return };
    let (t, server) = setup(&broker).await;
    t.incident_for(0, "before").await;
    server.stop().await;
    // Published once, to the persistent session alone: no one is subscribed right now.
    t.publish(&t.device(1), event("while-down")).await;
    let server = Server::start(t.settings.clone()).await;
    let lift = t.lifts[1].id;
    eventually(15, || async {
        let filter = IncidentFilter {
            lift: Some(lift),
            ..IncidentFilter::default()
        };
        t.store.incidents(&filter).await.ok()?.pop()
    })
    .await;
    assert_eq!(t.logged_alarms().await, ["before", "while-down"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_that_stops_its_heartbeats_goes_on_the_record_offline_and_back_online() {
    let Some(broker) = broker() else { return };
    let (t, server) = setup_with(&broker, |s| {
        s.intake.heartbeat_interval_secs = 1;
        s.intake.heartbeat_misses = 2;
    })
    .await;
    t.incident_for(0, "hb-warm-up").await; // the server is subscribed now
    let device = t.device(0);
    let heartbeat = |t: &Setup| {
        let topic = format!("{}/{device}/heartbeat", t.prefix);
        let client = t.client.clone();
        async move {
            client
                .publish(topic, QoS::AtLeastOnce, false, Vec::new())
                .await
                .unwrap()
        }
    };
    heartbeat(&t).await;
    let equipment = |kind: &'static str| {
        let store = t.store.clone();
        let device = device.clone();
        async move {
            let events = store.equipment_events().await.ok()?;
            events
                .into_iter()
                .find(|e| e.kind.name() == kind && e.reason.contains(&device))
        }
    };
    // Silent for more than two 1-second intervals: offline, on the record, never an incident.
    let offline = eventually(15, || equipment("equipment_fault")).await;
    assert!(offline.reason.contains("offline"), "{}", offline.reason);
    assert_eq!(offline.incident, None);
    // It speaks again: back online.
    let back = eventually(15, || async {
        heartbeat(&t).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        equipment("equipment_ok").await
    })
    .await;
    assert!(back.reason.contains("back online"), "{}", back.reason);
    let incidents = t.store.incidents(&IncidentFilter::default()).await.unwrap();
    assert_eq!(
        incidents.len(),
        1,
        "only the warm-up alarm opened an incident"
    );
    server.stop().await;
}

/// The first alarm logged for `lift`, once there is one.
async fn first_alarm_of(store: &dyn Store, lift: liftrescue::domain::LiftId) -> Option<Alarm> {
    let page = store.log_page(0, 10_000).await.ok()?;
    page.into_iter().find_map(|row| match row.event.kind {
        EventKind::IncidentOpened {
            alarm,
            lift: Some(found),
            ..
        } if found.id == lift => Some(alarm),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_over_mqtt_and_from_an_http_platform_stores_the_same_alarm() {
    let Some(broker) = broker() else { return };
    let secret = "platform-secret";
    let (t, server) = setup_with(&broker, |s| {
        s.intake.sources.insert(
            "acme".to_owned(),
            serde_json::from_value(serde_json::json!({ "secret": secret })).unwrap(),
        );
    })
    .await;
    let event = |device: &str| {
        serde_json::json!({
            "device_id": device,
            "alarm_id": "same-1",
            "code": 8,
            "status": 0,
            "floor": "12",
            "occurred_at": "2026-01-01T08:00:00+08:00",
            "evidence": ["https://cdn.example.com/cam/0001.jpg"],
            "flags": {"person_ill": true},
            "description": "door stuck"
        })
    };
    // Over MQTT the topic names the device; the payload carries no device_id.
    let mut over_mqtt = event(&t.device(0));
    over_mqtt.as_object_mut().unwrap().remove("device_id");
    let stored_mqtt = eventually(15, || async {
        t.publish(&t.device(0), over_mqtt.to_string()).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        first_alarm_of(t.store.as_ref(), t.lifts[0].id).await
    })
    .await;
    let body = serde_json::json!({ "events": [event(&t.device(1))] });
    let (status, answer) =
        signed_post(&server.base, "/api/v1/intake/iot/acme", secret, &body).await;
    assert_eq!(status, 200, "{answer}");
    let stored_http = eventually(10, || first_alarm_of(t.store.as_ref(), t.lifts[1].id)).await;

    assert_eq!(
        stored_mqtt.source_alarm_id,
        format!("{}/same-1", t.device(0))
    );
    assert_eq!(stored_http.source_alarm_id, "acme/same-1");
    let shape = |a: &Alarm| {
        (
            a.channel,
            a.kind.clone(),
            a.status,
            a.flags,
            a.floor.clone(),
            a.description.clone(),
            a.occurred_at,
        )
    };
    assert_eq!(shape(&stored_mqtt), shape(&stored_http));
    assert!(
        stored_mqtt.description.contains("cam/0001.jpg"),
        "{}",
        stored_mqtt.description
    );
    server.stop().await;
}
