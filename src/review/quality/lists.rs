//! The lists the bureaus use, each a set of flat rows (JSON and CSV alike):
//!
//! - **safety assessment** (§六.2): lifts in use `safety_assessment.age_years` or more, or
//!   failing `safety_assessment.failures_per_year` times a year or more; oldest first;
//! - **三无** (§二.1): lifts with any of the three flags; most flags first;
//! - **disclosure** (§十二): lifts failing `disclosure.failures_per_year` times a year or more;
//!   highest rate first;
//! - **companies** (§十二): each maintenance company's entrapments in the period (the company
//!   contracted at the time of each incident) per lift it maintains now (registry); most per
//!   lift first;
//! - **suspicious** fault reports ([`super::suspicious`]).

use super::{Evaluation, counts};
use crate::domain::{CompanyId, Lift};
use crate::review::IncidentFacts;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use super::suspicious::{Suspicious, suspicious};

/// Which list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// §六.2.
    SafetyAssessment,
    /// §二.1.
    Sanwu,
    /// §十二, lifts.
    Disclosure,
    /// §十二, companies.
    Companies,
    /// Fault reports for review.
    Suspicious,
}

impl ListKind {
    /// The names the API takes.
    pub const NAMES: [&'static str; 5] = [
        "safety_assessment",
        "sanwu",
        "disclosure",
        "companies",
        "suspicious",
    ];

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        let all = [
            Self::SafetyAssessment,
            Self::Sanwu,
            Self::Disclosure,
            Self::Companies,
            Self::Suspicious,
        ];
        Self::NAMES.iter().position(|n| *n == s).map(|i| all[i])
    }
}

/// A lift on a list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LiftRow {
    /// Registry id.
    pub lift_id: i64,
    /// Rescue code.
    pub rescue_code: String,
    /// Registration code.
    pub registration_code: String,
    /// Address and building.
    pub address: String,
    /// Street.
    pub street: String,
    /// Maintenance company now (0: none).
    pub company_id: i64,
    /// Its name.
    pub company_name: String,
    /// Commissioning date (empty: not known).
    pub commissioned: String,
    /// Years in service (empty: not known).
    pub service_years: Option<f64>,
    /// The 三无 flags set, `;`-separated.
    pub sanwu: String,
    /// Entrapments in the period.
    pub entrapments: u32,
    /// Failures in the period.
    pub failures: u32,
    /// Failures a year.
    pub failures_per_year: f64,
    /// Score.
    pub score: f64,
    /// Grade.
    pub grade: String,
    /// Why it is on the list, in Chinese.
    pub why_zh: String,
    /// In English.
    pub why_en: String,
}

fn lift_row(e: &Evaluation, names: &HashMap<CompanyId, String>, why: (String, String)) -> LiftRow {
    LiftRow {
        lift_id: e.lift.0,
        rescue_code: e.rescue_code.clone(),
        registration_code: e.registration_code.clone(),
        address: e.address.clone(),
        street: e.street.clone().unwrap_or_default(),
        company_id: e.company.map_or(0, |c| c.0),
        company_name: e
            .company
            .and_then(|c| names.get(&c).cloned())
            .unwrap_or_default(),
        commissioned: e.commissioned.map(|d| d.to_string()).unwrap_or_default(),
        service_years: e.service_years,
        sanwu: crate::rules::lift_flag_names(e.sanwu).join(";"),
        entrapments: e.entrapments,
        failures: e.failures,
        failures_per_year: e.failures_per_year,
        score: e.score,
        grade: e.grade.as_str().to_owned(),
        why_zh: why.0,
        why_en: why.1,
    }
}

/// §六.2: due for a safety assessment, oldest first.
pub fn safety_assessment(
    evals: &[Evaluation],
    names: &HashMap<CompanyId, String>,
    age_years: f64,
    failures_per_year: f64,
) -> Vec<LiftRow> {
    let mut due: Vec<&Evaluation> = evals.iter().filter(|e| e.safety_assessment_due).collect();
    due.sort_by(|a, b| {
        b.service_years
            .unwrap_or(0.0)
            .total_cmp(&a.service_years.unwrap_or(0.0))
            .then(b.failures_per_year.total_cmp(&a.failures_per_year))
    });
    due.into_iter()
        .map(|e| {
            let mut zh = Vec::new();
            let mut en = Vec::new();
            if let Some(y) = e.service_years.filter(|y| *y >= age_years) {
                zh.push(format!("已使用 {y:.1} 年（≥ {age_years} 年）"));
                en.push(format!("in service {y:.1} years (≥ {age_years})"));
            }
            if e.failures_per_year >= failures_per_year {
                zh.push(format!(
                    "故障 {:.1} 次/年（≥ {failures_per_year}）",
                    e.failures_per_year
                ));
                en.push(format!(
                    "fails {:.1} times a year (≥ {failures_per_year})",
                    e.failures_per_year
                ));
            }
            lift_row(e, names, (zh.join("；"), en.join("; ")))
        })
        .collect()
}

