//! A year (or any number of days) of history for the demo region, planned ahead: when
//! entrapments happen and where, what each alarm says, how each ends, and when alarm
//! equipment fails. Pure and deterministic: the same seed plans the same history.
//!
//! The figures follow `shared/domain/`: about 15 entrapments a day per 200,000 lifts
//! (Chongqing 96333's first year), peaks at 08–10, 14–16 and 18–20 China time, lifts in use
//! ≥ 10 years twice and ≥ 15 years three times as prone as newer ones, and two maintenance
//! companies ([`WORSE_COMPANIES`]) 2.5 times as prone as their peers. What crews do when paged
//! is drawn as the history is played ([`crews`]); the play itself goes through the real desk
//! (`crate::registry::history`).

pub mod crews;

use super::Region;
use crate::domain::{AlarmFlags, AlarmKind, AlarmSource, CompanyId, Lift};
use chrono::{DateTime, TimeDelta, Timelike, Utc};

/// Entrapments a day per lift by default: Chongqing's 15 a day for 200,000 lifts.
pub const ENTRAPMENTS_PER_LIFT_DAY: f64 = 15.0 / 200_000.0;

/// The maintenance companies whose lifts trap people 2.5 times as often as their peers'
/// ("Maintenance Co. 2" and "Maintenance Co. 5"), so the evaluation has something to find.
pub const WORSE_COMPANIES: [CompanyId; 2] = [CompanyId(2), CompanyId(5)];

/// How much more prone a worse company's lifts are.
pub const WORSE_FACTOR: f64 = 2.5;

/// The coded fault causes a crew files after the repair, with how often each is filed.
pub const FAULT_CAUSES: [(&str, &str, f64); 8] = [
    (
        "door_lock_fault",
        "landing door lock contact worn; cleaned and adjusted",
        0.27,
    ),
    (
        "door_operator_fault",
        "car door operator belt slipping; replaced",
        0.14,
    ),
    (
        "controller_fault",
        "controller board fault; reset and board replaced",
        0.12,
    ),
    (
        "power_loss",
        "mains supply to the building cut; lift restored when power returned",
        0.10,
    ),
    ("brake_fault", "brake not releasing fully; adjusted", 0.05),
    (
        "leveling_fault",
        "car stopped outside the door zone; levelling sensor replaced",
        0.10,
    ),
    (
        "passenger_misuse",
        "doors held and forced by passengers; safety circuit tripped",
        0.12,
    ),
    (
        "no_fault_found",
        "ran normally after the release; no fault found",
        0.10,
    ),
];

/// What to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySpec {
    /// Days of history, ending at the `end` given to [`plan`].
    pub days: u32,
    /// Seed for every random choice of the history (the region has its own).
    pub seed: u64,
    /// Real entrapments a day over the whole region (`None`: [`ENTRAPMENTS_PER_LIFT_DAY`]
    /// times the number of lifts). False alarms and cancellations come on top.
    pub rate_per_day: Option<f64>,
}

/// How an incident ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Someone was trapped: a crew releases them, the operator confirms by callback, the
    /// cause is filed (usually) and the incident is closed.
    Rescue,
    /// Nobody was trapped (the operator's callback finds the car empty).
    FalseAlarm,
    /// Called off before a crew arrived (the passengers got out).
    Cancelled,
}

/// One planned incident: its first alarm and how it will go.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// When the first alarm arrives.
    pub at: DateTime<Utc>,
    /// Index of the lift in the region's lifts.
    pub lift: usize,
    /// The first alarm's channel.
    pub channel: AlarmSource,
    /// What it reports.
    pub kind: AlarmKind,
    /// Urgent facts (ill, child alone, smoke/water).
    pub flags: AlarmFlags,
    /// People trapped, when the caller says.
    pub trapped: Option<u16>,
    /// The floor reported.
    pub floor: String,
    /// A second channel reporting the same entrapment so many seconds later (it joins).
    pub second: Option<(AlarmSource, i64)>,
    /// How it ends.
    pub outcome: Outcome,
    /// The fault cause filed (index into [`FAULT_CAUSES`]; `None`: closed without one).
    pub cause: Option<usize>,
    /// How slow this lift's maintainers are (1.0: as the region; worse companies are slower).
    pub slow: f64,
}

/// A planned fault of a lift's alarm equipment.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedFault {
    /// When it is reported.
    pub at: DateTime<Utc>,
    /// Index of the lift.
    pub lift: usize,
    /// A silent IoT terminal (`true`) or a cabin phone whose test call reports a fault.
    pub terminal: bool,
    /// For a phone, what its test call reports.
    pub fault: &'static str,
    /// When it is healthy again (`None`: still faulty at the end).
    pub cleared: Option<DateTime<Utc>>,
}

