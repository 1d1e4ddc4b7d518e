//! Replay: the decisions of one incident made again from its record, and compared with it.
//!
//! An incident's events are of two sorts: inputs (the alarm that opened it and those that
//! joined, crews' accepts, declines and progress, operators' actions, the deadline ticks that
//! fired, units going off duty) and the decisions the core made from them (steps started,
//! units paged with their distances and reasons, escalations, stand-downs, warnings and
//! breaches). [`replay`] rebuilds each input as the command the desk took ([`input`]), runs
//! it through the pure core ([`super::decide`], [`super::apply`]) at the recorded time, under
//! the incident's own rules snapshot (the chain in `incident_opened` / `lift_attached`) and
//! with the positions its searches recorded ([`crate::domain::Seen`]), and compares what comes
//! out with the record, event by event. Nothing here reads today's registry, positions or
//! rules, a clock, or any I/O: the record is all it has.
//!
//! Identical means every recorded event of the incident came out again, equal field for field
//! and in order. Otherwise the answer names the first recorded event that differs and how
//! ([`diff`]). Delivery reports (what the gateways said of a page's messages) are records of
//! the outside world, not decisions: the replay passes over them. Incidents opened before the
//! events kept their inputs (no `replay_format` on `incident_opened`) are "not replayable",
//! never a false difference.

mod diff;
mod input;
#[cfg(test)]
mod tests;

pub use diff::FieldDiff;

use super::search::Record;
use super::state::{DeskState, apply};
use crate::domain::{Event, EventKind, IncidentId, LatLon, Seen, Unit, UnitId, UnitKind};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One stored event with its place in the whole log.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    /// Its log sequence.
    pub seq: i64,
    /// The event.
    pub event: Event,
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Replay {
    /// The incident.
    #[schema(value_type = i64)]
    pub incident: IncidentId,
    /// Every recorded event came out again from the recorded inputs, equal and in order.
    pub identical: bool,
    /// Recorded events the core made again (all of them when identical; before the first
    /// difference otherwise). Delivery reports are not counted: they are not decisions.
    pub decisions: usize,
    /// Inputs replayed: alarms, crew and operator actions, deadline ticks, duty changes.
    pub inputs: usize,
    /// Why the incident cannot be replayed at all (then `identical` is false and there is no
    /// `difference`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_replayable: Option<String>,
    /// The first recorded event that differs, and how.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<Difference>,
}

/// The first place where the replay and the record part.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Difference {
    /// The recorded event's log sequence; `None` when the record had ended and the replay
    /// made more.
    pub seq: Option<i64>,
    /// The recorded event's type (`unit_paged`, …); `None` likewise.
    pub kind: Option<String>,
    /// The replayed event's type at that place; `None` when the replay made nothing there.
    pub replayed_kind: Option<String>,
    /// The input being replayed, in words.
    pub input: String,
    /// How they differ, in words.
    pub summary: String,
    /// Field by field (the event's JSON paths), when both sides have an event.
    pub fields: Vec<FieldDiff>,
}

impl Replay {
    /// The answer in one line: "replayed 14 decisions from 6 inputs, identical", or what
    /// differs, or why it could not be replayed.
    pub fn words(&self) -> String {
        let id = self.incident;
        if let Some(why) = &self.not_replayable {
            return format!("{id} is not replayable: {why}");
        }
        match &self.difference {
            None => format!(
                "{id}: replayed {} decisions from {} inputs, identical",
                self.decisions, self.inputs
            ),
            Some(d) => {
                let at = match (d.seq, &d.kind) {
                    (Some(seq), Some(kind)) => format!("the recorded event at seq {seq} ({kind})"),
                    _ => "after the last recorded event".into(),
                };
                format!(
                    "{id} DIFFERS at {at}, replaying {}: {} ({} decisions identical before it)",
                    d.input, d.summary, self.decisions
                )
            }
        }
    }
}

