//! The lift quality evaluation (seed §二, §四.1, §六.2, §十二), built mainly on failure rate and
//! service life, from the log's incident facts and the lifts' equipment history. Pure: the
//! caller reads the store and passes `now`.
//!
//! Per lift over a period:
//!
//! - **entrapments**: incidents in which a person was trapped (not false alarms, not
//!   cancelled);
//! - **fault incidents**: incidents opened by fault alarms with nobody trapped (not false
//!   alarms, not cancelled);
//! - **equipment faults**: the lift's alarm equipment reported faulty (an IoT terminal silent,
//!   a cabin phone's line or test call faulty);
//! - **failures** = entrapments + fault incidents + equipment faults; the **failure rate** is
//!   failures per year (failures ÷ the period in years of 365.25 days). Entrapments are also
//!   given per year: trip counts are not in the log yet, so no rate per 10,000 trips can be
//!   made (`entrapments_per_10k_trips` is null and `rate_basis` says `per_year`);
//! - **fault causes filed** and **repeated causes**: a cause code filed on two or more of the
//!   period's incidents;
//! - **service life**: years from commissioning to `now`; the years of `flag_years` reached are
//!   flagged (10 and 15 by default);
//! - the **三无 flags** from the registry's lift;
//! - **time since the last failure** in the period;
//! - the **score** and **grade** ([`score`]) with the reasons in Chinese and English.

pub mod history;
pub mod lists;
pub mod score;
pub mod suspicious;
#[cfg(test)]
mod tests;

use super::IncidentFacts;
use super::facts::Outcome;
use super::search::Period;
use crate::domain::{CompanyId, IncidentId, Lift, LiftFlags, LiftId};
use crate::rules::quality::QualityConfig;
use crate::store::review::LiftEvent;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use score::{Deduction, Grade, Reason};

/// What the per-year rates stand on.
pub const RATE_NOTE: &str = "trip counts are not in the log yet: rates are per year, not per \
     10,000 trips (行程次数暂无数据，按年计)";

/// A fault cause filed more than once in the period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RepeatedCause {
    /// The cause code.
    pub code: String,
    /// How many incidents it was filed on.
    pub times: u32,
    /// Those incidents, oldest first.
    pub incidents: Vec<IncidentId>,
}

/// One lift's evaluation over a period (see the module docs for every definition).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Evaluation {
    /// The lift.
    pub lift: LiftId,
    /// Its rescue code.
    pub rescue_code: String,
    /// Its registration code.
    pub registration_code: String,
    /// Address and building.
    pub address: String,
    /// Street, when the registry says.
    pub street: Option<String>,
    /// The contracted maintenance company now (registry).
    pub company: Option<CompanyId>,
    /// Commissioning date.
    pub commissioned: Option<chrono::NaiveDate>,
    /// Years in service at `now`.
    pub service_years: Option<f64>,
    /// The flagged service years reached (e.g. `[10, 15]`).
    pub service_flags: Vec<u32>,
    /// The 三无 flags.
    pub sanwu: LiftFlags,
    /// How many of them are set.
    pub sanwu_count: u32,
    /// Incidents of the lift opened in the period.
    pub incidents: u32,
    /// Entrapments.
    pub entrapments: u32,
    /// Fault incidents (nobody trapped).
    pub fault_incidents: u32,
    /// Alarm-equipment faults.
    pub equipment_faults: u32,
    /// Fault causes filed.
    pub causes_filed: u32,
    /// Entrapments + fault incidents + equipment faults.
    pub failures: u32,
    /// Failures per year.
    pub failures_per_year: f64,
    /// Entrapments per year.
    pub entrapments_per_year: f64,
    /// Entrapments per 10,000 trips: null until trip counts are known.
    pub entrapments_per_10k_trips: Option<f64>,
    /// `per_year`: what the rates are per.
    pub rate_basis: &'static str,
    /// Why (see [`RATE_NOTE`]).
    pub rate_note: &'static str,
    /// Fault causes filed twice or more.
    pub repeated_causes: Vec<RepeatedCause>,
    /// The last failure in the period.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// Days from it to `now`.
    pub days_since_last_failure: Option<f64>,
    /// Average alarm → release of the period's released entrapments, minutes.
    pub mean_release_minutes: Option<f64>,
    /// 100 less the deductions.
    pub score: f64,
    /// A to D.
    pub grade: Grade,
    /// Each deduction that took points.
    pub deductions: Vec<Deduction>,
    /// Why the grade, in words.
    pub reasons: Vec<Reason>,
    /// Due for a safety assessment (§六.2).
    pub safety_assessment_due: bool,
    /// On the public disclosure list (§十二).
    pub disclosure: bool,
}

/// The period's length in years (365.25 days), never zero.
pub fn years(period: Period) -> f64 {
    ((period.to - period.from).num_seconds() as f64 / (365.25 * 86_400.0)).max(1e-9)
}

