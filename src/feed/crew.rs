//! Which committed events a crew's live feed tells it of: a pure filter, no I/O.
//!
//! A crew is told only what concerns its own unit, so that its phone reloads its assignments at
//! once instead of on its next poll; the frame names the event's type and incident, nothing
//! more (the page reads what it may see from `GET /api/v1/crew/assignments`). What concerns a
//! unit:
//!
//! - an event naming the unit itself: a page offered (with a storm's queue), accepted,
//!   declined, missed or withdrawn, its progress, its duty;
//! - on an incident the unit is paged for or works on: the lift attached, a further alarm
//!   (new flags or floor), its place in a storm's order, the release confirmed, the incident
//!   closed, cancelled or a false alarm.
//!
//! Events naming another unit are not passed on (whatever they change for this crew comes as
//! an event naming it: the desk withdraws a page with `page_cancelled` for its unit), except
//! another crew's acceptance or progress on one of this unit's incidents, which moves the
//! status its card shows; the news names the event's type and incident, never the other unit.
//! Deliveries are left out: they change nothing the page shows, and a storm makes many.
//!
//! The incidents the unit works on start as those the desk holds it for when the stream opens,
//! grow with every page it is offered, and lose one it declines or misses. A stream resumed from the log also asks the desk
//! about incidents it replays changes of ([`CrewScope::unknown`]): one the unit was paged for
//! before the replay began may have ended since, and is held by it no more.

use crate::domain::{Event, EventKind, IncidentId, UnitId};
use std::collections::HashSet;

/// What a crew is told of one event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CrewNews {
    /// The event's log sequence.
    pub seq: i64,
    /// Its incident, if it has one.
    pub incident: Option<IncidentId>,
    /// Its type name (`unit_paged`, `page_cancelled`, `cancelled`, …).
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// One crew stream's filter: its unit and the incidents that unit works on.
#[derive(Debug, Clone)]
pub struct CrewScope {
    unit: UnitId,
    mine: HashSet<IncidentId>,
}

impl CrewScope {
    /// The filter for `unit`, which the desk holds for the incidents `held`.
    pub fn new(unit: UnitId, held: impl IntoIterator<Item = IncidentId>) -> Self {
        CrewScope {
            unit,
            mine: held.into_iter().collect(),
        }
    }

    /// The unit it filters for.
    pub fn unit(&self) -> UnitId {
        self.unit
    }

    /// Makes `incident` one of the unit's (the desk shows a page of it there).
    pub fn hold(&mut self, incident: IncidentId) {
        self.mine.insert(incident);
    }

    /// The incidents of `events` not known as the unit's whose own changes it would be told
    /// of. A stream replaying the log asks the desk whether they show a page of the unit: one
    /// paged before the replay began and no longer held by it (an incident since ended) is
    /// nowhere else.
    pub fn unknown<'a>(&self, events: impl IntoIterator<Item = &'a Event>) -> Vec<IncidentId> {
        let mut ids: Vec<IncidentId> = events
            .into_iter()
            .filter(|e| named_unit(&e.kind).is_none() && about_the_incident(&e.kind))
            .filter_map(|e| e.incident)
            .filter(|id| !self.mine.contains(id))
            .collect();
        ids.sort_unstable_by_key(|id| id.0);
        ids.dedup();
        ids
    }

    /// What the crew is told of the event at `seq`, if anything; an event that pages the unit
    /// makes its incident one of the unit's.
    pub fn admit(&mut self, seq: i64, event: &Event) -> Option<CrewNews> {
        let news = CrewNews {
            seq,
            incident: event.incident,
            kind: event.kind.name(),
        };
        if let Some(unit) = named_unit(&event.kind) {
            if unit != self.unit {
                // Another crew accepting or moving on changes the incident's status on this
                // crew's card; the news names only the event's type and incident.
                let moves_status = matches!(
                    event.kind,
                    EventKind::Accepted { .. } | EventKind::CrewProgress { .. }
                );
                let mine = event.incident.is_some_and(|id| self.mine.contains(&id));
                return (moves_status && mine).then_some(news);
            }
            if matches!(event.kind, EventKind::Delivery { .. }) {
                return None;
            }
            // Paged: the incident is the unit's; declined or missed: no longer (until it is
            // paged again). A withdrawn page keeps it: the withdrawal usually comes with the
            // incident's end (cancelled, closed), which the crew is told of.
            match (&event.kind, event.incident) {
                (EventKind::UnitPaged { .. }, Some(id)) => {
                    self.mine.insert(id);
                }
                (EventKind::Declined { .. } | EventKind::AckMissed { .. }, Some(id)) => {
                    self.mine.remove(&id);
                }
                _ => {}
            }
            return Some(news);
        }
        let id = event.incident?;
        if !self.mine.contains(&id) || !about_the_incident(&event.kind) {
            return None;
        }
        if matches!(
            event.kind,
            EventKind::Closed { .. } | EventKind::Cancelled | EventKind::FalseAlarm
        ) {
            self.mine.remove(&id);
        }
        Some(news)
    }
}

/// The unit an event is about, when it is about one.
fn named_unit(kind: &EventKind) -> Option<UnitId> {
    match kind {
        EventKind::UnitPaged { candidate, .. } => Some(candidate.unit),
        EventKind::Accepted { unit, .. }
        | EventKind::Declined { unit }
        | EventKind::AckMissed { unit, .. }
        | EventKind::PageCancelled { unit }
        | EventKind::CrewProgress { unit, .. }
        | EventKind::UnitDuty { unit, .. }
        | EventKind::Delivery { unit, .. } => Some(*unit),
        _ => None,
    }
}

/// An incident's events that change what its crews see on their page.
fn about_the_incident(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::AlarmJoined { .. }
            | EventKind::LiftAttached { .. }
            | EventKind::IncidentTriaged { .. }
            | EventKind::ReleaseConfirmed
            | EventKind::Closed { .. }
            | EventKind::Cancelled
            | EventKind::FalseAlarm
    )
}

#[cfg(test)]
#[path = "crew_tests.rs"]
mod tests;
