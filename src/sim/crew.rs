//! One simulated crew: where it stands, the job it is on, the jobs it has accepted after that
//! (storm mode may queue several cars for one crew), and how far it has driven.

use super::agents::{Drive, along};
use crate::domain::{IncidentId, LatLon, UnitKind};
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// A crew's drive to a lift and its time there.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Trip {
    /// The incident it is for.
    pub incident: IncidentId,
    /// Numbers the crew's trips, so a stale arrival or release is recognised.
    pub seq: u64,
    pub from: LatLon,
    pub to: LatLon,
    pub depart: DateTime<Utc>,
    pub arrive: DateTime<Utc>,
    pub road_m: f64,
    /// At the lift (reported on scene).
    pub on_scene: bool,
}

/// A simulated crew.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Crew {
    pub kind: UnitKind,
    /// Where it stands when not driving (where its current drive began).
    pub at: LatLon,
    /// Still at its base (leaving it takes the rules' turnout).
    pub at_base: bool,
    pub trip: Option<Trip>,
    /// Accepted jobs after the current one, in order.
    pub jobs: VecDeque<IncidentId>,
    /// Metres driven (by road).
    pub road_m: f64,
    trips: u64,
    /// When its position was last reported to the desk.
    pub reported: Option<DateTime<Utc>>,
}

impl Crew {
    /// A crew standing at `at`, its base.
    pub fn at_base(kind: UnitKind, at: LatLon) -> Self {
        Crew {
            kind,
            at,
            at_base: true,
            trip: None,
            jobs: VecDeque::new(),
            road_m: 0.0,
            trips: 0,
            reported: None,
        }
    }

    /// Maintainers and fire/rescue free trapped people; property staff only reassure them.
    pub fn rescuer(&self) -> bool {
        self.kind != UnitKind::PropertyStaff
    }

    /// On no job and with none waiting.
    pub fn idle(&self) -> bool {
        self.trip.is_none() && self.jobs.is_empty()
    }

    /// Driving now (not yet at the lift).
    pub fn moving(&self) -> bool {
        self.trip.as_ref().is_some_and(|t| !t.on_scene)
    }

    /// Where it is at `now`: on the straight line of its drive, at the lift, or where it stood.
    pub fn position(&self, now: DateTime<Utc>) -> LatLon {
        match &self.trip {
            Some(t) if t.on_scene => t.to,
            Some(t) => along(t.from, t.to, progress(t, now)),
            None => self.at,
        }
    }

    /// Starts the drive to `to` for `incident` at `now`; the trip's number.
    pub fn depart(
        &mut self,
        incident: IncidentId,
        to: LatLon,
        drive: Drive,
        now: DateTime<Utc>,
    ) -> u64 {
        self.trips += 1;
        self.trip = Some(Trip {
            incident,
            seq: self.trips,
            from: self.at,
            to,
            depart: now,
            arrive: now + chrono::TimeDelta::seconds(drive.secs),
            road_m: drive.road_m,
            on_scene: false,
        });
        self.at_base = false;
        self.trips
    }

    /// Reaches the lift of trip `seq`; false if that trip is no longer on.
    pub fn arrive(&mut self, seq: u64) -> bool {
        match &mut self.trip {
            Some(t) if t.seq == seq && !t.on_scene => {
                t.on_scene = true;
                self.road_m += t.road_m;
                self.at = t.to;
                true
            }
            _ => false,
        }
    }

    /// Ends the current trip at `now` wherever the crew is (stood down, or done); a drive
    /// broken off counts the part driven.
    pub fn stop(&mut self, now: DateTime<Utc>) {
        let Some(t) = self.trip.take() else { return };
        if !t.on_scene {
            let done = progress(&t, now);
            self.road_m += t.road_m * done;
            self.at = along(t.from, t.to, done);
        }
    }

    /// Drops `incident` from the crew: its current trip ends, a waiting job is forgotten.
    /// True if the current trip was for it.
    pub fn stand_down(&mut self, incident: IncidentId, now: DateTime<Utc>) -> bool {
        self.jobs.retain(|j| *j != incident);
        if self.trip.as_ref().is_some_and(|t| t.incident == incident) {
            self.stop(now);
            return true;
        }
        false
    }
}

fn progress(t: &Trip, now: DateTime<Utc>) -> f64 {
    let total = (t.arrive - t.depart).num_milliseconds();
    if total <= 0 {
        return 1.0;
    }
    ((now - t.depart).num_milliseconds() as f64 / total as f64).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_crew_stood_down_halfway_has_driven_half_the_way_and_stands_there() {
        let base = crate::demo::YUZHONG;
        let lift = crate::demo::offset(base, 1_000.0, 0.0);
        let now = DateTime::from_timestamp(1_796_119_200, 0).unwrap();
        let mut c = Crew::at_base(UnitKind::Maintainer, base);
        let drive = Drive {
            secs: 200,
            road_m: 1_400.0,
        };
        let seq = c.depart(IncidentId(7), lift, drive, now);
        assert!(c.moving() && !c.idle());
        assert!(c.stand_down(IncidentId(7), now + TimeDelta::seconds(100)));
        assert!((c.road_m - 700.0).abs() < 1e-6);
        assert!((base.distance_m(c.at) - 500.0).abs() < 2.0);
        assert!(c.idle() && !c.arrive(seq), "a stale arrival does nothing");

        let seq = c.depart(IncidentId(8), lift, drive, now);
        assert!(c.arrive(seq));
        assert_eq!(c.position(now), lift);
        c.stop(now + TimeDelta::seconds(900));
        assert!((c.road_m - 2_100.0).abs() < 1e-6);
        assert_eq!(c.at, lift);
    }
}
