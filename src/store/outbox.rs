//! The paging outbox as delivery sees it: pages still ringing and their messages, one row per
//! message (one attempt of a page's contact plan on one channel).
//!
//! A message's status moves `pending → sending → sent → delivered | failed`, or to `cancelled`
//! when its page ends before it went out (the append that logs the acknowledgement does that).
//! `sending` is a claim with a lease: the worker that set it is the only one that may finish it,
//! and one whose lease ran out (the worker died mid-send) is set to `failed`, never sent again:
//! the gateway may have taken it, and a second text is worse than the plan's next channel.

use super::types::JsonText;
use crate::domain::{IncidentId, UnitId};
pub use crate::paging::policy::Channel;
use crate::paging::policy::State;
use chrono::{DateTime, Utc};

/// Where a message stands: a delivery state, or cancelled (its page ended before it went out,
/// so it has no delivery state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Claimed: a worker is calling the gateway.
    Sending,
    /// The gateway took it; no receipt yet.
    Sent,
    /// A receipt says it reached the phone.
    Delivered,
    /// Given up on this channel (or its outcome is unknown).
    Failed,
    /// Its page ended before it was sent.
    Cancelled,
}

impl MessageStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [MessageStatus; 6] = [
        Self::Pending,
        Self::Sending,
        Self::Sent,
        Self::Delivered,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The name kept in the `status` column and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::Pending => State::Pending.as_str(),
            Self::Sending => State::Sending.as_str(),
            Self::Sent => State::Sent.as_str(),
            Self::Delivered => State::Delivered.as_str(),
            Self::Failed => State::Failed.as_str(),
        }
    }

    /// The status a column holds, `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Its delivery state; `None` for a cancelled message.
    pub fn state(self) -> Option<State> {
        match self {
            Self::Pending => Some(State::Pending),
            Self::Sending => Some(State::Sending),
            Self::Sent => Some(State::Sent),
            Self::Delivered => Some(State::Delivered),
            Self::Failed => Some(State::Failed),
            Self::Cancelled => None,
        }
    }
}

impl From<State> for MessageStatus {
    fn from(s: State) -> Self {
        match s {
            State::Pending => Self::Pending,
            State::Sending => Self::Sending,
            State::Sent => Self::Sent,
            State::Delivered => Self::Delivered,
            State::Failed => Self::Failed,
        }
    }
}

#[cfg(test)]
#[test]
fn a_status_reads_back_from_its_column_name_and_knows_its_delivery_state() {
    for s in MessageStatus::ALL {
        assert_eq!(MessageStatus::parse(s.as_str()), Some(s));
        if let Some(state) = s.state() {
            assert_eq!(MessageStatus::from(state), s);
        }
    }
    assert_eq!(MessageStatus::Cancelled.state(), None);
    assert_eq!(MessageStatus::parse("bounced"), None);
}

impl std::fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A column's channel, or a corrupt row.
fn channel(s: &str) -> Result<Channel, super::StoreError> {
    Channel::parse(s).map_err(|_| super::StoreError::Corrupt(format!("unknown channel {s:?}")))
}

/// A column's message status, or a corrupt row.
fn status(s: &str) -> Result<MessageStatus, super::StoreError> {
    MessageStatus::parse(s)
        .ok_or_else(|| super::StoreError::Corrupt(format!("unknown message status {s:?}")))
}

/// A page that is still ringing, with what its messages have done so far.
#[derive(Debug, Clone, PartialEq)]
pub struct RingingPage {
    /// The outbox row.
    pub id: i64,
    /// The incident.
    pub incident: IncidentId,
    /// The step that paged.
    pub step: String,
    /// The unit paged.
    pub unit: UnitId,
    /// The unit's page number by this step.
    pub page_no: i64,
    /// When it was paged.
    pub paged_at: DateTime<Utc>,
    /// What the page event carried (candidate, ack_due, reason).
    pub payload: serde_json::Value,
    /// Its messages: (channel, n, status, updated_at).
    pub messages: Vec<(Channel, i32, MessageStatus, DateTime<Utc>)>,
}

