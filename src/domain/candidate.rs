//! What a search for units answers with, as the log keeps it: the units chosen with their
//! distance, ETA and why, and those looked at and passed over. The index computes them; the
//! events carry them.

use super::event::IncidentId;
use super::{CompanyId, Fix, LatLon, UnitId, UnitKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A chosen unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Candidate {
    /// Which unit.
    pub unit: UnitId,
    /// Great-circle distance from the lift, metres.
    pub distance_m: f64,
    /// Estimated travel time, seconds (from its base: with the travel model's turnout added).
    pub eta_secs: u32,
    /// When its last position fix was taken; `None`: it never reported one (chosen from its
    /// base).
    pub fix_taken: Option<DateTime<Utc>>,
    /// Chosen at its base because it had no fresh fix: distance and ETA are from the base.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_base: bool,
    /// Why it was chosen, in words.
    pub why: String,
}

/// Why a unit that was looked at was not chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[derive(utoipa::ToSchema)]
pub enum PassReason {
    /// Its last fix is older than the freshness limit.
    StalePosition {
        /// When the fix was taken.
        fix_taken: DateTime<Utc>,
    },
    /// The query excluded it (e.g. this step already paged it).
    Excluded,
    /// Further than the step's radius.
    BeyondRadius,
}

/// A unit looked at and passed over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PassedOver {
    /// Which unit.
    pub unit: UnitId,
    /// Its distance from the lift, metres (from its base when `from_base`).
    pub distance_m: f64,
    /// Looked at at its base, having no fresh fix.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_base: bool,
    /// Why.
    pub why: PassReason,
}

/// What a decision to page read from outside its incident: the units a search's answer names
/// (chosen and passed over) as the index held them then, or the unit an operator assigned as
/// the desk knew it. Kept on the decision's first event so that replaying it never reads
/// today's registry or positions (see `dispatch::replay`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Seen {
    /// The units, in the answer's order (chosen nearest first, then those passed over).
    pub units: Vec<SeenUnit>,
    /// Units of the wanted kind (and company) that were off duty, busy or had no position.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unavailable: u32,
    /// Units passed over beyond those the answer lists (it keeps the nearest 32); a decision
    /// with any cannot be replayed exactly, since their positions were not kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unlisted: u32,
}

/// One unit as a decision saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeenUnit {
    /// Which unit.
    pub unit: UnitId,
    /// Its kind.
    pub kind: UnitKind,
    /// Its company.
    pub company: CompanyId,
    /// Its last live fix, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
    /// Its base, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<LatLon>,
    /// Passed over because another incident paged it earlier in the same decision.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub taken_elsewhere: bool,
    /// For an operator's assignment: the other incidents holding it then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub busy: Vec<IncidentId>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}
