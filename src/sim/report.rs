//! What `simulate storm` prints: the storm, and per mode its figures; a table of greedy
//! against storm with the change, or the same as JSON.

use super::metrics::Metrics;
use super::scenario::{Area, Scenario};
use super::{Mode, SimSpec};
use crate::demo::Region;
use std::fmt::Write;

/// Facts of a run besides the figures: what the desk did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunFacts {
    /// Events the desk appended.
    pub events: usize,
    /// Simulated actions the desk refused (a crew acting on a page already stood down).
    pub refused: usize,
    /// Hand assignments by the simulated operator (greedy mode).
    pub operator_assignments: usize,
    /// Storms the desk declared.
    pub storms_declared: usize,
    /// Storm solves the desk ran.
    pub storm_solves: usize,
    /// Minutes from the first alarm to the desk's last event.
    pub simulated_minutes: f64,
    /// The run hit the simulated day's limit before every incident ended.
    pub stopped_at_limit: bool,
}

/// One mode's run, or why it could not run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum ModeRun {
    /// It ran.
    Ran {
        /// The mode.
        mode: Mode,
        /// The rules' version.
        rules_version: String,
        /// The figures.
        metrics: Box<Metrics>,
        /// What the desk did.
        run: RunFacts,
    },
    /// The rules cannot run it.
    Unavailable {
        /// The mode.
        mode: Mode,
        /// Why.
        unavailable: String,
    },
}

impl ModeRun {
    /// The figures, if it ran.
    pub fn metrics(&self) -> Option<&Metrics> {
        match self {
            ModeRun::Ran { metrics, .. } => Some(metrics),
            ModeRun::Unavailable { .. } => None,
        }
    }
    /// The mode.
    pub fn mode(&self) -> Mode {
        match self {
            ModeRun::Ran { mode, .. } | ModeRun::Unavailable { mode, .. } => *mode,
        }
    }
}

/// The storm as run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StormFacts {
    /// Entrapments planned.
    pub entrapments: usize,
    /// Minutes over which they started.
    pub minutes: f64,
    /// Where.
    pub area: Area,
    /// Lifts in the area.
    pub area_lifts: usize,
    /// Lifts in the region.
    pub region_lifts: usize,
    /// The seed.
    pub seed: u64,
    /// Share of special alarms asked for, and how many there were.
    pub special_share: f64,
    /// See `special_share`.
    pub special: usize,
    /// Share of pages declined.
    pub decline_share: f64,
}

/// Everything `simulate storm` found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SimReport {
    /// The storm.
    pub storm: StormFacts,
    /// The runs, in the order asked.
    pub runs: Vec<ModeRun>,
}

impl SimReport {
    /// The report of `runs` of `scenario`.
    pub fn new(spec: &SimSpec, region: &Region, scenario: &Scenario, runs: Vec<ModeRun>) -> Self {
        let special = scenario
            .entrapments
            .iter()
            .filter(|e| e.flags.person_ill || e.flags.child_alone)
            .count();
        SimReport {
            storm: StormFacts {
                entrapments: scenario.entrapments.len(),
                minutes: spec.minutes,
                area: scenario.area.clone(),
                area_lifts: scenario.area_lifts,
                region_lifts: region.lifts.len(),
                seed: spec.seed,
                special_share: spec.special_share,
                special,
                decline_share: spec.decline_share,
            },
            runs,
        }
    }

    /// The table: a column per mode, and the change from greedy to storm when both ran.
    pub fn table(&self) -> String {
        let s = &self.storm;
        let mut out = format!(
            "storm: {} entrapments over {} min in {} ({} of its {} lifts; region {} lifts), seed {}, {} special ({}%)\n",
            s.entrapments,
            s.minutes,
            s.area,
            s.entrapments,
            s.area_lifts,
            s.region_lifts,
            s.seed,
            s.special,
            s.special_share * 100.0
        );
        for r in &self.runs {
            if let ModeRun::Unavailable { mode, unavailable } = r {
                let _ = writeln!(out, "{}: {unavailable}", mode.as_str());
            }
        }
        let ran: Vec<(Mode, &Metrics)> = self
            .runs
            .iter()
            .filter_map(|r| r.metrics().map(|m| (r.mode(), m)))
            .collect();
        if ran.is_empty() {
            return out;
        }
        let both = ran.len() == 2;
        let _ = write!(out, "{:<44}", "");
        for (mode, _) in &ran {
            let _ = write!(out, "{:>10}", mode.as_str());
        }
        out.push_str(if both { "    change\n" } else { "\n" });
        for (label, get, digits) in ROWS {
            let _ = write!(out, "{label:<44}");
            let values: Vec<Option<f64>> = ran.iter().map(|(_, m)| get(m)).collect();
            for v in &values {
                let _ = write!(out, "{:>10}", cell(*v, digits));
            }
            if both {
                let _ = write!(out, "{:>10}", change(values[0], values[1]));
            }
            out.push('\n');
        }
        out
    }
}

type Row = (&'static str, fn(&Metrics) -> Option<f64>, usize);

const ROWS: [Row; 14] = [
    ("entrapments", |m| Some(m.entrapments as f64), 0),
    ("released", |m| Some(m.released as f64), 0),
    ("alarm → arrival, mean (min)", |m| m.arrival_mean_min, 1),
    ("alarm → arrival, p90 (min)", |m| m.arrival_p90_min, 1),
    ("alarm → release, mean (min)", |m| m.release_mean_min, 1),
    ("alarm → release, p90 (min)", |m| m.release_p90_min, 1),
    ("alarm → release, longest (min)", |m| m.release_max_min, 1),
    ("special cases", |m| Some(m.special as f64), 0),
    (
        "special: alarm → arrival, p90 (min)",
        |m| m.special_arrival_p90_min,
        1,
    ),
    (
        "special: alarm → arrival, longest (min)",
        |m| m.special_arrival_max_min,
        1,
    ),
    ("crew km driven", |m| Some(m.crew_km), 0),
    (
        "arrivals over 30 min (or none)",
        |m| Some(m.over_30_min as f64),
        0,
    ),
    (
        "special behind a later ordinary case",
        |m| Some(m.special_behind_ordinary as f64),
        0,
    ),
    ("not reached at all", |m| Some(m.not_arrived as f64), 0),
];

fn cell(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) => format!("{v:.digits$}"),
        None => "–".into(),
    }
}

/// The change from `a` to `b` in percent of `a` (a tenth of a percent below 10%).
pub fn change(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if a == b => "0%".into(),
        (Some(a), Some(b)) if a != 0.0 => {
            let pct = (b - a) / a * 100.0;
            if pct.abs() < 10.0 {
                format!("{pct:+.1}%")
            } else {
                format!("{pct:+.0}%")
            }
        }
        _ => "–".into(),
    }
}
