//! The simulated operator's hand assignments: today's practice when the chains run out of
//! units. The console lists the incidents that asked for a person's decision, oldest first; as
//! soon as a maintainer or fire/rescue crew is free, the operator sends the nearest one to the
//! incident that asked first (first come, first served), by hand (`OperatorAction::Assign`).
//!
//! An incident of an active storm waits for the storm's solve, not for the operator: in storm
//! mode the operator assigns nothing while the storm lasts. Once a storm has ended, the
//! incidents it left waiting are paged one at a time again, as on a normal day, and those that
//! find nobody are the operator's again.

use super::crew::Crew;
use crate::dispatch::DeskState;
use crate::domain::{IncidentId, UnitId};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// What the operator writes on the record of each hand assignment.
pub(super) const REASON: &str =
    "simulated operator: nearest free unit to the incident that asked first";

/// The next hand assignment: the first incident of `waiting` still waiting for a rescuer and
/// the nearest free rescuer to its lift. Incidents that no longer wait for the operator
/// (released, ended, holding a maintainer or fire/rescue page, or in an active storm) leave
/// the list; one asking again joins it again. `None`: nobody waits, or no
/// rescuer is free.
pub(super) fn next(
    waiting: &mut Vec<IncidentId>,
    state: &DeskState,
    crews: &BTreeMap<UnitId, Crew>,
    now: DateTime<Utc>,
) -> Option<(IncidentId, UnitId)> {
    waiting.retain(|id| still_waiting(*id, state, crews));
    let id = *waiting.first()?;
    let lift = state.incidents.get(&id)?.lift.as_ref()?.position;
    let unit = crews
        .iter()
        .filter(|(u, c)| c.rescuer() && c.idle() && free(state, **u))
        .map(|(u, c)| (c.position(now).distance_m(lift), *u))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))?
        .1;
    Some((id, unit))
}

/// On duty and held by no incident, as the desk sees it.
fn free(state: &DeskState, unit: UnitId) -> bool {
    state
        .units
        .get(&unit)
        .is_some_and(|u| u.unit.on_duty && u.held_by.is_empty())
}

fn still_waiting(id: IncidentId, state: &DeskState, crews: &BTreeMap<UnitId, Crew>) -> bool {
    let Some(i) = state.incidents.get(&id) else {
        return false;
    };
    if i.status.is_terminal() || i.released_at.is_some() || i.lift.is_none() {
        return false;
    }
    let in_storm = i.storm.as_ref().is_some_and(|(n, _)| {
        state
            .storm
            .storms
            .get(n)
            .is_some_and(|s| s.ended_at.is_none())
    });
    if in_storm {
        return false; // the solve serves it
    }
    !i.held_units()
        .any(|u| crews.get(&u).is_some_and(Crew::rescuer))
}
