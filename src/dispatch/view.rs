//! What the console shows of an incident: where it stands, every page, the SLA clocks with the
//! time left, and the units that would be paged next with why. Pure: `now` is passed in.

use super::deadline::{DueWhat, due_items};
use super::incident::{Incident, PageState};
use super::state::DeskState;
use crate::domain::{IncidentId, IncidentStatus, Lift, UnitId};
use crate::index::{Candidate, Query};
use crate::rules::Target;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One page as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PageView {
    /// The unit.
    pub unit: UnitId,
    /// Its name.
    pub name: String,
    /// Pending, accepted, en_route, on_scene, released, declined, missed or cancelled.
    pub state: String,
    /// When the page went out.
    pub sent_at: DateTime<Utc>,
    /// When the acknowledgement is (or was) due.
    pub ack_due: DateTime<Utc>,
    /// The unit's own ETA, seconds, once accepted.
    pub eta_secs: Option<u32>,
    /// Distance when paged, metres.
    pub distance_m: f64,
    /// In a storm, the incidents this unit was given together, in the order it takes them
    /// (this one among them); absent for a page of one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<i64>)]
    pub queue: Vec<IncidentId>,
}

/// An incident's place in a storm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StormMark {
    /// The storm's number.
    pub storm: u32,
    /// Whether that storm is still on.
    pub active: bool,
    /// Waiting for the storm's solve to give it a unit.
    pub waiting: bool,
    /// Its triage now: tier (0 special), score and reasons.
    pub triage: crate::domain::storm::Triage,
}

/// One running step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepView {
    /// Step id.
    pub step: String,
    /// Response level.
    pub level: u8,
    /// Whom it pages.
    #[schema(value_type = String)]
    pub target: Target,
    /// Gave up and escalated.
    pub exhausted: bool,
    /// When its first unit arrived.
    pub arrived_at: Option<DateTime<Utc>>,
    /// Its pages, in order.
    pub pages: Vec<PageView>,
}

/// An SLA clock still running.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockView {
    /// What: "ack unit 12", "arrive (contracted) warning", "confirm breach" ….
    pub what: String,
    /// Which clock: `acknowledge`, `arrive`, `release` or `confirm`.
    pub kind: String,
    /// `warning` (the clock turns amber when it passes) or `breach` (red).
    pub phase: String,
    /// The step it runs for (none for the incident-wide confirm clock).
    pub step: Option<String>,
    /// When it falls due.
    pub due: DateTime<Utc>,
    /// Seconds left (negative: overdue, about to fire).
    pub seconds_left: i64,
}

/// A deadline whose breach has fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BreachView {
    /// What: "arrive (contracted)", "confirm release" ….
    pub what: String,
    /// Which clock: `arrive`, `release` or `confirm`.
    pub kind: String,
}

/// The console's view of one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentView {
    /// Its id.
    pub id: IncidentId,
    /// Where it stands.
    pub status: IncidentStatus,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// The lift, if resolved.
    pub lift: Option<Lift>,
    /// The chain and the rules version.
    pub chain: String,
    /// Rules version.
    pub rules_version: String,
    /// Number of alarms on it.
    pub alarms: usize,
    /// What the latest alarm reported: `entrapment_at_landing`, `entrapment_between_floors`,
    /// `passenger_alarm` or `fault`.
    pub kind: String,
    /// The highest response level started (0: none yet).
    pub level: u8,
    /// Flags reported so far.
    pub flags: Vec<String>,
    /// The floor the car stands at, as the latest alarm that named one reported it.
    pub floor: Option<String>,
    /// How many people are trapped, as the latest alarm that said reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trapped: Option<u16>,
    /// Waiting for an operator, and why.
    pub needs_operator: Option<String>,
    /// When the passengers were released.
    pub released_at: Option<DateTime<Utc>>,
    /// Steps in start order.
    pub steps: Vec<StepView>,
    /// Running SLA clocks, earliest first.
    pub clocks: Vec<ClockView>,
    /// Deadlines breached so far.
    pub breaches: Vec<BreachView>,
    /// The nearest available maintainers and fire/rescue units not yet paged here, for a
    /// one-key override.
    pub candidates: Vec<Candidate>,
    /// Its place in a storm, if it was triaged in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm: Option<StormMark>,
}

/// The console's view of an incident at `now`, if the desk holds it, with the units that would
/// be paged next.
pub fn incident_view(
    state: &DeskState,
    id: IncidentId,
    now: DateTime<Utc>,
) -> Option<IncidentView> {
    let mut view = board_row(state, id, now)?;
    view.candidates = candidates(state, state.incidents.get(&id)?, now);
    Some(view)
}

