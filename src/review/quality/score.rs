//! The score, the grade and the reasons, by the formula of `quality.toml`:
//!
//! ```text
//! score = 100 − failure_rate.points × failures a year          (at most failure_rate.max)
//!             − age.points × years in service beyond from_years (at most age.max)
//!             − sanwu.points × 三无 flags set                    (at most sanwu.max)
//!             − repeat_faults.points × repeats of a cause       (at most repeat_faults.max)
//!             − rescue_time.points × minutes the average alarm → release of the period's
//!               entrapments exceeds target_minutes              (at most rescue_time.max)
//! grade = A from grades.a, B from grades.b, C from grades.c, else D
//! ```
//!
//! A repeat is each filing of a cause code after its first in the period (a cause filed three
//! times is two repeats). Scores are rounded to one decimal.

use super::Evaluation;
use crate::rules::quality::QualityConfig;
use serde::Serialize;

/// A grade, A best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
pub enum Grade {
    /// From `grades.a`.
    A,
    /// From `grades.b`.
    B,
    /// From `grades.c`.
    C,
    /// Below `grades.c`.
    D,
}

impl Grade {
    /// Its letter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
        }
    }

    /// Parses a letter (either case).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::A, Self::B, Self::C, Self::D]
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The grade of `score` under `cfg`'s floors.
    pub fn of(cfg: &QualityConfig, score: f64) -> Self {
        let g = &cfg.grades;
        if score >= g.a {
            Self::A
        } else if score >= g.b {
            Self::B
        } else if score >= g.c {
            Self::C
        } else {
            Self::D
        }
    }
}

/// One term of the score that took points.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Deduction {
    /// `failure_rate`, `age`, `sanwu`, `repeat_faults` or `rescue_time`.
    pub factor: &'static str,
    /// The measure it was computed from (failures a year, years over, flags, repeats,
    /// minutes over).
    pub measure: f64,
    /// Points taken.
    pub points: f64,
}

/// A reason for a grade, in both languages.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reason {
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn reason(zh: String, en: String) -> Reason {
    Reason { zh, en }
}

/// Computes `e`'s score, grade, deductions, reasons and list flags from its measures.
pub fn grade(cfg: &QualityConfig, e: &mut Evaluation) {
    let w = &cfg.weights;
    let repeats: u32 = e.repeated_causes.iter().map(|r| r.times - 1).sum();
    let years_over = e
        .service_years
        .map_or(0.0, |y| (y - w.age_from_years).max(0.0));
    let minutes_over = e
        .mean_release_minutes
        .map_or(0.0, |m| (m - w.rescue_target_minutes).max(0.0));
    let terms = [
        ("failure_rate", w.failure_rate, e.failures_per_year),
        ("age", w.age, years_over),
        ("sanwu", w.sanwu, f64::from(e.sanwu_count)),
        ("repeat_faults", w.repeat_faults, f64::from(repeats)),
        ("rescue_time", w.rescue_time, minutes_over),
    ];
    e.deductions = terms
        .iter()
        .map(|(factor, weight, measure)| Deduction {
            factor,
            measure: round1(*measure),
            points: round1(weight.deduct(*measure)),
        })
        .filter(|d| d.points > 0.0)
        .collect();
    let taken: f64 = e.deductions.iter().map(|d| d.points).sum();
    e.score = round1((100.0 - taken).max(0.0));
    e.grade = Grade::of(cfg, e.score);
    e.safety_assessment_due = e
        .service_years
        .is_some_and(|y| y >= cfg.assessment_age_years)
        || e.failures_per_year >= cfg.assessment_failures_per_year;
    e.disclosure = e.failures > 0 && e.failures_per_year >= cfg.disclosure_failures_per_year;
    e.reasons = reasons(cfg, e, minutes_over);
}

/// The reasons, one per deduction (and for flags that cost nothing), in the order of the
/// formula.
fn reasons(cfg: &QualityConfig, e: &Evaluation, minutes_over: f64) -> Vec<Reason> {
    let points = |factor: &str| {
        e.deductions
            .iter()
            .find(|d| d.factor == factor)
            .map_or(0.0, |d| d.points)
    };
    let mut out = vec![reason(
        format!("评分 {:.1}，等级 {}", e.score, e.grade.as_str()),
        format!("score {:.1}, grade {}", e.score, e.grade.as_str()),
    )];
    if e.failures > 0 {
        let p = points("failure_rate");
        out.push(reason(
            format!(
                "故障率 {:.1} 次/年（困人 {}、故障 {}、报警设备故障 {}），扣 {p:.1} 分",
                e.failures_per_year, e.entrapments, e.fault_incidents, e.equipment_faults
            ),
            format!(
                "fails {:.1} times a year ({} entrapments, {} fault incidents, {} alarm-equipment \
                 faults): −{p:.1}",
                e.failures_per_year, e.entrapments, e.fault_incidents, e.equipment_faults
            ),
        ));
    }
    if let Some(y) = e.service_years.filter(|_| !e.service_flags.is_empty()) {
        let flags = e
            .service_flags
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>();
        let p = points("age");
        out.push(reason(
            format!(
                "已使用 {y:.1} 年（满 {} 年），扣 {p:.1} 分",
                flags.join("、")
            ),
            format!(
                "in service {y:.1} years (past {} years): −{p:.1}",
                flags.join(" and ")
            ),
        ));
    }
    if e.sanwu_count > 0 {
        let mut zh = Vec::new();
        let mut en = Vec::new();
        let f = e.sanwu;
        for (set, z, n) in [
            (
                f.no_property_management,
                "无物业管理",
                "no property management",
            ),
            (f.no_maintenance_unit, "无维保单位", "no maintenance unit"),
            (f.no_repair_fund, "无维修资金", "no repair fund"),
        ] {
            if set {
                zh.push(z);
                en.push(n);
            }
        }
        let p = points("sanwu");
        out.push(reason(
            format!("三无电梯：{}，扣 {p:.1} 分", zh.join("、")),
            format!("三无 lift: {}: −{p:.1}", en.join(", ")),
        ));
    }
    if !e.repeated_causes.is_empty() {
        let zh: Vec<String> = e
            .repeated_causes
            .iter()
            .map(|r| format!("{} {} 次", r.code, r.times))
            .collect();
        let en: Vec<String> = e
            .repeated_causes
            .iter()
            .map(|r| format!("{} {} times", r.code, r.times))
            .collect();
        let p = points("repeat_faults");
        out.push(reason(
            format!("同一故障原因重复出现：{}，扣 {p:.1} 分", zh.join("、")),
            format!("the same fault cause again: {}: −{p:.1}", en.join(", ")),
        ));
    }
    if minutes_over > 0.0 {
        let m = e.mean_release_minutes.unwrap_or_default();
        let t = cfg.weights.rescue_target_minutes;
        let p = points("rescue_time");
        out.push(reason(
            format!("困人平均 {m:.0} 分钟获救（目标 {t:.0} 分钟），扣 {p:.1} 分"),
            format!("entrapments took {m:.0} min on average to release (target {t:.0}): −{p:.1}"),
        ));
    }
    if e.safety_assessment_due {
        out.push(reason(
            "应进行安全评估（使用满年限或故障频率高）".into(),
            "due for a safety assessment (years in service or failure frequency)".into(),
        ));
    }
    if e.deductions.is_empty() {
        out.push(reason(
            "期内无扣分项".into(),
            "nothing deducted in the period".into(),
        ));
    }
    out
}
