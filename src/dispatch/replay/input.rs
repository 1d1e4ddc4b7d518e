//! The inputs of an incident's record, turned back into the commands the desk took.
//!
//! The first event of each decision about an incident says what caused it: an alarm opened or
//! joined it, a crew or an operator acted, a deadline tick fired (a missed acknowledgement, a
//! warning, a breach), or, just before it in the log, a unit went off duty. Texts the command
//! carried (a decline's reason, the callback's note, an assignment's reason) are read back
//! from the reason the decision wrote around them.

use super::super::search::Record;
use super::super::{Command, CrewAction, DeskState, OperatorAction};
use super::{Difference, Logged, Step};
use crate::domain::{Actor, CrewStatus, EventKind, IncidentId, LiftRef};

/// The command a unit's `unit_duty` event records; the replay's desk is first put in the duty
/// state it changed from (the record says it changed).
pub(super) fn duty(state: &mut DeskState, l: &Logged) -> Result<Step, Box<Difference>> {
    let e = &l.event;
    let EventKind::UnitDuty { unit, on_duty } = &e.kind else {
        return Err(Box::new(super::diff::missing(Some(l), "a duty change")));
    };
    state.set_duty(*unit, !on_duty);
    let word = if *on_duty { "on duty" } else { "off duty" };
    let why = strip(&e.reason, &format!("{unit} {word}: "));
    Ok(Step {
        command: Command::UnitDuty {
            unit: *unit,
            on_duty: *on_duty,
            why,
        },
        at: e.at,
        words: format!("{unit} going {word} (seq {})", l.seq),
    })
}

/// The command that made the decision starting at `events[0]`, or `None` when that event is
/// not the start of any decision (the replay's previous decision ended before it).
pub(super) fn command(
    state: &DeskState,
    record: &mut Record,
    incident: IncidentId,
    events: &[&Logged],
) -> Option<Step> {
    let first = events.first()?;
    let e = &first.event;
    let crew = |unit, action| Command::Crew {
        unit,
        incident,
        action,
    };
    let operator = |user: &String, action| Command::Operator {
        user: user.clone(),
        incident,
        action,
    };
    let command = match (&e.kind, &e.actor) {
        (
            EventKind::IncidentOpened {
                alarm, lift, chain, ..
            },
            _,
        ) => {
            record.chain = Some((**chain).clone());
            Command::Alarm {
                alarm: alarm.clone(),
                lift: lift.clone(),
            }
        }
        (EventKind::AlarmJoined { alarm }, _) => Command::Alarm {
            alarm: alarm.clone(),
            lift: state
                .incidents
                .get(&incident)
                .and_then(|i| i.lift.clone())
                .map(Box::new),
        },
        (EventKind::Accepted { eta_secs, .. }, Actor::Unit(u)) => crew(
            *u,
            CrewAction::Accept {
                eta_secs: *eta_secs,
            },
        ),
        (EventKind::Declined { unit }, Actor::Unit(u)) => crew(
            *u,
            CrewAction::Decline {
                reason: strip(&e.reason, &format!("{unit} declined: ")),
            },
        ),
        (EventKind::CrewProgress { status, .. }, Actor::Unit(u)) => crew(
            *u,
            match status {
                CrewStatus::EnRoute => CrewAction::EnRoute,
                CrewStatus::OnScene => CrewAction::OnScene,
                CrewStatus::Released => CrewAction::Released,
                CrewStatus::Accepted => return None,
            },
        ),
        (EventKind::FaultCauseFiled { code, text }, Actor::Unit(u)) => crew(
            *u,
            CrewAction::FaultCause {
                code: code.clone(),
                text: text.clone(),
            },
        ),
        (EventKind::FaultCauseFiled { code, text }, Actor::Operator(user)) => operator(
            user,
            OperatorAction::FaultCause {
                code: code.clone(),
                text: text.clone(),
            },
        ),
        (EventKind::Note { text }, Actor::Operator(user)) => {
            operator(user, OperatorAction::Note { text: text.clone() })
        }
        (EventKind::ReleaseConfirmed, Actor::Operator(user)) => operator(
            user,
            OperatorAction::ConfirmRelease {
                note: strip(&e.reason, "release confirmed by callback: "),
            },
        ),
        (EventKind::Closed { .. }, Actor::Operator(user)) => operator(user, OperatorAction::Close),
        (EventKind::Cancelled | EventKind::FalseAlarm, Actor::Operator(_)) => end_early(e)?,
        // Ending an incident stands its units down first, then records the end.
        (EventKind::PageCancelled { .. }, Actor::System) => {
            let end = events
                .iter()
                .map(|l| &l.event)
                .find(|x| !matches!(x.kind, EventKind::PageCancelled { .. }))?;
            end_early(end)?
        }
        (EventKind::LiftAttached { lift, chain, by }, Actor::Operator(user)) => {
            record.chain = Some((**chain).clone());
            let by = by.clone().unwrap_or(LiftRef::Id(lift.id));
            operator(
                user,
                OperatorAction::AttachLift {
                    lift: lift.clone(),
                    by,
                },
            )
        }
        (EventKind::StepStarted { .. }, Actor::Operator(user)) => {
            let unit = events.get(1).and_then(|l| match &l.event.kind {
                EventKind::UnitPaged {
                    candidate, seen, ..
                } => Some(
                    seen.as_ref()
                        .and_then(|s| s.units.first())
                        .map_or(candidate.unit, |u| u.unit),
                ),
                _ => None,
            })?;
            let reason = strip(&e.reason, "operator override: ");
            operator(user, OperatorAction::Assign { unit, reason })
        }
        (
            EventKind::AckMissed { .. }
            | EventKind::DeadlineWarning { .. }
            | EventKind::DeadlineBreached { .. },
            Actor::System,
        ) => Command::Tick,
        _ => return None,
    };
    Some(Step {
        command,
        at: e.at,
        words: format!("`{}` at seq {}", e.kind.name(), first.seq),
    })
}

/// An operator's cancel or false alarm, from the event that ends the incident.
fn end_early(e: &crate::domain::Event) -> Option<Command> {
    let (Some(incident), Actor::Operator(user)) = (e.incident, &e.actor) else {
        return None;
    };
    let reason = e.reason.clone();
    let action = match e.kind {
        EventKind::Cancelled => OperatorAction::Cancel { reason },
        EventKind::FalseAlarm => OperatorAction::FalseAlarm { reason },
        _ => return None,
    };
    Some(Command::Operator {
        user: user.clone(),
        incident,
        action,
    })
}

/// `text` without `prefix` (all of it when it does not start so: the replay then writes a
/// different reason and says so).
fn strip(text: &str, prefix: &str) -> String {
    text.strip_prefix(prefix).unwrap_or(text).to_owned()
}
