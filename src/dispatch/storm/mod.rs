//! Storm mode: when many entrapments start together in one area (a blackout), the desk stops
//! paging first come, first served. Pure, like the rest of the core.
//!
//! - **Declared** by the rules (`storm.toml`: so many new entrapments in one street, or district
//!   without streets, within so long) or by an operator with a reason; **ended** when no new
//!   entrapment opened in the area for the rules' `quiet` time and none of its incidents still
//!   waits for a unit, or by an operator. Both are events with their trigger.
//! - **Triage** ([`triage`]): every open entrapment in the area gets a tier and score with
//!   reasons (`incident_triaged`), on declaration and as each new one opens.
//! - While an incident is in an active storm its maintainer and fire/rescue steps do not page
//!   on their own: they *wait*, and the **solve** ([`assign`]) assigns waiting incidents and
//!   units together, minimising priority-weighted time to arrival over each incident's K
//!   soonest eligible units ([`solve`], Kuhn–Munkres), tier by tier: free units, and crews on
//!   one car of the storm as their next car (`follow.rs`); cars within a short walk are batched
//!   to one crew as a queue. Property staff are paged at once, as always.
//! - The solve runs when due ([`book::StormBook::solve_due`]): every `solve.every` while
//!   incidents wait, or half a second after something changed (a new incident, a unit freed,
//!   a special case). Its inputs and choices are one `storm_solved` event, so it replays.
//! - When a storm ends, its waiting incidents are paged one at a time again.

pub mod assign;
pub mod book;
mod follow;
mod page;
mod preempt;
#[cfg(test)]
mod queue_tests;
pub mod solve;
#[cfg(test)]
mod tests;
pub mod triage;
#[cfg(test)]
mod triage_tests;
pub mod view;

use super::ctx::Ctx;
use super::incident::{Incident, Track};
use crate::domain::storm::{StormArea, StormEnd, StormTrigger, Triage};
use crate::domain::{Actor, EventKind, IncidentId, UnitKind};
use crate::rules::Target;

/// Whether a step's paging waits for the solve while its incident is in a storm.
pub fn solved_target(t: Target) -> bool {
    matches!(
        t,
        Target::ContractedMaintainer | Target::AnyMaintainer | Target::FireRescue
    )
}

/// The maintainer step an incident waits on, if it waits for a maintainer: no maintainer
/// holds a page or assignment on it, and a maintainer step is still running.
pub fn maintainer_want(i: &Incident) -> Option<&str> {
    let maint = |t: &Track| t.step.page.unit_kind() == UnitKind::Maintainer;
    let holding = i
        .tracks
        .values()
        .filter(|t| maint(t))
        .any(|t| t.pages.iter().any(|p| p.holds_unit()));
    if holding {
        return None;
    }
    i.track_order
        .iter()
        .filter_map(|s| i.tracks.get(s).map(|t| (s, t)))
        .find(|(_, t)| maint(t) && !t.exhausted)
        .map(|(s, _)| s.as_str())
}

/// The fire/rescue step an incident waits on: running, and short of units.
pub fn fire_want(i: &Incident) -> Option<&str> {
    i.track_order
        .iter()
        .filter_map(|s| i.tracks.get(s).map(|t| (s, t)))
        .find(|(_, t)| {
            t.step.page == Target::FireRescue
                && !t.exhausted
                && t.pending() + t.accepted() < t.step.count as usize
        })
        .map(|(s, _)| s.as_str())
}

/// The incident's triage when it waits for the solve in a storm that is active per `active`.
pub fn waiting(i: &Incident, active: impl Fn(u32) -> bool) -> Option<&Triage> {
    let (storm, t) = i.storm.as_ref()?;
    let open = !i.status.is_terminal() && i.released_at.is_none() && i.lift.is_some();
    (open && active(*storm) && (maintainer_want(i).is_some() || fire_want(i).is_some()))
        .then_some(t)
}

