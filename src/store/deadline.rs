//! A deadline on every store call of a request path.
//!
//! A database that stops answering without closing the connection (a network partition, a
//! stalled server) would otherwise hold a request until the link comes back, minutes later,
//! while the sender has long given up. Request paths (HTTP handlers, alarm intake, MQTT) use
//! the store through [`Deadline`]: a call not done within `store.request_timeout` fails with
//! [`StoreError::TimedOut`], which HTTP answers 503 with `Retry-After` and MQTT leaves
//! unacknowledged (tried again until it goes through; redelivered by the broker if the process
//! stops meanwhile). What was not confirmed as committed is never acknowledged.
//!
//! A call cut short may still commit once the link comes back (its statement was already on
//! the wire). For the inbox that is harmless by design: the pump reads it like any pending
//! alarm, and the sender's retry finds it by (channel, source alarm id) and gets the same
//! alarm (`duplicate: true`), never a second one. The waiting itself includes the wait for a
//! pooled connection (connections cut short stay out of the pool until the database answers
//! their check), so an exhausted pool also answers 503 in time.
//!
//! The event log's appends are never cut short: only the desk appends, through the undecorated
//! store, and what it holds in memory must be exactly what committed.

use super::{
    Company, InboxReceipt, IncidentFilter, IncidentRow, NewAlarm, Role, Store, StoreError,
    StoredEvent, TokenRow, outbox,
};
use crate::domain::{Alarm, AlarmId, Event, Fix, IncidentId, Lift, LiftId, LiftRef, Unit, UnitId};
use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// A store whose calls fail with [`StoreError::TimedOut`] past a deadline.
#[derive(Clone)]
pub struct Deadline {
    inner: Arc<dyn Store>,
    limit: Duration,
}

impl Deadline {
    /// `inner`, each call bounded by `limit`.
    pub fn new(inner: Arc<dyn Store>, limit: Duration) -> Self {
        Deadline { inner, limit }
    }

    async fn within<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.limit, call)
            .await
            .unwrap_or(Err(StoreError::TimedOut(self.limit)))
    }
}

