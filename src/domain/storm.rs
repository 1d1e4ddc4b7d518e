//! Storm mode's vocabulary: the area a storm covers, what declared or ended it, an incident's
//! triage, and the storm rules as the dispatch core uses them (checked and loaded by
//! `crate::rules::storm`).
//!
//! A storm is many entrapments starting together in one area (a blackout). While it lasts the
//! desk triages its incidents and assigns units to them together (`crate::dispatch::storm`).

use super::chain::Dur;
use super::{AdminCode, LatLon, Lift};
use serde::{Deserialize, Serialize};

/// The area a storm covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum StormArea {
    /// A street (街道) of a district, as the registry names it.
    Street {
        /// The district.
        district: AdminCode,
        /// The street's name.
        #[schema(min_length = 1, max_length = 64)]
        street: String,
    },
    /// A whole district.
    District {
        /// The district.
        district: AdminCode,
    },
    /// A circle around a point.
    Radius {
        /// Its centre (WGS-84).
        center: LatLon,
        /// Its radius, metres.
        #[schema(minimum = 50, maximum = 50000)]
        radius_m: f64,
    },
}

impl StormArea {
    /// Whether the lift stands in the area.
    pub fn contains(&self, lift: &Lift) -> bool {
        match self {
            Self::Street { district, street } => {
                lift.district == *district && lift.street.as_deref() == Some(street.as_str())
            }
            Self::District { district } => lift.district == *district,
            Self::Radius { center, radius_m } => lift.position.distance_m(*center) <= *radius_m,
        }
    }

    /// The area a lift's entrapments are counted in for detection: its street, or its
    /// district when the registry has no street for it.
    pub fn of_lift(lift: &Lift) -> StormArea {
        match &lift.street {
            Some(street) => Self::Street {
                district: lift.district,
                street: street.clone(),
            },
            None => Self::District {
                district: lift.district,
            },
        }
    }
}

impl std::fmt::Display for StormArea {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Street { district, street } => write!(f, "street {street} of {district}"),
            Self::District { district } => write!(f, "district {district}"),
            Self::Radius { center, radius_m } => write!(
                f,
                "{radius_m:.0} m around {:.5},{:.5}",
                center.lat, center.lon
            ),
        }
    }
}

/// What declared a storm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum StormTrigger {
    /// The rules: this many new entrapments in the area within this long.
    Rule {
        /// Entrapments counted.
        entrapments: u32,
        /// Over this many seconds.
        within_secs: u64,
    },
    /// An operator, with a reason.
    Operator {
        /// The operator's user name.
        user: String,
        /// Why.
        reason: String,
    },
}

/// What ended a storm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum StormEnd {
    /// The rules: no new entrapment in the area for this many seconds.
    Rule {
        /// Quiet seconds.
        quiet_secs: u64,
    },
    /// An operator, with a reason.
    Operator {
        /// The operator's user name.
        user: String,
        /// Why.
        reason: String,
    },
}

/// An incident's place in a storm's order: lower tier first, then higher score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Triage {
    /// 0 for a special case (a person ill, a child alone, smoke or water), 1 otherwise.
    pub tier: u8,
    /// Points within the tier (between floors, minutes trapped, the building's use).
    pub score: i64,
    /// Why, one reason a point source, in words an operator reads.
    pub reasons: Vec<String>,
    /// The same reasons as codes, for a console to put in the operator's language: their
    /// points sum to `score`. Absent in triages logged before the codes were kept (their
    /// stored bodies stay as written: the hash chain covers them, and an event read back
    /// serialises to the very same text), which show `reasons` instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub why: Vec<TriageReason>,
}

/// One reason of a triage, coded: what earned the points and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum TriageReason {
    /// A special case: the rules' `special` alarm flags raised (tier 0, no points).
    Special {
        /// The flags (`person_ill`, `child_alone`, `smoke_or_water`).
        flags: Vec<String>,
    },
    /// The car stopped between floors.
    BetweenFloors {
        /// Points added.
        points: i64,
    },
    /// Whole minutes trapped.
    Trapped {
        /// Minutes since the incident opened.
        minutes: i64,
        /// Points added.
        points: i64,
    },
    /// A building the rules put ahead: the lift's address or building name holds one of its
    /// words.
    Place {
        /// The place's name in the rules (`hospital`, `care_home`, `school`, or another the
        /// rules name).
        name: String,
        /// The word found.
        word: String,
        /// Points added.
        points: i64,
    },
    /// Nothing puts it ahead: served in order of waiting time.
    Ordinary,
}