/// The board's row of an incident: its view without the candidates (no index search, so the
/// desk can give one for every change cheaply).
pub fn board_row(state: &DeskState, id: IncidentId, now: DateTime<Utc>) -> Option<IncidentView> {
    let i = state.incidents.get(&id)?;
    let steps = i
        .track_order
        .iter()
        .filter_map(|s| i.tracks.get(s))
        .map(|t| StepView {
            step: t.step.id.clone(),
            level: t.step.level,
            target: t.step.page,
            exhausted: t.exhausted,
            arrived_at: t.arrived_at,
            pages: t.pages.iter().map(|p| page_view(state, p)).collect(),
        });
    let clocks = due_items(i).into_iter().map(|d| {
        let (kind, phase, step) = clock_parts(&d.what);
        ClockView {
            what: clock_label(&d.what),
            kind: kind.to_owned(),
            phase: phase.to_owned(),
            step,
            due: d.at,
            seconds_left: (d.at - now).num_seconds(),
        }
    });
    Some(IncidentView {
        id,
        status: i.status,
        opened_at: i.opened_at,
        lift: i.lift.clone(),
        chain: i.chain.chain.name.clone(),
        rules_version: i.chain.rules_version.0.clone(),
        alarms: i.alarms.len(),
        kind: i
            .alarms
            .last()
            .map(|a| a.kind.rule_name().to_owned())
            .unwrap_or_default(),
        level: i.tracks.values().map(|t| t.step.level).max().unwrap_or(0),
        flags: i.flags.names().iter().map(|s| s.to_string()).collect(),
        floor: i.alarms.iter().rev().find_map(|a| a.floor.clone()),
        trapped: i.alarms.iter().rev().find_map(|a| a.trapped),
        needs_operator: i.needs_operator.clone(),
        released_at: i.released_at,
        steps: steps.collect(),
        clocks: clocks.collect(),
        breaches: breaches(i),
        candidates: vec![],
        storm: crate::dispatch::storm::view::mark(state, i, now),
    })
}

/// The clock's kind, phase and step.
fn clock_parts(what: &DueWhat) -> (&'static str, &'static str, Option<String>) {
    match what {
        DueWhat::Ack { step, .. } => ("acknowledge", "breach", Some(step.clone())),
        DueWhat::Deadline { step, kind, breach } => {
            let phase = if *breach { "breach" } else { "warning" };
            (deadline_kind(kind), phase, step.clone())
        }
    }
}

fn deadline_kind(kind: &crate::domain::DeadlineKind) -> &'static str {
    match kind {
        crate::domain::DeadlineKind::Arrive(_) => "arrive",
        crate::domain::DeadlineKind::Release(_) => "release",
        crate::domain::DeadlineKind::Confirm => "confirm",
    }
}

/// The breaches fired so far, steps in start order, then the confirm deadline.
fn breaches(i: &Incident) -> Vec<BreachView> {
    let steps = i
        .track_order
        .iter()
        .filter_map(|s| i.tracks.get(s))
        .flat_map(|t| t.fired.iter().filter(|(_, breach)| *breach))
        .map(|(kind, _)| BreachView {
            what: deadline_label(kind),
            kind: deadline_kind(kind).to_owned(),
        });
    let confirm = i.confirm_fired.1.then(|| BreachView {
        what: deadline_label(&crate::domain::DeadlineKind::Confirm),
        kind: "confirm".to_owned(),
    });
    steps.chain(confirm).collect()
}

fn deadline_label(kind: &crate::domain::DeadlineKind) -> String {
    match kind {
        crate::domain::DeadlineKind::Arrive(s) => format!("arrive ({s})"),
        crate::domain::DeadlineKind::Release(s) => format!("release ({s})"),
        crate::domain::DeadlineKind::Confirm => "confirm release".to_owned(),
    }
}

fn page_view(state: &DeskState, p: &super::incident::Page) -> PageView {
    let state_word = match p.state {
        PageState::Pending => "pending".to_owned(),
        PageState::Accepted(s) => s.as_str().to_owned(),
        PageState::Declined => "declined".to_owned(),
        PageState::Missed => "missed".to_owned(),
        PageState::Cancelled => "cancelled".to_owned(),
    };
    PageView {
        unit: p.unit,
        name: state
            .units
            .get(&p.unit)
            .map(|u| u.unit.name.clone())
            .unwrap_or_default(),
        state: state_word,
        sent_at: p.sent_at,
        ack_due: p.ack_due,
        eta_secs: p.eta_secs,
        distance_m: p.distance_m,
        queue: p.queue.clone(),
    }
}

