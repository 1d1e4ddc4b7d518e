//! The report's SLA marks: each page's acknowledgement, each step's arrival and release, with
//! when it was due (from the incident's own chain snapshot), when it was done, and whether it
//! was met or how late. Pure.

use crate::domain::{CrewStatus, DeadlineKind, Event, EventKind, UnitId};
use crate::store::StoredEvent;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One SLA mark: when something was due, and whether it was met or how late.
#[derive(Debug, Clone, Serialize)]
pub struct SlaMark {
    /// `acknowledge`, `arrive` or `release`.
    pub clock: &'static str,
    /// The step it belongs to.
    pub step: Option<String>,
    /// The unit, for an acknowledgement.
    pub unit: Option<UnitId>,
    /// When it was due.
    pub due: DateTime<Utc>,
    /// When it was done, if it was.
    pub done: Option<DateTime<Utc>>,
    /// Done by the due time; `None` while neither done nor breached at report time.
    pub met: Option<bool>,
    /// How late it was done (or, not done, how far past due at report time), seconds.
    pub late_by_secs: Option<i64>,
    /// The row the clock started from.
    pub seq: i64,
    /// That row's hash.
    pub hash: String,
}

/// The SLA marks: each page's acknowledgement, each step's arrival and release. `open_now`:
/// the report's time while the incident is still open (a clock past due then counts as late).
pub fn sla_marks(rows: &[StoredEvent], open_now: Option<DateTime<Utc>>) -> Vec<SlaMark> {
    let mut marks = Vec::new();
    let snapshot = rows.iter().rev().find_map(|r| match &r.event.kind {
        EventKind::IncidentOpened { chain, .. } | EventKind::LiftAttached { chain, .. } => {
            Some(chain)
        }
        _ => None,
    });
    let first =
        |f: &dyn Fn(&Event) -> bool| rows.iter().map(|r| &r.event).find(|e| f(e)).map(|e| e.at);
    let released = first(&|e| {
        matches!(
            e.kind,
            EventKind::CrewProgress {
                status: CrewStatus::Released,
                ..
            } | EventKind::ReleaseConfirmed
        )
    });
    let breached = |kind: &dyn Fn(&DeadlineKind) -> bool| {
        rows.iter().any(|r| matches!(&r.event.kind, EventKind::DeadlineBreached { deadline, .. } if kind(deadline)))
    };
    for r in rows {
        match &r.event.kind {
            EventKind::UnitPaged {
                candidate, ack_due, ..
            } => {
                let unit = candidate.unit;
                let done = first(&|e| {
                    matches!(e.kind, EventKind::Accepted { unit: u, .. } if u == unit)
                        && e.at >= r.event.at
                });
                let missed = rows.iter().any(|x| {
                    matches!(x.event.kind, EventKind::AckMissed { unit: u, due } if u == unit && due == *ack_due)
                });
                marks.push(mark(
                    "acknowledge",
                    r,
                    Some(unit),
                    *ack_due,
                    done,
                    missed,
                    None,
                ));
            }
            EventKind::StepStarted { step } => {
                let id = step.id.clone();
                let clock = snapshot
                    .and_then(|s| s.chain.step(&id))
                    .unwrap_or(step.as_ref());
                let paged_at = first(&|e| {
                    matches!(e.kind, EventKind::UnitPaged { .. }) && e.step.as_deref() == Some(&id)
                });
                let on_scene = first(&|e| {
                    matches!(
                        e.kind,
                        EventKind::CrewProgress {
                            status: CrewStatus::OnScene,
                            ..
                        }
                    )
                });
                if let (Some(arrive), Some(paged)) = (clock.arrive, paged_at) {
                    let due = paged + arrive.limit.0;
                    let late = breached(&|d| matches!(d, DeadlineKind::Arrive(s) if *s == id));
                    marks.push(mark("arrive", r, None, due, on_scene, late, open_now));
                }
                if let (Some(release), Some(scene)) = (clock.release, on_scene) {
                    let due = scene + release.limit.0;
                    let late = breached(&|d| matches!(d, DeadlineKind::Release(s) if *s == id));
                    marks.push(mark("release", r, None, due, released, late, open_now));
                }
            }
            _ => {}
        }
    }
    marks
}

fn mark(
    clock: &'static str,
    from: &StoredEvent,
    unit: Option<UnitId>,
    due: DateTime<Utc>,
    done: Option<DateTime<Utc>>,
    breached: bool,
    open_now: Option<DateTime<Utc>>,
) -> SlaMark {
    let late = |t: DateTime<Utc>| (t - due).num_seconds().max(0);
    let (met, late_by_secs) = match (done, open_now) {
        (Some(t), _) => (Some(t <= due), (t > due).then(|| late(t))),
        (None, Some(now)) if now > due => (Some(false), Some(late(now))),
        (None, _) if breached => (Some(false), None),
        (None, _) => (None, None),
    };
    SlaMark {
        clock,
        step: from.event.step.clone().or_else(|| match &from.event.kind {
            EventKind::StepStarted { step } => Some(step.id.clone()),
            _ => None,
        }),
        unit,
        due,
        done,
        met,
        late_by_secs,
        seq: from.seq,
        hash: from.hash.clone(),
    }
}
