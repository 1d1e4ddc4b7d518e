//! What console operators do: assign a named unit (override), attach the lift of an incident
//! opened with its lift unresolved ([`super::attach`]), notes, the release callback, the fault
//! cause, close, cancel and false alarm.

use super::actions::{file_fault_cause, non_empty, open_incident, out_of_order};
use super::ctx::Ctx;
use super::{OperatorAction, Rejection};
use crate::domain::{Actor, EventKind, IncidentId, IncidentStatus, UnitId, UnitKind};
use crate::index::Candidate;
use crate::rules::{Chain, OnMiss, Step, Target};

/// How the id of a step made up for a hand assignment starts (`operator:{unit}`).
pub(crate) const HAND_STEP: &str = "operator:";

pub(crate) fn on_operator(
    ctx: &mut Ctx<'_>,
    user: String,
    id: IncidentId,
    action: OperatorAction,
) -> Result<(), Rejection> {
    let status = open_incident(ctx, id)?.status;
    let actor = Actor::Operator(user.clone());
    match action {
        OperatorAction::Assign { unit, reason } => assign(ctx, &user, id, unit, reason)?,
        OperatorAction::AttachLift { lift, by } => {
            super::attach::attach(ctx, &user, id, *lift, by)?
        }
        OperatorAction::Note { text } => {
            non_empty("text", &text)?;
            ctx.emit(
                Some(id),
                actor,
                None,
                text.clone(),
                EventKind::Note { text },
            );
        }
        OperatorAction::ConfirmRelease { note } => {
            if status != IncidentStatus::Released {
                return Err(out_of_order(
                    "confirm release",
                    format!("the incident is {}, not released", status.as_str()),
                ));
            }
            ctx.emit(
                Some(id),
                actor,
                None,
                format!("release confirmed by callback: {note}"),
                EventKind::ReleaseConfirmed,
            );
        }
        OperatorAction::FaultCause { code, text } => file_fault_cause(ctx, id, actor, code, text)?,
        OperatorAction::Close => {
            if status != IncidentStatus::Confirmed {
                return Err(out_of_order(
                    "close",
                    format!(
                        "the incident is {}; confirm the release by callback first",
                        status.as_str()
                    ),
                ));
            }
            let filed = ctx.incident(id).is_some_and(|i| i.fault_cause.is_some());
            let reason = if filed {
                "closed"
            } else {
                "closed without a filed fault cause"
            };
            ctx.emit(
                Some(id),
                actor,
                None,
                reason.into(),
                EventKind::Closed {
                    fault_cause_filed: filed,
                },
            );
        }
        OperatorAction::Cancel { reason } => {
            end_early(ctx, id, actor, reason, EventKind::Cancelled)?
        }
        OperatorAction::FalseAlarm { reason } => {
            end_early(ctx, id, actor, reason, EventKind::FalseAlarm)?
        }
    }
    Ok(())
}

fn end_early(
    ctx: &mut Ctx<'_>,
    id: IncidentId,
    actor: Actor,
    reason: String,
    kind: EventKind,
) -> Result<(), Rejection> {
    non_empty("reason", &reason)?;
    ctx.cancel_holding(id, None, "incident ended by the operator");
    ctx.emit(Some(id), actor, None, reason, kind);
    Ok(())
}

