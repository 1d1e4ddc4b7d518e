//! One event object checked field by field; each function names the field it refuses.

use super::{Decoded, FUTURE_SLACK, IotError, MAX_EVIDENCE};
use crate::domain::NewAlarm;
use crate::domain::{AlarmFlags, AlarmSource, AlarmStatus, DeviceId, LiftRef};
use crate::intake::codes::CodeMap;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The keys an event may carry.
const FIELDS: [&str; 10] = [
    "device_id",
    "alarm_id",
    "code",
    "status",
    "floor",
    "occurred_at",
    "evidence",
    "flags",
    "description",
    "trapped",
];
/// Longest source alarm id, characters.
const ALARM_ID_MAX: usize = 128;
/// Longest floor label, characters.
const FLOOR_MAX: usize = 32;
/// Longest description, characters.
const DESCRIPTION_MAX: usize = 2000;
/// Longest evidence link, characters.
const LINK_MAX: usize = 512;
/// Epoch milliseconds of 2000-01-01: earlier numbers are taken for epoch seconds.
const EPOCH_MS_FLOOR: i64 = 946_684_800_000;

/// Checks one event. `topic_device` is the MQTT topic's device (the payload's `device_id`, if
/// any, must match it); without one (a batch), `device_id` is required.
pub(super) fn event(
    mut obj: Map<String, Value>,
    topic_device: Option<&DeviceId>,
    codes: &CodeMap,
    now: DateTime<Utc>,
) -> Result<Decoded, IotError> {
    if let Some(key) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(IotError::UnknownField(key.clone()));
    }
    let mut take = |f: &str| obj.remove(f).filter(|v| !v.is_null());
    let device = device(take("device_id"), topic_device)?;
    let source_alarm_id = alarm_id(take("alarm_id").ok_or(IotError::MissingField("alarm_id"))?)?;
    let code = code(take("code").ok_or(IotError::MissingField("code"))?)?;
    let status = status(take("status").ok_or(IotError::MissingField("status"))?)?;
    let floor = take("floor").map(floor).transpose()?;
    let occurred = take("occurred_at").ok_or(IotError::MissingField("occurred_at"))?;
    let occurred_at = time("occurred_at", occurred, now)?;
    let evidence = take("evidence").map(evidence).transpose()?;
    let flags = take("flags").map(flags).transpose()?;
    let description = take("description").map(description).transpose()?;
    let trapped = take("trapped").map(trapped).transpose()?;
    let classified = codes.kind(code);
    Ok(Decoded {
        alarm: NewAlarm {
            channel: AlarmSource::Iot,
            source_alarm_id,
            lift_ref: LiftRef::Device(device),
            kind: classified.kind,
            status,
            flags: flags.unwrap_or_default(),
            trapped,
            floor: floor.flatten(),
            description: description.unwrap_or_default(),
            occurred_at,
        },
        code,
        mapped: classified.mapped,
        evidence: evidence.unwrap_or_default(),
    })
}

/// The JSON type of a value, for messages.
pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn bad(field: &str, reason: impl Into<String>) -> IotError {
    IotError::BadField {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

fn string(field: &str, v: Value) -> Result<String, IotError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(bad(
            field,
            format!("must be a string, found {}", type_name(&other)),
        )),
    }
}

fn device(v: Option<Value>, topic: Option<&DeviceId>) -> Result<DeviceId, IotError> {
    let given = v.map(|v| string("device_id", v)).transpose()?;
    match (given, topic) {
        (None, Some(topic)) => Ok(topic.clone()),
        (None, None) => Err(IotError::MissingField("device_id")),
        (Some(s), Some(topic)) if s != topic.as_str() => Err(bad(
            "device_id",
            format!(
                "{s:?} does not match the topic's device {:?}",
                topic.as_str()
            ),
        )),
        (Some(s), _) => DeviceId::parse(&s).map_err(|e| IotError::BadDeviceId {
            value: s,
            reason: e.why,
        }),
    }
}

fn alarm_id(v: Value) -> Result<String, IotError> {
    let id = match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        other => string("alarm_id", other)?,
    };
    let len = id.chars().count();
    if id.trim().is_empty() || len > ALARM_ID_MAX || id.chars().any(char::is_control) {
        return Err(bad(
            "alarm_id",
            format!("must be 1-{ALARM_ID_MAX} printable characters, found {len}"),
        ));
    }
    Ok(id)
}

fn code(v: Value) -> Result<u16, IotError> {
    let Value::Number(n) = v else {
        return Err(bad(
            "code",
            format!("must be an integer, found {}", type_name(&v)),
        ));
    };
    if let Some(c) = n.as_u64() {
        return u16::try_from(c).map_err(|_| IotError::CodeOutOfRange(n.to_string()));
    }
    if n.is_i64()
        || n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.abs() > 65535.0)
    {
        return Err(IotError::CodeOutOfRange(n.to_string()));
    }
    Err(bad("code", format!("must be an integer, found {n}")))
}

