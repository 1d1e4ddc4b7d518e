//! The storm's global assignment: the waiting incidents and the units, solved together.
//!
//! Each waiting incident wants a maintainer and/or a fire/rescue unit (when its chain started
//! a fire/rescue step). A maintainer comes from the lift's own company until the incident has
//! waited the rules' `mutual_aid_after`, while that company has a crew free; then, or at once
//! when it has none, from any company, if the chain has a mutual-aid step. Maintainer wants
//! within `batch.walk_m` of one another with the same eligibility are batched, in triage
//! order, into one job for one crew (at most `batch.max_queue` cars). Each job is offered its
//! K soonest eligible units: free ones from the index and crews finishing one car of the storm
//! (`follow.rs`); a unit already paged on any of its cars of the job's tier is never offered
//! again (it declined, or missed the page). A job's tier and weight are its most urgent cars':
//! cars of a later tier riding on the queue buy it nothing. The [`super::solve`] picks; the
//! choice is logged whole (`storm_solved`) and each car of a chosen job gets an ordinary page,
//! with the queue on it, less the riders [`super::page`] keeps off while a more urgent job
//! waits.

use super::super::ctx::Ctx;
use super::follow::{self, Busy};
use super::solve::{Offer, Want, explain, solve};
use super::{fire_want, maintainer_want, page, triage};
use crate::domain::storm::{SolveChoice, SolveJob, SolveOffer, StormArea, Triage};
use crate::domain::{Actor, CompanyId, EventKind, IncidentId, LatLon, UnitId, UnitKind};
use crate::index::{Candidate, Query};
use crate::rules::Target;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// What one decision did to storms so far.
#[derive(Debug, Default)]
pub struct Work {
    /// Storms declared, with their areas.
    pub declared: Vec<(u32, StormArea)>,
    /// Storms ended.
    pub ended: Vec<u32>,
    /// Entrapments opened, by area key.
    pub opened: HashMap<String, usize>,
}

impl Work {
    /// The number the next storm declared by this decision gets.
    pub fn next_id(&self, state: &crate::dispatch::DeskState) -> u32 {
        let ours = self.declared.iter().map(|(n, _)| n + 1).max();
        ours.unwrap_or(1).max(state.storm.next_id())
    }

    /// Counts one more entrapment opened in an area by this decision; returns the count.
    pub fn count_opened(&mut self, key: &str) -> usize {
        let n = self.opened.entry(key.to_owned()).or_default();
        *n += 1;
        *n
    }
}

/// One incident's want, before batching.
pub(super) struct Need {
    pub(super) incident: IncidentId,
    pub(super) step: String,
    kind: UnitKind,
    company: Option<CompanyId>,
    at: LatLon,
    pub(super) triage: Triage,
    opened: DateTime<Utc>,
    /// Units already paged on the incident (never paged on it again).
    pub(super) paged: Vec<UnitId>,
    /// Held to its own company only by the mutual-aid delay: any maintainer may come when
    /// that company has nobody free, as the chain turns to mutual aid when it has nobody.
    mutual: bool,
}

/// A batch of needs for one crew, in triage order.
pub(super) struct Job {
    pub(super) needs: Vec<Need>,
}

