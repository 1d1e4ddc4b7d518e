//! A standby's desk follows the committed events: in log order, each once, from the log.

use crate::domain::Event;
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the log is read for events committed since.
const EVERY: Duration = Duration::from_millis(100);

/// Rows read per query.
const PAGE: i64 = 1_000;

/// Committed events after `after`, read from `store`'s log every [`EVERY`] until the receiver
/// is dropped.
pub fn from_log(store: Arc<dyn Store>, after: i64) -> mpsc::Receiver<(i64, Event)> {
    let (tx, rx) = mpsc::channel(PAGE as usize);
    tokio::spawn(async move {
        let mut last = after;
        let mut warned = false;
        loop {
            match store.log_page(last, PAGE).await {
                Ok(rows) => {
                    warned = false;
                    let full = rows.len() as i64 == PAGE;
                    for r in rows {
                        last = r.seq;
                        if tx.send((r.seq, r.event)).await.is_err() {
                            return;
                        }
                    }
                    if full {
                        continue;
                    }
                }
                Err(e) if !warned => {
                    warned = true;
                    tracing::warn!(error = %e, "the standby could not read the log; retrying");
                }
                Err(_) => {}
            }
            tokio::select! {
                _ = tokio::time::sleep(EVERY) => {}
                _ = tx.closed() => return,
            }
        }
    });
    rx
}
