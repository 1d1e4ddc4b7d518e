//! What the desk tells about itself at any moment: counts for the board and `/metrics`, and
//! the supervised equipment with a fault.

use crate::dispatch::DeskState;
use crate::domain::{Equipment, IncidentStatus, LiftId};
use chrono::{DateTime, Utc};

/// A piece of alarm equipment with a fault, for the operator's list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct EquipmentFault {
    /// Which equipment.
    pub equipment: Equipment,
    /// Its lift, if known.
    #[schema(value_type = Option<i64>)]
    pub lift: Option<LiftId>,
    /// What is wrong.
    pub fault: String,
    /// Since when.
    pub since: DateTime<Utc>,
    /// The last cabin-phone test call, if any.
    pub last_test: Option<DateTime<Utc>>,
}

/// Counts the desk can give at any moment.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DeskStats {
    /// Incidents held, by status.
    pub by_status: std::collections::BTreeMap<IncidentStatus, usize>,
    /// Units held, and how many of them may be paged now.
    pub units: usize,
    /// Units on duty and free.
    pub units_available: usize,
    /// Supervised alarm equipment with a fault.
    pub equipment_faults: usize,
    /// The earliest pending deadline.
    pub next_due: Option<DateTime<Utc>>,
}

impl DeskStats {
    pub(super) fn of(state: &DeskState) -> Self {
        let mut by_status = std::collections::BTreeMap::new();
        for i in state.incidents.values() {
            *by_status.entry(i.status).or_insert(0) += 1;
        }
        let units_available = state
            .units
            .values()
            .filter(|u| u.unit.on_duty && u.held_by.is_empty())
            .count();
        let equipment_faults = state
            .equipment
            .values()
            .filter(|e| e.fault.is_some())
            .count();
        DeskStats {
            by_status,
            units: state.units.len(),
            units_available,
            equipment_faults,
            next_due: state.next_due(),
        }
    }
}
