//! Incident events: the vocabulary of the event log.
//!
//! Every input, decision, page, acknowledgement, status change and operator action becomes one
//! [`Event`] carrying its actor, time, reason, the rule step that caused it and the rules
//! version. The dispatch core produces them; the log stores them; timelines, statistics and
//! state after a restart are read back from them. Nothing here is ever edited once written.

use super::alarm::LiftRef;
use super::alarm::{Alarm, AlarmSource};
use super::candidate::{Candidate, PassedOver, Seen};
use super::chain::{ChainSnapshot, Party, RulesVersion, Step};
use super::lift::{DeviceId, Lift, LiftId, PhoneNumber};
use super::unit::UnitId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

id_type!(
    /// Incident id, allocated by the desk in order.
    IncidentId
);

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "incident {}", self.0)
    }
}

/// Where an incident stands. The order is the lifecycle's; `Cancelled` and `FalseAlarm` end it
/// early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum IncidentStatus {
    /// Opened, nobody paged yet.
    Reported,
    /// At least one unit paged.
    Dispatched,
    /// A unit accepted.
    Acknowledged,
    /// A unit is on its way.
    EnRoute,
    /// A unit is at the lift.
    OnScene,
    /// The passengers are out.
    Released,
    /// The operator's callback confirmed the release.
    Confirmed,
    /// Done.
    Closed,
    /// Called off by an operator, with a reason.
    Cancelled,
    /// Found to be a false alarm by an operator, with a reason.
    FalseAlarm,
}

impl IncidentStatus {
    /// The snake_case name used in the API and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Dispatched => "dispatched",
            Self::Acknowledged => "acknowledged",
            Self::EnRoute => "en_route",
            Self::OnScene => "on_scene",
            Self::Released => "released",
            Self::Confirmed => "confirmed",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
            Self::FalseAlarm => "false_alarm",
        }
    }

    /// Closed, cancelled or a false alarm: nothing more happens.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Closed | Self::Cancelled | Self::FalseAlarm)
    }
}

/// A crew's progress on an accepted page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum CrewStatus {
    /// Accepted the page.
    Accepted,
    /// On the way.
    EnRoute,
    /// At the lift.
    OnScene,
    /// Passengers released.
    Released,
}

impl CrewStatus {
    /// The snake_case name used in the API and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::EnRoute => "en_route",
            Self::OnScene => "on_scene",
            Self::Released => "released",
        }
    }
}

/// A piece of a lift's alarm equipment the dispatcher supervises.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum Equipment {
    /// An IoT terminal, by device id.
    Terminal(DeviceId),
    /// An EN 81-28 cabin emergency phone, by its caller number.
    Phone(PhoneNumber),
}

impl fmt::Display for Equipment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Terminal(d) => write!(f, "terminal {d}"),
            Self::Phone(p) => write!(f, "cabin phone {p}"),
        }
    }
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
#[derive(utoipa::ToSchema)]
pub enum Actor {
    /// The dispatcher itself (a rule or a deadline).
    System,
    /// An alarm source.
    Source(AlarmSource),
    /// A console operator, by user name.
    Operator(String),
    /// A crew, by unit.
    Unit(UnitId),
}

