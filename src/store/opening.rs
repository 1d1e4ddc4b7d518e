//! PostgreSQL's one-statement append, for the commonest appends: a batch that opens incidents
//! (their alarms' events, first decisions, pages and first messages), or that moves on open
//! incidents this store last wrote (delivery reports, crew progress, escalations that page
//! nobody new).
//!
//! Such a batch needs nothing loaded but the log's head and, for incidents it does not open,
//! their projection rows and last `incident_seq`, which the store keeps for the open incidents
//! it committed ([`Known`]). So when the store knows them, the whole append is one statement in
//! autocommit: data-modifying CTEs insert the incidents opened, replace the rows of those moved
//! on, insert the log rows, the pages and their first messages and mark the alarms processed,
//! each table's rows bound as arrays (`UNNEST`), so the statement text is one of two (with or
//! without incidents moved on) for any batch and stays prepared. One round trip and one commit,
//! where the locked path takes eight.
//!
//! The log stays one chain without the lock: `events` refuses a second row with the same `seq`
//! or `prev_hash`, so a batch chained from a head another writer has since moved past cannot
//! commit; and it refuses a second row with the same incident and `incident_seq`, so a batch
//! planned from an incident row another writer has since moved on cannot either (every change
//! to an incident's row comes with an event of it). Then, as when the head or an incident is not
//! known or an opened incident turns out to exist, the append falls back to the locked path
//! (`engine::append`), which reads under the lock and reports a conflict precisely. Batches
//! that write anything else (unit duty, pages that stop ringing, pages of incidents already
//! open) take the locked path too: their writes must see one another in order.

use super::IncidentRow;
use super::StoreError;
use super::StoredEvent;
use super::engine::unique_violation;
use super::log_row::LogRow;
use super::outbox::message_columns;
use super::outbox::{Message, MessageRow, NewMessage, PageMessage};
use super::postgres::PgStore;
use super::projection::{self, Context, Writes};
use super::rows::IncidentDbRow;
use super::sql::{incident_columns, log_columns, on_incident_conflict};
use super::types::micros;
use crate::domain::{Event, IncidentId};
use chrono::{DateTime, Utc};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use std::collections::{BTreeSet, HashMap};

/// The log's head as this store last committed it, if it knows.
#[derive(Debug, Default)]
pub(crate) enum Head {
    /// Not known (at start, and after any append that may have failed): the locked path reads it.
    #[default]
    Unknown,
    /// The last row this store committed, `None` for an empty log.
    Known(Option<(i64, String)>),
}

/// Open incidents as this store last committed them: each one's projection row and last
/// `incident_seq` (see the module docs for why an entry another writer moved past is harmless).
#[derive(Debug, Default)]
pub(crate) struct Known(HashMap<IncidentId, (IncidentRow, i64)>);

/// Open incidents [`Known`] keeps at most; others take the locked path.
const KNOWN_MAX: usize = 50_000;

impl Known {
    /// The rows and last `incident_seq` of `ids`, if every one is known.
    fn context(&self, ids: &BTreeSet<IncidentId>) -> Option<Context> {
        let mut ctx = Context::default();
        for id in ids {
            let (row, seq) = self.0.get(id)?;
            ctx.incidents.insert(*id, row.clone());
            ctx.incident_seqs.insert(*id, *seq);
        }
        Some(ctx)
    }

    /// What a committed append `w` made of the incidents it touched: an ended one is dropped.
    fn after(&mut self, w: &Writes) {
        let mut last: HashMap<IncidentId, i64> = HashMap::new();
        for r in &w.rows {
            if let (Some(id), Some(n)) = (r.event.incident, r.incident_seq) {
                last.entry(id).and_modify(|m| *m = (*m).max(n)).or_insert(n);
            }
        }
        for row in &w.incidents {
            match last.get(&row.id) {
                Some(&seq)
                    if row.ended_at.is_none()
                        && (self.0.len() < KNOWN_MAX || self.0.contains_key(&row.id)) =>
                {
                    self.0.insert(row.id, (row.clone(), seq));
                }
                _ => {
                    self.0.remove(&row.id);
                }
            }
        }
    }
}

