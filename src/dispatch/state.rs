//! The desk's whole state and [`apply`], the one function that changes it.

use super::incident::Incident;
use crate::domain::{
    Equipment, Event, EventKind, Fix, IncidentId, LatLon, LiftId, LiftRef, Unit, UnitId,
};
use crate::index::{Entry, UnitIndex};
use crate::rules::RuleSet;
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// What correlates alarms into one incident: the lift, or, when the lift is unresolved, the
/// reference the source sent (so three calls from one unknown phone are one incident).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CorrelationKey {
    /// A resolved lift.
    Lift(LiftId),
    /// An unresolved reference.
    Ref(LiftRef),
}

/// A unit and the incidents currently holding it (paged or assigned).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitState {
    /// The registry record, with on-duty state and last fix.
    pub unit: Unit,
    /// Incidents with a pending page or an unreleased assignment for it.
    pub held_by: BTreeSet<IncidentId>,
}

/// What the desk knows of one piece of supervised alarm equipment.
#[derive(Debug, Clone, PartialEq)]
pub struct EquipmentState {
    /// The lift it belongs to, if known.
    pub lift: Option<LiftId>,
    /// The current fault, if any.
    pub fault: Option<String>,
    /// Since when the current state (fault or health) holds.
    pub since: DateTime<Utc>,
    /// The last cabin-phone test call.
    pub last_test: Option<DateTime<Utc>>,
}

/// Everything the dispatch desk knows; changed only by [`apply`] and the live-data setters
/// ([`DeskState::add_unit`], [`DeskState::update_position`], [`DeskState::watch`]).
#[derive(Debug)]
pub struct DeskState {
    /// Rules for incidents that open from now on.
    pub rules: Arc<RuleSet>,
    /// Incidents by id (ended ones stay until [`DeskState::prune_ended`]).
    pub incidents: HashMap<IncidentId, Incident>,
    /// Units by id.
    pub units: HashMap<UnitId, UnitState>,
    /// Available units by position.
    pub index: UnitIndex,
    /// Supervised alarm equipment (terminals, cabin phones) and its health.
    pub equipment: HashMap<Equipment, EquipmentState>,
    /// The log sequence of the last event applied (0: none, or a log in memory).
    pub log_seq: i64,
    /// The daily seal's schedule and what the log says of it (`None`: the desk does not seal).
    pub seal: Option<super::seal::Sealing>,
    /// Storms, and what detection and the storm solve keep between decisions.
    pub storm: super::storm::book::StormBook,
    open_by_key: HashMap<CorrelationKey, IncidentId>,
    holds: HashMap<IncidentId, BTreeSet<UnitId>>,
    due: BTreeSet<(DateTime<Utc>, IncidentId)>,
    due_of: HashMap<IncidentId, DateTime<Utc>>,
    next_incident: i64,
}

impl DeskState {
    /// An empty desk for a region centred on `origin`.
    pub fn new(rules: Arc<RuleSet>, origin: LatLon) -> Self {
        DeskState {
            rules,
            incidents: HashMap::new(),
            units: HashMap::new(),
            index: UnitIndex::new(origin),
            equipment: HashMap::new(),
            log_seq: 0,
            seal: None,
            storm: Default::default(),
            open_by_key: HashMap::new(),
            holds: HashMap::new(),
            due: BTreeSet::new(),
            due_of: HashMap::new(),
            next_incident: 1,
        }
    }

    /// Adds or replaces a unit from the registry.
    pub fn add_unit(&mut self, unit: Unit) {
        let held_by = self
            .units
            .get(&unit.id)
            .map(|u| u.held_by.clone())
            .unwrap_or_default();
        let entry = Entry {
            kind: unit.kind,
            company: unit.company,
            available: unit.on_duty && held_by.is_empty(),
            fix: unit.fix,
            base: unit.base,
        };
        self.index.upsert(unit.id, entry);
        self.units.insert(unit.id, UnitState { unit, held_by });
    }

    /// A registry edit of a unit (name, phone, skills, kind, company). A unit the desk already
    /// knows keeps its duty state and its newer fix: duty changes are commands with a record
    /// ([`super::Command::UnitDuty`]), positions are live data.
    pub fn register_unit(&mut self, mut unit: Unit) {
        if let Some(known) = self.units.get(&unit.id) {
            unit.on_duty = known.unit.on_duty;
            if known.unit.fix.map(|f| f.taken) > unit.fix.map(|f| f.taken) {
                unit.fix = known.unit.fix;
            }
        }
        self.add_unit(unit);
    }