fn status(v: Value) -> Result<AlarmStatus, IotError> {
    match &v {
        Value::Number(n) if n.as_u64() == Some(0) => Ok(AlarmStatus::New),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(AlarmStatus::Cleared),
        Value::String(s) if s == "new" => Ok(AlarmStatus::New),
        Value::String(s) if s == "cleared" => Ok(AlarmStatus::Cleared),
        _ => Err(bad(
            "status",
            format!("must be 0, 1, \"new\" or \"cleared\", found {v}"),
        )),
    }
}

fn trapped(v: Value) -> Result<u16, IotError> {
    match v.as_u64() {
        Some(n) if (1..=u64::from(crate::domain::TRAPPED_MAX)).contains(&n) => Ok(n as u16),
        _ => Err(bad(
            "trapped",
            format!(
                "must be a whole number of people from 1 to {}",
                crate::domain::TRAPPED_MAX
            ),
        )),
    }
}

fn floor(v: Value) -> Result<Option<String>, IotError> {
    let s = match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        other => {
            let found = type_name(&other);
            return Err(bad(
                "floor",
                format!("must be a string or an integer, found {found}"),
            ));
        }
    };
    if s.chars().count() > FLOOR_MAX {
        return Err(bad("floor", format!("longer than {FLOOR_MAX} characters")));
    }
    Ok(Some(s).filter(|s| !s.is_empty()))
}

/// A time: RFC 3339 text or integer epoch milliseconds, at most [`FUTURE_SLACK`] ahead.
pub(super) fn time(field: &str, v: Value, now: DateTime<Utc>) -> Result<DateTime<Utc>, IotError> {
    let t = match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| bad(field, format!("{s:?} is not an RFC 3339 time: {e}")))?,
        Value::Number(n) => epoch_ms(field, &n)?,
        other => {
            let found = type_name(&other);
            let why = format!("must be RFC 3339 text or epoch milliseconds, found {found}");
            return Err(bad(field, why));
        }
    };
    if now
        .checked_add_signed(FUTURE_SLACK)
        .is_some_and(|limit| t > limit)
    {
        return Err(IotError::InFuture {
            occurred_at: t,
            now,
        });
    }
    Ok(t)
}

fn epoch_ms(field: &str, n: &serde_json::Number) -> Result<DateTime<Utc>, IotError> {
    let ms = n.as_i64().ok_or_else(|| {
        bad(
            field,
            format!("{n} is not an integer number of milliseconds"),
        )
    })?;
    if ms < EPOCH_MS_FLOOR {
        let why = format!("{ms} is before 2000 in epoch milliseconds (epoch seconds?)");
        return Err(bad(field, why));
    }
    DateTime::from_timestamp_millis(ms).ok_or_else(|| bad(field, format!("{ms} is out of range")))
}

fn evidence(v: Value) -> Result<Vec<String>, IotError> {
    let Value::Array(items) = v else {
        let found = type_name(&v);
        return Err(bad(
            "evidence",
            format!("must be an array of URLs, found {found}"),
        ));
    };
    if items.len() > MAX_EVIDENCE {
        return Err(IotError::TooManyEvidence {
            count: items.len(),
            max: MAX_EVIDENCE,
        });
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| link(&format!("evidence[{i}]"), item))
        .collect()
}

/// An `http`/`https` URL with a host, at most [`LINK_MAX`] characters, no spaces.
fn link(field: &str, v: Value) -> Result<String, IotError> {
    let url = string(field, v)?;
    if url.chars().count() > LINK_MAX {
        return Err(bad(field, format!("longer than {LINK_MAX} characters")));
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| !r.is_empty() && !r.starts_with(['/', '?', '#']));
    if !host_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(field, format!("{url:?} is not an http or https URL")));
    }
    Ok(url)
}

fn flags(v: Value) -> Result<AlarmFlags, IotError> {
    let Value::Object(map) = v else {
        return Err(bad(
            "flags",
            format!("must be an object, found {}", type_name(&v)),
        ));
    };
    let mut flags = AlarmFlags::default();
    for (key, value) in map {
        let slot = match key.as_str() {
            "person_ill" => &mut flags.person_ill,
            "child_alone" => &mut flags.child_alone,
            "smoke_or_water" => &mut flags.smoke_or_water,
            _ => {
                let why = format!("unknown flag `{key}` (person_ill, child_alone, smoke_or_water)");
                return Err(bad("flags", why));
            }
        };
        *slot = match value {
            Value::Bool(b) => b,
            Value::Null => false,
            other => {
                let why = format!("`{key}` must be a boolean, found {}", type_name(&other));
                return Err(bad("flags", why));
            }
        };
    }
    Ok(flags)
}

fn description(v: Value) -> Result<String, IotError> {
    let s = string("description", v)?;
    if s.chars().count() > DESCRIPTION_MAX {
        return Err(bad(
            "description",
            format!("longer than {DESCRIPTION_MAX} characters"),
        ));
    }
    Ok(s)
}
