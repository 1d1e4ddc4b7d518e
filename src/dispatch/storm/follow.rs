//! Follow-on work: in a storm, a crew finishing a rescue next door is often sooner than a free
//! crew across town. The solve offers a job not only the nearest free units but also crews on
//! one accepted car of the storm, at the time that car should still take (the rules' on-site
//! time) plus the drive on from it, with no turnout: they are not at a depot. The crew is paged
//! as for any job, with the car it is on at the head of the page's queue (its phone shows the
//! new car as the next one), and keeps that car: accepted work is never taken. A crew holding
//! more than one car is not given more: a special case offered a busy crew waits for one car
//! only, never behind a queue of ordinary ones.

use super::super::ctx::Ctx;
use crate::dispatch::PageState;
use crate::domain::chain::TravelModel;
use crate::domain::{CompanyId, CrewStatus, IncidentId, LatLon, UnitId, UnitKind};
use crate::index::Candidate;

/// A crew busy on storm work, as one solve sees it.
#[derive(Debug, Clone)]
pub(super) struct Busy {
    unit: UnitId,
    kind: UnitKind,
    company: CompanyId,
    /// Its last car: where it will stand when its work in hand is done.
    last: LatLon,
    /// Seconds until then.
    free_in: u32,
    /// The incident it is on.
    on: IncidentId,
}

/// The crews on exactly one car, accepted, of an incident of an active storm and not yet
/// released, with the time until that car is done: what is left of the rules' `on_site` once
/// on scene, else the drive from the crew's fix and the whole `on_site`; at least a minute.
/// A crew holding more (a queue, or a page it has not answered) is not offered more work.
pub(super) fn busy(ctx: &Ctx<'_>, on_site: u32) -> Vec<Busy> {
    let mut out = Vec::new();
    for u in ctx.state.units.values() {
        let mut held = u.held_by.iter();
        let (Some(h), None) = (held.next(), held.next()) else {
            continue;
        };
        let other = u.unit.kind == UnitKind::PropertyStaff || !u.unit.on_duty;
        if other || ctx.taken().contains(&u.unit.id) {
            continue;
        }
        let Some(i) = ctx.peek(*h) else { continue };
        let Some(lift) = i.lift.as_ref().map(|l| l.position) else {
            continue;
        };
        let storm = i.storm.as_ref().is_some_and(|(s, _)| ctx.storm_active(*s));
        // The step whose page holds the crew: its arrival is the crew's own (property staff
        // on scene earlier are on a step of their own).
        let track = i.tracks.values().find(|t| {
            t.page_of(u.unit.id)
                .is_some_and(crate::dispatch::Page::holds_unit)
        });
        let page = track.and_then(|t| t.page_of(u.unit.id));
        let Some(PageState::Accepted(status)) = page.map(|p| p.state) else {
            continue;
        };
        if !storm || i.released_at.is_some() || status == CrewStatus::Released {
            continue;
        }
        let left = if status == CrewStatus::OnScene {
            let since = track
                .and_then(|t| t.arrived_at)
                .map_or(0, |a| (ctx.now - a).num_seconds().max(0));
            on_site.saturating_sub(u32::try_from(since).unwrap_or(u32::MAX))
        } else {
            let from = u.unit.fix.map(|f| f.at).or(u.unit.base);
            let travel = &i.chain.travel;
            let drive = from.map_or(0, |f| travel.eta_secs(u.unit.kind, f.distance_m(lift)));
            drive.saturating_add(on_site)
        };
        out.push(Busy {
            unit: u.unit.id,
            kind: u.unit.kind,
            company: u.unit.company,
            last: lift,
            free_in: left.max(60),
            on: i.id,
        });
    }
    out
}

/// The `k` busy crews of `kind` (and `company`) soonest at `at`, not `excluded`.
pub(super) fn candidates(
    busy: &[Busy],
    kind: UnitKind,
    company: Option<CompanyId>,
    at: LatLon,
    travel: &TravelModel,
    excluded: &dyn Fn(UnitId) -> bool,
    k: usize,
) -> Vec<Candidate> {
    let mut soonest: Vec<(u32, UnitId, f64, &Busy)> = busy
        .iter()
        .filter(|b| b.kind == kind && company.is_none_or(|c| b.company == c))
        .filter(|b| !excluded(b.unit))
        .map(|b| {
            let distance_m = b.last.distance_m(at);
            let eta = b.free_in.saturating_add(travel.eta_secs(kind, distance_m));
            (eta, b.unit, distance_m, b)
        })
        .collect();
    soonest.sort_by_key(|(eta, unit, _, _)| (*eta, *unit));
    soonest.truncate(k);
    soonest
        .into_iter()
        .map(|(eta_secs, unit, distance_m, b)| Candidate {
            unit,
            distance_m,
            eta_secs,
            fix_taken: None,
            from_base: false,
            why: format!(
                "busy on incident {}, done there in about {} s, then {distance_m:.0} m on: ETA {eta_secs} s",
                b.on.0, b.free_in
            ),
        })
        .collect()
}

/// The car `unit` is on, if it is one of the busy crews.
pub(super) fn on(busy: &[Busy], unit: UnitId) -> Option<IncidentId> {
    busy.iter().find(|b| b.unit == unit).map(|b| b.on)
}