// The alarms' UPDATE names its ids with `= ANY` as well as in the join: PostgreSQL plans this
// prepared statement once per connection, often while `alarms` is nearly empty, and such a plan
// could then read the whole `alarms_pending` index (every alarm marked since the last vacuum
// leaves an entry) on every append; `= ANY` bounds it to the batch's ids whatever the
// statistics.
macro_rules! open_statement {
    ($moved:expr) => {
        concat!(
            "WITH inc AS (INSERT INTO incidents (",
            incident_columns!(),
            ") SELECT * FROM UNNEST($1::int8[], $2::text[], $3::int8[], $4::text[], $5::int8[], \
             $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::bool[], $11::bool[], \
             $12::bool[], $13::timestamptz[]) RETURNING id), ",
            $moved,
            "ev AS (INSERT INTO events (",
            log_columns!(),
            ") SELECT * FROM UNNEST($14::int8[], $15::int8[], $16::int8[], $17::timestamptz[], \
             $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::text[], \
             $25::text[]) RETURNING seq), \
             al AS (UPDATE alarms a SET processed_at = v.at, incident_id = v.incident \
             FROM UNNEST($26::int8[], $27::int8[], $28::timestamptz[]) AS v (id, incident, at) \
             WHERE a.id = ANY($26::int8[]) AND a.id = v.id AND a.processed_at IS NULL RETURNING a.id), \
             ob AS (INSERT INTO outbox (incident_id, event_seq, step, unit_id, page_no, dedupe_key, \
             next_attempt_at, created_at, payload) SELECT i, s, st, u, p, k, t, t, pl::jsonb \
             FROM UNNEST($29::int8[], $30::int8[], $31::text[], $32::int8[], $33::int8[], $34::text[], \
             $35::timestamptz[], $36::text[]) WITH ORDINALITY AS v (i, s, st, u, p, k, t, pl, ord) \
             ORDER BY v.ord ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key), \
             msg AS (INSERT INTO outbox_messages (page_id, incident_id, step, unit_id, channel, n, \
             dedupe_key, status, attempts, next_attempt_at, lease_until, recipient, body, created_at, \
             updated_at) SELECT ob.id, v.i, v.st, v.u, v.ch, v.n, v.k, v.status, v.attempts, v.t, \
             v.lease, v.r, v.b::jsonb, v.t, v.t \
             FROM UNNEST($37::text[], $38::int8[], $39::text[], $40::int8[], $41::text[], $42::int4[], \
             $43::text[], $44::text[], $45::int4[], $46::timestamptz[], $47::timestamptz[], \
             $48::text[], $49::text[]) WITH ORDINALITY \
             AS v (page, i, st, u, ch, n, k, status, attempts, t, lease, r, b, ord) \
             JOIN ob ON ob.dedupe_key = v.page ORDER BY v.ord \
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING ",
            message_columns!(),
            ") SELECT ",
            message_columns!(),
            " FROM msg ORDER BY id"
        )
    };
}
/// A batch that only opens incidents.
const OPEN: &str = open_statement!("");
/// A batch that also moves on incidents already open: their rows replaced ($50 to $62).
const OPEN_AND_MOVE: &str = open_statement!(concat!(
    "up AS (INSERT INTO incidents (",
    incident_columns!(),
    ") SELECT * FROM UNNEST($50::int8[], $51::text[], $52::int8[], $53::text[], $54::int8[], \
     $55::text[], $56::text[], $57::timestamptz[], $58::timestamptz[], $59::bool[], \
     $60::bool[], $61::bool[], $62::timestamptz[])",
    on_incident_conflict!(),
    " RETURNING id), "
));

impl PgStore {
    /// Appends `events` in one statement if the head and every incident they move on are
    /// known and they write nothing else; `None` when the locked path must do it (see the
    /// module docs).
    pub(crate) async fn append_opening(
        &self,
        events: &[Event],
        first: &[PageMessage],
    ) -> Result<Option<(Vec<StoredEvent>, Vec<Message>)>, StoreError> {
        let needs = projection::needs(events);
        if !needs.pages.is_empty() {
            return Ok(None);
        }
        let Some(known) = self.known().context(&needs.incidents) else {
            return Ok(None);
        };
        let Head::Known(head) = self.take_head() else {
            return Ok(None);
        };
        let ctx = Context {
            head: head.clone(),
            ..known
        };
        let planning = std::time::Instant::now();
        let writes = projection::plan_paging(ctx, events, first)?;
        if !writes.duty.is_empty() || !writes.page_ends.is_empty() {
            self.remember_head(head);
            return Ok(None);
        }
        let writing = std::time::Instant::now();
        let written = self.write_opening(&writes).await;
        tracing::debug!(
            events = events.len(),
            plan_us = (writing - planning).as_micros() as u64,
            write_us = writing.elapsed().as_micros() as u64,
            "append in one statement"
        );
        match written {
            Ok(made) => {
                self.remember_append(head, &writes);
                Ok(Some((writes.rows, made)))
            }
            // Another writer moved the head or an incident on, or an incident exists: the
            // locked path knows (and what it loads is known again after it).
            Err(e) if unique_violation(&e).is_some() => {
                let mut known = self.known();
                for id in &needs.incidents {
                    known.0.remove(id);
                }
                Ok(None)
            }
            Err(e) => Err(StoreError::Database(e)),
        }
    }

