//! The console's storm view: each storm the desk holds, its open incidents grouped by street
//! and building, most urgent first, with their triage now and the unit each has.

use super::super::incident::Incident;
use super::super::state::DeskState;
use super::super::view::StormMark;
use super::triage;
use crate::domain::storm::{StormArea, StormTrigger, Triage};
use crate::domain::{IncidentId, IncidentStatus, UnitId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Every storm the desk holds, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StormsView {
    /// The storms.
    pub storms: Vec<StormView>,
}

/// One storm.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StormView {
    /// Its number.
    pub id: u32,
    /// Where.
    pub area: StormArea,
    /// What declared it.
    pub trigger: StormTrigger,
    /// When.
    pub declared_at: DateTime<Utc>,
    /// When it ended (null: on).
    pub ended_at: Option<DateTime<Utc>>,
    /// Open incidents in it.
    pub open: usize,
    /// Of which waiting for a unit.
    pub waiting: usize,
    /// Its open incidents by street, the most urgent street first.
    pub streets: Vec<StreetView>,
}

/// One street of a storm.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StreetView {
    /// The street (empty when the registry has none).
    pub street: String,
    /// Its buildings, the most urgent first.
    pub buildings: Vec<BuildingView>,
}

/// One building (an address) of a storm.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BuildingView {
    /// The address.
    pub address: String,
    /// The use unit's duty phone, for the operator to call the property staff.
    pub use_unit_phone: Option<String>,
    /// Its incidents, in priority order.
    pub incidents: Vec<StormIncident>,
}

/// One incident of a storm.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StormIncident {
    /// The incident.
    #[schema(value_type = i64)]
    pub id: IncidentId,
    /// The lift's rescue code.
    pub rescue_code: String,
    /// The car ("Block 3, Unit 2, Car A").
    pub building: String,
    /// Where it stands.
    pub status: IncidentStatus,
    /// Tier (0: special case), score and reasons, now.
    pub triage: Triage,
    /// Seconds since it opened.
    pub waiting_secs: i64,
    /// Waiting for the solve to give it a unit.
    pub waiting: bool,
    /// The maintainer (or, failing one, fire/rescue unit) paged or on the way, if any.
    #[schema(value_type = Option<i64>)]
    pub unit: Option<UnitId>,
    /// The unit's name.
    pub unit_name: Option<String>,
    /// The cars that unit was given together, in order, when more than this one.
    #[schema(value_type = Vec<i64>)]
    pub queue: Vec<IncidentId>,
}

/// An incident's storm mark at `now`.
pub fn mark(state: &DeskState, i: &Incident, now: DateTime<Utc>) -> Option<StormMark> {
    let (storm, recorded) = i.storm.as_ref()?;
    let active = state
        .storm
        .storms
        .get(storm)
        .is_some_and(|s| s.ended_at.is_none());
    let triage = match &state.rules.storm {
        Some(r) if active => triage::triage(r, i, now),
        _ => recorded.clone(),
    };
    let waiting = super::waiting(i, |_| active).is_some();
    Some(StormMark {
        storm: *storm,
        active,
        waiting,
        triage,
    })
}

/// The desk's storms at `now`.
pub fn storms_view(state: &DeskState, now: DateTime<Utc>) -> StormsView {
    let mut of: BTreeMap<u32, Vec<(&Incident, StormMark)>> = BTreeMap::new();
    for i in state.incidents.values() {
        if i.status.is_terminal() {
            continue;
        }
        if let Some(m) = mark(state, i, now) {
            of.entry(m.storm).or_default().push((i, m));
        }
    }
    let storms = state.storm.storms.values().rev().map(|s| {
        let mut mine = of.remove(&s.id).unwrap_or_default();
        mine.sort_by(|a, b| {
            triage::order((&a.1.triage, a.0.opened_at), (&b.1.triage, b.0.opened_at))
                .then(a.0.id.cmp(&b.0.id))
        });
        let waiting = mine.iter().filter(|(_, m)| m.waiting).count();
        StormView {
            id: s.id,
            area: s.area.clone(),
            trigger: s.trigger.clone(),
            declared_at: s.declared_at,
            ended_at: s.ended_at,
            open: mine.len(),
            waiting,
            streets: group(state, mine, now),
        }
    });
    StormsView {
        storms: storms.collect(),
    }
}

/// Groups incidents (in priority order) by street, then address, keeping first-seen order.
fn group(
    state: &DeskState,
    mine: Vec<(&Incident, StormMark)>,
    now: DateTime<Utc>,
) -> Vec<StreetView> {
    let mut streets: Vec<StreetView> = Vec::new();
    for (i, m) in mine {
        let Some(l) = &i.lift else { continue };
        let street = l.street.clone().unwrap_or_default();
        let si = match streets.iter().position(|s| s.street == street) {
            Some(n) => n,
            None => {
                streets.push(StreetView {
                    street,
                    buildings: vec![],
                });
                streets.len() - 1
            }
        };
        let bs = &mut streets[si].buildings;
        let bi = match bs.iter().position(|b| b.address == l.address) {
            Some(n) => n,
            None => {
                bs.push(BuildingView {
                    address: l.address.clone(),
                    use_unit_phone: l.use_unit_phone.as_ref().map(|p| p.to_string()),
                    incidents: vec![],
                });
                bs.len() - 1
            }
        };
        let page = i
            .tracks
            .values()
            .flat_map(|t| t.pages.iter().map(move |p| (t, p)))
            .filter(|(t, p)| {
                p.holds_unit() && t.step.page.unit_kind() != crate::domain::UnitKind::PropertyStaff
            })
            .min_by_key(|(t, _)| t.step.page.unit_kind() != crate::domain::UnitKind::Maintainer)
            .map(|(_, p)| p);
        bs[bi].incidents.push(StormIncident {
            id: i.id,
            rescue_code: l.rescue_code.to_string(),
            building: l.building.clone(),
            status: i.status,
            triage: m.triage,
            waiting_secs: (now - i.opened_at).num_seconds().max(0),
            waiting: m.waiting,
            unit: page.map(|p| p.unit),
            unit_name: page
                .and_then(|p| state.units.get(&p.unit))
                .map(|u| u.unit.name.clone()),
            queue: page.map(|p| p.queue.clone()).unwrap_or_default(),
        });
    }
    streets
}
