//! The operator attaches the lift to an incident opened with its lift unresolved.
//!
//! An alarm from an unknown cabin phone or terminal, or a rescue code nobody registered, opens
//! an incident that asks the operator (see [`super::alarm`]). Once the caller has read out the
//! code or the address and the operator has found the lift, the incident becomes what it
//! would have been had the lift been known at the start: the rules select its chain for that
//! lift (snapshotted as at opening, with the facts it was selected on in the reason), the
//! chain's start steps page the nearest eligible units with real distances and arrival clocks,
//! and the operator's question is answered.
//!
//! Refusals change nothing: an incident that already has its lift, one that has ended, and a
//! lift that another open incident already holds (alarms for that lift join that one, so the
//! operator is told its number: note what the caller said there and cancel this one as a
//! duplicate).

use super::Rejection;
use super::actions::{open_incident, out_of_order};
use super::alarm::{joinable, why_chain};
use super::ctx::Ctx;
use super::state::CorrelationKey;
use crate::domain::{Actor, EventKind, IncidentId, Lift, LiftRef};

const ACTION: &str = "attach the lift";

pub(crate) fn attach(
    ctx: &mut Ctx<'_>,
    user: &str,
    id: IncidentId,
    lift: Lift,
    by: LiftRef,
) -> Result<(), Rejection> {
    let (now, state) = (ctx.now, ctx.state);
    let i = open_incident(ctx, id)?;
    if let Some(has) = &i.lift {
        let why = format!("{id} already has lift {} ({})", has.id.0, place(has));
        return Err(out_of_order(ACTION, why));
    }
    if let Some(other) = state
        .open_incident(&CorrelationKey::Lift(lift.id))
        .filter(|o| o.id != id && joinable(o, now))
    {
        let why = format!(
            "{} is already open for lift {} ({}); add what the caller said there and cancel \
             this one as a duplicate",
            other.id,
            lift.id.0,
            place(&lift)
        );
        return Err(out_of_order(ACTION, why));
    }
    let kind = i.alarms.first().map(|a| a.kind.clone());
    let kind = kind.unwrap_or(crate::domain::AlarmKind::PassengerAlarm);
    let was = format!("chain `{}` of rules `{}`", i.chain.chain.name, i.chain.file);
    let (flags, released) = (i.flags, i.released_at.is_some());
    let chain = ctx.select_chain(Some(lift.district), &kind, flags, lift.flags);
    let mut reason = format!(
        "operator {user} identified the lift from {by}: lift {} ({}); {}: chain `{}` of rules \
         `{}` version {} (while unresolved it ran {was})",
        lift.id.0,
        place(&lift),
        why_chain(&kind, flags, Some(&lift)),
        chain.chain.name,
        chain.file,
        chain.rules_version.short(),
    );
    if released {
        reason.push_str("; the passengers are already out, so nobody is paged");
    }
    let start = chain.chain.start.clone();
    let kind = EventKind::LiftAttached {
        lift: Box::new(lift),
        chain: Box::new(chain),
        by: Some(by),
    };
    ctx.emit(Some(id), Actor::Operator(user.into()), None, reason, kind);
    if !released {
        for s in start {
            ctx.start_step(
                id,
                &s,
                "chain start: the operator identified the lift".into(),
            );
        }
    }
    Ok(())
}

/// Where the lift is, as the operator and the crews know it: its rescue code and address.
fn place(lift: &Lift) -> String {
    let at = [lift.address.trim(), lift.building.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    format!("rescue code {}, {at}", lift.rescue_code)
}
