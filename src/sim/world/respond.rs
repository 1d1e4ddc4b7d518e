//! The world's answers to what the desk decided: each paged crew's answer, crews starting
//! their next job or standing down, who frees the passengers, the operator's callback and close,
//! and incidents asking for a decision joining the operator's list.

use super::{Act, Batch, World};
use crate::dispatch::{CrewAction, OperatorAction, apply};
use crate::domain::{CrewStatus, Event, EventKind, IncidentId, UnitId};
use crate::sim::agents::{self, Answer};
use chrono::TimeDelta;
use std::collections::BTreeSet;

impl World<'_> {
    /// Schedules what follows from the desk's events: answers to pages, crews starting their
    /// next job or standing down, the callback after a release, the close after it; incidents
    /// asking for a decision join the operator's list.
    pub(super) fn respond(&mut self, events: &[Event]) {
        for e in events {
            apply(&mut self.mirror, e);
        }
        let mut touched = BTreeSet::new();
        for e in events {
            let Some(id) = e.incident else { continue };
            match &e.kind {
                EventKind::UnitPaged {
                    candidate, queue, ..
                } => self.answer(id, candidate.unit, queue),
                EventKind::Accepted { unit, .. } => self.accepted(id, *unit, &mut touched),
                EventKind::PageCancelled { unit }
                | EventKind::Declined { unit }
                | EventKind::AckMissed { unit, .. } => {
                    self.stand_down(*unit, id);
                    touched.insert(*unit);
                }
                EventKind::CrewProgress {
                    status: CrewStatus::Released,
                    ..
                } => {
                    let secs = agents::callback_secs(&mut self.drive.rng);
                    let note = "simulated callback: passengers out and unhurt".to_owned();
                    let action = OperatorAction::ConfirmRelease { note };
                    self.drive.after(secs, Act::Operator(id, action));
                }
                EventKind::ReleaseConfirmed => {
                    let secs = self.drive.rng.i64(60..300);
                    self.drive
                        .after(secs, Act::Operator(id, OperatorAction::Close));
                }
                EventKind::NeedsOperator { .. } if !self.waiting.contains(&id) => {
                    self.waiting.push(id);
                }
                _ => {}
            }
        }
        for unit in touched {
            self.start_next(unit);
        }
    }

    /// The paged crew's answer, drawn now and given after its delay. The cars of one storm
    /// queue are answered together, the same way, in the queue's order.
    fn answer(&mut self, id: IncidentId, unit: UnitId, queue: &[IncidentId]) {
        let Some(kind) = self.crews.get(&unit).map(|c| c.kind) else {
            return;
        };
        let eta = self.eta(id, unit);
        let known = self.batches.get(&unit).filter(|b| b.queue == queue);
        let (at, accept) = match known {
            Some(b) if !queue.is_empty() => (b.at, b.accept),
            _ => {
                // A crew paged again on a car (the operator's next try) draws anew.
                let nth = self.mirror.incidents.get(&id).map_or(0, |i| {
                    i.tracks
                        .values()
                        .flat_map(|t| &t.pages)
                        .filter(|p| p.unit == unit)
                        .count()
                });
                let mut rng = self.draws(id, Some((unit, nth as u64)));
                let (after, accept) = match agents::answer(&mut rng, kind, self.decline_share) {
                    Answer::Accept { after } => (after, true),
                    Answer::Decline { after } => (after, false),
                };
                let jitter = TimeDelta::milliseconds(self.drive.rng.i64(0..1000));
                let at = self.drive.now() + TimeDelta::seconds(after) + jitter;
                if !queue.is_empty() {
                    let queue = queue.to_vec();
                    self.batches.insert(unit, Batch { queue, at, accept });
                }
                (at, accept)
            }
        };
        let action = if accept {
            CrewAction::Accept { eta_secs: eta }
        } else {
            let reason = agents::DECLINE.to_owned();
            CrewAction::Decline { reason }
        };
        self.drive.at(at, Act::Crew(id, unit, action));
    }

    /// The crew takes the job; the cars of its storm queue in the queue's order.
    fn accepted(&mut self, id: IncidentId, unit: UnitId, touched: &mut BTreeSet<UnitId>) {
        let Some(c) = self.crews.get_mut(&unit) else {
            return;
        };
        c.jobs.push_back(id);
        if let Some(b) = self.batches.get(&unit).filter(|b| b.queue.contains(&id)) {
            let place = |j: &IncidentId| b.queue.iter().position(|q| q == j);
            c.jobs.make_contiguous().sort_by_key(place);
        }
        touched.insert(unit);
    }

    /// The ETA a crew gives: its drive from where it stands now (after its current job).
    fn eta(&self, id: IncidentId, unit: UnitId) -> Option<u32> {
        let c = self.crews.get(&unit)?;
        let i = self.mirror.incidents.get(&id)?;
        let to = i.lift.as_ref()?.position;
        let from = c.trip.as_ref().map_or(c.at, |t| t.to);
        let d = agents::drive(&i.chain.travel, c.kind, from, to, c.at_base);
        u32::try_from(d.secs).ok()
    }

    /// The draws of one car (and crew): the same in every mode, whatever the order the desk's
    /// decisions bring them in, so the modes are compared on the same crews' answers and the
    /// same rescues (common random numbers), not on luck.
    /// `crew`: the crew and how many times it has been paged on the car.
    fn draws(&self, id: IncidentId, crew: Option<(UnitId, u64)>) -> fastrand::Rng {
        let lift = self.mirror.incidents.get(&id).and_then(|i| i.lift.as_ref());
        let car = lift.map_or(id.0 as u64, |l| l.id.0 as u64);
        let (unit, nth) = crew.map_or((0, 0), |(u, n)| (u.0 as u64 + 1, n));
        let seed = self.seed
            ^ car.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ unit.rotate_left(32)
            ^ nth.rotate_left(48);
        fastrand::Rng::with_seed(seed)
    }

    /// The crew drops `id` (its page ended); a releaser stood down hands the release on.
    pub(super) fn stand_down(&mut self, unit: UnitId, id: IncidentId) {
        let now = self.drive.now();
        if let Some(c) = self.crews.get_mut(&unit) {
            c.stand_down(id, now);
        }
        if self.releaser.get(&id) == Some(&unit) {
            self.releaser.remove(&id);
            self.appoint_releaser(id);
        }
    }

    /// A crew with no current trip starts its next accepted job still held by the desk.
    pub(super) fn start_next(&mut self, unit: UnitId) {
        let now = self.drive.now();
        let Some(c) = self.crews.get_mut(&unit) else {
            return;
        };
        if c.trip.is_some() {
            return;
        }
        while let Some(id) = c.jobs.pop_front() {
            let held = self.mirror.incidents.get(&id).filter(|i| {
                !i.status.is_terminal() && i.page_of(unit).is_some_and(|p| p.holds_unit())
            });
            let Some(i) = held else { continue };
            let Some(to) = i.lift.as_ref().map(|l| l.position) else {
                continue;
            };
            let drive = agents::drive(&i.chain.travel, c.kind, c.at, to, c.at_base);
            let seq = c.depart(id, to, drive, now);
            let arrive = now + TimeDelta::seconds(drive.secs);
            self.drive.at(now, Act::Crew(id, unit, CrewAction::EnRoute));
            self.drive.at(arrive, Act::Arrive(unit, seq));
            return;
        }
    }

    /// If nobody is freeing `id`'s passengers yet, the first rescuer on scene starts to.
    pub(super) fn appoint_releaser(&mut self, id: IncidentId) {
        let released = self
            .mirror
            .incidents
            .get(&id)
            .is_none_or(|i| i.released_at.is_some() || i.status.is_terminal());
        if released || self.releaser.contains_key(&id) {
            return;
        }
        let on_scene = self.crews.iter().find(|(_, c)| {
            c.rescuer()
                && c.trip
                    .as_ref()
                    .is_some_and(|t| t.incident == id && t.on_scene)
        });
        let Some((unit, seq)) = on_scene.and_then(|(u, c)| Some((*u, c.trip.as_ref()?.seq))) else {
            return;
        };
        self.releaser.insert(id, unit);
        let secs = agents::on_site_secs(&mut self.draws(id, None));
        self.drive.after(secs, Act::Release(unit, seq));
    }
}
