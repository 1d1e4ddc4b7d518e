//! The dispatch core: who is paged, when, and why.
//!
//! [`decide`] takes the desk's state, one [`Command`] and `now`, and returns the events that
//! follow, or a [`Rejection`] that changes nothing. [`apply`] folds an event into the state.
//! Both are pure: no I/O, no clock reads. The desk loop ([`crate::desk`]) calls `decide`, hands
//! the events to the log, then `apply`s them; rebuilding after a restart is `apply` over the log.
//!
//! The escalation state machine:
//! - a new alarm opens an incident (or joins the lift's open one), selects a chain from the rules
//!   and snapshots it, and starts the chain's `start` steps in parallel;
//! - each step pages the nearest eligible units ([`crate::index`]); an acceptance stops the
//!   step's other pages; a decline or a missed acknowledgement pages the next nearest (no unit
//!   twice unless the step says `repeat`) until `max_pages`, then the step is exhausted and its
//!   `on_exhausted` step starts; with nowhere left to go the console is asked;
//! - arrival, release and confirm deadlines warn and then breach; an arrival breach starts the
//!   step's `on_arrive_breach` step (level 3) in parallel and notifies the bureaus;
//! - an alarm reporting a person ill, a child alone or smoke/water starts `on_urgent` at once;
//! - crews move accepted → en route → on scene → released; the operator confirms the release by
//!   callback, files the fault cause, closes; or cancels / marks a false alarm with a reason;
//! - a unit going off duty or offline mid-assignment is replaced;
//! - an incident opened with its lift unresolved asks the operator, who attaches the lift once
//!   the caller has said which it is: the chain for that lift then runs as for a new incident.
//!
//! Each decision keeps on its first event what it read from outside its incident (`search`):
//! the units a search saw, with their positions, or the unit an operator assigned. With the
//! chain snapshot, that makes an incident's record enough to make its decisions again
//! ([`replay`]) without today's registry, positions or rules.

mod actions;
mod alarm;
mod attach;
pub mod crew_view;
mod ctx;
pub mod deadline;
mod delivery;
mod equipment;
pub mod incident;
mod operator;
mod reload;
pub mod replay;
pub mod seal;
mod search;
pub mod state;
pub mod storm;
mod storm_command;
#[cfg(test)]
pub(crate) mod tests;
mod tick;
pub mod view;

pub use crew_view::{CrewView, crew_events, crew_view};
pub use incident::{Incident, Page, PageState, Track};
pub use reload::rules_reloaded;
pub use state::{DeskState, EquipmentState, UnitState, apply};
pub use view::{IncidentView, board_row, incident_view};

