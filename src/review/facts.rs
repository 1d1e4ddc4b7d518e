//! One incident's facts, folded from its events: what investigators search on and what the
//! statistics and the quality evaluation count.
//!
//! [`IncidentFacts::apply`] folds one log row into the facts; folding an incident's timeline in
//! order gives its facts, and folding more rows later gives the same as folding them all at
//! once, so the indexer (`review::indexer`) keeps a stored copy up to date without reading a
//! timeline twice. Every measure is defined here, once, from events alone (never from the
//! registry as it is today, never from counters):
//!
//! - **alarm time**: the first alarm's `received_at` (when the platform had it);
//! - **response**: alarm time → the first `accepted`;
//! - **arrival**: alarm time → the first **rescuer** `on_scene` (a maintainer or fire/rescue
//!   unit; property staff, who come to calm the passengers and keep the doors shut, are on the
//!   record but do not count: the platforms measure when someone who can release them is there);
//! - **rescue**: the first rescuer `on_scene` → the passengers out (the first crew `released`,
//!   or the operator's `release_confirmed` when no crew reported it);
//! - **arrival limit**: the `arrive` deadline of the chain's first starting step that has one,
//!   from the incident's own rules snapshot (30 min in a districted city);
//! - **entrapment**: an alarm of the incident reports a person trapped (at a landing, between
//!   floors, or the passenger alarm button / a call), and it was not a false alarm;
//! - **breaches**: an acknowledgement missed (`ack_missed`), or an arrival, release or confirm
//!   deadline breached (`deadline_breached`);
//! - **fire/rescue involved**: a unit was paged by a step that pages fire/rescue.

use crate::domain::candidate::Candidate;
use crate::domain::chain::{ChainSnapshot, Target};
use crate::domain::{
    Alarm, AlarmKind, AlarmSource, CompanyId, CrewStatus, DeadlineKind, Event, EventKind,
    IncidentId, IncidentStatus, Lift, LiftId, UnitId,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::outcome::{BreachKind, Outcome};

/// A unit paged for the incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PagedUnit {
    /// Which unit.
    pub unit: UnitId,
    /// `maintainer`, `property_staff` or `fire_rescue` (from the step that paged it).
    pub kind: String,
    /// The paging step's response level.
    pub level: u8,
    /// When it was first paged.
    pub paged_at: DateTime<Utc>,
    /// Straight-line distance when paged, metres.
    pub distance_m: f64,
    /// When it accepted, if it did.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When it was on scene, if it was.
    pub on_scene_at: Option<DateTime<Utc>>,
}

