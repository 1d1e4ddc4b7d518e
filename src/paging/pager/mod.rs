//! The pager: every ringing page on a schedule, turned into messages as its unit's contact plan
//! falls due; the live feed tells it of new pages, deliveries and acknowledgements.

mod feed;
mod round;

use super::policy::{Channel, ContactPlan, DeliveryLog, PageRef};
use super::{Directory, Paging};
use crate::domain::{Alarm, Event, IncidentId, Lift, UnitId};
use crate::store::StoreError;
use crate::store::outbox::{MessageStatus, RingingPage};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// The longest the pager sleeps without looking at the schedule.
pub(super) const PAGER_IDLE: Duration = Duration::from_secs(1);
/// How old the units read from the registry may be.
pub(super) const UNITS_FRESH: TimeDelta = TimeDelta::seconds(60);
/// Pages read per query.
pub(super) const PAGE_BATCH: i64 = 1_000;

/// A page on the pager's schedule.
pub(super) struct Ringing {
    page: RingingPage,
    ack_due: DateTime<Utc>,
    log: DeliveryLog,
    /// When the schedule looks at it next.
    next_at: DateTime<Utc>,
    /// The rendered page (after the first message).
    body: Option<serde_json::Value>,
}

/// Which page a ringing outbox row is.
pub(super) fn page_ref(p: &RingingPage) -> PageRef {
    PageRef {
        incident: p.incident,
        step: p.step.clone(),
        unit: p.unit,
        page_no: p.page_no,
    }
}

/// Turns ringing pages into messages as their units' contact plans fall due.
pub(super) struct Pager {
    paging: Paging,
    pages: HashMap<i64, Ringing>,
    schedule: BTreeSet<(DateTime<Utc>, i64)>,
    last_id: i64,
    /// The units as last read (shared with `Inner::directory`).
    units: Directory,
    push_units: HashMap<UnitId, bool>,
    /// What pages need to be written, learnt from the live feed (read from the incident's
    /// record instead when missing, e.g. after a restart).
    seen: HashMap<IncidentId, Seen>,
    /// A page was logged since the last read of the outbox.
    new_pages: bool,
    /// The ringing pages of each incident.
    by_incident: HashMap<IncidentId, BTreeSet<i64>>,
}

/// An incident as the feed showed it: its alarm and lift, its steps' levels, its pages.
pub(super) struct Seen {
    alarm: Alarm,
    lift: Option<Lift>,
    /// When the operator attached `lift` (`None`: known from the opening). A page sent before
    /// then was sent without it and renders so.
    lift_since: Option<DateTime<Utc>>,
    levels: HashMap<String, u8>,
    pages: HashMap<(String, UnitId), Event>,
}

impl Pager {
    pub(super) fn new(paging: Paging) -> Self {
        Pager {
            paging,
            pages: HashMap::new(),
            schedule: BTreeSet::new(),
            last_id: 0,
            units: Directory::default(),
            push_units: HashMap::new(),
            seen: HashMap::new(),
            new_pages: true,
            by_incident: HashMap::new(),
        }
    }