/// Runs the solve if it is due, and pages what it chose.
pub(crate) fn maybe_solve(ctx: &mut Ctx<'_>) {
    let Some(rules) = ctx.state.rules.storm.clone() else {
        return;
    };
    if ctx.replaying_record() {
        return;
    }
    let book = &ctx.state.storm;
    // Never twice within the short gap: the rest of this costs a pass over every waiting
    // incident, which a burst of alarms must not pay on each of its batches.
    if book
        .last_solve
        .is_some_and(|last| ctx.now < last + super::book::CHANGED_GAP)
    {
        return;
    }
    let mut waiting: Vec<IncidentId> = book.waiting.iter().map(|(_, id)| *id).collect();
    waiting.extend(ctx.worked_ids());
    waiting.sort();
    waiting.dedup();
    let now = ctx.now;
    let mut needs = Vec::new();
    for id in waiting {
        let Some(i) = ctx.peek(id) else { continue };
        let storm = i.storm.as_ref().map(|(n, _)| *n);
        if super::waiting(i, |n| ctx.storm_active(n)).is_none() || storm.is_none() {
            continue;
        }
        let (Some(lift), t) = (i.lift.as_ref(), triage::triage(&rules, i, now)) else {
            continue;
        };
        let paged: Vec<UnitId> = i
            .tracks
            .values()
            .flat_map(|t| t.pages.iter().map(|p| p.unit))
            .collect();
        let has_mutual = i
            .chain
            .chain
            .steps
            .values()
            .any(|s| s.page == Target::AnyMaintainer);
        if let Some(step) = maintainer_want(i) {
            // A special case takes any maintainer at once; others are held to their own
            // company for the rules' mutual-aid delay while it has a crew free (`offered`).
            let contracted = i.tracks[step].step.page == Target::ContractedMaintainer;
            let own_only = contracted
                && (!has_mutual
                    || (t.tier > 0 && now - i.opened_at < rules.mutual_aid_after.delta()));
            needs.push(Need {
                incident: id,
                step: step.to_owned(),
                kind: UnitKind::Maintainer,
                company: if own_only { lift.maintainer } else { None },
                at: lift.position,
                triage: t.clone(),
                opened: i.opened_at,
                paged: paged.clone(),
                mutual: own_only && has_mutual,
            });
        }
        if let Some(step) = fire_want(i) {
            needs.push(Need {
                incident: id,
                step: step.to_owned(),
                kind: UnitKind::FireRescue,
                company: None,
                at: lift.position,
                triage: t,
                opened: i.opened_at,
                paged,
                mutual: false,
            });
        }
    }
    let before: HashSet<IncidentId> = book.waiting.iter().map(|(_, id)| *id).collect();
    let any_new = needs.iter().any(|n| !before.contains(&n.incident));
    let due = match (needs.first(), book.last_solve) {
        (None, _) => return,
        (Some(_), None) => true,
        (Some(_), Some(last)) => {
            let special = needs.iter().any(|n| n.triage.tier == 0);
            let gap = if book.changed || any_new || special {
                super::book::CHANGED_GAP
            } else {
                rules.every.delta()
            };
            now >= last + gap
        }
    };
    if !due {
        return;
    }
    needs.sort_by(|a, b| {
        triage::order((&a.triage, a.opened), (&b.triage, b.opened))
            .then(a.incident.cmp(&b.incident))
    });
    let jobs = batch(needs, rules.batch_walk_m, rules.max_queue as usize);
    run(ctx, &rules, jobs);
}

/// Groups needs into jobs: each job is seeded by the most urgent need left and takes the next
/// ones of the same kind and eligibility within the walk, in order, up to the queue's length.
fn batch(needs: Vec<Need>, walk_m: f64, max_queue: usize) -> Vec<Job> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut open: HashMap<(UnitKind, Option<CompanyId>), Vec<usize>> = HashMap::new();
    for n in needs {
        let key = (n.kind, n.company);
        let fits = |j: &Job| {
            walk_m > 0.0
                && n.kind == UnitKind::Maintainer
                && j.needs.len() < max_queue
                && j.needs[0].at.distance_m(n.at) <= walk_m
        };
        let slot = open
            .get(&key)
            .and_then(|js| js.iter().copied().find(|j| fits(&jobs[*j])));
        match slot {
            Some(j) => jobs[j].needs.push(n),
            None => {
                open.entry(key).or_default().push(jobs.len());
                jobs.push(Job { needs: vec![n] });
            }
        }
    }
    jobs
}

