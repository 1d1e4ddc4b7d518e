//! One round of the pager: the pages due now, the messages their plans make due, created and
//! sent where a slot and a token are free.

use super::{Pager, page_ref};
use crate::domain::EventKind;
use crate::domain::UnitId;
use crate::paging::policy::{self, ContactPlan};
use crate::store::outbox::{Message, MessageStatus, NewMessage, RingingPage};
use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;

impl Pager {
    /// Creates the messages due by `now` and sends those it can at once.
    pub(super) async fn round(&mut self, now: DateTime<Utc>) -> anyhow::Result<()> {
        let due = self.take_due(now);
        if due.is_empty() {
            return Ok(());
        }
        // A page that cannot go on now is looked at again in a moment.
        let again = now + TimeDelta::seconds(2);
        self.push_units.clear();
        let mut new = Vec::new();
        for id in due {
            new.extend(self.page_round(id, now, again).await);
        }
        if new.is_empty() {
            return Ok(());
        }
        self.create_and_send(new, now, again).await
    }

    /// Takes the pages whose time has come off the schedule.
    fn take_due(&mut self, now: DateTime<Utc>) -> Vec<i64> {
        let mut due = Vec::new();
        while let Some(&(t, id)) = self.schedule.first() {
            if t > now {
                break;
            }
            self.schedule.pop_first();
            due.push(id);
        }
        due
    }

    /// One due page: the messages its unit's plan makes due now (marked attempted), and the
    /// page back on the schedule for its next one, or off it when the plan has run out.
    async fn page_round(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
        again: DateTime<Utc>,
    ) -> Vec<NewMessage> {
        let Some(r) = self.pages.get(&id) else {
            return Vec::new();
        };
        if now >= r.ack_due {
            self.drop_page(id);
            return Vec::new();
        }
        let unit = r.page.unit;
        let Some(plan) = self.reachable(id, unit, now, again).await else {
            return Vec::new();
        };
        let Some(r) = self.pages.get(&id) else {
            return Vec::new();
        };
        let attempts = policy::due_attempts(&plan, r.page.paged_at, now, r.ack_due, &r.log);
        // Nothing new to send (the first message went out with the page's own append): the
        // text is not needed yet.
        if !attempts.is_empty() && !self.rendered(id, again).await {
            return Vec::new();
        }
        let phone = self.units.units.get(&unit).and_then(|u| u.phone.clone());
        let Some(r) = self.pages.get_mut(&id) else {
            return Vec::new();
        };
        let mut new = Vec::with_capacity(attempts.len());
        for a in attempts {
            r.log.attempted.insert((a.channel, a.n));
            new.push(NewMessage {
                page_id: id,
                incident: r.page.incident,
                step: r.page.step.clone(),
                unit,
                channel: a.channel,
                n: i32::try_from(a.n).unwrap_or(i32::MAX),
                dedupe_key: a.dedupe_key,
                claim_until: None,
                recipient: self.paging.recipient(a.channel, unit, phone.as_ref()),
                body: crate::store::JsonText(r.body.clone().unwrap_or_default().to_string()),
                at: now,
            });
        }
        match policy::next_due(&plan, r.page.paged_at, now, r.ack_due, &r.log) {
            Some(t) => {
                r.next_at = t;
                self.schedule.insert((t, id));
            }
            None => self.drop_page(id),
        }
        new
    }

    /// The page's unit's plan cut to the channels it can be reached on; `None` when there is
    /// none (the page is dropped) or it cannot be known now (the page is held back).
    async fn reachable(
        &mut self,
        id: i64,
        unit: UnitId,
        now: DateTime<Utc>,
        again: DateTime<Utc>,
    ) -> Option<ContactPlan> {
        match self.plan_for(unit, now).await {
            Ok(Some(plan)) => Some(plan),
            Ok(None) => {
                tracing::warn!(
                    unit = unit.0,
                    page = id,
                    "the unit cannot be reached on any configured channel"
                );
                self.drop_page(id);
                None
            }
            Err(e) => {
                tracing::warn!(page = id, error = %e, "page held back; trying again");
                self.reschedule(id, again);
                None
            }
        }
    }