use crate::domain::{Alarm, Equipment, IncidentId, IncidentStatus, Lift, LiftId, LiftRef, UnitId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Something for the desk to decide on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command")]
pub enum Command {
    /// An alarm committed to the inbox, with its lift resolved by the intake (`None`: unknown).
    Alarm {
        /// The alarm.
        alarm: Alarm,
        /// The lift it names, if resolved.
        lift: Option<Box<Lift>>,
    },
    /// Several alarms from the inbox, in inbox order, decided as one: each sees the effect of
    /// the ones before it (two alarms for one lift are one incident), and their events are
    /// appended in one transaction.
    Alarms {
        /// The alarms with their lifts, as in [`Command::Alarm`].
        alarms: Vec<(Alarm, Option<Box<Lift>>)>,
    },
    /// A crew acting on its page or assignment.
    Crew {
        /// The acting unit (from its token, never from the body).
        unit: UnitId,
        /// The incident.
        incident: IncidentId,
        /// What it does.
        action: CrewAction,
    },
    /// A console operator acting on an incident.
    Operator {
        /// The operator's user name.
        user: String,
        /// The incident.
        incident: IncidentId,
        /// What they do.
        action: OperatorAction,
    },
    /// A unit went on or off duty, or its phone went offline.
    UnitDuty {
        /// The unit.
        unit: UnitId,
        /// On duty now?
        on_duty: bool,
        /// Why (e.g. "shift ended", "offline: no position for 10 min").
        why: String,
    },
    /// Fire every deadline due at `now`.
    Tick,
    /// What a lift's alarm equipment reports about itself (supervision, never an entrapment).
    Equipment {
        /// The lift it belongs to, if the registry knows it.
        lift: Option<LiftId>,
        /// Which equipment.
        equipment: Equipment,
        /// What it reports.
        report: EquipmentReport,
    },
    /// Line supervision: every watched cabin phone silent for longer than this has an alarm
    /// line fault.
    CheckLines {
        /// The longest allowed gap between test calls, seconds (EN 81-28: 72 h).
        max_silence_secs: u64,
    },
    /// An operator declares a storm over an area (a blackout reported by the power company,
    /// a district's many calls): its entrapments are triaged and assigned together.
    DeclareStorm {
        /// The operator's user name.
        user: String,
        /// Where.
        area: crate::domain::storm::StormArea,
        /// Why (required: it goes on the record).
        reason: String,
    },
    /// An operator ends a storm: its waiting incidents are paged one at a time again.
    EndStorm {
        /// The operator's user name.
        user: String,
        /// Which storm.
        storm: u32,
        /// Why (required).
        reason: String,
    },
    /// Puts what happened to pages' messages on the record (gateway answers, receipts).
    Deliveries {
        /// The reports, in the order they happened.
        reports: Vec<DeliveryReport>,
    },
}

/// What happened to one message of a page, for the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryReport {
    /// The incident paged for.
    pub incident: IncidentId,
    /// The unit paged.
    pub unit: UnitId,
    /// The step that paged.
    pub step: String,
    /// The message's dedupe key.
    pub message: String,
    /// `push`, `sms`, `voice` or `webhook`.
    pub channel: String,
    /// `sent`, `retrying`, `failed`, `unknown`, `delivered` or `read`.
    pub status: String,
    /// The gateway's words.
    pub detail: String,
}

/// A supervision report from intake.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "report")]
pub enum EquipmentReport {
    /// A terminal missed its heartbeats.
    Offline {
        /// Its last heartbeat, if any was seen.
        last_seen: Option<DateTime<Utc>>,
    },
    /// A terminal that was offline sent a heartbeat.
    Online,
    /// A cabin phone's test call, with the faults it reported (none: healthy).
    TestCall {
        /// Battery, speaker, microphone … in words.
        faults: Vec<String>,
    },
    /// A packet from a cabin phone that did not decode.
    BadPacket {
        /// The decoder's fault, in words.
        fault: String,
    },
}

/// What a crew can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum CrewAction {
    /// Accept the page, with an ETA in seconds.
    Accept {
        /// Estimated seconds to the lift.
        eta_secs: Option<u32>,
    },
    /// Decline the page.
    Decline {
        /// Why (required).
        reason: String,
    },
    /// On the way.
    EnRoute,
    /// At the lift.
    OnScene,
    /// Passengers out.
    Released,
    /// The cause of the fault, after the repair.
    FaultCause {
        /// Coded cause.
        code: String,
        /// Free text.
        text: String,
    },
}

/// What a console operator can do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum OperatorAction {
    /// Page a named unit, overriding the ranking.
    Assign {
        /// The unit.
        unit: UnitId,
        /// Why (required: it goes on the record).
        reason: String,
    },
    /// Attach the lift to an incident opened with its lift unresolved: the rules select its
    /// chain for that lift and its start steps page as for a new incident.
    AttachLift {
        /// The lift, as the registry has it (the console found it from what the caller said).
        lift: Box<Lift>,
        /// The reference the operator gave (rescue code, registration code, phone, device, id).
        by: LiftRef,
    },
    /// Add a note to the record.
    Note {
        /// The text.
        text: String,
    },
    /// The callback confirmed the passengers are out.
    ConfirmRelease {
        /// What the callback established.
        note: String,
    },
    /// File the fault cause.
    FaultCause {
        /// Coded cause.
        code: String,
        /// Free text.
        text: String,
    },
    /// Close after the confirmed release.
    Close,
    /// Call the incident off.
    Cancel {
        /// Why (required).
        reason: String,
    },
    /// Mark it a false alarm.
    FalseAlarm {
        /// Why (required).
        reason: String,
    },
}

