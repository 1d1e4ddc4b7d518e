//! Deadlines are data: every pending one is derived from an incident's state, so a desk rebuilt
//! from the log after a crash knows every deadline that was pending, and fires the overdue ones
//! at once (each event records the time it was due, so how late it fired is on the record).

use super::incident::{Incident, PageState};
use crate::domain::{DeadlineKind, IncidentStatus, UnitId};
use chrono::{DateTime, Utc};

/// What falls due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueWhat {
    /// A page's acknowledgement.
    Ack {
        /// The step that paged.
        step: String,
        /// The unit paged.
        unit: UnitId,
    },
    /// A step's or the incident's deadline, warning or breach.
    Deadline {
        /// The step (none for the incident-wide confirm deadline).
        step: Option<String>,
        /// Which deadline.
        kind: DeadlineKind,
        /// Breach (`true`) or warning.
        breach: bool,
    },
}

/// A deadline and when it falls due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub what: DueWhat,
}

/// Every deadline of the incident that has not fired yet, earliest first.
pub fn due_items(i: &Incident) -> Vec<Due> {
    let mut out = Vec::new();
    if i.status.is_terminal() {
        return out;
    }
    for (id, t) in &i.tracks {
        for p in t.pages.iter().filter(|p| p.state == PageState::Pending) {
            out.push(Due {
                at: p.ack_due,
                what: DueWhat::Ack {
                    step: id.clone(),
                    unit: p.unit,
                },
            });
        }
        if i.released_at.is_some() {
            continue;
        }
        // An exhausted step that nobody accepted has handed over to its escalation, whose own
        // clock runs: its arrival deadline would only warn about nobody.
        let handed_over = t.exhausted && t.accepted() == 0;
        if let (Some(d), Some(first), None, false) =
            (t.step.arrive, t.first_page_at(), t.arrived_at, handed_over)
        {
            let kind = DeadlineKind::Arrive(id.clone());
            push_pair(&mut out, Some(id), &kind, first, d, |b| {
                t.has_fired(&kind, b)
            });
        }
        if let (Some(d), Some(arrived)) = (t.step.release, t.arrived_at) {
            let kind = DeadlineKind::Release(id.clone());
            push_pair(&mut out, Some(id), &kind, arrived, d, |b| {
                t.has_fired(&kind, b)
            });
        }
    }
    if let (Some(d), Some(released)) = (i.chain.chain.confirm, i.released_at)
        && i.status < IncidentStatus::Confirmed
    {
        let fired = |breach: bool| {
            if breach {
                i.confirm_fired.1
            } else {
                i.confirm_fired.0
            }
        };
        push_pair(&mut out, None, &DeadlineKind::Confirm, released, d, fired);
    }
    out.sort_by_key(|d| d.at);
    out
}

fn push_pair(
    out: &mut Vec<Due>,
    step: Option<&String>,
    kind: &DeadlineKind,
    anchor: DateTime<Utc>,
    d: crate::rules::Deadline,
    fired: impl Fn(bool) -> bool,
) {
    let mut push = |after: crate::rules::Dur, breach: bool| {
        if !fired(breach) {
            let what = DueWhat::Deadline {
                step: step.cloned(),
                kind: kind.clone(),
                breach,
            };
            out.push(Due {
                at: anchor + after.delta(),
                what,
            });
        }
    };
    if let Some(w) = d.warning {
        // A warning that never fired is moot once the breach has.
        if !fired(true) {
            push(w, false);
        }
    }
    push(d.limit, true);
}