/// A message to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// The page (outbox row) it belongs to.
    pub page_id: i64,
    /// The incident.
    pub incident: IncidentId,
    /// The step.
    pub step: String,
    /// The unit.
    pub unit: UnitId,
    /// The channel.
    pub channel: Channel,
    /// Its number on this channel for this page, from 1.
    pub n: i32,
    /// `{incident}:{step}:{unit}:{page_no}:{channel}:{n}`.
    pub dedupe_key: String,
    /// Claimed for sending at once until this lease ends (`None`: left `pending` for a worker).
    pub claim_until: Option<DateTime<Utc>>,
    /// Phone number, push endpoint or webhook URL.
    pub recipient: String,
    /// What to send (rendered text and the page's facts).
    pub body: JsonText,
    /// Now.
    pub at: DateTime<Utc>,
}

/// A page's first message, decided with the page and written in the page's own append
/// ([`Store::append_paging`](super::Store::append_paging)), so it can go on the wire as soon as
/// that one commit is done.
#[derive(Debug, Clone, PartialEq)]
pub struct PageMessage {
    /// The incident paged for.
    pub incident: IncidentId,
    /// The step that pages.
    pub step: String,
    /// The unit paged.
    pub unit: UnitId,
    /// The channel.
    pub channel: Channel,
    /// Its number on this channel for this page, from 1.
    pub n: i32,
    /// Claimed for sending at once until this lease ends (`None`: left `pending` for a worker).
    pub claim_until: Option<DateTime<Utc>>,
    /// Phone number, push endpoint or webhook URL.
    pub recipient: String,
    /// What to send.
    pub body: JsonText,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its id.
    pub id: i64,
    /// Its page.
    pub page_id: i64,
    /// The incident.
    pub incident: IncidentId,
    /// The step.
    pub step: String,
    /// The unit.
    pub unit: UnitId,
    /// The channel.
    pub channel: Channel,
    /// Its number on the channel.
    pub n: i32,
    /// Its dedupe key.
    pub dedupe_key: String,
    /// Where it stands.
    pub status: MessageStatus,
    /// Gateway calls made.
    pub attempts: i32,
    /// When it is (or was) due.
    pub next_attempt_at: DateTime<Utc>,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// The gateway's id for it.
    pub gateway_ref: Option<String>,
    /// Phone number, push endpoint or webhook URL.
    pub recipient: String,
    /// What to send.
    pub body: serde_json::Value,
}

/// A change to a message, applied only while it is in the state `from`.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageChange {
    /// The message.
    pub id: i64,
    /// The state it must be in.
    pub from: MessageStatus,
    /// Its new state.
    pub to: MessageStatus,
    /// When it is next due (a retry), else unchanged.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The error, if any (kept otherwise).
    pub error: Option<String>,
    /// The gateway's id, if it gave one (kept otherwise).
    pub gateway_ref: Option<String>,
    /// Now.
    pub at: DateTime<Utc>,
}

/// A `outbox_messages` row as both engines return it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub id: i64,
    pub page_id: i64,
    pub incident_id: i64,
    pub step: String,
    pub unit_id: i64,
    pub channel: String,
    pub n: i32,
    pub dedupe_key: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: super::types::Ts,
    pub last_error: Option<String>,
    pub gateway_ref: Option<String>,
    pub recipient: String,
    pub body: JsonText,
}

impl MessageRow {
    pub(crate) fn decode(self) -> Result<Message, super::StoreError> {
        Ok(Message {
            id: self.id,
            page_id: self.page_id,
            incident: IncidentId(self.incident_id),
            step: self.step,
            unit: UnitId(self.unit_id),
            channel: channel(&self.channel)?,
            n: self.n,
            dedupe_key: self.dedupe_key,
            status: status(&self.status)?,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at.0,
            last_error: self.last_error,
            gateway_ref: self.gateway_ref,
            recipient: self.recipient,
            body: super::rows::from_json("message body", &self.body)?,
        })
    }
}

