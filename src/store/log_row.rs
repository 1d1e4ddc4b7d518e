//! The event log's row, and how it reads back as an event.
//!
//! The log keeps copies of some of the event's fields in columns (incident, time, kind, actor,
//! step, rules version, reason) so they can be queried; the body is the event itself, and what
//! the hash covers. Reading a row lays the columns over the body, so a column changed behind
//! the store's back makes the event differ from its body, which `chain::Verifier` notices.

use super::rows::{corrupt, enum_name, parse_enum};
use super::types::Ts;
use super::{StoreError, StoredEvent};
use crate::domain::{Actor, Event, UnitId};

/// The `actor` column: `system`, `source:cabin_phone`, `operator:li`, `unit:17`.
pub fn actor_column(a: &Actor) -> String {
    match a {
        Actor::System => "system".into(),
        Actor::Source(c) => format!("source:{}", enum_name(c)),
        Actor::Operator(user) => format!("operator:{user}"),
        Actor::Unit(u) => format!("unit:{}", u.0),
    }
}

/// Reads an `actor` column back.
pub fn parse_actor(s: &str) -> Result<Actor, StoreError> {
    let bad = || corrupt(format!("actor {s:?} is not an actor"));
    match s.split_once(':') {
        None if s == "system" => Ok(Actor::System),
        Some(("source", c)) => Ok(Actor::Source(parse_enum("channel", c)?)),
        Some(("operator", user)) => Ok(Actor::Operator(user.to_owned())),
        Some(("unit", id)) => Ok(Actor::Unit(UnitId(id.parse().map_err(|_| bad())?))),
        _ => Err(bad()),
    }
}

/// One row of the event log, every column.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRow {
    pub seq: i64,
    pub incident_id: Option<i64>,
    pub incident_seq: Option<i64>,
    pub at: Ts,
    pub kind: String,
    pub actor: String,
    pub step: Option<String>,
    pub rules_version: Option<String>,
    pub reason: String,
    pub body: String,
    pub prev_hash: String,
    pub hash: String,
}

impl LogRow {
    /// The row that stores `s`: the query columns copied from its event.
    pub fn of(s: &StoredEvent) -> Self {
        let e = &s.event;
        LogRow {
            seq: s.seq,
            incident_id: e.incident.map(|i| i.0),
            incident_seq: s.incident_seq,
            at: Ts(e.at),
            kind: e.kind.name().to_owned(),
            actor: actor_column(&e.actor),
            step: e.step.clone(),
            rules_version: e.rules_version.as_ref().map(|v| v.0.clone()),
            reason: e.reason.clone(),
            body: s.body.clone(),
            prev_hash: s.prev_hash.clone(),
            hash: s.hash.clone(),
        }
    }

    /// Reads the row back. The event is the body with the query columns laid over it, so a
    /// column changed behind the store's back shows as a disagreement with the body when the
    /// chain is verified. A body that is not an event, or a kind column that names an event
    /// the body cannot be, is refused here, naming the row.
    pub fn decode(self) -> Result<StoredEvent, StoreError> {
        let seq = self.seq;
        let bad = |why: String| corrupt(format!("event log row {seq}: {why}"));
        let mut v: serde_json::Value =
            serde_json::from_str(&self.body).map_err(|e| bad(format!("body is not JSON: {e}")))?;
        let obj = v
            .as_object_mut()
            .ok_or_else(|| bad("body is not an object".into()))?;
        let actor = parse_actor(&self.actor).map_err(|e| bad(e.to_string()))?;
        let columns = [
            ("incident", serde_json::json!(self.incident_id)),
            ("at", serde_json::json!(self.at.0)),
            ("actor", serde_json::json!(actor)),
            ("step", serde_json::json!(self.step)),
            ("rules_version", serde_json::json!(self.rules_version)),
            ("reason", serde_json::json!(self.reason)),
        ];
        obj.extend(columns.map(|(k, v)| (k.to_owned(), v)));
        if let Some(kind) = obj.get_mut("kind").and_then(|k| k.as_object_mut()) {
            kind.insert("type".into(), serde_json::json!(self.kind));
        }
        let event: Event = serde_json::from_value(v)
            .map_err(|e| bad(format!("columns and body do not make an event: {e}")))?;
        Ok(StoredEvent {
            seq,
            incident_seq: self.incident_seq,
            event,
            body: self.body,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}
