//! What one append writes, decided before anything is written: the hash-chained log rows and
//! everything projected from the events (incidents, processed alarms, unit duty, outbox pages).
//!
//! [`plan`] is pure: the adapters load a [`Context`] (the log head and the rows the events
//! touch), call it, and write the [`Writes`] in the same transaction. The incidents projection
//! follows `Incident::apply` in `dispatch/incident.rs` exactly for the fields it keeps: the
//! status only ever advances through the lifecycle (unit paged → dispatched, accepted →
//! acknowledged, crew progress → en route / on scene / released, release confirmed →
//! confirmed) and an ending (closed, cancelled, false alarm) sets it and `ended_at`. An
//! attached lift (`lift_attached`) sets the lift, its company, the chain and the rules version,
//! and answers the operator's question.

use super::chain::{GENESIS, link};
use super::outbox::{NewMessage, PageMessage};
use super::rows::{corrupt, to_json};
use super::types::{JsonText, micros};
use super::{IncidentRow, StoreError, StoredEvent};
use crate::domain::{AlarmId, CrewStatus, Event, EventKind, IncidentId, IncidentStatus, UnitId};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// An outbox page's identity short of its number: incident, step, unit.
pub type PageKey = (IncidentId, String, UnitId);

/// The outbox dedupe key of the `n`-th page (from 1) of `unit` by `step` of `incident`.
pub fn dedupe_key(incident: IncidentId, step: &str, unit: UnitId, n: i64) -> String {
    format!("{}:{step}:{}:{n}", incident.0, unit.0)
}

/// What must be loaded before planning an append of `events`. An incident the events open has
/// nothing to load (it has no row, log entries or pages yet; the write refuses it if it has):
/// a batch of new alarms is planned from the log's head alone.
#[derive(Debug, Default, PartialEq)]
pub struct Needs {
    /// Incidents the events belong to that they do not open.
    pub incidents: BTreeSet<IncidentId>,
    /// Pages the events send for those incidents.
    pub pages: BTreeSet<PageKey>,
}

/// What the append's plan starts from.
#[derive(Debug, Default, Clone)]
pub struct Context {
    /// The log's last row: (seq, hash); `None` for an empty log.
    pub head: Option<(i64, String)>,
    /// Projection rows of the incidents in [`Needs::incidents`] that exist.
    pub incidents: BTreeMap<IncidentId, IncidentRow>,
    /// The last incident_seq of each incident in [`Needs::incidents`] (absent: none yet).
    pub incident_seqs: BTreeMap<IncidentId, i64>,
    /// The last page number of each key in [`Needs::pages`] (absent: none yet).
    pub pages: BTreeMap<PageKey, i64>,
}

/// One outbox row to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// The incident paged for.
    pub incident: IncidentId,
    /// The log row of the page.
    pub event_seq: i64,
    /// The step that paged.
    pub step: String,
    /// The unit paged.
    pub unit: UnitId,
    /// This unit's page number by this step (from 1).
    pub page_no: i64,
    /// `incident:step:unit:page_no`.
    pub dedupe_key: String,
    /// When to send (at once: the page's time).
    pub at: DateTime<Utc>,
    /// What delivery needs.
    pub payload: JsonText,
}

/// Pages that stop ringing: the unit acknowledged (accepted or declined), missed its deadline,
/// or the page was cancelled; every page of the incident when it ends (`unit: None`). Only
/// pages logged before `before_seq` are ended (a re-page in the same append keeps ringing);
/// their messages not yet sent are cancelled in the same transaction, so nothing goes out after
/// an acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub struct PageEnd {
    /// The incident.
    pub incident: IncidentId,
    /// The unit, or every unit.
    pub unit: Option<UnitId>,
    /// The page's new status: `accepted`, `declined`, `missed` or `cancelled`.
    pub status: &'static str,
    /// The log row that ended it.
    pub before_seq: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// Everything one append writes.
#[derive(Debug, Default, Clone)]
pub struct Writes {
    /// Log rows, in order.
    pub rows: Vec<StoredEvent>,
    /// Incidents projection rows touched, in their final state.
    pub incidents: Vec<IncidentRow>,
    /// Incidents the events open: their rows are inserted, never updated, and an existing row
    /// refuses the append.
    pub opened: BTreeSet<IncidentId>,
    /// Alarms opened or joined: mark processed at this time with this incident.
    pub alarms: Vec<(AlarmId, IncidentId, DateTime<Utc>)>,
    /// Units going on or off duty, in order.
    pub duty: Vec<(UnitId, bool)>,
    /// Pages that stop ringing, in order, after the outbox rows.
    pub page_ends: Vec<PageEnd>,
    /// Pages to send.
    pub outbox: Vec<OutboxRow>,
    /// First messages of those pages: (the page's dedupe key, the message), after them.
    pub messages: Vec<(String, NewMessage)>,
}

