//! What a paged unit does, drawn as the history plays: answer within the acknowledgement
//! limit (mostly), decline, or stay silent so the desk pages the next; how long it takes to
//! reach the lift; how long the release takes. Pure: every draw comes from the caller's seeded
//! generator.
//!
//! The shapes follow the published figures (`shared/domain/time-limits.md`): acknowledgement
//! within 3 minutes for most pages, arrival about 12 minutes after the alarm on average with a
//! few over 30 (breaches), about 5 minutes on site to release.

use super::lognormal;
use crate::domain::UnitKind;

/// A unit's answer to a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Accepts `after` seconds, reaching the lift `travel` seconds after accepting.
    Accept {
        /// Seconds from the page to the acceptance.
        after: i64,
        /// Seconds from the acceptance to arriving.
        travel: i64,
        /// The ETA it gives, seconds.
        eta: u32,
    },
    /// Declines `after` seconds, for `reason`.
    Decline {
        /// Seconds from the page.
        after: i64,
        /// Why.
        reason: &'static str,
    },
    /// Never answers (the acknowledgement deadline passes).
    Silent,
}

const DECLINES: [&str; 3] = [
    "on another job across the district",
    "no one free at the service point",
    "vehicle broken down",
];

/// The longest a simulated unit takes to accept: just inside the 2-minute limit fire/rescue
/// has and the 3 minutes maintainers have.
const MAX_ACCEPT: [i64; 2] = [115, 175];

/// How a unit of `kind` answers a page; `slow` stretches a maintainer's travel (worse
/// companies).
pub fn reply(rng: &mut fastrand::Rng, kind: UnitKind, slow: f64) -> Reply {
    let u = rng.f64();
    match kind {
        UnitKind::Maintainer => {
            if u < 0.03 {
                let reason = DECLINES[rng.usize(0..DECLINES.len())];
                return Reply::Decline {
                    after: rng.i64(20..120),
                    reason,
                };
            }
            if u < 0.07 {
                return Reply::Silent;
            }
            let after = lognormal(rng, 45.0, 0.75) as i64;
            if after > MAX_ACCEPT[1] {
                return Reply::Silent;
            }
            // Median 8.7 min, mean about 10 min; a few over 25 min (late: a breach at 30).
            let travel = lognormal(rng, 8.7 * 60.0, 0.55) * slow;
            accept(rng, after.max(5), travel)
        }
        UnitKind::PropertyStaff => {
            if u < 0.3 {
                return Reply::Silent;
            }
            let travel = 60.0 * rng.f64().mul_add(6.0, 2.0);
            let after = rng.i64(20..150);
            accept(rng, after, travel)
        }
        UnitKind::FireRescue => {
            let after = rng.i64(15..MAX_ACCEPT[0]);
            let travel = lognormal(rng, 9.0 * 60.0, 0.3);
            accept(rng, after, travel)
        }
    }
}

fn accept(rng: &mut fastrand::Rng, after: i64, travel: f64) -> Reply {
    let travel = travel.max(60.0) as i64;
    // Crews guess their ETA to the nearest minutes, often optimistically.
    let eta = ((travel as f64) * rng.f64().mul_add(0.5, 0.7) / 60.0)
        .round()
        .max(1.0)
        * 60.0;
    Reply::Accept {
        after,
        travel,
        eta: eta as u32,
    }
}

/// Seconds on site until the passengers are out: median 4.3 min, mean about 5.
pub fn rescue_secs(rng: &mut fastrand::Rng) -> i64 {
    (lognormal(rng, 4.3 * 60.0, 0.55) as i64).clamp(40, 3 * 3600)
}

/// Seconds from the release to the operator's confirming callback (mostly within 5 min).
pub fn callback_secs(rng: &mut fastrand::Rng) -> i64 {
    (lognormal(rng, 120.0, 0.6) as i64).clamp(30, 40 * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_maintainers_accept_within_three_minutes_and_arrive_in_about_ten() {
        let mut rng = fastrand::Rng::with_seed(7);
        let (mut accepted, mut travel, n) = (0, 0i64, 10_000);
        for _ in 0..n {
            if let Reply::Accept {
                after, travel: t, ..
            } = reply(&mut rng, UnitKind::Maintainer, 1.0)
            {
                assert!(after < 180);
                accepted += 1;
                travel += t;
            }
        }
        let share = f64::from(accepted) / f64::from(n);
        assert!((0.85..0.95).contains(&share), "{share}");
        let mean_min = travel as f64 / f64::from(accepted) / 60.0;
        assert!((9.0..11.5).contains(&mean_min), "{mean_min}");
    }

    #[test]
    fn fire_rescue_always_accepts_within_its_two_minutes() {
        let mut rng = fastrand::Rng::with_seed(8);
        for _ in 0..1_000 {
            match reply(&mut rng, UnitKind::FireRescue, 1.0) {
                Reply::Accept { after, .. } => assert!(after < 120),
                other => panic!("{other:?}"),
            }
        }
    }
}
