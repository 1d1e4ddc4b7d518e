//! Reading what a replay of one incident needs: its events and the duty changes of the units
//! around them, as the log has them (never today's registry). The replay itself is pure
//! ([`crate::dispatch::replay`]).

use super::{Store, StoreError};
use crate::dispatch::replay::{Logged, Replay, replay};
use crate::domain::IncidentId;

/// Replays incident `id` from the log; `None` when the log has no event of it.
pub async fn replay_incident(
    store: &dyn Store,
    id: IncidentId,
) -> Result<Option<Replay>, StoreError> {
    let mine = store.timeline(id).await?;
    let (Some(first), Some(last)) = (mine.first(), mine.last()) else {
        return Ok(None);
    };
    let duties = store.duty_events(first.seq, last.seq).await?;
    let mut log: Vec<Logged> = mine
        .into_iter()
        .chain(duties)
        .map(|s| Logged {
            seq: s.seq,
            event: s.event,
        })
        .collect();
    log.sort_by_key(|l| l.seq);
    Ok(Some(replay(id, &log)))
}
