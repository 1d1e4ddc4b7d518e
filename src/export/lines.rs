//! One exported row as a CSV record or a JSON line. Pure: rows in, bytes out.

use super::IncidentWithHead;
use crate::store::{StoredEvent, enum_name};
use serde::Serialize;

/// The columns of `events.csv`.
pub const EVENT_COLUMNS: [&str; 10] = [
    "seq",
    "at",
    "incident_id",
    "incident_seq",
    "kind",
    "actor",
    "reason",
    "prev_hash",
    "hash",
    "canonical",
];

/// The columns of `incidents.csv`.
pub const INCIDENT_COLUMNS: [&str; 13] = [
    "id",
    "opened_at",
    "ended_at",
    "status",
    "lift_id",
    "rescue_code",
    "company_id",
    "chain",
    "rules_version",
    "breached",
    "updated_at",
    "last_seq",
    "last_hash",
];

/// An event row as exported: where it sits in the chain and the exact text its hash covers.
#[derive(Debug, Serialize)]
pub struct EventLine<'a> {
    /// `event`.
    #[serde(rename = "type")]
    pub tag: &'static str,
    /// Its position in the log.
    pub seq: i64,
    /// When it happened (RFC 3339, as in the hash: microseconds).
    pub at: String,
    /// Its incident, if any.
    pub incident_id: Option<i64>,
    /// Its position within the incident.
    pub incident_seq: Option<i64>,
    /// The event's type.
    pub kind: &'static str,
    /// Who caused it (JSON).
    pub actor: String,
    /// Why, in words.
    pub reason: &'a str,
    /// The previous row's hash.
    pub prev_hash: &'a str,
    /// This row's hash.
    pub hash: &'a str,
    /// The event exactly as stored: what the hash covers.
    pub canonical: &'a str,
}

impl<'a> EventLine<'a> {
    /// The line of a log row.
    pub fn of(row: &'a StoredEvent) -> Self {
        let e = &row.event;
        EventLine {
            tag: "event",
            seq: row.seq,
            at: crate::store::fixed_rfc3339(e.at),
            incident_id: e.incident.map(|i| i.0),
            incident_seq: row.incident_seq,
            kind: e.kind.name(),
            actor: serde_json::to_string(&e.actor).unwrap_or_default(),
            reason: &e.reason,
            prev_hash: &row.prev_hash,
            hash: &row.hash,
            canonical: &row.body,
        }
    }

    fn record(&self) -> Vec<String> {
        vec![
            self.seq.to_string(),
            self.at.clone(),
            opt(self.incident_id),
            opt(self.incident_seq),
            self.kind.to_owned(),
            self.actor.clone(),
            self.reason.to_owned(),
            self.prev_hash.to_owned(),
            self.hash.to_owned(),
            self.canonical.to_owned(),
        ]
    }
}

/// An incident row as exported, with its last log row.
#[derive(Debug, Serialize)]
pub struct IncidentLine {
    /// `incident`.
    #[serde(rename = "type")]
    pub tag: &'static str,
    /// Its id.
    pub id: i64,
    /// When it opened.
    pub opened_at: String,
    /// When it ended, if it has.
    pub ended_at: Option<String>,
    /// Where it stands.
    pub status: String,
    /// The lift, if resolved.
    pub lift_id: Option<i64>,
    /// The lift's rescue code.
    pub rescue_code: Option<String>,
    /// The contracted maintenance company.
    pub company_id: Option<i64>,
    /// The chain it ran.
    pub chain: String,
    /// The rules version it ran on.
    pub rules_version: String,
    /// A deadline was breached.
    pub breached: bool,
    /// Its latest event's time.
    pub updated_at: String,
    /// Its last log row's seq: the row its status follows from.
    pub last_seq: Option<i64>,
    /// That row's hash.
    pub last_hash: Option<String>,
}

impl IncidentLine {
    /// The line of an incident.
    pub fn of((i, head): &IncidentWithHead) -> Self {
        let t = |t| crate::store::fixed_rfc3339(t);
        IncidentLine {
            tag: "incident",
            id: i.id.0,
            opened_at: t(i.opened_at),
            ended_at: i.ended_at.map(t),
            status: enum_name(&i.status),
            lift_id: i.lift.map(|l| l.0),
            rescue_code: i.rescue_code.clone(),
            company_id: i.company.map(|c| c.0),
            chain: i.chain.clone(),
            rules_version: i.rules_version.clone(),
            breached: i.breached,
            updated_at: t(i.updated_at),
            last_seq: head.as_ref().map(|h| h.0),
            last_hash: head.as_ref().map(|h| h.1.clone()),
        }
    }

    fn record(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.opened_at.clone(),
            self.ended_at.clone().unwrap_or_default(),
            self.status.clone(),
            opt(self.lift_id),
            self.rescue_code.clone().unwrap_or_default(),
            opt(self.company_id),
            self.chain.clone(),
            self.rules_version.clone(),
            self.breached.to_string(),
            self.updated_at.clone(),
            opt(self.last_seq),
            self.last_hash.clone().unwrap_or_default(),
        ]
    }
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// CSV records of `records` (RFC 4180 quoting), each ending in a line feed.
pub fn csv<I, R>(records: I) -> Vec<u8>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for r in records {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(r);
    }
    w.into_inner().unwrap_or_default()
}

/// The header row of events or incidents.
pub fn csv_header(events: bool) -> Vec<u8> {
    if events {
        csv([EVENT_COLUMNS])
    } else {
        csv([INCIDENT_COLUMNS])
    }
}

/// A page of events as CSV records or JSON lines.
pub fn events(page: &[StoredEvent], format: super::Format) -> Vec<u8> {
    let lines = page.iter().map(EventLine::of);
    match format {
        super::Format::Csv => csv(lines.map(|l| l.record())),
        super::Format::Jsonl => json_lines(lines),
    }
}

/// A page of incidents as CSV records or JSON lines.
pub fn incidents(page: &[IncidentWithHead], format: super::Format) -> Vec<u8> {
    let lines = page.iter().map(IncidentLine::of);
    match format {
        super::Format::Csv => csv(lines.map(|l| l.record())),
        super::Format::Jsonl => json_lines(lines),
    }
}

/// One JSON object a line.
pub fn json_lines<T: Serialize>(items: impl IntoIterator<Item = T>) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        // Serialising these plain structs cannot fail.
        if serde_json::to_writer(&mut out, &item).is_ok() {
            out.push(b'\n');
        }
    }
    out
}
