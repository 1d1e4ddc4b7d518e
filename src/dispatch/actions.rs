//! What crews do (and the shared checks for every action), against where the incident stands;
//! a unit going on or off duty.

use super::ctx::Ctx;
use super::incident::{Incident, PageState};
use super::{CrewAction, Rejection};
use crate::domain::{Actor, CrewStatus, EventKind, IncidentId, UnitId};
use crate::rules::OnMiss;

pub(super) fn open_incident<'c>(
    ctx: &'c mut Ctx<'_>,
    id: IncidentId,
) -> Result<&'c Incident, Rejection> {
    let i = ctx.incident(id).ok_or(Rejection::UnknownIncident(id))?;
    if i.status.is_terminal() {
        return Err(Rejection::Ended(id, i.status));
    }
    Ok(i)
}

pub(super) fn out_of_order(action: &'static str, why: impl Into<String>) -> Rejection {
    Rejection::OutOfOrder {
        action,
        why: why.into(),
    }
}

pub(super) fn non_empty(field: &'static str, s: &str) -> Result<(), Rejection> {
    if s.trim().is_empty() {
        Err(Rejection::Empty(field))
    } else {
        Ok(())
    }
}

pub(crate) fn on_crew(
    ctx: &mut Ctx<'_>,
    unit: UnitId,
    id: IncidentId,
    action: CrewAction,
) -> Result<(), Rejection> {
    // A storm gives one crew several cars as one page: its answer is for all of them.
    let queue = match &action {
        CrewAction::Accept { .. } | CrewAction::Decline { .. } => ctx
            .incident(id)
            .and_then(|i| i.page_of(unit))
            .filter(|p| p.state == PageState::Pending)
            .map(|p| p.queue.clone())
            .unwrap_or_default(),
        _ => vec![],
    };
    on_crew_one(ctx, unit, id, action.clone())?;
    for other in queue.into_iter().filter(|q| *q != id) {
        let pending = ctx
            .incident(other)
            .and_then(|i| i.page_of(unit))
            .is_some_and(|p| p.state == PageState::Pending && p.queue.contains(&id));
        if pending {
            // Checked like the first; one that no longer fits is left as it stands.
            let _ = on_crew_one(ctx, unit, other, action.clone());
        }
    }
    Ok(())
}

fn on_crew_one(
    ctx: &mut Ctx<'_>,
    unit: UnitId,
    id: IncidentId,
    action: CrewAction,
) -> Result<(), Rejection> {
    let i = open_incident(ctx, id)?;
    let t = i.track_of(unit).ok_or(Rejection::NotPaged(unit, id))?;
    let (step, page) = (t.step.id.clone(), t.page_of(unit).map(|p| p.state));
    let actor = Actor::Unit(unit);
    match (action, page) {
        (CrewAction::Accept { eta_secs }, Some(PageState::Pending)) => {
            let reason = match eta_secs {
                Some(s) => format!("{unit} accepted, ETA {} min", s.div_ceil(60)),
                None => format!("{unit} accepted"),
            };
            ctx.emit(
                Some(id),
                actor,
                Some(&step),
                reason,
                EventKind::Accepted { unit, eta_secs },
            );
            stop_paging_if_satisfied(ctx, id, &step);
        }
        (CrewAction::Decline { reason }, Some(PageState::Pending)) => {
            non_empty("reason", &reason)?;
            let on_decline = t.step.on_decline;
            ctx.emit(
                Some(id),
                actor,
                Some(&step),
                format!("{unit} declined: {reason}"),
                EventKind::Declined { unit },
            );
            match on_decline {
                OnMiss::NextCandidate => ctx.fill(id, &step),
                OnMiss::Escalate => {
                    ctx.exhaust(id, &step, format!("{unit} declined and the rule escalates"))
                }
            }
        }
        (CrewAction::Accept { .. } | CrewAction::Decline { .. }, state) => {
            return Err(out_of_order(
                "accept/decline",
                format!("the page is {}", page_word(state)),
            ));
        }
        (CrewAction::FaultCause { code, text }, Some(PageState::Accepted(_))) => {
            file_fault_cause(ctx, id, actor, code, text)?;
        }
        (CrewAction::FaultCause { .. }, state) => {
            return Err(out_of_order(
                "fault cause",
                format!("the page is {}", page_word(state)),
            ));
        }
        (progress, state) => crew_progress(ctx, id, unit, &step, progress, state)?,
    }
    Ok(())
}