    pub(super) async fn run(mut self, mut feed: tokio::sync::broadcast::Receiver<Event>) {
        use tokio::sync::broadcast::error::TryRecvError;
        if self
            .paging
            .inner
            .buckets
            .lock()
            .map(|b| b.is_empty())
            .unwrap_or(true)
        {
            return; // nothing to send with
        }
        let mut last_load = std::time::Instant::now();
        loop {
            // Phone numbers change: the units are read again at least every minute, also
            // while nothing rings (first messages are decided from them).
            let now = self.paging.inner.clock.now();
            if (self.edited()
                || self
                    .units
                    .read
                    .is_none_or(|t| now - t > UNITS_FRESH - TimeDelta::seconds(10)))
                && let Err(e) = self.read_units(now).await
            {
                tracing::warn!(error = %e, "the pager could not read the units");
            }
            // New pages show on the feed; a read every second also catches anything missed.
            if self.new_pages || last_load.elapsed() >= PAGER_IDLE {
                self.new_pages = false;
                last_load = std::time::Instant::now();
                if let Err(e) = self.load().await {
                    self.new_pages = true;
                    tracing::error!(error = %e, "ringing pages not read");
                }
            }
            let now = self.paging.inner.clock.now();
            if let Err(e) = self.round(now).await {
                tracing::error!(error = %e, "paging round failed");
            }
            let next = self.schedule.first().map(|(t, _)| *t);
            let wait = next
                .map(|t| {
                    (t - self.paging.inner.clock.now())
                        .to_std()
                        .unwrap_or_default()
                })
                .unwrap_or(PAGER_IDLE)
                .min(PAGER_IDLE);
            tokio::select! {
                e = feed.recv() => {
                    match e {
                        Ok(e) => self.on_event(&e),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => self.resync(),
                        Err(_) => return,
                    }
                    loop {
                        match feed.try_recv() {
                            Ok(e) => self.on_event(&e),
                            Err(TryRecvError::Lagged(_)) => self.resync(),
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Closed) => return,
                        }
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Whether the registry's units were edited since the last look (see
    /// [`Paging::units_changed`]).
    pub(super) fn edited(&self) -> bool {
        self.paging
            .inner
            .units_changed
            .swap(false, std::sync::atomic::Ordering::AcqRel)
    }

    /// Reads the registry's units, and shares them for deciding first messages.
    pub(super) async fn read_units(&mut self, now: DateTime<Utc>) -> Result<(), String> {
        let i = &self.paging.inner;
        let units = i
            .store
            .units()
            .await
            .map_err(|e| format!("units not read: {e}"))?;
        self.units = Directory {
            read: Some(now),
            units: Arc::new(units.into_iter().map(|u| (u.id, u)).collect()),
        };
        *i.directory.lock().unwrap_or_else(|p| p.into_inner()) = self.units.clone();
        Ok(())
    }

    /// Reads pages logged since the last read.
    pub(super) async fn load(&mut self) -> Result<(), StoreError> {
        loop {
            let batch = self
                .paging
                .inner
                .store
                .ringing_pages(self.last_id, PAGE_BATCH)
                .await?;
            let n = batch.len();
            for p in batch {
                self.last_id = self.last_id.max(p.id);
                self.add(p);
            }
            if n < PAGE_BATCH as usize {
                return Ok(());
            }
        }
    }

    pub(super) fn add(&mut self, p: RingingPage) {
        if self.pages.contains_key(&p.id) {
            return;
        }
        let ack_due = p
            .payload
            .get("ack_due")
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok())
            .unwrap_or(p.paged_at);
        let mut attempted = BTreeSet::new();
        let mut delivered_at: Option<DateTime<Utc>> = None;
        let mut gave_up = BTreeSet::new();
        for &(channel, n, status, at) in &p.messages {
            if let Ok(n) = u32::try_from(n) {
                attempted.insert((channel, n));
                if status == MessageStatus::Failed {
                    gave_up.insert(channel);
                }
            }
            if status == MessageStatus::Delivered {
                delivered_at = Some(delivered_at.map_or(at, |d| d.min(at)));
            }
        }
        let log = DeliveryLog {
            attempted,
            delivered_at,
            gave_up,
            ..DeliveryLog::new(page_ref(&p))
        };
        let next_at = p.paged_at;
        self.schedule.insert((next_at, p.id));
        self.by_incident.entry(p.incident).or_default().insert(p.id);
        self.pages.insert(
            p.id,
            Ringing {
                page: p,
                ack_due,
                log,
                next_at,
                body: None,
            },
        );
    }

    /// The unit's plan cut to the channels it can be reached on: `Ok(None)` when it has none,
    /// `Err` when that cannot be known now (the registry did not answer, or the unit is not in
    /// it yet): the page is looked at again shortly.
    pub(super) async fn plan_for(
        &mut self,
        unit: UnitId,
        now: DateTime<Utc>,
    ) -> Result<Option<ContactPlan>, String> {
        let i = self.paging.inner.clone();
        // Phone numbers change: the registry is read again at least every minute.
        let stale = self.edited() || self.units.read.is_none_or(|t| now - t > UNITS_FRESH);
        let missing = !self.units.units.contains_key(&unit)
            && self
                .units
                .read
                .is_none_or(|t| now - t > TimeDelta::seconds(2));
        if stale || missing {
            self.read_units(now).await?;
        }
        let Some(u) = self.units.units.get(&unit) else {
            return Err(format!("unit {} is not in the registry", unit.0));
        };
        let u = u.clone();
        let has_push = if i.gateways.has(Channel::Push) {
            match self.push_units.get(&unit) {
                Some(h) => *h,
                None => {
                    let h = i
                        .store
                        .push_subscriptions(unit)
                        .await
                        .map(|s| !s.is_empty())
                        .map_err(|e| format!("push subscriptions not read: {e}"))?;
                    self.push_units.insert(unit, h);
                    h
                }
            }
        } else {
            false
        };
        Ok(self.paging.reachable_plan(&u, has_push))
    }

    /// Puts a page back on the schedule at `at`.
    pub(super) fn reschedule(&mut self, id: i64, at: DateTime<Utc>) {
        if let Some(r) = self.pages.get_mut(&id) {
            self.schedule.remove(&(r.next_at, id));
            r.next_at = at;
            self.schedule.insert((at, id));
        }
    }
}