/// The incidents and pages `events` touch.
pub fn needs(events: &[Event]) -> Needs {
    let opened = opened_by(events);
    let mut n = Needs::default();
    for e in events {
        if let Some(id) = e.incident.filter(|id| !opened.contains(id)) {
            n.incidents.insert(id);
            if let EventKind::UnitPaged { candidate, .. } = &e.kind {
                n.pages.insert((id, step_of(e), candidate.unit));
            }
        }
    }
    n
}

/// The incidents `events` open.
fn opened_by(events: &[Event]) -> BTreeSet<IncidentId> {
    events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::IncidentOpened { .. }))
        .filter_map(|e| e.incident)
        .collect()
}

fn step_of(e: &Event) -> String {
    e.step.clone().unwrap_or_default()
}

/// Decides every write of one append without messages (see the module docs).
#[cfg(test)]
pub fn plan(ctx: Context, events: &[Event]) -> Result<Writes, StoreError> {
    plan_paging(ctx, events, &[])
}

/// [`plan`], with the first messages of the pages the events send: each applies to the first
/// page of its incident, step and unit.
pub fn plan_paging(
    mut ctx: Context,
    events: &[Event],
    first: &[PageMessage],
) -> Result<Writes, StoreError> {
    let (mut seq, mut prev) = ctx.head.take().unwrap_or((0, GENESIS.to_owned()));
    let mut w = Writes::default();
    let mut touched = BTreeSet::new();
    for e in events {
        seq += 1;
        let incident_seq = match e.incident {
            Some(id) => Some(project(&mut ctx, id, e)?),
            None => None,
        };
        let row = link(&prev, seq, incident_seq, e.clone())
            .map_err(|err| corrupt(format!("cannot serialise the event: {err}")))?;
        side_effects(&mut ctx, &mut w, &row)?;
        prev.clone_from(&row.hash);
        touched.extend(e.incident);
        w.rows.push(row);
    }
    w.incidents = touched
        .iter()
        .filter_map(|id| ctx.incidents.remove(id))
        .collect();
    w.opened = opened_by(events);
    let mut taken = vec![false; first.len()];
    for page in &w.outbox {
        for (m, taken) in first.iter().zip(taken.iter_mut()) {
            if *taken || (m.incident, &m.step, m.unit) != (page.incident, &page.step, page.unit) {
                continue;
            }
            *taken = true;
            w.messages.push((
                page.dedupe_key.clone(),
                NewMessage {
                    page_id: 0,
                    incident: m.incident,
                    step: m.step.clone(),
                    unit: m.unit,
                    dedupe_key: format!("{}:{}:{}", page.dedupe_key, m.channel, m.n),
                    channel: m.channel,
                    n: m.n,
                    claim_until: m.claim_until,
                    recipient: m.recipient.clone(),
                    body: m.body.clone(),
                    at: page.at,
                },
            ));
        }
    }
    Ok(w)
}

/// Folds `e` into its incident's row; returns the event's incident_seq.
fn project(ctx: &mut Context, id: IncidentId, e: &Event) -> Result<i64, StoreError> {
    match (&e.kind, ctx.incidents.get_mut(&id)) {
        (EventKind::IncidentOpened { .. }, Some(_)) => {
            return Err(StoreError::Conflict(format!("{id} is already open")));
        }
        (EventKind::IncidentOpened { .. }, None) => {
            let row = opened(id, e).ok_or_else(|| corrupt("incident_opened without its alarm"))?;
            ctx.incidents.insert(id, row);
        }
        (_, Some(row)) => apply(row, e),
        (_, None) => {
            return Err(StoreError::Conflict(format!(
                "{id} has not been opened: its first event must be incident_opened"
            )));
        }
    }
    let n = ctx.incident_seqs.entry(id).or_insert(0);
    *n += 1;
    Ok(*n)
}