fn assign(
    ctx: &mut Ctx<'_>,
    user: &str,
    id: IncidentId,
    unit: UnitId,
    reason: String,
) -> Result<(), Rejection> {
    non_empty("reason", &reason)?;
    let now = ctx.now;
    let us = ctx
        .unit_facts(unit, id)
        .ok_or(Rejection::UnknownUnit(unit))?;
    if !us.on_duty {
        return Err(out_of_order("assign", format!("{unit} is off duty")));
    }
    let i = open_incident(ctx, id)?;
    if i.released_at.is_some() {
        return Err(out_of_order(
            "assign",
            "the passengers are already released",
        ));
    }
    if i.page_of(unit).is_some_and(|p| p.holds_unit()) {
        return Err(out_of_order(
            "assign",
            format!("{unit} is already paged or assigned here"),
        ));
    }
    let ack = i
        .track_order
        .first()
        .and_then(|s| i.tracks.get(s))
        .map(|t| t.step.acknowledge);
    let ack = ack.unwrap_or(crate::rules::Dur(std::time::Duration::from_secs(180)));
    // Measured from its fix if fresh, else from its base if it has one (as the index would).
    let fresh_since = now - i.chain.position_max_age.delta();
    let fresh = us.fix.filter(|f| f.taken >= fresh_since);
    let from_base = fresh.is_none() && us.base.is_some();
    let at = fresh.map(|f| f.at).or(us.base).or(us.fix.map(|f| f.at));
    let distance_m = match (at, i.lift.as_ref()) {
        (Some(at), Some(l)) => at.distance_m(l.position),
        _ => 0.0,
    };
    let mut eta_secs = i.chain.travel.eta_secs(us.kind, distance_m);
    if from_base {
        eta_secs = eta_secs.saturating_add(i.chain.travel.base_turnout_secs);
    }
    let busy = us.busy.iter().map(|h| h.0.to_string()).collect::<Vec<_>>();
    let mut step = operator_step(unit, us.kind, ack);
    hand_clocks(&mut step, &i.chain.chain);
    let again = format!("{}#", step.id);
    let repeats = i
        .tracks
        .keys()
        .filter(|k| **k == step.id || k.starts_with(&again))
        .count();
    if repeats > 0 {
        step.id = format!("{}#{}", step.id, repeats + 1);
    }
    let mut why = format!("assigned by operator {user}: {reason}");
    if i.lift.is_none() {
        why.push_str(" (distance unknown: the lift is unresolved)");
    }
    if !busy.is_empty() {
        why.push_str(&format!(" (also busy on incident {})", busy.join(", ")));
    }
    let candidate = Candidate {
        unit,
        distance_m,
        eta_secs,
        fix_taken: us.fix.map(|f| f.taken),
        from_base,
        why,
    };
    let sid = step.id.clone();
    ctx.emit(
        Some(id),
        Actor::Operator(user.into()),
        Some(&sid),
        format!("operator override: {reason}"),
        EventKind::StepStarted {
            step: Box::new(step),
        },
    );
    let reason = candidate.why.clone();
    let kind = EventKind::UnitPaged {
        candidate,
        passed_over: vec![],
        ack_due: ctx.now + ack.delta(),
        seen: Some(Box::new(us.seen(unit))),
        queue: vec![],
    };
    ctx.emit(
        Some(id),
        Actor::Operator(user.into()),
        Some(&sid),
        reason,
        kind,
    );
    Ok(())
}

fn operator_step(unit: UnitId, kind: UnitKind, acknowledge: crate::rules::Dur) -> Step {
    let (level, page) = match kind {
        UnitKind::Maintainer => (1, Target::AnyMaintainer),
        UnitKind::PropertyStaff => (1, Target::PropertyStaff),
        UnitKind::FireRescue => (3, Target::FireRescue),
    };
    Step {
        id: format!("{HAND_STEP}{}", unit.0),
        level,
        page,
        count: 1,
        max_pages: 1,
        radius_m: None,
        repeat: false,
        acknowledge,
        on_no_ack: OnMiss::Escalate,
        on_decline: OnMiss::Escalate,
        on_exhausted: None,
        arrive: None,
        on_arrive_breach: None,
        notify_on_breach: vec![],
        notify_on_start: vec![],
        release: None,
    }
}

/// Gives a hand-assigned unit's step the clocks of the chain's step that pages the same kind of
/// unit (a start step first): its arrival and release deadlines, what an arrival breach starts
/// and whom it notifies. A maintainer sent by hand is held to the same 30 minutes as one the
/// chain paged. A chain with no such step leaves the step without clocks.
pub(crate) fn hand_clocks(step: &mut Step, chain: &Chain) {
    let kind = step.page.unit_kind();
    let like = chain
        .start
        .iter()
        .filter_map(|s| chain.step(s))
        .chain(chain.steps.values())
        .find(|s| s.page.unit_kind() == kind && s.arrive.is_some());
    if let Some(like) = like {
        step.arrive = like.arrive;
        step.release = like.release;
        step.on_arrive_breach = like.on_arrive_breach.clone();
        step.notify_on_breach = like.notify_on_breach.clone();
    }
}