/// §二.1: the 三无 lifts, most flags first.
pub fn sanwu(evals: &[Evaluation], names: &HashMap<CompanyId, String>) -> Vec<LiftRow> {
    let mut rows: Vec<&Evaluation> = evals.iter().filter(|e| e.sanwu_count > 0).collect();
    rows.sort_by(|a, b| b.sanwu_count.cmp(&a.sanwu_count).then(a.lift.cmp(&b.lift)));
    rows.into_iter()
        .map(|e| {
            let why = e
                .reasons
                .iter()
                .find(|r| r.zh.starts_with("三无"))
                .map(|r| (r.zh.clone(), r.en.clone()))
                .unwrap_or_default();
            lift_row(e, names, why)
        })
        .collect()
}

/// §十二: lifts with high failure rates, highest first.
pub fn disclosure(evals: &[Evaluation], names: &HashMap<CompanyId, String>) -> Vec<LiftRow> {
    let mut rows: Vec<&Evaluation> = evals.iter().filter(|e| e.disclosure).collect();
    rows.sort_by(|a, b| {
        b.failures_per_year
            .total_cmp(&a.failures_per_year)
            .then(a.lift.cmp(&b.lift))
    });
    rows.into_iter()
        .map(|e| {
            let why = (
                format!(
                    "故障 {:.1} 次/年（困人 {} 次）",
                    e.failures_per_year, e.entrapments
                ),
                format!(
                    "fails {:.1} times a year ({} entrapments)",
                    e.failures_per_year, e.entrapments
                ),
            );
            lift_row(e, names, why)
        })
        .collect()
}

/// A maintenance company on the §十二 list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CompanyRow {
    /// 1 for the most entrapments per lift.
    pub rank: u32,
    /// The company.
    pub company_id: i64,
    /// Its name.
    pub company_name: String,
    /// Lifts it maintains now (registry).
    pub lifts_maintained: u32,
    /// Entrapments in the period on lifts it maintained at the time.
    pub entrapments: u32,
    /// Entrapments per lift maintained.
    pub entrapments_per_lift: f64,
}

/// §十二: companies by entrapments per lift maintained, most first. A company with
/// entrapments but no lift in the registry now counts its lifts as 1.
pub fn companies(
    lifts: &[Lift],
    facts: &[IncidentFacts],
    names: &HashMap<CompanyId, String>,
) -> Vec<CompanyRow> {
    let mut by: BTreeMap<CompanyId, (u32, u32)> = BTreeMap::new();
    for l in lifts {
        if let Some(c) = l.maintainer {
            by.entry(c).or_default().0 += 1;
        }
    }
    for f in facts.iter().filter(|f| f.entrapment && counts(f)) {
        if let Some(c) = f.company {
            by.entry(c).or_default().1 += 1;
        }
    }
    let mut rows: Vec<CompanyRow> = by
        .into_iter()
        .map(|(c, (lifts, entrapments))| CompanyRow {
            rank: 0,
            company_id: c.0,
            company_name: names.get(&c).cloned().unwrap_or_default(),
            lifts_maintained: lifts,
            entrapments,
            entrapments_per_lift: (f64::from(entrapments) / f64::from(lifts.max(1)) * 1000.0)
                .round()
                / 1000.0,
        })
        .collect();
    rows.sort_by(|a, b| {
        b.entrapments_per_lift
            .total_cmp(&a.entrapments_per_lift)
            .then(b.entrapments.cmp(&a.entrapments))
            .then(a.company_id.cmp(&b.company_id))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
    }
    rows
}

/// A row as CSV: its header and its values.
pub trait CsvRow {
    /// The column names.
    const HEADER: &'static [&'static str];
    /// This row's values, in the header's order.
    fn record(&self) -> Vec<String>;
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl CsvRow for LiftRow {
    const HEADER: &'static [&'static str] = &[
        "lift_id",
        "rescue_code",
        "registration_code",
        "address",
        "street",
        "company_id",
        "company_name",
        "commissioned",
        "service_years",
        "sanwu",
        "entrapments",
        "failures",
        "failures_per_year",
        "score",
        "grade",
        "why_zh",
        "why_en",
    ];
    fn record(&self) -> Vec<String> {
        vec![
            self.lift_id.to_string(),
            self.rescue_code.clone(),
            self.registration_code.clone(),
            self.address.clone(),
            self.street.clone(),
            self.company_id.to_string(),
            self.company_name.clone(),
            self.commissioned.clone(),
            opt(self.service_years),
            self.sanwu.clone(),
            self.entrapments.to_string(),
            self.failures.to_string(),
            self.failures_per_year.to_string(),
            self.score.to_string(),
            self.grade.clone(),
            self.why_zh.clone(),
            self.why_en.clone(),
        ]
    }
}

impl CsvRow for CompanyRow {
    const HEADER: &'static [&'static str] = &[
        "rank",
        "company_id",
        "company_name",
        "lifts_maintained",
        "entrapments",
        "entrapments_per_lift",
    ];
    fn record(&self) -> Vec<String> {
        vec![
            self.rank.to_string(),
            self.company_id.to_string(),
            self.company_name.clone(),
            self.lifts_maintained.to_string(),
            self.entrapments.to_string(),
            self.entrapments_per_lift.to_string(),
        ]
    }
}

/// Rows as CSV text (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese).
pub fn to_csv<R: CsvRow>(rows: &[R]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(R::HEADER)?;
    for r in rows {
        w.write_record(r.record())?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}