/// Offers, solves, logs and pages.
fn run(ctx: &mut Ctx<'_>, rules: &crate::domain::storm::StormRules, jobs: Vec<Job>) {
    let on_site = rules.on_site.0.as_secs() as u32;
    let k = rules.candidates as usize;
    let mut wants: Vec<Want> = Vec::with_capacity(jobs.len());
    let mut found: Vec<HashMap<UnitId, Candidate>> = Vec::with_capacity(jobs.len());
    let mut preempted: HashSet<UnitId> = HashSet::new();
    let busy = follow::busy(ctx, on_site);
    for job in &jobs {
        let chosen = offered(ctx, job, k, &busy, rules.own_company_within);
        preempted.extend(chosen.iter().filter(|c| c.1).map(|c| c.0.unit));
        let chosen: Vec<Candidate> = chosen.into_iter().map(|c| c.0).collect();
        // A job competes with the cars of its own tier only (the first ones: the needs are in
        // triage order): cars of a later tier riding on the crew's queue buy it no priority
        // over another job of that tier, or a special case with ordinary cars next door would
        // outbid a special case that waited longer alone.
        let tier = job.needs.iter().map(|n| n.triage.tier).min().unwrap_or(1);
        let weights: Vec<u32> = job
            .needs
            .iter()
            .take_while(|n| n.triage.tier == tier)
            .map(|n| triage::weight(&n.triage))
            .collect();
        let weight: u32 = weights.iter().sum::<u32>().max(1);
        // The queue's wait: the k-th car waits for k rescues before it, weighted.
        let queued: u64 = weights
            .iter()
            .enumerate()
            .map(|(q, w)| u64::from(*w) * q as u64 * u64::from(on_site))
            .sum();
        let extra = u32::try_from(queued / u64::from(weight)).unwrap_or(u32::MAX);
        let offers = chosen
            .iter()
            .map(|c| Offer {
                unit: c.unit,
                secs: c.eta_secs.saturating_add(extra),
            })
            .collect();
        found.push(chosen.into_iter().map(|c| (c.unit, c)).collect());
        wants.push(Want {
            tier,
            weight,
            candidates: offers,
        });
    }
    // Only jobs with an offer go to the solve (and on the record): the others cannot be
    // assigned and change nothing for the rest.
    let waiting: usize = jobs.iter().map(|j| j.needs.len()).sum();
    let keep: Vec<bool> = wants.iter().map(|w| !w.candidates.is_empty()).collect();
    let mut k = keep.iter();
    let jobs: Vec<Job> = jobs
        .into_iter()
        .filter(|_| *k.next().unwrap_or(&false))
        .collect();
    let mut k = keep.iter();
    found.retain(|_| *k.next().unwrap_or(&false));
    wants.retain(|w| !w.candidates.is_empty());
    let horizon = rules.horizon.0.as_secs() as u32;
    let chosen = solve(&wants, horizon);
    let record: Vec<SolveJob> = jobs
        .iter()
        .zip(&wants)
        .map(|(j, w)| SolveJob {
            incidents: j.needs.iter().map(|n| n.incident).collect(),
            kind: j.needs[0].kind,
            tier: w.tier,
            weight: w.weight,
            offers: w
                .candidates
                .iter()
                .map(|o| SolveOffer {
                    unit: o.unit,
                    secs: o.secs,
                })
                .collect(),
        })
        .collect();
    let assigned: Vec<SolveChoice> = chosen.iter().map(choice).collect();
    let barred = page::barred(&wants, &chosen);
    let queues: Vec<Vec<&Need>> = chosen
        .iter()
        .map(|a| page::queue(&jobs[a.want], a.unit, wants[a.want].tier, &barred))
        .collect();
    let mut reason = format!(
        "storm solve: {} jobs ({waiting} waits) offered to units, {} assigned",
        record.len(),
        assigned.len()
    );
    reason.push_str(&page::held_back(&jobs, &chosen, &queues));
    let kind = EventKind::StormSolved {
        jobs: record,
        horizon_secs: horizon,
        assigned,
    };
    ctx.emit(None, Actor::System, None, reason, kind);
    for (a, queue) in chosen.iter().zip(&queues) {
        let job = &jobs[a.want];
        let mut why = explain(&wants, &chosen, a.want);
        let Some(c) = found[a.want].get(&a.unit).cloned() else {
            continue;
        };
        let ahead = follow::on(&busy, a.unit);
        if ahead.is_some() {
            why = format!("{why}; {}", c.why); // where it is busy, and until when
        }
        if preempted.contains(&a.unit) {
            let storm = ctx
                .peek(job.needs[0].incident)
                .and_then(|i| i.storm.as_ref())
                .map_or(0, |(s, _)| *s);
            super::preempt::take(ctx, a.unit, job.needs[0].incident, storm);
        }
        page::page_job(ctx, queue, ahead, c, &why, on_site);
    }
}

