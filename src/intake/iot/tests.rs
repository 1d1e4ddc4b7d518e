//! The event payload and the batch: every field's refusals, and no bytes panic the decoders.

use super::*;
use crate::domain::{AlarmFlags, AlarmKind, AlarmSource, AlarmStatus, LiftRef};
use proptest::prelude::*;
use serde_json::json;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap()
}

fn device() -> DeviceId {
    DeviceId::parse("CQ-00017").unwrap()
}

fn common() -> CodeMap {
    CodeMap::builtin("common").unwrap()
}

fn minimal() -> Value {
    json!({"alarm_id": "a1", "code": 7, "status": 0, "occurred_at": "2026-01-01T07:59:00+08:00"})
}

fn decode(v: &Value) -> Result<Decoded, IotError> {
    decode_event(&device(), v.to_string().as_bytes(), &common(), now())
}

fn with(field: &str, value: Value) -> Value {
    let mut v = minimal();
    v[field] = value;
    v
}

#[test]
fn a_full_event_becomes_an_iot_alarm_for_the_topics_device() {
    let payload = br#"{"alarm_id":"CQ-00017-0001","code":8,"status":"new","floor":"12",
        "occurred_at":"2026-01-01T08:00:00+08:00","evidence":["https://cdn.example.com/a.jpg"],
        "flags":{"person_ill":false,"child_alone":true},"description":"between floors 30 s"}"#;
    let d = decode_event(&device(), payload, &common(), now()).unwrap();
    assert_eq!(d.alarm.channel, AlarmSource::Iot);
    assert_eq!(d.alarm.source_alarm_id, "CQ-00017-0001");
    assert_eq!(d.alarm.lift_ref, LiftRef::Device(device()));
    assert_eq!(d.alarm.kind, AlarmKind::EntrapmentBetweenFloors);
    assert_eq!(d.alarm.status, AlarmStatus::New);
    assert_eq!(d.alarm.floor.as_deref(), Some("12"));
    assert_eq!(d.alarm.occurred_at, now());
    let flags = AlarmFlags {
        child_alone: true,
        ..AlarmFlags::default()
    };
    assert_eq!(d.alarm.flags, flags);
    assert_eq!(d.alarm.description, "between floors 30 s");
    assert_eq!((d.code, d.mapped), (8, true));
    assert_eq!(d.evidence, vec!["https://cdn.example.com/a.jpg".to_owned()]);
}

#[test]
fn status_floor_and_ids_accept_the_spellings_platforms_use() {
    assert_eq!(
        decode(&with("status", json!(1))).unwrap().alarm.status,
        AlarmStatus::Cleared
    );
    assert_eq!(
        decode(&with("status", json!("cleared")))
            .unwrap()
            .alarm
            .status,
        AlarmStatus::Cleared
    );
    assert_eq!(
        decode(&with("floor", json!(-2)))
            .unwrap()
            .alarm
            .floor
            .as_deref(),
        Some("-2")
    );
    assert_eq!(
        decode(&with("floor", json!(" "))).unwrap().alarm.floor,
        None
    );
    assert_eq!(
        decode(&with("floor", Value::Null)).unwrap().alarm.floor,
        None
    );
    let id = decode(&with("alarm_id", json!(8454031169813413888u64))).unwrap();
    assert_eq!(id.alarm.source_alarm_id, "8454031169813413888");
    let same = decode(&with("device_id", json!("CQ-00017"))).unwrap();
    assert_eq!(same.alarm.lift_ref, LiftRef::Device(device()));
}

#[test]
fn occurred_at_may_be_epoch_milliseconds() {
    let d = decode(&with("occurred_at", json!(1_767_225_600_000i64))).unwrap();
    assert_eq!(d.alarm.occurred_at, now());
    let e = decode(&with("occurred_at", json!(1_767_225_600))).unwrap_err();
    assert!(e.to_string().contains("epoch seconds?"), "{e}");
    let e = decode(&with("occurred_at", json!(1.7e12))).unwrap_err();
    assert!(matches!(e, IotError::BadField { ref field, .. } if field == "occurred_at"));
}

