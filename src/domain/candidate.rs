//! What a search for units answers with, as the log keeps it: the units chosen with their
//! distance, ETA and why, and those looked at and passed over. The index computes them; the
//! events carry them.

use super::UnitId;
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
