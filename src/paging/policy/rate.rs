//! A token bucket per channel, so a gateway's documented rate is respected.
//!
//! Pure: the caller passes `now`; the bucket answers "go" or "wait this long". A worker that is
//! told to wait leaves the message pending rather than sleeping while holding it.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Why a bucket could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// A rate of zero would never send anything.
    #[error("a rate limit needs a rate above 0 per second (got {0})")]
    ZeroRate(String),
    /// A burst below one would never send anything.
    #[error("a rate limit needs a burst of at least 1")]
    ZeroBurst,
}

/// `burst` sends at once, refilled at `per_sec` a second.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenBucket {
    per_sec: f64,
    burst: f64,
    tokens: f64,
    last: Option<DateTime<Utc>>,
}

impl TokenBucket {
    /// A full bucket allowing `per_sec` sends a second on average and `burst` at once.
    pub fn new(per_sec: f64, burst: u32) -> Result<Self, RateError> {
        if !(per_sec.is_finite() && per_sec > 0.0) {
            return Err(RateError::ZeroRate(per_sec.to_string()));
        }
        if burst == 0 {
            return Err(RateError::ZeroBurst);
        }
        Ok(Self {
            per_sec,
            burst: f64::from(burst),
            tokens: f64::from(burst),
            last: None,
        })
    }

    /// Takes one token at `now`, or says how long until one is there. A clock that steps back
    /// refills nothing (and does not drain the bucket either).
    pub fn take(&mut self, now: DateTime<Utc>) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait = (1.0 - self.tokens) / self.per_sec;
        Err(Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX))
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        if let Some(last) = self.last {
            if now <= last {
                return;
            }
            let secs = now.signed_duration_since(last).as_seconds_f64();
            self.tokens = (self.tokens + secs * self.per_sec).min(self.burst);
        }
        self.last = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_767_225_600_000 + ms).unwrap()
    }

    #[test]
    fn a_full_bucket_allows_its_burst_then_says_how_long_to_wait() {
        let mut b = TokenBucket::new(10.0, 3).unwrap();
        for _ in 0..3 {
            assert_eq!(b.take(at(0)), Ok(()));
        }
        assert_eq!(b.take(at(0)), Err(Duration::from_millis(100)));
        assert_eq!(b.take(at(100)), Ok(()));
    }

    #[test]
    fn the_bucket_refills_at_the_rate_and_never_beyond_the_burst() {
        let mut b = TokenBucket::new(2.0, 2).unwrap();
        assert!(b.take(at(0)).is_ok() && b.take(at(0)).is_ok());
        let sent = (0..100).filter(|i| b.take(at(10_000 + i)).is_ok()).count();
        assert_eq!(sent, 2, "a long idle still allows only the burst");
        let per_minute = (0..60_000)
            .step_by(50)
            .filter(|&i| b.take(at(20_000 + i)).is_ok())
            .count();
        assert!((120..=122).contains(&per_minute), "{per_minute}");
    }

    #[test]
    fn a_clock_stepping_back_neither_refills_nor_breaks_the_bucket() {
        let mut b = TokenBucket::new(1.0, 1).unwrap();
        assert!(b.take(at(5_000)).is_ok());
        assert!(b.take(at(0)).is_err());
        assert!(b.take(at(6_000)).is_ok());
    }

    #[test]
    fn a_zero_rate_or_burst_is_refused() {
        assert!(TokenBucket::new(0.0, 1).is_err());
        assert!(TokenBucket::new(f64::NAN, 1).is_err());
        assert_eq!(TokenBucket::new(1.0, 0), Err(RateError::ZeroBurst));
    }
}