/// Replays `incident` from `log`: its own events and the `unit_duty` events around them (any
/// others are ignored), in log order. Pure.
pub fn replay(incident: IncidentId, log: &[Logged]) -> Replay {
    let mine: Vec<&Logged> = log
        .iter()
        .filter(|l| l.event.incident == Some(incident))
        .filter(|l| !matches!(l.event.kind, EventKind::Delivery { .. }))
        .collect();
    let mut out = Replay {
        incident,
        identical: false,
        decisions: 0,
        inputs: 0,
        not_replayable: None,
        difference: None,
    };
    if let Err(why) = replayable(&mine) {
        out.not_replayable = Some(why);
        return out;
    }
    if let Some(why) = storm_solves(incident, &mine, log) {
        out.not_replayable = Some(why);
        return out;
    }
    let units = units_of(&mine);
    let duties: Vec<&Logged> = log
        .iter()
        .filter(|l| l.event.incident.is_none())
        .filter(|l| matches!(&l.event.kind, EventKind::UnitDuty { unit, .. } if units.contains_key(unit)))
        .collect();
    let mut state = match replay_state(incident, &units) {
        Ok(s) => s,
        Err(why) => {
            out.not_replayable = Some(why);
            return out;
        }
    };
    let mut record = Record {
        chain: None,
        seen: mine
            .iter()
            .filter_map(|l| seen(&l.event))
            .cloned()
            .collect(),
    };
    let mut run = Run {
        incident,
        mine: &mine,
        pos: 0,
        out,
    };
    let mut next_duty = duties.iter().peekable();
    let mine = run.mine;
    loop {
        let here = mine.get(run.pos);
        let duty = next_duty.next_if(|d| here.is_none_or(|h| d.seq < h.seq));
        let step = match (duty, here) {
            (Some(d), _) => input::duty(&mut state, d),
            (None, Some(h)) => input::command(&state, &mut record, incident, &mine[run.pos..])
                .ok_or_else(|| run.unexplained(h)),
            (None, None) => break,
        };
        let step = match step {
            Ok(s) => s,
            Err(d) => return run.differs(*d),
        };
        if let Err(d) = run.decide(&mut state, &mut record, step, duty.is_none()) {
            return run.differs(*d);
        }
    }
    run.out.identical = true;
    run.out
}

/// One input ready to replay.
pub(super) struct Step {
    pub command: super::Command,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The input in words.
    pub words: String,
}

/// The walk along the incident's recorded events.
struct Run<'l> {
    incident: IncidentId,
    mine: &'l [&'l Logged],
    pos: usize,
    out: Replay,
}

impl Run<'_> {
    /// Runs one input and checks what it makes against the record from `pos` on.
    fn decide(
        &mut self,
        state: &mut DeskState,
        record: &mut Record,
        step: Step,
        from_record: bool,
    ) -> Result<(), Box<Difference>> {
        self.out.inputs += 1;
        let made = super::decide_recorded(state, step.command, step.at, record).map_err(|r| {
            let here = self.mine.get(self.pos).copied();
            Box::new(diff::refused(here, &step.words, &r.to_string()))
        })?;
        for e in &made {
            apply(state, e);
        }
        let made: Vec<&Event> = made
            .iter()
            .filter(|e| e.incident == Some(self.incident))
            .collect();
        if made.is_empty() && from_record {
            let here = self.mine.get(self.pos).copied();
            return Err(Box::new(diff::missing(here, &step.words)));
        }
        for e in made {
            let here = self.mine.get(self.pos).copied();
            match here {
                Some(r) if r.event == *e => {}
                _ => return Err(Box::new(diff::differ(here, e, &step.words))),
            }
            self.pos += 1;
            self.out.decisions += 1;
        }
        Ok(())
    }

    fn unexplained(&self, here: &Logged) -> Box<Difference> {
        Box::new(diff::missing(Some(here), "the input before it"))
    }

    fn differs(mut self, d: Difference) -> Replay {
        self.out.difference = Some(d);
        self.out
    }
}

