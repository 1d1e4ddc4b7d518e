//! Live positions made durable: the last fix of each unit, written behind the desk.
//!
//! Crews report positions every few seconds; the desk takes each one in memory (it is not an
//! event) and hands the fixes it accepted to [`Fixes`], which never waits. A task of its own
//! writes them at most every [`FIXES_EVERY`], each unit's newest fix coalesced, in one
//! transaction, off the alarm path: a crash loses at most the last second of fixes, never all
//! of them, and a restart pages from where crews last were ([`super::recover`] reads them back
//! over the registry's). A graceful stop ([`Fixes::finish`]) writes what is still pending.

use crate::domain::{Fix, UnitId, keep_newest};
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, error::TryRecvError};

/// How often, at most, the fixes are written.
pub const FIXES_EVERY: Duration = Duration::from_secs(1);

/// The sending half: the desk's sink holds it.
pub struct Fixes {
    tx: UnboundedSender<(UnitId, Fix)>,
    writer: tokio::task::JoinHandle<()>,
}

impl Fixes {
    /// Starts the writer on `store`.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let writer = tokio::spawn(write_fixes(store, rx));
        Fixes { tx, writer }
    }

    /// Queues a fix for writing (dropped only if the writer has stopped, which it does only
    /// after [`Fixes::finish`]).
    pub fn send(&self, unit: UnitId, fix: Fix) {
        let _ = self.tx.send((unit, fix));
    }

    /// Stops taking fixes and waits until those queued are written (or could not be).
    pub async fn finish(self) {
        drop(self.tx);
        let _ = self.writer.await;
    }
}

/// Writes fixes as they come, at most every [`FIXES_EVERY`], merging whatever queued
/// meanwhile; a failed write is tried again a second later with anything newer merged in.
/// Returns once the sender is gone and everything queued was written (or the last attempt
/// after the stop failed).
async fn write_fixes(store: Arc<dyn Store>, mut rx: UnboundedReceiver<(UnitId, Fix)>) {
    let mut pending: HashMap<UnitId, Fix> = HashMap::new();
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some((unit, fix)) => keep_newest(&mut pending, unit, fix),
                None => return,
            }
        }
        let stopped = loop {
            match rx.try_recv() {
                Ok((unit, fix)) => keep_newest(&mut pending, unit, fix),
                Err(TryRecvError::Empty) => break false,
                Err(TryRecvError::Disconnected) => break true,
            }
        };
        let fixes: Vec<(UnitId, Fix)> = pending.iter().map(|(u, f)| (*u, *f)).collect();
        match store.put_fixes(&fixes).await {
            Ok(()) => pending.clear(),
            Err(e) if stopped => {
                tracing::error!(error = %e, fixes = fixes.len(), "could not keep the last positions at stop");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not keep the last positions; retrying");
            }
        }
        if stopped {
            return;
        }
        // Gather what comes meanwhile into the next write: one transaction per interval.
        tokio::time::sleep(FIXES_EVERY).await;
    }
}
