//! The decision context: a working copy of the incidents a command touches, the events decided
//! so far, and the paging steps (start a step, fill it with the nearest candidates, exhaust it).
//!
//! Every event is applied to the working copy as it is emitted, so later steps of the same
//! decision see its effect (a unit paged by one step is not paged again by the next).

use super::incident::Incident;
use super::search::{Record, Source, UnitFacts};
use super::state::DeskState;
use crate::domain::chain::ChainSnapshot;
use crate::domain::{
    Actor, AdminCode, AlarmFlags, AlarmKind, Event, EventKind, IncidentId, LiftFlags, Seen, UnitId,
};
use crate::index::Ranking;
use crate::rules::{Step, Target};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// One decision in progress.
pub(crate) struct Ctx<'a> {
    pub state: &'a DeskState,
    pub now: DateTime<Utc>,
    pub events: Vec<Event>,
    work: HashMap<IncidentId, Incident>,
    taken: HashSet<UnitId>,
    /// Incidents opened by this decision, by correlation key (a batch of alarms may hold two
    /// for one lift: the second joins the first).
    opened: HashMap<super::state::CorrelationKey, IncidentId>,
    next_incident: i64,
    /// Where the rules' chain and the units' positions come from.
    source: Source<'a>,
    /// Storms declared and ended, and entrapments opened, by this decision.
    pub storm: super::storm::assign::Work,
}

impl<'a> Ctx<'a> {
    pub fn new(state: &'a DeskState, now: DateTime<Utc>) -> Self {
        Ctx {
            state,
            now,
            events: Vec::new(),
            work: HashMap::new(),
            taken: HashSet::new(),
            opened: HashMap::new(),
            next_incident: state.next_incident_id().0,
            source: Source::Live,
            storm: Default::default(),
        }
    }

    /// A decision replayed from an incident's record: chains and searches are answered from
    /// `record`, never from the desk's rules or index.
    pub fn replaying(state: &'a DeskState, now: DateTime<Utc>, record: &'a mut Record) -> Self {
        let mut ctx = Self::new(state, now);
        ctx.source = Source::Recorded(record);
        ctx
    }

    /// The chain the rules select for an incident's facts (a replay: the one it recorded).
    pub fn select_chain(
        &mut self,
        district: Option<AdminCode>,
        kind: &AlarmKind,
        flags: AlarmFlags,
        lift_flags: LiftFlags,
    ) -> ChainSnapshot {
        let recorded = match &mut self.source {
            Source::Recorded(r) => r.chain.take(),
            Source::Live => None,
        };
        recorded.unwrap_or_else(|| self.state.rules.select(district, kind, flags, lift_flags))
    }

    /// What the desk knows of a unit an operator assigns (a replay: what the page recorded).
    pub fn unit_facts(&mut self, unit: UnitId, incident: IncidentId) -> Option<UnitFacts> {
        match &mut self.source {
            Source::Live => UnitFacts::live(self.state, unit, incident),
            Source::Recorded(r) => UnitFacts::recorded(r, unit),
        }
    }

    /// The working copy of an incident (cloned from the desk on first use).
    pub fn incident(&mut self, id: IncidentId) -> Option<&Incident> {
        if !self.work.contains_key(&id) {
            let i = self.state.incidents.get(&id)?.clone();
            self.work.insert(id, i);
        }
        self.work.get(&id)
    }

    /// An incident as this decision sees it, without taking a working copy.
    pub fn peek(&self, id: IncidentId) -> Option<&Incident> {
        self.work.get(&id).or_else(|| self.state.incidents.get(&id))
    }

    /// Every incident not ended, on the desk or opened by this decision.
    pub fn open_ids(&self) -> Vec<IncidentId> {
        let desk = self
            .state
            .incidents
            .values()
            .filter(|i| !i.status.is_terminal());
        let mut ids: Vec<IncidentId> = desk.map(|i| i.id).collect();
        ids.extend(
            self.work
                .keys()
                .filter(|id| !self.state.incidents.contains_key(id)),
        );
        ids
    }

    /// Incidents this decision took a working copy of (touched or opened).
    pub fn worked_ids(&self) -> Vec<IncidentId> {
        self.work.keys().copied().collect()
    }

    /// Whether storm `n` is active for this decision.
    pub fn storm_active(&self, n: u32) -> bool {
        if self.storm.ended.contains(&n) {
            return false;
        }
        self.storm.declared.iter().any(|(d, _)| *d == n)
            || self
                .state
                .storm
                .storms
                .get(&n)
                .is_some_and(|s| s.ended_at.is_none())
    }

    /// The active storm covering a lift, for this decision.
    pub fn covering(&self, lift: &crate::domain::Lift) -> Option<u32> {
        let ours = self.storm.declared.iter().find(|(_, a)| a.contains(lift));
        let desk = || {
            self.state
                .storm
                .active()
                .find(|s| s.area.contains(lift) && !self.storm.ended.contains(&s.id))
                .map(|s| s.id)
        };
        ours.map(|(n, _)| *n).or_else(desk)
    }