#[test]
fn an_occurred_at_more_than_five_minutes_ahead_is_refused() {
    assert!(decode(&with("occurred_at", json!("2026-01-01T00:05:00Z"))).is_ok());
    let e = decode(&with("occurred_at", json!("2026-01-01T00:05:01Z"))).unwrap_err();
    assert!(matches!(e, IotError::InFuture { .. }), "{e:?}");
    let e = decode(&with("occurred_at", json!("01/01/2026 08:00"))).unwrap_err();
    assert!(e.to_string().contains("RFC 3339"), "{e}");
}

#[test]
fn an_unmapped_code_is_kept_and_flagged() {
    let d = decode(&with("code", json!(4242))).unwrap();
    assert_eq!(d.alarm.kind, AlarmKind::Fault("unmapped code 4242".into()));
    assert!(!d.mapped);
}

#[test]
fn codes_outside_0_to_65535_or_not_integers_are_refused() {
    for (code, text) in [
        (json!(-1), "-1"),
        (json!(65536), "65536"),
        (json!(1e30), "1e+30"),
    ] {
        let e = decode(&with("code", code)).unwrap_err();
        assert!(matches!(e, IotError::CodeOutOfRange(_)), "{e:?}");
        assert!(e.to_string().contains(text), "{e}");
    }
    assert_eq!(decode(&with("code", json!(65535))).unwrap().code, 65535);
    for code in [json!("7"), json!(7.5), json!(true)] {
        let e = decode(&with("code", code)).unwrap_err();
        assert!(
            matches!(e, IotError::BadField { ref field, .. } if field == "code"),
            "{e:?}"
        );
    }
}

