//! `quality.toml`: the lift quality evaluation's formula, grades and list thresholds, kept
//! beside the dispatch rules (seed §二, §四.1, §六.2, §十二).
//!
//! It is parsed as strictly as a rules file (unknown keys refused, every problem reported with
//! its line and key), but it is not a dispatch rules file: it never changes a chain and is not
//! part of the rules version. The shipped `dispatch-rules/quality.toml` is built in, like the
//! rules, and applies when the rules folder has none. The evaluation itself is
//! [`crate::review::quality`].

use super::RulesError;
use super::file::{Source, key_at};
use super::source::{BUILT_IN_FILES, RulesSource};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The file's name in a rules folder.
pub const FILE: &str = "quality.toml";

/// One deduction: `points` for each unit of its measure, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Weight {
    /// Points per unit of the measure.
    pub points: f64,
    /// The most this deduction takes.
    pub max: f64,
}

impl Weight {
    /// The deduction for `measure` units: `points × measure`, between 0 and `max`.
    pub fn deduct(&self, measure: f64) -> f64 {
        (self.points * measure).clamp(0.0, self.max)
    }
}

/// The weights of the score.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Weights {
    /// Per failure a year.
    pub failure_rate: Weight,
    /// Per year in service beyond `age_from_years`.
    pub age: Weight,
    /// Years in service that cost nothing.
    pub age_from_years: f64,
    /// Per 三无 flag.
    pub sanwu: Weight,
    /// Per repeat of a fault cause.
    pub repeat_faults: Weight,
    /// Per minute the average alarm → release time exceeds `rescue_target_minutes`.
    pub rescue_time: Weight,
    /// The alarm → release time that costs nothing, minutes.
    pub rescue_target_minutes: f64,
}

/// The lowest score of each grade (D is everything below C).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Grades {
    /// A from this score.
    pub a: f64,
    /// B from this score.
    pub b: f64,
    /// C from this score.
    pub c: f64,
}

/// How suspicious fault reports are found.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Suspicion {
    /// Cause codes that claim a major failure; empty: every cause.
    pub major_causes: Vec<String>,
    /// Hours either side of the alarm in which an equipment fault supports a cause.
    pub support_window_hours: f64,
    /// A company's major share at least this many times its peers' is listed.
    pub company_share_factor: f64,
    /// Causes a company must have filed to be compared.
    pub min_causes: u32,
}

impl Suspicion {
    /// Is `code` a major cause?
    pub fn is_major(&self, code: &str) -> bool {
        self.major_causes.is_empty() || self.major_causes.iter().any(|c| c == code)
    }
}