/// Counts as a failure: neither a false alarm nor cancelled.
pub fn counts(f: &IncidentFacts) -> bool {
    !matches!(f.outcome, Outcome::FalseAlarm | Outcome::Cancelled)
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

/// The fault causes filed on more than one of these incidents, most repeated first.
pub fn repeated_causes(facts: &[&IncidentFacts]) -> Vec<RepeatedCause> {
    let mut by: BTreeMap<&str, Vec<IncidentId>> = BTreeMap::new();
    for f in facts.iter().filter(|f| counts(f)) {
        if let Some(code) = f.fault_cause.as_deref() {
            by.entry(code).or_default().push(f.id);
        }
    }
    let mut out: Vec<RepeatedCause> = by
        .into_iter()
        .filter(|(_, ids)| ids.len() >= 2)
        .map(|(code, incidents)| RepeatedCause {
            code: code.to_owned(),
            times: incidents.len() as u32,
            incidents,
        })
        .collect();
    out.sort_by(|a, b| b.times.cmp(&a.times).then(a.code.cmp(&b.code)));
    out
}

/// Evaluates one lift: its incidents' facts and equipment faults in `period` (others are
/// ignored), at `now`.
pub fn evaluate(
    cfg: &QualityConfig,
    lift: &Lift,
    facts: &[&IncidentFacts],
    faults: &[&LiftEvent],
    period: Period,
    now: DateTime<Utc>,
) -> Evaluation {
    let inside = |t: DateTime<Utc>| t >= period.from && t < period.to;
    let facts: Vec<&IncidentFacts> = facts
        .iter()
        .copied()
        .filter(|f| f.lift == Some(lift.id) && inside(f.opened_at))
        .collect();
    let faults: Vec<&LiftEvent> = faults
        .iter()
        .copied()
        .filter(|e| e.lift == lift.id && e.kind == "equipment_fault" && inside(e.at))
        .collect();
    let counted: Vec<&IncidentFacts> = facts.iter().copied().filter(|f| counts(f)).collect();
    let entrapments = counted.iter().filter(|f| f.entrapment).count() as u32;
    let fault_incidents = counted.len() as u32 - entrapments;
    let equipment_faults = faults.len() as u32;
    let failures = entrapments + fault_incidents + equipment_faults;
    let y = years(period);
    let last_failure_at = counted
        .iter()
        .map(|f| f.alarm_at)
        .chain(faults.iter().map(|e| e.at))
        .max();
    let releases: Vec<f64> = counted
        .iter()
        .filter(|f| f.entrapment)
        .filter_map(|f| Some((f.released_at? - f.alarm_at).num_seconds() as f64 / 60.0))
        .collect();
    let service_years = lift
        .commissioned
        .map(|c| ((now.date_naive() - c).num_days() as f64 / 365.25).max(0.0));
    let flags = lift.flags;
    let sanwu_count = [
        flags.no_property_management,
        flags.no_maintenance_unit,
        flags.no_repair_fund,
    ]
    .iter()
    .filter(|b| **b)
    .count() as u32;
    let mut e = Evaluation {
        lift: lift.id,
        rescue_code: lift.rescue_code.to_string(),
        registration_code: lift.registration_code.to_string(),
        address: format!("{} {}", lift.address, lift.building)
            .trim()
            .to_owned(),
        street: lift.street.clone(),
        company: lift.maintainer,
        commissioned: lift.commissioned,
        service_years: service_years.map(|v| round(v, 1)),
        service_flags: cfg
            .flag_years
            .iter()
            .copied()
            .filter(|f| service_years.is_some_and(|y| y >= f64::from(*f)))
            .collect(),
        sanwu: flags,
        sanwu_count,
        incidents: facts.len() as u32,
        entrapments,
        fault_incidents,
        equipment_faults,
        causes_filed: counted.iter().filter(|f| f.fault_cause.is_some()).count() as u32,
        failures,
        failures_per_year: round(f64::from(failures) / y, 2),
        entrapments_per_year: round(f64::from(entrapments) / y, 2),
        entrapments_per_10k_trips: None,
        rate_basis: "per_year",
        rate_note: RATE_NOTE,
        repeated_causes: repeated_causes(&counted),
        last_failure_at,
        days_since_last_failure: last_failure_at
            .map(|t| round((now - t).num_seconds().max(0) as f64 / 86_400.0, 1)),
        mean_release_minutes: (!releases.is_empty())
            .then(|| round(releases.iter().sum::<f64>() / releases.len() as f64, 1)),
        score: 100.0,
        grade: Grade::A,
        deductions: Vec::new(),
        reasons: Vec::new(),
        safety_assessment_due: false,
        disclosure: false,
    };
    score::grade(cfg, &mut e);
    e
}

/// Evaluates every lift over `period`, worst first (lowest score, then most failures, then
/// lift id).
pub fn evaluate_all(
    cfg: &QualityConfig,
    lifts: &[Lift],
    facts: &[IncidentFacts],
    faults: &[LiftEvent],
    period: Period,
    now: DateTime<Utc>,
) -> Vec<Evaluation> {
    let mut facts_by: HashMap<LiftId, Vec<&IncidentFacts>> = HashMap::new();
    for f in facts {
        if let Some(l) = f.lift {
            facts_by.entry(l).or_default().push(f);
        }
    }
    let mut faults_by: HashMap<LiftId, Vec<&LiftEvent>> = HashMap::new();
    for e in faults {
        faults_by.entry(e.lift).or_default().push(e);
    }
    let none_f: Vec<&IncidentFacts> = Vec::new();
    let none_e: Vec<&LiftEvent> = Vec::new();
    let mut out: Vec<Evaluation> = lifts
        .iter()
        .map(|l| {
            let f = facts_by.get(&l.id).unwrap_or(&none_f);
            let e = faults_by.get(&l.id).unwrap_or(&none_e);
            evaluate(cfg, l, f, e, period, now)
        })
        .collect();
    out.sort_by(|a, b| {
        a.score
            .total_cmp(&b.score)
            .then(b.failures.cmp(&a.failures))
            .then(a.lift.0.cmp(&b.lift.0))
    });
    out
}
