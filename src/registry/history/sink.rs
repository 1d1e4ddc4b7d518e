//! Where the history's desk appends: the store's log, as the service's sink does (without
//! paging: nothing is sent for a history). Pending deadlines are kept and written once at the
//! end rather than behind every step.

use crate::desk::EventSink;
use crate::domain::{Event, IncidentId};
use crate::store::Store;
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The history's event sink.
pub(super) struct HistorySink {
    store: Arc<dyn Store>,
    due: BTreeMap<IncidentId, Option<DateTime<Utc>>>,
}

impl HistorySink {
    pub(super) fn new(store: Arc<dyn Store>) -> Self {
        HistorySink {
            store,
            due: BTreeMap::new(),
        }
    }

    /// Writes the last pending deadline of every incident the history touched (none, for an
    /// incident that ended).
    pub(super) async fn write_deadlines(&self) -> anyhow::Result<()> {
        let due: Vec<_> = self.due.iter().map(|(k, v)| (*k, *v)).collect();
        for chunk in due.chunks(1_000) {
            self.store
                .set_deadlines(chunk)
                .await
                .context("write the pending deadlines")?;
        }
        Ok(())
    }
}

impl EventSink for HistorySink {
    async fn append(&mut self, events: &[Event]) -> anyhow::Result<Vec<i64>> {
        let rows = self
            .store
            .append(events)
            .await
            .context("append to the event log")?;
        Ok(rows.iter().map(|r| r.seq).collect())
    }

    async fn deadlines(
        &mut self,
        due: &[(IncidentId, Option<DateTime<Utc>>)],
    ) -> anyhow::Result<()> {
        self.due.extend(due.iter().copied());
        Ok(())
    }
}
