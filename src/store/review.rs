//! The review tables (`incident_facts`, `incident_units`, `lift_events`, `review_cursor`):
//! derived from the log by the review indexer, read by the investigators' search, statistics
//! and evaluation. Nothing here is the record — the log is — so every row can be rebuilt.

use super::StoreError;
use crate::domain::{IncidentId, LiftId};
use crate::review::IncidentFacts;
use crate::review::search::{Period, Search};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One equipment event of a lift, as the log has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiftEvent {
    /// Its log row.
    pub seq: i64,
    /// The lift.
    pub lift: LiftId,
    /// When.
    pub at: DateTime<Utc>,
    /// `equipment_fault` or `equipment_ok`.
    pub kind: String,
    /// Which equipment (`terminal CQ-IOT-000123`, `cabin phone 02360000123`).
    pub equipment: String,
    /// The fault in words, or `tested` / `back` for a recovery.
    pub detail: String,
}

/// Which incidents' facts to read for statistics or an evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactsFilter {
    /// Only this company's.
    pub company: Option<i64>,
    /// Only this lift's.
    pub lift: Option<LiftId>,
    /// Only this street's.
    pub street: Option<String>,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// Matches in all.
    pub total: i64,
    /// This page's, in the asked order.
    pub items: Vec<IncidentFacts>,
}

/// The review tables, on either engine.
#[async_trait::async_trait]
pub trait ReviewStore: Send + Sync {
    /// The last log row the indexer has folded.
    async fn review_cursor(&self) -> Result<i64, StoreError>;

    /// The stored facts of these incidents (those that have some).
    async fn stored_facts(&self, ids: &[IncidentId]) -> Result<Vec<IncidentFacts>, StoreError>;

    /// Writes facts (replacing the incidents' rows), lift events (a row already there is kept)
    /// and moves the cursor to `cursor`, in one transaction. Refused with
    /// [`StoreError::Conflict`] when the cursor is no longer `from` (another indexer moved it).
    async fn put_review(
        &self,
        facts: &[IncidentFacts],
        lift_events: &[LiftEvent],
        from: i64,
        cursor: i64,
    ) -> Result<(), StoreError>;

    /// One page of a search, and how many match in all.
    async fn search_facts(&self, s: &Search) -> Result<SearchPage, StoreError>;

    /// Every incident's facts opened in the period, oldest first.
    async fn facts_in(
        &self,
        period: Period,
        f: &FactsFilter,
    ) -> Result<Vec<IncidentFacts>, StoreError>;

    /// A lift's equipment events in the period, oldest first.
    async fn lift_events(&self, lift: LiftId, period: Period)
    -> Result<Vec<LiftEvent>, StoreError>;

    /// Every lift's equipment faults in the period: (lift, faults).
    async fn fault_counts(&self, period: Period) -> Result<Vec<(LiftId, i64)>, StoreError>;
}