    /// In a storm, maintainers and fire/rescue come from the solve, not one at a time.
    fn storm_defers(&self, id: IncidentId, step_id: &str) -> bool {
        let Some(i) = self.peek(id) else { return false };
        let target = i.tracks.get(step_id).map(|t| t.step.page);
        let storm = i.storm.as_ref().map(|(n, _)| *n);
        target.is_some_and(super::storm::solved_target)
            && storm.is_some_and(|n| self.storm_active(n))
    }

    /// Units paged by this decision so far, or kept off its pages ([`Self::keep_off`]).
    pub fn taken(&self) -> &HashSet<UnitId> {
        &self.taken
    }

    /// Pages nothing more to `unit` in this decision (it went off duty in it: the desk's
    /// state and index only learn so once the decision is applied).
    pub fn keep_off(&mut self, unit: UnitId) {
        self.taken.insert(unit);
    }

    /// Whether this decision replays a record (storm solves are not part of an incident's).
    pub fn replaying_record(&self) -> bool {
        matches!(self.source, Source::Recorded(_))
    }

    /// The id for an incident this decision opens.
    pub fn allocate_incident(&mut self) -> IncidentId {
        let id = IncidentId(self.next_incident);
        self.next_incident += 1;
        id
    }

    /// Starts tracking a brand-new incident (its opening event is emitted next).
    pub fn adopt(&mut self, key: super::state::CorrelationKey, i: Incident) {
        self.opened.insert(key, i.id);
        self.work.insert(i.id, i);
    }

    /// The incident alarms with this key would join: one this decision opened, else the desk's.
    pub fn open_incident(&mut self, key: &super::state::CorrelationKey) -> Option<&Incident> {
        match self.opened.get(key).copied() {
            Some(id) => self.incident(id),
            None => {
                let id = self.state.open_incident(key)?.id;
                self.incident(id)
            }
        }
    }

    /// Records an event and applies it to the working copy.
    pub fn emit(
        &mut self,
        id: Option<IncidentId>,
        actor: Actor,
        step: Option<&str>,
        reason: String,
        kind: EventKind,
    ) {
        if let EventKind::UnitPaged { candidate, .. } = &kind {
            self.taken.insert(candidate.unit);
        }
        let rules_version = id
            .and_then(|id| self.work.get(&id))
            .map(|i| i.chain.rules_version.clone());
        let e = Event {
            incident: id,
            at: self.now,
            actor,
            step: step.map(str::to_owned),
            rules_version,
            reason,
            kind,
        };
        if let Some(i) = id.and_then(|id| self.work.get_mut(&id)) {
            i.apply(&e);
        }
        self.events.push(e);
    }

    /// Emits a system event about one step of one incident.
    pub fn sys(&mut self, id: IncidentId, step: Option<&str>, reason: String, kind: EventKind) {
        self.emit(Some(id), Actor::System, step, reason, kind);
    }

    /// Starts a step of the incident's chain (once) and pages for it.
    pub fn start_step(&mut self, id: IncidentId, step_id: &str, reason: String) {
        let Some(i) = self.incident(id) else { return };
        if i.tracks.contains_key(step_id) || i.status.is_terminal() {
            return;
        }
        let Some(step) = i.chain.chain.step(step_id).cloned() else {
            return;
        };
        self.start(id, step, reason);
    }

    /// Starts a given step (from the chain or made up for an operator assignment).
    pub fn start(&mut self, id: IncidentId, step: Step, reason: String) {
        let sid = step.id.clone();
        let notify = step.notify_on_start.clone();
        self.sys(
            id,
            Some(&sid),
            reason,
            EventKind::StepStarted {
                step: Box::new(step),
            },
        );
        if !notify.is_empty() {
            let why = format!("step `{sid}` started");
            self.sys(
                id,
                Some(&sid),
                why,
                EventKind::PartiesNotified { parties: notify },
            );
        }
        self.fill(id, &sid);
    }

    /// Pages as many units as the step still needs; exhausts it when nobody is left.
    pub fn fill(&mut self, id: IncidentId, step_id: &str) {
        if self.storm_defers(id, step_id) {
            return;
        }
        let Some(i) = self.incident(id) else { return };
        if i.status.is_terminal() || i.released_at.is_some() {
            return;
        }
        let Some(t) = i.tracks.get(step_id) else {
            return;
        };
        if t.exhausted {
            return;
        }
        let (pending, accepted) = (t.pending(), t.accepted());
        let need = (t.step.count as usize).saturating_sub(pending + accepted);
        let left = (t.step.max_pages as usize).saturating_sub(t.pages.len());
        if need == 0 {
            return;
        }
        if left == 0 {
            if pending == 0 {
                let why = format!(
                    "all {} pages of step `{step_id}` used without enough acceptances",
                    t.step.max_pages
                );
                self.exhaust(id, step_id, why);
            }
            return;
        }
        let (ranking, seen) = match self.search(id, step_id, need.min(left)) {
            Ok(r) => r,
            Err(why) => return self.no_candidate(id, step_id, pending, why, None),
        };
        if ranking.chosen.is_empty() {
            let why = super::search::explain_empty(self.incident(id), step_id, &ranking);
            return self.no_candidate(id, step_id, pending, why, Some(seen));
        }
        self.page(id, step_id, ranking, seen);
    }

