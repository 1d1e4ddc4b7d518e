//! One outbox message's delivery: its states, what each outcome does, and the backoff.
//!
//! ```text
//! pending ─claim─> sending ─Sent─> sent ─Delivered─> delivered (final)
//!    ^               │               │
//!    └── retry ──────┤ Failed{retryable} / Timeout, attempts left
//!                    └─ not retryable, or out of attempts ─> failed (fall back to the next channel)
//! ```
//!
//! A delivery receipt is the truth about a message: it moves any state except `delivered` to
//! `delivered`, even `failed` (a gateway that timed out may still have sent the text). Nothing
//! moves a delivered message. A `sent` message is not retried when no receipt comes: sending again
//! could reach the person twice, and the contact plan's next channel covers the silence.
//!
//! The backoff is exponential, capped, with "equal jitter": the delay is between half and all of
//! the capped exponential value, the fraction chosen by a number the caller draws, so the function
//! stays pure and a test can pin it.

use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for its next attempt.
    Pending,
    /// A worker has it and is calling the gateway.
    Sending,
    /// The gateway accepted it; no receipt yet.
    Sent,
    /// A receipt says it reached the phone. Final.
    Delivered,
    /// Given up on this channel.
    Failed,
}

impl State {
    /// The name used in the outbox's `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// What a gateway call or a receipt said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The gateway accepted the message.
    Sent,
    /// A delivery receipt.
    Delivered,
    /// The gateway or a receipt reported failure.
    Failed {
        /// Worth trying again (5xx, throttled) or not (4xx, bad number).
        retryable: bool,
        /// What it said.
        error: String,
    },
    /// No answer within the send deadline.
    Timeout,
}

/// Bounded retries with exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The delay before the second attempt.
    pub first: Duration,
    /// Each further delay is this many times the one before.
    pub factor: f64,
    /// No delay is longer than this.
    pub max_delay: Duration,
    /// Attempts in all on one channel, the first included.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 2 s, ×2, at most 60 s apart, 5 attempts.
    fn default() -> Self {
        Self {
            first: Duration::from_secs(2),
            factor: 2.0,
            max_delay: Duration::from_secs(60),
            max_attempts: 5,
        }
    }
}

impl RetryPolicy {
    /// The delay after the `attempts`-th failed attempt (from 1), with `jitter` in 0..=1
    /// choosing between half and all of it. Never more than `max_delay`.
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let exp = i32::try_from(attempts.saturating_sub(1)).unwrap_or(i32::MAX);
        let raw = self.first.as_secs_f64() * self.factor.powi(exp);
        let capped = if raw.is_finite() && raw >= 0.0 {
            raw.min(self.max_delay.as_secs_f64())
        } else {
            self.max_delay.as_secs_f64()
        };
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let secs = capped * (0.5 + 0.5 * jitter);
        Duration::try_from_secs_f64(secs)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// What to do with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// The outcome changes nothing (a duplicate, a late answer, or the message is final).
    Unchanged,
    /// Move to `sent` and wait for a receipt.
    Sent,
    /// Move to `delivered`; the page's delivery is logged with this channel.
    Delivered,
    /// Back to `pending`, to be tried again at `at`.
    Retry {
        /// When the next attempt is due.
        at: DateTime<Utc>,
        /// What went wrong, for `last_error`.
        error: String,
    },
    /// Move to `failed`: this channel gave up, fall back to the plan's next channel.
    GiveUp {
        /// What went wrong last.
        error: String,
    },
}

impl Transition {
    /// The state after this transition, starting from `from`.
    pub fn state(&self, from: State) -> State {
        match self {
            Self::Unchanged => from,
            Self::Sent => State::Sent,
            Self::Delivered => State::Delivered,
            Self::Retry { .. } => State::Pending,
            Self::GiveUp { .. } => State::Failed,
        }
    }
}

/// Decides what `outcome` does to a message in `state` that has had `attempts` attempts (this
/// one included), at `now`. `jitter` is a number in 0..=1 the caller draws.
pub fn next(
    state: State,
    outcome: Outcome,
    now: DateTime<Utc>,
    attempts: u32,
    policy: &RetryPolicy,
    jitter: f64,
) -> Transition {
    match (state, outcome) {
        (State::Delivered, _) => Transition::Unchanged,
        (_, Outcome::Delivered) => Transition::Delivered,
        (State::Sending, Outcome::Sent) => Transition::Sent,
        (State::Sending, Outcome::Timeout) => retry_or_give_up(
            now,
            attempts,
            policy,
            jitter,
            "no answer before the send deadline",
        ),
        (State::Sending | State::Sent, Outcome::Failed { retryable, error }) => {
            if retryable {
                retry_or_give_up(now, attempts, policy, jitter, &error)
            } else {
                Transition::GiveUp { error }
            }
        }
        _ => Transition::Unchanged,
    }
}