    /// Whether the page's text is rendered (rendering it now if not); a page whose text cannot
    /// be rendered now is held back.
    async fn rendered(&mut self, id: i64, again: DateTime<Utc>) -> bool {
        let Some(page) = self
            .pages
            .get(&id)
            .filter(|r| r.body.is_none())
            .map(|r| r.page.clone())
        else {
            return true;
        };
        match self.body(&page).await {
            Ok(b) => {
                if let Some(r) = self.pages.get_mut(&id) {
                    r.body = Some(b);
                }
                true
            }
            Err(e) => {
                tracing::error!(error = %e, page = id, "page text not rendered; trying again");
                self.reschedule(id, again);
                false
            }
        }
    }

    /// Creates the messages in one write, claimed at once where a slot and a token are free
    /// (the lease counted from now), and sends those claimed. When nothing could be created
    /// the attempts are unmarked and due again at `again`.
    async fn create_and_send(
        &mut self,
        mut new: Vec<NewMessage>,
        now: DateTime<Utc>,
        again: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let i = self.paging.inner.clone();
        let lease = self.paging.lease_until(i.clock.now());
        let mut slots = Vec::with_capacity(new.len());
        for n in &mut new {
            let slot = self.paging.slot(n.channel, now);
            if slot.is_some() {
                n.claim_until = Some(lease);
            }
            slots.push(slot);
        }
        let made = match i.store.insert_messages(&new).await {
            Ok(made) => made,
            Err(e) => {
                for n in &new {
                    if let Some(r) = self.pages.get_mut(&n.page_id) {
                        r.log
                            .attempted
                            .remove(&(n.channel, u32::try_from(n.n).unwrap_or(0)));
                    }
                    self.reschedule(n.page_id, again);
                }
                return Err(e.into());
            }
        };
        let mut by_key: HashMap<String, Message> = made
            .into_iter()
            .map(|m| (m.dedupe_key.clone(), m))
            .collect();
        for (n, slot) in new.iter().zip(slots) {
            match by_key.remove(&n.dedupe_key) {
                Some(m) if m.status == MessageStatus::Sending => {
                    if let Some(slot) = slot {
                        self.paging.dispatch(m, slot);
                    }
                }
                Some(_) => i.retry_wake.notify_one(),
                // Not created: another node made it first, or the page stopped ringing (its
                // acknowledgement takes it off the schedule when it reaches the feed).
                None => {}
            }
        }
        Ok(())
    }

    /// Renders a page from what the feed showed of its incident, or else from its record:
    /// the lift and alarm that opened it (or the lift the operator attached before the page),
    /// the step's level, the page event.
    pub(super) async fn body(&self, p: &RingingPage) -> anyhow::Result<serde_json::Value> {
        let at = p
            .payload
            .get("at")
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok());
        if let Some(s) = self.seen.get(&p.incident)
            && let Some(e) = s.pages.get(&(p.step.clone(), p.unit))
            && Some(e.at) == at
        {
            let level = s.levels.get(&p.step).copied().unwrap_or(1);
            let lift = s
                .lift
                .as_ref()
                .filter(|_| s.lift_since.is_none_or(|t| e.at >= t));
            return self.paging.render(&page_ref(p), &s.alarm, lift, level, e);
        }
        let timeline = self.paging.inner.store.timeline(p.incident).await?;
        let seq = p.payload.get("event_seq").and_then(|v| v.as_i64());
        let mut opened = None;
        let mut attached = None;
        let mut level = 1;
        let mut paged = None;
        for s in &timeline {
            match &s.event.kind {
                EventKind::IncidentOpened { alarm, lift, .. } => opened = Some((alarm, lift)),
                // Only an attachment before the page: a page sent without the lift says so.
                EventKind::LiftAttached { lift, .. } if paged.is_none() => attached = Some(lift),
                EventKind::StepStarted { step } if step.id.as_str() == p.step => level = step.level,
                EventKind::UnitPaged { .. } if Some(s.seq) == seq => paged = Some(&s.event),
                _ => {}
            }
        }
        let (alarm, lift) = opened.context("the incident has no opening event")?;
        let lift = attached.or(lift.as_ref());
        let event = paged.context("the page event is not on the incident's record")?;
        self.paging
            .render(&page_ref(p), alarm, lift.map(|l| &**l), level, event)
    }
}
