//! The event payload of lift IoT terminals and IoT platforms: one JSON shape over MQTT (one
//! event per message) and over HTTP (a batch), checked field by field into a [`NewAlarm`].
//!
//! # Event
//!
//! ```json
//! {
//!   "alarm_id": "CQ-00017-20260101-0001",
//!   "code": 7,
//!   "status": 0,
//!   "floor": "12",
//!   "occurred_at": "2026-01-01T08:00:00+08:00",
//!   "evidence": ["https://cdn.example.com/cam/0001.jpg"],
//!   "flags": { "person_ill": false, "child_alone": true, "smoke_or_water": false },
//!   "description": "terminal: door closed, person in car, outside door zone 30 s"
//! }
//! ```
//!
//! | field | required | value |
//! |---|---|---|
//! | `alarm_id` | yes | the source's id for the alarm, 1–128 characters (a JSON integer is read as its decimal digits); the same id twice is one alarm |
//! | `code` | yes | the source's integer fault code, 0–65535, read through the source's [`CodeMap`] |
//! | `status` | yes | `0` or `"new"`: the condition is present; `1` or `"cleared"`: it is gone (logged, never closes an incident) |
//! | `floor` | no | a string (at most 32 characters) or an integer |
//! | `occurred_at` | yes | when it happened by the source's clock: RFC 3339 with an offset, or integer epoch **milliseconds**; at most 5 minutes ahead of our clock |
//! | `evidence` | no | at most 10 `http`/`https` URLs of at most 512 characters (pictures, video) |
//! | `flags` | no | `person_ill`, `child_alone`, `smoke_or_water`, each a boolean, each default false |
//! | `description` | no | free text, at most 2000 characters |
//! | `device_id` | batch only | the terminal; over MQTT it comes from the topic and, if given, must match it |
//!
//! `null` counts as absent. Any other key is refused, naming it: a misspelt `flag` must not
//! silently drop "a child is alone". An epoch number before 2000-01-01 in milliseconds is
//! refused as "looks like epoch seconds" rather than read as 1970.
//!
//! # MQTT
//!
//! Topics are `lifts/{device_id}/events` (one event per message) and
//! `lifts/{device_id}/heartbeat` (empty, or `{"at": <time>}`); see [`parse_topic`] and
//! [`decode_heartbeat`]. The device id follows [`DeviceId`]'s rules. A payload is at most
//! 64 KiB.
//!
//! # HTTP batch
//!
//! ```json
//! { "events": [ { "device_id": "CQ-00017", "alarm_id": "a1", "code": 93, "status": 0,
//!                 "occurred_at": 1767225600000 } ] }
//! ```
//!
//! At most 500 events and 8 MiB. [`decode_batch`] refuses a malformed envelope as a whole and
//! answers every event on its own, so one bad event does not hold back the others. The body is
//! authenticated first with [`crate::signing::verify_signature`].

mod fields;
mod topic;

pub use topic::{Heartbeat, SUBSCRIPTIONS, TopicKind, decode_heartbeat, parse_topic};

use super::codes::CodeMap;
use crate::domain::DeviceId;
use crate::domain::NewAlarm;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};

/// Largest single event (an MQTT message), bytes.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Largest batch body, bytes.
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 500;
/// Most evidence links on one event.
pub const MAX_EVIDENCE: usize = 10;
/// How far ahead of our clock a source's `occurred_at` may be.
pub const FUTURE_SLACK: TimeDelta = TimeDelta::minutes(5);

/// A checked event: the alarm for the inbox, and what the inbox does not keep.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// AlarmSource `Iot`, lift named by [`LiftRef::Device`](crate::domain::LiftRef::Device),
    /// source alarm id = `alarm_id`, kind from the code map.
    pub alarm: NewAlarm,
    /// The source's fault code.
    pub code: u16,
    /// False when the code map does not know the code: the kind is `Fault("unmapped code N")`
    /// and the caller logs it.
    pub mapped: bool,
    /// The evidence links, checked (the caller stores them with the alarm).
    pub evidence: Vec<String>,
}

impl Decoded {
    /// The alarm the inbox keeps, the same whichever way the event came (MQTT or an HTTP
    /// platform): its alarm id scoped by `scope` (the terminal's device id over MQTT, the
    /// platform's source name over HTTP), as `{scope}/{alarm_id}`, because the inbox dedupes on
    /// (channel, source id), every IoT sender shares one channel, and each numbers its own
    /// alarms; the evidence links kept on a line of the description.
    pub fn into_alarm(self, scope: &str) -> NewAlarm {
        let mut alarm = self.alarm;
        alarm.source_alarm_id = format!("{scope}/{}", alarm.source_alarm_id);
        if !self.evidence.is_empty() {
            alarm.description = format!(
                "{}\nevidence: {}",
                alarm.description,
                self.evidence.join(" ")
            )
            .trim_start()
            .to_owned();
        }
        alarm
    }
}