    fn page(&mut self, id: IncidentId, step_id: &str, ranking: Ranking, seen: Seen) {
        let Some(t) = self.incident(id).and_then(|i| i.tracks.get(step_id)) else {
            return;
        };
        let ack = t.step.acknowledge;
        let level = t.step.level;
        let mut passed = ranking.passed_over;
        let mut seen = Some(Box::new(seen));
        for c in ranking.chosen {
            let reason = format!("level {level} step `{step_id}`: {}", c.why);
            let kind = EventKind::UnitPaged {
                candidate: c,
                passed_over: std::mem::take(&mut passed),
                ack_due: self.now + ack.delta(),
                seen: seen.take(),
                queue: vec![],
            };
            self.sys(id, Some(step_id), reason, kind);
        }
    }

    /// The step found nobody to page. With a page still ringing it stays open and says why;
    /// with none it is exhausted at once, and that one event carries the why (a `no_candidate`
    /// before it would repeat the same reason on the timeline, and be a row more to append for
    /// every step a surge skips).
    fn no_candidate(
        &mut self,
        id: IncidentId,
        step_id: &str,
        pending: usize,
        why: String,
        seen: Option<Seen>,
    ) {
        let seen = seen.map(Box::new);
        if pending == 0 {
            return self.exhaust_seen(id, step_id, why, seen);
        }
        self.sys(
            id,
            Some(step_id),
            why.clone(),
            EventKind::NoCandidate { why, seen },
        );
    }

    /// Gives up on a step and starts its escalation, or asks for an operator.
    pub fn exhaust(&mut self, id: IncidentId, step_id: &str, why: String) {
        self.exhaust_seen(id, step_id, why, None)
    }

    /// [`Ctx::exhaust`] after a search that found nobody, which goes on the record with it.
    fn exhaust_seen(
        &mut self,
        id: IncidentId,
        step_id: &str,
        why: String,
        seen: Option<Box<Seen>>,
    ) {
        let Some(t) = self.incident(id).and_then(|i| i.tracks.get(step_id)) else {
            return;
        };
        if t.exhausted {
            return;
        }
        let next = t.step.on_exhausted.clone();
        let reason = match &next {
            Some(n) => format!("{why}; escalating to step `{n}`"),
            None => format!("{why}; the chain has no further step"),
        };
        self.sys(
            id,
            Some(step_id),
            reason.clone(),
            EventKind::StepExhausted {
                next: next.clone(),
                seen,
            },
        );
        match next {
            Some(n) => self.start_step(id, &n, format!("step `{step_id}` exhausted: {why}")),
            None => {
                let call = self.duty_phone_hint(id, step_id);
                let why = format!("step `{step_id}` exhausted: {why}; assign a unit by hand{call}");
                self.needs_operator(id, why)
            }
        }
    }

    /// For a property-staff step, the use unit's duty phone for the operator to call.
    fn duty_phone_hint(&mut self, id: IncidentId, step_id: &str) -> String {
        let Some(i) = self.incident(id) else {
            return String::new();
        };
        let property = i
            .tracks
            .get(step_id)
            .is_some_and(|t| t.step.page == Target::PropertyStaff);
        match (
            property,
            i.lift.as_ref().and_then(|l| l.use_unit_phone.as_ref()),
        ) {
            (true, Some(phone)) => format!(" or call the use unit's duty phone {phone}"),
            _ => String::new(),
        }
    }

    /// Asks the console for a person's decision.
    pub fn needs_operator(&mut self, id: IncidentId, why: String) {
        self.sys(id, None, why.clone(), EventKind::NeedsOperator { why });
    }

    /// Cancels every page that holds a unit on this incident, except `keep`'s.
    pub fn cancel_holding(&mut self, id: IncidentId, keep: Option<UnitId>, why: &str) {
        let Some(i) = self.incident(id) else { return };
        let holding: Vec<(String, UnitId)> = i
            .tracks
            .iter()
            .flat_map(|(s, t)| {
                t.pages
                    .iter()
                    .filter(|p| p.holds_unit())
                    .map(move |p| (s.clone(), p.unit))
            })
            .filter(|(_, u)| Some(*u) != keep)
            .collect();
        for (step, unit) in holding {
            self.sys(
                id,
                Some(&step),
                format!("{unit} stood down: {why}"),
                EventKind::PageCancelled { unit },
            );
        }
    }

    /// The `k` nearest units the step may page, and what the search saw.
    fn search(
        &mut self,
        id: IncidentId,
        step_id: &str,
        k: usize,
    ) -> Result<(Ranking, Seen), String> {
        if self.incident(id).is_none() {
            return Err("incident not found".into());
        }
        let i = self.work.get(&id).ok_or("incident not found")?;
        let (now, state) = (self.now, self.state);
        super::search::search(i, step_id, k, &self.taken, now, state, &mut self.source)
    }
}