/// A ringing `outbox` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PageRow {
    pub id: i64,
    pub incident_id: i64,
    pub step: String,
    pub unit_id: i64,
    pub page_no: i64,
    pub created_at: super::types::Ts,
    pub payload: JsonText,
}

/// A message of a ringing page, as the pager needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PageMessageRow {
    pub page_id: i64,
    pub channel: String,
    pub n: i32,
    pub status: String,
    pub updated_at: super::types::Ts,
}

impl PageMessageRow {
    /// Its page, and the message as the pager keeps it: (channel, n, status, updated_at).
    #[allow(clippy::type_complexity)]
    pub(crate) fn decode(
        self,
    ) -> Result<(i64, (Channel, i32, MessageStatus, DateTime<Utc>)), super::StoreError> {
        Ok((
            self.page_id,
            (
                channel(&self.channel)?,
                self.n,
                status(&self.status)?,
                self.updated_at.0,
            ),
        ))
    }
}

/// The columns of a [`MessageRow`], as a literal for `concat!`.
macro_rules! message_columns {
    () => {
        "id, page_id, incident_id, step, unit_id, channel, n, dedupe_key, status, attempts, \
         next_attempt_at, last_error, gateway_ref, recipient, body"
    };
}
pub(crate) use message_columns;

/// The SQL of the outbox's delivery side.
pub(crate) mod sql {
    pub const RINGING_PAGES: &str = "SELECT id, incident_id, step, unit_id, page_no, created_at, \
         payload FROM outbox WHERE status = 'pending' AND id > $1 ORDER BY id LIMIT $2";
    pub const RINGING_PAGE_MESSAGES: &str = "SELECT m.page_id, m.channel, m.n, m.status, \
         m.updated_at FROM outbox_messages m JOIN outbox o ON o.id = m.page_id \
         WHERE o.status = 'pending' AND o.id > $1 AND o.id <= $2 ORDER BY m.id";
    // Created only while its page rings; a second copy of a dedupe key is not created. On
    // PostgreSQL the page row is share-locked, so an acknowledgement being written (it updates
    // the row) is waited for and seen, never missed.
    // A page's first messages, in the page's own append: the rows follow as `VALUES ((SELECT id
    // FROM outbox WHERE dedupe_key = …), …)`.
    pub const INSERT_PAGE_MESSAGES: &str = "INSERT INTO outbox_messages (page_id, incident_id, \
         step, unit_id, channel, n, dedupe_key, status, attempts, next_attempt_at, lease_until, \
         recipient, body, created_at, updated_at) ";
    pub const PAGE_MESSAGES_RETURNING: &str = concat!(
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING ",
        message_columns!()
    );
    pub const INSERT_MESSAGE_SQLITE: &str = concat!(
        "INSERT INTO outbox_messages (page_id, incident_id, step, unit_id, channel, n, \
         dedupe_key, status, attempts, next_attempt_at, lease_until, recipient, body, \
         created_at, updated_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $10, $10 WHERE EXISTS (SELECT 1 FROM outbox WHERE id = $1 AND status = 'pending') \
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING ",
        message_columns!()
    );
    pub const INSERT_MESSAGE_POSTGRES: &str = concat!(
        "INSERT INTO outbox_messages (page_id, incident_id, step, unit_id, channel, n, \
         dedupe_key, status, attempts, next_attempt_at, lease_until, recipient, body, \
         created_at, updated_at) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
         $13, $10, $10 WHERE EXISTS (SELECT 1 FROM outbox WHERE id = $1 AND status = 'pending' \
         FOR SHARE) ON CONFLICT (dedupe_key) DO NOTHING RETURNING ",
        message_columns!()
    );
    // Due messages of pages that still ring (a retry of a page acknowledged meanwhile is not
    // sent). PostgreSQL skips rows another claimer holds and pages an acknowledgement holds.
    pub const CLAIM_SQLITE: &str = concat!(
        "UPDATE outbox_messages SET status = 'sending', attempts = attempts + 1, \
         lease_until = $2, updated_at = $1 WHERE id IN (SELECT m.id FROM outbox_messages m \
         JOIN outbox o ON o.id = m.page_id WHERE m.status = 'pending' \
         AND m.next_attempt_at <= $1 AND m.channel = $3 AND o.status = 'pending' \
         ORDER BY m.next_attempt_at, m.id LIMIT $4) RETURNING ",
        message_columns!()
    );
    pub const CLAIM_POSTGRES: &str = concat!(
        "UPDATE outbox_messages SET status = 'sending', attempts = attempts + 1, \
         lease_until = $2, updated_at = $1 WHERE id IN (SELECT m.id FROM outbox_messages m \
         JOIN outbox o ON o.id = m.page_id WHERE m.status = 'pending' \
         AND m.next_attempt_at <= $1 AND m.channel = $3 AND o.status = 'pending' \
         ORDER BY m.next_attempt_at, m.id LIMIT $4 \
         FOR UPDATE OF m SKIP LOCKED FOR SHARE OF o SKIP LOCKED) RETURNING ",
        message_columns!()
    );
    pub const DUE_COUNT: &str = "SELECT COUNT(*) FROM outbox_messages \
         WHERE status = 'pending' AND next_attempt_at <= $1 AND channel = $2";
    // Retries left behind by pages that ended while they were in flight.
    pub const CANCEL_ORPHANS: &str = "UPDATE outbox_messages SET status = 'cancelled', \
         updated_at = $1, last_error = 'page ended: not sent' WHERE status = 'pending' \
         AND page_id IN (SELECT id FROM outbox WHERE status <> 'pending')";
    pub const CHANGE_MESSAGE: &str = "UPDATE outbox_messages SET status = $3, \
         next_attempt_at = COALESCE($4, next_attempt_at), last_error = COALESCE($5, last_error), \
         gateway_ref = COALESCE($6, gateway_ref), updated_at = $7, lease_until = NULL \
         WHERE id = $1 AND status = $2";
    pub const PAGE_REACHED_BY: &str =
        "UPDATE outbox SET channel = $2 WHERE id = $1 AND channel = 'pending'";
    pub const EXPIRE_SENDS: &str = concat!(
        "UPDATE outbox_messages SET status = 'failed', lease_until = NULL, updated_at = $1, \
         last_error = $2 WHERE status = 'sending' AND lease_until < $1 RETURNING ",
        message_columns!()
    );
    pub const MESSAGE_BY_KEY: &str = concat!(
        "SELECT ",
        message_columns!(),
        " FROM outbox_messages WHERE channel = $1 AND dedupe_key = $2"
    );
    pub const MESSAGE_BY_REF: &str = concat!(
        "SELECT ",
        message_columns!(),
        " FROM outbox_messages WHERE channel = $1 AND gateway_ref = $2 ORDER BY id LIMIT 1"
    );
    pub const MESSAGES_OF_INCIDENT: &str = concat!(
        "SELECT ",
        message_columns!(),
        " FROM outbox_messages WHERE incident_id = $1 ORDER BY id"
    );
    pub const PUT_PUSH_SUBSCRIPTION: &str = "INSERT INTO push_subscriptions (endpoint, unit_id, \
         p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (endpoint) DO UPDATE \
         SET unit_id = excluded.unit_id, p256dh = excluded.p256dh, auth = excluded.auth";
    pub const PUSH_SUBSCRIPTIONS: &str =
        "SELECT endpoint FROM push_subscriptions WHERE unit_id = $1 ORDER BY created_at, endpoint";
    pub const DELETE_PUSH_SUBSCRIPTION: &str = "DELETE FROM push_subscriptions WHERE endpoint = $1";
}
