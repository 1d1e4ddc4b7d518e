//! An operator declaring or ending a storm.

use super::Rejection;
use super::ctx::Ctx;
use crate::domain::Actor;
use crate::domain::storm::{StormArea, StormEnd, StormTrigger};

pub(crate) fn declare(
    ctx: &mut Ctx<'_>,
    user: String,
    area: StormArea,
    reason: String,
) -> Result<(), Rejection> {
    if reason.trim().is_empty() {
        return Err(Rejection::Empty("reason"));
    }
    if ctx.state.rules.storm.is_none() {
        return Err(Rejection::NoStormRules);
    }
    if let Some(s) = ctx.state.storm.active().find(|s| s.area == area) {
        return Err(Rejection::StormCovers(s.id));
    }
    let why = format!("storm declared over {area} by operator {user}: {reason}");
    let trigger = StormTrigger::Operator {
        user: user.clone(),
        reason,
    };
    super::storm::declare(ctx, area, trigger, Actor::Operator(user), why);
    Ok(())
}

pub(crate) fn end(
    ctx: &mut Ctx<'_>,
    user: String,
    storm: u32,
    reason: String,
) -> Result<(), Rejection> {
    if reason.trim().is_empty() {
        return Err(Rejection::Empty("reason"));
    }
    if !ctx.storm_active(storm) {
        return Err(Rejection::UnknownStorm(storm));
    }
    let why = format!("storm {storm} ended by operator {user}: {reason}");
    let end = StormEnd::Operator {
        user: user.clone(),
        reason,
    };
    super::storm::end(ctx, storm, end, Actor::Operator(user), why);
    Ok(())
}