    /// Records a live position. Not an event: positions arrive every few seconds and each
    /// decision logs the distances and fix times it used. A fix older than the one held (a
    /// phone replaying its offline queue) is ignored. False if the unit is unknown or the fix
    /// was older.
    pub fn update_position(&mut self, id: UnitId, fix: Fix) -> bool {
        match self.units.get_mut(&id) {
            Some(u) if u.unit.fix.is_some_and(|held| held.taken > fix.taken) => false,
            Some(u) => {
                u.unit.fix = Some(fix);
                self.index.set_position(id, fix)
            }
            None => false,
        }
    }

    /// The live fixes held: `only`'s, or every unit's that has one.
    pub fn fixes(&self, only: Option<UnitId>) -> Vec<(UnitId, Fix)> {
        let fix = |(id, u): (&UnitId, &UnitState)| u.unit.fix.map(|f| (*id, f));
        match only {
            Some(id) => self
                .units
                .get_key_value(&id)
                .and_then(fix)
                .into_iter()
                .collect(),
            None => self.units.iter().filter_map(fix).collect(),
        }
    }

    /// Puts a piece of equipment under supervision from `since` (the registry's cabin phones,
    /// so a phone that never calls is noticed too). Known equipment keeps its history.
    pub fn watch(&mut self, equipment: Equipment, lift: Option<LiftId>, since: DateTime<Utc>) {
        self.equipment.entry(equipment).or_insert(EquipmentState {
            lift,
            fault: None,
            since,
            last_test: None,
        });
    }

    /// Equipment with a fault, longest-standing first.
    pub fn equipment_faults(&self) -> Vec<(&Equipment, &EquipmentState)> {
        let mut v: Vec<_> = self
            .equipment
            .iter()
            .filter(|(_, s)| s.fault.is_some())
            .collect();
        v.sort_by_key(|(_, s)| s.since);
        v
    }

    /// Makes `id` the id of the next incident (a replay opens the incident it replays).
    pub(crate) fn expect_incident(&mut self, id: IncidentId) {
        self.next_incident = id.0;
    }

    /// The id the next incident will get.
    pub fn next_incident_id(&self) -> IncidentId {
        IncidentId(self.next_incident)
    }

    /// The open incident alarms with this key would join.
    pub fn open_incident(&self, key: &CorrelationKey) -> Option<&Incident> {
        self.open_by_key
            .get(key)
            .and_then(|id| self.incidents.get(id))
    }

    /// When the earliest pending deadline of any incident is due, or the desk must act for a
    /// storm (the solve is due, or a storm falls quiet).
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        let deadline = self.due.first().map(|(t, _)| *t);
        let storm = self.storm.next_due(self.rules.storm.as_deref());
        deadline.into_iter().chain(storm).min()
    }

    /// When the incident's earliest pending deadline falls due.
    pub fn incident_next_due(&self, id: IncidentId) -> Option<DateTime<Utc>> {
        self.due_of.get(&id).copied()
    }

    /// Incidents with a deadline due at or before `now`, earliest first.
    pub fn due_incidents(&self, now: DateTime<Utc>) -> Vec<IncidentId> {
        self.due
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, id)| *id)
            .collect()
    }

    /// Forgets incidents that ended before `before` (the log keeps them).
    pub fn prune_ended(&mut self, before: DateTime<Utc>) {
        self.incidents
            .retain(|_, i| i.ended_at.is_none_or(|t| t >= before));
    }

    fn refresh(&mut self, id: IncidentId) {
        let (held, next_due): (BTreeSet<UnitId>, Option<DateTime<Utc>>) =
            match self.incidents.get(&id) {
                Some(i) => (
                    i.held_units().collect(),
                    super::deadline::due_items(i).first().map(|d| d.at),
                ),
                None => (BTreeSet::new(), None),
            };
        let before = self.holds.remove(&id).unwrap_or_default();
        for u in before.symmetric_difference(&held) {
            if let Some(us) = self.units.get_mut(u) {
                if held.contains(u) {
                    us.held_by.insert(id);
                } else {
                    us.held_by.remove(&id);
                }
                let available = us.unit.on_duty && us.held_by.is_empty();
                self.index.set_available(*u, available);
                // A unit freed is news for a storm's solve.
                self.storm.changed |= available && !self.storm.waiting.is_empty();
            }
        }
        let book = &self.storm;
        let waiting = self.incidents.get(&id).and_then(|i| {
            let t = super::storm::waiting(i, |n| {
                book.storms.get(&n).is_some_and(|s| s.ended_at.is_none())
            })?;
            Some((i.storm.as_ref()?.0, t.clone()))
        });
        self.storm
            .set_waiting(id, waiting.as_ref().map(|(s, t)| (*s, t)));
        if !held.is_empty() {
            self.holds.insert(id, held);
        }
        if let Some(t) = self.due_of.remove(&id) {
            self.due.remove(&(t, id));
        }
        if let Some(t) = next_due {
            self.due.insert((t, id));
            self.due_of.insert(id, t);
        }
    }

    fn equipment_entry(
        &mut self,
        equipment: &Equipment,
        lift: Option<LiftId>,
        at: DateTime<Utc>,
    ) -> &mut EquipmentState {
        let s = self
            .equipment
            .entry(equipment.clone())
            .or_insert(EquipmentState {
                lift,
                fault: None,
                since: at,
                last_test: None,
            });
        if lift.is_some() {
            s.lift = lift;
        }
        s
    }

    /// Sets a unit's duty state and its availability (the replay puts a unit in the state a
    /// recorded duty change left).
    pub(crate) fn set_duty(&mut self, id: UnitId, on_duty: bool) {
        if let Some(us) = self.units.get_mut(&id) {
            us.unit.on_duty = on_duty;
            let available = on_duty && us.held_by.is_empty();
            self.index.set_available(id, available);
            // A unit back on duty is news for a storm's solve.
            self.storm.changed |= available && !self.storm.waiting.is_empty();
        }
    }
}

