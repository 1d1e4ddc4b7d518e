//! One incident's state, rebuilt from its events by [`Incident::apply`].
//!
//! The reducer is the only place incident state changes, for live decisions and for a rebuild
//! from the log alike, so the two can never disagree.

use crate::domain::{
    Alarm, AlarmFlags, CrewStatus, DeadlineKind, Event, EventKind, IncidentId, IncidentStatus,
    Lift, UnitId,
};
use crate::rules::{ChainSnapshot, Step};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Where a page stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    /// Sent, waiting for an answer until `ack_due`.
    Pending,
    /// Accepted; the crew's progress since.
    Accepted(CrewStatus),
    /// Declined by the unit.
    Declined,
    /// Not acknowledged in time.
    Missed,
    /// Ended by the dispatcher.
    Cancelled,
}

/// One page of one unit by one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Which unit.
    pub unit: UnitId,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// When its acknowledgement is due.
    pub ack_due: DateTime<Utc>,
    /// Where it stands.
    pub state: PageState,
    /// The unit's own ETA when it accepted.
    pub eta_secs: Option<u32>,
    /// Distance when paged, metres.
    pub distance_m: f64,
    /// In a storm, the cars the unit was given together, in order (empty: this one alone).
    pub queue: Vec<IncidentId>,
}

impl Page {
    /// Holding the unit: pending, or accepted and not yet released.
    pub fn holds_unit(&self) -> bool {
        matches!(
            self.state,
            PageState::Pending
                | PageState::Accepted(
                    CrewStatus::Accepted | CrewStatus::EnRoute | CrewStatus::OnScene
                )
        )
    }
    /// Accepted (at any progress).
    pub fn accepted(&self) -> bool {
        matches!(self.state, PageState::Accepted(_))
    }
}

/// One running step of the chain: its pages and its clocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The step as it runs.
    pub step: Step,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its pages in order.
    pub pages: Vec<Page>,
    /// Gave up (its escalation has been started).
    pub exhausted: bool,
    /// When its first unit arrived on scene.
    pub arrived_at: Option<DateTime<Utc>>,
    /// Deadlines that have fired (warnings and breaches), so each fires once.
    pub fired: Vec<(DeadlineKind, bool)>,
}

impl Track {
    /// Pages waiting for an answer.
    pub fn pending(&self) -> usize {
        self.pages
            .iter()
            .filter(|p| p.state == PageState::Pending)
            .count()
    }
    /// Pages accepted.
    pub fn accepted(&self) -> usize {
        self.pages.iter().filter(|p| p.accepted()).count()
    }
    /// Has as many acceptances as the step needs.
    pub fn satisfied(&self) -> bool {
        self.accepted() >= self.step.count as usize
    }
    /// When the first page went out.
    pub fn first_page_at(&self) -> Option<DateTime<Utc>> {
        self.pages.first().map(|p| p.sent_at)
    }
    /// The latest page of a unit.
    pub fn page_of(&self, unit: UnitId) -> Option<&Page> {
        self.pages.iter().rev().find(|p| p.unit == unit)
    }
    fn page_of_mut(&mut self, unit: UnitId) -> Option<&mut Page> {
        self.pages.iter_mut().rev().find(|p| p.unit == unit)
    }
    /// Whether a warning (`false`) or breach (`true`) of `kind` has fired.
    pub fn has_fired(&self, kind: &DeadlineKind, breach: bool) -> bool {
        self.fired.iter().any(|(k, b)| k == kind && *b == breach)
    }
}

/// An incident as the desk holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Its id.
    pub id: IncidentId,
    /// Where it stands.
    pub status: IncidentStatus,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// The lift (`None`: unresolved).
    pub lift: Option<Lift>,
    /// Every alarm that opened or joined it.
    pub alarms: Vec<Alarm>,
    /// The union of the alarms' flags.
    pub flags: AlarmFlags,
    /// The chain and rules it runs on.
    pub chain: ChainSnapshot,
    /// Running steps by id, in start order.
    pub tracks: BTreeMap<String, Track>,
    /// Order in which steps started.
    pub track_order: Vec<String>,
    /// When the passengers were released.
    pub released_at: Option<DateTime<Utc>>,
    /// Confirm deadline warning / breach fired.
    pub confirm_fired: (bool, bool),
    /// The filed fault cause.
    pub fault_cause: Option<(String, String)>,
    /// Waiting for an operator, and why.
    pub needs_operator: Option<String>,
    /// When it ended (closed, cancelled, false alarm).
    pub ended_at: Option<DateTime<Utc>>,
    /// The storm it was triaged in, and its triage (the latest).
    pub storm: Option<(u32, crate::domain::storm::Triage)>,
}