/// Retry after the backoff while attempts remain, else give up.
fn retry_or_give_up(
    now: DateTime<Utc>,
    attempts: u32,
    policy: &RetryPolicy,
    jitter: f64,
    error: &str,
) -> Transition {
    let delay = TimeDelta::from_std(policy.delay(attempts, jitter)).ok();
    match delay.and_then(|d| now.checked_add_signed(d)) {
        Some(at) if attempts < policy.max_attempts => Transition::Retry {
            at,
            error: error.to_owned(),
        },
        _ => Transition::GiveUp {
            error: format!("{error} (after {attempts} attempts)"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + secs, 0).unwrap()
    }

    fn failed(retryable: bool) -> Outcome {
        Outcome::Failed {
            retryable,
            error: "HTTP 503".into(),
        }
    }

    #[test]
    fn a_message_is_sent_then_delivered_and_then_stays_delivered() {
        let p = RetryPolicy::default();
        assert_eq!(
            next(State::Sending, Outcome::Sent, at(0), 1, &p, 0.0),
            Transition::Sent
        );
        assert_eq!(
            next(State::Sent, Outcome::Delivered, at(3), 1, &p, 0.0),
            Transition::Delivered
        );
        for o in [Outcome::Sent, failed(true), Outcome::Timeout] {
            assert_eq!(
                next(State::Delivered, o, at(9), 1, &p, 0.0),
                Transition::Unchanged
            );
        }
    }

    #[test]
    fn a_gateway_error_is_retried_with_growing_delays_then_falls_back() {
        let p = RetryPolicy::default();
        let delays: Vec<_> = (1..5)
            .map(
                |n| match next(State::Sending, failed(true), at(0), n, &p, 1.0) {
                    Transition::Retry { at: t, .. } => t.signed_duration_since(at(0)).num_seconds(),
                    other => panic!("{other:?}"),
                },
            )
            .collect();
        assert_eq!(delays, [2, 4, 8, 16]);
        let t = next(State::Sending, Outcome::Timeout, at(0), 5, &p, 1.0);
        assert!(matches!(&t, Transition::GiveUp { error } if error.contains("after 5 attempts")));
        assert_eq!(t.state(State::Sending), State::Failed);
    }

    #[test]
    fn a_permanent_failure_falls_back_at_once() {
        let t = next(
            State::Sending,
            failed(false),
            at(0),
            1,
            &RetryPolicy::default(),
            0.5,
        );
        assert_eq!(
            t,
            Transition::GiveUp {
                error: "HTTP 503".into()
            }
        );
    }

    #[test]
    fn a_late_receipt_rescues_a_failed_message_but_a_sent_one_is_not_resent_on_silence() {
        let p = RetryPolicy::default();
        assert_eq!(
            next(State::Failed, Outcome::Delivered, at(0), 5, &p, 0.0),
            Transition::Delivered
        );
        assert_eq!(
            next(State::Sent, Outcome::Timeout, at(0), 1, &p, 0.0),
            Transition::Unchanged
        );
        assert_eq!(
            next(State::Pending, failed(true), at(0), 1, &p, 0.0),
            Transition::Unchanged
        );
    }

    #[test]
    fn jitter_chooses_between_half_and_all_of_the_capped_delay() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(3, 0.0), Duration::from_secs(4));
        assert_eq!(p.delay(3, 1.0), Duration::from_secs(8));
        assert_eq!(p.delay(30, 1.0), Duration::from_secs(60));
        assert_eq!(p.delay(3, f64::NAN), Duration::from_secs(4));
    }

    fn any_outcome() -> impl Strategy<Value = Outcome> {
        prop_oneof![
            Just(Outcome::Sent),
            Just(Outcome::Delivered),
            Just(Outcome::Timeout),
            any::<bool>().prop_map(|r| Outcome::Failed {
                retryable: r,
                error: "e".into()
            }),
        ]
    }

    proptest! {
        #[test]
        fn delays_attempts_and_delivered_messages_stay_within_bounds(
            outcomes in proptest::collection::vec((any_outcome(), 0.0f64..=1.0), 1..40),
            first_ms in 1u64..10_000, factor in 1.0f64..10.0, max_s in 1u64..600, max_attempts in 1u32..10,
        ) {
            let p = RetryPolicy { first: Duration::from_millis(first_ms), factor,
                max_delay: Duration::from_secs(max_s), max_attempts };
            let (mut state, mut attempts, now) = (State::Pending, 0u32, at(0));
            for (outcome, jitter) in outcomes {
                if state == State::Pending {
                    state = State::Sending;
                    attempts += 1;
                }
                let was_delivered = state == State::Delivered;
                let t = next(state, outcome, now, attempts, &p, jitter);
                if was_delivered {
                    prop_assert_eq!(&t, &Transition::Unchanged);
                }
                if let Transition::Retry { at: when, .. } = &t {
                    let delay = when.signed_duration_since(now).to_std().unwrap();
                    prop_assert!(delay <= p.max_delay);
                }
                state = t.state(state);
                prop_assert!(attempts <= p.max_attempts);
            }
        }

        #[test]
        fn a_delay_never_exceeds_the_cap(n in 0u32..1000, jitter in -1.0f64..2.0) {
            let p = RetryPolicy::default();
            prop_assert!(p.delay(n, jitter) <= p.max_delay);
        }
    }
}