/// Called for each incident a new entrapment opens, before its chain starts: triages it if a
/// storm covers its lift, or declares one when its area has reached the rules' count.
pub(crate) fn on_opened(ctx: &mut Ctx<'_>, id: IncidentId) {
    let Some(rules) = ctx.state.rules.storm.clone() else {
        return;
    };
    let Some(i) = ctx.incident(id) else { return };
    let (Some(lift), Some(alarm)) = (i.lift.clone(), i.alarms.first()) else {
        return;
    };
    if !book::is_entrapment(&alarm.kind) {
        return;
    }
    let key = book::area_key(&lift);
    let now = ctx.now;
    let count =
        ctx.storm.count_opened(&key) + ctx.state.storm.recent(&key, now, rules.within.delta());
    if let Some(storm) = ctx.covering(&lift) {
        return triage_one(ctx, storm, id);
    }
    if count < rules.entrapments as usize {
        return;
    }
    let trigger = StormTrigger::Rule {
        entrapments: count as u32,
        within_secs: rules.within.0.as_secs(),
    };
    let area = StormArea::of_lift(&lift);
    let why = format!(
        "{count} entrapments in {area} within {}: storm mode (rules `storm.toml`, at least {})",
        rules.within, rules.entrapments
    );
    declare(ctx, area, trigger, Actor::System, why);
}

/// Declares a storm over `area` and triages the open entrapments in it.
pub(crate) fn declare(
    ctx: &mut Ctx<'_>,
    area: StormArea,
    trigger: StormTrigger,
    actor: Actor,
    why: String,
) -> u32 {
    let storm = ctx.storm.next_id(ctx.state);
    let kind = EventKind::StormDeclared {
        storm,
        area: area.clone(),
        trigger,
    };
    ctx.emit(None, actor, None, why, kind);
    ctx.storm.declared.push((storm, area.clone()));
    let mut inside: Vec<IncidentId> = ctx
        .open_ids()
        .into_iter()
        .filter(|id| {
            ctx.peek(*id).is_some_and(|i| {
                !i.status.is_terminal()
                    && i.released_at.is_none()
                    && i.storm.is_none()
                    && i.alarms
                        .first()
                        .is_some_and(|a| book::is_entrapment(&a.kind))
                    && i.lift.as_ref().is_some_and(|l| area.contains(l))
            })
        })
        .collect();
    inside.sort();
    for id in inside {
        triage_one(ctx, storm, id);
    }
    storm
}

/// Puts an incident in a storm with its triage.
fn triage_one(ctx: &mut Ctx<'_>, storm: u32, id: IncidentId) {
    let Some(rules) = ctx.state.rules.storm.clone() else {
        return;
    };
    let now = ctx.now;
    let Some(i) = ctx.incident(id) else { return };
    let t = triage::triage(&rules, i, now);
    let why = format!(
        "storm {storm}: tier {} score {}: {}",
        t.tier,
        t.score,
        t.reasons.join("; ")
    );
    let kind = EventKind::IncidentTriaged { storm, triage: t };
    ctx.sys(id, None, why, kind);
}

/// Ends a storm: its incidents that wait are paged one at a time again.
pub(crate) fn end(ctx: &mut Ctx<'_>, storm: u32, why: StormEnd, actor: Actor, reason: String) {
    ctx.emit(
        None,
        actor,
        None,
        reason,
        EventKind::StormEnded { storm, why },
    );
    ctx.storm.ended.push(storm);
    let mut ids: Vec<IncidentId> = ctx
        .open_ids()
        .into_iter()
        .filter(|id| {
            ctx.peek(*id)
                .is_some_and(|i| i.storm.as_ref().is_some_and(|(s, _)| *s == storm))
        })
        .collect();
    ids.sort();
    for id in ids {
        let steps: Vec<String> = match ctx.peek(id) {
            Some(i) => i.track_order.clone(),
            None => continue,
        };
        for s in steps {
            ctx.fill(id, &s);
        }
    }
}

/// At a tick: ends every storm whose area has been quiet for the rules' time.
pub(crate) fn on_tick(ctx: &mut Ctx<'_>) {
    let Some(rules) = ctx.state.rules.storm.clone() else {
        return;
    };
    let quiet: Vec<u32> = ctx
        .state
        .storm
        .active()
        .filter(|s| s.last_entrapment + rules.quiet.delta() <= ctx.now)
        .filter(|s| !ctx.state.storm.has_waiting(s.id))
        .map(|s| s.id)
        .collect();
    for storm in quiet {
        let why = StormEnd::Rule {
            quiet_secs: rules.quiet.0.as_secs(),
        };
        let reason = format!(
            "storm {storm}: no new entrapment in its area for {} and none of its incidents waits for a unit: storm mode ends",
            rules.quiet
        );
        end(ctx, storm, why, Actor::System, reason);
    }
}