/// A planned history.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The first moment of the history.
    pub start: DateTime<Utc>,
    /// The last (now, when seeding).
    pub end: DateTime<Utc>,
    /// Incidents, in time order.
    pub incidents: Vec<Planned>,
    /// Equipment faults, in time order.
    pub faults: Vec<PlannedFault>,
}

/// Share of incidents that are real entrapments; the rest are false alarms and cancellations.
const RESCUE_SHARE: f64 = 0.78;
/// Share of incidents that are false alarms.
const FALSE_SHARE: f64 = 0.16;
/// No alarm in the last hours, so every incident has ended by `end`.
const QUIET_END_HOURS: i64 = 3;

/// How prone a lift is to entrapments at `on`: age and maintenance company.
pub fn lift_weight(lift: &Lift, on: DateTime<Utc>) -> f64 {
    let age = lift
        .commissioned
        .map(|c| on.date_naive().years_since(c).unwrap_or(0))
        .unwrap_or(0);
    let by_age = match age {
        a if a >= 15 => 3.0,
        a if a >= 10 => 2.0,
        _ => 1.0,
    };
    let by_company = match lift.maintainer {
        Some(c) if WORSE_COMPANIES.contains(&c) => WORSE_FACTOR,
        _ => 1.0,
    };
    by_age * by_company
}

/// Relative alarm frequency by hour of the day in China time (peaks 08–10, 14–16, 18–20).
fn hour_weight(china_hour: u32) -> f64 {
    match china_hour {
        0..=5 => 0.25,
        6..=7 => 0.8,
        8..=9 | 18..=19 => 2.0,
        14..=15 => 1.8,
        20..=23 => 0.7,
        _ => 1.0,
    }
}

/// Plans `spec.days` days of history for `region`, ending at `end`.
pub fn plan(region: &Region, spec: &HistorySpec, end: DateTime<Utc>) -> Plan {
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let start = end - TimeDelta::days(i64::from(spec.days));
    let lifts = &region.lifts;
    let weights: Vec<f64> = lifts.iter().map(|l| lift_weight(l, end)).collect();
    let pick = Picker::new(&weights);
    let real = spec
        .rate_per_day
        .unwrap_or(ENTRAPMENTS_PER_LIFT_DAY * lifts.len() as f64);
    let per_day = real / RESCUE_SHARE;
    let mean_hour: f64 = (0..24).map(hour_weight).sum::<f64>() / 24.0;
    let mut incidents = Vec::new();
    let last = end - TimeDelta::hours(QUIET_END_HOURS);
    let mut hour = start;
    while hour < last {
        let china = (hour + TimeDelta::hours(8)).hour();
        let lambda = per_day / 24.0 * hour_weight(china) / mean_hour;
        for _ in 0..poisson(&mut rng, lambda) {
            let at = hour + TimeDelta::milliseconds(rng.i64(0..3_600_000));
            if at >= last || lifts.is_empty() {
                continue;
            }
            let lift = pick.pick(&mut rng);
            incidents.push(incident(&mut rng, at, lift, &lifts[lift]));
        }
        hour += TimeDelta::hours(1);
    }
    incidents.sort_by_key(|p| p.at);
    let faults = equipment_faults(&mut rng, lifts, &pick, start, end);
    Plan {
        start,
        end,
        incidents,
        faults,
    }
}

fn incident(rng: &mut fastrand::Rng, at: DateTime<Utc>, index: usize, lift: &Lift) -> Planned {
    let u = rng.f64();
    let outcome = if u < RESCUE_SHARE {
        Outcome::Rescue
    } else if u < RESCUE_SHARE + FALSE_SHARE {
        Outcome::FalseAlarm
    } else {
        Outcome::Cancelled
    };
    let has_terminal = lift.device_id.is_some();
    let c = rng.f64();
    let channel = match outcome {
        // False alarms come mostly from terminals misreading and buttons pressed by mistake.
        Outcome::FalseAlarm if has_terminal && c < 0.6 => AlarmSource::Iot,
        Outcome::FalseAlarm => AlarmSource::CabinPhone,
        _ if has_terminal && c < 0.28 => AlarmSource::Iot,
        _ if c < 0.70 => AlarmSource::CabinPhone,
        _ if c < 0.90 => AlarmSource::Hotline,
        _ if c < 0.95 => AlarmSource::App,
        _ => AlarmSource::Operator,
    };
    let k = rng.f64();
    let kind = match channel {
        AlarmSource::CabinPhone if k < 0.6 => AlarmKind::PassengerAlarm,
        _ if k < 0.45 => AlarmKind::EntrapmentBetweenFloors,
        _ => AlarmKind::EntrapmentAtLanding,
    };
    let f = rng.f64();
    let flags = AlarmFlags {
        person_ill: outcome == Outcome::Rescue && f < 0.04,
        child_alone: outcome == Outcome::Rescue && (0.04..0.06).contains(&f),
        smoke_or_water: outcome == Outcome::Rescue && (0.06..0.065).contains(&f),
    };
    // A caller says how many are inside; a terminal or a button press does not.
    let speaks = matches!(channel, AlarmSource::Hotline | AlarmSource::App)
        || (channel == AlarmSource::CabinPhone && rng.f64() < 0.7);
    let trapped = (speaks && outcome != Outcome::FalseAlarm).then(|| match rng.f64() {
        x if x < 0.55 => 1,
        x if x < 0.85 => 2,
        x if x < 0.95 => 3,
        _ => rng.u16(4..9),
    });
    let trapped = if flags.child_alone { Some(1) } else { trapped };
    // A terminal's entrapment is often followed by the passenger's call.
    let second = (channel == AlarmSource::Iot
        && outcome == Outcome::Rescue
        && lift.cabin_phone.is_some()
        && rng.f64() < 0.4)
        .then(|| (AlarmSource::CabinPhone, rng.i64(15..90)));
    let cause = (outcome == Outcome::Rescue && rng.f64() >= 0.04).then(|| cause(rng));
    let slow = match lift.maintainer {
        Some(c) if WORSE_COMPANIES.contains(&c) => 1.25,
        _ => 1.0,
    };
    Planned {
        at,
        lift: index,
        channel,
        kind,
        flags,
        trapped,
        floor: format!("{}", rng.i32(-2..33)),
        second,
        outcome,
        cause,
        slow,
    }
}

