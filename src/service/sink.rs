//! The desk's event sink on the store: appends (with pages' first messages, and a forwarded
//! command's answer), the pending deadlines written behind the desk, live fixes, and each
//! committed event handed to the fan-out.

use super::positions;
use crate::desk::EventSink;
use crate::domain::{Event, IncidentId};
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// The desk's event sink: the store's log, and the persisted pending deadlines.
///
/// The deadline rows are a projection (a restart derives every deadline from the log), so they
/// are written by a task of their own, the latest value of each incident coalesced: the desk
/// never waits for them.
///
/// Once paging runs ([`StoreSink::paging`]), each append also writes the first messages of the
/// pages it sends for incidents it opens, and puts them on the wire as soon as it commits
/// (`paging::first`).
pub struct StoreSink {
    store: Arc<dyn Store>,
    /// Where committed events are published for the other nodes (a cluster's node).
    fanout: Option<crate::fanout::Fanout>,
    deadlines: tokio::sync::mpsc::UnboundedSender<Vec<(IncidentId, Option<DateTime<Utc>>)>>,
    paging: Arc<std::sync::OnceLock<crate::paging::WeakPaging>>,
    fixes: positions::Fixes,
}

impl StoreSink {
    /// A sink on `store`, with its deadline writer started.
    pub fn new(store: Arc<dyn Store>) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(write_deadlines(store.clone(), rx));
        StoreSink {
            fixes: positions::Fixes::start(store.clone()),
            store,
            fanout: None,
            deadlines: tx,
            paging: Arc::default(),
        }
    }

    /// Writes the live fixes still pending (the desk has stopped).
    pub async fn finish(self) {
        self.fixes.finish().await;
    }

    /// Publishes every committed event to `fanout` (never waiting for it) from now on.
    pub fn publish_to(&mut self, fanout: crate::fanout::Fanout) {
        self.fanout = Some(fanout);
    }

    fn published(&self, rows: &[crate::store::StoredEvent]) {
        if let Some(f) = &self.fanout {
            let events: Vec<(i64, Event)> = rows.iter().map(|r| (r.seq, r.event.clone())).collect();
            f.publish(&events);
        }
    }

    /// Where paging is set once it runs (it starts after the desk it reports to).
    pub fn paging(&self) -> Arc<std::sync::OnceLock<crate::paging::WeakPaging>> {
        self.paging.clone()
    }
}

/// How often, at most, the pending deadlines are written.
const DEADLINES_EVERY: Duration = Duration::from_millis(250);

/// Writes pending deadlines as they come, at most every [`DEADLINES_EVERY`], merging whatever
/// queued meanwhile; a failed write is tried again a second later with anything newer merged in.
async fn write_deadlines(
    store: Arc<dyn Store>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Vec<(IncidentId, Option<DateTime<Utc>>)>>,
) {
    let mut pending: std::collections::BTreeMap<IncidentId, Option<DateTime<Utc>>> =
        Default::default();
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some(due) => pending.extend(due),
                None => return,
            }
        }
        while let Ok(due) = rx.try_recv() {
            pending.extend(due);
        }
        let due: Vec<_> = pending.iter().map(|(k, v)| (*k, *v)).collect();
        match store.set_deadlines(&due).await {
            Ok(()) => {
                pending.clear();
                // Gather what comes meanwhile into the next write: one transaction per
                // interval instead of one per desk step, off the database the alarm path uses.
                tokio::time::sleep(DEADLINES_EVERY).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not persist pending deadlines; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

impl StoreSink {
    /// Appends `events` (with the first messages of the pages they send, once paging runs),
    /// answering forwarded command `command` with them in the same transaction when given.
    async fn append_for(&self, events: &[Event], command: Option<i64>) -> anyhow::Result<Vec<i64>> {
        let paging = self.paging.get().and_then(|p| p.upgrade());
        let first = paging
            .as_ref()
            .map(|p| p.first_messages(events))
            .unwrap_or_default();
        let messages: Vec<_> = first.iter().map(|(m, _)| m.clone()).collect();
        let (rows, made) = match command {
            Some(row) => self.store.append_answering(events, &messages, row).await,
            None if first.is_empty() => self.store.append(events).await.map(|r| (r, Vec::new())),
            None => self.store.append_paging(events, &messages).await,
        }
        .context("append to the event log")?;
        self.published(&rows);
        if let Some(p) = paging.filter(|_| !first.is_empty()) {
            p.send_first(made, first);
        }
        Ok(rows.iter().map(|r| r.seq).collect())
    }
}

impl EventSink for StoreSink {
    async fn append(&mut self, events: &[Event]) -> anyhow::Result<Vec<i64>> {
        self.append_for(events, None).await
    }

    async fn append_answering(
        &mut self,
        events: &[Event],
        command: i64,
    ) -> anyhow::Result<Vec<i64>> {
        self.append_for(events, Some(command)).await
    }

    async fn deadlines(
        &mut self,
        due: &[(IncidentId, Option<DateTime<Utc>>)],
    ) -> anyhow::Result<()> {
        self.deadlines
            .send(due.to_vec())
            .map_err(|_| anyhow::anyhow!("the deadline writer stopped"))
    }

    fn position(&mut self, unit: crate::domain::UnitId, fix: crate::domain::Fix) {
        self.fixes.send(unit, fix);
    }

    async fn head(&mut self) -> anyhow::Result<Option<(i64, String)>> {
        let seq = self.store.log_head().await.context("read the log's head")?;
        if seq == 0 {
            return Ok(None);
        }
        let row = self
            .store
            .log_page(seq - 1, 1)
            .await
            .context("read the log's head")?;
        Ok(row.into_iter().next().map(|r| (r.seq, r.hash)))
    }
}