/// One incident's facts (see the module docs for every definition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentFacts {
    /// The incident.
    pub id: IncidentId,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When the first alarm was received.
    pub alarm_at: DateTime<Utc>,
    /// When it was closed, cancelled or marked a false alarm.
    pub ended_at: Option<DateTime<Utc>>,
    /// Where it stands now.
    pub status: IncidentStatus,
    /// How it ended.
    pub outcome: Outcome,
    /// The lift, once known.
    pub lift: Option<LiftId>,
    /// Its rescue code.
    pub rescue_code: Option<String>,
    /// Its registration code.
    pub registration_code: Option<String>,
    /// Its district (GB/T 2260 code).
    pub district: Option<String>,
    /// Its street, when the registry said.
    pub street: Option<String>,
    /// Its address and building.
    pub address: Option<String>,
    /// The contracted maintenance company at the time.
    pub company: Option<CompanyId>,
    /// The use unit at the time.
    pub use_unit: Option<CompanyId>,
    /// The lift's commissioning date.
    pub commissioned: Option<NaiveDate>,
    /// The first alarm's channel (`cabin_phone`, `iot`, `hotline`, `operator`, `app`).
    pub channel: String,
    /// Every channel an alarm came in on, in order of first appearance.
    pub channels: Vec<String>,
    /// What the first alarm reported (`entrapment_between_floors`, `fault`, …).
    pub alarm_kind: String,
    /// A person was trapped (see the module docs).
    pub entrapment: bool,
    /// Alarms received (the opening one and those that joined).
    pub alarms: u32,
    /// People trapped, the most any alarm said; `None`: not known.
    pub trapped: Option<u16>,
    /// Urgency flags any alarm reported (`person_ill`, `child_alone`, `smoke_or_water`).
    pub flags: Vec<String>,
    /// The highest response level started.
    pub level: u8,
    /// Units paged, in order.
    pub units: Vec<PagedUnit>,
    /// When the first unit accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// The kind of the first unit to accept.
    pub accepted_kind: Option<String>,
    /// When the first rescuer (maintainer or fire/rescue) was on scene.
    pub on_scene_at: Option<DateTime<Utc>>,
    /// When the passengers were out.
    pub released_at: Option<DateTime<Utc>>,
    /// When the operator confirmed the release.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Alarm → first acceptance, seconds.
    pub response_secs: Option<i64>,
    /// Alarm → first rescuer on scene, seconds.
    pub arrival_secs: Option<i64>,
    /// On scene → released, seconds.
    pub rescue_secs: Option<i64>,
    /// The rules' arrival limit for this lift, seconds.
    pub arrive_limit_secs: Option<i64>,
    /// Acknowledgements missed.
    pub acks_missed: u32,
    /// Deadline kinds breached, in the order first breached.
    pub breaches: Vec<BreachKind>,
    /// A fire/rescue unit was paged.
    pub fire_rescue: bool,
    /// The fault cause code filed, if any.
    pub fault_cause: Option<String>,
    /// The fault cause's free text.
    pub fault_text: Option<String>,
    /// The operator was asked to act at least once.
    pub needs_operator: bool,
    /// Operator notes.
    pub notes: u32,
    /// The rules version the incident ran under.
    pub rules_version: String,
    /// The chain's name.
    pub chain: String,
    /// Events folded.
    pub events: u32,
    /// The last folded row's log position.
    pub last_seq: i64,
    /// The last folded row's hash (what an export of these facts stands on).
    pub last_hash: String,
    /// Step id → (level, unit kind), from the snapshot: how a page's step is read.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub steps: BTreeMap<String, (u8, String)>,
}

/// A unit kind's name for a step target.
fn target_kind(t: Target) -> &'static str {
    match t {
        Target::ContractedMaintainer | Target::AnyMaintainer => "maintainer",
        Target::PropertyStaff => "property_staff",
        Target::FireRescue => "fire_rescue",
    }
}

/// A channel's snake_case name.
pub fn channel_name(c: AlarmSource) -> &'static str {
    match c {
        AlarmSource::CabinPhone => "cabin_phone",
        AlarmSource::Iot => "iot",
        AlarmSource::Hotline => "hotline",
        AlarmSource::Operator => "operator",
        AlarmSource::App => "app",
    }
}