/// Whether the incident's record keeps what its decisions read.
fn replayable(mine: &[&Logged]) -> Result<(), String> {
    let first = mine.first().ok_or("it has no events")?;
    match &first.event.kind {
        EventKind::IncidentOpened { replay_format, .. } if *replay_format >= 1 => {}
        EventKind::IncidentOpened { .. } => {
            return Err(
                "recorded before inputs were kept (its events do not carry the \
                        positions its searches used)"
                    .into(),
            );
        }
        _ => {
            return Err(format!(
                "its first event (seq {}) is not its opening",
                first.seq
            ));
        }
    }
    let unlisted = mine
        .iter()
        .find(|l| seen(&l.event).is_some_and(|s| s.unlisted > 0));
    match unlisted {
        Some(l) => Err(format!(
            "the search recorded at seq {} passed over more units than it lists (the nearest 32), \
             and the positions of the others were not kept",
            l.seq
        )),
        None => Ok(()),
    }
}

/// For an incident triaged in a storm: its storm pages came from solves over many incidents,
/// which no replay of this incident alone can make again. Each solve that offered it a unit is
/// solved again from its own record instead, and the answer says how that went.
fn storm_solves(incident: IncidentId, mine: &[&Logged], log: &[Logged]) -> Option<String> {
    let storm = mine.iter().find_map(|l| match &l.event.kind {
        EventKind::IncidentTriaged { storm, .. } => Some(*storm),
        _ => None,
    })?;
    let solves: Vec<&Logged> = log
        .iter()
        .filter(|l| match &l.event.kind {
            EventKind::StormSolved { jobs, .. } => {
                jobs.iter().any(|j| j.incidents.contains(&incident))
            }
            _ => false,
        })
        .collect();
    let differ: Vec<String> = solves
        .iter()
        .filter(|l| super::storm::assign::replay_solve(&l.event) != Some(true))
        .map(|l| l.seq.to_string())
        .collect();
    let verdict = if differ.is_empty() {
        format!(
            "the {} storm solves that offered it units each solve again to the recorded choice",
            solves.len()
        )
    } else {
        format!(
            "storm solves at seq {} do NOT solve again to the recorded choice",
            differ.join(", ")
        )
    };
    Some(format!(
        "decided together with storm {storm}: its units were assigned by the storm's global solves,          not by its own decisions alone; {verdict}"
    ))
}

/// What a search or assignment recorded on this event.
fn seen(e: &Event) -> Option<&Seen> {
    match &e.kind {
        EventKind::UnitPaged { seen, .. }
        | EventKind::NoCandidate { seen, .. }
        | EventKind::StepExhausted { seen, .. } => seen.as_deref(),
        _ => None,
    }
}

/// The units paged for the incident, with their kind and company as recorded.
fn units_of(mine: &[&Logged]) -> BTreeMap<UnitId, (UnitKind, crate::domain::CompanyId)> {
    let mut units = BTreeMap::new();
    for l in mine {
        if let Some(s) = seen(&l.event) {
            for u in &s.units {
                units.insert(u.unit, (u.kind, u.company));
            }
        }
    }
    units
}

/// An empty desk that knows the incident's units (on duty, nowhere: positions come from the
/// record) and gives the incident its own id. Its rules are the built-in ones and are never
/// consulted: every chain comes from the record.
fn replay_state(
    incident: IncidentId,
    units: &BTreeMap<UnitId, (UnitKind, crate::domain::CompanyId)>,
) -> Result<DeskState, String> {
    let rules = crate::rules::RuleSet::built_in()
        .map_err(|_| "the built-in rules did not load".to_owned())?;
    let mut state = DeskState::new(Arc::new(rules), LatLon { lat: 0.0, lon: 0.0 });
    for (id, (kind, company)) in units {
        state.add_unit(Unit {
            id: *id,
            name: id.to_string(),
            kind: *kind,
            company: *company,
            skills: vec![],
            phone: None,
            on_duty: true,
            fix: None,
            base: None,
            contact_plan: None,
        });
    }
    state.expect_incident(incident);
    Ok(state)
}
