//! The 96333 platforms' measures over a period, from incidents' facts. Pure.
//!
//! Every measure is defined in [`DEFINITIONS`] (served with each answer and shown on the review
//! page); the times behind them are defined in `review::facts`. Response, arrival and rescue
//! are measured over **entrapments** (a person trapped, not a false alarm) that were not
//! cancelled; averages are arithmetic means in seconds, p90 is the nearest-rank 90th
//! percentile (the smallest value at least 90 % of the values do not exceed).

use super::facts::{BreachKind, IncidentFacts, Outcome};
use super::search::china;
use serde::Serialize;
use std::collections::BTreeMap;

/// Acceptance within this is "responded in time" (the dispatch rules' 3-minute acknowledgement).
pub const RESPONSE_TARGET_SECS: i64 = 180;

/// The arrival limit when the incident's rules named none (TSG T5002: 30 minutes).
pub const DEFAULT_ARRIVE_LIMIT_SECS: i64 = 1800;

/// How the statistics are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One group: the whole period.
    None,
    /// The contracted maintenance company at the time.
    Company,
    /// The lift.
    Lift,
    /// The lift's street.
    Street,
    /// The kind of the first unit to accept (`none` when nobody accepted).
    UnitKind,
    /// The calendar month the incident opened in, China time.
    Month,
}

impl GroupBy {
    /// The names in the query.
    pub const NAMES: [&'static str; 6] =
        ["none", "company", "lift", "street", "unit_kind", "month"];

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Self> {
        use GroupBy::*;
        let all = [None, Company, Lift, Street, UnitKind, Month];
        Self::NAMES.iter().position(|n| *n == s).map(|i| all[i])
    }

    /// The group an incident falls in.
    pub fn key(self, f: &IncidentFacts) -> String {
        let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".to_owned());
        match self {
            Self::None => "all".to_owned(),
            Self::Company => or_unknown(f.company.map(|c| c.0.to_string())),
            Self::Lift => or_unknown(f.lift.map(|l| l.0.to_string())),
            Self::Street => or_unknown(f.street.clone()),
            Self::UnitKind => f.accepted_kind.clone().unwrap_or_else(|| "none".to_owned()),
            Self::Month => f
                .opened_at
                .with_timezone(&china())
                .format("%Y-%m")
                .to_string(),
        }
    }
}

/// A time measure over a set of incidents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Times {
    /// Incidents measured.
    pub n: u64,
    /// Mean, seconds.
    pub avg_secs: Option<f64>,
    /// Nearest-rank 90th percentile, seconds.
    pub p90_secs: Option<i64>,
}

impl Times {
    /// The measure of `values`.
    pub fn of(mut values: Vec<i64>) -> Self {
        if values.is_empty() {
            return Times::default();
        }
        values.sort_unstable();
        let n = values.len();
        let sum: i64 = values.iter().sum();
        // Nearest rank: the ceil(0.9 n)-th smallest, 1-based.
        let rank = (n * 9).div_ceil(10).max(1);
        Times {
            n: n as u64,
            avg_secs: Some(sum as f64 / n as f64),
            p90_secs: Some(values[rank - 1]),
        }
    }
}

/// Breaches by deadline kind: incidents with at least one of each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Breaches {
    /// A page not acknowledged in time.
    pub acknowledge: u64,
    /// Not on scene in time.
    pub arrive: u64,
    /// Not released in time after arrival.
    pub release: u64,
    /// The operator's callback late.
    pub confirm: u64,
}

/// The measures of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Measures {
    /// The group's key (a company or lift id, a street, a unit kind, `2026-11`, or `all`).
    pub key: String,
    /// Its name for people (filled in by the caller from the registry; else the key).
    pub label: String,
    /// Alarms received.
    pub alarms: u64,
    /// Incidents opened.
    pub incidents: u64,
    /// Entrapment incidents.
    pub entrapments: u64,
    /// People trapped, summed over the incidents that said.
    pub trapped: u64,
    /// Incidents that said how many people were trapped.
    pub trapped_known: u64,
    /// False alarms.
    pub false_alarms: u64,
    /// Cancelled incidents.
    pub cancelled: u64,
    /// Alarm → first acceptance.
    pub response: Times,
    /// Share of entrapments accepted within 3 minutes (0 to 1; `None` without entrapments).
    pub response_within_3min: Option<f64>,
    /// Alarm → first on scene.
    pub arrival: Times,
    /// Share of entrapments on scene within their arrival limit.
    pub arrival_within_limit: Option<f64>,
    /// On scene → released.
    pub rescue: Times,
    /// Breaches by deadline kind.
    pub breaches: Breaches,
    /// Incidents where fire/rescue was paged.
    pub fire_rescue: u64,
}

