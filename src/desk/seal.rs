//! The daily seal on the desk: the single writer appends it, ordered with every other command.
//! When it is owed is decided by the pure [`crate::dispatch::seal`]; the desk only wakes at the
//! seal time (or at once, when one is owed at start), asks the log for its head and appends.

use super::{Desk, EventSink, RETRY};
use tokio::time::Instant;

/// How long a seal that failed (the log refused, or could not name its head) waits to retry.
const SEAL_RETRY: std::time::Duration = RETRY.saturating_mul(10);

impl<S: EventSink> Desk<S> {
    /// When to wake for the seal: `None` when the desk does not seal.
    pub(super) fn seal_wake(&self) -> Option<Instant> {
        let seal = self.state.seal.as_ref()?;
        let at = seal.next_check(self.clock.now());
        self.clock.instant_of(at).map(|i| i.max(self.seal_retry_at))
    }

    /// Appends the seal owed now, if any. A failure is logged and retried later; the seal stays
    /// owed until it is on the log.
    pub(super) async fn seal(&mut self) {
        if let Err(e) = self.try_seal().await {
            tracing::error!(error = %e, "could not seal the event log; retrying");
            self.seal_retry_at = Instant::now() + SEAL_RETRY;
        }
    }

    async fn try_seal(&mut self) -> anyhow::Result<()> {
        let now = self.clock.now();
        let Some(owed) = self.state.seal.as_ref().and_then(|s| s.due(now)) else {
            return Ok(());
        };
        let Some((seq, hash)) = self.sink.head().await? else {
            anyhow::bail!("the log did not name its head");
        };
        let event = crate::dispatch::seal::log_sealed(&owed, seq, &hash, now);
        let events = [event];
        let seqs = self.append(&events).await?;
        self.publish(&events, seqs, true);
        tracing::info!(day = %owed.day, sealed_seq = seq, "event log sealed");
        Ok(())
    }
}