/// Why a payload or topic was refused; the message names the field or the fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IotError {
    /// Nothing (or only whitespace) was sent where JSON was expected.
    #[error("empty payload")]
    Empty,
    /// More bytes than the limit.
    #[error("payload of {size} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Bytes received.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The JSON ends before it is complete.
    #[error("payload truncated: {0}")]
    Truncated(String),
    /// Not JSON (serde's message, with line and column).
    #[error("malformed JSON: {0}")]
    Malformed(String),
    /// JSON, but not an object where one is needed.
    #[error("{what} must be a JSON object, found {found}")]
    NotAnObject {
        /// What was expected ("event", "batch", "heartbeat").
        what: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A key the payload does not define.
    #[error("unknown field `{0}`")]
    UnknownField(String),
    /// A required field is absent or null.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field with a value it cannot have.
    #[error("field `{field}`: {reason}")]
    BadField {
        /// The field (`evidence[2]` for one element of a list).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A fault code that is not an integer in 0–65535.
    #[error("fault code {0} is out of range 0-65535")]
    CodeOutOfRange(String),
    /// `occurred_at` more than [`FUTURE_SLACK`] ahead of our clock.
    #[error("occurred_at {occurred_at} is more than 5 minutes ahead of our clock ({now})")]
    InFuture {
        /// The time sent.
        occurred_at: DateTime<Utc>,
        /// Our clock.
        now: DateTime<Utc>,
    },
    /// More than [`MAX_EVIDENCE`] evidence links.
    #[error("{count} evidence links, at most {max} allowed")]
    TooManyEvidence {
        /// Links sent.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_BATCH_EVENTS`] events in a batch.
    #[error("{count} events in the batch, at most {max} allowed")]
    TooManyEvents {
        /// Events sent.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An MQTT topic outside `lifts/{device_id}/events|heartbeat`.
    #[error(
        "unknown topic {0:?} (expected lifts/{{device_id}}/events or lifts/{{device_id}}/heartbeat)"
    )]
    UnknownTopic(String),
    /// A device id that breaks [`DeviceId`]'s rules.
    #[error("bad device id {value:?}: {reason}")]
    BadDeviceId {
        /// The id as sent.
        value: String,
        /// The rule it breaks.
        reason: String,
    },
}

/// Decodes one event from `device` (the MQTT topic's device id) and classifies its code.
pub fn decode_event(
    device: &DeviceId,
    bytes: &[u8],
    codes: &CodeMap,
    now: DateTime<Utc>,
) -> Result<Decoded, IotError> {
    let value = parse_json(bytes, MAX_EVENT_BYTES)?;
    let object = into_object(value, "event")?;
    fields::event(object, Some(device), codes, now)
}

/// Decodes an HTTP platform batch `{"events": [...]}`: an error for a bad envelope, else one
/// result per event, in order.
pub fn decode_batch(
    bytes: &[u8],
    codes: &CodeMap,
    now: DateTime<Utc>,
) -> Result<Vec<Result<Decoded, IotError>>, IotError> {
    let mut envelope = into_object(parse_json(bytes, MAX_BATCH_BYTES)?, "batch")?;
    if let Some(key) = envelope.keys().find(|k| *k != "events") {
        return Err(IotError::UnknownField(key.clone()));
    }
    let events = match envelope.remove("events") {
        None | Some(Value::Null) => return Err(IotError::MissingField("events")),
        Some(Value::Array(events)) => events,
        Some(other) => {
            return Err(IotError::BadField {
                field: "events".to_owned(),
                reason: format!("must be an array, found {}", fields::type_name(&other)),
            });
        }
    };
    if events.len() > MAX_BATCH_EVENTS {
        return Err(IotError::TooManyEvents {
            count: events.len(),
            max: MAX_BATCH_EVENTS,
        });
    }
    Ok(events
        .into_iter()
        .map(|e| fields::event(into_object(e, "event")?, None, codes, now))
        .collect())
}

/// Parses JSON after the size check, telling a truncated payload from a malformed one.
fn parse_json(bytes: &[u8], max: usize) -> Result<Value, IotError> {
    if bytes.len() > max {
        return Err(IotError::TooLarge {
            size: bytes.len(),
            max,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IotError::Empty);
    }
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => IotError::Truncated(e.to_string()),
        _ => IotError::Malformed(e.to_string()),
    })
}

/// The object inside `value`, or an error naming what was found instead.
fn into_object(value: Value, what: &'static str) -> Result<Map<String, Value>, IotError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(IotError::NotAnObject {
            what,
            found: fields::type_name(&other),
        }),
    }
}

#[cfg(test)]
mod tests;
