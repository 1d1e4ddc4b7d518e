//! The desk's clock: wall-clock time read through tokio's clock (so paused-time tests move
//! both together), or a simulated clock whose hand a driver moves (`seed-demo --history`).

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// Wall-clock time derived from tokio's clock, so paused-time tests move both together.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base_instant: Instant,
    base_time: DateTime<Utc>,
    /// A simulated clock's hand (microseconds since the epoch), set by whoever drives it.
    hand: Option<&'static std::sync::atomic::AtomicI64>,
}

/// The hand of a simulated clock: sets the time every copy of its [`Clock`] reads.
#[derive(Debug, Clone, Copy)]
pub struct ClockHand(&'static std::sync::atomic::AtomicI64);

impl ClockHand {
    /// Moves the clock to `t` (truncated to the microsecond, as the log keeps time).
    pub fn set(&self, t: DateTime<Utc>) {
        self.0
            .store(t.timestamp_micros(), std::sync::atomic::Ordering::Release);
    }
}

impl Clock {
    /// A clock that reads `start` now and advances with tokio time.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Clock {
            base_instant: Instant::now(),
            base_time: start,
            hand: None,
        }
    }
    /// A simulated clock reading `start` until its hand moves it: the desk on it decides at
    /// the time set and never fires deadlines by itself, so whoever drives it submits
    /// [`Command::Tick`] at each due time (`liftrescue seed-demo --history`). The hand is
    /// leaked (one word per simulated clock, made once per run) so the clock stays `Copy`.
    pub fn simulated(start: DateTime<Utc>) -> (Self, ClockHand) {
        let micros = std::sync::atomic::AtomicI64::new(start.timestamp_micros());
        let hand: &'static std::sync::atomic::AtomicI64 = Box::leak(Box::new(micros));
        let clock = Clock {
            hand: Some(hand),
            ..Self::starting_at(start)
        };
        (clock, ClockHand(hand))
    }
    /// The system clock (production).
    pub fn system() -> Self {
        Self::starting_at(Utc::now())
    }
    /// The current time, to the microsecond: what the log keeps, so an event the desk
    /// publishes reads the same as when it is read back from the log.
    pub fn now(&self) -> DateTime<Utc> {
        use chrono::DurationRound;
        if let Some(hand) = self.hand {
            let micros = hand.load(std::sync::atomic::Ordering::Acquire);
            return DateTime::from_timestamp_micros(micros).unwrap_or(self.base_time);
        }
        let now = self.precise();
        now.duration_trunc(chrono::TimeDelta::microseconds(1))
            .unwrap_or(now)
    }
    fn precise(&self) -> DateTime<Utc> {
        let elapsed = Instant::now().saturating_duration_since(self.base_instant);
        self.base_time + chrono::TimeDelta::from_std(elapsed).unwrap_or(chrono::TimeDelta::MAX)
    }
    /// When `t` comes: from the precise time, so that at that instant [`now`](Self::now)
    /// reads `t` or later (deadlines fall on whole microseconds). Never, on a simulated clock.
    pub(super) fn instant_of(&self, t: DateTime<Utc>) -> Option<Instant> {
        if self.hand.is_some() {
            return None;
        }
        let ahead = (t - self.precise()).to_std().unwrap_or_default();
        Some(Instant::now() + ahead)
    }
}