fn cause(rng: &mut fastrand::Rng) -> usize {
    let mut u = rng.f64();
    for (i, (_, _, share)) in FAULT_CAUSES.iter().enumerate() {
        if u < *share {
            return i;
        }
        u -= share;
    }
    FAULT_CAUSES.len() - 1
}

/// What a cabin phone's test call reports when it finds a fault.
const PHONE_FAULTS: [&str; 4] = [
    "battery low",
    "speaker fault",
    "microphone fault",
    "line noise",
];

fn equipment_faults(
    rng: &mut fastrand::Rng,
    lifts: &[Lift],
    pick: &Picker,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<PlannedFault> {
    // About 3 terminal outages and 1 phone fault a day per 10,000 lifts, older lifts more.
    let per_day_terminal = lifts.len() as f64 * 3.0 / 10_000.0;
    let per_day_phone = lifts.len() as f64 * 1.0 / 10_000.0;
    let mut out = Vec::new();
    let mut day = start;
    while day < end {
        for terminal in [true, false] {
            let lambda = if terminal {
                per_day_terminal
            } else {
                per_day_phone
            };
            for _ in 0..poisson(rng, lambda) {
                let lift = pick.pick(rng);
                let l = &lifts[lift];
                if (terminal && l.device_id.is_none()) || (!terminal && l.cabin_phone.is_none()) {
                    continue;
                }
                let at = day + TimeDelta::seconds(rng.i64(0..86_400));
                // Terminals come back within hours to days; phones wait for a technician.
                let hours = if terminal {
                    lognormal(rng, 6.0, 1.0).min(24.0 * 14.0)
                } else {
                    24.0 * rng.f64().mul_add(9.0, 1.0)
                };
                let cleared = at + TimeDelta::seconds((hours * 3600.0) as i64);
                out.push(PlannedFault {
                    at,
                    lift,
                    terminal,
                    fault: PHONE_FAULTS[rng.usize(0..PHONE_FAULTS.len())],
                    cleared: (cleared < end).then_some(cleared),
                });
            }
        }
        day += TimeDelta::days(1);
    }
    out.retain(|f| f.at < end);
    out.sort_by_key(|f| f.at);
    out
}

/// Picks an index with probability proportional to its weight.
struct Picker {
    cumulative: Vec<f64>,
}

impl Picker {
    fn new(weights: &[f64]) -> Self {
        let mut sum = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                sum += w;
                sum
            })
            .collect();
        Picker { cumulative }
    }
    fn pick(&self, rng: &mut fastrand::Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.f64() * total;
        self.cumulative
            .partition_point(|c| *c <= x)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

/// A Poisson draw with mean `lambda` (Knuth's method; `lambda` is at most a few hundred here).
fn poisson(rng: &mut fastrand::Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let limit = (-lambda).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.f64();
        if p <= limit || k >= 10_000 {
            return k;
        }
        k += 1;
    }
}

/// A log-normal draw with the given median and shape (σ of the logarithm).
pub fn lognormal(rng: &mut fastrand::Rng, median: f64, sigma: f64) -> f64 {
    // Box–Muller; 1 - f64() is in (0, 1], so the logarithm is finite.
    let (u1, u2) = (1.0 - rng.f64(), rng.f64());
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    median * (sigma * z).exp()
}

#[cfg(test)]
mod tests;
