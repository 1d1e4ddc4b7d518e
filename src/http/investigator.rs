//! Post-incident review (roles `investigator` and `operator`, read-only): an incident's full
//! timeline as stored. Each entry carries the exact stored text the hash covers, the previous
//! row's hash and its own, so a reviewer can recompute the chain:
//! `sha256_hex(prev_hash "\n" seq "\n" incident "\n" at "\n" canonical)` with `at` as
//! `2026-11-29T08:00:00.000000Z` (see `store::chain`). Deadline events are marked with when
//! they were due and how late they fired.

use super::error::ApiError;
use crate::domain::{Actor, Event, EventKind, IncidentId};
use crate::http::AppState;
use crate::store::StoredEvent;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// A deadline event's SLA facts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlaMark {
    /// When the acknowledgement, warning or deadline was due.
    pub due: DateTime<Utc>,
    /// How late the dispatcher fired it, seconds (0: on time).
    pub late_by_secs: i64,
    /// `ack_missed`, `warning` or `breached`.
    pub mark: &'static str,
}

/// One stored event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// Position in the whole log.
    pub seq: i64,
    /// Position within the incident.
    pub incident_seq: Option<i64>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The event's type (`unit_paged`, `accepted`, …).
    pub kind: &'static str,
    /// Who caused it.
    pub actor: Actor,
    /// The rule step that caused it.
    pub step: Option<String>,
    /// The rules version in force.
    pub rules_version: Option<String>,
    /// Why, in words.
    pub reason: String,
    /// The event (the JSON of the whole event: incident, at, actor, step, rules version,
    /// reason and `kind` with its `type` tag).
    #[schema(value_type = Event)]
    pub body: Value,
    /// The event exactly as stored (`serde_json` text of the event): what the hash covers.
    pub canonical: String,
    /// This row's hash.
    pub hash: String,
    /// The previous log row's hash (the chain runs through the whole log, so within one
    /// incident it links to the row before in the log, which may be another incident's).
    pub prev_hash: String,
    /// For missed acknowledgements, deadline warnings and breaches.
    pub sla: Option<SlaMark>,
}

fn sla(e: &Event) -> Option<SlaMark> {
    let (due, mark) = match &e.kind {
        EventKind::AckMissed { due, .. } => (*due, "ack_missed"),
        EventKind::DeadlineWarning { due, .. } => (*due, "warning"),
        EventKind::DeadlineBreached { due, .. } => (*due, "breached"),
        _ => return None,
    };
    Some(SlaMark {
        due,
        late_by_secs: (e.at - due).num_seconds().max(0),
        mark,
    })
}

impl From<StoredEvent> for TimelineEntry {
    fn from(row: StoredEvent) -> Self {
        let e = row.event;
        TimelineEntry {
            seq: row.seq,
            incident_seq: row.incident_seq,
            at: e.at,
            kind: e.kind.name(),
            actor: e.actor.clone(),
            step: e.step.clone(),
            rules_version: e.rules_version.as_ref().map(|v| v.0.clone()),
            reason: e.reason.clone(),
            sla: sla(&e),
            body: serde_json::from_str(&row.body).unwrap_or(Value::Null),
            canonical: row.body,
            hash: row.hash,
            prev_hash: row.prev_hash,
        }
    }
}

/// `GET /api/v1/incidents/{id}/timeline`: every stored event, in order; 404 when there is none.
pub async fn timeline(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = IncidentId(id.into_inner());
    let rows = state.store.timeline(id).await?;
    if rows.is_empty() {
        return Err(ApiError::NotFound(id.to_string()));
    }
    let entries: Vec<TimelineEntry> = rows.into_iter().map(TimelineEntry::from).collect();
    Ok(HttpResponse::Ok().json(entries))
}

/// `GET /api/v1/incidents/{id}/replay`: the incident's decisions made again by the pure core
/// from its recorded inputs and compared with the record; 404 when the log has no event of it.
pub async fn replay(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = IncidentId(id.into_inner());
    let found = crate::store::replay_incident(state.store.as_ref(), id).await?;
    let replay = found.ok_or_else(|| ApiError::NotFound(id.to_string()))?;
    Ok(HttpResponse::Ok().json(replay))
}
