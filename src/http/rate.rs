//! Per-source rate limits for machine intake: an in-process token bucket per source name.
//!
//! **Per node.** Each node counts only the requests it serves, so behind a load balancer with
//! N nodes a source gets through at up to N × `requests_per_minute`. That is enough to stop one
//! misbehaving platform from crowding out the others on a node; a limit shared across nodes
//! belongs in Redis (shared state that may be lost, like the live feed's fan-out) and would
//! replace this type.
//!
//! A source's bucket holds up to `requests_per_minute` tokens (a minute's worth may come as a
//! burst) and refills at `requests_per_minute / 60` per second; each request takes one. An
//! empty bucket answers how long until the next token, for the `Retry-After` header. One
//! source's bucket never affects another's. Time is passed in (`tokio::time::Instant`), so
//! the limiter is tested without waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// One source's bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets keyed by source name, shared by every worker of one node.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// Takes one token from `source`'s bucket at `now`, or answers how long until one is
    /// available. A limit of 0 refuses everything (retry in a minute).
    pub fn check(&self, source: &str, per_minute: u32, now: Instant) -> Result<(), Duration> {
        if per_minute == 0 {
            return Err(Duration::from_secs(60));
        }
        let capacity = f64::from(per_minute);
        let per_sec = capacity / 60.0;
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still usable numbers.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(source.to_owned()).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_sec))
    }
}

/// Whole seconds for `Retry-After`, rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_gets_its_burst_then_waits_for_the_refill() {
        let limiter = RateLimiter::default();
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check("a", 3, t), Ok(()));
        }
        let wait = limiter.check("a", 3, t).unwrap_err();
        assert_eq!(retry_after_secs(wait), 20, "3 a minute: one every 20 s");
        assert!(limiter.check("a", 3, t + Duration::from_secs(19)).is_err());
        assert_eq!(limiter.check("a", 3, t + Duration::from_secs(40)), Ok(()));
    }

    #[test]
    fn one_source_flooding_leaves_the_others_untouched() {
        let limiter = RateLimiter::default();
        let t = Instant::now();
        assert_eq!(limiter.check("a", 1, t), Ok(()));
        assert!(limiter.check("a", 1, t).is_err());
        assert_eq!(limiter.check("b", 1, t), Ok(()));
    }

    #[test]
    fn the_bucket_never_holds_more_than_a_minute_and_zero_refuses_all() {
        let limiter = RateLimiter::default();
        let t = Instant::now();
        assert_eq!(limiter.check("a", 2, t), Ok(()));
        let later = t + Duration::from_secs(3600);
        assert_eq!(limiter.check("a", 2, later), Ok(()));
        assert_eq!(limiter.check("a", 2, later), Ok(()));
        assert!(limiter.check("a", 2, later).is_err());
        assert_eq!(limiter.check("z", 0, t), Err(Duration::from_secs(60)));
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
    }
}
