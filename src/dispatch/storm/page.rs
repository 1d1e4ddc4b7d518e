//! What each crew the storm solve chose is paged with: its job's cars, less any car of a later
//! tier that must not ride on the queue, each with an ordinary page listing the queue.
//!
//! A special case never waits while an ordinary case is given a unit that could have served it.
//! The solve's strict tiers see to that between jobs, but a job is a crew's queue: a special
//! case seeds it and ordinary cars within a short walk ride behind. When another job of a more
//! urgent tier is left waiting with the chosen unit among its offers (one unit, two special
//! cases: the solve gives it to one), the riders of a later tier stay off the queue and wait
//! for the next solve: paging them would give an ordinary case the unit a waiting special case
//! was offered. Once no such job waits, riders go on the queue as before. A rider the unit was
//! paged on before (it declined, or was stood down) never is again, and stays off.

use super::super::ctx::Ctx;
use super::assign::{Job, Need};
use super::solve::{Assignment, Want};
use crate::domain::{EventKind, IncidentId, Seen, SeenUnit, UnitId};
use crate::index::Candidate;
use crate::rules::Target;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// Each unit offered to a job the solve left without one, with the most urgent tier of those
/// jobs (lowest number).
pub(super) fn barred(wants: &[Want], chosen: &[Assignment]) -> HashMap<UnitId, u8> {
    let served: HashSet<usize> = chosen.iter().map(|a| a.want).collect();
    let mut barred: HashMap<UnitId, u8> = HashMap::new();
    for (i, w) in wants.iter().enumerate() {
        if served.contains(&i) {
            continue;
        }
        for o in &w.candidates {
            let t = barred.entry(o.unit).or_insert(w.tier);
            *t = (*t).min(w.tier);
        }
    }
    barred
}

/// The cars of `job` that `unit` is paged on, in order: those of the job's `tier`, and riders
/// of a later tier unless a job of a more urgent tier than theirs waits with `unit` on offer;
/// never a car `unit` was paged on before.
pub(super) fn queue<'a>(
    job: &'a Job,
    unit: UnitId,
    tier: u8,
    barred: &HashMap<UnitId, u8>,
) -> Vec<&'a Need> {
    let bar = barred.get(&unit).copied();
    job.needs
        .iter()
        .filter(|n| !n.paged.contains(&unit))
        .filter(|n| n.triage.tier <= tier || bar.is_none_or(|b| n.triage.tier <= b))
        .collect()
}

/// For the solve's record: the cars left off the chosen crews' queues, and why.
pub(super) fn held_back(jobs: &[Job], chosen: &[Assignment], queues: &[Vec<&Need>]) -> String {
    let mut line = String::new();
    for (a, q) in chosen.iter().zip(queues) {
        let kept: HashSet<IncidentId> = q.iter().map(|n| n.incident).collect();
        let off: Vec<String> = jobs[a.want]
            .needs
            .iter()
            .filter(|n| !kept.contains(&n.incident))
            .map(|n| n.incident.0.to_string())
            .collect();
        if !off.is_empty() {
            let _ = write!(
                line,
                "; incident {} not queued on {}: a more urgent case waits for a unit it could take, or it was paged before",
                off.join(", "),
                a.unit
            );
        }
    }
    line
}

/// Pages the chosen unit on each car of its queue, with the queue: after `ahead`, the car a
/// crew given follow-on work is on, so its phone shows the new car as the next one.
pub(super) fn page_job(
    ctx: &mut Ctx<'_>,
    needs: &[&Need],
    ahead: Option<IncidentId>,
    c: Candidate,
    why: &str,
    on_site: u32,
) {
    let mut queue: Vec<IncidentId> = ahead.into_iter().collect();
    queue.extend(needs.iter().map(|n| n.incident));
    if queue.len() < 2 {
        queue.clear(); // a car alone
    }
    let before = usize::from(ahead.is_some());
    let seen = unit_seen(ctx, c.unit);
    for (pos, &n) in needs.iter().enumerate() {
        let Some(step) = step_for(ctx, n, c.unit) else {
            continue;
        };
        let Some(ack) = ctx
            .peek(n.incident)
            .and_then(|i| i.tracks.get(&step))
            .map(|t| t.step.acknowledge)
        else {
            continue;
        };
        let storm = ctx
            .peek(n.incident)
            .and_then(|i| i.storm.as_ref())
            .map(|(s, _)| *s)
            .unwrap_or_default();
        let mut reason = format!("storm {storm} assignment: {why}");
        if !queue.is_empty() {
            reason.push_str(&format!(
                "; car {} of {} for this crew",
                before + pos + 1,
                queue.len()
            ));
        }
        let candidate = Candidate {
            eta_secs: c.eta_secs.saturating_add(pos as u32 * on_site),
            why: reason.clone(),
            ..c.clone()
        };
        let kind = EventKind::UnitPaged {
            candidate,
            passed_over: vec![],
            ack_due: ctx.now + ack.delta(),
            seen: seen.clone().map(Box::new),
            queue: queue.clone(),
        };
        ctx.sys(n.incident, Some(&step), reason, kind);
    }
}

/// The step a unit is paged on: the incident's waiting step, unless a maintainer of another
/// company takes a contracted step, which goes on the chain's mutual-aid step (started now).
fn step_for(ctx: &mut Ctx<'_>, n: &Need, unit: UnitId) -> Option<String> {
    let company = ctx.state.units.get(&unit).map(|u| u.unit.company);
    let i = ctx.peek(n.incident)?;
    let t = i.tracks.get(&n.step)?;
    let own = i.lift.as_ref().and_then(|l| l.maintainer) == company;
    if t.step.page != Target::ContractedMaintainer || own {
        return Some(n.step.clone());
    }
    let running = i.track_order.iter().find(|s| {
        i.tracks
            .get(*s)
            .is_some_and(|t| t.step.page == Target::AnyMaintainer && !t.exhausted)
    });
    if let Some(s) = running {
        return Some(s.clone());
    }
    let mutual = i
        .chain
        .chain
        .steps
        .values()
        .find(|s| s.page == Target::AnyMaintainer)?
        .id
        .clone();
    let why = "storm solve: a maintainer of another company takes the incident: its own company has no crew free that can be there within the rules' reach, or the rules' mutual-aid delay has passed".to_owned();
    ctx.start_step(n.incident, &mutual, why);
    Some(mutual)
}

/// What the desk knew of the unit, for the record.
fn unit_seen(ctx: &Ctx<'_>, unit: UnitId) -> Option<Seen> {
    let us = ctx.state.units.get(&unit)?;
    let u = &us.unit;
    Some(Seen {
        units: vec![SeenUnit {
            unit,
            kind: u.kind,
            company: u.company,
            fix: u.fix,
            base: u.base,
            taken_elsewhere: false,
            busy: us.held_by.iter().copied().collect(),
        }],
        unavailable: 0,
        unlisted: 0,
    })
}
