//! A special case may take a unit from an ordinary incident's page that nobody has accepted
//! yet: the rules put it first, and a unit still deciding is not work in hand. Accepted work is
//! never taken. The ordinary incident's page is stood down with the reason, and it waits for the
//! next solve.

use super::super::ctx::Ctx;
use crate::dispatch::PageState;
use crate::domain::chain::TravelModel;
use crate::domain::{CompanyId, EventKind, IncidentId, LatLon, UnitId, UnitKind};
use crate::index::Candidate;
use chrono::{DateTime, Utc};

/// Units of `kind` (and `company`) whose every hold is a pending page on an ordinary (tier 1)
/// incident of an active storm, as candidates for a special case at `at`, nearest first.
#[allow(clippy::too_many_arguments)]
pub(super) fn candidates(
    ctx: &Ctx<'_>,
    kind: UnitKind,
    company: Option<CompanyId>,
    at: LatLon,
    fresh_since: DateTime<Utc>,
    travel: &TravelModel,
    excluded: &dyn Fn(UnitId) -> bool,
    k: usize,
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = ctx
        .state
        .units
        .values()
        .filter(|u| u.unit.kind == kind && u.unit.on_duty && !u.held_by.is_empty())
        .filter(|u| company.is_none_or(|c| u.unit.company == c))
        .filter(|u| !excluded(u.unit.id) && !ctx.taken().contains(&u.unit.id))
        .filter(|u| u.held_by.iter().all(|h| pending_ordinary(ctx, *h, u.unit.id)))
        .filter_map(|u| {
            let fresh = u.unit.fix.filter(|f| f.taken >= fresh_since);
            let from = fresh.map(|f| f.at).or(u.unit.base)?;
            let distance_m = from.distance_m(at);
            let mut eta_secs = travel.eta_secs(kind, distance_m);
            if fresh.is_none() {
                eta_secs = eta_secs.saturating_add(travel.base_turnout_secs);
            }
            Some(Candidate {
                unit: u.unit.id,
                distance_m,
                eta_secs,
                fix_taken: u.unit.fix.map(|f| f.taken),
                from_base: fresh.is_none(),
                why: format!(
                    "{:.0} m away, ETA {eta_secs} s; its page for an ordinary incident was not yet accepted",
                    distance_m
                ),
            })
        })
        .collect();
    out.sort_by_key(|c| (c.eta_secs, c.unit));
    out.truncate(k);
    out
}

/// The unit's page on incident `h` is pending and `h` is an ordinary incident of an active
/// storm.
fn pending_ordinary(ctx: &Ctx<'_>, h: IncidentId, unit: UnitId) -> bool {
    let Some(i) = ctx.peek(h) else { return false };
    let ordinary = i
        .storm
        .as_ref()
        .is_some_and(|(s, t)| t.tier > 0 && ctx.storm_active(*s));
    ordinary
        && i.page_of(unit)
            .is_some_and(|p| p.state == PageState::Pending)
}

/// Stands the unit down from the ordinary incidents it was pending on, for `special`.
pub(super) fn take(ctx: &mut Ctx<'_>, unit: UnitId, special: IncidentId, storm: u32) {
    let held: Vec<IncidentId> = ctx
        .state
        .units
        .get(&unit)
        .map(|u| u.held_by.iter().copied().collect())
        .unwrap_or_default();
    for h in held {
        let Some(i) = ctx.incident(h) else { continue };
        let steps: Vec<String> = i
            .tracks
            .iter()
            .filter(|(_, t)| {
                t.pages
                    .iter()
                    .any(|p| p.unit == unit && p.state == PageState::Pending)
            })
            .map(|(s, _)| s.clone())
            .collect();
        for step in steps {
            let reason = format!(
                "{unit} stood down before accepting: storm {storm} gives it to special case {special}; this incident waits for the next solve"
            );
            ctx.sys(h, Some(&step), reason, EventKind::PageCancelled { unit });
        }
    }
}
