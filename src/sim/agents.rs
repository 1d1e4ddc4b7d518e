//! What simulated crews take: how long a paged crew takes to answer, how long the drive is,
//! how long the release takes on site. Pure: every draw comes from the caller's seeded
//! generator.
//!
//! The answer delays are the history's ([`crate::demo::history::crews`]), kept inside the
//! acknowledgement limits (a storm is no time to stay silent); the on-site time is its
//! lognormal around 5 minutes. Travel is not drawn: a crew drives at the speed the rules
//! assume for its kind ([`TravelModel`]), over the straight line times the detour factor, plus
//! the rules' turnout when it leaves from its base; so the desk's ETAs are right on average
//! and neither mode gains from crews beating them.

use crate::demo::history::{crews, lognormal};
use crate::domain::{LatLon, UnitKind};
use crate::rules::TravelModel;

/// Why a simulated crew declines (when declines are asked for).
pub const DECLINE: &str = "simulated: crew cannot go";

/// A crew's answer to a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Accepts `after` seconds after the page.
    Accept {
        /// Seconds from the page.
        after: i64,
    },
    /// Declines `after` seconds after the page.
    Decline {
        /// Seconds from the page.
        after: i64,
    },
}

/// The longest a crew of `kind` takes to answer: inside fire/rescue's 2 minutes and the
/// 3 minutes everyone else has.
pub fn max_answer_secs(kind: UnitKind) -> i64 {
    match kind {
        UnitKind::FireRescue => 114,
        _ => 175,
    }
}

/// How a crew of `kind` answers a page; `decline_share` of pages are declined.
pub fn answer(rng: &mut fastrand::Rng, kind: UnitKind, decline_share: f64) -> Answer {
    let decline = rng.f64() < decline_share;
    let after = match kind {
        // Median 45 s, a long tail, as the history's maintainers.
        UnitKind::Maintainer => lognormal(rng, 45.0, 0.75) as i64,
        UnitKind::PropertyStaff => rng.i64(20..150),
        UnitKind::FireRescue => rng.i64(15..115),
    };
    let after = after.clamp(5, max_answer_secs(kind));
    if decline {
        Answer::Decline { after }
    } else {
        Answer::Accept { after }
    }
}

/// Seconds on site until the passengers are out: lognormal, median 4.3 min, mean about 5.
pub fn on_site_secs(rng: &mut fastrand::Rng) -> i64 {
    crews::rescue_secs(rng)
}

/// Seconds from the release to the operator's confirming callback.
pub fn callback_secs(rng: &mut fastrand::Rng) -> i64 {
    crews::callback_secs(rng)
}

/// A drive: how long it takes and how far it goes by road.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drive {
    /// Seconds from leaving to arriving (turnout included).
    pub secs: i64,
    /// Metres by road (straight line × detour factor).
    pub road_m: f64,
}

/// The drive of a crew of `kind` from `from` to `to` under `travel`; `from_base` adds the
/// rules' turnout (getting ready and out of the station or depot).
pub fn drive(
    travel: &TravelModel,
    kind: UnitKind,
    from: LatLon,
    to: LatLon,
    from_base: bool,
) -> Drive {
    let straight = from.distance_m(to);
    let mut secs = i64::from(travel.eta_secs(kind, straight));
    if from_base {
        secs += i64::from(travel.base_turnout_secs);
    }
    Drive {
        secs,
        road_m: straight * travel.detour_factor,
    }
}

/// Where a crew driving from `from` to `to` stands after `done` of the drive (0–1), on the
/// straight line (a few hundred metres of lat/lon are flat enough).
pub fn along(from: LatLon, to: LatLon, done: f64) -> LatLon {
    let f = done.clamp(0.0, 1.0);
    LatLon {
        lat: from.lat + (to.lat - from.lat) * f,
        lon: from.lon + (to.lon - from.lon) * f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn travel() -> TravelModel {
        TravelModel {
            detour_factor: 1.4,
            speed_kmh: BTreeMap::from([
                (UnitKind::Maintainer, 25.0),
                (UnitKind::PropertyStaff, 5.0),
                (UnitKind::FireRescue, 35.0),
            ]),
            base_turnout_secs: 60,
        }
    }

    #[test]
    fn crews_answer_inside_their_acknowledgement_limits_and_decline_only_when_asked() {
        let mut rng = fastrand::Rng::with_seed(1);
        for kind in [
            UnitKind::Maintainer,
            UnitKind::PropertyStaff,
            UnitKind::FireRescue,
        ] {
            for _ in 0..5_000 {
                match answer(&mut rng, kind, 0.0) {
                    Answer::Accept { after } => {
                        assert!((5..=max_answer_secs(kind)).contains(&after), "{after}")
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        let declined = (0..10_000)
            .filter(|_| {
                matches!(
                    answer(&mut rng, UnitKind::Maintainer, 0.2),
                    Answer::Decline { .. }
                )
            })
            .count();
        assert!((1_800..2_200).contains(&declined), "{declined}");
    }

    #[test]
    fn the_release_takes_about_five_minutes_on_site() {
        let mut rng = fastrand::Rng::with_seed(2);
        let mut secs: Vec<i64> = (0..20_000).map(|_| on_site_secs(&mut rng)).collect();
        secs.sort_unstable();
        let median = secs[secs.len() / 2] as f64 / 60.0;
        let mean = secs.iter().sum::<i64>() as f64 / secs.len() as f64 / 60.0;
        assert!((4.0..4.6).contains(&median), "{median}");
        assert!((4.6..5.4).contains(&mean), "{mean}");
    }

    #[test]
    fn a_drive_goes_at_the_rules_speed_with_turnout_only_from_the_base() {
        let from = crate::demo::YUZHONG;
        let to = crate::demo::offset(from, 2_500.0, 0.0);
        let d = drive(&travel(), UnitKind::Maintainer, from, to, false);
        // 2.5 km × 1.4 = 3.5 km at 25 km/h = 504 s.
        assert!((d.road_m - 3_500.0).abs() < 5.0, "{}", d.road_m);
        assert!((d.secs - 504).abs() <= 1, "{}", d.secs);
        let b = drive(&travel(), UnitKind::Maintainer, from, to, true);
        assert_eq!(b.secs, d.secs + 60);
        let half = along(from, to, 0.5);
        assert!((from.distance_m(half) - 1_250.0).abs() < 2.0);
    }
}
