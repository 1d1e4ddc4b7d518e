//! What a crew's phone is shown of an incident: the console's [`IncidentView`] cut down to the
//! incident itself and the crew's own page. Pure: a function of the view and the unit.
//!
//! A crew is shown where to go and what to do, never the other crews: not the steps with their
//! pages (other units' names, states and distances), not the override candidates (other units'
//! positions), not the SLA clocks of other steps. Its own page carries its state, its storm
//! queue (car k of n) and when the answer is due; [`CrewNext`] says what it does next and by
//! when.

use super::view::{IncidentView, PageView};
use crate::domain::{Actor, Event, IncidentId, IncidentStatus, Lift, UnitId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An incident as its crew sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CrewView {
    /// Its id.
    pub id: IncidentId,
    /// Where it stands.
    pub status: IncidentStatus,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// The lift (its codes, address, use unit and duty phone), if resolved.
    pub lift: Option<Lift>,
    /// What the latest alarm reported: `entrapment_at_landing`, `entrapment_between_floors`,
    /// `passenger_alarm` or `fault`.
    pub kind: String,
    /// Flags reported so far (`person_ill`, `child_alone`, `smoke_or_water`).
    pub flags: Vec<String>,
    /// The floor the car stands at, as the latest alarm that named one reported it.
    pub floor: Option<String>,
    /// How many people are trapped, as the latest alarm that said reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trapped: Option<u16>,
    /// When the passengers were released.
    pub released_at: Option<DateTime<Utc>>,
    /// The unit's own page (its latest, when it was paged more than once).
    pub page: Option<CrewPage>,
    /// What the unit does next and by when; absent when nothing is left to it.
    pub next: Option<CrewNext>,
}

/// The crew's own page of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CrewPage {
    /// Pending, accepted, en_route, on_scene, released, declined, missed or cancelled.
    pub state: String,
    /// When the page went out.
    pub sent_at: DateTime<Utc>,
    /// When the acknowledgement is (or was) due.
    pub ack_due: DateTime<Utc>,
    /// The crew's own ETA, seconds, once accepted.
    pub eta_secs: Option<u32>,
    /// In a storm, the incidents this unit was given together, in the order it takes them
    /// (this one among them: car k of n); absent for a page of one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<i64>)]
    pub queue: Vec<IncidentId>,
}

/// What the crew does next on an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CrewNext {
    /// The action, as its path under `/api/v1/crew/incidents/{id}/`: `accept` (or
    /// `decline`), `en-route`, `on-scene` or `released`.
    pub action: String,
    /// When it is due: the acknowledgement for `accept`, the arrival deadline for `en-route`
    /// and `on-scene`, the release deadline for `released`; absent when no clock runs for it.
    pub due: Option<DateTime<Utc>>,
}

/// What `unit`'s crew is shown of `view`.
pub fn crew_view(view: IncidentView, unit: UnitId) -> CrewView {
    // The unit's latest page, as the desk finds it: the last step that paged it, its last page.
    let own = view
        .steps
        .iter()
        .flat_map(|s| s.pages.iter().map(move |p| (s.step.as_str(), p)))
        .rfind(|(_, p)| p.unit == unit);
    let next = own.and_then(|(step, p)| next(&view, step, p));
    let page = own.map(|(_, p)| CrewPage {
        state: p.state.clone(),
        sent_at: p.sent_at,
        ack_due: p.ack_due,
        eta_secs: p.eta_secs,
        queue: p.queue.clone(),
    });
    CrewView {
        id: view.id,
        status: view.status,
        opened_at: view.opened_at,
        lift: view.lift,
        kind: view.kind,
        flags: view.flags,
        floor: view.floor,
        trapped: view.trapped,
        released_at: view.released_at,
        page,
        next,
    }
}

/// The action the page's state leaves to the crew, and the breach deadline of its step's
/// clock for it.
fn next(view: &IncidentView, step: &str, page: &PageView) -> Option<CrewNext> {
    if view.status.is_terminal() {
        return None;
    }
    let (action, clock) = match page.state.as_str() {
        "pending" => return Some(next_at("accept", Some(page.ack_due))),
        "accepted" => ("en-route", "arrive"),
        "en_route" => ("on-scene", "arrive"),
        "on_scene" => ("released", "release"),
        _ => return None,
    };
    let due = view
        .clocks
        .iter()
        .filter(|c| c.kind == clock && c.phase == "breach" && c.step.as_deref() == Some(step))
        .map(|c| c.due)
        .min();
    Some(next_at(action, due))
}

