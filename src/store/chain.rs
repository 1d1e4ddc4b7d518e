//! The event log's hash chain: how a row's hash is computed, and how the log is checked.
//!
//! Each row's hash is
//! `sha256_hex(prev_hash + "\n" + seq + "\n" + incident_id-or-empty + "\n" + at + "\n" + body)`,
//! with `at` in the fixed RFC 3339 form `2026-11-29T08:00:00.000000Z` and `body` the canonical
//! JSON of the whole [`Event`] (`serde_json::to_string`). The first row's `prev_hash` is
//! [`GENESIS`] (64 zeros). So a row edited, removed or slipped in breaks the chain at that row, and rewriting the chain from there on needs every later hash to be recomputed —
//! which an investigator holding an earlier head hash (or a copy of the log) detects.
//!
//! The log's other columns (kind, actor, step, rules version, reason) are copies of the body's
//! fields kept for queries; the body is what the hash covers. The store reads rows back with
//! those columns laid over the body (see `LogRow::decode` in `log_row.rs`), so [`Verifier::check`] notices a
//! column changed behind the store's back by re-serialising the event and comparing it with the
//! body. `incident_seq` is outside the hash too, and is checked by counting.

use super::types::{fixed_rfc3339, micros};
use super::{Store, StoreError, StoredEvent};
use crate::domain::{Event, IncidentId};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The `prev_hash` of the first row: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many rows [`verify_log`] reads per page.
pub const VERIFY_PAGE: i64 = 10_000;

/// The hash of one log row (see the module docs for what it covers).
pub fn row_hash(
    prev_hash: &str,
    seq: i64,
    incident: Option<IncidentId>,
    at: DateTime<Utc>,
    body: &str,
) -> String {
    let incident = incident.map(|i| i.0.to_string()).unwrap_or_default();
    let mut h = Sha256::new();
    for part in [prev_hash, &seq.to_string(), &incident, &fixed_rfc3339(at)] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

/// The log row for `event` at `seq`, following a row hashed `prev_hash`. The event's time is
/// truncated to microseconds first (what both engines keep), so the row reads back equal.
pub fn link(
    prev_hash: &str,
    seq: i64,
    incident_seq: Option<i64>,
    mut event: Event,
) -> Result<StoredEvent, serde_json::Error> {
    event.at = micros(event.at);
    let body = serde_json::to_string(&event)?;
    let hash = row_hash(prev_hash, seq, event.incident, event.at, &body);
    Ok(StoredEvent {
        seq,
        incident_seq,
        event,
        body,
        prev_hash: prev_hash.to_owned(),
        hash,
    })
}

/// The first row at which the log stops proving itself, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event log row {seq}: {why}")]
pub struct Broken {
    /// The row's position in the log (for a missing row: the position expected).
    pub seq: i64,
    /// What does not hold.
    pub why: String,
}

/// Walks log rows in order, checking each against the ones before it.
#[derive(Debug, Clone)]
pub struct Verifier {
    last_seq: i64,
    last_hash: String,
    incident_seqs: HashMap<IncidentId, i64>,
    rows: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// A walk from the start of the log.
    pub fn new() -> Self {
        Verifier {
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
            incident_seqs: HashMap::new(),
            rows: 0,
        }
    }

    /// Rows checked so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The last row checked (0 before any).
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// The last checked row's hash ([`GENESIS`] before any).
    pub fn last_hash(&self) -> &str {
        &self.last_hash
    }

    /// Checks the next row: it follows the previous one with no gap, names the previous row's
    /// hash, its own hash recomputes, its columns agree with its body, and its incident_seq
    /// counts its incident's rows.
    pub fn check(&mut self, row: &StoredEvent) -> Result<(), Broken> {
        let expected = self.last_seq + 1;
        let broken = |why: String| Broken { seq: row.seq, why };
        if row.seq != expected {
            return Err(Broken {
                seq: expected,
                why: format!("missing: the next row found is {}", row.seq),
            });
        }
        if row.prev_hash != self.last_hash {
            return Err(broken(format!(
                "prev_hash is not row {}'s hash",
                self.last_seq
            )));
        }
        let e = &row.event;
        if row_hash(&row.prev_hash, row.seq, e.incident, e.at, &row.body) != row.hash {
            return Err(broken("its hash does not match its content".into()));
        }
        match serde_json::to_string(e) {
            Ok(json) if json == row.body => {}
            _ => return Err(broken("its columns disagree with its body".into())),
        }
        self.check_incident_seq(row).map_err(broken)?;
        self.check_seal(row).map_err(broken)?;
        self.last_seq = row.seq;
        self.last_hash.clone_from(&row.hash);
        self.rows += 1;
        Ok(())
    }

    /// A daily seal names the row just before it, with that row's hash (the desk, the single
    /// writer, reads the head and appends the seal in one step).
    fn check_seal(&self, row: &StoredEvent) -> Result<(), String> {
        match &row.event.kind {
            crate::domain::EventKind::LogSealed {
                sealed_seq,
                sealed_hash,
                ..
            } if *sealed_seq != self.last_seq || *sealed_hash != self.last_hash => Err(format!(
                "the seal names row {sealed_seq} with another hash than the row before it"
            )),
            _ => Ok(()),
        }
    }

    fn check_incident_seq(&mut self, row: &StoredEvent) -> Result<(), String> {
        match (row.event.incident, row.incident_seq) {
            (None, None) => Ok(()),
            (Some(id), Some(n)) => {
                let last = self.incident_seqs.entry(id).or_insert(0);
                if n != *last + 1 {
                    return Err(format!("incident_seq {n} should be {}", *last + 1));
                }
                *last = n;
                Ok(())
            }
            _ => Err("incident_seq is set without an incident, or missing".into()),
        }
    }
}

/// Checks rows that start the log (seq 1 onwards); see [`Verifier::check`].
pub fn verify(rows: &[StoredEvent]) -> Result<(), Broken> {
    let mut v = Verifier::new();
    rows.iter().try_for_each(|r| v.check(r))
}

/// What [`verify_log`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Rows that checked out.
    pub rows: u64,
    /// The last row that checked out (0 for none).
    pub last_seq: i64,
    /// Its hash ([`GENESIS`] for none).
    pub last_hash: String,
    /// The first row that did not, if any.
    pub broken: Option<Broken>,
}

