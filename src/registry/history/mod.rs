//! `liftrescue seed-demo --history DAYS`: a planned history ([`crate::demo::history`]) played
//! through the real dispatch desk on a simulated clock, into the store's real hash-chained log.
//!
//! The desk runs as in the service ([`crate::desk::spawn`]) on a [`Clock::simulated`]; this
//! module is its world: it commits each alarm to the inbox as intake would
//! ([`Store::insert_alarm_for_lift`]) and submits it, answers every page as the paged unit
//! would (accept, decline, or stay silent until the desk pages the next), reports crews'
//! progress, plays the operator (callback, fault cause, close, false alarms, cancellations),
//! reports equipment faults, and fires each deadline at the moment it falls due. Whatever the
//! desk decides (escalations, breaches, level-3 pages) is its own decision, on the log with
//! its reasons. Nothing is sent: paging's outbox is not running, so the log records the pages
//! and no message leaves.

mod play;
mod sink;

use crate::demo::history::{HistorySpec, plan};
use crate::demo::{RegionSpec, region};
use crate::desk::{self, Clock};
use crate::dispatch::DeskState;
use crate::rules::RuleSet;
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What a history run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryReport {
    /// Incidents opened.
    pub incidents: usize,
    /// Alarms committed (a second channel joining an incident counts).
    pub alarms: usize,
    /// Events appended to the log.
    pub events: usize,
    /// Equipment fault reports and recoveries submitted.
    pub equipment_reports: usize,
    /// Simulated actions the desk refused (a crew acting on a page another unit's release had
    /// already stood down): nothing of them is written.
    pub refused: usize,
    /// Incidents still open at the end (none, normally: the last alarms come hours before).
    pub open_at_end: usize,
}

/// How far a run has come, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Simulated days done.
    pub day: u32,
    /// Days in all.
    pub days: u32,
    /// Incidents opened so far.
    pub incidents: usize,
    /// Events appended so far.
    pub events: usize,
}

/// Why a history could not be played.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The log already holds events: a history goes only into an empty log.
    #[error(
        "the event log already holds {0} events: a history can only be played into an empty log (use a fresh database); nothing was written"
    )]
    LogNotEmpty(i64),
    /// The store or the desk failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Plays `spec.days` days of history ending at `end` on the demo region `region_spec` (already
/// in the registry, see [`super::seed_demo`]) with `rules`, calling `progress` as each
/// simulated day ends. Refuses, writing nothing, when the log is not empty.
pub async fn play_history(
    store: Arc<dyn Store>,
    rules: RuleSet,
    region_spec: &RegionSpec,
    spec: &HistorySpec,
    end: DateTime<Utc>,
    progress: impl FnMut(Progress),
) -> Result<HistoryReport, HistoryError> {
    let head = store.log_head().await.map_err(anyhow::Error::from)?;
    if head > 0 {
        return Err(HistoryError::LogNotEmpty(head));
    }
    let plan = plan(&region(region_spec, end), spec, end);
    // The desk's units stand at their bases with fixes taken as the history starts (the
    // registry's are taken at `end`, and a desk ignores fixes older than the one it holds).
    let r = region(region_spec, plan.start);
    let mut state = DeskState::new(Arc::new(rules), r.centre);
    for u in r.units.iter().cloned() {
        state.add_unit(u);
    }
    let (clock, hand) = Clock::simulated(plan.start);
    let (handle, task) = desk::spawn(state, sink::HistorySink::new(store.clone()), clock);
    let mut player = play::Player::new(store.clone(), handle, hand, &r, &plan, spec.seed);
    let played = player.run(progress).await;
    let report = player.finish();
    let (_, sink) = task
        .await
        .map_err(|e| anyhow::anyhow!("the dispatch desk stopped: {e}"))?;
    played?;
    sink.write_deadlines().await?;
    Ok(report)
}
