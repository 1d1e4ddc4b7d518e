//! The rules as the dispatch core uses them: checked, resolved, immutable. Loading and
//! checking them is the `rules` module's; the model is vocabulary, because the log's events carry
//! a chain snapshot and a rules version.
//!
//! A [`ChainSnapshot`] is copied onto each incident when it opens (it is part of the
//! `IncidentOpened` event), so editing `dispatch-rules/` never changes an incident in flight.

use super::UnitKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A duration written the human way in rules files ("90s", "3m", "1h 30m").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dur(pub Duration);

impl Dur {
    /// Parses "3m", "90s", "1h 30m"; zero and sub-second durations are refused.
    pub fn parse(s: &str) -> Result<Self, String> {
        let d = humantime::parse_duration(s.trim()).map_err(|e| {
            format!("invalid duration {s:?}: {e} (write e.g. \"90s\", \"3m\", \"1h 30m\")")
        })?;
        if d < Duration::from_secs(1) {
            return Err(format!("duration {s:?} must be at least 1s"));
        }
        Ok(Self(d))
    }
    /// As a chrono delta, for adding to timestamps.
    pub fn delta(self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.0).unwrap_or(chrono::TimeDelta::MAX)
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Serialize for Dur {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Dur::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The content hash of a rules folder: `sha256:` and 64 hex digits over every file's name and bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RulesVersion(pub String);

impl RulesVersion {
    /// The first 12 hex digits, for display.
    pub fn short(&self) -> &str {
        let hex = self.0.strip_prefix("sha256:").unwrap_or(&self.0);
        &hex[..hex.len().min(12)]
    }
}

impl fmt::Display for RulesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whom a step pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Maintainers of the lift's contracted maintenance company (level 1).
    ContractedMaintainer,
    /// Property staff of the lift's use unit.
    PropertyStaff,
    /// Any maintainer of any company (mutual aid, level 2).
    AnyMaintainer,
    /// Fire/rescue units (level 3).
    FireRescue,
}

impl Target {
    /// The snake_case name used in rules files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ContractedMaintainer => "contracted_maintainer",
            Self::PropertyStaff => "property_staff",
            Self::AnyMaintainer => "any_maintainer",
            Self::FireRescue => "fire_rescue",
        }
    }

    /// The unit kind this target pages.
    pub fn unit_kind(self) -> UnitKind {
        match self {
            Self::ContractedMaintainer | Self::AnyMaintainer => UnitKind::Maintainer,
            Self::PropertyStaff => UnitKind::PropertyStaff,
            Self::FireRescue => UnitKind::FireRescue,
        }
    }
}

/// A party that is told, not paged: it takes no action in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The district emergency management bureau (应急管理局).
    EmergencyManagementBureau,
    /// The district market supervision bureau (市场监管局).
    MarketSupervisionBureau,
}

/// What happens when a paged unit does not acknowledge in time, or declines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMiss {
    /// Page the next nearest candidate of the same step (until `max_pages`).
    #[default]
    NextCandidate,
    /// Give up on this step and start its `on_exhausted` step.
    Escalate,
}

/// A deadline with an optional earlier warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// When the deadline is breached, from its anchor.
    pub limit: Dur,
    /// When the console is warned, from the same anchor; less than `limit`.
    pub warning: Option<Dur>,
}

/// Step ids are unique within a chain.
pub type StepId = String;

/// One step of a chain: whom to page, how many, and what its deadlines are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Its id in the chain, e.g. "contracted".
    pub id: StepId,
    /// Response level: 1 contracted maintainer and property, 2 mutual aid, 3 fire/rescue.
    pub level: u8,
    /// Whom it pages.
    pub page: Target,
    /// How many units must acknowledge (and are paged at once).
    pub count: u32,
    /// How many units this step may page in all (misses and declines included).
    pub max_pages: u32,
    /// Only candidates within this straight-line distance, in metres.
    pub radius_m: Option<f64>,
    /// May this step page a unit it already paged (after its other candidates ran out)?
    pub repeat: bool,
    /// Each page must be acknowledged within this, from when it was sent.
    pub acknowledge: Dur,
    /// What a missed acknowledgement does.
    pub on_no_ack: OnMiss,
    /// What a decline does.
    pub on_decline: OnMiss,
    /// The step started when this one runs out of candidates or pages (or escalates).
    pub on_exhausted: Option<StepId>,
    /// Arrival on scene, from the step's first page.
    pub arrive: Option<Deadline>,
    /// The step started when `arrive` is breached (in parallel: this one keeps going).
    pub on_arrive_breach: Option<StepId>,
    /// Parties told when any of this step's deadlines is breached.
    pub notify_on_breach: Vec<Party>,
    /// Parties told when this step starts.
    pub notify_on_start: Vec<Party>,
    /// Passengers released, from arrival on scene.
    pub release: Option<Deadline>,
}