/// Why a command was refused. Nothing changes when a command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// No such incident on this desk.
    #[error("{0} does not exist or has been archived")]
    UnknownIncident(IncidentId),
    /// The incident has ended.
    #[error("{0} is {status}: nothing more can be done on it", status = .1.as_str())]
    Ended(IncidentId, IncidentStatus),
    /// No such unit.
    #[error("{0} does not exist")]
    UnknownUnit(UnitId),
    /// The unit has no page on this incident.
    #[error("{0} was not paged for {1}")]
    NotPaged(UnitId, IncidentId),
    /// The action does not follow from where things stand.
    #[error("{action} is not possible now: {why}")]
    OutOfOrder {
        /// The refused action.
        action: &'static str,
        /// Where things stand.
        why: String,
    },
    /// No such storm, or it has ended.
    #[error("storm {0} does not exist or has ended")]
    UnknownStorm(u32),
    /// Storm mode is not in the rules (`storm.toml`).
    #[error("storm mode is off: the rules have no storm.toml")]
    NoStormRules,
    /// An active storm already covers the area.
    #[error("storm {0} already covers this area")]
    StormCovers(u32),
    /// A required text field is empty.
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
}

/// Decides what follows from a command at `now`. Pure: reads the state, returns events.
pub fn decide(
    state: &DeskState,
    command: Command,
    now: DateTime<Utc>,
) -> Result<Vec<crate::domain::Event>, Rejection> {
    let mut ctx = ctx::Ctx::new(state, now);
    run(&mut ctx, command)?;
    Ok(ctx.events)
}

/// [`decide`] with the chains and searches answered from an incident's record (a replay).
pub(crate) fn decide_recorded(
    state: &DeskState,
    command: Command,
    now: DateTime<Utc>,
    record: &mut search::Record,
) -> Result<Vec<crate::domain::Event>, Rejection> {
    let mut ctx = ctx::Ctx::replaying(state, now, record);
    run(&mut ctx, command)?;
    Ok(ctx.events)
}

fn run(ctx: &mut ctx::Ctx<'_>, command: Command) -> Result<(), Rejection> {
    match command {
        Command::Alarm { alarm, lift } => alarm::on_alarm(ctx, alarm, lift.map(|l| *l)),
        Command::Alarms { alarms } => {
            for (a, lift) in alarms {
                alarm::on_alarm(ctx, a, lift.map(|l| *l));
            }
        }
        Command::Crew {
            unit,
            incident,
            action,
        } => actions::on_crew(ctx, unit, incident, action)?,
        Command::Operator {
            user,
            incident,
            action,
        } => operator::on_operator(ctx, user, incident, action)?,
        Command::UnitDuty { unit, on_duty, why } => actions::on_duty(ctx, unit, on_duty, why)?,
        Command::Tick => tick::on_tick(ctx),
        Command::Equipment {
            lift,
            equipment,
            report,
        } => equipment::on_report(ctx, lift, equipment, report),
        Command::CheckLines { max_silence_secs } => equipment::check_lines(ctx, max_silence_secs),
        Command::Deliveries { reports } => delivery::on_reports(ctx, reports),
        Command::DeclareStorm { user, area, reason } => {
            storm_command::declare(ctx, user, area, reason)?
        }
        Command::EndStorm {
            user,
            storm,
            reason,
        } => storm_command::end(ctx, user, storm, reason)?,
    }
    storm::assign::maybe_solve(ctx);
    Ok(())
}