fn crew_progress(
    ctx: &mut Ctx<'_>,
    id: IncidentId,
    unit: UnitId,
    step: &str,
    action: CrewAction,
    state: Option<PageState>,
) -> Result<(), Rejection> {
    let (to, name) = match action {
        CrewAction::EnRoute => (CrewStatus::EnRoute, "en route"),
        CrewAction::OnScene => (CrewStatus::OnScene, "on scene"),
        _ => (CrewStatus::Released, "released"),
    };
    let Some(PageState::Accepted(from)) = state else {
        return Err(out_of_order(
            name,
            format!("the page is {}; accept it first", page_word(state)),
        ));
    };
    if to <= from {
        return Err(out_of_order(
            name,
            format!("{unit} is already {}", from.as_str()),
        ));
    }
    if to == CrewStatus::Released && from < CrewStatus::OnScene {
        return Err(out_of_order(name, "report on scene before the release"));
    }
    let reason = format!("{unit} {name}");
    ctx.emit(
        Some(id),
        Actor::Unit(unit),
        Some(step),
        reason,
        EventKind::CrewProgress { unit, status: to },
    );
    if to == CrewStatus::Released {
        ctx.cancel_holding(id, Some(unit), "passengers released");
    }
    Ok(())
}

fn page_word(state: Option<PageState>) -> String {
    match state {
        None => "unknown".into(),
        Some(PageState::Pending) => "pending".into(),
        Some(PageState::Accepted(CrewStatus::Accepted)) => "accepted".into(),
        Some(PageState::Accepted(s)) => format!("accepted ({})", s.as_str()),
        Some(PageState::Declined) => "declined".into(),
        Some(PageState::Missed) => {
            "expired (not acknowledged in time; passed to another unit)".into()
        }
        Some(PageState::Cancelled) => "cancelled".into(),
    }
}

fn stop_paging_if_satisfied(ctx: &mut Ctx<'_>, id: IncidentId, step: &str) {
    let Some(t) = ctx.incident(id).and_then(|i| i.tracks.get(step)) else {
        return;
    };
    if !t.satisfied() {
        return;
    }
    let pending: Vec<UnitId> = t
        .pages
        .iter()
        .filter(|p| p.state == PageState::Pending)
        .map(|p| p.unit)
        .collect();
    let n = t.step.count;
    for unit in pending {
        let why = format!("{unit} stood down: step `{step}` has its {n} acceptance(s)");
        ctx.sys(id, Some(step), why, EventKind::PageCancelled { unit });
    }
}

pub(super) fn file_fault_cause(
    ctx: &mut Ctx<'_>,
    id: IncidentId,
    actor: Actor,
    code: String,
    text: String,
) -> Result<(), Rejection> {
    non_empty("code", &code)?;
    let i = open_incident(ctx, id)?;
    if i.released_at.is_none() {
        return Err(out_of_order(
            "fault cause",
            "the passengers are not released yet",
        ));
    }
    let reason = format!("fault cause {code}: {text}");
    ctx.emit(
        Some(id),
        actor,
        None,
        reason,
        EventKind::FaultCauseFiled { code, text },
    );
    Ok(())
}

pub(crate) fn on_duty(
    ctx: &mut Ctx<'_>,
    unit: UnitId,
    on_duty: bool,
    why: String,
) -> Result<(), Rejection> {
    let us = ctx
        .state
        .units
        .get(&unit)
        .ok_or(Rejection::UnknownUnit(unit))?;
    if us.unit.on_duty == on_duty {
        return Ok(()); // already so: nothing to record
    }
    let held: Vec<IncidentId> = us.held_by.iter().copied().collect();
    let word = if on_duty { "on duty" } else { "off duty" };
    ctx.emit(
        None,
        Actor::Unit(unit),
        None,
        format!("{unit} {word}: {why}"),
        EventKind::UnitDuty { unit, on_duty },
    );
    if on_duty {
        return Ok(());
    }
    ctx.keep_off(unit);
    for id in held {
        replace(ctx, id, unit, &why);
    }
    Ok(())
}

fn replace(ctx: &mut Ctx<'_>, id: IncidentId, unit: UnitId, why: &str) {
    let Some(t) = ctx.incident(id).and_then(|i| i.track_of(unit)) else {
        return;
    };
    let Some(p) = t.page_of(unit) else { return };
    let on_scene = matches!(p.state, PageState::Accepted(s) if s >= CrewStatus::OnScene);
    if on_scene || !p.holds_unit() {
        return; // already at the lift: going off duty there does not strand anyone
    }
    let step = t.step.id.clone();
    let reason = format!("{unit} went off duty or offline ({why}): replacing");
    ctx.sys(id, Some(&step), reason, EventKind::PageCancelled { unit });
    ctx.fill(id, &step);
}
