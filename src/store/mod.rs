//! The durable store: the alarm inbox, the hash-chained event log with its projections
//! (incidents, deadlines, outbox), the registry (lifts, companies, units), tokens and
//! idempotency keys.
//!
//! One interface, [`Store`], and one adapter per engine: [`postgres`] for production and
//! [`sqlite`] as the embedded default. Migrations live in `migrations/postgres` and
//! `migrations/sqlite` with aligned versions and are applied by [`open`]. The conformance suite
//! (`store/tests/`) runs every behaviour against both engines.

mod cache;
pub mod chain;
mod deadline;
mod engine;
mod log_row;
mod open;
mod opening;
pub mod outbox;
pub mod postgres;
mod projection;
mod replay;
pub mod review;
mod rows;
pub mod seals;
pub(crate) mod sql;
pub mod sqlite;
#[cfg(test)]
pub(crate) mod tests;
mod types;

pub use chain::{VerifyReport, verify_log};
pub use deadline::Deadline;
pub use open::{is_postgres, open, open_for_bulk_load, open_read_only};
pub use replay::replay_incident;
pub(crate) use rows::enum_name;
pub use types::{JsonText, fixed_rfc3339};

use crate::domain::{
    Alarm, AlarmId, CompanyId, Event, Fix, IncidentId, IncidentStatus, Lift, LiftId, LiftRef, Unit,
    UnitId, UnitKind,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What can go wrong in the store. Callers branch on the first two; the rest is reported.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write (e.g. a rescue code already in use).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The log's hash chain moved under us: another writer appended (the lease was lost).
    #[error("the event log was appended to by another writer")]
    ChainForked,
    /// The database said no or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row could not be read back (bad JSON, bad value).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database did not answer within a request's deadline (see [`Deadline`]); the call
    /// may still commit later.
    #[error("the database did not answer within {}", humantime::format_duration(*.0))]
    TimedOut(std::time::Duration),
}

impl StoreError {
    /// Whether the log refused an append because this process does not hold its region's
    /// desk lease (another node took over: `migrations/postgres/0012_cluster.sql`).
    pub fn fenced(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(d))
            if d.code().as_deref() == Some(FENCED))
    }
}

/// The SQLSTATE of the log's fence.
pub const FENCED: &str = "LR409";

pub use crate::domain::NewAlarm;

/// The inbox's answer: the committed alarm, whether it was already there, and its incident once
/// the desk has taken it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboxReceipt {
    /// The alarm as stored (the first copy when it is a duplicate).
    pub alarm: Alarm,
    /// True when (channel, source_alarm_id) was already in the inbox: nothing was written.
    pub duplicate: bool,
    /// The incident it opened or joined, once the desk has processed it.
    pub incident: Option<IncidentId>,
}

/// One row of the event log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in the log (1, 2, 3 … with no gaps).
    pub seq: i64,
    /// Position within its incident (1, 2, 3 …), if it belongs to one.
    pub incident_seq: Option<i64>,
    /// The event.
    pub event: Event,
    /// The event exactly as stored (canonical JSON): what the hash covers.
    pub body: String,
    /// The previous row's hash (64 zeros for the first row).
    pub prev_hash: String,
    /// This row's hash.
    pub hash: String,
}

/// The incidents projection: one row per incident, kept in step with the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentRow {
    /// Its id.
    pub id: IncidentId,
    /// Where it stands.
    pub status: IncidentStatus,
    /// The lift, if resolved.
    pub lift: Option<LiftId>,
    /// The lift's rescue code, if resolved.
    pub rescue_code: Option<String>,
    /// The lift's contracted maintenance company.
    pub company: Option<CompanyId>,
    /// The chain it runs.
    pub chain: String,
    /// The rules version it runs on.
    pub rules_version: String,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it ended, if it has.
    pub ended_at: Option<DateTime<Utc>>,
    /// Any deadline breached.
    pub breached: bool,
    /// Waiting for an operator's decision.
    pub needs_operator: bool,
    /// The lift could not be resolved.
    pub lift_unresolved: bool,
    /// The latest event's time.
    pub updated_at: DateTime<Utc>,
}