fn next_at(action: &str, due: Option<DateTime<Utc>>) -> CrewNext {
    CrewNext {
        action: action.to_owned(),
        due,
    }
}

/// What a crew's tap answers it of the events it caused: its own (the tap, its duty), not the
/// desk's decisions that followed, which name other units (the next one paged after a decline,
/// those stood down after an accept, the units a search saw).
pub fn crew_events(unit: UnitId, events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .filter(|e| e.actor == Actor::Unit(unit))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{M_NEAR, M_OTHER_CO, World};
    use super::super::view::incident_view;
    use super::*;
    use crate::dispatch::CrewAction;

    #[test]
    fn a_crew_sees_its_own_page_and_nothing_of_other_units() {
        let mut w = World::new();
        let id = w.entrapment();
        let view = incident_view(&w.state, id, w.now).unwrap();
        assert!(!view.candidates.is_empty(), "the console has candidates");
        let ack_due = view.steps[0].pages[0].ack_due;
        let v = crew_view(view, M_NEAR);
        assert_eq!(v.id, id);
        assert_eq!(v.floor.as_deref(), Some("7"));
        let page = v.page.as_ref().unwrap();
        assert_eq!((page.state.as_str(), page.ack_due), ("pending", ack_due));
        assert_eq!(v.next, Some(next_at("accept", Some(ack_due))));
        let json = serde_json::to_value(&v).unwrap();
        for key in [
            "steps",
            "candidates",
            "clocks",
            "breaches",
            "chain",
            "level",
        ] {
            assert!(json.get(key).is_none(), "{key} is the console's: {json}");
        }
        // Nothing names another unit: no unit ids at all in what the crew gets.
        assert!(!json.to_string().contains("\"unit\""), "{json}");
    }

    #[test]
    fn a_crew_not_paged_has_no_page_and_nothing_to_do() {
        let mut w = World::new();
        let id = w.entrapment();
        let v = crew_view(incident_view(&w.state, id, w.now).unwrap(), M_OTHER_CO);
        assert_eq!((v.page, v.next), (None, None));
    }

    #[test]
    fn after_accepting_the_crew_is_due_on_scene_by_the_arrival_breach() {
        let mut w = World::new();
        let id = w.entrapment();
        w.accept(M_NEAR, id, 600);
        let view = incident_view(&w.state, id, w.now).unwrap();
        let step = view.steps[0].step.clone();
        let breach = view
            .clocks
            .iter()
            .find(|c| c.kind == "arrive" && c.phase == "breach" && c.step == Some(step.clone()))
            .map(|c| c.due);
        assert!(breach.is_some(), "{:?}", view.clocks);
        let v = crew_view(view, M_NEAR);
        assert_eq!(v.page.as_ref().unwrap().eta_secs, Some(600));
        assert_eq!(v.next, Some(next_at("en-route", breach)));
        w.crew(M_NEAR, id, CrewAction::OnScene).unwrap();
        let v = crew_view(incident_view(&w.state, id, w.now).unwrap(), M_NEAR);
        assert_eq!(v.next.as_ref().map(|n| n.action.as_str()), Some("released"));
        w.crew(M_NEAR, id, CrewAction::Released).unwrap();
        let v = crew_view(incident_view(&w.state, id, w.now).unwrap(), M_NEAR);
        assert_eq!(v.page.unwrap().state, "released");
        assert_eq!(v.next, None, "nothing left to the crew");
    }

    #[test]
    fn a_crew_that_declines_is_answered_its_decline_and_not_who_is_paged_next() {
        let mut w = World::new();
        let id = w.entrapment();
        let events = w.decline(M_NEAR, id, "another job");
        assert!(
            events
                .iter()
                .any(|e| matches!(e.kind, crate::domain::EventKind::UnitPaged { .. })),
            "the desk pages the next unit: {events:?}"
        );
        let own = crew_events(M_NEAR, events);
        assert!(!own.is_empty(), "the decline itself");
        let json = serde_json::to_string(&own).unwrap();
        assert!(
            !json.contains("unit_paged") && !json.contains("seen"),
            "{json}"
        );
        assert!(own.iter().all(|e| e.actor == Actor::Unit(M_NEAR)));
    }
}