/// A chain: the steps an incident runs through, some of them in parallel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    /// Its name in the rules file.
    pub name: String,
    /// Steps started together when the incident opens (parallel tracks).
    pub start: Vec<StepId>,
    /// Step started at once, in parallel, when an alarm joining the incident later reports a
    /// person ill, a child alone or smoke/water.
    pub on_urgent: Option<StepId>,
    /// The operator's callback confirming release, from the release.
    pub confirm: Option<Deadline>,
    /// Every step by id.
    pub steps: BTreeMap<StepId, Step>,
}

impl Chain {
    /// A step by id (ids are checked when the rules load).
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.get(id)
    }
}

/// Travel-time model: straight-line distance × detour factor ÷ speed of the unit's kind (plus
/// the turnout from a base).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TravelModel {
    /// Road distance ÷ straight-line distance (≥ 1).
    pub detour_factor: f64,
    /// Average speed in km/h for each unit kind.
    pub speed_kmh: BTreeMap<UnitKind, f64>,
    /// Seconds added to the travel time of a unit paged from its base (no fresh fix): a crew
    /// at its station or depot still has to get ready and out, one on the move does not.
    /// Absent from snapshots made before bases: none.
    #[serde(default)]
    pub base_turnout_secs: u32,
}

impl TravelModel {
    /// Estimated travel time in whole seconds for a unit of `kind` at `distance_m`.
    pub fn eta_secs(&self, kind: UnitKind, distance_m: f64) -> u32 {
        let kmh = self.speed_kmh.get(&kind).copied().unwrap_or(20.0).max(1.0);
        let secs = distance_m * self.detour_factor / (kmh / 3.6);
        secs.round().clamp(0.0, u32::MAX as f64) as u32
    }
}

/// Which chain an incident gets. All non-empty conditions must hold; empty means "any".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selector {
    /// The chain it selects.
    pub chain: String,
    /// Alarm kinds by rule name (`entrapment_at_landing`, …, `fault`).
    pub kinds: Vec<String>,
    /// Any of these alarm flags (`person_ill`, `child_alone`, `smoke_or_water`).
    pub alarm_flags_any: Vec<String>,
    /// Any of these lift flags (`no_property_management`, `no_maintenance_unit`, `no_repair_fund`).
    pub lift_flags_any: Vec<String>,
}

/// One rules file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesFile {
    /// The file name without `.toml`.
    pub name: String,
    /// What it is for, in a sentence.
    pub description: String,
    /// GB/T 2260 code prefixes it applies to ("50" = Chongqing); empty with `default`.
    pub regions: Vec<String>,
    /// Applies where no other file's region matches. Exactly one file in a folder is default.
    pub default: bool,
    /// After a release, alarms for the same lift still join the incident for this long.
    pub correlation_window: Dur,
    /// Positions older than this are not trusted for ranking.
    pub position_max_age: Dur,
    /// The travel-time model.
    pub travel: TravelModel,
    /// Chain selectors, first match wins; the last one matches everything.
    pub select: Vec<Selector>,
    /// Chains by name.
    pub chains: BTreeMap<String, Arc<Chain>>,
}

/// What an incident keeps of the rules: enough to run to the end without reading them again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainSnapshot {
    /// The rules folder's version when the incident opened.
    pub rules_version: RulesVersion,
    /// The file that applied.
    pub file: String,
    /// The chain, whole.
    pub chain: Arc<Chain>,
    /// The file's travel model.
    pub travel: TravelModel,
    /// The file's correlation window.
    pub correlation_window: Dur,
    /// The file's position freshness limit.
    pub position_max_age: Dur,
}