#[test]
fn malformed_truncated_and_empty_payloads_say_which() {
    let dev = device();
    let e = decode_event(&dev, br#"{"alarm_id":"a1","code":7"#, &common(), now()).unwrap_err();
    assert!(matches!(e, IotError::Truncated(_)), "{e:?}");
    let e = decode_event(&dev, br#"{"alarm_id":'a1'}"#, &common(), now()).unwrap_err();
    assert!(
        matches!(e, IotError::Malformed(ref m) if m.contains("column")),
        "{e:?}"
    );
    let e = decode_event(&dev, b"\xff\xfe", &common(), now()).unwrap_err();
    assert!(matches!(e, IotError::Malformed(_)), "{e:?}");
    assert_eq!(
        decode_event(&dev, b" \n", &common(), now()),
        Err(IotError::Empty)
    );
    let e = decode_event(&dev, b"[1]", &common(), now()).unwrap_err();
    assert_eq!(
        e,
        IotError::NotAnObject {
            what: "event",
            found: "an array"
        }
    );
    let big = vec![b' '; MAX_EVENT_BYTES + 1];
    let e = decode_event(&dev, &big, &common(), now()).unwrap_err();
    assert!(matches!(e, IotError::TooLarge { .. }), "{e:?}");
}

#[test]
fn missing_unknown_and_mistyped_fields_are_named() {
    for field in ["alarm_id", "code", "status", "occurred_at"] {
        let mut v = minimal();
        v.as_object_mut().unwrap().remove(field);
        assert_eq!(decode(&v), Err(IotError::MissingField(field)));
        assert_eq!(
            decode(&with(field, Value::Null)),
            Err(IotError::MissingField(field))
        );
    }
    assert_eq!(
        decode(&with("flag", json!({}))),
        Err(IotError::UnknownField("flag".into()))
    );
    for (field, value) in [
        ("alarm_id", json!("")),
        ("alarm_id", json!("x".repeat(129))),
        ("status", json!(2)),
        ("status", json!("open")),
        ("floor", json!([1])),
        ("floor", json!("x".repeat(33))),
        ("flags", json!({"person_ill": "yes"})),
        ("flags", json!({"drunk": true})),
        ("description", json!("x".repeat(2001))),
        ("device_id", json!("CQ-99999")),
    ] {
        let e = decode(&with(field, value)).unwrap_err();
        assert!(
            matches!(e, IotError::BadField { field: ref f, .. } if f == field),
            "{e:?}"
        );
    }
}

#[test]
fn evidence_is_at_most_ten_http_links_of_at_most_512_characters() {
    let ten: Vec<String> = (0..10)
        .map(|i| format!("http://cam.example/{i}.jpg"))
        .collect();
    assert_eq!(
        decode(&with("evidence", json!(ten)))
            .unwrap()
            .evidence
            .len(),
        10
    );
    let eleven: Vec<String> = (0..11).map(|i| format!("https://x.example/{i}")).collect();
    let e = decode(&with("evidence", json!(eleven))).unwrap_err();
    assert_eq!(e, IotError::TooManyEvidence { count: 11, max: 10 });
    let long = format!("https://x.example/{}", "a".repeat(500));
    for (bad, at) in [
        (json!(["https://ok.example", long]), "evidence[1]"),
        (json!(["ftp://x.example/a.jpg"]), "evidence[0]"),
        (json!(["javascript:alert(1)"]), "evidence[0]"),
        (json!(["https://"]), "evidence[0]"),
        (json!(["https://x.example/a b.jpg"]), "evidence[0]"),
        (json!([7]), "evidence[0]"),
    ] {
        let e = decode(&with("evidence", bad)).unwrap_err();
        assert!(
            matches!(e, IotError::BadField { ref field, .. } if field == at),
            "{e:?}"
        );
    }
    let e = decode(&with("evidence", json!("https://x.example"))).unwrap_err();
    assert!(matches!(e, IotError::BadField { ref field, .. } if field == "evidence"));
}

#[test]
fn a_batch_answers_each_event_on_its_own() {
    let mut good = minimal();
    good["device_id"] = json!("CQ-00017");
    let body = json!({"events": [good, minimal(), {"device_id": "a/b", "alarm_id": "x"}, 3]});
    let out = decode_batch(body.to_string().as_bytes(), &common(), now()).unwrap();
    assert_eq!(out.len(), 4);
    assert_eq!(
        out[0].as_ref().unwrap().alarm.lift_ref,
        LiftRef::Device(device())
    );
    assert_eq!(out[1], Err(IotError::MissingField("device_id")));
    assert!(
        matches!(out[2], Err(IotError::BadDeviceId { .. })),
        "{:?}",
        out[2]
    );
    assert!(
        matches!(out[3], Err(IotError::NotAnObject { .. })),
        "{:?}",
        out[3]
    );
}

#[test]
fn a_bad_batch_envelope_is_refused_as_a_whole() {
    let b = |v: Value| decode_batch(v.to_string().as_bytes(), &common(), now());
    assert_eq!(b(json!({})), Err(IotError::MissingField("events")));
    assert_eq!(
        b(json!({"events": [], "source": "x"})),
        Err(IotError::UnknownField("source".into()))
    );
    assert!(matches!(
        b(json!({"events": {}})),
        Err(IotError::BadField { .. })
    ));
    assert!(matches!(
        b(json!([])),
        Err(IotError::NotAnObject { what: "batch", .. })
    ));
    assert_eq!(b(json!({"events": []})), Ok(vec![]));
    let many = vec![json!({}); MAX_BATCH_EVENTS + 1];
    assert_eq!(
        b(json!({"events": many})),
        Err(IotError::TooManyEvents {
            count: 501,
            max: 500
        })
    );
    let e = decode_batch(br#"{"events":[{"alarm_id":"#, &common(), now()).unwrap_err();
    assert!(matches!(e, IotError::Truncated(_)), "{e:?}");
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_value_in_any_field_is_accepted_or_refused_without_panicking(
        field in prop::sample::select(vec![
            "device_id", "alarm_id", "code", "status", "floor", "occurred_at", "evidence",
            "flags", "description", "other",
        ]),
        value in any_json(),
    ) {
        let _ = decode(&with(field, value.clone()));
        let _ = decode_batch(json!({"events": [with(field, value)]}).to_string().as_bytes(), &common(), now());
    }

    #[test]
    fn random_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_event(&device(), &bytes, &common(), now());
        let _ = decode_batch(&bytes, &common(), now());
        let _ = decode_heartbeat(&bytes, now());
    }

    #[test]
    fn random_json_shaped_text_never_panics_the_decoders(s in r#"[{}\[\]":,0-9a-z_ .\-eE+]{0,200}"#) {
        let _ = decode_event(&device(), s.as_bytes(), &common(), now());
        let _ = decode_batch(s.as_bytes(), &common(), now());
    }

    #[test]
    fn random_topics_never_panic(s in ".{0,80}") {
        let _ = parse_topic(&s);
    }

    #[test]
    fn any_code_in_range_is_accepted_and_kept(code in 0u16..=u16::MAX) {
        let d = decode(&with("code", json!(code))).unwrap();
        prop_assert_eq!(d.code, code);
    }
}