fn clock_label(what: &DueWhat) -> String {
    match what {
        DueWhat::Ack { step, unit } => format!("acknowledge ({step}, {unit})"),
        DueWhat::Deadline { kind, breach, .. } => {
            let phase = if *breach { "breach" } else { "warning" };
            format!("{} {phase}", deadline_label(kind))
        }
    }
}

/// Up to 3 nearest available maintainers (of any company) and 2 fire/rescue units not already
/// paged on this incident.
fn candidates(state: &DeskState, i: &Incident, now: DateTime<Utc>) -> Vec<Candidate> {
    let Some(lift) = i.lift.as_ref() else {
        return vec![];
    };
    if i.status.is_terminal() || i.released_at.is_some() {
        return vec![];
    }
    let paged = |u: UnitId| i.page_of(u).is_some();
    let ask = |kind, k| {
        state.index.nearest(&Query {
            at: lift.position,
            kind,
            company: None,
            k,
            max_distance_m: None,
            fresh_since: Some(now - i.chain.position_max_age.delta()),
            exclude: &paged,
            travel: &i.chain.travel,
        })
    };
    let mut out = ask(crate::domain::UnitKind::Maintainer, 3).chosen;
    out.extend(ask(crate::domain::UnitKind::FireRescue, 2).chosen);
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{M_NEAR, M_OTHER_CO, World};
    use super::*;

    #[test]
    fn the_view_shows_pages_running_clocks_and_override_candidates() {
        let mut w = World::new();
        let id = w.entrapment();
        w.now += chrono::TimeDelta::seconds(60);
        let v = incident_view(&w.state, id, w.now).unwrap();
        assert_eq!(v.status, IncidentStatus::Dispatched);
        assert_eq!(v.steps.len(), 2);
        assert_eq!(v.steps[0].pages[0].unit, M_NEAR);
        assert_eq!(v.steps[0].pages[0].state, "pending");
        assert_eq!(v.floor.as_deref(), Some("7"), "the floor the alarm named");
        let ack = v
            .clocks
            .iter()
            .find(|c| c.what.starts_with("acknowledge (contracted"))
            .unwrap();
        assert_eq!(ack.seconds_left, 120);
        assert_eq!(
            (ack.kind.as_str(), ack.phase.as_str()),
            ("acknowledge", "breach")
        );
        let arrive = v
            .clocks
            .iter()
            .find(|c| c.what == "arrive (contracted) warning")
            .unwrap();
        assert_eq!(
            (arrive.kind.as_str(), arrive.phase.as_str()),
            ("arrive", "warning")
        );
        assert_eq!(arrive.step.as_deref(), Some("contracted"));
        assert_eq!(v.level, 1, "the contracted maintainer's level");
        assert!(v.breaches.is_empty());
        assert!(!v.kind.is_empty());
        // The nearest maintainer not yet paged here is the other company's, 300 m away.
        assert_eq!(v.candidates.first().map(|c| c.unit), Some(M_OTHER_CO));
        assert!(v.candidates.iter().all(|c| c.unit != M_NEAR));
    }

    #[test]
    fn a_breached_deadline_is_listed_and_its_clock_is_gone() {
        use crate::dispatch::CrewAction;
        let mut w = World::new();
        let id = w.entrapment();
        w.crew(M_NEAR, id, CrewAction::Accept { eta_secs: None })
            .unwrap();
        w.crew(M_NEAR, id, CrewAction::OnScene).unwrap();
        w.crew(M_NEAR, id, CrewAction::Released).unwrap();
        let v = incident_view(&w.state, id, w.now).unwrap();
        assert!(v.breaches.is_empty());
        let confirm: Vec<_> = v.clocks.iter().filter(|c| c.kind == "confirm").collect();
        assert_eq!(confirm.len(), 2, "warning and breach: {:?}", v.clocks);
        // Nobody calls back: the confirmation breaches.
        w.advance(600);
        let v = incident_view(&w.state, id, w.now).unwrap();
        assert_eq!(
            v.breaches,
            [BreachView {
                what: "confirm release".into(),
                kind: "confirm".into()
            }]
        );
        assert!(
            !v.clocks.iter().any(|c| c.kind == "confirm"),
            "{:?}",
            v.clocks
        );
    }
}