/// A search over the incidents projection; every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IncidentFilter {
    /// Only these statuses.
    pub status: Option<Vec<IncidentStatus>>,
    /// Only open (not closed, cancelled or false alarm) incidents.
    pub open: Option<bool>,
    /// Only this lift.
    pub lift: Option<LiftId>,
    /// Only this maintenance company's lifts.
    pub company: Option<CompanyId>,
    /// Opened at or after.
    pub from: Option<DateTime<Utc>>,
    /// Opened before.
    pub to: Option<DateTime<Utc>>,
    /// Only those with (true) or without (false) a breached deadline.
    pub breached: Option<bool>,
    /// At most this many, newest first (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// A registered company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Company {
    /// Its id.
    pub id: CompanyId,
    /// Its name (not blank).
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: String,
    /// What kind of units it employs.
    pub kind: UnitKind,
}

/// Who a bearer token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum Role {
    /// Console operator: runs incidents.
    Operator,
    /// A rescue crew: its own assignments only (the token names the unit).
    Crew,
    /// Read-only review.
    Investigator,
    /// Registry and token administration.
    Admin,
    /// A machine posting alarms (IoT platform, telephony gateway).
    Integration,
}

/// A stored token (only the SHA-256 of the secret is kept).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    /// Its id.
    pub id: i64,
    /// Its role.
    pub role: Role,
    /// The unit, for crew tokens.
    pub unit: Option<UnitId>,
    /// A human label ("operator Li, console 3").
    pub label: String,
}