impl Incident {
    /// A new incident from its opening event.
    pub fn open(
        id: IncidentId,
        at: DateTime<Utc>,
        alarm: &Alarm,
        lift: Option<&Lift>,
        chain: &ChainSnapshot,
    ) -> Self {
        Incident {
            id,
            status: IncidentStatus::Reported,
            opened_at: at,
            lift: lift.cloned(),
            alarms: vec![alarm.clone()],
            flags: alarm.flags,
            chain: chain.clone(),
            tracks: BTreeMap::new(),
            track_order: Vec::new(),
            released_at: None,
            confirm_fired: (false, false),
            fault_cause: None,
            needs_operator: None,
            ended_at: None,
            storm: None,
        }
    }

    /// The track a unit was paged by (its latest page), if any.
    pub fn track_of(&self, unit: UnitId) -> Option<&Track> {
        self.track_order
            .iter()
            .rev()
            .filter_map(|id| self.tracks.get(id))
            .find(|t| t.page_of(unit).is_some())
    }

    /// The latest page of a unit across all tracks.
    pub fn page_of(&self, unit: UnitId) -> Option<&Page> {
        self.track_of(unit).and_then(|t| t.page_of(unit))
    }

    /// Units this incident holds (pending pages and accepted, unreleased assignments).
    pub fn held_units(&self) -> impl Iterator<Item = UnitId> + '_ {
        self.tracks
            .values()
            .flat_map(|t| t.pages.iter())
            .filter(|p| p.holds_unit() && !self.status.is_terminal())
            .map(|p| p.unit)
    }

    /// Applies one of this incident's events. Events come from `decide`, which checked them, so
    /// applying never fails; an event that does not fit is ignored rather than corrupting state.
    pub fn apply(&mut self, e: &Event) {
        let step = e.step.as_deref().unwrap_or_default();
        match &e.kind {
            EventKind::IncidentOpened { .. } => {}
            EventKind::AlarmJoined { alarm } => {
                self.flags = self.flags.union(alarm.flags);
                self.alarms.push(alarm.clone());
            }
            EventKind::StepStarted { step: s } => {
                self.track_order.push(s.id.clone());
                self.tracks.insert(
                    s.id.clone(),
                    Track {
                        step: (**s).clone(),
                        started_at: e.at,
                        pages: vec![],
                        exhausted: false,
                        arrived_at: None,
                        fired: vec![],
                    },
                );
            }
            EventKind::UnitPaged {
                candidate,
                ack_due,
                queue,
                ..
            } => {
                if let Some(t) = self.tracks.get_mut(step) {
                    t.pages.push(Page {
                        unit: candidate.unit,
                        sent_at: e.at,
                        ack_due: *ack_due,
                        state: PageState::Pending,
                        eta_secs: None,
                        distance_m: candidate.distance_m,
                        queue: queue.clone(),
                    });
                }
                self.advance(IncidentStatus::Dispatched);
            }
            EventKind::StepExhausted { .. } => {
                if let Some(t) = self.tracks.get_mut(step) {
                    t.exhausted = true;
                }
            }
            EventKind::NeedsOperator { why } => self.needs_operator = Some(why.clone()),
            EventKind::Accepted { unit, eta_secs } => {
                self.set_page(step, *unit, PageState::Accepted(CrewStatus::Accepted));
                if let Some(p) = self.tracks.get_mut(step).and_then(|t| t.page_of_mut(*unit)) {
                    p.eta_secs = *eta_secs;
                }
                self.advance(IncidentStatus::Acknowledged);
            }
            EventKind::Declined { unit } => self.set_page(step, *unit, PageState::Declined),
            EventKind::AckMissed { unit, .. } => self.set_page(step, *unit, PageState::Missed),
            EventKind::PageCancelled { unit } => self.set_page(step, *unit, PageState::Cancelled),
            EventKind::CrewProgress { unit, status } => {
                self.crew_progress(step, *unit, *status, e.at)
            }
            EventKind::DeadlineWarning { deadline, .. } => self.fire(step, deadline, false),
            EventKind::DeadlineBreached { deadline, .. } => self.fire(step, deadline, true),
            EventKind::StormDeclared { .. }
            | EventKind::StormEnded { .. }
            | EventKind::StormSolved { .. } => {}
            EventKind::IncidentTriaged { storm, triage } => {
                self.storm = Some((*storm, triage.clone()))
            }
            EventKind::ReleaseConfirmed => self.advance(IncidentStatus::Confirmed),
            EventKind::FaultCauseFiled { code, text } => {
                self.fault_cause = Some((code.clone(), text.clone()))
            }
            EventKind::Closed { .. } => self.end(IncidentStatus::Closed, e.at),
            EventKind::Cancelled => self.end(IncidentStatus::Cancelled, e.at),
            EventKind::FalseAlarm => self.end(IncidentStatus::FalseAlarm, e.at),
            EventKind::LiftAttached { lift, chain, .. } => self.attach(lift, chain),
            EventKind::Note { .. }
            | EventKind::PartiesNotified { .. }
            | EventKind::NoCandidate { .. }
            | EventKind::UnitDuty { .. }
            | EventKind::EquipmentFault { .. }
            | EventKind::EquipmentOk { .. }
            | EventKind::Delivery { .. }
            | EventKind::RulesReloaded { .. }
            | EventKind::LogSealed { .. } => {}
        }
    }

    /// The lift is known now: the incident runs `chain` from here on and the operator's
    /// question is answered. Steps that paged nobody (the old chain's, which had no position
    /// to rank from) are dropped so the new chain can start its own; hand-assigned units keep
    /// their pages and take the new chain's clocks.
    fn attach(&mut self, lift: &Lift, chain: &ChainSnapshot) {
        self.lift = Some(lift.clone());
        self.chain = chain.clone();
        self.needs_operator = None;
        self.tracks.retain(|_, t| !t.pages.is_empty());
        let tracks = &self.tracks;
        self.track_order.retain(|s| tracks.contains_key(s));
        for (id, t) in self.tracks.iter_mut() {
            if id.starts_with(super::operator::HAND_STEP) {
                super::operator::hand_clocks(&mut t.step, &chain.chain);
            }
        }
    }

    fn advance(&mut self, to: IncidentStatus) {
        if to > self.status && !self.status.is_terminal() {
            self.status = to;
        }
    }

    fn end(&mut self, to: IncidentStatus, at: DateTime<Utc>) {
        self.status = to;
        self.ended_at = Some(at);
    }

    fn set_page(&mut self, step: &str, unit: UnitId, state: PageState) {
        if let Some(p) = self.tracks.get_mut(step).and_then(|t| t.page_of_mut(unit)) {
            p.state = state;
        }
    }

    fn crew_progress(&mut self, step: &str, unit: UnitId, status: CrewStatus, at: DateTime<Utc>) {
        self.set_page(step, unit, PageState::Accepted(status));
        if let Some(t) = self.tracks.get_mut(step)
            && status >= CrewStatus::OnScene
            && t.arrived_at.is_none()
        {
            t.arrived_at = Some(at);
        }
        let incident_status = match status {
            CrewStatus::Accepted => IncidentStatus::Acknowledged,
            CrewStatus::EnRoute => IncidentStatus::EnRoute,
            CrewStatus::OnScene => IncidentStatus::OnScene,
            CrewStatus::Released => {
                self.released_at.get_or_insert(at);
                IncidentStatus::Released
            }
        };
        self.advance(incident_status);
    }

    fn fire(&mut self, step: &str, kind: &DeadlineKind, breach: bool) {
        match kind {
            DeadlineKind::Confirm if breach => self.confirm_fired.1 = true,
            DeadlineKind::Confirm => self.confirm_fired.0 = true,
            _ => {
                if let Some(t) = self.tracks.get_mut(step) {
                    t.fired.push((kind.clone(), breach));
                }
            }
        }
    }
}