fn secs(from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> Option<i64> {
    to.map(|t| (t - from).num_seconds().max(0))
}

/// Does this alarm say a person is trapped?
fn is_entrapment(kind: &AlarmKind) -> bool {
    !matches!(kind, AlarmKind::Fault(_))
}

impl IncidentFacts {
    /// The facts of an incident opened by `event` (an `incident_opened` row), or `None` for
    /// any other row.
    pub fn open(seq: i64, hash: &str, event: &Event) -> Option<Self> {
        let (
            EventKind::IncidentOpened {
                alarm, lift, chain, ..
            },
            Some(id),
        ) = (&event.kind, event.incident)
        else {
            return None;
        };
        let mut f = IncidentFacts {
            id,
            opened_at: event.at,
            alarm_at: alarm.received_at,
            ended_at: None,
            status: IncidentStatus::Reported,
            outcome: Outcome::Open,
            lift: None,
            rescue_code: None,
            registration_code: None,
            district: None,
            street: None,
            address: None,
            company: None,
            use_unit: None,
            commissioned: None,
            channel: channel_name(alarm.channel).to_owned(),
            channels: Vec::new(),
            alarm_kind: alarm.kind.rule_name().to_owned(),
            entrapment: false,
            alarms: 0,
            trapped: None,
            flags: Vec::new(),
            level: 0,
            units: Vec::new(),
            accepted_at: None,
            accepted_kind: None,
            on_scene_at: None,
            released_at: None,
            confirmed_at: None,
            response_secs: None,
            arrival_secs: None,
            rescue_secs: None,
            arrive_limit_secs: None,
            acks_missed: 0,
            breaches: Vec::new(),
            fire_rescue: false,
            fault_cause: None,
            fault_text: None,
            needs_operator: false,
            notes: 0,
            rules_version: String::new(),
            chain: String::new(),
            events: 0,
            last_seq: 0,
            last_hash: String::new(),
            steps: BTreeMap::new(),
        };
        f.snapshot(chain, lift.as_deref());
        f.alarm(alarm);
        f.events = 1;
        f.last_seq = seq;
        f.last_hash = hash.to_owned();
        f.derive();
        Some(f)
    }

    /// Folds one more row of this incident (rows of other incidents are ignored).
    pub fn apply(&mut self, seq: i64, hash: &str, event: &Event) {
        if event.incident != Some(self.id) || seq <= self.last_seq {
            return;
        }
        self.events += 1;
        self.last_seq = seq;
        self.last_hash = hash.to_owned();
        let at = event.at;
        match &event.kind {
            EventKind::AlarmJoined { alarm } => self.alarm(alarm),
            EventKind::StepStarted { step } => {
                let kind = target_kind(step.page).to_owned();
                self.steps.insert(step.id.clone(), (step.level, kind));
                self.level = self.level.max(step.level);
            }
            EventKind::UnitPaged { candidate, .. } => self.paged(event, candidate, at),
            EventKind::NeedsOperator { .. } => self.needs_operator = true,
            EventKind::Accepted { unit, .. } => self.accepted(*unit, at),
            EventKind::AckMissed { .. } => {
                self.acks_missed += 1;
                self.breach(BreachKind::Acknowledge);
            }
            EventKind::CrewProgress { unit, status } => self.progress(*unit, *status, at),
            EventKind::DeadlineBreached { deadline, .. } => self.breach(match deadline {
                DeadlineKind::Arrive(_) => BreachKind::Arrive,
                DeadlineKind::Release(_) => BreachKind::Release,
                DeadlineKind::Confirm => BreachKind::Confirm,
            }),
            EventKind::Note { .. } => self.notes += 1,
            EventKind::ReleaseConfirmed => {
                self.confirmed_at.get_or_insert(at);
                self.status = self.status.max(IncidentStatus::Confirmed);
                self.released(at);
            }
            EventKind::FaultCauseFiled { code, text } => {
                self.fault_cause = Some(code.clone());
                self.fault_text = Some(text.clone()).filter(|t| !t.is_empty());
            }
            EventKind::Closed { .. } => self.end(IncidentStatus::Closed, at),
            EventKind::Cancelled => self.end(IncidentStatus::Cancelled, at),
            EventKind::FalseAlarm => self.end(IncidentStatus::FalseAlarm, at),
            EventKind::LiftAttached { lift, chain, .. } => self.snapshot(chain, Some(lift)),
            _ => {}
        }
        self.derive();
    }

    fn snapshot(&mut self, chain: &ChainSnapshot, lift: Option<&Lift>) {
        self.rules_version = chain.rules_version.0.clone();
        self.chain = chain.chain.name.clone();
        self.arrive_limit_secs = chain
            .chain
            .start
            .iter()
            .filter_map(|s| chain.chain.step(s)?.arrive)
            .map(|d| d.limit.0.as_secs() as i64)
            .next();
        if let Some(l) = lift {
            self.lift = Some(l.id);
            self.rescue_code = Some(l.rescue_code.to_string());
            self.registration_code = Some(l.registration_code.to_string());
            self.district = Some(l.district.to_string());
            self.street = l.street.clone();
            self.address = Some(format!("{} {}", l.address, l.building).trim().to_owned());
            self.company = l.maintainer;
            self.use_unit = l.use_unit;
            self.commissioned = l.commissioned;
        }
    }

    fn alarm(&mut self, a: &Alarm) {
        self.alarms += 1;
        let channel = channel_name(a.channel).to_owned();
        if !self.channels.contains(&channel) {
            self.channels.push(channel);
        }
        self.entrapment |= is_entrapment(&a.kind);
        if let Some(n) = a.trapped {
            self.trapped = Some(self.trapped.map_or(n, |t| t.max(n)));
        }
        for flag in a.flags.names() {
            if !self.flags.iter().any(|f| f == flag) {
                self.flags.push(flag.to_owned());
            }
        }
    }

    fn paged(&mut self, event: &Event, c: &Candidate, at: DateTime<Utc>) {
        let (level, kind) = event
            .step
            .as_ref()
            .and_then(|s| self.steps.get(s))
            .cloned()
            .unwrap_or((0, "maintainer".to_owned()));
        self.fire_rescue |= kind == "fire_rescue";
        self.status = self.status.max(IncidentStatus::Dispatched);
        if self.units.iter().any(|u| u.unit == c.unit) {
            return;
        }
        self.units.push(PagedUnit {
            unit: c.unit,
            kind,
            level,
            paged_at: at,
            distance_m: c.distance_m,
            accepted_at: None,
            on_scene_at: None,
        });
    }

    fn accepted(&mut self, unit: UnitId, at: DateTime<Utc>) {
        self.status = self.status.max(IncidentStatus::Acknowledged);
        let kind = self.units.iter_mut().find(|u| u.unit == unit).map(|u| {
            u.accepted_at.get_or_insert(at);
            u.kind.clone()
        });
        if self.accepted_at.is_none() {
            self.accepted_at = Some(at);
            self.accepted_kind = kind;
        }
    }

    fn progress(&mut self, unit: UnitId, status: CrewStatus, at: DateTime<Utc>) {
        match status {
            CrewStatus::Accepted => {}
            CrewStatus::EnRoute => self.status = self.status.max(IncidentStatus::EnRoute),
            CrewStatus::OnScene => {
                self.status = self.status.max(IncidentStatus::OnScene);
                let paged = self.units.iter_mut().find(|u| u.unit == unit);
                let rescuer = paged.as_ref().is_none_or(|u| u.kind != "property_staff");
                if let Some(u) = paged {
                    u.on_scene_at.get_or_insert(at);
                }
                if rescuer {
                    self.on_scene_at.get_or_insert(at);
                }
            }
            CrewStatus::Released => {
                self.status = self.status.max(IncidentStatus::Released);
                self.released(at);
            }
        }
    }

    fn released(&mut self, at: DateTime<Utc>) {
        self.released_at.get_or_insert(at);
    }

    fn breach(&mut self, kind: BreachKind) {
        if !self.breaches.contains(&kind) {
            self.breaches.push(kind);
        }
    }

    fn end(&mut self, status: IncidentStatus, at: DateTime<Utc>) {
        self.status = status;
        self.ended_at = Some(at);
    }

    /// Recomputes what follows from the rest.
    fn derive(&mut self) {
        self.outcome = match self.status {
            IncidentStatus::FalseAlarm => Outcome::FalseAlarm,
            IncidentStatus::Cancelled => Outcome::Cancelled,
            _ if self.released_at.is_some() => Outcome::Released,
            IncidentStatus::Closed => Outcome::Closed,
            _ => Outcome::Open,
        };
        if self.outcome == Outcome::FalseAlarm {
            self.entrapment = false;
        }
        self.response_secs = secs(self.alarm_at, self.accepted_at);
        self.arrival_secs = secs(self.alarm_at, self.on_scene_at);
        self.rescue_secs = self.on_scene_at.and_then(|s| secs(s, self.released_at));
    }

    /// The breaches as bits ([`BreachKind::bit`]), for the search column.
    pub fn breach_mask(&self) -> i64 {
        self.breaches.iter().fold(0, |m, b| m | b.bit())
    }
}

/// Folds a whole timeline (rows of one incident, in log order) into its facts; `None` when the
/// first row does not open an incident.
pub fn fold<'a>(
    rows: impl IntoIterator<Item = (i64, &'a str, &'a Event)>,
) -> Option<IncidentFacts> {
    let mut rows = rows.into_iter();
    let (seq, hash, first) = rows.next()?;
    let mut f = IncidentFacts::open(seq, hash, first)?;
    for (seq, hash, e) in rows {
        f.apply(seq, hash, e);
    }
    Some(f)
}

#[cfg(test)]
#[path = "facts_tests.rs"]
mod tests;