/// A checked `quality.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QualityConfig {
    /// What the file is for.
    pub description: String,
    /// `built-in` or the file's path.
    pub source: String,
    /// The score's deductions.
    pub weights: Weights,
    /// Grade floors.
    pub grades: Grades,
    /// Years in service that are flagged (10 and 15 by default).
    pub flag_years: Vec<u32>,
    /// §六.2: due for a safety assessment from this many years in service…
    pub assessment_age_years: f64,
    /// …or from this many failures a year.
    pub assessment_failures_per_year: f64,
    /// §十二: on the disclosure list from this many failures a year.
    pub disclosure_failures_per_year: f64,
    /// Suspicious fault reports.
    pub suspicious: Suspicion,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeight {
    points: Spanned<f64>,
    max: Spanned<f64>,
    from_years: Option<Spanned<f64>>,
    target_minutes: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWeights {
    failure_rate: RawWeight,
    age: RawWeight,
    sanwu: RawWeight,
    repeat_faults: RawWeight,
    rescue_time: RawWeight,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrades {
    a: Spanned<f64>,
    b: Spanned<f64>,
    c: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLife {
    flag_years: Spanned<Vec<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssessment {
    age_years: Spanned<f64>,
    failures_per_year: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDisclosure {
    failures_per_year: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuspicious {
    #[serde(default)]
    major_causes: Vec<String>,
    support_window_hours: Spanned<f64>,
    company_share_factor: Spanned<f64>,
    min_causes: Spanned<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuality {
    description: String,
    weights: RawWeights,
    grades: RawGrades,
    service_life: RawLife,
    safety_assessment: RawAssessment,
    disclosure: RawDisclosure,
    suspicious: RawSuspicious,
}

/// Collects range errors with their lines.
struct Checker<'a> {
    src: Source<'a>,
    errors: Vec<RulesError>,
}

impl Checker<'_> {
    /// `v`, or an error when it is negative or not finite.
    fn non_negative(&mut self, key: &str, v: &Spanned<f64>) -> f64 {
        let x = *v.get_ref();
        if !x.is_finite() || x < 0.0 {
            let m = format!("must be a number ≥ 0, not {x}");
            self.errors.push(self.src.error(v.span(), key, m));
        }
        x
    }

    fn weight(&mut self, key: &str, w: &RawWeight, extra: Option<&str>) -> (Weight, f64) {
        let points = self.non_negative(&format!("{key}.points"), &w.points);
        let max = self.non_negative(&format!("{key}.max"), &w.max);
        let (given, name) = match extra {
            Some("from_years") => (w.from_years.as_ref(), "from_years"),
            Some(_) => (w.target_minutes.as_ref(), "target_minutes"),
            None => (None, ""),
        };
        let stray = [
            ("from_years", w.from_years.as_ref()),
            ("target_minutes", w.target_minutes.as_ref()),
        ];
        for (k, v) in stray {
            if let Some(v) = v.filter(|_| extra != Some(k)) {
                let m = format!("`{k}` does not apply to this weight");
                self.errors
                    .push(self.src.error(v.span(), &format!("{key}.{k}"), m));
            }
        }
        let value = match (extra, given) {
            (Some(_), Some(v)) => self.non_negative(&format!("{key}.{name}"), v),
            (Some(_), None) => {
                let m = format!("`{name}` is required");
                let e = self.src.error(0..0, &format!("{key}.{name}"), m);
                self.errors.push(RulesError { line: 0, ..e });
                0.0
            }
            (None, _) => 0.0,
        };
        (Weight { points, max }, value)
    }
}

impl QualityConfig {
    /// Parses and checks `text` (named `name` in errors); every problem is returned.
    pub fn parse(name: &str, text: &str, source: &str) -> Result<Self, Vec<RulesError>> {
        let src = Source { name, text };
        let raw: RawQuality = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let key = key_at(text, span.clone(), e.message());
            vec![src.error(span, &key, e.message().trim())]
        })?;
        let mut c = Checker {
            src,
            errors: Vec::new(),
        };
        let w = &raw.weights;
        let (failure_rate, _) = c.weight("weights.failure_rate", &w.failure_rate, None);
        let (age, age_from_years) = c.weight("weights.age", &w.age, Some("from_years"));
        let (sanwu, _) = c.weight("weights.sanwu", &w.sanwu, None);
        let (repeat_faults, _) = c.weight("weights.repeat_faults", &w.repeat_faults, None);
        let (rescue_time, rescue_target_minutes) = c.weight(
            "weights.rescue_time",
            &w.rescue_time,
            Some("target_minutes"),
        );
        let g = &raw.grades;
        let grades = Grades {
            a: c.non_negative("grades.a", &g.a),
            b: c.non_negative("grades.b", &g.b),
            c: c.non_negative("grades.c", &g.c),
        };
        if !(grades.a <= 100.0 && grades.a > grades.b && grades.b > grades.c) {
            let m = "grades must fall: 100 ≥ a > b > c ≥ 0";
            c.errors.push(c.src.error(g.a.span(), "grades", m));
        }
        let a = &raw.safety_assessment;
        let s = &raw.suspicious;
        let config = QualityConfig {
            description: raw.description.clone(),
            source: source.to_owned(),
            weights: Weights {
                failure_rate,
                age,
                age_from_years,
                sanwu,
                repeat_faults,
                rescue_time,
                rescue_target_minutes,
            },
            grades,
            flag_years: raw.service_life.flag_years.get_ref().clone(),
            assessment_age_years: c.non_negative("safety_assessment.age_years", &a.age_years),
            assessment_failures_per_year: c
                .non_negative("safety_assessment.failures_per_year", &a.failures_per_year),
            disclosure_failures_per_year: c.non_negative(
                "disclosure.failures_per_year",
                &raw.disclosure.failures_per_year,
            ),
            suspicious: Suspicion {
                major_causes: s.major_causes.clone(),
                support_window_hours: c
                    .non_negative("suspicious.support_window_hours", &s.support_window_hours),
                company_share_factor: c
                    .non_negative("suspicious.company_share_factor", &s.company_share_factor),
                min_causes: *s.min_causes.get_ref(),
            },
        };
        if c.errors.is_empty() {
            Ok(config)
        } else {
            Err(c.errors)
        }
    }

    /// The shipped `quality.toml`, compiled in. A test proves it passes the checks.
    pub fn built_in() -> Result<Self, Vec<RulesError>> {
        let text = BUILT_IN_FILES
            .iter()
            .find(|(n, _)| *n == FILE)
            .map(|(_, t)| *t)
            .unwrap_or_default();
        Self::parse(FILE, text, "built-in")
    }

    /// The folder's `quality.toml` if it has one, else the built-in one.
    pub fn load(source: &RulesSource) -> Result<Self, Vec<RulesError>> {
        match source {
            RulesSource::Folder(dir) => Self::load_dir(dir),
            RulesSource::BuiltIn => Self::built_in(),
        }
    }

    /// `dir/quality.toml` if it exists, else the built-in one.
    pub fn load_dir(dir: &std::path::Path) -> Result<Self, Vec<RulesError>> {
        let path = dir.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(FILE, &text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::built_in(),
            Err(e) => Err(vec![RulesError {
                file: FILE.into(),
                line: 0,
                key: String::new(),
                message: format!("cannot read: {e}"),
            }]),
        }
    }

    /// One line for `rules check`.
    pub fn summary(&self) -> String {
        let w = &self.weights;
        format!(
            "{FILE} ({}): score = 100 − failure rate {}/a year (≤ {}) − age {}/year over {} (≤ {}) \
             − 三无 {}/flag (≤ {}) − repeat faults {}/repeat (≤ {}) − rescue {}/min over {} min \
             (≤ {}); grades A ≥ {}, B ≥ {}, C ≥ {}",
            self.source,
            w.failure_rate.points,
            w.failure_rate.max,
            w.age.points,
            w.age_from_years,
            w.age.max,
            w.sanwu.points,
            w.sanwu.max,
            w.repeat_faults.points,
            w.repeat_faults.max,
            w.rescue_time.points,
            w.rescue_target_minutes,
            w.rescue_time.max,
            self.grades.a,
            self.grades.b,
            self.grades.c
        )
    }
}
