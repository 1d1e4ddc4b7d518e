//! Sending: a claimed message's call in its own task, its outcome stored and reported, and the
//! retry worker that claims due retries and fails claims whose lease ran out.

use super::Paging;
use super::policy::{self, Channel, State, Transition};
use crate::store::outbox::{Message, MessageChange, MessageStatus};
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

/// How often the worker looks for due retries and expired claims.
pub(super) const WORKER_TICK: Duration = Duration::from_millis(250);
/// Why an expired claim is failed.
pub(super) const UNKNOWN: &str = "the send was interrupted (the service stopped or the gateway hung past \
                       the lease): outcome unknown, not sent again";

impl Paging {
    /// Sends a claimed message in its own task, holding one in-flight slot.
    pub(super) fn dispatch(&self, m: Message, slot: tokio::sync::OwnedSemaphorePermit) {
        let this = self.clone();
        tokio::spawn(async move {
            this.send(m).await;
            drop(slot);
        });
    }

    pub(super) async fn send(&self, m: Message) {
        let i = &self.inner;
        let result = i.gateways.send(&m, i.clock.now()).await;
        let now = i.clock.now();
        let attempts = u32::try_from(m.attempts).unwrap_or(1);
        let t = policy::next(
            State::Sending,
            result.outcome.clone(),
            now,
            attempts,
            &i.policy,
            fastrand::f64(),
        );
        let (to, next_at, error, word, detail) = match &t {
            Transition::Sent => (
                MessageStatus::Sent,
                None,
                None,
                "sent",
                result
                    .gateway_ref
                    .as_ref()
                    .map(|r| format!("gateway id {r}"))
                    .unwrap_or_default(),
            ),
            Transition::Delivered => (
                MessageStatus::Delivered,
                None,
                None,
                "delivered",
                String::new(),
            ),
            Transition::Retry { at, error } => (
                MessageStatus::Pending,
                Some(*at),
                Some(error.clone()),
                "retrying",
                format!(
                    "attempt {attempts} failed: {error}; next at {}",
                    at.format("%H:%M:%S%.3fZ")
                ),
            ),
            Transition::GiveUp { error } => (
                MessageStatus::Failed,
                None,
                Some(error.clone()),
                "failed",
                error.clone(),
            ),
            Transition::Unchanged => return,
        };
        let change = MessageChange {
            id: m.id,
            from: MessageStatus::Sending,
            to,
            next_attempt_at: next_at,
            error,
            gateway_ref: result.gateway_ref.clone(),
            at: now,
        };
        let reached = (to == MessageStatus::Delivered).then_some((m.page_id, m.channel));
        match i.store.change_message(&change, reached).await {
            Ok(true) => {
                self.report(&m, word, detail);
                if to == MessageStatus::Pending {
                    i.retry_wake.notify_one();
                }
            }
            Ok(false) => {} // a receipt came first, or the lease ran out
            Err(e) => {
                tracing::error!(error = %e, message = %m.dedupe_key, "a send's outcome was not stored")
            }
        }
    }

    /// The retry worker: claims due `pending` messages per channel as tokens and slots allow,
    /// and fails claims whose lease ran out.
    pub(super) async fn work(self) {
        let i = &self.inner;
        let channels: Vec<Channel> = Channel::ALL
            .into_iter()
            .filter(|c| i.gateways.has(*c))
            .collect();
        if channels.is_empty() {
            return;
        }
        let mut last_expiry: Option<DateTime<Utc>> = None;
        loop {
            let _ = tokio::time::timeout(WORKER_TICK, i.retry_wake.notified()).await;
            let now = i.clock.now();
            if last_expiry.is_none_or(|t| now - t >= TimeDelta::seconds(2)) {
                last_expiry = Some(now);
                match i.store.expire_sends(now, UNKNOWN).await {
                    Ok(expired) => {
                        for m in expired {
                            tracing::warn!(message = %m.dedupe_key, "{UNKNOWN}");
                            self.report(&m, "unknown", UNKNOWN.into());
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "expired sends not checked"),
                }
            }
            for &channel in &channels {
                // A read first: tokens and slots are taken only for what is due, and an idle
                // worker writes nothing.
                let due = match i.store.due_count(channel, now).await {
                    Ok(n) => n.clamp(0, 64) as usize,
                    Err(e) => {
                        tracing::error!(error = %e, %channel, "due messages not counted");
                        continue;
                    }
                };
                let mut slots = Vec::new();
                while slots.len() < due {
                    let Some(slot) = self.slot(channel, now) else {
                        break;
                    };
                    slots.push(slot);
                }
                if slots.is_empty() {
                    continue;
                }
                let claimed = i
                    .store
                    .claim_messages(channel, now, self.lease_until(now), slots.len() as i64)
                    .await;
                match claimed {
                    Ok(ms) => {
                        for (m, slot) in ms.into_iter().zip(slots) {
                            self.dispatch(m, slot);
                        }
                    }
                    Err(e) => tracing::error!(error = %e, %channel, "claiming due messages failed"),
                }
            }
        }
    }
}
