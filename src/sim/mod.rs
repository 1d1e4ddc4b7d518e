//! `liftrescue simulate storm`: a blackout-style storm of entrapments on the demo region,
//! played through the real dispatch desk on a simulated clock, once per dispatch mode, and
//! measured from the desk's own log.
//!
//! Why a simulation: storm mode (issue #20) claims that triage and a global assignment rescue
//! more people sooner than today's practice when hundreds are trapped at once. The claim is
//! tested on the same storm, the same crews and the same random draws in both modes; only
//! the rules differ:
//!
//! - **greedy** ([`Mode::Greedy`]): the built-in rules without `storm.toml`. The desk pages as
//!   it does on a normal day; an incident whose chain runs out of units asks the console, and a
//!   simulated operator assigns the nearest free maintainer or fire/rescue unit to the incident
//!   that asked first, as soon as one frees up (first come, first served: today's practice).
//! - **storm** ([`Mode::Storm`]): the built-in rules with `storm.toml`; the desk declares the
//!   storm and its solve assigns. The simulated operator confirms releases and closes, and
//!   assigns nothing while the storm lasts; incidents a storm leaves waiting when it ends are
//!   back to today's practice, and the operator's again (counted in the run's facts).
//!
//! The pieces: [`scenario`] plans who is trapped where and when (pure); [`agents`] draws what
//! crews take (pure); `world` is the world around the desk: it submits each alarm, answers
//! every page as the paged crew would, moves crews at the rules' speeds and reports their
//! progress and positions, and plays the operator; `driver` plays its actions and the
//! desk's deadlines in time order on the simulated clock (and drives the history of
//! `seed-demo --history` the same way);
//! [`metrics`] reads the log back into the figures (pure); [`report`] prints them. The same seed
//! gives the same storm and the same figures.

pub mod agents;
mod crew;
pub(crate) mod driver;
pub mod metrics;
mod operator;
pub mod report;
pub mod scenario;
#[cfg(test)]
mod tests;
mod world;

pub use metrics::Metrics;
pub use report::{ModeRun, RunFacts, SimReport};
pub use scenario::{Area, Scenario};

use crate::demo::RegionSpec;
use crate::rules::{BUILT_IN_FILES, RuleSet};
use chrono::{DateTime, Utc};

/// What the storm mode's rules file is called; a rule set without it has no storm mode.
pub const STORM_FILE: &str = crate::rules::storm::FILE;

/// What `simulate storm` reports for a mode the rules cannot run.
pub const STORM_MISSING: &str = "storm mode not in these rules";

/// How the desk dispatches in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Today's practice: the chains as on a normal day, the operator assigning by hand.
    Greedy,
    /// Storm mode: the rules' `storm.toml`, the desk's triage and global assignment.
    Storm,
}

impl Mode {
    /// `greedy` or `storm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Greedy => "greedy",
            Mode::Storm => "storm",
        }
    }
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSpec {
    /// The demo region the storm strikes.
    pub region: RegionSpec,
    /// Entrapments (each on a different lift of the area).
    pub entrapments: usize,
    /// Minutes over which the entrapments start (evenly at random).
    pub minutes: f64,
    /// A street (街道) or district code of the region; `None`: the street with most lifts.
    pub area: Option<String>,
    /// Seed of every random draw of the run (the region has its own).
    pub seed: u64,
    /// Share of alarms reporting a person ill or a child alone (0–1).
    pub special_share: f64,
    /// Share of pages a crew declines (0–1); the rest are accepted.
    pub decline_share: f64,
    /// When the storm starts (simulated time).
    pub start: DateTime<Utc>,
}

impl Default for SimSpec {
    fn default() -> Self {
        SimSpec {
            region: RegionSpec::default(),
            entrapments: 500,
            minutes: 5.0,
            area: None,
            seed: 1,
            special_share: 0.05,
            decline_share: 0.0,
            // Tuesday 2026-12-01 10:00 UTC (18:00 China time, the evening peak): a fixed
            // moment, so runs repeat exactly.
            start: DateTime::from_timestamp(1_796_119_200, 0).unwrap_or_default(),
        }
    }
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The storm asked for does not fit the region.
    #[error("{0}")]
    Scenario(String),
    /// The rules did not load.
    #[error("the built-in rules do not load: {0}")]
    Rules(String),
    /// The desk or the driver failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// The rules a mode runs: the built-in `*.toml` files, without [`STORM_FILE`] for greedy.
/// `Ok(None)`: storm mode asked for, but these rules have no storm mode.
pub fn rules_for(mode: Mode) -> Result<Option<RuleSet>, SimError> {
    let files: Vec<(String, String)> = BUILT_IN_FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".toml") && *name != crate::rules::quality::FILE)
        .filter(|(name, _)| mode == Mode::Storm || *name != STORM_FILE)
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
    let rules = RuleSet::parse_files(&files).map_err(|errors| {
        let first = errors.first().map(ToString::to_string).unwrap_or_default();
        SimError::Rules(first)
    })?;
    Ok((mode == Mode::Greedy || rules.storm.is_some()).then_some(rules))
}

/// Runs the storm once in each of `modes`, in order, and reports every run (a mode these
/// rules cannot run is reported as such, not an error).
pub async fn simulate(spec: &SimSpec, modes: &[Mode]) -> Result<SimReport, SimError> {
    let region = crate::demo::region(&spec.region, spec.start);
    let scenario = scenario::plan(&region, spec).map_err(SimError::Scenario)?;
    let mut runs = Vec::new();
    for &mode in modes {
        let run = match rules_for(mode)? {
            Some(rules) => {
                let version = rules.version.to_string();
                let played = world::play(&region, &scenario, spec, rules).await?;
                ModeRun::Ran {
                    mode,
                    rules_version: version,
                    metrics: Box::new(played.metrics),
                    run: played.facts,
                }
            }
            None => ModeRun::Unavailable {
                mode,
                unavailable: STORM_MISSING.into(),
            },
        };
        runs.push(run);
    }
    Ok(SimReport::new(spec, &region, &scenario, runs))
}