/// Computes one group's measures.
pub fn measure(key: String, facts: &[&IncidentFacts]) -> Measures {
    let mut m = Measures {
        label: key.clone(),
        key,
        ..Default::default()
    };
    let (mut response, mut arrival, mut rescue) = (Vec::new(), Vec::new(), Vec::new());
    let (mut rescues, mut in_3min, mut in_limit) = (0u64, 0u64, 0u64);
    for f in facts {
        m.alarms += u64::from(f.alarms);
        m.incidents += 1;
        m.entrapments += u64::from(f.entrapment);
        if let Some(t) = f.trapped {
            m.trapped += u64::from(t);
            m.trapped_known += 1;
        }
        m.false_alarms += u64::from(f.outcome == Outcome::FalseAlarm);
        m.cancelled += u64::from(f.outcome == Outcome::Cancelled);
        m.fire_rescue += u64::from(f.fire_rescue);
        for b in &f.breaches {
            *match b {
                BreachKind::Acknowledge => &mut m.breaches.acknowledge,
                BreachKind::Arrive => &mut m.breaches.arrive,
                BreachKind::Release => &mut m.breaches.release,
                BreachKind::Confirm => &mut m.breaches.confirm,
            } += 1;
        }
        if !f.entrapment || f.outcome == Outcome::Cancelled {
            continue;
        }
        rescues += 1;
        if let Some(s) = f.response_secs {
            response.push(s);
            in_3min += u64::from(s <= RESPONSE_TARGET_SECS);
        }
        if let Some(s) = f.arrival_secs {
            arrival.push(s);
            let limit = f.arrive_limit_secs.unwrap_or(DEFAULT_ARRIVE_LIMIT_SECS);
            in_limit += u64::from(s <= limit);
        }
        if let Some(s) = f.rescue_secs {
            rescue.push(s);
        }
    }
    let share = |k: u64| (rescues > 0).then(|| k as f64 / rescues as f64);
    m.response_within_3min = share(in_3min);
    m.arrival_within_limit = share(in_limit);
    m.response = Times::of(response);
    m.arrival = Times::of(arrival);
    m.rescue = Times::of(rescue);
    m
}

/// The measures of every group (sorted by key) and of the whole.
pub fn compute(facts: &[IncidentFacts], by: GroupBy) -> (Vec<Measures>, Measures) {
    let mut groups: BTreeMap<String, Vec<&IncidentFacts>> = BTreeMap::new();
    for f in facts {
        groups.entry(by.key(f)).or_default().push(f);
    }
    let all: Vec<&IncidentFacts> = facts.iter().collect();
    let groups = groups.into_iter().map(|(k, v)| measure(k, &v)).collect();
    (groups, measure("all".to_owned(), &all))
}

/// Every measure's definition: (name, Chinese, English).
pub const DEFINITIONS: [(&str, &str, &str); 11] = [
    (
        "alarms",
        "报警数：平台收到的全部报警（含同一事件的重复报警）。",
        "Alarms: every alarm the platform received, repeats within an incident included.",
    ),
    (
        "entrapments",
        "困人事件：报警报告有人被困（平层、非平层或乘客报警/来电），且未被判为误报。",
        "Entrapments: an alarm of the incident reported a person trapped (at a landing, between floors, or the passenger alarm / a call), and it was not marked a false alarm.",
    ),
    (
        "trapped",
        "被困人数：报警中给出人数的事件之和（未知不计）。",
        "People trapped: the sum over incidents whose alarms said how many (unknown ones are not counted).",
    ),
    (
        "false_alarms",
        "误报：调度员判为误报的事件。",
        "False alarms: incidents an operator marked a false alarm.",
    ),
    (
        "response",
        "响应时间：首次报警被平台接收 → 第一个救援单位接单（受理）。",
        "Response time: the first alarm received → the first unit accepting.",
    ),
    (
        "response_within_3min",
        "3 分钟响应率：3 分钟内有单位接单的困人事件 ÷ 全部困人事件（不含取消）。",
        "Accepted within 3 minutes: entrapments accepted within 3 minutes ÷ all entrapments (cancelled ones excluded).",
    ),
    (
        "arrival",
        "到达时间：首次报警 → 第一个救援人员（维保或消防，不含安抚乘客的物业人员）到场。",
        "Arrival time: the first alarm → the first rescuer on scene (a maintainer or fire/rescue; property staff, who come to calm the passengers, do not count).",
    ),
    (
        "arrival_within_limit",
        "按时到达率：在该电梯所适用规则的到达时限（设区的市 30 分钟）内到场的困人事件 ÷ 全部困人事件（不含取消）。",
        "On scene in time: entrapments reached within the arrival limit of the lift's own rules (30 minutes in a districted city) ÷ all entrapments (cancelled ones excluded).",
    ),
    (
        "rescue",
        "救援时间：第一个救援人员到场 → 乘客解困（救援人员报告解困，或调度员回访确认）。",
        "Rescue time: the first rescuer on scene → the passengers out (reported by a crew, or confirmed by the operator's callback).",
    ),
    (
        "breaches",
        "超时：按期限类型统计发生超时的事件数（接单、到达、解困、回访）。",
        "Breaches: incidents with at least one missed deadline of each kind (acknowledge, arrive, release, confirm).",
    ),
    (
        "fire_rescue",
        "消防参与：呼叫了消防救援单位的事件。",
        "Fire/rescue involved: incidents where a fire/rescue unit was paged.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p90_is_the_nearest_rank() {
        let t = Times::of((1..=10).collect());
        assert_eq!((t.n, t.p90_secs, t.avg_secs), (10, Some(9), Some(5.5)));
        let t = Times::of(vec![5]);
        assert_eq!(t.p90_secs, Some(5));
        let t = Times::of((1..=11).rev().collect());
        assert_eq!(t.p90_secs, Some(10), "ceil(9.9) = 10th of 11");
        assert_eq!(Times::of(vec![]), Times::default());
    }

    #[test]
    fn group_names_parse_and_unknown_ones_do_not() {
        for n in GroupBy::NAMES {
            assert!(GroupBy::parse(n).is_some());
        }
        assert_eq!(GroupBy::parse("district"), None);
    }
}
