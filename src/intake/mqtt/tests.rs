//! The per-message decision: accept and ack, refuse and ack, or leave for redelivery.

use super::*;
use crate::domain::LiftRef;
use std::sync::Mutex;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

fn common() -> CodeMap {
    CodeMap::builtin("common").unwrap()
}

fn event(alarm_id: &str, code: u32) -> Vec<u8> {
    format!(r#"{{"alarm_id":"{alarm_id}","code":{code},"status":0,"occurred_at":1767225540000}}"#)
        .into_bytes()
}

/// An inbox stand-in: remembers what it committed, or fails like a store that is down.
#[derive(Default)]
struct Sink {
    committed: Mutex<Vec<NewAlarm>>,
    down: bool,
    /// Commits that time out before the store answers again.
    silent_for: Mutex<u32>,
}

impl AlarmSink for Sink {
    async fn commit(&self, alarm: &NewAlarm, _now: DateTime<Utc>) -> Result<bool, StoreError> {
        if self.down {
            return Err(StoreError::Corrupt("database is down".into()));
        }
        {
            let mut silent = self.silent_for.lock().unwrap();
            if *silent > 0 {
                *silent -= 1;
                return Err(StoreError::TimedOut(std::time::Duration::from_secs(5)));
            }
        }
        let mut committed = self.committed.lock().unwrap();
        let duplicate = committed
            .iter()
            .any(|a| a.source_alarm_id == alarm.source_alarm_id);
        committed.push(alarm.clone());
        Ok(duplicate)
    }
}

async fn run(sink: &Sink, topic: &str, payload: &[u8]) -> Outcome {
    let message = classify("site/a", topic, payload, &common(), now());
    process(message, sink, now()).await
}

#[tokio::test]
async fn a_good_event_is_committed_for_the_topics_device_and_acked() {
    let sink = Sink::default();
    let outcome = run(&sink, "site/a/CQ-IOT-000001/events", &event("e1", 8)).await;
    assert!(outcome.ack());
    let Outcome::Accepted {
        device,
        alarm_id,
        duplicate,
        mapped,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        (device.as_str(), alarm_id.as_str()),
        ("CQ-IOT-000001", "CQ-IOT-000001/e1"),
        "the terminal's alarm id is scoped by its device"
    );
    assert!(mapped && !duplicate);
    let committed = sink.committed.lock().unwrap();
    assert_eq!(
        committed[0].lift_ref,
        LiftRef::Device(DeviceId::parse("CQ-IOT-000001").unwrap())
    );
}

#[tokio::test]
async fn an_unmapped_code_is_accepted_as_a_named_fault() {
    let sink = Sink::default();
    let outcome = run(&sink, "site/a/t1/events", &event("e2", 9999)).await;
    assert!(
        matches!(
            outcome,
            Outcome::Accepted {
                mapped: false,
                code: 9999,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert!(outcome.ack());
    assert_eq!(sink.committed.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn poison_is_refused_and_acked_without_touching_the_inbox() {
    let sink = Sink::default();
    let cases: [(&str, &[u8]); 7] = [
        ("site/a/t1/events", b"{not json"),
        ("site/a/t1/events", br#"{"alarm_id":"x","code":"#),
        ("site/a/t1/events", &event("e3", 70000)),
        ("site/a/t1/events", b""),
        ("site/a/t1/status", &event("e4", 8)),
        ("other/t1/events", &event("e5", 8)),
        ("site/a/bad device/events", &event("e6", 8)),
    ];
    for (topic, payload) in cases {
        let outcome = run(&sink, topic, payload).await;
        assert!(
            matches!(outcome, Outcome::Rejected { .. }),
            "{topic}: {outcome:?}"
        );
        assert!(outcome.ack(), "{topic}");
    }
    assert!(sink.committed.lock().unwrap().is_empty());
    let Outcome::Rejected { device, error } =
        run(&sink, "site/a/t9/events", b"{\"alarm_id\":").await
    else {
        panic!("not rejected")
    };
    assert_eq!(device.as_deref(), Some("t9"));
    assert!(matches!(error, IotError::Truncated(_)), "{error:?}");
}

#[tokio::test]
async fn a_store_failure_is_not_acked_so_the_broker_delivers_again() {
    let sink = Sink {
        down: true,
        ..Sink::default()
    };
    let outcome = run(&sink, "site/a/t1/events", &event("e7", 8)).await;
    assert!(matches!(outcome, Outcome::Retry { ref alarm_id, .. } if alarm_id == "t1/e7"));
    assert!(!outcome.ack());
}

#[tokio::test]
async fn the_same_alarm_twice_is_acked_both_times_as_one_alarm() {
    let sink = Sink::default();
    run(&sink, "site/a/t1/events", &event("e8", 8)).await;
    let again = run(&sink, "site/a/t1/events", &event("e8", 8)).await;
    assert!(
        matches!(
            again,
            Outcome::Accepted {
                duplicate: true,
                ..
            }
        ) && again.ack()
    );
}

#[tokio::test]
async fn a_heartbeat_is_stamped_with_our_clock_and_acked() {
    let sink = Sink::default();
    let outcome = run(&sink, "site/a/t1/heartbeat", b"").await;
    assert!(
        matches!(outcome, Outcome::Heartbeat { ref device, at } if device.as_str() == "t1" && at == now())
    );
    assert!(outcome.ack());
    let bad = run(&sink, "site/a/t1/heartbeat", b"{\"battery\":1}").await;
    assert!(matches!(bad, Outcome::Rejected { .. }) && bad.ack());
}

#[test]
fn filters_and_settings_follow_the_prefix() {
    let settings = IntakeSettings {
        mqtt_url: Some("mqtt://127.0.0.1:1883".into()),
        mqtt_topic_prefix: "site/a/".into(),
        ..IntakeSettings::default()
    };
    let intake = MqttIntake::from_settings(&settings).unwrap().unwrap();
    assert_eq!(intake.filters(), ["site/a/+/events", "site/a/+/heartbeat"]);
    assert!(
        MqttIntake::from_settings(&IntakeSettings::default())
            .unwrap()
            .is_none()
    );
    let bad_codes = IntakeSettings {
        mqtt_codes: "/nonexistent/codes.toml".into(),
        ..settings
    };
    assert!(MqttIntake::from_settings(&bad_codes).is_err());
}

#[tokio::test]
async fn two_terminals_counting_from_one_are_two_alarms_not_a_duplicate() {
    let sink = Sink::default();
    let first = run(&sink, "site/a/t1/events", &event("1", 8)).await;
    let second = run(&sink, "site/a/t2/events", &event("1", 8)).await;
    let again = run(&sink, "site/a/t2/events", &event("1", 8)).await;
    let dup = |o: &Outcome| {
        matches!(
            o,
            Outcome::Accepted {
                duplicate: true,
                ..
            }
        )
    };
    assert!(!dup(&first) && !dup(&second), "{first:?} {second:?}");
    assert!(dup(&again), "{again:?}");
}

#[tokio::test(start_paused = true)]
async fn an_alarm_the_store_did_not_take_is_tried_again_and_acked_only_once_committed() {
    let sink = Sink {
        silent_for: Mutex::new(3),
        ..Sink::default()
    };
    let message = classify(
        "site/a",
        "site/a/t1/events",
        &event("e9", 8),
        &common(),
        now(),
    );
    let started = tokio::time::Instant::now();
    let outcome = process_until_taken(message, &sink, now(), "site/a/t1/events").await;
    assert!(
        matches!(
            outcome,
            Outcome::Accepted {
                duplicate: false,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert!(outcome.ack());
    assert_eq!(sink.committed.lock().unwrap().len(), 1);
    // Three failures: waits of 1, 2 and 4 s before the tries after them.
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(7));
}
