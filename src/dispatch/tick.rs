//! Deadlines falling due: missed acknowledgements, warnings and breaches.

use super::ctx::Ctx;
use super::deadline::{Due, DueWhat, due_items};
use crate::domain::{DeadlineKind, EventKind, IncidentId, UnitId};
use crate::rules::OnMiss;

/// Upper bound on deadlines fired for one incident in one tick: each fires once, an incident
/// has a handful, so this only guards against a rules loop we failed to foresee.
const MAX_PER_INCIDENT: usize = 256;

pub(crate) fn on_tick(ctx: &mut Ctx<'_>) {
    for id in ctx.state.due_incidents(ctx.now) {
        for _ in 0..MAX_PER_INCIDENT {
            let Some(next) = ctx
                .incident(id)
                .and_then(|i| due_items(i).into_iter().next())
            else {
                break;
            };
            if next.at > ctx.now {
                break;
            }
            fire(ctx, id, next);
        }
    }
    super::storm::on_tick(ctx);
}

fn fire(ctx: &mut Ctx<'_>, id: IncidentId, due: Due) {
    match due.what {
        DueWhat::Ack { step, unit } => ack_missed(ctx, id, &step, unit, due.at),
        DueWhat::Deadline {
            step,
            kind,
            breach: false,
        } => {
            let reason = format!("{} deadline warning", label(&kind));
            ctx.sys(
                id,
                step.as_deref(),
                reason,
                EventKind::DeadlineWarning {
                    deadline: kind,
                    due: due.at,
                },
            );
        }
        DueWhat::Deadline {
            step,
            kind,
            breach: true,
        } => breached(ctx, id, step, kind, due.at),
    }
}

fn ack_missed(
    ctx: &mut Ctx<'_>,
    id: IncidentId,
    step: &str,
    unit: UnitId,
    due: chrono::DateTime<chrono::Utc>,
) {
    let Some(t) = ctx.incident(id).and_then(|i| i.tracks.get(step)) else {
        return;
    };
    let on_miss = t.step.on_no_ack;
    let reason = format!("{unit} did not acknowledge within {}", t.step.acknowledge);
    ctx.sys(id, Some(step), reason, EventKind::AckMissed { unit, due });
    match on_miss {
        OnMiss::NextCandidate => ctx.fill(id, step),
        OnMiss::Escalate => ctx.exhaust(
            id,
            step,
            format!("{unit} did not acknowledge and the rule escalates"),
        ),
    }
}

fn breached(
    ctx: &mut Ctx<'_>,
    id: IncidentId,
    step: Option<String>,
    kind: DeadlineKind,
    due: chrono::DateTime<chrono::Utc>,
) {
    let sid = step.as_deref();
    let track_step = sid
        .and_then(|s| ctx.incident(id).and_then(|i| i.tracks.get(s)))
        .map(|t| t.step.clone());
    let reason = format!("{} deadline breached", label(&kind));
    ctx.sys(
        id,
        sid,
        reason.clone(),
        EventKind::DeadlineBreached {
            deadline: kind.clone(),
            due,
        },
    );
    let Some(step) = track_step else { return };
    if !step.notify_on_breach.is_empty() {
        ctx.sys(
            id,
            sid,
            reason.clone(),
            EventKind::PartiesNotified {
                parties: step.notify_on_breach.clone(),
            },
        );
    }
    if let (DeadlineKind::Arrive(_), Some(next)) = (&kind, &step.on_arrive_breach) {
        ctx.start_step(
            id,
            next,
            format!("{reason} for step `{}`: escalating in parallel", step.id),
        );
    }
}

fn label(kind: &DeadlineKind) -> String {
    match kind {
        DeadlineKind::Arrive(s) => format!("arrival (step `{s}`)"),
        DeadlineKind::Release(s) => format!("release (step `{s}`)"),
        DeadlineKind::Confirm => "release confirmation callback".into(),
    }
}
