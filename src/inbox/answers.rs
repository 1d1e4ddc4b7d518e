//! The incident each alarm opened or joined, for the intake requests waiting to name it.
//!
//! A request registers for its own alarm only, so a batch of thousands decided at once wakes
//! only the requests among them, each once (a broadcast of every answer to every waiting
//! request cost each of them the whole batch, and lagged past its capacity into a read of the
//! store per request). An answer that comes before its request registers (the desk can be
//! quicker than the request's task) is kept a while among the latest answers, so it is not
//! missed.

use crate::domain::{AlarmId, IncidentId};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// How many answers nobody waited for are kept (the oldest are forgotten first).
const KEPT: usize = 65_536;

/// Answers and the requests waiting for them.
#[derive(Default)]
pub(super) struct Answers {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    waiting: HashMap<AlarmId, oneshot::Sender<IncidentId>>,
    kept: HashMap<AlarmId, IncidentId>,
    order: VecDeque<AlarmId>,
}

impl Answers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The desk decided these alarms.
    pub(super) fn answer(&self, answers: impl IntoIterator<Item = (AlarmId, IncidentId)>) {
        let mut inner = self.lock();
        for (alarm, incident) in answers {
            if let Some(tx) = inner.waiting.remove(&alarm) {
                let _ = tx.send(incident);
                continue;
            }
            if inner.kept.insert(alarm, incident).is_none() {
                inner.order.push_back(alarm);
            }
            if inner.order.len() > KEPT
                && let Some(old) = inner.order.pop_front()
            {
                inner.kept.remove(&old);
            }
        }
    }

    /// Waits up to `wait` for the incident of `alarm`; `None` when it did not come in time.
    pub(super) async fn wait(
        &self,
        alarm: AlarmId,
        wait: std::time::Duration,
    ) -> Option<IncidentId> {
        let rx = {
            let mut inner = self.lock();
            if let Some(incident) = inner.kept.remove(&alarm) {
                return Some(incident);
            }
            let (tx, rx) = oneshot::channel();
            inner.waiting.insert(alarm, tx);
            rx
        };
        let answer = tokio::time::timeout(wait, rx).await;
        if let Ok(Ok(incident)) = answer {
            return Some(incident);
        }
        // Gone or too late: stop waiting (an answer that came meanwhile is kept).
        let mut inner = self.lock();
        inner.waiting.remove(&alarm);
        inner.kept.remove(&alarm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_request_gets_its_own_answer_whether_it_came_before_or_after_it_waited() {
        let a = std::sync::Arc::new(Answers::default());
        // Answered before anyone waits: kept.
        a.answer([(AlarmId(1), IncidentId(10))]);
        assert_eq!(
            a.wait(AlarmId(1), Duration::from_secs(1)).await,
            Some(IncidentId(10))
        );
        // Waiting first: woken by its own answer among others.
        let waiter = {
            let a = a.clone();
            tokio::spawn(async move { a.wait(AlarmId(2), Duration::from_secs(2)).await })
        };
        tokio::task::yield_now().await;
        a.answer([(AlarmId(3), IncidentId(30)), (AlarmId(2), IncidentId(20))]);
        assert_eq!(waiter.await.unwrap(), Some(IncidentId(20)));
        // No answer: none, after the wait.
        assert_eq!(a.wait(AlarmId(4), Duration::from_secs(1)).await, None);
        assert!(
            a.lock().waiting.is_empty(),
            "a request that gave up is forgotten"
        );
    }
}