impl VerifyReport {
    /// True when every row checked out.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Walks the whole log through [`Store::log_page`], [`VERIFY_PAGE`] rows at a time, and reports
/// the first row that breaks the chain. A row the store cannot even read back (its body is not
/// an event, its kind column names another event) is reported as broken too: the page is
/// re-read one row at a time to find it.
pub async fn verify_log(store: &dyn Store) -> anyhow::Result<VerifyReport> {
    verify_log_with(store, None, |_, _| {}).await
}

/// [`verify_log`], stopping after row `until` if given, and calling `observe` with the
/// verifier after each row that checked out (progress, kept seals).
pub async fn verify_log_with(
    store: &dyn Store,
    until: Option<i64>,
    mut observe: impl FnMut(&Verifier, &StoredEvent),
) -> anyhow::Result<VerifyReport> {
    let mut v = Verifier::new();
    let done = |v: &Verifier| until.is_some_and(|u| v.last_seq() >= u);
    let broken = loop {
        if done(&v) {
            break None;
        }
        let page = match store.log_page(v.last_seq(), VERIFY_PAGE).await {
            Ok(page) => page,
            Err(StoreError::Corrupt(why)) => break Some(unreadable_row(store, &mut v, why).await?),
            Err(e) => return Err(anyhow::Error::new(e).context("read the event log")),
        };
        if page.is_empty() {
            break None;
        }
        let mut broken = None;
        for row in &page {
            if done(&v) {
                break;
            }
            if let Err(b) = v.check(row) {
                broken = Some(b);
                break;
            }
            observe(&v, row);
        }
        if broken.is_some() {
            break broken;
        }
    };
    Ok(VerifyReport {
        rows: v.rows(),
        last_seq: v.last_seq(),
        last_hash: v.last_hash().to_owned(),
        broken,
    })
}

/// Re-reads the log one row at a time from where `v` stands, to name the unreadable row.
async fn unreadable_row(
    store: &dyn Store,
    v: &mut Verifier,
    why: String,
) -> anyhow::Result<Broken> {
    loop {
        let seq = v.last_seq() + 1;
        match store.log_page(v.last_seq(), 1).await {
            Ok(rows) => match rows.first() {
                None => return Ok(Broken { seq, why }),
                Some(row) => {
                    if let Err(b) = v.check(row) {
                        return Ok(b);
                    }
                }
            },
            Err(StoreError::Corrupt(why)) => return Ok(Broken { seq, why }),
            Err(e) => return Err(anyhow::Error::new(e).context("read the event log")),
        }
    }
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;