/// Alarms processed, unit duty and outbox pages that follow from a stored row.
fn side_effects(ctx: &mut Context, w: &mut Writes, row: &StoredEvent) -> Result<(), StoreError> {
    let e = &row.event;
    match (&e.kind, e.incident) {
        (EventKind::IncidentOpened { alarm, .. } | EventKind::AlarmJoined { alarm }, Some(id)) => {
            w.alarms.push((alarm.id, id, e.at));
        }
        (EventKind::UnitDuty { unit, on_duty }, _) => w.duty.push((*unit, *on_duty)),
        (EventKind::Accepted { unit, .. }, Some(id)) => {
            end_pages(w, id, Some(*unit), "accepted", row)
        }
        (EventKind::Declined { unit }, Some(id)) => end_pages(w, id, Some(*unit), "declined", row),
        (EventKind::AckMissed { unit, .. }, Some(id)) => {
            end_pages(w, id, Some(*unit), "missed", row)
        }
        (EventKind::PageCancelled { unit }, Some(id)) => {
            end_pages(w, id, Some(*unit), "cancelled", row)
        }
        (EventKind::Closed { .. } | EventKind::Cancelled | EventKind::FalseAlarm, Some(id)) => {
            end_pages(w, id, None, "cancelled", row)
        }
        // A storm's queue is one page to the crew, sent for its first car (the crew's answer
        // is for all of them); the other cars' pages ring with it.
        (EventKind::UnitPaged { queue, .. }, Some(id))
            if queue.first().is_some_and(|f| *f != id) => {}
        (
            EventKind::UnitPaged {
                candidate, ack_due, ..
            },
            Some(id),
        ) => {
            let step = step_of(e);
            let last = ctx
                .pages
                .entry((id, step.clone(), candidate.unit))
                .or_insert(0);
            *last += 1;
            let payload = serde_json::json!({
                "incident": id, "step": step, "unit": candidate.unit, "page_no": *last,
                "event_seq": row.seq, "at": e.at, "ack_due": ack_due,
                "candidate": candidate, "reason": e.reason,
            });
            w.outbox.push(OutboxRow {
                incident: id,
                event_seq: row.seq,
                dedupe_key: dedupe_key(id, &step, candidate.unit, *last),
                step,
                unit: candidate.unit,
                page_no: *last,
                at: e.at,
                payload: to_json(&payload)?,
            });
        }
        _ => {}
    }
    Ok(())
}

fn end_pages(
    w: &mut Writes,
    incident: IncidentId,
    unit: Option<UnitId>,
    status: &'static str,
    row: &StoredEvent,
) {
    w.page_ends.push(PageEnd {
        incident,
        unit,
        status,
        before_seq: row.seq,
        at: row.event.at,
    });
}

/// The projection row an `IncidentOpened` event starts.
pub fn opened(id: IncidentId, e: &Event) -> Option<IncidentRow> {
    let EventKind::IncidentOpened { lift, chain, .. } = &e.kind else {
        return None;
    };
    Some(IncidentRow {
        id,
        status: IncidentStatus::Reported,
        lift: lift.as_ref().map(|l| l.id),
        rescue_code: lift.as_ref().map(|l| l.rescue_code.to_string()),
        company: lift.as_ref().and_then(|l| l.maintainer),
        chain: chain.chain.name.clone(),
        rules_version: chain.rules_version.0.clone(),
        opened_at: micros(e.at),
        ended_at: None,
        breached: false,
        needs_operator: false,
        lift_unresolved: lift.is_none(),
        updated_at: micros(e.at),
    })
}

/// Folds one of the incident's later events into its projection row.
pub fn apply(row: &mut IncidentRow, e: &Event) {
    let at = micros(e.at);
    row.updated_at = at;
    let advance = |row: &mut IncidentRow, to: IncidentStatus| {
        if to > row.status && !row.status.is_terminal() {
            row.status = to;
        }
    };
    let end = |row: &mut IncidentRow, to: IncidentStatus| {
        row.status = to;
        row.ended_at = Some(at);
    };
    match &e.kind {
        EventKind::UnitPaged { .. } => advance(row, IncidentStatus::Dispatched),
        EventKind::Accepted { .. } => advance(row, IncidentStatus::Acknowledged),
        EventKind::CrewProgress { status, .. } => advance(row, crew_status(*status)),
        EventKind::ReleaseConfirmed => advance(row, IncidentStatus::Confirmed),
        EventKind::Closed { .. } => end(row, IncidentStatus::Closed),
        EventKind::Cancelled => end(row, IncidentStatus::Cancelled),
        EventKind::FalseAlarm => end(row, IncidentStatus::FalseAlarm),
        EventKind::DeadlineBreached { .. } => row.breached = true,
        EventKind::NeedsOperator { .. } => row.needs_operator = true,
        EventKind::LiftAttached { lift, chain, .. } => {
            row.lift = Some(lift.id);
            row.rescue_code = Some(lift.rescue_code.to_string());
            row.company = lift.maintainer;
            row.chain.clone_from(&chain.chain.name);
            row.rules_version.clone_from(&chain.rules_version.0);
            row.lift_unresolved = false;
            row.needs_operator = false;
        }
        _ => {}
    }
}

/// The incident status a crew's progress brings it to.
fn crew_status(s: CrewStatus) -> IncidentStatus {
    match s {
        CrewStatus::Accepted => IncidentStatus::Acknowledged,
        CrewStatus::EnRoute => IncidentStatus::EnRoute,
        CrewStatus::OnScene => IncidentStatus::OnScene,
        CrewStatus::Released => IncidentStatus::Released,
    }
}

#[cfg(test)]
#[path = "projection_tests.rs"]
mod tests;
