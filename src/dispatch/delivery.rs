//! What happened to pages' messages goes on the incident's record. The desk decides nothing
//! from it: a page stops ringing when the unit acknowledges, not when a phone reports delivery,
//! and the acknowledge deadline moves the chain on whatever the gateways said.

use super::DeliveryReport;
use super::ctx::Ctx;
use crate::domain::{Actor, EventKind};

pub(crate) fn on_reports(ctx: &mut Ctx<'_>, reports: Vec<DeliveryReport>) {
    for r in reports {
        // The working copy gives the event its incident's rules version, when still on the desk.
        let _ = ctx.incident(r.incident);
        let detail = if r.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", r.detail)
        };
        let reason = format!(
            "{} page to unit {} {}{detail} ({})",
            r.channel, r.unit.0, r.status, r.message
        );
        ctx.emit(
            Some(r.incident),
            Actor::System,
            Some(&r.step),
            reason,
            EventKind::Delivery {
                unit: r.unit,
                message: r.message,
                channel: r.channel,
                status: r.status,
                detail: r.detail,
            },
        );
    }
}
