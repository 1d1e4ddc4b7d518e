//! The first messages of new pages, decided with the page and written in its own append.
//!
//! The desk's sink asks [`Paging::first_messages`] for the messages due at once of every page
//! a batch of events sends for an incident the same batch opens (its alarm, lift and step
//! level are in the batch, and it is the unit's first page by that step). The store writes
//! them with the page, claimed where a slot and a token are free, and after that one commit
//! [`Paging::send_first`] puts the claimed ones on the wire: no read of the outbox and no
//! commit of their own on the way. Everything else (later channels, repeats, pages of known
//! incidents, units whose plan starts with push, whose subscriptions need a read) is the
//! pager's, which finds these first messages on the page when it reads it.

use super::Paging;
use crate::domain::{Alarm, Event, EventKind, IncidentId, Lift, UnitId};
use crate::paging::policy::{self, Channel, DeliveryLog, PageRef};
use crate::store::JsonText;
use crate::store::outbox::{Message, PageMessage};
use std::collections::{HashMap, HashSet};
use tokio::sync::OwnedSemaphorePermit;

/// First messages to write with a batch, each with the in-flight slot it was claimed with.
pub type FirstMessages = Vec<(PageMessage, Option<OwnedSemaphorePermit>)>;

impl Paging {
    /// The messages due at once of the pages `events` send for incidents they open (see the
    /// module docs); empty when the units were not read lately.
    pub fn first_messages(&self, events: &[Event]) -> FirstMessages {
        let i = &self.inner;
        let now = i.clock.now();
        let units = {
            let d = i.directory.lock().unwrap_or_else(|p| p.into_inner());
            match d.read {
                Some(t) if now - t <= super::pager::UNITS_FRESH => d.units.clone(),
                _ => return Vec::new(),
            }
        };
        let mut opened: HashMap<IncidentId, (&Alarm, Option<&Lift>)> = HashMap::new();
        let mut levels: HashMap<(IncidentId, &str), u8> = HashMap::new();
        let mut paged: HashSet<(IncidentId, String, UnitId)> = HashSet::new();
        let mut out = Vec::new();
        for e in events {
            let Some(id) = e.incident else { continue };
            let (candidate, ack_due) = match &e.kind {
                EventKind::IncidentOpened { alarm, lift, .. } => {
                    opened.insert(id, (alarm, lift.as_deref()));
                    continue;
                }
                EventKind::StepStarted { step } => {
                    levels.insert((id, step.id.as_str()), step.level);
                    continue;
                }
                // A storm queue's later cars are on its first car's page.
                EventKind::UnitPaged { queue, .. } if queue.first().is_some_and(|f| *f != id) => {
                    continue;
                }
                EventKind::UnitPaged {
                    candidate, ack_due, ..
                } => (candidate, *ack_due),
                _ => continue,
            };
            let Some((alarm, lift)) = opened.get(&id).copied() else {
                continue;
            };
            let step = e.step.clone().unwrap_or_default();
            if !paged.insert((id, step.clone(), candidate.unit)) {
                continue;
            }
            let Some(unit) = units.get(&candidate.unit) else {
                continue;
            };
            if i.gateways.has(Channel::Push)
                && i.plans
                    .of_unit(unit)
                    .steps()
                    .iter()
                    .any(|s| s.channel == Channel::Push)
            {
                continue; // whether it has a subscription takes a read: the pager's
            }
            let Some(plan) = self.reachable_plan(unit, false) else {
                continue;
            };
            let page = PageRef {
                incident: id,
                step: step.clone(),
                unit: unit.id,
                page_no: 1,
            };
            let log = DeliveryLog::new(page.clone());
            let attempts = policy::due_attempts(&plan, e.at, e.at, ack_due, &log);
            if attempts.is_empty() {
                continue;
            }
            let level = levels.get(&(id, step.as_str())).copied().unwrap_or(1);
            let body = match self.render(&page, alarm, lift, level, e) {
                Ok(b) => JsonText(b.to_string()),
                Err(err) => {
                    tracing::warn!(error = %err, incident = id.0, "first message not rendered; the pager renders it");
                    continue;
                }
            };
            for a in attempts {
                let slot = self.slot(a.channel, now);
                let message = PageMessage {
                    incident: id,
                    step: step.clone(),
                    unit: unit.id,
                    channel: a.channel,
                    n: i32::try_from(a.n).unwrap_or(i32::MAX),
                    claim_until: slot.as_ref().map(|_| self.lease_until(now)),
                    recipient: self.recipient(a.channel, unit.id, unit.phone.as_ref()),
                    body: body.clone(),
                };
                out.push((message, slot));
            }
        }
        out
    }

    /// Puts the first messages the append made on the wire: each claimed one with the slot it
    /// was claimed with; one left pending wakes the worker.
    pub fn send_first(&self, made: Vec<Message>, mut first: FirstMessages) {
        for m in made {
            let slot = first
                .iter_mut()
                .find(|(p, _)| {
                    (p.incident, &p.step, p.unit, &p.channel, p.n)
                        == (m.incident, &m.step, m.unit, &m.channel, m.n)
                })
                .and_then(|(_, slot)| slot.take());
            match (m.status.as_str(), slot) {
                ("sending", Some(slot)) => self.dispatch(m, slot),
                _ => self.inner.retry_wake.notify_one(),
            }
        }
    }
}