/// Which deadline a warning or breach is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "deadline", content = "step")]
#[derive(utoipa::ToSchema)]
pub enum DeadlineKind {
    /// A step's units to be on scene, from the step's first page.
    Arrive(String),
    /// A step's release of the passengers, from its arrival.
    Release(String),
    /// The operator's confirming callback, from the release.
    Confirm,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[derive(utoipa::ToSchema)]
pub enum EventKind {
    /// A new alarm opened the incident; the chain and rules snapshot are kept from here on.
    IncidentOpened {
        /// The alarm as committed to the inbox.
        alarm: Alarm,
        /// The lift, or `None` when the source's reference could not be resolved.
        lift: Option<Box<Lift>>,
        /// The chain that will run, with the rules version.
        #[schema(value_type = Object)]
        chain: Box<ChainSnapshot>,
        /// What the incident's decisions keep of their inputs: absent (0) for incidents opened
        /// before they kept any, which cannot be replayed; [`REPLAY_FORMAT`] since.
        #[serde(default, skip_serializing_if = "is_zero")]
        replay_format: u16,
    },
    /// A further alarm for the same lift joined the incident (a "cleared" status is only logged).
    AlarmJoined {
        /// The alarm.
        alarm: Alarm,
    },
    /// A step started (a new parallel track of pages).
    StepStarted {
        /// The step as it will run (from the chain, or made up for an operator assignment).
        #[schema(value_type = Object)]
        step: Box<Step>,
    },
    /// A unit was paged.
    UnitPaged {
        /// Who, how far, ETA and why.
        candidate: Candidate,
        /// Units looked at and passed over before this one.
        passed_over: Vec<PassedOver>,
        /// When the acknowledgement is due.
        ack_due: DateTime<Utc>,
        /// What the search (or the operator's assignment) read, on the first page of a search.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen: Option<Box<Seen>>,
        /// In a storm, the cars this unit is given together, in the order it is to take them
        /// (this incident among them); empty for a page of one.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[schema(value_type = Vec<i64>)]
        queue: Vec<IncidentId>,
    },
    /// A step found nobody to page.
    NoCandidate {
        /// Why, with counts.
        why: String,
        /// What the search read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen: Option<Box<Seen>>,
    },
    /// A step gave up (out of candidates or pages, or its rule escalates).
    StepExhausted {
        /// The step started next, if the chain has one.
        next: Option<String>,
        /// What the search that found nobody read, when that is why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seen: Option<Box<Seen>>,
    },
    /// Escalation has nowhere left to go, or the lift is unknown: a person must act.
    NeedsOperator {
        /// What the operator should do.
        why: String,
    },
    /// Parties were told (not paged).
    PartiesNotified {
        /// Who.
        #[schema(value_type = Vec<String>)]
        parties: Vec<Party>,
    },
    /// A paged unit accepted.
    Accepted {
        /// Which unit.
        unit: UnitId,
        /// Its own estimate of the travel time, seconds.
        eta_secs: Option<u32>,
    },
    /// A paged unit declined.
    Declined {
        /// Which unit.
        unit: UnitId,
    },
    /// A page was not acknowledged in time.
    AckMissed {
        /// Which unit.
        unit: UnitId,
        /// When it was due (the event's time minus this is how late the deadline fired).
        due: DateTime<Utc>,
    },
    /// A page or assignment was ended by the dispatcher (step satisfied, passengers released,
    /// unit off duty, incident ended); the reason says which.
    PageCancelled {
        /// Which unit.
        unit: UnitId,
    },
    /// A crew moved on: en route, on scene, released.
    CrewProgress {
        /// Which unit.
        unit: UnitId,
        /// Its new status.
        status: CrewStatus,
    },
    /// A deadline is near.
    DeadlineWarning {
        /// Which.
        deadline: DeadlineKind,
        /// The warning time it fired for.
        due: DateTime<Utc>,
    },
    /// A deadline passed.
    DeadlineBreached {
        /// Which.
        deadline: DeadlineKind,
        /// The deadline it fired for.
        due: DateTime<Utc>,
    },
    /// A unit went on or off duty (or offline).
    UnitDuty {
        /// Which unit.
        unit: UnitId,
        /// On duty now?
        on_duty: bool,
    },
    /// A lift's alarm equipment is faulty: an IoT terminal went silent, or a cabin phone's alarm
    /// line is (no test call in time, a garbled packet, faults its test call reported). Never
    /// an entrapment, and it opens no incident.
    EquipmentFault {
        /// The lift it belongs to, if known.
        lift: Option<LiftId>,
        /// Which equipment.
        equipment: Equipment,
        /// What is wrong, in words.
        fault: String,
    },
    /// A lift's alarm equipment works again: heartbeats are back, or a cabin phone's test call
    /// came through without faults (`tested`).
    EquipmentOk {
        /// The lift it belongs to, if known.
        lift: Option<LiftId>,
        /// Which equipment.
        equipment: Equipment,
        /// A cabin-phone test call (the line supervision clock restarts).
        tested: bool,
    },
    /// A page's message on one channel: what the gateway answered, or what a delivery receipt
    /// or the crew's reply said. The channel that reached the unit is the first `delivered`.
    Delivery {
        /// The unit paged.
        unit: UnitId,
        /// The message's dedupe key, `{incident}:{step}:{unit}:{page_no}:{channel}:{n}`.
        message: String,
        /// `push`, `sms`, `voice` or `webhook`.
        channel: String,
        /// `sent`, `retrying`, `failed`, `unknown` (interrupted mid-send, not resent),
        /// `delivered` or `read`.
        status: String,
        /// The gateway's words: its message id, the error, the receipt.
        detail: String,
    },
    /// An operator note.
    Note {
        /// The text.
        text: String,
    },
    /// The operator's callback confirmed the passengers are out.
    ReleaseConfirmed,
    /// The cause of the fault, coded, filed after the repair.
    FaultCauseFiled {
        /// The cause code (from the platform's coded list).
        code: String,
        /// Free text.
        text: String,
    },
    /// Closed after the confirmed release.
    Closed {
        /// Whether the fault cause was filed before closing.
        fault_cause_filed: bool,
    },
    /// Called off; the reason is the event's reason.
    Cancelled,
    /// A false alarm; the reason is the event's reason.
    FalseAlarm,
    /// The operator identified the lift of an incident opened with its lift unresolved: from
    /// here on it runs the chain the rules select for that lift, snapshotted as at opening,
    /// and the operator's question is answered.
    LiftAttached {
        /// The lift, as the registry had it.
        lift: Box<Lift>,
        /// The chain that runs from here on, with the rules version.
        #[schema(value_type = Object)]
        chain: Box<ChainSnapshot>,
        /// The reference the operator identified it by.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<LiftRef>,
    },
    /// The running rules were replaced (`SIGHUP` or `POST /api/v1/rules/reload`): incidents
    /// opened from here on use `to`; open incidents keep the chain they snapshotted. Not about
    /// an incident. Replaying it changes no state: a restart loads the rules from their source.
    RulesReloaded {
        /// The version that was running.
        #[schema(value_type = String)]
        from: RulesVersion,
        /// The version running from now on.
        #[schema(value_type = String)]
        to: RulesVersion,
        /// `built-in`, or the rules folder's path.
        source: String,
        /// Who asked: `signal` (SIGHUP), or the admin token's label.
        by: String,
    },
    /// A storm was declared: the desk triages the area's entrapments and assigns units to
    /// them together until it ends. Not about one incident.
    StormDeclared {
        /// The storm's number (1, 2, … in the log).
        storm: u32,
        /// Where.
        area: super::storm::StormArea,
        /// What declared it.
        trigger: super::storm::StormTrigger,
    },
    /// A storm ended: its incidents are paged one at a time again.
    StormEnded {
        /// The storm.
        storm: u32,
        /// What ended it.
        why: super::storm::StormEnd,
    },
    /// An incident of a storm was given its place in the storm's order.
    IncidentTriaged {
        /// The storm.
        storm: u32,
        /// Its tier, score and reasons.
        triage: super::storm::Triage,
    },
    /// The storm's global assignment ran: what it was given and what it chose, so it replays.
    /// Not about one incident; the pages it led to follow on their incidents.
    StormSolved {
        /// The jobs waiting (one incident, or a building's cars for one crew), with the units
        /// offered to each.
        jobs: Vec<super::storm::SolveJob>,
        /// The solve's horizon, seconds.
        horizon_secs: u32,
        /// What it chose.
        assigned: Vec<super::storm::SolveChoice>,
    },
    /// The daily seal: the head of the log as it stood just before this row, written by the
    /// desk at the configured time (`review.seal_at`) so the bureau can keep the hash outside
    /// the system. Not about an incident; replaying it changes no dispatch state.
    LogSealed {
        /// The day sealed: the local date (in `review.seal_utc_offset`) the seal time fell on.
        #[schema(value_type = String, format = Date)]
        day: chrono::NaiveDate,
        /// The sequence of the row sealed (the log's head before this row).
        sealed_seq: i64,
        /// That row's hash.
        sealed_hash: String,
        /// When the seal was due.
        due: DateTime<Utc>,
        /// How late it was written, seconds (0: on time; more after the node was down).
        late_secs: i64,
    },
}

impl EventKind {
    /// The event's type name as it appears in JSON (`unit_paged`, `ack_missed`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::IncidentOpened { .. } => "incident_opened",
            Self::AlarmJoined { .. } => "alarm_joined",
            Self::StepStarted { .. } => "step_started",
            Self::UnitPaged { .. } => "unit_paged",
            Self::NoCandidate { .. } => "no_candidate",
            Self::StepExhausted { .. } => "step_exhausted",
            Self::NeedsOperator { .. } => "needs_operator",
            Self::PartiesNotified { .. } => "parties_notified",
            Self::Accepted { .. } => "accepted",
            Self::Declined { .. } => "declined",
            Self::AckMissed { .. } => "ack_missed",
            Self::PageCancelled { .. } => "page_cancelled",
            Self::CrewProgress { .. } => "crew_progress",
            Self::DeadlineWarning { .. } => "deadline_warning",
            Self::DeadlineBreached { .. } => "deadline_breached",
            Self::UnitDuty { .. } => "unit_duty",
            Self::EquipmentFault { .. } => "equipment_fault",
            Self::EquipmentOk { .. } => "equipment_ok",
            Self::Delivery { .. } => "delivery",
            Self::Note { .. } => "note",
            Self::ReleaseConfirmed => "release_confirmed",
            Self::FaultCauseFiled { .. } => "fault_cause_filed",
            Self::Closed { .. } => "closed",
            Self::Cancelled => "cancelled",
            Self::FalseAlarm => "false_alarm",
            Self::LiftAttached { .. } => "lift_attached",
            Self::RulesReloaded { .. } => "rules_reloaded",
            Self::LogSealed { .. } => "log_sealed",
            Self::StormDeclared { .. } => "storm_declared",
            Self::StormEnded { .. } => "storm_ended",
            Self::IncidentTriaged { .. } => "incident_triaged",
            Self::StormSolved { .. } => "storm_solved",
        }
    }
}

/// The [`EventKind::IncidentOpened`] `replay_format` of incidents whose decisions keep their
/// inputs (the units each search saw, the lift reference an operator attached by).
pub const REPLAY_FORMAT: u16 = 1;

fn is_zero(n: &u16) -> bool {
    *n == 0
}

/// One entry of the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    /// The incident it belongs to (`None` for unit events such as going off duty).
    pub incident: Option<IncidentId>,
    /// When it happened (the `now` the decision was taken at).
    pub at: DateTime<Utc>,
    /// Who caused it.
    pub actor: Actor,
    /// The rule step that caused it, if any.
    pub step: Option<String>,
    /// The rules version in force for the incident.
    #[schema(value_type = Option<String>)]
    pub rules_version: Option<RulesVersion>,
    /// Why, in words an investigator can read.
    pub reason: String,
    /// What happened.
    pub kind: EventKind,
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
