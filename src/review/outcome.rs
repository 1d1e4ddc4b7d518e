//! How an incident ended and which of its deadlines were missed: the two classifications the
//! search filters on and the statistics count (see `review::facts`).

use serde::{Deserialize, Serialize};

/// How an incident ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Still running, passengers not yet reported out.
    Open,
    /// The passengers are out (reported by a crew or confirmed by the operator).
    Released,
    /// Closed without a release on the record (e.g. a fault with nobody inside).
    Closed,
    /// Marked a false alarm by an operator.
    FalseAlarm,
    /// Called off by an operator.
    Cancelled,
}

impl Outcome {
    /// The snake_case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Released => "released",
            Self::Closed => "closed",
            Self::FalseAlarm => "false_alarm",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Open,
            Self::Released,
            Self::Closed,
            Self::FalseAlarm,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// A kind of deadline that can be missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreachKind {
    /// A page not acknowledged in time.
    Acknowledge,
    /// Not on scene in time.
    Arrive,
    /// Passengers not released in time after arrival.
    Release,
    /// The operator's callback not made in time.
    Confirm,
}

impl BreachKind {
    /// Every kind, in the order of the lifecycle.
    pub const ALL: [BreachKind; 4] = [
        BreachKind::Acknowledge,
        BreachKind::Arrive,
        BreachKind::Release,
        BreachKind::Confirm,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Arrive => "arrive",
            Self::Release => "release",
            Self::Confirm => "confirm",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Its bit in [`IncidentFacts::breach_mask`].
    pub fn bit(self) -> i64 {
        1 << (self as i64)
    }
}