impl TriageReason {
    /// The points it adds to the score.
    pub fn points(&self) -> i64 {
        match self {
            Self::BetweenFloors { points }
            | Self::Trapped { points, .. }
            | Self::Place { points, .. } => *points,
            Self::Special { .. } | Self::Ordinary => 0,
        }
    }
}

impl std::fmt::Display for TriageReason {
    /// In words an operator reads (the text of [`Triage::reasons`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Special { flags } => write!(
                f,
                "special case ({}): ahead of every other entrapment",
                flags.join(", ")
            ),
            Self::BetweenFloors { points } => write!(f, "car between floors +{points}"),
            Self::Trapped { minutes, points } => write!(f, "trapped {minutes} min +{points}"),
            Self::Place { name, word, points } => write!(f, "{name} ({word}) +{points}"),
            Self::Ordinary => f.write_str("ordinary entrapment: served in order of waiting time"),
        }
    }
}

/// A kind of building the rules put ahead: lifts whose address or building name holds one of
/// its words (e.g. "医院", "Hospital") get its points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Place {
    /// Its name in the rules (`hospital`, `care_home`, `school`).
    pub name: String,
    /// Words that name it in an address or building name.
    pub words: Vec<String>,
    /// Points it adds.
    pub points: i64,
}

/// `storm.toml`, checked: when a storm is declared, how its incidents are triaged, how units
/// are assigned to them, and how cars are batched to one crew.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StormRules {
    /// What the file is for.
    pub description: String,
    /// Entrapments in one area (street, or district without a street) that declare a storm …
    pub entrapments: u32,
    /// … within this long.
    #[schema(value_type = String)]
    pub within: Dur,
    /// A storm ends when no new entrapment opened in its area for this long.
    #[schema(value_type = String)]
    pub quiet: Dur,
    /// The solve runs at least this often while incidents wait (and at once for a special case).
    #[schema(value_type = String)]
    pub every: Dur,
    /// Nearest eligible units offered to each waiting incident.
    pub candidates: u32,
    /// Only the lift's own maintenance company until its incident has waited this long, then
    /// any maintainer (mutual aid).
    #[schema(value_type = String)]
    pub mutual_aid_after: Dur,
    /// The own company comes first only with a crew that can be there within this long;
    /// beyond it, any maintainer at once (`None`: however long).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub own_company_within: Option<Dur>,
    /// Expected time on site per rescue: a queued car waits for the ones before it.
    #[schema(value_type = String)]
    pub on_site: Dur,
    /// An unassigned incident is counted as waiting this long (the solve's horizon).
    #[schema(value_type = String)]
    pub horizon: Dur,
    /// Cars within this walk of each other go to one crew as a queue, metres.
    pub batch_walk_m: f64,
    /// The longest queue one crew is given.
    pub max_queue: u32,
    /// Alarm flags that make an incident a special case (tier 0).
    pub special: Vec<String>,
    /// Points for a car stopped between floors.
    pub between_floors: i64,
    /// Points for each whole minute trapped.
    pub per_minute_trapped: i64,
    /// Buildings put ahead.
    pub places: Vec<Place>,
}

/// One job of a storm's solve, as recorded: its incidents (several cars batched to one crew,
/// in queue order), tier and weight, and the units offered with their time to arrival.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SolveJob {
    /// The incidents, in the order the crew is to take them.
    #[schema(value_type = Vec<i64>)]
    pub incidents: Vec<super::IncidentId>,
    /// `maintainer` or `fire_rescue`.
    pub kind: super::UnitKind,
    /// 0 for a special case, 1 otherwise.
    pub tier: u8,
    /// Priority weight (10 + the triage score, summed over the batch).
    pub weight: u32,
    /// Offered units and their seconds to arrival (travel, plus the queue's weighted wait).
    pub offers: Vec<SolveOffer>,
}

/// A unit offered to a job of a solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SolveOffer {
    /// The unit.
    #[schema(value_type = i64)]
    pub unit: super::UnitId,
    /// Its seconds to arrival.
    pub secs: u32,
}

/// What a solve chose for one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SolveChoice {
    /// The job's index in the solve's `jobs`.
    pub job: u32,
    /// The unit.
    #[schema(value_type = i64)]
    pub unit: super::UnitId,
    /// Its seconds to arrival, as offered.
    pub secs: u32,
    /// weight × seconds.
    pub cost: i64,
}