/// How many times the rules' K a special case is offered (at most 64 units).
const SPECIAL_OFFERS: usize = 8;

/// The units offered to a job: its K soonest of the free eligible units, the crews finishing
/// a car of the storm (`follow.rs`) and, for a special case, the units only pending on
/// ordinary incidents (marked `true`).
fn offered(
    ctx: &Ctx<'_>,
    job: &Job,
    k: usize,
    busy: &[Busy],
    reach: Option<crate::domain::chain::Dur>,
) -> Vec<(Candidate, bool)> {
    let seed = &job.needs[0];
    // A special case is offered eight times as many units, so an ordinary case is never given
    // a unit merely because it lay beyond the special case's K nearest.
    let k = match seed.triage.tier {
        0 => k.saturating_mul(SPECIAL_OFFERS).min(64),
        _ => k,
    };
    let Some(i) = ctx.peek(seed.incident) else {
        return vec![];
    };
    // Units paged before on the job's cars of its own tier are not offered; one paged before
    // on a car of a later tier riding on the queue is, and leaves that car off its queue.
    let excluded: HashSet<UnitId> = job
        .needs
        .iter()
        .take_while(|n| n.triage.tier == seed.triage.tier)
        .flat_map(|n| n.paged.iter().copied())
        .collect();
    let taken = ctx.taken();
    let exclude = |u: UnitId| excluded.contains(&u) || taken.contains(&u);
    let fresh_since = ctx.now - i.chain.position_max_age.delta();
    let nearest = |company| {
        ctx.state.index.nearest(&Query {
            at: seed.at,
            kind: seed.kind,
            company,
            k,
            max_distance_m: None,
            fresh_since: Some(fresh_since),
            exclude: &exclude,
            travel: &i.chain.travel,
        })
    };
    let mut company = seed.company;
    let mut ranking = nearest(company);
    let mutual = company.is_some() && job.needs.iter().all(|n| n.mutual);
    if let (true, Some(within)) = (mutual, &reach) {
        let within = u32::try_from(within.0.as_secs()).unwrap_or(u32::MAX);
        ranking.chosen.retain(|c| c.eta_secs <= within);
    }
    // The own company has nobody free (within reach): mutual aid now, as the chain turns to
    // it when its contracted step finds nobody.
    if ranking.chosen.is_empty() && mutual {
        company = None;
        ranking = nearest(company);
    }
    let mut all: Vec<(Candidate, bool)> = ranking.chosen.into_iter().map(|c| (c, false)).collect();
    let travel = &i.chain.travel;
    let later = follow::candidates(busy, seed.kind, company, seed.at, travel, &exclude, k);
    all.extend(later.into_iter().map(|c| (c, false)));
    if seed.triage.tier == 0 {
        let extra = super::preempt::candidates(
            ctx,
            seed.kind,
            company,
            seed.at,
            fresh_since,
            travel,
            &exclude,
            k,
        );
        all.extend(extra.into_iter().map(|c| (c, true)));
    }
    all.sort_by_key(|(c, _)| (c.eta_secs, c.unit));
    all.truncate(k);
    all
}

/// The record of one assignment.
fn choice(a: &super::solve::Assignment) -> SolveChoice {
    SolveChoice {
        job: a.want as u32,
        unit: a.unit,
        secs: a.secs,
        cost: a.cost,
    }
}

/// Solves a logged `storm_solved` again from its recorded jobs: `Some(true)` when the same
/// choice comes out, `None` for any other event.
pub fn replay_solve(e: &crate::domain::Event) -> Option<bool> {
    let EventKind::StormSolved {
        jobs,
        horizon_secs,
        assigned,
    } = &e.kind
    else {
        return None;
    };
    let wants: Vec<Want> = jobs
        .iter()
        .map(|j| Want {
            tier: j.tier,
            weight: j.weight,
            candidates: j
                .offers
                .iter()
                .map(|o| Offer {
                    unit: o.unit,
                    secs: o.secs,
                })
                .collect(),
        })
        .collect();
    let again: Vec<SolveChoice> = solve(&wants, *horizon_secs).iter().map(choice).collect();
    Some(&again == assigned)
}