/// The durable store. Every method is one transaction.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which engine ("postgres" or "sqlite").
    fn engine(&self) -> &'static str;
    /// Cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Another writer may have appended since this store last did (this node took the desk
    /// over): forget what it remembers of its own appends (the head, open incidents).
    fn writer_changed(&self);

    /// The review tables (derived from the log; see [`review`]).
    fn review(&self) -> &dyn review::ReviewStore;

    /// Commits an alarm to the inbox, or finds the earlier copy of the same (channel, source id).
    async fn insert_alarm(
        &self,
        alarm: &NewAlarm,
        received_at: DateTime<Utc>,
    ) -> Result<InboxReceipt, StoreError>;
    /// Commits an alarm whose lift must be in the registry, resolving its reference in the same
    /// step: `None`, with nothing written, when it names no lift; else the receipt (the
    /// earlier copy's for a repeated (channel, source id)) and the lift. One round trip on
    /// PostgreSQL, where looking up first and then inserting takes two.
    async fn insert_alarm_for_lift(
        &self,
        alarm: &NewAlarm,
        received_at: DateTime<Utc>,
    ) -> Result<Option<(InboxReceipt, Lift)>, StoreError>;
    /// Commits several alarms in one transaction (group commit under load): for each, in
    /// order, `(alarm, received at, lift required)`, its receipt and the lift its reference
    /// names (`None`: none), or `None` with nothing written when the lift is required and not
    /// registered. All or nothing: an error writes none of them.
    async fn insert_alarms(
        &self,
        batch: &[(&NewAlarm, DateTime<Utc>, bool)],
    ) -> Result<Vec<Option<(InboxReceipt, Option<Lift>)>>, StoreError>;
    /// Alarms the desk has not processed yet, oldest first.
    async fn pending_alarms(&self, limit: i64) -> Result<Vec<Alarm>, StoreError>;
    /// Number of alarms waiting in the inbox.
    async fn inbox_depth(&self) -> Result<i64, StoreError>;
    /// The incident an alarm opened or joined, once processed.
    async fn alarm_incident(&self, id: AlarmId) -> Result<Option<IncidentId>, StoreError>;

    /// Appends the events of one decision in one transaction: hash-chained log rows, alarms
    /// they carry marked processed, the incidents projection, unit duty in the registry, and one
    /// outbox row per page (unique dedupe key: incident, step, unit, page number). Returns the
    /// stored rows.
    async fn append(&self, events: &[Event]) -> Result<Vec<StoredEvent>, StoreError>;
    /// [`append`](Self::append), with the first messages of pages these events send written in
    /// the same transaction (a message applies to the first page of its incident, step and unit
    /// in `events`; one matching no page is left out). Returns the rows and the messages made.
    async fn append_paging(
        &self,
        events: &[Event],
        first: &[outbox::PageMessage],
    ) -> Result<(Vec<StoredEvent>, Vec<outbox::Message>), StoreError>;
    /// [`append_paging`](Self::append_paging), also marking the command a standby forwarded
    /// (`desk_commands` row `command`, PostgreSQL) answered with these events, in the same
    /// transaction.
    async fn append_answering(
        &self,
        events: &[Event],
        first: &[outbox::PageMessage],
        command: i64,
    ) -> Result<(Vec<StoredEvent>, Vec<outbox::Message>), StoreError>;
    /// Replaces the persisted pending deadlines of these incidents (`None`: none pending).
    async fn set_deadlines(
        &self,
        due: &[(IncidentId, Option<DateTime<Utc>>)],
    ) -> Result<(), StoreError>;
    /// Persisted pending deadlines, earliest first.
    async fn pending_deadlines(&self) -> Result<Vec<(IncidentId, DateTime<Utc>)>, StoreError>;
    /// Every event of every incident that has not ended, in log order (what a restart replays).
    async fn open_incident_events(&self) -> Result<Vec<Event>, StoreError>;
    /// Every equipment supervision event (`equipment_fault`, `equipment_ok`) in log order.
    async fn equipment_events(&self) -> Result<Vec<Event>, StoreError>;
    /// One incident's events in order.
    async fn timeline(&self, id: IncidentId) -> Result<Vec<StoredEvent>, StoreError>;
    /// Log rows with `seq > after`, in order, at most `limit`.
    async fn log_page(&self, after: i64, limit: i64) -> Result<Vec<StoredEvent>, StoreError>;
    /// The daily seals (`log_sealed` rows) with `seq < before`, newest first, at most `limit`.
    async fn seals(&self, before: i64, limit: i64) -> Result<Vec<StoredEvent>, StoreError>;
    /// Log rows whose time is in `[from, to)` with `seq > after`, in log order, at most
    /// `limit`: a period read page by page.
    async fn log_period(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    /// Incidents opened in `[from, to)` with `id > after`, in id order, at most `limit`.
    async fn incidents_opened(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<IncidentRow>, StoreError>;
    /// The last log row (seq and hash) of each of these incidents that has one.
    async fn incident_heads(
        &self,
        ids: &[IncidentId],
    ) -> Result<Vec<(IncidentId, i64, String)>, StoreError>;
    /// The `unit_duty` rows (units going on or off duty) and `storm_solved` rows with
    /// `after < seq < before`, in order: what a replay of an incident needs beside its own
    /// events.
    async fn duty_events(&self, after: i64, before: i64) -> Result<Vec<StoredEvent>, StoreError>;
    /// The sequence of the log's last row (0: the log is empty).
    async fn log_head(&self) -> Result<i64, StoreError>;
    /// The incidents projection, filtered: open incidents whose lift could not be resolved
    /// first (only a person can move them on), then newest first.
    async fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<IncidentRow>, StoreError>;
    /// One incident's projection row.
    async fn incident(&self, id: IncidentId) -> Result<Option<IncidentRow>, StoreError>;

    /// Inserts or replaces companies.
    async fn put_companies(&self, companies: &[Company]) -> Result<(), StoreError>;
    /// Inserts or replaces lifts (rescue and registration codes stay unique).
    async fn put_lifts(&self, lifts: &[Lift]) -> Result<(), StoreError>;
    /// Inserts or replaces units.
    async fn put_units(&self, units: &[Unit]) -> Result<(), StoreError>;
    /// Resolves a lift reference (id, rescue code, registration code, cabin phone, device id).
    async fn find_lift(&self, r: &LiftRef) -> Result<Option<Lift>, StoreError>;
    /// Lifts page by page (id order).
    async fn lifts(&self, after: Option<LiftId>, limit: i64) -> Result<Vec<Lift>, StoreError>;
    /// Every unit.
    async fn units(&self) -> Result<Vec<Unit>, StoreError>;
    /// Keeps the newest of these live fixes of each unit, in one transaction: a fix older than
    /// the one stored changes nothing. Written behind the desk (`service::positions`).
    async fn put_fixes(&self, fixes: &[(UnitId, Fix)]) -> Result<(), StoreError>;
    /// The last live fix of every unit that reported one, in unit order (what a restart pages
    /// from).
    async fn fixes(&self) -> Result<Vec<(UnitId, Fix)>, StoreError>;
    /// Every company.
    async fn companies(&self) -> Result<Vec<Company>, StoreError>;
    /// Number of lifts.
    async fn lift_count(&self) -> Result<i64, StoreError>;

    /// Stores a token's hash.
    async fn put_token(
        &self,
        hash: &str,
        role: Role,
        unit: Option<UnitId>,
        label: &str,
    ) -> Result<i64, StoreError>;
    /// Finds a token by the hash of its secret (one found is kept for up to 30 s:
    /// `store::cache`).
    async fn token(&self, hash: &str) -> Result<Option<TokenRow>, StoreError>;
    /// Finds a token by the hash of its secret in the database itself, past the cache, and
    /// leaves the cache agreeing: a token found is kept afresh, one gone is forgotten, so this
    /// node refuses its next request at once. An open live feed asks this every ping, so a
    /// token removed on any node ends its streams within one.
    async fn token_afresh(&self, hash: &str) -> Result<Option<TokenRow>, StoreError>;

    /// The stored response to an earlier request with this idempotency key from this actor.
    async fn idempotent_response(
        &self,
        actor: &str,
        key: &str,
    ) -> Result<Option<(u16, String)>, StoreError>;
    /// Pages still ringing with `id > after`, in id order, at most `limit`, with their messages.
    async fn ringing_pages(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<outbox::RingingPage>, StoreError>;
    /// Creates messages in one transaction, each only if its page still rings and its dedupe
    /// key is new. Returns the ones created.
    async fn insert_messages(
        &self,
        new: &[outbox::NewMessage],
    ) -> Result<Vec<outbox::Message>, StoreError>;
    /// Claims up to `limit` due `pending` messages of `channel` for sending until
    /// `lease_until` (each one's attempts counted); concurrent claimers never get the same one.
    async fn claim_messages(
        &self,
        channel: outbox::Channel,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<outbox::Message>, StoreError>;
    /// Applies `change` if the message is still in `change.from`; with `reached_by`
    /// (page id, channel) also records the channel that reached the page's unit, if none did
    /// yet. Returns whether it applied.
    async fn change_message(
        &self,
        change: &outbox::MessageChange,
        reached_by: Option<(i64, outbox::Channel)>,
    ) -> Result<bool, StoreError>;
    /// How many `pending` messages of `channel` are due at `now` (a read).
    async fn due_count(
        &self,
        channel: outbox::Channel,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    /// Sets every `sending` message whose lease ended before `now` to `failed` with `why`
    /// (returned), and cancels `pending` retries of pages that have ended.
    async fn expire_sends(
        &self,
        now: DateTime<Utc>,
        why: &str,
    ) -> Result<Vec<outbox::Message>, StoreError>;
    /// The message of `channel` with this dedupe key, or else with this gateway id.
    async fn find_message(
        &self,
        channel: outbox::Channel,
        key_or_ref: &str,
    ) -> Result<Option<outbox::Message>, StoreError>;
    /// Every message of an incident, in creation order.
    async fn incident_messages(&self, id: IncidentId) -> Result<Vec<outbox::Message>, StoreError>;
    /// Stores (or moves to `unit`) a crew phone's Web Push subscription.
    async fn put_push_subscription(
        &self,
        unit: UnitId,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The push endpoints of a unit's phones.
    async fn push_subscriptions(&self, unit: UnitId) -> Result<Vec<String>, StoreError>;
    /// Forgets a push subscription (the push service said it is gone).
    async fn delete_push_subscription(&self, endpoint: &str) -> Result<(), StoreError>;

    /// Remembers the response to a request with this idempotency key (first one wins).
    async fn remember_response(
        &self,
        actor: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError>;
}
