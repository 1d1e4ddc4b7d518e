//! Keeps the review tables in step with the log: reads the rows after `review_cursor`, folds
//! them into the touched incidents' stored facts ([`IncidentFacts::apply`]) and the lifts'
//! equipment history, and writes both with the cursor in one transaction.
//!
//! It runs behind the desk (the dispatch path never waits for it) once a second, and a review
//! read catches it up first ([`catch_up`]), so an investigator's answer covers the log as it
//! was when they asked. Two indexers (a request's catch-up and the loop, or two nodes) never
//! fold a row twice: the cursor moves only from where the writer read it, else the write is
//! refused and nothing is written.

use super::facts::IncidentFacts;
use crate::domain::{Equipment, EventKind, IncidentId};
use crate::store::review::LiftEvent;
use crate::store::{Store, StoreError, StoredEvent};
use std::collections::BTreeMap;
use std::time::Duration;

/// Log rows folded per step.
pub const BATCH: i64 = 5_000;

/// A catch-up folds at most this many batches before answering with what is there.
const CATCH_UP_BATCHES: usize = 20;

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    /// Log rows read.
    pub rows: usize,
    /// The cursor after the step.
    pub cursor: i64,
    /// Another indexer moved the cursor first: nothing was written.
    pub raced: bool,
}

/// Folds the next batch of the log. Returns the rows read (0: nothing new, or another
/// indexer got there first).
pub async fn step(store: &dyn Store, batch: i64) -> Result<Step, StoreError> {
    let review = store.review();
    let from = review.review_cursor().await?;
    let rows = store.log_page(from, batch).await?;
    let Some(last) = rows.last().map(|r| r.seq) else {
        return Ok(Step {
            cursor: from,
            ..Step::default()
        });
    };
    let (facts, lift_events) = fold(store, &rows).await?;
    match review.put_review(&facts, &lift_events, from, last).await {
        Ok(()) => Ok(Step {
            rows: rows.len(),
            cursor: last,
            raced: false,
        }),
        Err(StoreError::Conflict(_)) => Ok(Step {
            rows: 0,
            cursor: from,
            raced: true,
        }),
        Err(e) => Err(e),
    }
}

/// The facts of the incidents `rows` touch, with the rows folded in, and the lift events.
async fn fold(
    store: &dyn Store,
    rows: &[StoredEvent],
) -> Result<(Vec<IncidentFacts>, Vec<LiftEvent>), StoreError> {
    let opened: Vec<IncidentId> = rows
        .iter()
        .filter(|r| matches!(r.event.kind, EventKind::IncidentOpened { .. }))
        .filter_map(|r| r.event.incident)
        .collect();
    let mut older: Vec<IncidentId> = rows
        .iter()
        .filter_map(|r| r.event.incident)
        .filter(|i| !opened.contains(i))
        .collect();
    older.sort_unstable();
    older.dedup();
    let mut facts: BTreeMap<IncidentId, IncidentFacts> = store
        .review()
        .stored_facts(&older)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut lift_events = Vec::new();
    for r in rows {
        let e = &r.event;
        if let Some(f) = IncidentFacts::open(r.seq, &r.hash, e) {
            facts.insert(f.id, f);
        } else if let Some(f) = e.incident.and_then(|id| facts.get_mut(&id)) {
            f.apply(r.seq, &r.hash, e);
        } else if let Some(le) = lift_event(r) {
            lift_events.push(le);
        }
    }
    Ok((facts.into_values().collect(), lift_events))
}

fn lift_event(r: &StoredEvent) -> Option<LiftEvent> {
    let (lift, equipment, kind, detail) = match &r.event.kind {
        EventKind::EquipmentFault {
            lift,
            equipment,
            fault,
        } => ((*lift)?, equipment, "equipment_fault", fault.clone()),
        EventKind::EquipmentOk {
            lift,
            equipment,
            tested,
        } => (
            (*lift)?,
            equipment,
            "equipment_ok",
            if *tested { "tested" } else { "back" }.to_owned(),
        ),
        _ => return None,
    };
    let equipment = match equipment {
        Equipment::Terminal(d) => format!("terminal {d}"),
        Equipment::Phone(p) => format!("cabin phone {p}"),
    };
    Some(LiftEvent {
        seq: r.seq,
        lift,
        at: r.event.at,
        kind: kind.to_owned(),
        equipment,
        detail,
    })
}

/// Folds until the cursor reaches the log's head (at most [`CATCH_UP_BATCHES`] batches);
/// returns the cursor.
pub async fn catch_up(store: &dyn Store) -> Result<i64, StoreError> {
    let mut cursor = 0;
    for _ in 0..CATCH_UP_BATCHES {
        let s = step(store, BATCH).await?;
        cursor = s.cursor;
        if !s.raced && s.rows < BATCH as usize {
            return Ok(cursor);
        }
    }
    Ok(cursor)
}

/// Longest the loop gives way to a desk with alarms waiting before it folds a batch all the
/// same.
pub const GIVE_WAY_AT_MOST: Duration = Duration::from_secs(30);

/// When the loop gives way to a busy desk: from the first time it finds alarms waiting, for at
/// most [`GIVE_WAY_AT_MOST`]; then it folds a batch, and gives way again from then on.
#[derive(Debug, Default)]
struct GiveWay {
    since: Option<tokio::time::Instant>,
}

impl GiveWay {
    /// Whether to fold now, the desk `busy` or not.
    fn fold(&mut self, busy: bool, now: tokio::time::Instant) -> bool {
        if !busy {
            self.since = None;
            return true;
        }
        let since = *self.since.get_or_insert(now);
        if now.duration_since(since) < GIVE_WAY_AT_MOST {
            return false;
        }
        self.since = None;
        true
    }
}

/// The indexer's loop: a step every second, at once again while there is more. While `busy`
/// says alarms wait for the desk (a burst), it gives way for up to [`GIVE_WAY_AT_MOST`] at a
/// time: folding reads back and rewrites every event the desk appends, CPU and database time
/// the desk needs then, and an investigator's read catches the index up anyway.
pub async fn run(store: std::sync::Arc<dyn Store>, busy: impl Fn() -> bool + Send + 'static) {
    let mut give_way = GiveWay::default();
    loop {
        if !give_way.fold(busy(), tokio::time::Instant::now()) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        match step(store.as_ref(), BATCH).await {
            Ok(s) if s.raced || s.rows == BATCH as usize => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the review indexer could not fold the log"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::{GIVE_WAY_AT_MOST, GiveWay};
    use std::time::Duration;
    use tokio::time::Instant;

    #[test]
    fn the_index_gives_way_to_a_busy_desk_for_a_bounded_time_only() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut g = GiveWay::default();
        assert!(g.fold(false, at(0)), "a quiet desk: fold");
        assert!(!g.fold(true, at(1)), "alarms wait: give way");
        assert!(!g.fold(true, at(30)), "still within the bound");
        assert!(g.fold(true, at(31)), "the bound passed: fold all the same");
        assert!(!g.fold(true, at(32)), "and give way again after");
        assert!(!g.fold(true, at(61)));
        assert!(g.fold(true, at(62)));
        assert!(!g.fold(true, at(63)));
        assert!(g.fold(false, at(64)), "the desk caught up: fold at once");
        assert!(!g.fold(true, at(65)), "a new burst starts a new bound");
        assert!(!g.fold(true, at(65) + GIVE_WAY_AT_MOST - Duration::from_millis(1)));
        assert!(g.fold(true, at(65) + GIVE_WAY_AT_MOST));
    }
}
