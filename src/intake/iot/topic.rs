//! MQTT topics and heartbeats.
//!
//! | topic | payload |
//! |---|---|
//! | `lifts/{device_id}/events` | one event (see the parent module) |
//! | `lifts/{device_id}/heartbeat` | empty, `{}`, or `{"at": "2026-01-01T08:00:00Z"}` / `{"at": 1767254400000}` |
//!
//! A heartbeat without a time is stamped with our clock; one with a time is checked like an
//! event's `occurred_at`.

use super::{IotError, fields, into_object, parse_json};
use crate::domain::DeviceId;
use chrono::{DateTime, Utc};

/// The MQTT subscription filters that cover both topics.
pub const SUBSCRIPTIONS: [&str; 2] = ["lifts/+/events", "lifts/+/heartbeat"];
/// Largest heartbeat payload, bytes.
const MAX_HEARTBEAT_BYTES: usize = 1024;

/// Which of a terminal's topics a message came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicKind {
    /// `lifts/{device_id}/events`: an alarm event.
    Events,
    /// `lifts/{device_id}/heartbeat`: the terminal is alive.
    Heartbeat,
}

/// A terminal's heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// When the terminal says it was alive, or `now` when it did not say.
    pub at: DateTime<Utc>,
    /// True when the time came from the terminal.
    pub reported: bool,
}

/// Reads `lifts/{device_id}/events` or `lifts/{device_id}/heartbeat`.
pub fn parse_topic(topic: &str) -> Result<(DeviceId, TopicKind), IotError> {
    let mut parts = topic.split('/');
    let (Some("lifts"), Some(device), Some(kind), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IotError::UnknownTopic(topic.to_owned()));
    };
    let kind = match kind {
        "events" => TopicKind::Events,
        "heartbeat" => TopicKind::Heartbeat,
        _ => return Err(IotError::UnknownTopic(topic.to_owned())),
    };
    let device = DeviceId::parse(device).map_err(|e| IotError::BadDeviceId {
        value: device.to_owned(),
        reason: e.why,
    })?;
    Ok((device, kind))
}

/// Reads a heartbeat payload: empty, `{}` or `{"at": <RFC 3339 or epoch ms>}`.
pub fn decode_heartbeat(bytes: &[u8], now: DateTime<Utc>) -> Result<Heartbeat, IotError> {
    let unreported = Heartbeat {
        at: now,
        reported: false,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) && bytes.len() <= MAX_HEARTBEAT_BYTES {
        return Ok(unreported);
    }
    let mut obj = into_object(parse_json(bytes, MAX_HEARTBEAT_BYTES)?, "heartbeat")?;
    if let Some(key) = obj.keys().find(|k| *k != "at") {
        return Err(IotError::UnknownField(key.clone()));
    }
    match obj.remove("at").filter(|v| !v.is_null()) {
        None => Ok(unreported),
        Some(v) => Ok(Heartbeat {
            at: fields::time("at", v, now)?,
            reported: true,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    #[test]
    fn both_topics_name_the_device() {
        let (d, k) = parse_topic("lifts/CQ-00017:a/events").unwrap();
        assert_eq!((d.as_str(), k), ("CQ-00017:a", TopicKind::Events));
        let (d, k) = parse_topic("lifts/t1/heartbeat").unwrap();
        assert_eq!((d.as_str(), k), ("t1", TopicKind::Heartbeat));
    }

    #[test]
    fn topics_outside_the_layout_are_unknown() {
        for t in [
            "lifts/t1",
            "lifts/t1/status",
            "lift/t1/events",
            "lifts/t1/events/x",
            "",
        ] {
            let e = parse_topic(t).unwrap_err();
            assert_eq!(e, IotError::UnknownTopic(t.to_owned()), "{t}");
        }
    }

    #[test]
    fn a_bad_device_id_in_the_topic_is_named() {
        let e = parse_topic("lifts//events").unwrap_err();
        assert!(matches!(e, IotError::BadDeviceId { ref value, .. } if value.is_empty()));
        let long = format!("lifts/{}/events", "x".repeat(65));
        assert!(matches!(
            parse_topic(&long),
            Err(IotError::BadDeviceId { .. })
        ));
        assert!(matches!(
            parse_topic("lifts/a b/heartbeat"),
            Err(IotError::BadDeviceId { .. })
        ));
    }

    #[test]
    fn a_heartbeat_may_be_empty_or_carry_its_time() {
        assert_eq!(decode_heartbeat(b"", now()).unwrap().at, now());
        assert!(!decode_heartbeat(b" {} ", now()).unwrap().reported);
        let h = decode_heartbeat(br#"{"at":"2026-01-01T00:00:00Z"}"#, now()).unwrap();
        assert_eq!((h.at, h.reported), (now(), true));
        let h = decode_heartbeat(br#"{"at":1767225540000}"#, now()).unwrap();
        assert_eq!(h.at, now() - chrono::TimeDelta::seconds(60));
    }

    #[test]
    fn a_bad_heartbeat_is_refused_with_its_fault() {
        let e = decode_heartbeat(br#"{"at":"yesterday"}"#, now()).unwrap_err();
        assert!(
            matches!(e, IotError::BadField { ref field, .. } if field == "at"),
            "{e:?}"
        );
        let e = decode_heartbeat(br#"{"at":1767229200000}"#, now()).unwrap_err();
        assert!(matches!(e, IotError::InFuture { .. }), "{e:?}");
        let e = decode_heartbeat(br#"{"battery":80}"#, now()).unwrap_err();
        assert_eq!(e, IotError::UnknownField("battery".into()));
        assert!(matches!(
            decode_heartbeat(b"{\"at\":", now()),
            Err(IotError::Truncated(_))
        ));
        assert!(matches!(
            decode_heartbeat(b"[]", now()),
            Err(IotError::NotAnObject { .. })
        ));
        let big = vec![b' '; 2000];
        assert!(matches!(
            decode_heartbeat(&big, now()),
            Err(IotError::TooLarge { .. })
        ));
    }
}
