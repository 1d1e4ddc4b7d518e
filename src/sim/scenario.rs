//! The storm: which lifts of an area trap people, when, and what their alarms say. Pure and
//! deterministic: the same region, spec and seed plan the same storm.
//!
//! An area is a street (街道, as the registry keeps `Lift.street`) or a district code; the
//! default is the region's street with most lifts, where a power cut traps most people. Each
//! entrapment is on a different lift (a second alarm on a trapped lift joins its incident and
//! would not be another entrapment). Cars mostly stop between floors when the power goes.

use super::SimSpec;
use crate::demo::Region;
use crate::domain::{AlarmFlags, AlarmKind, Lift};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;

/// Share of stopped cars that stand between floors (the rest at a landing, doors shut).
pub const BETWEEN_FLOORS: f64 = 0.7;

/// Where the storm strikes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "name")]
pub enum Area {
    /// A street (街道) by its name.
    Street(String),
    /// A district by its GB/T 2260 code.
    District(String),
}

impl Area {
    /// Whether `lift` stands in the area.
    pub fn holds(&self, lift: &Lift) -> bool {
        match self {
            Area::Street(s) => lift.street.as_deref() == Some(s.as_str()),
            Area::District(d) => lift.district.as_string().starts_with(d.as_str()),
        }
    }
}

impl std::fmt::Display for Area {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Area::Street(s) => write!(f, "street {s}"),
            Area::District(d) => write!(f, "district {d}"),
        }
    }
}

/// The area a lift is counted in for "same area" comparisons: its street, else its district.
pub fn area_of(lift: &Lift) -> String {
    lift.street
        .clone()
        .unwrap_or_else(|| lift.district.as_string())
}

/// One planned entrapment.
#[derive(Debug, Clone, PartialEq)]
pub struct Entrapment {
    /// When its alarm arrives.
    pub at: DateTime<Utc>,
    /// Index of its lift in the region's lifts.
    pub lift: usize,
    /// What the alarm reports.
    pub kind: AlarmKind,
    /// A person ill or a child alone, when the caller says so.
    pub flags: AlarmFlags,
    /// People in the car.
    pub trapped: u16,
}

/// A planned storm.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Where.
    pub area: Area,
    /// Lifts in the area.
    pub area_lifts: usize,
    /// The entrapments, in the order their alarms arrive.
    pub entrapments: Vec<Entrapment>,
}

/// Reads `--area`: a street of the region by name, or a district code (a prefix of the lifts'
/// codes). An unknown name is refused with the region's streets.
pub fn parse_area(region: &Region, s: &str) -> Result<Area, String> {
    let s = s.trim();
    let streets = streets(region);
    if streets.contains_key(s) {
        return Ok(Area::Street(s.to_owned()));
    }
    let digits = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if digits
        && region
            .lifts
            .iter()
            .any(|l| l.district.as_string().starts_with(s))
    {
        return Ok(Area::District(s.to_owned()));
    }
    let names: Vec<&str> = streets.keys().map(String::as_str).collect();
    Err(format!(
        "{s:?} is neither a street nor a district code of the demo region; its streets are {} and its district is {}",
        names.join(", "),
        region.district.as_string()
    ))
}

/// The street with most lifts (the first by name among equals); the district if no lift has
/// a street.
pub fn densest(region: &Region) -> Area {
    let streets = streets(region);
    let mut best: Option<(&str, usize)> = None;
    for (name, &n) in &streets {
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((name, n));
        }
    }
    match best {
        Some((name, _)) => Area::Street(name.to_owned()),
        None => Area::District(region.district.as_string()),
    }
}

fn streets(region: &Region) -> BTreeMap<String, usize> {
    let mut by = BTreeMap::new();
    for l in &region.lifts {
        if let Some(s) = &l.street {
            *by.entry(s.clone()).or_insert(0) += 1;
        }
    }
    by
}

/// Plans the storm `spec` asks for on `region`, or says why it cannot be.
pub fn plan(region: &Region, spec: &SimSpec) -> Result<Scenario, String> {
    let area = match &spec.area {
        Some(a) => parse_area(region, a)?,
        None => densest(region),
    };
    let mut lifts: Vec<usize> = (0..region.lifts.len())
        .filter(|&i| area.holds(&region.lifts[i]))
        .collect();
    let n = spec.entrapments;
    if n == 0 || n > lifts.len() {
        return Err(format!(
            "{n} entrapments do not fit {area}: it has {} lifts, and each entrapment is on a different one",
            lifts.len()
        ));
    }
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    // A partial Fisher–Yates shuffle: the first n are a uniform sample without repeats.
    for i in 0..n {
        let j = rng.usize(i..lifts.len());
        lifts.swap(i, j);
    }
    let span_ms = (spec.minutes * 60_000.0).round().max(0.0) as i64;
    let mut entrapments: Vec<Entrapment> = lifts[..n]
        .iter()
        .map(|&lift| {
            let at = spec.start + TimeDelta::milliseconds(rng.i64(0..=span_ms));
            let kind = if rng.f64() < BETWEEN_FLOORS {
                AlarmKind::EntrapmentBetweenFloors
            } else {
                AlarmKind::EntrapmentAtLanding
            };
            let special = rng.f64() < spec.special_share;
            let ill = rng.bool();
            let flags = AlarmFlags {
                person_ill: special && ill,
                child_alone: special && !ill,
                smoke_or_water: false,
            };
            let trapped = 1 + rng.u16(0..4);
            Entrapment {
                at,
                lift,
                kind,
                flags,
                trapped,
            }
        })
        .collect();
    entrapments.sort_by_key(|e| (e.at, e.lift));
    Ok(Scenario {
        area_lifts: lifts.len(),
        area,
        entrapments,
    })
}