/// The key alarms about this incident's lift correlate on.
pub fn correlation_key(lift: Option<LiftId>, lift_ref: &LiftRef) -> CorrelationKey {
    match lift {
        Some(id) => CorrelationKey::Lift(id),
        None => CorrelationKey::Ref(lift_ref.clone()),
    }
}

/// Applies one event to the desk. Pure and total: rebuilding from the log is applying every
/// event in order.
pub fn apply(state: &mut DeskState, e: &Event) {
    if let Some(seal) = state.seal.as_mut() {
        seal.saw(e);
    }
    state.storm.apply(e, state.rules.storm.as_deref());
    if let EventKind::StormEnded { storm, .. } = &e.kind {
        let theirs: Vec<IncidentId> = state
            .incidents
            .values()
            .filter(|i| i.storm.as_ref().is_some_and(|(s, _)| s == storm))
            .map(|i| i.id)
            .collect();
        for id in theirs {
            state.refresh(id);
        }
    }
    match (&e.kind, e.incident) {
        (
            EventKind::IncidentOpened {
                alarm, lift, chain, ..
            },
            Some(id),
        ) => {
            let incident = Incident::open(id, e.at, alarm, lift.as_deref(), chain);
            let key = correlation_key(lift.as_ref().map(|l| l.id), &alarm.lift_ref);
            state.open_by_key.insert(key, id);
            state.incidents.insert(id, incident);
            state.next_incident = state.next_incident.max(id.0 + 1);
        }
        (EventKind::UnitDuty { unit, on_duty }, _) => state.set_duty(*unit, *on_duty),
        (
            EventKind::EquipmentFault {
                lift,
                equipment,
                fault,
            },
            _,
        ) => {
            let s = state.equipment_entry(equipment, *lift, e.at);
            if s.fault.as_deref() != Some(fault.as_str()) {
                s.since = e.at;
            }
            s.fault = Some(fault.clone());
            if fault.starts_with(super::equipment::TEST_CALL_FAULT) {
                s.last_test = Some(e.at);
            }
        }
        (
            EventKind::EquipmentOk {
                lift,
                equipment,
                tested,
            },
            _,
        ) => {
            let s = state.equipment_entry(equipment, *lift, e.at);
            if s.fault.take().is_some() {
                s.since = e.at;
            }
            if *tested {
                s.last_test = Some(e.at);
            }
        }
        (_, Some(id)) => {
            if let Some(i) = state.incidents.get_mut(&id) {
                i.apply(e);
                // An attached lift's alarms join from now on; so do further calls from the
                // unknown reference it opened with (both keys lead here until it ends).
                if let EventKind::LiftAttached { lift, .. } = &e.kind {
                    state.open_by_key.insert(CorrelationKey::Lift(lift.id), id);
                }
                if let (true, Some(first)) = (i.status.is_terminal(), i.alarms.first()) {
                    let keys = [
                        i.lift.as_ref().map(|l| CorrelationKey::Lift(l.id)),
                        Some(CorrelationKey::Ref(first.lift_ref.clone())),
                    ];
                    for key in keys.into_iter().flatten() {
                        if state.open_by_key.get(&key) == Some(&id) {
                            state.open_by_key.remove(&key);
                        }
                    }
                }
            }
        }
        (_, None) => {}
    }
    if let Some(id) = e.incident {
        state.refresh(id);
    }
}