#[async_trait::async_trait]
impl Store for Deadline {
    fn engine(&self) -> &'static str {
        self.inner.engine()
    }

    fn review(&self) -> &dyn super::review::ReviewStore {
        // Review reads are bounded by their handlers (they may read a year of facts).
        self.inner.review()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.within(self.inner.ping()).await
    }

    fn writer_changed(&self) {
        self.inner.writer_changed();
    }

    async fn insert_alarm(
        &self,
        alarm: &NewAlarm,
        received_at: DateTime<Utc>,
    ) -> Result<InboxReceipt, StoreError> {
        self.within(self.inner.insert_alarm(alarm, received_at))
            .await
    }

    async fn insert_alarm_for_lift(
        &self,
        alarm: &NewAlarm,
        received_at: DateTime<Utc>,
    ) -> Result<Option<(InboxReceipt, Lift)>, StoreError> {
        self.within(self.inner.insert_alarm_for_lift(alarm, received_at))
            .await
    }

    async fn insert_alarms(
        &self,
        batch: &[(&NewAlarm, DateTime<Utc>, bool)],
    ) -> Result<Vec<Option<(InboxReceipt, Option<Lift>)>>, StoreError> {
        self.within(self.inner.insert_alarms(batch)).await
    }

    async fn pending_alarms(&self, limit: i64) -> Result<Vec<Alarm>, StoreError> {
        self.within(self.inner.pending_alarms(limit)).await
    }

    async fn inbox_depth(&self) -> Result<i64, StoreError> {
        self.within(self.inner.inbox_depth()).await
    }

    async fn alarm_incident(&self, id: AlarmId) -> Result<Option<IncidentId>, StoreError> {
        self.within(self.inner.alarm_incident(id)).await
    }

    async fn append(&self, events: &[Event]) -> Result<Vec<StoredEvent>, StoreError> {
        // Never cut short: see the module docs.
        self.inner.append(events).await
    }

    async fn append_answering(
        &self,
        events: &[Event],
        first: &[super::outbox::PageMessage],
        command: i64,
    ) -> Result<(Vec<StoredEvent>, Vec<super::outbox::Message>), StoreError> {
        self.inner.append_answering(events, first, command).await
    }

    async fn append_paging(
        &self,
        events: &[Event],
        first: &[outbox::PageMessage],
    ) -> Result<(Vec<StoredEvent>, Vec<outbox::Message>), StoreError> {
        self.inner.append_paging(events, first).await
    }

    async fn set_deadlines(
        &self,
        due: &[(IncidentId, Option<DateTime<Utc>>)],
    ) -> Result<(), StoreError> {
        self.within(self.inner.set_deadlines(due)).await
    }

    async fn pending_deadlines(&self) -> Result<Vec<(IncidentId, DateTime<Utc>)>, StoreError> {
        self.within(self.inner.pending_deadlines()).await
    }

    async fn open_incident_events(&self) -> Result<Vec<Event>, StoreError> {
        self.within(self.inner.open_incident_events()).await
    }

    async fn equipment_events(&self) -> Result<Vec<Event>, StoreError> {
        self.within(self.inner.equipment_events()).await
    }

    async fn timeline(&self, id: IncidentId) -> Result<Vec<StoredEvent>, StoreError> {
        self.within(self.inner.timeline(id)).await
    }

    async fn log_page(&self, after: i64, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
        self.within(self.inner.log_page(after, limit)).await
    }

    async fn seals(&self, before: i64, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
        self.within(self.inner.seals(before, limit)).await
    }

    async fn log_period(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.within(self.inner.log_period(from, to, after, limit))
            .await
    }

    async fn incidents_opened(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        self.within(self.inner.incidents_opened(from, to, after, limit))
            .await
    }

    async fn incident_heads(
        &self,
        ids: &[IncidentId],
    ) -> Result<Vec<(IncidentId, i64, String)>, StoreError> {
        self.within(self.inner.incident_heads(ids)).await
    }

    async fn duty_events(&self, after: i64, before: i64) -> Result<Vec<StoredEvent>, StoreError> {
        self.within(self.inner.duty_events(after, before)).await
    }

    async fn log_head(&self) -> Result<i64, StoreError> {
        self.within(self.inner.log_head()).await
    }

    async fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<IncidentRow>, StoreError> {
        self.within(self.inner.incidents(filter)).await
    }

    async fn incident(&self, id: IncidentId) -> Result<Option<IncidentRow>, StoreError> {
        self.within(self.inner.incident(id)).await
    }

    async fn put_companies(&self, companies: &[Company]) -> Result<(), StoreError> {
        self.within(self.inner.put_companies(companies)).await
    }

    async fn put_lifts(&self, lifts: &[Lift]) -> Result<(), StoreError> {
        self.within(self.inner.put_lifts(lifts)).await
    }

    async fn put_units(&self, units: &[Unit]) -> Result<(), StoreError> {
        self.within(self.inner.put_units(units)).await
    }

    async fn find_lift(&self, r: &LiftRef) -> Result<Option<Lift>, StoreError> {
        self.within(self.inner.find_lift(r)).await
    }

    async fn lifts(&self, after: Option<LiftId>, limit: i64) -> Result<Vec<Lift>, StoreError> {
        self.within(self.inner.lifts(after, limit)).await
    }

    async fn units(&self) -> Result<Vec<Unit>, StoreError> {
        self.within(self.inner.units()).await
    }

    async fn put_fixes(&self, fixes: &[(UnitId, Fix)]) -> Result<(), StoreError> {
        self.within(self.inner.put_fixes(fixes)).await
    }

    async fn fixes(&self) -> Result<Vec<(UnitId, Fix)>, StoreError> {
        self.within(self.inner.fixes()).await
    }

    async fn companies(&self) -> Result<Vec<Company>, StoreError> {
        self.within(self.inner.companies()).await
    }

    async fn lift_count(&self) -> Result<i64, StoreError> {
        self.within(self.inner.lift_count()).await
    }

    async fn put_token(
        &self,
        hash: &str,
        role: Role,
        unit: Option<UnitId>,
        label: &str,
    ) -> Result<i64, StoreError> {
        self.within(self.inner.put_token(hash, role, unit, label))
            .await
    }

    async fn token(&self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        self.within(self.inner.token(hash)).await
    }

    async fn token_afresh(&self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        self.within(self.inner.token_afresh(hash)).await
    }

    async fn idempotent_response(
        &self,
        actor: &str,
        key: &str,
    ) -> Result<Option<(u16, String)>, StoreError> {
        self.within(self.inner.idempotent_response(actor, key))
            .await
    }

    async fn ringing_pages(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<outbox::RingingPage>, StoreError> {
        self.within(self.inner.ringing_pages(after, limit)).await
    }

    async fn insert_messages(
        &self,
        new: &[outbox::NewMessage],
    ) -> Result<Vec<outbox::Message>, StoreError> {
        self.within(self.inner.insert_messages(new)).await
    }

    async fn claim_messages(
        &self,
        channel: outbox::Channel,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<outbox::Message>, StoreError> {
        self.within(self.inner.claim_messages(channel, now, lease_until, limit))
            .await
    }

    async fn change_message(
        &self,
        change: &outbox::MessageChange,
        reached_by: Option<(i64, outbox::Channel)>,
    ) -> Result<bool, StoreError> {
        self.within(self.inner.change_message(change, reached_by))
            .await
    }

    async fn due_count(
        &self,
        channel: outbox::Channel,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.within(self.inner.due_count(channel, now)).await
    }

    async fn expire_sends(
        &self,
        now: DateTime<Utc>,
        why: &str,
    ) -> Result<Vec<outbox::Message>, StoreError> {
        self.within(self.inner.expire_sends(now, why)).await
    }

    async fn find_message(
        &self,
        channel: outbox::Channel,
        key_or_ref: &str,
    ) -> Result<Option<outbox::Message>, StoreError> {
        self.within(self.inner.find_message(channel, key_or_ref))
            .await
    }

    async fn incident_messages(&self, id: IncidentId) -> Result<Vec<outbox::Message>, StoreError> {
        self.within(self.inner.incident_messages(id)).await
    }

    async fn put_push_subscription(
        &self,
        unit: UnitId,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.within(
            self.inner
                .put_push_subscription(unit, endpoint, p256dh, auth, at),
        )
        .await
    }

    async fn push_subscriptions(&self, unit: UnitId) -> Result<Vec<String>, StoreError> {
        self.within(self.inner.push_subscriptions(unit)).await
    }

    async fn delete_push_subscription(&self, endpoint: &str) -> Result<(), StoreError> {
        self.within(self.inner.delete_push_subscription(endpoint))
            .await
    }

    async fn remember_response(
        &self,
        actor: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        self.within(self.inner.remember_response(actor, key, status, body))
            .await
    }
}
