//! The world's answers to what the desk decided: each paged unit's reply, the release by the
//! first rescuer on scene, the operator's callback, the fault cause and the close.

use super::{Act, Player};
use crate::demo::history::{FAULT_CAUSES, Outcome, crews};
use crate::dispatch::{CrewAction, OperatorAction};
use crate::domain::{CrewStatus, Event, EventKind, IncidentId, UnitId, UnitKind};

impl Player<'_> {
    /// The first maintainer or fire/rescue crew on scene of a real entrapment frees them.
    pub(super) fn on_scene(&mut self, id: IncidentId, unit: UnitId) {
        let rescuer = self
            .kinds
            .get(&unit)
            .is_some_and(|k| *k != UnitKind::PropertyStaff);
        let plan = self.plan;
        let Some(case) = self.cases.get_mut(&id) else {
            return;
        };
        if !rescuer
            || case.releaser.is_some()
            || plan.incidents[case.plan].outcome != Outcome::Rescue
        {
            return;
        }
        case.releaser = Some(unit);
        let secs = crews::rescue_secs(&mut self.drive.rng);
        self.drive
            .after(secs, Act::Crew(id, unit, CrewAction::Released));
    }

    /// Schedules what follows from the desk's events: answers to pages, the callback after a
    /// release, the fault cause after the callback, the close after the cause.
    pub(super) fn respond(&mut self, events: &[Event]) {
        self.answer_pages(events);
        for e in events {
            let Some(id) = e.incident else { continue };
            match &e.kind {
                EventKind::CrewProgress {
                    status: CrewStatus::Released,
                    ..
                } => {
                    let secs = crews::callback_secs(&mut self.drive.rng);
                    let note = "callback: passengers out and unhurt".to_owned();
                    self.drive.after(
                        secs,
                        Act::Operator(id, OperatorAction::ConfirmRelease { note }),
                    );
                }
                EventKind::ReleaseConfirmed => self.file_cause(id),
                // Nobody left to page for a step (often: no property staff near): the operator
                // calls the use unit's duty phone, as the desk suggests, and notes it.
                EventKind::NeedsOperator { .. } => {
                    let text =
                        "called the use unit's duty phone: someone is going to the lift".into();
                    let secs = self.drive.rng.i64(30..120);
                    self.drive
                        .after(secs, Act::Operator(id, OperatorAction::Note { text }));
                }
                EventKind::FaultCauseFiled { .. } => {
                    let secs = self.drive.rng.i64(60..300);
                    self.drive
                        .after(secs, Act::Operator(id, OperatorAction::Close));
                }
                EventKind::Closed { .. } | EventKind::Cancelled | EventKind::FalseAlarm => {
                    if let Some(c) = self.cases.get_mut(&id) {
                        c.ended = true;
                    }
                }
                _ => {}
            }
        }
    }

    pub(super) fn file_cause(&mut self, id: IncidentId) {
        let Some(case) = self.cases.get(&id) else {
            return;
        };
        let cause = self.plan.incidents[case.plan].cause;
        match (cause, case.releaser) {
            (Some(c), Some(unit)) => {
                let (code, text, _) = FAULT_CAUSES[c];
                let action = CrewAction::FaultCause {
                    code: code.into(),
                    text: text.into(),
                };
                let secs = self.drive.rng.i64(180..1500);
                self.drive.after(secs, Act::Crew(id, unit, action));
            }
            _ => {
                let secs = self.drive.rng.i64(60..300);
                self.drive
                    .after(secs, Act::Operator(id, OperatorAction::Close));
            }
        }
    }

    /// Draws each paged unit's answer and schedules it.
    pub(super) fn answer_pages(&mut self, events: &[Event]) {
        for e in events {
            let (EventKind::UnitPaged { candidate, .. }, Some(id)) = (&e.kind, e.incident) else {
                continue;
            };
            let unit = candidate.unit;
            let Some(case) = self.cases.get(&id) else {
                continue;
            };
            if case.travel.contains_key(&unit) {
                continue; // answered already
            }
            let slow = self.plan.incidents[case.plan].slow;
            let kind = self
                .kinds
                .get(&unit)
                .copied()
                .unwrap_or(UnitKind::Maintainer);
            match crews::reply(&mut self.drive.rng, kind, slow) {
                crews::Reply::Accept { after, travel, eta } => {
                    let action = CrewAction::Accept {
                        eta_secs: Some(eta),
                    };
                    self.drive.after(after, Act::Crew(id, unit, action));
                    self.note_travel(id, unit, travel);
                }
                crews::Reply::Decline { after, reason } => {
                    let action = CrewAction::Decline {
                        reason: reason.into(),
                    };
                    self.drive.after(after, Act::Crew(id, unit, action));
                    self.note_travel(id, unit, 0);
                }
                crews::Reply::Silent => self.note_travel(id, unit, 0),
            }
        }
    }

    pub(super) fn note_travel(&mut self, id: IncidentId, unit: UnitId, secs: i64) {
        if let Some(c) = self.cases.get_mut(&id) {
            c.travel.insert(unit, secs);
        }
    }
}