    /// Records what a committed append `w`, chained from `before`, leaves: the log's head and
    /// the incidents it touched (see [`Known`]).
    pub(crate) fn remember_append(&self, before: Option<(i64, String)>, w: &Writes) {
        self.remember_head(w.rows.last().map(|r| (r.seq, r.hash.clone())).or(before));
        self.known().after(w);
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn write_opening(&self, w: &Writes) -> Result<Vec<Message>, sqlx::Error> {
        let (opened, moved): (Vec<_>, Vec<_>) = w
            .incidents
            .iter()
            .map(IncidentDbRow::of)
            .partition(|r| w.opened.contains(&IncidentId(r.id)));
        let log: Vec<LogRow> = w.rows.iter().map(LogRow::of).collect();
        let (al, ob) = (&w.alarms, &w.outbox);
        let m: Vec<&NewMessage> = w.messages.iter().map(|(_, m)| m).collect();
        let statement = if moved.is_empty() {
            OPEN
        } else {
            OPEN_AND_MOVE
        };
        let q = bind_incidents(sqlx::query_as::<_, MessageRow>(statement), &opened)
            .bind(col(&log, |r| r.seq))
            .bind(col(&log, |r| r.incident_id))
            .bind(col(&log, |r| r.incident_seq))
            .bind(col(&log, |r| micros(r.at.0)))
            .bind(col(&log, |r| r.kind.clone()))
            .bind(col(&log, |r| r.actor.clone()))
            .bind(col(&log, |r| r.step.clone()))
            .bind(col(&log, |r| r.rules_version.clone()))
            .bind(col(&log, |r| r.reason.clone()))
            .bind(col(&log, |r| r.body.clone()))
            .bind(col(&log, |r| r.prev_hash.clone()))
            .bind(col(&log, |r| r.hash.clone()))
            .bind(col(al, |a| a.0.0))
            .bind(col(al, |a| a.1.0))
            .bind(col(al, |a| micros(a.2)))
            .bind(col(ob, |o| o.incident.0))
            .bind(col(ob, |o| o.event_seq))
            .bind(col(ob, |o| o.step.clone()))
            .bind(col(ob, |o| o.unit.0))
            .bind(col(ob, |o| o.page_no))
            .bind(col(ob, |o| o.dedupe_key.clone()))
            .bind(col(ob, |o| micros(o.at)))
            .bind(col(ob, |o| o.payload.0.clone()))
            .bind(col(&w.messages, |(page, _)| page.clone()))
            .bind(col(&m, |m| m.incident.0))
            .bind(col(&m, |m| m.step.clone()))
            .bind(col(&m, |m| m.unit.0))
            .bind(col(&m, |m| m.channel.as_str().to_owned()))
            .bind(col(&m, |m| m.n))
            .bind(col(&m, |m| m.dedupe_key.clone()))
            .bind(col(&m, |m| status_of(m.claim_until).0))
            .bind(col(&m, |m| status_of(m.claim_until).1))
            .bind(col(&m, |m| micros(m.at)))
            .bind(col(&m, |m| m.claim_until.map(micros)))
            .bind(col(&m, |m| m.recipient.clone()))
            .bind(col(&m, |m| m.body.0.clone()));
        let q = if moved.is_empty() {
            q
        } else {
            bind_incidents(q, &moved)
        };
        let sending = std::time::Instant::now();
        let rows = q.fetch_all(&self.pool).await?;
        tracing::debug!(
            send_us = sending.elapsed().as_micros() as u64,
            "append statement sent and committed"
        );
        rows.into_iter()
            .map(|r| r.decode().map_err(|e| sqlx::Error::Decode(Box::new(e))))
            .collect()
    }
}

/// Binds the 13 columns of incidents rows, as arrays.
fn bind_incidents<'q>(
    q: QueryAs<'q, Postgres, MessageRow, PgArguments>,
    inc: &[IncidentDbRow],
) -> QueryAs<'q, Postgres, MessageRow, PgArguments> {
    q.bind(col(inc, |r| r.id))
        .bind(col(inc, |r| r.status.clone()))
        .bind(col(inc, |r| r.lift_id))
        .bind(col(inc, |r| r.rescue_code.clone()))
        .bind(col(inc, |r| r.company_id))
        .bind(col(inc, |r| r.chain.clone()))
        .bind(col(inc, |r| r.rules_version.clone()))
        .bind(col(inc, |r| micros(r.opened_at.0)))
        .bind(col(inc, |r| r.ended_at.as_ref().map(|t| micros(t.0))))
        .bind(col(inc, |r| r.breached))
        .bind(col(inc, |r| r.needs_operator))
        .bind(col(inc, |r| r.lift_unresolved))
        .bind(col(inc, |r| micros(r.updated_at.0)))
}

/// One column of `rows`, to bind as an array.
fn col<T, U>(rows: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

/// A first message's status and attempts: claimed for sending at once, or left pending.
pub(crate) fn status_of(claim_until: Option<DateTime<Utc>>) -> (&'static str, i32) {
    match claim_until {
        Some(_) => ("sending", 1),
        None => ("pending", 0),
    }
}
