//! The reporter: every gateway answer and receipt goes to the desk as a `delivery` event on the
//! incident's timeline, gathered into batches so a storm's answers cost a few appends a second.

use super::Paging;
use crate::desk::{DeskError, DeskHandle};
use crate::dispatch::{Command, DeliveryReport};
use crate::store::outbox::Message;
use std::time::Duration;
use tokio::sync::mpsc;

/// Delivery reports per desk command.
pub(super) const REPORT_BATCH: usize = 512;
/// How long the reporter gathers delivery reports into one command. Each command is an append
/// the desk waits for: a quarter second keeps a storm's answers to a few appends a second, still
/// far inside the shortest fallback delay of a contact plan.
pub(super) const REPORT_WINDOW: Duration = Duration::from_millis(250);

/// Forwards delivery reports to the desk in batches, in the order they came.
pub(super) async fn report(mut rx: mpsc::UnboundedReceiver<DeliveryReport>, desk: DeskHandle) {
    while let Some(first) = rx.recv().await {
        // Gather what else comes within REPORT_WINDOW: one append for a burst of answers
        // rather than one each, so the record keeps up without holding up alarms.
        let mut reports = vec![first];
        let until = tokio::time::Instant::now() + REPORT_WINDOW;
        while reports.len() < REPORT_BATCH {
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(r)) => reports.push(r),
                _ => break,
            }
        }
        let n = reports.len();
        match desk.submit(Command::Deliveries { reports }).await {
            Ok(_) => {}
            Err(DeskError::Stopped) => return,
            Err(e) => tracing::error!(error = %e, reports = n, "delivery reports not recorded"),
        }
    }
}

impl Paging {
    pub(super) fn report(&self, m: &Message, status: &str, detail: String) {
        let _ = self.inner.reports.send(DeliveryReport {
            incident: m.incident,
            unit: m.unit,
            step: m.step.clone(),
            message: m.dedupe_key.clone(),
            channel: m.channel.to_string(),
            status: status.to_owned(),
            detail,
        });
    }
}
